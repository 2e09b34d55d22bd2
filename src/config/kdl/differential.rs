//! The fast reader against the kdl crate: on every input, `fast::read` either declines or gives
//! exactly the crate path's tree (values and spans); the configs the project ships, the export
//! writer's output and the KDL in the unit tests take the fast path.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use super::{fast, nesting_error, parse_on_this_thread, MAX_DEPTH};
use crate::config::raw::Node;
use crate::source::SourceFile;

/// What the fast reader did with a text.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Read it, and the crate reads it the same.
    Fast,
    /// Declined; the crate accepts it.
    DeclinedValid,
    /// Declined; the crate rejects it.
    DeclinedInvalid,
}

fn crate_path(text: &str) -> Result<Node, Vec<crate::diag::Diagnostic>> {
    let source = SourceFile {
        name: "t.kdl".into(),
        path: PathBuf::from("t.kdl"),
        text: text.to_string(),
    };
    // The crate's parser recurses deeply per level; give it the stack `parse` gives it.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(64 * 1024 * 1024)
            .spawn_scoped(scope, || parse_on_this_thread(0, &source))
            .expect("thread")
            .join()
            .expect("no panic")
    })
}

/// Panics when the fast reader accepts what the crate rejects or reads it differently.
fn compare(text: &str) -> Outcome {
    let fast = fast::read(0, text);
    let slow = crate_path(text);
    match (fast, slow) {
        (Some(fast), Ok(slow)) => {
            assert_eq!(fast, slow, "read differently: {text:?}");
            // `parse` skips the nesting scan for what the fast reader reads.
            assert_eq!(nesting_error(text, MAX_DEPTH), None, "too deep: {text:?}");
            Outcome::Fast
        }
        (Some(fast), Err(errs)) => {
            panic!("the fast reader accepts what the crate rejects: {text:?}\n{fast:?}\n{errs:?}")
        }
        (None, Ok(_)) => Outcome::DeclinedValid,
        (None, Err(_)) => Outcome::DeclinedInvalid,
    }
}

/// Texts that must take the fast path (and read as the crate reads them).
const FAST: &[&str] = &[
    "",
    "\n",
    "version 1",
    "version 1\n",
    "version 1\r\n",
    "\u{FEFF}version 1\n",
    "\u{FEFF}",
    "a;b;c",
    "a 1; b 2;",
    "a; ",
    "a{}",
    "a {}",
    "a { }",
    "a {\n}\n",
    "a{b 1}",
    "a { b 1; c 2 }",
    "a {\n    b 1\n}\n",
    "a {\r\n    b 1\r\n}\r\n",
    "a { b { c { d 1 } } }",
    "a 1 2 3",
    "a 1 b=2 3 c=4",
    "a b=1 { c 2 }",
    "a 1 { c 2 }",
    "a 1 { - x }",
    "a b=1 { - x }",
    "a { - x; - y }",
    "a { - x; y 1 }",
    "a { \"-\" x }",
    "- a\n- b\n",
    "- { a 1 }\n- b=2\n",
    "- ad_domain=corp {\n    users a b\n}\n",
    "a \"\"",
    "a \"x y\"",
    "\"a b\" 1",
    "\"\" 1",
    "a \"esc \\\\ \\\" \\b \\f \\n \\r \\t \\s \\u{41} \\u{1F600} \\u{0} \\u{10FFFF}\"",
    "a \"tab\there\"",
    "a \"del\u{7f}\"",
    "a \"nbsp\u{a0}and\u{3000}\"",
    "a \"José Müller Олександр 日本 😀\"",
    "José Müller",
    "a b\u{7f}c",
    "a #true #false #null",
    "a x=#true y=#null",
    "a #true{ b 1 }",
    "a -5 +5 0 -0 007 1_000 1__2_ 9223372036854775807 -9223372036854775808",
    "a 9223372036854775808 -9223372036854775809 170141183460469231731687303715884105727",
    "a -170141183460469231731687303715884105727",
    "a - + -x +x - -- +- -_ +_1 a.b a-b a+b a@b _ x.",
    "a b=c",
    "a b =c",
    "a b= c",
    "a b = c",
    "a \"b\"=c",
    "a \"b\" = \"c\"",
    "a b/*x*/=/*y*/c",
    "a b=1{ }",
    "a b=\"c\"{ }",
    "a \"c\"{ }",
    "x { a b=1}",
    "x { a 1}",
    "x { a \"s\"}",
    "x { a #true}",
    "a 1 // comment\nb 2",
    "a 1// comment\nb 2",
    "a// comment\nb 2",
    "a 1 // comment",
    "// only a comment",
    "// comment\r\na 1",
    "a /* c */ 1",
    "a/*c*/1",
    "a 1 /* c */\nb 2",
    "a 1 /* multi\nline */ 2",
    "/* a /* nested */ comment */ a 1",
    "/**/a 1",
    "/*/ still a comment */ a 1",
    "/* a */\n/* b */ a 1 /* c */ ; b 2",
    "a { /* c */ }",
    "a { // c\n}",
    "a {\n    // c\n    b 1 // d\n    // e\n}\n",
    "a\t1\tb=2",
    "a 1 { }  \n",
    "a 1 { } /* c */ // d\n",
    "users {\n    alice email=\"a@x.io\" {\n        firstname Alice\n    }\n}\n",
    "// c\u{feff}\na 1",
    "/* \u{2028} \u{85} \u{feff} */ a 1",
    "a.b.c 1",
    "a key=1 key=2",
    "a 1 2 { b 3 }",
    "a 1 2 { - x }",
    "a b=1 2",
    "a { b 1 } ",
    "a {b 1;}",
    "a { b 1; }",
    // The unit tests' documents in `super::tests`.
    "users {\n    \"-\" email=\"a@b.io\"\n}\n",
    "users {\n    \"José\" email=\"j@x.io\" {\n        firstname José\n    }\n}\nbindings {\n    - ad_domain=corp {\n        users a b\n    }\n}\n",
    "a #true { b 1; }\n",
];

