//! Waiting on `Retry-After` over real HTTP, on tokio's paused clock: the waits are virtual, so
//! a 13-second rate limit takes no real time, and the test asserts virtual time only.

use crate::client_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use client_common::{oid, API_KEY};
use jcform::jumpcloud::{read_live, ApiError, ApiKey, Client, ClientConfig};
use serde_json::json;
use tokio::time::Instant;

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

fn client(url: &str, budget: Duration) -> Client {
    let mut cfg = ClientConfig::new(ApiKey::new(API_KEY));
    cfg.api_url = url.to_string();
    cfg.max_retries = 20;
    cfg.retry_budget = budget;
    Client::new(cfg).expect("client")
}

#[derive(Clone)]
struct Limited {
    /// Virtual time at which the server stops refusing.
    until: Instant,
    refused: Arc<AtomicUsize>,
}

/// One user, one group, nothing else; every request refused with 429 and an HTTP-date
/// `Retry-After` a second past the end of the window until the window ends.
async fn limited(State(s): State<Limited>, uri: axum::http::Uri) -> Response {
    let now = Instant::now();
    if now < s.until {
        s.refused.fetch_add(1, Ordering::Relaxed);
        // The date the window ends, on the wall clock: `SystemTime` does not move with the
        // paused clock, so "now + what is left of the window" is that date as the client sees it.
        let date =
            httpdate::fmt_http_date(SystemTime::now() + (s.until - now) + Duration::from_secs(1));
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", date)],
            Json(json!({"message": "Too Many Requests"})),
        )
            .into_response();
    }
    let total = |n: usize| [("x-total-count", n.to_string())];
    match uri.path() {
        "/api/systemusers" => Json(json!({"totalCount": 1,
            "results": [{"_id": oid(1, 0), "username": "tnguyen"}]}))
        .into_response(),
        "/api/v2/usergroups" => {
            (total(1), Json(json!([{"id": oid(2, 0), "name": "staff"}]))).into_response()
        }
        // v1 like users (issue 16 reads SSO applications).
        "/api/applications" => Json(json!({"totalCount": 0, "results": []})).into_response(),
        _ => (total(0), Json(json!([]))).into_response(),
    }
}

/// Field case 13: a server (or a gateway in front of it) answers 429 with an HTTP-date about
/// 13 s ahead for 12 s. The read waits until the date and succeeds.
#[tokio::test(start_paused = true)]
async fn an_http_date_retry_after_is_waited_for_and_the_read_succeeds() {
    let start = Instant::now();
    let state = Limited {
        until: start + Duration::from_secs(12),
        refused: Arc::new(AtomicUsize::new(0)),
    };
    let router = Router::new().fallback(limited).with_state(state.clone());
    let client = client(&serve(router).await, Duration::from_secs(300));
    let live = read_live(&client).await.expect("waits, then reads");
    assert_eq!(live.users.len(), 1);
    assert_eq!(live.groups.len(), 1);
    let refused = state.refused.load(Ordering::Relaxed);
    assert!(refused >= 1, "the server refused first");
    // Virtual time: the client waited until the date, not its own short backoff.
    assert!(
        Instant::now() - start >= Duration::from_secs(12),
        "waited {:?}",
        Instant::now() - start
    );
}

/// The same server, but the budget is shorter than the wait: the read fails at once, saying
/// what the server asked for.
#[tokio::test(start_paused = true)]
async fn a_wait_beyond_the_retry_budget_fails_with_the_servers_hint() {
    let state = Limited {
        until: Instant::now() + Duration::from_secs(12),
        refused: Arc::new(AtomicUsize::new(0)),
    };
    let router = Router::new().fallback(limited).with_state(state.clone());
    let client = client(&serve(router).await, Duration::from_secs(5));
    let err = read_live(&client).await.expect_err("13 s > 5 s budget");
    let shown = err.to_string();
    assert_eq!(err.status(), Some(429), "{shown}");
    assert!(shown.contains("the retry budget is 5 s"), "{shown}");
    assert!(
        shown.contains("the server's last hint: Retry-After: "),
        "{shown}"
    );
    // HTTP-dates have whole seconds: the date is 12 to 13 s ahead.
    assert!(
        shown.contains(" GMT (in 12 s)") || shown.contains(" GMT (in 13 s)"),
        "{shown}"
    );
}

/// Concurrent waits count once: four collections told to wait 10 s at the same moment spend
/// 10 s of the budget, not 40.
#[tokio::test(start_paused = true)]
async fn overlapping_waits_count_once_against_the_budget() {
    let state = Limited {
        until: Instant::now() + Duration::from_secs(9),
        refused: Arc::new(AtomicUsize::new(0)),
    };
    let router = Router::new().fallback(limited).with_state(state.clone());
    // Each refusal asks for ~10 s; the first four arrive together.
    let client = client(&serve(router).await, Duration::from_secs(15));
    read_live(&client)
        .await
        .expect("one shared 10 s wait fits a 15 s budget");
    assert!(
        state.refused.load(Ordering::Relaxed) >= 2,
        "several refused"
    );
}

/// A server that always says "wait 100 s": two waits fit a 250 s budget, the third does not.
#[tokio::test(start_paused = true)]
async fn the_budget_caps_the_total_wait() {
    let calls = Arc::new(AtomicUsize::new(0));
    let router = Router::new()
        .route(
            "/api/v2/usergroups/{id}",
            get(|State(calls): State<Arc<AtomicUsize>>| async move {
                calls.fetch_add(1, Ordering::Relaxed);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "100")],
                    "slow down",
                )
            }),
        )
        .with_state(calls.clone());
    let client = client(&serve(router).await, Duration::from_secs(250));
    let start = Instant::now();
    let err = client.get_group("g1").await.expect_err("never succeeds");
    assert_eq!(
        calls.load(Ordering::Relaxed),
        3,
        "two retries fit the budget"
    );
    assert_eq!(
        Instant::now() - start,
        Duration::from_secs(200),
        "virtual time"
    );
    let shown = err.to_string();
    assert!(
        shown.contains("gave up after waiting 200 s in all"),
        "{shown}"
    );
    assert!(
        shown.contains("the server's last hint: Retry-After: 100"),
        "{shown}"
    );
    assert!(matches!(err, ApiError::Status { status: 429, .. }));
}
