//! The examples end to end through the real binary and the embedded sandbox: apply them to an
//! empty org (holding only the M365 tenant) and to their own sandbox, then re-plan: nothing left
//! to do (exit 0 under --detailed-exitcode). And adopt the examples' sandbox with `export`: its
//! plan is empty too, in YAML and KDL.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn jcform(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("jcform")
        .expect("binary builds")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("JC_API_KEY")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const EMPTY_ORG: &str = r#"{
  "office365s": [{"id": "5f1e0c0b4a3f2e1d0c9b8a71", "name": "Contoso", "groupsEnabled": true,
                  "userLockoutAction": "suspend", "userPasswordExpirationAction": "maintain"}],
  "office365_domains": {"5f1e0c0b4a3f2e1d0c9b8a71": [{"objectId": "64e000000000000000000001", "domain": "example.com", "default": true},
                                                      {"objectId": "64e000000000000000000002", "domain": "example.onmicrosoft.com", "default": false}]}
}"#;

fn apply_then_replan(config: &str, sandbox: &Path) {
    let sandbox = sandbox.to_str().expect("utf-8 path");
    let (code, _, err) = jcform(&["apply", config, "--sandbox", sandbox, "--auto-approve"]);
    assert_eq!(code, 0, "apply failed:\n{err}");
    let (code, out, err) = jcform(&["plan", config, "--sandbox", sandbox, "--detailed-exitcode"]);
    assert_eq!(code, 0, "re-plan not empty:\n{out}\n{err}");
    assert!(out.starts_with("No changes."), "{out}");
}

#[test]
fn examples_apply_to_an_empty_org_and_converge() {
    for config in ["examples/yaml", "examples/kdl"] {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = dir.path().join("org.json");
        std::fs::write(&sandbox, EMPTY_ORG).unwrap();
        apply_then_replan(config, &sandbox);
    }
}

#[test]
fn examples_apply_to_their_own_sandbox_and_converge() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = dir.path().join("org.json");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sandbox.json"),
        &sandbox,
    )
    .unwrap();
    apply_then_replan("examples/yaml", &sandbox);
    // The KDL form means the same: nothing left to do either.
    let (code, out, _) = jcform(&[
        "plan",
        "examples/kdl",
        "--sandbox",
        sandbox.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn exporting_the_examples_sandbox_plans_empty() {
    for format in ["yaml", "kdl"] {
        let dir = tempfile::tempdir().unwrap();
        let out_dir: PathBuf = dir.path().join("adopted");
        let out_dir = out_dir.to_str().unwrap();
        let (code, _, err) = jcform(&[
            "export",
            "--sandbox",
            "examples/sandbox.json",
            "--format",
            format,
            "--out",
            out_dir,
        ]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = jcform(&[
            "plan",
            out_dir,
            "--sandbox",
            "examples/sandbox.json",
            "--detailed-exitcode",
        ]);
        assert_eq!(code, 0, "{format}: {out}\n{err}");
    }
}

#[test]
fn apply_refuses_without_a_terminal_or_auto_approve() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = dir.path().join("org.json");
    std::fs::write(&sandbox, EMPTY_ORG).unwrap();
    let before = std::fs::read(&sandbox).unwrap();
    let (code, _, err) = jcform(&[
        "apply",
        "examples/yaml",
        "--sandbox",
        sandbox.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--auto-approve"), "{err}");
    assert_eq!(std::fs::read(&sandbox).unwrap(), before, "nothing written");
}
