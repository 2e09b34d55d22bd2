//! The CI examples (examples/ci/): the shell scripts the GitHub Actions workflow and the GitLab
//! template call, run exactly as CI would, with the built binary and a sandbox copy of the
//! examples' org. The posting step is not run: the scripts write the comment body to a file,
//! and this test checks that file (marker first, then the plan).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temp dir with `config/` (the YAML examples), `passwords/` and `org.json` (the sandbox).
fn world() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let examples = root().join("examples");
    for (from, to) in [("yaml", "config"), ("passwords", "passwords")] {
        std::fs::create_dir(dir.path().join(to)).expect("mkdir");
        for entry in std::fs::read_dir(examples.join(from)).expect("examples") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), dir.path().join(to).join(entry.file_name())).expect("copy");
        }
    }
    std::fs::copy(examples.join("sandbox.json"), dir.path().join("org.json")).expect("copy");
    dir
}

/// Runs `sh examples/ci/NAME` in `dir` with the CI settings; (exit code, stdout, stderr).
fn script(dir: &Path, name: &str) -> (i32, String, String) {
    let out = Command::new("sh")
        .arg(root().join("examples/ci").join(name))
        .current_dir(dir)
        .env("JCFORM", env!("CARGO_BIN_EXE_jcform"))
        .env("JCFORM_CONFIG", "config")
        .env("JCFORM_OUT", "jcform-out")
        .env("JCFORM_SANDBOX", "org.json")
        .env("NO_COLOR", "1")
        .env_remove("JC_API_KEY")
        .output()
        .expect("sh runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn pull_request_merge_and_nightly_drift() {
    let w = world();
    let dir = w.path();

    // Pull request.
    let (code, out, err) = script(dir, "plan.sh");
    assert_eq!(code, 0, "plan.sh:\n{out}\n{err}");
    let comment = std::fs::read_to_string(dir.join("jcform-out/comment.md")).expect("comment");
    assert_eq!(
        comment.lines().next(),
        Some("<!-- jcform:sandbox:org.json:config -->"),
        "{comment}"
    );
    assert!(comment.contains("### jcform plan"), "{comment}");
    let summary = std::fs::read_to_string(dir.join("jcform-out/summary.txt")).expect("summary");
    assert_eq!(summary.lines().count(), 1);
    assert!(
        summary.starts_with("changes: ") || summary.starts_with("destructive: "),
        "{summary}"
    );
    assert!(out.contains(summary.trim()), "{out}");
    let sarif: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("jcform-out/lint.sarif")).expect("sarif"),
    )
    .expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(dir.join("jcform-out/plan.json").exists());

    // Nightly before the merge: the org differs from the files.
    let (code, _, err) = script(dir, "drift.sh");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Drift"), "{err}");

    // Merge: the saved plan applies without a prompt (no terminal here).
    let (code, out, err) = script(dir, "apply.sh");
    assert_eq!(code, 0, "apply.sh:\n{out}\n{err}");
    assert!(dir.join("jcform-out/journal.jsonl").exists());

    // Nightly after: no drift.
    let (code, out, err) = script(dir, "drift.sh");
    assert_eq!(code, 0, "drift.sh:\n{out}\n{err}");
    assert!(out.contains("No drift"), "{out}");

    // The applied plan is spent: applying it again is refused and changes nothing.
    let before = std::fs::read(dir.join("org.json")).expect("sandbox");
    let (code, _, err) = script(dir, "apply.sh");
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        std::fs::read(dir.join("org.json")).expect("sandbox"),
        before
    );
}

/// The workflow files call the scripts this test runs (so CI runs what is tested), and the
/// pre-commit hooks run `validate` and `fmt --check`.
#[test]
fn workflows_call_the_tested_scripts() {
    let gha = std::fs::read_to_string(root().join("examples/ci/github-actions.yml")).unwrap();
    let gitlab = std::fs::read_to_string(root().join("examples/ci/gitlab-ci.yml")).unwrap();
    for name in ["plan.sh", "apply.sh", "drift.sh"] {
        let call = format!("sh examples/ci/{name}");
        assert!(
            gha.contains(&call),
            "github-actions.yml does not run {name}"
        );
        assert!(gitlab.contains(&call), "gitlab-ci.yml does not run {name}");
    }
    assert!(gha.contains("jcform-out/comment.md") && gha.contains("upload-sarif"));
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(hooks.contains("entry: jcform validate"), "{hooks}");
    assert!(hooks.contains("entry: jcform fmt --check"), "{hooks}");
}
