//! A hostile API: one small in-test HTTP server per case, misbehaving one way, and the real
//! binary (`snapshot`, `plan`, `apply`) pointed at it with `--api-url`. Every case must end in
//! bounded time (each command runs under a kill timeout) with exit 1 and a message naming the
//! cause; no plan file from a partial read, no write request after a bad read, and neither the
//! API key nor a password in any output or journal.
//!
//! The server is raw HTTP/1.1 over a tokio `TcpListener` on 127.0.0.1:0 (one request per
//! connection, `Connection: close`) so it can also stall, reset a connection, or send a
//! truncated body, which a framework would not let it do. The limits are set small through
//! the environment (`JCFORM_HTTP_TIMEOUT`, `JCFORM_READ_DEADLINE`, `JCFORM_RETRY_BUDGET`,
//! `JCFORM_MAX_PAGES`) so the whole file runs in a few seconds.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const KEY: &str = "hostile-KEY-7c1e55d0a9";
const PASSWORD: &str = "N3w-Passw0rd!hostile";
/// Kills a command that runs longer than this: the bound every case must stay within.
const KILL_AFTER: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// The server

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    body: String,
}

impl Req {
    fn skip(&self) -> usize {
        self.query
            .get("skip")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    fn limit(&self) -> usize {
        self.query
            .get("limit")
            .and_then(|s| s.parse().ok())
            .unwrap_or(10)
    }

    fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }
}

/// What the server does with a request.
enum Reply {
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Never answers (the connection stays open until the test ends).
    Stall,
    /// Closes the connection with a TCP reset before answering.
    Reset,
    /// Writes these bytes, then closes.
    Raw(Vec<u8>),
}

fn json_reply(status: u16, body: &Value) -> Reply {
    Reply::Http {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

fn with_header(reply: Reply, name: &str, value: &str) -> Reply {
    match reply {
        Reply::Http {
            status,
            mut headers,
            body,
        } => {
            headers.push((name.into(), value.into()));
            Reply::Http {
                status,
                headers,
                body,
            }
        }
        other => other,
    }
}

type Handler = Arc<dyn Fn(&Req) -> Reply + Send + Sync>;

/// A running server: its base URL and every request it received.
struct Server {
    url: String,
    log: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    async fn start(handler: Handler) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let _ = serve_one(stream, handler, seen).await;
                });
            }
        });
        Server { url, log }
    }

    fn requests(&self) -> Vec<Req> {
        self.log.lock().expect("log").clone()
    }

    /// Requests other than reads: anything but GET.
    fn writes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

async fn serve_one(
    mut stream: TcpStream,
    handler: Handler,
    log: Arc<Mutex<Vec<Req>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 1 << 20 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("").to_string();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q),
        None => (target.clone(), ""),
    };
    let query = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let req = Req {
        method,
        path,
        query,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    };
    log.lock().expect("log").push(req.clone());
    match handler(&req) {
        Reply::Http {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} Whatever\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            stream.write_all(out.as_bytes()).await?;
            stream.write_all(&body).await?;
            stream.shutdown().await?;
        }
        Reply::Stall => {
            tokio::time::sleep(Duration::from_secs(120)).await;
        }
        Reply::Reset => {
            // Deprecated because a linger blocks the thread on drop while data is unsent;
            // nothing is unsent here, and a zero linger is how a test makes a TCP reset.
            #[allow(deprecated)]
            stream.set_linger(Some(Duration::ZERO))?;
            drop(stream);
        }
        Reply::Raw(bytes) => {
            stream.write_all(&bytes).await?;
            stream.shutdown().await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A small, well-behaved org: the default answer of every case

fn oid(kind: u8, n: usize) -> String {
    format!("{kind:02x}{n:022x}")
}

fn user(n: usize) -> Value {
    let name = match n {
        0 => "alice".to_string(),
        n => format!("user{n:04}"),
    };
    json!({"_id": oid(1, n), "username": name, "email": format!("{name}@example.com"),
           "state": "ACTIVATED", "password_date": "2026-01-05T10:00:00Z"})
}

fn users(n: usize) -> Vec<Value> {
    (0..n).map(user).collect()
}

fn page(rows: &[Value], req: &Req) -> Vec<Value> {
    rows.iter()
        .skip(req.skip())
        .take(req.limit())
        .cloned()
        .collect()
}

/// `{totalCount, results}` for one page of `rows`.
fn v1_page(rows: &[Value], req: &Req) -> Reply {
    json_reply(
        200,
        &json!({"totalCount": rows.len(), "results": page(rows, req)}),
    )
}

/// A bare array page with `x-total-count`.
fn v2_page(rows: &[Value], req: &Req) -> Reply {
    with_header(
        json_reply(200, &Value::Array(page(rows, req))),
        "x-total-count",
        &rows.len().to_string(),
    )
}

/// Alice and one group, `staff`, with her in it; no directories. Writes succeed.
fn org(req: &Req) -> Reply {
    let group = json!({"id": oid(2, 0), "name": "staff"});
    let bob = json!({"_id": oid(1, 900), "username": "bob", "email": "bob@example.com",
                     "state": "ACTIVATED"});
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/api/systemusers") => v1_page(&users(1), req),
        ("GET", "/api/v2/usergroups") => v2_page(&[group], req),
        ("GET", p) if p.ends_with("/members") => {
            v2_page(&[json!({"to": {"id": oid(1, 0), "type": "user"}})], req)
        }
        ("GET", p) if p.starts_with("/api/systemusers/") => json_reply(200, &bob),
        // v1 like users: `{totalCount, results}` (issue 16 reads SSO applications).
        ("GET", "/api/applications") => v1_page(&[], req),
        ("GET", _) => v2_page(&[], req),
        ("POST", "/api/systemusers") => json_reply(200, &bob),
        _ => json_reply(200, &json!({})),
    }
}

