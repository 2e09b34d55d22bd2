//! When a failed request may be sent again, and how long to wait first.
//!
//! Which writes are safe to repeat (`Safety`):
//! - GET and POST searches read only: always safe.
//! - PUT and PATCH set fields to given values: sending twice ends in the same state.
//! - DELETE: safe; a 404 on a retry means an earlier attempt already deleted it (done).
//! - Member and association ops (`{"op":"add"|"remove",...}`), activate/suspend, set password:
//!   they set an edge or a state to a target value, so repeating them converges to the same state.
//! - POST creates are NOT safe: if the request may have reached the server (a 5xx other than 503,
//!   a timeout, a connection lost after sending) a retry could create a second object, so the
//!   client returns `ApiError::Ambiguous` and the caller reads back. Creates are retried only when
//!   the server did nothing: 429 and 503 (refused before processing) or a connection that was
//!   never established.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// First backoff step; doubles per attempt.
const BASE: Duration = Duration::from_millis(200);
/// Longest backoff between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest single wait honoured. A server asking for more is not waited for: the request fails
/// at once saying what the server asked (waiting 2 minutes for a server that said 5 is useless).
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Any delay is clamped to this many seconds before it becomes a `Duration` (about 31 years), so
/// `Retry-After: 99999999999999999999` or a date in the year 9999 cannot overflow anything.
const CLAMP_SECS: f64 = 1e9;
/// Characters of a `Retry-After` value kept for messages.
const HINT_CHARS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Repeating the request ends in the same state as sending it once.
    Idempotent,
    /// A create: repeating it after the server may have processed it could create twice.
    Create,
}

/// Statuses that mean "try again later" without anything having been done.
pub(crate) fn not_processed(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// Whether a response with this status may be retried for a request of this safety.
pub(crate) fn status_retryable(status: u16, safety: Safety) -> bool {
    not_processed(status) || (status >= 500 && safety == Safety::Idempotent)
}

/// Exponential backoff with jitter: a random wait in `[d/2, d]` where `d = BASE * 2^attempt`,
/// capped. The jitter keeps parallel requests from retrying in lockstep.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let ceiling = BASE
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(MAX_BACKOFF);
    let floor = ceiling / 2;
    let jitter =
        rand::rng().random_range(0..=ceiling.as_millis().saturating_sub(floor.as_millis()));
    floor + Duration::from_millis(u64::try_from(jitter).unwrap_or(0))
}

/// A server's `Retry-After` (RFC 9110 section 10.2.3), understood.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RetryAfter {
    /// The value as sent, control characters dropped, cut to `HINT_CHARS`: for messages.
    pub(crate) raw: String,
    /// How long from now the server asked to wait; `None` when the value is neither form (then
    /// the client backs off on its own). Clamped to `CLAMP_SECS`; a date in the past is zero.
    pub(crate) delay: Option<Duration>,
    /// Whether the value was an HTTP-date (messages then show the date and the delay).
    pub(crate) is_date: bool,
}

impl RetryAfter {
    /// "Retry-After: 120" / "Retry-After: Wed, 21 Oct 2026 07:28:00 GMT (in 13 s)" /
    /// "Retry-After: 1e308 (not understood)".
    pub(crate) fn describe(&self) -> String {
        match self.delay {
            Some(d) if self.is_date => format!("Retry-After: {} (in {})", self.raw, secs(d)),
            Some(_) => format!("Retry-After: {}", self.raw),
            None => format!("Retry-After: {} (not understood)", self.raw),
        }
    }
}

/// `d` in seconds for messages: `13 s`, `0.5 s`.
pub(crate) fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 || s.fract() == 0.0 {
        format!("{} s", s.round())
    } else {
        format!("{s:.1} s")
    }
}

/// The `Retry-After` header in either form: delta-seconds (`120`; a decimal fraction is
/// accepted too) or an HTTP-date (IMF-fixdate, RFC 850 or asctime, parsed by `httpdate`),
/// measured against `now`. Other values (`1e308`, `-5`, `soon`) have no delay. The value is
/// clamped before it becomes a `Duration`, so no header can panic or overflow the client.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<RetryAfter> {
    let value = headers.get(RETRY_AFTER)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let text = text.trim();
    let raw: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(HINT_CHARS)
        .collect();
    if let Some(delay) = delta_seconds(text) {
        return Some(RetryAfter {
            raw,
            delay: Some(delay),
            is_date: false,
        });
    }
    match httpdate::parse_http_date(text) {
        Ok(when) => {
            let ahead = when.duration_since(now).unwrap_or(Duration::ZERO);
            Some(RetryAfter {
                raw,
                delay: Some(ahead.min(Duration::from_secs_f64(CLAMP_SECS))),
                is_date: true,
            })
        }
        Err(_) => Some(RetryAfter {
            raw,
            delay: None,
            is_date: false,
        }),
    }
}

