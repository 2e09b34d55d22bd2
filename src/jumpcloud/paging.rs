//! Reading a whole collection, page by page, without ever returning partial data as success.
//!
//! The API pages with `limit`/`skip`, which is fragile: a row deleted before the cursor shifts
//! every later row back by one and a naive reader silently skips one; a server may ignore
//! `skip`, return short pages, cap the page size, or report a total that is wrong. Where the
//! total is (API facts this relies on; see the v1/v2 specs and docs/api-notes in the README):
//! - v1 lists (`GET /systemusers`, `POST /search/systemusers`) answer `{totalCount, results}`;
//! - `GET /office365s/{id}/domains` answers `{totalCount, domains}`;
//! - v2 lists answer a bare array and put the total in the `x-total-count` header, which the
//!   spec declares only as a request trait and on a few operations: a v2 list may come without
//!   one, so "no total" is handled, not an error.
//!
//! A collection is complete only when a short (or empty) page has been read and, when the
//! server reported a total, the rows read equal the total the last page reported. The reader:
//! - sorts by id where the endpoint supports it, so the order is stable;
//! - overlaps consecutive pages by one row and checks that the row at the seam is the last one
//!   already read: if it is not, rows moved under the reader (or `skip` was ignored);
//! - refuses a row id it has seen before (a server ignoring `skip` repeats page one);
//! - re-reads a page that comes back shorter than asked while the total says there is more;
//! - stops a read that runs past the first reported total plus a margin (`margin`), and any
//!   read past `ClientConfig::max_pages` pages, so a total that lies low, keeps growing, or is
//!   missing while full pages keep coming ends in an error, not an endless read.
//!
//! Once the first page reports a total, the pages the total says follow are requested
//! concurrently (up to `--parallelism` in flight, issue 13: 100k users were a serial chain of
//! 1,011 round trips). Their offsets are the ones the serial reader would ask for (page `k`
//! starts at row `99k`), and they are checked in order exactly as if read one after another: a
//! page fetched earlier or later than its neighbour still has to agree with it at the seam, so
//! a row inserted or deleted before a seam between the two fetches is caught the same way.
//! When the serial reader would ask for another offset (a short page, a total that grew), the
//! pages fetched ahead are dropped and the read goes on serially.
//!
//! Any inconsistency re-reads the collection once from the top (rows may really have moved);
//! if the second read is inconsistent too it fails with `ApiError::Incomplete` naming the
//! collection. The overlap costs one row per page, and the end must be seen as a short page, so
//! a collection of `n` rows takes `pages_for(n)` requests: 1 below 100 rows, then one more per
//! 99 rows (`2 + (n - 100) / 99`).

use std::collections::HashSet;
use std::pin::Pin;

use futures_util::stream::{Stream, StreamExt};

use reqwest::header::HeaderValue;
use reqwest::Method;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::client::{Client, Endpoint, Request};
use super::error::ApiError;
use super::retry::Safety;

/// Rows per page; v2 documents 100 as the maximum and v1 is safest there too.
pub(crate) const PAGE_SIZE: usize = 100;
/// Whole-collection reads: the first, and one re-read after an inconsistency.
const MAX_PASSES: usize = 2;
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
    pub(crate) endpoint: Endpoint,
    pub(crate) shape: Shape,
    query: Vec<(&'static str, String)>,
    /// POST search body; `None` for GET lists.
    body: Option<Value>,
    id_of: fn(&RawValue) -> Option<String>,
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
    pub(crate) fn id_of(mut self, f: fn(&RawValue) -> Option<String>) -> Self {
        self.id_of = f;
        self
    }
}

// A row's identity is read from its text without building the row as a `Value` (the other
// fields are skipped): an object whose id field is a string. Anything else (not an object, no
// such field, another type) has no id; a field given twice counts with its last value.

fn v1_id(row: &RawValue) -> Option<String> {
    string(field_of(row, "_id")?)
}

fn v2_id(row: &RawValue) -> Option<String> {
    string(field_of(row, "id")?)
}

