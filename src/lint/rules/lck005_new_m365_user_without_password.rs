//! LCK005 new-m365-user-without-password.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK005};
use crate::lint::context::{list, user_addr};
use crate::lint::{Context, Finding, Rule};
use crate::model::Directory;

rule_struct!(
    Lck005,
    r#"## What it catches
A user the plan creates who is effectively bound to an M365 tenant (directly or through a group)
and gets no `initial_password`.

## Why it locks people out
JumpCloud provisions the account to Microsoft 365 with the user's JumpCloud password. Without
one they cannot sign in to Microsoft 365, and JumpCloud may not be able to email them (their
mailbox is the M365 one).

## Example
```yaml
users:
  dana: {email: dana@contoso.com}          # new, no initial_password
bindings:
  - {m365_tenant: contoso, users: [dana]}
```

## Fix
Give the user an initial password from the environment or a file:
`initial_password: {env: DANA_PASSWORD}` or `initial_password: {file: secrets/dana}`.
"#
);

impl Rule for Lck005 {
    fn info(&self) -> &'static RuleInfo {
        &LCK005
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for name in cx.access.m365_blocked_by(LCK005.code) {
            let tenants: Vec<&Directory> = cx
                .bound(name)
                .filter(|d| matches!(d, Directory::M365Tenant(_)))
                .collect();
            if tenants.is_empty() {
                continue;
            }
            out.push(Finding::new(
                &LCK005,
                vec![user_addr(name)],
                Some(user_addr(name)),
                format!(
                    "new user `{name}` is bound to {} but gets no initial password; they cannot \
                     sign in to Microsoft 365, and JumpCloud may not be able to email them",
                    list(&tenants)
                ),
                "add `initial_password: {env: VAR}` (or `{file: path}`) to the user",
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

    fn check(u: crate::model::User) -> Vec<String> {
        let model = Files::new()
            .user("dana", u)
            .group("staff", Some(&["dana"]))
            .tenant("contoso", "t1")
            .bind(m365("contoso"), sg("staff"))
            .build();
        let live = Org::new().tenant("t1", "Contoso", &["example.com"]).build();
        summary(&run(&Lck005, &model, &live))
    }

    #[test]
    fn fires_for_a_new_bound_user_without_a_password() {
        assert_eq!(check(user("dana")), ["user.dana <- user.dana"]);
    }

    #[test]
    fn quiet_with_an_initial_password() {
        assert!(check(with_password(user("dana"), "Sufficient-12")).is_empty());
    }
}
