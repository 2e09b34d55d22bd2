//! Remote ids: the config address -> remote id map a run starts from (the org as read and the
//! plan's own ids) and keeps up to date as steps create and delete objects.

use super::*;

// -------------------------------------------------------------------------------------------
// Remote ids

/// Config address -> remote id, from the live state (natural keys) and the plan's own
/// `remote_ids`; objects created in this run are added, deleted ones removed.
pub(super) fn seed_ids(plan: &Plan, ctx: &Context<'_>) -> BTreeMap<Address, String> {
    let mut ids = BTreeMap::new();
    for u in ctx.live.users.values() {
        ids.insert(Address::User(u.username.clone()), u.id.clone());
    }
    for g in ctx.live.groups.values() {
        ids.insert(Address::Group(g.name.clone()), g.id.clone());
    }
    for ad in ctx.live.ad_domains.values() {
        let key = ctx
            .model
            .ad_domains
            .iter()
            .find(|(_, d)| normalize_ad_domain(&d.domain) == ad.domain)
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| ad.domain.clone());
        ids.insert(Address::AdDomain(key), ad.id.clone());
    }
    for t in ctx.live.m365_tenants.values() {
        let key = ctx
            .model
            .m365_tenants
            .iter()
            .find(|(_, m)| m.id == t.id)
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| t.id.clone());
        ids.insert(Address::M365Tenant(key), t.id.clone());
    }
    for (key, tenant) in &ctx.model.m365_tenants {
        // Tenants are adopted by id: the config names it even before the live state does.
        ids.entry(Address::M365Tenant(key.clone()))
            .or_insert_with(|| tenant.id.clone());
    }
    // The plan's own ids win: they are what the plan was made against.
    for change in &plan.changes {
        let ends = edge_ends(&change.address);
        if ends.is_empty() {
            let found = ["id", change.address.kind()]
                .iter()
                .find_map(|k| change.remote_ids.get(*k));
            if let Some(id) = found {
                ids.insert(change.address.clone(), id.clone());
            }
        }
        for (end, role) in ends {
            let found = [end.kind(), role]
                .iter()
                .find_map(|k| change.remote_ids.get(*k));
            if let Some(id) = found {
                ids.insert(end, id.clone());
            }
        }
    }
    ids
}

/// The two ends of an edge address with their role names (`group`/`user`,
/// `directory`/`subject`).
pub(super) fn edge_ends(address: &Address) -> Vec<(Address, &'static str)> {
    match address {
        Address::Membership(g, u) => vec![
            (Address::Group(g.clone()), "group"),
            (Address::User(u.clone()), "user"),
        ],
        Address::Binding(b) => {
            let d = b.directory.address();
            let s = match &b.subject {
                Subject::User(k) => Address::User(k.clone()),
                Subject::Group(k) => Address::Group(k.clone()),
            };
            vec![(d, "directory"), (s, "subject")]
        }
        _ => Vec::new(),
    }
}
