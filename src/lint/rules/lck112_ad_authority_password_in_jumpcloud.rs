//! LCK112 ad-authority-password-in-jumpcloud.

use std::collections::BTreeMap;

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK112};
use crate::lint::context::{list, user_addr, users_phrase};
use crate::lint::{Context, Finding, Rule};
use crate::model::{Address, UseCase};

rule_struct!(
    Lck112,
    r#"## What it catches
Users who delegate (after the plan) to an AD domain with `use_case: ad_as_authority` ("Manage
users and passwords in Active Directory") whose import agents all run on member servers, when
their password authority is not Active Directory. One finding per domain, listing the users.

The password authority is the console's "Password Authority" setting. The API keeps it as the
user's `restrictedFields` entry for `password` (v1 `restrictedField`: `field: password`,
`type: active_directory`, `id`: the AD instance); that field is part of the v1 request bodies
for creating and updating a user (`systemuserputpost`, `systemuserput`), so jcform reads it and
writes it: declare `password_authority: active_directory` on the user (with
`delegated_authority` naming the domain). The console label is mapped to this field by
JumpCloud's API reference, not by a statement in the console docs: check one user in the console
after the first apply.

## Why it matters
With the agents on member servers the AD password never reaches JumpCloud, and the password lives
in AD only. If the password authority is JumpCloud, an admin or the user can still set a password
in JumpCloud that AD never sees: two passwords for one person, and Cloud LDAP, Cloud RADIUS and
device logins use the one AD does not know.

## Example
An org where `corp` (`ad_as_authority`) has its only import agent on a member server, and
```yaml
users:
  alice: {email: alice@example.com, delegated_authority: corp}   # password authority: JumpCloud
```

## Fix
Set `password_authority: active_directory` on these users (JumpCloud's own advice for this
configuration), or install an import agent on a domain controller.
"#
);

impl Rule for Lck112 {
    fn info(&self) -> &'static RuleInfo {
        &LCK112
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut by_domain: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, u) in &cx.after.users {
            let Some(key) = u.delegated_authority.as_deref() else {
                continue;
            };
            let Some(d) = cx.after.ad_domains.get(key) else {
                continue;
            };
            if d.created || d.deleted || d.use_case != UseCase::AdAsAuthority {
                continue;
            }
            if !d.member_servers_only() {
                continue;
            }
            if u.password_authority.as_deref()
                == crate::model::PasswordAuthorityDecl::ActiveDirectory.api_kind()
            {
                continue;
            }
            by_domain.entry(key).or_default().push(name);
        }
        by_domain
            .into_iter()
            .map(|(key, users)| {
                Finding::new(
                    &LCK112,
                    users.iter().map(|u| user_addr(u)).collect(),
                    None,
                    format!(
                        "{} delegate to {} (passwords managed in Active Directory, import agents \
                         on member servers only) but their password authority is not Active \
                         Directory: {}; a password can be set in JumpCloud that AD never sees",
                        users_phrase(users.len()),
                        Address::AdDomain(key.to_string()),
                        list(&users)
                    ),
                    "set `password_authority: active_directory` on these users",
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
    use crate::model::{Delegation, PasswordAuthorityDecl};

    fn check(host: &str, authority: Option<PasswordAuthorityDecl>) -> Vec<String> {
        let mut alice = delegated("alice", "corp");
        alice.password_authority = authority;
        let model = Files::new()
            .user("alice", alice)
            .ad("corp", "corp.example.com", None)
            .bind(ad("corp"), su("alice"))
            .build();
        let live = Org::new()
            .user("u1", "alice")
            .ad_with("a1", "corp.example.com", Delegation::Enabled, &[host])
            .ad_edit("a1", |d| d.use_case = UseCase::AdAsAuthority)
            .bind(ad("a1"), su("u1"))
            .build();
        summary(&run(&Lck112, &model, &live))
    }

    #[test]
    fn fires_when_the_password_authority_is_jumpcloud() {
        assert_eq!(check("MEMBER_SERVER", None), ["user.alice"]);
        assert_eq!(
            check("MEMBER_SERVER", Some(PasswordAuthorityDecl::Jumpcloud)),
            ["user.alice"]
        );
    }

    #[test]
    fn quiet_with_ad_as_authority_or_an_agent_on_a_dc() {
        assert!(check(
            "MEMBER_SERVER",
            Some(PasswordAuthorityDecl::ActiveDirectory)
        )
        .is_empty());
        assert!(check("DOMAIN_CONTROLLER", None).is_empty());
    }
}
