//! How a command reaches an org: a real JumpCloud org (API key from the environment) or a
//! sandbox (the emulator started in-process over a state file). Either way the client talks
//! HTTP, so a sandbox exercises the same code as production.

use std::path::PathBuf;

use anyhow::{bail, Context};
use rand::Rng;

use crate::emulator::{Emulator, EmulatorOptions};
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
    /// Work on a sandbox: an emulated org over this JSON state file (no credentials needed)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["api_url", "region", "org_id"])]
    pub sandbox: Option<PathBuf>,

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

    /// Requests started per second at most (default: no cap)
    #[arg(long, value_name = "RPS", value_parser = parse_rps)]
    pub max_rps: Option<f64>,
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
    match s.parse::<usize>() {
        Ok(n @ 1..=64) => Ok(n),
        _ => Err(format!("{s:?} is not a number from 1 to 64")),
    }
}

fn parse_rps(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a positive number of requests per second"
        )),
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
    /// Whether the user named an org at all (a sandbox, a target flag, or an API key in the
    /// environment). `lint` runs offline when they did not.
    pub fn is_given(&self) -> bool {
        self.sandbox.is_some()
            || self.api_url.is_some()
            || self.region.is_some()
            || self.org_id.is_some()
            || self.profile.is_some()
            || self.config_profile.is_some()
            || env_value(PROFILE_ENV).is_some()
            || std::env::var_os("JC_API_KEY").is_some_and(|k| !k.is_empty())
    }

    /// Connects, reads the whole org and disconnects: what read-only commands need.
    pub fn read_live(&self) -> anyhow::Result<LiveRead> {
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        runtime.block_on(async {
            let conn = self.connect().await?;
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

    pub async fn connect(&self) -> anyhow::Result<OrgConnection> {
        if let Some(file) = &self.sandbox {
            return self.connect_sandbox(file).await;
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

    async fn connect_sandbox(&self, file: &std::path::Path) -> anyhow::Result<OrgConnection> {
        // A fresh key per run: nothing else on this machine can talk to the sandbox.
        let key = random_key();
        let options = EmulatorOptions {
            state: file.to_path_buf(),
            api_key: Some(key.clone()),
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
        }
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
