//! The shell around the product, through the real binary: `--version`, completions, man pages,
//! `--color`, `-v`/`JCFORM_LOG`, the environment help on every command, credentials profiles
//! and the errors that name the next step (README "Install", docs/credentials.md).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use crate::cli_common::root;
use assert_cmd::Command;
use predicates::prelude::*;

/// The binary, run from the repository root, colour settings left to each test.
fn jcform() -> Command {
    crate::cli_common::bare_in(&root())
}

/// A `jcform emulator` process with a known key, killed on drop.
struct Emulator {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn emulator(key: &str) -> Emulator {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("org.json");
    std::fs::copy(root().join("examples/sandbox.json"), &state).unwrap();
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("jcform"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--api-key", key])
        .arg("--state")
        .arg(&state)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    Emulator {
        child,
        url,
        _dir: dir,
    }
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[test]
fn version_names_the_commit() {
    let out = jcform()
        .arg("--version")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let rest = text
        .strip_prefix(concat!("jcform ", env!("CARGO_PKG_VERSION"), " (commit "))
        .unwrap_or_else(|| panic!("{text:?}"));
    let commit = rest
        .strip_suffix(")\n")
        .unwrap_or_else(|| panic!("{text:?}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{text:?}"
    );
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = jcform()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        // fish writes long flags as `-l sandbox`.
        for word in ["jcform", "orgs", "sandbox", "color", "profile"] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    jcform()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bash"));
}

#[test]
fn man_pages() {
    jcform()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH jcform 1"))
        .stdout(predicate::str::contains("JC_API_KEY"));
    let dir = tempfile::tempdir().unwrap();
    jcform()
        .args(["man", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    for page in [
        "jcform.1",
        "jcform-plan.1",
        "jcform-orgs.1",
        "jcform-orgs-plan.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
}

/// Every command and subcommand, from the clap definition itself (no list to forget).
fn all_commands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            out.push(p.clone());
            walk(sub, p, out);
        }
    }
    let mut out = vec![Vec::new()];
    walk(&jcform::cli::command(), Vec::new(), &mut out);
    out
}

#[test]
fn every_help_names_the_api_key_variable() {
    let commands = all_commands();
    assert!(commands.len() > 12, "{commands:?}");
    for path in commands {
        jcform()
            .args(&path)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("JC_API_KEY"))
            .stdout(predicate::str::contains("--color"));
    }
}

const ESC: &str = "\u{1b}[";

#[test]
fn color_flag_and_no_color() {
    let plan = |extra: &[&str], no_color: bool| {
        let mut cmd = jcform();
        cmd.args([
            "plan",
            "examples/yaml",
            "--sandbox",
            "examples/sandbox.json",
        ])
        .args(extra);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        String::from_utf8(out).unwrap()
    };
    assert!(plan(&["--color", "always"], false).contains(ESC));
    assert!(
        plan(&["--color=always"], true).contains(ESC),
        "the flag beats NO_COLOR"
    );
    assert!(!plan(&["--color", "never"], false).contains(ESC));
    // auto into a pipe: no colour.
    assert!(!plan(&[], false).contains(ESC));
    // The flag is global: it goes before the command too, and on commands without colour.
    jcform()
        .args(["--color", "never", "validate", "examples/yaml"])
        .assert()
        .success();
    jcform()
        .args(["plan", "--color", "sometimes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("always"));
}

#[test]
fn verbose_logs_requests_without_the_key() {
    let key = "sekrit-key-0123456789";
    let emu = emulator(key);
    let out = jcform()
        .args(["plan", "examples/yaml", "-vv", "--api-url", &emu.url])
        .env("JC_API_KEY", key)
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("Plan:"), "{stdout}");
    for want in [
        "jcform::http",
        "method=GET",
        "path=/api/systemusers",
        "status=200",
        "ms=",
        "jcform::read",
        "collection=\"users\"",
    ] {
        assert!(stderr.contains(want), "{want}: {stderr}");
    }
    assert!(!stderr.contains(key) && !stdout.contains(key));
    assert!(!stderr.contains("x-api-key"), "{stderr}");

    // -v: what was read, not each request.
    let out = jcform()
        .args([
            "plan",
            "examples/yaml",
            "-v",
            "--sandbox",
            "examples/sandbox.json",
        ])
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8(out).unwrap();
    assert!(
        stderr.contains("jcform::read") && !stderr.contains("jcform::http"),
        "{stderr}"
    );

    // JCFORM_LOG instead of -v; no flag, no env: quiet.
    jcform()
        .args([
            "plan",
            "examples/yaml",
            "--sandbox",
            "examples/sandbox.json",
        ])
        .env("JCFORM_LOG", "jcform::http=debug")
        .assert()
        .success()
        .stderr(predicate::str::contains("jcform::http"))
        .stderr(predicate::str::contains("jcform::read").not());
    jcform()
        .args([
            "plan",
            "examples/yaml",
            "--sandbox",
            "examples/sandbox.json",
        ])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
    jcform()
        .args(["validate", "examples/yaml"])
        .env("JCFORM_LOG", "jcform=loud")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("JCFORM_LOG"))
        .stderr(predicate::str::contains("help:"));
}

#[test]
fn a_refused_key_names_its_variable_and_where_keys_are_made() {
    let emu = emulator("the-right-key");
    let wrong = "wrong-key-9876543210";
    let out = jcform()
        .args(["plan", "examples/yaml", "--api-url", &emu.url])
        .env("JC_API_KEY", wrong)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    for want in [
        "401",
        "environment variable JC_API_KEY",
        "API Settings",
        "help:",
    ] {
        assert!(stderr.contains(want), "{want}: {stderr}");
    }
    assert!(!stderr.contains(wrong), "{stderr}");
}

#[test]
fn org_ids_are_checked_before_any_request() {
    jcform()
        .args(["plan", "examples/yaml", "--org-id", "not-an-org"])
        .env("JC_API_KEY", "k")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("24 hexadecimal"));
    // From the environment, through `connect`: exit 1, nothing sent (the URL is unroutable).
    jcform()
        .args(["plan", "examples/yaml", "--api-url", "http://127.0.0.1:9"])
        .env("JC_API_KEY", "k")
        .env("JC_ORG_ID", "5f1e0c0b4a3f2e1d0c9b8a7")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("JC_ORG_ID is not an org id"));
}

#[test]
fn missing_key_says_what_to_do() {
    jcform()
        .args(["plan", "examples/yaml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("JC_API_KEY is not set"))
        .stderr(predicate::str::contains("--profile"));
}

#[test]
fn profiles_reach_the_org() {
    let emu = emulator("profile-key");
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    write_private(
        &creds,
        &format!(
            "[profile.lab]\napi_url = \"{}\"\napi_key_env = \"LAB_KEY\"\n\n\
             [profile.lab-process]\napi_url = \"{}\"\ncredential_process = [\"printf\", \"profile-key\"]\n",
            emu.url, emu.url
        ),
    );
    // api_key_env
    jcform()
        .args(["plan", "examples/yaml", "--profile", "lab"])
        .env("JCFORM_CREDENTIALS", &creds)
        .env("LAB_KEY", "profile-key")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Plan:"));
    // credential_process, chosen through JCFORM_PROFILE
    jcform()
        .args(["plan", "examples/yaml"])
        .env("JCFORM_CREDENTIALS", &creds)
        .env("JCFORM_PROFILE", "lab-process")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("Plan:"));
    // The variable is missing: the error names it and the profile.
    jcform()
        .args(["plan", "examples/yaml", "--profile", "lab"])
        .env("JCFORM_CREDENTIALS", &creds)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("LAB_KEY"))
        .stderr(predicate::str::contains("profile lab"));
    // A wrong key through a profile: the hint names the profile's variable.
    jcform()
        .args(["plan", "examples/yaml", "--profile", "lab"])
        .env("JCFORM_CREDENTIALS", &creds)
        .env("LAB_KEY", "not-the-key")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "LAB_KEY (api_key_env of profile lab)",
        ))
        .stderr(predicate::str::contains("not-the-key").not());
    // A typo gets a suggestion.
    jcform()
        .args(["plan", "examples/yaml", "--profile", "lap"])
        .env("JCFORM_CREDENTIALS", &creds)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("did you mean `lab`"));
    // --profile and --sandbox are two different orgs.
    jcform()
        .args([
            "plan",
            "examples/yaml",
            "--profile",
            "lab",
            "--sandbox",
            "x.json",
        ])
        .assert()
        .code(2);
}

