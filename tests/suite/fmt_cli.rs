//! `jcform fmt` through the real binary: `--check` and `--diff` change nothing and exit 1 when a
//! file would change; a rewrite keeps every comment and the file's permissions, is idempotent
//! and never changes what the config says (the lowered model of every valid example and fixture
//! is the same before and after); a file that does not parse stops everything with its place.

use crate::cli_common;

use std::path::{Path, PathBuf};

use cli_common::{copy_tree, jcform_in as jcform, root};
use predicates::prelude::*;

/// Every comment's text in a config file (YAML `#`, KDL `//`), trimmed: a rough scan for
/// the example files, which have no `#` or `//` inside strings.
fn comments(text: &str, kdl: bool) -> Vec<String> {
    let marker = if kdl { "//" } else { " #" };
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let l = format!(" {l}");
            l.find(marker).map(|at| {
                l[at + marker.len()..]
                    .trim_start_matches('#')
                    .trim()
                    .to_string()
            })
        })
        .collect();
    out.sort();
    out
}

fn config_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(config_files(&path));
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "kdl")
        ) {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn check_reports_fmt_rewrites_and_keeps_comments_and_permissions() {
    // The examples as they were written before `jcform fmt` existed (the shipped examples are
    // formatted now, so the hook passes on this repository).
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &root().join("tests/fixtures/fmt/unformatted/yaml"),
        &dir.path().join("yaml"),
    );
    copy_tree(
        &root().join("tests/fixtures/fmt/unformatted/kdl"),
        &dir.path().join("kdl"),
    );
    let users = dir.path().join("yaml/users.yaml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let before: Vec<(PathBuf, String)> = config_files(dir.path())
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();

    // --check: lists the files, exits 1, writes nothing.
    let out = jcform(dir.path())
        .args(["fmt", "--check"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("yaml/users.yaml"))
        .stdout(predicate::str::contains("kdl/users.kdl"))
        .stderr(predicate::str::contains("would be reformatted"))
        .get_output()
        .clone();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("---"));
    for (p, text) in &before {
        assert_eq!(&std::fs::read_to_string(p).unwrap(), text, "{p:?}");
    }

    // --diff: a unified diff too.
    jcform(dir.path())
        .args(["fmt", "--check", "--diff", "yaml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("--- a/yaml/users.yaml"))
        .stdout(predicate::str::contains(
            "+    state: suspended  # on leave",
        ));

    // fmt: rewrites and lists what it changed.
    jcform(dir.path())
        .arg("fmt")
        .assert()
        .success()
        .stdout(predicate::str::contains("formatted ./yaml/users.yaml"));
    for (p, text) in &before {
        let after = std::fs::read_to_string(p).unwrap();
        let kdl = p.extension().is_some_and(|e| e == "kdl");
        assert_eq!(comments(text, kdl), comments(&after, kdl), "{p:?}\n{after}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&users).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    // No temp file left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path().join("yaml"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");

    // Idempotent: now clean.
    jcform(dir.path())
        .args(["fmt", "--check"])
        .assert()
        .success()
        .stdout("");
    jcform(dir.path()).arg("fmt").assert().success().stdout("");
}

/// Every example and fixture directory (or single file) that holds a valid config: formatted, it
/// lowers to exactly the same model, and formatting it again changes nothing.
#[test]
fn formatting_never_changes_the_model_of_any_valid_example_or_fixture() {
    let mut configs: Vec<PathBuf> = vec![
        root().join("examples/yaml"),
        root().join("examples/kdl"),
        root().join("examples/orgs/config"),
    ];
    let mut fixtures = Vec::new();
    for top in ["tests/fixtures", "tests/scenarios"] {
        let top = root().join(top);
        if top.is_dir() {
            fixtures.extend(config_files(&top));
        }
    }
    // A fixture config is the directory of its files (they often refer to each other), and
    // each file alone.
    let mut dirs: Vec<PathBuf> = fixtures
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    configs.extend(dirs);
    configs.extend(fixtures);

    let mut checked = 0;
    for config in configs {
        if jcform::model::load(&config).is_err() {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("cfg");
        if config.is_dir() {
            // Only the config files: some fixture directories hold other state.
            copy_tree(&config, &copy);
        } else {
            std::fs::create_dir_all(&copy).unwrap();
            std::fs::copy(&config, copy.join(config.file_name().unwrap())).unwrap();
        }
        // Password files are read relative to the file: copy the examples' too.
        copy_tree(
            &root().join("examples/passwords"),
            &dir.path().join("passwords"),
        );
        let before = jcform::model::load(&copy).expect("the copy loads as the original");
        jcform(dir.path()).args(["fmt", "cfg"]).assert().success();
        let after = jcform::model::load(&copy)
            .unwrap_or_else(|e| panic!("{config:?}: formatted config does not load: {e}"));
        assert_eq!(
            spanless(after.model),
            spanless(before.model),
            "{config:?}: formatting changed the model"
        );
        jcform(dir.path())
            .args(["fmt", "--check", "cfg"])
            .assert()
            .success();
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} configs checked");
}

/// The model without source places (waivers remember where they are written).
fn spanless(mut model: jcform::model::Model) -> jcform::model::Model {
    for waiver in &mut model.waivers {
        waiver.origin = None;
    }
    model
}

#[test]
fn a_file_that_does_not_parse_stops_everything_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let good = "users:\n  ana:\n    department: Eng\n    email: ana@example.com\n";
    std::fs::write(dir.path().join("a.yaml"), good).unwrap();
    std::fs::write(dir.path().join("b.yaml"), "users:\n  bob: [x\n").unwrap();
    std::fs::write(dir.path().join("c.kdl"), "users {\n    bob {\n").unwrap();
    jcform(dir.path())
        .arg("fmt")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("b.yaml:3:1"))
        .stderr(predicate::str::contains("c.kdl:"))
        .stderr(predicate::str::contains("nothing was formatted"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.yaml")).unwrap(),
        good
    );
    jcform(dir.path())
        .args(["fmt", "--check", "a.yaml", "b.yaml"])
        .assert()
        .code(1)
        .stdout("");
}

#[test]
fn anchors_and_aliases_are_left_alone_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\
users:
  ana: &staff
    department: Eng
    email: ana@example.com
  ben:
    <<: *staff
    email: ben@example.com
";
    std::fs::write(dir.path().join("u.yaml"), text).unwrap();
    jcform(dir.path())
        .args(["fmt", "--check"])
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains(
            "u.yaml: left unchanged: line 2: an anchor (`&`)",
        ));
    jcform(dir.path()).arg("fmt").assert().success().stdout("");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("u.yaml")).unwrap(),
        text
    );
}

