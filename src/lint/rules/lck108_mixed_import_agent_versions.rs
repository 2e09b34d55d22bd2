//! LCK108 mixed-import-agent-versions.

use std::collections::BTreeSet;

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK108};
use crate::lint::context::list;
use crate::lint::{Context, Finding, Rule};
use crate::model::Address;

rule_struct!(
    Lck108,
    r#"## What it catches
A delegation domain (delegation `ENABLED` after the plan) whose import agents report different
versions (`3.1.0` and `3.0.2`, say). Agents that report no version are not compared.

## Why it matters
JumpCloud asks that all installed import agents run the same version: otherwise behaviour is
unexpected, and users may not be able to log in if the primary agent is switched to an agent
that cannot do what the primary did (an agent older than 3.0 cannot check passwords at all).

## Example
An org where `corp` delegates and its import agents on `dc01` and `dc02` report `3.1.0` and
`2.6.0`.

## Fix
Upgrade every import agent of the domain to the same version (v3.0 or higher).
"#
);

impl Rule for Lck108 {
    fn info(&self) -> &'static RuleInfo {
        &LCK108
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for (key, d) in &cx.after.ad_domains {
            if d.created || !d.is_delegation_domain() {
                continue;
            }
            let versions: BTreeSet<(u64, u64, u64)> = d
                .import_agents()
                .filter_map(|a| a.version_number())
                .collect();
            if versions.len() < 2 {
                continue;
            }
            let address = Address::AdDomain(key.clone());
            let users = cx.delegating_to(key);
            let who = if users.is_empty() {
                String::new()
            } else {
                format!("; users who delegate to it: {}", list(&users))
            };
            out.push(Finding::new(
                &LCK108,
                vec![address.clone()],
                None,
                format!(
                    "the import agents of {address} run different versions ({}); if the primary \
                     agent is switched, users may not be able to log in{who}",
                    super::lck008_delegation_agent_too_old::agent_versions(d)
                ),
                "upgrade every import agent of the domain to the same version (v3.0 or higher)",
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
    use crate::model::Delegation;

    fn check(delegation: Delegation, versions: &[Option<&str>]) -> Vec<String> {
        let model = Files::new().ad("corp", "corp.example.com", None).build();
        let agents: Vec<(&str, Option<&str>)> =
            versions.iter().map(|v| ("DOMAIN_CONTROLLER", *v)).collect();
        let live = Org::new()
            .ad_agents("a1", "corp.example.com", delegation, &agents)
            .build();
        summary(&run(&Lck108, &model, &live))
    }

    #[test]
    fn fires_for_different_versions_on_a_delegation_domain() {
        assert_eq!(
            check(Delegation::Enabled, &[Some("3.1.0"), Some("3.0.2")]),
            ["ad_domain.corp"]
        );
    }

    #[test]
    fn quiet_for_one_version_unknown_versions_or_no_delegation() {
        assert!(check(Delegation::Enabled, &[Some("3.1.0"), Some("v3.1.0")]).is_empty());
        assert!(check(Delegation::Enabled, &[Some("3.1.0"), None]).is_empty());
        assert!(check(Delegation::Disabled, &[Some("3.1.0"), Some("2.6.0")]).is_empty());
    }
}
