//! The records the store keeps: links and their bases, intents, watermarks, runs, changes,
//! conflicts, rate-limit budgets and summary posts. Plain data, serialisable for `--format json`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Canonical field values by field name, e.g. the merge base both sides last agreed on: the
/// model's map, stored as the JSON object of strings it serialises to.
pub use crate::model::FieldMap;

/// One canonical item linked to one remote item of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The target's name from the config, e.g. `github` or `boards`.
    pub target: String,
    /// The canonical id, e.g. `ST-14`.
    pub item_id: String,
    /// The remote's own id: an issue number or a work item id.
    pub remote_id: String,
    /// A second, stable remote key, e.g. GitHub's global issue id.
    pub remote_key: Option<String>,
    pub remote_url: Option<String>,
    /// The canonical field values both sides last agreed on: the base of the three-way merge.
    pub base: FieldMap,
    /// The remote's version when last read: `updated_at` on GitHub, the revision on Azure Boards.
    pub remote_version: Option<String>,
    pub synced_at: DateTime<Utc>,
    /// The file's owner when the link was saved ("" for none); `None`: not known (saved before
    /// schema 7, or by a path that did not read the file). It differs from the base's owner when
    /// the base holds what the target showed instead (an owner it cannot carry, one held in a
    /// conflict): then a file owner changed back to the base's is still the file's edit.
    pub file_owner: Option<String>,
}

/// A remote create that was about to happen: recorded before the call, cleared once linked.
/// One left behind means a run died mid-create; the next run looks for the marker and adopts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Intent {
    pub target: String,
    pub item_id: String,
    pub created_at: DateTime<Utc>,
    /// The canonical fields the latest try sent (empty for an intent recorded before schema 3):
    /// the base when the create is found by its marker in a later run.
    pub sent: FieldMap,
}

/// Where the last incremental listing of a target stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Watermark {
    /// List items changed at or after this time next run.
    pub since: DateTime<Utc>,
    /// The ETag of the last listing, for a conditional request.
    pub etag: Option<String>,
    /// The query the listing used; a different query means the watermark does not apply.
    pub query: Option<String>,
}

/// How many items a run changed, by direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    pub inbound_created: u32,
    pub inbound_updated: u32,
    pub outbound_created: u32,
    pub outbound_updated: u32,
    pub removed: u32,
    pub conflicts: u32,
}

impl std::ops::AddAssign for RunCounts {
    fn add_assign(&mut self, other: RunCounts) {
        self.inbound_created += other.inbound_created;
        self.inbound_updated += other.inbound_updated;
        self.outbound_created += other.outbound_created;
        self.outbound_updated += other.outbound_updated;
        self.removed += other.removed;
        self.conflicts += other.conflicts;
    }
}

/// How a run ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunOutcome {
    Running,
    Success,
    Failed,
    /// Stopped on purpose, e.g. by the mass-removal guard.
    Stopped,
    /// Done, but conflicts are left open for a person (`backlog-sync resolve`).
    Conflicts,
}

/// One sync, reconcile, webhook-triggered or demo run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub id: i64,
    /// `sync`, `reconcile`, `webhook` or `demo`.
    pub kind: String,
    /// The targets the run covered; `None` means every configured target.
    pub targets: Option<Vec<String>>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: RunOutcome,
    pub counts: RunCounts,
    pub error: Option<String>,
}

/// Which way a change went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From a remote into the canonical backlog.
    Inbound,
    /// From the canonical backlog out to a remote.
    Outbound,
    /// Within the backlog itself, e.g. an import numbering a new file.
    Local,
}

/// One change to one item (and field), for "what changed since" summaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub item_id: String,
    pub target: Option<String>,
    pub direction: Direction,
    /// `created`, `updated`, `removed`, `imported` or `closed`.
    pub action: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A field both sides changed differently, left alone under the `manual` policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub target: String,
    pub item_id: String,
    pub field: String,
    pub base: Option<String>,
    pub canonical: Option<String>,
    pub remote: Option<String>,
    pub detected_at: DateTime<Utc>,
}

/// A target's rate-limit budget as last reported by its API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub remaining: Option<u32>,
    pub limit: Option<u32>,
    pub reset_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A stakeholder summary posted (or being posted) to a channel for an audience and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Post {
    pub channel: String,
    pub audience: String,
    /// The period the summary covers, e.g. `2025-W19`.
    pub period: String,
    /// The channel's id or URL of the posted message.
    pub remote_ref: Option<String>,
    pub posted_at: DateTime<Utc>,
    /// `pending` while posting, `done` once the channel accepted it.
    pub state: String,
}

/// A stored word that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a known value")]
pub struct UnknownValue(pub String);

macro_rules! words {
    ($ty:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// The word stored in the database and printed by `status`.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $word),+ }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($ty::$variant),)+
                    _ => Err(UnknownValue(s.to_string())),
                }
            }
        }
    };
}

words!(RunOutcome { Running => "running", Success => "success", Failed => "failed", Stopped => "stopped", Conflicts => "conflicts" });
words!(Direction { Inbound => "inbound", Outbound => "outbound", Local => "local" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_match_serde() {
        for o in
            [RunOutcome::Running, RunOutcome::Success, RunOutcome::Failed, RunOutcome::Stopped, RunOutcome::Conflicts]
        {
            assert_eq!(o.as_str().parse::<RunOutcome>(), Ok(o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        for d in [Direction::Inbound, Direction::Outbound, Direction::Local] {
            assert_eq!(d.to_string().parse::<Direction>(), Ok(d));
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
        assert_eq!("done".parse::<RunOutcome>(), Err(UnknownValue("done".into())));
    }
}
