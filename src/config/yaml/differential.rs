//! The fast reader against saphyr and the Builder: on every input, `fast::read` either declines
//! or gives exactly the saphyr path's tree (values and spans), and it declines whatever that path
//! rejects; the configs the project ships, the YAML in its docs and the export writer's output
//! take the fast path.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use super::{fast, parse_with_saphyr, MAX_DEPTH};
use crate::config::raw::Node;
use crate::source::SourceFile;

/// What the fast reader did with a text.
#[derive(Debug, PartialEq, Clone, Copy)]
enum Outcome {
    /// Read it, and saphyr reads it the same.
    Fast,
    /// Declined; saphyr accepts it.
    DeclinedValid,
    /// Declined; saphyr rejects it.
    DeclinedInvalid,
}

fn saphyr_path(text: &str) -> Result<Node, crate::diag::Diagnostic> {
    let source = SourceFile {
        name: "t.yaml".into(),
        path: PathBuf::from("t.yaml"),
        text: text.to_string(),
    };
    parse_with_saphyr(0, &source)
}

/// Panics when the fast reader accepts what saphyr rejects or reads it differently.
fn compare(text: &str) -> Outcome {
    let fast = fast::read(0, text);
    let slow = saphyr_path(text);
    match (fast, slow) {
        (Some(fast), Ok(slow)) => {
            assert_eq!(fast, slow, "read differently: {text:?}");
            Outcome::Fast
        }
        (Some(fast), Err(err)) => {
            panic!("the fast reader accepts what saphyr rejects: {text:?}\n{fast:?}\n{err:?}")
        }
        (None, Ok(_)) => Outcome::DeclinedValid,
        (None, Err(_)) => Outcome::DeclinedInvalid,
    }
}

/// Texts that must take the fast path (and read as saphyr reads them).
const FAST: &[&str] = &[
    "version: 1",
    "version: 1\n",
    "version: 1\r\n",
    "\u{FEFF}version: 1\n",
    "\u{FEFF}# c\nversion: 1\n",
    "# c\n\n  # indented comment\nversion: 1 # note\n# end",
    "a: 1\nb: 2\n",
    "a : 1\n\"b\" : 2\n",
    "a:\n  b:\n    c: x\n  d: y\ne: z\n",
    "a:\n    b: 1\n",
    "a:\n  - x\n  - y\nb: 1\n",
    "a:\n- x\n- y\nb: 1\n",
    "a:\n- k: 1\n  j: 2\n- x\n",
    "- a\n- b\n",
    "- a: 1\n  b: 2\n- c: 3\n",
    "-   a: 1\n    b: 2\n",
    "- a:\n  - x\n  b: 1\n",
    "- a:\n    - x\n  b:\n    c: 1\n",
    "bindings:\n  - ad_domain: ad0\n    users:\n      - u1\n      - u2\n    groups: [g]\n",
    "a:\nb: 1\n",
    "a:   # c\nb: 1\n",
    "a:\n  # c\nb:",
    "- a:\n  b:\n",
    "\"a\":",
    "a :",
    "a: x  \nb: 'y'  # c\n",
    "a: x # c # d\n",
    "a: x#y\n",
    "a: b:c\n",
    "a: b]\n",
    "a: b, c\n",
    "a: -5\nb: -x\nc: +1\nd: 0x1F\ne: 1.5\nf: 1e3\ng: .5\nh: ~\ni: null\nj: True\nk: FALSE\n",
    "007: a\n1.50: b\ntrue: c\n~: d\nnull: e\n",
    "a: 9223372036854775808\nb: -9223372036854775809\nc: 1_000\n",
    "a: José Müller\nb: Олександр\nc: 日本\nd: 😀\n",
    "é: 1\n\"ü\": 2\n",
    // A trailing no-break or other Unicode space is part of a plain scalar and of its span.
    "a: bad\u{a0}\nb\u{2003}: x\nc: y\u{3000}  # c\n",
    "a: \"x\"\nb: 'y'\nc: \"\"\nd: ''\n",
    "a: 'it''s'\nb: 'back\\slash'\nc: '  spaced  '\n",
    "a: \"esc \\\\ \\\" \\/ \\0 \\a \\b \\t \\n \\v \\f \\r \\e \\N \\_ \\L \\P\"\n",
    "a: \"\\x41\\u00e9\\U0001F600\\u202e\"\n",
    "a: \"tab\there\"\nb: 'tab\there'\n",
    "a: \"#not a comment\"\nb: '# nor this'\n",
    "\"a\\u00e9\": 'k'\n'it''s': 1\n",
    "a: []\nb: {}\nc: [ ]\nd: { }\n",
    "a: [x, y]\nb: [ x , y ]\nc: [All Users, \"svc-*\", 'q']\n",
    "a: {file: \"../x.txt\"}\nb: {max_deletes: 10, max_unbinds: 25}\nc: {\"k\": v, 'j': \"w\"}\n",
    "a: [1, true, ~, -5, x.y, a b]\n",
    "- [a, b]\n- {k: v}\n- []\n",
    "a: 'x'   # c\nb: [x]  # c\nc: {k: v}  # c\n",
    "a: <x>\nb: $HOME\nc: a|b&c%d^e`f\nd: =x\ne: (x)\nf: a'b\ng: a\"b\n",
    "a: x\r\nb:\r\n  - y\r\n  - z\r\n",
    "--x: 1\n..x: 2\na: -.-\n",
    "key<<: 1\n",
    "a: x]\n",
    "a: []  \nb: {}   # c\r\nc: [ ]  # c # d\nd: [[], {}  , [ ] ]\ne: {k: {}  }\n",
    "a: []",
    "a: [] # c",
    "a: [x, [y]]\nb: {x: [1], y: {z: \"w\"}}\nc: [[], {}]\n",
    "- {ad_domain: corp, users: [alice], groups: [engineering]}\n",
];

