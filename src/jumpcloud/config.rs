//! Connection settings. The API key lives in `ApiKey`, whose `Debug`/`Display` print `***`, so
//! it cannot leak through logs, error chains or `{:?}` of any struct that holds it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The production console; the other regions differ only in the host.
pub const DEFAULT_API_URL: &str = "https://console.jumpcloud.com";

/// A JumpCloud API key. The only way to see the value is `expose`, used once: when the request
/// header is built.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself. Call only to build the `x-api-key` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The JumpCloud console regions (`--region`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Region {
    Us,
    Eu,
    In,
}

impl Region {
    pub fn api_url(self) -> &'static str {
        match self {
            Region::Us => DEFAULT_API_URL,
            Region::Eu => "https://console.eu.jumpcloud.com",
            Region::In => "https://console.in.jumpcloud.com",
        }
    }
}

impl FromStr for Region {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "us" => Ok(Region::Us),
            "eu" => Ok(Region::Eu),
            "in" => Ok(Region::In),
            other => Err(format!("unknown region {other:?} (expected us, eu or in)")),
        }
    }
}

/// The longest per-request timeout, read deadline or retry budget jcform accepts: a day. Longer
/// values are indistinguishable from "wait for ever", which is what these limits exist to prevent.
pub const MAX_LIMIT_SECS: f64 = 86_400.0;
/// The shortest of those: 10 ms. Shorter cannot complete a request even on loopback.
pub const MIN_LIMIT_SECS: f64 = 0.01;
/// `max_rps` bounds: below 0.1 a read of a small org takes hours (it looks like a hang); above
/// 10,000 the cap means nothing.
pub const MIN_RPS: f64 = 0.1;
pub const MAX_RPS: f64 = 10_000.0;
/// Requests in flight at once: 1 to 64.
pub const MAX_PARALLELISM: usize = 64;

/// Checks a requests-per-second cap: finite, from `MIN_RPS` to `MAX_RPS`. Shared by the
/// `--max-rps` flag and `Client::new`, so a library caller cannot build a client that hangs.
pub fn check_max_rps(rps: f64) -> Result<f64, String> {
    if rps.is_finite() && (MIN_RPS..=MAX_RPS).contains(&rps) {
        Ok(rps)
    } else {
        Err(format!(
            "{rps} is not a number of requests per second from {MIN_RPS} to {MAX_RPS}"
        ))
    }
}

/// Checks a time limit in seconds (timeouts, deadlines, budgets): finite, from
/// `MIN_LIMIT_SECS` to `MAX_LIMIT_SECS`. Converting only after the check keeps absurd inputs
/// (`1e308`, `NaN`) from reaching `Duration::from_secs_f64`, which panics on them.
pub fn check_limit_secs(secs: f64) -> Result<std::time::Duration, String> {
    if secs.is_finite() && (MIN_LIMIT_SECS..=MAX_LIMIT_SECS).contains(&secs) {
        Ok(std::time::Duration::from_secs_f64(secs))
    } else {
        Err(format!(
            "{secs} is not a number of seconds from {MIN_LIMIT_SECS} to {MAX_LIMIT_SECS}"
        ))
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme and host, no trailing `/api`: v1 is `{api_url}/api`, v2 `{api_url}/api/v2`.
    pub api_url: String,
    pub api_key: ApiKey,
    /// Sent as `x-org-id` (multi-tenant admins need it).
    pub org_id: Option<String>,
    /// Requests in flight at once, across every concurrent read or write (1 to 64).
    pub parallelism: usize,
    /// Requests started per second, across all of them (see `check_max_rps`). `None`: no pacing.
    pub max_rps: Option<f64>,
    /// Retries after the first attempt for a retryable failure.
    pub max_retries: u32,
    /// Upper bound for one attempt, connect to last byte of the body.
    pub request_timeout: Duration,
    /// Upper bound for reading the whole org (`read::read_live`), retries and waits included.
    pub read_deadline: Duration,
    /// The most time the client spends waiting before retries (backoff and `Retry-After`), over
    /// the whole run: overlapping waits of concurrent requests count once. Past it the request
    /// fails with the server's last hint.
    pub retry_budget: Duration,
    /// The most pages read of one collection whose size the server does not report (and the
    /// ceiling however large a reported total is): 2,000 pages hold about 198,000 rows.
    pub max_pages: usize,
}

/// `ClientConfig::request_timeout` by default: generous for one page, short of a hang.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// `ClientConfig::read_deadline` by default: a large org at a low `max_rps` still fits.
pub const DEFAULT_READ_DEADLINE: Duration = Duration::from_secs(30 * 60);
/// `ClientConfig::retry_budget` by default: rides out minutes of rate limiting.
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(5 * 60);
/// `ClientConfig::max_pages` by default.
pub const DEFAULT_MAX_PAGES: usize = 2_000;

impl ClientConfig {
    pub fn new(api_key: ApiKey) -> Self {
        ClientConfig {
            api_url: DEFAULT_API_URL.to_string(),
            api_key,
            org_id: None,
            parallelism: 8,
            max_rps: None,
            max_retries: 5,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            read_deadline: DEFAULT_READ_DEADLINE,
            retry_budget: DEFAULT_RETRY_BUDGET,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_never_prints() {
        let cfg = ClientConfig::new(ApiKey::new("sekrit-key-123"));
        let shown = format!("{cfg:?} {} {:?}", cfg.api_key, cfg.api_key);
        assert!(!shown.contains("sekrit"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn regions_map_to_consoles() {
        assert_eq!(
            "EU".parse::<Region>().map(Region::api_url),
            Ok("https://console.eu.jumpcloud.com")
        );
        assert_eq!(Region::In.api_url(), "https://console.in.jumpcloud.com");
        assert!("mars".parse::<Region>().is_err());
    }

    #[test]
    fn limits_reject_values_that_would_hang_or_panic() {
        for bad in [0.0, -1.0, 0.0001, f64::NAN, f64::INFINITY, 1e308, 86_401.0] {
            assert!(check_limit_secs(bad).is_err(), "{bad}");
        }
        assert_eq!(check_limit_secs(0.5), Ok(Duration::from_millis(500)));
        for bad in [0.0, -1.0, 0.0001, 0.09, f64::NAN, f64::INFINITY, 1e9] {
            assert!(check_max_rps(bad).is_err(), "{bad}");
        }
        assert_eq!(check_max_rps(0.1), Ok(0.1));
        assert_eq!(check_max_rps(10_000.0), Ok(10_000.0));
    }
}
