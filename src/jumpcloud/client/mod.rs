//! The HTTP client: one `reqwest::Client`, one shared limiter, retries (this file: the
//! transport), and the typed endpoints jcform uses, one file per API resource (matching
//! `emulator/routes/`). `Client` is a cheap handle (`Arc` inside); clones share the limiter and the
//! request counter, so concurrent reads and writes together respect `parallelism`/`max_rps`.

mod activedirectories;
mod applications;
mod associations;
mod office365s;
mod systemusers;
mod usergroups;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::time::SystemTime;
use tokio::time::Instant;

use super::config::{self, ApiKey, ClientConfig};
use super::error::{ApiError, ErrorBody};
use super::limiter::Limiter;
use super::paging::{self, Collection, Shape};
use super::retry::{self, RetryAfter, Safety};
use super::wire::{
    ActiveDirectory, AdAgent, Application, Checked, Directory as WireDirectory, Fetched,
    GraphConnection, GraphObjectWithPaths, GraphOperation, Office365, Office365Domain, SystemUser,
    UserGroup,
};
use crate::model::{Directory, Subject};

/// Upper bound for establishing a connection (or the request timeout, if shorter).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The most bytes of one response body read; more fails the request. A page of 100 users is
/// about 100 KB, so this only stops a server that streams without end.
const MAX_BODY_BYTES: usize = 32 << 20;

/// `add` or `remove`, for member and association writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
}

impl Op {
    pub fn api_name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Remove => "remove",
        }
    }
}

/// Which kind of subject an association list returns (`?targets=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    User,
    UserGroup,
}

impl Target {
    pub fn api_name(self) -> &'static str {
        match self {
            Target::User => crate::model::GraphKind::User.api_name(),
            Target::UserGroup => crate::model::GraphKind::Group.api_name(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    V1,
    V2,
}

/// A path under the v1 or v2 base, as segments (each percent-encoded when the URL is built).
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) api: Api,
    pub(crate) segments: Vec<String>,
}

impl Endpoint {
    fn new(api: Api, segments: &[&str]) -> Self {
        Endpoint {
            api,
            segments: segments.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The path shown in errors: `/api/v2/usergroups/{id}/members`, never the query.
    pub(crate) fn display(&self) -> String {
        let prefix = match self.api {
            Api::V1 => "/api",
            Api::V2 => "/api/v2",
        };
        let mut out = prefix.to_string();
        for s in &self.segments {
            out.push('/');
            out.push_str(s);
        }
        out
    }
}

fn v1(segments: &[&str]) -> Endpoint {
    Endpoint::new(Api::V1, segments)
}

fn v2(segments: &[&str]) -> Endpoint {
    Endpoint::new(Api::V2, segments)
}

/// One request as the retry loop sees it.
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) endpoint: &'a Endpoint,
    pub(crate) query: &'a [(&'a str, String)],
    pub(crate) body: Option<&'a Value>,
    pub(crate) safety: Safety,
    /// Headers for this request only (e.g. `x-query-dsl` on a group PUT); usually empty.
    pub(crate) headers: &'a [(&'static str, &'a str)],
}

/// A successful response, body read in full.
pub(crate) struct Response {
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

/// `GET /usergroups` sorts only by its documented filter fields (the API answers `sort=id` with
/// 400 "invalid sort field: id"); group names are unique, so `name` gives a stable order.
const USER_GROUP_SORT: &str = "name";

#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    limiter: Limiter,
    max_retries: u32,
    requests: AtomicU64,
    org_id: Option<String>,
    /// Kept only to scrub it from server-provided text (see `ApiError::redacted`).
    api_key: ApiKey,
    request_timeout: Duration,
    read_deadline: Duration,
    retry_budget: Duration,
    max_pages: usize,
    /// Requests in flight at once (`ClientConfig::parallelism`).
    parallelism: usize,
    waits: std::sync::Mutex<WaitClock>,
}

/// The time the run has spent waiting before retries, for `ClientConfig::retry_budget`.
#[derive(Debug, Default)]
struct WaitClock {
    /// The end of the latest wait booked.
    until: Option<Instant>,
    /// Waited (or booked to wait) so far; overlapping waits count once.
    total: Duration,
}

