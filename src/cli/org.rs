//! How a command reaches an org: a real JumpCloud org (API key from the environment) or a
//! sandbox (the emulator started in-process over a state file). Either way the client talks
//! HTTP, so a sandbox exercises the same code as production.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use rand::Rng;

use crate::emulator::{Emulator, EmulatorOptions, StateAccess};
use crate::jumpcloud::config::{check_limit_secs, check_max_rps, MAX_PARALLELISM};
use crate::jumpcloud::{ApiKey, Client, ClientConfig, Region};

/// Where the API key comes from. Never a flag, so it stays out of shell history and `ps`.
pub const API_KEY_ENV: &str = "JC_API_KEY";
/// Defaults for `--api-url` and `--org-id`. Read by `connect` rather than by clap, so that a
/// value exported in the shell does not make `--sandbox` fail as a conflicting flag.
pub const API_URL_ENV: &str = "JC_API_URL";
pub const ORG_ID_ENV: &str = "JC_ORG_ID";
/// Default for `--profile`, read by `connect` for the same reason.
pub const PROFILE_ENV: &str = "JCFORM_PROFILE";

/// Connection options shared by every command that talks to an org.
#[derive(clap::Args, Debug, Clone)]
pub struct OrgArgs {
    /// Work on a sandbox: an emulated org over this JSON state file (no credentials needed).
    /// The file must exist; see --sandbox-create
    #[arg(long, value_name = "FILE", conflicts_with_all = ["api_url", "region", "org_id"])]
    pub sandbox: Option<PathBuf>,

    /// With --sandbox: when FILE does not exist, start from an empty org (the file is written on
    /// the first change). Without it a missing FILE is an error, so a typo never plans against
    /// an empty org
    #[arg(long, requires = "sandbox")]
    pub sandbox_create: bool,

    /// JumpCloud console URL, without /api [env: JC_API_URL] (default: the --region console)
    #[arg(long, value_name = "URL", conflicts_with = "region")]
    pub api_url: Option<String>,

    /// JumpCloud region: us (console.jumpcloud.com), eu or in
    #[arg(long, value_enum)]
    pub region: Option<Region>,

    /// Organization id, sent as x-org-id (needed by multi-tenant admins) [env: JC_ORG_ID]
    #[arg(long, value_name = "ID", value_parser = parse_org_id)]
    pub org_id: Option<String>,

    /// Use a profile of the credentials file: its console, org id and key source
    /// (docs/credentials.md) [env: JCFORM_PROFILE]
    #[arg(long, value_name = "NAME", conflicts_with = "sandbox")]
    pub profile: Option<String>,

    /// The profile the config's `settings: {profile: NAME}` names; used when neither
    /// `--profile` nor `JCFORM_PROFILE` is given. Set by commands after loading the config.
    #[arg(skip)]
    pub config_profile: Option<String>,

    /// Requests in flight at once
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = parse_parallelism)]
    pub parallelism: usize,

    /// Requests started per second at most, from 0.1 to 10000 (default: no cap)
    #[arg(long, value_name = "RPS", value_parser = parse_rps)]
    pub max_rps: Option<f64>,

    /// Seconds one HTTP request may take, connect to last byte (0.01 to 86400)
    #[arg(long, value_name = "SECS", env = "JCFORM_HTTP_TIMEOUT", default_value = "60",
          value_parser = parse_limit)]
    pub http_timeout: Duration,

    /// Seconds reading the whole org may take, retries included (0.01 to 86400)
    #[arg(long, value_name = "SECS", env = "JCFORM_READ_DEADLINE", default_value = "1800",
          value_parser = parse_limit)]
    pub read_deadline: Duration,

    /// Seconds the run may spend waiting to retry (rate limits, 5xx), in all (0 to 86400)
    #[arg(long, value_name = "SECS", env = "JCFORM_RETRY_BUDGET", default_value = "300",
          value_parser = parse_budget)]
    pub retry_budget: Duration,

    /// Pages read of one collection at most (1 page = 100 rows; 1 to 1000000)
    #[arg(long, value_name = "N", env = "JCFORM_MAX_PAGES", default_value = "2000",
          value_parser = parse_max_pages)]
    pub max_pages: usize,
}

fn parse_org_id(s: &str) -> Result<String, String> {
    let s = s.trim();
    if crate::credentials::is_org_id(s) {
        Ok(s.to_string())
    } else {
        Err(crate::credentials::org_id_error("the value", s))
    }
}

fn parse_parallelism(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_PARALLELISM).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a number from 1 to {MAX_PARALLELISM}")),
    }
}

fn parse_rps(s: &str) -> Result<f64, String> {
    let v = s
        .trim()
        .parse::<f64>()
        .map_err(|_| format!("{s:?} is not a number of requests per second"))?;
    check_max_rps(v)
}

