//! The sandbox emulator: an HTTP server that speaks the JumpCloud API (the subset jcform uses)
//! over a local JSON state file, so the real client can be exercised without a real org.
//!
//! Every request goes through one middleware (`pipeline`): latency, auth, fault injection,
//! error-body rendering and the request log. Handlers live in `routes`; they read the org
//! under a lock and change it through `App::write`, which appends the change to the state
//! file's journal (`journal`) before answering and rolls it back if anything fails. List pages
//! come from a per-query cache of the filtered, sorted rows (`cache`), so reading a whole
//! collection costs O(rows log rows) once rather than per page.
//!
//! Where the spec is silent, the emulator chooses (and the tests pin down):
//! - association edits are idempotent: adding an existing edge or removing a missing one
//!   answers 204 and changes nothing;
//! - `limit` over 100 is clamped to 100, `limit=0` means the default (10);
//! - state and password endpoints answer 200 with the updated user;
//! - unknown or read-only fields in AD / M365 PATCH bodies (e.g. snake_case `use_case`) are
//!   ignored, and deleting an AD instance leaves users' `delegatedAuthority` as it was;
//! - passwords are never stored: setting one only sets `password_date`;
//! - with `short_pages`, the 1st, 3rd, ... request for a list URL loses its last row (any
//!   non-empty page), while the totals stay right.
//!
//! The state file's shape is `state::Org`; objects keep any fields the emulator does not know.
//! docs/sandbox.md lists what the sandbox emulates, what not, and where it knowingly differs;
//! tests/suite/emulator_shapes.rs checks every route against the OpenAPI facts in
//! tests/fixtures/api-shapes.json.

mod cache;
mod error;
mod faults;
mod journal;
mod lock;
mod log;
mod query;
mod routes;
mod state;
mod table;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::Layer;

use error::{ApiError, ApiResult, Style};
use faults::{Faults, Verdict};
use journal::Journal;
use log::RequestLog;
use state::{IdGen, Org};

pub use faults::FailRule;
pub use journal::journal_path;
pub use lock::{lock_path, Holder, StateAccess, StateLock};
pub use state::SANDBOX_IDP_CERTIFICATE;

/// How to run the emulator. `Default` is a quiet, fault-free server over `jcform-state.json`.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// The state file (missing = empty org). Every successful change is appended to its journal
    /// (`STATE.journal`) and folded into it on close (see `journal`).
    pub state: PathBuf,
    /// When set, requests must send exactly this `x-api-key`; otherwise any non-empty key works.
    pub api_key: Option<String>,
    /// Delay added to every request.
    pub latency_ms: u64,
    /// Up to this much more delay, drawn per request (seeded with `seed`), so latency-bound
    /// runs look like a real network and stay reproducible.
    pub jitter_ms: u64,
    /// Requests admitted per second; beyond it, 429 with `Retry-After`.
    pub rate_limit: Option<u32>,
    /// Share of requests (0..1) answered with 503 instead of being handled.
    pub fail_rate: f64,
    /// Drop the last row of every other request to the same list page.
    pub short_pages: bool,
    /// Append one JSON line per request here.
    pub log: Option<PathBuf>,
    /// Seed for ids and fault decisions, for repeatable runs.
    pub seed: Option<u64>,
    /// Whether this emulator may change the state file. `Write` (the default) holds the state
    /// file's lock exclusively for the emulator's life; `Read` shares it with other readers and
    /// refuses every write request. Either fails at once, naming the holder, when the lock is
    /// taken (see `lock`).
    pub access: StateAccess,
    /// Requests that always fail with a given status (see [`FailRule`]).
    pub fail_requests: Vec<FailRule>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            state: PathBuf::from("jcform-state.json"),
            api_key: None,
            latency_ms: 0,
            jitter_ms: 0,
            rate_limit: None,
            fail_rate: 0.0,
            short_pages: false,
            log: None,
            seed: None,
            access: StateAccess::Write,
            fail_requests: Vec::new(),
        }
    }
}

