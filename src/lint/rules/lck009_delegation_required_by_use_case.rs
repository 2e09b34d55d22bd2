//! LCK009 delegation-required-by-use-case.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK009};
use crate::lint::{Context, Finding, Rule};
use crate::model::{Address, Delegation, UseCase};

rule_struct!(
    Lck009,
    r#"## What it catches
An AD domain with `use_case: ad_as_authority` ("Manage users and passwords in Active Directory")
that the files declare, or the plan leaves, with `delegation: disabled`. Runs without an org too
(on what the files declare).

## Why it locks people out
In that configuration Delegated Password Validation is enabled by default and cannot be disabled.
The plan promises something apply cannot do: the org keeps delegating while the files say it
does not, so every later plan and every lockout rule reasons about a domain that is not the real
one, and users the files think log in with a JumpCloud password are sent to AD.

## Example
```yaml
ad_domains:
  corp: {domain: corp.example.com, use_case: ad_as_authority, delegation: disabled}
```

## Fix
Declare `delegation: enabled` (or leave `delegation` out) for an `ad_as_authority` domain. To
stop delegating, change its use case to `two_way_sync` first, then disable delegation.
"#
);

impl Rule for Lck009 {
    fn info(&self) -> &'static RuleInfo {
        &LCK009
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        false
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for (key, d) in &cx.after.ad_domains {
            if d.deleted || d.use_case != UseCase::AdAsAuthority {
                continue;
            }
            if d.delegation != Delegation::Disabled {
                continue;
            }
            // Declared (or planned): the files name the domain with a use case or delegation.
            let declared = cx
                .model
                .ad_domains
                .get(key)
                .is_some_and(|m| m.use_case.is_some() || m.delegation.is_some());
            if !declared {
                continue;
            }
            let address = Address::AdDomain(key.clone());
            out.push(Finding::new(
                &LCK009,
                vec![address.clone()],
                cx.change(&address).map(|_| address.clone()),
                format!(
                    "{address} uses `ad_as_authority` (\"Manage users and passwords in Active \
                     Directory\") with delegation disabled; Delegated Password Validation cannot \
                     be disabled in that configuration, so apply cannot do what the plan says"
                ),
                "declare `delegation: enabled` for this domain, or change its use case to \
                 `two_way_sync` before disabling delegation",
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

    fn files(use_case: UseCase, delegation: Option<Delegation>) -> crate::model::Model {
        Files::new()
            .ad("corp", "corp.example.com", delegation)
            .ad_edit("corp", |d| d.use_case = Some(use_case))
            .build()
    }

    #[test]
    fn fires_offline_and_with_an_org() {
        let model = files(UseCase::AdAsAuthority, Some(Delegation::Disabled));
        assert_eq!(summary(&offline(&Lck009, &model)), ["ad_domain.corp"]);
        let live = Org::new()
            .ad("a1", "corp.example.com", Delegation::Enabled)
            .ad_edit("a1", |d| d.use_case = UseCase::AdAsAuthority)
            .build();
        assert_eq!(
            summary(&run(&Lck009, &model, &live)),
            ["ad_domain.corp <- ad_domain.corp"]
        );
    }

    #[test]
    fn quiet_when_delegating_or_another_use_case() {
        for (use_case, delegation) in [
            (UseCase::AdAsAuthority, Some(Delegation::Enabled)),
            (UseCase::TwoWaySync, Some(Delegation::Disabled)),
        ] {
            let model = files(use_case, delegation);
            assert!(offline(&Lck009, &model).is_empty(), "{use_case:?}");
        }
        // The files leave delegation out of a live ad_as_authority domain: nothing promised.
        let model = Files::new().ad("corp", "corp.example.com", None).build();
        let live = Org::new()
            .ad("a1", "corp.example.com", Delegation::Enabled)
            .ad_edit("a1", |d| d.use_case = UseCase::AdAsAuthority)
            .build();
        assert!(run(&Lck009, &model, &live).is_empty());
    }
}
