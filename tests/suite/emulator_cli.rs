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
    let child = Command::new(assert_cmd::cargo::cargo_bin("jcform"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--seed",
            "1",
            "--api-key",
            "k",
        ])
        // The state file does not exist yet: start an empty org on purpose.
        .arg("--state")
        .arg(&state)
        .arg("--create")
        .arg("--log")
        .arg(&log)
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
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
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
    let saved: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["usergroups"][0]["name"], "from-cli");
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
}

#[test]
fn binary_rejects_a_bad_fail_rate() {
    assert_cmd::Command::cargo_bin("jcform")
        .unwrap()
        .args(["emulator", "--state", "x.json", "--fail-rate", "2"])
        .assert()
        .failure();
}
