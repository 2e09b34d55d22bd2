//! The emulated org: the JSON state file, held in memory in the API's own shapes.
//!
//! Objects stay `serde_json` maps so fields the emulator does not know about survive a round
//! trip. The file is only written after a successful change, and always atomically (temp file in
//! the same directory, then rename), so a crash or an injected fault never leaves half a file.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::model::{GraphKind, UserState};

use super::table::{apply_edge, apply_row, Change, Edges, PlainId, Table, Tracked, UnderscoreId};

/// One API object (user, group, directory, agent, domain).
pub type Obj = Map<String, Value>;

/// Graph object types the emulator stores edges for.
pub const USER: &str = GraphKind::User.api_name();
pub const USER_GROUP: &str = GraphKind::Group.api_name();
pub const ACTIVE_DIRECTORY: &str = GraphKind::AdDomain.api_name();
pub const OFFICE_365: &str = GraphKind::M365Tenant.api_name();
pub const APPLICATION: &str = GraphKind::SsoApp.api_name();

/// The public SAML signing certificate every sandbox application holds
/// (`config.idpCertificate.value`): a fixed self-signed test certificate (CN "JumpCloud Sandbox
/// SAML", O "jcform test data"), generated once for the sandbox; its private key was discarded.
pub const SANDBOX_IDP_CERTIFICATE: &str = include_str!("sandbox-saml-cert.pem");

/// The whole org as the state file holds it. Missing keys mean empty collections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Org {
    /// Indexed and change-tracked (see `table`), like `usergroups` and `associations`: the
    /// collections that grow with the org. Small collections stay plain and are copied per write.
    pub systemusers: Table<UnderscoreId>,
    pub usergroups: Table<PlainId>,
    pub activedirectories: Vec<Obj>,
    /// Agents per AD instance id.
    pub activedirectory_agents: BTreeMap<String, Vec<Obj>>,
    pub office365s: Vec<Obj>,
    /// M365 domains per office365 id.
    pub office365_domains: BTreeMap<String, Vec<Obj>>,
    /// M365 translation rules (`Office365TranslationRule`) per office365 id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub office365_translation_rules: BTreeMap<String, Vec<Obj>>,
    /// The organization's id (users' `organization`, directories' `organizationId`). A file
    /// without one gets [`DEFAULT_ORGANIZATION`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// SSO applications (v1 `application`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<Obj>,
    /// Graph edges, one per pair, in one canonical direction (see [`Edge::new`]).
    pub associations: Edges,
    /// Top-level keys this emulator does not know; kept so hand-written files survive.
    #[serde(flatten)]
    pub extra: Obj,
    /// The highest `unix_uid`/`unix_guid` of any user, when known (in memory only).
    #[serde(skip)]
    unix_high: Option<u64>,
}

/// An end of a graph edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Node {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

impl Node {
    pub fn new(kind: &str, id: &str) -> Node {
        Node {
            kind: kind.to_string(),
            id: id.to_string(),
        }
    }
}

/// A direct association. Group membership is stored `user_group -> user`; bindings are stored
/// `user|user_group -> active_directory|office_365`. Queries answer from either end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edge {
    pub from: Node,
    pub to: Node,
    /// Edge attributes (`GraphAttributes`); absent for plain membership and bindings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Value>,
}

/// Lower rank = the `from` side when storing an edge.
fn rank(kind: &str) -> u8 {
    match kind {
        USER_GROUP => 0,
        USER => 1,
        _ => 2,
    }
}

impl Edge {
    /// Builds the edge between `a` and `b` in its canonical direction, whichever end the
    /// request named first, so the same pair is never stored twice.
    pub fn new(a: Node, b: Node) -> Edge {
        let (from, to) = if rank(&a.kind) <= rank(&b.kind) {
            (a, b)
        } else {
            (b, a)
        };
        Edge {
            from,
            to,
            attributes: None,
        }
    }

    /// The end that is not `node`, if `node` is an end of this edge.
    pub fn other(&self, node: &Node) -> Option<&Node> {
        if &self.from == node {
            Some(&self.to)
        } else if &self.to == node {
            Some(&self.from)
        } else {
            None
        }
    }
}