/// Texts the crate accepts and the fast reader leaves to it.
const DECLINED_VALID: &[&str] = &[
    "a #\"raw\"#",
    "a \"\"\"\n    multi\n    \"\"\"",
    "a 1.5",
    "a 1e3",
    "a 0x1F",
    "a 0o7",
    "a 0b1",
    "a #inf",
    "a #-inf",
    "a #nan",
    "a (t)1",
    "(t)a 1",
    "a /-1 2",
    "/-a 1\nb 2",
    "a /-{ b 1 } { c 2 }",
    "a 1 \\\n 2",
    "a \"x\\  y\"",
    "a\u{a0}1",
    "a 1\rb 2",
    "a 1\u{2028}b 2",
    "a 1\u{0B}b 2",
    "a 1 // c\u{85}b 2",
    ".a 1",
    "a .b",
    "a -.b",
];

/// Texts the crate rejects (so must the fast reader).
const INVALID: &[&str] = &[
    "a 1\n\n\n;",
    "a b=1}",
    "{",
    "}",
    "a {",
    "a }",
    "a { b 1",
    "a { b 1 } }",
    "a \"unterminated",
    "a \"new\nline\"",
    "a \"bad \\q escape\"",
    "a \"\\u{}\"",
    "a \"\\u{D800}\"",
    "a \"\\u{110000}\"",
    "a \"\\u{1234567}\"",
    "a \"ctrl\u{1}\"",
    "a \"bidi\u{202e}\"",
    "a \"bom\u{feff}\"",
    "a b\u{202e}c",
    "a true",
    "a false",
    "a null",
    "a inf",
    "a nan",
    "true 1",
    "a b=",
    "a b= ",
    "a =1",
    "a=1",
    "a 1=2",
    "a #true=1",
    "a b=c=d",
    "a \"b\"\"c\"",
    "a \"b\"c",
    "a 1x",
    "a 1.",
    "a 1.x",
    "a 1e",
    "a 0x",
    "a 0xG",
    "a #truex",
    "a #maybe",
    "a #",
    "a 170141183460469231731687303715884105728",
    "a -170141183460469231731687303715884105728",
    "1 a",
    "\"a\"b 1",
    "a;;b",
    ";a",
    "a\n;",
    "a { } b",
    "a { } { }",
    "a { } 1",
    "a\n{ b 1 }",
    "a /* unterminated",
    "a 1 */",
    "a [1]",
    "a (",
    "a)",
    "a\u{1}",
    "a 1\u{feff}",
    "a \"\"\"",
];

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "kdl") {
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

/// Every KDL file in the repository that the crate accepts takes the fast path, except those
/// that test a construct the fast reader leaves to the crate on purpose.
#[test]
fn shipped_configs_take_the_fast_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root.join("examples"), &mut files);
    files_under(&root.join("tests/fixtures"), &mut files);
    files.sort();
    let mut fast = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("UTF-8 fixture");
        let outcome = compare(&text);
        assert_ne!(
            outcome,
            Outcome::DeclinedValid,
            "{} is valid KDL the fast reader declines",
            path.display()
        );
        fast += usize::from(outcome == Outcome::Fast);
    }
    // The five example files alone; a guard against an empty walk.
    assert!(fast >= 5, "{fast} of {} files read", files.len());
}