/// `1*DIGIT [ "." 1*DIGIT ]`, clamped to `CLAMP_SECS`. Only ASCII digits: no sign, exponent,
/// `inf` or `NaN` (which `f64::from_str` would take).
fn delta_seconds(text: &str) -> Option<Duration> {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    // Any string of digits parses as a finite f64 or infinity; clamp either way.
    let secs: f64 = text.parse().ok()?;
    let secs = if secs.is_finite() {
        secs.min(CLAMP_SECS)
    } else {
        CLAMP_SECS
    };
    Some(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn creates_retry_only_when_nothing_was_done() {
        assert!(status_retryable(429, Safety::Create));
        assert!(status_retryable(503, Safety::Create));
        assert!(!status_retryable(500, Safety::Create));
        assert!(!status_retryable(502, Safety::Create));
        assert!(status_retryable(500, Safety::Idempotent));
        assert!(status_retryable(504, Safety::Idempotent));
        assert!(!status_retryable(404, Safety::Idempotent));
        assert!(!status_retryable(409, Safety::Idempotent));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 0..20 {
            let d = backoff(attempt);
            let ceiling = BASE
                .saturating_mul(2u32.saturating_pow(attempt.min(16)))
                .min(MAX_BACKOFF);
            assert!(d <= ceiling && d >= ceiling / 2, "attempt {attempt}: {d:?}");
        }
    }

    fn hint(value: &str) -> Option<RetryAfter> {
        let mut h = HeaderMap::new();
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_str(value).expect("test header"),
        );
        retry_after(&h, now())
    }

    /// 2026-10-21 07:28:00 UTC.
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_792_567_680)
    }

    fn delay(value: &str) -> Option<Duration> {
        hint(value).and_then(|h| h.delay)
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(retry_after(&HeaderMap::new(), now()), None);
        assert_eq!(delay("2"), Some(Duration::from_secs(2)));
        assert_eq!(delay(" 0 "), Some(Duration::ZERO));
        assert_eq!(delay("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(delay("99999"), Some(Duration::from_secs(99_999)));
        assert_eq!(
            hint("120").map(|h| h.describe()).as_deref(),
            Some("Retry-After: 120")
        );
    }

    #[test]
    fn absurd_values_are_clamped_or_ignored_never_a_panic() {
        let clamp = Some(Duration::from_secs_f64(CLAMP_SECS));
        assert_eq!(delay(&"9".repeat(400)), clamp, "overflows f64: clamped");
        assert_eq!(delay("18446744073709551616"), clamp);
        for junk in [
            "1e308", "-5", "inf", "NaN", "+3", "3.", ".5", "soon", "", "0x10",
        ] {
            assert_eq!(delay(junk), None, "{junk:?}");
        }
        assert_eq!(
            hint("1e308").map(|h| h.describe()).as_deref(),
            Some("Retry-After: 1e308 (not understood)")
        );
    }

    #[test]
    fn retry_after_http_dates_in_all_three_forms() {
        // RFC 9110 section 5.6.7: IMF-fixdate, obsolete RFC 850 and asctime forms.
        for form in [
            "Wed, 21 Oct 2026 07:28:13 GMT",
            "Wednesday, 21-Oct-26 07:28:13 GMT",
            "Wed Oct 21 07:28:13 2026",
        ] {
            assert_eq!(delay(form), Some(Duration::from_secs(13)), "{form}");
        }
        let h = hint("Wed, 21 Oct 2026 07:28:13 GMT").expect("hint");
        assert_eq!(
            h.describe(),
            "Retry-After: Wed, 21 Oct 2026 07:28:13 GMT (in 13 s)"
        );
        // A date already past means "now"; a date far ahead is clamped, not overflowed.
        assert_eq!(delay("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(
            delay("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(Duration::from_secs_f64(CLAMP_SECS))
        );
    }
}
