//! The credentials file and its profiles: which org a name (`--profile acme-prod`) means and how
//! to get its API key, without the key ever being written in the file.
//!
//! The file is TOML, at `$JCFORM_CREDENTIALS`, else `$XDG_CONFIG_HOME/jcform/credentials`, else
//! `~/.config/jcform/credentials` (docs/credentials.md):
//!
//! ```toml
//! [profile.acme-prod]
//! region = "us"                          # or api_url = "https://console.jumpcloud.com"
//! org_id = "5f1e0c0b4a3f2e1d0c9b8a71"    # 24 hex characters; for multi-tenant admins
//! api_key_env = "ACME_JC_API_KEY"        # the key is in this environment variable
//!
//! [profile.acme-staging]
//! credential_process = ["op", "read", "op://ops/jumpcloud-staging/credential"]
//! ```
//!
//! A profile gets its key from exactly one of `api_key_env` (an environment variable's name) or
//! `credential_process` (a program and its arguments, run without a shell, whose stdout is the
//! key — as AWS's and dnscontrol's). A literal key is refused. Like ssh with its private keys,
//! the file is refused when its group or others can read it. Errors never contain a value read
//! from the file or from the process.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::jumpcloud::Region;

/// Overrides where the credentials file is (tests, CI).
pub const CREDENTIALS_ENV: &str = "JCFORM_CREDENTIALS";
/// Longest wait for a `credential_process` (a password manager may ask to be unlocked).
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(120);
/// Most bytes read from a `credential_process`'s stdout; a key is far shorter.
const PROCESS_MAX_OUTPUT: u64 = 64 * 1024;
/// Largest credentials file read.
const FILE_MAX_BYTES: u64 = 1024 * 1024;

/// Fields a profile may have.
const PROFILE_FIELDS: &[&str] = &[
    "api_url",
    "region",
    "org_id",
    "api_key_env",
    "credential_process",
];

/// Where a profile's key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The named environment variable.
    Env(String),
    /// Run this program with these arguments; its stdout, trimmed, is the key.
    Process(Vec<String>),
}

/// One `[profile.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// Console URL without `/api` (from `api_url`, or `region`'s console). `None`: the default.
    pub api_url: Option<String>,
    /// Sent as `x-org-id`; checked to be 24 hex characters.
    pub org_id: Option<String>,
    pub key: KeySource,
}

/// A parsed credentials file.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub path: PathBuf,
    pub profiles: BTreeMap<String, Profile>,
}

/// The credentials file's path: `$JCFORM_CREDENTIALS`, `$XDG_CONFIG_HOME/jcform/credentials`
/// (when absolute, per the XDG spec), `$HOME/.config/jcform/credentials`.
pub fn default_path() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = var(CREDENTIALS_ENV) {
        return Some(PathBuf::from(path));
    }
    if let Some(xdg) = var("XDG_CONFIG_HOME").map(PathBuf::from) {
        if xdg.is_absolute() {
            return Some(xdg.join("jcform").join("credentials"));
        }
    }
    var("HOME").map(|home| PathBuf::from(home).join(".config/jcform/credentials"))
}

/// Whether `s` is an org id: 24 hexadecimal characters (a MongoDB ObjectId, as every JumpCloud
/// id; the API answers a malformed `x-org-id` with 400, so it is caught here first).
pub fn is_org_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The error for a malformed org id, naming where it came from and never echoing more than
/// its length (it is not secret, but it may be a pasted key by mistake).
pub fn org_id_error(from: &str, value: &str) -> String {
    let looks_like_key = value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit());
    let mut msg = format!(
        "{from} is not an org id: expected 24 hexadecimal characters, got {} character{}",
        value.chars().count(),
        if value.chars().count() == 1 { "" } else { "s" }
    );
    if looks_like_key {
        msg.push_str(" (40 hex characters look like an API key: never pass a key as a flag)");
    }
    msg.push_str(
        "\n  help: the org id is on the org's Settings page in the JumpCloud console \
         (multi-tenant portal: below the contact information)",
    );
    msg
}

impl Credentials {
    /// Reads the file at [`default_path`].
    pub fn load_default() -> Result<Credentials, String> {
        let path = default_path().ok_or_else(|| {
            format!(
                "cannot find the credentials file: neither {CREDENTIALS_ENV}, XDG_CONFIG_HOME \
                 nor HOME is set"
            )
        })?;
        Credentials::load(&path)
    }

