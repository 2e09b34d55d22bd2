//! LCK003 delegation-disabled-with-delegated-users.

use std::collections::BTreeMap;

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK003};
use crate::lint::context::{list, user_addr};
use crate::lint::{Context, Finding, Rule};
use crate::model::{Address, Directory};
use crate::plan::Action;

rule_struct!(
    Lck003,
    r#"## What it catches
A plan that takes an AD delegation domain away from users who still delegate to it after the
plan: it disables delegation on the domain, deletes the domain, or ends users' bindings to it
(unbinding them or a group they are in, removing them from a bound group, deleting that group).

## Why it locks people out
The API does not update the users' delegated authority (the admin console's warning dialog does;
the API does not). Their logins keep going to a domain that can no longer check passwords.

## Example
```yaml
ad_domains:
  corp: {domain: corp.example.com, delegation: disabled}   # was enabled
users:
  alice: {email: alice@example.com}   # delegates to corp in the org
```

## Fix
Set the users' `delegated_authority: none` and give them a JumpCloud password first (an
`initial_password` only applies to new users: set it in the console or send a reset), then take
the domain away in a later plan.
"#
);

/// One change that takes `domain` away from `users`.
pub struct Event {
    pub cause: Address,
    pub domain: String,
    pub users: Vec<String>,
    /// "disables delegation on", "deletes", "unbinds ... from".
    pub what: String,
}

/// Every change that takes a delegation domain away from users who still delegate to it.
pub fn events(cx: &Context) -> Vec<Event> {
    let mut out = Vec::new();
    let mut whole_domain = Vec::new();
    for (key, before) in &cx.before.ad_domains {
        if !before.is_delegation_domain() {
            continue;
        }
        let Some(after) = cx.after.ad_domains.get(key) else {
            continue;
        };
        let address = Address::AdDomain(key.clone());
        let what = if after.deleted && cx.has(&address, Action::Delete) {
            format!("deletes {address}")
        } else if !after.is_delegation_domain() && cx.change(&address).is_some() {
            format!(
                "sets delegation to {} on {address}",
                after.delegation.config_name()
            )
        } else {
            continue;
        };
        whole_domain.push(key.clone());
        let users = cx.delegating_to(key);
        if !users.is_empty() {
            out.push(Event {
                cause: address,
                domain: key.clone(),
                users,
                what,
            });
        }
    }
    let mut unbinds: BTreeMap<(Address, String), Vec<String>> = BTreeMap::new();
    for (name, dir) in cx.removed_bindings() {
        let Directory::AdDomain(key) = &dir else {
            continue;
        };
        let still_delegates = cx
            .after
            .users
            .get(&name)
            .is_some_and(|u| u.delegated_authority.as_deref() == Some(key));
        let was_delegation = cx
            .before
            .ad_domains
            .get(key)
            .is_some_and(|d| d.is_delegation_domain());
        if !still_delegates || !was_delegation || whole_domain.contains(key) {
            continue;
        }
        if let Some(cause) = cx.unbind_cause(&name, &dir) {
            unbinds.entry((cause, key.clone())).or_default().push(name);
        }
    }
    for ((cause, domain), users) in unbinds {
        out.push(Event {
            what: format!(
                "ends their binding to {} ({cause})",
                Address::AdDomain(domain.clone())
            ),
            cause,
            domain,
            users,
        });
    }
    out
}

impl Rule for Lck003 {
    fn info(&self) -> &'static RuleInfo {
        &LCK003
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        events(cx)
            .into_iter()
            .map(|e| {
                Finding::new(
                    &LCK003,
                    e.users.iter().map(|u| user_addr(u)).collect(),
                    Some(e.cause.clone()),
                    format!(
                        "the plan {} while {} to it: {}; the API does not change \
                         their delegated authority, so they cannot log in",
                        e.what,
                        if e.users.len() == 1 {
                            "1 user still delegates".to_string()
                        } else {
                            format!("{} users still delegate", e.users.len())
                        },
                        list(&e.users)
                    ),
                    "set their delegated authority to none and give them a JumpCloud password \
                     first, then take the domain away in a later plan",
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{run, summary};
    use crate::model::{Delegation, ManageMode};

    fn org() -> crate::model::live::LiveState {
        Org::new()
            .user_with("u1", "alice", |u| u.delegated_authority = Some("a1".into()))
            .user_with("u2", "bob", |u| u.delegated_authority = Some("a1".into()))
            .group("g1", "eng", &["u1", "u2"])
            .ad("a1", "corp.example.com", Delegation::Enabled)
            .bind(ad("a1"), sg("g1"))
            .build()
    }

    fn files() -> Files {
        Files::new()
            .user("alice", user("alice"))
            .user("bob", user("bob"))
            .group("eng", Some(&["alice", "bob"]))
            .ad("corp", "corp.example.com", None)
            .bind(ad("corp"), sg("eng"))
    }

    #[test]
    fn fires_for_each_way_of_taking_the_domain_away() {
        // Disable delegation.
        let model = files()
            .ad("corp", "corp.example.com", Some(Delegation::Disabled))
            .build();
        let found = run(&Lck003, &model, &org());
        assert_eq!(summary(&found), ["user.alice user.bob <- ad_domain.corp"]);

        // Remove bob from the bound group.
        let mut model = files().group("eng", Some(&["alice"])).build();
        model.settings.manage.memberships = ManageMode::Full;
        assert_eq!(
            summary(&run(&Lck003, &model, &org())),
            ["user.bob <- membership.eng.bob"]
        );

        // Unbind the group.
        let mut model = files().build();
        model.bindings.clear();
        model.settings.manage.bindings = ManageMode::Full;
        assert_eq!(
            summary(&run(&Lck003, &model, &org())),
            ["user.alice user.bob <- binding.ad_domain.corp.group.eng"]
        );

        // Delete the domain.
        let mut model = files().build();
        model.ad_domains.clear();
        model.bindings.clear();
        model.settings.manage.ad_domains = ManageMode::Full;
        assert_eq!(
            summary(&run(&Lck003, &model, &org())),
            ["user.alice user.bob <- ad_domain[\"corp.example.com\"]"]
        );
    }

    #[test]
    fn quiet_when_users_stop_delegating_first() {
        let mut model = files()
            .ad("corp", "corp.example.com", Some(Delegation::Disabled))
            .build();
        for u in model.users.values_mut() {
            u.delegated_authority = Some(crate::model::DelegatedAuthority::None);
        }
        assert!(run(&Lck003, &model, &org()).is_empty());
        // No change at all.
        assert!(run(&Lck003, &files().build(), &org()).is_empty());
    }
}
