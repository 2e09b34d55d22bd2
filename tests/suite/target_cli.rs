//! `plan` / `apply` with `--target` and `--exclude` through the real binary, against sandbox
//! copies of `examples/sandbox.json`: the kept changes pull in what they need, an exclude that
//! breaks a kept change is an error naming both, every format says the plan is partial, saved
//! plans keep the filter (and `apply --plan` and `show` use it), and after a targeted apply a full
//! plan shows the rest.

use crate::cli_common;

use std::path::{Path, PathBuf};

use cli_common::root;
use predicates::prelude::*;

fn jcform() -> assert_cmd::Command {
    cli_common::jcform_in(&root())
}

/// A scratch copy of the example org.
fn sandbox() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("org.json");
    std::fs::copy(root().join("examples/sandbox.json"), &state).unwrap();
    (dir, state)
}

fn plan_json(state: &Path, extra: &[&str]) -> serde_json::Value {
    let out = jcform()
        .args([
            "plan",
            "tests/fixtures/target/yaml",
            "--format",
            "json",
            "--sandbox",
        ])
        .arg(state)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn addresses(plan: &serde_json::Value) -> Vec<String> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["address"].as_str().unwrap(), c["action"]))
        .collect()
}

#[test]
fn a_target_keeps_what_it_needs_and_says_the_plan_is_partial() {
    let (_dir, state) = sandbox();
    let plan = plan_json(&state, &["--target", "membership.sales.*"]);
    insta::assert_snapshot!("target_memberships", addresses(&plan).join("\n"));
    assert_eq!(
        plan["partial"],
        serde_json::json!({"targets": ["membership.sales.*"], "excludes": []})
    );

    // Unbinding alice from corp needs her delegation cleared first: her update comes along.
    let plan = plan_json(&state, &["--target", "binding.ad_domain.corp.user.alice"]);
    assert_eq!(
        addresses(&plan),
        [
            "user.alice \"update\"",
            "binding.ad_domain.corp.user.alice \"delete\""
        ]
    );

    // A whole plan has no `partial`.
    assert!(plan_json(&state, &[]).get("partial").is_none());
}

#[test]
fn every_format_warns() {
    let (_dir, state) = sandbox();
    let run = |format: &str| {
        jcform()
            .args([
                "plan",
                "tests/fixtures/target/yaml",
                "--target",
                "user.a*",
                "--format",
                format,
            ])
            .arg("--sandbox")
            .arg(&state)
            .assert()
            .success()
            .stderr(predicate::str::contains(
                "warning: Partial plan (--target user.a*)",
            ))
            .get_output()
            .stdout
            .clone()
    };
    let human = String::from_utf8(run("human")).unwrap();
    let first: Vec<&str> = human.lines().take(2).collect();
    insta::assert_snapshot!("target_human_head", first.join("\n"));
    let markdown = String::from_utf8(run("markdown")).unwrap();
    assert!(
        markdown.contains("> [!WARNING]\n> Partial plan (--target user.a*)"),
        "{markdown}"
    );
    let summary = String::from_utf8(run("summary")).unwrap();
    assert!(summary.trim_end().ends_with("; partial"), "{summary}");
}

#[test]
fn excluding_a_needed_change_is_an_error_naming_both() {
    let (_dir, state) = sandbox();
    jcform()
        .args([
            "plan",
            "tests/fixtures/target/yaml",
            "--target",
            "binding.ad_domain.corp.user.alice",
            "--exclude",
            "user.alice",
            "--sandbox",
        ])
        .arg(&state)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "binding.ad_domain.corp.user.alice needs user.alice, which `--exclude user.alice` \
             leaves out",
        ));
}

#[test]
fn a_glob_that_matches_nothing_is_a_warning() {
    let (_dir, state) = sandbox();
    jcform()
        .args([
            "plan",
            "tests/fixtures/target/yaml",
            "--target",
            "user.nobody*",
            "--sandbox",
        ])
        .arg(&state)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: `user.nobody*` matches no change in the plan",
        ))
        .stdout(predicate::str::contains("No changes."));
}

