//! Any string survives the emitters: written as a key, a scalar and a list item in YAML and in
//! KDL, it reads back through jcform's own readers as exactly the same string.

use std::path::Path;

use jcform::config::{Node, Value as Raw};
use jcform::export::{kdl, yaml, Document, Map, Value};
use jcform::source::Sources;
use proptest::prelude::*;

fn doc(s: &str) -> Document {
    let mut fields = Map::default();
    fields.str("description", s);
    fields.push("members", Value::Names(vec![s.to_string(), "x".into()]));
    let mut users = Map::default();
    users.push(s, Value::Map(fields));
    let mut item = Map::default();
    item.str("ad_domain", s);
    item.push("users", Value::Names(vec![s.to_string()]));
    let mut root = Map::default();
    root.push("users", Value::Map(users));
    root.push("bindings", Value::Items(vec![item]));
    Document {
        comments: vec![format!("comment with {s}")],
        root,
    }
}

fn parse(name: &str, text: String) -> Node {
    let mut sources = Sources::default();
    let id = sources.add(Path::new(name), name.into(), text.clone());
    let parsed = if name.ends_with(".kdl") {
        jcform::config::kdl::parse(id, sources.get(id)).map_err(|d| format!("{d:?}"))
    } else {
        jcform::config::yaml::parse(id, sources.get(id)).map_err(|d| format!("{d:?}"))
    };
    parsed.unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn entries(node: &Node) -> &[jcform::config::Entry] {
    match &node.value {
        Raw::Map(e) => e,
        other => panic!("expected a mapping, found {other:?}"),
    }
}

fn strings(node: &Node) -> Vec<String> {
    match &node.value {
        Raw::Str(s) => vec![s.clone()],
        Raw::Seq(items) => items.iter().flat_map(strings).collect(),
        other => panic!("expected strings, found {other:?}"),
    }
}

fn check(s: &str, name: &str, text: String) {
    let root = parse(name, text.clone());
    let top = entries(&root);
    let users = entries(&top[0].value);
    assert_eq!(users[0].key, s, "key in {name}:\n{text}");
    let fields = entries(&users[0].value);
    assert_eq!(strings(&fields[0].value), [s], "scalar in {name}:\n{text}");
    assert_eq!(
        strings(&fields[1].value),
        [s, "x"],
        "list in {name}:\n{text}"
    );
    let Raw::Seq(items) = &top[1].value.value else {
        panic!("bindings list in {name}:\n{text}")
    };
    let item = entries(&items[0]);
    assert_eq!(strings(&item[0].value), [s], "property in {name}:\n{text}");
    assert_eq!(strings(&item[1].value), [s], "item list in {name}:\n{text}");
}

fn round_trip(s: &str) {
    let d = doc(s);
    check(s, "t.yaml", yaml::render(&d, "jcform.schema.json"));
    // A quoted "-" is a key; only a bare `-` makes a list item (`config::kdl`).
    check(s, "t.kdl", kdl::render(&d));
}

#[test]
fn tricky_strings_round_trip() {
    for s in [
        "José Müller",
        "Олександр",
        "E-1042",
        "1042",
        "007",
        "1e3",
        "0x1F",
        ".5",
        "-",
        "true",
        "#true",
        "null",
        "~",
        "yes",
        "Off",
        "inf",
        "nan",
        "a: b",
        "a #b",
        "#c",
        "[x]",
        "{y}",
        "a,b",
        "a=b",
        "a;b",
        "a/b",
        "a//b",
        "a/*b",
        "\"q\"",
        "back\\slash",
        "tab\there",
        "line\nbreak",
        "cr\rhere",
        "nel\u{85}ls\u{2028}ps\u{2029}",
        "bidi\u{202e}x",
        "bom\u{feff}",
        "bell\u{7}",
        "  spaced  ",
        "O'Brien",
        "@handle",
        "%pct",
        "&anchor",
        "*alias",
        "!tag",
        "|pipe",
        ">gt",
        "`tick",
        "?q",
        "日本語 テキスト",
        "emoji 🎉",
    ] {
        round_trip(s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_string_round_trips(s in "\\PC{1,24}|[ -~]{1,24}|[\\u{0}-\\u{ff}]{1,12}") {
        round_trip(&s);
    }
}