    /// Reads and checks a credentials file (permissions first, then every profile).
    pub fn load(path: &Path) -> Result<Credentials, String> {
        let shown = path.display();
        let meta = std::fs::metadata(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "no credentials file at {shown}\n  help: create it with a [profile.NAME] \
                     table (docs/credentials.md) and `chmod 600` it, or set {CREDENTIALS_ENV}"
                )
            } else {
                format!("cannot read the credentials file {shown}: {e}")
            }
        })?;
        check_permissions(path, &meta)?;
        if meta.len() > FILE_MAX_BYTES {
            return Err(format!(
                "the credentials file {shown} is larger than {FILE_MAX_BYTES} bytes"
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the credentials file {shown}: {e}"))?;
        Credentials::parse(path, &text)
    }

    /// Parses the file's text; `path` is for messages.
    pub fn parse(path: &Path, text: &str) -> Result<Credentials, String> {
        let shown = path.display();
        // Only the parser's message and position: its snippet would print the line, and the
        // line may hold a key written where it should not be.
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let place = e
                .span()
                .map(|s| {
                    let (line, col) = line_col(text, s.start);
                    format!(":{line}:{col}")
                })
                .unwrap_or_default();
            format!(
                "{shown}{place}: not valid TOML: {}",
                e.message().lines().next().unwrap_or("syntax error")
            )
        })?;
        let mut profiles = BTreeMap::new();
        for (key, value) in &table {
            if key != "profile" {
                return Err(format!(
                    "{shown}: unknown table or key `{key}`\n  help: profiles are written \
                     [profile.NAME]"
                ));
            }
            let toml::Value::Table(all) = value else {
                return Err(format!("{shown}: `profile` must be tables: [profile.NAME]"));
            };
            for (name, body) in all {
                let toml::Value::Table(body) = body else {
                    return Err(format!(
                        "{shown}: [profile.{name}] must be a table of settings"
                    ));
                };
                profiles.insert(name.clone(), parse_profile(&shown.to_string(), name, body)?);
            }
        }
        Ok(Credentials {
            path: path.to_path_buf(),
            profiles,
        })
    }

    /// The named profile, or an error that lists the ones there are.
    pub fn profile(&self, name: &str) -> Result<&Profile, String> {
        if let Some(p) = self.profiles.get(name) {
            return Ok(p);
        }
        let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
        let close = known
            .iter()
            .map(|k| (strsim::levenshtein(k, name), k))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map(|(_, k)| k);
        let mut msg = format!("no profile `{name}` in {}", self.path.display());
        match (close, known.is_empty()) {
            (Some(c), _) => msg.push_str(&format!("\n  help: did you mean `{c}`?")),
            (None, true) => msg.push_str("\n  help: the file has no [profile.NAME] tables"),
            (None, false) => msg.push_str(&format!("\n  help: profiles: {}", known.join(", "))),
        }
        Err(msg)
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(unix)]
fn check_permissions(path: &Path, meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "the credentials file {} can be read by other users (mode {mode:03o}); refusing to \
             use it\n  help: chmod 600 {}",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), String> {
    Ok(())
}

