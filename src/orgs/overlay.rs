//! Overlays: one org's config as another's files plus a few differences, without copying them
//! (docs/orgs.md, "Overlays").
//!
//! An overlay is a config path (file or directory, read like any config) applied on top of a
//! base. The merge works on the raw trees, before validation, so the merged config is validated
//! as one and every diagnostic points at the file (base or overlay) that wrote the value:
//!
//! - `users`, `groups`, `ad_domains`, `m365_tenants`, `sso_apps`: an object whose key the base declares is
//!   **patched**: each field the overlay writes replaces the base's field whole (a `members`
//!   list is replaced, not extended); fields it does not write are kept; a field set to `null`
//!   (`~`, KDL `#null`) is removed, so it is no longer managed. An object set to `null` is
//!   **removed** from the config (references to it elsewhere are then errors, as usual). An
//!   object the base does not declare is **added**.
//! - `settings`: merged key by key, recursively (`settings: {limits: {max_deletes: 50}}` keeps
//!   the base's `manage`); `null` removes a key.
//! - `bindings` and `waivers`: the overlay's entries are **added** (bindings are a union).
//! - Keys match exactly. An overlay key that matches a base key only when case is ignored is
//!   an error: JumpCloud names are case-insensitive, and a silent second object would mean a
//!   second user.
//! - Two files of one overlay writing the same object is an error (as in any config); later
//!   overlays in the list apply on top of earlier ones.
//! - A relative `initial_password: {file: ...}` written in an overlay resolves from the
//!   overlay file's directory, as it would anywhere else.

use std::collections::HashMap;
use std::path::Path;

use crate::config::{Entry, Loaded, Node, RawFile, Value};
use crate::diag::Diagnostic;
use crate::source::Span;

/// The sections whose entries are keyed objects that an overlay patches.
pub const OBJECT_SECTIONS: &[&str] = &["users", "groups", "ad_domains", "m365_tenants", "sso_apps"];

/// Reads `overlay` and merges it into `base` (see the module docs). Syntax errors and merge
/// errors become diagnostics of the result, so `model::from_loaded` reports them with the
/// rest; only an unusable path is an `Err`.
pub fn apply(mut base: Loaded, overlay: &Path) -> Result<Loaded, crate::config::LoadError> {
    let layer = crate::config::load(overlay)?;
    let offset = base.sources.len();
    for (_, file) in layer.sources.iter() {
        base.sources
            .add(&file.path, file.name.clone(), file.text.clone());
    }
    for mut d in layer.diagnostics {
        for label in &mut d.labels {
            label.span = shift(label.span, offset);
        }
        base.diagnostics.push(d);
    }
    let mut seen: HashMap<(String, String), Span> = HashMap::new();
    for mut file in layer.files {
        shift_node(&mut file.root, offset);
        merge_file(&mut base, file, &mut seen);
    }
    Ok(base)
}

fn shift(span: Span, offset: usize) -> Span {
    Span::new(span.file + offset, span.start, span.end)
}

fn shift_node(node: &mut Node, offset: usize) {
    node.span = shift(node.span, offset);
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift_node(n, offset)),
        Value::Map(entries) => {
            for e in entries {
                e.key_span = shift(e.key_span, offset);
                shift_node(&mut e.value, offset);
            }
        }
        _ => {}
    }
}

/// Merges one overlay file; what it adds stays in a file of its own (its directory kept).
fn merge_file(base: &mut Loaded, file: RawFile, seen: &mut HashMap<(String, String), Span>) {
    let RawFile { root, dir } = file;
    let Value::Map(sections) = root.value else {
        // Not a mapping: validation reports it, as for any file.
        base.files.push(RawFile { root, dir });
        return;
    };
    let mut rest: Vec<Entry> = Vec::new();
    for section in sections {
        let name = section.key.as_str();
        if name == "settings" {
            if let Some(target) = find_section(&mut base.files, "settings") {
                merge_map(target, section.value);
                continue;
            }
        }
        if OBJECT_SECTIONS.contains(&name) {
            if let Value::Map(objects) = section.value.value {
                let mut added = Vec::new();
                for object in objects {
                    if let Some(entry) = merge_object(base, name, object, &dir, seen) {
                        added.push(entry);
                    }
                }
                if !added.is_empty() {
                    rest.push(Entry {
                        value: Node {
                            span: section.value.span,
                            value: Value::Map(added),
                        },
                        ..section
                    });
                }
                continue;
            }
            // Not a mapping: validation reports it.
            rest.push(section);
            continue;
        }
        // version, bindings, waivers (added), unknown sections (reported by validation).
        rest.push(section);
    }
    if !rest.is_empty() {
        base.files.push(RawFile {
            root: Node {
                span: root.span,
                value: Value::Map(rest),
            },
            dir,
        });
    }
}

