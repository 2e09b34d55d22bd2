//! The request log: one JSON line per request, appended and flushed at once so a test can read
//! it while the emulator runs and count or order the requests. Passwords never reach it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use serde_json::{json, Value};

pub struct RequestLog {
    file: Mutex<File>,
}

impl RequestLog {
    pub fn open(path: &Path) -> anyhow::Result<RequestLog> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open emulator log {}", path.display()))?;
        Ok(RequestLog {
            file: Mutex::new(file),
        })
    }

    /// Appends one line. `body` is the raw request body; it is logged as JSON when it parses
    /// (redacted), as null when empty, and only by size otherwise: unparsable text could hold a
    /// password we cannot find.
    pub fn record(&self, method: &str, path: &str, query: &str, status: u16, body: &[u8]) {
        // The whole line is formatted first and written with one `write(2)` (formatting
        // straight into the file made one system call per JSON token, issue 13), so a reader
        // never sees half a line.
        let mut line = entry(method, path, query, status, body).to_string();
        line.push('\n');
        // A poisoned lock only means another request panicked mid-write; keep logging.
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // Logging must never fail a request; a full disk loses log lines, not API answers.
        let _ = file.write_all(line.as_bytes());
    }
}

fn entry(method: &str, path: &str, query: &str, status: u16, body: &[u8]) -> Value {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => redact(value),
            Err(_) => Value::String(format!("<non-JSON body, {} bytes>", body.len())),
        }
    };
    json!({"method": method, "path": path, "query": query, "status": status, "body": body})
}

/// Replaces every `password` field, at any depth, with `"***"`.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if k == "password" {
                        Value::String("***".into())
                    } else {
                        redact(v)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_at_any_depth() {
        let v =
            redact(json!({"username": "a", "password": "hunter2", "users": [{"password": "x"}]}));
        assert_eq!(
            v,
            json!({"username": "a", "password": "***", "users": [{"password": "***"}]})
        );
    }

    #[test]
    fn lines_are_appended_and_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let log = RequestLog::open(&path).unwrap();
        log.record(
            "POST",
            "/api/systemusers",
            "",
            200,
            br#"{"username":"a","password":"secret"}"#,
        );
        log.record("GET", "/api/systemusers", "limit=5", 200, b"");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret"));
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["body"]["password"], "***");
        assert_eq!(lines[1]["body"], Value::Null);
        assert_eq!(lines[1]["query"], "limit=5");
    }

    #[test]
    fn non_json_bodies_are_not_logged_verbatim() {
        let e = entry("POST", "/x", "", 400, br#"{"password":"secret""#);
        assert_eq!(e["body"], "<non-JSON body, 20 bytes>");
    }
}
