//! Issue 10, "apply must not carry on past a failure" and "two writers at once", through the
//! binary:
//! - two applies on one sandbox file: the second fails at once naming the first (pid, command,
//!   since when), exits 1 and leaves the file as it was; a plan cannot read the half-applied
//!   state either;
//! - an object changed in the org between the plan and the write: that step fails naming the
//!   field and both values, and the concurrent change is kept;
//! - a failed step stops every step that depends on it, including the deletes whose safety rested
//!   on it, said in the output, the JSON report and the journal, exit 1.
//!
//! An apply is paused at a known point by giving it a named pipe as its journal: it opens the
//! journal after reading the org and planning (sandbox locked), and blocks there until the test
//! opens the pipe for reading. No timing is assumed; every wait is bounded.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use assert_cmd::Command;
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/writes");
const KEY: &str = "concurrency-test-key";

fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = Path::new(FIXTURES).join(name);
    let state = dir.path().join("org.json");
    std::fs::copy(src.join("org.json"), &state).expect("copy state");
    (dir, state, src.join("cfg"))
}

fn fifo(dir: &Path) -> PathBuf {
    let path = dir.join("journal.fifo");
    let ok = Process::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(ok.success(), "mkfifo");
    path
}

/// Polls `f` every 20 ms, at most 60 s (a bound, not a timing assumption): `Some` ends it.
fn wait_for<T>(what: &str, child: &mut Child, mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..3000 {
        if let Some(v) = f() {
            return v;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the first apply ended ({status}) before {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("gave up waiting for {what}");
}

/// Opens the pipe for reading (unblocking the apply) and drains it until the apply closes it;
/// returns the journal text.
fn drain(pipe: PathBuf) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::fs::File::open(pipe).and_then(|mut f| f.read_to_string(&mut text));
        text
    })
}

fn output_of(child: Child) -> (i32, String, String) {
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The org the state file and its journal hold (an emulator killed by `Server`'s drop leaves
/// its last writes in the journal).
fn read_json(path: &Path) -> Value {
    jcform::emulator::read_state(path).expect("read state")
}

fn object<'a>(org: &'a Value, list: &str, key: &str, id: &str) -> &'a Value {
    org[list]
        .as_array()
        .and_then(|l| l.iter().find(|o| o[key] == id))
        .unwrap_or_else(|| panic!("{list} {id}"))
}

/// The standalone emulator (`jcform emulator --state`), as a real org stands in for.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(state: &Path, extra: &[&str]) -> Server {
        let mut child = Process::new(cargo_bin("jcform"))
            .arg("emulator")
            .arg("--state")
            .arg(state)
            .args(["--listen", "127.0.0.1:0", "--api-key", KEY])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("emulator starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_second_apply_on_a_locked_sandbox_fails_naming_the_first() {
    let (dir, state, cfg) = copy_fixture("unmanaged");
    let pipe = fifo(dir.path());
    let mut first = Process::new(cargo_bin("jcform"))
        .arg("apply")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&state)
        .arg("--auto-approve")
        .arg("--journal")
        .arg(&pipe)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("first apply starts");
    let first_pid = first.id();
    // The holder's sidecar names the first apply once it holds the lock.
    let lock = jcform::emulator::lock_path(&state);
    let holder: jcform::emulator::Holder = wait_for("the lock is taken", &mut first, || {
        let text = std::fs::read_to_string(&lock).ok()?;
        serde_json::from_str::<jcform::emulator::Holder>(&text)
            .ok()
            .filter(|h| h.pid == first_pid)
    });
    assert!(holder.command.contains("apply"), "{holder:?}");
    let before = std::fs::read(&state).expect("read state");

    let second = Command::cargo_bin("jcform")
        .expect("binary")
        .arg("apply")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&state)
        .arg("--auto-approve")
        .output()
        .expect("second apply runs");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("jcform process {first_pid}")),
        "{stderr}"
    );
    assert!(stderr.contains(&holder.since), "{stderr}");
    assert!(stderr.contains("apply"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(
        std::fs::read(&state).expect("read"),
        before,
        "the second apply changed nothing"
    );
    // A plan cannot read the state the first apply is about to change either.
    let plan = Command::cargo_bin("jcform")
        .expect("binary")
        .arg("plan")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&state)
        .output()
        .expect("plan runs");
    let stderr = String::from_utf8_lossy(&plan.stderr);
    assert_eq!(plan.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("jcform process {first_pid}")),
        "{stderr}"
    );

    // Let the first apply go on: it finishes and changes the file; the lock is free again.
    let journal = drain(pipe);
    let (code, stdout, stderr) = output_of(first);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(journal.join().expect("journal").contains("\"summary\""));
    assert_ne!(std::fs::read(&state).expect("read"), before);
    Command::cargo_bin("jcform")
        .expect("binary")
        .arg("plan")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&state)
        .arg("--detailed-exitcode")
        .assert()
        .code(0);
}

