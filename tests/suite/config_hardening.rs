//! Hostile and awkward config input and paths, through the real binary: bounded YAML aliases and
//! nesting, merge keys, BOMs, KDL error places, very long lines, directory walks over links and
//! FIFOs, API length limits, duplicates JumpCloud would refuse, `--out` over links and devices,
//! a missing `--sandbox`, an unwritable journal, owner-only snapshots. Field cases 03, 06, 11,
//! 14 and 15 are copied under `tests/fixtures/field-cases`.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn jcform() -> Command {
    let mut cmd = Command::cargo_bin("jcform").expect("binary builds");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("JC_API_KEY");
    cmd
}

/// `jcform validate PATH` expecting exit 1: stderr.
fn invalid(path: &str) -> String {
    let out = jcform().args(["validate", path]).output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{path} should be invalid: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "nothing on stdout for {path}");
    String::from_utf8(out.stderr).expect("utf-8")
}

/// `jcform validate --format json PATH`: (exit code, document).
fn json(path: &str) -> (i32, Value) {
    let out = jcform()
        .args(["validate", "--format", "json", path])
        .output()
        .expect("runs");
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{path}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().expect("exit code"), doc)
}

/// (line, code) of every diagnostic, and (line) of each one's related places.
fn places(doc: &Value) -> Vec<(u64, String, Vec<u64>)> {
    doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap_or(0),
                d["code"].as_str().unwrap_or_default().to_string(),
                d["related"]
                    .as_array()
                    .map(|r| r.iter().filter_map(|p| p["line"].as_u64()).collect())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

macro_rules! diagnostic_snapshot {
    ($name:ident, $path:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), invalid($path));
        }
    };
}

diagnostic_snapshot!(
    diag_duplicate_email,
    "tests/fixtures/field-cases/03-duplicate-email"
);
diagnostic_snapshot!(
    diag_case_duplicates,
    "tests/fixtures/validate/case-duplicates"
);
diagnostic_snapshot!(
    diag_idna_duplicates,
    "tests/fixtures/validate/idna-duplicates"
);
diagnostic_snapshot!(diag_too_long, "tests/fixtures/field-cases/15-field-length");
diagnostic_snapshot!(
    diag_merge_key_not_a_mapping,
    "tests/fixtures/validate/merge-key-errors"
);
diagnostic_snapshot!(
    diag_merge_key_merged_error,
    "tests/fixtures/validate/merge-key-merged-error"
);
diagnostic_snapshot!(
    diag_kdl_error_location,
    "tests/fixtures/field-cases/14-kdl-error-location"
);
diagnostic_snapshot!(
    diag_alias_expansion,
    "tests/fixtures/hostile/billion-laughs.yaml"
);
diagnostic_snapshot!(diag_too_deep_kdl, "tests/fixtures/hostile/deep.kdl");
diagnostic_snapshot!(diag_too_deep_yaml, "tests/fixtures/hostile/deep.yaml");

/// Field case 03: two users with one email (case-insensitively) or one employee id are an
/// error at the second, with the first as the related place.
#[test]
fn duplicate_emails_and_employee_ids_point_at_both() {
    let (code, doc) = json("tests/fixtures/field-cases/03-duplicate-email");
    assert_eq!(code, 1);
    assert_eq!(
        places(&doc),
        vec![
            (7, "duplicate-email".to_string(), vec![4]),
            (14, "duplicate-employee-id".to_string(), vec![11]),
        ]
    );
    let message = doc["diagnostics"][0]["message"].as_str().unwrap();
    assert!(message.contains("`alex.m` and `alexandra.d`"), "{message}");
    assert!(message.contains("case-insensitively"), "{message}");
    assert_eq!(
        doc["diagnostics"][0]["help"],
        "give each user its own email"
    );
}

/// Usernames and group names that differ only in letter case are one account for JumpCloud.
#[test]
fn names_differing_only_in_case_are_duplicates() {
    let (code, doc) = json("tests/fixtures/validate/case-duplicates");
    assert_eq!(code, 1);
    assert_eq!(
        places(&doc),
        vec![
            (5, "duplicate-key".to_string(), vec![3]),
            (10, "duplicate-key".to_string(), vec![8]),
        ]
    );
}

/// A Unicode domain and its punycode spelling are one domain, for emails and AD domains.
#[test]
fn unicode_and_punycode_domains_are_the_same_domain() {
    let (code, doc) = json("tests/fixtures/validate/idna-duplicates");
    assert_eq!(code, 1);
    assert_eq!(
        places(&doc),
        vec![
            (6, "duplicate-email".to_string(), vec![4]),
            (11, "duplicate-key".to_string(), vec![9]),
        ]
    );
}

