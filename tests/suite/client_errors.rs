//! Failure handling over real HTTP: error rendering, which requests are retried, and paging
//! that fails closed. Servers the emulator cannot imitate (one that ignores `skip`, one whose
//! total lies, one that fails a create after doing it) are small axum mocks here.

use crate::client_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use client_common::{client_for, OrgSpec, Sandbox, API_KEY};
use jcform::jumpcloud::{ApiError, ApiKey, Client, ClientConfig};
use serde_json::{json, Value};

/// Serves `router` on a free port; returns its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

fn users(range: std::ops::Range<usize>) -> Vec<Value> {
    range
        .map(|i| json!({"_id": client_common::oid(1, i), "username": format!("u{i}")}))
        .collect()
}

#[derive(serde::Deserialize)]
struct Paging {
    skip: Option<usize>,
    limit: Option<usize>,
}

#[tokio::test]
async fn api_errors_name_method_path_status_and_message() {
    let (state, _) = OrgSpec {
        users: 1,
        ..Default::default()
    }
    .build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let err = sandbox
        .client()
        .get_user("0000000000000000000000ff")
        .await
        .expect_err("no such user");
    assert_eq!(err.status(), Some(404));
    let shown = err.to_string();
    assert!(
        shown.starts_with("GET /api/systemusers/0000000000000000000000ff: HTTP 404: "),
        "{shown}"
    );

    let err = sandbox
        .client()
        .create_group(json!({"description": "no name"}))
        .await
        .expect_err("name required");
    assert_eq!(err.status(), Some(400), "{err}");
    assert!(
        err.to_string()
            .starts_with("POST /api/v2/usergroups: HTTP 400"),
        "{err}"
    );
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn the_api_key_never_appears_in_errors_or_debug() {
    let (state, _) = OrgSpec {
        users: 1,
        ..Default::default()
    }
    .build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let secret = "wrong-key-SECRET-9e8d7c";
    let client = client_for(&sandbox.emulator.base_url(), secret);
    let err = client.list_users().await.expect_err("unauthorised");
    assert_eq!(err.status(), Some(401));
    for shown in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        assert!(!shown.contains(secret), "key leaked: {shown}");
        assert!(!shown.contains(API_KEY), "key leaked: {shown}");
    }
    // A transport error (nothing listening) does not carry it either.
    let mut cfg = ClientConfig::new(ApiKey::new(secret));
    cfg.api_url = "http://127.0.0.1:9".into();
    cfg.max_retries = 1;
    let dead = Client::new(cfg).expect("client");
    let err = dead
        .get_user("x")
        .await
        .expect_err("nothing listens on port 9");
    assert!(matches!(err, ApiError::Transport { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(secret));
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn a_server_that_ignores_skip_fails_closed() {
    let hits = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/api/systemusers",
            get(|State(hits): State<Arc<AtomicUsize>>| async move {
                hits.fetch_add(1, Ordering::Relaxed);
                Json(json!({"totalCount": 250, "results": users(0..100)}))
            }),
        )
        .with_state(hits.clone());
    let client = client_for(&serve(router).await, API_KEY);
    let err = client
        .list_users()
        .await
        .expect_err("must not return partial data");
    let ApiError::Incomplete { collection, reason } = &err else {
        panic!("wrong error: {err}")
    };
    assert_eq!(collection, "users");
    assert!(reason.contains("skip"), "{reason}");
    assert!(
        hits.load(Ordering::Relaxed) <= 12,
        "gives up after a few attempts"
    );
}

#[tokio::test]
async fn a_total_the_rows_never_reach_fails_closed() {
    // Pages honour skip but the data ends at 150 while the total claims 180.
    let router = Router::new().route(
        "/api/v2/usergroups",
        get(|Query(p): Query<Paging>| async move {
            let (skip, limit) = (p.skip.unwrap_or(0), p.limit.unwrap_or(10));
            let rows: Vec<Value> = (skip..(skip + limit).min(150))
                .map(|i| json!({"id": client_common::oid(2, i), "name": format!("g{i}")}))
                .collect();
            let mut headers = HeaderMap::new();
            headers.insert("x-total-count", HeaderValue::from(180));
            (headers, Json(rows))
        }),
    );
    let client = client_for(&serve(router).await, API_KEY);
    let err = client
        .list_groups()
        .await
        .expect_err("must not return 150 of 180");
    assert!(
        matches!(&err, ApiError::Incomplete { collection, .. } if collection == "user groups"),
        "{err}"
    );
    assert!(err.to_string().contains("180"), "{err}");
}

#[tokio::test]
async fn a_row_deleted_mid_read_is_caught_by_the_page_seam() {
    // After the first page, row 5 disappears: every later row shifts back by one. A reader
    // without the overlap would silently miss row 100.
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/api/systemusers",
            get(
                |State(calls): State<Arc<AtomicUsize>>, Query(p): Query<Paging>| async move {
                    let n = calls.fetch_add(1, Ordering::Relaxed);
                    let mut all = users(0..250);
                    if n >= 1 {
                        all.remove(5);
                    }
                    let (skip, limit) = (p.skip.unwrap_or(0), p.limit.unwrap_or(10));
                    let total = all.len();
                    let page: Vec<Value> = all.into_iter().skip(skip).take(limit).collect();
                    Json(json!({"totalCount": total, "results": page}))
                },
            ),
        )
        .with_state(calls.clone());
    let client = client_for(&serve(router).await, API_KEY);
    let rows = client
        .list_users()
        .await
        .expect("a restart reads the new state completely");
    assert_eq!(rows.len(), 249);
    assert!(
        rows.iter().any(|r| r.wire.id == client_common::oid(1, 100)),
        "row 100 not missed"
    );
    assert!(
        !rows.iter().any(|r| r.wire.id == client_common::oid(1, 5)),
        "the deleted row is gone"
    );
}

#[tokio::test]
async fn reads_retry_5xx_and_honour_retry_after() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/api/v2/usergroups/{id}",
            get(|State(calls): State<Arc<AtomicUsize>>| async move {
                match calls.fetch_add(1, Ordering::Relaxed) {
                    0 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    1 => (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "1")],
                        "slow down",
                    )
                        .into_response(),
                    _ => Json(json!({"id": "g1", "name": "ops"})).into_response(),
                }
            }),
        )
        .with_state(calls.clone());
    let client = client_for(&serve(router).await, API_KEY);
    let group = client
        .get_group("g1")
        .await
        .expect("third attempt succeeds");
    assert_eq!(group.wire.name, "ops");
    assert_eq!(client.request_count(), 3);
}

