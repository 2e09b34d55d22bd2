//! The live-state reader against the emulator over real HTTP: many pages, the request budget,
//! and faults (rate limits, 503s, short pages) that must end in complete data or an error,
//! never partial data reported as success.

use crate::client_common;

use client_common::{assert_complete, OrgSpec, Sandbox};
use jcform::jumpcloud::read::{request_budget, request_minimum};
use jcform::jumpcloud::{read_live, ApiError};
use jcform::model::live::MembershipMethod;
use jcform::model::{Delegation, UseCase, UserState};

/// Enough of everything to need several pages: 250 users, groups of 0..250 members, 150 user
/// edges on one AD, 101 on a tenant.
fn paging_org() -> OrgSpec {
    OrgSpec {
        users: 250,
        group_sizes: vec![0, 1, 100, 101, 150, 199, 250],
        ads: vec![(2, 150, 3), (0, 0, 0)],
        tenants: vec![(3, 101, 1)],
    }
}

#[tokio::test]
async fn reads_every_page_within_the_request_budget() {
    let (state, expected) = paging_org().build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let client = sandbox.client();

    let live = read_live(&client).await.expect("read succeeds");
    assert_complete(&live, &expected);

    let budget = request_budget(&live);
    println!(
        "requests: {} (budget {budget}, no-overlap minimum {})",
        client.request_count(),
        request_minimum(&live)
    );
    assert_eq!(
        client.request_count(),
        budget,
        "exactly the documented budget"
    );
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn converts_fields_from_the_wire() {
    let (state, _) = paging_org().build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let live = read_live(&sandbox.client()).await.expect("read succeeds");

    let u0 = live.user_by_name("user00000").expect("user00000");
    assert_eq!(u0.attrs.state, Some(UserState::Suspended));
    assert_eq!(u0.attrs.firstname.as_deref(), Some("Zoë"));
    assert_eq!(u0.attrs.department.as_deref(), Some("Eng"));
    assert!(!u0.password_set, "password_date null");
    let u1 = live.user_by_name("user00001").expect("user00001");
    assert_eq!(u1.attrs.department, None, "empty string reads as unset");
    assert!(u1.password_set);
    assert_eq!(u1.raw.to_value()["username"], "user00001");

    let group = live.group_by_name("group-02").expect("group-02");
    assert_eq!(group.membership_method, MembershipMethod::Static);
    assert_eq!(group.description.as_deref(), Some("Group 2"));

    let ad = live
        .ad_by_domain("corp0.example.com")
        .expect("AD by normalised domain");
    assert_eq!(
        (ad.use_case, ad.delegation, ad.groups_enabled),
        (UseCase::AdAsAuthority, Delegation::Enabled, true)
    );
    assert!(ad
        .agents
        .iter()
        .any(|a| a.is_import() && a.on_domain_controller()));

    let tenant = live.m365_tenants.values().next().expect("a tenant");
    assert_eq!(tenant.default_domain.as_deref(), Some("t0-d0.example.com"));
    assert_eq!(tenant.name.as_deref(), Some("Tenant 0"));
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn rate_limited_emulator_still_reads_everything() {
    let (state, expected) = OrgSpec {
        users: 450,
        group_sizes: vec![120, 5],
        ..Default::default()
    }
    .build();
    // 10 requests a second against ~15 needed: the reader must wait out several 429s.
    let sandbox = Sandbox::start(&state, |o| o.rate_limit = Some(10)).await;
    let client = sandbox.client();
    let live = read_live(&client)
        .await
        .expect("read succeeds despite 429s");
    assert_complete(&live, &expected);
    assert!(
        client.request_count() > request_budget(&live),
        "some requests were refused and retried"
    );
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn random_503s_are_retried_to_a_complete_read() {
    let (state, expected) = paging_org().build();
    let sandbox = Sandbox::start(&state, |o| o.fail_rate = 0.2).await;
    let client = sandbox.client();
    let live = read_live(&client)
        .await
        .expect("read succeeds despite 503s");
    assert_complete(&live, &expected);
    assert!(
        client.request_count() > request_budget(&live),
        "the 503s cost retries"
    );
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn short_pages_give_complete_data_or_an_error() {
    let (state, expected) = paging_org().build();
    let sandbox = Sandbox::start(&state, |o| o.short_pages = true).await;
    match read_live(&sandbox.client()).await {
        Ok(live) => assert_complete(&live, &expected),
        Err(err) => assert!(
            matches!(err, ApiError::Incomplete { .. }),
            "unexpected error: {err}"
        ),
    }
    // This emulator shortens every other request for a page, so re-reading recovers all.
    let live = read_live(&sandbox.client())
        .await
        .expect("re-reads recover the rows");
    assert_complete(&live, &expected);
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn parallelism_and_rps_limits_still_read_everything() {
    let (state, expected) = paging_org().build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let mut cfg = jcform::jumpcloud::ClientConfig::new(jcform::jumpcloud::ApiKey::new(
        client_common::API_KEY,
    ));
    cfg.api_url = sandbox.emulator.base_url();
    cfg.parallelism = 1;
    cfg.max_rps = Some(500.0);
    let client = jcform::jumpcloud::Client::new(cfg).expect("client");
    let live = read_live(&client).await.expect("read succeeds");
    assert_complete(&live, &expected);
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn search_pages_with_post() {
    let (state, expected) = OrgSpec {
        users: 230,
        ..Default::default()
    }
    .build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let client = sandbox.client();
    let found = client
        .search_users(serde_json::json!({}))
        .await
        .expect("search");
    let ids: std::collections::BTreeSet<String> = found.into_iter().map(|u| u.wire.id).collect();
    assert_eq!(ids, expected.users);
    assert_eq!(client.request_count(), 3, "230 rows in 3 overlapping pages");
    sandbox.emulator.shutdown().await;
}

/// Issue 13: once the first page reports the total, the other pages are fetched concurrently.
/// Users deleted before the cursor while those pages are in flight shift every later page; the
/// reader still checks each seam in order, so the read is complete (every user that was never
/// deleted, none twice) or fails closed, never silently short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pages_catch_rows_deleted_under_the_reader() {
    let spec = OrgSpec {
        users: 1500,
        group_sizes: vec![],
        ads: vec![],
        tenants: vec![],
    };
    let (state, expected) = spec.build();
    let sandbox = Sandbox::start(&state, |o| o.latency_ms = 3).await;
    let client = sandbox.client();
    let url = sandbox.emulator.base_url();
    let victims: Vec<String> = expected.users.iter().take(60).cloned().collect();
    let deleted = victims.clone();
    let deleter = tokio::spawn(async move {
        let http = reqwest::Client::new();
        for id in deleted {
            let _ = http
                .delete(format!("{url}/api/systemusers/{id}"))
                .header("x-api-key", client_common::API_KEY)
                .send()
                .await;
        }
    });
    let result = read_live(&client).await;
    deleter.await.expect("deleter");
    println!(
        "read under deletes: {:?} after {} requests",
        result.as_ref().map(|l| l.users.len()),
        client.request_count()
    );
    match result {
        Ok(live) => {
            for id in expected.users.iter().filter(|id| !victims.contains(id)) {
                assert!(live.users.contains_key(id), "user {id} missed");
            }
            assert!(live.users.keys().all(|id| expected.users.contains(id)));
        }
        Err(ApiError::Incomplete { collection, .. }) => assert_eq!(collection, "users"),
        Err(other) => panic!("unexpected error: {other}"),
    }
    // Without changes, the concurrent read is complete and costs exactly the budget.
    let before = client.request_count();
    let live = read_live(&client).await.expect("read succeeds");
    assert_eq!(live.users.len(), 1500 - 60);
    assert_eq!(client.request_count() - before, request_budget(&live));
    sandbox.emulator.shutdown().await;
}