/// Field case 06: a UTF-8 byte order mark is fine in YAML as in KDL.
#[test]
fn a_byte_order_mark_is_accepted_in_every_format() {
    for dir in ["cfg-key-first", "cfg-comment-first", "cfg-kdl"] {
        let path = format!("tests/fixtures/field-cases/06-bom/{dir}");
        let bytes = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(&path))
            .expect("dir")
            .map(|e| std::fs::read(e.expect("entry").path()).expect("read"))
            .next()
            .expect("a file");
        assert!(
            bytes.starts_with(b"\xef\xbb\xbf"),
            "{dir} starts with a BOM"
        );
        let (code, doc) = json(&path);
        assert_eq!(code, 0, "{dir}: {doc}");
        assert_eq!(doc["counts"]["users"], 1);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/field-cases/06-bom");
    let yaml = jcform::model::load(&root.join("cfg-key-first")).expect("loads");
    let kdl = jcform::model::load(&root.join("cfg-kdl")).expect("loads");
    assert_eq!(yaml.model, kdl.model);
}

/// Field case 11: merge keys work; explicit keys win.
#[test]
fn merge_keys_share_defaults() {
    let (code, doc) = json("tests/fixtures/field-cases/11-merge-key");
    assert_eq!(code, 0, "{doc}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        jcform::model::load(&root.join("tests/fixtures/field-cases/11-merge-key")).expect("loads");
    let ben = &config.model.users["ben"].attrs;
    assert_eq!(ben.email.as_deref(), Some("ben@example.com"));
    assert_eq!(ben.department.as_deref(), Some("Engineering"));
    assert_eq!(ben.company.as_deref(), Some("Example Corp"));
    let ana = &config.model.users["ana"].attrs;
    assert_eq!(ana.email.as_deref(), Some("ana@example.com"));
}

/// Field case 14: a KDL syntax error is reported at its own line, not at 1:1.
#[test]
fn kdl_syntax_errors_are_located() {
    let (code, doc) = json("tests/fixtures/field-cases/14-kdl-error-location");
    assert_eq!(code, 1);
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "syntax");
    assert_eq!(d["line"], 7, "{d}");
    assert!(d["column"].as_u64().unwrap() >= 34, "{d}");
}

/// Field case 15: values longer than the API's maxLength are validate errors at the value.
#[test]
fn over_long_fields_are_errors() {
    let (code, doc) = json("tests/fixtures/field-cases/15-field-length");
    assert_eq!(code, 1);
    assert_eq!(
        places(&doc),
        vec![
            (5, "too-long".to_string(), vec![]),
            (6, "too-long".to_string(), vec![]),
        ]
    );
    assert_eq!(
        doc["diagnostics"][0]["message"],
        "`description` of user `longuser` is 1500 characters; JumpCloud allows at most 1024"
    );
    assert_eq!(
        doc["diagnostics"][1]["message"],
        "`employee_id` of user `longuser` is 300 characters; JumpCloud allows at most 256"
    );
}

/// Hostile shapes end in a located error (exit 1), never a crash, a hang or gigabytes.
#[test]
fn hostile_inputs_are_located_errors() {
    for (path, code) in [
        (
            "tests/fixtures/hostile/billion-laughs.yaml",
            "alias-expansion",
        ),
        ("tests/fixtures/hostile/deep.kdl", "too-deep"),
        ("tests/fixtures/hostile/deep.yaml", "too-deep"),
        ("tests/fixtures/hostile/deep-block.yaml", "too-deep"),
        // Found by the fuzz smoke test: braces after an unterminated string overflowed a 2 MiB
        // stack inside the kdl parser.
        (
            "tests/fixtures/hostile/fuzz-unterminated-string-deep.kdl",
            "too-deep",
        ),
        (
            "tests/fixtures/hostile/unterminated-string-then-deep.kdl",
            "too-deep",
        ),
    ] {
        let (exit, doc) = json(path);
        assert_eq!(exit, 1, "{path}");
        let d = &doc["diagnostics"][0];
        assert_eq!(d["code"], code, "{path}: {d}");
        assert!(d["line"].as_u64().is_some(), "{path}: located");
    }
}

/// A diagnostic past column 65,535 renders (the snippet is cut around the span) in both formats.
#[test]
fn diagnostics_on_very_long_lines_render() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = "x".repeat(70_000);
    let text = format!(
        "version: 1\nusers: {{ana: {{email: ana@example.com, description: \"{long}\", departmnet: R&D}}}}\n"
    );
    std::fs::write(dir.path().join("long.yaml"), text).expect("write");
    let out = jcform()
        .current_dir(dir.path())
        .args(["validate", "long.yaml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(stderr.len() < 8_000, "{} bytes", stderr.len());
    insta::assert_snapshot!("diag_very_long_line", stderr);
    let out = jcform()
        .current_dir(dir.path())
        .args(["validate", "--format", "json", "long.yaml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let codes: Vec<(&str, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(codes, vec![("too-long", 52), ("unknown-field", 70_056)]);
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

/// Links are followed once (two `ln -s . x` links would make the walk exponential), a FIFO
/// named `*.yaml` is skipped rather than read (which would block for ever), and the skipped
/// entries are named.
#[cfg(unix)]
#[test]
fn the_directory_walk_survives_links_and_fifos() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(
        root.join("users.yaml"),
        "version: 1\nusers:\n  ana:\n    email: ana@example.com\n",
    )
    .expect("write");
    for name in ["x", "y", "z"] {
        symlink(".", root.join(name)).expect("link");
    }
    mkfifo(&root.join("pipe.yaml"));
    let out = jcform()
        .args(["validate"])
        .arg(root)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("valid: 1 users"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("pipe.yaml: a named pipe (FIFO)"),
        "{stderr}"
    );
    assert!(stderr.contains("already read"), "{stderr}");
    let out = jcform()
        .args(["validate", "--format", "json"])
        .arg(root)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["valid"], true);
    let skipped: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, vec!["skipped"; 4], "{doc}");
    // Named directly, a FIFO is an error, not a hang.
    let out = jcform()
        .arg("validate")
        .arg(root.join("pipe.yaml"))
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("named pipe"));
}

