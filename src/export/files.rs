//! The output directory: refuse to clobber, write every file atomically, and point the YAML
//! files at the JSON Schema so editors complete and check them.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::{kdl, yaml, Export, Format};

/// Where editors find the schema, relative to a config directory, when the repo vendors it.
const SCHEMA_IN_REPO: &str = "schemas/jcform.schema.json";
/// The schema file written next to the exported files when no vendored copy is found.
const SCHEMA_FILE: &str = "jcform.schema.json";

/// The files written, in order, and the modeline's schema reference (YAML only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub files: Vec<PathBuf>,
    pub schema_ref: Option<String>,
}

/// Writes `export` into `out` in `format`.
///
/// `out` must be missing or empty unless `force`: then the files export writes are replaced,
/// and a same-named file in another format (`users.kdl` when writing `users.yaml`) is removed,
/// because both would be read and every object would be declared twice. Other files are kept.
pub fn write(out: &Path, export: &Export, format: Format, force: bool) -> anyhow::Result<Written> {
    check_target(out, force)?;
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut written = Written {
        files: Vec::new(),
        schema_ref: None,
    };
    let schema_ref = match format {
        Format::Yaml => {
            let (reference, vendored) = schema_reference(out);
            if !vendored {
                let path = out.join(SCHEMA_FILE);
                write_atomic(&path, crate::config::schema::json().as_bytes())?;
                written.files.push(path);
            }
            Some(reference)
        }
        Format::Kdl => None,
    };
    for file in &export.files {
        let text = match (format, &schema_ref) {
            (Format::Yaml, Some(schema)) => yaml::render(&file.doc, schema),
            _ => kdl::render(&file.doc),
        };
        let path = out.join(format!("{}.{}", file.stem, format.extension()));
        write_atomic(&path, text.as_bytes())?;
        written.files.push(path);
        if force {
            for ext in ["yaml", "yml", "kdl"] {
                let other = out.join(format!("{}.{ext}", file.stem));
                if ext != format.extension() && other.is_file() {
                    fs::remove_file(&other)
                        .with_context(|| format!("cannot remove {}", other.display()))?;
                }
            }
        }
    }
    written.schema_ref = schema_ref;
    Ok(written)
}

fn check_target(out: &Path, force: bool) -> anyhow::Result<()> {
    if !out.exists() {
        return Ok(());
    }
    if !out.is_dir() {
        bail!("{} exists and is not a directory", out.display());
    }
    let mut entries =
        fs::read_dir(out).with_context(|| format!("cannot read {}", out.display()))?;
    if !force && entries.next().is_some() {
        bail!(
            "{} is not empty\n  help: export into a new or empty directory, or pass --force to \
             replace the files export writes there",
            out.display()
        );
    }
    Ok(())
}

/// The modeline's schema: a relative path to `schemas/jcform.schema.json` in the nearest
/// directory above `out` that has one (true), else the file written next to the configs (false).
fn schema_reference(out: &Path) -> (String, bool) {
    if let Ok(dir) = out.canonicalize() {
        for (depth, ancestor) in dir.ancestors().enumerate() {
            if ancestor.join(SCHEMA_IN_REPO).is_file() {
                return (format!("{}{SCHEMA_IN_REPO}", "../".repeat(depth)), true);
            }
        }
    }
    (SCHEMA_FILE.to_string(), false)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    crate::atomic::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_empty_dirs_without_force() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let export = Export::default();
        let err = write(dir.path(), &export, Format::Kdl, false).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        assert!(write(dir.path(), &export, Format::Kdl, true).is_ok());
        assert!(dir.path().join("notes.txt").exists());
    }

    #[test]
    fn finds_a_vendored_schema_upward() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("schemas")).unwrap();
        fs::write(dir.path().join(SCHEMA_IN_REPO), "{}").unwrap();
        let out = dir.path().join("config/org");
        fs::create_dir_all(&out).unwrap();
        assert_eq!(
            schema_reference(&out),
            ("../../schemas/jcform.schema.json".to_string(), true)
        );
    }
}