/// Seconds for a timeout or deadline: checked before it becomes a `Duration` (which panics on
/// `1e308` or `NaN`).
fn parse_limit(s: &str) -> Result<Duration, String> {
    let v = s
        .trim()
        .parse::<f64>()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    check_limit_secs(v)
}

/// Like `parse_limit`, but 0 is allowed: "never wait before a retry".
fn parse_budget(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(0.0) => Ok(Duration::ZERO),
        _ => parse_limit(s),
    }
}

fn parse_max_pages(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n @ 1..=1_000_000) => Ok(n),
        _ => Err(format!("{s:?} is not a number of pages from 1 to 1000000")),
    }
}

/// A connected org. Keep it alive while using `client`: for a sandbox it owns the emulator.
pub struct OrgConnection {
    pub client: Client,
    /// For messages: the org id, the console host, or `sandbox:<file>`.
    pub org_label: String,
    /// Where the API key came from, for messages (`environment variable JC_API_KEY`); never
    /// the key. `None` for a sandbox.
    pub key_source: Option<String>,
    _emulator: Option<Emulator>,
}

impl std::fmt::Debug for OrgConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgConnection")
            .field("client", &self.client)
            .field("org_label", &self.org_label)
            .field("sandbox", &self._emulator.is_some())
            .finish()
    }
}

impl OrgConnection {
    /// Stops the sandbox emulator, if any, after its requests in flight.
    pub async fn close(self) {
        if let Some(emulator) = self._emulator {
            emulator.shutdown().await;
        }
    }
}

/// Retries per request; enough to ride out a few seconds of rate limiting.
const MAX_RETRIES: u32 = 6;

/// A whole org, read: its live state, its name for people and plan files, and what reading it
/// cost in API requests.
pub struct LiveRead {
    pub live: crate::model::live::LiveState,
    pub label: String,
    pub requests: u64,
}

impl OrgArgs {
    /// Whether the user named an org on the command line (`--sandbox`, `--api-url`,
    /// `--region`, `--org-id`, `--profile`). `lint` and `access` run offline when they did not:
    /// a key or profile that happens to be in the environment never sends them to an org
    /// (a CI job with `JC_API_KEY` set lints its files, not production).
    pub fn is_given(&self) -> bool {
        self.sandbox.is_some()
            || self.api_url.is_some()
            || self.region.is_some()
            || self.org_id.is_some()
            || self.profile.is_some()
    }

    /// Connects, reads the whole org and disconnects: what read-only commands need.
    pub fn read_live(&self) -> anyhow::Result<LiveRead> {
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        runtime.block_on(async {
            let conn = self.connect(StateAccess::Read).await?;
            let live = {
                let _progress = super::output::reading(&conn.org_label);
                crate::jumpcloud::read_live(&conn.client).await
            };
            let requests = conn.client.request_count();
            let label = conn.org_label.clone();
            conn.close().await;
            let live = live.with_context(|| format!("cannot read {label}"))?;
            Ok(LiveRead {
                live,
                label,
                requests,
            })
        })
    }

    /// Connects to the org. `access` matters for a sandbox only: `Write` (apply) holds its state
    /// file's lock exclusively until `close`, `Read` shares it with other readers and refuses
    /// writes. A real org has no such lock; `apply` checks each update's precondition instead.
    pub async fn connect(&self, access: StateAccess) -> anyhow::Result<OrgConnection> {
        if let Some(file) = &self.sandbox {
            return self.connect_sandbox(file, access).await;
        }
        let profile_name = self
            .profile
            .clone()
            .or_else(|| env_value(PROFILE_ENV))
            .or_else(|| self.config_profile.clone());
        let profile = match &profile_name {
            Some(name) => {
                let creds = crate::credentials::Credentials::load_default()
                    .map_err(|e| anyhow::anyhow!(e))?;
                Some(creds.profile(name).map_err(|e| anyhow::anyhow!(e))?.clone())
            }
            None => None,
        };
        let (key, key_source) = match (&profile, env_value(API_KEY_ENV)) {
            (Some(p), _) => (
                p.api_key().map_err(|e| anyhow::anyhow!(e))?,
                p.key_description(),
            ),
            (None, Some(key)) => (key, format!("environment variable {API_KEY_ENV}")),
            (None, None) => bail!(
                "{API_KEY_ENV} is not set\n  \
                 help: export the API key of a JumpCloud admin (console: your name > My API Key) \
                 as {API_KEY_ENV}; it is read from the environment only, never from a flag. \
                 To try jcform without an org, use --sandbox FILE; for many orgs, --profile NAME \
                 (docs/credentials.md)."
            ),
        };
        // A flag beats the profile, which beats the environment; `--region` beats `JC_API_URL`.
        let profile_url = profile.as_ref().and_then(|p| p.api_url.clone());
        let api_url = match (&self.api_url, self.region) {
            (Some(url), _) => url.clone(),
            (None, Some(region)) => region.api_url().to_string(),
            (None, None) => profile_url
                .or_else(|| env_value(API_URL_ENV))
                .unwrap_or_else(|| crate::jumpcloud::config::DEFAULT_API_URL.to_string()),
        };
        let org_id = match (
            &self.org_id,
            profile.as_ref().and_then(|p| p.org_id.clone()),
        ) {
            (Some(id), _) => Some(id.clone()),
            (None, Some(id)) => Some(id),
            (None, None) => match env_value(ORG_ID_ENV) {
                Some(id) if !crate::credentials::is_org_id(&id) => {
                    bail!(crate::credentials::org_id_error(ORG_ID_ENV, &id))
                }
                other => other,
            },
        };
        let org_label = match &org_id {
            Some(id) => id.clone(),
            None => reqwest::Url::parse(&api_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| api_url.clone()),
        };
        let client = Client::new(self.config(api_url, ApiKey::new(key), org_id))?;
        if let Ok(mut last) = LAST_KEY_SOURCE.lock() {
            *last = Some(key_source.clone());
        }
        Ok(OrgConnection {
            client,
            org_label,
            key_source: Some(key_source),
            _emulator: None,
        })
    }

