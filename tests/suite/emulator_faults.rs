//! The emulator's knobs and its state file: fault injection never corrupts the org, short pages
//! keep their totals, the request log, and when the state file is (and is not) written.

use crate::emulator_common;

use emulator_common::*;
use jcform::emulator::{Emulator, EmulatorOptions};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn log_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn missing_state_file_is_an_empty_org_and_reads_do_not_create_it() {
    let sb = Sandbox::start(None, |_| {}).await;
    assert_eq!(
        sb.get("/api/systemusers").await.body,
        json!({"totalCount": 0, "results": []})
    );
    assert_eq!(sb.get("/api/v2/usergroups").await.body, json!([]));
    assert_eq!(sb.get("/api/v2/directories").await.body, json!([]));
    assert!(!sb.state_path().exists());
    sb.post("/api/v2/usergroups", json!({"name": "first"}))
        .await;
    assert_eq!(sb.state()["usergroups"][0]["name"], "first");
}

#[tokio::test]
async fn a_bad_state_file_fails_start_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken-state.json");
    std::fs::write(&path, "{\"systemusers\": 3}").unwrap();
    let opts = EmulatorOptions {
        state: path,
        ..EmulatorOptions::default()
    };
    let err = Emulator::start(opts, "127.0.0.1:0".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("broken-state.json"), "{err:#}");
}

