//! Issue 16: the Microsoft 365 SSO application and domain federation, through the real binary
//! against sandbox emulators on 127.0.0.1: LCK010/LCK011/LCK116 on their fixture, the
//! federation request, apply then an empty re-plan, an update that keeps what the files do not
//! manage, deletes under `manage.sso_apps: full`, and export round trips.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn jcform(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("jcform")
        .expect("binary")
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

const FIXTURES: &str = "tests/fixtures/lint/rules/federation";

/// `(code, targets)` of every finding of `jcform lint FILE --sandbox org.json --format json`.
fn findings(file: &str) -> Vec<(String, Vec<String>)> {
    let org = format!("{FIXTURES}/org.json");
    let (_, out, err) = jcform(&["lint", file, "--sandbox", &org, "--format", "json"]);
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("JSON: {out}{err}"));
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let targets = f["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect();
            (f["code"].as_str().unwrap().to_string(), targets)
        })
        .collect()
}

fn targets_of(found: &[(String, Vec<String>)], code: &str) -> Vec<String> {
    found
        .iter()
        .filter(|(c, _)| c == code)
        .flat_map(|(_, t)| t.clone())
        .collect()
}

#[test]
fn federation_rules_fire_on_the_right_users_and_not_on_the_near_miss() {
    let fires = findings(&format!("{FIXTURES}/fires.yaml"));
    // bob is in `others`, which the app is not assigned to; erin is in fabrikam.com.
    assert_eq!(targets_of(&fires, "LCK010"), ["user.bob"], "{fires:?}");
    // carol is suspended, dan has no JumpCloud password: every affected user is a target.
    assert_eq!(
        targets_of(&fires, "LCK011"),
        ["user.carol", "user.dan"],
        "{fires:?}"
    );
    assert_eq!(
        targets_of(&fires, "LCK116"),
        ["m365_tenant.contoso"],
        "{fires:?}"
    );
    let quiet = findings(&format!("{FIXTURES}/quiet.yaml"));
    for code in ["LCK010", "LCK011", "LCK116"] {
        assert!(targets_of(&quiet, code).is_empty(), "{code}: {quiet:?}");
    }
    // The errors block: lint exits 3 on the fixture that fires them.
    let org = format!("{FIXTURES}/org.json");
    let (code, _, _) = jcform(&["lint", &format!("{FIXTURES}/fires.yaml"), "--sandbox", &org]);
    assert_eq!(code, 3);
}