#[tokio::test]
async fn a_create_that_fails_with_500_is_ambiguous_and_not_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/api/systemusers",
            post(|State(calls): State<Arc<AtomicUsize>>| async move {
                calls.fetch_add(1, Ordering::Relaxed);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({"code": 500, "message": "boom"})),
                )
            }),
        )
        .with_state(calls.clone());
    let client = client_for(&serve(router).await, API_KEY);
    let err = client
        .create_user(json!({"username": "a", "email": "a@example.com"}))
        .await
        .expect_err("500");
    assert!(err.is_ambiguous(), "{err:?}");
    assert!(err.to_string().contains("read the object back"), "{err}");
    assert_eq!(
        calls.load(Ordering::Relaxed),
        1,
        "a create is never blindly repeated"
    );
}

#[tokio::test]
async fn a_create_refused_with_429_or_503_is_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/api/v2/usergroups",
            post(
                |State(calls): State<Arc<AtomicUsize>>, Json(body): Json<Value>| async move {
                    match calls.fetch_add(1, Ordering::Relaxed) {
                        0 => {
                            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")]).into_response()
                        }
                        1 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
                        _ => (
                            StatusCode::CREATED,
                            Json(json!({"id": "g9", "name": body["name"]})),
                        )
                            .into_response(),
                    }
                },
            ),
        )
        .with_state(calls.clone());
    let client = client_for(&serve(router).await, API_KEY);
    let group = client
        .create_group(json!({"name": "ops"}))
        .await
        .expect("created on the third try");
    assert_eq!(group.wire.id, "g9");
    assert_eq!(calls.load(Ordering::Relaxed), 3);
}

