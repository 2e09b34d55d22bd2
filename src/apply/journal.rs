//! The apply journal: one JSON line per event, appended (one write each) as the apply runs, so that
//! after a crash or an interruption it says what was done. Lines hold the step, its address,
//! kind, the change's action, the remote id and the duration; never a field value, so never a
//! secret (initial passwords live only in the request that sets them). A failed step's line has
//! its `message`; a skipped step's line also has `depends_on`, the ids of the failed steps it
//! waited for.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::execute::{ApplyReport, Event, Observer, Outcome};

pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
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

    /// The last line: the counts.
    pub fn finish(&self, report: &ApplyReport) {
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
            let ts = OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_default();
            map.insert("ts".into(), Value::String(ts));
        }
        // The whole line is formatted first and written with one `write(2)` at the event (a step
        // starting or finishing: the step boundary), so a killed apply leaves whole lines and
        // a resume sees every finished step. (Formatting straight into the file cost ~50 system
        // calls a line, issue 13.)
        let mut text = line.to_string();
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(text.as_bytes())
    }
}

impl Observer for Journal {
    fn event(&self, event: &Event<'_>) {
        let line = match event {
            Event::Started(step) => json!({
                "event": "started",
                "step": step.id,
                "address": step.address,
                "kind": step.kind,
            }),
            Event::Finished(step, result) => {
                let mut line = json!({
                    "event": result.outcome,
                    "step": step.id,
                    "address": step.address,
                    "kind": step.kind,
                    "action": result.action,
                    "duration_ms": result.duration_ms,
                });
                if let Value::Object(map) = &mut line {
                    if let Some(id) = &result.remote_id {
                        map.insert("remote_id".into(), json!(id));
                    }
                    if let Some(m) = &result.message {
                        map.insert("message".into(), json!(m));
                    }
                    // A skipped step names the failed steps it waited for.
                    if !result.depends_on.is_empty() {
                        map.insert("depends_on".into(), json!(result.depends_on));
                    }
                }
                line
            }
        };
        self.write(line);
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