/// Texts saphyr accepts that the fast reader leaves to it.
const DECLINED_VALID: &[&str] = &[
    "",
    "# only a comment\n",
    "\u{FEFF}",
    "scalar",
    "---\na: 1\n",
    "a: 1\n...\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "d: &d {x: 1}\nu:\n  <<: *d\n",
    "u:\n  <<: {x: 1}\n",
    "? a\n: 1\n",
    "a: |\n  text\n",
    "a: >\n  text\n",
    "a: multi\n  line\n",
    "a: \"multi\n  line\"\n",
    "a: [x,\n  y]\n",
    "a: [x, ]\n",
    "a: [a: b]\n",
    "a: \"\\ \"\n",
    "\ta: 1\n",
    "a: b\t# c\n",
    "- \n- b\n",
    "-\n  a: 1\n",
    "- - a\n",
    "- # c\n  a: 1\n",
    "  a: 1\n  b: 2\n",
    "a: :x\n",
    "a: ?x\n",
    "a: x\u{85}y\n",
    "a: x\u{2028}y\n",
];

/// Texts saphyr rejects (so must the fast reader).
const INVALID: &[&str] = &[
    "a: 1\n b: 2\n",
    "a:\n  b: 1\n c: 2\n",
    "a: - b\n",
    "a: b: c\n",
    "a: \"unterminated\n",
    "a: 'unterminated\n",
    "a: \"bad \\q escape\"\n",
    "a: \"\\x4\"\n",
    "a: \"\\uD800\"\n",
    "a: \"\\U00110000\"\n",
    "a: [x\n",
    "a: {x: 1\n",
    "a: \"x\" y\n",
    "a: 'x' y\n",
    "a: [x] y\n",
    "a: @x\n",
    "a: `x\n",
    "a:\tb\n",
    "a:\n\t- x\n",
    "- a\nb: 1\n",
    "a: 1\n- b\n",
    "- x:\n  ... y: 1\n",
    "a: [b -, c]\n",
    "- x:\n  --- y: 1\n",
];

