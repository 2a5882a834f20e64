//! The program's clock for waits and ages: the system's, or one a test moves forward. A renewing
//! token source judges a credential's age by it, and a retry waits on it, so a test of renewal or of
//! `Retry-After` advances time instead of sleeping through it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A monotonic clock; clones share one offset. The default is the system's.
#[derive(Clone, Default)]
pub struct Clock {
    /// How far a test has moved this clock ahead of the system's; `None`: the system's clock.
    ahead: Option<Arc<Mutex<Duration>>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.ahead {
            None => write!(f, "Clock(system)"),
            Some(a) => write!(f, "Clock(+{:?})", *a.lock().unwrap_or_else(|p| p.into_inner())),
        }
    }
}

impl Clock {
    /// The system's monotonic clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that runs with the system's and that [`Clock::advance`] moves ahead (tests).
    pub fn movable() -> Clock {
        Clock { ahead: Some(Arc::new(Mutex::new(Duration::ZERO))) }
    }

    /// Moves a movable clock ahead by `by`; the system's clock cannot be moved (a no-op).
    pub fn advance(&self, by: Duration) {
        if let Some(ahead) = &self.ahead {
            *ahead.lock().unwrap_or_else(|p| p.into_inner()) += by;
        }
    }

    /// Waits `d` on this clock: the system's sleeps; a movable one moves ahead by `d` at once (the
    /// wait is counted by [`Clock::waited`]), so a test sees what was waited without waiting.
    pub async fn sleep(&self, d: Duration) {
        match &self.ahead {
            None => tokio::time::sleep(d).await,
            Some(ahead) => {
                *ahead.lock().unwrap_or_else(|p| p.into_inner()) += d;
                tokio::task::yield_now().await;
            }
        }
    }

    /// How far a movable clock has been moved (by [`Clock::advance`] and [`Clock::sleep`]); zero
    /// for the system's.
    pub fn waited(&self) -> Duration {
        self.ahead.as_ref().map_or(Duration::ZERO, |a| *a.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Now, on this clock.
    pub fn now(&self) -> Instant {
        let ahead = self.ahead.as_ref().map_or(Duration::ZERO, |a| *a.lock().unwrap_or_else(|p| p.into_inner()));
        Instant::now() + ahead
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_movable_clock_moves_and_its_clones_with_it() {
        let clock = Clock::movable();
        let other = clock.clone();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        assert!(other.now() >= before + Duration::from_secs(3600));
        let system = Clock::system();
        system.advance(Duration::from_secs(3600));
        assert!(system.now() < before + Duration::from_secs(3600), "the system's clock does not move");
    }

    #[tokio::test]
    async fn a_movable_clock_sleeps_by_moving_ahead() {
        let clock = Clock::movable();
        let started = Instant::now();
        clock.sleep(Duration::from_secs(30)).await;
        assert_eq!(clock.waited(), Duration::from_secs(30));
        assert!(clock.now() >= started + Duration::from_secs(30));
        assert_eq!(Clock::system().waited(), Duration::ZERO);
    }
}
