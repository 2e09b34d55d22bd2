//! Issue 10, "writes keep what the files don't manage": every write endpoint jcform uses,
//! driven through `jcform apply` (the production path) and through each client write method,
//! leaves every field the files don't manage exactly as it was. The sandbox behaves like the API
//! (the group PUT replaces, user PUT and AD/M365 PATCH merge), so a body that dropped a field
//! would lose it here too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use assert_cmd::Command;
use jcform::emulator::{Emulator, EmulatorOptions, StateAccess};
use jcform::jumpcloud::{convert, writes, ApiKey, Client, ClientConfig, Op};
use jcform::model::{AdDomain, Directory, M365Tenant, Subject, UserAttrs};
use serde_json::{json, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/writes");
const KEY: &str = "keep-test-key";

const ALICE: &str = "64a000000000000000000001";
const BOB: &str = "64a000000000000000000002";
const CAROL: &str = "64a000000000000000000003";
const DAVE: &str = "64a000000000000000000004";
const ERIN: &str = "64a000000000000000000005";
const FRANK: &str = "64a000000000000000000006";
const MANAGERS: &str = "64b000000000000000000001";
const ADMINS: &str = "64b000000000000000000002";
const DYN2: &str = "64b000000000000000000003";
const OPS: &str = "64b000000000000000000004";
const CORP: &str = "64c000000000000000000001";
const TENANT: &str = "5f1e0c0b4a3f2e1d0c9b8a71";

fn jcform() -> Command {
    Command::cargo_bin("jcform").expect("binary")
}

/// A copy of fixture `name` in a temp dir: (dir, state file, config dir).
fn copy_fixture(name: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = Path::new(FIXTURES).join(name);
    let state = dir.path().join("org.json");
    std::fs::copy(src.join("org.json"), &state).expect("copy state");
    (dir, state, src.join("cfg"))
}

async fn serve(state: &Path, access: StateAccess) -> (Emulator, Client) {
    let emulator = Emulator::start(
        EmulatorOptions {
            state: state.to_path_buf(),
            api_key: Some(KEY.into()),
            access,
            seed: Some(3),
            ..Default::default()
        },
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("emulator starts");
    let mut config = ClientConfig::new(ApiKey::new(KEY));
    config.api_url = emulator.base_url();
    let client = Client::new(config).expect("client");
    (emulator, client)
}

/// Every object of the unmanaged fixture exactly as the API returns it, by `kind:id`.
async fn raw_objects(client: &Client) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for id in [ALICE, BOB, CAROL, DAVE, ERIN, FRANK] {
        out.insert(
            format!("user:{id}"),
            client.get_user(id).await.expect("user").raw,
        );
    }
    for id in [MANAGERS, ADMINS, DYN2, OPS] {
        out.insert(
            format!("group:{id}"),
            client.get_group(id).await.expect("group").raw,
        );
    }
    out.insert(
        format!("ad:{CORP}"),
        client.get_ad(CORP).await.expect("ad").raw,
    );
    out.insert(
        format!("tenant:{TENANT}"),
        client.get_m365(TENANT).await.expect("tenant").raw,
    );
    out
}

/// Reads the org through a read-only sandbox (which also proves the apply released the lock).
async fn read_raw(state: &Path) -> BTreeMap<String, Value> {
    let (emulator, client) = serve(state, StateAccess::Read).await;
    let raw = raw_objects(&client).await;
    emulator.shutdown().await;
    raw
}

/// The top-level fields whose values differ between two objects.
fn changed_fields(before: &Value, after: &Value) -> BTreeSet<String> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    b.keys()
        .chain(a.keys())
        .filter(|k| b.get(*k) != a.get(*k))
        .cloned()
        .collect()
}

/// Asserts that only `allowed[label]` fields changed, object by object, and that each object
/// named in `must` changed exactly those fields.
fn assert_only(
    before: &BTreeMap<String, Value>,
    after: &BTreeMap<String, Value>,
    expected: &[(&str, &[&str])],
) {
    let expected: BTreeMap<String, BTreeSet<String>> = expected
        .iter()
        .map(|(label, fields)| {
            (
                label.to_string(),
                fields.iter().map(|f| f.to_string()).collect(),
            )
        })
        .collect();
    for (label, b) in before {
        let a = &after[label];
        let changed = changed_fields(b, a);
        let want = expected.get(label).cloned().unwrap_or_default();
        assert_eq!(
            changed, want,
            "{label}: changed fields differ\nbefore: {b:#}\nafter: {a:#}"
        );
    }
}

