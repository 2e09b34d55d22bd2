//! LCK003 delegation-disabled-with-delegated-users.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK003};
use crate::lint::context::{list, user_addr};
use crate::lint::{Context, Finding, Rule};

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
        // The access model holds the changes that take a domain away (and marks the users).
        cx.access
            .takeaways
            .iter()
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