impl Org {
    /// Reads the state file. A missing file is an empty org; anything unreadable is an error
    /// naming the file, so a typo in a demo state file is obvious.
    pub fn load(path: &Path) -> anyhow::Result<Org> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Org::default()),
            Err(err) => {
                return Err(err)
                    .with_context(|| format!("cannot read emulator state {}", path.display()))
            }
        };
        if text.trim().is_empty() {
            return Ok(Org::default());
        }
        serde_json::from_str(&text).with_context(|| {
            format!(
                "emulator state {} is not a valid state file",
                path.display()
            )
        })
    }

    /// Writes the state file atomically, without fsync (see `atomic::Options::durable`): a
    /// killed run leaves either the old or the new file, never half of one.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        let options = crate::atomic::Options {
            durable: false,
            ..Default::default()
        };
        crate::atomic::write_with(path, &bytes, options)
            .with_context(|| format!("cannot write emulator state {}", path.display()))
    }

    /// Fills what a hand-written state file may leave out (ids, read-only defaults), so every
    /// response has the shape the real API gives.
    pub fn normalise(&mut self, ids: &mut IdGen) {
        for user in self.systemusers.untracked_iter_mut() {
            ensure_id(user, "_id", ids);
        }
        for group in self.usergroups.untracked_iter_mut() {
            ensure_id(group, "id", ids);
            fill_group_defaults(group);
        }
        self.usergroups.reindex();
        for ad in &mut self.activedirectories {
            ensure_id(ad, "id", ids);
        }
        for agents in self.activedirectory_agents.values_mut() {
            agents.iter_mut().for_each(|a| ensure_id(a, "id", ids));
        }
        for o365 in &mut self.office365s {
            ensure_id(o365, "id", ids);
        }
        for domains in self.office365_domains.values_mut() {
            domains
                .iter_mut()
                .for_each(|d| ensure_id(d, "objectId", ids));
        }
        for rules in self.office365_translation_rules.values_mut() {
            rules.iter_mut().for_each(|r| ensure_id(r, "id", ids));
        }
        for app in &mut self.applications {
            ensure_id(app, "_id", ids);
            fill_application_defaults(app);
        }
        // A fixed default, not a derived one: editing any object of a hand-written file must not
        // change every user's `organization` (plans fingerprint the objects they read).
        let org_id = self
            .organization
            .get_or_insert_with(|| DEFAULT_ORGANIZATION.to_string())
            .clone();
        let mut next = self.next_unix_id();
        for user in self.systemusers.untracked_iter_mut() {
            if !user.contains_key("unix_uid") {
                user.insert("unix_uid".into(), Value::from(next));
                next += 1;
            }
            let uid = user.get("unix_uid").cloned().unwrap_or(Value::Null);
            user.entry("unix_guid").or_insert(uid);
            user.entry("organization")
                .or_insert_with(|| Value::String(org_id.clone()));
        }
        // Stored packed (see `table::IdKey::pack`); served whole.
        self.systemusers.untracked_pack();
        self.systemusers.reindex();
        self.unix_high = None;
    }

    /// Whether some object lacks the id [`Org::normalise`] would give it (a hand-written file).
    pub fn lacks_ids(&self) -> bool {
        let lacks = |obj: &Obj, key: &str| !obj.get(key).is_some_and(Value::is_string);
        let all = |list: &[Obj], key: &str| list.iter().any(|o| lacks(o, key));
        self.systemusers.iter().any(|u| lacks(u, "_id"))
            || self.usergroups.iter().any(|g| lacks(g, "id"))
            || all(&self.activedirectories, "id")
            || self.activedirectory_agents.values().any(|a| all(a, "id"))
            || all(&self.office365s, "id")
            || self.office365_domains.values().any(|d| all(d, "objectId"))
            || self
                .office365_translation_rules
                .values()
                .any(|r| all(r, "id"))
            || all(&self.applications, "_id")
    }

    /// The organization id (set by [`Org::normalise`]).
    pub fn organization_id(&self) -> String {
        self.organization.clone().unwrap_or_default()
    }

    /// The next free `unix_uid`: JumpCloud numbers new users from 5000 upward (the org's default
    /// UID/GID range) unless the admin sets one. Scans the users once, then follows
    /// [`Org::note_unix_ids`] (a change that may lower the highest id calls
    /// [`Org::forget_unix_ids`]).
    pub fn next_unix_id(&mut self) -> u64 {
        let high = match self.unix_high {
            Some(high) => Some(high),
            None => self
                .systemusers
                .iter()
                .flat_map(|u| [u.get("unix_uid"), u.get("unix_guid")])
                .filter_map(|v| v.and_then(Value::as_u64))
                .max(),
        };
        self.unix_high = high;
        high.map_or(FIRST_UNIX_ID, |max| (max + 1).max(FIRST_UNIX_ID))
    }

    /// A user now holds these ids (after a create, where [`Org::next_unix_id`] was asked).
    pub fn note_unix_ids(&mut self, user: &Obj) {
        if let Some(high) = &mut self.unix_high {
            for key in ["unix_uid", "unix_guid"] {
                if let Some(id) = user.get(key).and_then(Value::as_u64) {
                    *high = (*high).max(id);
                }
            }
        }
    }

    /// A user was changed or removed: the highest id is found again when next needed.
    pub fn forget_unix_ids(&mut self) {
        self.unix_high = None;
    }

    /// The slot of the edge between `a` and `b`.
    pub fn edge_index(&self, a: &Node, b: &Node) -> Option<usize> {
        self.associations.find(a, b)
    }

    /// Neighbours of `node` whose type is one of `kinds`, in edge order.
    pub fn neighbours<'a>(
        &'a self,
        node: &'a Node,
        kinds: &'a [&str],
    ) -> impl Iterator<Item = &'a Edge> + 'a {
        self.associations.of(node).filter(move |e| {
            e.other(node)
                .is_some_and(|o| kinds.contains(&o.kind.as_str()))
        })
    }

    /// Drops every edge touching `node` (the object is being deleted).
    pub fn remove_edges_of(&mut self, node: &Node) {
        self.associations.remove_all_of(node);
    }

    /// Whether an object of this graph type and id exists.
    pub fn exists(&self, node: &Node) -> bool {
        let (list, key) = match node.kind.as_str() {
            USER => return self.systemusers.contains(&node.id),
            USER_GROUP => return self.usergroups.contains(&node.id),
            ACTIVE_DIRECTORY => (&self.activedirectories, "id"),
            OFFICE_365 => (&self.office365s, "id"),
            APPLICATION => (&self.applications, "_id"),
            _ => return false,
        };
        find(list, key, &node.id).is_some()
    }

    /// The tracked collections by name (a new large collection is added here).
    fn tracked(&mut self) -> [(&'static str, &mut dyn Tracked); 3] {
        [
            ("systemusers", &mut self.systemusers),
            ("usergroups", &mut self.usergroups),
            ("associations", &mut self.associations),
        ]
    }

    /// Runs `f` on the org with its tracked collections taken out (and put back after), so
    /// what remains is small enough to copy and compare on every write.
    fn without_tracked<T>(&mut self, f: impl FnOnce(&mut Org) -> T) -> T {
        let users = std::mem::take(&mut self.systemusers);
        let groups = std::mem::take(&mut self.usergroups);
        let edges = std::mem::take(&mut self.associations);
        let out = f(self);
        self.systemusers = users;
        self.usergroups = groups;
        self.associations = edges;
        out
    }

    /// Starts a write: a copy of the untracked part of the org, for [`Org::rollback`] and
    /// [`Org::changes`]. Costs the size of the small collections, not of the org.
    pub fn begin(&mut self) -> Org {
        self.without_tracked(|org| org.clone())
    }

    /// Undoes everything since [`Org::begin`] returned `before`.
    pub fn rollback(&mut self, before: Org) {
        for (_, table) in self.tracked() {
            table.rollback();
        }
        self.without_tracked(|org| *org = before);
    }

    /// Keeps everything since [`Org::begin`].
    pub fn commit(&mut self) {
        for (_, table) in self.tracked() {
            table.commit();
        }
    }

    /// What changed since [`Org::begin`] returned `before`, as journal records: the final value
    /// of each touched object and edge, and each changed top-level field of the rest.
    pub fn changes(&mut self, before: &Org) -> anyhow::Result<Vec<Change>> {
        let mut out = Vec::new();
        for (name, table) in self.tracked() {
            table.changes(name, &mut out);
        }
        let fields =
            self.without_tracked(|org| -> anyhow::Result<Vec<Change>> {
                if org == before {
                    return Ok(Vec::new());
                }
                let (Value::Object(now), Value::Object(was)) =
                    (serde_json::to_value(&*org)?, serde_json::to_value(before)?)
                else {
                    anyhow::bail!("the org does not serialise as an object");
                };
                let mut changed: Vec<Change> = now
                    .iter()
                    .filter(|(k, v)| was.get(*k) != Some(*v))
                    .map(|(k, v)| Change::Field {
                        field: k.clone(),
                        value: v.clone(),
                    })
                    .collect();
                changed.extend(was.keys().filter(|k| !now.contains_key(*k)).map(|k| {
                    Change::Field {
                        field: k.clone(),
                        value: Value::Null,
                    }
                }));
                Ok(changed)
            })?;
        out.extend(fields);
        Ok(out)
    }

    /// Replays journal records (see `journal`).
    pub fn apply_changes(&mut self, changes: Vec<Change>) -> anyhow::Result<()> {
        for change in changes {
            match change {
                Change::Row { table, id, value } => match table.as_str() {
                    "systemusers" => apply_row(&mut self.systemusers, &id, value),
                    "usergroups" => apply_row(&mut self.usergroups, &id, value),
                    other => anyhow::bail!("unknown table {other:?}"),
                },
                Change::Edge { from, to, edge } => {
                    apply_edge(&mut self.associations, &from, &to, edge)
                }
                Change::Field { field, value } => self.without_tracked(|org| {
                    let Value::Object(mut map) = serde_json::to_value(&*org)? else {
                        anyhow::bail!("the org does not serialise as an object");
                    };
                    if value.is_null() {
                        map.remove(&field);
                    } else {
                        map.insert(field, value);
                    }
                    let high = org.unix_high;
                    *org = serde_json::from_value(Value::Object(map))?;
                    org.unix_high = high;
                    Ok(())
                })?,
            }
        }
        self.unix_high = None;
        Ok(())
    }
}

