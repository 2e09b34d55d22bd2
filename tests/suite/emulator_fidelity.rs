//! The emulator behaves like the API where independent clients (JumpCloud's generated SDKs,
//! saltext-jumpcloud, the `jumpcloud` CLI, jccli) depend on it: request forms they send, and the
//! endpoints they call beyond jcform's own subset. Each test names the class of difference it
//! pins down (issue 14).

use crate::emulator_common;

use emulator_common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn usernames(body: &Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn v1_filters_take_the_bare_operator_too() {
    let sb = Sandbox::seeded().await;
    for filter in [
        "username:eq:bob",
        "username:$eq:bob",
        "username:in:bob|nobody",
    ] {
        let r = sb.get(&format!("/api/systemusers?filter={filter}")).await;
        assert_eq!(r.status, StatusCode::OK, "{filter}: {}", r.body);
        assert_eq!(usernames(&r.body), ["bob"], "{filter}");
    }
    let r = sb
        .post(
            "/api/search/systemusers?filter=username:eq:carol",
            json!({}),
        )
        .await;
    assert_eq!(usernames(&r.body), ["carol"]);
    // v2 keeps its own form only.
    assert_eq!(
        sb.get("/api/v2/usergroups?filter=name:$eq:ops")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn empty_query_parameters_count_as_absent() {
    let sb = Sandbox::seeded().await;
    let r = sb
        .get("/api/systemusers?limit=&skip=&sort=&fields=&search=&filter=")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["totalCount"], 3);
    // `fields=` does not strip the objects down to their ids.
    assert_eq!(r.body["results"][0]["email"], "alice@example.com");
    let r = sb
        .get("/api/v2/usergroups?fields=&filter=&limit=&skip=0&sort=")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body[1]["description"], "Operations");
    assert_eq!(r.total(), Some(2));
}

#[tokio::test]
async fn sort_and_filter_fields_are_the_documented_ones() {
    let sb = Sandbox::seeded().await;
    let r = sb.get("/api/v2/usergroups?sort=id").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["message"], "invalid sort field: id");
    for bad in [
        "/api/v2/usergroups?sort=nosuchfield",
        "/api/v2/usergroups?filter=nosuchfield:eq:x",
        "/api/systemusers?sort=attributes",
        "/api/systemusers?sort=nosuchfield",
        "/api/v2/directories?filter=name:eq:x",
    ] {
        assert_eq!(sb.get(bad).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let r = sb.get("/api/v2/usergroups?sort=-name").await;
    assert_eq!(r.body[0]["name"], "ops");
    let r = sb.get("/api/systemusers?sort=lastname,-username").await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "commas separate v1 sort fields too"
    );
    assert_eq!(usernames(&r.body), ["carol", "bob", "alice"]);
    // Endpoints that declare no `sort` ignore it.
    let r = sb
        .get(&format!("/api/v2/usergroups/{ENG}/members?sort=id"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn v1_search_parameter_filters_the_list() {
    let sb = Sandbox::seeded().await;
    let r = sb.get("/api/systemusers?search=ALI&fields=username").await;
    assert_eq!(
        (usernames(&r.body), &r.body["totalCount"]),
        (vec!["alice".to_string()], &json!(1))
    );
    let r = sb
        .get("/api/systemusers?search=%7B%22searchTerm%22%3A%22b%22%2C%22fields%22%3A%5B%22email%22%5D%7D")
        .await;
    assert_eq!(usernames(&r.body), ["bob"]);
}

#[tokio::test]
async fn integer_booleans_are_stored_as_booleans() {
    let sb = Sandbox::seeded().await;
    let r = sb
        .post(
            "/api/systemusers",
            json!({"username": "intbool", "email": "intbool@example.com", "sudo": 0,
                   "allow_public_key": 1, "mfa": {"exclusion": "true"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (
            &r.body["sudo"],
            &r.body["allow_public_key"],
            &r.body["mfa"]["exclusion"]
        ),
        (&json!(false), &json!(true), &json!(true))
    );
    let id = r.body["_id"].as_str().unwrap().to_string();
    let r = sb
        .call(
            reqwest::Method::PUT,
            &format!("/api/systemusers/{id}"),
            Some(json!({"password_never_expires": "1"})),
        )
        .await;
    assert_eq!(r.body["password_never_expires"], true);
    // The state file leaves a field at its default out (issue 13: users are stored packed), so
    // `sudo: 0` is stored as `false` or not at all, and served as `false`.
    let stored = sb.state()["systemusers"][3].clone();
    assert_eq!(stored["username"], "intbool");
    assert!(
        matches!(
            stored.get("sudo"),
            None | Some(serde_json::Value::Bool(false))
        ),
        "{stored}"
    );
    assert_eq!(stored["password_never_expires"], json!(true));
    let served = sb.get(&format!("/api/systemusers/{id}")).await;
    assert_eq!(
        (&served.body["sudo"], &served.body["password_never_expires"]),
        (&json!(false), &json!(true))
    );
    // Anything else is refused, and nothing changes.
    let r = sb
        .call(
            reqwest::Method::PUT,
            &format!("/api/systemusers/{id}"),
            Some(json!({"sudo": 2})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(sb.state()["systemusers"][3], stored);
    let served = sb.get(&format!("/api/systemusers/{id}")).await;
    assert_eq!(served.body["sudo"], false);
}

#[tokio::test]
async fn users_carry_every_documented_field() {
    let sb = Sandbox::seeded().await;
    let alice = sb.get(&format!("/api/systemusers/{ALICE}")).await.body;
    for key in [
        "mfa",
        "mfaEnrollment",
        "organization",
        "created",
        "unix_uid",
        "unix_guid",
        "allow_public_key",
        "ssh_keys",
        "tags",
        "middlename",
    ] {
        assert!(alice.get(key).is_some(), "{key} missing: {alice}");
    }
    assert!(is_object_id(&alice["organization"]));
    let created = sb
        .post(
            "/api/systemusers",
            json!({"username": "dan", "email": "dan@example.com"}),
        )
        .await
        .body;
    // Numbered after the existing users, in the org's id.
    assert!(created["unix_uid"].as_u64().unwrap() > alice["unix_uid"].as_u64().unwrap());
    assert_eq!(created["unix_guid"], created["unix_uid"]);
    assert_eq!(created["organization"], alice["organization"]);
    let dirs = sb.get("/api/v2/directories").await.body;
    assert_eq!(dirs[0]["organizationId"], alice["organization"]);
}

#[tokio::test]
async fn unlock_expire_and_reset_mfa() {
    let mut state = fixture();
    state["systemusers"][1]["account_locked"] = json!(true);
    state["systemusers"][1]["badLoginAttempts"] = json!(7);
    let sb = Sandbox::start(Some(state), |_| {}).await;
    let r = sb
        .post(&format!("/api/systemusers/{BOB}/unlock"), json!({}))
        .await;
    assert_eq!((r.status, &r.body), (StatusCode::OK, &json!("OK")));
    let bob = sb.get(&format!("/api/systemusers/{BOB}")).await.body;
    assert_eq!(
        (&bob["account_locked"], &bob["badLoginAttempts"]),
        (&json!(false), &json!(0))
    );

    sb.post(&format!("/api/systemusers/{BOB}/expire"), json!({}))
        .await;
    let bob = sb.get(&format!("/api/systemusers/{BOB}")).await.body;
    assert_eq!(bob["password_expired"], true);
    assert!(bob["password_expiration_date"].is_string());

    let r = sb
        .post(
            &format!("/api/systemusers/{BOB}/resetmfa"),
            json!({"exclusion": true, "exclusionDays": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let bob = sb.get(&format!("/api/systemusers/{BOB}")).await.body;
    assert_eq!(
        bob["mfa"],
        json!({"configured": false, "exclusion": true, "exclusionDays": 3})
    );
    for bad in [
        json!({"exclusionDays": 0}),
        json!({"exclusionUntil": "soon"}),
    ] {
        let r = sb
            .post(&format!("/api/systemusers/{BOB}/resetmfa"), bad.clone())
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    for action in ["unlock", "expire", "resetmfa"] {
        let r = sb
            .post(
                &format!("/api/systemusers/a0000000000000000000ffff/{action}"),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}");
    }
}

#[tokio::test]
async fn directory_traversals_of_users_and_groups() {
    let sb = Sandbox::seeded().await;
    // alice: the M365 tenant directly, the AD through engineering.
    let r = sb.get(&format!("/api/v2/users/{ALICE}/directories")).await;
    let mut found: Vec<(String, usize)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["paths"][0].as_array().unwrap().len(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(found, [(AD.to_string(), 2), (O365.to_string(), 1)]);
    assert_eq!(r.total(), Some(2));
    let r = sb.get(&format!("/api/v2/users/{ALICE}/office365s")).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    let r = sb
        .get(&format!("/api/v2/usergroups/{ENG}/activedirectories"))
        .await;
    assert_eq!(r.body[0]["id"], AD);
    assert_eq!(r.body[0]["type"], "active_directory");
    let r = sb
        .get(&format!("/api/v2/usergroups/{OPS}/directories"))
        .await;
    assert_eq!(r.body, json!([]));
    let r = sb
        .get("/api/v2/users/a0000000000000000000ffff/directories")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ad_agents_can_be_created_read_and_deleted() {
    let sb = Sandbox::seeded().await;
    let r = sb
        .post(&format!("/api/v2/activedirectories/{AD}/agents"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["state"], "unsealed");
    assert!(r.body["connectKey"].is_string());
    let id = r.body["id"].as_str().unwrap().to_string();
    // The connect key is shown once, never stored.
    let key = r.body["connectKey"].as_str().unwrap().to_string();
    assert!(!std::fs::read_to_string(sb.state_path())
        .unwrap()
        .contains(&key));
    let r = sb
        .get(&format!("/api/v2/activedirectories/{AD}/agents/{id}"))
        .await;
    assert_eq!(
        (r.status, &r.body["agentType"]),
        (StatusCode::OK, &json!("SYNC"))
    );
    assert_eq!(
        sb.post(
            &format!("/api/v2/activedirectories/{AD}/agents"),
            json!({"agentType": "BOTH"})
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    let path = format!("/api/v2/activedirectories/{AD}/agents/{id}");
    let r = sb.call(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(sb.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        sb.call(reqwest::Method::DELETE, &path, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sb.get(&format!("/api/v2/activedirectories/{AD}/agents"))
            .await
            .total(),
        Some(1)
    );
}

#[tokio::test]
async fn m365_translation_rules() {
    let sb = Sandbox::seeded().await;
    let base = format!("/api/v2/office365s/{O365}/translationrules");
    assert_eq!(sb.get(&base).await.body, json!([]));
    let r = sb.post(&base, json!({"builtIn": "user_job_title"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["direction"], "export");
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        sb.post(&base, json!({"builtIn": "user_job_title"}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    for bad in [
        json!({}),
        json!({"builtIn": "user_shoe_size"}),
        json!({"builtIn": "user_city", "direction": "import"}),
    ] {
        assert_eq!(
            sb.post(&base, bad.clone()).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(
        sb.get(&format!("{base}/{id}")).await.body["builtIn"],
        "user_job_title"
    );
    assert_eq!(sb.get(&base).await.total(), Some(1));
    let r = sb
        .call(reqwest::Method::DELETE, &format!("{base}/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        sb.get(&format!("{base}/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sb.get("/api/v2/office365s/a0000000000000000000ffff/translationrules")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn groups_lists_user_groups_as_group() {
    let sb = Sandbox::seeded().await;
    let r = sb
        .get("/api/v2/groups?filter=type:eq:user_group&sort=name")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.total(), Some(2));
    assert_eq!(r.body[0]["name"], "engineering");
    assert!(
        r.body[0].get("membershipMethod").is_none(),
        "Group has no membershipMethod"
    );
    assert_eq!(
        sb.get("/api/v2/groups?filter=type:eq:system_group")
            .await
            .body,
        json!([])
    );
}

#[tokio::test]
async fn trailing_slash_reaches_the_same_route() {
    let sb = Sandbox::seeded().await;
    let plain = sb.get("/api/v2/usergroups?limit=100").await;
    let slash = sb.get("/api/v2/usergroups/?limit=100").await;
    assert_eq!((slash.status, &slash.body), (StatusCode::OK, &plain.body));
    assert_eq!(sb.get("/api/systemusers/").await.body["totalCount"], 3);
}

#[tokio::test]
async fn malformed_x_org_id_is_refused() {
    let sb = Sandbox::seeded().await;
    let client = reqwest::Client::new();
    let send = |org: &'static str| {
        client
            .get(format!("{}/api/systemusers", sb.base))
            .header("x-api-key", KEY)
            .header("x-org-id", org)
            .send()
    };
    for (org, status) in [
        ("not-an-id", StatusCode::BAD_REQUEST),
        ("5a000000000000000000000", StatusCode::BAD_REQUEST),
        ("5a0000000000000000000001", StatusCode::OK),
        ("", StatusCode::OK),
    ] {
        let r = send(org).await.unwrap();
        assert_eq!(r.status(), status, "x-org-id {org:?}");
        if status == StatusCode::BAD_REQUEST {
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["status"], "INVALID_ARGUMENT");
        }
    }
}