/// A running emulator.
pub struct Emulator {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Emulator {
    /// Loads the state file and starts serving on `listen` (port 0 picks a free port).
    pub async fn start(opts: EmulatorOptions, listen: SocketAddr) -> anyhow::Result<Emulator> {
        let app = Arc::new(App::new(opts)?);
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        // Answers go out as soon as they are written: with Nagle's algorithm on, a response
        // written in two parts (head, then body) waited for the client's delayed ACK, 40 ms a
        // request, which no real API adds (issue 13: reads through `--latency` ran 1.65x slow).
        let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
            let _ = stream.set_nodelay(true);
        });
        let router = routes::router()
            .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
            .layer(axum::middleware::from_fn_with_state(app.clone(), pipeline))
            .with_state(app);
        // Around the whole router, so the rewritten path is the one routed.
        let service = axum::middleware::from_fn(trim_trailing_slash).layer(router);
        let service = axum::ServiceExt::<Request>::into_make_service(service);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, service).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(err) = serve.await {
                eprintln!("emulator stopped: {err}");
            }
        });
        Ok(Emulator { addr, stop, task })
    }

    /// `http://127.0.0.1:PORT`; the client appends `/api` and `/api/v2`.
    pub fn base_url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            self.addr.ip().to_string()
        };
        match self.addr {
            SocketAddr::V6(_) if !self.addr.ip().is_unspecified() => {
                format!("http://[{ip}]:{}", self.addr.port())
            }
            _ => format!("http://{ip}:{}", self.addr.port()),
        }
    }

    /// Stops accepting requests and waits for the ones in flight.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Shared server state.
pub(crate) struct App {
    store: RwLock<Store>,
    /// Filtered, sorted list rows per query, for the current `Store::version`.
    cache: Mutex<cache::ListCache>,
    state_path: PathBuf,
    api_key: Option<String>,
    latency: Duration,
    jitter: Option<Mutex<rand::rngs::StdRng>>,
    jitter_ms: u64,
    faults: Faults,
    log: Option<RequestLog>,
    /// Held for as long as anything can serve a request; dropped with the last handler.
    lock: StateLock,
    fail_requests: Vec<FailRule>,
}

/// The org a state file holds now, as JSON: the file itself, or, while an emulator is running
/// (or after one was killed), the file with its journal replayed (see `journal`). Takes no lock.
pub fn read_state(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let journal = journal::journal_path(path);
    if !journal.exists() {
        let text = std::fs::read(path)
            .with_context(|| format!("cannot read emulator state {}", path.display()))?;
        return serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a valid state file", path.display()));
    }
    let mut org = Org::load(path)?;
    org.normalise(&mut normalise_ids(&org));
    Journal::replay(&journal, &mut org)?;
    Ok(serde_json::to_value(&org)?)
}

/// The id generator [`Org::normalise`] fills missing ids from: seeded by the org's content, so
/// every start over the same file gives the same ids. Hashing the content costs a serialisation
/// of the whole org (seconds at 100,000 users, issue 13), so it is done only when some object
/// has no id; otherwise the generator is never asked.
fn normalise_ids(org: &Org) -> IdGen {
    let seed = if org.lacks_ids() {
        content_seed(org)
    } else {
        0
    };
    IdGen::new(Some(seed))
}

/// A seed that depends only on the org's content.
fn content_seed(org: &Org) -> u64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(serde_json::to_vec(org).unwrap_or_default());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

struct Store {
    org: Org,
    ids: IdGen,
    /// Bumped by every committed change (the list cache's key).
    version: u64,
    journal: Journal,
    /// Size of the state file as last written: the journal is folded in once it outgrows it.
    state_bytes: u64,
}

