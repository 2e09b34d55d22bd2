//! Writing a file so that a reader, or a run killed half-way, sees the old content or the whole
//! new content, never half of it: a temp file in the same directory, renamed over the target.
//! Every file jcform writes (plan files, snapshots, exports, the sandbox state) goes through here.
//!
//! The path is resolved first: a symbolic link is written through (its target is replaced, the
//! link stays), and anything that is not a regular file (a device such as `/dev/null`, a FIFO, a
//! socket, a directory) is refused with an error instead of being replaced by a regular file.

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

/// The temp file beside `path`: hidden, named after the process and a random number so two
/// runs (or two writes of one run) don't collide; created with `create_new`, so a file or link
/// already there is never written through.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nonce: u32 = rand::random();
    path.with_file_name(format!(".{name}.{}.{nonce:08x}.tmp", std::process::id()))
}

/// What a file is, in words: "a regular file", "a directory", "a character device", ...
pub fn file_kind(meta: &fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_symlink() {
        return "a symbolic link";
    }
    if t.is_dir() {
        return "a directory";
    }
    if t.is_file() {
        return "a regular file";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    "a special file"
}

/// Most symbolic links followed in a chain, as the kernel's own limit (`ELOOP`).
const MAX_LINKS: usize = 40;

/// The regular file `path` names: `path` itself, or the end of its chain of symbolic links (a
/// dangling link names the file to create). Errors when that is not a regular file, or when the
/// links loop.
pub fn resolve_target(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&current)?;
            current = match current.parent() {
                Some(dir) if target.is_relative() => dir.join(target),
                _ => target,
            };
        } else if meta.is_file() {
            return Ok(current);
        } else {
            let via = if current == path {
                String::new()
            } else {
                format!(" (the link leads to {})", current.display())
            };
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is {}{via}, not a regular file; jcform writes only regular files, \
                     name a file instead",
                    path.display(),
                    file_kind(&meta)
                ),
            ));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{}: more than {MAX_LINKS} symbolic links in a row (a loop?)",
            path.display()
        ),
    ))
}

/// Writes `bytes` to `path` atomically, with the default options.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, bytes, Options::default())
}

/// Writes `bytes` to `path` atomically. On failure the temp file is removed and `path` is
/// untouched. A symbolic link is written through: the file it leads to is replaced, in that
/// file's directory. A path that is not a regular file (or a link to one, or nothing yet) is
/// refused (`ErrorKind::InvalidInput`).
pub fn write_with(path: &Path, bytes: &[u8], options: Options) -> io::Result<()> {
    write_inner(path, bytes, options, false)
}

/// Rewrites an existing file atomically (as [`write`]), giving the new file the old one's
/// permissions (`jcform fmt`): the mode is set on the temp file before the rename.
pub fn rewrite(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_inner(path, bytes, Options::default(), true)
}

/// Writes what `write` produces to `path` atomically (as [`write_with`]), through a buffer, so
/// a large file (a snapshot of 100,000 users) is never held in memory whole.
pub fn write_streamed(
    path: &Path,
    options: Options,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    write_inner_with(path, options, false, |file| {
        let mut out = io::BufWriter::with_capacity(1 << 16, file);
        write(&mut out)?;
        out.flush()
    })
}

fn write_inner(path: &Path, bytes: &[u8], options: Options, keep_mode: bool) -> io::Result<()> {
    write_inner_with(path, options, keep_mode, |file| file.write_all(bytes))
}

fn write_inner_with(
    path: &Path,
    options: Options,
    keep_mode: bool,
    write: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<()> {
    let target = resolve_target(path)?;
    let path = target.as_path();
    let mode = if keep_mode {
        Some(fs::metadata(path)?.permissions())
    } else {
        None
    };
    let tmp = temp_path(path);
    let result = (|| {
        let mut open = fs::OpenOptions::new();
        open.write(true).create_new(true);
        #[cfg(unix)]
        if options.private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
        }
        let mut file = open.open(&tmp)?;
        if let Some(mode) = &mode {
            file.set_permissions(mode.clone())?;
        }
        write(&mut file)?;
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
    fn writes_through_links_and_refuses_special_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real.json");
        fs::write(&real, "old").expect("write");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).expect("symlink");
        write(&link, b"new").expect("write through the link");
        assert!(fs::symlink_metadata(&link)
            .expect("stat")
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).expect("read"), "new");

        // A dangling link names the file to create.
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("created.json", &dangling).expect("symlink");
        write(&dangling, b"x").expect("write");
        assert_eq!(
            fs::read_to_string(dir.path().join("created.json")).expect("read"),
            "x"
        );

        let err = write(Path::new("/dev/null"), b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("a character device"), "{err}");
        let to_dev = dir.path().join("to-dev");
        std::os::unix::fs::symlink("/dev/null", &to_dev).expect("symlink");
        let err = write(&to_dev, b"x").unwrap_err();
        assert!(err.to_string().contains("/dev/null"), "{err}");
        assert!(err.to_string().contains("character device"), "{err}");
        let err = write(dir.path(), b"x").unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");

        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::os::unix::fs::symlink("b", &a).expect("symlink");
        std::os::unix::fs::symlink("a", &b).expect("symlink");
        assert!(write(&a, b"x").is_err());
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
