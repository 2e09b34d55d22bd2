//! Does a saved plan still hold? `apply --plan FILE` executes a plan file only when the files,
//! the org and every live object the plan read are what they were when it was made, and when
//! planning again gives exactly the saved changes. Each check is a pure function of the file
//! and what apply has read now, so the refusals are tested without an org.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::file::{live_fingerprints, FileChange, PlanFile};
use super::{Change, Plan};
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

/// Every live object must fingerprint as it did: none changed, none added, none removed.
pub fn check_live(file: &PlanFile, live: &LiveState) -> Result<(), Stale> {
    let saved = &file.fingerprints;
    let now = live_fingerprints(live);
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
        .map_err(Stale::BadAddress)?;
    let fresh: BTreeMap<Address, Change> = plan
        .changes
        .iter()
        .map(|c| {
            // Redacted exactly as the file was written, so secrets compare as "(set)".
            let saved_form = FileChange::from_change(c);
            let redacted = Change {
                before: saved_form.before,
                after: saved_form.after,
                ..c.clone()
            };
            (c.address.clone(), redacted)
        })
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

/// `user alice (5f…)`: a live object as people know it, with the id the fingerprints use.
fn describe(live: &LiveState, id: &str) -> String {
    if id == "bindings" {
        return "bindings (user and group associations with AD domains and M365 tenants)".into();
    }
    let name = if let Some(u) = live.users.get(id) {
        format!("user {}", u.username)
    } else if let Some(g) = live.groups.get(id) {
        format!("group {}", g.name)
    } else if let Some(d) = live.ad_domains.get(id) {
        format!("ad_domain {}", d.domain)
    } else if let Some(t) = live.m365_tenants.get(id) {
        format!("m365_tenant {}", t.name.as_deref().unwrap_or("(unnamed)"))
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
                address: Address::User("anna.lindqvist".into()),
                action: Action::Create,
                reason: "declared in the files, missing in the org".into(),
                before: Value::Null,
                after: json!({"email": "anna@example.com", "initial_password": "secret"}),
                remote_ids: BTreeMap::new(),
            }],
            ..Plan::default()
        }
    }

    fn file(live: &LiveState) -> PlanFile {
        PlanFile::new("sandbox:org.json", "cfg1", &plan(), live_fingerprints(live))
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

    #[test]
    fn live_drift_names_what_changed_was_added_and_removed() {
        let before = live();
        let file = file(&before);
        let mut now = before.clone();
        if let Some(u) = now.users.get_mut("u1") {
            u.raw = json!({"_id": "u1", "username": "alice", "firstname": "Alicia"}).into();
        }
        now.users.remove("u2");
        now.users.insert(
            "u3".into(),
            LiveUser {
                id: "u3".into(),
                username: "carol".into(),
                ..Default::default()
            },
        );
        let err = check_live(&file, &now).unwrap_err();
        let Stale::LiveChanged(drift) = &err else {
            panic!("{err}")
        };
        assert_eq!(drift.changed, vec!["user alice (u1)"]);
        assert_eq!(drift.added, vec!["user carol (u3)"]);
        assert_eq!(drift.removed, vec!["u2"]);
        let text = err.to_string();
        assert!(text.contains("  changed: user alice (u1)"), "{text}");
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
        other.changes[0].after = json!({"email": "anna@example.org"});
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