impl App {
    fn new(opts: EmulatorOptions) -> anyhow::Result<App> {
        // Locked before the first read, so what is loaded is not a state another writer is
        // half-way through.
        let lock = StateLock::acquire(&opts.state, opts.access)?;
        let mut org = Org::load(&opts.state)?;
        // Ids a hand-written file leaves out are derived from its content, so every start over
        // the same file gives the same ids (plan files fingerprint objects by id) without the
        // file being rewritten by commands that only read.
        org.normalise(&mut normalise_ids(&org));
        // Writes a killed run acknowledged are in the journal: replay them, and fold them into
        // the state file if this emulator may write it.
        let journal_path = journal::journal_path(&opts.state);
        let replayed = Journal::replay(&journal_path, &mut org)?;
        let mut journal = Journal::new(journal_path);
        if replayed > 0 && access_writes(&lock) {
            journal.compact(&org, &opts.state)?;
        }
        let state_bytes = std::fs::metadata(&opts.state).map_or(0, |m| m.len());
        let ids = IdGen::new(opts.seed);
        let log = opts.log.as_deref().map(RequestLog::open).transpose()?;
        let jitter = (opts.jitter_ms > 0).then(|| {
            Mutex::new(match opts.seed {
                Some(seed) => rand::SeedableRng::seed_from_u64(seed),
                None => rand::SeedableRng::from_os_rng(),
            })
        });
        Ok(App {
            store: RwLock::new(Store {
                org,
                ids,
                version: 0,
                journal,
                state_bytes,
            }),
            cache: Mutex::new(cache::ListCache::default()),
            state_path: opts.state,
            api_key: opts.api_key,
            latency: Duration::from_millis(opts.latency_ms),
            jitter,
            jitter_ms: opts.jitter_ms,
            faults: Faults::new(opts.rate_limit, opts.fail_rate, opts.short_pages, opts.seed),
            log,
            lock,
            fail_requests: opts.fail_requests,
        })
    }

    fn read_lock(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        // A handler that panicked mid-write was rolled back or never committed (see `write`).
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_lock(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the org; never writes the state file.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Org) -> T) -> T {
        f(&self.read_lock().org)
    }

    /// Runs `f` on the org and its version (which every committed change bumps).
    pub(crate) fn read_versioned<T>(&self, f: impl FnOnce(&Org, u64) -> T) -> T {
        let store = self.read_lock();
        f(&store.org, store.version)
    }

    /// Runs `f` on the org as one transaction: if it succeeds and changed something, the change
    /// is appended to the journal before anything is answered; if `f` fails (or the journal
    /// cannot be written) every change it made is undone. A write costs the size of what it
    /// changed, not of the org.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut Org, &mut IdGen) -> ApiResult<T>,
    ) -> ApiResult<T> {
        if self.lock.access() == StateAccess::Read {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "this sandbox was opened by a command that only reads; it changes nothing",
            ));
        }
        // Held across the journal append so writes are serial and the journal's order is the
        // order they were applied in.
        let mut store = self.write_lock();
        let Store {
            org,
            ids,
            version,
            journal,
            state_bytes,
        } = &mut *store;
        let before = org.begin();
        // A panicking handler must not leave half a change behind for the next request.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(org, ids)));
        let out = match outcome {
            Ok(Ok(out)) => out,
            Ok(Err(err)) => {
                org.rollback(before);
                return Err(err);
            }
            Err(panic) => {
                org.rollback(before);
                std::panic::resume_unwind(panic);
            }
        };
        let saved = org
            .changes(&before)
            .and_then(|changes| match changes.is_empty() {
                true => Ok(false),
                false => journal.append(&changes).map(|()| true),
            });
        match saved {
            Err(err) => {
                org.rollback(before);
                Err(ApiError::internal(format!("{err:#}")))
            }
            Ok(changed) => {
                org.commit();
                if changed {
                    *version += 1;
                    // Folding the journal in costs the org's size; doing it only once the
                    // journal is larger than the state file keeps it O(1) per write.
                    if journal.len() > (*state_bytes).max(1 << 20) {
                        if let Err(err) = journal.compact(org, &self.state_path) {
                            eprintln!("sandbox: {err:#} (the journal keeps every change)");
                        } else {
                            *state_bytes =
                                std::fs::metadata(&self.state_path).map_or(0, |m| m.len());
                        }
                    }
                }
                Ok(out)
            }
        }
    }

    /// The list cache (see `cache`).
    pub(crate) fn cache(&self) -> std::sync::MutexGuard<'_, cache::ListCache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The delay before answering a request: the latency plus a seeded share of the jitter.
    fn delay(&self) -> Duration {
        let extra = match &self.jitter {
            Some(rng) => {
                let mut rng = rng.lock().unwrap_or_else(|e| e.into_inner());
                rand::Rng::random_range(&mut *rng, 0..=self.jitter_ms)
            }
            None => 0,
        };
        self.latency + Duration::from_millis(extra)
    }

    fn authorized(&self, req: &Request) -> bool {
        let sent = req
            .headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        match &self.api_key {
            Some(key) => sent == key,
            None => !sent.is_empty(),
        }
    }
}