#[test]
fn the_config_can_name_its_profile() {
    let emu = emulator("cfg-key");
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    write_private(
        &creds,
        &format!(
            "[profile.lab]\napi_url = \"{}\"\napi_key_env = \"LAB_KEY\"\n",
            emu.url
        ),
    );
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(
        config.join("users.yaml"),
        "version: 1\nsettings: {profile: lab}\nusers:\n  zed: {email: zed@example.com}\n",
    )
    .unwrap();
    // JC_API_KEY is for another org: the config's profile wins over it.
    jcform()
        .arg("plan")
        .arg(&config)
        .env("JCFORM_CREDENTIALS", &creds)
        .env("LAB_KEY", "cfg-key")
        .env("JC_API_KEY", "some-other-orgs-key")
        .assert()
        .success()
        .stdout(predicate::str::contains("user.zed"));
}

#[cfg(unix)]
#[test]
fn a_readable_credentials_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // XDG_CONFIG_HOME is where the file is looked for when JCFORM_CREDENTIALS is not set.
    let creds = dir.path().join("jcform/credentials");
    std::fs::create_dir_all(creds.parent().unwrap()).unwrap();
    std::fs::write(&creds, "[profile.p]\napi_key_env = \"K\"\n").unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o640)).unwrap();
    jcform()
        .args(["plan", "examples/yaml", "--profile", "p"])
        .env("XDG_CONFIG_HOME", dir.path())
        .env("K", "k")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("mode 640"))
        .stderr(predicate::str::contains("chmod 600"));
}