fn string(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// Identity of an M365 domain row: `objectId`.
pub(crate) fn domain_id(row: &RawValue) -> Option<String> {
    string(field_of(row, "objectId")?)
}

/// The member `name` of the JSON object `row` (its last value if given twice); `None` when
/// `row` is not an object or has no such member.
fn field_of(row: &RawValue, name: &str) -> Option<Value> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
    use std::fmt;

    /// A key, compared with the wanted name without being kept.
    struct Key<'a>(&'a str);
    impl<'de> DeserializeSeed<'de> for Key<'_> {
        type Value = bool;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_str(self)
        }
    }
    impl Visitor<'_> for Key<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E>(self, key: &str) -> Result<bool, E> {
            Ok(key == self.0)
        }
    }

    struct Field<'a>(&'a str);
    impl<'de> Visitor<'de> for Field<'_> {
        type Value = Option<Value>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
            let mut found = None;
            while let Some(wanted) = map.next_key_seed(Key(self.0))? {
                if wanted {
                    found = Some(map.next_value::<Value>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }

    let mut de = serde_json::Deserializer::from_str(row.get());
    serde::Deserializer::deserialize_map(&mut de, Field(name))
        .ok()
        .flatten()
}

/// Why a page's row ids are unusable.
#[derive(Debug)]
pub(crate) enum IdError {
    /// A row has no id (or an empty one): the read fails.
    Missing(String),
    /// An id comes twice in one page: the rows moved or the server misbehaves; re-read.
    Twice(String),
}

impl IdError {
    pub(crate) fn into_reason(self) -> String {
        match self {
            IdError::Missing(r) | IdError::Twice(r) => r,
        }
    }
}

/// The row ids of one page, in order, as the reader takes them: every row has a non-empty id
/// (`Collection::id_of`) and no id comes twice. `first` is the row number of the page's first
/// row in the collection (0-based), for messages.
pub(crate) fn page_ids(
    coll: &Collection,
    rows: &[Box<RawValue>],
    first: usize,
) -> Result<Vec<String>, IdError> {
    let mut seen = HashSet::new();
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let id = (coll.id_of)(row)
                .filter(|id| !id.trim().is_empty())
                .ok_or_else(|| {
                    IdError::Missing(format!(
                        "row {} has no id: {}",
                        first + i + 1,
                        truncate(row.get())
                    ))
                })?;
            if !seen.insert(id.clone()) {
                return Err(IdError::Twice(format!(
                    "row {id} came back twice; the collection changed or the server ignores skip"
                )));
            }
            Ok(id)
        })
        .collect()
}

/// Identity of a `GraphConnection` row: the object at the far end.
pub(crate) fn edge_target_id(row: &RawValue) -> Option<String> {
    let to = field_of(row, "to")?;
    let kind = to.get("type").and_then(Value::as_str).unwrap_or("");
    let id = to.get("id")?.as_str()?;
    if id.trim().is_empty() {
        return None;
    }
    Some(format!("{kind}:{id}"))
}

