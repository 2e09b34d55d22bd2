//! The sandbox refuses over-long user fields with a 400, as the API does (`model::limits`,
//! from the v1 `systemuserput` schema), on create and on update.

use crate::emulator_common;

use emulator_common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn over_long_user_fields_are_a_400_on_every_write_route() {
    let sb = Sandbox::seeded().await;
    let long = |n: usize| "x".repeat(n);
    for body in [
        json!({"username": "new", "email": "n@example.com", "description": long(1025)}),
        json!({"username": "new", "email": "n@example.com", "employeeIdentifier": long(257)}),
        json!({"username": "new", "email": "n@example.com", "jobTitle": long(1025)}),
        json!({"username": long(1025), "email": "n@example.com"}),
    ] {
        let r = sb.post("/api/systemusers", body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.body["code"], 400);
        assert!(
            r.body["message"]
                .as_str()
                .is_some_and(|m| m.contains("at most")),
            "{}",
            r.body
        );
    }
    // At the limit is fine; counted in characters, not bytes.
    let ok = sb
        .post(
            "/api/systemusers",
            json!({"username": "new", "email": "n@example.com", "description": "é".repeat(1024), "employeeIdentifier": long(256)}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);

    let r = sb
        .call(
            Method::PUT,
            &format!("/api/systemusers/{ALICE}"),
            Some(json!({"company": long(1025)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let alice = sb.get(&format!("/api/systemusers/{ALICE}")).await;
    assert_ne!(alice.body["company"], long(1025));
    assert_eq!(sb.get("/api/systemusers").await.body["totalCount"], 4);
}