#[test]
fn the_standalone_emulator_holds_the_lock_too() {
    let (_dir, state, cfg) = copy_fixture("unmanaged");
    let server = Server::start(&state, &[]);
    let before = std::fs::read(&state).expect("read");
    let out = Command::cargo_bin("jcform")
        .expect("binary")
        .arg("apply")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&state)
        .arg("--auto-approve")
        .output()
        .expect("apply runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("jcform process {}", server.child.id())),
        "{stderr}"
    );
    assert!(stderr.contains("emulator --state"), "{stderr}");
    assert_eq!(std::fs::read(&state).expect("read"), before);
}

/// Someone changes alice's department and the admins group's description after the apply read
/// the org and before it writes: those two steps fail naming the field and both values, the
/// concurrent values stay, and every other step is done.
#[tokio::test]
async fn a_step_whose_object_changed_since_the_plan_fails_and_keeps_the_change() {
    let (dir, state, cfg) = copy_fixture("unmanaged");
    let server = Server::start(&state, &[]);
    let pipe = fifo(dir.path());
    let stdout_path = dir.path().join("apply.out");
    let mut apply = Process::new(cargo_bin("jcform"))
        .arg("apply")
        .arg(&cfg)
        .args(["--api-url", &server.url])
        .args(["--auto-approve", "--journal"])
        .arg(&pipe)
        .env("JC_API_KEY", KEY)
        .stdout(Stdio::from(
            std::fs::File::create(&stdout_path).expect("out"),
        ))
        .stderr(Stdio::piped())
        .spawn()
        .expect("apply starts");
    // The plan is printed once the org is read and before the journal is opened, where the
    // apply now waits: from here on, a change in the org is one the plan did not see.
    wait_for("the plan to be printed", &mut apply, || {
        let out = std::fs::read_to_string(&stdout_path).ok()?;
        out.contains("Plan:").then_some(())
    });
    let http = reqwest::Client::new();
    let alice = "64a000000000000000000001";
    let admins = "64b000000000000000000002";
    let put_user = http
        .put(format!("{}/api/systemusers/{alice}", server.url))
        .header("x-api-key", KEY)
        .json(&json!({"department": "Sales"}))
        .send()
        .await
        .expect("concurrent user change");
    assert!(put_user.status().is_success());
    let mut group: Value = http
        .get(format!("{}/api/v2/usergroups/{admins}", server.url))
        .header("x-api-key", KEY)
        .send()
        .await
        .expect("get group")
        .json()
        .await
        .expect("json");
    group["description"] = json!("Changed by someone else");
    let put_group = http
        .put(format!("{}/api/v2/usergroups/{admins}", server.url))
        .header("x-api-key", KEY)
        .json(&group)
        .send()
        .await
        .expect("concurrent group change");
    assert!(put_group.status().is_success());

    let journal = drain(pipe);
    let (code, _, stderr) = output_of(apply);
    let journal = journal.join().expect("journal");
    assert_eq!(code, 1, "{stderr}");
    let stdout = std::fs::read_to_string(&stdout_path).expect("out");
    let line = |prefix: &str| -> String {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in\n{stdout}"))
            .to_string()
    };
    let failed = line("✗ user.alice update");
    assert!(
        failed.contains("precondition failed: user.alice"),
        "{failed}"
    );
    assert!(
        failed.contains(r#"department was "Engineering" when planned and is "Sales" now"#),
        "{failed}"
    );
    let failed = line("✗ group.admins update");
    assert!(
        failed
            .contains(r#"description was "old" when planned and is "Changed by someone else" now"#),
        "{failed}"
    );
    assert!(
        journal.contains("precondition failed: user.alice"),
        "{journal}"
    );
    let result = |address: &str, kind: &str| -> &str {
        let done = format!("✓ {address} {kind} ");
        if stdout.lines().any(|l| l.starts_with(&done)) {
            "done"
        } else {
            "not done"
        }
    };
    // Steps whose objects nobody touched went through.
    assert_eq!(result("user.carol", "update"), "done");
    assert_eq!(result("user.alice", "undelegate"), "done");
    drop(server);
    let org = read_json(&state);
    let alice = object(&org, "systemusers", "_id", alice);
    assert_eq!(alice["department"], "Sales", "not overwritten");
    assert!(alice["delegatedAuthority"].is_null());
    let admins = object(&org, "usergroups", "id", admins);
    assert_eq!(admins["description"], "Changed by someone else");
    assert_eq!(admins["email"], "admins@example.com");
    assert_eq!(
        object(&org, "systemusers", "_id", "64a000000000000000000003")["state"],
        "SUSPENDED"
    );
}

/// The first step of each of three moves fails (a refused create, a refused member add, a
/// refused update); everything that depends on it, and the deletes whose safety rested on it,
/// is skipped and says so, and the org keeps the old state of all three.
#[test]
fn a_failed_step_stops_what_depends_on_it_and_the_deletes_it_guarded() {
    let (dir, state, cfg) = copy_fixture("propagation");
    let server = Server::start(
        &state,
        &[
            "--fail-request",
            "POST /api/v2/activedirectories 400",
            "--fail-request",
            "POST /api/v2/usergroups/64b000000000000000000002/members 400",
            "--fail-request",
            "PUT /api/systemusers/64a000000000000000000003 400",
        ],
    );
    let journal_path = dir.path().join("journal.jsonl");
    let human = Command::cargo_bin("jcform")
        .expect("binary")
        .arg("apply")
        .arg(&cfg)
        .args(["--api-url", &server.url, "--auto-approve", "--journal"])
        .arg(&journal_path)
        .env("JC_API_KEY", KEY)
        .output()
        .expect("apply runs");
    assert_eq!(human.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&human.stdout);
    for line in [
        "- user.alice undelegate: skipped: depends on failed step 0 (ad_domain.b create)",
        "- group.old delete: skipped: depends on failed step",
        "(membership.new.bob create)",
        "- ad_domain[\"c.example.com\"] delete: skipped: depends on failed step",
        "(user.carol undelegate)",
        "Apply: 0 done, 3 failed, 6 skipped.",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }

    // The journal says the same, with the failed steps' ids.
    let journal = std::fs::read_to_string(&journal_path).expect("journal");
    let lines: Vec<Value> = journal
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let failed_id = |address: &str| -> u64 {
        lines
            .iter()
            .find(|l| l["event"] == "failed" && l["address"] == address)
            .and_then(|l| l["step"].as_u64())
            .unwrap_or_else(|| panic!("no failed line for {address}"))
    };
    let skipped = |address: &str, kind: &str| -> Value {
        lines
            .iter()
            .find(|l| l["event"] == "skipped" && l["address"] == address && l["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no skipped line for {address} {kind}: {journal}"))
    };
    let ad_b = failed_id("ad_domain.b");
    for (address, kind) in [
        ("user.alice", "undelegate"),
        ("binding.ad_domain.a.user.alice", "delete"),
        ("binding.ad_domain.b.user.alice", "create"),
        ("user.alice", "delegate"),
    ] {
        assert_eq!(skipped(address, kind)["depends_on"], json!([ad_b]));
    }
    assert_eq!(
        skipped("group.old", "delete")["depends_on"],
        json!([failed_id("membership.new.bob")])
    );
    assert_eq!(
        skipped("ad_domain[\"c.example.com\"]", "delete")["depends_on"],
        json!([failed_id("user.carol")])
    );
    drop(server);

    // Nothing was half-done: alice is still delegated to and bound to a, group old still holds
    // bob, AD c still exists with carol delegated to it.
    let org = read_json(&state);
    let a = "64c00000000000000000000a";
    let c = "64c00000000000000000000c";
    let alice = object(&org, "systemusers", "_id", "64a000000000000000000001");
    assert_eq!(alice["delegatedAuthority"]["id"], a);
    let edges = org["associations"].as_array().cloned().unwrap_or_default();
    let has = |from: &str, to: &str| {
        edges
            .iter()
            .any(|e| e["from"]["id"] == from && e["to"]["id"] == to)
    };
    assert!(has("64a000000000000000000001", a), "alice still bound to a");
    assert!(has("64b000000000000000000001", "64a000000000000000000002"));
    object(&org, "usergroups", "id", "64b000000000000000000001");
    object(&org, "activedirectories", "id", c);
    let carol = object(&org, "systemusers", "_id", "64a000000000000000000003");
    assert_eq!(carol["delegatedAuthority"]["id"], c);
}