fn edges(state: &Path) -> BTreeSet<String> {
    let org: Value =
        serde_json::from_str(&std::fs::read_to_string(state).expect("state")).expect("json");
    org["associations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}:{}->{}:{}",
                e["from"]["type"].as_str().unwrap_or(""),
                e["from"]["id"].as_str().unwrap_or(""),
                e["to"]["type"].as_str().unwrap_or(""),
                e["to"]["id"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Field case 04: a description-only edit of a dynamic group and of a static group with an
/// email, sudo and POSIX attributes keeps all of those; only `description` differs.
#[test]
fn field_case_04_description_edit_keeps_rule_email_sudo_and_posix() {
    let (_dir, state, cfg) = copy_fixture("field-case-04");
    let before: Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("read")).expect("json");
    jcform()
        .arg("apply")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&state)
        .arg("--auto-approve")
        .assert()
        .success();
    let after: Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("read")).expect("json");
    let group = |org: &Value, name: &str| -> Value {
        org["usergroups"]
            .as_array()
            .and_then(|gs| gs.iter().find(|g| g["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("group {name}"))
    };
    let managers = group(&after, "managers");
    assert_eq!(managers["membershipMethod"], "DYNAMIC_AUTOMATED");
    assert_eq!(
        managers["memberQuery"],
        group(&before, "managers")["memberQuery"]
    );
    let admins = group(&after, "admins");
    assert_eq!(admins["email"], "admins@example.com");
    assert_eq!(admins["attributes"]["sudo"]["enabled"], true);
    assert_eq!(
        admins["attributes"]["posixGroups"],
        json!([{"id": 5001, "name": "admins"}])
    );
    for (name, description) in [("managers", "People managers"), ("admins", "Server admins")] {
        let b = group(&before, name);
        let a = group(&after, name);
        assert_eq!(a["description"], description);
        // `type` is a default the emulator fills in; every other field is as it was.
        let mut changed = changed_fields(&b, &a);
        changed.remove("type");
        assert_eq!(
            changed,
            BTreeSet::from(["description".to_string()]),
            "{name}: {a:#}"
        );
    }
    // And the next plan has nothing to do.
    jcform()
        .arg("plan")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&state)
        .arg("--detailed-exitcode")
        .assert()
        .code(0);
}

/// `jcform apply` with one managed change per write endpoint: user PUT (profile, delegated
/// authority set and cleared), activate, suspend, group PUT (v1 rule, static with attributes, v2
/// rule that needs `x-query-dsl: v2`), AD PATCH, M365 PATCH, a member add and a binding add.
/// Every object keeps every field the files don't manage.
#[tokio::test]
async fn apply_changes_only_the_managed_fields_of_every_object() {
    let (_dir, state, cfg) = copy_fixture("unmanaged");
    let before = read_raw(&state).await;
    let edges_before = edges(&state);
    let out = jcform()
        .arg("apply")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&state)
        .arg("--auto-approve")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let after = read_raw(&state).await;
    assert_only(
        &before,
        &after,
        &[
            (
                &format!("user:{ALICE}"),
                &["department", "delegatedAuthority"],
            ),
            (&format!("user:{BOB}"), &["firstname", "state", "activated"]),
            (&format!("user:{CAROL}"), &["state", "suspended"]),
            (&format!("user:{DAVE}"), &["delegatedAuthority"]),
            (&format!("group:{MANAGERS}"), &["description"]),
            (&format!("group:{ADMINS}"), &["description"]),
            (&format!("group:{DYN2}"), &["description"]),
            (&format!("ad:{CORP}"), &["groupsEnabled", "updatedAt"]),
            (&format!("tenant:{TENANT}"), &["name"]),
        ],
    );
    let added: BTreeSet<String> = edges(&state).difference(&edges_before).cloned().collect();
    let removed: BTreeSet<String> = edges_before.difference(&edges(&state)).cloned().collect();
    assert_eq!(
        added,
        BTreeSet::from([
            format!("user_group:{OPS}->user:{ERIN}"),
            format!("user:{DAVE}->active_directory:{CORP}"),
        ])
    );
    assert!(removed.is_empty(), "{removed:?}");
    jcform()
        .arg("plan")
        .arg(&cfg)
        .arg("--sandbox")
        .arg(&state)
        .arg("--detailed-exitcode")
        .assert()
        .code(0);
}

/// Each client write method on its own, with the body `apply` builds: the fields it does not
/// write survive. Covers the password endpoint too, which a plan only reaches for new users.
#[tokio::test]
async fn every_client_write_endpoint_keeps_unmanaged_fields() {
    let (_dir, state, _) = copy_fixture("unmanaged");
    let (emulator, client) = serve(&state, StateAccess::Write).await;
    let before = raw_objects(&client).await;

    // PUT /systemusers/{id} (partial)
    let attrs = UserAttrs {
        department: Some("Platform".into()),
        ..Default::default()
    };
    client
        .update_user(ALICE, convert::user_body("alice", &attrs, false))
        .await
        .expect("user put");
    client
        .update_user(DAVE, convert::delegated_authority_body(Some(CORP)))
        .await
        .expect("delegate");
    // POST state/activate, state/suspend, password
    client.activate_user(BOB, false).await.expect("activate");
    client.suspend_user(CAROL).await.expect("suspend");
    client
        .set_password(ERIN, "Keep-Everything-Else-1!")
        .await
        .expect("password");
    // PUT /usergroups/{id} (full replace), from the group just read
    for (id, name) in [(MANAGERS, "managers"), (ADMINS, "admins"), (DYN2, "dyn2")] {
        let live = client.get_group(id).await.expect("group").raw;
        let body = writes::group_put_body(&live, name, false, Some("new words")).expect("body");
        client.update_group(id, body).await.expect("group put");
    }
    // PATCH /activedirectories/{id}, PATCH /office365s/{id} (partial)
    let ad = AdDomain {
        domain: "corp.example.com".into(),
        groups_enabled: Some(true),
        ..Default::default()
    };
    client
        .patch_ad(CORP, convert::ad_fields(&ad))
        .await
        .expect("ad patch");
    let tenant = M365Tenant {
        id: TENANT.into(),
        name: Some("Contoso Ltd".into()),
        ..Default::default()
    };
    let live_tenant = convert::live_m365(&client.get_m365(TENANT).await.expect("tenant"), &[]);
    client
        .patch_m365(
            TENANT,
            convert::m365_patch(&tenant, &live_tenant).expect("patch"),
        )
        .await
        .expect("m365 patch");
    // Edges touch neither end.
    client
        .member_op(OPS, Op::Add, ERIN)
        .await
        .expect("member add");
    client
        .member_op(OPS, Op::Remove, FRANK)
        .await
        .expect("member remove");
    client
        .association_op(
            &Directory::AdDomain(CORP.into()),
            Op::Add,
            &Subject::Group(OPS.into()),
        )
        .await
        .expect("bind");
    client
        .association_op(
            &Directory::M365Tenant(TENANT.into()),
            Op::Remove,
            &Subject::Group(ADMINS.into()),
        )
        .await
        .expect("unbind");

    let after = raw_objects(&client).await;
    emulator.shutdown().await;
    assert_only(
        &before,
        &after,
        &[
            (&format!("user:{ALICE}"), &["department"]),
            (&format!("user:{BOB}"), &["state", "activated"]),
            (&format!("user:{CAROL}"), &["state", "suspended"]),
            (&format!("user:{DAVE}"), &["delegatedAuthority"]),
            (&format!("user:{ERIN}"), &["password_date"]),
            (&format!("group:{MANAGERS}"), &["description"]),
            (&format!("group:{ADMINS}"), &["description"]),
            (&format!("group:{DYN2}"), &["description"]),
            (&format!("ad:{CORP}"), &["groupsEnabled", "updatedAt"]),
            (&format!("tenant:{TENANT}"), &["name"]),
        ],
    );
}

/// The sandbox's group PUT is a full replace, like the API's: a body that leaves fields out
/// clears them (so the test above would catch a client that sent only `{name, description}`),
/// while the fields the server owns stay.
#[tokio::test]
async fn the_sandbox_group_put_replaces_like_the_api() {
    let (_dir, state, _) = copy_fixture("unmanaged");
    let (emulator, client) = serve(&state, StateAccess::Write).await;
    client
        .update_group(ADMINS, convert::group_body("admins", Some("bare")))
        .await
        .expect("put");
    let raw = client.get_group(ADMINS).await.expect("get").raw;
    assert_eq!(raw["description"], "bare");
    assert!(raw.get("email").is_none(), "cleared: {raw:#}");
    assert!(raw.get("attributes").is_none(), "cleared: {raw:#}");
    assert_eq!(raw["membershipMethod"], "STATIC", "the default");
    assert_eq!(raw["organizationObjectId"], "5f0000000000000000000001");
    // A v2 rule sent back without `x-query-dsl: v2` is refused, as the API would misread it.
    let mut v2 = client.get_group(DYN2).await.expect("get").raw;
    v2.as_object_mut().map(|o| o.remove("id"));
    let bare = reqwest::Client::new()
        .put(format!("{}/api/v2/usergroups/{DYN2}", emulator.base_url()))
        .header("x-api-key", KEY)
        .json(&v2)
        .send()
        .await
        .expect("send");
    assert_eq!(bare.status().as_u16(), 400);
    emulator.shutdown().await;
}

/// A sandbox opened by a command that only reads refuses every write and changes nothing.
#[tokio::test]
async fn a_read_only_sandbox_refuses_writes() {
    let (_dir, state, _) = copy_fixture("unmanaged");
    let before = std::fs::read(&state).expect("read");
    let (emulator, client) = serve(&state, StateAccess::Read).await;
    let attrs = UserAttrs {
        department: Some("Nope".into()),
        ..Default::default()
    };
    let err = client
        .update_user(ALICE, convert::user_body("alice", &attrs, false))
        .await
        .expect_err("refused");
    assert_eq!(err.status(), Some(403), "{err}");
    emulator.shutdown().await;
    assert_eq!(std::fs::read(&state).expect("read"), before);
}
