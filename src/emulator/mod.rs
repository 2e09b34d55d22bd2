//! The sandbox emulator: an HTTP server that speaks the JumpCloud API (the subset jcform uses)
//! over a local JSON state file, so the real client can be exercised without a real org.
//!
//! Every request goes through one middleware (`pipeline`): latency, auth, fault injection,
//! error-body rendering and the request log. Handlers live in `routes`; they read the org
//! under a lock and change it through `App::write`, which saves the state file atomically
//! and only commits the change in memory once the file is written.
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

mod error;
mod faults;
mod lock;
mod log;
mod query;
mod routes;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
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
use log::RequestLog;
use state::{IdGen, Org};

pub use faults::FailRule;
pub use lock::{lock_path, Holder, StateAccess, StateLock};
pub use state::SANDBOX_IDP_CERTIFICATE;

/// How to run the emulator. `Default` is a quiet, fault-free server over `jcform-state.json`.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// The state file (missing = empty org). Rewritten after every successful change.
    pub state: PathBuf,
    /// When set, requests must send exactly this `x-api-key`; otherwise any non-empty key works.
    pub api_key: Option<String>,
    /// Delay added to every request.
    pub latency_ms: u64,
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
    store: Mutex<Store>,
    state_path: PathBuf,
    api_key: Option<String>,
    latency: Duration,
    faults: Faults,
    log: Option<RequestLog>,
    /// Held for as long as anything can serve a request; dropped with the last handler.
    lock: StateLock,
    fail_requests: Vec<FailRule>,
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
        org.normalise(&mut IdGen::new(Some(content_seed(&org))));
        let ids = IdGen::new(opts.seed);
        let log = opts.log.as_deref().map(RequestLog::open).transpose()?;
        Ok(App {
            store: Mutex::new(Store { org, ids }),
            state_path: opts.state,
            api_key: opts.api_key,
            latency: Duration::from_millis(opts.latency_ms),
            faults: Faults::new(opts.rate_limit, opts.fail_rate, opts.short_pages, opts.seed),
            log,
            lock,
            fail_requests: opts.fail_requests,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        // A handler that panicked mid-read left the org as it was (writes go through a copy).
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the org; never writes the state file.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Org) -> T) -> T {
        f(&self.lock().org)
    }

    /// Runs `f` on a copy of the org; if it succeeds and changed something, saves the copy and
    /// only then makes it current. A failed request (or a failed save) changes nothing.
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
        // The lock is held across the save so writes are serial and the file always matches
        // memory; the emulator serves one small org, so blocking briefly here is fine.
        let mut store = self.lock();
        let Store { org, ids } = &mut *store;
        let mut draft = org.clone();
        let out = f(&mut draft, ids)?;
        if draft != *org {
            draft
                .save(&self.state_path)
                .map_err(|err| ApiError::internal(format!("{err:#}")))?;
            *org = draft;
        }
        Ok(out)
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

    if !app.latency.is_zero() {
        tokio::time::sleep(app.latency).await;
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
