//! A bounded fuzz run on stable: arbitrary and mutated list bodies through the production page
//! decoding (`jumpcloud::check_list_body`: page shape, total, row ids, row decoding and checks),
//! asserting that it always returns (no panic, no hang) and that what it accepts is sound. The
//! same entry point is the cargo-fuzz target in `fuzz/` for long runs on nightly.
//!
//! Three generators: JSON trees built from the API's own keys (reaching deep into the row
//! decoders), valid pages with byte-level mutations (truncation, flipped bytes, spliced spans),
//! and raw bytes. A few thousand cases in all; `PROPTEST_CASES` raises it for a longer run.

use jcform::jumpcloud::error::ErrorBody;
use jcform::jumpcloud::{check_list_body, ListKind};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Keys the decoders look for, so generated objects hit real fields with wrong or right types.
const KEYS: &[&str] = &[
    "_id",
    "id",
    "username",
    "name",
    "email",
    "state",
    "totalCount",
    "results",
    "domains",
    "domain",
    "objectId",
    "default",
    "to",
    "from",
    "type",
    "paths",
    "agentType",
    "delegatedAuthority",
    "restrictedFields",
    "memberQuery",
    "password_date",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-zA-Z0-9 _@.-]{0,12}".prop_map(Value::String),
        Just(json!("")),
        Just(json!("user")),
        Just(json!("user_group")),
        Just(json!("-1")),
        Just(json!("18446744073709551616")),
        Just(json!("5f0000000000000000000001")),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<String, Value>>(),
                )
            }),
        ]
    })
}

fn kind() -> impl Strategy<Value = ListKind> {
    prop::sample::select(ListKind::ALL.to_vec())
}

fn total_header() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        (0u64..500).prop_map(|n| Some(n.to_string().into_bytes())),
        prop::collection::vec(any::<u8>(), 0..24).prop_map(Some),
        Just(Some(b"99999999999999999999999999".to_vec())),
    ]
}

/// A valid page of `n` rows for `kind`, as the API sends it.
fn valid_page(kind: ListKind, n: usize) -> Value {
    let id = |i: usize| format!("{i:024x}");
    let rows: Vec<Value> = (0..n)
        .map(|i| match kind {
            ListKind::Users => json!({"_id": id(i), "username": format!("u{i}"), "email": "a@b"}),
            ListKind::UserGroups => json!({"id": id(i), "name": format!("g{i}")}),
            ListKind::ActiveDirectories => json!({"id": id(i), "domain": "DC=a;DC=b"}),
            ListKind::AdAgents => json!({"id": id(i), "agentType": "SYNC"}),
            ListKind::Directories => json!({"id": id(i), "type": "office_365"}),
            ListKind::Edges => json!({"to": {"id": id(i), "type": "user"}}),
            ListKind::Traversal => json!({"id": id(i), "type": "user", "paths": []}),
            ListKind::M365Domains => {
                json!({"objectId": id(i), "domain": format!("d{i}.example"), "default": i == 0})
            }
        })
        .collect();
    match kind {
        ListKind::Users => json!({"totalCount": n, "results": rows}),
        ListKind::M365Domains => json!({"totalCount": n, "domains": rows}),
        _ => Value::Array(rows),
    }
}

/// One byte-level mutation of `bytes`.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    /// Copy a span of the body over another place (duplicate rows, broken nesting).
    Splice(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), 0usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (
            any::<usize>(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..8),
                prop::sample::select(vec![
                    b"null".to_vec(),
                    b"{".to_vec(),
                    b"]".to_vec(),
                    b"\"".to_vec(),
                    b"\\u0000".to_vec(),
                    b"1e400".to_vec(),
                    b"-0".to_vec(),
                    b"\xff\xfe".to_vec(),
                ]),
            ]
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), any::<usize>(), 0usize..80)
            .prop_map(|(a, b, n)| Mutation::Splice(a, b, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match m {
        Mutation::Truncate(i) => bytes.truncate(i % len),
        Mutation::Flip(i, b) => {
            if !bytes.is_empty() {
                let i = i % bytes.len();
                bytes[i] ^= b | 1;
            }
        }
        Mutation::Delete(i, n) => {
            let i = i % len;
            let end = (i + n).min(bytes.len());
            if i < end {
                bytes.drain(i..end);
            }
        }
        Mutation::Insert(i, b) => {
            let i = i % (bytes.len() + 1);
            bytes.splice(i..i, b.iter().copied());
        }
        Mutation::Splice(from, to, n) => {
            if !bytes.is_empty() {
                let from = from % bytes.len();
                let span: Vec<u8> = bytes[from..(from + n).min(bytes.len())].to_vec();
                let to = to % (bytes.len() + 1);
                bytes.splice(to..to, span);
            }
        }
    }
}

/// Runs the production decoding and checks what it accepted.
fn exercise(kind: ListKind, body: &[u8], total: Option<&[u8]>) {
    let result = check_list_body(kind, body, total);
    // Deterministic: the same bytes give the same answer.
    assert_eq!(result, check_list_body(kind, body, total));
    if let Ok(n) = result {
        // Accepted bodies are JSON of the documented shape with exactly `n` rows.
        let value: Value = serde_json::from_slice(body).expect("accepted bodies are JSON");
        let rows = match kind {
            ListKind::Users => value["results"].as_array().map(Vec::len),
            ListKind::M365Domains => Some(value["domains"].as_array().map_or(0, Vec::len)),
            _ => value.as_array().map(Vec::len),
        };
        assert_eq!(rows, Some(n), "{kind:?}");
    }
    // Error bodies are parsed from the same kind of bytes: never a panic there either.
    let _ = ErrorBody::parse(&String::from_utf8_lossy(body));
}

proptest! {
    #![proptest_config(ProptestConfig {
        // `PROPTEST_CASES=200000` for a longer run; a few seconds by default.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_json_trees_never_panic(kind in kind(), body in tree(), total in total_header()) {
        // As a body, and wrapped as the v1/domains envelope so the rows themselves are reached.
        exercise(kind, body.to_string().as_bytes(), total.as_deref());
        let rows = match &body { Value::Array(_) => body.clone(), other => json!([other]) };
        let wrapped = json!({"totalCount": rows.as_array().map_or(0, Vec::len),
                             "results": rows.clone(), "domains": rows.clone()});
        exercise(kind, wrapped.to_string().as_bytes(), total.as_deref());
        exercise(kind, rows.to_string().as_bytes(), total.as_deref());
    }

    #[test]
    fn mutated_valid_pages_never_panic(
        kind in kind(),
        n in 0usize..6,
        mutations in prop::collection::vec(mutation(), 1..5),
        total in total_header(),
    ) {
        let mut bytes = valid_page(kind, n).to_string().into_bytes();
        exercise(kind, &bytes, None);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        exercise(kind, &bytes, total.as_deref());
    }

    #[test]
    fn raw_bytes_never_panic(
        kind in kind(),
        body in prop::collection::vec(any::<u8>(), 0..256),
        total in total_header(),
    ) {
        exercise(kind, &body, total.as_deref());
    }
}

#[test]
fn valid_pages_are_accepted() {
    for kind in ListKind::ALL {
        for n in [0, 1, 5] {
            let body = valid_page(kind, n).to_string();
            assert_eq!(
                check_list_body(kind, body.as_bytes(), None),
                Ok(n),
                "{kind:?}"
            );
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for kind in ListKind::ALL {
        assert!(check_list_body(kind, body.as_bytes(), None).is_err());
    }
}
