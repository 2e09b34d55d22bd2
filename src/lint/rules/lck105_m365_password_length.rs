//! LCK105 m365-password-length.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK105};
use crate::lint::context::user_addr;
use crate::lint::{Context, Finding, Rule};
use crate::model::Directory;

rule_struct!(
    Lck105,
    r#"## What it catches
An initial password for a user the plan creates who is effectively bound to an M365 tenant, when
the password is shorter than 8 or longer than 16 characters. Runs without an org (then every
declared user counts as new). A password jcform cannot read (an unset environment variable, a
missing file) is not checked here: the plan reports it.

## Why it matters
JumpCloud syncs the password to Microsoft 365, which only takes 8 to 16 characters: outside that
range the sync fails and the user has no working M365 password.

## Example
```yaml
users:
  dana: {email: dana@contoso.com, initial_password: {env: DANA_PASSWORD}}   # 6 characters
```

## Fix
Use an initial password of 8 to 16 characters for M365-bound users.
"#
);

impl Rule for Lck105 {
    fn info(&self) -> &'static RuleInfo {
        &LCK105
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        false
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for (name, u) in &cx.after.users {
            let (true, Some(source)) = (u.created, &u.initial_password) else {
                continue;
            };
            if !cx
                .bound(name)
                .any(|d| matches!(d, Directory::M365Tenant(_)))
            {
                continue;
            }
            // Only the length is looked at; the value never leaves this block.
            let Ok(password) = source.resolve() else {
                continue;
            };
            let problem = match password.chars().count() {
                n if n < 8 => "shorter than 8",
                n if n > 16 => "longer than 16",
                _ => continue,
            };
            out.push(Finding::new(
                &LCK105,
                vec![user_addr(name)],
                cx.change(&user_addr(name)).map(|_| user_addr(name)),
                format!(
                    "the initial password of M365-bound user `{name}` is {problem} characters; \
                     JumpCloud's password sync to Microsoft 365 fails outside 8 to 16"
                ),
                "use an initial password of 8 to 16 characters",
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

    fn check(password: &str) -> Vec<String> {
        let model = Files::new()
            .user("dana", with_password(user("dana"), password))
            .tenant("contoso", "t1")
            .bind(m365("contoso"), su("dana"))
            .build();
        summary(&offline(&Lck105, &model))
    }

    #[test]
    fn fires_outside_8_to_16() {
        assert_eq!(check("short"), ["user.dana"]);
        assert_eq!(check("a-very-long-password-indeed"), ["user.dana"]);
    }

    #[test]
    fn quiet_inside_8_to_16() {
        assert!(check("exactly8").is_empty());
        assert!(check("sixteen-chars-ok").is_empty());
    }
}
