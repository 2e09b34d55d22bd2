//! LCK110 ad-identity-change.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK110};
use crate::lint::context::list;
use crate::lint::{Context, Finding, Rule};
use crate::model::{Address, Directory};
use crate::plan::Action;

rule_struct!(
    Lck110,
    r#"## What it catches
A plan that changes the username (a rename) or the email of a user who is bound to an AD domain
before and after the plan.

## Why it matters
AD Sync matches JumpCloud users to AD accounts by username and email. After the change the link
to the AD account breaks: JumpCloud creates a new AD account for the new name, or takes over an
existing AD account that happens to have it, and the old account is no longer managed.

## Example
```yaml
users:
  alice: {email: alice.liddell@example.com}   # was alice@example.com, bound to corp
```

## Fix
Rename the account in AD at the same time (so both sides match again), or unbind the user from
the AD domain first and bind them again after the change.
"#
);

/// The email a change side holds, when it holds one.
fn email(side: &crate::plan::Side) -> Option<&String> {
    side.user().and_then(|u| u.email.value())
}

impl Rule for Lck110 {
    fn info(&self) -> &'static RuleInfo {
        &LCK110
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
            let mut what = Vec::new();
            let renamed = c.renamed_from().and_then(|a| match a {
                Address::User(old) => Some(old),
                _ => None,
            });
            if let Some(old) = renamed.filter(|o| o != name) {
                what.push(format!("username `{old}` -> `{name}`"));
            }
            if let (Some(old), Some(new)) = (email(&c.before), email(&c.after)) {
                if !old.eq_ignore_ascii_case(new) {
                    what.push(format!("email `{old}` -> `{new}`"));
                }
            }
            if what.is_empty() {
                continue;
            }
            // Linked before and still bound after (the org states key renamed users by new name).
            let domains: Vec<&Directory> = cx
                .bound(name)
                .filter(|d| matches!(d, Directory::AdDomain(_)))
                .filter(|d| cx.bound_before.get(name).is_some_and(|b| b.contains(d)))
                .collect();
            if domains.is_empty() {
                continue;
            }
            out.push(Finding::new(
                &LCK110,
                vec![c.address.clone()],
                Some(c.address.clone()),
                format!(
                    "the plan changes the {} of `{name}`, who is bound to {}; AD accounts are \
                     matched by username and email, so the link to their AD account breaks",
                    what.join(" and "),
                    list(&domains)
                ),
                "make the same change in AD at the same time, or unbind the user from the domain \
                 first and bind them again after",
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

    fn check(email: &str, bound: bool) -> Vec<String> {
        let mut alice = user("alice");
        alice.attrs.email = Some(email.into());
        let mut files = Files::new()
            .user("alice", alice)
            .ad("corp", "corp.example.com", None);
        let mut org =
            Org::new()
                .user("u1", "alice")
                .ad("a1", "corp.example.com", Delegation::Disabled);
        if bound {
            files = files.bind(ad("corp"), su("alice"));
            org = org.bind(ad("a1"), su("u1"));
        }
        summary(&run(&Lck110, &files.build(), &org.build()))
    }

    #[test]
    fn fires_when_an_ad_bound_user_changes_email() {
        assert_eq!(
            check("alice.liddell@example.com", true),
            ["user.alice <- user.alice"]
        );
    }

    #[test]
    fn quiet_when_not_bound_or_unchanged() {
        assert!(check("alice.liddell@example.com", false).is_empty());
        assert!(check("alice@example.com", true).is_empty());
    }
}
