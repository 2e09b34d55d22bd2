//! The sandbox's write-ahead journal: `STATE.journal` next to the state file, one JSON line per
//! successful write naming the objects and edges it changed (their new values) and any small
//! top-level field it changed (see `table::Change`).
//!
//! Why: rewriting a 100,000-user state file on every write made a write cost the size of the
//! org. Appending one line costs the size of the change. The line is written (one `write(2)`)
//! before the request is answered, so a killed emulator loses no acknowledged write: the page
//! cache keeps it, and the next start replays it. (Like the state file itself, the journal is
//! not fsync'd: surviving a power cut is not a sandbox goal.) The journal is folded into the
//! state file, which stays the readable, editable JSON it always was, when the emulator stops,
//! when it opens a file with a journal left by a killed run, and whenever the journal has grown
//! past the state file (so compaction costs O(1) per write, amortised).
//!
//! Records are idempotent (each sets an object, edge or field to a value), so replaying a
//! journal over a state file that already holds some of it (a kill between writing the state
//! file and removing the journal) gives the same org.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::state::Org;
use super::table::Change;

/// The journal of the state file at `state`: `STATE.journal` in the same directory.
pub fn journal_path(state: &Path) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push(".journal");
    state.with_file_name(name)
}

/// An open journal.
pub struct Journal {
    path: PathBuf,
    file: Option<File>,
    /// Bytes appended since the last compaction.
    bytes: u64,
}

impl Journal {
    /// The journal at `path`, not yet opened (opened on the first append).
    pub fn new(path: PathBuf) -> Journal {
        Journal {
            path,
            file: None,
            bytes: 0,
        }
    }

    /// Bytes appended since the journal was last emptied.
    pub fn len(&self) -> u64 {
        self.bytes
    }

    /// Whether nothing was appended since the journal was last emptied.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// Replays the journal at `path` (if any) onto `org`. A last line without its newline is a
    /// write cut off by a kill, never acknowledged: it is ignored. Returns how many records were
    /// applied; any other unreadable line is an error naming the file.
    pub fn replay(path: &Path, org: &mut Org) -> anyhow::Result<usize> {
        let text = match fs::read(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut applied = 0;
        let complete = match text.iter().rposition(|&b| b == b'\n') {
            Some(end) => &text[..=end],
            None => &[][..],
        };
        for (n, line) in complete.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let changes: Vec<Change> = serde_json::from_slice(line).with_context(|| {
                format!(
                    "sandbox journal {} line {} is not a journal record",
                    path.display(),
                    n + 1
                )
            })?;
            org.apply_changes(changes)
                .with_context(|| format!("cannot replay {} line {}", path.display(), n + 1))?;
            applied += 1;
        }
        Ok(applied)
    }

    /// Appends one record (one line, one `write(2)`), so it survives a kill once this returns.
    pub fn append(&mut self, changes: &[Change]) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(changes)?;
        line.push(b'\n');
        if self.file.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .with_context(|| format!("cannot open {}", self.path.display()))?;
            self.file = Some(file);
        }
        if let Some(file) = &mut self.file {
            file.write_all(&line)
                .with_context(|| format!("cannot write {}", self.path.display()))?;
        }
        self.bytes += line.len() as u64;
        Ok(())
    }

    /// Saves `org` to `state` (atomically), then removes the journal: the state file alone holds
    /// the org again.
    pub fn compact(&mut self, org: &Org, state: &Path) -> anyhow::Result<()> {
        org.save(state)?;
        self.file = None;
        match fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(err).with_context(|| format!("cannot remove {}", self.path.display()))
            }
        }
        self.bytes = 0;
        Ok(())
    }
}
