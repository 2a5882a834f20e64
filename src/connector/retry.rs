//! The one place that decides whether and when to retry a remote call: exponential backoff with
//! full jitter, `Retry-After` and rate-limit resets honoured, bounded attempts and waits.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use super::{ErrorKind, RemoteError};
use crate::clock::Clock;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` we wait for instead of giving up.
    pub max_rate_limit_wait: Duration,
    /// What the waits are measured on: the system's clock; a test's movable one waits at once.
    pub clock: Clock,
}

/// Policies are equal when they would wait alike (the clock is where, not how long).
impl PartialEq for RetryPolicy {
    fn eq(&self, other: &Self) -> bool {
        (self.attempts, self.base_delay, self.max_delay, self.max_rate_limit_wait)
            == (other.attempts, other.base_delay, other.max_delay, other.max_rate_limit_wait)
    }
}

impl Eq for RetryPolicy {}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_rate_limit_wait: Duration::from_secs(120),
            clock: Clock::system(),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt` (1-based count of failures so far), or `None` to give up.
    pub fn delay(&self, attempt: u32, error: &RemoteError) -> Option<Duration> {
        if attempt >= self.attempts {
            return None;
        }
        match &error.kind {
            // Up to half the base delay on top (100 ms by default), so that waiting clients spread.
            ErrorKind::RateLimited(wait) if *wait <= self.max_rate_limit_wait => {
                Some(*wait + jitter(self.base_delay / 2))
            }
            ErrorKind::Transient => {
                let exp = self.base_delay.saturating_mul(1 << attempt.min(16));
                Some(jitter(exp.min(self.max_delay)))
            }
            _ => None,
        }
    }

    /// Runs `call` until it succeeds, fails for good, or attempts run out.
    pub async fn run<T, F, Fut>(&self, mut call: F) -> Result<T, RemoteError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, RemoteError>>,
    {
        let mut failures = 0;
        loop {
            match call().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    failures += 1;
                    match self.delay(failures, &e) {
                        Some(wait) => {
                            tracing::debug!(target = %e.target, operation = %e.operation, ?wait, error = %e.message, "retrying");
                            super::wait::report(e.wait(wait));
                            self.clock.sleep(wait).await;
                        }
                        None => return Err(e),
                    }
                }
            }
        }
    }
}

/// Full jitter: a random wait between half of `d` and `d`.
fn jitter(d: Duration) -> Duration {
    let ms = d.as_millis().max(1) as u64;
    Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: ErrorKind) -> RemoteError {
        RemoteError { target: "t".into(), operation: "op".into(), kind, status: None, message: String::new() }
    }

    #[test]
    fn decides_per_kind() {
        let p = RetryPolicy::default();
        assert!(p.delay(1, &err(ErrorKind::Transient)).is_some());
        assert!(p.delay(6, &err(ErrorKind::Transient)).is_none(), "attempts are bounded");
        assert!(p.delay(1, &err(ErrorKind::Fatal)).is_none());
        assert!(
            p.delay(1, &err(ErrorKind::UnknownOutcome)).is_none(),
            "a write of unknown outcome is not blindly repeated"
        );
        let wait = p.delay(1, &err(ErrorKind::RateLimited(Duration::from_secs(3)))).unwrap();
        assert!(wait >= Duration::from_secs(3), "Retry-After is honoured: {wait:?}");
        assert!(p.delay(1, &err(ErrorKind::RateLimited(Duration::from_secs(3600)))).is_none());
        for attempt in 1..5 {
            assert!(p.delay(attempt, &err(ErrorKind::Transient)).unwrap() <= p.max_delay);
        }
    }
}