fn access_writes(lock: &StateLock) -> bool {
    lock.access() == StateAccess::Write
}

impl Drop for App {
    /// Folds the journal into the state file when the emulator stops (before the lock is
    /// released), so the file on disk is the whole org again.
    fn drop(&mut self) {
        if !access_writes(&self.lock) {
            return;
        }
        let store = self.store.get_mut().unwrap_or_else(|e| e.into_inner());
        if store.journal.is_empty() {
            return;
        }
        if let Err(err) = store.journal.compact(&store.org, &self.state_path) {
            eprintln!(
                "sandbox: {err:#} (the journal keeps every change; the next start replays it)"
            );
        }
    }
}

/// `/api/v2/usergroups/` is `/api/v2/usergroups`: the API serves both (its own samples list
/// `GET /activedirectories/`, and clients depend on it).
async fn trim_trailing_slash(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let rebuilt = match req.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_string(),
        };
        if let Ok(uri) = rebuilt.parse() {
            *req.uri_mut() = uri;
        }
    }
    next.run(req).await
}

/// `x-org-id`, when sent non-empty, must look like an organization id (24 hex digits): the
/// spec's "Multi-Tenant Portal Headers" answer `400 Malformed ID` otherwise. An empty header
/// counts as absent (jccli sends one). The sandbox is a single-tenant org, so any well-formed
/// id is accepted.
fn org_id_error(req: &Request) -> Option<ApiError> {
    let value = req.headers().get("x-org-id")?;
    let text = value.to_str().unwrap_or("\u{fffd}").trim();
    let well_formed =
        text.is_empty() || (text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit()));
    (!well_formed).then(|| {
        ApiError::bad_request("Malformed ID: x-org-id must be an organization id (24 hex digits)")
    })
}

/// Request bodies are small JSON documents; this only guards against runaway uploads.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The per-request pipeline around every handler.
async fn pipeline(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    // Buffer the body so the log can record it; the handler gets the same bytes.
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY).await;

    let delay = app.delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = match &bytes {
        Err(err) => {
            ApiError::bad_request(format!("cannot read request body: {err}")).into_response()
        }
        Ok(bytes) => {
            let req = Request::from_parts(parts, Body::from(bytes.clone()));
            if !app.authorized(&req) {
                ApiError::new(StatusCode::UNAUTHORIZED, "missing or invalid x-api-key")
                    .into_response()
            } else if let Some(err) = org_id_error(&req) {
                err.into_response()
            } else {
                let scripted = FailRule::status_for(&app.fail_requests, &method, &path)
                    .and_then(|status| StatusCode::from_u16(status).ok());
                let verdict = match scripted {
                    Some(status) => Verdict::Scripted(status),
                    None => app.faults.check(),
                };
                match verdict {
                    Verdict::Scripted(status) => {
                        ApiError::new(status, "injected failure (fail_requests)").into_response()
                    }
                    Verdict::Pass => next.run(req).await,
                    Verdict::Unavailable => {
                        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "injected failure")
                            .into_response()
                    }
                    Verdict::RateLimited { retry_after_secs } => {
                        let mut response =
                            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded")
                                .into_response();
                        response
                            .headers_mut()
                            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                        response
                    }
                }
            }
        }
    };
    let response = render_error(response, Style::for_path(&path));
    if let Some(log) = &app.log {
        let body = bytes.as_deref().unwrap_or_default();
        log.record(&method, &path, &query, response.status().as_u16(), body);
    }
    response
}

