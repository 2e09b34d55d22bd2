//! `jcform access` and the plan's "Access changes" through the real binary, against the sandbox
//! emulator.
//!
//! The table: one user per situation from the seed documents (001 delegated authentication,
//! 003/004 Microsoft 365, 000 AD Sync), in tests/fixtures/access (org as `sandbox.json`, the
//! files that change it under `files/`), with the verdicts expected before and after the plan.

use assert_cmd::Command;
use serde_json::Value;

const FILES: &str = "tests/fixtures/access/files";
const SANDBOX: &str = "tests/fixtures/access/sandbox.json";

fn jcform(args: &[&str]) -> (String, String, i32) {
    let out = Command::cargo_bin("jcform")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run jcform");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// One side's verdicts, compact: `portal ...; m365 ...; ad ...; nd ...` (`-` when the user does
/// not exist on that side).
fn compact(side: &Value) -> String {
    if side.is_null() {
        return "-".to_string();
    }
    let codes = |v: &Value| {
        let list: Vec<&str> = v
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if list.is_empty() {
            String::new()
        } else {
            format!("[{}]", list.join(","))
        }
    };
    let p = &side["portal"];
    let portal = format!(
        "portal {} by {}{}",
        if p["can_log_in"] == true { "ok" } else { "no" },
        p["password_checked_by"].as_str().unwrap_or("?"),
        codes(&p["blocked_by"])
    );
    let m = &side["m365"];
    let m365 = format!(
        "m365 {}{}{}",
        m["sign_in"].as_str().unwrap_or("?"),
        m["tenant"]
            .as_str()
            .map(|t| format!(" in {t}"))
            .unwrap_or_default(),
        codes(&m["blocked_by"])
    );
    let ad: Vec<String> = side["ad"]
        .as_array()
        .map(|links| {
            links
                .iter()
                .map(|l| {
                    format!(
                        "{}={}{}",
                        l["domain"].as_str().unwrap_or("?"),
                        l["account"].as_str().unwrap_or("?"),
                        codes(&l["blocked_by"])
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let n = &side["non_delegable"];
    let nd = format!(
        "nd {}{}",
        if n["can_log_in"] == true { "ok" } else { "no" },
        codes(&n["blocked_by"])
    );
    format!("{portal}; {m365}; ad {}; {nd}", ad.join(","))
}

/// (user, before, after): the access table.
const TABLE: &[(&str, &str, &str)] = &[
    // Delegated through a group bound to a delegation domain (DC agent v3.1): AD checks.
    (
        "grp-delegated",
        "portal ok by ad_domain.corp; m365 not_provisioned; ad ad_domain.corp=enabled; nd ok",
        "portal ok by ad_domain.corp; m365 not_provisioned; ad ad_domain.corp=enabled; nd ok",
    ),
    // Delegated to a domain whose import agents all run on member servers: the portal works,
    // Cloud LDAP/RADIUS/devices never get the password.
    (
        "member-delegated",
        "portal ok by ad_domain.member; m365 not_provisioned; ad ad_domain.member=enabled; nd no[LCK107]",
        "portal ok by ad_domain.member; m365 not_provisioned; ad ad_domain.member=enabled; nd no[LCK107]",
    ),
    // Moved between delegation domains (group swap and delegated authority together).
    (
        "mover",
        "portal ok by ad_domain.corp; m365 not_provisioned; ad ad_domain.corp=enabled; nd ok",
        "portal ok by ad_domain.emea; m365 not_provisioned; ad ad_domain.emea=enabled; nd ok",
    ),
    // Suspended while M365-bound: deprovisioned in Microsoft 365.
    (
        "suspended-m365",
        "portal ok by jumpcloud; m365 active in m365_tenant.contoso; ad ; nd ok",
        "portal no by jumpcloud; m365 blocked in m365_tenant.contoso[LCK113]; ad ; nd no",
    ),
    // Unbound from M365 (left the bound group): sign-in blocked.
    (
        "unbound-m365",
        "portal ok by jumpcloud; m365 active in m365_tenant.contoso; ad ; nd ok",
        "portal ok by jumpcloud; m365 blocked in m365_tenant.contoso[LCK101]; ad ; nd ok",
    ),
    // Created without a password while M365-bound.
    (
        "new-nopw-m365",
        "-",
        "portal no by jumpcloud[LCK005]; m365 blocked in m365_tenant.contoso[LCK005]; ad ; nd no",
    ),
    // Delegated authority cleared with no JumpCloud password (member-server agents never
    // synced one).
    (
        "undelegated-nopw",
        "portal ok by ad_domain.member; m365 not_provisioned; ad ad_domain.member=enabled; nd no[LCK107]",
        "portal no by jumpcloud[LCK004]; m365 not_provisioned; ad ad_domain.member=enabled; nd no",
    ),
    // Bound to a second delegation domain through a group: both refuse.
    (
        "two-domains",
        "portal ok by ad_domain.corp; m365 not_provisioned; ad ad_domain.corp=enabled; nd ok",
        "portal no by ad_domain.corp[LCK001]; m365 not_provisioned; ad ad_domain.corp=enabled,ad_domain.emea=enabled; nd ok",
    ),
    // Primary import agent older than 3.0 (already so in the org).
    (
        "legacy-delegated",
        "portal no by ad_domain.legacy[LCK008]; m365 not_provisioned; ad ad_domain.legacy=enabled; nd ok",
        "portal no by ad_domain.legacy[LCK008]; m365 not_provisioned; ad ad_domain.legacy=enabled; nd ok",
    ),
    // Delegated to a domain whose delegation is disabled (already so: LCK002).
    (
        "off-delegated",
        "portal no by ad_domain.off[LCK002]; m365 not_provisioned; ad ad_domain.off=enabled; nd ok",
        "portal no by ad_domain.off[LCK002]; m365 not_provisioned; ad ad_domain.off=enabled; nd ok",
    ),
    // The plan disables delegation on the user's domain (LCK003).
    (
        "disable-domain",
        "portal ok by ad_domain.apac; m365 not_provisioned; ad ad_domain.apac=enabled; nd ok",
        "portal no by ad_domain.apac[LCK003]; m365 not_provisioned; ad ad_domain.apac=enabled; nd ok",
    ),
    // Created delegated to a DC-agent domain: the password reaches JumpCloud at first login.
    (
        "new-delegated",
        "-",
        "portal ok by ad_domain.corp; m365 not_provisioned; ad ad_domain.corp=enabled; nd ok",
    ),
    // Created with no password, not delegated, not M365-bound: waits for activation (LCK115).
    (
        "new-nopw-plain",
        "-",
        "portal no by jumpcloud[LCK115]; m365 not_provisioned; ad ; nd no",
    ),
    // Deleted while M365-bound.
    (
        "deleted-m365",
        "portal ok by jumpcloud; m365 active in m365_tenant.contoso; ad ; nd ok",
        "portal no by jumpcloud; m365 blocked in m365_tenant.contoso[LCK101]; ad ; nd no",
    ),
    // Nothing changes.
    (
        "unchanged-plain",
        "portal ok by jumpcloud; m365 not_provisioned; ad ; nd ok",
        "portal ok by jumpcloud; m365 not_provisioned; ad ; nd ok",
    ),
];

fn access_json(extra: &[&str]) -> Value {
    let mut args = vec!["access", FILES, "--sandbox", SANDBOX, "--format", "json"];
    args.extend_from_slice(extra);
    let (out, err, code) = jcform(&args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("JSON")
}

#[test]
fn the_access_table_before_and_after_the_plan() {
    let doc = access_json(&[]);
    assert_eq!(doc["format_version"], "1");
    let users = doc["users"].as_array().expect("users");
    assert_eq!(users.len(), TABLE.len(), "one entry per user");
    for (name, before, after) in TABLE {
        let address = format!("user.{name}");
        let entry = users
            .iter()
            .find(|u| u["address"] == address.as_str())
            .unwrap_or_else(|| panic!("{address} missing"));
        assert_eq!(compact(&entry["before"]), *before, "{name} before");
        assert_eq!(compact(&entry["after"]), *after, "{name} after");
        assert_eq!(
            entry["changed"],
            before != after,
            "{name}: changed is whether a verdict differs"
        );
    }
    // Changed users first, each half by address.
    let changed: Vec<bool> = users.iter().map(|u| u["changed"] == true).collect();
    let first_unchanged = changed.iter().position(|c| !c).unwrap_or(changed.len());
    assert!(changed[first_unchanged..].iter().all(|c| !c), "{changed:?}");
}

#[test]
fn user_and_changed_filters() {
    let doc = access_json(&["--user", "mover", "--user", "user.unchanged-plain"]);
    let addresses: Vec<&str> = doc["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["address"].as_str())
        .collect();
    assert_eq!(addresses, ["user.mover", "user.unchanged-plain"]);

    let doc = access_json(&["--changed"]);
    let users = doc["users"].as_array().expect("users");
    assert!(users.iter().all(|u| u["changed"] == true));
    assert_eq!(users.len(), TABLE.iter().filter(|(_, b, a)| b != a).count());

    let (_, err, code) = jcform(&["access", FILES, "--sandbox", SANDBOX, "--user", "movr"]);
    assert_eq!(code, 1);
    assert!(err.contains("did you mean `mover`"), "{err}");
}

#[test]
fn the_plan_leads_with_access_changes_in_every_format() {
    let (human, _, _) = jcform(&["plan", FILES, "--sandbox", SANDBOX]);
    let section = human
        .split("\n\n")
        .nth(1)
        .expect("a section after the summary");
    assert!(section.starts_with("Access changes:\n"), "{human}");
    for line in [
        "3 users lose Microsoft 365 sign-in: deleted-m365 (deleted), suspended-m365 (LCK113), unbound-m365 (LCK101)",
        "user's password will be checked by ad_domain.emea instead of ad_domain.corp: mover",
        "users can no longer log in to the User Portal",
    ] {
        assert!(section.contains(line), "{line}\n{section}");
    }

    let (json, _, _) = jcform(&["plan", FILES, "--sandbox", SANDBOX, "--format", "json"]);
    let doc: Value = serde_json::from_str(&json).expect("JSON");
    let changes = doc["access_changes"].as_array().expect("access_changes");
    let mover: Vec<&Value> = changes
        .iter()
        .filter(|c| c["address"] == "user.mover")
        .collect();
    let parts: Vec<&str> = mover.iter().filter_map(|c| c["what"].as_str()).collect();
    assert_eq!(parts, ["portal", "ad"]);
    assert_eq!(mover[0]["before"]["password_checked_by"], "ad_domain.corp");
    assert_eq!(mover[0]["after"]["password_checked_by"], "ad_domain.emea");
    assert!(
        changes
            .iter()
            .all(|c| c["address"] != "user.unchanged-plain"),
        "unchanged users have no access changes"
    );

    let (md, _, _) = jcform(&["plan", FILES, "--sandbox", SANDBOX, "--format", "markdown"]);
    let access = md.find("#### Access changes").expect("section");
    let findings = md.find("#### Findings").expect("findings");
    assert!(access < findings, "access changes come first");
}

#[test]
fn the_examples_access_changes() {
    let (out, err, code) = jcform(&[
        "access",
        "examples/yaml",
        "--sandbox",
        "examples/sandbox.json",
        "--changed",
    ]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out);
}

const AD_AUTHORITY_ORG: &str = r#"{
  "systemusers": [
    {"_id": "67a000000000000000000001", "username": "dan", "email": "dan@example.com",
     "state": "ACTIVATED", "activated": true, "suspended": false,
     "delegatedAuthority": {"name": "ActiveDirectory", "id": "67c000000000000000000001"},
     "restrictedFields": [{"field": "email", "type": "scim", "id": "67f000000000000000000001"}]}
  ],
  "activedirectories": [
    {"id": "67c000000000000000000001", "domain": "DC=member;DC=example;DC=com", "useCase": "ADASAUTHORITY",
     "delegationState": "ENABLED", "groupsEnabled": false, "primaryImportAgent": "67d000000000000000000001"}
  ],
  "activedirectory_agents": {"67c000000000000000000001": [
    {"id": "67d000000000000000000001", "agentType": "IMPORT", "state": "active",
     "hostname": "files01.member.example.com", "hostType": "MEMBER_SERVER", "version": "3.1.0"}
  ]},
  "associations": [
    {"from": {"type": "user", "id": "67a000000000000000000001"}, "to": {"type": "active_directory", "id": "67c000000000000000000001"}}
  ]
}"#;

const AD_AUTHORITY_FILES: &str = "version: 1
ad_domains:
  member: {domain: member.example.com}
bindings:
  - {ad_domain: member, users: [dan, gus]}
users:
  dan: {email: dan@example.com, delegated_authority: member, password_authority: active_directory}
  gus: {email: gus@example.com, delegated_authority: member, password_authority: active_directory}
";

/// `password_authority: active_directory` is written as the user's `restrictedFields` entry for
/// `password` naming the AD instance, for an existing user and a new one, and every other entry
/// (a SCIM-owned email) stays; LCK112 then stops firing and the plan converges.
#[test]
fn password_authority_is_applied_keeping_other_restrictions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let org = dir.path().join("org.json");
    let files = dir.path().join("files.yaml");
    std::fs::write(&org, AD_AUTHORITY_ORG).expect("write org");
    std::fs::write(&files, AD_AUTHORITY_FILES).expect("write files");
    let (org_s, files_s) = (org.to_str().unwrap(), files.to_str().unwrap());

    let (out, _, _) = jcform(&["lint", files_s, "--sandbox", org_s, "--format", "json"]);
    assert!(
        !out.contains("LCK112"),
        "the plan sets the authority: {out}"
    );
    let (out, _, _) = jcform(&["plan", files_s, "--sandbox", org_s]);
    assert!(
        out.contains("password_authority: \"jumpcloud\" -> \"active_directory\""),
        "{out}"
    );

    let (_, err, code) = jcform(&["apply", files_s, "--sandbox", org_s, "--auto-approve"]);
    assert_eq!(code, 0, "{err}");
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(&org).expect("read org")).expect("JSON");
    let restricted = |name: &str| -> Value {
        state["systemusers"]
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["username"] == name)
            .map(|u| u["restrictedFields"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        restricted("dan"),
        serde_json::json!([
            {"field": "email", "type": "scim", "id": "67f000000000000000000001"},
            {"field": "password", "type": "active_directory", "id": "67c000000000000000000001"}
        ])
    );
    assert_eq!(
        restricted("gus"),
        serde_json::json!([
            {"field": "password", "type": "active_directory", "id": "67c000000000000000000001"}
        ])
    );
    let (out, err, code) = jcform(&["plan", files_s, "--sandbox", org_s, "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged:\n{out}\n{err}");
}

/// `password_authority: active_directory` must name its domain (through `delegated_authority`),
/// and only the two values exist: errors with the place and a fix, exit 1.
#[test]
fn password_authority_is_validated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.yaml");
    std::fs::write(
        &file,
        "version: 1\nusers:\n  eve: {email: eve@example.com, password_authority: active_directory}\n  \
         fay: {email: fay@example.com, password_authority: ldap}\n",
    )
    .expect("write");
    let (_, err, code) = jcform(&["validate", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("has `password_authority: active_directory` but no AD domain in"),
        "{err}"
    );
    assert!(err.contains("which AD domain owns the password?"), "{err}");
    assert!(err.contains("u.yaml:3:53"), "{err}");
    assert!(
        err.contains("`ldap` is not a valid password authority"),
        "{err}"
    );
}
