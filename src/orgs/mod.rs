//! Many orgs from one repository: the orgs file (`jcform.orgs.yaml`) names each org, how to
//! reach it (a credentials profile, an org id, or a sandbox file), its config directory and its
//! overlays (see [`overlay`]). `jcform orgs plan` plans them all; `jcform orgs --matrix` hands
//! them to a CI system's matrix. The format is documented in docs/orgs.md:
//!
//! ```yaml
//! version: 1
//! concurrency: 4                 # orgs planned at once (default 4)
//! orgs:
//!   production:
//!     config: config             # paths are relative to this file
//!     profile: acme-prod         # a [profile.acme-prod] of the credentials file
//!   staging:
//!     config: config
//!     overlays: [overlays/staging]
//!     profile: acme-staging
//!   lab:
//!     config: config
//!     sandbox: sandboxes/lab.json
//! ```
//!
//! The file is read with the config reader, so its errors come with file:line:col and a fix.

pub mod overlay;

use std::path::{Path, PathBuf};

use crate::config::{Entry, Node, Value};
use crate::diag::Diagnostic;
use crate::source::{Sources, Span};

/// The orgs file `jcform orgs` reads when `--file` is not given.
pub const DEFAULT_FILE: &str = "jcform.orgs.yaml";
/// Orgs planned at once unless the file or `--concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The most orgs planned at once (each has its own request limiter).
pub const MAX_CONCURRENCY: usize = 32;

const TOP_FIELDS: &[&str] = &["version", "concurrency", "orgs"];
const ORG_FIELDS: &[&str] = &["config", "overlays", "profile", "sandbox", "org_id"];

/// A parsed orgs file.
#[derive(Debug, Clone)]
pub struct OrgsFile {
    pub path: PathBuf,
    pub concurrency: usize,
    /// In file order.
    pub orgs: Vec<OrgEntry>,
}

/// One org of the file. Paths are already joined to the file's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgEntry {
    /// `[A-Za-z0-9][A-Za-z0-9_.-]*`: used in reports, CI matrices and plan file names.
    pub name: String,
    pub config: PathBuf,
    pub overlays: Vec<PathBuf>,
    /// A credentials profile (its console, org id and key).
    pub profile: Option<String>,
    /// An emulator state file (no credentials); excludes `profile` and `org_id`.
    pub sandbox: Option<PathBuf>,
    /// `x-org-id`, over the profile's: one multi-tenant admin key, many orgs.
    pub org_id: Option<String>,
}

impl OrgEntry {
    /// How the org is reached, for reports: `sandbox FILE`, `profile NAME`, `org ID`.
    pub fn target(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &self.sandbox {
            parts.push(format!("sandbox {}", s.display()));
        }
        if let Some(p) = &self.profile {
            parts.push(format!("profile {p}"));
        }
        if let Some(id) = &self.org_id {
            parts.push(format!("org {id}"));
        }
        if parts.is_empty() {
            parts.push("the config's settings.profile".to_string());
        }
        parts.join(", ")
    }
}

/// Why an orgs file cannot be used.
#[derive(Debug)]
pub enum OrgsFileError {
    /// The file cannot be read.
    Load(String),
    /// The file has errors, each with its place.
    Invalid {
        sources: Sources,
        diagnostics: Vec<Diagnostic>,
    },
}

impl std::fmt::Display for OrgsFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrgsFileError::Load(e) => f.write_str(e),
            OrgsFileError::Invalid { diagnostics, .. } => {
                write!(f, "the orgs file has {} error(s)", diagnostics.len())
            }
        }
    }
}

impl std::error::Error for OrgsFileError {}

/// Whether `name` may name an org.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

impl OrgsFile {
    /// Reads and checks an orgs file, collecting every error.
    pub fn load(path: &Path) -> Result<OrgsFile, OrgsFileError> {
        let bytes = std::fs::read(path).map_err(|e| {
            OrgsFileError::Load(if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "{}: no such file\n  help: write an orgs file (docs/orgs.md) or name one \
                     with --file",
                    path.display()
                )
            } else {
                format!("{}: {e}", path.display())
            })
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| OrgsFileError::Load(format!("{}: not valid UTF-8", path.display())))?;
        let mut sources = Sources::default();
        let id = sources.add(path, path.display().to_string(), text);
        let root = match crate::config::yaml::parse(id, sources.get(id)) {
            Ok(root) => root,
            Err(d) => {
                return Err(OrgsFileError::Invalid {
                    sources,
                    diagnostics: vec![d],
                })
            }
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut reader = Reader {
            dir,
            diagnostics: Vec::new(),
        };
        let parsed = reader.file(&root);
        if !reader.diagnostics.is_empty() {
            crate::diag::sort(&mut reader.diagnostics);
            return Err(OrgsFileError::Invalid {
                sources,
                diagnostics: reader.diagnostics,
            });
        }
        let (concurrency, orgs) = parsed;
        Ok(OrgsFile {
            path: path.to_path_buf(),
            concurrency: concurrency.unwrap_or(DEFAULT_CONCURRENCY),
            orgs,
        })
    }

