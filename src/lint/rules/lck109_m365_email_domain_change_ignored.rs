//! LCK109 m365-email-domain-change-ignored.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK109};
use crate::lint::context::list;
use crate::lint::{Context, Finding, Rule};
use crate::model::{Address, Directory};
use crate::plan::Action;

rule_struct!(
    Lck109,
    r#"## What it catches
A plan that changes the domain part of the email of a user who stays bound to an M365 tenant
(`alice@example.com` to `alice@example.org`). Changing the part before `@` is fine.

## Why it matters
Once accounts are in sync, Microsoft 365 ignores any change to the domain part of the email, and
every other change in that same sync (first name, last name, ...) is ignored too: the plan
applies in JumpCloud but the user's Microsoft 365 account silently keeps its old values.

## Example
```yaml
users:
  alice: {email: alice@example.org, firstname: Alicia}   # was alice@example.com, bound to contoso
```

## Fix
Change the email domain in Microsoft 365 first (or accept that it will not follow), and make
other attribute changes in a separate plan.
"#
);

/// The lower-cased domain part of an email value.
fn domain(side: &crate::plan::Side) -> Option<String> {
    let email = side.user()?.email.value()?;
    email.rsplit_once('@').map(|(_, d)| d.to_lowercase())
}

impl Rule for Lck109 {
    fn info(&self) -> &'static RuleInfo {
        &LCK109
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for c in cx.changes() {
            let (Address::User(name), Action::Update) = (&c.address, c.action) else {
                continue;
            };
            let (Some(old), Some(new)) = (domain(&c.before), domain(&c.after)) else {
                continue;
            };
            if old == new {
                continue;
            }
            // In sync before, and still bound after: the change goes to Microsoft 365.
            let tenants: Vec<&Directory> = cx
                .bound(name)
                .filter(|d| matches!(d, Directory::M365Tenant(_)))
                .filter(|d| cx.bound_before.get(name).is_some_and(|b| b.contains(d)))
                .collect();
            if tenants.is_empty() {
                continue;
            }
            out.push(Finding::new(
                &LCK109,
                vec![c.address.clone()],
                Some(c.address.clone()),
                format!(
                    "the plan changes the email domain of `{name}` from `{old}` to `{new}` while \
                     they are bound to {}; Microsoft 365 ignores it, and every other change in \
                     the same sync",
                    list(&tenants)
                ),
                "change the domain in Microsoft 365 first, and make other attribute changes in a \
                 separate plan",
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

    fn check(email: &str) -> Vec<String> {
        let mut alice = user("alice");
        alice.attrs.email = Some(email.into());
        let model = Files::new()
            .user("alice", alice)
            .tenant("contoso", "t1")
            .bind(m365("contoso"), su("alice"))
            .build();
        let live = Org::new()
            .user("u1", "alice")
            .tenant("t1", "Contoso", &[])
            .bind(m365("t1"), su("u1"))
            .build();
        summary(&run(&Lck109, &model, &live))
    }

    #[test]
    fn fires_when_the_domain_part_changes() {
        assert_eq!(check("alice@example.org"), ["user.alice <- user.alice"]);
        assert_eq!(check("alice@EXAMPLE.net"), ["user.alice <- user.alice"]);
    }

    #[test]
    fn quiet_when_only_the_local_part_changes() {
        assert!(check("alice.liddell@example.com").is_empty());
        assert!(check("alice@Example.COM").is_empty());
    }
}