fn parse_profile(file: &str, name: &str, body: &toml::Table) -> Result<Profile, String> {
    let at = format!("{file}: [profile.{name}]");
    for key in body.keys() {
        if key == "api_key" || key == "key" || key == "password" {
            return Err(format!(
                "{at}: `{key}`: a profile never holds the key itself\n  help: export it and name \
                 the variable with api_key_env = \"VAR\", or fetch it with credential_process = \
                 [\"program\", \"arg\"]"
            ));
        }
        if !PROFILE_FIELDS.contains(&key.as_str()) {
            return Err(format!(
                "{at}: unknown field `{key}`\n  help: fields: {}",
                PROFILE_FIELDS.join(", ")
            ));
        }
    }
    let string = |field: &str| -> Result<Option<String>, String> {
        match body.get(field) {
            None => Ok(None),
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
            Some(_) => Err(format!("{at}: `{field}` must be a non-empty string")),
        }
    };
    let api_url = match (string("api_url")?, string("region")?) {
        (Some(_), Some(_)) => {
            return Err(format!("{at}: give `api_url` or `region`, not both"));
        }
        (Some(url), None) => {
            if reqwest::Url::parse(&url).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
                return Err(format!(
                    "{at}: `api_url` must be an http(s) URL such as https://console.jumpcloud.com"
                ));
            }
            Some(url)
        }
        (None, Some(region)) => Some(
            region
                .parse::<Region>()
                .map_err(|e| format!("{at}: `region`: {e}"))?
                .api_url()
                .to_string(),
        ),
        (None, None) => None,
    };
    let org_id = string("org_id")?;
    if let Some(id) = &org_id {
        if !is_org_id(id) {
            return Err(org_id_error(&format!("{at}: `org_id`"), id));
        }
    }
    let env = string("api_key_env")?;
    let process = match body.get("credential_process") {
        None => None,
        Some(toml::Value::Array(items)) => {
            let argv: Option<Vec<String>> = items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect();
            match argv {
                Some(argv) if argv.first().is_some_and(|p| !p.trim().is_empty()) => Some(argv),
                _ => {
                    return Err(format!(
                        "{at}: `credential_process` must be a list of strings, the program first"
                    ))
                }
            }
        }
        Some(_) => {
            return Err(format!(
                "{at}: `credential_process` must be a list: [\"program\", \"arg\", ...] (it runs \
                 without a shell)"
            ))
        }
    };
    let key = match (env, process) {
        (Some(var), None) => {
            if !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "{at}: `api_key_env` must name an environment variable (letters, digits, _)"
                ));
            }
            KeySource::Env(var)
        }
        (None, Some(argv)) => KeySource::Process(argv),
        (Some(_), Some(_)) => {
            return Err(format!(
                "{at}: give `api_key_env` or `credential_process`, not both"
            ))
        }
        (None, None) => {
            return Err(format!(
                "{at}: no key source\n  help: add api_key_env = \"VAR\" or credential_process = \
                 [\"program\", \"arg\"]"
            ))
        }
    };
    Ok(Profile {
        name: name.to_string(),
        api_url,
        org_id,
        key,
    })
}

impl Profile {
    /// Where the key comes from, for messages (never the key): `environment variable X
    /// (profile p)` or `the credential_process of profile p (program)`.
    pub fn key_description(&self) -> String {
        match &self.key {
            KeySource::Env(var) => {
                format!(
                    "environment variable {var} (api_key_env of profile {})",
                    self.name
                )
            }
            KeySource::Process(argv) => format!(
                "the credential_process of profile {} ({})",
                self.name,
                argv.first().map(String::as_str).unwrap_or_default()
            ),
        }
    }

    /// Gets the key: reads the variable or runs the process. Errors name the source, never
    /// anything the process printed.
    pub fn api_key(&self) -> Result<String, String> {
        match &self.key {
            KeySource::Env(var) => std::env::var(var)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    format!(
                        "profile {}: environment variable {var} (its api_key_env) is not set\n  \
                         help: export the API key of a JumpCloud admin as {var}",
                        self.name
                    )
                }),
            KeySource::Process(argv) => run_process(&self.name, argv, PROCESS_TIMEOUT),
        }
    }
}

