//! The emulator's responses, endpoint by endpoint, checked against the response schemas of
//! JumpCloud's OpenAPI documents (property names, types, required fields), kept in
//! `tests/fixtures/api-shapes.json`. Strict: a property the schema does not declare is an error,
//! so the sandbox cannot drift from the real wire format.

mod emulator_common;

use emulator_common::Sandbox;
use serde_json::{json, Value};

fn schemas() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/api-shapes.json"
    ))
    .expect("api-shapes.json");
    serde_json::from_str::<Value>(&text).expect("json")["schemas"].clone()
}

fn type_ok(value: &Value, ty: &str) -> bool {
    match ty {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// Every way `value` does not fit `shape`, with a JSON path.
fn check(value: &Value, shape: &Value, path: &str, problems: &mut Vec<String>) {
    let types: Vec<&str> = match &shape["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec!["any"],
    };
    let nullable = shape["nullable"] == json!(true);
    if !(types.iter().any(|t| type_ok(value, t)) || (nullable && value.is_null())) {
        problems.push(format!("{path}: expected {types:?}, found {value}"));
        return;
    }
    if let (Some(object), Some(properties)) = (value.as_object(), shape["properties"].as_object()) {
        for (key, v) in object {
            match properties.get(key) {
                Some(s) => check(v, s, &format!("{path}.{key}"), problems),
                None => problems.push(format!("{path}.{key}: not in the schema")),
            }
        }
        for required in shape["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(required) {
                problems.push(format!("{path}.{required}: required but missing"));
            }
        }
    }
    if let (Some(items), Some(item_shape)) = (value.as_array(), shape.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(item, item_shape, &format!("{path}[{i}]"), problems);
        }
    }
}

fn assert_fits(value: &Value, schema: &str) {
    let schemas = schemas();
    let shape = schemas
        .get(schema)
        .unwrap_or_else(|| panic!("no schema {schema}"));
    let mut problems = Vec::new();
    check(value, shape, schema, &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn assert_list_of(body: &Value, schema: &str) {
    let items = body
        .as_array()
        .unwrap_or_else(|| panic!("a bare array: {body}"));
    assert!(
        !items.is_empty(),
        "the fixture should give at least one {schema}"
    );
    for item in items {
        assert_fits(item, schema);
    }
}

fn sandbox_state() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/sandbox.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

const USER: &str = "64a000000000000000000001";
const GROUP: &str = "64b000000000000000000001";
const AD: &str = "64c000000000000000000001";
const TENANT: &str = "5f1e0c0b4a3f2e1d0c9b8a71";

#[tokio::test]
async fn v1_users_fit_systemuserreturn() {
    let sb = Sandbox::start(Some(sandbox_state()), |_| {}).await;
    let list = sb.get("/api/systemusers?limit=100").await;
    assert!(list.body["totalCount"].is_u64());
    for user in list.body["results"].as_array().unwrap() {
        assert_fits(user, "v1/systemuserreturn");
    }
    assert_fits(
        &sb.get(&format!("/api/systemusers/{USER}")).await.body,
        "v1/systemuserreturn",
    );
    let created = sb
        .post(
            "/api/systemusers",
            json!({"username": "zoe", "email": "zoe@example.com", "password": "Sandbox-Pass-1"}),
        )
        .await;
    assert_fits(&created.body, "v1/systemuserreturn");
    let search = sb
        .post(
            "/api/search/systemusers",
            json!({"filter": {"and": [{"username": "zoe"}]}}),
        )
        .await;
    for user in search.body["results"].as_array().unwrap() {
        // Search results also carry `memberof`, which the search list schema adds.
        let mut user = user.clone();
        user.as_object_mut().unwrap().remove("memberof");
        assert_fits(&user, "v1/systemuserreturn");
    }
    assert_fits(
        &sb.get("/api/systemusers/000000000000000000000000")
            .await
            .body,
        "v1/Error",
    );
}

#[tokio::test]
async fn v2_groups_and_members_fit_their_schemas() {
    let sb = Sandbox::start(Some(sandbox_state()), |_| {}).await;
    let groups = sb.get("/api/v2/usergroups?limit=100").await;
    assert!(groups.total().is_some(), "x-total-count header");
    assert_list_of(&groups.body, "v2/UserGroup");
    assert_fits(
        &sb.get(&format!("/api/v2/usergroups/{GROUP}")).await.body,
        "v2/UserGroup",
    );
    assert_list_of(
        &sb.get(&format!("/api/v2/usergroups/{GROUP}/members"))
            .await
            .body,
        "v2/GraphConnection",
    );
    assert_list_of(
        &sb.get(&format!("/api/v2/usergroups/{GROUP}/membership"))
            .await
            .body,
        "v2/GraphObjectWithPaths",
    );
    assert_fits(
        &sb.get("/api/v2/usergroups/000000000000000000000000")
            .await
            .body,
        "v2/Error",
    );
}

#[tokio::test]
async fn v2_directories_fit_their_schemas() {
    let sb = Sandbox::start(Some(sandbox_state()), |_| {}).await;
    assert_list_of(
        &sb.get("/api/v2/activedirectories").await.body,
        "v2/active-directory",
    );
    assert_fits(
        &sb.get(&format!("/api/v2/activedirectories/{AD}"))
            .await
            .body,
        "v2/active-directory",
    );
    assert_list_of(
        &sb.get(&format!("/api/v2/activedirectories/{AD}/agents"))
            .await
            .body,
        "v2/active-directory-agent-list",
    );
    for targets in ["user", "user_group"] {
        let edges = sb
            .get(&format!(
                "/api/v2/activedirectories/{AD}/associations?targets={targets}"
            ))
            .await;
        assert_list_of(&edges.body, "v2/GraphConnection");
    }
    assert_list_of(
        &sb.get(&format!("/api/v2/activedirectories/{AD}/users"))
            .await
            .body,
        "v2/GraphObjectWithPaths",
    );
    assert_fits(
        &sb.get(&format!("/api/v2/office365s/{TENANT}")).await.body,
        "v2/office365",
    );
    let edges = sb
        .get(&format!(
            "/api/v2/office365s/{TENANT}/associations?targets=user_group"
        ))
        .await;
    assert_list_of(&edges.body, "v2/GraphConnection");
    assert_list_of(
        &sb.get(&format!("/api/v2/office365s/{TENANT}/users"))
            .await
            .body,
        "v2/GraphObjectWithPaths",
    );
    assert_list_of(&sb.get("/api/v2/directories").await.body, "v2/Directory");
}
