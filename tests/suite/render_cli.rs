//! `jcform plan`: the pure part (`plan_and_render`) against hand-built live states, and the
//! binary's exit codes and streams.

use predicates::prelude::PredicateBooleanExt;
use std::path::Path;

use assert_cmd::Command;
use jcform::cli::plan::{plan_and_render, PlanFormat, PlanOptions};
use jcform::cli::Outcome;
use jcform::model::live::{LiveState, LiveUser};
use jcform::model::{Config, UserAttrs, UserState};
use jcform::plan::file::PlanFile;
use serde_json::Value;

const CONFIG: &str = "\
users:
  alice:
    email: alice@example.com
    job_title: Engineer
    initial_password: {env: ALICE_PASSWORD}
";

fn write_config(dir: &Path) {
    std::fs::write(dir.join("org.yaml"), CONFIG).unwrap();
}

fn load(dir: &Path) -> Config {
    jcform::model::load(dir).unwrap_or_else(|e| panic!("{e}"))
}

fn live_alice(job_title: &str) -> LiveState {
    let mut live = LiveState::default();
    live.users.insert(
        "5f0000000000000000000001".into(),
        LiveUser {
            id: "5f0000000000000000000001".into(),
            username: "alice".into(),
            attrs: UserAttrs {
                email: Some("alice@example.com".into()),
                job_title: Some(job_title.into()),
                state: Some(UserState::Active),
                ..UserAttrs::default()
            }
            .into(),
            password_set: true,
            ..LiveUser::default()
        },
    );
    live
}

fn opts(format: PlanFormat) -> PlanOptions {
    PlanOptions {
        org_label: "acme".into(),
        format,
        color: false,
        show_unmanaged: false,
        config_label: "cfg".into(),
    }
}

#[test]
fn outcome_follows_the_plan() {
    // The plan resolves the password of a user it creates (and fails when it cannot).
    std::env::set_var("ALICE_PASSWORD", "correct-horse-battery");
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let config = load(dir.path());

    let report =
        plan_and_render(&config, &LiveState::default(), &opts(PlanFormat::Human)).expect("plans");
    assert_eq!(report.outcome, Outcome::Changes);
    assert!(report
        .rendered
        .starts_with("Plan: 1 to create, 0 to update, 0 to replace, 0 to delete\n"));
    assert!(!report.rendered.contains("ALICE_PASSWORD"));

    let report =
        plan_and_render(&config, &live_alice("Engineer"), &opts(PlanFormat::Human)).expect("plans");
    assert_eq!(report.outcome, Outcome::Ok, "{}", report.rendered);
    assert_eq!(report.rendered, "No changes. The org matches the files.\n");

    let report =
        plan_and_render(&config, &live_alice("Intern"), &opts(PlanFormat::Json)).expect("plans");
    assert_eq!(report.outcome, Outcome::Changes);
    let doc: Value = serde_json::from_str(&report.rendered).unwrap();
    assert_eq!(doc["summary"]["update"], 1);
    assert_eq!(doc["changes"][0]["address"], "user.alice");
    assert_eq!(doc["changes"][0]["after"]["job_title"], "Engineer");
    assert_eq!(report.render.summary.update, 1);
}

fn jcform() -> Command {
    let mut cmd = Command::cargo_bin("jcform").unwrap();
    cmd.env("NO_COLOR", "1");
    // The plans below create alice: the plan reads her initial password.
    cmd.env("ALICE_PASSWORD", "correct-horse-battery");
    cmd
}