impl Inner {
    /// Books a wait of `wait` starting now against the retry budget, or returns what was spent
    /// when it does not fit. Concurrent requests told to wait overlap: only the part of the new
    /// wait not already covered counts. Every wait starts now, at or after every earlier start,
    /// so extending the covered end measures the union of the waits exactly.
    fn book_wait(&self, wait: Duration) -> Result<(), Duration> {
        let mut clock = self.waits.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let end = now + wait;
        let covered = clock.until.map_or(now, |u| u.max(now));
        let added = end.saturating_duration_since(covered);
        if clock.total + added > self.retry_budget {
            return Err(clock.total);
        }
        clock.total += added;
        clock.until = Some(clock.until.map_or(end, |u| u.max(end)));
        Ok(())
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is only inside reqwest's default headers (marked sensitive); show none of them.
        f.debug_struct("Client")
            .field("api_url", &self.inner.base.as_str())
            .field("org_id", &self.inner.org_id)
            .field("requests", &self.request_count())
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let mut base = Url::parse(config.api_url.trim_end_matches('/'))
            .map_err(|e| ApiError::Config(format!("API URL {:?}: {e}", config.api_url)))?;
        if base.cannot_be_a_base() {
            return Err(ApiError::Config(format!(
                "API URL {:?} is not a base URL",
                config.api_url
            )));
        }
        // Segments are appended per request; a trailing empty segment would double the slash.
        if let Ok(mut segs) = base.path_segments_mut() {
            segs.pop_if_empty();
        }

        if !(1..=config::MAX_PARALLELISM).contains(&config.parallelism) {
            return Err(ApiError::Config(format!(
                "parallelism {} is not from 1 to {}",
                config.parallelism,
                config::MAX_PARALLELISM
            )));
        }
        if let Some(rps) = config.max_rps {
            config::check_max_rps(rps).map_err(ApiError::Config)?;
        }
        for (name, limit) in [
            ("request timeout", config.request_timeout),
            ("read deadline", config.read_deadline),
        ] {
            config::check_limit_secs(limit.as_secs_f64())
                .map_err(|e| ApiError::Config(format!("{name}: {e}")))?;
        }
        // A zero budget is allowed: it means "never wait, fail at the first refusal".
        if config.retry_budget.as_secs_f64() > config::MAX_LIMIT_SECS {
            return Err(ApiError::Config(format!(
                "retry budget {} s is more than {} s",
                config.retry_budget.as_secs_f64(),
                config::MAX_LIMIT_SECS
            )));
        }
        if config.max_pages == 0 {
            return Err(ApiError::Config("max pages must be at least 1".into()));
        }

        let mut headers = HeaderMap::new();
        let mut key = HeaderValue::from_str(config.api_key.expose()).map_err(|_| {
            ApiError::Config("the API key contains characters not allowed in an HTTP header".into())
        })?;
        key.set_sensitive(true);
        headers.insert("x-api-key", key);
        if let Some(org) = &config.org_id {
            let org = HeaderValue::from_str(org).map_err(|_| {
                ApiError::Config(format!("org id {org:?} is not a valid header value"))
            })?;
            headers.insert("x-org-id", org);
        }
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));

        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(config.request_timeout)
            .connect_timeout(CONNECT_TIMEOUT.min(config.request_timeout))
            // Redirects are never followed. reqwest would re-send the request to the new
            // Location with every default header, and `x-api-key` is not one of the headers it
            // strips across origins: a 307 to another host would receive the API key and the
            // body (a new user's password). The JumpCloud API does not redirect API calls, so
            // following even same-origin redirects buys nothing; a 3xx is an error naming the
            // origin it pointed to (see `redirect_message`).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("jcform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Config(format!("cannot build the HTTP client: {e}")))?;

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                limiter: Limiter::new(config.parallelism, config.max_rps),
                max_retries: config.max_retries,
                requests: AtomicU64::new(0),
                org_id: config.org_id,
                api_key: config.api_key,
                request_timeout: config.request_timeout,
                read_deadline: config.read_deadline,
                retry_budget: config.retry_budget,
                max_pages: config.max_pages,
                parallelism: config.parallelism,
                waits: std::sync::Mutex::new(WaitClock::default()),
            }),
        })
    }

    /// HTTP requests sent so far by this client and its clones, retries included.
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// How long reading the whole org may take (`ClientConfig::read_deadline`).
    pub fn read_deadline(&self) -> Duration {
        self.inner.read_deadline
    }

    /// The most pages read of one collection (`ClientConfig::max_pages`).
    pub(crate) fn max_pages(&self) -> usize {
        self.inner.max_pages
    }

    /// Requests in flight at once (`ClientConfig::parallelism`).
    pub(crate) fn parallelism(&self) -> usize {
        self.inner.parallelism
    }

    /// What must never appear in an error: the API key and every secret value in `body`.
    fn secrets(&self, body: Option<&Value>) -> Vec<String> {
        let mut out = vec![self.inner.api_key.expose().to_string()];
        if let Some(body) = body {
            collect_secrets(body, &mut out);
        }
        out
    }

    fn url(&self, endpoint: &Endpoint) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.push("api");
            if endpoint.api == Api::V2 {
                segs.push("v2");
            }
            segs.extend(&endpoint.segments);
        }
        url
    }

    /// Sends one request through the limiter, retrying as `retry` allows. Every error is
    /// scrubbed of the API key and of the secrets in the request body: a server quoting the
    /// request back cannot put a password into the output or the journal.
    pub(crate) async fn send(&self, req: Request<'_>) -> Result<Response, ApiError> {
        let body = req.body;
        // The secrets are gathered only for an error (most requests succeed).
        self.send_unscrubbed(req)
            .await
            .map_err(|e| e.redacted(&self.secrets(body)))
    }

    async fn send_unscrubbed(&self, req: Request<'_>) -> Result<Response, ApiError> {
        let path = req.endpoint.display();
        let method = req.method.as_str().to_string();
        let url = self.url(req.endpoint);
        let body = match req.body {
            Some(v) => Some(serde_json::to_vec(v).map_err(|e| ApiError::Decode {
                method: method.clone(),
                path: path.clone(),
                message: format!("cannot encode the request body: {e}"),
            })?),
            None => None,
        };
        let status_error = |status: u16, code: Option<String>, message: String| ApiError::Status {
            method: method.clone(),
            path: path.clone(),
            status,
            code,
            message,
        };

        let mut attempt: u32 = 0;
        loop {
            let (started, outcome) = {
                let _permit = self.inner.limiter.acquire().await;
                self.inner.requests.fetch_add(1, Ordering::Relaxed);
                let started = std::time::Instant::now();
                let mut builder = self.inner.http.request(req.method.clone(), url.clone());
                if !req.query.is_empty() {
                    builder = builder.query(req.query);
                }
                for (name, value) in req.headers {
                    builder = builder.header(*name, *value);
                }
                if let Some(bytes) = &body {
                    builder = builder
                        .header(CONTENT_TYPE, "application/json")
                        .body(bytes.clone());
                }
                let outcome = match builder.send().await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let headers = resp.headers().clone();
                        // Reading the body can fail after the status arrived (connection reset).
                        read_body(resp)
                            .await
                            .map(|text| (status, headers, text))
                            .map_err(|e| (e, true))
                    }
                    Err(e) => Err((BodyError::Http(e), false)),
                };
                (started, outcome)
            };
            // The request log (`-vv`): method, path without query, status, time. Never a header
            // or a body, so never a key or a password.
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            match &outcome {
                Ok((status, ..)) => {
                    tracing::debug!(target: "jcform::http", %method, %path, status, ms, attempt)
                }
                Err((e, _)) => {
                    tracing::debug!(target: "jcform::http", %method, %path, error = %describe_body(e), ms, attempt)
                }
            }
            let can_retry = attempt < self.inner.max_retries;

            match outcome {
                Ok((status, headers, bytes)) if (200..300).contains(&status) => {
                    // JSON is UTF-8 (RFC 8259). Replacing bad bytes would silently change a
                    // name, so a body that is not UTF-8 fails like any unreadable body.
                    return match String::from_utf8(bytes) {
                        Ok(body) => Ok(Response { headers, body }),
                        Err(e) => {
                            let message = format!(
                                "the response body is not UTF-8 (byte {})",
                                e.utf8_error().valid_up_to()
                            );
                            Err(if req.safety == Safety::Create {
                                ApiError::Ambiguous {
                                    method,
                                    path,
                                    cause: message,
                                }
                            } else {
                                ApiError::Decode {
                                    method,
                                    path,
                                    message,
                                }
                            })
                        }
                    };
                }
                Ok((status, headers, _)) if (300..400).contains(&status) => {
                    return Err(status_error(status, None, redirect_message(&url, &headers)));
                }
                Ok((status, headers, bytes)) => {
                    // Only for the message: an error body that is not UTF-8 is still an error.
                    let text = String::from_utf8_lossy(&bytes);
                    // An earlier attempt may have deleted it before its response got lost.
                    if status == 404 && attempt > 0 && req.method == Method::DELETE {
                        return Ok(Response {
                            headers,
                            body: String::new(),
                        });
                    }
                    let parsed = ErrorBody::parse(&text);
                    if retry::status_retryable(status, req.safety) {
                        let hint = retry::retry_after(&headers, SystemTime::now());
                        let with = |note: String| {
                            status_error(status, parsed.code.clone(), {
                                format!("{}; {note}", parsed.message)
                            })
                        };
                        if !can_retry {
                            return Err(with(format!(
                                "gave up after {} attempts; {}",
                                attempt + 1,
                                hint_note(hint.as_ref())
                            )));
                        }
                        let server_wait = hint.as_ref().and_then(|h| h.delay);
                        if let (Some(wait), Some(h)) = (server_wait, &hint) {
                            if wait > retry::MAX_RETRY_AFTER {
                                return Err(with(format!(
                                    "the server asked to retry later than jcform waits for one \
                                     retry ({}): {}",
                                    retry::secs(retry::MAX_RETRY_AFTER),
                                    h.describe()
                                )));
                            }
                        }
                        let wait = server_wait.unwrap_or_else(|| retry::backoff(attempt));
                        if let Err(spent) = self.inner.book_wait(wait) {
                            return Err(with(format!(
                                "{}; {}",
                                self.budget_note(spent),
                                hint_note(hint.as_ref())
                            )));
                        }
                        if server_wait.is_some() {
                            // The org's limit is shared: hold every request, not only this one.
                            self.inner.limiter.pause_until(Instant::now() + wait).await;
                        }
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    if req.safety == Safety::Create
                        && status >= 500
                        && !retry::not_processed(status)
                    {
                        return Err(ApiError::Ambiguous {
                            method,
                            path,
                            cause: format!("HTTP {status}: {}", parsed.message),
                        });
                    }
                    return Err(status_error(status, parsed.code, parsed.message));
                }
                Err((BodyError::TooLarge, _)) => {
                    let message =
                        format!("the response body is larger than {MAX_BODY_BYTES} bytes");
                    if req.safety == Safety::Create {
                        return Err(ApiError::Ambiguous {
                            method,
                            path,
                            cause: message,
                        });
                    }
                    return Err(ApiError::Decode {
                        method,
                        path,
                        message,
                    });
                }
                Err((BodyError::Http(err), after_status)) => {
                    // A connection that was never established carried nothing to the server.
                    let never_sent = err.is_connect() && !after_status;
                    let mut message = describe(&err);
                    if err.is_timeout() {
                        message.push_str(&format!(
                            " (after {}; --http-timeout / JCFORM_HTTP_TIMEOUT)",
                            retry::secs(self.inner.request_timeout)
                        ));
                    }
                    if can_retry && (req.safety == Safety::Idempotent || never_sent) {
                        let wait = retry::backoff(attempt);
                        match self.inner.book_wait(wait) {
                            Ok(()) => {
                                tokio::time::sleep(wait).await;
                                attempt += 1;
                                continue;
                            }
                            Err(spent) => {
                                message = format!("{message}; {}", self.budget_note(spent))
                            }
                        }
                    } else if attempt > 0 {
                        message = format!("{message} (after {} attempts)", attempt + 1);
                    }
                    if req.safety == Safety::Create && !never_sent {
                        return Err(ApiError::Ambiguous {
                            method,
                            path,
                            cause: message,
                        });
                    }
                    return Err(ApiError::Transport {
                        method,
                        path,
                        timeout: err.is_timeout(),
                        message,
                    });
                }
            }
        }
    }

    /// Why the client stopped waiting: the budget and what was spent.
    fn budget_note(&self, spent: Duration) -> String {
        format!(
            "gave up after waiting {} in all for the API to recover (the retry budget is {}: \
             --retry-budget / JCFORM_RETRY_BUDGET)",
            retry::secs(spent),
            retry::secs(self.inner.retry_budget),
        )
    }

    /// Sends and decodes the JSON body. A create whose success response cannot be decoded did
    /// happen, but its id is unknown: that is `Ambiguous`, so the caller reads back.
    async fn call<T: DeserializeOwned + Checked>(
        &self,
        req: Request<'_>,
    ) -> Result<Fetched<T>, ApiError> {
        let method = req.method.as_str().to_string();
        let path = req.endpoint.display();
        let create = req.safety == Safety::Create;
        let body = req.body;
        let resp = self.send(req).await?;
        let decoded = serde_json::from_str::<Value>(&resp.body)
            .map_err(|e| format!("invalid JSON: {e}"))
            .and_then(|raw| {
                let wire: T = decode(&raw)?;
                wire.check()?;
                Ok(Fetched { wire, raw })
            });
        let err = match decoded {
            Ok(fetched) => return Ok(fetched),
            Err(message) if create => ApiError::Ambiguous {
                method,
                path,
                cause: format!("created, but the response is unreadable: {message}"),
            },
            Err(message) => ApiError::Decode {
                method,
                path,
                message,
            },
        };
        // Decoding errors quote values ("invalid type: string \"...\""): scrub them too.
        Err(err.redacted(&self.secrets(body)))
    }

    async fn get<T: DeserializeOwned + Checked>(
        &self,
        endpoint: Endpoint,
    ) -> Result<Fetched<T>, ApiError> {
        self.call(Request {
            method: Method::GET,
            endpoint: &endpoint,
            query: &[],
            body: None,
            safety: Safety::Idempotent,
            headers: &[],
        })
        .await
    }

    async fn write<T: DeserializeOwned + Checked>(
        &self,
        method: Method,
        endpoint: Endpoint,
        body: &Value,
        safety: Safety,
    ) -> Result<Fetched<T>, ApiError> {
        self.write_with_headers(method, endpoint, body, safety, &[])
            .await
    }

    async fn write_with_headers<T: DeserializeOwned + Checked>(
        &self,
        method: Method,
        endpoint: Endpoint,
        body: &Value,
        safety: Safety,
        headers: &[(&'static str, &str)],
    ) -> Result<Fetched<T>, ApiError> {
        self.call(Request {
            method,
            endpoint: &endpoint,
            query: &[],
            body: Some(body),
            safety,
            headers,
        })
        .await
    }

    /// A write whose response body is ignored (204s, or bodies jcform does not need).
    async fn write_no_content(
        &self,
        method: Method,
        endpoint: Endpoint,
        body: Option<&Value>,
    ) -> Result<(), ApiError> {
        self.send(Request {
            method,
            endpoint: &endpoint,
            query: &[],
            body,
            safety: Safety::Idempotent,
            headers: &[],
        })
        .await
        .map(|_| ())
    }

    /// Reads a whole collection and decodes and checks every row. A row that does not decode
    /// (a wrong type, a missing id or natural key) or fails its `Checked` test fails the whole
    /// read, naming the row: never partial data, never a default value.
    async fn list<T: DeserializeOwned + Checked>(
        &self,
        coll: Collection,
    ) -> Result<Vec<Fetched<T>>, ApiError> {
        self.list_map(coll, &|row| row).await
    }

    /// Reads a collection, decoding and checking each row as its page arrives and turning it
    /// into an `R` at once: the page's JSON values are dropped page by page (issue 13).
    async fn list_map<T: DeserializeOwned + Checked, R>(
        &self,
        coll: Collection,
        f: &(dyn Fn(Fetched<T>) -> R + Sync),
    ) -> Result<Vec<R>, ApiError> {
        let secrets = self.secrets(None);
        let decode = |i: usize, raw: &RawValue| decode_row::<T>(&coll, i, raw).map(f);
        paging::read_all_map(self, &coll, &decode)
            .await
            .map_err(|e| e.redacted(&secrets))
    }

    /// [`Client::list_map`] for rows whose JSON is not needed as a `Value`: `f` gets the decoded,
    /// checked row and its text, and no `Value` is built for it (issue 13: 100,000 users and
    /// 325,000 group members parsed into `Value`s cost most of a read's CPU).
    async fn list_wire_map<T: DeserializeOwned + Checked, R>(
        &self,
        coll: Collection,
        f: &(dyn Fn(T, &RawValue) -> R + Sync),
    ) -> Result<Vec<R>, ApiError> {
        let secrets = self.secrets(None);
        let decode = |i: usize, raw: &RawValue| decode_wire::<T>(&coll, i, raw).map(|t| f(t, raw));
        paging::read_all_map(self, &coll, &decode)
            .await
            .map_err(|e| e.redacted(&secrets))
    }

    /// [`Client::list_sorted`] with [`Client::list_wire_map`].
    async fn list_sorted_wire_map<T: DeserializeOwned + Checked, R>(
        &self,
        coll: impl Fn() -> Collection,
        field: &str,
        f: &(dyn Fn(T, &RawValue) -> R + Sync),
    ) -> Result<Vec<R>, ApiError> {
        match self.list_wire_map(coll().sort(field), f).await {
            Err(ApiError::Status {
                status: 400,
                message,
                ..
            }) if message.contains("sort") => self.list_wire_map(coll(), f).await,
            other => other,
        }
    }

    /// Reads a collection sorted by `field` (a stable order for paging), or unsorted when the
    /// server refuses that sort field (400 naming `sort`): the paging reader's seam and total
    /// checks still catch rows that move while it reads.
    async fn list_sorted<T: DeserializeOwned + Checked>(
        &self,
        coll: impl Fn() -> Collection,
        field: &str,
    ) -> Result<Vec<Fetched<T>>, ApiError> {
        self.list_sorted_map(coll, field, &|row| row).await
    }

    /// [`Client::list_sorted`], turning rows into `R` page by page (see [`Client::list_map`]).
    async fn list_sorted_map<T: DeserializeOwned + Checked, R>(
        &self,
        coll: impl Fn() -> Collection,
        field: &str,
        f: &(dyn Fn(Fetched<T>) -> R + Sync),
    ) -> Result<Vec<R>, ApiError> {
        match self.list_map(coll().sort(field), f).await {
            Err(ApiError::Status {
                status: 400,
                message,
                ..
            }) if message.contains("sort") => self.list_map(coll(), f).await,
            other => other,
        }
    }
}

/// The v2 collection and id of a directory (live ids).
fn directory_path(directory: &Directory) -> (&'static str, &str) {
    match directory {
        Directory::AdDomain(id) => ("activedirectories", id),
        Directory::M365Tenant(id) => ("office365s", id),
        Directory::SsoApp(id) => ("applications", id),
    }
}

fn graph_op(op: Op, kind: &str, id: &str) -> Result<Value, ApiError> {
    serde_json::to_value(GraphOperation {
        op: op.api_name(),
        kind,
        id,
    })
    .map_err(|e| ApiError::Config(format!("cannot encode a graph operation: {e}")))
}

/// The lists jcform reads, by response shape and row type (for `check_list_body`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// `GET /systemusers`: `{totalCount, results: [systemuser]}`.
    Users,
    /// `GET /usergroups`: `[UserGroup]`, `x-total-count`.
    UserGroups,
    /// `GET /activedirectories`: `[active-directory]`.
    ActiveDirectories,
    /// `GET /activedirectories/{id}/agents`: `[active-directory-agent-list]`.
    AdAgents,
    /// `GET /directories`: `[Directory]`.
    Directories,
    /// `GET /usergroups/{id}/members`, `/{directory}/associations`: `[GraphConnection]`.
    Edges,
    /// `GET /usergroups/{id}/membership`, `/{directory}/users`: `[GraphObjectWithPaths]`.
    Traversal,
    /// `GET /office365s/{id}/domains`: `{totalCount, domains: [...]}`.
    M365Domains,
}

