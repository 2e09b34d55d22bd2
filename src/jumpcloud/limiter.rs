//! One limiter shared by every request a `Client` (and its clones) sends: at most `parallelism`
//! in flight, started no faster than `max_rps`, and a pause for everybody after a 429 with
//! `Retry-After` (the org's limit is shared, so one request being told to wait means all are).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Limiter {
    permits: Arc<Semaphore>,
    /// `None` when there is no rate cap.
    interval: Option<Duration>,
    slots: Mutex<Slots>,
}

#[derive(Debug)]
struct Slots {
    /// The earliest start of the next request under the rate cap.
    next: Instant,
    /// No request starts before this (set from `Retry-After`).
    paused_until: Instant,
}

/// Held while a request is in flight.
pub(crate) struct Permit {
    /// `None` only if the semaphore were closed, which `Limiter` never does.
    _permit: Option<OwnedSemaphorePermit>,
}

impl Limiter {
    pub(crate) fn new(parallelism: usize, max_rps: Option<f64>) -> Self {
        let interval = max_rps
            .filter(|rps| rps.is_finite() && *rps > 0.0)
            .map(|rps| Duration::from_secs_f64(1.0 / rps));
        let now = Instant::now();
        Limiter {
            permits: Arc::new(Semaphore::new(parallelism.max(1))),
            interval,
            slots: Mutex::new(Slots {
                next: now,
                paused_until: now,
            }),
        }
    }

    /// Waits for a free slot and for the pacer, then returns the permit to hold while sending.
    pub(crate) async fn acquire(&self) -> Permit {
        // Acquiring fails only on a closed semaphore, and this one is never closed.
        let permit = self.permits.clone().acquire_owned().await.ok();
        let (start, now) = {
            let mut slots = self.slots.lock().await;
            let now = Instant::now();
            let start = now.max(slots.next).max(slots.paused_until);
            if let Some(interval) = self.interval {
                slots.next = start + interval;
            }
            (start, now)
        };
        // Only the pacer or a pause makes a request wait: otherwise no timer is armed (a
        // `sleep_until` already due still goes through the timer wheel, under its lock, once
        // per request).
        if start > now {
            tokio::time::sleep_until(start).await;
        }
        Permit { _permit: permit }
    }

    /// Holds every request back until `until` (a server's `Retry-After`).
    pub(crate) async fn pause_until(&self, until: Instant) {
        let mut slots = self.slots.lock().await;
        slots.paused_until = slots.paused_until.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paces_requests_to_max_rps() {
        let limiter = Limiter::new(8, Some(10.0));
        let t0 = Instant::now();
        for _ in 0..5 {
            drop(limiter.acquire().await);
        }
        // Five starts at 10/s: the fifth starts 400ms after the first (virtual time).
        assert_eq!(Instant::now() - t0, Duration::from_millis(400));
    }

    #[tokio::test(start_paused = true)]
    async fn pause_holds_everyone() {
        let limiter = Limiter::new(2, None);
        let t0 = Instant::now();
        limiter.pause_until(t0 + Duration::from_secs(3)).await;
        drop(limiter.acquire().await);
        assert_eq!(Instant::now() - t0, Duration::from_secs(3));
    }

    #[tokio::test]
    async fn parallelism_bounds_permits() {
        let limiter = Limiter::new(2, None);
        let a = limiter.acquire().await;
        let _b = limiter.acquire().await;
        let third = tokio::time::timeout(Duration::from_millis(50), limiter.acquire()).await;
        assert!(third.is_err(), "a third permit must wait");
        drop(a);
        let third = tokio::time::timeout(Duration::from_secs(5), limiter.acquire()).await;
        assert!(third.is_ok());
    }
}
