//! `jcform apply --plan FILE` through the real binary, on temp copies of the examples and their
//! sandbox: a saved plan runs when nothing changed, and is refused (exit 1, nothing written)
//! when the org, the files or the plan file itself changed, or when it names another org.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn jcform(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("jcform")
        .expect("binary builds")
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

/// A temp dir holding `yaml/` (the example config), `passwords/` (its password source) and
/// `org.json` (the examples' sandbox).
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        for sub in ["yaml", "passwords"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
            for entry in std::fs::read_dir(examples.join(sub)).expect("examples") {
                let entry = entry.expect("entry");
                std::fs::copy(entry.path(), dir.path().join(sub).join(entry.file_name()))
                    .expect("copy");
            }
        }
        std::fs::copy(examples.join("sandbox.json"), dir.path().join("org.json")).expect("copy");
        World { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).to_str().expect("utf-8 path").to_string()
    }

    /// `jcform plan yaml --sandbox org.json --out plan.json`; the plan has changes.
    fn plan_out(&self) {
        let (code, out, err) = jcform(&[
            "plan",
            &self.arg("yaml"),
            "--sandbox",
            &self.arg("org.json"),
            "--out",
            &self.arg("plan.json"),
            "--detailed-exitcode",
        ]);
        assert_eq!(code, 2, "plan --out:\n{out}\n{err}");
        assert!(err.contains("Saved the plan to"), "{err}");
    }

    fn apply_plan(&self, sandbox: &str) -> (i32, String, String) {
        jcform(&[
            "apply",
            &self.arg("yaml"),
            "--plan",
            &self.arg("plan.json"),
            "--sandbox",
            &self.arg(sandbox),
            "--auto-approve",
        ])
    }

    /// Applies the saved plan and asserts the refusal: exit 1, `needle` in the error, the
    /// sandbox's bytes untouched.
    fn assert_refused(&self, sandbox: &str, needle: &str) -> String {
        let before = std::fs::read(self.path(sandbox)).expect("sandbox");
        let (code, out, err) = self.apply_plan(sandbox);
        assert_eq!(code, 1, "expected a refusal:\n{out}\n{err}");
        assert!(err.contains(needle), "{needle:?} not in:\n{err}");
        assert_eq!(
            std::fs::read(self.path(sandbox)).expect("sandbox"),
            before,
            "nothing written"
        );
        assert!(
            !self.path("plan.json.journal.jsonl").exists(),
            "no journal: nothing ran"
        );
        err
    }
}

#[test]
fn a_saved_plan_applies_and_the_org_converges() {
    let w = World::new();
    w.plan_out();
    let text = std::fs::read_to_string(w.path("plan.json")).expect("plan file");
    assert!(
        !text.contains("Welcome-2026"),
        "no secrets in the plan file"
    );

    let (code, out, err) = w.apply_plan("org.json");
    assert_eq!(code, 0, "apply --plan:\n{out}\n{err}");
    assert!(err.contains("still holds"), "{err}");
    // The journal defaults to beside the plan file.
    assert!(w.path("plan.json.journal.jsonl").exists(), "{err}");

    let (code, out, err) = jcform(&[
        "plan",
        &w.arg("yaml"),
        "--sandbox",
        &w.arg("org.json"),
        "--detailed-exitcode",
    ]);
    assert_eq!(code, 0, "re-plan not empty:\n{out}\n{err}");

    // Once applied, the plan is stale: the objects it read have changed.
    let before = std::fs::read(w.path("org.json")).expect("sandbox");
    let (code, _, err) = w.apply_plan("org.json");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the org changed since the plan was made"),
        "{err}"
    );
    assert_eq!(std::fs::read(w.path("org.json")).expect("sandbox"), before);
}

#[test]
fn a_live_change_since_the_plan_is_refused_and_named() {
    let w = World::new();
    w.plan_out();
    let sandbox = std::fs::read_to_string(w.path("org.json")).expect("sandbox");
    let edited = sandbox.replacen("\"firstname\": \"Bob\"", "\"firstname\": \"Robert\"", 1);
    assert_ne!(edited, sandbox);
    std::fs::write(w.path("org.json"), edited).expect("write");

    let err = w.assert_refused("org.json", "the org changed since the plan was made");
    assert!(
        err.contains("changed: user bob (64a000000000000000000002)"),
        "{err}"
    );
    // Only what changed is named.
    assert!(!err.contains("user alice"), "{err}");
}

#[test]
fn a_config_change_since_the_plan_is_refused() {
    let w = World::new();
    w.plan_out();
    let users = w.path("yaml/users.yaml");
    let mut text = std::fs::read_to_string(&users).expect("users.yaml");
    text.push_str("# edited after the plan was made\n");
    std::fs::write(&users, text).expect("write");

    w.assert_refused("org.json", "the config changed since the plan was made");
}

#[test]
fn a_tampered_plan_file_is_refused() {
    let w = World::new();
    w.plan_out();
    let text = std::fs::read_to_string(w.path("plan.json")).expect("plan file");
    // Turn the first create into a delete, keeping the JSON valid.
    let edited = text.replacen("\"action\": \"create\"", "\"action\": \"delete\"", 1);
    assert_ne!(edited, text);
    std::fs::write(w.path("plan.json"), edited).expect("write");

    w.assert_refused("org.json", "tampered");

    std::fs::write(w.path("plan.json"), "{ not json").expect("write");
    w.assert_refused("org.json", "is not a jcform plan file");
}

