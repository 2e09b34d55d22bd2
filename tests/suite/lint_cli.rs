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
    assert_eq!(doc["format_version"], "1");
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

const RULES_SANDBOX: &str = "tests/fixtures/lint/rules/sandbox.json";

/// The codes `jcform lint FILE --sandbox RULES_SANDBOX --format json` reports, with the exit
/// code.
fn lint_codes(file: &str) -> (Vec<serde_json::Value>, i32) {
    let (out, code) = jcform(&["lint", file, "--sandbox", RULES_SANDBOX, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON findings");
    (
        doc["findings"].as_array().cloned().unwrap_or_default(),
        code,
    )
}

/// Every new rule has a fixture that fires it and one that does not, against one sandbox org
/// (tests/fixtures/lint/rules): agents spelled as the API spells them, versions, a primary
/// import agent, an ad_as_authority domain on member servers, a tenant.
#[test]
fn each_new_rule_fires_on_its_fixture_and_not_on_the_near_miss() {
    for code in [
        "LCK008", "LCK009", "LCK108", "LCK109", "LCK110", "LCK112", "LCK113", "LCK114", "LCK115",
    ] {
        let dir = format!("tests/fixtures/lint/rules/{}", code.to_lowercase());
        let (fires, _) = lint_codes(&format!("{dir}/fires.yaml"));
        let (quiet, _) = lint_codes(&format!("{dir}/quiet.yaml"));
        let has = |list: &[serde_json::Value]| list.iter().any(|f| f["code"] == code);
        assert!(has(&fires), "{code} does not fire on {dir}/fires.yaml");
        assert!(!has(&quiet), "{code} fires on {dir}/quiet.yaml");
    }
}

/// LCK111's fixture (a new key taking over a departed user's address) is now a rename: the
/// account, and with it the Microsoft 365 address, is kept, so the rule has nothing to say.
#[test]
fn a_takeover_of_an_address_is_a_rename_and_lck111_stays_quiet() {
    let (fires, _) = lint_codes("tests/fixtures/lint/rules/lck111/fires.yaml");
    assert!(!fires.iter().any(|f| f["code"] == "LCK111"), "{fires:?}");
}

#[test]
fn member_servers_are_told_from_domain_controllers_in_the_api_spelling() {
    // carol delegates to corp, whose import agent reports DOMAIN_CONTROLLER; dan to member,
    // whose agent reports MEMBER_SERVER. Only dan is LCK107's.
    let (findings, _) = lint_codes("tests/fixtures/lint/rules/lck008/quiet.yaml");
    let lck107: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["code"] == "LCK107").collect();
    assert_eq!(lck107.len(), 1);
    assert_eq!(lck107[0]["targets"], serde_json::json!(["user.dan"]));
}

#[test]
fn info_findings_never_change_an_exit_code() {
    // LCK115 (info) and warnings only: lint exits 0, plan --detailed-exitcode reports changes.
    // An org of its own: the shared one has errors (LCK008) that would decide the exit code.
    let file = "tests/fixtures/lint/rules/lck115/fires.yaml";
    const RULES_SANDBOX: &str = "tests/fixtures/lint/rules/lck115/empty-org.json";
    let (out, code) = jcform(&["lint", file, "--sandbox", RULES_SANDBOX, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON findings");
    let findings = doc["findings"].as_array().cloned().unwrap_or_default();
    let lck115 = findings
        .iter()
        .find(|f| f["code"] == "LCK115")
        .expect("LCK115");
    assert_eq!(lck115["severity"], "info");
    assert_eq!(code, 0);
    let (_, code) = jcform(&[
        "plan",
        file,
        "--sandbox",
        RULES_SANDBOX,
        "--detailed-exitcode",
    ]);
    assert_eq!(code, 2, "changes, not blocked");
    let (sarif, _) = jcform(&[
        "lint",
        file,
        "--sandbox",
        RULES_SANDBOX,
        "--format",
        "sarif",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&sarif).expect("SARIF");
    let result = doc["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "LCK115")
        .expect("LCK115 result")
        .clone();
    assert_eq!(result["level"], "note");
    let (human, _) = jcform(&["lint", file, "--sandbox", RULES_SANDBOX]);
    assert!(human.contains("info[LCK115] new-user-without-password-loses-email"));
    assert!(human.contains("1 notice(s)"), "{human}");
}

#[test]
fn explain_lists_every_catalogued_rule() {
    let (out, _) = jcform(&["explain", "--list"]);
    for code in [
        "LCK001", "LCK002", "LCK003", "LCK004", "LCK005", "LCK006", "LCK007", "LCK008", "LCK009",
        "SAF001", "SAF002", "LCK101", "LCK102", "LCK103", "LCK104", "LCK105", "LCK106", "LCK107",
        "LCK108", "LCK109", "LCK110", "LCK111", "LCK112", "LCK113", "LCK114", "LCK115", "SEC001",
    ] {
        assert!(out.contains(code), "{code} missing from explain --list");
        let (doc, code_rc) = jcform(&["explain", code]);
        assert_eq!(code_rc, 0, "{code}");
        assert!(doc.contains("## Fix"), "{code}");
    }
    let (lck112, _) = jcform(&["explain", "LCK112"]);
    assert!(
        lck112.contains("restrictedFields"),
        "the evidence for password authority"
    );
    assert!(lck112.contains("password_authority: active_directory"));
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
    let want = jcform::render::findings::rules_markdown();
    if std::env::var_os("JCFORM_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).expect("write docs/rules.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is out of date: run `JCFORM_UPDATE_DOCS=1 cargo test --test suite lint_cli`"
    );
    for rule in jcform::lint::catalog::CATALOG {
        assert!(
            have.contains(&format!("\n## {}\n", rule.code)),
            "{}",
            rule.code
        );
    }
}

/// A key or a profile in the environment never takes `lint` online: without an org flag it
/// lints the files offline (issue 12, "A hermetic, quick suite"). The key and console here
/// point at nothing; going online would fail with exit 1.
#[test]
fn a_key_in_the_environment_alone_keeps_lint_offline() {
    let out = Command::cargo_bin("jcform")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("JC_API_KEY", "not-a-real-key")
        .env("JCFORM_PROFILE", "production")
        .args(["lint", "tests/fixtures/lint/basic", "--format", "json"])
        .output()
        .expect("run jcform");
    let offline = jcform(&["lint", "tests/fixtures/lint/basic", "--format", "json"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), offline.0);
    assert_eq!(out.status.code(), Some(offline.1));
}
