//! The API routes, one file per resource, and the request/response pieces they share.

mod ad;
mod apps;
mod graph;
mod groups;
mod o365;
mod users;

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{Map, Value};

use super::cache::Rows;
use super::error::{ApiError, ApiResult};
use super::query::{Dialect, ListParams, Query, Rules};
use super::state::{Obj, Org};
use super::table::{IdKey, Table};
use super::App;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .merge(users::routes())
        .merge(groups::routes())
        .merge(ad::routes())
        .merge(apps::routes())
        .merge(o365::routes())
        .merge(graph::routes())
}

/// The decoded query string; a malformed one is a 400 in the API's error format. A parameter
/// with an empty value (`limit=`, `filter=`, `fields=`) is dropped: the API treats it as absent,
/// and clients built on generated SDKs send them.
pub struct Params(pub Query);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|q| {
                let pairs = q.0.into_iter().filter(|(_, v)| !v.trim().is_empty());
                Params(Query(pairs.collect()))
            })
            .map_err(|err| ApiError::bad_request(format!("invalid query string: {err}")))
    }
}

/// The list parameters of `q` under the endpoint's `rules`; anything invalid is a 400.
pub fn list_params(
    q: &Query,
    dialect: Dialect,
    default_limit: usize,
    rules: &Rules,
) -> ApiResult<ListParams> {
    ListParams::parse(q, dialect, default_limit)
        .and_then(|p| p.restrict(rules))
        .map_err(ApiError::bad_request)
}

/// A JSON object request body. An empty body reads as `{}` (several POSTs take none); anything
/// that is not a JSON object is a 400 rather than axum's plain-text rejection.
pub struct Body(pub Obj);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|err| ApiError::bad_request(format!("cannot read request body: {err}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body(Map::new()));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            Ok(_) => Err(ApiError::bad_request("request body must be a JSON object")),
            Err(err) => Err(ApiError::bad_request(format!(
                "request body is not valid JSON: {err}"
            ))),
        }
    }
}

/// Pages a table's objects for a list endpoint (see [`page_rows`]).
pub fn page_table<K: IdKey>(
    app: &App,
    uri: &Uri,
    params: &ListParams,
    id_key: &str,
    table: impl Fn(&Org) -> &Table<K>,
) -> (Vec<Value>, usize) {
    let (rows, total) = app.read_versioned(|org, version| {
        let table = table(org);
        let rows = cached(app, version, uri, params, "", || {
            Ok(Rows::Slots(arrange_table(params, table)))
        })
        .unwrap_or_else(|_: ApiError| Arc::new(Rows::Slots(Vec::new())));
        let Rows::Slots(slots) = &*rows else {
            return (Vec::new(), 0);
        };
        let page = window(slots, params)
            .iter()
            .filter_map(|&slot| table.at_full(slot))
            .collect::<Vec<Obj>>();
        (page, slots.len())
    });
    finish(app, uri, params, rows, total, id_key)
}

/// The slots of a table's objects that match `params`, in its order. A table storing objects
/// packed (`IdKey::pack`) is judged on the whole objects: each object's fields the query looks
/// at are filled in for the comparison only (a query on the id alone needs none).
fn arrange_table<K: IdKey>(params: &ListParams, table: &Table<K>) -> Vec<usize> {
    let used = params.fields_used();
    if !K::PACKS || used.iter().all(|f| *f == K::KEY) {
        return params.arrange(table.slots());
    }
    let views: Vec<(usize, Obj)> = table
        .slots()
        .map(|(slot, obj)| {
            let mut full = obj.clone();
            K::unpack(&mut full);
            let view = full
                .into_iter()
                .filter(|(k, _)| used.contains(&k.as_str()))
                .collect();
            (slot, view)
        })
        .collect();
    params.arrange(views.iter().map(|(slot, view)| (*slot, view)))
}

/// Pages rows a list endpoint builds from the org (`build` runs once per org version and query,
/// not per page), applying the short-pages fault. `selects` names what else (besides the path
/// and the list parameters) chooses the rows, for the cache. Returns the page (fields
/// projected, `id_key` kept) and the total before paging.
pub fn page_rows(
    app: &App,
    uri: &Uri,
    params: &ListParams,
    selects: &str,
    id_key: &str,
    build: impl FnOnce(&Org) -> ApiResult<Vec<Obj>>,
) -> ApiResult<(Vec<Value>, usize)> {
    let (rows, total) = app.read_versioned(|org, version| {
        let rows = cached(app, version, uri, params, selects, || {
            let mut rows: Vec<Option<Obj>> = build(org)?.into_iter().map(Some).collect();
            let order = params.arrange(
                rows.iter()
                    .enumerate()
                    .filter_map(|(i, r)| r.as_ref().map(|r| (i, r))),
            );
            Ok(Rows::Built(
                order.into_iter().filter_map(|i| rows[i].take()).collect(),
            ))
        })?;
        let Rows::Built(rows) = &*rows else {
            return Ok((Vec::new(), 0));
        };
        Ok::<_, ApiError>((window(rows, params).to_vec(), rows.len()))
    })?;
    Ok(finish(app, uri, params, rows, total, id_key))
}

