//! Field cases about identity, clearing and plan-time checks, driven through the real binary
//! against a sandbox file: each asserts the right behaviour the case describes (the inputs are
//! copies in tests/fixtures/field-cases).
//!
//! - 01: a username that differs from the org's only in case is one in-place update, and apply
//!   keeps the account (same id, password date) under the new spelling;
//! - 05: `members` of a group that is dynamic in the org stop the plan with a located error;
//! - 07: clearing a field (`""` or `null`) converges: after one apply the plan is empty;
//! - 12: an initial password the plan needs and cannot read stops the plan at its line.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/field-cases")
        .join(name)
}

fn jcform() -> Command {
    let mut cmd = Command::cargo_bin("jcform").expect("binary");
    cmd.env("NO_COLOR", "1");
    cmd
}

/// A fresh copy of the case's org, in a temp dir that lives as long as the returned guard.
fn sandbox(case_dir: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let org = dir.path().join("org.json");
    std::fs::copy(case_dir.join("org.json"), &org).expect("copy org");
    (dir, org)
}

fn state(org: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(org).expect("state")).expect("state JSON")
}

fn out(cmd: &mut Command) -> (i32, String, String) {
    let o = cmd.output().expect("runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn plan(cfg: &Path, org: &Path, extra: &[&str]) -> (i32, String, String) {
    out(jcform()
        .arg("plan")
        .arg(cfg)
        .arg("--sandbox")
        .arg(org)
        .args(extra))
}

fn apply(cfg: &Path, org: &Path, journal: &Path) -> (i32, String, String) {
    out(jcform()
        .arg("apply")
        .arg(cfg)
        .arg("--sandbox")
        .arg(org)
        .arg("--auto-approve")
        .arg("--journal")
        .arg(journal))
}

#[test]
fn case_01_username_case_is_an_in_place_update() {
    let dir = case("01-username-case-delete-recreate");
    let cfg = dir.join("cfg");
    let (tmp, org) = sandbox(&dir);

    let (code, stdout, stderr) = plan(&cfg, &org, &["--detailed-exitcode"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("Plan: 0 to create, 1 to update, 0 to replace, 0 to delete"),
        "{stdout}"
    );
    assert!(
        stdout.contains("~ user.MLopez (renamed from user.mlopez)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("username: \"mlopez\" -> \"MLopez\""),
        "{stdout}"
    );

    let (_, json, _) = plan(&cfg, &org, &["--format", "json"]);
    let doc: Value = serde_json::from_str(&json).expect("JSON plan");
    assert_eq!(doc["changes"][0]["renamed_from"], "user.mlopez");
    assert_eq!(doc["changes"][0]["after"]["username"], "MLopez");
    let (_, md, _) = plan(&cfg, &org, &["--format", "markdown"]);
    assert!(
        md.contains("~ user.MLopez (renamed from user.mlopez)"),
        "{md}"
    );
    assert!(md.contains("-     username: \"mlopez\""), "{md}");
    assert!(md.contains("+     username: \"MLopez\""), "{md}");

    let (code, stdout, stderr) = apply(&cfg, &org, &tmp.path().join("j.jsonl"));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let users = state(&org)["systemusers"].clone();
    assert_eq!(users.as_array().map(Vec::len), Some(1), "{users:#}");
    assert_eq!(users[0]["_id"], "64a000000000000000000001", "same account");
    assert_eq!(users[0]["username"], "MLopez");
    assert_eq!(users[0]["password_date"], "2026-01-05T10:00:00Z");

    let (code, stdout, _) = plan(&cfg, &org, &["--detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {stdout}");
}

#[test]
fn case_05_members_of_a_dynamic_group_stop_the_plan() {
    let dir = case("05-dynamic-group-members-ignored");
    let cfg = dir.join("cfg");
    let (_tmp, org) = sandbox(&dir);
    let before = state(&org);

    let (code, stdout, stderr) = plan(&cfg, &org, &["--detailed-exitcode"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "group `managers` is dynamic in the org (DYNAMIC_AUTOMATED: jobTitle eq Manager)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("differs: +dev1, -boss2"), "{stderr}");
    assert!(stderr.contains("remove `members`"), "{stderr}");
    assert!(
        stderr.contains("a.yaml:10"),
        "the line of `members`: {stderr}"
    );

    // JSON: the diagnostics document, with the file and line.
    let (code, stdout, _) = plan(&cfg, &org, &["--format", "json"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&stdout).expect("JSON diagnostics");
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "dynamic-group-members");
    assert_eq!(d["line"], 10);

    // apply plans first: it refuses the same way and writes nothing.
    let tmp = tempfile::tempdir().expect("temp");
    let (code, _, _) = apply(&cfg, &org, &tmp.path().join("j.jsonl"));
    assert_eq!(code, 1);
    assert_eq!(state(&org), before);
}

#[test]
fn case_07_clearing_a_field_converges() {
    let dir = case("07-clear-field-perpetual-diff");
    for (cfg, clears_group) in [(dir.join("cfg"), true), (dir.join("cfg-null"), false)] {
        let (tmp, org) = sandbox(&dir);
        jcform().arg("validate").arg(&cfg).assert().code(0);
        let (code, stdout, _) = plan(&cfg, &org, &[]);
        assert_eq!(code, 0);
        assert!(
            stdout.contains("job_title: \"Team Lead\" -> null"),
            "{stdout}"
        );
        let (code, stdout, stderr) = apply(&cfg, &org, &tmp.path().join("j.jsonl"));
        assert_eq!(code, 0, "{stdout}{stderr}");
        let s = state(&org);
        let job = &s["systemusers"][0]["jobTitle"];
        assert!(job.is_null() || job == "", "cleared: {job}");
        if clears_group {
            let d = &s["usergroups"][0]["description"];
            assert!(d.is_null() || d == "", "cleared: {d}");
        }
        let (code, stdout, _) = plan(&cfg, &org, &["--detailed-exitcode"]);
        assert_eq!(
            code,
            0,
            "converged after one apply ({}): {stdout}",
            cfg.display()
        );
        assert!(stdout.contains("No changes."), "{stdout}");
    }
}

#[test]
fn case_12_unreadable_passwords_stop_the_plan_at_their_line() {
    let dir = case("12-password-source-not-checked-at-plan");
    let cfg = dir.join("cfg");
    let (_tmp, org) = sandbox(&dir);
    let before = state(&org);

    let (code, stdout, stderr) = out(jcform()
        .env_remove("JCFORM_FC_UNSET_PW")
        .arg("plan")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&org)
        .arg("--detailed-exitcode"));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(!stdout.contains("(set)"), "{stdout}");
    assert!(
        stderr.contains(
            "initial_password of `newhire`: environment variable JCFORM_FC_UNSET_PW is not set"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("initial_password of `contractor`: cannot read password file"));
    assert!(
        stderr.contains("u.yaml:5"),
        "newhire's initial_password line: {stderr}"
    );
    assert!(
        stderr.contains("u.yaml:8"),
        "contractor's initial_password line: {stderr}"
    );

    let tmp = tempfile::tempdir().expect("temp");
    let (code, _, _) = out(jcform()
        .env_remove("JCFORM_FC_UNSET_PW")
        .arg("apply")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&org)
        .arg("--auto-approve")
        .arg("--journal")
        .arg(tmp.path().join("j.jsonl")));
    assert_eq!(code, 1);
    assert_eq!(state(&org), before, "nothing half-done");

    // With the variable set and the file present, the plan is made (and says "(set)").
    let cfg2 = tmp.path().join("cfg");
    std::fs::create_dir_all(cfg2.join("secrets")).expect("dir");
    std::fs::copy(cfg.join("u.yaml"), cfg2.join("u.yaml")).expect("copy");
    std::fs::write(cfg2.join("secrets/missing.txt"), "Contractor-Passw0rd!\n").expect("write");
    let (code, stdout, stderr) = out(jcform()
        .env("JCFORM_FC_UNSET_PW", "Newhire-Passw0rd!")
        .arg("plan")
        .arg(&cfg2)
        .arg("--sandbox")
        .arg(&org)
        .arg("--detailed-exitcode"));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(!stdout.contains("Passw0rd") && !stderr.contains("Passw0rd"));
}

#[test]
fn kdl_null_clears_like_yaml() {
    let dir = case("07-clear-field-perpetual-diff");
    let (tmp, org) = sandbox(&dir);
    let cfg = tmp.path().join("cfg");
    std::fs::create_dir_all(&cfg).expect("dir");
    std::fs::write(
        cfg.join("u.kdl"),
        "version 1\nusers {\n    lkim {\n        email \"lee.kim@example.com\"\n        job_title #null\n        department \"\"\n    }\n}\ngroups {\n    support {\n        description #null\n    }\n}\n",
    )
    .expect("write");
    let (code, stdout, stderr) = plan(&cfg, &org, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("job_title: \"Team Lead\" -> null"),
        "{stdout}"
    );
    assert!(
        stdout.contains("department: \"Support\" -> null"),
        "{stdout}"
    );
    assert!(
        stdout.contains("description: \"Support team\" -> null"),
        "{stdout}"
    );
    let (code, _, stderr) = apply(&cfg, &org, &tmp.path().join("j.jsonl"));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = plan(&cfg, &org, &["--detailed-exitcode"]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn null_is_refused_where_a_value_is_required() {
    let tmp = tempfile::tempdir().expect("temp");
    std::fs::write(
        tmp.path().join("u.yaml"),
        "version: 1\nusers:\n  lkim:\n    email: null\n",
    )
    .expect("write");
    let (code, _, stderr) = out(jcform().arg("validate").arg(tmp.path()));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("`email` of user `lkim` must be a string"),
        "{stderr}"
    );
}