/// The export writer's output (what `jcform export` and the bench write) takes the fast path,
/// including the quoting of awkward names.
#[test]
fn exported_kdl_takes_the_fast_path() {
    use crate::export::kdl::string;
    let awkward = [
        "alice",
        "anna.lindqvist",
        "José",
        "007",
        "true",
        "null",
        "-",
        "a b",
        "tab\there",
        "quote\"back\\slash",
        "line\nbreak\r\n",
        "ctrl\u{1}\u{b}\u{c}\u{8}\u{7f}",
        "bidi\u{202e}\u{feff}\u{2028}\u{85}",
        "",
        "{}",
        "#x",
        "1e3",
        "-5",
        "+x",
        ".x",
    ];
    for name in awkward {
        let text = format!(
            "users {{\n    {} email={}\n}}\n",
            string(name),
            string(name)
        );
        let outcome = compare(&text);
        assert_eq!(outcome, Outcome::Fast, "{text:?}");
    }
}

// ---- generated documents ---------------------------------------------------------------

const IDENTS: &[&str] = &[
    "version",
    "users",
    "groups",
    "bindings",
    "settings",
    "email",
    "members",
    "alice",
    "anna.lindqvist",
    "José",
    "Олександр",
    "-",
    "+",
    "_x",
    "a-b",
    "a@b.io",
    "x.",
    "a\u{7f}",
    "日本",
    "a,b",
    "x'y",
    "<x>",
    "$HOME",
    "~",
    "a:b",
    "*",
    "?!",
    "a|b&c%d^e`f",
];

/// A string token: a bare identifier or a quoted string, sometimes one the crate rejects.
fn string_token() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => proptest::sample::select(IDENTS).prop_map(str::to_string),
        6 => proptest::collection::vec(
            prop_oneof![
                10 => "[a-zA-Z0-9 .@_-]{1,6}",
                1 => proptest::sample::select(&[
                    "\\\\", "\\\"", "\\b", "\\f", "\\n", "\\r", "\\t", "\\s", "\\u{41}",
                    "\\u{1f600}", "\\u{10FFFF}", "\\u{0}", "\\u{d800}", "\\u{}", "\\q", "\\ ",
                    "\\\n ", "\t", "\u{a0}", "é", "\u{7f}", "\u{1}", "\u{202e}", "\u{feff}",
                    "\n", "\r", "\u{2028}", "'", "#", "{", "}", ";", "//", "/*", "=",
                ][..]).prop_map(str::to_string),
            ],
            0..4,
        )
        .prop_map(|parts| format!("\"{}\"", parts.concat())),
        1 => proptest::sample::select(&[
            "#\"raw\"#", "##\"r\"#\"##", "\"\"\"\n  m\n  \"\"\"", "true", "null", "inf", "-inf",
            ".a", "-.a", "\"", "a\u{202e}", "a\u{a0}b",
        ][..]).prop_map(str::to_string),
    ]
}

