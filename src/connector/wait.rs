//! Waits people should hear about: a pause for a rate limit, a retry after a failure. The
//! connectors report each wait here; the command line shows it as progress ("waiting 40 s for
//! GitHub's secondary limit") instead of a log line. Without a listener a wait is logged at debug.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Why a remote call waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// A limit, in words: "GitHub's secondary limit", "the rate limit of `boards`".
    Limit(String),
    /// A retry after a failure, in words: "502", "a broken connection".
    Retry(String),
}

/// One wait of one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    pub target: String,
    pub wait: Duration,
    pub why: Why,
}

impl fmt::Display for Wait {
    /// "waiting 40 s for GitHub's secondary limit", "retrying after 502 in 3 s".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let took = seconds(self.wait);
        match &self.why {
            Why::Limit(limit) => write!(f, "waiting {took} for {limit}"),
            Why::Retry(after) => write!(f, "retrying after {after} in {took}"),
        }
    }
}

/// A duration as people read it in a status line: whole seconds, rounded up (`1 s`, `40 s`).
pub fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

/// Who hears about waits.
pub type Listener = Arc<dyn Fn(&Wait) + Send + Sync>;

static LISTENER: RwLock<Option<Listener>> = RwLock::new(None);

/// Sets (or with `None` removes) the process's listener; the command line sets one per run.
pub fn listen(listener: Option<Listener>) {
    *LISTENER.write().unwrap_or_else(|p| p.into_inner()) = listener;
}

/// Reports a wait that is about to start.
pub fn report(wait: Wait) {
    let listener = LISTENER.read().unwrap_or_else(|p| p.into_inner()).clone();
    match listener {
        Some(l) => l(&wait),
        None => tracing::debug!(target = %wait.target, wait = ?wait.wait, "{wait}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_sentences() {
        let w = |wait, why| Wait { target: "github".into(), wait, why }.to_string();
        assert_eq!(
            w(Duration::from_secs(40), Why::Limit("GitHub's secondary limit".into())),
            "waiting 40 s for GitHub's secondary limit"
        );
        assert_eq!(w(Duration::from_millis(2100), Why::Retry("502".into())), "retrying after 502 in 3 s");
        assert_eq!(seconds(Duration::from_millis(250)), "1 s");
    }
}
