//! The HTTP client: one `reqwest::Client`, one shared limiter, retries, and the typed endpoints
//! jcform uses. `Client` is a cheap handle (`Arc` inside); clones share the limiter and the
//! request counter, so concurrent reads and writes together respect `parallelism`/`max_rps`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::config::ClientConfig;
use super::error::{ApiError, ErrorBody};
use super::limiter::Limiter;
use super::paging::{self, Collection, Shape};
use super::retry::{self, Safety};
use super::wire::{
    ActiveDirectory, AdAgent, Directory as WireDirectory, Fetched, GraphConnection,
    GraphObjectWithPaths, GraphOperation, Office365, Office365Domain, SystemUser, UserGroup,
};
use crate::model::{Directory, Subject};

/// Upper bound for one attempt, connect to last byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
            Target::User => "user",
            Target::UserGroup => "user_group",
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
}

/// A successful response, body read in full.
pub(crate) struct Response {
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

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
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
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
            }),
        })
    }

    /// HTTP requests sent so far by this client and its clones, retries included.
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
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

    /// Sends one request through the limiter, retrying as `retry` allows.
    pub(crate) async fn send(&self, req: Request<'_>) -> Result<Response, ApiError> {
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
                        resp.text()
                            .await
                            .map(|text| (status, headers, text))
                            .map_err(|e| (e, true))
                    }
                    Err(e) => Err((e, false)),
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
                    tracing::debug!(target: "jcform::http", %method, %path, error = %describe(e), ms, attempt)
                }
            }
            let can_retry = attempt < self.inner.max_retries;

            match outcome {
                Ok((status, headers, text)) if (200..300).contains(&status) => {
                    return Ok(Response {
                        headers,
                        body: text,
                    });
                }
                Ok((status, headers, text)) => {
                    // An earlier attempt may have deleted it before its response got lost.
                    if status == 404 && attempt > 0 && req.method == Method::DELETE {
                        return Ok(Response {
                            headers,
                            body: String::new(),
                        });
                    }
                    if can_retry && retry::status_retryable(status, req.safety) {
                        let wait = match retry::retry_after(&headers) {
                            Some(wait) => {
                                self.inner.limiter.pause_until(Instant::now() + wait).await;
                                wait
                            }
                            None => retry::backoff(attempt),
                        };
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    let parsed = ErrorBody::parse(&text);
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
                    return Err(ApiError::Status {
                        method,
                        path,
                        status,
                        code: parsed.code,
                        message: parsed.message,
                    });
                }
                Err((err, after_status)) => {
                    // A connection that was never established carried nothing to the server.
                    let never_sent = err.is_connect() && !after_status;
                    if can_retry && (req.safety == Safety::Idempotent || never_sent) {
                        tokio::time::sleep(retry::backoff(attempt)).await;
                        attempt += 1;
                        continue;
                    }
                    let message = describe(&err);
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

    /// Sends and decodes the JSON body. A create whose success response cannot be decoded did
    /// happen, but its id is unknown: that is `Ambiguous`, so the caller reads back.
    async fn call<T: DeserializeOwned>(&self, req: Request<'_>) -> Result<Fetched<T>, ApiError> {
        let method = req.method.as_str().to_string();
        let path = req.endpoint.display();
        let create = req.safety == Safety::Create;
        let resp = self.send(req).await?;
        let decoded = serde_json::from_str::<Value>(&resp.body)
            .map_err(|e| format!("invalid JSON: {e}"))
            .and_then(|raw| {
                Ok(Fetched {
                    wire: decode(&raw)?,
                    raw,
                })
            });
        decoded.map_err(|message| {
            if create {
                ApiError::Ambiguous {
                    method,
                    path,
                    cause: format!("created, but the response is unreadable: {message}"),
                }
            } else {
                ApiError::Decode {
                    method,
                    path,
                    message,
                }
            }
        })
    }

    async fn get<T: DeserializeOwned>(&self, endpoint: Endpoint) -> Result<Fetched<T>, ApiError> {
        self.call(Request {
            method: Method::GET,
            endpoint: &endpoint,
            query: &[],
            body: None,
            safety: Safety::Idempotent,
        })
        .await
    }

    async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        endpoint: Endpoint,
        body: &Value,
        safety: Safety,
    ) -> Result<Fetched<T>, ApiError> {
        self.call(Request {
            method,
            endpoint: &endpoint,
            query: &[],
            body: Some(body),
            safety,
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
        })
        .await
        .map(|_| ())
    }

    /// Reads a whole collection and decodes every row.
    async fn list<T: DeserializeOwned>(
        &self,
        coll: Collection,
    ) -> Result<Vec<Fetched<T>>, ApiError> {
        let name = coll.name.clone();
        let rows = paging::read_all(self, &coll).await?;
        rows.into_iter()
            .map(|raw| match decode(&raw) {
                Ok(wire) => Ok(Fetched { wire, raw }),
                Err(message) => Err(ApiError::Incomplete {
                    collection: name.clone(),
                    reason: format!("a row does not have the documented shape: {message}"),
                }),
            })
            .collect()
    }

    // ---------------------------------------------------------------------------------------
    // Users (v1)

    pub async fn list_users(&self) -> Result<Vec<Fetched<SystemUser>>, ApiError> {
        self.list(Collection::new("users", v1(&["systemusers"]), Shape::V1).sort("_id"))
            .await
    }

    /// `POST /search/systemusers` with a search body (`{filter: ..., searchFilter: ...}`).
    pub async fn search_users(&self, search: Value) -> Result<Vec<Fetched<SystemUser>>, ApiError> {
        let coll = Collection::new(
            "user search results",
            v1(&["search", "systemusers"]),
            Shape::V1,
        )
        .sort("_id")
        .post(search);
        self.list(coll).await
    }

    pub async fn get_user(&self, id: &str) -> Result<Fetched<SystemUser>, ApiError> {
        self.get(v1(&["systemusers", id])).await
    }

    /// `POST /systemusers`. Not retried once it may have reached the server: on
    /// `ApiError::Ambiguous` look the username up before trying again.
    pub async fn create_user(&self, body: Value) -> Result<Fetched<SystemUser>, ApiError> {
        self.write(Method::POST, v1(&["systemusers"]), &body, Safety::Create)
            .await
    }

    /// `PUT /systemusers/{id}`: fields left out are left alone.
    pub async fn update_user(
        &self,
        id: &str,
        body: Value,
    ) -> Result<Fetched<SystemUser>, ApiError> {
        self.write(
            Method::PUT,
            v1(&["systemusers", id]),
            &body,
            Safety::Idempotent,
        )
        .await
    }

    pub async fn delete_user(&self, id: &str) -> Result<(), ApiError> {
        self.write_no_content(Method::DELETE, v1(&["systemusers", id]), None)
            .await
    }

    /// STAGED -> ACTIVATED. `send_email: false` suppresses the activation email.
    pub async fn activate_user(&self, id: &str, send_email: bool) -> Result<(), ApiError> {
        let body = json!({ "email": send_email });
        self.write_no_content(
            Method::POST,
            v1(&["systemusers", id, "state", "activate"]),
            Some(&body),
        )
        .await
    }

    pub async fn suspend_user(&self, id: &str) -> Result<(), ApiError> {
        // The spec says the body must be empty.
        self.write_no_content(
            Method::POST,
            v1(&["systemusers", id, "state", "suspend"]),
            None,
        )
        .await
    }

    /// Force-sets the password. The value goes only into the request body.
    pub async fn set_password(&self, id: &str, password: &str) -> Result<(), ApiError> {
        let body = json!({ "password": password });
        self.write_no_content(
            Method::POST,
            v1(&["systemusers", id, "password"]),
            Some(&body),
        )
        .await
    }

    // ---------------------------------------------------------------------------------------
    // User groups (v2)

    pub async fn list_groups(&self) -> Result<Vec<Fetched<UserGroup>>, ApiError> {
        self.list(Collection::new("user groups", v2(&["usergroups"]), Shape::V2).sort("id"))
            .await
    }

    pub async fn get_group(&self, id: &str) -> Result<Fetched<UserGroup>, ApiError> {
        self.get(v2(&["usergroups", id])).await
    }

    /// `POST /usergroups`. On `ApiError::Ambiguous` look the name up before trying again.
    pub async fn create_group(&self, body: Value) -> Result<Fetched<UserGroup>, ApiError> {
        self.write(Method::POST, v2(&["usergroups"]), &body, Safety::Create)
            .await
    }

    /// `PUT /usergroups/{id}`: a full update, `name` required.
    pub async fn update_group(
        &self,
        id: &str,
        body: Value,
    ) -> Result<Fetched<UserGroup>, ApiError> {
        self.write(
            Method::PUT,
            v2(&["usergroups", id]),
            &body,
            Safety::Idempotent,
        )
        .await
    }

    pub async fn delete_group(&self, id: &str) -> Result<(), ApiError> {
        self.write_no_content(Method::DELETE, v2(&["usergroups", id]), None)
            .await
    }

    /// Remote ids of the group's direct members (`GET /usergroups/{id}/members`).
    pub async fn list_group_members(&self, group_id: &str) -> Result<Vec<String>, ApiError> {
        let coll = Collection::new(
            format!("members of user group {group_id}"),
            v2(&["usergroups", group_id, "members"]),
            Shape::V2,
        )
        .id_of(paging::edge_target_id);
        let edges: Vec<Fetched<GraphConnection>> = self.list(coll).await?;
        Ok(edges
            .into_iter()
            .filter(|e| e.wire.to.kind == "user")
            .map(|e| e.wire.to.id)
            .collect())
    }

    /// The group's effective users, direct and through nested rules (`/membership`).
    pub async fn list_group_membership(
        &self,
        group_id: &str,
    ) -> Result<Vec<Fetched<GraphObjectWithPaths>>, ApiError> {
        let coll = Collection::new(
            format!("membership of user group {group_id}"),
            v2(&["usergroups", group_id, "membership"]),
            Shape::V2,
        );
        self.list(coll).await
    }

    pub async fn member_op(&self, group_id: &str, op: Op, user_id: &str) -> Result<(), ApiError> {
        let body = graph_op(op, "user", user_id)?;
        self.write_no_content(
            Method::POST,
            v2(&["usergroups", group_id, "members"]),
            Some(&body),
        )
        .await
    }

    // ---------------------------------------------------------------------------------------
    // Active Directory instances (v2)

    pub async fn list_ads(&self) -> Result<Vec<Fetched<ActiveDirectory>>, ApiError> {
        let coll = Collection::new("active directories", v2(&["activedirectories"]), Shape::V2);
        self.list(coll.sort("id")).await
    }

    pub async fn get_ad(&self, id: &str) -> Result<Fetched<ActiveDirectory>, ApiError> {
        self.get(v2(&["activedirectories", id])).await
    }

    /// `POST /activedirectories` with `domain` (DN form) plus `fields` (camelCase: `useCase`,
    /// `groupsEnabled`, `delegationState`). On `ApiError::Ambiguous` list and match the domain.
    pub async fn create_ad(
        &self,
        domain_dn: &str,
        fields: Value,
    ) -> Result<Fetched<ActiveDirectory>, ApiError> {
        let mut body = match fields {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(ApiError::Config(format!(
                    "AD create fields must be an object, not {other}"
                )))
            }
        };
        body.insert("domain".into(), Value::String(domain_dn.to_string()));
        self.write(
            Method::POST,
            v2(&["activedirectories"]),
            &Value::Object(body),
            Safety::Create,
        )
        .await
    }

    pub async fn patch_ad(
        &self,
        id: &str,
        body: Value,
    ) -> Result<Fetched<ActiveDirectory>, ApiError> {
        self.write(
            Method::PATCH,
            v2(&["activedirectories", id]),
            &body,
            Safety::Idempotent,
        )
        .await
    }

    pub async fn delete_ad(&self, id: &str) -> Result<(), ApiError> {
        self.write_no_content(Method::DELETE, v2(&["activedirectories", id]), None)
            .await
    }

    pub async fn list_ad_agents(&self, ad_id: &str) -> Result<Vec<Fetched<AdAgent>>, ApiError> {
        let coll = Collection::new(
            format!("agents of active directory {ad_id}"),
            v2(&["activedirectories", ad_id, "agents"]),
            Shape::V2,
        );
        self.list(coll.sort("id")).await
    }

    // ---------------------------------------------------------------------------------------
    // Microsoft 365 / Entra ID (v2; the API cannot list, create or delete them)

    pub async fn get_m365(&self, id: &str) -> Result<Fetched<Office365>, ApiError> {
        self.get(v2(&["office365s", id])).await
    }

    pub async fn patch_m365(&self, id: &str, body: Value) -> Result<Fetched<Office365>, ApiError> {
        self.write(
            Method::PATCH,
            v2(&["office365s", id]),
            &body,
            Safety::Idempotent,
        )
        .await
    }

    pub async fn list_m365_domains(
        &self,
        id: &str,
    ) -> Result<Vec<Fetched<Office365Domain>>, ApiError> {
        let coll = Collection::new(
            format!("domains of office365 {id}"),
            v2(&["office365s", id, "domains"]),
            Shape::Domains,
        )
        .id_of(|v| v.get("objectId")?.as_str().map(str::to_string));
        self.list(coll).await
    }

    // ---------------------------------------------------------------------------------------
    // Directories and the graph (v2)

    /// Every directory of the org (`GET /directories`): the only way to find M365 instances.
    pub async fn list_directories(&self) -> Result<Vec<Fetched<WireDirectory>>, ApiError> {
        self.list(Collection::new("directories", v2(&["directories"]), Shape::V2).sort("id"))
            .await
    }

    /// Direct associations of a directory with users or groups.
    pub async fn list_associations(
        &self,
        directory: &Directory,
        target: Target,
    ) -> Result<Vec<Fetched<GraphConnection>>, ApiError> {
        let (kind, id) = directory_path(directory);
        let coll = Collection::new(
            format!("{} associations of {kind} {id}", target.api_name()),
            v2(&[kind, id, "associations"]),
            Shape::V2,
        )
        .query("targets", target.api_name())
        .id_of(paging::edge_target_id);
        self.list(coll).await
    }

    /// Users bound to a directory directly or through groups (`/{directory}/users`).
    pub async fn list_directory_users(
        &self,
        directory: &Directory,
    ) -> Result<Vec<Fetched<GraphObjectWithPaths>>, ApiError> {
        let (kind, id) = directory_path(directory);
        let coll = Collection::new(
            format!("users of {kind} {id}"),
            v2(&[kind, id, "users"]),
            Shape::V2,
        );
        self.list(coll).await
    }

    /// Groups bound to a directory (`/{directory}/usergroups`).
    pub async fn list_directory_groups(
        &self,
        directory: &Directory,
    ) -> Result<Vec<Fetched<GraphObjectWithPaths>>, ApiError> {
        let (kind, id) = directory_path(directory);
        let coll = Collection::new(
            format!("user groups of {kind} {id}"),
            v2(&[kind, id, "usergroups"]),
            Shape::V2,
        );
        self.list(coll).await
    }

    /// A user's direct associations with directories of one type (`active_directory`,
    /// `office_365`, ...).
    pub async fn list_user_associations(
        &self,
        user_id: &str,
        targets: &str,
    ) -> Result<Vec<Fetched<GraphConnection>>, ApiError> {
        let coll = Collection::new(
            format!("{targets} associations of user {user_id}"),
            v2(&["users", user_id, "associations"]),
            Shape::V2,
        )
        .query("targets", targets)
        .id_of(paging::edge_target_id);
        self.list(coll).await
    }

    /// Adds or removes one direct association between a directory and a user or group.
    pub async fn association_op(
        &self,
        directory: &Directory,
        op: Op,
        subject: &Subject,
    ) -> Result<(), ApiError> {
        let (kind, id) = directory_path(directory);
        let (target, subject_id) = match subject {
            Subject::User(id) => (Target::User, id),
            Subject::Group(id) => (Target::UserGroup, id),
        };
        let body = graph_op(op, target.api_name(), subject_id)?;
        self.write_no_content(Method::POST, v2(&[kind, id, "associations"]), Some(&body))
            .await
    }
}

/// The v2 collection and id of a directory (live ids).
fn directory_path(directory: &Directory) -> (&'static str, &str) {
    match directory {
        Directory::AdDomain(id) => ("activedirectories", id),
        Directory::M365Tenant(id) => ("office365s", id),
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

fn decode<T: DeserializeOwned>(raw: &Value) -> Result<T, String> {
    T::deserialize(raw).map_err(|e| e.to_string())
}

/// A transport error as one line, without the URL (it is in the error's path already).
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
