//! LCK001 multiple-delegation-domains.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK001};
use crate::lint::context::{list, user_addr};
use crate::lint::{Context, Finding, Rule};
use crate::model::Directory;

rule_struct!(
    Lck001,
    r#"## What it catches
A user who, after the plan, is effectively bound to two or more delegation domains (AD domains
whose delegation is `ENABLED`). Effective means directly or through any static or dynamic group
bound to the domain. Without an org, the declared bindings and `delegation: enabled` are used.

## Why it locks people out
JumpCloud cannot tell which domain should check the password, so it refuses the user's User
Portal and SSO logins.

## Example
```yaml
ad_domains:
  corp: {domain: corp.example.com, delegation: enabled}
  emea: {domain: emea.example.com, delegation: enabled}
bindings:
  - {ad_domain: corp, groups: [engineering]}
  - {ad_domain: emea, users: [alice]}   # alice is also in engineering
```

## Fix
Bind the user to one delegation domain only: remove the extra direct binding, take them out of
the group bound to the other domain, or turn delegation off on one of the domains.
"#
);

impl Rule for Lck001 {
    fn info(&self) -> &'static RuleInfo {
        &LCK001
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        false
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        // Who: the access model's verdict; what to say: their bindings.
        for name in cx.access.portal_blocked_by(LCK001.code) {
            let Some(dirs) = cx.bound_after.get(name) else {
                continue;
            };
            let delegation: Vec<&Directory> = dirs
                .iter()
                .filter(|d| match d {
                    Directory::AdDomain(k) => cx
                        .after
                        .ad_domains
                        .get(k)
                        .is_some_and(|d| d.is_delegation_domain()),
                    Directory::M365Tenant(_) | Directory::SsoApp(_) => false,
                })
                .collect();
            let cause = delegation.iter().find_map(|d| cx.bind_cause(name, d));
            out.push(Finding::new(
                &LCK001,
                vec![user_addr(name)],
                cause,
                format!(
                    "`{name}` is bound to {} delegation domains: {}; JumpCloud refuses their User \
                     Portal and SSO logins",
                    delegation.len(),
                    list(delegation.iter().map(|d| cx.via(name, d)))
                ),
                "bind the user to one delegation domain only (directly or through one group), or \
                 turn delegation off on the others",
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{offline, run, summary};
    use crate::model::Delegation;

    #[test]
    fn fires_when_a_group_adds_a_second_delegation_domain() {
        let model = Files::new()
            .user("alice", user("alice"))
            .group("eng", Some(&["alice"]))
            .ad("corp", "corp.example.com", None)
            .ad("emea", "emea.example.com", None)
            .bind(ad("corp"), su("alice"))
            .bind(ad("emea"), sg("eng"))
            .build();
        let live = Org::new()
            .user("u1", "alice")
            .group("g1", "eng", &[])
            .ad("a1", "corp.example.com", Delegation::Enabled)
            .ad("a2", "emea.example.com", Delegation::Enabled)
            .bind(ad("a1"), su("u1"))
            .bind(ad("a2"), sg("g1"))
            .build();
        let found = run(&Lck001, &model, &live);
        assert_eq!(summary(&found), ["user.alice <- membership.eng.alice"]);
        assert!(found[0].message.contains("ad_domain.emea (via group.eng)"));
    }

    #[test]
    fn quiet_when_one_domain_does_not_delegate() {
        let model = Files::new()
            .user("alice", user("alice"))
            .ad("corp", "corp.example.com", Some(Delegation::Enabled))
            .ad("emea", "emea.example.com", Some(Delegation::Disabled))
            .bind(ad("corp"), su("alice"))
            .bind(ad("emea"), su("alice"))
            .build();
        assert!(offline(&Lck001, &model).is_empty());
        let mut both = model.clone();
        if let Some(d) = both.ad_domains.get_mut("emea") {
            d.delegation = Some(Delegation::Enabled);
        }
        assert_eq!(summary(&offline(&Lck001, &both)), ["user.alice"]);
    }
}