#[test]
fn a_plan_for_another_org_is_refused_naming_both() {
    let w = World::new();
    w.plan_out();
    // The same state under another name is another org as far as the plan is concerned.
    std::fs::copy(w.path("org.json"), w.path("other.json")).expect("copy");

    let err = w.assert_refused("other.json", "the plan was made for sandbox:");
    // Sandboxes are named by their path relative to the config root (docs/plan-json.md).
    assert!(err.contains("sandbox:../org.json"), "{err}");
    assert!(err.contains("sandbox:../other.json"), "{err}");
}

/// A saved plan whose findings block apply is refused with exit 3, like a fresh one: the rules
/// run again on the re-read org, so a waiver removed after planning cannot slip through.
#[test]
fn a_saved_plan_with_a_blocking_finding_exits_3_and_writes_nothing() {
    let world = World::new();
    // Carol delegates to corp, and the files turn corp's delegation off: LCK003.
    let users = world.path("yaml/users.yaml");
    let text = std::fs::read_to_string(&users).unwrap();
    std::fs::write(
        &users,
        text.replace(
            "    state: suspended",
            "    state: suspended\n    delegated_authority: corp",
        ),
    )
    .unwrap();
    let dirs = world.path("yaml/directories.yaml");
    let text = std::fs::read_to_string(&dirs).unwrap();
    std::fs::write(
        &dirs,
        text.replace("delegation: enabled", "delegation: disabled"),
    )
    .unwrap();
    let (code, out, err) = jcform(&[
        "plan",
        &world.arg("yaml"),
        "--sandbox",
        &world.arg("org.json"),
        "--out",
        &world.arg("plan.json"),
        "--detailed-exitcode",
    ]);
    assert_eq!(code, 3, "the plan is blocked:\n{out}\n{err}");
    let before = std::fs::read(world.path("org.json")).unwrap();
    let (code, out, err) = world.apply_plan("org.json");
    assert_eq!(code, 3, "{out}\n{err}");
    assert_eq!(
        std::fs::read(world.path("org.json")).unwrap(),
        before,
        "nothing written"
    );
}

/// `jcform show` renders the saved plan in every format, as `plan` printed it.
#[test]
fn show_renders_the_saved_plan_in_every_format() {
    let w = World::new();
    w.plan_out();
    let plan_args = |format: &str| {
        jcform(&[
            "plan",
            &w.arg("yaml"),
            "--sandbox",
            &w.arg("org.json"),
            "--format",
            format,
        ])
    };
    for format in ["human", "json", "summary"] {
        let (code, shown, err) = jcform(&["show", &w.arg("plan.json"), "--format", format]);
        assert_eq!(code, 0, "{format}: {err}");
        let (_, planned, _) = plan_args(format);
        // The org label differs only in how the sandbox path is spelled (relative in the file).
        let normalise = |s: &str| s.replace(&w.arg("org.json"), "../org.json");
        assert_eq!(normalise(&shown), normalise(&planned), "{format}");
    }
    let (code, md, _) = jcform(&["show", &w.arg("plan.json"), "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(md.starts_with("### jcform plan"), "{md}");
    let (code, json, _) = jcform(&["show", &w.arg("plan.json"), "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(doc["format_version"], "1");

    // A damaged file is an error, not a rendering.
    std::fs::write(w.path("plan.json"), "{}").expect("write");
    let (code, out, err) = jcform(&["show", &w.arg("plan.json")]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("not a jcform plan file"), "{err}");
}

/// The plan does not depend on where jcform runs or how paths are spelled.
#[test]
fn a_saved_plan_applies_from_another_directory() {
    let w = World::new();
    let run_in = |dir: &Path, args: &[&str]| {
        let out = Command::cargo_bin("jcform")
            .expect("binary builds")
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env_remove("JC_API_KEY")
            .args(args)
            .output()
            .expect("runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run_in(
        w.dir.path(),
        &[
            "plan",
            "./yaml/",
            "--sandbox",
            "./org.json",
            "--out",
            "plan.json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(w.path("plan.json")).expect("plan");
    assert!(text.contains("\"org\": \"sandbox:../org.json\""), "{text}");
    let (code, err) = run_in(
        w.path("yaml").as_path(),
        &[
            "apply",
            ".",
            "--sandbox",
            "../org.json",
            "--plan",
            &w.arg("plan.json"),
        ],
    );
    assert_eq!(code, 0, "apply from yaml/ without --auto-approve:\n{err}");
    assert!(err.contains("still holds"), "{err}");
}

/// What the plan does not touch may change: a failed login (a field jcform does not read) of
/// any user, and a new user the files do not name, leave the saved plan valid.
#[test]
fn untouched_changes_leave_a_saved_plan_valid() {
    let w = World::new();
    w.plan_out();
    let sandbox = std::fs::read_to_string(w.path("org.json")).expect("sandbox");
    let mut doc: serde_json::Value = serde_json::from_str(&sandbox).expect("JSON");
    let users = doc["systemusers"].as_array_mut().expect("users");
    for u in users.iter_mut() {
        u["badLoginAttempts"] = serde_json::json!(3);
    }
    std::fs::write(
        w.path("org.json"),
        serde_json::to_string_pretty(&doc).unwrap(),
    )
    .unwrap();
    let (code, out, err) = w.apply_plan("org.json");
    assert_eq!(code, 0, "{out}\n{err}");
}
