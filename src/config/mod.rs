//! Reading config files: a file or a directory of `*.yaml`, `*.yml` and `*.kdl` (recursively,
//! sorted by path, hidden directories skipped), each parsed into the spanned raw tree.

pub mod kdl;
pub mod raw;
pub mod schema;
pub mod yaml;

use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::source::Sources;

pub use raw::{Entry, Node, RawFile, Value};

/// Everything read from disk: the sources (for rendering) and one raw tree per parsed file.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: Sources,
    pub files: Vec<RawFile>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },
    #[error("{path}: no *.yaml, *.yml or *.kdl files found")]
    Empty { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn is_config_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "kdl")
    )
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect(&path, out)?;
        } else if is_config_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// The config files a path names, in the order they are read.
pub fn config_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    if !path.exists() {
        return Err(LoadError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let mut files = Vec::new();
    if path.is_dir() {
        collect(path, &mut files)?;
        if files.is_empty() {
            return Err(LoadError::Empty {
                path: path.to_path_buf(),
            });
        }
    } else {
        files.push(path.to_path_buf());
    }
    Ok(files)
}

/// Reads and parses every file. Syntax errors are collected; the files that parse are kept so
/// that validation can report their errors too.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let mut loaded = Loaded::default();
    for file in config_files(path)? {
        let bytes = std::fs::read(&file).map_err(|source| LoadError::Io {
            path: file.clone(),
            source,
        })?;
        let name = file.display().to_string();
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                let id = loaded.sources.add(&file, name, String::new());
                loaded.diagnostics.push(
                    Diagnostic::error("syntax", "the file is not valid UTF-8")
                        .with_label(crate::source::Span::new(id, 0, 0), "here")
                        .with_help("save the file as UTF-8"),
                );
                continue;
            }
        };
        let id = loaded.sources.add(&file, name, text);
        let source = loaded.sources.get(id);
        let parsed = if file.extension().is_some_and(|e| e == "kdl") {
            kdl::parse(id, source)
        } else {
            yaml::parse(id, source).map_err(|d| vec![d])
        };
        match parsed {
            Ok(root) => loaded.files.push(RawFile {
                root,
                dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
            }),
            Err(diags) => loaded.diagnostics.extend(diags),
        }
    }
    Ok(loaded)
}