#[test]
fn explain_lists_the_federation_rules() {
    let (code, out, _) = jcform(&["explain", "--list"]);
    assert_eq!(code, 0);
    for line in [
        "LCK010  federated-user-not-assigned",
        "LCK011  federated-user-cannot-authenticate",
        "LCK116  federated-default-domain",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    let (code, out, _) = jcform(&["explain", "LCK011"]);
    assert_eq!(code, 0);
    assert!(out.contains("## Why it locks people out"), "{out}");
}

#[test]
fn federation_prints_the_graph_request_and_powershell_and_no_secret() {
    for config in ["examples/yaml", "examples/kdl"] {
        let (code, out, err) = jcform(&[
            "federation",
            "m365_tenant.contoso",
            config,
            "--sandbox",
            "examples/sandbox.json",
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(!out.contains("PRIVATE KEY") && !out.contains("BEGIN CERTIFICATE"));
        insta::assert_snapshot!("federation_examples", out);
    }
    let (code, out, _) = jcform(&[
        "federation",
        "contoso",
        "examples/yaml",
        "--sandbox",
        "examples/sandbox.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let body = &doc["graph"]["body"];
    assert_eq!(
        doc["graph"]["url"],
        "https://graph.microsoft.com/v1.0/domains/example.com/federationConfiguration"
    );
    assert_eq!(body["issuerUri"], "example.com");
    assert_eq!(
        body["passiveSignInUri"],
        "https://sso.jumpcloud.com/saml2/office365"
    );
    assert_eq!(
        body["signOutUri"],
        "https://console.jumpcloud.com/userconsole/"
    );
    assert_eq!(body["preferredAuthenticationProtocol"], "saml");
    let cert = body["signingCertificate"].as_str().unwrap();
    assert!(cert.starts_with("MII") && !cert.chars().any(char::is_whitespace));
}

#[test]
fn federation_explains_what_is_missing() {
    // No org: the certificate is there.
    let (code, _, err) = jcform(&["federation", "m365_tenant.contoso", "examples/yaml"]);
    assert_eq!(code, 1);
    assert!(err.contains("needs the org"), "{err}");
    // An app the org does not have yet: apply first.
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org.json");
    std::fs::write(&org, EMPTY_ORG).unwrap();
    let (code, _, err) = jcform(&[
        "federation",
        "m365_tenant.contoso",
        "examples/yaml",
        "--sandbox",
        org.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("jcform apply"), "{err}");
    // A tenant without `federation`.
    let (code, _, err) = jcform(&[
        "federation",
        "m365_tenant.contoso",
        "tests/fixtures/lint/clean",
        "--sandbox",
        "examples/sandbox.json",
    ]);
    assert_eq!(code, 1, "{err}");
}

const EMPTY_ORG: &str = r#"{
  "office365s": [{"id": "5f1e0c0b4a3f2e1d0c9b8a71", "name": "Contoso", "groupsEnabled": true,
                  "userLockoutAction": "suspend", "userPasswordExpirationAction": "maintain"}],
  "office365_domains": {"5f1e0c0b4a3f2e1d0c9b8a71": [
    {"objectId": "64e000000000000000000001", "domain": "example.com", "default": true},
    {"objectId": "64e000000000000000000002", "domain": "example.onmicrosoft.com", "default": false}]}
}"#;

fn plan_is_empty(config: &str, org: &str) {
    let (code, out, err) = jcform(&["plan", config, "--sandbox", org, "--detailed-exitcode"]);
    assert_eq!(code, 0, "re-plan not empty:\n{out}\n{err}");
    assert!(out.starts_with("No changes."), "{out}");
}

fn apply(config: &str, org: &str) -> String {
    let (code, out, err) = jcform(&["apply", config, "--sandbox", org, "--auto-approve"]);
    assert_eq!(code, 0, "apply failed:\n{out}\n{err}");
    out
}

fn apps(org: &Path) -> Vec<Value> {
    let state: Value = serde_json::from_str(&std::fs::read_to_string(org).unwrap()).unwrap();
    state["applications"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Scenario: the seed's steps on an org with only the tenant. The app is created with its
/// group assignments, the primary domain moves to onmicrosoft.com, the re-plan is empty, the
/// federation request can be printed, and an export of the result plans empty.
#[test]
fn the_seed_applies_then_re_plans_empty_and_exports_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org.json");
    std::fs::write(&org, EMPTY_ORG).unwrap();
    let org_s = org.to_str().unwrap();
    let out = apply("examples/yaml", org_s);
    assert!(out.contains("sso_app.m365 create"), "{out}");
    plan_is_empty("examples/yaml", org_s);
    plan_is_empty("examples/kdl", org_s);
    let apps = apps(&org);
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["name"], "office365");
    assert_eq!(apps[0]["config"]["idpEntityId"]["value"], "example.com");
    assert_eq!(
        apps[0]["config"]["spEntityId"]["value"],
        "urn:federation:MicrosoftOnline"
    );
    let (code, _, err) = jcform(&[
        "federation",
        "m365_tenant.contoso",
        "examples/yaml",
        "--sandbox",
        org_s,
    ]);
    assert_eq!(code, 0, "{err}");
    for format in ["yaml", "kdl"] {
        let out_dir = dir.path().join(format!("adopted-{format}"));
        let out_s = out_dir.to_str().unwrap();
        let (code, _, err) = jcform(&[
            "export",
            "--sandbox",
            org_s,
            "--out",
            out_s,
            "--format",
            format,
        ]);
        assert_eq!(code, 0, "{err}");
        plan_is_empty(out_s, org_s);
    }
}

/// `PUT /applications/{id}` replaces the whole app: an update of the label and the IdP Entity
/// ID must send back everything else as read (description, attributes, the certificate, the
/// SSO flags), and an unmanaged group assignment stays.
#[test]
fn an_update_keeps_what_the_files_do_not_manage() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org.json");
    let mut state: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sandbox.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let app = &mut state["applications"][0];
    app["description"] = "kept".into();
    app["sso"] = serde_json::json!({"type": "saml", "jit": true});
    app["config"]["constantAttributes"] =
        serde_json::json!({"type": "list", "value": [{"name": "role", "value": "staff"}]});
    app["config"]["idpCertificate"] = serde_json::json!({"type": "file", "value": "-----BEGIN CERTIFICATE-----\nMIIKEEP\n-----END CERTIFICATE-----\n"});
    std::fs::write(&org, serde_json::to_string(&state).unwrap()).unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(
        files.join("sso.yaml"),
        "version: 1\n\
         groups: {engineering: {}}\n\
         m365_tenants: {contoso: {id: 5f1e0c0b4a3f2e1d0c9b8a71}}\n\
         sso_apps:\n  m365:\n    template: office365\n    display_label: Microsoft 365 (Contoso)\n\
         \x20   tenant: contoso\n    domain: contoso.example\n",
    )
    .unwrap();
    let files_s = files.to_str().unwrap();
    let org_s = org.to_str().unwrap();
    // Matched by template (the label changes): an update, never a second app.
    let (_, out, _) = jcform(&["plan", files_s, "--sandbox", org_s]);
    assert!(out.contains("~ sso_app.m365"), "{out}");
    apply(files_s, org_s);
    plan_is_empty(files_s, org_s);
    let apps = apps(&org);
    assert_eq!(apps.len(), 1);
    let a = &apps[0];
    assert_eq!(a["displayLabel"], "Microsoft 365 (Contoso)");
    assert_eq!(a["config"]["idpEntityId"]["value"], "contoso.example");
    assert_eq!(a["description"], "kept");
    assert_eq!(a["sso"]["jit"], true);
    assert_eq!(
        a["config"]["constantAttributes"]["value"][0]["name"],
        "role"
    );
    assert_eq!(a["config"]["idpEntityId"]["label"], "IdP Entity ID");
    assert!(a["config"]["idpCertificate"]["value"]
        .as_str()
        .unwrap()
        .contains("MIIKEEP"));
    // `groups` left out: the live assignment to engineering is not managed, so it stays.
    let state: Value = serde_json::from_str(&std::fs::read_to_string(&org).unwrap()).unwrap();
    let assigned =
        state["associations"].as_array().unwrap().iter().any(|e| {
            e["to"]["type"] == "application" && e["from"]["id"] == "64b000000000000000000001"
        });
    assert!(assigned, "the unmanaged assignment survives");
}

#[test]
fn manage_full_deletes_an_app_the_files_do_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let org = dir.path().join("org.json");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sandbox.json"),
        &org,
    )
    .unwrap();
    let files = dir.path().join("files.yaml");
    std::fs::write(&files, "version: 1\nsettings: {manage: {sso_apps: full}}\n").unwrap();
    let (files_s, org_s) = (files.to_str().unwrap(), org.to_str().unwrap());
    let (_, out, _) = jcform(&["plan", files_s, "--sandbox", org_s]);
    assert!(
        out.contains("- sso_app.microsoft_365") || out.contains("- sso_app[\"Microsoft 365\"]"),
        "{out}"
    );
    apply(files_s, org_s);
    assert!(apps(&org).is_empty());
    plan_is_empty(files_s, org_s);
    // The default (additive) leaves apps alone and lists them.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sandbox.json"),
        &org,
    )
    .unwrap();
    std::fs::write(&files, "version: 1\n").unwrap();
    let (code, out, _) = jcform(&["plan", files_s, "--sandbox", org_s, "--detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("SSO app"), "{out}");
}
