//! LCK002 delegation-target-unavailable.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK002};
use crate::lint::context::user_addr;
use crate::lint::{Context, Finding, Rule};
use crate::model::Address;

rule_struct!(
    Lck002,
    r#"## What it catches
A delegated user (their delegated authority is an AD domain) whose domain cannot check their
password after the plan, when no change in the plan causes it (when one does, LCK003 fires
instead):
- the domain does not exist in the org;
- its delegation is not `ENABLED` (`PENDING` or `DISABLED`);
- it has no import agent left;
- the user is not effectively bound to it (directly or through a group).

This is a mistake in the files (for example, pointing a user at a domain with delegation off) or
a state the org is already in. A domain the plan creates has no agents yet (a person installs
them after the plan), so a missing agent is not reported for it.

## Why it locks people out
JumpCloud sends the user's password to the domain's import agent to check it. With no usable
domain, every login fails.

## Example
```yaml
ad_domains:
  corp: {domain: corp.example.com, delegation: disabled}
users:
  alice: {email: alice@example.com, delegated_authority: corp}
```

## Fix
Enable delegation on the domain and bind the user to it (directly or through a group), install an
import agent if it has none, or set `delegated_authority: none` and give the user a JumpCloud
password.
"#
);

impl Rule for Lck002 {
    fn info(&self) -> &'static RuleInfo {
        &LCK002
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        // The access model says who (a change that causes it is LCK003's) and what is wrong.
        let mut out = Vec::new();
        for name in cx.access.portal_blocked_by(LCK002.code) {
            let (Some(u), Some(verdict)) = (cx.after.users.get(name), cx.access.after.get(name))
            else {
                continue;
            };
            let Some(key) = &u.delegated_authority else {
                continue;
            };
            let address = user_addr(name);
            let cause = cx
                .change(&address)
                .filter(|c| {
                    c.after
                        .user()
                        .is_some_and(|u| u.delegated_authority.is_present())
                })
                .map(|_| address.clone());
            out.push(Finding::new(
                &LCK002,
                vec![address],
                cause,
                format!(
                    "`{name}` delegates to {}, which cannot check their password: {}; they \
                     cannot log in",
                    Address::AdDomain(key.clone()),
                    verdict.delegation_problems.join("; ")
                ),
                "enable delegation on the domain and bind the user to it, or set \
                 `delegated_authority: none` and give them a JumpCloud password",
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
    use crate::model::Delegation;

    fn files() -> Files {
        Files::new()
            .user("alice", delegated("alice", "corp"))
            .ad("corp", "corp.example.com", None)
            .bind(ad("corp"), su("alice"))
    }

    #[test]
    fn fires_for_a_domain_that_cannot_check_passwords() {
        // (case, live domain delegation, import agent hosts, bound?, expected message part)
        let cases: &[(&str, Delegation, &[&str], bool, &str)] = &[
            (
                "pending",
                Delegation::Pending,
                &["DC"],
                true,
                "its delegation is pending",
            ),
            (
                "no agent",
                Delegation::Enabled,
                &[],
                true,
                "it has no import agent",
            ),
            (
                "not bound",
                Delegation::Enabled,
                &["DC"],
                false,
                "the user is not bound to it",
            ),
        ];
        for (name, delegation, hosts, bound, part) in cases {
            let mut org = Org::new().user("u1", "alice").ad_with(
                "a1",
                "corp.example.com",
                *delegation,
                hosts,
            );
            let mut model = files().build();
            if *bound {
                org = org.bind(ad("a1"), su("u1"));
            } else {
                model.bindings.clear();
            }
            let found = run(&Lck002, &model, &org.build());
            assert_eq!(summary(&found), ["user.alice <- user.alice"], "{name}");
            assert!(
                found[0].message.contains(part),
                "{name}: {}",
                found[0].message
            );
        }
    }

    #[test]
    fn quiet_for_a_usable_domain_a_new_domain_or_a_change_lck003_reports() {
        let live = Org::new()
            .user_with("u1", "alice", |u| u.delegated_authority = Some("a1".into()))
            .ad("a1", "corp.example.com", Delegation::Enabled)
            .bind(ad("a1"), su("u1"))
            .build();
        assert!(run(&Lck002, &files().build(), &live).is_empty());

        // A domain the plan creates has no agents yet: not reported.
        let model = files()
            .ad("corp", "corp.example.com", Some(Delegation::Enabled))
            .build();
        let live = Org::new().user("u1", "alice").build();
        assert!(run(&Lck002, &model, &live).is_empty());

        // The plan disables delegation: LCK003, not LCK002.
        let model = files()
            .ad("corp", "corp.example.com", Some(Delegation::Disabled))
            .build();
        let live = Org::new()
            .user_with("u1", "alice", |u| u.delegated_authority = Some("a1".into()))
            .ad("a1", "corp.example.com", Delegation::Enabled)
            .bind(ad("a1"), su("u1"))
            .build();
        assert!(run(&Lck002, &model, &live).is_empty());
    }
}
