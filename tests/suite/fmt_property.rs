//! `jcform fmt` over generated configs (fields in any order, comments above and after entries,
//! values that need quoting, blank lines, both syntaxes): formatting always succeeds, is
//! idempotent, keeps every comment and lowers to the same model.

use std::path::Path;

use jcform::config::fmt::{format, Outcome};
use jcform::config::{parse_bytes, Loaded};
use proptest::prelude::*;

const FIELDS: &[&str] = &[
    "department",
    "job_title",
    "firstname",
    "location",
    "cost_center",
    "company",
];

/// Values that are strings in both syntaxes when quoted, some needing the quotes.
const VALUES: &[&str] = &[
    "Engineering",
    "007",
    "yes",
    "null",
    "1e3",
    "a: b",
    "#hash",
    "O'Brien",
    "José Müller",
    "x y",
    "",
];

/// The lowered model, without source places, if the text is a valid config.
fn try_model(name: &str, text: &str) -> Option<jcform::model::Model> {
    let mut loaded = Loaded::default();
    parse_bytes(
        &mut loaded,
        Path::new(name),
        name.to_string(),
        text.as_bytes().to_vec(),
    );
    let mut model = jcform::model::from_loaded(loaded).ok()?.model;
    for w in &mut model.waivers {
        w.origin = None;
    }
    Some(model)
}

fn model(name: &str, text: &str) -> jcform::model::Model {
    try_model(name, text).unwrap_or_else(|| panic!("not a valid config:\n{text}"))
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[derive(Debug, Clone)]
struct User {
    fields: Vec<(usize, usize)>,
    comment: Option<String>,
    note: Option<String>,
    gap: bool,
}

fn user() -> impl Strategy<Value = User> {
    (
        proptest::sample::subsequence((0..FIELDS.len()).collect::<Vec<_>>(), 0..FIELDS.len())
            .prop_shuffle(),
        proptest::collection::vec(0..VALUES.len(), FIELDS.len()),
        proptest::option::of("[a-z][a-z ]{0,12}"),
        proptest::option::of("[a-z][a-z ]{0,12}"),
        any::<bool>(),
    )
        .prop_map(|(fields, values, comment, note, gap)| User {
            fields: fields.into_iter().map(|f| (f, values[f])).collect(),
            comment: comment.map(|c| c.trim().to_string()),
            note: note.map(|c| c.trim().to_string()),
            gap,
        })
}

fn yaml(users: &[User], version_last: bool) -> String {
    let mut out = String::new();
    if !version_last {
        out.push_str("version: 1\n");
    }
    out.push_str("users:\n");
    for (n, u) in users.iter().enumerate() {
        if u.gap {
            out.push('\n');
        }
        if let Some(c) = &u.comment {
            out.push_str(&format!("  # {c}\n"));
        }
        out.push_str(&format!("  u{n}:"));
        if let Some(c) = &u.note {
            out.push_str(&format!("     # {c}"));
        }
        out.push('\n');
        let mut email_at = u.fields.len() / 2;
        for (i, (f, v)) in u.fields.iter().enumerate() {
            if i == email_at {
                out.push_str(&format!("    email: u{n}@example.com\n"));
                email_at = usize::MAX;
            }
            out.push_str(&format!("    {}: {}\n", FIELDS[*f], quote(VALUES[*v])));
        }
        if email_at != usize::MAX {
            out.push_str(&format!("    email: 'u{n}@example.com'\n"));
        }
    }
    if version_last {
        out.push_str("version: 1\n");
    }
    out
}

fn kdl(users: &[User], version_last: bool) -> String {
    let mut out = String::new();
    if !version_last {
        out.push_str("version 1\n");
    }
    out.push_str("users {\n");
    for (n, u) in users.iter().enumerate() {
        if u.gap {
            out.push('\n');
        }
        if let Some(c) = &u.comment {
            out.push_str(&format!("  /* {c} */\n"));
        }
        out.push_str(&format!("  u{n} {{"));
        if let Some(c) = &u.note {
            out.push_str(&format!(" // {c}"));
        }
        out.push('\n');
        for (f, v) in &u.fields {
            out.push_str(&format!("      {} {}\n", FIELDS[*f], quote(VALUES[*v])));
        }
        out.push_str(&format!("      email \"u{n}@example.com\"\n  }}\n"));
    }
    out.push_str("}\n");
    if version_last {
        out.push_str("version 1\n");
    }
    out
}

fn comments(users: &[User]) -> Vec<String> {
    users
        .iter()
        .flat_map(|u| u.comment.iter().chain(u.note.iter()))
        .filter(|c| !c.is_empty())
        .cloned()
        .collect()
}

fn check(name: &str, text: &str, users: &[User]) {
    let out = match format(Path::new(name), text.as_bytes().to_vec()) {
        Outcome::Changed(out) => out,
        Outcome::Unchanged => text.to_string(),
        other => panic!("{other:?}\n{text}"),
    };
    assert!(
        matches!(
            format(Path::new(name), out.as_bytes().to_vec()),
            Outcome::Unchanged
        ),
        "not idempotent:\n{out}"
    );
    assert_eq!(model(name, &out), model(name, text), "{text}\n->\n{out}");
    for c in comments(users) {
        assert!(out.contains(&c), "lost comment {c:?}:\n{out}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn yaml_formatting_is_safe_and_stable(
        users in proptest::collection::vec(user(), 1..6),
        version_last in any::<bool>(),
    ) {
        check("t.yaml", &yaml(&users, version_last), &users);
    }

    #[test]
    fn kdl_formatting_is_safe_and_stable(
        users in proptest::collection::vec(user(), 1..6),
        version_last in any::<bool>(),
    ) {
        check("t.kdl", &kdl(&users, version_last), &users);
    }
}

/// The examples: formatting each file alone is idempotent and keeps its model.
#[test]
fn examples_format_idempotently() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["examples/yaml", "examples/kdl"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let out = match format(&path, text.clone().into_bytes()) {
                Outcome::Changed(out) => out,
                Outcome::Unchanged => text.clone(),
                other => panic!("{path:?}: {other:?}"),
            };
            assert!(matches!(
                format(&path, out.clone().into_bytes()),
                Outcome::Unchanged
            ));
            let raw = |t: &str| {
                let mut loaded = Loaded::default();
                parse_bytes(&mut loaded, &path, name.clone(), t.as_bytes().to_vec());
                assert!(loaded.diagnostics.is_empty(), "{path:?}");
                loaded.files.len()
            };
            assert_eq!(raw(&out), raw(&text));
        }
    }
}

