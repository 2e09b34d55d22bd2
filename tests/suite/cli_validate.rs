//! `jcform validate`, `graph` and `schema` through the real binary: exit codes, every
//! diagnostic kind (snapshots, no colour, fixed width), YAML/KDL equivalence, graph order.

use std::path::Path;

use assert_cmd::Command;

fn jcform() -> Command {
    let mut cmd = Command::cargo_bin("jcform").expect("binary builds");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    cmd
}

/// Runs `jcform validate PATH` expecting exit 1, returns stderr.
fn invalid(path: &str) -> String {
    let out = jcform().args(["validate", path]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1), "{path} should be invalid");
    assert!(out.stdout.is_empty(), "nothing on stdout for {path}");
    String::from_utf8(out.stderr).expect("utf-8")
}

#[test]
fn examples_are_valid_in_both_formats() {
    for dir in ["examples/yaml", "examples/kdl"] {
        let out = jcform().args(["validate", dir]).output().expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.starts_with(
                "valid: 6 users, 2 groups, 6 memberships, 1 ad_domains, 1 m365_tenants, 1 sso_apps, 6 bindings"
            ),
            "{stdout}"
        );
    }
}

#[test]
fn yaml_and_kdl_examples_mean_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let yaml = jcform::model::load(&root.join("examples/yaml")).expect("yaml loads");
    let kdl = jcform::model::load(&root.join("examples/kdl")).expect("kdl loads");
    assert_eq!(yaml.model, kdl.model);
}

macro_rules! diagnostic_snapshot {
    ($name:ident, $path:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), invalid($path));
        }
    };
}

diagnostic_snapshot!(diag_syntax_yaml, "tests/fixtures/validate/syntax-yaml");
diagnostic_snapshot!(diag_sso_apps, "tests/fixtures/validate/sso-apps");
diagnostic_snapshot!(
    diag_sso_app_values,
    "tests/fixtures/validate/sso-app-values"
);
diagnostic_snapshot!(
    diag_sso_federation_tenant,
    "tests/fixtures/validate/sso-federation-tenant"
);
diagnostic_snapshot!(diag_syntax_kdl, "tests/fixtures/validate/syntax-kdl");
diagnostic_snapshot!(diag_unknown_field, "tests/fixtures/validate/unknown-field");
diagnostic_snapshot!(diag_invalid_value, "tests/fixtures/validate/invalid-value");
diagnostic_snapshot!(diag_missing_field, "tests/fixtures/validate/missing-field");
diagnostic_snapshot!(diag_duplicate_key, "tests/fixtures/validate/duplicate-key");
diagnostic_snapshot!(
    diag_duplicate_across_files,
    "tests/fixtures/validate/duplicate-across-files"
);
diagnostic_snapshot!(
    diag_unknown_reference,
    "tests/fixtures/validate/unknown-reference"
);
diagnostic_snapshot!(diag_invalid_email, "tests/fixtures/validate/invalid-email");
diagnostic_snapshot!(
    diag_invalid_tenant_id,
    "tests/fixtures/validate/invalid-tenant-id"
);
diagnostic_snapshot!(diag_wrong_type, "tests/fixtures/validate/wrong-type");
diagnostic_snapshot!(diag_non_ascii, "tests/fixtures/validate/non-ascii");