/// One page as returned: each row as its JSON text, decoded by the reader's `map` only (issue
/// 13: a page parsed into `Value`s, then decoded again, cost most of a read's CPU and memory).
pub(crate) struct Page {
    pub(crate) rows: Vec<Box<RawValue>>,
    pub(crate) total: Option<usize>,
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

/// Reads a whole collection (see the module docs), turning each row into an `R` as its page is accepted (`map` gets the row's
/// position in the collection), so a collection is never held as JSON values all at once
/// (issue 13). A `map` error fails the read.
pub(crate) async fn read_all_map<R>(
    client: &Client,
    coll: &Collection,
    map: &(dyn Fn(usize, &RawValue) -> Result<R, ApiError> + Sync),
) -> Result<Vec<R>, ApiError> {
    let mut last_reason = String::new();
    for _ in 0..MAX_PASSES {
        match read_pass(client, coll, map).await {
            Ok(rows) => return Ok(rows),
            Err(PassError::Fatal(e)) => return Err(e),
            Err(PassError::Restart(reason)) => last_reason = reason,
        }
    }
    Err(ApiError::Incomplete {
        collection: coll.name.clone(),
        reason: format!("{last_reason} (read {MAX_PASSES} times, inconsistent each time)"),
    })
}

/// Rows beyond a reported total `t` that a read tolerates before it stops: rows added while
/// reading are normal, an endless stream is not. A page, or a tenth of the total if larger.
pub(crate) fn margin(total: usize) -> usize {
    PAGE_SIZE.max(total / 10)
}

async fn read_pass<R>(
    client: &Client,
    coll: &Collection,
    map: &(dyn Fn(usize, &RawValue) -> Result<R, ApiError> + Sync),
) -> Result<Vec<R>, PassError> {
    let max_pages = client.max_pages();
    let mut rows: Vec<R> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut last_id: Option<String> = None;
    // The first total reported bounds the read; the latest is what the end is checked against.
    let mut first_total: Option<usize> = None;
    let mut total: Option<usize> = None;
    let mut pages = 0usize;
    // Pages requested ahead, in offset order, once the first total is known.
    let mut ahead: Option<Ahead<'_>> = None;

    loop {
        if pages >= max_pages {
            return Err(PassError::Restart(format!(
                "read {pages} pages ({} rows) without reaching the end of the list{}; \
                 jcform reads at most {max_pages} pages of one collection (JCFORM_MAX_PAGES)",
                rows.len(),
                match total {
                    Some(t) => format!(" although the server reports {t} rows"),
                    None => String::new(),
                }
            )));
        }
        pages += 1;
        // After the first page, start one row early: that row must be the last one read.
        let offset = rows.len().saturating_sub(1);
        let page = match next_ahead(&mut ahead, offset).await {
            Some(page) => page?,
            None => fetch_page_full(client, coll, offset).await?,
        };
        if page.total.is_some() {
            first_total = first_total.or(page.total);
            total = page.total;
        }
        let short = page.rows.len() < PAGE_SIZE;
        let ids = page_ids(coll, &page.rows, offset).map_err(|e| match e {
            IdError::Missing(reason) => PassError::Fatal(ApiError::Incomplete {
                collection: coll.name.clone(),
                reason,
            }),
            IdError::Twice(reason) => PassError::Restart(reason),
        })?;
        let mut page_rows = page.rows.into_iter().zip(ids);

        if let Some(expected) = &last_id {
            let seam = page_rows.next().map(|(_, id)| id);
            if seam.as_ref() != Some(expected) {
                return Err(PassError::Restart(format!(
                    "the rows moved while they were read (row {offset} is no longer {expected}); \
                     the collection changed or the server ignores skip"
                )));
            }
        }

        let mut new_rows = 0usize;
        for (row, id) in page_rows {
            if !seen.insert(id.clone()) {
                return Err(PassError::Restart(format!(
                    "row {id} came back twice; the collection changed or the server ignores skip"
                )));
            }
            last_id = Some(id);
            rows.push(map(rows.len(), &row).map_err(PassError::Fatal)?);
            new_rows += 1;
        }

        if short {
            // The end of the list, if the total agrees.
            match total {
                None => return Ok(rows),
                Some(t) if rows.len() == t => return Ok(rows),
                // Still short after re-reads but advancing: the server caps its page size
                // below ours. Continue from where it stopped; the seam check guards the gap.
                Some(t) if rows.len() < t && new_rows > 0 => {}
                Some(t) if rows.len() < t => {
                    return Err(PassError::Restart(format!(
                        "the server reports {t} rows but returned no more after {}",
                        rows.len()
                    )));
                }
                Some(t) => {
                    return Err(PassError::Restart(format!(
                        "read {} rows to the end of the list but the server reports {t}",
                        rows.len()
                    )));
                }
            }
        } else if let Some(t) = first_total {
            if pages == 1 {
                ahead = Some(read_ahead(client, coll, t, max_pages));
            }
            // A full page: more may follow, but not without bound.
            let limit = t.saturating_add(margin(t));
            if rows.len() > limit {
                return Err(PassError::Restart(format!(
                    "the server reported {t} rows but sent {} without reaching the end of the \
                     list (its total is wrong or keeps growing)",
                    rows.len()
                )));
            }
        }
    }
}

/// Pages fetched ahead: (offset, page) in offset order.
type Ahead<'a> = Pin<Box<dyn Stream<Item = (usize, Result<Page, PassError>)> + Send + 'a>>;

/// Requests the pages after the first that a collection of `total` rows has (at the offsets
/// the serial reader uses), at most `parallelism` at once, answers kept in order.
fn read_ahead<'a>(
    client: &'a Client,
    coll: &'a Collection,
    total: usize,
    max_pages: usize,
) -> Ahead<'a> {
    let pages = (pages_for(total) as usize).min(max_pages);
    let offsets = (1..pages).map(|k| k * (PAGE_SIZE - 1));
    Box::pin(
        futures_util::stream::iter(offsets)
            .map(move |offset| async move { (offset, fetch_page_full(client, coll, offset).await) })
            .buffered(client.parallelism().max(1)),
    )
}

