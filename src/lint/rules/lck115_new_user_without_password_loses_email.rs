//! LCK115 new-user-without-password-loses-email.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK115};
use crate::lint::context::user_addr;
use crate::lint::{Context, Finding, Rule};

rule_struct!(
    Lck115,
    r#"## What it catches
A user the plan creates with no `initial_password` who does not delegate to AD and is not bound
to an M365 tenant (when they are, LCK005 fires instead). A notice: it never blocks apply and
never changes an exit code.

## Why it matters
The user has no password until they set one from JumpCloud's activation email. If their mailbox
is provisioned by Microsoft 365 (or anything else that needs the JumpCloud account first), the
email cannot reach them, and JumpCloud may stop emailing the address altogether (support has to
unlock it).

## Example
```yaml
users:
  erin: {email: erin@example.com}   # new, no initial_password, no delegated_authority
```

## Fix
Give the user an initial password (`initial_password: {env: VAR}` or `{file: path}`), or make
sure their mailbox exists before the plan is applied.
"#
);

impl Rule for Lck115 {
    fn info(&self) -> &'static RuleInfo {
        &LCK115
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        cx.access
            .portal_blocked_by(LCK115.code)
            .into_iter()
            .map(|name| {
                Finding::new(
                    &LCK115,
                    vec![user_addr(name)],
                    Some(user_addr(name)),
                    format!(
                        "new user `{name}` gets no initial password and does not delegate to AD: \
                         they can log in only after the activation email, which cannot reach a \
                         mailbox that does not exist yet"
                    ),
                    "add `initial_password: {env: VAR}` (or `{file: path}`) to the user",
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
    use crate::model::live::LiveState;

    #[test]
    fn fires_for_a_new_user_without_a_password() {
        let model = Files::new().user("erin", user("erin")).build();
        assert_eq!(
            summary(&run(&Lck115, &model, &LiveState::default())),
            ["user.erin <- user.erin"]
        );
    }

    #[test]
    fn quiet_with_a_password_when_delegated_or_m365_bound() {
        let with_pw = Files::new()
            .user("erin", with_password(user("erin"), "Sufficient-12"))
            .build();
        assert!(run(&Lck115, &with_pw, &LiveState::default()).is_empty());
        let delegated = Files::new()
            .user("erin", delegated("erin", "corp"))
            .ad("corp", "corp.example.com", None)
            .build();
        assert!(run(&Lck115, &delegated, &LiveState::default()).is_empty());
        let m365_bound = Files::new()
            .user("erin", user("erin"))
            .tenant("contoso", "t1")
            .bind(m365("contoso"), su("erin"))
            .build();
        let org = crate::lint::fixture::Org::new()
            .tenant("t1", "Contoso", &["example.com"])
            .build();
        assert!(run(&Lck115, &m365_bound, &org).is_empty(), "LCK005's");
    }
}
