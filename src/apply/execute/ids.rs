//! Remote ids: the config address -> remote id map a run starts from (the org as read and the
//! plan's own ids) and keeps up to date as steps create and delete objects.

use super::*;
use crate::plan::keys::KeyMap;

// -------------------------------------------------------------------------------------------
// Remote ids

/// Config address -> remote id, from the live state under the one identity mapping the plan was
/// made with (`plan::keys::Keys`: case, renames, AD domains by domain name, tenants by id) and
/// the plan's own `remote_ids`; objects created in this run are added, deleted ones removed.
pub(super) fn seed_ids(plan: &Plan, ctx: &Context<'_>) -> BTreeMap<Address, String> {
    let keys = ctx.keys;
    let mut ids = BTreeMap::new();
    // Each kind's key map with the address it names.
    type Kind<'k> = (&'k KeyMap, fn(String) -> Address);
    let kinds: [Kind<'_>; 5] = [
        (&keys.users, Address::User),
        (&keys.groups, Address::Group),
        (&keys.ad_domains, Address::AdDomain),
        (&keys.m365_tenants, Address::M365Tenant),
        (&keys.sso_apps, Address::SsoApp),
    ];
    for (map, address) in kinds {
        for (id, key) in map.iter() {
            ids.insert(address(key.to_string()), id.to_string());
        }
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