    async fn connect_sandbox(
        &self,
        file: &std::path::Path,
        access: StateAccess,
    ) -> anyhow::Result<OrgConnection> {
        check_state_file(file, "--sandbox", "--sandbox-create", self.sandbox_create)?;
        // A fresh key per run: nothing else on this machine can talk to the sandbox.
        let key = random_key();
        let options = EmulatorOptions {
            state: file.to_path_buf(),
            api_key: Some(key.clone()),
            access,
            ..Default::default()
        };
        let emulator = Emulator::start(options, "127.0.0.1:0".parse()?)
            .await
            .with_context(|| format!("cannot start the sandbox over {}", file.display()))?;
        let client = Client::new(self.config(emulator.base_url(), ApiKey::new(key), None))?;
        Ok(OrgConnection {
            client,
            org_label: format!("sandbox:{}", file.display()),
            key_source: None,
            _emulator: Some(emulator),
        })
    }

    fn config(&self, api_url: String, api_key: ApiKey, org_id: Option<String>) -> ClientConfig {
        ClientConfig {
            api_url,
            api_key,
            org_id,
            parallelism: self.parallelism,
            max_rps: self.max_rps,
            max_retries: MAX_RETRIES,
            request_timeout: self.http_timeout,
            read_deadline: self.read_deadline,
            retry_budget: self.retry_budget,
            max_pages: self.max_pages,
        }
    }
}

/// A sandbox state file must exist (and be a regular file) unless `create` allows starting from
/// an empty org. `flag` and `create_flag` name the options in the messages.
pub fn check_state_file(
    file: &std::path::Path,
    flag: &str,
    create_flag: &str,
    create: bool,
) -> anyhow::Result<()> {
    match std::fs::metadata(file) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(meta) => bail!(
            "{flag} {}: {}, not a state file\n  help: name the JSON state file of the sandbox org",
            file.display(),
            crate::atomic::file_kind(&meta)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if create {
                Ok(())
            } else {
                bail!(
                    "{flag} {}: no such file\n  help: check the path; to start an empty sandbox \
                     org on purpose, add {create_flag} (the file is written on the first change)",
                    file.display()
                )
            }
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("{flag} {}", file.display()))),
    }
}

/// The key source of the last connection made, for [`auth_hint`] in `cli::finish` (commands
/// that hold the connection themselves, like apply, do not pass it along their errors).
static LAST_KEY_SOURCE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// The next step for an error the API answered with 401 or 403, naming where the key came from
/// (`source`, else the last connection's) and never the key. `None` for other errors.
pub fn auth_hint(err: &anyhow::Error, source: Option<&str>) -> Option<String> {
    let status = err
        .chain()
        .find_map(|e| e.downcast_ref::<crate::jumpcloud::ApiError>())
        .and_then(crate::jumpcloud::ApiError::status)?;
    let last = LAST_KEY_SOURCE.lock().ok().and_then(|l| l.clone());
    let source = source.map(str::to_string).or(last)?;
    const WHERE: &str = "an admin's key is shown and reset in the JumpCloud admin console: \
                         account menu (your name, top right) > API Settings";
    match status {
        401 => Some(format!(
            "JumpCloud refused the API key from {source} (401). Check that it is the current key \
             of an active admin ({WHERE}); a multi-tenant admin must also name the org \
             (--org-id, {ORG_ID_ENV} or the profile's org_id)."
        )),
        403 => Some(format!(
            "JumpCloud accepted the API key from {source} but refused the request (403): the \
             admin's role may not manage users and groups, or the org id is not one this admin \
             manages ({WHERE})."
        )),
        _ => None,
    }
}