/// Runs a credential process: stdin closed, stderr passed through (it may prompt), stdout read
/// up to [`PROCESS_MAX_OUTPUT`] bytes, killed after `timeout`.
pub fn run_process(profile: &str, argv: &[String], timeout: Duration) -> Result<String, String> {
    let program = argv.first().map(String::as_str).unwrap_or_default();
    let what = format!("profile {profile}: credential_process `{program}`");
    let mut child = Command::new(program)
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{what} cannot be started: {e}"))?;
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(s) = stdout {
            // `take` bounds memory; a process printing more is not printing a key.
            let _ = s.take(PROCESS_MAX_OUTPUT + 1).read_to_end(&mut out);
        }
        out
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{what} did not finish within {} seconds; stopped it",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("{what}: {e}")),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("{what} failed ({status})"));
    }
    if out.len() as u64 > PROCESS_MAX_OUTPUT {
        return Err(format!(
            "{what} printed more than {PROCESS_MAX_OUTPUT} bytes"
        ));
    }
    let text = String::from_utf8(out)
        .map_err(|_| format!("{what} printed something that is not UTF-8"))?;
    let key = text.trim();
    if key.is_empty() {
        return Err(format!("{what} printed nothing; it must print the API key"));
    }
    if key.contains(['\n', '\r']) {
        return Err(format!(
            "{what} printed more than one line; it must print only the API key"
        ));
    }
    Ok(key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Credentials, String> {
        Credentials::parse(Path::new("creds"), text)
    }

    #[test]
    fn profiles_parse() {
        let c = parse(
            r#"
[profile.prod]
region = "eu"
org_id = "5f1e0c0b4a3f2e1d0c9b8a71"
api_key_env = "PROD_KEY"

[profile.staging]
api_url = "http://127.0.0.1:9"
credential_process = ["printf", "k"]
"#,
        )
        .unwrap();
        let prod = c.profile("prod").unwrap();
        assert_eq!(
            prod.api_url.as_deref(),
            Some("https://console.eu.jumpcloud.com")
        );
        assert_eq!(prod.key, KeySource::Env("PROD_KEY".into()));
        assert_eq!(
            c.profile("staging").unwrap().key,
            KeySource::Process(vec!["printf".into(), "k".into()])
        );
        let err = c.profile("prd").unwrap_err();
        assert!(err.contains("did you mean `prod`"), "{err}");
    }

    #[test]
    fn a_literal_key_is_refused_without_echoing_it() {
        let err = parse("[profile.p]\napi_key = \"sekrit-123\"\n").unwrap_err();
        assert!(err.contains("never holds the key"), "{err}");
        assert!(!err.contains("sekrit"), "{err}");
        // A syntax error on a line with a secret prints the place, not the line.
        let err = parse("[profile.p]\napi_key_env = \"sekrit-456\n").unwrap_err();
        assert!(err.contains("creds:2:"), "{err}");
        assert!(!err.contains("sekrit"), "{err}");
    }

    #[test]
    fn bad_profiles_are_refused() {
        for (text, expect) in [
            ("[profile.p]\nregion = \"us\"\n", "no key source"),
            (
                "[profile.p]\napi_key_env = \"A\"\ncredential_process = [\"x\"]\n",
                "not both",
            ),
            (
                "[profile.p]\napi_key_env = \"A\"\norg_id = \"abc\"\n",
                "24 hexadecimal",
            ),
            (
                "[profile.p]\ncredential_process = \"op read x\"\n",
                "must be a list",
            ),
            (
                "[profile.p]\napi_key_env = \"A\"\nregion = \"mars\"\n",
                "unknown region",
            ),
            (
                "[profile.p]\napi_key_env = \"A\"\ncolour = 1\n",
                "unknown field `colour`",
            ),
            ("[default]\napi_key_env = \"A\"\n", "[profile.NAME]"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expect), "{text:?}: {err}");
        }
    }

    #[test]
    fn org_ids() {
        assert!(is_org_id("5f1e0c0b4a3f2e1d0c9b8a71"));
        assert!(!is_org_id("5f1e0c0b4a3f2e1d0c9b8a7"));
        assert!(!is_org_id("5f1e0c0b4a3f2e1d0c9b8a7z"));
        let err = org_id_error("--org-id", &"a".repeat(40));
        assert!(err.contains("look like an API key"), "{err}");
        assert!(!err.contains(&"a".repeat(40)), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn credential_process_output_is_the_key() {
        let argv = |s: &[&str]| s.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        assert_eq!(
            run_process("p", &argv(&["printf", "key-1\\n"]), PROCESS_TIMEOUT).unwrap(),
            "key-1"
        );
        let err = run_process(
            "p",
            &argv(&["sh", "-c", "echo sekrit; exit 3"]),
            PROCESS_TIMEOUT,
        )
        .unwrap_err();
        assert!(err.contains("failed") && !err.contains("sekrit"), "{err}");
        let err = run_process("p", &argv(&["printf", "a\\nb\\n"]), PROCESS_TIMEOUT).unwrap_err();
        assert!(err.contains("more than one line"), "{err}");
        let err = run_process("p", &argv(&["true"]), PROCESS_TIMEOUT).unwrap_err();
        assert!(err.contains("printed nothing"), "{err}");
        let err = run_process("p", &argv(&["sleep", "5"]), Duration::from_millis(100)).unwrap_err();
        assert!(err.contains("did not finish"), "{err}");
        let err =
            run_process("p", &argv(&["/nonexistent/jcform-helper"]), PROCESS_TIMEOUT).unwrap_err();
        assert!(err.contains("cannot be started"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn readable_files_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        std::fs::write(&path, "[profile.p]\napi_key_env = \"K\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Credentials::load(&path).unwrap_err();
        assert!(
            err.contains("mode 644") && err.contains("chmod 600"),
            "{err}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Credentials::load(&path).is_ok());
        let err = Credentials::load(&dir.path().join("missing")).unwrap_err();
        assert!(err.contains("no credentials file"), "{err}");
    }
}