#[tokio::test]
async fn a_delete_whose_first_attempt_failed_treats_404_as_done() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/api/v2/usergroups/{id}",
            delete(|State(calls): State<Arc<AtomicUsize>>| async move {
                // The first attempt deletes, then fails; the retry finds nothing.
                match calls.fetch_add(1, Ordering::Relaxed) {
                    0 => StatusCode::BAD_GATEWAY,
                    _ => StatusCode::NOT_FOUND,
                }
            }),
        )
        .with_state(calls.clone());
    let client = client_for(&serve(router).await, API_KEY);
    client
        .delete_group("g1")
        .await
        .expect("already deleted counts as done");
    assert_eq!(calls.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn unparseable_error_bodies_are_shown_as_a_snippet() {
    let router = Router::new().route(
        "/api/v2/activedirectories/{id}",
        get(|| async {
            let page = format!(
                "<html><body><h1>403 Forbidden</h1>{}</body></html>",
                " pad".repeat(200)
            );
            (StatusCode::FORBIDDEN, page).into_response()
        }),
    );
    let client = client_for(&serve(router).await, API_KEY);
    let err = client
        .get_ad("ad1")
        .await
        .expect_err("403 must be an error");
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            "GET /api/v2/activedirectories/ad1: HTTP 403: <html><body><h1>403 Forbidden"
        ),
        "{shown}"
    );
    assert!(shown.len() < 400, "trimmed: {shown}");
}

#[tokio::test]
async fn a_create_with_an_unreadable_success_body_is_ambiguous() {
    let router = Router::new().route(
        "/api/v2/activedirectories",
        post(|| async { (StatusCode::CREATED, "<html>proxy</html>") }),
    );
    let client = client_for(&serve(router).await, API_KEY);
    let err = client
        .create_ad("DC=corp;DC=example", json!({}))
        .await
        .expect_err("no id to return");
    assert!(err.is_ambiguous(), "{err:?}");
}

/// Users `0..real` served honestly page by page, with `total(call)` as `totalCount`.
fn lying_users(real: usize, total: fn(usize, usize) -> usize) -> (Router, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/api/systemusers",
            get(
                move |State(calls): State<Arc<AtomicUsize>>, Query(p): Query<Paging>| async move {
                    let n = calls.fetch_add(1, Ordering::Relaxed);
                    let (skip, limit) = (p.skip.unwrap_or(0), p.limit.unwrap_or(10));
                    let rows = users(skip.min(real)..(skip + limit).min(real));
                    Json(json!({"totalCount": total(n, skip), "results": rows}))
                },
            ),
        )
        .with_state(calls.clone());
    (router, calls)
}

#[tokio::test]
async fn a_total_of_exactly_one_page_while_more_rows_exist_fails_closed() {
    // The field report: `totalCount: 100` for 300 users gave a 100-user snapshot and exit 0.
    let (router, calls) = lying_users(300, |_, _| 100);
    let client = client_for(&serve(router).await, API_KEY);
    let err = client.list_users().await.expect_err("not 100 of 300");
    let shown = err.to_string();
    assert!(
        shown.starts_with("could not read users completely"),
        "{shown}"
    );
    assert!(shown.contains("reported 100 rows"), "{shown}");
    // Bounded by the total plus a margin, read twice: a handful of pages.
    assert!(
        calls.load(Ordering::Relaxed) <= 8,
        "{}",
        calls.load(Ordering::Relaxed)
    );
}

#[tokio::test]
async fn a_total_that_keeps_growing_ends_in_an_error_not_an_endless_read() {
    // Used to read for ever: every page full, every total 200 ahead.
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/api/systemusers",
            get(
                |State(calls): State<Arc<AtomicUsize>>, Query(p): Query<Paging>| async move {
                    calls.fetch_add(1, Ordering::Relaxed);
                    let (skip, limit) = (p.skip.unwrap_or(0), p.limit.unwrap_or(10));
                    Json(json!({"totalCount": skip + 200, "results": users(skip..skip + limit)}))
                },
            ),
        )
        .with_state(calls.clone());
    let client = client_for(&serve(router).await, API_KEY);
    let err = client.list_users().await.expect_err("endless");
    assert!(err.to_string().contains("keeps growing"), "{err}");
    assert!(
        calls.load(Ordering::Relaxed) <= 8,
        "{}",
        calls.load(Ordering::Relaxed)
    );
}