/// The value node of the first top-level `name` section that is a mapping.
fn find_section<'a>(files: &'a mut [RawFile], name: &str) -> Option<&'a mut Node> {
    files.iter_mut().find_map(|f| match &mut f.root.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == name && matches!(e.value.value, Value::Map(_)))
            .map(|e| &mut e.value),
        _ => None,
    })
}

/// Where the base declares `section.key`: (file, section entry, object entry).
fn locate(
    files: &[RawFile],
    section: &str,
    key: &str,
    fold: bool,
) -> Option<(usize, usize, usize)> {
    for (fi, f) in files.iter().enumerate() {
        let Value::Map(entries) = &f.root.value else {
            continue;
        };
        for (si, s) in entries.iter().enumerate() {
            if s.key != section {
                continue;
            }
            let Value::Map(objects) = &s.value.value else {
                continue;
            };
            let found = objects.iter().position(|o| {
                if fold {
                    o.key.to_lowercase() == key.to_lowercase()
                } else {
                    o.key == key
                }
            });
            if let Some(oi) = found {
                return Some((fi, si, oi));
            }
        }
    }
    None
}

fn object_entries(files: &mut [RawFile], at: (usize, usize, usize)) -> &mut Vec<Entry> {
    let (fi, si, _) = at;
    match &mut files[fi].root.value {
        Value::Map(entries) => match &mut entries[si].value.value {
            Value::Map(objects) => objects,
            _ => unreachable!("located as a mapping"),
        },
        _ => unreachable!("located as a mapping"),
    }
}

/// Patches, removes or returns (to be added) one overlay object.
fn merge_object(
    base: &mut Loaded,
    section: &str,
    mut object: Entry,
    dir: &Path,
    seen: &mut HashMap<(String, String), Span>,
) -> Option<Entry> {
    let singular = section.trim_end_matches('s');
    if let Some(first) = seen.insert((section.to_string(), object.key.clone()), object.key_span) {
        base.diagnostics.push(
            Diagnostic::error(
                "duplicate-key",
                format!(
                    "{singular} `{}` is written twice in one overlay",
                    object.key
                ),
            )
            .with_label(object.key_span, "written again here")
            .with_label(first, "first written here")
            .with_help("keep one of them (merge their fields into it)"),
        );
        return None;
    }
    if section == "users" {
        absolutize_password_file(&mut object.value, dir);
    }
    let Some(at) = locate(&base.files, section, &object.key, false) else {
        if let Some(other) = locate(&base.files, section, &object.key, true) {
            let declared = &object_entries(&mut base.files, other)[other.2];
            let (name, span) = (declared.key.clone(), declared.key_span);
            base.diagnostics.push(
                Diagnostic::error(
                    "overlay",
                    format!(
                        "the overlay writes {singular} `{}` but the base declares `{name}`",
                        object.key
                    ),
                )
                .with_label(object.key_span, "written here")
                .with_label(span, "declared here")
                .with_help(format!(
                    "JumpCloud names ignore case: spell it `{name}` to patch it"
                )),
            );
            return None;
        }
        if matches!(object.value.value, Value::Null) {
            base.diagnostics.push(
                Diagnostic::error(
                    "overlay",
                    format!(
                        "the overlay removes {singular} `{}`, which the base does not declare",
                        object.key
                    ),
                )
                .with_label(object.key_span, "removed here")
                .with_help("remove this line, or check the spelling against the base"),
            );
            return None;
        }
        return Some(object);
    };
    let objects = object_entries(&mut base.files, at);
    if matches!(object.value.value, Value::Null) {
        objects.remove(at.2);
        return None;
    }
    let target = &mut objects[at.2].value;
    match (&target.value, &object.value.value) {
        (Value::Map(_), Value::Map(_)) => merge_fields(target, object.value),
        // Either side is not a mapping: the overlay's value stands, and validation judges it.
        _ => *target = object.value,
    }
    None
}

