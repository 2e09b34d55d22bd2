//! LCK102 suspend-disables-ad-account.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK102};
use crate::lint::context::list;
use crate::lint::{Context, Finding, Rule};
use crate::model::Address;

rule_struct!(
    Lck102,
    r#"## What it catches
A plan that suspends a user (`state: suspended` on an active user) who is effectively bound to an
AD domain.

## Why it matters
AD Sync writes the suspension to Active Directory: the user's AD account is disabled
(UserAccountControl ACCOUNTDISABLE), so they lose Windows logins, file shares and everything else
that trusts AD, not only JumpCloud.

## Example
```yaml
users:
  alice: {email: alice@example.com, state: suspended}   # bound to corp through engineering
```

## Fix
If only JumpCloud access should stop, unbind the user from the AD domain instead of suspending.
If the AD account should be disabled too, the warning is expected: waive it for the user.
"#
);

impl Rule for Lck102 {
    fn info(&self) -> &'static RuleInfo {
        &LCK102
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for (name, verdict) in cx.access.citing() {
            let domains: Vec<&str> = verdict
                .ad
                .iter()
                .filter(|l| l.blocked_by.contains(&LCK102.code))
                .map(|l| l.domain.as_str())
                .collect();
            if domains.is_empty() {
                continue;
            }
            let address = Address::User(name.clone());
            out.push(Finding::new(
                &LCK102,
                vec![address.clone()],
                Some(address),
                format!(
                    "the plan suspends `{name}`, who is bound to {}; AD Sync disables their AD \
                     account",
                    list(&domains)
                ),
                "to stop only JumpCloud access, unbind the user from the AD domain instead",
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
    use crate::model::{Delegation, UserState};

    fn check(bound: bool) -> Vec<String> {
        let mut alice = user("alice");
        alice.attrs.state = Some(UserState::Suspended);
        let model = Files::new()
            .user("alice", alice)
            .ad("corp", "corp.example.com", None)
            .build();
        let mut org =
            Org::new()
                .user("u1", "alice")
                .ad("a1", "corp.example.com", Delegation::Disabled);
        if bound {
            org = org.bind(ad("a1"), su("u1"));
        }
        summary(&run(&Lck102, &model, &org.build()))
    }

    #[test]
    fn fires_for_an_ad_bound_user() {
        assert_eq!(check(true), ["user.alice <- user.alice"]);
    }

    #[test]
    fn quiet_for_an_unbound_user() {
        assert!(check(false).is_empty());
    }
}