/// Gives an [`ApiError`] response its JSON body in the path's style. Error answers the
/// framework produces itself (405 for a method a route does not serve, a malformed path
/// parameter) get the same body, with the status's reason as the message.
fn render_error(response: Response, style: Style) -> Response {
    let status = response.status();
    let err = match response.extensions().get::<ApiError>().cloned() {
        Some(err) => err,
        None if status.is_client_error() || status.is_server_error() => ApiError::new(
            status,
            status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase(),
        ),
        None => return response,
    };
    let (mut parts, _) = response.into_parts();
    let body = error::body(style, err.status, &err.message);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::state::{Edge, Node, Obj, USER, USER_GROUP};
    use super::*;
    use serde_json::{json, Value};

    fn app_over(dir: &std::path::Path) -> App {
        let state = dir.join("state.json");
        let org = json!({
            "systemusers": [
                {"_id": "u1", "username": "a", "email": "a@x"},
                {"_id": "u2", "username": "b", "email": "b@x"}
            ],
            "usergroups": [{"id": "g1", "name": "g"}],
            "associations": [{"from": {"type": "user_group", "id": "g1"}, "to": {"type": "user", "id": "u1"}}]
        });
        std::fs::write(&state, org.to_string()).unwrap();
        App::new(EmulatorOptions {
            state,
            ..EmulatorOptions::default()
        })
        .unwrap()
    }

    /// Issue 13: writes change the org in place; one that fails is undone entirely, whatever it
    /// touched, and nothing is journalled.
    #[test]
    fn a_failed_write_changes_nothing_and_journals_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_over(dir.path());
        let before = app.read(|org| serde_json::to_value(org).unwrap());
        let failed: ApiResult<()> = app.write(|org, _| {
            let u1 = org.systemusers.get_mut("u1").unwrap();
            u1.insert("username".into(), json!("changed"));
            org.systemusers
                .push(Obj::from_iter([("_id".to_string(), json!("u3"))]));
            org.usergroups.remove("g1");
            org.remove_edges_of(&Node::new(USER, "u1"));
            org.associations.add(Edge::new(
                Node::new(USER_GROUP, "g1"),
                Node::new(USER, "u2"),
            ));
            org.activedirectories.push(Obj::new());
            Err(ApiError::bad_request("refused"))
        });
        assert!(failed.is_err());
        assert_eq!(app.read(|org| serde_json::to_value(org).unwrap()), before);
        assert!(app.read(|org| org.systemusers.find_ci("username", "A").len()) == 1);
        assert!(!journal::journal_path(&dir.path().join("state.json")).exists());
    }

    /// A write journals only what it changed; closing folds the journal into the state file.
    #[test]
    fn a_write_journals_its_change_and_close_folds_it_in() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let app = app_over(dir.path());
        app.write(|org, _| {
            let u2 = org.systemusers.get_mut("u2").unwrap();
            u2.insert("jobTitle".into(), json!("SRE"));
            Ok(())
        })
        .unwrap();
        let line = std::fs::read_to_string(journal::journal_path(&state)).unwrap();
        assert_eq!(line.lines().count(), 1);
        assert!(line.contains("SRE") && !line.contains("a@x"), "{line}");
        assert_eq!(
            read_state(&state).unwrap()["systemusers"][1]["jobTitle"],
            "SRE"
        );
        drop(app);
        assert!(!journal::journal_path(&state).exists());
        let file: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
        assert_eq!(file["systemusers"][1]["jobTitle"], "SRE");
        assert_eq!(file["associations"].as_array().unwrap().len(), 1);
    }
}
