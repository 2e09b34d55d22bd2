//! `jcform emulator` as a real process: the first stdout line names the URL, and it serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Kills the child even when an assertion fails, so no emulator outlives the test.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_its_url_first_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let log = dir.path().join("requests.jsonl");
    // The state file does not exist yet: `start` passes --create (an empty org on purpose).
    let seeded = ["--seed", "1", "--log", log.to_str().unwrap()];
    let (_running, url) = start(&state, &seeded);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let client = reqwest::Client::new();
    let created = client
        .post(format!("{url}/api/v2/usergroups"))
        .header("x-api-key", "k")
        .json(&serde_json::json!({"name": "from-cli"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    // While it runs, the write is in the state file's journal.
    let saved = jcform::emulator::read_state(&state).unwrap();
    assert_eq!(saved["usergroups"][0]["name"], "from-cli");
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
}

/// Starts `jcform emulator` over `state` (with `extra` flags) and returns it with its URL.
fn start(state: &std::path::Path, extra: &[&str]) -> (Running, String) {
    let child = Command::new(assert_cmd::cargo::cargo_bin("jcform"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--api-key", "k"])
        .arg("--state")
        .arg(state)
        .arg("--create")
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let stdout = running.0.stdout.take().unwrap();
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    (running, url)
}

async fn create_group(url: &str, name: &str) {
    let created = reqwest::Client::new()
        .post(format!("{url}/api/v2/usergroups"))
        .header("x-api-key", "k")
        .json(&serde_json::json!({ "name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
}

/// Issue 13: a write is persisted by appending to a journal, not by rewriting the org. An
/// acknowledged write survives SIGKILL at any point; the next start replays the journal and
/// folds it into the state file, which a clean stop (SIGTERM) also does.
#[tokio::test]
async fn acknowledged_writes_survive_a_kill_and_are_folded_in() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let journal = jcform::emulator::journal_path(&state);
    let (mut running, url) = start(&state, &[]);
    for i in 0..5 {
        create_group(&url, &format!("g{i}")).await;
    }
    // SIGKILL: no chance to clean up.
    running.0.kill().unwrap();
    running.0.wait().unwrap();
    assert!(journal.exists(), "the writes are in the journal");
    let names = |v: &Value| {
        v["usergroups"]
            .as_array()
            .map(|a| a.iter().map(|g| g["name"].clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(
        names(&jcform::emulator::read_state(&state).unwrap()).len(),
        5
    );

    // The next start replays them (and folds them into the file at once).
    let (mut running, url) = start(&state, &[]);
    assert!(!journal.exists(), "folded into the state file on start");
    let file: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(names(&file).len(), 5);
    create_group(&url, "after-restart").await;
    #[cfg(unix)]
    {
        // A clean stop folds the journal into the readable state file.
        let pid = running.0.id() as i32;
        unsafe { libc::kill(pid, libc::SIGTERM) };
        running.0.wait().unwrap();
        assert!(!journal.exists());
        let file: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
        assert_eq!(names(&file).len(), 6);
        assert_eq!(names(&file)[5], "after-restart");
    }
    #[cfg(not(unix))]
    drop(running.0.kill());
}

#[test]
fn binary_rejects_a_bad_fail_rate() {
    assert_cmd::Command::cargo_bin("jcform")
        .unwrap()
        .args(["emulator", "--state", "x.json", "--fail-rate", "2"])
        .assert()
        .failure();
}
