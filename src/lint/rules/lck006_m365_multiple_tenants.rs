//! LCK006 m365-multiple-tenants.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK006};
use crate::lint::context::{list, user_addr};
use crate::lint::{Context, Finding, Rule};
use crate::model::Directory;

rule_struct!(
    Lck006,
    r#"## What it catches
A user who, after the plan, is effectively bound to two or more M365 tenants (directly or through
any group). Without an org, the declared bindings are used.

## Why it locks people out
JumpCloud binds a user to one Microsoft 365 tenant only, matched by email address; the other
bindings do not provision, and which one wins is not under your control.

## Example
```yaml
bindings:
  - {m365_tenant: contoso, groups: [staff]}
  - {m365_tenant: fabrikam, users: [alice]}   # alice is in staff
```

## Fix
Bind each user to one tenant: remove the extra direct binding or take them out of the group bound
to the other tenant.
"#
);

impl Rule for Lck006 {
    fn info(&self) -> &'static RuleInfo {
        &LCK006
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        false
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for name in cx.access.m365_blocked_by(LCK006.code) {
            let tenants: Vec<&Directory> = cx
                .bound(name)
                .filter(|d| matches!(d, Directory::M365Tenant(_)))
                .collect();
            let cause = tenants.iter().find_map(|d| cx.bind_cause(name, d));
            out.push(Finding::new(
                &LCK006,
                vec![user_addr(name)],
                cause,
                format!(
                    "`{name}` is bound to {} M365 tenants: {}; JumpCloud binds a user to one \
                     tenant only",
                    tenants.len(),
                    list(tenants.iter().map(|d| cx.via(name, d)))
                ),
                "bind the user to one tenant only (directly or through one group)",
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{offline, summary};

    fn files() -> Files {
        Files::new()
            .user("alice", user("alice"))
            .group("staff", Some(&["alice"]))
            .tenant("contoso", "t1")
            .tenant("fabrikam", "t2")
            .bind(m365("contoso"), sg("staff"))
    }

    #[test]
    fn fires_for_two_tenants() {
        let model = files().bind(m365("fabrikam"), su("alice")).build();
        assert_eq!(summary(&offline(&Lck006, &model)), ["user.alice"]);
    }

    #[test]
    fn quiet_for_one_tenant() {
        assert!(offline(&Lck006, &files().build()).is_empty());
    }
}