    /// The orgs named in `only` (comma-separated lists allowed), in file order; all of them
    /// when `only` is empty. An unknown name is an error that lists the known ones.
    pub fn select(&self, only: &[String]) -> Result<Vec<OrgEntry>, String> {
        let wanted: Vec<&str> = only
            .iter()
            .flat_map(|o| o.split(','))
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .collect();
        if wanted.is_empty() {
            return Ok(self.orgs.clone());
        }
        let unknown: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|w| !self.orgs.iter().any(|o| o.name == *w))
            .collect();
        if !unknown.is_empty() {
            let known: Vec<&str> = self.orgs.iter().map(|o| o.name.as_str()).collect();
            return Err(format!(
                "{}: no org named {}\n  help: the orgs are {}",
                self.path.display(),
                unknown
                    .iter()
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                known.join(", ")
            ));
        }
        Ok(self
            .orgs
            .iter()
            .filter(|o| wanted.contains(&o.name.as_str()))
            .cloned()
            .collect())
    }
}

/// Collects diagnostics while reading the file's tree.
struct Reader {
    dir: PathBuf,
    diagnostics: Vec<Diagnostic>,
}

impl Reader {
    fn error(&mut self, span: Span, message: String, label: &str, help: String) {
        self.diagnostics.push(
            Diagnostic::error("orgs-file", message)
                .with_label(span, label)
                .with_help(help),
        );
    }

