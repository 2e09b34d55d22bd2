//! The apply journal: one JSON line per event, appended as the apply runs, so that after a crash
//! or an interruption it says what was done. Step lines are buffered and written out (one
//! `write(2)` for all of them) whenever the executor is about to wait for a request
//! ([`Observer::flush`]): every line about a step is on disk before any later request is sent. Lines hold the step, its address,
//! kind, the change's action, the remote id and the duration; never a field value, so never a
//! secret (initial passwords live only in the request that sets them). A failed step's line has
//! its `message`; a skipped step's line also has `depends_on`, the ids of the failed steps it
//! waited for.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::execute::{ApplyReport, Event, Observer, Outcome};
use super::order::StepKind;
use crate::model::Address;
use crate::plan::Action;

pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    /// Step lines not yet written (whole lines only), written by [`Observer::flush`].
    pending: Mutex<Vec<u8>>,
}

/// One step line, its keys in the order the journal has always written them (`ts` last).
#[derive(Serialize)]
struct StepLine<'a, E: Serialize> {
    event: E,
    step: usize,
    address: &'a Address,
    kind: StepKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "<[usize]>::is_empty")]
    depends_on: &'a [usize],
    ts: String,
}

impl Journal {
    /// Creates (or appends to) the journal at `path`. A new journal is readable by its owner
    /// only (mode 0600 on Unix), as plan files are: it names users and remote ids.
    pub fn open(path: &Path) -> std::io::Result<Journal> {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            pending: Mutex::new(Vec::new()),
        })
    }

    /// Beside the plan file (`plan.json` -> `plan.json.journal.jsonl`), else a new file in the
    /// temp dir named by time and process id.
    pub fn default_path(plan_file: Option<&Path>) -> PathBuf {
        match plan_file {
            Some(plan) => {
                let mut name = plan.as_os_str().to_owned();
                name.push(".journal.jsonl");
                PathBuf::from(name)
            }
            None => {
                let stamp = OffsetDateTime::now_utc().unix_timestamp();
                std::env::temp_dir()
                    .join(format!("jcform-apply-{stamp}-{}.jsonl", std::process::id()))
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The first line: which org, how many steps. Written before any change, and an error when
    /// it cannot be written (a full disk, `/dev/full`): an apply does not start without its
    /// record.
    pub fn begin(&self, org: &str, steps: usize) -> std::io::Result<()> {
        self.try_write(json!({"event": "apply", "org": org, "steps": steps}))
    }

    /// The last line: the counts (after any step line still buffered).
    pub fn finish(&self, report: &ApplyReport) {
        self.flush();
        self.write(json!({
            "event": "summary",
            "done": report.count(Outcome::Done),
            "failed": report.count(Outcome::Failed),
            "skipped": report.count(Outcome::Skipped),
        }));
    }

    fn write(&self, line: Value) {
        // A journal that cannot be written must not stop the apply half-way; the progress
        // output and the final summary still say what happened.
        let _ = self.try_write(line);
    }

    fn try_write(&self, mut line: Value) -> std::io::Result<()> {
        if let Value::Object(map) = &mut line {
            map.insert("ts".into(), Value::String(now()));
        }
        // The whole line is formatted first and written with one `write(2)`, so a killed apply
        // leaves whole lines. (Formatting straight into the file cost ~50 system calls a line,
        // issue 13.)
        let mut text = line.to_string();
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(text.as_bytes())
    }
}

/// The time of a line, RFC 3339 in UTC.
fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

impl Observer for Journal {
    fn event(&self, event: &Event<'_>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        // Serialized straight into the buffer (issue 13: a `json!` map per line cost more than
        // the request it recorded). A line that cannot be serialized is left out whole.
        let start = pending.len();
        let written = match event {
            Event::Started(step) => serde_json::to_writer(
                &mut *pending,
                &StepLine {
                    event: "started",
                    step: step.id,
                    address: &step.address,
                    kind: step.kind,
                    action: None,
                    duration_ms: None,
                    remote_id: None,
                    message: None,
                    depends_on: &[],
                    ts: now(),
                },
            ),
            Event::Finished(step, result) => serde_json::to_writer(
                &mut *pending,
                &StepLine {
                    event: result.outcome,
                    step: step.id,
                    address: &step.address,
                    kind: step.kind,
                    action: Some(result.action),
                    duration_ms: Some(result.duration_ms),
                    remote_id: result.remote_id.as_deref(),
                    message: result.message.as_deref(),
                    // A skipped step names the failed steps it waited for.
                    depends_on: &result.depends_on,
                    ts: now(),
                },
            ),
        };
        match written {
            Ok(()) => pending.push(b'\n'),
            Err(_) => pending.truncate(start),
        }
    }

    fn flush(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.is_empty() {
            return;
        }
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // A journal that cannot be written must not stop the apply half-way (see `write`).
        let _ = file.write_all(&pending);
        pending.clear();
    }
}

impl Drop for Journal {
    /// Lines still buffered (an apply dropped between an event and its flush) are written.
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_new_journal_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let journal = super::Journal::open(&path).unwrap();
        journal.begin("acme", 1).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
