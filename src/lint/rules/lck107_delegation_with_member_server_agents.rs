//! LCK107 delegation-with-member-server-agents.

use std::collections::BTreeMap;

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK107};
use crate::lint::context::{list, user_addr};
use crate::lint::{Context, Finding, Rule};
use crate::model::Address;

rule_struct!(
    Lck107,
    r#"## What it catches
Users who delegate (after the plan) to an AD domain whose import agents all run on member
servers rather than domain controllers. One finding per domain, listing the users. A domain with
no import agent at all is LCK002's. The role is the agent's `hostType` as the API reports it
(`DOMAIN_CONTROLLER` or `MEMBER_SERVER`); an agent that reports none is not counted as either, so
a domain with such an agent is not reported.

## Why it matters
Only an agent on a domain controller sees password changes, so these users' passwords never
reach JumpCloud. Delegated authentication covers the User Portal and SSO, but Cloud LDAP, Cloud
RADIUS and device logins need the password in JumpCloud: they fail for these users.

## Example
An org where `corp`'s only import agent runs on `FILES01` (a member server) and
```yaml
users:
  alice: {email: alice@example.com, delegated_authority: corp}
```

## Fix
Install an import agent on a domain controller, or do not rely on Cloud LDAP, Cloud RADIUS or
device logins for these users.
"#
);

impl Rule for Lck107 {
    fn info(&self) -> &'static RuleInfo {
        &LCK107
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        // The access model marks the users; one finding per domain.
        let mut by_domain: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, verdict) in cx.access.citing() {
            if !verdict.non_delegable.blocked_by.contains(&LCK107.code) {
                continue;
            }
            if let Some(key) = cx
                .after
                .users
                .get(name)
                .and_then(|u| u.delegated_authority.as_deref())
            {
                by_domain.entry(key).or_default().push(name);
            }
        }
        by_domain
            .into_iter()
            .map(|(key, users)| {
                Finding::new(
                    &LCK107,
                    users.iter().map(|u| user_addr(u)).collect(),
                    None,
                    format!(
                        "{} delegate to {} whose import agents all run on member servers: {}; \
                         their passwords never reach JumpCloud, so Cloud LDAP, Cloud RADIUS and \
                         device logins fail for them",
                        if users.len() == 1 {
                            "1 user".to_string()
                        } else {
                            format!("{} users", users.len())
                        },
                        Address::AdDomain(key.to_string()),
                        list(&users)
                    ),
                    "install an import agent on a domain controller",
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
    use crate::model::Delegation;

    fn check(hosts: &[&str]) -> Vec<String> {
        let model = Files::new()
            .user("alice", delegated("alice", "corp"))
            .ad("corp", "corp.example.com", None)
            .build();
        let live = Org::new()
            .user("u1", "alice")
            .ad_with("a1", "corp.example.com", Delegation::Enabled, hosts)
            .build();
        summary(&run(&Lck107, &model, &live))
    }

    #[test]
    fn fires_when_every_agent_is_on_a_member_server() {
        assert_eq!(check(&["MEMBER_SERVER", "MEMBER_SERVER"]), ["user.alice"]);
        assert_eq!(check(&["MEMBER"]), ["user.alice"], "the short spelling too");
    }

    #[test]
    fn quiet_with_an_agent_on_a_domain_controller() {
        // Regression: the API spells it DOMAIN_CONTROLLER; only `DC` used to count, so every
        // domain controller was taken for a member server.
        assert!(check(&["MEMBER_SERVER", "DOMAIN_CONTROLLER"]).is_empty());
        assert!(check(&["DOMAIN_CONTROLLER"]).is_empty());
        assert!(check(&["MEMBER_SERVER", "DC"]).is_empty());
        assert!(
            check(&["MEMBER_SERVER", "UNKNOWN"]).is_empty(),
            "unknown role: not judged"
        );
        assert!(check(&[]).is_empty(), "no agent at all is LCK002's");
    }
}
