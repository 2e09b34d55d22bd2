//! Plan files (`jcform plan --out FILE`): a saved plan that `apply` can execute later, exactly as
//! reviewed.
//!
//! Two guards make "exactly as reviewed" hold:
//! - `fingerprints`: a hash of every live object the plan changes or its findings depend on
//!   ([`scoped_fingerprints`]). Apply reads the org again and refuses if any of them changed
//!   since, because the plan was computed against the old state. Objects the plan does not
//!   touch (a login of an unrelated user) do not count; a new object the plan would collide
//!   with or delete is caught by planning again (`super::recheck`).
//! - `checksum`: a hash of the file's own content. A plan file edited by hand (or damaged) is
//!   rejected by [`PlanFile::read`] instead of being half-trusted.
//!
//! The checksum is an integrity check, not a signature: anyone can recompute it. It catches
//! mistakes and casual edits; access to the file is what protects it from a determined editor.
//!
//! No secrets: initial passwords and other password fields are written as `"(set)"`.

use crate::access::changes::{AccessChange, Part, Sentence};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Action, Change, Plan, Side};
use crate::lint::Finding;
use crate::model::address::AddressParseError;
use crate::model::live::LiveState;
use crate::model::Address;
use crate::render::redact::redact_secrets;

/// Version of the plan file layout. A reader refuses other versions rather than guess.
/// "2": fingerprints are scoped to what the plan touches; `findings` and `unmanaged` are kept
/// so `jcform show` renders the plan as reviewed.
pub const PLAN_FILE_VERSION: &str = "2";

/// The largest plan file `read` accepts, in bytes (1 GiB). A plan of 100,000 users' creates
/// with their memberships is about 100 MiB; anything past this is not a plan jcform wrote, and
/// reading it whole would exhaust memory (`/dev/zero`, a stream, a mistaken path).
pub const MAX_PLAN_FILE_BYTES: u64 = 1024 * 1024 * 1024;

/// The file's text: a regular file of at most [`MAX_PLAN_FILE_BYTES`] (a device, FIFO or
/// directory is refused before anything is read).
fn read_bounded(path: &Path) -> Result<String, PlanFileError> {
    use std::io::Read as _;
    let io = |source| PlanFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let invalid = |reason: String| PlanFileError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(invalid("not a regular file".to_string()));
    }
    if meta.len() > MAX_PLAN_FILE_BYTES {
        return Err(invalid(format!(
            "larger than {} MiB, not a plan file jcform wrote",
            MAX_PLAN_FILE_BYTES / (1024 * 1024)
        )));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_PLAN_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    // It may have grown since the check above.
    if bytes.len() as u64 > MAX_PLAN_FILE_BYTES {
        return Err(invalid(format!(
            "larger than {} MiB, not a plan file jcform wrote",
            MAX_PLAN_FILE_BYTES / (1024 * 1024)
        )));
    }
    String::from_utf8(bytes).map_err(|_| invalid("not UTF-8 text".to_string()))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// The lint findings of the plan, as reviewed.
    #[serde(default)]
    pub findings: Vec<FileFinding>,
    /// Addresses of the live objects the plan leaves alone (for `jcform show`).
    #[serde(default)]
    pub unmanaged: Vec<String>,
    /// `bindings:<id>` or remote id -> [`fingerprint`] of the live object as the plan read it,
    /// for the objects in the plan's scope ([`scoped_fingerprints`]).
    pub fingerprints: BTreeMap<String, String>,
    /// Whose sign-in the plan changes, as reviewed (for `jcform show`; `apply` computes it
    /// again from the plan it rechecks). Absent in files written before it was saved.
    #[serde(default, skip_serializing_if = "FileAccess::is_empty")]
    pub access: FileAccess,
    /// The `--target` / `--exclude` globs of a partial plan: `apply --plan` plans again with
    /// the same filter, `show` warns. Absent for a whole plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<super::target::Partial>,
    /// sha256 (hex) of the canonical JSON of every other field.
    pub checksum: String,
}

