//! The sandbox state file's lock: one writer, or any number of readers, at a time.
//!
//! The lock is an OS file lock (`flock`-style, released by the kernel when the holder exits or
//! crashes) on a sidecar `FILE.lock`, not on the state file itself: the state is saved by
//! renaming a new file over it, which would leave a lock on the old inode guarding nothing.
//!
//! - A writer (`jcform apply --sandbox`, `jcform emulator --state`) holds it exclusively for its
//!   whole run and writes who it is into the sidecar (pid, command line, start time), so a second
//!   writer or a reader fails at once with a message naming the holder. Two applies on one file
//!   can no longer interleave and lose an update.
//! - A reader (`plan`, `lint`, `snapshot`, `export` with `--sandbox`) holds it shared, so it never
//!   reads a state that an apply is half-way through. Saves are atomic besides (temp file, then
//!   rename), so even without the lock no reader sees half a file.
//!
//! Failing at once rather than waiting keeps every command bounded: the message says what to
//! wait for.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// How a process uses the state file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StateAccess {
    /// Changes it: one holder at a time, and no readers meanwhile.
    #[default]
    Write,
    /// Only reads it: shared with other readers; a write through this sandbox is refused.
    Read,
}

/// Who holds the write lock, as written into the sidecar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    /// The holder's command line, secret flag values (`--api-key`) shown as `***`, cut to 300
    /// chars.
    pub command: String,
    /// RFC 3339, UTC.
    pub since: String,
}

impl Holder {
    fn me() -> Holder {
        let mut command = redact(std::env::args()).join(" ");
        if let Some((cut, _)) = command.char_indices().nth(300) {
            command.truncate(cut);
            command.push_str("...");
        }
        Holder {
            pid: std::process::id(),
            command,
            since: OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or_else(|_| OffsetDateTime::now_utc())
                .format(&Rfc3339)
                .unwrap_or_default(),
        }
    }
}

/// Flags whose value is a secret (`jcform emulator --api-key KEY`): the value is shown as `***`.
const SECRET_FLAGS: &[&str] = &["--api-key", "--password", "--token", "--secret"];

/// The command line with secret flag values replaced, in both `--flag value` and `--flag=value`
/// forms.
fn redact(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut hide_next = false;
    for arg in args {
        if hide_next {
            out.push("***".to_string());
            hide_next = false;
            continue;
        }
        match arg.split_once('=') {
            Some((flag, _)) if SECRET_FLAGS.contains(&flag) => out.push(format!("{flag}=***")),
            _ => {
                hide_next = SECRET_FLAGS.contains(&arg.as_str());
                out.push(arg);
            }
        }
    }
    out
}

/// A held lock; released when dropped (and by the OS if the process dies).
#[derive(Debug)]
pub struct StateLock {
    file: Option<File>,
    access: StateAccess,
}

/// The sidecar for `state`: `org.json` -> `org.json.lock`.
pub fn lock_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl StateLock {
    /// Takes the lock for `state` without waiting. Errors name the state file, the holder (for a
    /// writer: pid, command, since when) and what to do.
    ///
    /// A reader whose lock file cannot be created (a read-only or missing directory) reads
    /// without one: nobody can save a state file there either.
    pub fn acquire(state: &Path, access: StateAccess) -> anyhow::Result<StateLock> {
        let path = lock_path(state);
        let file = match OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
        {
            Ok(file) => file,
            Err(_) if access == StateAccess::Read => match File::open(&path) {
                Ok(file) => file,
                Err(_) => return Ok(StateLock { file: None, access }),
            },
            Err(err) => {
                return Err(anyhow::anyhow!(
                    "cannot create the lock file {}: {err}\n  help: the sandbox state's directory \
                     must be writable to change the state",
                    path.display()
                ))
            }
        };
        let taken = match access {
            StateAccess::Write => file.try_lock(),
            StateAccess::Read => file.try_lock_shared(),
        };
        match taken {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(busy(state, &path, &file, access)),
            Err(TryLockError::Error(err)) => {
                return Err(anyhow::anyhow!("cannot lock {}: {err}", path.display()))
            }
        }
        let mut lock = StateLock {
            file: Some(file),
            access,
        };
        match access {
            StateAccess::Write => lock.write_holder(&Holder::me()),
            // Holding it shared means no writer holds it: any name left in the sidecar is from
            // a writer that died without clearing it, and would misname the holder to the next
            // writer that finds this reader in its way. Best effort.
            StateAccess::Read => {
                if let Some(file) = &lock.file {
                    if file.metadata().is_ok_and(|m| m.len() > 0) {
                        let _ = file.set_len(0);
                    }
                }
            }
        }
        Ok(lock)
    }

    pub fn access(&self) -> StateAccess {
        self.access
    }

    fn write_holder(&mut self, holder: &Holder) {
        let Some(file) = &mut self.file else {
            return;
        };
        // Best effort: the lock itself is what excludes; the text only names the holder.
        let text = serde_json::to_string(holder).unwrap_or_default();
        let _ = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
            .and_then(|()| file.write_all(text.as_bytes()))
            .and_then(|()| file.flush());
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        if let (Some(file), StateAccess::Write) = (&self.file, self.access) {
            // No holder any more: the next reader of a stale sidecar would misname one.
            let _ = file.set_len(0);
        }
        // Closing the file releases the lock.
    }
}

