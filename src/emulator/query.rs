//! List query parameters: `limit`, `skip`, `sort`, `filter`, `fields`, in the two dialects the
//! API speaks. v1 separates `sort`/`fields` with spaces (commas work too) and documents operators
//! with a `$` (`username:$eq:alice`, repeatable as `filter[0]`, `filter[or][0]`), though the bare
//! form (`username:eq:alice`) is accepted as well; v2 separates with commas and writes bare
//! operators (`name:eq:engineering`). Each endpoint states which fields it sorts and filters by
//! ([`Rules`]); others are a 400, as on the API.

use std::cmp::Ordering;

use serde_json::Value;

use super::state::Obj;

/// Page size when the request gives none.
pub const DEFAULT_LIMIT: usize = 10;
/// The documented maximum; larger requests are clamped rather than refused (the spec only says
/// "Limited to 100" and some clients send more).
pub const MAX_LIMIT: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    V1,
    V2,
}

/// The decoded query string, keeping repeated keys and their order.
#[derive(Debug, Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    In,
    Nin,
    Lt,
    Le,
    Gt,
    Ge,
    StartsWith,
    EndsWith,
    Contains,
    NotContains,
}

/// One filter condition. `values` has one entry except for `in`/`nin`.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub field: String,
    pub op: Op,
    pub values: Vec<String>,
}

/// `searchFilter` of `POST /search/*`: (terms, fields), partial case-insensitive match.
pub type Search = (Vec<String>, Vec<String>);

/// All of `all`, and at least one of `any` when it is not empty, and the text search if given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub all: Vec<Term>,
    pub any: Vec<Term>,
    pub search: Option<Search>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub field: String,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListParams {
    pub limit: usize,
    pub skip: usize,
    pub sort: Vec<SortKey>,
    pub filter: Filter,
    /// Projection; `None` returns whole objects.
    pub fields: Option<Vec<String>>,
}

impl ListParams {
    /// Parses the list parameters of `query`; `default_limit` is the endpoint's page size.
    pub fn parse(
        query: &Query,
        dialect: Dialect,
        default_limit: usize,
    ) -> Result<ListParams, String> {
        let limit = match number(query.get("limit"), "limit")? {
            // A zero limit would make "stop at a short page" clients loop; treat it as unset.
            None | Some(0) => default_limit,
            Some(n) => n.min(MAX_LIMIT),
        };
        let skip = number(query.get("skip"), "skip")?.unwrap_or(0);
        let sort = query
            .get("sort")
            .map(|s| parse_sort(s, dialect))
            .unwrap_or_default();
        let fields = query.get("fields").map(|s| split_list(s, dialect));
        let mut filter = Filter::default();
        for (key, value) in &query.0 {
            if key != "filter" && !key.starts_with("filter[") {
                continue;
            }
            let target = if key.contains("[or]") {
                &mut filter.any
            } else {
                &mut filter.all
            };
            match dialect {
                Dialect::V1 => target.push(parse_term(value, dialect)?),
                Dialect::V2 => {
                    for part in split_v2_filters(value) {
                        target.push(parse_term(&part, dialect)?);
                    }
                }
            }
        }
        Ok(ListParams {
            limit,
            skip,
            sort,
            filter,
            fields,
        })
    }

    /// Filters and sorts `rows`, then cuts the page. Returns the page and the total number of
    /// matching rows (what `totalCount` / `x-total-count` report).
    pub fn select(&self, rows: Vec<Obj>) -> (Vec<Obj>, usize) {
        let order = self.arrange(rows.iter().enumerate());
        let total = order.len();
        let mut rows: Vec<Option<Obj>> = rows.into_iter().map(Some).collect();
        let page = order
            .into_iter()
            .skip(self.skip)
            .take(self.limit)
            .filter_map(|i| rows[i].take())
            .collect();
        (page, total)
    }