/// Example files with random line edits (lines dropped, repeated, re-indented, comments put in
/// anywhere): formatting never panics, and whatever it rewrites parses, formats to itself and
/// keeps every comment text.
#[test]
fn mutated_examples_never_format_unsafely() {
    use proptest::test_runner::{Config, TestRunner};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds: Vec<(String, String)> = ["yaml", "kdl"]
        .iter()
        .flat_map(|ext| {
            std::fs::read_dir(root.join("examples").join(ext))
                .unwrap()
                .map(|e| {
                    let path = e.unwrap().path();
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    (name, std::fs::read_to_string(&path).unwrap())
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let edits = proptest::collection::vec((0..4u8, any::<prop::sample::Index>(), 0..3usize), 1..6);
    runner
        .run(
            &(0..seeds.len(), edits, "[a-z #/]{0,10}"),
            |(seed, edits, word)| {
                let (name, text) = &seeds[seed];
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                for (kind, at, n) in edits {
                    if lines.is_empty() {
                        break;
                    }
                    let i = at.index(lines.len());
                    let comment = if name.ends_with(".kdl") { "//" } else { "#" };
                    match kind {
                        0 => {
                            lines.remove(i);
                        }
                        1 => {
                            let line = lines[i].clone();
                            lines.insert(i, line);
                        }
                        2 => lines[i] = format!("{}{}", " ".repeat(n * 2), lines[i].trim_start()),
                        _ => lines.insert(i, format!("{} {comment} {word}", " ".repeat(n * 2))),
                    }
                }
                let input = lines.join("\n") + "\n";
                if let Outcome::Changed(out) = format(Path::new(name), input.clone().into_bytes()) {
                    prop_assert!(
                        matches!(
                            format(Path::new(name), out.clone().into_bytes()),
                            Outcome::Unchanged
                        ),
                        "not idempotent:\n{input}\n->\n{out}"
                    );
                    if let Some(before) = try_model(name, &input) {
                        prop_assert_eq!(try_model(name, &out), Some(before));
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}