#[tokio::test]
async fn without_a_total_full_pages_stop_at_the_page_bound() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/api/v2/usergroups",
            get(
                |State(calls): State<Arc<AtomicUsize>>, Query(p): Query<Paging>| async move {
                    calls.fetch_add(1, Ordering::Relaxed);
                    let (skip, limit) = (p.skip.unwrap_or(0), p.limit.unwrap_or(10));
                    let rows: Vec<Value> = (skip..skip + limit)
                        .map(|i| json!({"id": client_common::oid(2, i), "name": format!("g{i}")}))
                        .collect();
                    Json(rows)
                },
            ),
        )
        .with_state(calls.clone());
    let mut cfg = ClientConfig::new(ApiKey::new(API_KEY));
    cfg.api_url = serve(router).await;
    cfg.max_pages = 7;
    let client = Client::new(cfg).expect("client");
    let err = client.list_groups().await.expect_err("no end in sight");
    let shown = err.to_string();
    assert!(
        shown.contains("could not read user groups completely"),
        "{shown}"
    );
    assert!(shown.contains("read 7 pages"), "{shown}");
    assert_eq!(calls.load(Ordering::Relaxed), 14, "7 pages, read twice");
}

#[tokio::test]
async fn without_a_total_a_short_page_ends_the_list() {
    // A v2 list may come without x-total-count: the short page is the end.
    let router = Router::new().route(
        "/api/v2/usergroups",
        get(|Query(p): Query<Paging>| async move {
            let (skip, limit) = (p.skip.unwrap_or(0), p.limit.unwrap_or(10));
            let rows: Vec<Value> = (skip..(skip + limit).min(150))
                .map(|i| json!({"id": client_common::oid(2, i), "name": format!("g{i}")}))
                .collect();
            Json(rows)
        }),
    );
    let client = client_for(&serve(router).await, API_KEY);
    let groups = client.list_groups().await.expect("complete");
    assert_eq!(groups.len(), 150);
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn exactly_one_full_page_needs_a_second_request_to_see_the_end() {
    let (router, calls) = lying_users(100, |_, _| 100);
    let client = client_for(&serve(router).await, API_KEY);
    assert_eq!(client.list_users().await.expect("complete").len(), 100);
    assert_eq!(
        calls.load(Ordering::Relaxed),
        2,
        "the short page is the proof of the end"
    );
}

#[tokio::test]
async fn rows_with_missing_or_empty_natural_keys_fail_the_read_naming_the_row() {
    for (bad, expect) in [
        (
            json!({"_id": client_common::oid(1, 7)}),
            "missing field `username`",
        ),
        (
            json!({"_id": client_common::oid(1, 7), "username": ""}),
            "has an empty username",
        ),
        (
            json!({"_id": client_common::oid(1, 7), "username": null}),
            "invalid type: null",
        ),
        (
            json!({"_id": client_common::oid(1, 7), "username": "x", "email": 5}),
            "invalid type",
        ),
    ] {
        let router = Router::new().route(
            "/api/systemusers",
            get(move || {
                let bad = bad.clone();
                async move {
                    let mut rows = users(0..3);
                    rows.push(bad);
                    Json(json!({"totalCount": 4, "results": rows}))
                }
            }),
        );
        let client = client_for(&serve(router).await, API_KEY);
        let err = client.list_users().await.expect_err("bad row");
        let shown = err.to_string();
        assert!(shown.contains(&client_common::oid(1, 7)), "{shown}");
        assert!(shown.contains(expect), "{shown}");
    }
}

#[tokio::test]
async fn case_only_duplicate_names_are_read_as_they_are() {
    // `mlopez` and `MLopez`, two groups `vpn`/`VPN`: not a read error (the plan refuses to act
    // on them when the files name them). Exact duplicate ids are.
    let router = Router::new()
        .route(
            "/api/systemusers",
            get(|| async {
                Json(json!({"totalCount": 2, "results": [
                    {"_id": client_common::oid(1, 1), "username": "mlopez", "email": "m@example.com"},
                    {"_id": client_common::oid(1, 2), "username": "MLopez", "email": "M@example.com"}
                ]}))
            }),
        )
        .route(
            "/api/v2/usergroups",
            get(|| async {
                let g = |n: usize, name: &str| json!({"id": client_common::oid(2, n), "name": name});
                Json(json!([g(1, "vpn"), g(2, "VPN")]))
            }),
        );
    let client = client_for(&serve(router).await, API_KEY);
    assert_eq!(client.list_users().await.expect("read").len(), 2);
    assert_eq!(client.list_groups().await.expect("read").len(), 2);
}
