//! The smoke run of the config fuzz targets (`fuzz/`), on the stable toolchain: a few thousand
//! inputs mutated from the example configs and from hostile shapes (alias bombs, deep nesting,
//! long lines, merge keys, BOMs) go through the production loader, validator and both
//! diagnostic renderers (`jcform::config::fuzz::check`), which assert no panic, a bounded number
//! of diagnostics and bounded output.
//!
//! `JCFORM_FUZZ_CASES=N` sets the number of cases per format (default 1,000). For a long run:
//!
//! ```sh
//! JCFORM_FUZZ_CASES=2000000 cargo test --release --test suite config_fuzz -- --nocapture
//! ```
//!
//! A failure is shrunk by proptest and printed as the smallest input that breaks a bound. A
//! crash that aborts the process (a stack overflow) cannot be shrunk: with
//! `JCFORM_FUZZ_LAST=FILE` each input is written to `FILE.yaml` / `FILE.kdl` before it is
//! checked, so that file holds the input that crashed.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use jcform::config::fuzz::check;

const YAML_SEEDS: &[&str] = &[
    include_str!("../../examples/yaml/users.yaml"),
    include_str!("../../examples/yaml/groups.yaml"),
    include_str!("../../examples/yaml/directories.yaml"),
    include_str!("../../examples/yaml/settings.yaml"),
    include_str!("../fixtures/validate/dozen-mistakes.yaml"),
    include_str!("../fixtures/field-cases/03-duplicate-email/users.yaml"),
    include_str!("../fixtures/field-cases/06-bom/cfg-comment-first/users.yaml"),
    include_str!("../fixtures/field-cases/11-merge-key/u.yaml"),
    include_str!("../fixtures/field-cases/15-field-length/u.yaml"),
    include_str!("../fixtures/hostile/billion-laughs.yaml"),
    include_str!("../fixtures/hostile/deep.yaml"),
    "a: &a {x: 1}\nb: {<<: [*a, *a]}\nusers: {u: {<<: *a, email: u@example.com}}\n",
    "users:\n  Alice: {email: a@müller.example}\n  alice: {email: A@xn--mller-kva.example}\n",
];

const KDL_SEEDS: &[&str] = &[
    include_str!("../../examples/kdl/users.kdl"),
    include_str!("../../examples/kdl/groups.kdl"),
    include_str!("../../examples/kdl/directories.kdl"),
    include_str!("../../examples/kdl/settings.kdl"),
    include_str!("../fixtures/field-cases/06-bom/cfg-kdl/users.kdl"),
    include_str!("../fixtures/field-cases/14-kdl-error-location/users.kdl"),
    include_str!("../fixtures/hostile/deep.kdl"),
    "users { a email=#\"x{{{\"# { description \"\"\"\n}}}\n\"\"\" } }\n/* /* { */ */\n",
];

/// Fragments that tend to reach the interesting states of both parsers.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "&a ",
    "*a",
    "<<: ",
    "<<: *a\n",
    ": ",
    "\n  ",
    "\n- ",
    "- ",
    "\"",
    "'",
    "#\"",
    "\"#",
    "\"\"\"",
    "/*",
    "*/",
    "//",
    "/-",
    "---\n",
    "...\n",
    "\u{feff}",
    "é",
    "\t",
    "\\",
    "=",
    ";",
    "#true",
    "#null",
    "!!str ",
    "? ",
    "|\n  ",
    ">-\n  ",
    "%YAML 1.2\n",
    "\r\n",
    "\0",
    "users:\n  ",
    "email: ",
    "@",
    "xn--",
    "DC=",
    "version 1\n",
];

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace a byte.
    Set(usize, u8),
    /// Insert a token.
    Token(usize, usize),
    /// Remove a range.
    Cut(usize, usize),
    /// Copy a range somewhere else (repetition).
    Repeat(usize, usize, usize, u8),
    /// Insert part of another seed.
    Splice(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Set(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, t)| Mutation::Token(a, t)),
        (any::<usize>(), 0usize..64).prop_map(|(a, n)| Mutation::Cut(a, n)),
        (any::<usize>(), 0usize..64, any::<usize>(), 1u8..16)
            .prop_map(|(a, n, to, times)| Mutation::Repeat(a, n, to, times)),
        (any::<usize>(), any::<usize>(), 0usize..256)
            .prop_map(|(s, a, n)| Mutation::Splice(s, a, n)),
    ]
}

fn apply(seeds: &[&str], seed: usize, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = seeds[seed % seeds.len()].as_bytes().to_vec();
    for m in mutations {
        let len = bytes.len();
        let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
        match *m {
            Mutation::Set(i, b) if len > 0 => bytes[i % len] = b,
            Mutation::Set(..) => bytes.push(b'a'),
            Mutation::Token(i, t) => {
                let token = TOKENS[t % TOKENS.len()].as_bytes();
                bytes.splice(at(i)..at(i), token.iter().copied());
            }
            Mutation::Cut(i, n) => {
                let from = at(i);
                let to = (from + n).min(len);
                bytes.drain(from..to);
            }
            Mutation::Repeat(i, n, to, times) => {
                let from = at(i);
                let end = (from + n).min(len);
                let piece: Vec<u8> = bytes[from..end].repeat(times as usize);
                let to = at(to);
                bytes.splice(to..to, piece);
            }
            Mutation::Splice(s, i, n) => {
                let other = seeds[s % seeds.len()].as_bytes();
                let from = if other.is_empty() { 0 } else { i % other.len() };
                let end = (from + n).min(other.len());
                let to = at(i);
                bytes.splice(to..to, other[from..end].iter().copied());
            }
        }
    }
    bytes
}

fn cases() -> u32 {
    std::env::var("JCFORM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

fn run(extension: &str, seeds: &'static [&'static str]) {
    // The seeds themselves first, unmutated.
    for seed in seeds {
        check(extension, seed.as_bytes());
    }
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    });
    let strategy = (any::<usize>(), prop::collection::vec(mutation(), 0..12));
    let valid = std::cell::Cell::new(0u64);
    let total = std::cell::Cell::new(0u64);
    let last = std::env::var_os("JCFORM_FUZZ_LAST");
    let result = runner.run(&strategy, |(seed, mutations)| {
        let bytes = apply(seeds, seed, &mutations);
        if let Some(path) = &last {
            let mut path = path.clone();
            path.push(format!(".{extension}"));
            std::fs::write(&path, &bytes).expect("JCFORM_FUZZ_LAST is writable");
        }
        let checked = check(extension, &bytes);
        total.set(total.get() + 1);
        valid.set(valid.get() + u64::from(checked.valid));
        Ok(())
    });
    eprintln!("{extension}: {} inputs, {} valid", total.get(), valid.get());
    if let Err(e) = result {
        panic!("{extension}: {e}");
    }
}

#[test]
fn yaml_inputs_never_break_a_bound() {
    run("yaml", YAML_SEEDS);
}

#[test]
fn kdl_inputs_never_break_a_bound() {
    run("kdl", KDL_SEEDS);
}