/// Index of the object whose `key` (`_id` or `id`) is `id`.
pub fn find(list: &[Obj], key: &str, id: &str) -> Option<usize> {
    list.iter()
        .position(|o| o.get(key).and_then(Value::as_str) == Some(id))
}

/// Generates 24-hex ObjectId-like ids. Seeded when the emulator has a seed, so a scripted run
/// gets the same ids every time.
pub struct IdGen(StdRng);

impl IdGen {
    pub fn new(seed: Option<u64>) -> IdGen {
        IdGen(match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        })
    }

    pub fn next_id(&mut self) -> String {
        let mut bytes = [0u8; 12];
        self.0.fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn ensure_id(obj: &mut Obj, key: &str, ids: &mut IdGen) {
    if !obj.get(key).is_some_and(Value::is_string) {
        obj.insert(key.to_string(), Value::String(ids.next_id()));
    }
}

/// Now, as the API writes timestamps (RFC 3339, UTC, whole seconds).
pub fn now() -> String {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&Rfc3339).unwrap_or_default()
}

/// The organization id of a state file that names none.
pub const DEFAULT_ORGANIZATION: &str = "5e0000000000000000000001";

/// Where JumpCloud starts numbering users' `unix_uid` / `unix_guid`.
pub const FIRST_UNIX_ID: u64 = 5000;