/// A file with many different mistakes reports every one of them, each at its own line.
#[test]
fn every_mistake_is_reported_with_its_line() {
    let out = jcform()
        .args([
            "validate",
            "--format",
            "json",
            "tests/fixtures/validate/dozen-mistakes.yaml",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let got: Vec<(u64, String)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(u64, &str)> = vec![
        (1, "unsupported-version"),
        (4, "invalid-value"),
        (5, "wrong-type"),
        (7, "missing-field"),
        (8, "unknown-field"),
        (9, "invalid-value"),
        (11, "invalid-email"),
        (12, "unknown-reference"),
        (13, "duplicate-key"),
        (17, "unknown-reference"),
        (18, "unknown-field"),
        (22, "invalid-value"),
        (25, "invalid-tenant-id"),
        (28, "unknown-reference"),
        (29, "missing-field"),
        (31, "unknown-reference"),
        (31, "unknown-reference"),
    ];
    let want: Vec<(u64, String)> = want.into_iter().map(|(l, c)| (l, c.to_string())).collect();
    assert_eq!(got, want);
    for d in json["diagnostics"].as_array().unwrap() {
        assert!(
            d["help"].as_str().is_some_and(|h| !h.is_empty()),
            "every diagnostic has help: {d}"
        );
        assert_eq!(d["file"], "tests/fixtures/validate/dozen-mistakes.yaml");
    }
}

#[test]
fn json_columns_count_characters_on_non_ascii_lines() {
    let out = jcform()
        .args([
            "validate",
            "--format",
            "json",
            "tests/fixtures/validate/non-ascii",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &json["diagnostics"][1];
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(12), Some(12))
    );
    assert_eq!(d["code"], "invalid-value");
}

#[test]
fn missing_config_is_an_error() {
    let out = jcform().args(["validate", "no/such/dir"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/dir: no such file or directory"));
}

#[test]
fn graph_is_deterministic_dot() {
    let first = jcform().args(["graph", "examples/yaml"]).output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    let second = jcform().args(["graph", "examples/kdl"]).output().unwrap();
    assert_eq!(first.stdout, second.stdout, "same model, same graph");
    insta::assert_snapshot!("graph_examples", String::from_utf8(first.stdout).unwrap());
}

#[test]
fn schema_file_is_current() {
    let out = jcform().arg("schema").output().unwrap();
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/jcform.schema.json"),
    )
    .expect("schemas/jcform.schema.json exists");
    assert!(
        committed == String::from_utf8(out.stdout).unwrap(),
        "schemas/jcform.schema.json is stale: run `cargo run -- schema > schemas/jcform.schema.json`"
    );
}

#[test]
fn examples_declare_the_schema_modeline() {
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/yaml")).unwrap()
    {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            text.starts_with("# yaml-language-server: $schema="),
            "{text}"
        );
    }
}

/// A config that does not load is reported before the org is touched: no read, no sandbox lock
/// file, no `credential_process` run (a review of an attempt to load the config while the org
/// was read found all three), and the sandbox's state file left as it was.
#[test]
fn plan_reports_the_config_before_the_org() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "users:\n  alice:\n    emial: a@example.com\n").unwrap();
    let state = dir.path().join("org.json");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sandbox.json"),
        &state,
    )
    .unwrap();
    let before = std::fs::read(&state).unwrap();
    let missing = dir.path().join("missing.json");
    for sandbox in [&state, &missing] {
        let out = jcform()
            .args(["plan", "--sandbox"])
            .arg(sandbox)
            .arg(&bad)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("emial"), "the config's error: {stderr}");
        assert!(!stderr.contains("missing.json"), "not the org's: {stderr}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(
        std::fs::read(&state).unwrap(),
        before,
        "the sandbox is unchanged"
    );
    // A config that loads, an org that cannot be read: the read's error.
    let out = jcform()
        .args(["plan", "--sandbox"])
        .arg(&missing)
        .arg("examples/yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
    assert!(
        !dir.path().join("missing.json.lock").exists(),
        "no lock file for a bad config"
    );

    // A profile whose key comes from a program: the program does not run for a bad config.
    let ran = dir.path().join("ran");
    let program = dir.path().join("key.sh");
    std::fs::write(
        &program,
        format!("#!/bin/sh\necho x >> {}\necho key\n", ran.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let creds = dir.path().join("credentials");
    std::fs::write(
        &creds,
        format!(
            "[profile.p]\napi_url = \"http://127.0.0.1:9\"\ncredential_process = [\"{}\"]\n",
            program.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = jcform()
        .args(["plan", "--profile", "p"])
        .arg(&bad)
        .env("JCFORM_CREDENTIALS", &creds)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("emial"), "the config's error: {stderr}");
    assert!(!ran.exists(), "credential_process ran for a bad config");
}