    /// The keys of the rows that match the filter, in sort order (stable, so equal keys keep
    /// storage order and paging stays deterministic). Not paged: see `skip` and `limit`.
    pub fn arrange<'a>(&self, rows: impl Iterator<Item = (usize, &'a Obj)>) -> Vec<usize> {
        let mut kept: Vec<(usize, &Obj)> = rows.filter(|(_, r)| self.filter.matches(r)).collect();
        if !self.sort.is_empty() {
            kept.sort_by(|(_, a), (_, b)| {
                self.sort
                    .iter()
                    .map(|key| {
                        let ord = compare(lookup(a, &key.field), lookup(b, &key.field));
                        if key.descending {
                            ord.reverse()
                        } else {
                            ord
                        }
                    })
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            });
        }
        kept.into_iter().map(|(key, _)| key).collect()
    }

    /// The top-level fields the filter, the text search and the sort may look at: each name,
    /// and for a dotted path (`mfa.configured`) its first part too.
    pub fn fields_used(&self) -> Vec<&str> {
        let mut used: Vec<&str> = Vec::new();
        let terms = self.filter.all.iter().chain(&self.filter.any);
        let searched = self.filter.search.iter().flat_map(|(_, fields)| fields);
        let names = terms
            .map(|t| t.field.as_str())
            .chain(searched.map(String::as_str))
            .chain(self.sort.iter().map(|k| k.field.as_str()));
        for name in names {
            let first = name.split('.').next().unwrap_or(name);
            for name in [name, first] {
                if !used.contains(&name) {
                    used.push(name);
                }
            }
        }
        used
    }

    /// What selects and orders the rows (not the page or the projection): the list cache's key.
    pub fn selection_key(&self) -> String {
        format!("{:?}|{:?}", self.sort, self.filter)
    }

    /// Applies `fields` to one object; `id_key` (`_id` or `id`) is always kept.
    pub fn project(&self, obj: Obj, id_key: &str) -> Obj {
        match &self.fields {
            None => obj,
            Some(fields) => obj
                .into_iter()
                .filter(|(k, _)| k == id_key || fields.iter().any(|f| f == k))
                .collect(),
        }
    }
}

/// What a list endpoint documents about `sort`, `filter` and `fields`.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The fields `sort` accepts; `None` when the endpoint declares no `sort` parameter (it is
    /// then ignored, like any undeclared parameter).
    pub sort: Option<&'static [&'static str]>,
    /// The fields `filter` accepts; `None` when the spec lists none (any field of the object).
    pub filter: Option<&'static [&'static str]>,
    /// Whether the endpoint declares `fields`; when not, a projection is ignored.
    pub fields: bool,
}

/// `field` is `allowed` itself, or under an `allowed` entry ending in `.*`.
fn listed(allowed: &[&str], field: &str) -> bool {
    allowed.iter().any(|a| match a.strip_suffix(".*") {
        Some(prefix) => field
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.')),
        None => *a == field,
    })
}

impl ListParams {
    /// Applies an endpoint's [`Rules`]: a sort or filter field the endpoint does not document is
    /// a 400 (`invalid sort field: id`, the API's wording); undeclared `sort` and `fields` are
    /// dropped.
    pub fn restrict(mut self, rules: &Rules) -> Result<ListParams, String> {
        match rules.sort {
            None => self.sort.clear(),
            Some(allowed) => {
                if let Some(bad) = self.sort.iter().find(|k| !listed(allowed, &k.field)) {
                    return Err(format!("invalid sort field: {}", bad.field));
                }
            }
        }
        if let Some(allowed) = rules.filter {
            let terms = self.filter.all.iter().chain(&self.filter.any);
            if let Some(bad) = terms.clone().find(|t| !listed(allowed, &t.field)) {
                return Err(format!("invalid filter field: {}", bad.field));
            }
        }
        if !rules.fields {
            self.fields = None;
        }
        Ok(self)
    }
}

/// Text fields the v1 `search` query parameter looks in when it names none.
pub const DEFAULT_SEARCH_FIELDS: &[&str] =
    &["username", "email", "firstname", "lastname", "displayname"];

/// The v1 `search` query parameter: either the JSON object the spec describes
/// (`{"searchTerm": "ali" | [...], "fields": [...]}`) or a bare term, searched in
/// [`DEFAULT_SEARCH_FIELDS`]. Matching is partial and case-insensitive, as for `searchFilter`.
pub fn parse_search_param(raw: &str) -> Result<Search, String> {
    let raw = raw.trim();
    if raw.starts_with('{') {
        let value: Value =
            serde_json::from_str(raw).map_err(|err| format!("search is not valid JSON: {err}"))?;
        return parse_search_filter(&value)?.ok_or_else(|| "search must be an object".into());
    }
    Ok((
        vec![raw.to_string()],
        DEFAULT_SEARCH_FIELDS
            .iter()
            .map(|f| f.to_string())
            .collect(),
    ))
}