/// A value token of any type.
fn value_token() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => string_token(),
        4 => prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<i128>().prop_map(|n| n.to_string()),
            any::<u8>().prop_map(|n| format!("+{n}")),
            "[+-]?[0-9][0-9_]{0,5}",
        ],
        1 => proptest::sample::select(&[
            "#true", "#false", "#null", "#inf", "#-inf", "#nan", "#maybe", "1.5", "-0.5e3",
            "1e3", "0x1F", "0o17", "0b101", "1_000.0", "(t)1", "(t)\"s\"", "1x", "1.",
            "170141183460469231731687303715884105728",
        ][..]).prop_map(str::to_string),
    ]
}

/// Space between tokens on a line.
fn node_space() -> impl Strategy<Value = String> {
    prop_oneof![
        16 => Just(" ".to_string()),
        4 => proptest::sample::select(&[
            "  ", "\t", " /* c */ ", "/*c*/", " /* a /* b */ c */ ", " /* \n */ ", "/**/",
        ][..]).prop_map(str::to_string),
        1 => proptest::sample::select(&[
            "\u{a0}", "\u{3000}", " \\\n ", " \\ // c\n ", "", " /-x ", " /- 1 ",
        ][..]).prop_map(str::to_string),
    ]
}

/// What ends a node.
fn terminator() -> impl Strategy<Value = String> {
    prop_oneof![
        16 => Just("\n".to_string()),
        6 => proptest::sample::select(&[
            "\r\n", ";", "; ", " // note\n", "// n\r\n", "\n\n", "\n    \n", "\n// c\n",
            "\n/* c */\n", ";\n",
        ][..]).prop_map(str::to_string),
        1 => proptest::sample::select(&[
            "\r", "\u{2028}", "\u{85}", "\u{c}", "\u{b}", " // c\u{2028}", ";;", "",
            "\n/-x 1\n",
        ][..]).prop_map(str::to_string),
    ]
}

/// One argument or property, with the space before it.
fn entry() -> impl Strategy<Value = String> {
    (
        node_space(),
        proptest::option::weighted(0.4, (string_token(), "( ?/\\*x\\*/)?( ?)")),
        value_token(),
    )
        .prop_map(|(space, key, value)| match key {
            Some((key, around)) => format!("{space}{key}{around}={around}{value}"),
            None => format!("{space}{value}"),
        })
}

/// A node: name, entries, maybe a block of child nodes (config-shaped: few levels).
fn node(depth: u32) -> BoxedStrategy<String> {
    let head = (
        string_token(),
        proptest::collection::vec(entry(), 0..3),
        node_space(),
    );
    if depth == 0 {
        return head
            .prop_map(|(name, entries, tail)| format!("{name}{}{tail}", entries.concat()))
            .boxed();
    }
    (
        head,
        proptest::option::weighted(
            0.5,
            (
                prop_oneof![Just(" ".to_string()), Just(String::new()), node_space()],
                prop_oneof![
                    4 => Just("\n".to_string()),
                    1 => proptest::sample::select(&["", " ", "\r\n", " // c\n", " /* c */\n"][..])
                        .prop_map(str::to_string),
                ],
                proptest::collection::vec((node(depth - 1), terminator()), 0..3),
                proptest::sample::select(&["", "    ", "\t", " "][..]),
            ),
        ),
    )
        .prop_map(|((name, entries, tail), block)| {
            let mut out = format!("{name}{}", entries.concat());
            match block {
                Some((before, open, children, indent)) => {
                    out.push_str(&before);
                    out.push('{');
                    out.push_str(&open);
                    for (child, end) in children {
                        out.push_str(indent);
                        out.push_str(&child);
                        out.push_str(&end);
                    }
                    out.push('}');
                    out.push_str(&tail);
                }
                None => out.push_str(&tail),
            }
            out
        })
        .boxed()
}

