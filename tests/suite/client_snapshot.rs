//! Snapshots: a 2,000-user, 30-group sandbox copied completely (request count printed against
//! the minimum, never timed), the state file round-trips, and the CLI command end to end.

use crate::client_common;

use assert_cmd::Command;
use client_common::{assert_complete, OrgSpec, Sandbox};
use jcform::jumpcloud::read::{request_budget, request_minimum};
use jcform::jumpcloud::{read_live, snapshot};
use serde_json::Value;

/// 2,000 users; 30 groups from 0 to 1,450 members; 2 ADs and 2 tenants with bindings.
fn big_org() -> OrgSpec {
    OrgSpec {
        users: 2000,
        group_sizes: (0..30).map(|g| g * 50).collect(),
        ads: vec![(2, 300, 10), (1, 40, 2)],
        tenants: vec![(3, 250, 5), (1, 0, 0)],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn snapshot_of_2000_users_is_complete_and_within_budget() {
    let (state, expected) = big_org().build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let client = sandbox.client();

    let live = read_live(&client).await.expect("read succeeds");
    assert_complete(&live, &expected);
    let edges = live.groups.values().map(|g| g.members.len()).sum::<usize>() + live.bindings.len();
    println!(
        "2,000-user snapshot: {} requests; budget {}; no-overlap minimum {}; {} objects, {edges} edges",
        client.request_count(),
        request_budget(&live),
        request_minimum(&live),
        live.users.len() + live.groups.len() + live.ad_domains.len() + live.m365_tenants.len(),
    );
    assert_eq!(client.request_count(), request_budget(&live));

    // The state file serves the same org again: snapshot of the snapshot is identical.
    let file = snapshot::state_file(&live);
    assert_eq!(file["systemusers"].as_array().map(Vec::len), Some(2000));
    let copy = Sandbox::start(&file, |_| {}).await;
    let again = read_live(&copy.client()).await.expect("read the copy");
    assert_complete(&again, &expected);
    assert_eq!(snapshot::state_file(&again), file);
    sandbox.emulator.shutdown().await;
    copy.emulator.shutdown().await;
}

#[test]
fn snapshot_command_writes_the_state_file() {
    let (state, expected) = OrgSpec {
        users: 120,
        group_sizes: vec![0, 5, 110],
        ads: vec![(1, 3, 1)],
        tenants: vec![(2, 2, 1)],
    }
    .build();
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("org.json");
    std::fs::write(&input, serde_json::to_vec(&state).expect("encode")).expect("write");
    let out = dir.path().join("snap.json");

    let assert = Command::cargo_bin("jcform")
        .expect("binary")
        .env_remove("JC_API_KEY")
        .env("JC_ORG_ID", "ignored-with-sandbox")
        .args(["snapshot", "--sandbox"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("120 users, 3 groups, 1 AD domains, 1 M365 tenants"),
        "{stderr}"
    );
    assert!(
        assert.get_output().stdout.is_empty(),
        "with --out nothing goes to stdout"
    );

    let file: Value =
        serde_json::from_slice(&std::fs::read(&out).expect("out written")).expect("JSON");
    assert_eq!(
        file["systemusers"].as_array().map(Vec::len),
        Some(expected.users.len())
    );
    let members: usize = expected.members.values().map(|m| m.len()).sum();
    assert_eq!(
        file["associations"].as_array().map(Vec::len),
        Some(members + expected.bindings.len())
    );

    // Without --out the state file goes to stdout.
    let stdout = Command::cargo_bin("jcform")
        .expect("binary")
        .args(["snapshot", "--sandbox"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(stdout.status.success());
    let again: Value = serde_json::from_slice(&stdout.stdout).expect("stdout is the state file");
    assert_eq!(again, file, "snapshot of a snapshot is identical");
}

#[test]
fn snapshot_without_credentials_explains_how_to_set_them() {
    let output = Command::cargo_bin("jcform")
        .expect("binary")
        .env_remove("JC_API_KEY")
        .arg("snapshot")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("JC_API_KEY is not set"), "{stderr}");
    assert!(stderr.contains("--sandbox"), "{stderr}");
}
