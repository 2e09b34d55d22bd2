//! SAF001 deletes-over-limit.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, SAF001};
use crate::lint::{Context, Finding, Rule};
use crate::model::Address;
use crate::plan::Action;

rule_struct!(
    Saf001,
    r#"## What it catches
A plan that deletes more objects (users, groups, AD domains, memberships, bindings; a replace
counts as a delete) than `settings.limits.max_deletes`. No limit set: the rule is off.

## Why it locks people out
Mass deletion is rarely meant: a renamed key, a file left out of the directory, or
`settings.manage: full` switched on early makes everything the files don't name look unwanted.
Deleted users lose every login at once.

## Example
```yaml
settings:
  manage: {users: full}
  limits: {max_deletes: 5}
# users.yaml was not passed to jcform: every user would be deleted
```

## Fix
Read the plan: if the deletes are a mistake, fix the files. If they are intended, raise
`settings.limits.max_deletes` for this run, or waive the finding with `{rule: SAF001, target: "*",
reason: ...}`.
"#
);

impl Rule for Saf001 {
    fn info(&self) -> &'static RuleInfo {
        &SAF001
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let Some(limit) = cx.model.settings.limits.max_deletes else {
            return Vec::new();
        };
        let deleted: Vec<Address> = cx
            .changes()
            .iter()
            .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
            .map(|c| c.address.clone())
            .collect();
        if deleted.len() as u64 <= limit {
            return Vec::new();
        }
        vec![Finding::new(
            &SAF001,
            deleted.clone(),
            None,
            format!(
                "the plan deletes {} objects, more than settings.limits.max_deletes ({limit})",
                deleted.len()
            ),
            "check the files (a renamed key or a missing file looks like mass deletion); if \
             intended, raise settings.limits.max_deletes or waive SAF001 with target `*`",
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::run;
    use crate::model::ManageMode;

    fn check(limit: u64) -> Vec<Finding> {
        let mut model = Files::new().build();
        model.settings.manage.users = ManageMode::Full;
        model.settings.limits.max_deletes = Some(limit);
        let live = Org::new().user("u1", "alice").user("u2", "bob").build();
        run(&Saf001, &model, &live)
    }

    #[test]
    fn fires_over_the_limit() {
        let found = check(1);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].targets,
            [Address::User("alice".into()), Address::User("bob".into())]
        );
    }

    #[test]
    fn quiet_at_the_limit() {
        assert!(check(2).is_empty());
    }
}