#[test]
fn orgs_plan_reaches_orgs_through_profiles() {
    let emu = emulator("fleet-key");
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    write_private(
        &creds,
        &format!(
            "[profile.good]\napi_url = \"{0}\"\napi_key_env = \"GOOD_KEY\"\n\n\
             [profile.stale]\napi_url = \"{0}\"\napi_key_env = \"STALE_KEY\"\n",
            emu.url
        ),
    );
    let file = dir.path().join("jcform.orgs.yaml");
    let examples = root().join("examples");
    std::fs::write(
        &file,
        format!(
            "version: 1\norgs:\n  real: {{config: {0}/yaml, profile: good}}\n  \
             stale: {{config: {0}/yaml, profile: stale}}\n  \
             sandbox: {{config: {0}/yaml, sandbox: {0}/sandbox.json}}\n",
            examples.display()
        ),
    )
    .unwrap();
    let out = jcform()
        .args(["orgs", "plan", "--file"])
        .arg(&file)
        .env("JCFORM_CREDENTIALS", &creds)
        .env("GOOD_KEY", "fleet-key")
        .env("STALE_KEY", "revoked-key-42")
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    // The refused org says which variable held its key; the others are planned anyway.
    assert!(
        text.contains("STALE_KEY (api_key_env of profile stale)"),
        "{text}"
    );
    assert!(text.contains("API Settings"), "{text}");
    assert!(!text.contains("revoked-key-42"), "{text}");
    assert_eq!(
        text.matches("Plan: ").count(),
        2 + 2,
        "two plans and their summary rows: {text}"
    );
}
