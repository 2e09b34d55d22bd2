//! `jcform apply` through the binary: wiring and the refusals that write nothing.

use assert_cmd::Command;
use predicates::str::contains;

#[test]
fn help_lists_the_apply_flags() {
    Command::cargo_bin("jcform")
        .expect("binary")
        .args(["apply", "--help"])
        .assert()
        .success()
        .stdout(contains("--auto-approve"))
        .stdout(contains("--journal"))
        .stdout(contains("--parallelism"))
        .stdout(contains("--sandbox"));
}

#[test]
fn an_invalid_config_is_reported_and_nothing_is_contacted() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("users.yaml"),
        "version: 1\nusers:\n  alice:\n    shoe: 42\n",
    )
    .expect("write");
    let state = dir.path().join("state.json");
    Command::cargo_bin("jcform")
        .expect("binary")
        .arg("apply")
        .arg(dir.path())
        .arg("--sandbox")
        .arg(&state)
        .arg("--auto-approve")
        .assert()
        .code(1);
    assert!(!state.exists(), "the sandbox was never started");
}
