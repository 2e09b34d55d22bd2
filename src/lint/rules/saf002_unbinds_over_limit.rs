//! SAF002 unbinds-over-limit.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, SAF002};
use crate::lint::context::user_addr;
use crate::lint::{Context, Finding, Rule};

rule_struct!(
    Saf002,
    r#"## What it catches
A plan that removes more effective user bindings than `settings.limits.max_unbinds`. Each user
losing access to one directory counts once, whatever ends it: a direct unbind, a group unbind,
removal from a bound group, deleting the user, the group or the domain. No limit set: the rule is
off.

## Why it locks people out
One group binding can carry hundreds of users. Losing a binding to an AD domain or an M365 tenant
ends those users' access (and, for M365, blocks their sign-in) in one step.

## Example
```yaml
settings:
  manage: {bindings: full}
  limits: {max_unbinds: 10}
bindings: []   # the binding of group `staff` (400 members) to contoso was dropped by mistake
```

## Fix
Read the plan: if the unbinds are a mistake, fix the files. If intended, raise
`settings.limits.max_unbinds` for this run, or waive the finding with `{rule: SAF002, target: "*",
reason: ...}`.
"#
);

impl Rule for Saf002 {
    fn info(&self) -> &'static RuleInfo {
        &SAF002
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let Some(limit) = cx.model.settings.limits.max_unbinds else {
            return Vec::new();
        };
        let removed = cx.removed_bindings();
        if removed.len() as u64 <= limit {
            return Vec::new();
        }
        vec![Finding::new(
            &SAF002,
            removed.iter().map(|(u, _)| user_addr(u)).collect(),
            None,
            format!(
                "the plan removes {} user bindings, more than settings.limits.max_unbinds \
                 ({limit})",
                removed.len()
            ),
            "check the files (a dropped group binding unbinds every member); if intended, raise \
             settings.limits.max_unbinds or waive SAF002 with target `*`",
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{run, summary};
    use crate::model::{Delegation, ManageMode};

    fn check(limit: u64) -> Vec<String> {
        let mut model = Files::new()
            .group("staff", None)
            .ad("corp", "corp.example.com", None)
            .tenant("contoso", "t1")
            .build();
        model.settings.manage.bindings = ManageMode::Full;
        model.settings.limits.max_unbinds = Some(limit);
        let live = Org::new()
            .user("u1", "alice")
            .user("u2", "bob")
            .group("g1", "staff", &["u1", "u2"])
            .ad("a1", "corp.example.com", Delegation::Disabled)
            .tenant("t1", "Contoso", &[])
            .bind(ad("a1"), sg("g1"))
            .bind(m365("t1"), sg("g1"))
            .build();
        summary(&run(&Saf002, &model, &live))
    }

    #[test]
    fn fires_over_the_limit() {
        // 2 users x 2 directories.
        assert_eq!(check(3), ["user.alice user.bob"]);
    }

    #[test]
    fn quiet_at_the_limit() {
        assert!(check(4).is_empty());
    }
}