/// `org`, except for reads of the users list, which `hostile` answers.
fn users_hostile(hostile: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> Handler {
    Arc::new(move |req: &Req| {
        if req.is("GET", "/api/systemusers") {
            hostile(req)
        } else {
            org(req)
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Running the binary

/// The files: alice (in the org) and bob (new, with an initial password from the env).
fn config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("org.yaml"),
        "version: 1\nsettings:\n  manage: {users: full, groups: full, memberships: full}\n\
         users:\n  alice: {email: alice@example.com}\n  \
         bob: {email: bob@example.com, initial_password: {env: NEW_PW}}\n\
         groups:\n  staff: {members: [alice, bob]}\n",
    )
    .expect("write config");
    dir
}

/// What one command did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    out: String,
}

/// Runs `jcform <args> --api-url <url>` with small limits, off the async runtime, killed after
/// `KILL_AFTER`. `env` overrides the limits.
async fn jcform(args: Vec<String>, url: &str, env: &[(&str, &str)]) -> Run {
    let url = url.to_string();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = Command::cargo_bin("jcform").expect("binary");
        cmd.args(&args)
            .arg("--api-url")
            .arg(&url)
            .env_clear()
            .env("JC_API_KEY", KEY)
            .env("NEW_PW", PASSWORD)
            .env("NO_COLOR", "1")
            .env("JCFORM_HTTP_TIMEOUT", "0.5")
            .env("JCFORM_READ_DEADLINE", "5")
            .env("JCFORM_RETRY_BUDGET", "0.3")
            .env("JCFORM_MAX_PAGES", "50")
            .timeout(KILL_AFTER);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let output = cmd.output().expect("runs");
        Run {
            code: output.status.code(),
            out: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    })
    .await
    .expect("join")
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Snapshot, plan and apply against `handler`'s server; each must fail with exit 1 and a message
/// containing every one of `causes`, write no file, send no write, and leak no secret.
async fn fails_closed(handler: Handler, causes: &[&str], env: &[(&str, &str)]) {
    let server = Server::start(handler).await;
    let cfg = config_dir();
    let work = tempfile::tempdir().expect("temp dir");
    let snap = work.path().join("snap.json");
    let plan = work.path().join("plan.json");
    let journal = work.path().join("journal.jsonl");
    let runs = [
        (
            "snapshot",
            vec!["snapshot".into(), "--out".into(), s(&snap)],
        ),
        (
            "plan",
            vec!["plan".into(), s(cfg.path()), "--out".into(), s(&plan)],
        ),
        (
            "apply",
            vec![
                "apply".into(),
                s(cfg.path()),
                "--auto-approve".into(),
                "--journal".into(),
                s(&journal),
            ],
        ),
    ];
    for (name, args) in runs {
        let run = jcform(args, &server.url, env).await;
        assert_eq!(run.code, Some(1), "{name} must exit 1:\n{}", run.out);
        let error = run
            .out
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("");
        println!("{name}: exit 1: {error}");
        for cause in causes {
            assert!(
                run.out.contains(cause),
                "{name}: the message must name the cause {cause:?}:\n{}",
                run.out
            );
        }
        assert!(
            !run.out.contains(KEY),
            "{name} leaked the API key:\n{}",
            run.out
        );
        assert!(
            !run.out.contains(PASSWORD),
            "{name} leaked the password:\n{}",
            run.out
        );
        assert!(
            !run.out.contains("user.bob"),
            "{name} printed a plan from a bad read:\n{}",
            run.out
        );
    }
    assert!(!snap.exists(), "no snapshot from a bad read");
    assert!(!plan.exists(), "no plan file from a bad read");
    if let Ok(text) = std::fs::read_to_string(&journal) {
        assert!(!text.contains(PASSWORD) && !text.contains(KEY), "{text}");
    }
    assert_eq!(
        server.writes(),
        Vec::<String>::new(),
        "no write after a bad read"
    );
    println!("{causes:?}: {} requests", server.requests().len());
}

// ---------------------------------------------------------------------------------------------
// Control: the harness can succeed

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_a_well_behaved_server_is_read_planned_and_applied() {
    let server = Server::start(Arc::new(org)).await;
    let cfg = config_dir();
    let work = tempfile::tempdir().expect("temp dir");
    let snap = work.path().join("snap.json");
    let run = jcform(
        vec!["snapshot".into(), "--out".into(), s(&snap)],
        &server.url,
        &[],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.out);
    let plan = jcform(vec!["plan".into(), s(cfg.path())], &server.url, &[]).await;
    assert_eq!(plan.code, Some(0), "{}", plan.out);
    assert!(plan.out.contains("user.bob"), "{}", plan.out);
    let journal = work.path().join("journal.jsonl");
    let apply = jcform(
        vec![
            "apply".into(),
            s(cfg.path()),
            "--auto-approve".into(),
            "--journal".into(),
            s(&journal),
        ],
        &server.url,
        &[],
    )
    .await;
    assert_eq!(apply.code, Some(0), "{}", apply.out);
    let creates: Vec<Req> = server
        .requests()
        .into_iter()
        .filter(|r| r.is("POST", "/api/systemusers"))
        .collect();
    assert_eq!(creates.len(), 1, "bob is created once");
    assert_eq!(
        creates[0].headers.get("x-api-key").map(String::as_str),
        Some(KEY)
    );
    for text in [
        apply.out,
        std::fs::read_to_string(&journal).unwrap_or_default(),
    ] {
        assert!(!text.contains(PASSWORD) && !text.contains(KEY), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Bodies that break the schema

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json() {
    let handler = users_hostile(|_| Reply::Http {
        status: 200,
        headers: vec![],
        body: br#"{"totalCount": 1, "results": [{"_id": "0100000000000000000000"#.to_vec(),
    });
    fails_closed(handler, &["GET /api/systemusers", "invalid JSON"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_with_a_wrong_type() {
    let handler = users_hostile(|req| {
        let mut rows = users(3);
        rows[1]["username"] = json!(42);
        v1_page(&rows, req)
    });
    let id = oid(1, 1);
    fails_closed(
        handler,
        &[
            "could not read users completely",
            &id,
            "invalid type: integer `42`",
        ],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_without_an_id() {
    let handler = users_hostile(|req| {
        let mut rows = users(3);
        rows[2].as_object_mut().expect("object").remove("_id");
        v1_page(&rows, req)
    });
    fails_closed(
        handler,
        &["could not read users completely", "row 3 has no id"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_without_a_username_is_not_a_user_named_empty() {
    // Field case 16: the row is named by its id and the missing field.
    let handler = users_hostile(|req| {
        let mut rows = users(3);
        rows[1].as_object_mut().expect("object").remove("username");
        v1_page(&rows, req)
    });
    let id = oid(1, 1);
    fails_closed(handler, &[&id, "missing field `username`"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_with_an_empty_name() {
    let handler: Handler = Arc::new(|req: &Req| {
        if req.is("GET", "/api/v2/usergroups") {
            v2_page(&[json!({"id": oid(2, 0), "name": "  "})], req)
        } else {
            org(req)
        }
    });
    fails_closed(
        handler,
        &["could not read user groups completely", "has an empty name"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_id_twice_in_one_page() {
    let handler = users_hostile(|req| {
        let mut rows = users(3);
        rows[2]["_id"] = json!(oid(1, 0));
        rows[2]["username"] = json!("mallory");
        v1_page(&rows, req)
    });
    fails_closed(
        handler,
        &["could not read users completely", "came back twice"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_utf8() {
    // Replacing the bad byte would turn a username into another one: refused instead.
    let handler = users_hostile(|_| Reply::Http {
        status: 200,
        headers: vec![],
        body: b"{\"totalCount\": 1, \"results\": [{\"_id\": \"01\", \"username\": \"al\xffce\"}]}"
            .to_vec(),
    });
    fails_closed(handler, &["GET /api/systemusers", "not UTF-8"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page_instead_of_json() {
    let handler = users_hostile(|_| Reply::Http {
        status: 200,
        headers: vec![("content-type".into(), "text/html".into())],
        body: b"<html><body>Sign in to continue</body></html>".to_vec(),
    });
    fails_closed(handler, &["GET /api/systemusers", "invalid JSON"], &[]).await;
}

// ---------------------------------------------------------------------------------------------
// Paging that lies

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_rows_across_pages() {
    // Page two repeats a row of page one after the seam.
    let handler = users_hostile(|req| {
        let rows = users(250);
        let mut p = page(&rows, req);
        if req.skip() > 0 && p.len() > 5 {
            p[5] = rows[3].clone();
        }
        json_reply(200, &json!({"totalCount": 250, "results": p}))
    });
    fails_closed(
        handler,
        &["could not read users completely", "came back twice"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_ignores_skip() {
    let handler = users_hostile(|req| {
        let rows = users(250);
        json_reply(
            200,
            &json!({"totalCount": 250, "results": rows[..req.limit().min(250)]}),
        )
    });
    fails_closed(
        handler,
        &["could not read users completely", "ignores skip"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_that_lies_low() {
    // The field report: totalCount 100 for 300 users used to end in a 100-user snapshot.
    let handler = users_hostile(|req| {
        let rows = users(300);
        json_reply(
            200,
            &json!({"totalCount": 100, "results": page(&rows, req)}),
        )
    });
    fails_closed(
        handler,
        &["could not read users completely", "reported 100 rows"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_that_lies_low_and_ends_within_the_margin() {
    let handler = users_hostile(|req| {
        let rows = users(150);
        json_reply(
            200,
            &json!({"totalCount": 100, "results": page(&rows, req)}),
        )
    });
    fails_closed(
        handler,
        &[
            "could not read users completely",
            "read 150 rows to the end of the list but the server reports 100",
        ],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_that_lies_high() {
    let handler = users_hostile(|req| {
        let rows = users(150);
        json_reply(
            200,
            &json!({"totalCount": 400, "results": page(&rows, req)}),
        )
    });
    fails_closed(
        handler,
        &[
            "could not read users completely",
            "reports 400 rows but returned no more after 150",
        ],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_that_changes_on_every_page() {
    let calls = Arc::new(AtomicUsize::new(0));
    let handler = users_hostile(move |req| {
        let n = calls.fetch_add(1, Ordering::Relaxed);
        let rows = users(150);
        json_reply(
            200,
            &json!({"totalCount": 150 + (n % 7) + 1, "results": page(&rows, req)}),
        )
    });
    fails_closed(
        handler,
        &["could not read users completely", "the server reports"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_that_keeps_growing_with_endless_pages() {
    // Used to read for ever (2,600 requests and counting). Bounded by the first total + margin.
    let handler = users_hostile(|req| {
        let rows: Vec<Value> = (req.skip()..req.skip() + req.limit()).map(user).collect();
        json_reply(
            200,
            &json!({"totalCount": req.skip() + 2 * req.limit(), "results": rows}),
        )
    });
    fails_closed(
        handler,
        &["could not read users completely", "keeps growing"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_pages_without_a_total() {
    // A v2 list with no x-total-count and no end: stopped by the page bound.
    let handler: Handler = Arc::new(|req: &Req| {
        if req.is("GET", "/api/v2/usergroups") {
            let rows: Vec<Value> = (req.skip()..req.skip() + req.limit())
                .map(|i| json!({"id": oid(2, i), "name": format!("g{i}")}))
                .collect();
            json_reply(200, &Value::Array(rows))
        } else {
            org(req)
        }
    });
    fails_closed(
        handler,
        &[
            "could not read user groups completely",
            "read 20 pages",
            "JCFORM_MAX_PAGES",
        ],
        &[("JCFORM_MAX_PAGES", "20")],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_total() {
    let handler: Handler = Arc::new(|req: &Req| {
        if req.is("GET", "/api/v2/usergroups") {
            with_header(json_reply(200, &json!([])), "x-total-count", "-3")
        } else {
            org(req)
        }
    });
    fails_closed(
        handler,
        &["GET /api/v2/usergroups", "x-total-count \"-3\""],
        &[],
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Time: stalls, rate limits, server errors

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_past_the_request_timeout() {
    let handler = users_hostile(|_| Reply::Stall);
    fails_closed(
        handler,
        &["GET /api/systemusers", "timed out", "JCFORM_HTTP_TIMEOUT"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_past_the_read_deadline() {
    // Each request may take 20 s, but the whole read only 1 s.
    let handler = users_hostile(|_| Reply::Stall);
    fails_closed(
        handler,
        &[
            "could not read the org completely",
            "within 1 s",
            "JCFORM_READ_DEADLINE",
        ],
        &[("JCFORM_HTTP_TIMEOUT", "20"), ("JCFORM_READ_DEADLINE", "1")],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_with_delta_seconds() {
    let handler = users_hostile(|_| {
        with_header(
            json_reply(429, &json!({"message": "Too Many Requests"})),
            "retry-after",
            "5",
        )
    });
    fails_closed(
        handler,
        &[
            "HTTP 429",
            "JCFORM_RETRY_BUDGET",
            "the server's last hint: Retry-After: 5",
        ],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_with_an_http_date() {
    let handler = users_hostile(|_| {
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        with_header(
            json_reply(429, &json!({"message": "Too Many Requests"})),
            "retry-after",
            &date,
        )
    });
    fails_closed(
        handler,
        &[
            "HTTP 429",
            "the server's last hint: Retry-After: ",
            " GMT (in ",
        ],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_an_absurd_retry_after() {
    // `1e308` used to panic converting to a Duration; it is not delta-seconds at all.
    let handler =
        users_hostile(|_| with_header(json_reply(429, &json!({})), "retry-after", "1e308"));
    fails_closed(
        handler,
        &["HTTP 429", "Retry-After: 1e308 (not understood)"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_asking_for_longer_than_jcform_waits() {
    let handler = users_hostile(|_| {
        with_header(
            json_reply(429, &json!({})),
            "retry-after",
            "99999999999999999999999",
        )
    });
    fails_closed(
        handler,
        &["HTTP 429", "later than jcform waits for one retry (120 s)"],
        &[("JCFORM_RETRY_BUDGET", "600")],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_storm() {
    let handler = users_hostile(|_| json_reply(503, &json!({"message": "upstream down"})));
    fails_closed(
        handler,
        &[
            "HTTP 503: upstream down",
            "gave up",
            "the server sent no Retry-After",
        ],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_502_html_error_page() {
    let handler = users_hostile(|_| Reply::Http {
        status: 502,
        headers: vec![("content-type".into(), "text/html".into())],
        body: b"<html><head><title>502 Bad Gateway</title></head></html>".to_vec(),
    });
    fails_closed(
        handler,
        &["HTTP 502: <html><head><title>502 Bad Gateway"],
        &[],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_that_echoes_the_key() {
    let handler = users_hostile(|req| {
        let key = req.headers.get("x-api-key").cloned().unwrap_or_default();
        json_reply(401, &json!({"message": format!("invalid api key {key}")}))
    });
    fails_closed(handler, &["HTTP 401: invalid api key ***"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403() {
    let handler = users_hostile(|_| json_reply(403, &json!({"error": "Forbidden"})));
    fails_closed(handler, &["GET /api/systemusers: HTTP 403: Forbidden"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_resets() {
    let handler = users_hostile(|_| Reply::Reset);
    fails_closed(handler, &["GET /api/systemusers", "gave up"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_short() {
    // The headers promise 500 bytes; the connection closes after 20.
    let handler = users_hostile(|_| {
        Reply::Raw(
            b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n{\"totalCount\": 1, \"r".to_vec(),
        )
    });
    fails_closed(handler, &["GET /api/systemusers"], &[]).await;
}

// ---------------------------------------------------------------------------------------------
// Redirects and echoes: the key and the password stay home

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_on_a_read() {
    let other = Server::start(Arc::new(org)).await;
    let target = format!("{}/api/systemusers", other.url);
    let handler = users_hostile(move |_| Reply::Http {
        status: 307,
        headers: vec![("location".into(), target.clone())],
        body: Vec::new(),
    });
    fails_closed(
        handler,
        &[
            "HTTP 307",
            &format!("redirects to {}", other.url),
            "does not follow redirects",
        ],
        &[],
    )
    .await;
    assert!(other.requests().is_empty(), "the other host got nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_on_a_create() {
    // The read is fine; creating bob (with his password in the body) is redirected.
    let other = Server::start(Arc::new(org)).await;
    let target = format!("{}/api/systemusers", other.url);
    let server = Server::start(Arc::new(move |req: &Req| {
        if req.is("POST", "/api/systemusers") {
            Reply::Http {
                status: 307,
                headers: vec![("location".into(), target.clone())],
                body: Vec::new(),
            }
        } else {
            org(req)
        }
    }))
    .await;
    let cfg = config_dir();
    let work = tempfile::tempdir().expect("temp dir");
    let journal = work.path().join("journal.jsonl");
    let run = jcform(
        vec![
            "apply".into(),
            s(cfg.path()),
            "--auto-approve".into(),
            "--journal".into(),
            s(&journal),
        ],
        &server.url,
        &[],
    )
    .await;
    assert_eq!(run.code, Some(1), "{}", run.out);
    assert!(
        run.out.contains(&format!("redirects to {}", other.url)),
        "{}",
        run.out
    );
    assert!(other.requests().is_empty(), "the other host got nothing");
    let creates = server
        .requests()
        .into_iter()
        .filter(|r| r.is("POST", "/api/systemusers"))
        .count();
    assert_eq!(creates, 1, "a redirected create is not re-sent");
    let journal = std::fs::read_to_string(&journal).unwrap_or_default();
    for text in [&run.out, &journal] {
        assert!(!text.contains(PASSWORD) && !text.contains(KEY), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_that_quotes_the_password_back() {
    // The server echoes the whole request body (and the key) in its error.
    let server = Server::start(Arc::new(|req: &Req| {
        let is_password_write = req.method == "POST"
            && (req.path == "/api/systemusers" || req.path.ends_with("/password"));
        if is_password_write {
            let key = req.headers.get("x-api-key").cloned().unwrap_or_default();
            json_reply(
                400,
                &json!({"message": format!("bad request {} (key {key})", req.body),
                        "status": "INVALID_ARGUMENT"}),
            )
        } else {
            org(req)
        }
    }))
    .await;
    let cfg = config_dir();
    let work = tempfile::tempdir().expect("temp dir");
    let journal = work.path().join("journal.jsonl");
    let run = jcform(
        vec![
            "apply".into(),
            s(cfg.path()),
            "--auto-approve".into(),
            "--journal".into(),
            s(&journal),
        ],
        &server.url,
        &[],
    )
    .await;
    assert_eq!(run.code, Some(1), "{}", run.out);
    assert!(run.out.contains("HTTP 400: bad request"), "{}", run.out);
    let sent: Vec<Req> = server
        .requests()
        .into_iter()
        .filter(|r| r.body.contains(PASSWORD))
        .collect();
    assert!(
        !sent.is_empty(),
        "the password was sent, so the echo is a real test"
    );
    let journal = std::fs::read_to_string(&journal).unwrap_or_default();
    for text in [&run.out, &journal] {
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
        assert!(!text.contains(KEY), "key leaked: {text}");
    }
}
