//! LCK106 ad-username-too-long.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK106};
use crate::lint::context::{list, user_addr};
use crate::lint::{Context, Finding, Rule};
use crate::model::Directory;

/// Characters sAMAccountName cannot hold.
const FORBIDDEN: &[char] = &[
    '"', '/', '\\', '[', ']', ':', ';', '|', '=', ',', '+', '*', '?', '<', '>',
];

rule_struct!(
    Lck106,
    r#"## What it catches
A user effectively bound to an AD domain whose username AD cannot take as sAMAccountName: longer
than 20 characters, or containing one of `" / \ [ ] : ; | = , + * ? < >`. Runs without an org on
the declared bindings.

## Why it matters
AD Sync matches and creates AD accounts by username. A username AD cannot hold never syncs: the
user gets no AD account, or stays unmatched to the one they have.

## Example
```yaml
users:
  anna.lindqvist-johansson: {email: anna@example.com}   # 24 characters
bindings:
  - {ad_domain: corp, users: [anna.lindqvist-johansson]}
```

## Fix
Use a username of at most 20 characters without those characters (JumpCloud usernames can be
renamed; the AD account is matched by the new name).
"#
);

fn problem(username: &str) -> Option<String> {
    // Every forbidden character is ASCII, and no byte of a non-ASCII character is: a short name
    // without any of those bytes is fine (most names; checked without counting characters).
    let forbidden_byte = |b: u8| b.is_ascii() && FORBIDDEN.contains(&char::from(b));
    if username.len() <= 20 && !username.bytes().any(forbidden_byte) {
        return None;
    }
    let n = username.chars().count();
    if n > 20 {
        return Some(format!("is {n} characters long (AD allows 20)"));
    }
    let bad: Vec<String> = username
        .chars()
        .filter(|c| FORBIDDEN.contains(c))
        .map(|c| format!("`{c}`"))
        .collect();
    (!bad.is_empty()).then(|| format!("contains {}", bad.join(" ")))
}

impl Rule for Lck106 {
    fn info(&self) -> &'static RuleInfo {
        &LCK106
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        false
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        // Each user's directories as the walk finds them, not looked up again by name.
        for (name, dirs) in cx.bound_after.iter() {
            let ad_domain = |d: &&Directory| matches!(d, Directory::AdDomain(_));
            if !dirs.iter().any(|d| ad_domain(&d)) {
                continue;
            }
            let Some(problem) = problem(name) else {
                continue;
            };
            let domains: Vec<&Directory> = dirs.iter().filter(ad_domain).collect();
            out.push(Finding::new(
                &LCK106,
                vec![user_addr(name)],
                None,
                format!(
                    "`{name}` is bound to {} but the username {problem}; AD cannot take it as \
                     sAMAccountName",
                    list(&domains)
                ),
                "use a username of at most 20 characters without \" / \\ [ ] : ; | = , + * ? < >",
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

    fn check(name: &str) -> Vec<String> {
        let model = Files::new()
            .user(name, user(name))
            .ad("corp", "corp.example.com", None)
            .bind(ad("corp"), su(name))
            .build();
        summary(&offline(&Lck106, &model))
    }

    #[test]
    fn fires_for_long_or_forbidden_names() {
        assert_eq!(check("anna.lindqvist-johansson").len(), 1);
        assert_eq!(check("a+b").len(), 1);
    }

    #[test]
    fn quiet_for_valid_names() {
        // 20 characters, non-ASCII letters are fine.
        assert!(check("josé.müller-01234567").is_empty());
    }
}