impl ListKind {
    pub const ALL: [ListKind; 8] = [
        ListKind::Users,
        ListKind::UserGroups,
        ListKind::ActiveDirectories,
        ListKind::AdAgents,
        ListKind::Directories,
        ListKind::Edges,
        ListKind::Traversal,
        ListKind::M365Domains,
    ];
}

/// Runs one list response through the production decoding, without HTTP: the page shape and
/// total (`paging::decode_page`), the row ids as the reader takes them (`paging::page_ids`),
/// then every row's decoding and `Checked` test (`decode_rows`). Returns the row count, or the
/// error the reader would fail with. For the fuzz target (`fuzz/`) and the property tests in
/// `tests/suite/client_fuzz.rs`: whatever the bytes, this returns and never panics.
pub fn check_list_body(
    kind: ListKind,
    body: &[u8],
    x_total_count: Option<&[u8]>,
) -> Result<usize, ApiError> {
    let coll = match kind {
        ListKind::Users => Collection::new("users", v1(&["systemusers"]), Shape::V1),
        ListKind::UserGroups => Collection::new("user groups", v2(&["usergroups"]), Shape::V2),
        ListKind::ActiveDirectories => {
            Collection::new("active directories", v2(&["activedirectories"]), Shape::V2)
        }
        ListKind::AdAgents => Collection::new(
            "agents",
            v2(&["activedirectories", "x", "agents"]),
            Shape::V2,
        ),
        ListKind::Directories => Collection::new("directories", v2(&["directories"]), Shape::V2),
        ListKind::Edges => {
            Collection::new("members", v2(&["usergroups", "x", "members"]), Shape::V2)
                .id_of(paging::edge_target_id)
        }
        ListKind::Traversal => Collection::new(
            "membership",
            v2(&["usergroups", "x", "membership"]),
            Shape::V2,
        ),
        ListKind::M365Domains => Collection::new(
            "domains",
            v2(&["office365s", "x", "domains"]),
            Shape::Domains,
        )
        .id_of(paging::domain_id),
    };
    let decode_error = |message: String| ApiError::Decode {
        method: "GET".into(),
        path: coll.endpoint.display(),
        message,
    };
    let header = match x_total_count {
        Some(bytes) => Some(
            HeaderValue::from_bytes(bytes)
                .map_err(|_| decode_error("x-total-count is not a header value".into()))?,
        ),
        None => None,
    };
    let body = std::str::from_utf8(body).map_err(|e| {
        decode_error(format!(
            "the response body is not UTF-8 (byte {})",
            e.valid_up_to()
        ))
    })?;
    let page = paging::decode_page(coll.shape, body, header.as_ref()).map_err(decode_error)?;
    paging::page_ids(&coll, &page.rows, 0).map_err(|e| ApiError::Incomplete {
        collection: coll.name.clone(),
        reason: e.into_reason(),
    })?;
    let n = page.rows.len();
    match kind {
        ListKind::Users => decode_rows::<SystemUser>(&coll, page.rows).map(drop),
        ListKind::UserGroups => decode_rows::<UserGroup>(&coll, page.rows).map(drop),
        ListKind::ActiveDirectories => decode_rows::<ActiveDirectory>(&coll, page.rows).map(drop),
        ListKind::AdAgents => decode_rows::<AdAgent>(&coll, page.rows).map(drop),
        ListKind::Directories => decode_rows::<WireDirectory>(&coll, page.rows).map(drop),
        ListKind::Edges => decode_rows::<GraphConnection>(&coll, page.rows).map(drop),
        ListKind::Traversal => decode_rows::<GraphObjectWithPaths>(&coll, page.rows).map(drop),
        ListKind::M365Domains => decode_rows::<Office365Domain>(&coll, page.rows).map(drop),
    }?;
    Ok(n)
}

