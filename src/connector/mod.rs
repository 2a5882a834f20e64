//! What every tracker's client shares (each client lives in its tracker's folder under
//! `trackers`): one HTTP transport on reqwest, errors that say whether a retry can help and carry
//! the remote's status and message, the rate budget, one retry policy for all, and waiting with
//! progress.

pub mod http;
pub mod retry;
pub mod wait;

use std::time::Duration;

/// What went wrong talking to a remote, in terms the engine acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A passing fault (5xx, connection refused, timeout): retry with backoff.
    Transient,
    /// The remote asked us to slow down; wait at least this long.
    RateLimited(Duration),
    /// The item does not exist (or no longer: 404, 410).
    NotFound,
    /// An optimistic-concurrency check failed (Azure `test /rev`).
    Conflict,
    /// The connection broke after the request was sent: the write may or may not have happened.
    UnknownOutcome,
    /// Retrying will not help (401, 403, 422, a bad mapping…).
    Fatal,
}

/// An error from a remote. Never carries the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{target}: {operation} failed{}: {message}", status.map(|s| format!(" with HTTP {s}")).unwrap_or_default())]
pub struct RemoteError {
    pub target: String,
    pub operation: String,
    pub kind: ErrorKind,
    pub status: Option<u16>,
    pub message: String,
}

impl RemoteError {
    /// The wait before retrying this error after `wait`, in words for the person watching.
    pub fn wait(&self, wait: Duration) -> wait::Wait {
        let why = match (&self.kind, self.status) {
            (ErrorKind::RateLimited(_), _) if self.message.contains("secondary rate limit") => {
                wait::Why::Limit("GitHub's secondary limit".into())
            }
            (ErrorKind::RateLimited(_), _) => wait::Why::Limit(format!("the rate limit of `{}`", self.target)),
            (_, Some(status)) => wait::Why::Retry(status.to_string()),
            (_, None) => wait::Why::Retry("a broken connection".into()),
        };
        wait::Wait { target: self.target.clone(), wait, why }
    }

    pub fn is_retriable(&self) -> bool {
        matches!(self.kind, ErrorKind::Transient | ErrorKind::RateLimited(_))
    }
}

/// Rate-limit budget as the remote last reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Budget {
    pub remaining: Option<u32>,
    pub limit: Option<u32>,
    pub reset_at: Option<chrono::DateTime<chrono::Utc>>,
}