#[test]
fn the_canonical_layout() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "\
# yaml-language-server: $schema=jcform.schema.json

# Everyone in engineering.
users:
  zed:                 # listed first: fmt keeps the order of users
    initial_password:
      env: ZED_PW
    department: 'Engineering'
    employee_id: '007'
    email: \"zed@example.com\"
    nickname: z        # unknown keys go last, in their order

  # the lead
  ana: {email: ana@example.com, job_title: yes, state: active}
groups:
  eng:
    members:
      - zed
      - ana
    description: Engineers
settings:
  limits:
    max_unbinds: 5
    max_deletes: 2
  manage: {users: additive}
bindings:
  - groups: [eng]
    ad_domain: corp
version: 1
# end of file
";
    let kdl = "\
/* Everyone in engineering. */
users {
    zed {
        department \"Engineering\"
        email \"zed@example.com\" // work address
        initial_password env=ZED_PW
    }
}
version 1
bindings {
    - groups=eng ad_domain=corp
}
";
    std::fs::write(dir.path().join("org.yaml"), yaml).unwrap();
    std::fs::write(dir.path().join("org.kdl"), kdl).unwrap();
    jcform(dir.path()).arg("fmt").assert().success();
    insta::assert_snapshot!(
        "fmt_yaml",
        std::fs::read_to_string(dir.path().join("org.yaml")).unwrap()
    );
    insta::assert_snapshot!(
        "fmt_kdl",
        std::fs::read_to_string(dir.path().join("org.kdl")).unwrap()
    );
}

/// The shipped examples are formatted: the pre-commit hook (`jcform fmt --check`) passes on
/// this repository as on a user's.
#[test]
fn the_examples_are_formatted() {
    jcform(&root())
        .args([
            "fmt",
            "--check",
            "examples/yaml",
            "examples/kdl",
            "examples/orgs",
        ])
        .assert()
        .code(0);
}
