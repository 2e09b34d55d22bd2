//! Plan files (`jcform plan --out FILE`): a saved plan that `apply` can execute later, exactly as
//! reviewed.
//!
//! Two guards make "exactly as reviewed" hold:
//! - `fingerprints`: a hash of every live object the plan read. Apply reads the org again and
//!   refuses if any object changed since, because the plan was computed against the old state.
//! - `checksum`: a hash of the file's own content. A plan file edited by hand (or damaged) is
//!   rejected by [`PlanFile::read`] instead of being half-trusted.
//!
//! The checksum is an integrity check, not a signature: anyone can recompute it. It catches
//! mistakes and casual edits; access to the file is what protects it from a determined editor.
//!
//! No secrets: initial passwords and other password fields are written as `"(set)"`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Action, Change, Plan};
use crate::model::address::AddressParseError;
use crate::model::live::LiveState;
use crate::render::redact::redact_secrets;

/// Version of the plan file layout. A reader refuses other versions rather than guess.
pub const PLAN_FILE_VERSION: &str = "1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    pub format_version: String,
    /// The jcform that wrote it.
    pub tool_version: String,
    /// The org the plan was computed against (label or id).
    pub org: String,
    /// `Config::hash` of the files the plan was computed from.
    pub config_hash: String,
    /// RFC 3339, UTC. For people; nothing checks it.
    pub created_at: String,
    pub changes: Vec<FileChange>,
    /// Address or remote id -> [`fingerprint`] of the live object as the plan read it.
    pub fingerprints: BTreeMap<String, String>,
    /// sha256 (hex) of the canonical JSON of every other field.
    pub checksum: String,
}

/// A change as stored: like [`super::Change`], with the address as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileChange {
    pub address: String,
    #[serde(deserialize_with = "action_from_str")]
    pub action: Action,
    pub reason: String,
    pub before: Value,
    pub after: Value,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub remote_ids: BTreeMap<String, String>,
}

impl FileChange {
    /// The change as saved: the address as text, secrets redacted.
    pub fn from_change(change: &Change) -> FileChange {
        FileChange {
            address: change.address.to_string(),
            action: change.action,
            reason: change.reason.clone(),
            before: redact_secrets(&change.before),
            after: redact_secrets(&change.after),
            remote_ids: change.remote_ids.clone(),
        }
    }

    /// The change back as the plan model holds it, secrets still redacted (`"(set)"`): fit for
    /// comparing with a fresh plan, not for executing.
    pub fn to_change(&self) -> Result<Change, AddressParseError> {
        Ok(Change {
            address: self.address.parse()?,
            action: self.action,
            reason: self.reason.clone(),
            before: self.before.clone(),
            after: self.after.clone(),
            remote_ids: self.remote_ids.clone(),
        })
    }
}

/// `Action` is serialise-only in the plan model; the file reads it back here.
fn action_from_str<'de, D: Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
    let s = String::deserialize(d)?;
    match s.as_str() {
        "create" => Ok(Action::Create),
        "update" => Ok(Action::Update),
        "replace" => Ok(Action::Replace),
        "delete" => Ok(Action::Delete),
        other => Err(serde::de::Error::unknown_variant(
            other,
            &["create", "update", "replace", "delete"],
        )),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read plan file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write plan file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a jcform plan file: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error(
        "{} is plan file format {found:?}; this jcform reads format {PLAN_FILE_VERSION:?}. \
         Run `jcform plan --out` again with this version.",
        path.display()
    )]
    UnsupportedVersion { path: PathBuf, found: String },
    #[error(
        "{} was tampered with or damaged after jcform wrote it (checksum mismatch); refusing \
         to use it. Run `jcform plan --out` again.",
        path.display()
    )]
    Tampered { path: PathBuf },
}

