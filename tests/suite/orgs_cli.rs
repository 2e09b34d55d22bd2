//! `jcform orgs` through the real binary, on examples/orgs (three sandbox orgs, one of them an
//! overlay of another) and on orgs files built per test.

use std::path::{Path, PathBuf};

use crate::cli_common::root;
use assert_cmd::Command;
use predicates::prelude::*;

const FILE: &str = "examples/orgs/jcform.orgs.yaml";

/// The binary, run from the repository root, colour settings left to each test.
fn jcform() -> Command {
    crate::cli_common::bare_in(&root())
}

fn stdout(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn plans_three_orgs_in_one_command() {
    let text = stdout(jcform().args(["orgs", "plan", "--file", FILE]), 0);
    insta::assert_snapshot!("orgs_plan_human", text);
    // The worst org decides the detailed exit code: two have changes, none is blocked.
    jcform()
        .args(["orgs", "plan", "--file", FILE, "--detailed-exitcode"])
        .assert()
        .code(2);
    // --only (and JCFORM_ORGS) narrow it down; staging alone has nothing to do.
    jcform()
        .args([
            "orgs",
            "plan",
            "--file",
            FILE,
            "--only",
            "staging",
            "--detailed-exitcode",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Summary: 1 org\n"));
    jcform()
        .args(["orgs", "plan", "--file", FILE, "--detailed-exitcode"])
        .env("JCFORM_ORGS", "staging,globex")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("Summary: 2 orgs"))
        .stdout(predicate::str::contains("production").not());
    jcform()
        .args(["orgs", "plan", "--file", FILE])
        .env("JCFORM_PROFILE", "acme-prod")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unset JCFORM_PROFILE"));
    jcform()
        .args(["orgs", "plan", "--file", FILE, "--only", "prod"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no org named `prod`"));
}

#[test]
fn plan_report_formats() {
    let json = stdout(
        jcform().args([
            "orgs",
            "plan",
            "--file",
            FILE,
            "--format",
            "json",
            "--concurrency",
            "1",
        ]),
        0,
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let statuses: Vec<(&str, &str)> = value["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("production", "changes"),
            ("staging", "ok"),
            ("globex", "changes")
        ]
    );
    assert_eq!(value["orgs"][0]["plan"]["summary"]["create"], 2);
    let md = stdout(
        jcform().args(["orgs", "plan", "--file", FILE, "--format", "markdown"]),
        0,
    );
    insta::assert_snapshot!("orgs_plan_markdown", md);
}

#[test]
fn saved_plans_apply_per_org() {
    let dir = tempfile::tempdir().unwrap();
    // A copy of the orgs example, so that apply can write its sandboxes.
    crate::cli_common::copy_tree(&root().join("examples/orgs"), dir.path());
    let file = dir.path().join("jcform.orgs.yaml");
    let plans = dir.path().join("plans");
    jcform()
        .args(["orgs", "plan", "--file"])
        .arg(&file)
        .arg("--out-dir")
        .arg(&plans)
        .assert()
        .success();
    for org in ["production", "staging", "globex"] {
        assert!(plans.join(format!("{org}.plan.json")).is_file(), "{org}");
    }
    jcform()
        .arg("apply")
        .arg(dir.path().join("customers/globex"))
        .arg("--sandbox")
        .arg(dir.path().join("sandboxes/globex.json"))
        .arg("--plan")
        .arg(plans.join("globex.plan.json"))
        .arg("--auto-approve")
        .assert()
        .success();
    jcform()
        .args([
            "orgs",
            "plan",
            "--only",
            "globex",
            "--detailed-exitcode",
            "--file",
        ])
        .arg(&file)
        .assert()
        .code(0);
}

#[test]
fn list_validate_and_matrix() {
    insta::assert_snapshot!(
        "orgs_list",
        stdout(jcform().args(["orgs", "--file", FILE]), 0)
    );
    insta::assert_snapshot!(
        "orgs_validate",
        stdout(jcform().args(["orgs", "validate", "--file", FILE]), 0)
    );
    assert_eq!(
        stdout(jcform().args(["orgs", "--matrix", "--file", FILE]), 0),
        "{\"include\":[{\"orgs\":\"production\"},{\"orgs\":\"staging\"},{\"orgs\":\"globex\"}]}\n"
    );
    assert_eq!(
        stdout(
            jcform().args(["orgs", "--file", FILE, "--matrix", "github", "--shards", "2"]),
            0
        ),
        "{\"include\":[{\"orgs\":\"production,globex\"},{\"orgs\":\"staging\"}]}\n"
    );
    assert_eq!(
        stdout(
            jcform().args(["orgs", "--file", FILE, "--matrix=gitlab"]),
            0
        ),
        "{\"parallel\":{\"matrix\":[{\"JCFORM_ORGS\":[\"production\",\"staging\",\"globex\"]}]}}\n"
    );
    // The default file is ./jcform.orgs.yaml.
    jcform()
        .current_dir(root().join("examples/orgs"))
        .args(["orgs", "--matrix"])
        .assert()
        .success();
    jcform()
        .args(["orgs", "--shards", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--matrix"));
}

/// An orgs file in a temp dir with the production config and sandbox of the example, plus
/// whatever `extra` adds.
fn fleet(dir: &Path, orgs: &str) -> PathBuf {
    crate::cli_common::copy_tree(&root().join("examples/orgs"), dir);
    let file = dir.join("fleet.yaml");
    std::fs::write(&file, format!("version: 1\norgs:\n{orgs}")).unwrap();
    file
}

#[test]
fn the_worst_org_decides_and_errors_do_not_hide_the_others() {
    let dir = tempfile::tempdir().unwrap();
    // `blocked` deletes more than its limit allows (SAF001): apply would refuse.
    let blocked = dir.path().join("blocked");
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(
        blocked.join("c.yaml"),
        "version: 1\nsettings:\n  manage: {users: full}\n  limits: {max_deletes: 0}\nusers:\n  alice: {email: alice@acme.example}\n",
    )
    .unwrap();
    let file = fleet(
        dir.path(),
        "  production: {config: config, sandbox: sandboxes/production.json}\n  \
         blocked: {config: blocked, sandbox: sandboxes/production.json}\n",
    );
    jcform()
        .args(["orgs", "plan", "--detailed-exitcode", "--file"])
        .arg(&file)
        .assert()
        .code(3)
        .stdout(predicate::function(|t: &str| {
            summary_status(t, "blocked") == Some("blocked")
        }));

    // A broken org: reported in place, the others still planned, exit 1.
    let file = fleet(
        dir.path(),
        "  production: {config: config, sandbox: sandboxes/production.json}\n  \
         gone: {config: nowhere, sandbox: sandboxes/production.json}\n  \
         nokey: {config: config}\n",
    );
    let out = jcform()
        .args(["orgs", "plan", "--file"])
        .arg(&file)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("=== org production"), "{text}");
    assert!(text.contains("user.dan"), "{text}");
    assert_eq!(summary_status(&text, "gone"), Some("error"), "{text}");
    assert_eq!(
        summary_status(&text, "production"),
        Some("changes"),
        "{text}"
    );
    assert!(text.contains("nowhere: no such file"), "{text}");
    assert!(text.contains("names no org to plan against"), "{text}");
}

/// The status column of `name`'s row in the human summary.
fn summary_status<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let summary = &text[text.rfind("Summary: ")?..];
    summary.lines().skip(1).find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some(name)).then(|| words.next()).flatten()
    })
}

#[test]
fn orgs_file_errors_point_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jcform.orgs.yaml");
    std::fs::write(
        &file,
        "version: 1\norgs:\n  prod:\n    config: config\n    sandbx: s.json\n",
    )
    .unwrap();
    jcform()
        .args(["orgs", "plan", "--file"])
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("jcform.orgs.yaml:5:5"))
        .stderr(predicate::str::contains("did you mean `sandbox`?"));
    jcform()
        .args(["orgs", "--file", "no/such/orgs.yaml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no such file"));
}

#[test]
fn overlay_errors_name_the_overlay_file() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("ov");
    std::fs::create_dir(&overlay).unwrap();
    std::fs::write(
        overlay.join("o.yaml"),
        "version: 1\nusers:\n  Alice: {department: QA}\n  zoe: ~\n",
    )
    .unwrap();
    let file = fleet(
        dir.path(),
        "  staging: {config: config, overlays: [ov], sandbox: sandboxes/staging.json}\n",
    );
    jcform()
        .args(["orgs", "validate", "--file"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("staging: invalid"))
        .stderr(predicate::str::contains("o.yaml:3:3"))
        .stderr(predicate::str::contains("base declares `alice`"))
        .stderr(predicate::str::contains("removes user `zoe`"));
}