/// Object patch: each overlay field replaces the base's whole; `null` removes it.
fn merge_fields(target: &mut Node, overlay: Node) {
    let (Value::Map(fields), Value::Map(patch)) = (&mut target.value, overlay.value) else {
        return;
    };
    for e in patch {
        let at = fields.iter().position(|f| f.key == e.key);
        match (at, matches!(e.value.value, Value::Null)) {
            (Some(i), true) => {
                fields.remove(i);
            }
            (Some(i), false) => fields[i] = e,
            (None, true) => {}
            (None, false) => fields.push(e),
        }
    }
}

/// Settings patch: mappings merge key by key, recursively; other values replace; `null`
/// removes.
fn merge_map(target: &mut Node, overlay: Node) {
    let (Value::Map(fields), Value::Map(patch)) = (&mut target.value, overlay.value) else {
        return;
    };
    for e in patch {
        let at = fields.iter().position(|f| f.key == e.key);
        match at {
            Some(i) if matches!(e.value.value, Value::Null) => {
                fields.remove(i);
            }
            Some(i)
                if matches!(fields[i].value.value, Value::Map(_))
                    && matches!(e.value.value, Value::Map(_)) =>
            {
                merge_map(&mut fields[i].value, e.value)
            }
            Some(i) => fields[i] = e,
            None if matches!(e.value.value, Value::Null) => {}
            None => fields.push(e),
        }
    }
}

/// A patched user moves into the base file, whose directory differs: a relative password
/// file written in the overlay must still mean the overlay's directory.
fn absolutize_password_file(user: &mut Node, dir: &Path) {
    let Value::Map(fields) = &mut user.value else {
        return;
    };
    for f in fields.iter_mut().filter(|f| f.key == "initial_password") {
        let Value::Map(source) = &mut f.value.value else {
            continue;
        };
        for s in source.iter_mut().filter(|s| s.key == "file") {
            if let Value::Str(path) = &mut s.value.value {
                if Path::new(path.as_str()).is_relative() {
                    *path = dir.join(path.as_str()).display().to_string();
                }
            }
        }
    }
}

