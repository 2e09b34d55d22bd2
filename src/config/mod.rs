//! Reading config files: a file or a directory of `*.yaml`, `*.yml` and `*.kdl` (recursively,
//! sorted by path, hidden entries skipped, links followed once, only regular files read), each
//! parsed into the spanned raw tree.

pub mod fmt;
pub mod fuzz;
pub mod kdl;
#[cfg(test)]
mod mutate;
pub mod raw;
pub mod schema;
pub mod yaml;

use std::collections::HashSet;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::source::Sources;

pub use raw::{Entry, Node, RawFile, Value};

/// Largest config file read, in bytes. A config of ten thousand users is a few megabytes; the
/// bound keeps a wrong path (a disk image named `*.yaml`) from filling memory.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Everything read from disk: the sources (for rendering) and one raw tree per parsed file.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: Sources,
    pub files: Vec<RawFile>,
    /// Errors and warnings found while reading and parsing (warnings: entries skipped by the
    /// directory walk).
    pub diagnostics: Vec<Diagnostic>,
    /// The config root as given (file or directory): source paths are hashed relative to it.
    /// Empty for inputs held in memory.
    pub root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },
    #[error("{path}: no *.yaml, *.yml or *.kdl files found")]
    Empty { path: PathBuf },
    #[error("{path}: {kind}, not a config file or directory")]
    NotRegular { path: PathBuf, kind: &'static str },
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

/// What a file is, in words, for "skipped" and "not a regular file" messages.
fn kind_of(meta: &Metadata) -> &'static str {
    crate::atomic::file_kind(meta)
}

/// Identifies a file or directory however it is reached (through links or not).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileKey {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

fn file_key(path: &Path, meta: &Metadata) -> FileKey {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        FileKey::Inode(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        FileKey::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

/// The config files a path names, in the order they are read, and the entries passed over.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    /// Entries that look like config but were not read: (path, why).
    pub skipped: Vec<(PathBuf, String)>,
}

/// Walks `root` depth-first in path order. Symbolic links are followed, but every directory and
/// file is read once (by device and inode): a link back up the tree is skipped, not followed for
/// ever. Only regular files are read; a FIFO or device named `*.yaml` is skipped (opening a FIFO
/// would wait for a writer for ever). Hidden entries (`.git`) are passed over silently.
fn walk(root: &Path, root_meta: &Metadata, out: &mut Walk) -> Result<(), LoadError> {
    let mut seen_dirs: HashSet<FileKey> = HashSet::from([file_key(root, root_meta)]);
    let mut seen_files: HashSet<FileKey> = HashSet::new();
    // A stack of directory listings instead of recursion: depth costs no call stack.
    let mut stack: Vec<std::vec::IntoIter<PathBuf>> = vec![list(root)?.into_iter()];
    while let Some(top) = stack.last_mut() {
        let Some(path) = top.next() else {
            stack.pop();
            continue;
        };
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        let is_link = std::fs::symlink_metadata(&path)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) if is_link => {
                if is_config_file(&path) {
                    out.skipped.push((
                        path,
                        format!("a symbolic link that cannot be followed ({e})"),
                    ));
                }
                continue;
            }
            Err(source) => return Err(LoadError::Io { path, source }),
        };
        if meta.is_dir() {
            if seen_dirs.insert(file_key(&path, &meta)) {
                stack.push(list(&path)?.into_iter());
            } else {
                out.skipped.push((
                    path,
                    "a link to a directory that is already read (a loop or a second way in)".into(),
                ));
            }
        } else if is_config_file(&path) {
            if !meta.is_file() {
                let why = format!("{}, not a regular file", kind_of(&meta));
                out.skipped.push((path, why));
            } else if seen_files.insert(file_key(&path, &meta)) {
                out.files.push(path);
            } else {
                out.skipped.push((
                    path,
                    "the same file as one already read (through a link)".into(),
                ));
            }
        }
    }
    Ok(())
}

/// A directory's entries, sorted by path.
fn list(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Ok(paths)
}

/// The config files a path names, in the order they are read: the file itself (which must be a
/// regular file), or the walk of a directory (see `walk`).
pub fn config_files(path: &Path) -> Result<Walk, LoadError> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LoadError::NotFound {
                path: path.to_path_buf(),
            })
        }
        Err(source) => {
            return Err(LoadError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut out = Walk::default();
    if meta.is_dir() {
        walk(path, &meta, &mut out)?;
        if out.files.is_empty() {
            return Err(LoadError::Empty {
                path: path.to_path_buf(),
            });
        }
    } else if meta.is_file() {
        out.files.push(path.to_path_buf());
    } else {
        return Err(LoadError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(&meta),
        });
    }
    Ok(out)
}

/// Why one file could not be read.
enum ReadError {
    /// It turned out not to be a regular file (replaced since the walk looked at it).
    NotRegular(&'static str),
    TooLarge(u64),
    Io(std::io::Error),
}

/// Reads a regular file of at most `MAX_FILE_BYTES`. On Unix the file is opened non-blocking,
/// so a FIFO swapped in after the walk cannot hang the read; its type is checked on the open
/// handle.
fn read_regular(path: &Path) -> Result<Vec<u8>, ReadError> {
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut open, libc::O_NONBLOCK);
    let file: File = open.open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_of(&meta)));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // `take`: a file that grows while being read still stops at the bound.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads one config file as `load` does (a regular file of at most `MAX_FILE_BYTES`, opened so
