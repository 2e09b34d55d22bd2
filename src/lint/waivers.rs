//! Waivers: a finding is accepted only by a waiver in the files. A waiver names a rule and a
//! target (an address or `*`). A finding with several targets is accepted only when every one of
//! them is covered (by its own waiver, by `*`, or by a waiver on the change that causes it), so a
//! waiver for one user never silences a lockout of another. A waiver that accepts nothing is
//! reported (JCF001) so stale waivers don't pile up.

use super::catalog::JCF001;
use super::Finding;
use crate::model::Waiver;

/// The docs of JCF001 (not a rule about the org, so it has no module under `rules/`).
pub const UNUSED_WAIVER_DOC: &str = r#"## What it catches
A waiver in the files (`{rule, target, reason}`) that accepts no finding: the rule no longer fires
on that target, or the rule or target is misspelt.

## Why it matters
Stale waivers pile up and hide the next real finding on the same target. Reporting them keeps the
list of accepted risks true.

## Example
```yaml
waivers:
  - {rule: LCK101, target: user.alice, reason: "leaver, M365 access ends on purpose"}
# alice was unbound last week: the plan no longer ends her binding
```

## Fix
Remove the waiver, or correct its rule or target (`jcform explain --list` lists the rules).
"#;

/// Marks accepted findings and returns the waivers that accept none (each becomes a JCF001
/// finding through [`unused`] where the rule it names has run).
pub fn apply<'w>(waivers: &'w [Waiver], findings: &mut [Finding]) -> Vec<&'w Waiver> {
    let mut used = vec![false; waivers.len()];
    for f in findings.iter_mut() {
        let of_rule: Vec<(usize, &Waiver)> = waivers
            .iter()
            .enumerate()
            .filter(|(_, w)| w.rule.eq_ignore_ascii_case(f.code))
            .collect();
        if of_rule.is_empty() {
            // Nothing can cover its targets (nor the `*` of a finding without any): not
            // accepted, and no target written out (a finding can name 60,000 users).
            continue;
        }
        let covers = |w: &Waiver, target: &str| {
            w.target == "*"
                || w.target == target
                || f.cause.as_ref().is_some_and(|c| c.to_string() == w.target)
        };
        let targets: Vec<String> = if f.targets.is_empty() {
            // A finding about the plan as a whole: only `*` (or its cause) accepts it.
            vec!["*".to_string()]
        } else {
            f.targets.iter().map(ToString::to_string).collect()
        };
        let all_covered = targets
            .iter()
            .all(|t| of_rule.iter().any(|(_, w)| covers(w, t)));
        if !all_covered {
            continue;
        }
        let mut reasons = Vec::new();
        for (i, w) in &of_rule {
            if targets.iter().any(|t| covers(w, t)) {
                used[*i] = true;
                if !reasons.contains(&w.reason) {
                    reasons.push(w.reason.clone());
                }
            }
        }
        f.waived = Some(reasons.join("; "));
    }
    waivers
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(w, _)| w)
        .collect()
}

/// The message of an unused-waiver finding; `locate` finds the waiver again from it.
pub fn unused_message(w: &Waiver) -> String {
    format!(
        "the waiver for {} on `{}` matches no finding",
        w.rule, w.target
    )
}

/// The JCF001 finding for an unused waiver.
pub fn unused(w: &Waiver) -> Finding {
    Finding::new(
        &JCF001,
        Vec::new(),
        None,
        unused_message(w),
        "remove the waiver, or fix its rule or target (`jcform explain --list` lists the rules)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::catalog::LCK003;
    use crate::model::Address;

    fn waiver(rule: &str, target: &str) -> Waiver {
        Waiver {
            rule: rule.into(),
            target: target.into(),
            reason: format!("ok {target}"),
            origin: None,
        }
    }

    fn finding(rule: &crate::lint::catalog::RuleInfo, users: &[&str]) -> Finding {
        let targets = users.iter().map(|u| Address::User(u.to_string())).collect();
        Finding::new(
            rule,
            targets,
            Some(Address::AdDomain("corp".into())),
            "m",
            "h",
        )
    }

    #[test]
    fn waivers_accept_only_what_they_cover() {
        // (waivers, finding targets, waived?, unused waivers)
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], bool, usize);
        let cases: &[Case] = &[
            (&[("LCK003", "user.alice")], &["alice"], true, 0),
            (&[("LCK003", "user.alice")], &["alice", "bob"], false, 1),
            (
                &[("LCK003", "user.alice"), ("LCK003", "user.bob")],
                &["alice", "bob"],
                true,
                0,
            ),
            (&[("LCK003", "*")], &["alice", "bob"], true, 0),
            (&[("LCK003", "ad_domain.corp")], &["alice", "bob"], true, 0),
            (&[("SEC001", "user.alice")], &["alice"], false, 1),
            (&[("lck003", "user.alice")], &["alice"], true, 0),
        ];
        for (i, (ws, targets, waived, unused)) in cases.iter().enumerate() {
            let ws: Vec<Waiver> = ws.iter().map(|(r, t)| waiver(r, t)).collect();
            let mut fs = vec![finding(&LCK003, targets)];
            let extra = apply(&ws, &mut fs);
            assert_eq!(fs[0].waived.is_some(), *waived, "case {i}");
            assert_eq!(extra.len(), *unused, "case {i}");
            assert!(extra
                .iter()
                .map(|w| super::unused(w))
                .all(|f| f.code == "JCF001" && !f.blocks()));
        }
    }
}
