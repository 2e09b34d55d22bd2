//! Reading a whole collection, page by page, without ever returning partial data as success.
//!
//! The API pages with `limit`/`skip`, which is fragile: a row deleted before the cursor shifts
//! every later row back by one and a naive reader silently skips one; a server may ignore
//! `skip`, return short pages, or cap the page size. The reader therefore:
//! - sorts by id where the endpoint supports it, so the order is stable;
//! - overlaps consecutive pages by one row and checks that the row at the seam is the last one
//!   already read: if it is not, rows moved under the reader (or `skip` was ignored);
//! - refuses a row id it has seen before (a server ignoring `skip` repeats page one);
//! - re-reads a page that comes back shorter than asked while the total says there is more;
//! - compares the rows read with the total (`totalCount` in v1 bodies and the domains list,
//!   `x-total-count` on v2) at the end.
//!
//! Any inconsistency restarts the read from the top, a few times; after that it fails with
//! `ApiError::Incomplete` naming the collection. The overlap costs one row per page, so a
//! collection of `n` rows takes `1 + ceil((n - 100) / 99)` requests (1 when `n <= 100`).

use std::collections::HashSet;

use reqwest::Method;
use serde_json::Value;

use super::client::{Client, Endpoint, Request};
use super::error::ApiError;
use super::retry::Safety;

/// Rows per page; v2 documents 100 as the maximum and v1 is safest there too.
pub(crate) const PAGE_SIZE: usize = 100;
/// Whole-collection re-reads after an inconsistency.
const MAX_PASSES: usize = 3;
/// Re-reads of one page that came back short.
const SHORT_PAGE_REREADS: usize = 3;

/// How a list response is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `{"totalCount": n, "results": [...]}`.
    V1,
    /// A bare array; the total in the `x-total-count` header.
    V2,
    /// `{"totalCount": n, "domains": [...]}` (`/office365s/{id}/domains`).
    Domains,
}

/// A collection to read.
pub(crate) struct Collection {
    /// Names the collection in errors: "users", "members of user group 5f...".
    pub(crate) name: String,
    endpoint: Endpoint,
    shape: Shape,
    query: Vec<(&'static str, String)>,
    /// POST search body; `None` for GET lists.
    body: Option<Value>,
    id_of: fn(&Value) -> Option<String>,
}

impl Collection {
    pub(crate) fn new(name: impl Into<String>, endpoint: Endpoint, shape: Shape) -> Self {
        let id_of = match shape {
            Shape::V1 => v1_id,
            Shape::V2 | Shape::Domains => v2_id,
        };
        Collection {
            name: name.into(),
            endpoint,
            shape,
            query: Vec::new(),
            body: None,
            id_of,
        }
    }

    /// Sorts by this field (`_id` on v1, `id` on v2 endpoints that accept `sort`).
    pub(crate) fn sort(self, field: &str) -> Self {
        self.query("sort", field)
    }

