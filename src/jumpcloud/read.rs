//! Reads the whole org into a `LiveState`, with list endpoints only (never one GET per user).
//!
//! Request budget, where `P(n)` is the pages for `n` rows (`paging::pages_for`: 1 up to 100
//! rows, then one per 99 more because pages overlap by a row):
//!
//! ```text
//!   P(users) + P(groups) + sum over groups P(direct members)
//! + P(AD instances) + sum over ADs [P(agents) + P(user edges) + P(group edges)]
//! + P(directories) + sum over M365 tenants [1 GET + P(domains) + P(user edges) + P(group edges)]
//! + P(applications) + sum over applications [P(user edges) + P(group edges)]
//! ```
//!
//! `request_budget` computes it for a state that was read, so tests can hold the reader to it.
//! Independent reads run concurrently; the client's shared limiter bounds them.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::{try_join, try_join3, try_join4, try_join_all};

use super::client::{Client, Target};
use super::convert;
use super::error::ApiError;
use super::paging::pages_for;
use crate::model::live::{
    LiveAdDomain, LiveGroup, LiveM365Tenant, LiveSsoApp, LiveState, LiveUser,
};
use crate::model::{Binding, Directory};

/// The `GET /directories` type of Microsoft 365 / Entra ID instances.
const M365_DIRECTORY_TYPE: &str = crate::model::GraphKind::M365Tenant.api_name();

/// Reads the whole org, within `ClientConfig::read_deadline`: a server that stalls or drips
/// ends in `ApiError::Incomplete` for "the org", never a hang. Any error means no state at all.
pub async fn read_live(client: &Client) -> Result<LiveState, ApiError> {
    let deadline = client.read_deadline();
    match tokio::time::timeout(deadline, read_all(client)).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::Incomplete {
            collection: "the org".into(),
            reason: format!(
                "reading it did not finish within {} (--read-deadline / \
                 JCFORM_READ_DEADLINE); the API is too slow or stalled",
                super::retry::secs(deadline)
            ),
        }),
    }
}

async fn read_all(client: &Client) -> Result<LiveState, ApiError> {
    let ((users, groups, ads, tenants), apps) = try_join(
        try_join4(
            read_users(client),
            read_groups(client),
            read_ads(client),
            read_tenants(client),
        ),
        read_sso_apps(client),
    )
    .await?;

    let mut bindings = BTreeSet::new();
    let ad_domains = ads
        .into_iter()
        .map(|(ad, edges)| {
            bindings.extend(edges);
            (ad.id.clone(), ad)
        })
        .collect();
    let m365_tenants = tenants
        .into_iter()
        .map(|(tenant, edges)| {
            bindings.extend(edges);
            (tenant.id.clone(), tenant)
        })
        .collect();
    let sso_apps = apps
        .into_iter()
        .map(|(app, edges)| {
            bindings.extend(edges);
            (app.id.clone(), app)
        })
        .collect();

    Ok(LiveState {
        users: users.into_iter().map(|u| (u.id.clone(), u)).collect(),
        groups: groups.into_iter().map(|g| (g.id.clone(), g)).collect(),
        ad_domains,
        m365_tenants,
        sso_apps,
        bindings,
    })
}

/// SSO applications (`GET /applications`) with their user and group assignments.
async fn read_sso_apps(client: &Client) -> Result<Vec<(LiveSsoApp, Vec<Binding>)>, ApiError> {
    let apps = client.list_applications().await?;
    let apps = try_join_all(apps.iter().map(|app| async move {
        let directory = Directory::SsoApp(app.wire.id.clone());
        let bindings = read_bindings(client, &directory).await?;
        Ok::<_, ApiError>((convert::live_sso_app(app), bindings))
    }))
    .await?;
    done("sso_apps", apps.len());
    Ok(apps)
}

async fn read_users(client: &Client) -> Result<Vec<LiveUser>, ApiError> {
    let users: Vec<LiveUser> = client
        .list_users_wire(&|user, raw| {
            convert::live_user_from(&user, crate::model::live::RawJson::from_text(raw.get()))
        })
        .await?;
    done("users", users.len());
    Ok(users)
}

/// One event per collection read completely: the `-v` log and the progress line count them.
fn done(collection: &'static str, count: usize) {
    tracing::info!(target: "jcform::read", collection, count, "read");
}