/// The error for a lock someone else holds.
fn busy(state: &Path, path: &Path, file: &File, wanted: StateAccess) -> anyhow::Error {
    let mut text = String::new();
    // Bounded: a holder writes one short line.
    let _ = file.take(4096).read_to_string(&mut text);
    let holder: Option<Holder> = serde_json::from_str(text.trim()).ok();
    let who = match &holder {
        Some(h) => format!(
            "jcform process {} (`{}`), since {}",
            h.pid, h.command, h.since
        ),
        // Readers do not write their names; a writer may be between locking and writing.
        None => "another jcform that is reading it (plan, lint, snapshot or export)".into(),
    };
    let doing = match wanted {
        StateAccess::Write => "nothing was changed; run again when it has finished",
        StateAccess::Read => {
            "its state is not settled until that finishes; nothing was read. Run again when it \
             has finished"
        }
    };
    anyhow::anyhow!(
        "the sandbox state file {} is in use by {who}\n  help: {doing} (lock file {})",
        state.display(),
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_writer_names_itself_and_excludes_everyone() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("org.json");
        let first = StateLock::acquire(&state, StateAccess::Write).unwrap();
        let text = std::fs::read_to_string(lock_path(&state)).unwrap();
        let holder: Holder = serde_json::from_str(&text).unwrap();
        assert_eq!(holder.pid, std::process::id());
        assert!(!holder.since.is_empty());

        for access in [StateAccess::Write, StateAccess::Read] {
            let err = format!("{:#}", StateLock::acquire(&state, access).unwrap_err());
            assert!(err.contains("org.json"), "{err}");
            assert!(
                err.contains(&format!("jcform process {}", std::process::id())),
                "{err}"
            );
            assert!(err.contains(&holder.since), "{err}");
        }
        drop(first);
        assert_eq!(std::fs::read_to_string(lock_path(&state)).unwrap(), "");
        StateLock::acquire(&state, StateAccess::Write).unwrap();
    }

    #[test]
    fn secret_flag_values_never_reach_the_sidecar() {
        let args = [
            "jcform",
            "emulator",
            "--api-key",
            "k3y",
            "--state",
            "s.json",
            "--token=t0k",
        ];
        let shown = redact(args.iter().map(|s| s.to_string())).join(" ");
        assert_eq!(
            shown,
            "jcform emulator --api-key *** --state s.json --token=***"
        );
    }

    #[test]
    fn readers_share_and_keep_writers_out() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("org.json");
        // A writer that died left its name behind; a reader clears it, so the writer below is
        // not told a dead process holds the file.
        std::fs::write(
            lock_path(&state),
            r#"{"pid":1,"command":"jcform apply","since":"2020-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let a = StateLock::acquire(&state, StateAccess::Read).unwrap();
        let b = StateLock::acquire(&state, StateAccess::Read).unwrap();
        let err = format!(
            "{:#}",
            StateLock::acquire(&state, StateAccess::Write).unwrap_err()
        );
        assert!(err.contains("reading it"), "{err}");
        drop((a, b));
        StateLock::acquire(&state, StateAccess::Write).unwrap();
    }

    #[test]
    fn a_reader_in_a_missing_directory_reads_without_a_lock() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("missing").join("org.json");
        assert!(StateLock::acquire(&state, StateAccess::Read).is_ok());
        assert!(StateLock::acquire(&state, StateAccess::Write).is_err());
    }
}