fn number(raw: Option<&str>, name: &str) -> Result<Option<usize>, String> {
    raw.map(|s| {
        s.trim()
            .parse::<usize>()
            .map_err(|_| format!("{name} must be a non-negative integer, got {s:?}"))
    })
    .transpose()
}

fn split_list(raw: &str, dialect: Dialect) -> Vec<String> {
    let parts: Vec<&str> = match dialect {
        // The spec says space-separated; the official SDKs document (and send) commas. Field
        // names contain neither, and the API takes both.
        Dialect::V1 => raw.split(|c: char| c.is_whitespace() || c == ',').collect(),
        Dialect::V2 => raw.split(',').map(str::trim).collect(),
    };
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

pub fn parse_sort(raw: &str, dialect: Dialect) -> Vec<SortKey> {
    split_list(raw, dialect)
        .into_iter()
        .map(|key| match key.strip_prefix('-') {
            Some(field) => SortKey {
                field: field.to_string(),
                descending: true,
            },
            None => SortKey {
                field: key,
                descending: false,
            },
        })
        .collect()
}

/// v2 sends several filters comma-joined (`explode: false`), but a value may itself contain a
/// comma; a piece that does not start a new `field:op:` term belongs to the previous one.
fn split_v2_filters(raw: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for piece in raw.split(',') {
        let starts_term = piece
            .split(':')
            .nth(1)
            .is_some_and(|op| parse_op(op, Dialect::V2).is_some());
        match terms.last_mut() {
            Some(last) if !starts_term => {
                last.push(',');
                last.push_str(piece);
            }
            _ => terms.push(piece.to_string()),
        }
    }
    terms
}

fn parse_op(raw: &str, dialect: Dialect) -> Option<Op> {
    // v1 documents `$eq`, but the API also takes the bare operator (`username:eq:alice`), which
    // JumpCloud's own PowerShell module and many scripts send. v2 knows only the bare form.
    let name = match dialect {
        Dialect::V1 => raw.strip_prefix('$').unwrap_or(raw),
        Dialect::V2 => raw,
    };
    Some(match (dialect, name) {
        (_, "eq") => Op::Eq,
        (_, "ne") => Op::Ne,
        (_, "in") => Op::In,
        (_, "lt") => Op::Lt,
        (_, "gt") => Op::Gt,
        (Dialect::V1, "nin") => Op::Nin,
        (Dialect::V1, "lte") | (Dialect::V2, "le") => Op::Le,
        (Dialect::V1, "gte") | (Dialect::V2, "ge") => Op::Ge,
        (Dialect::V1, "sw") => Op::StartsWith,
        (Dialect::V1, "ew") => Op::EndsWith,
        (Dialect::V1, "co") | (Dialect::V2, "search") => Op::Contains,
        (Dialect::V1, "nco") => Op::NotContains,
        _ => return None,
    })
}

/// Parses `field:op:value` (the value may contain further colons, e.g. timestamps).
pub fn parse_term(raw: &str, dialect: Dialect) -> Result<Term, String> {
    let mut parts = raw.splitn(3, ':');
    let (Some(field), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
        let shape = if dialect == Dialect::V1 {
            "field:$op:value"
        } else {
            "field:op:value"
        };
        return Err(format!("invalid filter {raw:?}: expected {shape}"));
    };
    let op = parse_op(op, dialect)
        .ok_or_else(|| format!("invalid filter {raw:?}: unsupported operator {op:?}"))?;
    if field.is_empty() {
        return Err(format!("invalid filter {raw:?}: missing field"));
    }
    let values = match op {
        Op::In | Op::Nin => value.split('|').map(String::from).collect(),
        _ => vec![value.to_string()],
    };
    Ok(Term {
        field: field.to_string(),
        op,
        values,
    })
}

/// Parses the JSON `filter` of `POST /search/*`: `{"and": [{field: value}...]}`,
/// `{"or": [...]}`, a bare array (AND) or a bare object (AND of its fields). A value may be a
/// scalar (equality) or `{"$eq"|"$ne"|"$in"|"$nin": ...}`.
pub fn parse_body_filter(value: &Value) -> Result<Filter, String> {
    let mut filter = Filter::default();
    let (exprs, any): (Vec<&Value>, bool) = match value {
        Value::Null => return Ok(filter),
        Value::Array(items) => (items.iter().collect(), false),
        Value::Object(map)
            if map.len() == 1 && (map.contains_key("and") || map.contains_key("or")) =>
        {
            let (key, items) = map.iter().next().ok_or("empty filter")?;
            let items = items
                .as_array()
                .ok_or_else(|| format!("filter.{key} must be an array"))?;
            (items.iter().collect(), key == "or")
        }
        Value::Object(_) => (vec![value], false),
        _ => return Err("filter must be an object or an array".into()),
    };
    for expr in exprs {
        let map = expr
            .as_object()
            .ok_or("each filter expression must be an object")?;
        for (field, cond) in map {
            let term = body_term(field, cond)?;
            if any {
                filter.any.push(term)
            } else {
                filter.all.push(term)
            }
        }
    }
    Ok(filter)
}

fn body_term(field: &str, cond: &Value) -> Result<Term, String> {
    let Some(map) = cond.as_object() else {
        return Ok(Term {
            field: field.into(),
            op: Op::Eq,
            values: vec![scalar(cond)],
        });
    };
    let (op, arg) = map
        .iter()
        .next()
        .ok_or_else(|| format!("empty condition on {field}"))?;
    let op = parse_op(op, Dialect::V1)
        .filter(|op| matches!(op, Op::Eq | Op::Ne | Op::In | Op::Nin))
        .ok_or_else(|| format!("unsupported operator {op:?} on {field}"))?;
    let values = match arg {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => vec![scalar(other)],
    };
    Ok(Term {
        field: field.into(),
        op,
        values,
    })
}

/// Parses `searchFilter: {searchTerm: str | [str], fields: [str]}`.
pub fn parse_search_filter(value: &Value) -> Result<Option<Search>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let terms = match value.get("searchTerm") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().map(scalar).collect(),
        _ => return Err("searchFilter.searchTerm must be a string or an array of strings".into()),
    };
    let fields = match value.get("fields") {
        Some(Value::Array(items)) => items.iter().map(scalar).collect(),
        _ => return Err("searchFilter.fields must be an array of field names".into()),
    };
    Ok(Some((terms, fields)))
}