/// The access changes of a plan as stored: [`crate::render::RenderPlan::access_changes`] with
/// addresses as text, and the sentences people read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAccess {
    pub changes: Vec<FileAccessChange>,
    pub summary: Vec<Sentence>,
}

impl FileAccess {
    fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.summary.is_empty()
    }
}

/// One [`AccessChange`] as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAccessChange {
    pub address: String,
    pub what: Part,
    pub before: Value,
    pub after: Value,
}

/// A change as stored: like [`super::Change`], with the address as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
            before: redact_secrets(&change.before.to_json()),
            after: redact_secrets(&change.after.to_json()),
            remote_ids: change.remote_ids.clone(),
        }
    }

    /// The change back as the plan model holds it, secrets still redacted (`"(set)"`): fit for
    /// comparing with a fresh plan, not for executing. Errors on an address jcform cannot read
    /// and on a side that is not exactly the fields of the address's kind (an unknown field, a
    /// value of the wrong type): such a plan is refused, never half-read.
    pub fn to_change(&self) -> Result<Change, ChangeReadError> {
        let address: Address = self.address.parse()?;
        let side = |name: &str, value: &Value| {
            Side::from_json(&address, value).map_err(|reason| ChangeReadError::Fields {
                address: address.to_string(),
                side: name.to_string(),
                reason,
            })
        };
        Ok(Change {
            before: side("before", &self.before)?,
            after: side("after", &self.after)?,
            address: address.clone(),
            action: self.action,
            reason: self.reason.clone(),
            remote_ids: self.remote_ids.clone(),
        })
    }
}

/// A saved change jcform cannot read back.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChangeReadError {
    /// Its address does not parse.
    #[error(transparent)]
    Address(#[from] AddressParseError),
    /// A side holds something other than the fields of the address's kind.
    #[error("the `{side}` of the change of {address} does not read as a plan side: {reason}")]
    Fields {
        address: String,
        side: String,
        reason: String,
    },
}

/// A finding as stored: like [`crate::lint::Finding`], with addresses as text. The rule's
/// slug and severity are not stored: they come from the catalogue by `code` when read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileFinding {
    pub code: String,
    pub targets: Vec<String>,
    #[serde(default)]
    pub cause: Option<String>,
    pub message: String,
    pub help: String,
    #[serde(default)]
    pub waived: Option<String>,
}

impl FileFinding {
    pub fn from_finding(f: &Finding) -> FileFinding {
        FileFinding {
            code: f.code.to_string(),
            targets: f.targets.iter().map(ToString::to_string).collect(),
            cause: f.cause.as_ref().map(ToString::to_string),
            message: f.message.clone(),
            help: f.help.clone(),
            waived: f.waived.clone(),
        }
    }

