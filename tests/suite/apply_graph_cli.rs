//! `jcform graph --plan` draws the apply graph, and `jcform apply` runs a topological order of
//! exactly that graph: checked against the emulator's request log (issue 12, "The dependency
//! graph drives apply").

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Kills the emulator even when an assertion fails.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn jcform() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("jcform"));
    for (k, _) in std::env::vars() {
        if k.starts_with("JC_") || k.starts_with("JCFORM_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// `(step waiting, step waited for, rule)` for every edge of a DOT apply graph.
fn edges(dot: &str) -> Vec<(String, String, String)> {
    let unquote = |s: &str| s.trim().trim_matches('"').replace("\\\"", "\"");
    dot.lines()
        .filter_map(|l| {
            let (from, rest) = l.trim().split_once(" -> ")?;
            let (to, label) = rest.split_once(" [label = ")?;
            let rule = label.trim_end_matches("];");
            Some((unquote(from), unquote(to), unquote(rule)))
        })
        .collect()
}

/// The API path a step of `address` writes to, as a pattern the request's path must contain.
fn resource(address: &str) -> &'static str {
    match address.split(['.', '[']).next().unwrap_or_default() {
        "user" => "/api/systemusers",
        "group" => "/api/v2/usergroups",
        "membership" => "/members",
        "binding" => "/associations",
        "ad_domain" => "/api/v2/activedirectories/",
        "m365_tenant" => "/api/v2/office365s/",
        other => panic!("unknown address kind {other}"),
    }
}

#[test]
fn apply_follows_the_apply_graph_in_the_request_log() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("org.json");
    std::fs::copy("examples/sandbox.json", &state).unwrap();

    // The graph, from the same org the apply will read.
    let out = jcform()
        .args(["graph", "--plan", "examples/yaml", "--sandbox"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dot = String::from_utf8(out.stdout).unwrap();
    let edges = edges(&dot);
    assert!(
        edges.iter().any(|(_, _, r)| r == "references")
            && edges
                .iter()
                .any(|(_, _, r)| r == "undelegate-before-leaving"),
        "the examples exercise the reference and the delegation rules:\n{dot}"
    );

    let log = dir.path().join("requests.jsonl");
    let child = jcform()
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "k",
            "--state",
        ])
        .arg(&state)
        .arg("--log")
        .arg(&log)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let mut first = String::new();
    BufReader::new(running.0.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();

    // One step at a time, so the n-th write in the request log is the n-th step started.
    let journal = dir.path().join("journal.jsonl");
    let out = jcform()
        .args([
            "apply",
            "examples/yaml",
            "--auto-approve",
            "--parallelism",
            "1",
        ])
        .args(["--api-url", &url, "--journal"])
        .arg(&journal)
        .env("JC_API_KEY", "k")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(running);

    let steps: Vec<String> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["event"] == "started")
        .map(|l| {
            format!(
                "{} {}",
                l["address"].as_str().unwrap(),
                l["kind"].as_str().unwrap()
            )
        })
        .collect();
    let writes: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["method"] != "GET")
        .collect();
    assert_eq!(writes.len(), steps.len(), "one write per step: {steps:?}");
    let mut position = BTreeMap::new();
    for (i, (step, write)) in steps.iter().zip(&writes).enumerate() {
        let path = write["path"].as_str().unwrap();
        assert!(
            path.contains(resource(step)),
            "write {i} ({} {path}) is not step {step}",
            write["method"]
        );
        position.insert(step.clone(), i);
    }
    for (waiting, waited_for, rule) in &edges {
        let (Some(a), Some(b)) = (position.get(waiting), position.get(waited_for)) else {
            panic!("edge {waiting} -> {waited_for} names a step apply did not run: {steps:?}");
        };
        assert!(
            b < a,
            "{waiting} ran before {waited_for}, which it waits for ({rule})"
        );
    }
    // Every step of the graph ran, and no other.
    let nodes = dot
        .lines()
        .filter(|l| l.contains(" [label = ") && !l.contains(" -> "))
        .count();
    assert_eq!(nodes, steps.len());
}
