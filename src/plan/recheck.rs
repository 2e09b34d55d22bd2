//! Does a saved plan still hold? `apply --plan FILE` executes a plan file only when the files,
//! the org and every live object in the plan's scope (`super::file::scoped_fingerprints`) are
//! what they were when it was made, and when planning again gives exactly the saved changes
//! and findings. Objects outside the scope may change freely: a new live object the plan would
//! collide with or delete changes the fresh plan, and so is refused by [`check_changes`]. Each check is a pure function of the file
//! and what apply has read now, so the refusals are tested without an org.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::file::{
    scoped_fingerprints, ChangeReadError, FileFinding, PlanFile, Scope, BINDINGS_KEY,
};
use super::{Change, Plan};
use crate::lint::Finding;
use crate::model::address::AddressParseError;
use crate::model::live::LiveState;
use crate::model::Address;

/// At most this many objects or addresses are named in a refusal; the rest are counted.
pub const MAX_LISTED: usize = 20;

/// Why a saved plan cannot be executed. Every message ends with what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Stale {
    #[error(
        "the config changed since the plan was made (plan: config {saved}, files now: config \
         {now}); refusing to apply it. Run `jcform plan --out FILE` again and review the new plan."
    )]
    ConfigChanged { saved: String, now: String },
    #[error(
        "the plan was made for {saved}, not for {now}; refusing to apply it there. Make a plan \
         against {now} with `jcform plan --out FILE`."
    )]
    OtherOrg { saved: String, now: String },
    #[error(
        "the org changed since the plan was made; refusing to apply a plan computed against the \
         old state. Run `jcform plan --out FILE` again and review the new plan.\n{0}"
    )]
    LiveChanged(LiveDrift),
    #[error(
        "planning again gives different changes than the plan file holds (another jcform \
         version?); refusing to apply it. Run `jcform plan --out FILE` again.\n{}",
        list("  differs: ", addresses)
    )]
    ChangesDiffer { addresses: Vec<String> },
    #[error("the plan file names a change by {0}")]
    BadAddress(AddressParseError),
    #[error("the plan file holds a change jcform cannot read back: {0}")]
    BadChange(String),
    #[error("the plan file holds a finding jcform cannot read back: {0}")]
    BadFinding(String),
    #[error(
        "planning again gives different lint findings than the plan file holds; refusing to \
         apply a plan whose findings were not reviewed. Run `jcform plan --out FILE` again.\n{}",
        list("  ", findings)
    )]
    FindingsDiffer { findings: Vec<String> },
}

/// Live objects that differ from what the plan read, each named as `kind name (id)` where the
/// org still has it, by its id where it is gone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveDrift {
    pub changed: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl std::fmt::Display for LiveDrift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = [
            ("changed", &self.changed),
            ("added", &self.added),
            ("removed", &self.removed),
        ]
        .into_iter()
        .flat_map(|(how, names)| names.iter().map(move |n| format!("  {how}: {n}")))
        .collect();
        f.write_str(&capped(&lines))
    }
}

/// The files must hash as they did when the plan was made.
pub fn check_config(file: &PlanFile, config_hash: &str) -> Result<(), Stale> {
    if file.config_hash == config_hash {
        Ok(())
    } else {
        Err(Stale::ConfigChanged {
            saved: short(&file.config_hash),
            now: short(config_hash),
        })
    }
}

/// The org must be the one the plan was made for (the same label: org id, console host, or
/// sandbox file, as `plan` wrote it).
pub fn check_org(file: &PlanFile, org_label: &str) -> Result<(), Stale> {
    if file.org == org_label {
        Ok(())
    } else {
        Err(Stale::OtherOrg {
            saved: file.org.clone(),
            now: org_label.to_string(),
        })
    }
}

