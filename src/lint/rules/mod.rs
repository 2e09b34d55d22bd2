//! Every rule, one module each (`<code>_<slug>.rs`), and the one registry `check` runs.
//! Adding a rule: its file, its line here, its fixtures (see ARCHITECTURE.md).

pub mod lck001_multiple_delegation_domains;
pub mod lck002_delegation_target_unavailable;
pub mod lck003_delegation_disabled_with_delegated_users;
pub mod lck004_undelegated_without_password;
pub mod lck005_new_m365_user_without_password;
pub mod lck006_m365_multiple_tenants;
pub mod lck007_unknown_m365_tenant;
pub mod lck008_delegation_agent_too_old;
pub mod lck009_delegation_required_by_use_case;
pub mod lck010_federated_user_not_assigned;
pub mod lck011_federated_user_cannot_authenticate;
pub mod lck101_m365_unbind_blocks_sign_in;
pub mod lck102_suspend_disables_ad_account;
pub mod lck103_dynamic_group_delegation;
pub mod lck104_m365_email_domain_mismatch;
pub mod lck105_m365_password_length;
pub mod lck106_ad_username_too_long;
pub mod lck107_delegation_with_member_server_agents;
pub mod lck108_mixed_import_agent_versions;
pub mod lck109_m365_email_domain_change_ignored;
pub mod lck110_ad_identity_change;
pub mod lck111_m365_reprovision_delay;
pub mod lck112_ad_authority_password_in_jumpcloud;
pub mod lck113_m365_suspend_blocks_sign_in;
pub mod lck114_two_password_authorities;
pub mod lck115_new_user_without_password_loses_email;
pub mod lck116_federated_default_domain;
pub mod saf001_deletes_over_limit;
pub mod saf002_unbinds_over_limit;
pub mod sec001_plaintext_password;

use super::Rule;

/// Declares a rule's struct with its docs as one text: the `#[doc]` on the struct and the
/// `DOC` constant `jcform explain` prints come from the same literal.
macro_rules! rule_struct {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $name;

        impl $name {
            pub const DOC: &'static str = $doc;
        }
    };
}

pub(crate) use rule_struct;

pub static REGISTRY: &[&dyn Rule] = &[
    &lck001_multiple_delegation_domains::Lck001,
    &lck002_delegation_target_unavailable::Lck002,
    &lck003_delegation_disabled_with_delegated_users::Lck003,
    &lck004_undelegated_without_password::Lck004,
    &lck005_new_m365_user_without_password::Lck005,
    &lck006_m365_multiple_tenants::Lck006,
    &lck007_unknown_m365_tenant::Lck007,
    &saf001_deletes_over_limit::Saf001,
    &saf002_unbinds_over_limit::Saf002,
    &lck008_delegation_agent_too_old::Lck008,
    &lck009_delegation_required_by_use_case::Lck009,
    &lck010_federated_user_not_assigned::Lck010,
    &lck011_federated_user_cannot_authenticate::Lck011,
    &lck101_m365_unbind_blocks_sign_in::Lck101,
    &lck102_suspend_disables_ad_account::Lck102,
    &lck103_dynamic_group_delegation::Lck103,
    &lck104_m365_email_domain_mismatch::Lck104,
    &lck105_m365_password_length::Lck105,
    &lck106_ad_username_too_long::Lck106,
    &lck107_delegation_with_member_server_agents::Lck107,
    &sec001_plaintext_password::Sec001,
    &lck108_mixed_import_agent_versions::Lck108,
    &lck109_m365_email_domain_change_ignored::Lck109,
    &lck110_ad_identity_change::Lck110,
    &lck111_m365_reprovision_delay::Lck111,
    &lck112_ad_authority_password_in_jumpcloud::Lck112,
    &lck113_m365_suspend_blocks_sign_in::Lck113,
    &lck114_two_password_authorities::Lck114,
    &lck116_federated_default_domain::Lck116,
    &lck115_new_user_without_password_loses_email::Lck115,
];

#[cfg(test)]
pub(crate) mod testing {
    //! Runs one rule on a model and a live state, as `jcform plan` would.
    use crate::lint::{Context, Finding, Rule};
    use crate::model::live::LiveState;
    use crate::model::lower::Origins;
    use crate::model::Model;
    use crate::plan::diff;

    pub fn run(rule: &dyn Rule, model: &Model, live: &LiveState) -> Vec<Finding> {
        let plan = diff(model, live).expect("the fixture plans");
        let origins = Origins::default();
        let cx = Context::with_org(model, &origins, live, &plan);
        rule.check(&cx)
    }

    pub fn offline(rule: &dyn Rule, model: &Model) -> Vec<Finding> {
        let origins = Origins::default();
        rule.check(&Context::offline(model, &origins))
    }

    /// Each finding as `targets <- cause`.
    pub fn summary(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| {
                let targets: Vec<String> = f.targets.iter().map(ToString::to_string).collect();
                match &f.cause {
                    Some(c) => format!("{} <- {c}", targets.join(" ")),
                    None => targets.join(" "),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::catalog::CATALOG;

    #[test]
    fn every_catalogued_rule_is_registered_once_with_its_docs() {
        let codes: Vec<&str> = REGISTRY.iter().map(|r| r.code()).collect();
        let expected: Vec<&str> = CATALOG
            .iter()
            .map(|r| r.code)
            .filter(|c| *c != "JCF001")
            .collect();
        assert_eq!(codes, expected);
        for r in REGISTRY {
            let doc = r.doc();
            let why = if r.severity() == crate::diag::Severity::Error {
                "## Why it locks people out"
            } else {
                "## Why it matters"
            };
            for heading in ["## What it catches", why, "## Example", "## Fix"] {
                assert!(doc.contains(heading), "{} lacks {heading}", r.code());
            }
        }
    }
}
