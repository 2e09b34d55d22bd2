//! LCK008 delegation-agent-too-old.

use std::collections::BTreeMap;

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK008};
use crate::lint::context::{list, user_addr, users_phrase};
use crate::lint::{Context, Finding, Rule};
use crate::model::Address;

rule_struct!(
    Lck008,
    r#"## What it catches
Users who delegate (after the plan) to an AD domain whose primary import agent is older than
version 3.0, or, when the org names no primary import agent (or it reports no version), whose
every import agent is older than 3.0. Versions come from the agents as the org reports them
(`version`, e.g. `2.6.0`); an agent that reports none is not judged. One finding per domain and
cause, listing the users.

## Why it locks people out
Delegated authentication to AD is supported by the import agent v3.0 and higher only, and the
primary import agent must be v3.0 or higher. With an older agent the password cannot be checked
in AD: the users' User Portal and SSO logins fail.

## Example
An org where `corp`'s only import agent reports `version: 2.6.0`, and
```yaml
users:
  alice: {email: alice@example.com, delegated_authority: corp}
```

## Fix
Upgrade the import agents to v3.0 or higher (from v2.6.0 or lower, "Install New Agent" in the
ADI details page gives the connect key the upgrade needs), then delegate. Until then keep
`delegated_authority: none` for these users.
"#
);

impl Rule for Lck008 {
    fn info(&self) -> &'static RuleInfo {
        &LCK008
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut groups: BTreeMap<(String, Option<Address>), Vec<String>> = BTreeMap::new();
        for name in cx.access.portal_blocked_by(LCK008.code) {
            let Some(key) = cx
                .after
                .users
                .get(name)
                .and_then(|u| u.delegated_authority.clone())
            else {
                continue;
            };
            let address = user_addr(name);
            let cause = cx
                .change(&address)
                .filter(|c| {
                    c.after
                        .user()
                        .is_some_and(|u| u.delegated_authority.is_present())
                })
                .map(|_| address.clone());
            groups
                .entry((key, cause))
                .or_default()
                .push(name.to_string());
        }
        groups
            .into_iter()
            .map(|((key, cause), users)| {
                let versions = cx
                    .after
                    .ad_domains
                    .get(&key)
                    .map(agent_versions)
                    .unwrap_or_default();
                Finding::new(
                    &LCK008,
                    users.iter().map(|u| user_addr(u)).collect(),
                    cause,
                    format!(
                        "{} delegate to {} whose import agents are older than 3.0 ({versions}): \
                         {}; delegated authentication needs v3.0 or higher, so they cannot log \
                         in",
                        users_phrase(users.len()),
                        Address::AdDomain(key.clone()),
                        list(&users)
                    ),
                    "upgrade the domain's import agents to v3.0 or higher first, or keep \
                     `delegated_authority: none` for these users until then",
                )
            })
            .collect()
    }
}

/// `primary 2.6.0, 2.6.0, 3.1.0`: the import agents' versions as reported.
pub fn agent_versions(d: &crate::plan::state::StateAdDomain) -> String {
    d.import_agents()
        .map(|a| {
            let v = a.version.as_deref().unwrap_or("unknown");
            if d.primary_import_agent.as_deref() == Some(a.id.as_str()) {
                format!("primary {v}")
            } else {
                v.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{run, summary};
    use crate::model::Delegation;

    /// alice delegates to corp, whose import agents are (host, version), the first primary.
    fn check(agents: &[(&str, Option<&str>)], primary: bool) -> Vec<String> {
        let model = Files::new()
            .user("alice", delegated("alice", "corp"))
            .ad("corp", "corp.example.com", None)
            .bind(ad("corp"), su("alice"))
            .build();
        let live = Org::new()
            .user("u1", "alice")
            .ad_agents("a1", "corp.example.com", Delegation::Enabled, agents)
            .ad_edit("a1", |d| {
                if !primary {
                    d.primary_import_agent = None;
                }
            })
            .bind(ad("a1"), su("u1"))
            .build();
        summary(&run(&Lck008, &model, &live))
    }

    const DC: &str = "DOMAIN_CONTROLLER";

    /// Import agents as (host role, version); the first is the primary.
    type Agents<'a> = &'a [(&'a str, Option<&'a str>)];

    #[test]
    fn fires_when_the_primary_or_every_agent_is_older_than_3_0() {
        // (agents, the org names the first as primary, fires)
        let cases: &[(Agents, bool, bool)] = &[
            (&[(DC, Some("2.6.0"))], true, true),
            (&[(DC, Some("2.6.0")), (DC, Some("3.1.0"))], true, true),
            (&[(DC, Some("2.6.0")), (DC, Some("2.9"))], false, true),
            (&[(DC, Some("v2.6.0"))], false, true),
        ];
        for (agents, primary, fires) in cases {
            let found = check(agents, *primary);
            assert_eq!(
                found == ["user.alice <- user.alice"],
                *fires,
                "{agents:?} primary={primary}: {found:?}"
            );
        }
    }

    #[test]
    fn quiet_with_a_new_enough_primary_or_unknown_versions() {
        let cases: &[(Agents, bool)] = &[
            (&[(DC, Some("3.0.0"))], true),
            (&[(DC, Some("3.1.0")), (DC, Some("2.6.0"))], true),
            (&[(DC, Some("2.6.0")), (DC, Some("3.1.0"))], false),
            (&[(DC, None)], true),
            (&[(DC, Some("unknown"))], false),
        ];
        for (agents, primary) in cases {
            assert!(check(agents, *primary).is_empty(), "{agents:?} {primary}");
        }
    }
}