/// Groups with their direct members. Members of dynamic groups are read too: the plan ignores
/// them, but snapshots keep them.
async fn read_groups(client: &Client) -> Result<Vec<LiveGroup>, ApiError> {
    let groups = client.list_groups().await?;
    let groups = try_join_all(groups.into_iter().map(|g| async move {
        let members = client.list_group_members(&g.wire.id).await?;
        Ok::<_, ApiError>(convert::into_live_group(g, members.into_iter().collect()))
    }))
    .await?;
    done("groups", groups.len());
    Ok(groups)
}

/// The direct bindings of one directory: user edges and group edges.
async fn read_bindings(client: &Client, directory: &Directory) -> Result<Vec<Binding>, ApiError> {
    let (users, groups) = try_join(
        client.list_associations(directory, Target::User),
        client.list_associations(directory, Target::UserGroup),
    )
    .await?;
    Ok(users
        .iter()
        .chain(&groups)
        .filter_map(|e| convert::binding(directory, &e.wire))
        .collect())
}

async fn read_ads(client: &Client) -> Result<Vec<(LiveAdDomain, Vec<Binding>)>, ApiError> {
    let ads = client.list_ads().await?;
    let ads = try_join_all(ads.iter().map(|ad| async move {
        let directory = Directory::AdDomain(ad.wire.id.clone());
        let (agents, bindings) = try_join(
            client.list_ad_agents(&ad.wire.id),
            read_bindings(client, &directory),
        )
        .await?;
        Ok::<_, ApiError>((convert::live_ad(ad, &agents), bindings))
    }))
    .await?;
    done("ad_domains", ads.len());
    Ok(ads)
}

/// M365 instances cannot be listed directly: `GET /directories` names them.
async fn read_tenants(client: &Client) -> Result<Vec<(LiveM365Tenant, Vec<Binding>)>, ApiError> {
    let directories = client.list_directories().await?;
    let ids: Vec<&str> = directories
        .iter()
        .filter(|d| d.wire.kind == M365_DIRECTORY_TYPE)
        .map(|d| d.wire.id.as_str())
        .collect();
    let tenants = try_join_all(ids.into_iter().map(|id| async move {
        let directory = Directory::M365Tenant(id.to_string());
        let (tenant, domains, bindings) = try_join3(
            client.get_m365(id),
            client.list_m365_domains(id),
            read_bindings(client, &directory),
        )
        .await?;
        Ok::<_, ApiError>((convert::live_m365(&tenant, &domains), bindings))
    }))
    .await?;
    done("m365_tenants", tenants.len());
    Ok(tenants)
}

/// The requests `read_live` sends for this state when nothing fails (see the module comment).
pub fn request_budget(state: &LiveState) -> u64 {
    budget(state, pages_for)
}

/// The same with no page overlap: the least any limit/skip reader could do (`ceil(n/100)`,
/// at least 1 per collection). For comparisons in reports.
pub fn request_minimum(state: &LiveState) -> u64 {
    budget(state, |n| {
        n.div_ceil(super::paging::PAGE_SIZE).max(1) as u64
    })
}

fn budget(state: &LiveState, pages: impl Fn(usize) -> u64) -> u64 {
    let mut edges: BTreeMap<(&Directory, bool), usize> = BTreeMap::new();
    for b in &state.bindings {
        let is_user = matches!(b.subject, crate::model::Subject::User(_));
        *edges.entry((&b.directory, is_user)).or_default() += 1;
    }
    let edge_pages = |d: Directory| {
        pages(edges.get(&(&d, true)).copied().unwrap_or(0))
            + pages(edges.get(&(&d, false)).copied().unwrap_or(0))
    };

    let mut total = pages(state.users.len()) + pages(state.groups.len());
    total += state
        .groups
        .values()
        .map(|g| pages(g.members.len()))
        .sum::<u64>();
    total += pages(state.ad_domains.len());
    for ad in state.ad_domains.values() {
        total += pages(ad.agents.len()) + edge_pages(Directory::AdDomain(ad.id.clone()));
    }
    // The directories list holds the ADs and tenants (and other kinds jcform does not read).
    total += pages(state.ad_domains.len() + state.m365_tenants.len());
    for t in state.m365_tenants.values() {
        total += 1 + pages(t.domains.len()) + edge_pages(Directory::M365Tenant(t.id.clone()));
    }
    total += pages(state.sso_apps.len());
    for a in state.sso_apps.values() {
        total += edge_pages(Directory::SsoApp(a.id.clone()));
    }
    total
}
