//! Connection settings. The API key lives in `ApiKey`, whose `Debug`/`Display` print `***`, so
//! it cannot leak through logs, error chains or `{:?}` of any struct that holds it.

use std::fmt;
use std::str::FromStr;

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

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Scheme and host, no trailing `/api`: v1 is `{api_url}/api`, v2 `{api_url}/api/v2`.
    pub api_url: String,
    pub api_key: ApiKey,
    /// Sent as `x-org-id` (multi-tenant admins need it).
    pub org_id: Option<String>,
    /// Requests in flight at once, across every concurrent read or write.
    pub parallelism: usize,
    /// Requests started per second, across all of them. `None`: no pacing.
    pub max_rps: Option<f64>,
    /// Retries after the first attempt for a retryable failure.
    pub max_retries: u32,
}

impl ClientConfig {
    pub fn new(api_key: ApiKey) -> Self {
        ClientConfig {
            api_url: DEFAULT_API_URL.to_string(),
            api_key,
            org_id: None,
            parallelism: 8,
            max_rps: None,
            max_retries: 5,
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
}