    /// The finding back; an unknown rule code or a bad address is an error naming it.
    pub fn to_finding(&self) -> Result<Finding, String> {
        let rule = crate::lint::catalog::find(&self.code)
            .ok_or_else(|| format!("unknown rule code {:?}", self.code))?;
        let parse = |a: &String| {
            a.parse::<crate::model::Address>()
                .map_err(|e| format!("finding {}: {e}", self.code))
        };
        let targets = self.targets.iter().map(parse).collect::<Result<_, _>>()?;
        let cause = self.cause.as_ref().map(parse).transpose()?;
        Ok(Finding {
            code: rule.code,
            slug: rule.slug,
            severity: rule.severity,
            targets,
            cause,
            message: self.message.clone(),
            help: self.help.clone(),
            waived: self.waived.clone(),
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
    #[error("cannot read plan file {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write plan file {}", path.display())]
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
        findings: &[Finding],
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
            findings: findings.iter().map(FileFinding::from_finding).collect(),
            unmanaged: plan
                .unmanaged
                .objects
                .values()
                .flatten()
                .map(ToString::to_string)
                .collect(),
            fingerprints,
            access: FileAccess::default(),
            partial: None,
            checksum: String::new(),
        };
        file.checksum = file.compute_checksum();
        file
    }

    /// The same file with the plan's access changes saved (checksum recomputed).
    pub fn with_access(mut self, render: &crate::render::RenderPlan) -> PlanFile {
        self.access = FileAccess {
            changes: render
                .access_changes
                .iter()
                .map(|c| FileAccessChange {
                    address: c.address.to_string(),
                    what: c.what,
                    before: c.before.clone(),
                    after: c.after.clone(),
                })
                .collect(),
            summary: render.access_summary.clone(),
        };
        self.checksum = self.compute_checksum();
        self
    }

    /// Records the filter of a partial plan (`None`: whole).
    pub fn with_partial(mut self, partial: Option<super::target::Partial>) -> PlanFile {
        self.partial = partial;
        self.checksum = self.compute_checksum();
        self
    }

    /// The saved access changes, for rendering. Errors on an address this jcform cannot read.
    pub fn to_access(&self) -> Result<(Vec<AccessChange>, Vec<Sentence>), AddressParseError> {
        let changes = self
            .access
            .changes
            .iter()
            .map(|c| {
                Ok(AccessChange {
                    address: c.address.parse()?,
                    what: c.what,
                    before: c.before.clone(),
                    after: c.after.clone(),
                })
            })
            .collect::<Result<Vec<_>, AddressParseError>>()?;
        Ok((changes, self.access.summary.clone()))
    }

    /// The plan as saved, for rendering (`jcform show`): changes with secrets redacted, the
    /// unmanaged objects by address (their fields are not saved).
    pub fn to_plan(&self) -> Result<Plan, ChangeReadError> {
        let changes = self
            .changes
            .iter()
            .map(FileChange::to_change)
            .collect::<Result<Vec<_>, _>>()?;
        let mut unmanaged = super::Unmanaged::default();
        for a in &self.unmanaged {
            let address: crate::model::Address = a.parse()?;
            unmanaged
                .objects
                .entry(crate::render::Section::of(&address).key().to_string())
                .or_default()
                .push(address);
        }
        Ok(Plan { changes, unmanaged })
    }

    /// The findings as saved, with slug and severity from the rule catalogue.
    pub fn to_findings(&self) -> Result<Vec<Finding>, String> {
        self.findings.iter().map(FileFinding::to_finding).collect()
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
        let text = read_bounded(path)?;
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
        let file: PlanFile = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
        // Every change must read back as typed fields: a field this jcform does not know, or a
        // value of the wrong type, refuses the file rather than being ignored.
        file.to_plan().map_err(|e| invalid(e.to_string()))?;
        Ok(file)
    }
}

/// The fingerprint of a live object: sha256 (hex) of its canonical JSON, so key order and
/// whitespace in the API's answer don't count as a change.
pub fn fingerprint(value: &Value) -> String {
    sha256_hex(canonical_json(value).as_bytes())
}

/// The org label a plan file stores: a sandbox named by its path relative to the config root
/// (`sandbox:../org.json`), so a plan made as `plan cfg --sandbox ./org.json` in one directory
/// applies as `apply /abs/cfg --sandbox /abs/org.json` from another. Other labels (org id,
/// console host) are kept as they are. Paths that cannot be resolved are kept as given.
pub fn portable_org_label(label: &str, sandbox: Option<&Path>, config_root: &Path) -> String {
    let Some(sandbox) = sandbox else {
        return label.to_string();
    };
    let root = config_dir(config_root);
    match (std::fs::canonicalize(sandbox), root) {
        (Ok(file), Some(root)) => format!("sandbox:{}", relative_path(&file, &root).display()),
        _ => label.to_string(),
    }
}

/// The directory a config path names: itself, or a file's parent, canonical.
fn config_dir(config_root: &Path) -> Option<PathBuf> {
    let root = std::fs::canonicalize(config_root).ok()?;
    if root.is_dir() {
        Some(root)
    } else {
        root.parent().map(Path::to_path_buf)
    }
}

/// `path` relative to `base` (both absolute and canonical), with `..` where they part.
pub fn relative_path(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

/// The key under which [`scoped_fingerprints`] stores the bindings of the objects in scope
/// (association edges have no ids of their own).
pub const BINDINGS_KEY: &str = "bindings";

/// What a saved plan depends on: the remote ids its changes carry and the addresses its
/// changes and findings name. Built from a fresh plan or from a plan file alike, so `plan`
/// and `apply` scope the same objects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub remote_ids: BTreeSet<String>,
    pub addresses: BTreeSet<Address>,
}

impl Scope {
    /// The scope of a fresh plan and its findings.
    pub fn of_plan(plan: &Plan, findings: &[Finding]) -> Scope {
        let mut scope = Scope::default();
        for c in &plan.changes {
            scope.remote_ids.extend(c.remote_ids.values().cloned());
            scope.addresses.insert(c.address.clone());
            scope.addresses.extend(c.renamed_from());
        }
        for f in findings {
            scope.addresses.extend(f.targets.iter().cloned());
            scope.addresses.extend(f.cause.iter().cloned());
        }
        scope
    }