impl Filter {
    pub fn matches(&self, obj: &Obj) -> bool {
        self.all.iter().all(|t| t.matches(obj))
            && (self.any.is_empty() || self.any.iter().any(|t| t.matches(obj)))
            && self.search.as_ref().is_none_or(|(terms, fields)| {
                fields.iter().any(|f| {
                    lookup(obj, f).map(scalar).is_some_and(|text| {
                        let text = text.to_lowercase();
                        terms.iter().any(|t| text.contains(&t.to_lowercase()))
                    })
                })
            })
    }
}

impl Term {
    fn matches(&self, obj: &Obj) -> bool {
        let actual = lookup(obj, &self.field)
            .filter(|v| !v.is_null())
            .map(scalar);
        let first = self.values.first().map(String::as_str).unwrap_or_default();
        let Some(actual) = actual else {
            // A missing field equals nothing, so only the negative operators match it.
            return matches!(self.op, Op::Ne | Op::Nin | Op::NotContains);
        };
        match self.op {
            Op::Eq => actual == first,
            Op::Ne => actual != first,
            Op::In => self.values.contains(&actual),
            Op::Nin => !self.values.contains(&actual),
            Op::Lt => order(&actual, first).is_lt(),
            Op::Le => order(&actual, first).is_le(),
            Op::Gt => order(&actual, first).is_gt(),
            Op::Ge => order(&actual, first).is_ge(),
            Op::StartsWith => actual.starts_with(first),
            Op::EndsWith => actual.ends_with(first),
            Op::Contains => actual.contains(first),
            Op::NotContains => !actual.contains(first),
        }
    }
}