/// Loads `base` and applies `overlays` in order: the config of one org of an orgs file.
pub fn load(
    base: &Path,
    overlays: &[std::path::PathBuf],
) -> Result<crate::model::Config, crate::model::ConfigError> {
    use crate::model::ConfigError;
    let mut loaded = crate::config::load(base).map_err(ConfigError::Load)?;
    for overlay in overlays {
        loaded = apply(loaded, overlay).map_err(ConfigError::Load)?;
    }
    crate::model::from_loaded(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Config, ConfigError, ManageMode};

    const BASE: &str = "\
version: 1
settings:
  manage: {users: full, memberships: full}
  limits: {max_deletes: 5, max_unbinds: 7}
users:
  alice: {email: alice@example.com, department: Engineering, job_title: Engineer}
  bob: {email: bob@example.com}
  carol: {email: carol@example.com}
groups:
  engineering: {description: Engineers, members: [alice, bob]}
  sales: {description: Sales, members: [carol]}
";

    /// Writes the base and each overlay (a list of files) and loads the result.
    fn merged(overlays: &[&[(&str, &str)]]) -> (tempfile::TempDir, Result<Config, String>) {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        std::fs::create_dir(&base).unwrap();
        std::fs::write(base.join("base.yaml"), BASE).unwrap();
        let mut paths = Vec::new();
        for (i, files) in overlays.iter().enumerate() {
            let ov = dir.path().join(format!("ov{i}"));
            std::fs::create_dir(&ov).unwrap();
            for (name, text) in files.iter() {
                std::fs::write(ov.join(name), text).unwrap();
            }
            paths.push(ov);
        }
        let result = load(&base, &paths).map_err(|e| match e {
            ConfigError::Load(e) => e.to_string(),
            ConfigError::Invalid {
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
        });
        (dir, result)
    }

    #[test]
    fn patch_remove_add() {
        let (_dir, config) = merged(&[&[(
            "o.yaml",
            "version: 1\nusers:\n  alice: {department: QA, job_title: ~}\n  carol: ~\n  \
             dan: {email: dan@example.com}\ngroups:\n  engineering: {members: [alice, dan]}\n  sales: ~\n",
        )]]);
        let m = config.unwrap().model;
        let alice = &m.users["alice"].attrs;
        assert_eq!(alice.department.as_deref(), Some("QA"), "patched");
        assert_eq!(alice.email.as_deref(), Some("alice@example.com"), "kept");
        assert_eq!(alice.job_title, None, "null removes the field");
        assert!(!m.users.contains_key("carol"), "removed");
        assert!(m.users.contains_key("dan"), "added");
        let eng = &m.groups["engineering"];
        assert_eq!(eng.description.as_deref(), Some("Engineers"), "kept");
        let members: Vec<&str> = eng
            .members
            .as_ref()
            .unwrap()
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(members, ["alice", "dan"], "a list is replaced whole");
        assert!(!m.groups.contains_key("sales"));
    }

    #[test]
    fn settings_merge_key_by_key_and_layers_stack() {
        let (_dir, config) = merged(&[
            &[(
                "o.yaml",
                "version: 1\nsettings:\n  limits: {max_deletes: 50}\n",
            )],
            &[(
                "o.yaml",
                "version: 1\nsettings:\n  manage: {users: additive}\n",
            )],
        ]);
        let s = config.unwrap().model.settings;
        assert_eq!(s.limits.max_deletes, Some(50));
        assert_eq!(s.limits.max_unbinds, Some(7), "a sibling key is kept");
        assert_eq!(
            s.manage.users,
            ManageMode::Additive,
            "the second overlay applies on top"
        );
        assert_eq!(s.manage.memberships, ManageMode::Full);
    }

    #[test]
    fn removing_what_a_base_group_still_names_is_an_error_there() {
        let (_dir, config) = merged(&[&[("o.yaml", "version: 1\nusers:\n  bob: ~\n")]]);
        let err = config.unwrap_err();
        assert!(err.contains("bob") && err.contains("base.yaml"), "{err}");
    }

    #[test]
    fn merge_errors_point_at_the_overlay() {
        let (_dir, config) = merged(&[&[
            ("a.yaml", "version: 1\nusers:\n  Bob: {department: X}\n  zed: ~\n  dan: {email: d@example.com}\n"),
            ("b.yaml", "version: 1\nusers:\n  dan: {email: e@example.com}\n"),
        ]]);
        let err = config.unwrap_err();
        for want in [
            "base declares `bob`",
            "removes user `zed`",
            "written twice in one overlay",
            "a.yaml:3:3",
            "b.yaml:3:3",
        ] {
            assert!(err.contains(want), "{want}: {err}");
        }
    }

    #[test]
    fn overlay_password_files_resolve_from_the_overlay() {
        let (dir, config) = merged(&[&[(
            "o.yaml",
            "version: 1\nusers:\n  alice: {initial_password: {file: pw.txt}}\n",
        )]]);
        let m = config.unwrap().model;
        match &m.users["alice"].initial_password {
            Some(crate::model::SecretSource::File(p)) => {
                assert_eq!(p, &dir.path().join("ov0").join("pw.txt"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bindings_and_waivers_add_up_and_the_hash_covers_overlays() {
        let (_d1, plain) = merged(&[]);
        let (_d2, with) = merged(&[&[(
            "o.yaml",
            "version: 1\nwaivers:\n  - {rule: LCK101, target: \"*\", reason: staging}\n",
        )]]);
        let (plain, with) = (plain.unwrap(), with.unwrap());
        assert_eq!(with.model.waivers.len(), plain.model.waivers.len() + 1);
        assert_ne!(plain.hash, with.hash);
    }
}