/// that a FIFO cannot hang the read), for commands that handle files one by one (`fmt`).
pub fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    read_regular(path).map_err(|e| match e {
        ReadError::NotRegular(kind) => format!("{}: {kind}, not a regular file", path.display()),
        ReadError::TooLarge(size) => format!(
            "{}: the file is {size} bytes; config files may be at most {} MiB",
            path.display(),
            MAX_FILE_BYTES / (1024 * 1024)
        ),
        ReadError::Io(e) => format!("{}: {e}", path.display()),
    })
}

/// Parses one file's bytes (named `name`, read from `path`) into `loaded`: its source, its raw
/// tree or its syntax errors. The format follows the extension (`.kdl`, else YAML). This is the
/// whole per-file path of `load`, without the file system, for tests and fuzzing.
pub fn parse_bytes(loaded: &mut Loaded, path: &Path, name: String, bytes: Vec<u8>) {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            // Keep the valid prefix, so the error can point at the first bad byte.
            let at = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(at);
            let text = String::from_utf8(bytes).unwrap_or_default();
            let id = loaded.sources.add(path, name, text);
            loaded.diagnostics.push(
                Diagnostic::error("syntax", "the file is not valid UTF-8")
                    .with_label(
                        crate::source::Span::new(id, at, at),
                        "first invalid byte here",
                    )
                    .with_help("save the file as UTF-8"),
            );
            return;
        }
    };
    let id = loaded.sources.add(path, name, text);
    let source = loaded.sources.get(id);
    let parsed = if path.extension().is_some_and(|e| e == "kdl") {
        kdl::parse(id, source)
    } else {
        yaml::parse(id, source).map_err(|d| vec![d])
    };
    match parsed {
        Ok(root) => loaded.files.push(RawFile {
            root,
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        }),
        Err(diags) => loaded.diagnostics.extend(diags),
    }
}

/// Reads and parses every file. Syntax errors are collected; the files that parse are kept so
/// that validation can report their errors too. Entries the walk skipped become warnings.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let mut loaded = Loaded {
        root: path.to_path_buf(),
        ..Loaded::default()
    };
    let walk = config_files(path)?;
    for (skipped, why) in walk.skipped {
        loaded.diagnostics.push(
            Diagnostic::warning("skipped", format!("skipped {}: {why}", skipped.display()))
                .with_help("only regular *.yaml, *.yml and *.kdl files are read, each once"),
        );
    }
    for file in walk.files {
        let name = file.display().to_string();
        match read_regular(&file) {
            Ok(bytes) => parse_bytes(&mut loaded, &file, name, bytes),
            Err(ReadError::Io(source)) => return Err(LoadError::Io { path: file, source }),
            Err(ReadError::NotRegular(kind)) => {
                return Err(LoadError::NotRegular { path: file, kind })
            }
            Err(ReadError::TooLarge(size)) => {
                let id = loaded.sources.add(&file, name, String::new());
                loaded.diagnostics.push(
                    Diagnostic::error(
                        "too-large",
                        format!(
                            "the file is {size} bytes; config files may be at most {} MiB",
                            MAX_FILE_BYTES / (1024 * 1024)
                        ),
                    )
                    .with_label(crate::source::Span::new(id, 0, 0), "this file")
                    .with_help("split the config into several files, or check the path"),
                );
            }
        }
    }
    Ok(loaded)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    const USER: &str = "users:\n  ana:\n    email: ana@example.com\n";

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path; mkfifo only reads it.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    #[test]
    fn links_are_followed_once_and_special_files_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).expect("mkdir");
        std::fs::write(root.join("sub/users.yaml"), USER).expect("write");
        // Two links back up the tree: without loop detection the walk is exponential.
        symlink(".", root.join("x")).expect("link");
        symlink(".", root.join("y")).expect("link");
        symlink("..", root.join("sub/up")).expect("link");
        // A second way to the same file, and a link to nowhere.
        symlink("sub/users.yaml", root.join("again.yaml")).expect("link");
        symlink("missing.yaml", root.join("dangling.yaml")).expect("link");
        // A FIFO named like config: opening it would wait for a writer for ever.
        mkfifo(&root.join("pipe.yaml"));

        let walk = config_files(root).expect("walks");
        assert_eq!(walk.files.len(), 1, "{:?}", walk.files);
        let skipped: Vec<String> = walk
            .skipped
            .iter()
            .map(|(p, why)| format!("{}: {why}", p.strip_prefix(root).unwrap_or(p).display()))
            .collect();
        let text = skipped.join("\n");
        assert!(text.contains("pipe.yaml: a named pipe (FIFO)"), "{text}");
        assert!(
            text.contains("dangling.yaml: a symbolic link that cannot be followed"),
            "{text}"
        );
        assert!(text.contains("already read"), "{text}");

        let loaded = load(root).expect("loads");
        assert_eq!(loaded.files.len(), 1);
        assert!(loaded
            .diagnostics
            .iter()
            .all(|d| d.severity == crate::diag::Severity::Warning && d.code == "skipped"));
        assert!(!loaded.diagnostics.is_empty());
    }

    #[test]
    fn a_special_file_named_directly_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("pipe.yaml");
        mkfifo(&fifo);
        let err = load(&fifo).expect_err("refused").to_string();
        assert!(err.contains("named pipe"), "{err}");
        let err = load(Path::new("/dev/null"))
            .expect_err("refused")
            .to_string();
        assert!(err.contains("character device"), "{err}");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_reported_at_the_first_bad_byte() {
        let mut loaded = Loaded::default();
        parse_bytes(
            &mut loaded,
            Path::new("t.yaml"),
            "t.yaml".into(),
            b"version: 1\n\xff\n".to_vec(),
        );
        let d = &loaded.diagnostics[0];
        assert_eq!(d.code, "syntax");
        assert_eq!(d.primary_span().map(|s| s.start), Some(11));
    }
}
