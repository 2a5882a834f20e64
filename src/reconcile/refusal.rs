//! Refusals: a remote's permanent "no" for one item (a 422 from GitHub, a rule error from Azure
//! DevOps, values the mapping cannot read). Which failures are the item's and which stop the run,
//! and the finding (`sync-item-refused`) that reports one with the remote's status, message and a
//! hint. Pure.

use serde::Serialize;

use super::engine::SyncError;
use super::plan::Action;
use crate::connector::{ErrorKind, RemoteError};

/// The rule id under which refusals are reported.
pub const RULE: &str = "sync-item-refused";

/// One item a remote refused in a run; the rest of the run went on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub rule: &'static str,
    /// The item's canonical id.
    pub item: String,
    /// The target that refused (empty for a canonical file the mapping could not write).
    pub target: String,
    /// The remote's HTTP status, when the refusal came from the remote.
    pub status: Option<u16>,
    /// The remote's message (or why the values cannot be read).
    pub message: String,
    /// What a person can do about it.
    pub hint: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
        let target = if self.target.is_empty() { String::new() } else { format!(" on `{}`", self.target) };
        write!(f, "{}: `{}` refused{target}{status}: {}; {}", self.rule, self.item, self.message, self.hint)
    }
}

/// Whether a remote error is a permanent refusal of this one item (not of the token, not passing).
pub fn is_item_refusal(e: &RemoteError) -> bool {
    e.kind == ErrorKind::Fatal && matches!(e.status, Some(400 | 404 | 409 | 410 | 413 | 422))
}

/// The item and target an action is about.
pub fn subject(action: &Action) -> (String, String) {
    match action {
        Action::UpdateCanonical { id, from, .. } => (id.to_string(), from.first().cloned().unwrap_or_default()),
        Action::Import { target, id, .. }
        | Action::MarkRemoved { target, id, .. }
        | Action::Adopt { target, id, .. }
        | Action::CreateRemote { target, id, .. }
        | Action::UpdateRemote { target, id, .. }
        | Action::CloseRemote { target, id, .. }
        | Action::Rebase { target, id, .. }
        | Action::Conflicts { target, id, .. } => (id.to_string(), target.clone()),
    }
}

/// The refusal an action's error is, or `None` when the error stops the run (a refused token, the
/// store, the backlog folder).
pub fn refusal(action: &Action, error: &SyncError) -> Option<Refusal> {
    let (item, target) = subject(action);
    let (status, message, hint) = match error {
        SyncError::Remote(e) if is_item_refusal(e) => {
            let hint = match e.status {
                Some(404 | 410) => {
                    "the remote item is gone or moved; run `reconcile` to relink or recreate it".to_string()
                }
                _ => format!(
                    "change the item (or the mapping) so that `{}` accepts it; the next run retries it, and at once \
                     when the item changes",
                    e.target
                ),
            };
            (e.status, e.message.clone(), hint)
        }
        SyncError::Target { reason, .. } => (
            None,
            reason.clone(),
            "fix the value in the remote item or in the file; the item is left as it is until then".to_string(),
        ),
        // A remote value no file can hold (a control character…): that item's, not the run's.
        SyncError::Backlog(e) if matches!(action, Action::Import { .. } | Action::UpdateCanonical { .. }) => {
            (None, e.to_string(), "fix the value in the remote item; the file is left as it is until then".to_string())
        }
        _ => return None,
    };
    Some(Refusal { rule: RULE, item, target, status, message, hint })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ItemId;

    fn remote(kind: ErrorKind, status: Option<u16>) -> SyncError {
        SyncError::Remote(RemoteError {
            target: "github".into(),
            operation: "update".into(),
            kind,
            status,
            message: "Validation Failed".into(),
        })
    }

    #[test]
    fn which_errors_are_the_items() {
        let id: ItemId = "ST-1".parse().unwrap();
        let action = Action::CloseRemote { target: "github".into(), id, remote_id: "7".into() };
        let cases = [
            (remote(ErrorKind::Fatal, Some(422)), true),
            (remote(ErrorKind::Fatal, Some(400)), true),
            (remote(ErrorKind::Fatal, Some(401)), false),
            (remote(ErrorKind::Fatal, Some(403)), false),
            (remote(ErrorKind::Fatal, Some(203)), false),
            (remote(ErrorKind::Transient, Some(503)), false),
            (SyncError::Target { target: "ST-1".into(), reason: "`priority` `high` is not a number".into() }, true),
            (SyncError::NoTargets, false),
        ];
        for (error, want) in cases {
            let got = refusal(&action, &error);
            assert_eq!(got.is_some(), want, "{error}");
            if let Some(r) = got {
                assert_eq!((r.item.as_str(), r.target.as_str(), r.rule), ("ST-1", "github", RULE));
                assert!(r.to_string().starts_with("sync-item-refused: `ST-1` refused on `github`"), "{r}");
            }
        }
    }
}
