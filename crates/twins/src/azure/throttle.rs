//! The request budget: a sliding window of requests beyond which the twin refuses with 429 and
//! the service's headers (`Retry-After`, `X-RateLimit-Resource/Delay/Limit/Remaining/Reset`). As a
//! caller nears the limit the same headers (without the delay) ride on successful answers.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The resource name the twin reports (the service's global limit is `Core`).
pub const RESOURCE: &str = "Core";

/// How many requests a caller may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u32,
    /// The sliding window (the service uses five minutes).
    pub window: Duration,
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit { limit: 10_000, window: Duration::from_secs(300) }
    }
}

/// What the budget says about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Serve it, adding these headers (empty far from the limit).
    Allow(Vec<(&'static str, String)>),
    /// Refuse it with 429 and these headers.
    Refuse(Vec<(&'static str, String)>),
}

/// The budget's state.
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    limit: Option<RateLimit>,
    used: VecDeque<Instant>,
}

impl Throttle {
    /// A budget; `None` never refuses.
    pub fn new(limit: Option<RateLimit>) -> Throttle {
        Throttle { limit, used: VecDeque::new() }
    }

    /// Decides on a request arriving at `now` (`wall` is the same moment, for `X-RateLimit-Reset`).
    pub fn check(&mut self, now: Instant, wall: SystemTime) -> Verdict {
        let Some(limit) = self.limit else {
            return Verdict::Allow(Vec::new());
        };
        while self.used.front().is_some_and(|t| now.duration_since(*t) >= limit.window) {
            self.used.pop_front();
        }
        let free_in =
            self.used.front().map(|t| limit.window.saturating_sub(now.duration_since(*t))).unwrap_or_default();
        let reset = wall.duration_since(UNIX_EPOCH).unwrap_or_default() + free_in;
        let used = self.used.len() as u32;
        let mut headers =
            vec![("X-RateLimit-Resource", RESOURCE.to_string()), ("X-RateLimit-Limit", limit.limit.to_string())];
        if used >= limit.limit {
            let seconds = free_in.as_secs() + u64::from(free_in.subsec_nanos() > 0);
            headers.push(("X-RateLimit-Remaining", "0".to_string()));
            headers.push(("X-RateLimit-Reset", reset.as_secs().to_string()));
            headers.push(("X-RateLimit-Delay", format!("{:.3}", free_in.as_secs_f64())));
            headers.push(("Retry-After", seconds.max(1).to_string()));
            return Verdict::Refuse(headers);
        }
        self.used.push_back(now);
        let remaining = limit.limit - used - 1;
        if remaining > limit.limit / 5 {
            return Verdict::Allow(Vec::new());
        }
        headers.push(("X-RateLimit-Remaining", remaining.to_string()));
        headers.push(("X-RateLimit-Reset", reset.as_secs().to_string()));
        Verdict::Allow(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn refuses_beyond_the_budget_until_the_window_moves() {
        let start = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut t = Throttle::new(Some(RateLimit { limit: 5, window: Duration::from_secs(10) }));
        let verdicts: Vec<Verdict> = (0..5).map(|i| t.check(start + Duration::from_secs(i), wall)).collect();
        assert_eq!(verdicts[0], Verdict::Allow(Vec::new()));
        let Verdict::Allow(near) = &verdicts[4] else { panic!("allowed") };
        assert_eq!(header(near, "X-RateLimit-Remaining"), Some("0"));
        assert_eq!(header(near, "X-RateLimit-Delay"), None);
        let refused = t.check(start + Duration::from_millis(7_500), wall);
        let Verdict::Refuse(headers) = refused else { panic!("refused") };
        assert_eq!(header(&headers, "Retry-After"), Some("3"));
        assert_eq!(header(&headers, "X-RateLimit-Delay"), Some("2.500"));
        assert_eq!(header(&headers, "X-RateLimit-Limit"), Some("5"));
        assert_eq!(header(&headers, "X-RateLimit-Remaining"), Some("0"));
        assert_eq!(header(&headers, "X-RateLimit-Reset"), Some("1700000002"));
        assert_eq!(header(&headers, "X-RateLimit-Resource"), Some(RESOURCE));
        assert!(matches!(t.check(start + Duration::from_secs(10), wall), Verdict::Allow(_)));
        assert!(matches!(Throttle::new(None).check(start, wall), Verdict::Allow(h) if h.is_empty()));
    }
}