/// Decodes and checks the rows of a collection read by `paging::read_all`.
pub(crate) fn decode_rows<T: DeserializeOwned + Checked>(
    coll: &Collection,
    rows: Vec<Box<RawValue>>,
) -> Result<Vec<Fetched<T>>, ApiError> {
    rows.iter()
        .enumerate()
        .map(|(i, raw)| decode_row(coll, i, raw))
        .collect()
}

/// Decodes and checks row `i` of a collection, keeping its JSON as a `Value`.
pub(crate) fn decode_row<T: DeserializeOwned + Checked>(
    coll: &Collection,
    i: usize,
    raw: &RawValue,
) -> Result<Fetched<T>, ApiError> {
    let wire = decode_wire(coll, i, raw)?;
    // The text is JSON already (the page parsed): this cannot fail but is not unwrapped.
    let raw = serde_json::from_str(raw.get()).map_err(|e| ApiError::Incomplete {
        collection: coll.name.clone(),
        reason: format!("{}: {}", paging::row_label(coll, raw, i), paging::plain(&e)),
    })?;
    Ok(Fetched { wire, raw })
}

/// Decodes and checks row `i` of a collection from its text.
pub(crate) fn decode_wire<T: DeserializeOwned + Checked>(
    coll: &Collection,
    i: usize,
    raw: &RawValue,
) -> Result<T, ApiError> {
    let checked = serde_json::from_str::<T>(raw.get())
        .map_err(|e| paging::plain(&e))
        .and_then(|wire| {
            wire.check()?;
            Ok(wire)
        });
    checked.map_err(|message| ApiError::Incomplete {
        collection: coll.name.clone(),
        reason: format!(
            "{} does not have the documented shape: {message}",
            paging::row_label(coll, raw, i)
        ),
    })
}