#[test]
fn a_saved_partial_plan_is_shown_rechecked_and_applied_then_a_full_plan_shows_the_rest() {
    let (dir, state) = sandbox();
    let saved = dir.path().join("plan.json");
    jcform()
        .args([
            "plan",
            "tests/fixtures/target/yaml",
            "--target",
            "membership.sales.*",
            "--out",
        ])
        .arg(&saved)
        .arg("--sandbox")
        .arg(&state)
        .assert()
        .success();
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(file["partial"]["targets"][0], "membership.sales.*");

    jcform()
        .arg("show")
        .arg(&saved)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Warning: Partial plan (--target membership.sales.*)",
        ));
    jcform()
        .args(["show", "--format", "json"])
        .arg(&saved)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"partial\""));

    // Another filter than the saved one is refused.
    jcform()
        .args([
            "apply",
            "tests/fixtures/target/yaml",
            "--target",
            "user.*",
            "--plan",
        ])
        .arg(&saved)
        .arg("--sandbox")
        .arg(&state)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("differ from the saved plan's"));

    let before = plan_json(&state, &[]);
    jcform()
        .args(["apply", "tests/fixtures/target/yaml", "--plan"])
        .arg(&saved)
        .arg("--journal")
        .arg(dir.path().join("journal"))
        .arg("--sandbox")
        .arg(&state)
        .assert()
        .success()
        .stderr(predicate::str::contains("still holds"));

    // Only the targeted changes (and what they needed) were applied: the rest remains.
    let after = plan_json(&state, &[]);
    let (_untouched, fresh) = sandbox();
    let applied = addresses(&plan_json(&fresh, &["--target", "membership.sales.*"]));
    let mut expected: Vec<String> = addresses(&before)
        .into_iter()
        .filter(|a| !applied.contains(a))
        .collect();
    expected.sort();
    let mut rest = addresses(&after);
    rest.sort();
    assert_eq!(rest, expected);
    assert!(!rest.is_empty());
}

#[test]
fn apply_with_a_target_plans_and_applies_only_that() {
    let (dir, state) = sandbox();
    jcform()
        .args([
            "apply",
            "tests/fixtures/target/yaml",
            "--auto-approve",
            "--target",
            "group.sales",
            "--journal",
        ])
        .arg(dir.path().join("journal"))
        .arg("--sandbox")
        .arg(&state)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Partial plan (--target group.sales)",
        ));
    let rest = addresses(&plan_json(&state, &[]));
    assert!(
        !rest.iter().any(|a| a.starts_with("group.sales ")),
        "{rest:?}"
    );
    assert!(
        rest.iter().any(|a| a.starts_with("membership.sales.carol")),
        "{rest:?}"
    );
    assert!(
        rest.iter().any(|a| a.starts_with("user.oleksandr")),
        "{rest:?}"
    );
}

/// The example files plus a new user bound to the M365 tenant without an initial password
/// (LCK005, an error).
fn config_with_lockout(dir: &Path) -> PathBuf {
    let cfg = dir.join("cfg");
    std::fs::create_dir_all(&cfg).unwrap();
    for entry in std::fs::read_dir(root().join("tests/fixtures/target/yaml")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, cfg.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::create_dir_all(dir.join("passwords")).unwrap();
    std::fs::copy(
        root().join("examples/passwords/new-hire.txt"),
        dir.join("passwords/new-hire.txt"),
    )
    .unwrap();
    std::fs::write(
        cfg.join("zoe.yaml"),
        "version: 1\nusers:\n  zoe:\n    email: zoe@example.com\nbindings:\n  - m365_tenant: contoso\n    users: [zoe]\n",
    )
    .unwrap();
    cfg
}

#[test]
fn a_partial_plan_never_hides_a_lockout_its_changes_cause() {
    let (dir, state) = sandbox();
    let cfg = config_with_lockout(dir.path());
    for target in ["binding.m365_tenant.contoso.user.zoe", "user.zoe"] {
        jcform()
            .arg("plan")
            .arg(&cfg)
            .args(["--detailed-exitcode", "--target", target, "--sandbox"])
            .arg(&state)
            .assert()
            .code(3)
            .stdout(predicate::str::contains("LCK005"));
    }
    // A partial plan without the new user does not carry its finding.
    jcform()
        .arg("plan")
        .arg(&cfg)
        .args([
            "--detailed-exitcode",
            "--target",
            "group.sales",
            "--sandbox",
        ])
        .arg(&state)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("LCK005").not());
    // And apply refuses the partial plan that creates the locked-out user.
    jcform()
        .arg("apply")
        .arg(&cfg)
        .args(["--auto-approve", "--target", "user.zoe", "--sandbox"])
        .arg(&state)
        .assert()
        .code(3);
}

/// An exclude is a protection: on `apply` one that matches nothing is an error and nothing
/// changes; names are matched without regard to case, so `user.Dave` protects `dave`.
#[test]
fn an_exclude_that_protects_nothing_stops_apply_and_case_is_ignored() {
    let (dir, state) = sandbox();
    let before = std::fs::read(&state).unwrap();
    jcform()
        .args(["apply", "tests/fixtures/target/yaml", "--auto-approve"])
        .args(["--exclude", "user.nobody", "--journal"])
        .arg(dir.path().join("journal"))
        .arg("--sandbox")
        .arg(&state)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("protects nothing"));
    assert_eq!(
        std::fs::read(&state).unwrap(),
        before,
        "nothing was written"
    );

    let plan = addresses(&plan_json(&state, &["--exclude", "user.Dave"]));
    assert!(
        !plan.iter().any(|a| a.starts_with("user.dave ")),
        "{plan:?}"
    );
    let full = addresses(&plan_json(&state, &[]));
    assert!(full.iter().any(|a| a.starts_with("user.dave ")), "{full:?}");
}