/// Every live object in the plan's scope must fingerprint as it did: none changed, none
/// added (an affected user who joined a group, a new directory), none removed. The scope is
/// computed from the saved file, so it is the one `plan --out` used.
pub fn check_live(file: &PlanFile, live: &LiveState) -> Result<(), Stale> {
    let saved = &file.fingerprints;
    let scope = Scope::of_file(file).map_err(Stale::BadFinding)?;
    let now = scoped_fingerprints(live, &scope);
    let mut drift = LiveDrift::default();
    for (id, fp) in &now {
        match saved.get(id) {
            Some(old) if old == fp => {}
            Some(_) => drift.changed.push(describe(live, id)),
            None => drift.added.push(describe(live, id)),
        }
    }
    for id in saved.keys().filter(|id| !now.contains_key(*id)) {
        drift.removed.push(id.clone());
    }
    if drift == LiveDrift::default() {
        Ok(())
    } else {
        Err(Stale::LiveChanged(drift))
    }
}

/// Planning again must give the saved changes, compared as the file holds them (addresses
/// parsed, secrets redacted on both sides).
pub fn check_changes(file: &PlanFile, plan: &Plan) -> Result<(), Stale> {
    let saved: BTreeMap<Address, Change> = file
        .changes
        .iter()
        .map(|c| c.to_change().map(|change| (change.address.clone(), change)))
        .collect::<Result<_, _>>()
        .map_err(|e| match e {
            ChangeReadError::Address(e) => Stale::BadAddress(e),
            other => Stale::BadChange(other.to_string()),
        })?;
    let fresh: BTreeMap<Address, Change> = plan
        .changes
        .iter()
        // Typed sides hold no secret (a password is only ever `"(set)"`), so the fresh change
        // compares as the file holds it.
        .map(|c| (c.address.clone(), c.clone()))
        .collect();
    let addresses: BTreeSet<&Address> = saved.keys().chain(fresh.keys()).collect();
    let differs: Vec<String> = addresses
        .into_iter()
        .filter(|a| saved.get(*a) != fresh.get(*a))
        .map(|a| a.to_string())
        .collect();
    // Two saved changes for one address would collapse in the map; the count catches them.
    if differs.is_empty() && saved.len() == file.changes.len() && fresh.len() == plan.changes.len()
    {
        Ok(())
    } else {
        Err(Stale::ChangesDiffer { addresses: differs })
    }
}

/// Planning again must give the saved findings (rule, targets, cause, message, waiver): a
/// finding that appeared, went or changed since the review is refused, whatever its severity.
pub fn check_findings(file: &PlanFile, findings: &[Finding]) -> Result<(), Stale> {
    let key = |f: &FileFinding| {
        format!(
            "{} {} ({}){}",
            f.code,
            f.targets.join(", "),
            f.message,
            f.waived
                .as_ref()
                .map_or(String::new(), |w| format!(" waived: {w}"))
        )
    };
    let mut saved: Vec<&FileFinding> = file.findings.iter().collect();
    let fresh_owned: Vec<FileFinding> = findings.iter().map(FileFinding::from_finding).collect();
    let mut fresh: Vec<&FileFinding> = fresh_owned.iter().collect();
    let order = |a: &&FileFinding, b: &&FileFinding| key(a).cmp(&key(b));
    saved.sort_by(order);
    fresh.sort_by(order);
    if saved == fresh {
        return Ok(());
    }
    let mut lines = Vec::new();
    for f in &fresh {
        if !saved.contains(f) {
            lines.push(format!("new: {}", key(f)));
        }
    }
    for f in &saved {
        if !fresh.contains(f) {
            lines.push(format!("gone: {}", key(f)));
        }
    }
    Err(Stale::FindingsDiffer { findings: lines })
}

/// `user alice (5f…)`: a live object as people know it, with the id the fingerprints use.
fn describe(live: &LiveState, id: &str) -> String {
    if id == BINDINGS_KEY {
        return "bindings of the users and groups the plan touches (associations with AD \
                domains, M365 tenants and SSO apps)"
            .into();
    }
    let name = if let Some(u) = live.users.get(id) {
        format!("user {}", u.username)
    } else if let Some(g) = live.groups.get(id) {
        format!("group {}", g.name)
    } else if let Some(d) = live.ad_domains.get(id) {
        format!("ad_domain {}", d.domain)
    } else if let Some(t) = live.m365_tenants.get(id) {
        format!("m365_tenant {}", t.name.as_deref().unwrap_or("(unnamed)"))
    } else if let Some(a) = live.sso_apps.get(id) {
        format!(
            "sso_app {}",
            a.display_label.as_deref().unwrap_or(&a.template)
        )
    } else {
        return id.to_string();
    };
    format!("{name} ({id})")
}