    /// The scope of a saved plan: the same as [`Scope::of_plan`] gave when it was written.
    pub fn of_file(file: &PlanFile) -> Result<Scope, String> {
        let plan = file.to_plan().map_err(|e| e.to_string())?;
        let findings = file.to_findings()?;
        Ok(Scope::of_plan(&plan, &findings))
    }
}

/// Fingerprints of the live objects a plan depends on, keyed by remote id (and
/// [`BINDINGS_KEY`] for the bindings among them). The rule (docs/plan-json.md, "What
/// invalidates a saved plan"):
///
/// - every user and group a change or finding names (by remote id, or by name without regard
///   to letter case), and every member of those groups (a group's binding reaches them);
/// - every group any of those users is a member of (its bindings reach them too);
/// - every AD domain and M365 tenant (delegation, agents and settings, which the lockout rules
///   read; an org has few);
/// - the bindings whose user or group is in scope.
///
/// Objects are hashed in the form jcform reads them into (every managed field, members,
/// delegation, password authority, agents), not the raw API answer, so counters the API
/// bumps by itself (failed logins, last login) never invalidate a plan.
pub fn scoped_fingerprints(live: &LiveState, scope: &Scope) -> BTreeMap<String, String> {
    use crate::model::{Binding, Subject};
    let mut users: BTreeSet<&str> = BTreeSet::new();
    let mut groups: BTreeSet<&str> = BTreeSet::new();
    for id in &scope.remote_ids {
        if let Some((id, _)) = live.users.get_key_value(id) {
            users.insert(id);
        } else if let Some((id, _)) = live.groups.get_key_value(id) {
            groups.insert(id);
        }
    }
    let fold = super::keys::fold;
    let user_named = |name: &str| {
        let name = fold(name);
        live.users
            .values()
            .filter(move |u| fold(&u.username) == name)
            .map(|u| u.id.as_str())
    };
    let group_named = |name: &str| {
        let name = fold(name);
        live.groups
            .values()
            .filter(move |g| fold(&g.name) == name)
            .map(|g| g.id.as_str())
    };
    for address in &scope.addresses {
        match address {
            Address::User(u) => users.extend(user_named(u)),
            Address::Group(g) => groups.extend(group_named(g)),
            Address::Membership(g, u) => {
                groups.extend(group_named(g));
                users.extend(user_named(u));
            }
            Address::Binding(Binding { subject, .. }) => match subject {
                Subject::User(u) => users.extend(user_named(u)),
                Subject::Group(g) => groups.extend(group_named(g)),
            },
            Address::AdDomain(_) | Address::M365Tenant(_) | Address::SsoApp(_) => {}
        }
    }
    for g in groups.clone() {
        if let Some(group) = live.groups.get(g) {
            users.extend(group.members.iter().map(String::as_str));
        }
    }
    for group in live.groups.values() {
        if group.members.iter().any(|m| users.contains(m.as_str())) {
            groups.insert(&group.id);
        }
    }

    fn of<T: Serialize>(converted: &T) -> String {
        fingerprint(&serde_json::to_value(converted).unwrap_or(Value::Null))
    }
    let mut out = BTreeMap::new();
    for id in &users {
        if let Some(u) = live.users.get(*id) {
            out.insert(id.to_string(), of(u));
        }
    }
    for id in &groups {
        if let Some(g) = live.groups.get(*id) {
            out.insert(id.to_string(), of(g));
        }
    }
    for (id, d) in &live.ad_domains {
        out.insert(id.clone(), of(d));
    }
    for (id, t) in &live.m365_tenants {
        out.insert(id.clone(), of(t));
    }
    // The SSO apps: what LCK010/LCK011 and the federated sign-in verdicts read.
    for (id, a) in &live.sso_apps {
        out.insert(id.clone(), of(a));
    }
    let bindings: Vec<&Binding> = live
        .bindings
        .iter()
        .filter(|b| match &b.subject {
            Subject::User(id) => users.contains(id.as_str()),
            Subject::Group(id) => groups.contains(id.as_str()),
        })
        .collect();
    out.insert(
        BINDINGS_KEY.to_string(),
        fingerprint(&serde_json::to_value(bindings).unwrap_or(Value::Null)),
    );
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
            // Typed sides cannot hold a password: `initial_password` is only ever "(set)".
            changes: vec![Change {
                reason: "declared in the files, missing in the org".into(),
                ..Change::from_json_sides(
                    Address::User("alice".into()),
                    Action::Create,
                    Value::Null,
                    json!({"email": "alice@example.com", "initial_password": "(set)"}),
                )
                .expect("a plan side")
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

    fn user(id: &str, name: &str) -> crate::model::live::LiveUser {
        crate::model::live::LiveUser {
            id: id.into(),
            username: name.into(),
            raw: json!({"_id": id, "username": name, "failedLoginAttempts": 0}).into(),
            ..Default::default()
        }
    }

    fn group(id: &str, name: &str, members: &[&str]) -> crate::model::live::LiveGroup {
        crate::model::live::LiveGroup {
            id: id.into(),
            name: name.into(),
            description: None,
            membership_method: crate::model::live::MembershipMethod::Static,
            member_query: None,
            members: members.iter().map(|m| m.to_string()).collect(),
            raw: Value::Null,
        }
    }

    /// u1 alice (in eng), u2 bob (in eng and ops), u3 carol (in nobody), u4 dave (in ops).
    fn org() -> LiveState {
        let mut live = LiveState::default();
        for (id, name) in [
            ("u1", "alice"),
            ("u2", "bob"),
            ("u3", "carol"),
            ("u4", "dave"),
        ] {
            live.users.insert(id.into(), user(id, name));
        }
        live.groups
            .insert("g1".into(), group("g1", "eng", &["u1", "u2"]));
        live.groups
            .insert("g2".into(), group("g2", "ops", &["u2", "u4"]));
        live
    }

    fn scope_of(addresses: &[Address], ids: &[&str]) -> Scope {
        Scope {
            remote_ids: ids.iter().map(|s| s.to_string()).collect(),
            addresses: addresses.iter().cloned().collect(),
        }
    }

    #[test]
    fn the_scope_is_what_changes_and_what_its_findings_read() {
        let live = org();
        // A change to alice (by id): alice, the groups she is in, every directory, bindings.
        let fp = scoped_fingerprints(&live, &scope_of(&[], &["u1"]));
        assert_eq!(fp.keys().collect::<Vec<_>>(), vec!["bindings", "g1", "u1"]);
        // Named in another letter case: the same object.
        let fp2 = scoped_fingerprints(&live, &scope_of(&[Address::User("ALICE".into())], &[]));
        assert_eq!(fp, fp2);
        // A change to group eng: its members, and the groups they are in.
        let fp = scoped_fingerprints(&live, &scope_of(&[Address::Group("eng".into())], &[]));
        assert_eq!(
            fp.keys().collect::<Vec<_>>(),
            vec!["bindings", "g1", "g2", "u1", "u2"]
        );
        // carol is in no group; a membership for her names eng too.
        let m = Address::Membership("eng".into(), "carol".into());
        let fp = scoped_fingerprints(&live, &scope_of(&[m], &[]));
        assert!(fp.contains_key("u3") && fp.contains_key("g1"), "{fp:?}");
    }

    #[test]
    fn untouched_objects_and_api_counters_do_not_count() {
        let live = org();
        let scope = scope_of(&[Address::User("carol".into())], &[]);
        let before = scoped_fingerprints(&live, &scope);
        let mut now = live.clone();
        // dave changes entirely (out of scope), carol's raw answer gains a failed login.
        if let Some(d) = now.users.get_mut("u4") {
            d.attrs_mut().email = Some("dave@example.org".into());
        }
        if let Some(c) = now.users.get_mut("u3") {
            c.raw = json!({"_id": "u3", "username": "carol", "failedLoginAttempts": 3}).into();
        }
        assert_eq!(scoped_fingerprints(&now, &scope), before);
        // A managed field of carol does count.
        if let Some(c) = now.users.get_mut("u3") {
            c.attrs_mut().email = Some("carol@example.org".into());
        }
        assert_ne!(scoped_fingerprints(&now, &scope)["u3"], before["u3"]);
    }

    #[test]
    fn bindings_and_directories_in_scope_count() {
        use crate::model::{Binding, Directory, Subject};
        let mut live = org();
        let scope = scope_of(&[Address::User("carol".into())], &[]);
        let before = scoped_fingerprints(&live, &scope);
        // A binding of dave (out of scope) does not count; one of carol does.
        live.bindings.insert(Binding {
            directory: Directory::AdDomain("d1".into()),
            subject: Subject::User("u4".into()),
        });
        assert_eq!(scoped_fingerprints(&live, &scope), before);
        live.bindings.insert(Binding {
            directory: Directory::AdDomain("d1".into()),
            subject: Subject::User("u3".into()),
        });
        assert_ne!(
            scoped_fingerprints(&live, &scope)["bindings"],
            before["bindings"]
        );
    }

    #[test]
    fn findings_and_unmanaged_round_trip_for_show() {
        let finding = Finding::new(
            &crate::lint::catalog::LCK001,
            vec![Address::User("alice".into())],
            Some(Address::User("alice".into())),
            "message",
            "help",
        );
        let mut plan = sample();
        plan.unmanaged
            .objects
            .insert("users".into(), vec![Address::User("zed".into())]);
        let file = PlanFile::new(
            "acme",
            "h",
            &plan,
            std::slice::from_ref(&finding),
            fingerprints(),
        );
        assert_eq!(file.to_findings().unwrap(), vec![finding]);
        let back = file.to_plan().unwrap();
        assert_eq!(
            back.unmanaged.objects["users"],
            vec![Address::User("zed".into())]
        );
        assert_eq!(back.changes[0].after.to_json()["initial_password"], "(set)");
        let mut bad = file.clone();
        bad.findings[0].code = "XYZ999".into();
        assert!(bad.to_findings().unwrap_err().contains("XYZ999"));
    }

    #[test]
    fn sandbox_labels_are_relative_to_the_config_root() {
        assert_eq!(
            relative_path(Path::new("/a/b/org.json"), Path::new("/a/b/cfg")),
            PathBuf::from("../org.json")
        );
        assert_eq!(
            relative_path(Path::new("/a/cfg/org.json"), Path::new("/a/cfg")),
            PathBuf::from("org.json")
        );
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("cfg");
        std::fs::create_dir(&cfg).unwrap();
        std::fs::write(dir.path().join("org.json"), "{}").unwrap();
        let spelled = dir.path().join("cfg/../org.json");
        assert_eq!(
            portable_org_label("sandbox:x", Some(&spelled), &cfg),
            "sandbox:../org.json"
        );
        assert_eq!(portable_org_label("acme", None, &cfg), "acme");
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let file = PlanFile::new("acme", "cfg-hash", &sample(), &[], fingerprints());
        file.write_atomic(&path).unwrap();
        let back = PlanFile::read(&path).unwrap();
        assert_eq!(back, file);
        assert_eq!(back.changes[0].action, Action::Create);
        assert_eq!(back.tool_version, env!("CARGO_PKG_VERSION"));
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// A saved change that is not exactly the typed fields of its kind (an unknown field, a
    /// value of the wrong type or spelling) refuses the whole file, naming the field, even
    /// when its checksum is right (written by another jcform, or recomputed by hand).
    #[test]
    fn unknown_or_mistyped_fields_refuse_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let cases = [
            ("nickname", json!("Ali")),
            ("email", json!(42)),
            ("state", json!("ACTIVATED")),
            ("initial_password", json!("hunter2")),
        ];
        for (field, value) in cases {
            let mut file = PlanFile::new("acme", "cfg-hash", &sample(), &[], fingerprints());
            file.changes[0].after[field] = value.clone();
            file.checksum = file.compute_checksum();
            file.write_atomic(&path).unwrap();
            let err = PlanFile::read(&path).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, PlanFileError::Invalid { .. }), "{text}");
            assert!(
                text.contains(field) && text.contains("user.alice"),
                "{text}"
            );
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn secrets_are_never_written() {
        // A change cannot even hold one.
        let secret = Change::from_json_sides(
            Address::User("alice".into()),
            Action::Create,
            Value::Null,
            json!({"initial_password": "hunter2"}),
        );
        assert!(secret.is_err_and(|e| !e.contains("hunter2")));
        let file = PlanFile::new("acme", "cfg-hash", &sample(), &[], fingerprints());
        let text = file.to_json();
        assert!(!text.contains("hunter2"));
        assert!(text.contains("\"initial_password\": \"(set)\""));
    }

    #[test]
    fn tampered_files_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        PlanFile::new("acme", "cfg-hash", &sample(), &[], fingerprints())
            .write_atomic(&path)
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"create\"", "\"delete\"")).unwrap();
        let err = PlanFile::read(&path).unwrap_err();
        assert!(matches!(err, PlanFileError::Tampered { .. }), "{err}");
        assert!(err.to_string().contains("checksum mismatch"));

        // Whitespace and key order are not tampering: the checksum is over canonical JSON.
        let file = PlanFile::new("acme", "cfg-hash", &sample(), &[], fingerprints());
        std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
        assert_eq!(PlanFile::read(&path).unwrap(), file);
    }

