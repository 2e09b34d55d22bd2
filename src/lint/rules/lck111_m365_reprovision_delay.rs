//! LCK111 m365-reprovision-delay.

use std::collections::{BTreeMap, BTreeSet};

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK111};
use crate::lint::context::user_addr;
use crate::lint::{Context, Finding, Rule};
use crate::model::{Address, Directory};
use crate::plan::Action;

rule_struct!(
    Lck111,
    r#"## What it catches
A plan that ends a user's Microsoft 365 binding and creates it again for the same email address:
the user is deleted and re-created (a replace), or one user loses their binding to a tenant
(unbound, deleted) while another user with the same email address gains a binding to it.

A plan made by jcform's diff does not do this: a new key with a departed user's email is a
rename of that account (kept, never re-created), a membership change adds before it removes, and
moving an address between two users in one plan is refused as a plan error. The rule stays as
the check of last resort for any plan that would release an address and claim it again.

## Why it matters
Microsoft 365 often holds an email address for up to 24 hours before it can be provisioned
again: the re-created account fails to provision until then, and the person has no Microsoft 365
sign-in in between.

## Example
```yaml
users:
  alice2: {email: alice@example.com}   # replaces `alice` (deleted), same address, bound to contoso
```

## Fix
Keep the existing user (rename it, or change its fields) instead of deleting and re-creating it,
or plan the re-binding for 24 hours after the unbind.
"#
);

impl Rule for Lck111 {
    fn info(&self) -> &'static RuleInfo {
        &LCK111
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let email = |w: &crate::plan::state::OrgState, u: &str| {
            w.users
                .get(u)
                .and_then(|u| u.attrs.email.as_deref())
                .map(str::to_lowercase)
        };
        // (tenant, email) -> users who lose the binding, and users who gain it.
        let mut lost: BTreeMap<(Directory, String), Vec<String>> = BTreeMap::new();
        for (user, dir) in cx.removed_bindings() {
            if let (Directory::M365Tenant(_), Some(e)) = (&dir, email(&cx.before, &user)) {
                lost.entry((dir, e)).or_default().push(user);
            }
        }
        // Users the plan deletes and re-creates: the only ones a binding they keep counts for.
        let replaced_users: BTreeSet<&str> = cx
            .changes()
            .iter()
            .filter(|c| cx.has(&c.address, Action::Replace))
            .filter_map(|c| match &c.address {
                Address::User(name) => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let shared = std::sync::Arc::ptr_eq(&cx.bound_before, &cx.bound_after);
        let mut out = Vec::new();
        for (user, dirs) in cx.bound_after.iter() {
            for dir in dirs.iter() {
                if !matches!(dir, Directory::M365Tenant(_)) {
                    continue;
                }
                let before = shared || cx.bound_before.get(user).is_some_and(|b| b.contains(dir));
                let replaced = before && replaced_users.contains(user.as_str());
                // Neither replaced nor gaining an address another user lost: nothing to say
                // (most users, who keep their binding), known before their email is read.
                if !replaced && (before || lost.is_empty()) {
                    continue;
                }
                let address = user_addr(user);
                let Some(e) = email(&cx.after, user) else {
                    continue;
                };
                let old: Vec<&String> = lost
                    .get(&(dir.clone(), e.clone()))
                    .map(|v| v.iter().filter(|u| *u != user).collect())
                    .unwrap_or_default();
                if !(replaced || (!before && !old.is_empty())) {
                    continue;
                }
                let mut targets = vec![address.clone()];
                targets.extend(old.iter().map(|u| user_addr(u)));
                let how = if replaced {
                    format!("deletes and re-creates `{user}`")
                } else {
                    format!(
                        "ends the binding of {} and binds `{user}`",
                        old.iter()
                            .map(|u| format!("`{u}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                out.push(Finding::new(
                    &LCK111,
                    targets,
                    cx.change(&address)
                        .map(|_| address.clone())
                        .or_else(|| cx.bind_cause(user, dir)),
                    format!(
                        "the plan {how} to {dir} with the same email address `{e}`; Microsoft 365 \
                         can hold the address for up to 24 hours before it can be provisioned \
                         again"
                    ),
                    "keep the existing user (rename or update it) instead of re-creating it, or \
                     bind the address again 24 hours after the unbind",
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{run, summary};
    use crate::model::ManageMode;

    /// alice (bound to contoso) is gone from the files and `alice2` (bound to contoso) is new.
    /// `taken_over`: alice2 has alice's address.
    fn files_and_org(new_email: &str) -> (crate::model::Model, crate::model::live::LiveState) {
        let mut alice2 = with_password(user("alice2"), "Sufficient-12");
        alice2.attrs.email = Some(new_email.into());
        let mut model = Files::new()
            .user("alice2", alice2)
            .tenant("contoso", "t1")
            .bind(m365("contoso"), su("alice2"))
            .build();
        model.settings.manage.users = ManageMode::Full;
        let live = Org::new()
            .user("u1", "alice")
            .tenant("t1", "Contoso", &[])
            .bind(m365("t1"), su("u1"))
            .build();
        (model, live)
    }

    fn check(new_email: &str) -> Vec<String> {
        let (model, live) = files_and_org(new_email);
        summary(&run(&Lck111, &model, &live))
    }

    #[test]
    fn a_new_key_with_the_old_address_is_a_rename_so_nothing_fires() {
        // The diff keeps the account (a rename, issue 10), so the address is never released.
        assert!(check("alice@example.com").is_empty());
    }

    #[test]
    fn quiet_for_another_address() {
        assert!(check("alice2@example.com").is_empty());
    }

    /// The diff never deletes and re-creates a user (identity keeps the account; moving an
    /// address between users in one plan is a plan error), so this rule is a guard for plans
    /// built otherwise: a replace of a bound user, as a plan may hold it, fires.
    #[test]
    fn a_replace_of_a_bound_user_fires() {
        let mut alice = with_password(user("alice"), "Sufficient-12");
        alice.attrs.email = Some("alice@example.com".into());
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
        let mut plan = crate::plan::diff(&model, &live).expect("the fixture plans");
        let after = serde_json::json!({"username": "alice", "email": "alice@example.com"});
        plan.changes.push(crate::plan::Change {
            reason: "re-created".into(),
            ..crate::plan::Change::from_json_sides(
                user_addr("alice"),
                Action::Replace,
                after.clone(),
                after,
            )
            .expect("a plan side")
        });
        let origins = crate::model::lower::Origins::default();
        let cx = Context::with_org(&model, &origins, &live, &plan);
        let found = summary(&Lck111.check(&cx));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("user.alice"), "{found:?}");
    }
}
