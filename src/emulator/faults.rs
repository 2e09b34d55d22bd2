//! Fault injection for tests and benchmarks: a request rate limit (429 + `Retry-After`), random
//! 503s, and short list pages. Faults are decided before a handler runs, so a failed request
//! never changes the org.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What to do with a request before it reaches its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// 429 with `Retry-After: secs`.
    RateLimited {
        retry_after_secs: u64,
    },
    /// 503.
    Unavailable,
    /// A `FailRule` matched: this status.
    Scripted(axum::http::StatusCode),
}

pub struct Faults {
    rate_limit: Option<u32>,
    /// Start of the current one-second window and the requests admitted in it.
    window: Mutex<(Instant, u32)>,
    fail_rate: f64,
    rng: Mutex<StdRng>,
    short_pages: bool,
    /// Requests seen per list URL, to shorten every other one.
    page_hits: Mutex<HashMap<String, u64>>,
}

const WINDOW: Duration = Duration::from_secs(1);

impl Faults {
    pub fn new(
        rate_limit: Option<u32>,
        fail_rate: f64,
        short_pages: bool,
        seed: Option<u64>,
    ) -> Faults {
        let rng = match seed {
            // Offset from the id generator's seed so fault decisions and ids don't move together.
            Some(seed) => StdRng::seed_from_u64(seed ^ 0x5eed_fa17),
            None => StdRng::from_os_rng(),
        };
        Faults {
            rate_limit,
            window: Mutex::new((Instant::now(), 0)),
            fail_rate: fail_rate.clamp(0.0, 1.0),
            rng: Mutex::new(rng),
            short_pages,
            page_hits: Mutex::new(HashMap::new()),
        }
    }

    /// Decides whether the request goes through. Rejected requests do not use up the rate.
    pub fn check(&self) -> Verdict {
        if let Some(limit) = self.rate_limit {
            let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let elapsed = now.duration_since(window.0);
            if elapsed >= WINDOW {
                *window = (now, 0);
            }
            if window.1 >= limit {
                let left = WINDOW.saturating_sub(now.duration_since(window.0));
                // Whole seconds, rounded up, as the header requires; never 0 (a busy loop).
                let secs = left.as_millis().div_ceil(1000).max(1) as u64;
                return Verdict::RateLimited {
                    retry_after_secs: secs,
                };
            }
            window.1 += 1;
        }
        if self.fail_rate > 0.0 {
            let roll: f64 = self.rng.lock().unwrap_or_else(|e| e.into_inner()).random();
            if roll < self.fail_rate {
                return Verdict::Unavailable;
            }
        }
        Verdict::Pass
    }

    /// With short pages on, the 1st, 3rd, 5th... request for the same list URL (path and query)
    /// loses its last row, while the total stays right. Alternating, rather than always, lets a
    /// client that re-reads a suspicious page still get all the data.
    pub fn shorten_page(&self, key: &str) -> bool {
        if !self.short_pages {
            return false;
        }
        let mut hits = self.page_hits.lock().unwrap_or_else(|e| e.into_inner());
        let count = hits.entry(key.to_string()).or_insert(0);
        *count += 1;
        *count % 2 == 1
    }
}

/// A scripted failure: every request with this method and exactly this path (no query) is
/// answered with `status` before its handler runs, so it changes nothing. Written
/// `METHOD /path STATUS`, e.g. `POST /api/v2/activedirectories 400`, for `--fail-request`.
/// Lets a test make one particular write fail (a refused create, a failed bind) and watch what
/// the rest of an apply does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailRule {
    pub method: String,
    pub path: String,
    pub status: u16,
}

impl std::str::FromStr for FailRule {
    type Err = String;

    fn from_str(s: &str) -> Result<FailRule, String> {
        let parts: Vec<&str> = s.split_whitespace().collect();
        let [method, path, status] = parts.as_slice() else {
            return Err(format!(
                "{s:?}: expected METHOD /path STATUS, e.g. \"POST /api/v2/activedirectories 400\""
            ));
        };
        let status: u16 = status
            .parse()
            .ok()
            .filter(|st| (400..600).contains(st))
            .ok_or_else(|| format!("{s:?}: the status must be a number from 400 to 599"))?;
        if !path.starts_with('/') {
            return Err(format!("{s:?}: the path must start with /"));
        }
        Ok(FailRule {
            method: method.to_ascii_uppercase(),
            path: (*path).to_string(),
            status,
        })
    }
}

impl FailRule {
    /// The status to answer a request with, if a rule matches it.
    pub fn status_for(rules: &[FailRule], method: &str, path: &str) -> Option<u16> {
        rules
            .iter()
            .find(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
            .map(|r| r.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_rules_parse_and_match_exactly() {
        let rule: FailRule = "post /api/v2/activedirectories 400".parse().unwrap();
        assert_eq!(rule.method, "POST");
        let rules = [rule];
        assert_eq!(
            FailRule::status_for(&rules, "POST", "/api/v2/activedirectories"),
            Some(400)
        );
        assert_eq!(
            FailRule::status_for(&rules, "POST", "/api/v2/activedirectories/x/associations"),
            None
        );
        assert_eq!(
            FailRule::status_for(&rules, "GET", "/api/v2/activedirectories"),
            None
        );
        assert!("POST /x".parse::<FailRule>().is_err());
        assert!("POST x 400".parse::<FailRule>().is_err());
        assert!("POST /x 200".parse::<FailRule>().is_err());
    }

    #[test]
    fn no_knobs_no_faults() {
        let f = Faults::new(None, 0.0, false, None);
        assert!((0..100).all(|_| f.check() == Verdict::Pass));
        assert!(!f.shorten_page("/x"));
    }

    #[test]
    fn rate_limit_admits_n_then_asks_to_retry() {
        let f = Faults::new(Some(3), 0.0, false, None);
        let verdicts: Vec<_> = (0..5).map(|_| f.check()).collect();
        assert_eq!(&verdicts[..3], &[Verdict::Pass; 3]);
        assert_eq!(
            verdicts[3],
            Verdict::RateLimited {
                retry_after_secs: 1
            }
        );
    }

    #[test]
    fn fail_rate_is_seeded_and_bounded() {
        let rolls = |seed| {
            let f = Faults::new(None, 0.5, false, Some(seed));
            (0..200).map(|_| f.check()).collect::<Vec<_>>()
        };
        let a = rolls(1);
        assert_eq!(a, rolls(1));
        let failed = a.iter().filter(|v| **v == Verdict::Unavailable).count();
        assert!(failed > 50 && failed < 150, "{failed}");
        let always = Faults::new(None, 1.0, false, None);
        assert_eq!(always.check(), Verdict::Unavailable);
    }

    #[test]
    fn short_pages_alternate_per_url() {
        let f = Faults::new(None, 0.0, true, None);
        assert!(f.shorten_page("/a?skip=0"));
        assert!(f.shorten_page("/a?skip=10"));
        assert!(!f.shorten_page("/a?skip=0"));
        assert!(f.shorten_page("/a?skip=0"));
    }
}