    /// The entries of a mapping, reporting unknown fields and duplicates; `None` (reported)
    /// when `node` is not a mapping.
    fn fields<'a>(
        &mut self,
        node: &'a Node,
        allowed: &[&str],
        what: &str,
    ) -> Option<Vec<&'a Entry>> {
        let Value::Map(entries) = &node.value else {
            self.error(
                node.span,
                format!("{what} must be a mapping, found {}", node.value.kind()),
                "here",
                format!("write {what} as `key: value` lines"),
            );
            return None;
        };
        let mut out: Vec<&Entry> = Vec::new();
        for e in entries {
            if !allowed.is_empty() && !allowed.contains(&e.key.as_str()) {
                let close = allowed
                    .iter()
                    .find(|a| strsim::jaro_winkler(a, &e.key) > 0.8);
                let help = match close {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("{what} fields are {}", allowed.join(", ")),
                };
                self.error(
                    e.key_span,
                    format!("unknown field `{}` in {what}", e.key),
                    "unknown",
                    help,
                );
                continue;
            }
            if let Some(first) = out.iter().find(|f| f.key == e.key) {
                let first = first.key_span;
                self.diagnostics.push(
                    Diagnostic::error(
                        "duplicate-key",
                        format!("`{}` is written twice in {what}", e.key),
                    )
                    .with_label(e.key_span, "written again here")
                    .with_label(first, "first written here")
                    .with_help("keep one of them"),
                );
                continue;
            }
            out.push(e);
        }
        Some(out)
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            other => {
                self.error(
                    node.span,
                    format!("{what} must be a non-empty string, found {}", other.kind()),
                    "here",
                    format!("write {what} as text"),
                );
                None
            }
        }
    }

    fn path(&mut self, node: &Node, what: &str) -> Option<PathBuf> {
        self.string(node, what).map(|p| self.dir.join(p))
    }

    fn file(&mut self, root: &Node) -> (Option<usize>, Vec<OrgEntry>) {
        let Some(top) = self.fields(root, TOP_FIELDS, "the orgs file") else {
            return (None, Vec::new());
        };
        let mut concurrency = None;
        let mut orgs = Vec::new();
        let mut saw_orgs = false;
        for e in top {
            match e.key.as_str() {
                "version" => {
                    if !matches!(e.value.value, Value::Int(1)) {
                        self.error(
                            e.value.span,
                            "unsupported orgs file version".into(),
                            "here",
                            "write `version: 1`".into(),
                        );
                    }
                }
                "concurrency" => match e.value.value {
                    Value::Int(n) if (1..=MAX_CONCURRENCY as i64).contains(&n) => {
                        concurrency = usize::try_from(n).ok();
                    }
                    _ => self.error(
                        e.value.span,
                        format!("concurrency must be a number from 1 to {MAX_CONCURRENCY}"),
                        "here",
                        format!("the default is {DEFAULT_CONCURRENCY}"),
                    ),
                },
                _ => {
                    saw_orgs = true;
                    let Some(entries) = self.fields(&e.value, &[], "orgs") else {
                        continue;
                    };
                    if entries.is_empty() {
                        self.error(
                            e.value.span,
                            "no orgs".into(),
                            "empty",
                            "name at least one org: `production: {config: config, profile: prod}`"
                                .into(),
                        );
                    }
                    for org in entries {
                        if let Some(org) = self.org(org) {
                            orgs.push(org);
                        }
                    }
                }
            }
        }
        if !saw_orgs {
            self.error(
                root.span,
                "the orgs file has no `orgs` mapping".into(),
                "here",
                "add `orgs:` with one entry per org (docs/orgs.md)".into(),
            );
        }
        (concurrency, orgs)
    }

    fn org(&mut self, entry: &Entry) -> Option<OrgEntry> {
        let name = entry.key.clone();
        let before = self.diagnostics.len();
        if !valid_name(&name) {
            self.error(
                entry.key_span,
                format!("`{name}` cannot name an org"),
                "here",
                "use letters, digits, `_`, `.` and `-`, starting with a letter or digit (at most 64)"
                    .into(),
            );
        }
        let what = format!("org `{name}`");
        let fields = self.fields(&entry.value, ORG_FIELDS, &what)?;
        let mut org = OrgEntry {
            name: name.clone(),
            config: PathBuf::new(),
            overlays: Vec::new(),
            profile: None,
            sandbox: None,
            org_id: None,
        };
        let mut config = None;
        let mut sandbox_span = None;
        for f in fields {
            match f.key.as_str() {
                "config" => config = self.path(&f.value, &format!("{what} config")),
                "profile" => org.profile = self.string(&f.value, &format!("{what} profile")),
                "sandbox" => {
                    sandbox_span = Some(f.key_span);
                    org.sandbox = self.path(&f.value, &format!("{what} sandbox"));
                }
                "org_id" => {
                    if let Some(id) = self.string(&f.value, &format!("{what} org_id")) {
                        if crate::credentials::is_org_id(&id) {
                            org.org_id = Some(id);
                        } else {
                            self.error(
                                f.value.span,
                                format!("{what}: org_id must be 24 hexadecimal characters"),
                                "not an org id",
                                "the org id is on the org's Settings page in the JumpCloud console"
                                    .into(),
                            );
                        }
                    }
                }
                _ => {
                    let items: Vec<&Node> = match &f.value.value {
                        Value::Seq(items) => items.iter().collect(),
                        _ => vec![&f.value],
                    };
                    for item in items {
                        if let Some(p) = self.path(item, &format!("{what} overlay")) {
                            org.overlays.push(p);
                        }
                    }
                }
            }
        }
        match config {
            Some(c) => org.config = c,
            None if self.diagnostics.len() == before => self.error(
                entry.key_span,
                format!("{what} has no `config`"),
                "here",
                "add `config: DIR`, the org's config directory (relative to this file)".into(),
            ),
            None => {}
        }
        if let (Some(span), true) = (sandbox_span, org.profile.is_some() || org.org_id.is_some()) {
            self.error(
                span,
                format!("{what}: a sandbox needs no profile or org_id"),
                "sandbox here",
                "keep `sandbox` to plan against the emulator, or `profile`/`org_id` for a real org"
                    .into(),
            );
        }
        (self.diagnostics.len() == before).then_some(org)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<OrgsFile, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jcform.orgs.yaml");
        std::fs::write(&path, text).unwrap();
        OrgsFile::load(&path).map_err(|e| match e {
            OrgsFileError::Load(e) => e,
            OrgsFileError::Invalid {
                sources,
                diagnostics,
            } => crate::diag::render_human(
                &diagnostics,
                &sources,
                crate::diag::HumanStyle {
                    color: false,
                    width: 100,
                },
            ),
        })
    }

    #[test]
    fn reads_orgs_in_order() {
        let f = load(
            "version: 1\nconcurrency: 2\norgs:\n  prod: {config: base, profile: p}\n  \
             staging: {config: base, overlays: [o/staging, o/extra], org_id: 5f1e0c0b4a3f2e1d0c9b8a71}\n  \
             lab: {config: base, sandbox: s.json}\n",
        )
        .unwrap();
        assert_eq!(f.concurrency, 2);
        let names: Vec<&str> = f.orgs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["prod", "staging", "lab"]);
        assert!(f.orgs[1].overlays[1].ends_with("o/extra"));
        assert!(f.orgs[2].sandbox.as_ref().unwrap().ends_with("s.json"));
        assert_eq!(f.select(&["lab,prod".into()]).unwrap().len(), 2);
        let err = f.select(&["nope".into()]).unwrap_err();
        assert!(
            err.contains("`nope`") && err.contains("prod, staging, lab"),
            "{err}"
        );
    }

    #[test]
    fn every_error_is_reported_with_its_place() {
        let err = load(
            "version: 1\nconcurrency: 0\norgs:\n  prod: {config: base, profil: p}\n  \
             \"bad name\": {config: base}\n  lab: {config: base, sandbox: s.json, profile: p}\n  \
             x: {org_id: nothex}\n",
        )
        .unwrap_err();
        for want in [
            "concurrency must be a number",
            "did you mean `profile`?",
            "cannot name an org",
            "a sandbox needs no profile",
            "org_id must be 24 hexadecimal",
            "jcform.orgs.yaml:4:",
        ] {
            assert!(err.contains(want), "{want}: {err}");
        }
    }

    #[test]
    fn missing_pieces() {
        assert!(load("version: 1\n").unwrap_err().contains("no `orgs`"));
        assert!(load("orgs: {a: {profile: p}}\n")
            .unwrap_err()
            .contains("has no `config`"));
        assert!(load("orgs:\n  a: {config: c}\n  a: {config: d}\n")
            .unwrap_err()
            .contains("written twice"));
    }
}