/// Every field of `systemuserreturn` the API returns for a user nobody set it on (text fields as
/// `""`, flags `false`, lists empty), filled only where missing. `unix_uid`, `unix_guid` and
/// `organization` depend on the org: see [`Org::normalise`] and the create route.
pub fn fill_user_defaults(user: &mut Obj) {
    for key in USER_TEXT_DEFAULTS {
        user.entry(*key).or_insert(Value::String(String::new()));
    }
    for (key, value) in user_defaults(user) {
        user.entry(key).or_insert(value);
    }
}

/// Drops the fields `user` holds at the value [`fill_user_defaults`] would fill in, so
/// `fill_user_defaults(pack_user(u)) == u` (the field order aside). Users are stored this way
/// (`table::IdKey::pack`): 100,000 users with ~45 default fields each cost over a gigabyte as
/// JSON maps (issue 13).
pub fn pack_user(user: &mut Obj) {
    // The other defaults follow `state`, which itself defaults to `ACTIVATED`: a user packed
    // without it is unpacked as activated, so it is dropped only then.
    let defaults = user_defaults(user);
    let is_default = |key: &str, value: &Value| {
        if USER_TEXT_DEFAULTS.contains(&key) {
            return value.as_str() == Some("");
        }
        if key == "state" {
            return value.as_str() == Some(UserState::Active.api_name());
        }
        defaults.iter().any(|(k, v)| *k == key && v == value)
    };
    if !user.iter().any(|(k, v)| is_default(k, v)) {
        return;
    }
    // Rebuilt rather than `retain`ed, so the map's capacity shrinks to what is left.
    let kept: Vec<(String, Value)> = std::mem::take(user)
        .into_iter()
        .filter(|(k, v)| !is_default(k, v))
        .collect();
    *user = kept.into_iter().collect();
}

