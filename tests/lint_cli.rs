//! `jcform lint` and `jcform explain` through the real binary, on the fixtures in
//! tests/fixtures/lint.

use assert_cmd::Command;

fn jcform(args: &[&str]) -> (String, i32) {
    let out = Command::cargo_bin("jcform")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run jcform");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn explain_list() {
    let (out, code) = jcform(&["explain", "--list"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn explain_takes_codes_and_slugs_in_any_case() {
    let (by_code, code) = jcform(&["explain", "lck003"]);
    assert_eq!(code, 0);
    let (by_slug, _) = jcform(&["explain", "Delegation-Disabled-With-Delegated-Users"]);
    assert_eq!(by_code, by_slug);
    assert!(by_code.starts_with("LCK003 delegation-disabled-with-delegated-users (error)\n"));
    for heading in [
        "## What it catches",
        "## Why it locks people out",
        "## Example",
        "## Fix",
    ] {
        assert!(by_code.contains(heading), "{heading}");
    }
    let (_, code) = jcform(&["explain", "LCK999"]);
    assert_eq!(code, 1);
}

#[test]
fn lint_human() {
    let (out, code) = jcform(&["lint", "tests/fixtures/lint/basic"]);
    assert_eq!(code, 3, "an unwaived LCK001 blocks");
    insta::assert_snapshot!(out);
}

#[test]
fn lint_sarif() {
    let (out, code) = jcform(&["lint", "tests/fixtures/lint/basic", "--format", "sarif"]);
    assert_eq!(code, 3);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().expect("results");
    let waived: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["ruleId"], "LCK106");
    // The tool's own version changes with releases; SARIF's "2.1.0" stays.
    let version = format!(
        r#""version": "{}""#,
        env!("CARGO_PKG_VERSION").replace('.', r"\.")
    );
    insta::with_settings!({filters => vec![(version.as_str(), r#""version": "[version]""#)]}, {
        insta::assert_snapshot!(out);
    });
}

#[test]
fn lint_json() {
    let (out, code) = jcform(&["lint", "tests/fixtures/lint/basic", "--format", "json"]);
    assert_eq!(code, 3);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["format_version"], 1);
    let first = &doc["findings"][0];
    assert_eq!(first["code"], "LCK001");
    assert_eq!(first["targets"], serde_json::json!(["user.alice"]));
    assert_eq!(first["location"]["line"], 3);
    assert!(!out.contains("Short1"), "the literal password never prints");
}

#[test]
fn lint_clean_config_exits_0() {
    let (out, code) = jcform(&["lint", "tests/fixtures/lint/clean"]);
    assert_eq!((out.as_str(), code), ("no findings\n", 0));
}

/// `--exit-zero` keeps the report and drops the blocking exit code, for upload steps.
#[test]
fn lint_exit_zero_reports_but_exits_0() {
    let (blocked, code) = jcform(&["lint", "tests/fixtures/lint/basic", "--format", "sarif"]);
    assert_eq!(code, 3);
    let (out, code) = jcform(&[
        "lint",
        "tests/fixtures/lint/basic",
        "--format",
        "sarif",
        "--exit-zero",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, blocked, "the same report");
    // Bad config is still an error.
    let (_, code) = jcform(&["lint", "tests/fixtures/lint/missing", "--exit-zero"]);
    assert_eq!(code, 1);
}

/// Every SARIF result has a location; every rule a plain-text description and a help URI to
/// its anchor in docs/rules.md.
#[test]
fn sarif_results_have_locations_and_rules_have_help() {
    let (out, _) = jcform(&["lint", "tests/fixtures/lint/basic", "--format", "sarif"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
    let run = &doc["runs"][0];
    for r in run["results"].as_array().expect("results") {
        let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        assert!(uri.is_string(), "no location: {r}");
    }
    for rule in run["tool"]["driver"]["rules"].as_array().expect("rules") {
        let code = rule["id"].as_str().expect("id").to_ascii_lowercase();
        let uri = rule["helpUri"].as_str().expect("helpUri");
        assert!(uri.ends_with(&format!("docs/rules.md#{code}")), "{uri}");
        let text = rule["fullDescription"]["text"].as_str().expect("text");
        assert!(!text.contains("```") && !text.contains("## "), "{text}");
    }
}

/// docs/rules.md is generated from the rules' doc comments; it must be in step with them.
#[test]
fn rules_doc_is_generated_from_the_rules() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let want = jcform::lint::report::rules_markdown();
    if std::env::var_os("JCFORM_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).expect("write docs/rules.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is out of date: run `JCFORM_UPDATE_DOCS=1 cargo test --test lint_cli`"
    );
    for rule in jcform::lint::catalog::CATALOG {
        assert!(
            have.contains(&format!("\n## {}\n", rule.code)),
            "{}",
            rule.code
        );
    }
}
