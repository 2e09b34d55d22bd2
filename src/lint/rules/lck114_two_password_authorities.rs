//! LCK114 two-password-authorities.

use std::collections::BTreeMap;

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK114};
use crate::lint::context::{list, user_addr, users_phrase};
use crate::lint::{Context, Finding, Rule};
use crate::model::{Directory, UseCase};

rule_struct!(
    Lck114,
    r#"## What it catches
A user effectively bound (after the plan) both to an AD domain with `use_case: two_way_sync` and
to an M365 tenant. One finding per domain and tenant, listing the users.

## Why it matters
Two-way sync writes JumpCloud passwords back to AD. If that AD is also synchronised to the same
Entra ID tenant by Azure AD Connect (or cloud sync), both AD and JumpCloud write the user's
password to Entra ID and conflict: password sync from JumpCloud does not propagate, and
Microsoft's self-service password reset breaks. JumpCloud does not support binding its tenant to
Entra ID in that setup. jcform cannot see Azure AD Connect, so it warns on the pairing.

## Example
```yaml
ad_domains:
  corp: {domain: corp.example.com, use_case: two_way_sync}
bindings:
  - {ad_domain: corp, users: [alice]}
  - {m365_tenant: contoso, users: [alice]}
```

## Fix
If Azure AD Connect synchronises this AD to the tenant, bind the user to only one of them (or
stop Azure AD Connect's password sync). If it does not, waive the warning for the domain's users.
"#
);

impl Rule for Lck114 {
    fn info(&self) -> &'static RuleInfo {
        &LCK114
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        false
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        // One finding per (two-way-sync domain, tenant) pair, listing the users.
        let mut pairs: BTreeMap<(&Directory, &Directory), Vec<&str>> = BTreeMap::new();
        // The two-way-sync domains, found once rather than looked up per user and binding;
        // without one, no user can be in a pair.
        let two_way_domains: Vec<&String> = cx
            .after
            .ad_domains
            .iter()
            .filter(|(_, d)| !d.deleted && d.use_case == UseCase::TwoWaySync)
            .map(|(k, _)| k)
            .collect();
        if two_way_domains.is_empty() {
            return Vec::new();
        }
        for (name, dirs) in cx.bound_after.iter() {
            let two_way = dirs.iter().filter(|d| match d {
                Directory::AdDomain(k) => two_way_domains.contains(&k),
                Directory::M365Tenant(_) | Directory::SsoApp(_) => false,
            });
            for ad in two_way {
                for m365 in dirs
                    .iter()
                    .filter(|d| matches!(d, Directory::M365Tenant(_)))
                {
                    pairs.entry((ad, m365)).or_default().push(name);
                }
            }
        }
        pairs
            .into_iter()
            .map(|((ad, m365), users)| {
                let cause = match users.as_slice() {
                    [one] => cx.bind_cause(one, ad).or_else(|| cx.bind_cause(one, m365)),
                    _ => None,
                };
                Finding::new(
                    &LCK114,
                    users.iter().map(|u| user_addr(u)).collect(),
                    cause,
                    format!(
                        "{} bound to {ad} (two-way sync) and to {m365}: {}; if Azure AD Connect \
                         also syncs that AD to the tenant, AD and JumpCloud both write their \
                         passwords to Entra ID and self-service password reset breaks",
                        users_phrase(users.len()),
                        list(&users)
                    ),
                    "if Azure AD Connect syncs this AD to the tenant, bind these users to only one \
                     of them; otherwise waive the warning (target `*`)",
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{offline, summary};

    fn check(use_case: UseCase) -> Vec<String> {
        let model = Files::new()
            .user("alice", user("alice"))
            .ad("corp", "corp.example.com", None)
            .ad_edit("corp", |d| d.use_case = Some(use_case))
            .tenant("contoso", "t1")
            .bind(ad("corp"), su("alice"))
            .bind(m365("contoso"), su("alice"))
            .build();
        summary(&offline(&Lck114, &model))
    }

    #[test]
    fn fires_for_two_way_sync_and_m365() {
        assert_eq!(check(UseCase::TwoWaySync), ["user.alice"]);
    }

    #[test]
    fn quiet_for_other_use_cases() {
        assert!(check(UseCase::JcAsAuthority).is_empty());
        assert!(check(UseCase::AdAsAuthority).is_empty());
    }
}