fn document() -> impl Strategy<Value = String> {
    (
        proptest::option::weighted(0.1, Just("\u{FEFF}")),
        proptest::collection::vec((node(3), terminator()), 0..4),
    )
        .prop_map(|(bom, nodes)| {
            let mut out = bom.unwrap_or_default().to_string();
            for (node, end) in nodes {
                out.push_str(&node);
                out.push_str(&end);
            }
            out
        })
}

/// Small edits anywhere in a text: a character or token inserted, deleted or replaced.
fn mutated() -> impl Strategy<Value = String> {
    crate::config::mutate::mutated(
        document(),
        &[
            "{", "}", "\"", "\\", "/", "*", "-", "/-", "=", ";", "#", "(", ")", "\n", "\r", " ",
            "\t", "1", "a", ".", "e", "x", "_", "+", "é", "\u{a0}", "\u{feff}", "\u{85}",
            "\u{2028}", "\u{1}", "\u{7f}", "//", "/*", "*/", "\"\"\"", "#\"", ",", "'", "<", ">",
            "?", "!", "$", "%", "&", "|", "~", "^", "`", ":", "@", "[", "]", "\u{b}", "\u{c}",
            "\u{200e}", "\u{3000}", "\u{2029}", "\r\n", "0", "-1", "#true", "\\u{",
        ],
    )
}

proptest! {
    #![proptest_config(Config { cases: std::env::var("JCFORM_KDL_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512), failure_persistence: None, ..Config::default() })]

    #[test]
    fn generated_documents_read_as_the_crate_reads_them(text in document()) {
        compare(&text);
    }

    #[test]
    fn mutated_documents_read_as_the_crate_reads_them(text in mutated()) {
        compare(&text);
    }
}

/// The generators are not so broken that everything is declined: a fixed run of generated
/// documents takes the fast path often, and declines valid and invalid ones too.
#[test]
fn the_generated_documents_exercise_every_outcome() {
    let mut runner = TestRunner::deterministic();
    let strategy = document();
    let (mut fast, mut declined_valid, mut invalid) = (0, 0, 0);
    for _ in 0..300 {
        let text = strategy
            .new_tree(&mut runner)
            .expect("a document")
            .current();
        match compare(&text) {
            Outcome::Fast => fast += 1,
            Outcome::DeclinedValid => declined_valid += 1,
            Outcome::DeclinedInvalid => invalid += 1,
        }
    }
    eprintln!("fast {fast}, declined valid {declined_valid}, invalid {invalid}");
    let mutations = mutated();
    let mut outcomes = [0; 3];
    for _ in 0..300 {
        let text = mutations.new_tree(&mut runner).expect("a text").current();
        outcomes[compare(&text) as usize] += 1;
    }
    eprintln!("mutated: fast, declined valid, invalid: {outcomes:?}");
    assert!(
        outcomes[Outcome::Fast as usize] >= 20 && outcomes[Outcome::DeclinedInvalid as usize] >= 20,
        "mutated: {outcomes:?}"
    );
    assert!(
        fast >= 60 && declined_valid >= 10 && invalid >= 10,
        "fast {fast}, declined valid {declined_valid}, invalid {invalid}"
    );
}

/// Nesting up to `MAX_DEPTH - 1` blocks is read; one more is left to the crate path, which
/// reports `too-deep` (its check of the parsed tree counts the top level as level 1). Nested
/// block comments count against the limit as in the crate path's text scan.
#[test]
fn depth_is_bounded_as_in_the_crate_path() {
    use super::MAX_DEPTH;
    let nested = |n: usize| format!("{}{}", "a{".repeat(n), "}".repeat(n));
    assert_eq!(compare(&nested(MAX_DEPTH - 1)), Outcome::Fast);
    assert_eq!(compare(&nested(MAX_DEPTH)), Outcome::DeclinedInvalid);
    assert!(fast::read(0, &nested(MAX_DEPTH + 1)).is_none());
    let comments = |n: usize| format!("a 1 {}{}", "/*".repeat(n), "*/".repeat(n));
    assert_eq!(compare(&comments(MAX_DEPTH)), Outcome::Fast);
    assert!(fast::read(0, &comments(MAX_DEPTH + 1)).is_none());
}