/// A hash shortened for messages: enough to tell two apart.
fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

fn list(prefix: &str, items: &[String]) -> String {
    let lines: Vec<String> = items.iter().map(|i| format!("{prefix}{i}")).collect();
    capped(&lines)
}

/// Lines joined, at most [`MAX_LISTED`] of them, then how many more.
fn capped(lines: &[String]) -> String {
    let mut out = lines
        .iter()
        .take(MAX_LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > MAX_LISTED {
        let _ = write!(out, "\n  ... and {} more", lines.len() - MAX_LISTED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::live::LiveUser;
    use crate::plan::Action;
    use serde_json::{json, Value};

    fn live() -> LiveState {
        let mut live = LiveState::default();
        for (id, name) in [("u1", "alice"), ("u2", "bob")] {
            live.users.insert(
                id.into(),
                LiveUser {
                    id: id.into(),
                    username: name.into(),
                    raw: json!({"_id": id, "username": name}).into(),
                    ..Default::default()
                },
            );
        }
        live
    }

    fn plan() -> Plan {
        Plan {
            changes: vec![Change {
                reason: "declared in the files, missing in the org".into(),
                ..Change::from_json_sides(
                    Address::User("anna.lindqvist".into()),
                    Action::Create,
                    Value::Null,
                    json!({"email": "anna@example.com", "initial_password": "(set)"}),
                )
                .expect("a plan side")
            }],
            ..Plan::default()
        }
    }

    fn file(live: &LiveState) -> PlanFile {
        let plan = plan();
        let scope = Scope::of_plan(&plan, &[]);
        PlanFile::new(
            "sandbox:org.json",
            "cfg1",
            &plan,
            &[],
            scoped_fingerprints(live, &scope),
        )
    }

    #[test]
    fn an_unchanged_world_passes_every_check() {
        let live = live();
        let file = file(&live);
        assert_eq!(check_config(&file, "cfg1"), Ok(()));
        assert_eq!(check_org(&file, "sandbox:org.json"), Ok(()));
        assert_eq!(check_live(&file, &live), Ok(()));
        // The fresh plan holds the real password, the file "(set)": still the same plan.
        assert_eq!(check_changes(&file, &plan()), Ok(()));
    }

    #[test]
    fn config_and_org_mismatches_name_both_sides() {
        let file = file(&live());
        let err = check_config(&file, "cfg2").unwrap_err().to_string();
        assert!(
            err.contains("config changed since the plan was made"),
            "{err}"
        );
        let err = check_org(&file, "sandbox:other.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sandbox:org.json"), "{err}");
        assert!(err.contains("sandbox:other.json"), "{err}");
    }

    /// Updates alice (u1), deletes bob (u2), creates carol (not in the org yet).
    fn touching_plan() -> Plan {
        let change = |address: Address, action, id: Option<&str>| Change {
            address,
            action,
            reason: String::new(),
            before: crate::plan::Side::Absent,
            after: crate::plan::Side::Absent,
            remote_ids: id
                .map(|id| BTreeMap::from([("user".to_string(), id.to_string())]))
                .unwrap_or_default(),
        };
        Plan {
            changes: vec![
                change(Address::User("alice".into()), Action::Update, Some("u1")),
                change(Address::User("bob".into()), Action::Delete, Some("u2")),
                change(Address::User("carol".into()), Action::Create, None),
            ],
            ..Plan::default()
        }
    }

    fn touching_file(live: &LiveState) -> PlanFile {
        let plan = touching_plan();
        let fp = scoped_fingerprints(live, &Scope::of_plan(&plan, &[]));
        PlanFile::new("sandbox:org.json", "cfg1", &plan, &[], fp)
    }

    #[test]
    fn live_drift_names_what_changed_was_added_and_removed() {
        let before = live();
        let file = touching_file(&before);
        let mut now = before.clone();
        if let Some(u) = now.users.get_mut("u1") {
            u.attrs_mut().firstname = Some("Alicia".into());
        }
        now.users.remove("u2");
        // A live carol now collides with the planned create.
        now.users.insert(
            "u3".into(),
            LiveUser {
                id: "u3".into(),
                username: "Carol".into(),
                ..Default::default()
            },
        );
        let err = check_live(&file, &now).unwrap_err();
        let Stale::LiveChanged(drift) = &err else {
            panic!("{err}")
        };
        assert_eq!(drift.changed, vec!["user alice (u1)"]);
        assert_eq!(drift.added, vec!["user Carol (u3)"]);
        assert_eq!(drift.removed, vec!["u2"]);
        let text = err.to_string();
        assert!(text.contains("  changed: user alice (u1)"), "{text}");
    }

    #[test]
    fn objects_outside_the_scope_may_change() {
        let mut before = live();
        before.users.insert(
            "u9".into(),
            LiveUser {
                id: "u9".into(),
                username: "zed".into(),
                ..Default::default()
            },
        );
        let file = touching_file(&before);
        let mut now = before.clone();
        // zed is not touched: a failed login (raw) and a new email do not invalidate the plan,
        // nor does a new unrelated user.
        if let Some(u) = now.users.get_mut("u9") {
            u.attrs_mut().email = Some("zed@example.com".into());
            u.raw = json!({"failedLoginAttempts": 4}).into();
        }
        now.users.insert(
            "u10".into(),
            LiveUser {
                id: "u10".into(),
                username: "yan".into(),
                ..Default::default()
            },
        );
        assert_eq!(check_live(&file, &now), Ok(()));
    }

    #[test]
    fn findings_must_be_the_reviewed_ones() {
        let finding = |target: &str| {
            Finding::new(
                &crate::lint::catalog::LCK001,
                vec![Address::User(target.into())],
                None,
                format!("{target} would be locked out"),
                "help",
            )
        };
        let plan = plan();
        let file = PlanFile::new("o", "c", &plan, &[finding("alice")], BTreeMap::new());
        assert_eq!(check_findings(&file, &[finding("alice")]), Ok(()));
        let err = check_findings(&file, &[finding("alice"), finding("bob")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("new: LCK001 user.bob"), "{err}");
        let err = check_findings(&file, &[]).unwrap_err().to_string();
        assert!(err.contains("gone: LCK001 user.alice"), "{err}");
        let mut waived = finding("alice");
        waived.waived = Some("accepted".into());
        assert!(check_findings(&file, &[waived]).is_err());
    }

    #[test]
    fn long_lists_are_capped() {
        let lines: Vec<String> = (0..MAX_LISTED + 5).map(|i| format!("l{i}")).collect();
        let text = capped(&lines);
        assert_eq!(text.lines().count(), MAX_LISTED + 1);
        assert!(text.ends_with("... and 5 more"), "{text}");
    }

    #[test]
    fn different_changes_are_named() {
        let file = file(&live());
        let mut other = plan();
        other.changes[0].after = Change::from_json_sides(
            Address::User("anna.lindqvist".into()),
            Action::Create,
            Value::Null,
            json!({"email": "anna@example.org"}),
        )
        .expect("a plan side")
        .after;
        let err = check_changes(&file, &other).unwrap_err().to_string();
        assert!(err.contains("differs: user[\"anna.lindqvist\"]"), "{err}");
        assert!(check_changes(&file, &Plan::default()).is_err());
    }

    #[test]
    fn a_bad_address_in_the_file_is_reported() {
        let mut file = file(&live());
        file.changes[0].address = "widget.x".into();
        let err = check_changes(&file, &plan()).unwrap_err();
        assert!(matches!(err, Stale::BadAddress(_)), "{err}");
    }
}