fn yaml_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn hand_written_cases() {
    let mut wrong = Vec::new();
    for (texts, want) in [
        (FAST, Outcome::Fast),
        (DECLINED_VALID, Outcome::DeclinedValid),
        (INVALID, Outcome::DeclinedInvalid),
    ] {
        for text in texts {
            let got = compare(text);
            if got != want {
                wrong.push(format!("{text:?}: {got:?}, not {want:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Files saphyr accepts that test a construct the fast reader leaves to it on purpose.
const DECLINED_ON_PURPOSE: &[&str] = &[
    // Merge keys, anchors and aliases.
    "tests/fixtures/field-cases/11-merge-key",
    "tests/fixtures/validate/merge-key",
    // Hostile inputs: deep nesting, alias bombs.
    "tests/fixtures/hostile",
    // CI pipelines, not configs: block scalars (`run: |`).
    "examples/ci",
];

/// Every YAML file in the repository that saphyr accepts takes the fast path, except those that
/// test a construct the fast reader leaves to saphyr on purpose.
#[test]
fn shipped_configs_take_the_fast_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files_under(&root.join("examples"), &mut files);
    yaml_files_under(&root.join("tests/fixtures"), &mut files);
    files.sort();
    let (mut fast, mut wrong) = (0, Vec::new());
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let relative = path.strip_prefix(root).unwrap_or(path);
        let on_purpose = DECLINED_ON_PURPOSE.iter().any(|p| {
            relative.starts_with(Path::new(p)) || relative.to_string_lossy().starts_with(p)
        });
        match compare(&text) {
            Outcome::Fast => fast += 1,
            Outcome::DeclinedValid if !on_purpose => wrong.push(relative.display().to_string()),
            _ => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "valid YAML the fast reader declines:\n{}",
        wrong.join("\n")
    );
    // The example configs alone; a guard against an empty walk.
    assert!(fast >= 20, "{fast} of {} files read", files.len());
}

/// The ```yaml blocks of the README and docs/: each that saphyr accepts reads the same way,
/// and the config-shaped ones take the fast path.
#[test]
fn documented_yaml_takes_the_fast_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        pages.extend(entries.flatten().map(|e| e.path()));
    }
    let (mut fast, mut wrong) = (0, Vec::new());
    for page in pages
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
    {
        let text = std::fs::read_to_string(page).expect("a readable page");
        let mut block: Option<String> = None;
        for line in text.lines() {
            match &mut block {
                None if line.trim_start().starts_with("```yaml") => block = Some(String::new()),
                None => {}
                Some(b) if line.trim_start().starts_with("```") => {
                    match compare(b) {
                        Outcome::Fast => fast += 1,
                        // Snippets showing anchors and merge keys are left to saphyr.
                        Outcome::DeclinedValid if !b.contains("<<") && !b.contains('&') => {
                            wrong.push(format!("{}: {b}", page.display()))
                        }
                        _ => {}
                    }
                    block = None;
                }
                Some(b) => {
                    b.push_str(line);
                    b.push('\n');
                }
            }
        }
    }
    assert!(wrong.is_empty(), "declined:\n{}", wrong.join("\n----\n"));
    assert!(fast >= 5, "{fast} snippets read");
}

/// Strings that test the export writer's quoting.
const AWKWARD: &[&str] = &[
    "alice",
    "anna.lindqvist",
    "José Müller",
    "Олександр",
    "O'Brien",
    "E-1042",
    "007",
    "1.5",
    "1e3",
    "true",
    "No",
    "null",
    "~",
    "-",
    "-x",
    "- x",
    "a b",
    " lead",
    "trail ",
    "a: b",
    "a #b",
    "#x",
    "[x]",
    "{x}",
    "a,b",
    "*x",
    "&x",
    "!x",
    "%x",
    "@x",
    "`x",
    "?x",
    ":x",
    "|x",
    ">x",
    "tab\there",
    "quote\"back\\slash",
    "line\nbreak\r\n",
    "ctrl\u{1}\u{b}\u{c}\u{8}\u{7f}\u{0}",
    "bidi\u{202e}\u{feff}\u{2028}\u{2029}\u{85}\u{a0}",
    "",
    "😀",
    "<<",
];

/// The export writer's output (what `jcform export` and the bench write, and `jcform fmt`)
/// takes the fast path: every kind of value, comments, notes, gaps, and awkward strings as keys
/// and values.
#[test]
fn exported_yaml_takes_the_fast_path() {
    use crate::export::yaml::{render, render_document};
    use crate::export::{Document, Entry, Map, Value};
    let entry = |key: &str, value: Value| Entry {
        key: key.to_string(),
        value,
        comments: Vec::new(),
        note: None,
        gap: false,
    };
    let mut users = Map::default();
    for (i, name) in AWKWARD.iter().enumerate() {
        let mut fields = Map::default();
        fields.str("email", format!("{i}@example.com"));
        fields.str("firstname", *name);
        fields.push("groups_enabled", Value::Bool(i % 2 == 0));
        fields.push("uid", Value::Int(i as u64));
        fields.push("cleared", Value::Null);
        fields
            .push(
                "initial_password",
                Value::Inline(Map(vec![entry(name, Value::Str((*name).into()))])),
            )
            .note(format!("note {name}"));
        fields.push(
            "members",
            Value::Names(AWKWARD.iter().map(|s| s.to_string()).collect()),
        );
        fields.push("few", Value::Names(vec![(*name).into(), "b".into()]));
        fields.push("none", Value::Names(Vec::new()));
        fields.push("empty", Value::Map(Map::default()));
        fields.push("no_items", Value::Items(Vec::new()));
        fields.push(
            "items",
            Value::Items(vec![
                Map(vec![
                    entry("ad_domain", Value::Str((*name).into())),
                    entry("users", Value::Names(vec![(*name).into()])),
                ]),
                Map::default(),
                Map(vec![entry(
                    name,
                    Value::Map(Map(vec![entry("k", Value::Int(1))])),
                )]),
            ]),
        );
        let e = users.push(*name, Value::Map(fields));
        e.comment(format!("comment {name}"));
        e.gap = i % 3 == 0;
    }
    let doc = Document {
        comments: vec!["top".into(), String::new(), "second # line".into()],
        root: Map(vec![
            entry("version", Value::Int(1)),
            entry("users", Value::Map(users)),
        ]),
    };
    for text in [render(&doc, "jcform.schema.json"), render_document(&doc)] {
        assert_eq!(compare(&text), Outcome::Fast, "{text}");
        assert_eq!(compare(&format!("\u{FEFF}{text}")), Outcome::Fast);
        assert_eq!(compare(&text.replace('\n', "\r\n")), Outcome::Fast);
    }
}

/// A whole exported org (every kind, the settings comments, dynamic groups, bindings) takes the
/// fast path.
#[test]
fn an_exported_org_takes_the_fast_path() {
    use crate::export::build::{build, Filter};
    use crate::lint::fixture::{ad, m365, sg, su, Org};
    use crate::model::Delegation;
    let mut org = Org::new();
    let mut ids = Vec::new();
    for i in 0..150 {
        let id = format!("u{i}");
        let name = AWKWARD[i % AWKWARD.len()].to_string() + &i.to_string();
        org = org.user_with(&id, &name, |u| {
            u.attrs_mut().firstname = Some(AWKWARD[i % AWKWARD.len()].into());
            u.attrs_mut().department = Some("Sales & Ops".into());
        });
        ids.push(id);
    }
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    org = org
        .group("g1", "All Users", &id_refs)
        .group("g2", "few", &id_refs[..3])
        .group("g3", "none", &[])
        .dynamic_group("g4", "dyn", &id_refs[..2])
        .ad("d1", "corp.example.com", Delegation::Enabled)
        .tenant("t1", "Contoso", &["example.onmicrosoft.com", "example.com"])
        .sso_app("s1", "office365", "Microsoft 365", "example.com")
        .bind(ad("d1"), su("u1"))
        .bind(ad("d1"), sg("g2"))
        .bind(m365("t1"), sg("g1"));
    let export = build(&org.build(), &Filter::default());
    assert!(export.files.len() >= 5);
    for file in &export.files {
        let text = crate::export::yaml::render(&file.doc, "jcform.schema.json");
        assert_eq!(compare(&text), Outcome::Fast, "{}:\n{text}", file.stem);
    }
}

// ---- generated documents ---------------------------------------------------------------

/// Scalars as written: plain words (some resolving to other types, some not plain at all),
/// quoted strings with escapes, flow collections.
fn scalar_token() -> impl Strategy<Value = String> {
    prop_oneof![
        24 => proptest::sample::select(&[
            "alice", "anna.lindqvist", "José", "Олександр", "日本", "a b", "x@y.io", "-5", "007",
            "1.5", "1e3", "0x1F", ".5", "~", "null", "true", "False", "a#b", "a:b", "b]", "a,b",
            "<<", "-x", "+x", "$x", "(x)", "a'b", "x.", "😀", "E-1042", "svc-*", "x\u{a0}",
            "x\u{2003}", "x\u{3000} ", "\u{a0}x",
        ][..]).prop_map(str::to_string),
        6 => proptest::collection::vec(
            prop_oneof![
                20 => "[a-zA-Z0-9 .@_-]{1,6}",
                1 => proptest::sample::select(&[
                    "\\\\", "\\\"", "\\/", "\\0", "\\a", "\\b", "\\t", "\\n", "\\e", "\\N",
                    "\\_", "\\L", "\\P", "\\x41", "\\x4", "\\u00e9", "\\uD800", "\\U0001F600",
                    "\\U00110000", "\\q", "\\ ", "\t", "é", "\u{85}", "\u{2028}", "\u{feff}",
                    "\u{1}", "\u{7f}", "'", "''", "#", " #", ": ", "\n", "\r", "[", "{",
                ][..]).prop_map(str::to_string),
            ],
            0..4,
        )
        .prop_flat_map(|parts| {
            let body = parts.concat();
            prop_oneof![
                Just(format!("\"{body}\"")),
                Just(format!("'{}'", body.replace('\'', "''"))),
            ]
        }),
        4 => proptest::collection::vec(
            proptest::sample::select(&[
                "a", "b c", "\"q\"", "'s'", "1", "-1", "~", "é", "[x]", "a:b", "#", "",
            ][..]),
            0..4,
        )
        .prop_flat_map(|items| {
            let seq = format!("[{}]", items.join(", "));
            let map = format!(
                "{{{}}}",
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("k{i}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            prop_oneof![Just(seq), Just(map)]
        }),
        1 => proptest::sample::select(&[
            "&a x", "*a", "!!str x", "|", ">", "? x", "- x", "@x", "`x", "%x", "\"x", "'x",
        ][..]).prop_map(str::to_string),
    ]
}

/// A mapping key: mostly a plain or quoted scalar, sometimes anything (a flow collection is a
/// complex key, which the Builder refuses).
fn key_token() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::sample::select(&[
            "version", "users", "email", "members", "alice", "José", "a b", "007", "true", "~",
            "\"q\"", "'s'", "\"a: b\"", "-x", "a:b", "x#y", "k\u{a0}", "k\u{2003}",
        ][..]).prop_map(str::to_string),
        1 => scalar_token(),
    ]
}

/// What may end a line after a value.
fn line_end() -> impl Strategy<Value = String> {
    prop_oneof![
        30 => Just("\n".to_string()),
        6 => proptest::sample::select(&[
            "\r\n", "  \n", " # note\n", "\n\n", "\n   \n", "\n# c\n", "\n      # deep c\n",
        ][..]).prop_map(str::to_string),
        1 => proptest::sample::select(&["\r", "\t\n", "# c\n", "\n\t\n", " #\u{1}\n"][..])
            .prop_map(str::to_string),
    ]
}

/// A block node at `indent` (for the value of a key or an item), as text lines following a
/// `key:` or `- ` line; `depth` bounds the nesting.
fn block(indent: usize, depth: u32) -> BoxedStrategy<String> {
    let leaf = (scalar_token(), line_end())
        .prop_map(|(v, end)| format!(" {v}{end}"))
        .boxed();
    if depth == 0 {
        return leaf;
    }
    let seq = (proptest::bool::weighted(0.8), Just(())).prop_flat_map(move |(indented, ())| {
        // A sequence under a key may also sit at the key's column.
        let at = if indented {
            indent
        } else {
            indent.saturating_sub(2)
        };
        seq_block(at, depth - 1)
    });
    prop_oneof![
        3 => leaf,
        3 => map_block(indent, depth - 1),
        2 => seq,
        1 => Just(String::from("\n")),
    ]
    .boxed()
}

/// A block mapping at `indent`: a line end, then its `key: value` lines.
fn map_block(indent: usize, depth: u32) -> BoxedStrategy<String> {
    proptest::collection::vec(
        (
            key_token(),
            proptest::sample::select(&[":", ":", " :"][..]),
            0..3usize,
        )
            .prop_flat_map(move |(key, colon, extra)| {
                (Just(key), Just(colon), block(indent + 2 + extra, depth))
            }),
        1..4,
    )
    .prop_map(move |entries| {
        let mut out = String::from("\n");
        for (key, colon, value) in entries {
            out.push_str(&" ".repeat(indent));
            out.push_str(&key);
            out.push_str(colon);
            out.push_str(&value);
        }
        out
    })
    .boxed()
}

/// A block sequence at column `at`: a line end, then its items, scalars or mappings whose
/// later keys line up under the first.
fn seq_block(at: usize, depth: u32) -> BoxedStrategy<String> {
    proptest::collection::vec(
        prop_oneof![
            3 => (scalar_token(), line_end()).prop_map(|(v, e)| format!("{v}{e}")),
            2 => (0..2usize).prop_flat_map(move |extra| {
                let inner = at + 2 + extra;
                map_block(inner, depth).prop_map(move |m| {
                    // The mapping's first key goes on the dash line, after `- ` and spaces.
                    let first = format!("\n{}", " ".repeat(inner));
                    format!("{}{}", " ".repeat(extra), &m[first.len()..])
                })
            }),
        ],
        1..4,
    )
    .prop_map(move |items| {
        let mut out = String::from("\n");
        for item in items {
            out.push_str(&" ".repeat(at));
            out.push_str("- ");
            out.push_str(&item);
        }
        out
    })
    .boxed()
}

fn document() -> impl Strategy<Value = String> {
    (
        proptest::option::weighted(0.1, Just("\u{FEFF}")),
        proptest::option::weighted(0.3, Just("# yaml-language-server: x\n")),
        prop_oneof![4 => map_block(0, 3), 1 => seq_block(0, 3)],
    )
        .prop_map(|(bom, comment, body)| {
            format!(
                "{}{}{}",
                bom.unwrap_or_default(),
                comment.unwrap_or_default(),
                body.trim_start_matches('\n')
            )
        })
}

/// Small edits anywhere in a text: a character or token inserted, deleted or replaced.
fn mutated() -> impl Strategy<Value = String> {
    crate::config::mutate::mutated(
        document(),
        &[
            ":", "-", "#", "'", "\"", "\\", " ", "\t", "\n", "\r", "{", "}", "[", "]", ",", "&",
            "*", "!", "|", ">", "?", "%", "@", "`", "é", "日", "\u{feff}", "\u{85}", "\u{2028}",
            "\u{1}", "\0", "- ", ": ", " #", "---", "...", "<<", "~", "a", "1", "  ", "\r\n", "''",
            "\u{a0}", "\u{2003}", "\u{3000}",
        ],
    )
}

proptest! {
    #![proptest_config(Config { cases: std::env::var("JCFORM_YAML_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512), failure_persistence: None, ..Config::default() })]

    #[test]
    fn generated_documents_read_as_saphyr_reads_them(text in document()) {
        compare(&text);
    }

    #[test]
    fn mutated_documents_read_as_saphyr_reads_them(text in mutated()) {
        compare(&text);
    }
}

/// The generators are not so broken that everything is declined: a fixed run of generated
/// documents takes the fast path often, and declines valid and invalid ones too.
#[test]
fn the_generated_documents_exercise_every_outcome() {
    let mut runner = TestRunner::deterministic();
    let strategy = document();
    let mut outcomes = [0; 3];
    for _ in 0..300 {
        let text = strategy
            .new_tree(&mut runner)
            .expect("a document")
            .current();
        outcomes[compare(&text) as usize] += 1;
    }
    eprintln!("generated: fast, declined valid, invalid: {outcomes:?}");
    let mutations = mutated();
    let mut mutated_outcomes = [0; 3];
    for _ in 0..300 {
        let text = mutations.new_tree(&mut runner).expect("a text").current();
        mutated_outcomes[compare(&text) as usize] += 1;
    }
    eprintln!("mutated: fast, declined valid, invalid: {mutated_outcomes:?}");
    assert!(
        outcomes[Outcome::Fast as usize] >= 60
            && outcomes[Outcome::DeclinedValid as usize] >= 10
            && outcomes[Outcome::DeclinedInvalid as usize] >= 10,
        "generated: {outcomes:?}"
    );
    assert!(
        mutated_outcomes[Outcome::Fast as usize] >= 20
            && mutated_outcomes[Outcome::DeclinedInvalid as usize] >= 20,
        "mutated: {mutated_outcomes:?}"
    );
}

/// Nesting up to `MAX_DEPTH` collections is read; one more is left to saphyr's path, which
/// reports `too-deep`.
#[test]
fn depth_is_bounded_as_in_the_saphyr_path() {
    let nested = |n: usize| -> String {
        (0..n)
            .map(|i| format!("{}k:\n", "  ".repeat(i)))
            .collect::<String>()
            + &format!("{}k: v\n", "  ".repeat(n))
    };
    // `n` keys with a mapping value, inside the root mapping: n + 1 mappings.
    assert_eq!(compare(&nested(MAX_DEPTH - 1)), Outcome::Fast);
    assert_eq!(compare(&nested(MAX_DEPTH)), Outcome::DeclinedInvalid);
    let items = |n: usize| -> String {
        (0..n)
            .map(|i| format!("{}- k:\n", "    ".repeat(i)))
            .collect::<String>()
            + &format!("{}- x\n", "    ".repeat(n))
    };
    // Each level is a sequence and an item mapping.
    assert_eq!(compare(&items(MAX_DEPTH / 2 - 1)), Outcome::Fast);
    assert_eq!(compare(&items(MAX_DEPTH / 2)), Outcome::DeclinedInvalid);
}

/// saphyr's simple-key limit (1024 characters from a key to its `:`): long keys are left to
/// saphyr (which reads them in its own way, or refuses them); long values are read.
#[test]
fn long_keys_are_left_to_saphyr() {
    let long = "k".repeat(1100);
    assert_ne!(compare(&format!("{long}: 1\n")), Outcome::Fast);
    assert_ne!(compare(&format!("\"{long}\": 1\n")), Outcome::Fast);
    assert_ne!(compare(&format!("- {long}: 1\n")), Outcome::Fast);
    assert_eq!(compare(&format!("{}: 1\n", "k".repeat(900))), Outcome::Fast);
    let value = "v ".repeat(2000);
    assert_eq!(
        compare(&format!("a: {value}\nb:\n  - {value}\n  - \"{value}\"\n")),
        Outcome::Fast
    );
}
