//! LCK101 m365-unbind-blocks-sign-in.

use std::collections::BTreeMap;

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK101};
use crate::lint::context::{list, user_addr};
use crate::lint::{Context, Finding, Rule};
use crate::model::{Address, Directory};

rule_struct!(
    Lck101,
    r#"## What it catches
A plan that ends users' effective binding to an M365 tenant: a direct unbind, unbinding a group
they are in, removing them from a bound group, deleting the group or the user. One finding per
tenant and change, listing the users.

## Why it matters
When JumpCloud unbinds a user, Microsoft 365 blocks their sign-in. That is right for a leaver and
a surprise for anyone else.

## Example
```yaml
groups:
  staff: {members: [alice]}   # bob removed; staff is bound to contoso
```

## Fix
If the users should keep Microsoft 365, keep their binding (directly or through another bound
group). Otherwise accept it, with a waiver if the warning is expected.
"#
);

impl Rule for Lck101 {
    fn info(&self) -> &'static RuleInfo {
        &LCK101
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut groups: BTreeMap<(Directory, Option<Address>), Vec<String>> = BTreeMap::new();
        // Every user whose M365 binding the plan ends, as the access model has them (deleted
        // and renamed users included, under the plan's address).
        for (name, verdict) in cx.access.citing() {
            for tenant in &verdict.m365_ended {
                let dir = Directory::M365Tenant(tenant.clone());
                let cause = cx.unbind_cause(name, &dir);
                groups.entry((dir, cause)).or_default().push(name.clone());
            }
        }
        groups
            .into_iter()
            .map(|((dir, cause), users)| {
                Finding::new(
                    &LCK101,
                    users.iter().map(|u| user_addr(u)).collect(),
                    cause,
                    format!(
                        "the plan ends the binding of {} to {dir}: {}; Microsoft 365 blocks their \
                         sign-in",
                        if users.len() == 1 {
                            "1 user".to_string()
                        } else {
                            format!("{} users", users.len())
                        },
                        list(&users)
                    ),
                    "if they should keep Microsoft 365, keep their binding (directly or through a \
                     bound group)",
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
    use crate::model::ManageMode;

    fn check(members: &[&str]) -> Vec<String> {
        let mut model = Files::new()
            .user("alice", user("alice"))
            .user("bob", user("bob"))
            .group("staff", Some(members))
            .tenant("contoso", "t1")
            .bind(m365("contoso"), sg("staff"))
            .build();
        model.settings.manage.memberships = ManageMode::Full;
        let live = Org::new()
            .user("u1", "alice")
            .user("u2", "bob")
            .group("g1", "staff", &["u1", "u2"])
            .tenant("t1", "Contoso", &[])
            .bind(m365("t1"), sg("g1"))
            .build();
        summary(&run(&Lck101, &model, &live))
    }

    #[test]
    fn fires_when_a_member_leaves_a_bound_group() {
        assert_eq!(check(&["alice"]), ["user.bob <- membership.staff.bob"]);
    }

    #[test]
    fn quiet_when_everyone_stays() {
        assert!(check(&["alice", "bob"]).is_empty());
    }
}
