//! Lockout and risk rules: one module per rule under `rules/`, one static registry, one entry
//! point (`check`). A rule reads the `Context` (model, the org state before and after the plan, the
//! plan's changes) and returns findings; waivers and ordering are applied here, once.

pub mod catalog;
pub mod context;
pub mod finding;
pub mod fixture;
pub mod rules;
pub mod waivers;

pub use context::Context;
pub use finding::Finding;

use crate::diag::Severity;
use catalog::RuleInfo;

/// One lint rule. Its code, slug and severity come from the catalogue (a contract); its docs are
/// the `DOC` text of its module (what `jcform explain` prints).
pub trait Rule: Sync {
    fn info(&self) -> &'static RuleInfo;

    /// `## What it catches`, `## Why it locks people out` (or `## Why it matters`), `## Example`,
    /// `## Fix`.
    fn doc(&self) -> &'static str;

    /// The rule needs an org read (live state, a plan); `lint` without an org skips it.
    fn needs_org(&self) -> bool;

    fn check(&self, cx: &Context) -> Vec<Finding>;

    fn code(&self) -> &'static str {
        self.info().code
    }

    fn slug(&self) -> &'static str {
        self.info().slug
    }

    fn severity(&self) -> Severity {
        self.info().severity
    }
}

/// The rule with this code or slug (case-insensitive).
pub fn rule(code_or_slug: &str) -> Option<&'static dyn Rule> {
    rules::REGISTRY.iter().copied().find(|r| {
        r.code().eq_ignore_ascii_case(code_or_slug) || r.slug().eq_ignore_ascii_case(code_or_slug)
    })
}

/// The docs `jcform explain` prints for a catalogued code (rules and JCF001).
pub fn doc(code: &str) -> Option<&'static str> {
    if code.eq_ignore_ascii_case(catalog::JCF001.code) {
        return Some(waivers::UNUSED_WAIVER_DOC);
    }
    rule(code).map(|r| r.doc())
}

/// Runs every rule that can run (all of them with an org, the offline ones without), drops
/// findings about ignored users and groups, applies waivers (reporting unused ones), and sorts:
/// errors first, then warnings, then by code and targets.
pub fn check(cx: &Context) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules::REGISTRY
        .iter()
        .filter(|r| cx.org_read || !r.needs_org())
        .flat_map(|r| r.check(cx))
        .filter(|f| !cx.only_ignored(&f.targets))
        .collect();
    let unused = waivers::apply(&cx.model.waivers, &mut findings);
    // Offline, the rules that need an org did not run: a waiver of one of them is not known to
    // be unused, and telling the user to remove it would make the next online plan block.
    let ran = |code: &str| cx.org_read || rule(code).is_none_or(|r| !r.needs_org());
    findings.extend(
        unused
            .into_iter()
            .filter(|w| ran(&w.rule))
            .map(waivers::unused),
    );
    sort(&mut findings);
    findings
}

pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.severity, a.code, &a.targets, &a.cause, &a.message)
            .cmp(&(b.severity, b.code, &b.targets, &b.cause, &b.message))
    });
}

/// `findings` holds an error no waiver accepts: apply would refuse.
pub fn blocks(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::model::live::LiveState;
    use crate::model::lower::Origins;
    use crate::model::{Delegation, SecretSource, Waiver};
    use crate::plan::diff;

    fn model() -> crate::model::Model {
        let mut alice = user("alice");
        alice.initial_password = Some(SecretSource::Literal("Winter2025!".into()));
        Files::new()
            .user("alice", alice)
            .ad("corp", "corp.example.com", Some(Delegation::Enabled))
            .ad("emea", "emea.example.com", Some(Delegation::Enabled))
            .bind(ad("corp"), su("alice"))
            .bind(ad("emea"), su("alice"))
            .tenant("contoso", "t9")
            .build()
    }

    fn codes(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn offline_runs_only_rules_that_need_no_org_errors_first() {
        let model = model();
        let origins = Origins::default();
        let found = check(&Context::offline(&model, &origins));
        assert_eq!(codes(&found), ["LCK001", "SEC001"]);
        assert!(blocks(&found));
    }

    #[test]
    fn with_an_org_every_rule_runs() {
        let model = model();
        let live = LiveState::default();
        let plan = diff(&model, &live).expect("the fixture plans");
        let origins = Origins::default();
        let found = check(&Context::with_org(&model, &origins, &live, &plan));
        assert_eq!(codes(&found), ["LCK001", "LCK007", "SEC001"]);
    }

    #[test]
    fn waivers_accept_and_unused_ones_are_reported() {
        let mut model = model();
        let waiver = |rule: &str, target: &str| Waiver {
            rule: rule.into(),
            target: target.into(),
            reason: "known".into(),
            origin: None,
        };
        model.waivers = vec![waiver("LCK001", "user.alice"), waiver("LCK106", "*")];
        let origins = Origins::default();
        let found = check(&Context::offline(&model, &origins));
        assert_eq!(codes(&found), ["LCK001", "JCF001", "SEC001"]);
        assert_eq!(found[0].waived.as_deref(), Some("known"));
        assert!(!blocks(&found));
        assert!(found[1].message.contains("LCK106"));
    }

    /// Offline, a waiver of a rule that needs an org is not known to be unused: no JCF001 (its
    /// advice, "remove the waiver", would make the next online plan block). Online it is.
    #[test]
    fn waivers_of_rules_that_did_not_run_are_not_called_unused() {
        let mut model = model();
        model.waivers = vec![Waiver {
            rule: "LCK101".into(),
            target: "*".into(),
            reason: "known".into(),
            origin: None,
        }];
        assert!(rule("LCK101").is_some_and(|r| r.needs_org()));
        let origins = Origins::default();
        let offline = check(&Context::offline(&model, &origins));
        assert!(
            !codes(&offline).contains(&"JCF001"),
            "{:?}",
            codes(&offline)
        );
        let live = LiveState::default();
        let plan = diff(&model, &live).expect("the fixture plans");
        let online = check(&Context::with_org(&model, &origins, &live, &plan));
        assert!(codes(&online).contains(&"JCF001"), "{:?}", codes(&online));
    }

    #[test]
    fn findings_about_ignored_users_are_dropped() {
        let mut model = Files::new().ad("corp", "corp.example.com", None).build();
        model.settings.ignore.users = vec!["svc-*".into()];
        let long = "svc-a-very-long-service-name";
        let live = Org::new()
            .user("u1", long)
            .ad("a1", "corp.example.com", Delegation::Disabled)
            .bind(ad("a1"), su("u1"))
            .build();
        let plan = diff(&model, &live).expect("the fixture plans");
        let origins = Origins::default();
        let cx = Context::with_org(&model, &origins, &live, &plan);
        let lck106 = rule("LCK106").expect("registered");
        assert_eq!(lck106.check(&cx).len(), 1, "the rule itself fires");
        assert!(check(&cx).is_empty(), "but the user is ignored");
    }
}