#[tokio::test]
async fn reads_never_rewrite_the_state_file() {
    let sb = Sandbox::seeded().await;
    let before = std::fs::read(sb.state_path()).unwrap();
    let mtime = std::fs::metadata(sb.state_path())
        .unwrap()
        .modified()
        .unwrap();
    for path in [
        "/api/systemusers".to_string(),
        format!("/api/systemusers/{ALICE}"),
        "/api/v2/usergroups".into(),
        format!("/api/v2/usergroups/{ENG}/members"),
        format!("/api/v2/activedirectories/{AD}/users"),
        format!("/api/v2/office365s/{O365}/domains"),
        "/api/v2/directories".into(),
    ] {
        assert_eq!(sb.get(&path).await.status, StatusCode::OK, "{path}");
    }
    sb.post("/api/search/systemusers", json!({})).await;
    // Failed writes and no-op edge edits don't write either.
    assert_eq!(
        sb.post(
            "/api/systemusers",
            json!({"username": "alice", "email": "x@y.z"})
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    let members = format!("/api/v2/usergroups/{ENG}/members");
    assert_eq!(
        sb.post(&members, json!({"op": "add", "type": "user", "id": ALICE}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(std::fs::read(sb.state_path()).unwrap(), before);
    // Nor was anything journalled (the journal holds writes until the emulator stops).
    assert!(!jcform::emulator::journal_path(&sb.state_path()).exists());
    assert_eq!(
        std::fs::metadata(sb.state_path())
            .unwrap()
            .modified()
            .unwrap(),
        mtime
    );
}

#[tokio::test]
async fn changes_are_written_atomically_and_keep_unknown_fields() {
    let mut state = fixture();
    state["systemusers"][0]["customField"] = json!({"kept": true});
    state["somethingNew"] = json!([1, 2]);
    let sb = Sandbox::start(Some(state), |_| {}).await;
    let r = sb
        .call(
            Method::PUT,
            &format!("/api/systemusers/{BOB}"),
            Some(json!({"jobTitle": "SRE"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let saved = sb.state();
    assert_eq!(saved["systemusers"][1]["jobTitle"], "SRE");
    assert_eq!(
        saved["systemusers"][0]["customField"],
        json!({"kept": true})
    );
    assert_eq!(saved["somethingNew"], json!([1, 2]));
    // Only the state file, its lock sidecar and its journal (issue 13: a write appends to the
    // journal rather than rewriting the org) are in the directory.
    let mut names: Vec<String> = std::fs::read_dir(sb.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["state.json", "state.json.journal", "state.json.lock"]
    );
    // A second emulator over the same file is refused while the first runs (it holds the
    // state file's lock), naming the holder.
    let busy = Emulator::start(
        EmulatorOptions {
            state: sb.state_path(),
            ..EmulatorOptions::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .err()
    .expect("the state file is locked");
    assert!(
        format!("{busy:#}").contains(&format!("jcform process {}", std::process::id())),
        "{busy:#}"
    );
    // A restarted emulator over the same file sees the change.
    let state = sb.state_path();
    let Sandbox {
        emulator, client, ..
    } = sb;
    emulator.shutdown().await;
    let again = Emulator::start(
        EmulatorOptions {
            state,
            ..EmulatorOptions::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let body: Value = client
        .get(format!("{}/api/systemusers/{BOB}", again.base_url()))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["jobTitle"], "SRE");
    again.shutdown().await;
}

#[tokio::test]
async fn injected_failures_change_nothing() {
    let sb = Sandbox::start(Some(fixture()), |o| o.fail_rate = 1.0).await;
    let before = std::fs::read(sb.state_path()).unwrap();
    let r = sb
        .post(
            "/api/systemusers",
            json!({"username": "dave", "email": "dave@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        r.body,
        json!({"code": 503, "message": "injected failure", "status": "UNAVAILABLE"})
    );
    let r = sb
        .call(Method::DELETE, &format!("/api/v2/usergroups/{ENG}"), None)
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"))
    );
    assert_eq!(std::fs::read(sb.state_path()).unwrap(), before);
    // Nor was anything journalled (the journal holds writes until the emulator stops).
    assert!(!jcform::emulator::journal_path(&sb.state_path()).exists());
}

#[tokio::test]
async fn seeded_failures_are_repeatable_and_consistent() {
    async fn run() -> Vec<StatusCode> {
        let sb = Sandbox::start(None, |o| {
            o.fail_rate = 0.5;
            o.seed = Some(42);
        })
        .await;
        let mut statuses = Vec::new();
        for i in 0..30 {
            let r = sb
                .post("/api/v2/usergroups", json!({"name": format!("g{i}")}))
                .await;
            statuses.push(r.status);
        }
        let created = statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        assert!(statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::SERVICE_UNAVAILABLE));
        assert!(created > 0 && created < 30, "{created}");
        // Exactly the successful creates are in the org.
        assert_eq!(sb.state()["usergroups"].as_array().unwrap().len(), created);
        statuses
    }
    assert_eq!(run().await, run().await);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let sb = Sandbox::start(Some(fixture()), |o| o.rate_limit = Some(2)).await;
    let mut limited = None;
    for _ in 0..20 {
        let r = sb.get("/api/systemusers").await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = limited.expect("no request was rate limited");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(r.body["code"], 429);
}

#[tokio::test]
async fn short_pages_drop_rows_on_every_other_read_but_keep_totals() {
    let sb = Sandbox::start(Some(fixture()), |o| o.short_pages = true).await;
    let first = sb.get("/api/systemusers?limit=2&sort=_id").await;
    let second = sb.get("/api/systemusers?limit=2&sort=_id").await;
    assert_eq!(
        (
            first.body["totalCount"].as_u64(),
            first.body["results"].as_array().unwrap().len()
        ),
        (Some(3), 1)
    );
    assert_eq!(
        (
            second.body["totalCount"].as_u64(),
            second.body["results"].as_array().unwrap().len()
        ),
        (Some(3), 2)
    );

    let first = sb.get("/api/v2/usergroups?limit=5").await;
    let second = sb.get("/api/v2/usergroups?limit=5").await;
    assert_eq!(
        (first.total(), first.body.as_array().unwrap().len()),
        (Some(2), 1)
    );
    assert_eq!(
        (second.total(), second.body.as_array().unwrap().len()),
        (Some(2), 2)
    );
}

#[tokio::test]
async fn latency_still_serves_requests() {
    let sb = Sandbox::start(Some(fixture()), |o| o.latency_ms = 5).await;
    assert_eq!(sb.get("/api/systemusers").await.body["totalCount"], 3);
}

#[tokio::test]
async fn the_log_has_one_redacted_line_per_request_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let log_opt = log.clone();
    let sb = Sandbox::start(Some(fixture()), move |o| o.log = Some(log_opt)).await;
    sb.call_with_key(Method::GET, "/api/systemusers", None, None)
        .await;
    sb.post(
        "/api/systemusers",
        json!({"username": "dave", "email": "dave@example.com", "password": "Top-Secret1"}),
    )
    .await;
    sb.post(
        &format!("/api/systemusers/{BOB}/password"),
        json!({"password": "Top-Secret2"}),
    )
    .await;
    sb.get("/api/v2/usergroups?limit=1&skip=1").await;

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("Top-Secret"), "{text}");
    let lines = log_lines(&log);
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        json!({"method": "GET", "path": "/api/systemusers", "query": "", "status": 401, "body": null})
    );
    assert_eq!(
        lines[1]["body"],
        json!({"username": "dave", "email": "dave@example.com", "password": "***"})
    );
    assert_eq!(
        (lines[1]["method"].as_str(), lines[1]["status"].as_u64()),
        (Some("POST"), Some(200))
    );
    assert_eq!(lines[2]["path"], format!("/api/systemusers/{BOB}/password"));
    assert_eq!(
        (lines[3]["query"].as_str(), lines[3]["status"].as_u64()),
        (Some("limit=1&skip=1"), Some(200))
    );
}

#[tokio::test]
async fn ids_a_state_file_leaves_out_are_the_same_at_every_start() {
    let state = serde_json::json!({
        "systemusers": [{"username": "ann", "email": "ann@example.com"}],
        "usergroups": [{"name": "ops"}]
    });
    let mut seen = Vec::new();
    for _ in 0..2 {
        let sb = Sandbox::start(Some(state.clone()), |_| {}).await;
        let users = sb.get("/api/systemusers").await;
        let groups = sb.get("/api/v2/usergroups").await;
        seen.push((
            users.body["results"][0]["_id"].clone(),
            groups.body[0]["id"].clone(),
        ));
        // Reading never rewrites the file, ids or not.
        assert_eq!(sb.state(), state);
    }
    assert!(seen[0].0.is_string() && seen[0].1.is_string(), "{seen:?}");
    assert_eq!(seen[0], seen[1]);
}
