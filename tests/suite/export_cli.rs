//! `jcform export` through the real binary against a sandbox state file.

use crate::export_common;

use assert_cmd::Command;
use predicates::prelude::*;

fn jcform() -> Command {
    let mut cmd = Command::cargo_bin("jcform").unwrap();
    // A real org's credentials in the environment must not matter to a sandbox run.
    cmd.env_remove("JC_API_KEY").env("NO_COLOR", "1");
    cmd
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn exports_a_sandbox_that_validates_and_plans_to_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = export_common::write_state(dir.path(), &export_common::small_org());
    for format in ["yaml", "kdl"] {
        let out = dir.path().join(format!("out-{format}"));
        jcform()
            .args(["export", "--sandbox"])
            .arg(&state)
            .args(["--format", format, "--out"])
            .arg(&out)
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "exported 6 users, 5 groups (1 dynamic)",
            ));
        let mut want: Vec<String> = [
            "ad_domains",
            "bindings",
            "groups",
            "m365_tenants",
            "settings",
            "users",
        ]
        .iter()
        .map(|s| format!("{s}.{format}"))
        .collect();
        if format == "yaml" {
            want.push("jcform.schema.json".into());
            want.sort();
        }
        assert_eq!(names(&out), want);
        jcform()
            .arg("validate")
            .arg(&out)
            .assert()
            .success()
            .stdout(predicate::str::contains("valid: 6 users, 5 groups"));
        // No changes. (The small org has real lockout findings, which export reproduces as they
        // are, so the exit code is 3 "blocked", not 0; 2 would mean changes.)
        jcform()
            .arg("plan")
            .arg(&out)
            .arg("--sandbox")
            .arg(&state)
            .arg("--detailed-exitcode")
            .assert()
            .code(predicate::ne(2))
            .stdout(predicate::str::starts_with("No changes."));
    }
}

#[test]
fn refuses_a_non_empty_directory_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let state = export_common::write_state(dir.path(), &export_common::small_org());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("users.kdl"), "version 1\n").unwrap();
    std::fs::write(out.join("README.md"), "mine\n").unwrap();
    jcform()
        .args(["export", "--sandbox"])
        .arg(&state)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not empty"));
    // With --force the export replaces its own files, drops the same kind in the other format
    // (it would declare everything twice) and keeps the rest.
    jcform()
        .args(["export", "--force", "--kinds", "users", "--sandbox"])
        .arg(&state)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        names(&out),
        [
            "README.md",
            "jcform.schema.json",
            "settings.yaml",
            "users.yaml"
        ]
    );
    let users = std::fs::read_to_string(out.join("users.yaml")).unwrap();
    assert!(users.starts_with("# yaml-language-server: $schema=jcform.schema.json\n"));
    // Delegated users name no AD domain when AD domains are not exported.
    assert!(!users.contains("delegated_authority"));
    jcform().arg("validate").arg(&out).assert().success();
}

#[test]
fn only_and_kinds_filter_what_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let state = export_common::write_state(dir.path(), &export_common::small_org());
    let out = dir.path().join("out");
    jcform()
        .args(["export", "--kinds", "users,groups", "--only", "[a-j]*"])
        .args(["--only", "svc-*", "--format", "kdl", "--sandbox"])
        .arg(&state)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "exported 3 users, 2 groups (0 dynamic)",
        ));
    assert_eq!(names(&out), ["groups.kdl", "settings.kdl", "users.kdl"]);
    let settings = std::fs::read_to_string(out.join("settings.kdl")).unwrap();
    assert!(settings.contains("Users and groups matching: [a-j]*, svc-*."));
    jcform().arg("validate").arg(&out).assert().success();
    // A partial export touches nothing in the org either.
    jcform()
        .arg("plan")
        .arg(&out)
        .arg("--sandbox")
        .arg(&state)
        .assert()
        .code(predicate::ne(2))
        .stdout(predicate::str::starts_with("No changes."));
}

#[test]
fn bad_arguments_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let state = export_common::write_state(dir.path(), &export_common::small_org());
    jcform()
        .args(["export", "--kinds", "printers", "--out", "x", "--sandbox"])
        .arg(&state)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("printers"));
    jcform()
        .args(["export", "--only", "[", "--sandbox"])
        .arg(&state)
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--only"));
}