#[test]
fn binary_exit_codes_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let sandbox = dir.path().join("sandbox.json");

    // Without --detailed-exitcode a plan with changes still exits 0.
    jcform()
        .arg("plan")
        .arg(dir.path())
        .arg("--sandbox")
        .arg(&sandbox)
        // No state file: an empty org, on purpose.
        .arg("--sandbox-create")
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with("Plan: 1 to create"));

    let out = jcform()
        .arg("plan")
        .arg(dir.path())
        .arg("--sandbox")
        .arg(&sandbox)
        // No state file: an empty org, on purpose.
        .arg("--sandbox-create")
        .args(["--format", "json", "--detailed-exitcode"])
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).expect("stdout is one JSON document");
    assert_eq!(doc["format_version"], "1");

    jcform()
        .arg("plan")
        .arg(dir.path())
        .arg("--sandbox")
        .arg(&sandbox)
        // No state file: an empty org, on purpose.
        .arg("--sandbox-create")
        .args(["--format", "markdown"])
        .assert()
        .code(0)
        // The hidden marker CI finds its own comment by, then the comment.
        .stdout(
            predicates::str::starts_with("<!-- jcform:sandbox:")
                .and(predicates::str::contains(" -->\n### jcform plan\n")),
        );
}

#[test]
fn binary_writes_a_plan_file_that_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let plan_path = dir.path().join("out").with_extension("plan.json");
    jcform()
        .arg("plan")
        .arg(dir.path())
        .arg("--sandbox")
        .arg(dir.path().join("sandbox.json"))
        // No state file: an empty org, on purpose.
        .arg("--sandbox-create")
        .arg("--out")
        .arg(&plan_path)
        .args(["--format", "json"])
        .assert()
        .code(0)
        .stderr(predicates::str::contains("Saved the plan to"));
    let file = PlanFile::read(&plan_path).unwrap();
    assert_eq!(file.changes.len(), 1);
    assert_eq!(file.config_hash, load(dir.path()).hash);
    assert_eq!(file.tool_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(file.changes[0].after["initial_password"], "(set)");
}

#[test]
fn binary_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    // No org to plan against.
    jcform().arg("plan").arg(dir.path()).assert().code(1);
    // A broken config.
    std::fs::write(dir.path().join("org.yaml"), "users: [").unwrap();
    jcform()
        .arg("plan")
        .arg(dir.path())
        .arg("--sandbox")
        .arg(dir.path().join("sandbox.json"))
        // No state file: an empty org, on purpose.
        .arg("--sandbox-create")
        .assert()
        .code(1);
}

const TWO_DELEGATION_DOMAINS: &str = "\
users:
  alice:
    email: alice@example.com
    delegated_authority: corp
ad_domains:
  corp: {domain: corp.example.com, delegation: enabled}
  emea: {domain: emea.example.com, delegation: enabled}
bindings:
  - {ad_domain: corp, users: [alice]}
  - {ad_domain: emea, users: [alice]}
";

#[test]
fn lockouts_block_until_waived() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.yaml");
    std::fs::write(&file, TWO_DELEGATION_DOMAINS).unwrap();
    let report = plan_and_render(
        &load(dir.path()),
        &LiveState::default(),
        &opts(PlanFormat::Human),
    )
    .expect("plans");
    assert_eq!(report.outcome, Outcome::Blocked);
    assert!(report
        .rendered
        .contains("\nerror[LCK001] multiple-delegation-domains: "));
    assert!(report
        .rendered
        .lines()
        .next()
        .unwrap()
        .ends_with("; 1 error, 0 warnings"));

    jcform()
        .arg("plan")
        .arg(dir.path())
        .arg("--sandbox")
        .arg(dir.path().join("sandbox.json"))
        // No state file: an empty org, on purpose.
        .arg("--sandbox-create")
        .arg("--detailed-exitcode")
        .assert()
        .code(3);

    let waived = format!(
        "{TWO_DELEGATION_DOMAINS}waivers:\n  - {{rule: LCK001, target: user.alice, reason: moving \
         alice to emea this week}}\n"
    );
    std::fs::write(&file, waived).unwrap();
    let report = plan_and_render(
        &load(dir.path()),
        &LiveState::default(),
        &opts(PlanFormat::Markdown),
    )
    .expect("plans");
    assert_eq!(report.outcome, Outcome::Changes);
    assert!(report.rendered.contains("| error (waived) | `LCK001` |"));
    assert!(report
        .rendered
        .contains("waived: moving alice to emea this week"));
}