/// The defaults of the non-text fields of `systemuserreturn`, for a user in this `state`.
fn user_defaults(user: &Obj) -> [(&'static str, Value); 31] {
    let state = user
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or(UserState::Active.api_name())
        .to_string();
    [
        ("state", Value::String(state.clone())),
        (
            "activated",
            Value::Bool(state == UserState::Active.api_name()),
        ),
        (
            "suspended",
            Value::Bool(state == UserState::Suspended.api_name()),
        ),
        ("account_locked", Value::Bool(false)),
        ("account_locked_date", Value::Null),
        ("password_date", Value::Null),
        ("password_expired", Value::Bool(false)),
        ("password_expiration_date", Value::Null),
        ("password_never_expires", Value::Bool(false)),
        ("sudo", Value::Bool(false)),
        ("passwordless_sudo", Value::Bool(false)),
        ("totp_enabled", Value::Bool(false)),
        ("badLoginAttempts", Value::from(0)),
        ("attributes", Value::Array(Vec::new())),
        ("addresses", Value::Array(Vec::new())),
        ("phoneNumbers", Value::Array(Vec::new())),
        ("relationships", Value::Array(Vec::new())),
        ("restrictedFields", Value::Array(Vec::new())),
        ("ssh_keys", Value::Array(Vec::new())),
        ("tags", Value::Array(Vec::new())),
        ("allow_public_key", Value::Bool(true)),
        ("disableDeviceMaxLoginAttempts", Value::Bool(false)),
        ("enable_managed_uid", Value::Bool(false)),
        ("enable_user_portal_multifactor", Value::Bool(false)),
        ("externally_managed", Value::Bool(false)),
        ("ldap_binding_user", Value::Bool(false)),
        ("samba_service_user", Value::Bool(false)),
        ("mfa", json!({"configured": false, "exclusion": false})),
        (
            "mfaEnrollment",
            json!({
                "overallStatus": "NOT_ENROLLED",
                "pushStatus": "NOT_ENROLLED",
                "totpStatus": "NOT_ENROLLED",
                "webAuthnStatus": "NOT_ENROLLED",
            }),
        ),
        ("delegatedAuthority", Value::Null),
        ("created", Value::String(EPOCH.into())),
    ]
}

/// `created` of a user in a hand-written state file that gives none.
const EPOCH: &str = "1970-01-01T00:00:00Z";

/// Text fields of `systemuserreturn` the API returns as `""` when unset. Not `manager` (an
/// object id) nor `employeeIdentifier` (unique per org): those stay absent until set.
const USER_TEXT_DEFAULTS: &[&str] = &[
    "alternateEmail",
    "company",
    "costCenter",
    "department",
    "description",
    "displayname",
    "employeeType",
    "external_dn",
    "external_source_type",
    "firstname",
    "jobTitle",
    "lastname",
    "location",
    "managedAppleId",
    "middlename",
    "public_key",
];

/// What the API holds for an application nobody set it on: active, SAML, the org's public
/// signing certificate in `config.idpCertificate`. Never a private key: `config.idpPrivateKey`
/// is dropped (the sandbox keeps none, and a response must never carry one).
pub fn fill_application_defaults(app: &mut Obj) {
    app.entry("active").or_insert(Value::Bool(true));
    let name = app_name(app);
    app.entry("displayLabel").or_insert(Value::String(name));
    app.entry("ssoUrl").or_insert(Value::String(String::new()));
    app.entry("sso").or_insert_with(|| json!({"type": "saml"}));
    app.entry("created").or_insert(Value::String(EPOCH.into()));
    let config = app.entry("config").or_insert_with(|| json!({}));
    if !config.is_object() {
        *config = json!({});
    }
    if let Value::Object(c) = config {
        c.remove("idpPrivateKey");
        let cert = c
            .entry("idpCertificate")
            .or_insert_with(|| json!({"type": "file"}));
        if let Value::Object(cert) = cert {
            // Only an absent, null or blank value is filled: a value of another type is kept,
            // so a client reading it sees the wrong type (and must fail), as against a real org.
            let missing = match cert.get("value") {
                None | Some(Value::Null) => true,
                Some(Value::String(v)) => v.trim().is_empty(),
                Some(_) => false,
            };
            if missing {
                cert.insert(
                    "value".into(),
                    Value::String(SANDBOX_IDP_CERTIFICATE.to_string()),
                );
            }
        }
    }
}

fn app_name(app: &Obj) -> String {
    app.get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub fn fill_group_defaults(group: &mut Obj) {
    group.insert("type".into(), Value::String(USER_GROUP.into()));
    group
        .entry("membershipMethod")
        .or_insert(Value::String("STATIC".into()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_file_is_empty_org() {
        let dir = tempfile::tempdir().unwrap();
        let org = Org::load(&dir.path().join("nope.json")).unwrap();
        assert_eq!(org, Org::default());
    }

    #[test]
    fn bad_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, "{ not json").unwrap();
        let err = format!("{:#}", Org::load(&path).unwrap_err());
        assert!(err.contains("state.json"), "{err}");
    }

    #[test]
    fn save_is_atomic_and_round_trips_unknown_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(
            &path,
            r#"{"systemusers":[{"_id":"a","username":"x","custom":1}],"future":true}"#,
        )
        .unwrap();
        let org = Org::load(&path).unwrap();
        org.save(&path).unwrap();
        // Only the state file is left: the temp file was renamed over it.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
        let back: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back["systemusers"][0]["custom"], json!(1));
        assert_eq!(back["future"], json!(true));
    }

    #[test]
    fn save_into_missing_dir_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("state.json");
        assert!(Org::default().save(&path).is_err());
    }

    #[test]
    fn packed_users_unpack_to_what_they_were() {
        let users = [
            json!({"_id": "a", "username": "a"}),
            json!({"_id": "b", "username": "b", "state": "SUSPENDED", "activated": true}),
            json!({"_id": "c", "username": "c", "state": "STAGED", "sudo": true, "company": "X"}),
            json!({"_id": "d", "username": "d", "state": 5, "mfa": {"configured": true}}),
            json!({"_id": "e", "username": "e", "state": "ACTIVATED", "activated": false}),
        ];
        for user in users {
            let mut full = user.as_object().unwrap().clone();
            fill_user_defaults(&mut full);
            let mut packed = full.clone();
            pack_user(&mut packed);
            assert!(packed.len() < full.len(), "{user}: {packed:?}");
            let mut again = packed.clone();
            fill_user_defaults(&mut again);
            assert_eq!(again, full, "{user}");
            // Packing is idempotent and keeps every field set away from its default.
            let mut twice = packed.clone();
            pack_user(&mut twice);
            assert_eq!(twice, packed);
            for (key, value) in user.as_object().unwrap() {
                let kept = packed.get(key) == Some(value);
                let default = !kept && full.get(key) == Some(value);
                assert!(kept || default, "{key} of {user}");
            }
        }
    }

    #[test]
    fn edges_have_one_direction() {
        let user = Node::new(USER, "u");
        let ad = Node::new(ACTIVE_DIRECTORY, "d");
        let group = Node::new(USER_GROUP, "g");
        assert_eq!(
            Edge::new(ad.clone(), user.clone()),
            Edge::new(user.clone(), ad.clone())
        );
        assert_eq!(Edge::new(user.clone(), group.clone()).from, group);
    }

    #[test]
    fn ids_are_24_hex_and_seedable() {
        let a = IdGen::new(Some(7)).next_id();
        assert_eq!(a, IdGen::new(Some(7)).next_id());
        assert_eq!(a.len(), 24);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
