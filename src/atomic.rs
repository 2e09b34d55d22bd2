//! Writing a file so that a reader, or a run killed half-way, sees the old content or the whole
//! new content, never half of it: a temp file in the same directory, renamed over the target.
//! Every file jcform writes (plan files, snapshots, exports, the sandbox state) goes through here.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How a file is written.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// fsync before the rename, so the new content also survives a power cut. The sandbox state,
    /// rewritten after every API write, skips it: it guards against a killed run only, and an
    /// fsync per write made a 2,000-user apply several times slower.
    pub durable: bool,
    /// Readable by its owner only (Unix mode 0600), for files that name people in the org.
    pub private: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            durable: true,
            private: false,
        }
    }
}

/// The temp file beside `path`: hidden, and named after the process so two runs don't collide.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes `bytes` to `path` atomically, with the default options.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, bytes, Options::default())
}

/// Writes `bytes` to `path` atomically. On failure the temp file is removed and `path` is
/// untouched.
pub fn write_with(path: &Path, bytes: &[u8], options: Options) -> io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut open = fs::OpenOptions::new();
        open.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if options.private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
        }
        let mut file = open.open(&tmp)?;
        file.write_all(bytes)?;
        if options.durable {
            file.sync_all()?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        fs::write(&path, "old").expect("write");
        write(&path, b"new").expect("atomic write");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(write(&dir.path().join("missing/dir/x.json"), b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plan.json");
        write_with(
            &path,
            b"{}",
            Options {
                private: true,
                ..Options::default()
            },
        )
        .expect("write");
        let mode = fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