    pub(crate) fn query(mut self, key: &'static str, value: &str) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    /// Reads with `POST` and this body (the v1 search endpoints).
    pub(crate) fn post(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// How to find a row's identity (default: `_id` for v1, `id` for v2).
    pub(crate) fn id_of(mut self, f: fn(&Value) -> Option<String>) -> Self {
        self.id_of = f;
        self
    }
}

fn v1_id(row: &Value) -> Option<String> {
    row.get("_id")?.as_str().map(str::to_string)
}

fn v2_id(row: &Value) -> Option<String> {
    row.get("id")?.as_str().map(str::to_string)
}

/// Identity of a `GraphConnection` row: the object at the far end.
pub(crate) fn edge_target_id(row: &Value) -> Option<String> {
    let to = row.get("to")?;
    let kind = to.get("type").and_then(Value::as_str).unwrap_or("");
    Some(format!("{kind}:{}", to.get("id")?.as_str()?))
}

/// One page as returned.
struct Page {
    rows: Vec<Value>,
    total: Option<usize>,
}

/// Why a pass stopped.
enum PassError {
    /// The data moved or the server misbehaved: try the whole read again.
    Restart(String),
    /// Do not retry (the request itself failed after its own retries).
    Fatal(ApiError),
}

impl From<ApiError> for PassError {
    fn from(e: ApiError) -> Self {
        PassError::Fatal(e)
    }
}

pub(crate) async fn read_all(client: &Client, coll: &Collection) -> Result<Vec<Value>, ApiError> {
    let mut last_reason = String::new();
    for _ in 0..MAX_PASSES {
        match read_pass(client, coll).await {
            Ok(rows) => return Ok(rows),
            Err(PassError::Fatal(e)) => return Err(e),
            Err(PassError::Restart(reason)) => last_reason = reason,
        }
    }
    Err(ApiError::Incomplete {
        collection: coll.name.clone(),
        reason: format!("{last_reason} (gave up after {MAX_PASSES} attempts)"),
    })
}

async fn read_pass(client: &Client, coll: &Collection) -> Result<Vec<Value>, PassError> {
    let mut rows: Vec<Value> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut last_id: Option<String> = None;

    loop {
        // After the first page, start one row early: that row must be the last one read.
        let offset = rows.len().saturating_sub(1);
        let page = fetch_page_full(client, coll, offset).await?;
        let asked_full = page.rows.len() >= PAGE_SIZE;
        let mut page_rows = page.rows.into_iter();

        if let Some(expected) = &last_id {
            let seam = page_rows.next().map(|row| (coll.id_of)(&row));
            if seam.as_ref().and_then(Option::as_ref) != Some(expected) {
                return Err(PassError::Restart(format!(
                    "the rows moved while they were read (row {offset} is no longer {expected}); \
                     the collection changed or the server ignores skip"
                )));
            }
        }

        let mut new_rows = 0usize;
        for row in page_rows {
            let Some(id) = (coll.id_of)(&row) else {
                return Err(PassError::Fatal(ApiError::Incomplete {
                    collection: coll.name.clone(),
                    reason: format!("a row has no id: {}", truncate(&row.to_string())),
                }));
            };
            if !seen.insert(id.clone()) {
                return Err(PassError::Restart(format!(
                    "row {id} came back twice; the collection changed or the server ignores skip"
                )));
            }
            last_id = Some(id);
            rows.push(row);
            new_rows += 1;
        }

        match page.total {
            Some(total) if rows.len() == total => return Ok(rows),
            Some(total) if !asked_full && rows.len() < total && new_rows == 0 => {
                return Err(PassError::Restart(format!(
                    "the server reports {total} rows but returned no more after {}",
                    rows.len()
                )));
            }
            // Still short after re-reads but advancing: the server caps its page size below
            // ours. Continue from where it stopped; the seam check guards the gap.
            Some(total) if !asked_full && rows.len() < total => {}
            Some(total) if !asked_full => {
                return Err(PassError::Restart(format!(
                    "read {} rows but the server reports {total}",
                    rows.len()
                )));
            }
            // Far more rows than the server says it has: it is not paging, stop.
            Some(total) if rows.len() > 2 * total + PAGE_SIZE => {
                return Err(PassError::Fatal(ApiError::Incomplete {
                    collection: coll.name.clone(),
                    reason: format!("the server reports {total} rows but keeps returning more"),
                }));
            }
            // More than the total with full pages: rows were added while reading; go on to the
            // end and compare with the total the last page reports.
            Some(_) => {}
            // No total to check against: a short page is the end, as the API documents.
            None if !asked_full => return Ok(rows),
            None => {}
        }
    }
}

/// Fetches a page, re-reading it while it is short although the total says there is more.
async fn fetch_page_full(
    client: &Client,
    coll: &Collection,
    offset: usize,
) -> Result<Page, PassError> {
    let mut page = fetch_page(client, coll, offset).await?;
    for _ in 0..SHORT_PAGE_REREADS {
        let short = page.rows.len() < PAGE_SIZE;
        let more_exists = page.total.is_some_and(|t| offset + page.rows.len() < t);
        if !(short && more_exists) {
            break;
        }
        page = fetch_page(client, coll, offset).await?;
    }
    Ok(page)
}

async fn fetch_page(client: &Client, coll: &Collection, offset: usize) -> Result<Page, PassError> {
    let mut query = coll.query.clone();
    query.push(("limit", PAGE_SIZE.to_string()));
    query.push(("skip", offset.to_string()));
    let method = if coll.body.is_some() {
        Method::POST
    } else {
        Method::GET
    };
    let resp = client
        .send(Request {
            method: method.clone(),
            endpoint: &coll.endpoint,
            query: &query,
            body: coll.body.as_ref(),
            // Lists and searches only read.
            safety: Safety::Idempotent,
            headers: &[],
        })
        .await?;

    let bad = |message: String| {
        PassError::Fatal(ApiError::Decode {
            method: method.as_str().to_string(),
            path: coll.endpoint.display(),
            message,
        })
    };
    let body: Value =
        serde_json::from_str(&resp.body).map_err(|e| bad(format!("invalid JSON: {e}")))?;
    let (rows, total) = match coll.shape {
        Shape::V2 => {
            let total = resp
                .headers
                .get("x-total-count")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<usize>().ok());
            match body {
                Value::Array(rows) => (rows, total),
                other => return Err(bad(format!("expected a JSON array, got {}", kind(&other)))),
            }
        }
        Shape::V1 | Shape::Domains => {
            let key = if coll.shape == Shape::V1 {
                "results"
            } else {
                "domains"
            };
            let Value::Object(mut map) = body else {
                return Err(bad(format!("expected an object with {key:?}")));
            };
            // `totalCount` is int64: protobuf-JSON services send it as a string.
            let total = match map.get("totalCount") {
                Some(Value::Number(n)) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
                Some(Value::String(s)) => s.parse().ok(),
                _ => None,
            };
            match map.remove(key) {
                Some(Value::Array(rows)) => (rows, total),
                // An empty domains list may leave the key out entirely.
                None if coll.shape == Shape::Domains => (Vec::new(), total),
                _ => return Err(bad(format!("expected {key:?} to be an array"))),
            }
        }
    };
    Ok(Page { rows, total })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(120).collect()
}

/// Requests `read_all` needs for `n` rows when nothing goes wrong: pages overlap by one row.
pub(crate) fn pages_for(n: usize) -> u64 {
    if n <= PAGE_SIZE {
        1
    } else {
        1 + (n - PAGE_SIZE).div_ceil(PAGE_SIZE - 1) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_for_counts_the_overlap() {
        assert_eq!(pages_for(0), 1);
        assert_eq!(pages_for(100), 1);
        assert_eq!(pages_for(101), 2);
        assert_eq!(pages_for(199), 2);
        assert_eq!(pages_for(200), 3);
        assert_eq!(pages_for(2000), 21);
    }

    #[test]
    fn edge_ids_include_the_type() {
        let row = serde_json::json!({"to": {"id": "a", "type": "user"}});
        assert_eq!(edge_target_id(&row).as_deref(), Some("user:a"));
    }
}