impl PlanFile {
    /// A plan file for `plan`, stamped now, secrets redacted, checksum computed.
    pub fn new(
        org: impl Into<String>,
        config_hash: impl Into<String>,
        plan: &Plan,
        fingerprints: BTreeMap<String, String>,
    ) -> PlanFile {
        let created_at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| "unknown".to_string());
        let changes = plan.changes.iter().map(FileChange::from_change).collect();
        let mut file = PlanFile {
            format_version: PLAN_FILE_VERSION.to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            org: org.into(),
            config_hash: config_hash.into(),
            created_at,
            changes,
            fingerprints,
            checksum: String::new(),
        };
        file.checksum = file.compute_checksum();
        file
    }

    /// sha256 over the canonical JSON of the file without its `checksum` field.
    pub fn compute_checksum(&self) -> String {
        // A struct of strings, maps and JSON values always serialises.
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.remove("checksum");
        }
        sha256_hex(canonical_json(&value).as_bytes())
    }

    /// Pretty JSON with a trailing newline: what `write_atomic` puts on disk.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the file so that `path` holds either the old content or the whole new plan, never
    /// a torn write (`crate::atomic`).
    pub fn write_atomic(&self, path: &Path) -> Result<(), PlanFileError> {
        let err = |source| PlanFileError::Write {
            path: path.to_path_buf(),
            source,
        };
        // The plan names people and objects in the org: readable by its owner only.
        let options = crate::atomic::Options {
            private: true,
            ..Default::default()
        };
        crate::atomic::write_with(path, self.to_json().as_bytes(), options).map_err(err)
    }

    /// Reads and verifies a plan file: the version first (a future layout may hash
    /// differently), then the checksum, then the shape.
    pub fn read(path: &Path) -> Result<PlanFile, PlanFileError> {
        let invalid = |reason: String| PlanFileError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|source| PlanFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut value: Value =
            serde_json::from_str(&text).map_err(|e| invalid(format!("not JSON ({e})")))?;
        let Value::Object(map) = &mut value else {
            return Err(invalid("not a JSON object".to_string()));
        };
        match map.get("format_version") {
            Some(Value::String(v)) if v == PLAN_FILE_VERSION => {}
            Some(Value::String(v)) => {
                return Err(PlanFileError::UnsupportedVersion {
                    path: path.to_path_buf(),
                    found: v.clone(),
                })
            }
            _ => return Err(invalid("no `format_version`".to_string())),
        }
        let Some(Value::String(stored)) = map.remove("checksum") else {
            return Err(invalid("no `checksum`".to_string()));
        };
        if sha256_hex(canonical_json(&value).as_bytes()) != stored {
            return Err(PlanFileError::Tampered {
                path: path.to_path_buf(),
            });
        }
        if let Value::Object(map) = &mut value {
            map.insert("checksum".to_string(), Value::String(stored));
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }
}

/// The fingerprint of a live object: sha256 (hex) of its canonical JSON, so key order and
/// whitespace in the API's answer don't count as a change.
pub fn fingerprint(value: &Value) -> String {
    sha256_hex(canonical_json(value).as_bytes())
}

/// Fingerprints of every live object a plan read, keyed by remote id (and `bindings` for the
/// association edges, which have no ids of their own). The object is hashed exactly as read
/// (`raw`) when the reader kept it, else as converted, so both sandbox and API reads work.
pub fn live_fingerprints(live: &LiveState) -> BTreeMap<String, String> {
    fn of<T: Serialize>(raw: &Value, converted: &T) -> String {
        if raw.is_null() {
            fingerprint(&serde_json::to_value(converted).unwrap_or(Value::Null))
        } else {
            fingerprint(raw)
        }
    }
    let mut out = BTreeMap::new();
    for (id, u) in &live.users {
        out.insert(id.clone(), of(&u.raw.to_value(), u));
    }
    for (id, g) in &live.groups {
        out.insert(id.clone(), of(&g.raw, g));
    }
    for (id, d) in &live.ad_domains {
        out.insert(id.clone(), of(&d.raw, d));
    }
    for (id, t) in &live.m365_tenants {
        out.insert(id.clone(), of(&t.raw, t));
    }
    let bindings = serde_json::to_value(&live.bindings).unwrap_or(Value::Null);
    out.insert("bindings".to_string(), fingerprint(&bindings));
    out
}