/// The page fetched ahead for `offset`, if that is the next one; otherwise the pages fetched
/// ahead are dropped (requests in flight are cancelled) and the caller reads serially.
async fn next_ahead(
    ahead: &mut Option<Ahead<'_>>,
    offset: usize,
) -> Option<Result<Page, PassError>> {
    let stream = ahead.as_mut()?;
    match stream.next().await {
        Some((at, page)) if at == offset => Some(page),
        _ => {
            *ahead = None;
            None
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

    decode_page(coll.shape, &resp.body, resp.headers.get("x-total-count")).map_err(|message| {
        PassError::Fatal(ApiError::Decode {
            method: method.as_str().to_string(),
            path: coll.endpoint.display(),
            message,
        })
    })
}

/// One list response as rows and the total it reports: the shape (`Shape`), and the total from
/// `totalCount` (v1, domains) or `x_total_count` (v2). `Err` says what is wrong; never panics,
/// whatever the bytes (the fuzz target and `tests/suite/client_fuzz.rs` hold it to that).
pub(crate) fn decode_page(
    shape: Shape,
    text: &str,
    x_total_count: Option<&HeaderValue>,
) -> Result<Page, String> {
    // Rows stay text (`RawValue`); a body of the wrong shape is parsed again as a `Value`, only
    // to say what it is instead.
    let invalid = |e: serde_json::Error| format!("invalid JSON: {e}");
    let (rows, total) = match shape {
        Shape::V2 => {
            let total = match x_total_count {
                None => None,
                Some(v) => Some(v.to_str().ok().and_then(parse_total).ok_or_else(|| {
                    format!(
                        "x-total-count {:?} is not a row count",
                        truncate(&String::from_utf8_lossy(v.as_bytes()))
                    )
                })?),
            };
            match serde_json::from_str::<Vec<Box<RawValue>>>(text) {
                Ok(rows) => (rows, total),
                Err(_) => {
                    let body: Value = serde_json::from_str(text).map_err(invalid)?;
                    return Err(format!("expected a JSON array, got {}", kind(&body)));
                }
            }
        }
        Shape::V1 | Shape::Domains => {
            let key = if shape == Shape::V1 {
                "results"
            } else {
                "domains"
            };
            // Keys as the body has them; a key given twice keeps its last value, as a `Value`
            // would.
            let map = match serde_json::from_str::<Fields>(text) {
                Ok(fields) => fields.0,
                Err(_) => {
                    let body: Value = serde_json::from_str(text).map_err(invalid)?;
                    return Err(format!(
                        "expected an object with {key:?}, got {}",
                        kind(&body)
                    ));
                }
            };
            let field = |name: &str| map.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
            // `totalCount` is int64: protobuf-JSON services send it as a string.
            let total_value: Option<Value> = match field("totalCount") {
                None => None,
                Some(raw) => Some(serde_json::from_str(raw.get()).map_err(invalid)?),
            };
            let total =
                match total_value {
                    None | Some(Value::Null) => None,
                    Some(Value::Number(n)) => Some(
                        n.as_u64()
                            .and_then(|n| usize::try_from(n).ok())
                            .ok_or_else(|| format!("totalCount {n} is not a row count"))?,
                    ),
                    Some(Value::String(s)) => Some(parse_total(&s).ok_or_else(|| {
                        format!("totalCount {:?} is not a row count", truncate(&s))
                    })?),
                    Some(other) => {
                        return Err(format!("totalCount is {}, not a row count", kind(&other)))
                    }
                };
            match field(key) {
                Some(raw) => match serde_json::from_str::<Vec<Box<RawValue>>>(raw.get()) {
                    Ok(rows) => (rows, total),
                    Err(_) => {
                        let other: Value = serde_json::from_str(raw.get()).map_err(invalid)?;
                        return Err(format!(
                            "expected {key:?} to be an array, got {}",
                            kind(&other)
                        ));
                    }
                },
                // An empty domains list may leave the key out entirely.
                None if shape == Shape::Domains => (Vec::new(), total),
                None => return Err(format!("the response has no {key:?}")),
            }
        }
    };
    Ok(Page { rows, total })
}

/// A JSON object's members in order, values as text.
struct Fields(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push(entry);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// A serde_json error without its position (`at line 1 column 7`), as a message about a
/// response body or a row.
pub(crate) fn plain(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&position) {
        Some(message) => message.to_string(),
        None => text,
    }
}

/// A row count as text: ASCII digits only (no sign, no exponent), fitting a `usize`.
fn parse_total(s: &str) -> Option<usize> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A row for messages: `row 5f00…b02` by its id, or `row 3` (1-based) when it has none.
pub(crate) fn row_label(coll: &Collection, row: &RawValue, index: usize) -> String {
    match (coll.id_of)(row) {
        Some(id) => format!("row {id}"),
        None => format!("row {}", index + 1),
    }
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

/// Requests `read_all` needs for `n` rows when nothing goes wrong: pages overlap by one row and
/// the last page read is short (a list of exactly 100 rows needs a second page to see its end).
pub(crate) fn pages_for(n: usize) -> u64 {
    if n < PAGE_SIZE {
        1
    } else {
        2 + ((n - PAGE_SIZE) / (PAGE_SIZE - 1)) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_for_counts_the_overlap() {
        // Page k >= 1 starts at row 99k and is short once fewer than 100 rows are left there.
        assert_eq!(pages_for(0), 1);
        assert_eq!(pages_for(99), 1);
        assert_eq!(pages_for(100), 2);
        assert_eq!(pages_for(101), 2);
        assert_eq!(pages_for(198), 2);
        assert_eq!(pages_for(199), 3);
        assert_eq!(pages_for(200), 3);
        assert_eq!(pages_for(2000), 21);
        for n in 0..1000 {
            // The first page holds min(n, 100) rows; each later one 99 new rows.
            let mut pages = 1;
            let mut read = n.min(PAGE_SIZE);
            let mut last_len = read;
            while last_len == PAGE_SIZE {
                last_len = (n - (read - 1)).min(PAGE_SIZE);
                read += last_len - 1;
                pages += 1;
            }
            assert_eq!(pages_for(n), pages, "n = {n}");
        }
    }

    #[test]
    fn totals_are_digits_only() {
        assert_eq!(parse_total("250"), Some(250));
        assert_eq!(parse_total(" 7 "), Some(7));
        for bad in ["", "-1", "1e3", "+5", "1.0", "abc", &"9".repeat(40)] {
            assert_eq!(parse_total(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn edge_ids_include_the_type() {
        let row = RawValue::from_string(r#"{"to": {"id": "a", "type": "user"}}"#.into()).unwrap();
        assert_eq!(edge_target_id(&row).as_deref(), Some("user:a"));
    }

    #[test]
    fn ids_come_from_the_row_text() {
        let raw = |t: &str| RawValue::from_string(t.into()).unwrap();
        assert_eq!(
            v1_id(&raw(r#"{"a": [1, {"_id": 2}], "_id": "x"}"#)).as_deref(),
            Some("x")
        );
        assert_eq!(v1_id(&raw(r#"{"_id": 5}"#)), None);
        assert_eq!(v1_id(&raw(r#"{"id": "x"}"#)), None);
        assert_eq!(v1_id(&raw(r#"["_id"]"#)), None);
        assert_eq!(
            v2_id(&raw(r#"{"id": "y", "_id": "x"}"#)).as_deref(),
            Some("y")
        );
        assert_eq!(
            v2_id(&raw(r#"{"id": "y", "id": "z"}"#)).as_deref(),
            Some("z")
        );
        assert_eq!(v2_id(&raw(r#"{"i\u0064": "e"}"#)).as_deref(), Some("e"));
        assert_eq!(
            domain_id(&raw(r#"{"objectId": "d"}"#)).as_deref(),
            Some("d")
        );
    }

    #[test]
    fn pages_keep_rows_as_text_and_report_shapes() {
        let page = decode_page(
            Shape::V1,
            r#"{"totalCount": "2", "results": [{"_id": "a"}, 3]}"#,
            None,
        )
        .unwrap();
        assert_eq!((page.rows.len(), page.total), (2, Some(2)));
        assert_eq!(page.rows[1].get(), "3");
        let err = |shape, text| decode_page(shape, text, None).err().unwrap();
        assert_eq!(
            err(Shape::V1, "[]"),
            "expected an object with \"results\", got an array"
        );
        assert_eq!(
            err(Shape::V1, r#"{"results": {}}"#),
            "expected \"results\" to be an array, got an object"
        );
        assert_eq!(
            err(Shape::V1, r#"{"totalCount": 1}"#),
            "the response has no \"results\""
        );
        assert_eq!(
            err(Shape::V1, r#"{"totalCount": -1, "results": []}"#),
            "totalCount -1 is not a row count"
        );
        assert_eq!(
            err(Shape::V2, r#"{"a": 1}"#),
            "expected a JSON array, got an object"
        );
        assert!(err(Shape::V2, "[1,").starts_with("invalid JSON: "));
        let page = decode_page(Shape::Domains, r#"{"totalCount": 0}"#, None).unwrap();
        assert!(page.rows.is_empty());
        // A key given twice counts once, with its last value (as a parsed object would).
        let page = decode_page(Shape::V1, r#"{"results": [1], "results": [1, 2]}"#, None).unwrap();
        assert_eq!(page.rows.len(), 2);
    }
}
