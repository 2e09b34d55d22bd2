//! The emulator's endpoints over real HTTP: shapes, status codes, paging, filters, graph edits.

use crate::emulator_common;

use emulator_common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn ids(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|o| o[key].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn auth_is_required() {
    let sb = Sandbox::seeded().await;
    let r = sb
        .call_with_key(Method::GET, "/api/systemusers", None, None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.body,
        json!({"code": 401, "message": "missing or invalid x-api-key", "status": "UNAUTHENTICATED"})
    );
    let r = sb
        .call_with_key(Method::GET, "/api/v2/usergroups", None, None)
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );

    let strict = Sandbox::start(None, |o| o.api_key = Some("right".into())).await;
    let wrong = strict
        .call_with_key(Method::GET, "/api/systemusers", None, Some("wrong"))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let right = strict
        .call_with_key(Method::GET, "/api/systemusers", None, Some("right"))
        .await;
    assert_eq!(right.status, StatusCode::OK);
    assert_eq!(right.body, json!({"totalCount": 0, "results": []}));
}

#[tokio::test]
async fn user_create_returns_systemuserreturn() {
    let sb = Sandbox::seeded().await;
    let r = sb
        .post(
            "/api/systemusers",
            json!({"username": "dave", "email": "dave@example.com", "password": "S3cret!pw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let u = &r.body;
    assert!(is_object_id(&u["_id"]), "{u}");
    assert_eq!(
        (
            u["state"].as_str(),
            u["activated"].as_bool(),
            u["suspended"].as_bool()
        ),
        (Some("ACTIVATED"), Some(true), Some(false))
    );
    assert!(u["password_date"].is_string() && u["created"].is_string());
    assert!(u.get("password").is_none());
    assert!(!std::fs::read_to_string(sb.state_path())
        .unwrap()
        .contains("S3cret"));

    let staged = sb
        .post(
            "/api/systemusers",
            json!({"username": "erin", "email": "erin@example.com", "state": "STAGED"}),
        )
        .await;
    assert_eq!(
        (
            staged.body["state"].as_str(),
            staged.body["activated"].as_bool()
        ),
        (Some("STAGED"), Some(false))
    );
    assert_eq!(staged.body["password_date"], Value::Null);
}

#[tokio::test]
async fn user_create_rejects_bad_input() {
    let sb = Sandbox::seeded().await;
    for body in [
        json!({"username": "alice", "email": "new@example.com"}),
        json!({"username": "new", "email": "ALICE@example.com"}),
        json!({"username": "new"}),
        json!({"email": "new@example.com"}),
        json!({"username": "new", "email": "n@example.com", "state": "GONE"}),
        json!({"username": "new", "email": "n@example.com", "delegatedAuthority": {"name": "ActiveDirectory", "id": "nope"}}),
    ] {
        let r = sb.post("/api/systemusers", body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.body["code"], 400);
        assert_eq!(r.body["status"], "INVALID_ARGUMENT");
        assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let raw = sb
        .client
        .post(format!("{}/api/systemusers", sb.base))
        .header("x-api-key", KEY)
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    assert_eq!(sb.get("/api/systemusers").await.body["totalCount"], 3);
}

#[tokio::test]
async fn user_get_put_delete() {
    let sb = Sandbox::seeded().await;
    let r = sb.get(&format!("/api/systemusers/{ALICE}")).await;
    assert_eq!(
        (r.status, r.body["username"].as_str()),
        (StatusCode::OK, Some("alice"))
    );
    assert_eq!(
        sb.get("/api/systemusers/a0000000000000000000ffff")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let r = sb
        .get(&format!("/api/systemusers/{ALICE}?fields=email"))
        .await;
    assert_eq!(r.body, json!({"_id": ALICE, "email": "alice@example.com"}));

    // PUT is partial: fields left out are kept.
    let r = sb
        .call(
            Method::PUT,
            &format!("/api/systemusers/{ALICE}"),
            Some(json!({"lastname": "Liddell"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.body["firstname"].as_str(), r.body["lastname"].as_str()),
        (Some("Alice"), Some("Liddell"))
    );
    let r = sb
        .call(
            Method::PUT,
            &format!("/api/systemusers/{ALICE}"),
            Some(json!({"state": "STAGED"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = sb
        .call(
            Method::PUT,
            &format!("/api/systemusers/{ALICE}"),
            Some(json!({"username": "bob"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = sb
        .call(
            Method::PUT,
            &format!("/api/systemusers/{ALICE}"),
            Some(json!({"delegatedAuthority": null})),
        )
        .await;
    assert_eq!(r.body["delegatedAuthority"], Value::Null);

    let r = sb
        .call(Method::DELETE, &format!("/api/systemusers/{ALICE}"), None)
        .await;
    assert_eq!(
        (r.status, r.body["_id"].as_str()),
        (StatusCode::OK, Some(ALICE))
    );
    assert_eq!(
        sb.get(&format!("/api/systemusers/{ALICE}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Its memberships and bindings went with it.
    assert_eq!(
        sb.get(&format!("/api/v2/usergroups/{ENG}/members"))
            .await
            .body,
        json!([])
    );
    let edges = sb.state()["associations"].clone();
    assert!(!edges.to_string().contains(ALICE), "{edges}");
}

#[tokio::test]
async fn user_state_and_password_endpoints() {
    let sb = Sandbox::seeded().await;
    let r = sb
        .post(&format!("/api/systemusers/{BOB}/state/suspend"), json!({}))
        .await;
    assert_eq!(
        (
            r.status,
            r.body["state"].as_str(),
            r.body["suspended"].as_bool()
        ),
        (StatusCode::OK, Some("SUSPENDED"), Some(true))
    );
    let r = sb
        .post(
            &format!("/api/systemusers/{BOB}/state/activate"),
            json!({"email": false}),
        )
        .await;
    assert_eq!(
        (r.body["state"].as_str(), r.body["suspended"].as_bool()),
        (Some("ACTIVATED"), Some(false))
    );
    assert_eq!(
        sb.post(
            &format!("/api/systemusers/{BOB}/state/suspend"),
            json!({"x": 1})
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );

    assert_eq!(
        sb.get(&format!("/api/systemusers/{BOB}")).await.body["password_date"],
        Value::Null
    );
    let r = sb
        .post(
            &format!("/api/systemusers/{BOB}/password"),
            json!({"password": "n3w-Passw0rd"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["password_date"].is_string());
    assert!(!std::fs::read_to_string(sb.state_path())
        .unwrap()
        .contains("n3w-Passw0rd"));
    assert_eq!(
        sb.post(&format!("/api/systemusers/{BOB}/password"), json!({}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        sb.post(
            "/api/systemusers/a0000000000000000000ffff/password",
            json!({"password": "x"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn user_list_pages_sorts_filters_and_projects() {
    let sb = Sandbox::seeded().await;
    let r = sb
        .get("/api/systemusers?limit=2&skip=0&sort=-username")
        .await;
    assert_eq!(r.body["totalCount"], 3);
    assert_eq!(ids(&r.body["results"], "username"), ["carol", "bob"]);
    let r = sb
        .get("/api/systemusers?limit=2&skip=2&sort=-username")
        .await;
    assert_eq!(ids(&r.body["results"], "username"), ["alice"]);

    let r = sb.get("/api/systemusers?filter=username:$eq:bob").await;
    assert_eq!(
        (
            r.body["totalCount"].as_u64(),
            ids(&r.body["results"], "_id")
        ),
        (Some(1), vec![BOB.to_string()])
    );
    let r = sb.get("/api/systemusers?filter[0]=state:$ne:SUSPENDED&filter[1]=email:$in:bob@example.com|carol@example.com").await;
    assert_eq!(ids(&r.body["results"], "username"), ["bob"]);
    // The bare operator works on v1 as well (JumpCloud's PowerShell module sends it).
    let r = sb.get("/api/systemusers?filter=username:eq:bob").await;
    assert_eq!(ids(&r.body["results"], "username"), ["bob"]);
    assert_eq!(
        sb.get("/api/systemusers?limit=lots").await.status,
        StatusCode::BAD_REQUEST
    );

    let r = sb
        .get("/api/systemusers?fields=username%20email&sort=_id")
        .await;
    let first = r.body["results"][0].as_object().unwrap();
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        ["_id", "username", "email"]
    );
}

#[tokio::test]
async fn user_list_limit_defaults_to_10_and_clamps_to_100() {
    let sb = Sandbox::start(None, |_| {}).await;
    for i in 0..105 {
        let r = sb
            .post(
                "/api/systemusers",
                json!({"username": format!("u{i:03}"), "email": format!("u{i:03}@example.com")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = sb.get("/api/systemusers").await;
    assert_eq!(
        (
            r.body["totalCount"].as_u64(),
            r.body["results"].as_array().unwrap().len()
        ),
        (Some(105), 10)
    );
    let r = sb.get("/api/systemusers?limit=1000&sort=username").await;
    assert_eq!(r.body["results"].as_array().unwrap().len(), 100);
    let r = sb
        .get("/api/systemusers?limit=100&skip=100&sort=username")
        .await;
    assert_eq!(
        ids(&r.body["results"], "username"),
        ["u100", "u101", "u102", "u103", "u104"]
    );
}

#[tokio::test]
async fn search_systemusers() {
    let sb = Sandbox::seeded().await;
    let r = sb
        .post("/api/search/systemusers", json!({"filter": {"or": [{"username": "alice"}, {"username": "carol"}]}, "fields": "username email"}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["totalCount"], 2);
    assert_eq!(ids(&r.body["results"], "username"), ["alice", "carol"]);
    assert_eq!(r.body["results"][0]["memberof"], json!([ENG]));
    assert!(r.body["results"][0].get("state").is_none());

    let r = sb
        .post(
            "/api/search/systemusers",
            json!({"searchFilter": {"searchTerm": ["BO", "car"], "fields": ["username"]}}),
        )
        .await;
    assert_eq!(ids(&r.body["results"], "username"), ["bob", "carol"]);
    let r = sb
        .post(
            "/api/search/systemusers?limit=1",
            json!({"filter": [{"state": "ACTIVATED"}]}),
        )
        .await;
    assert_eq!(
        (
            r.body["totalCount"].as_u64(),
            r.body["results"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    assert_eq!(
        sb.post("/api/search/systemusers", json!({"filter": "x"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn usergroups_crud() {
    let sb = Sandbox::seeded().await;
    let r = sb.get("/api/v2/usergroups").await;
    assert_eq!((r.status, r.total()), (StatusCode::OK, Some(2)));
    assert_eq!(
        r.body[0],
        json!({"id": ENG, "name": "engineering", "membershipMethod": "STATIC", "type": "user_group"})
    );

    let r = sb
        .post(
            "/api/v2/usergroups",
            json!({"name": "sales", "description": "Sales"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(is_object_id(&r.body["id"]));
    assert_eq!(
        (r.body["type"].as_str(), r.body["name"].as_str()),
        (Some("user_group"), Some("sales"))
    );
    let sales = r.body["id"].as_str().unwrap().to_string();

    let dup = sb
        .post("/api/v2/usergroups", json!({"name": "sales"}))
        .await;
    assert_eq!(
        (dup.status, dup.body["code"].as_u64()),
        (StatusCode::CONFLICT, Some(409))
    );
    assert_eq!(
        sb.post("/api/v2/usergroups", json!({"description": "no name"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // PUT is a full update: the description goes away.
    let r = sb
        .call(
            Method::PUT,
            &format!("/api/v2/usergroups/{sales}"),
            Some(json!({"name": "sales-emea"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.body["name"].as_str(), r.body.get("description")),
        (Some("sales-emea"), None)
    );
    assert_eq!(
        sb.call(
            Method::PUT,
            &format!("/api/v2/usergroups/{sales}"),
            Some(json!({}))
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    let clash = sb
        .call(
            Method::PUT,
            &format!("/api/v2/usergroups/{sales}"),
            Some(json!({"name": "ops"})),
        )
        .await;
    assert_eq!(clash.status, StatusCode::CONFLICT);

    let r = sb.get("/api/v2/usergroups?filter=name:eq:sales-emea").await;
    assert_eq!(
        (r.total(), ids(&r.body, "id")),
        (Some(1), vec![sales.clone()])
    );
    let r = sb.get("/api/v2/usergroups?sort=-name&limit=1").await;
    assert_eq!(
        (r.total(), ids(&r.body, "name")),
        (Some(3), vec!["sales-emea".to_string()])
    );

    let r = sb
        .call(Method::DELETE, &format!("/api/v2/usergroups/{ENG}"), None)
        .await;
    assert_eq!(
        (r.status, r.body["name"].as_str()),
        (StatusCode::OK, Some("engineering"))
    );
    assert_eq!(
        sb.get(&format!("/api/v2/usergroups/{ENG}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!sb.state()["associations"].to_string().contains(ENG));
}

#[tokio::test]
async fn group_members_are_idempotent_edges() {
    let sb = Sandbox::seeded().await;
    let members = format!("/api/v2/usergroups/{ENG}/members");
    let r = sb.get(&members).await;
    assert_eq!(
        r.body,
        json!([{"attributes": null, "to": {"attributes": null, "id": ALICE, "type": "user"}}])
    );
    assert_eq!(r.total(), Some(1));

    for _ in 0..2 {
        let r = sb
            .post(&members, json!({"op": "add", "type": "user", "id": BOB}))
            .await;
        assert_eq!((r.status, &r.body), (StatusCode::NO_CONTENT, &Value::Null));
    }
    assert_eq!(sb.get(&members).await.total(), Some(2));
    for _ in 0..2 {
        assert_eq!(
            sb.post(
                &members,
                json!({"op": "remove", "type": "user", "id": ALICE})
            )
            .await
            .status,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        ids(
            &sb.get(&members)
                .await
                .body
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["to"].clone())
                .collect(),
            "id"
        ),
        [BOB]
    );

    assert_eq!(
        sb.post(
            &members,
            json!({"op": "add", "type": "user_group", "id": OPS})
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        sb.post(&members, json!({"op": "jump", "type": "user", "id": BOB}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        sb.post(
            &members,
            json!({"op": "add", "type": "user", "id": "a0000000000000000000ffff"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    let r = sb
        .get(&format!("/api/v2/usergroups/{ENG}/membership"))
        .await;
    assert_eq!(
        r.body,
        json!([{"id": BOB, "type": "user", "paths": [[{"attributes": null, "to": {"attributes": null, "id": BOB, "type": "user"}}]]}])
    );
}

#[tokio::test]
async fn active_directories_crud() {
    let sb = Sandbox::seeded().await;
    let r = sb.get("/api/v2/activedirectories").await;
    assert_eq!(
        (r.total(), ids(&r.body, "id")),
        (Some(1), vec![AD.to_string()])
    );

    let r = sb
        .post(
            "/api/v2/activedirectories",
            json!({"domain": "DC=lab;DC=example;DC=com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let lab = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            r.body["useCase"].as_str(),
            r.body["delegationState"].as_str()
        ),
        (Some("UNSET"), Some("DISABLED"))
    );
    assert_eq!(
        sb.post(
            "/api/v2/activedirectories",
            json!({"domain": "DC=lab;DC=example;DC=com"})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        sb.post("/api/v2/activedirectories", json!({})).await.status,
        StatusCode::BAD_REQUEST
    );

    let path = format!("/api/v2/activedirectories/{lab}");
    let r = sb
        .call(
            Method::PATCH,
            &path,
            Some(json!({"useCase": "ADASAUTHORITY", "groupsEnabled": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (
            r.body["useCase"].as_str(),
            r.body["groupsEnabled"].as_bool()
        ),
        (Some("ADASAUTHORITY"), Some(true))
    );
    assert_eq!(r.body["domain"], "DC=lab;DC=example;DC=com");
    let bad = sb
        .call(Method::PATCH, &path, Some(json!({"useCase": "WHATEVER"})))
        .await;
    assert_eq!(
        (bad.status, bad.body["status"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidArgument"))
    );
    assert_eq!(sb.get(&path).await.body["useCase"], "ADASAUTHORITY");
    let r = sb
        .get("/api/v2/activedirectories?filter=domain:eq:DC=lab;DC=example;DC=com")
        .await;
    assert_eq!(ids(&r.body, "id"), [lab]);

    let r = sb
        .get(&format!("/api/v2/activedirectories/{AD}/agents"))
        .await;
    assert_eq!(
        (r.total(), r.body[0]["agentType"].as_str()),
        (Some(1), Some("IMPORT"))
    );

    let r = sb
        .call(
            Method::DELETE,
            &format!("/api/v2/activedirectories/{AD}"),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body["id"].as_str()),
        (StatusCode::OK, Some(AD))
    );
    assert_eq!(
        sb.get(&format!("/api/v2/activedirectories/{AD}/agents"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let state = sb.state();
    assert_eq!(state["activedirectory_agents"], json!({}));
    assert!(!state["associations"].to_string().contains(AD));
}

#[tokio::test]
async fn directory_associations_and_traversal() {
    let sb = Sandbox::seeded().await;
    let assoc = format!("/api/v2/activedirectories/{AD}/associations");
    let r = sb.get(&assoc).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["message"].as_str().unwrap().contains("targets"));
    assert_eq!(
        sb.get(&format!("{assoc}?targets=system")).await.status,
        StatusCode::BAD_REQUEST
    );

    let r = sb.get(&format!("{assoc}?targets=user")).await;
    assert_eq!(
        r.body,
        json!([{"attributes": null, "to": {"attributes": null, "id": BOB, "type": "user"}}])
    );
    let r = sb
        .get(&format!("{assoc}?targets=user&targets=user_group"))
        .await;
    assert_eq!(r.total(), Some(2));

    assert_eq!(
        sb.post(&assoc, json!({"op": "add", "type": "user", "id": CAROL}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    // The same edge written from the user's end is not stored twice.
    assert_eq!(
        sb.post(
            &format!("/api/v2/users/{CAROL}/associations"),
            json!({"op": "add", "type": "active_directory", "id": AD})
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        sb.get(&format!("{assoc}?targets=user")).await.total(),
        Some(2)
    );

    let r = sb
        .get(&format!("/api/v2/activedirectories/{AD}/users"))
        .await;
    let users = r.body.as_array().unwrap();
    assert_eq!(ids(&r.body, "id"), [ALICE, BOB, CAROL]);
    // alice comes through engineering: a two-step path.
    assert_eq!(users[0]["paths"][0].as_array().unwrap().len(), 2);
    assert_eq!(
        users[0]["paths"][0][0]["to"],
        json!({"attributes": null, "id": ENG, "type": "user_group"})
    );
    assert_eq!(
        users[1]["paths"],
        json!([[{"attributes": null, "to": {"attributes": null, "id": BOB, "type": "user"}}]])
    );

    let r = sb
        .get(&format!("/api/v2/activedirectories/{AD}/usergroups"))
        .await;
    assert_eq!(
        (r.total(), ids(&r.body, "id")),
        (Some(1), vec![ENG.to_string()])
    );

    let r = sb
        .get(&format!(
            "/api/v2/users/{CAROL}/associations?targets=active_directory,office_365"
        ))
        .await;
    assert_eq!(
        r.body,
        json!([{"attributes": null, "to": {"attributes": null, "id": AD, "type": "active_directory"}}])
    );
    assert_eq!(
        sb.get(&format!("/api/v2/users/{CAROL}/associations"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let r = sb.get(&format!("/api/v2/users/{ALICE}/memberof")).await;
    assert_eq!(ids(&r.body, "id"), [ENG]);
}

#[tokio::test]
async fn office365_get_patch_and_domains() {
    let sb = Sandbox::seeded().await;
    let path = format!("/api/v2/office365s/{O365}");
    let r = sb.get(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["defaultDomain"],
        json!({"id": DOM1, "domain": "contoso.com"})
    );
    assert_eq!(r.body["userLockoutAction"], "suspend");

    let r = sb
        .call(Method::PATCH, &path, Some(json!({"userLockoutAction": "maintain", "defaultDomain": {"id": DOM2}, "name": "Contoso Ltd"})))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["userLockoutAction"], "maintain");
    assert_eq!(r.body["userPasswordExpirationAction"], "maintain");
    assert_eq!(
        r.body["defaultDomain"],
        json!({"id": DOM2, "domain": "contoso.org"})
    );
    assert_eq!(
        sb.call(
            Method::PATCH,
            &path,
            Some(json!({"defaultDomain": {"id": "nope"}}))
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        sb.call(
            Method::PATCH,
            &path,
            Some(json!({"userLockoutAction": "delete"}))
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );

    let r = sb.get(&format!("{path}/domains")).await;
    assert_eq!(r.body["totalCount"], 2);
    assert_eq!(
        r.body["domains"][1],
        json!({"objectId": DOM2, "domain": "contoso.org", "default": true, "resourceObjectId": O365})
    );
    assert_eq!(r.body["domains"][0]["default"], false);

    let r = sb
        .call(Method::PATCH, &path, Some(json!({"defaultDomain": {}})))
        .await;
    assert_eq!(r.body["defaultDomain"], Value::Null);

    // Domain errors are google.rpc.Status.
    let r = sb
        .get("/api/v2/office365s/d0000000000000000000ffff/domains")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["details"], json!([]));
    assert!(r.body.get("status").is_none());

    // The API cannot list, create or delete tenants.
    assert_eq!(
        sb.get("/api/v2/office365s").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sb.call(Method::DELETE, &path, None).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn office365_associations_and_traversal() {
    let sb = Sandbox::seeded().await;
    let assoc = format!("/api/v2/office365s/{O365}/associations");
    assert_eq!(
        sb.post(
            &assoc,
            json!({"op": "add", "type": "user_group", "id": OPS})
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        sb.post(&assoc, json!({"op": "add", "type": "system", "id": OPS}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let r = sb.get(&format!("{assoc}?targets=user_group")).await;
    assert_eq!(
        ids(
            &r.body
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["to"].clone())
                .collect(),
            "id"
        ),
        [OPS]
    );
    assert_eq!(
        ids(
            &sb.get(&format!("/api/v2/office365s/{O365}/users"))
                .await
                .body,
            "id"
        ),
        [ALICE]
    );
    assert_eq!(
        ids(
            &sb.get(&format!("/api/v2/office365s/{O365}/usergroups"))
                .await
                .body,
            "id"
        ),
        [OPS]
    );
}

#[tokio::test]
async fn directories_lists_ad_and_m365() {
    let sb = Sandbox::seeded().await;
    let r = sb.get("/api/v2/directories").await;
    assert_eq!(r.total(), Some(2));
    assert_eq!(r.body[0]["type"], "active_directory");
    assert_eq!(r.body[0]["name"], "DC=corp;DC=example;DC=com");
    assert_eq!(
        r.body[1],
        json!({"id": O365, "name": "Contoso", "type": "office_365", "oAuthStatus": null,
               "defaultDomain": {"id": DOM1, "domain": "contoso.com"},
               "organizationId": "5e0000000000000000000001"})
    );
    // `organizationId` is the one documented filter field.
    let r = sb
        .get("/api/v2/directories?filter=organizationId:eq:5e0000000000000000000001")
        .await;
    assert_eq!(ids(&r.body, "id"), [AD, O365]);
    let r = sb
        .get("/api/v2/directories?filter=type:eq:office_365")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_routes_are_404_with_an_error_body() {
    let sb = Sandbox::seeded().await;
    let r = sb.get("/api/v2/nothing").await;
    assert_eq!(
        (r.status, r.body["code"].as_u64()),
        (StatusCode::NOT_FOUND, Some(404))
    );
}

/// Issue 13: list pages are cut from a cache of the query's rows; two association lists of one
/// object that differ only in `targets` must not share rows.
#[tokio::test]
async fn association_pages_are_cached_per_target() {
    let edge = |to_type: &str, to: &str| json!({"from": {"type": "user_group", "id": "b00000000000000000000001"}, "to": {"type": to_type, "id": to}});
    let state = json!({
        "usergroups": [{"id": "b00000000000000000000001", "name": "g"}],
        "activedirectories": [
            {"id": "c00000000000000000000001", "domain": "DC=a;DC=example"},
            {"id": "c00000000000000000000002", "domain": "DC=b;DC=example"}
        ],
        "office365s": [{"id": "d00000000000000000000001", "name": "t1"}, {"id": "d00000000000000000000002", "name": "t2"}],
        "associations": [
            edge("active_directory", "c00000000000000000000001"),
            edge("office_365", "d00000000000000000000001"),
            edge("active_directory", "c00000000000000000000002"),
            edge("office_365", "d00000000000000000000002")
        ]
    });
    let sb = Sandbox::start(Some(state), |_| {}).await;
    let path = "/api/v2/usergroups/b00000000000000000000001/associations";
    for (target, ids) in [
        (
            "active_directory",
            ["c00000000000000000000001", "c00000000000000000000002"],
        ),
        (
            "office_365",
            ["d00000000000000000000001", "d00000000000000000000002"],
        ),
    ] {
        for (skip, id) in ids.iter().enumerate() {
            let r = sb
                .get(&format!("{path}?targets={target}&limit=1&skip={skip}"))
                .await;
            assert_eq!(r.headers["x-total-count"], "2");
            assert_eq!(r.body[0]["to"]["id"], *id, "{target} page {skip}");
        }
    }
}