/// Compact JSON with object keys sorted at every depth. The crate keeps insertion order
/// (`preserve_order`), so the order is imposed here rather than trusted.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;
    use serde_json::json;

    fn sample() -> Plan {
        Plan {
            changes: vec![Change {
                address: Address::User("alice".into()),
                action: Action::Create,
                reason: "declared in the files, missing in the org".into(),
                before: Value::Null,
                after: json!({"email": "alice@example.com", "initial_password": "hunter2"}),
                remote_ids: BTreeMap::new(),
            }],
            ..Plan::default()
        }
    }

    fn fingerprints() -> BTreeMap<String, String> {
        BTreeMap::from([(
            "5f0c1b2a3d4e5f6a7b8c9d0e".to_string(),
            fingerprint(&json!({"username": "bob"})),
        )])
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a = json!({"b": 1, "a": {"d": [1, {"z": 0, "y": 1}], "c": "x"}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"c":"x","d":[1,{"y":1,"z":0}]},"b":1}"#
        );
        assert_eq!(
            fingerprint(&json!({"x": 1, "y": 2})),
            fingerprint(&json!({"y": 2, "x": 1}))
        );
        assert_ne!(fingerprint(&json!({"x": 1})), fingerprint(&json!({"x": 2})));
        assert_eq!(fingerprint(&json!({})).len(), 64);
    }

    #[test]
    fn live_fingerprints_cover_every_object_and_notice_changes() {
        let mut live = LiveState::default();
        live.users.insert(
            "u1".into(),
            crate::model::live::LiveUser {
                id: "u1".into(),
                username: "bob".into(),
                ..Default::default()
            },
        );
        let before = live_fingerprints(&live);
        assert_eq!(before.keys().collect::<Vec<_>>(), vec!["bindings", "u1"]);
        if let Some(u) = live.users.get_mut("u1") {
            u.attrs.email = Some("bob@example.com".into());
        }
        assert_ne!(live_fingerprints(&live)["u1"], before["u1"]);
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let file = PlanFile::new("acme", "cfg-hash", &sample(), fingerprints());
        file.write_atomic(&path).unwrap();
        let back = PlanFile::read(&path).unwrap();
        assert_eq!(back, file);
        assert_eq!(back.changes[0].action, Action::Create);
        assert_eq!(back.tool_version, env!("CARGO_PKG_VERSION"));
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn secrets_are_never_written() {
        let file = PlanFile::new("acme", "cfg-hash", &sample(), fingerprints());
        let text = file.to_json();
        assert!(!text.contains("hunter2"));
        assert!(text.contains("\"initial_password\": \"(set)\""));
    }

    #[test]
    fn tampered_files_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        PlanFile::new("acme", "cfg-hash", &sample(), fingerprints())
            .write_atomic(&path)
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"create\"", "\"delete\"")).unwrap();
        let err = PlanFile::read(&path).unwrap_err();
        assert!(matches!(err, PlanFileError::Tampered { .. }), "{err}");
        assert!(err.to_string().contains("checksum mismatch"));

        // Whitespace and key order are not tampering: the checksum is over canonical JSON.
        let file = PlanFile::new("acme", "cfg-hash", &sample(), fingerprints());
        std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
        assert_eq!(PlanFile::read(&path).unwrap(), file);
    }

    #[test]
    fn other_damage_is_reported_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(
            PlanFile::read(&path),
            Err(PlanFileError::Invalid { .. })
        ));

        let mut file = PlanFile::new("acme", "cfg-hash", &sample(), fingerprints());
        file.format_version = "9".into();
        std::fs::write(&path, file.to_json()).unwrap();
        assert!(matches!(
            PlanFile::read(&path),
            Err(PlanFileError::UnsupportedVersion { .. })
        ));

        let mut value =
            serde_json::to_value(PlanFile::new("acme", "cfg-hash", &sample(), fingerprints()))
                .unwrap();
        value.as_object_mut().unwrap().remove("checksum");
        std::fs::write(&path, value.to_string()).unwrap();
        assert!(matches!(
            PlanFile::read(&path),
            Err(PlanFileError::Invalid { .. })
        ));

        let missing = dir.path().join("missing.json");
        assert!(matches!(
            PlanFile::read(&missing),
            Err(PlanFileError::Read { .. })
        ));
    }
}
