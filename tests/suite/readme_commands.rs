//! Every `cargo run -- ...` command the README shows, run in order as a new user would, in a
//! scratch copy of the files they read (so `apply` and `fmt` change nothing in the checkout).
//! Each must parse (no usage error), never panic, and end with the exit code it promises.

use std::path::Path;
use std::process::Command;

use crate::cli_common::copy_tree;

/// A README line's arguments: after `cargo run -- `, up to a `#` comment or a pipe, split on
/// spaces with single quotes kept together (the only quoting the README uses).
fn arguments(line: &str) -> Vec<String> {
    let rest = line.trim_start_matches("cargo run -- ");
    let rest = rest.split(" # ").next().unwrap_or(rest);
    let rest = rest.split(" | ").next().unwrap_or(rest);
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in rest.trim().chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The exit code a README command promises: `validate` of the dozen mistakes fails (1),
/// `--detailed-exitcode` on the example org reports changes (2) until an apply, a re-plan after
/// the apply is 0, everything else succeeds.
fn expected(args: &[String], applied: bool) -> i32 {
    let has = |a: &str| args.iter().any(|x| x == a);
    if has("validate") && args.iter().any(|a| a.contains("dozen-mistakes")) {
        1
    } else if has("--detailed-exitcode") && !(applied && args.iter().any(|a| a == "org.json")) {
        2
    } else {
        0
    }
}

#[test]
fn every_readme_command_runs_as_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root.join("examples"), &dir.path().join("examples"));
    copy_tree(
        &root.join("tests/fixtures/validate"),
        &dir.path().join("tests/fixtures/validate"),
    );
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut applied = false;
    let mut ran = 0;
    for line in readme.lines() {
        if line.starts_with("cp examples/sandbox.json org.json") {
            std::fs::copy(
                dir.path().join("examples/sandbox.json"),
                dir.path().join("org.json"),
            )
            .unwrap();
            continue;
        }
        if !line.starts_with("cargo run -- ") {
            continue;
        }
        let args = arguments(line);
        // The standalone emulator serves until stopped: emulator_cli covers it.
        if args.first().map(String::as_str) == Some("emulator") {
            continue;
        }
        let out = Command::new(assert_cmd::cargo::cargo_bin("jcform"))
            .args(&args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("Usage:") && !stderr.contains("panicked"),
            "README: {line}\n{stderr}"
        );
        assert_eq!(
            out.status.code(),
            Some(expected(&args, applied)),
            "README: {line}\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        if args.first().map(String::as_str) == Some("apply") {
            applied = true;
        }
        ran += 1;
    }
    assert!(ran >= 24, "only {ran} README commands found");
}
