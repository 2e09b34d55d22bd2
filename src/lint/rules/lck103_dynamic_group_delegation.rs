//! LCK103 dynamic-group-delegation.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK103};
use crate::lint::{Context, Finding, Rule};
use crate::model::{Address, Directory, Subject};
use crate::plan::Action;

rule_struct!(
    Lck103,
    r#"## What it catches
A dynamic group (members computed by a rule) bound to a delegation domain after the plan. Needs
an org: only the org knows which groups are dynamic.

## Why it matters
The group's members gain access to the domain, but JumpCloud does not set their delegated
authority automatically: new members keep JumpCloud passwords (or none) until someone sets it.

## Example
```yaml
bindings:
  - {ad_domain: corp, groups: [all-engineers]}   # a dynamic group in the org
```

## Fix
Bind a static group instead, or set `delegated_authority` on each member in the files (and keep
it in step with the rule).
"#
);

impl Rule for Lck103 {
    fn info(&self) -> &'static RuleInfo {
        &LCK103
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for b in &cx.after.bindings {
            let (Directory::AdDomain(key), Subject::Group(g)) = (&b.directory, &b.subject) else {
                continue;
            };
            let dynamic = cx.after.groups.get(g).is_some_and(|g| g.dynamic);
            let delegation = cx
                .after
                .ad_domains
                .get(key)
                .is_some_and(|d| d.is_delegation_domain());
            if !dynamic || !delegation {
                continue;
            }
            let binding = Address::Binding(b.clone());
            let domain = Address::AdDomain(key.clone());
            let cause = if cx.has(&binding, Action::Create) {
                Some(binding)
            } else {
                cx.change(&domain).map(|_| domain.clone())
            };
            out.push(Finding::new(
                &LCK103,
                vec![Address::Group(g.clone())],
                cause,
                format!(
                    "dynamic group `{g}` is bound to delegation domain {domain}: its members gain \
                     access but their delegated authority is not set automatically"
                ),
                "bind a static group instead, or set `delegated_authority` on each member",
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

    fn check(dynamic: bool) -> Vec<String> {
        let model = Files::new()
            .ad("corp", "corp.example.com", None)
            .bind(ad("corp"), sg("eng"))
            .group("eng", None)
            .build();
        let org = Org::new().ad("a1", "corp.example.com", Delegation::Enabled);
        let org = if dynamic {
            org.dynamic_group("g1", "eng", &[])
        } else {
            org.group("g1", "eng", &[])
        };
        summary(&run(&Lck103, &model, &org.build()))
    }

    #[test]
    fn fires_for_a_dynamic_group() {
        assert_eq!(
            check(true),
            ["group.eng <- binding.ad_domain.corp.group.eng"]
        );
    }

    #[test]
    fn quiet_for_a_static_group() {
        assert!(check(false).is_empty());
    }
}