/// A set, non-blank environment variable.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn random_key() -> String {
    let bytes: [u8; 20] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cmd {
        #[command(flatten)]
        org: OrgArgs,
    }

    #[test]
    fn sandbox_conflicts_with_credentials_flags() {
        assert!(Cmd::try_parse_from(["x", "--sandbox", "s.json", "--org-id", "o"]).is_err());
        assert!(Cmd::try_parse_from(["x", "--api-url", "http://h", "--region", "eu"]).is_err());
        let ok = Cmd::try_parse_from(["x", "--sandbox", "s.json", "--parallelism", "4"])
            .expect("parses");
        assert_eq!(ok.org.parallelism, 4);
        assert!(Cmd::try_parse_from(["x", "--parallelism", "0"]).is_err());
        assert!(Cmd::try_parse_from(["x", "--max-rps", "-1"]).is_err());
        // --sandbox-create means nothing without a sandbox.
        assert!(Cmd::try_parse_from(["x", "--sandbox-create"]).is_err());
        assert!(Cmd::try_parse_from(["x", "--sandbox", "s.json", "--sandbox-create"]).is_ok());
    }

    #[test]
    fn a_missing_state_file_needs_the_create_flag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("typo.json");
        let err = check_state_file(&missing, "--sandbox", "--sandbox-create", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no such file"), "{err}");
        assert!(err.contains("--sandbox-create"), "{err}");
        assert!(check_state_file(&missing, "--sandbox", "--sandbox-create", true).is_ok());
        let err = check_state_file(dir.path(), "--sandbox", "--sandbox-create", true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("a directory"), "{err}");
    }

    #[test]
    fn limits_that_would_hang_or_panic_are_refused_at_parsing() {
        for (flag, bad) in [
            ("--max-rps", "0"),
            ("--max-rps", "0.0001"),
            ("--max-rps", "NaN"),
            ("--max-rps", "inf"),
            ("--max-rps", "1e300"),
            ("--parallelism", "0"),
            ("--parallelism", "65"),
            ("--parallelism", "18446744073709551616"),
            ("--http-timeout", "0"),
            ("--http-timeout", "1e308"),
            ("--http-timeout", "NaN"),
            ("--read-deadline", "-1"),
            ("--read-deadline", "inf"),
            ("--retry-budget", "-0.5"),
            ("--retry-budget", "1e308"),
            ("--max-pages", "0"),
        ] {
            // `--flag=value`: a value starting with `-` would otherwise read as a flag.
            let arg = format!("{flag}={bad}");
            let err = Cmd::try_parse_from(["x", arg.as_str()]).expect_err(bad);
            assert!(err.to_string().contains(flag), "{flag} {bad}: {err}");
        }
        let ok = Cmd::try_parse_from([
            "x",
            "--max-rps",
            "0.5",
            "--http-timeout",
            "0.25",
            "--retry-budget",
            "0",
        ])
        .expect("parses");
        assert_eq!(ok.org.max_rps, Some(0.5));
        assert_eq!(ok.org.http_timeout, Duration::from_millis(250));
        assert_eq!(ok.org.retry_budget, Duration::ZERO);
    }

    #[test]
    fn auth_hints_name_the_key_source() {
        let status = |status| {
            anyhow::Error::from(crate::jumpcloud::ApiError::Status {
                method: "GET".into(),
                path: "/api/systemusers".into(),
                status,
                code: None,
                message: "no".into(),
            })
            .context("cannot read org")
        };
        let source = Some("environment variable JC_API_KEY");
        for code in [401, 403] {
            let hint = auth_hint(&status(code), source).expect("a hint");
            assert!(hint.contains(&format!("({code})")), "{hint}");
            assert!(
                hint.contains("JC_API_KEY") && hint.contains("API Settings"),
                "{hint}"
            );
        }
        assert!(auth_hint(&status(500), source).is_none());
        assert!(auth_hint(&anyhow::anyhow!("other"), source).is_none());
        // An org id of the wrong shape is refused by the flag parser.
        assert!(Cmd::try_parse_from(["x", "--org-id", "5f1e0c0b4a3f2e1d0c9b8a7g"]).is_err());
        let ok = Cmd::try_parse_from(["x", "--org-id", "5f1e0c0b4a3f2e1d0c9b8a71"]).unwrap();
        assert_eq!(ok.org.org_id.as_deref(), Some("5f1e0c0b4a3f2e1d0c9b8a71"));
    }

    #[test]
    fn random_keys_differ() {
        assert_ne!(random_key(), random_key());
        assert_eq!(random_key().len(), 40);
    }
}