    #[test]
    fn unknown_keys_anywhere_refuse_the_file_even_with_a_matching_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let file = PlanFile::new("acme", "cfg-hash", &sample(), &[], fingerprints());
        let places: [fn(&mut Value); 2] = [
            |v| {
                v["evil"] = 1.into();
            },
            |v| {
                v["changes"][0]["evil"] = 1.into();
            },
        ];
        for tamper in places {
            let mut value = serde_json::to_value(&file).unwrap();
            value.as_object_mut().unwrap().remove("checksum");
            tamper(&mut value);
            // The checksum is made to match: only the shape can catch the extra key.
            let checksum = sha256_hex(canonical_json(&value).as_bytes());
            value["checksum"] = checksum.into();
            std::fs::write(&path, value.to_string()).unwrap();
            let err = PlanFile::read(&path).unwrap_err();
            assert!(matches!(err, PlanFileError::Invalid { .. }), "{err}");
            assert!(err.to_string().contains("unknown field `evil`"), "{err}");
        }
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

        let mut file = PlanFile::new("acme", "cfg-hash", &sample(), &[], fingerprints());
        file.format_version = "9".into();
        std::fs::write(&path, file.to_json()).unwrap();
        assert!(matches!(
            PlanFile::read(&path),
            Err(PlanFileError::UnsupportedVersion { .. })
        ));

        let mut value = serde_json::to_value(PlanFile::new(
            "acme",
            "cfg-hash",
            &sample(),
            &[],
            fingerprints(),
        ))
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
