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

use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// First backoff step; doubles per attempt.
const BASE: Duration = Duration::from_millis(200);
/// Longest backoff between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest `Retry-After` honoured; a server asking for more is treated as this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

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

/// `Retry-After` in seconds (the HTTP-date form is not used by JumpCloud and is ignored).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = value.parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(secs).min(MAX_RETRY_AFTER))
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

    #[test]
    fn retry_after_seconds() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("0.5"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(500)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("99999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }
}