const ONE_USER: &str = "version: 1\nusers:\n  ana:\n    email: ana@example.com\n";

/// A typo in `--sandbox` is an error; `--sandbox-create` starts an empty org on purpose.
#[test]
fn a_missing_sandbox_file_is_an_error_unless_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("users.yaml"), ONE_USER).expect("write");
    let state = dir.path().join("org.json");
    let out = jcform()
        .arg("plan")
        .arg(dir.path().join("users.yaml"))
        .arg("--sandbox")
        .arg(&state)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no such file"), "{stderr}");
    assert!(stderr.contains("--sandbox-create"), "{stderr}");
    assert!(out.stdout.is_empty());

    let out = jcform()
        .arg("plan")
        .arg(dir.path().join("users.yaml"))
        .arg("--sandbox")
        .arg(&state)
        .arg("--sandbox-create")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("create"));

    // The emulator command too.
    let out = jcform()
        .args(["emulator", "--state"])
        .arg(&state)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--create"));
}

/// `--out` never replaces a device or a link with a regular file: links are written through,
/// special files refused.
#[cfg(unix)]
#[test]
fn out_files_write_through_links_and_refuse_devices() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("users.yaml"), ONE_USER).expect("write");
    let state = dir.path().join("org.json");
    std::fs::write(&state, "{}\n").expect("write");
    let plan = |out: &Path| {
        jcform()
            .arg("plan")
            .arg(dir.path().join("users.yaml"))
            .arg("--sandbox")
            .arg(&state)
            .arg("--out")
            .arg(out)
            .output()
            .expect("runs")
    };
    let out = plan(Path::new("/dev/null"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("character device"), "{stderr}");
    assert!(std::fs::metadata("/dev/null")
        .expect("stat")
        .file_type()
        .is_char_device());

    let target = dir.path().join("saved-plan.json");
    let link = dir.path().join("plan.json");
    std::os::unix::fs::symlink("saved-plan.json", &link).expect("link");
    let out = plan(&link);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::symlink_metadata(&link)
        .expect("stat")
        .file_type()
        .is_symlink());
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&target).expect("written")).expect("json");
    assert!(saved.is_object());

    // Snapshots name every user: owner-only, like plan files; and never onto a device.
    let snap = dir.path().join("snap.json");
    let out = jcform()
        .args(["snapshot", "--sandbox"])
        .arg(&state)
        .arg("--out")
        .arg(&snap)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(&snap).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let out = jcform()
        .args(["snapshot", "--sandbox"])
        .arg(&state)
        .args(["--out", "/dev/null"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
}

/// A journal that cannot be written stops apply before its first write.
#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_journal_stops_apply_before_any_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("users.yaml"), ONE_USER).expect("write");
    let state = dir.path().join("org.json");
    std::fs::write(&state, "{}\n").expect("write");
    let out = jcform()
        .arg("apply")
        .arg(dir.path().join("users.yaml"))
        .arg("--sandbox")
        .arg(&state)
        .args(["--auto-approve", "--journal", "/dev/full"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write the journal"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&state).expect("read"), "{}\n");
}

/// A number written where text is expected keeps its digits as written (`007` is not `7`): in
/// YAML, in a KDL argument and in a KDL property. So `007` and `7` are two employee ids, and
/// the error for a repeated one quotes it as written.
#[test]
fn numbers_in_text_fields_are_kept_as_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let write = |name: &str, text: &str| std::fs::write(root.join(name), text).expect("write");
    write(
        "users.yaml",
        "version: 1\nusers:\n  a:\n    email: a@example.com\n    employee_id: 007\n  \
         b:\n    email: b@example.com\n    employee_id: 7\n  c:\n    email: c@example.com\n    \
         employee_id: -0\n",
    );
    write(
        "more.kdl",
        "version 1\nusers {\n    d {\n        email d@example.com\n        employee_id 0042\n    \
         }\n    e email=e@example.com employee_id=+1_000\n}\n",
    );
    let out = jcform()
        .args(["validate", "--format", "json"])
        .arg(root)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "007, 7, -0, 0042 and +1_000 are five ids: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    write(
        "again.yaml",
        "version: 1\nusers:\n  f:\n    email: f@example.com\n    employee_id: 0042\n",
    );
    let (code, doc) = json(root.to_str().expect("utf-8 path"));
    assert_eq!(code, 1);
    let message = doc["diagnostics"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("employee_id `0042`"), "{message}");
}