/// The rows of this page.
pub(crate) fn window<'a, T>(rows: &'a [T], params: &ListParams) -> &'a [T] {
    let start = params.skip.min(rows.len());
    let end = start.saturating_add(params.limit).min(rows.len());
    &rows[start..end]
}

/// The query's rows from the cache, or `make`s them (and caches them when they span pages).
/// The entry is dropped once the page reaching its end is served.
pub(crate) fn cached(
    app: &App,
    version: u64,
    uri: &Uri,
    params: &ListParams,
    selects: &str,
    make: impl FnOnce() -> ApiResult<Rows>,
) -> ApiResult<Arc<Rows>> {
    let key = format!("{}|{selects}|{}", uri.path(), params.selection_key());
    let hit = app.cache().get(version, &key);
    let rows = match hit {
        Some(rows) => rows,
        None => {
            let rows = Arc::new(make()?);
            if rows.len() > params.limit {
                app.cache().put(version, key.clone(), rows.clone());
            }
            rows
        }
    };
    if params.skip.saturating_add(params.limit) >= rows.len() {
        app.cache().forget(&key);
    }
    Ok(rows)
}

/// Applies the short-pages fault and the projection to a page.
fn finish(
    app: &App,
    uri: &Uri,
    params: &ListParams,
    mut rows: Vec<Obj>,
    total: usize,
    id_key: &str,
) -> (Vec<Value>, usize) {
    if !rows.is_empty() && app.faults.shorten_page(&uri.to_string()) {
        rows.pop();
    }
    let rows = rows
        .into_iter()
        .map(|o| Value::Object(params.project(o, id_key)))
        .collect();
    (rows, total)
}

/// Pages `rows` built by the caller (small lists that are not worth caching).
pub fn page(
    app: &App,
    uri: &Uri,
    params: &ListParams,
    rows: Vec<Obj>,
    id_key: &str,
) -> (Vec<Value>, usize) {
    let (rows, total) = params.select(rows);
    finish(app, uri, params, rows, total, id_key)
}

/// A v2 list already written as a JSON array (`body`), the total in `x-total-count`.
pub fn v2_list_bytes(body: Vec<u8>, total: usize) -> Response {
    let mut response = (
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    response
        .headers_mut()
        .insert("x-total-count", HeaderValue::from(total));
    response
}

/// A v2 list: a bare JSON array, the total in `x-total-count`.
pub fn v2_list(rows: Vec<Value>, total: usize) -> Response {
    let mut response = Json(Value::Array(rows)).into_response();
    response
        .headers_mut()
        .insert("x-total-count", HeaderValue::from(total));
    response
}

/// A string field of a request body: absent is `None`, present but not a string is a 400.
pub fn opt_str<'a>(body: &'a Obj, key: &str) -> ApiResult<Option<&'a str>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad_request(format!("{key} must be a string"))),
    }
}

/// A required, non-empty string field.
pub fn req_str<'a>(body: &'a Obj, key: &str) -> ApiResult<&'a str> {
    match opt_str(body, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::bad_request(format!("{key} is required"))),
    }
}

/// A string field that must be one of `allowed`, if present.
pub fn opt_enum<'a>(body: &'a Obj, key: &str, allowed: &[&str]) -> ApiResult<Option<&'a str>> {
    match opt_str(body, key)? {
        Some(s) if !allowed.contains(&s) => Err(ApiError::bad_request(format!(
            "{key} must be one of {}, got {s:?}",
            allowed.join(", ")
        ))),
        other => Ok(other),
    }
}

/// A boolean field, if present.
pub fn opt_bool(body: &Obj, key: &str) -> ApiResult<Option<bool>> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::bad_request(format!("{key} must be a boolean"))),
    }
}

/// v1 user bodies: a boolean field sent as `0`/`1` (or `"true"`/`"false"`, `"0"`/`"1"`) is
/// stored as the boolean it means, the way the v1 API casts its inputs (jccli sends
/// `strtobool()` integers); any other non-boolean is a 400. `keys` may be dotted
/// (`mfa.exclusion`) for nested objects.
pub fn coerce_bools(body: &mut Obj, keys: &[&str]) -> ApiResult<()> {
    for key in keys {
        let (head, rest) = match key.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (*key, None),
        };
        match rest {
            Some(rest) => {
                if let Some(Value::Object(inner)) = body.get_mut(head) {
                    coerce_bools(inner, &[rest])
                        .map_err(|err| ApiError::bad_request(format!("{head}.{}", err.message)))?;
                }
            }
            None => {
                let Some(value) = body.get_mut(head) else {
                    continue;
                };
                let coerced = match &*value {
                    Value::Null | Value::Bool(_) => continue,
                    Value::Number(n) if n.as_i64() == Some(0) => false,
                    Value::Number(n) if n.as_i64() == Some(1) => true,
                    Value::String(s) if s == "0" || s == "false" => false,
                    Value::String(s) if s == "1" || s == "true" => true,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "{head} must be a boolean, got {other}"
                        )))
                    }
                };
                *value = Value::Bool(coerced);
            }
        }
    }
    Ok(())
}

/// The id string of an object (`_id` or `id`).
pub fn id_of<'a>(obj: &'a Obj, key: &str) -> &'a str {
    obj.get(key).and_then(Value::as_str).unwrap_or_default()
}