/// Numbers compare as numbers, everything else as text.
fn order(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

/// A field by name, or by dotted path into nested objects (`attributes.sudo.enabled`).
fn lookup<'a>(obj: &'a Obj, field: &str) -> Option<&'a Value> {
    if let Some(v) = obj.get(field) {
        return Some(v);
    }
    let mut parts = field.split('.');
    let mut current = obj.get(parts.next()?)?;
    for part in parts {
        current = current.get(part)?;
    }
    Some(current)
}

/// The text form filters compare against (`true`, `42`, `alice`).
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Sort order of JSON values: missing/null first, then by number or text.
fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    let rank = |v: Option<&Value>| v.filter(|v| !v.is_null()).is_some();
    match (a.filter(|v| !v.is_null()), b.filter(|v| !v.is_null())) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        // The common case (ids, names) without copying the text.
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(x), Some(y)) => scalar(x).cmp(&scalar(y)),
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(pairs: &[(&str, &str)]) -> Query {
        Query(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn obj(v: Value) -> Obj {
        v.as_object().unwrap().clone()
    }

    fn rows() -> Vec<Obj> {
        ["carol", "alice", "bob", "dave"]
            .iter()
            .enumerate()
            .map(|(i, n)| obj(json!({"_id": format!("{i}"), "username": n, "email": format!("{n}@example.com")})))
            .collect()
    }

    fn names(page: &[Obj]) -> Vec<&str> {
        page.iter()
            .map(|o| o["username"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn limit_defaults_and_clamps() {
        let p = ListParams::parse(&q(&[]), Dialect::V1, DEFAULT_LIMIT).unwrap();
        assert_eq!((p.limit, p.skip), (10, 0));
        let p =
            ListParams::parse(&q(&[("limit", "1000"), ("skip", "5")]), Dialect::V2, 10).unwrap();
        assert_eq!((p.limit, p.skip), (100, 5));
        assert!(ListParams::parse(&q(&[("limit", "ten")]), Dialect::V1, 10).is_err());
        assert!(ListParams::parse(&q(&[("skip", "-1")]), Dialect::V1, 10).is_err());
    }

    #[test]
    fn paging_reports_the_filtered_total() {
        let p = ListParams::parse(
            &q(&[("limit", "2"), ("skip", "1"), ("sort", "username")]),
            Dialect::V1,
            10,
        )
        .unwrap();
        let (page, total) = p.select(rows());
        assert_eq!(total, 4);
        assert_eq!(names(&page), ["bob", "carol"]);
    }

    #[test]
    fn sort_dialects_and_descending() {
        assert_eq!(
            parse_sort("-username _id", Dialect::V1),
            vec![
                SortKey {
                    field: "username".into(),
                    descending: true
                },
                SortKey {
                    field: "_id".into(),
                    descending: false
                }
            ]
        );
        assert_eq!(parse_sort("name,-id", Dialect::V2).len(), 2);
        assert_eq!(
            parse_sort("lastname,firstname", Dialect::V1),
            parse_sort("lastname firstname", Dialect::V1)
        );
        let p = ListParams::parse(&q(&[("sort", "-username")]), Dialect::V1, 10).unwrap();
        assert_eq!(
            names(&p.select(rows()).0),
            ["dave", "carol", "bob", "alice"]
        );
    }

    #[test]
    fn v1_filters_repeat_and_combine() {
        let p = ListParams::parse(
            &q(&[
                ("filter[0]", "username:$in:alice|bob|dave"),
                ("filter[1]", "email:$ne:bob@example.com"),
            ]),
            Dialect::V1,
            10,
        )
        .unwrap();
        assert_eq!(names(&p.select(rows()).0), ["alice", "dave"]);
        let p = ListParams::parse(
            &q(&[
                ("filter[or][0]", "username:$eq:bob"),
                ("filter[or][1]", "username:$sw:ca"),
            ]),
            Dialect::V1,
            10,
        )
        .unwrap();
        assert_eq!(names(&p.select(rows()).0), ["carol", "bob"]);
    }

    #[test]
    fn v2_filters_split_on_commas_but_keep_values() {
        assert_eq!(
            split_v2_filters("name:eq:a,b,domain:eq:x"),
            vec!["name:eq:a,b".to_string(), "domain:eq:x".to_string()]
        );
        let t = parse_term("name:in:a|b", Dialect::V2).unwrap();
        assert_eq!((t.op, t.values.len()), (Op::In, 2));
        assert!(parse_term("name:$eq:a", Dialect::V2).is_err());
        // v1 takes the bare operator as well as the documented `$` form.
        assert_eq!(
            parse_term("name:eq:a", Dialect::V1).unwrap(),
            parse_term("name:$eq:a", Dialect::V1).unwrap()
        );
        assert!(parse_term("name:$le:a", Dialect::V1).is_err());
        assert!(parse_term("name", Dialect::V2).is_err());
        // Timestamps keep their colons.
        assert_eq!(
            parse_term("created:$gt:2026-01-01T00:00:00Z", Dialect::V1)
                .unwrap()
                .values[0],
            "2026-01-01T00:00:00Z"
        );
    }

    #[test]
    fn missing_fields_only_match_negations() {
        let o = obj(json!({"id": "1"}));
        assert!(!parse_term("name:eq:x", Dialect::V2).unwrap().matches(&o));
        assert!(parse_term("name:ne:x", Dialect::V2).unwrap().matches(&o));
    }

    #[test]
    fn projection_keeps_the_id() {
        let p = ListParams::parse(&q(&[("fields", "email username")]), Dialect::V1, 10).unwrap();
        let o = p.project(
            obj(json!({"_id": "1", "username": "a", "email": "e", "state": "ACTIVATED"})),
            "_id",
        );
        assert_eq!(o.keys().collect::<Vec<_>>(), ["_id", "username", "email"]);
    }

    #[test]
    fn rules_reject_undocumented_sort_and_filter_fields() {
        const GROUPS: Rules = Rules {
            sort: Some(&["name", "attributes.sudo.*"]),
            filter: Some(&["name", "type"]),
            fields: true,
        };
        let parse = |pairs: &[(&str, &str)]| {
            ListParams::parse(&q(pairs), Dialect::V2, 10)
                .unwrap()
                .restrict(&GROUPS)
        };
        assert_eq!(
            parse(&[("sort", "id")]).unwrap_err(),
            "invalid sort field: id"
        );
        assert!(parse(&[("sort", "-name,attributes.sudo.enabled")]).is_ok());
        assert!(parse(&[("sort", "attributes.sudoers")]).is_err());
        assert_eq!(
            parse(&[("filter", "nosuchfield:eq:x")]).unwrap_err(),
            "invalid filter field: nosuchfield"
        );
        assert!(parse(&[("filter", "name:eq:x,type:eq:user_group")]).is_ok());
        // An endpoint that declares no `sort` or `fields` ignores them.
        let quiet = Rules {
            sort: None,
            filter: None,
            fields: false,
        };
        let p = ListParams::parse(&q(&[("sort", "x"), ("fields", "a")]), Dialect::V2, 10)
            .unwrap()
            .restrict(&quiet)
            .unwrap();
        assert!(p.sort.is_empty() && p.fields.is_none());
    }

    #[test]
    fn search_param_forms() {
        let (terms, fields) = parse_search_param("ali").unwrap();
        assert_eq!(terms, ["ali"]);
        assert!(fields.contains(&"email".to_string()));
        let (terms, fields) =
            parse_search_param(r#"{"searchTerm": ["a", "b"], "fields": ["lastname"]}"#).unwrap();
        assert_eq!((terms.len(), fields), (2, vec!["lastname".to_string()]));
        assert!(parse_search_param("{nope").is_err());
    }

    #[test]
    fn body_filters() {
        let f = parse_body_filter(
            &json!({"or": [{"username": "alice"}, {"username": {"$in": ["bob"]}}]}),
        )
        .unwrap();
        assert_eq!(f.any.len(), 2);
        let f = parse_body_filter(&json!([{"username": "carol"}])).unwrap();
        assert_eq!(f.all.len(), 1);
        assert!(parse_body_filter(&json!("x")).is_err());
        let mut f = Filter {
            search: parse_search_filter(&json!({"searchTerm": ["ALI"], "fields": ["username"]}))
                .unwrap(),
            ..Filter::default()
        };
        assert!(f.matches(&rows()[1]));
        f.all
            .push(parse_term("username:$eq:bob", Dialect::V1).unwrap());
        assert!(!f.matches(&rows()[1]));
    }
}