fn decode<T: DeserializeOwned>(raw: &Value) -> Result<T, String> {
    T::deserialize(raw).map_err(|e| e.to_string())
}

/// Why a response could not be read.
enum BodyError {
    Http(reqwest::Error),
    /// More than `MAX_BODY_BYTES`.
    TooLarge,
}

/// The whole body, at most `MAX_BODY_BYTES` of it.
async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Http)? {
        if buf.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// The error text for a 3xx: where it pointed (origin only: a Location's path or query may
/// carry tokens), and why jcform does not go there.
fn redirect_message(url: &Url, headers: &HeaderMap) -> String {
    let target = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| url.join(loc).ok());
    let origin = |u: &Url| u.origin().ascii_serialization();
    let to = match &target {
        Some(t) if origin(t) == origin(url) => format!("another path on {}", origin(t)),
        Some(t) => origin(t),
        None => "a missing or unreadable Location".to_string(),
    };
    format!(
        "the server redirects to {to}; jcform does not follow redirects, so the API key and \
         request bodies never leave {} (check --api-url / --region)",
        origin(url)
    )
}

/// "the server's last hint: Retry-After: 5" or "the server sent no Retry-After".
fn hint_note(hint: Option<&RetryAfter>) -> String {
    match hint {
        Some(h) => format!("the server's last hint: {}", h.describe()),
        None => "the server sent no Retry-After".to_string(),
    }
}

/// Every non-empty string under a secret key (`password`, `*_password`, see
/// `render::redact::is_secret_key`) in a request body, at any depth.
fn collect_secrets(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if crate::render::redact::is_secret_key(k) => {
                        if !s.is_empty() {
                            out.push(s.clone());
                        }
                    }
                    other => collect_secrets(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_secrets(v, out)),
        _ => {}
    }
}

/// A transport error as one line, without the URL (it is in the error's path already).
/// [`describe`] for a failed exchange, for the request log.
fn describe_body(err: &BodyError) -> String {
    match err {
        BodyError::Http(e) => describe(e),
        BodyError::TooLarge => format!("the response is larger than {MAX_BODY_BYTES} bytes"),
    }
}

fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else if err.is_body() || err.is_decode() {
        "the response body could not be read"
    } else {
        "request failed"
    };
    let mut out = kind.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
