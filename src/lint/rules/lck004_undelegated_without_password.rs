//! LCK004 undelegated-without-password.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK004};
use crate::lint::{Context, Finding, Rule};
use crate::model::Address;

rule_struct!(
    Lck004,
    r#"## What it catches
A plan that clears a user's delegated authority (`delegated_authority: none` on a user who
delegates to an AD domain) while the user has no JumpCloud password (the live user has no
`password_date`).

## Why it locks people out
After the change JumpCloud checks the password itself, and there is none. This is typical when
the AD import agent runs on member servers, which never sync passwords to JumpCloud. The user
cannot log in until a password is set.

## Example
```yaml
users:
  alice: {email: alice@example.com, delegated_authority: none}   # delegates to corp today
```

## Fix
Give the user a JumpCloud password first (set it in the admin console or send a password reset;
`initial_password` only applies when the plan creates a user), then clear the delegated
authority.
"#
);

impl Rule for Lck004 {
    fn info(&self) -> &'static RuleInfo {
        &LCK004
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for name in cx.access.portal_blocked_by(LCK004.code) {
            let address = Address::User(name.to_string());
            let was = cx
                .before
                .users
                .get(name)
                .and_then(|u| u.delegated_authority.clone())
                .unwrap_or_default();
            out.push(Finding::new(
                &LCK004,
                vec![address.clone()],
                cx.change(&address).map(|_| address.clone()),
                format!(
                    "the plan clears `{name}`'s delegated authority (was {}) but they have no \
                     JumpCloud password; they cannot log in until one is set",
                    Address::AdDomain(was)
                ),
                "set a JumpCloud password for them first (admin console or password reset), or \
                 keep the delegated authority until they have one",
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{run, summary};
    use crate::model::{DelegatedAuthority, Delegation};

    fn check(password_set: bool) -> Vec<String> {
        let mut alice = user("alice");
        alice.delegated_authority = Some(DelegatedAuthority::None);
        let model = Files::new()
            .user("alice", alice)
            .ad("corp", "corp.example.com", None)
            .build();
        let live = Org::new()
            .user_with("u1", "alice", |u| {
                u.delegated_authority = Some("a1".into());
                u.password_set = password_set;
            })
            .ad("a1", "corp.example.com", Delegation::Enabled)
            .build();
        summary(&run(&Lck004, &model, &live))
    }

    #[test]
    fn fires_without_a_password() {
        assert_eq!(check(false), ["user.alice <- user.alice"]);
    }

    #[test]
    fn quiet_with_a_password() {
        assert!(check(true).is_empty());
    }
}
