//! SEC001 plaintext-password.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, SEC001};
use crate::lint::context::user_addr;
use crate::lint::{Context, Finding, Rule};
use crate::model::SecretSource;

rule_struct!(
    Sec001,
    r#"## What it catches
An `initial_password` written as a literal string in a config file instead of
`{env: VARIABLE}` or `{file: path}`. Runs without an org.

## Why it matters
Config files are committed, reviewed and copied into CI logs: a password in one is a password
shared with everyone who can read the repository, for as long as its history exists.

## Example
```yaml
users:
  dana: {email: dana@example.com, initial_password: "Winter2025!"}
```

## Fix
Move the value out of the file: `initial_password: {env: DANA_PASSWORD}` or
`initial_password: {file: secrets/dana}` (keep that file out of version control), and change the
password if the file was ever shared.
"#
);

impl Rule for Sec001 {
    fn info(&self) -> &'static RuleInfo {
        &SEC001
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        false
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        cx.model
            .users
            .iter()
            .filter(|(_, u)| matches!(u.initial_password, Some(SecretSource::Literal(_))))
            .map(|(name, _)| {
                Finding::new(
                    &SEC001,
                    vec![user_addr(name)],
                    None,
                    format!("the initial password of `{name}` is written in the config file"),
                    "use `initial_password: {env: VAR}` or `{file: path}` instead, and change the \
                     password if the file was shared",
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{offline, summary};

    #[test]
    fn fires_for_a_literal() {
        let model = Files::new()
            .user("dana", with_password(user("dana"), "Winter2025!"))
            .build();
        let found = offline(&Sec001, &model);
        assert_eq!(summary(&found), ["user.dana"]);
        assert!(!found[0].message.contains("Winter2025!"));
    }

    #[test]
    fn quiet_for_env_and_file() {
        let mut dana = user("dana");
        dana.initial_password = Some(SecretSource::Env("DANA_PASSWORD".into()));
        let model = Files::new()
            .user("dana", dana)
            .user("erin", user("erin"))
            .build();
        assert!(offline(&Sec001, &model).is_empty());
    }
}
