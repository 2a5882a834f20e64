//! The I/O edge of comment mirroring: which items to look at in this run, reading their comments
//! on every linked side, sending the plan, and recording each mirror as soon as it is written.
//!
//! Which items: in a full run (`reconcile`, or a target with no watermark yet) every item linked
//! on two targets or more; otherwise those whose remote item changed since the watermark (a
//! comment changes a work item's revision and an issue's `updated_at`), those whose GitHub
//! comments were created or edited since it (one request per GitHub target), and those a webhook
//! named. One item's failure is that item's: the error is reported and the rest go on.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::plan::{Action, ItemComments, Side, plan};
use super::{Comment, Tracker};
use crate::connector::RemoteError;
use crate::reconcile::remote::Remote;
use crate::store::{CommentMirror, Store, StoreError};

/// What a run may look at.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Every item linked on two targets or more.
    pub full: bool,
    /// Remote ids listed as changed in this run, by target.
    pub changed: BTreeMap<String, BTreeSet<String>>,
    /// Remote items a trigger named (a webhook), as (target, remote id).
    pub touched: BTreeSet<(String, String)>,
}

/// What the comment pass did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Items whose comments were read.
    pub items: u32,
    pub posted: u32,
    pub edited: u32,
    pub deleted: u32,
    /// Failures, one per item (the rest went on).
    pub errors: Vec<String>,
}

/// The items linked on two targets or more: item id -> (target, remote id), in target order.
pub fn shared_items(links: &[crate::store::Link], targets: &[&str]) -> BTreeMap<String, Vec<(String, String)>> {
    let mut by_item: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for l in links.iter().filter(|l| targets.contains(&l.target.as_str())) {
        by_item.entry(l.item_id.clone()).or_default().push((l.target.clone(), l.remote_id.clone()));
    }
    by_item.retain(|_, sides| sides.len() > 1);
    by_item
}

/// The items to look at: all when `full`, else those with a side in `touched`.
pub fn pick(
    shared: &BTreeMap<String, Vec<(String, String)>>,
    full: bool,
    touched: &BTreeSet<(String, String)>,
) -> Vec<String> {
    shared
        .iter()
        .filter(|(_, sides)| full || sides.iter().any(|s| touched.contains(s)))
        .map(|(id, _)| id.clone())
        .collect()
}

fn tracker(remote: &Remote) -> Tracker {
    remote.tracker().comment_form()
}

/// Reads the comments of one remote item.
async fn read(remote: &Remote, remote_id: &str) -> Result<Vec<Comment>, RemoteError> {
    remote.tracker().comments(remote_id).await
}

async fn post(remote: &Remote, remote_id: &str, text: &str) -> Result<String, RemoteError> {
    remote.tracker().add_comment(remote_id, text).await
}

async fn edit(remote: &Remote, remote_id: &str, comment: &str, text: &str) -> Result<(), RemoteError> {
    remote.tracker().edit_comment(remote_id, comment, text).await
}

async fn delete(remote: &Remote, remote_id: &str, comment: &str) -> Result<(), RemoteError> {
    remote.tracker().delete_comment(remote_id, comment).await
}

/// Why one item's comments could not be mirrored.
#[derive(Debug, thiserror::Error)]
enum ItemError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Mirrors the comments of the items in scope between every pair of their targets.
pub async fn mirror(store: &Store, remotes: &[Remote], scope: &Scope) -> Result<Report, StoreError> {
    let mut report = Report::default();
    if remotes.len() < 2 {
        return Ok(report);
    }
    let names: Vec<&str> = remotes.iter().map(Remote::name).collect();
    let shared = shared_items(&store.all_links()?, &names);
    if shared.is_empty() {
        return Ok(report);
    }
    let mut full = scope.full;
    let mut touched = scope.touched.clone();
    for (target, ids) in &scope.changed {
        touched.extend(ids.iter().map(|id| (target.clone(), id.clone())));
    }
    for remote in remotes {
        let Some(mark) = store.watermark(remote.name())? else {
            full = true;
            continue;
        };
        if full {
            continue;
        }
        match remote.tracker().comments_changed_since(mark.since).await {
            Some(Ok(changed)) => touched.extend(changed.into_iter().map(|id| (remote.name().to_string(), id))),
            Some(Err(e)) => report.errors.push(format!("comments of target `{}`: {e}", remote.name())),
            None => {}
        }
    }
    for item_id in pick(&shared, full, &touched) {
        report.items += 1;
        if let Err(e) = mirror_item(store, remotes, &item_id, &shared[&item_id], &mut report).await {
            tracing::warn!(item = %item_id, error = %e, "comments not mirrored");
            report.errors.push(format!("{item_id}: comments: {e}"));
        }
    }
    Ok(report)
}

async fn mirror_item(
    store: &Store,
    remotes: &[Remote],
    item_id: &str,
    sides: &[(String, String)],
    report: &mut Report,
) -> Result<(), ItemError> {
    let remote_of = |t: &str| remotes.iter().find(|r| r.name() == t).expect("shared items are on configured targets");
    let mut input =
        ItemComments { item_id: item_id.into(), sides: Vec::new(), mirrors: store.comment_mirrors(item_id)? };
    for (target, remote_id) in sides {
        let remote = remote_of(target);
        let comments = match read(remote, remote_id).await {
            Ok(comments) => comments,
            // The remote item is gone (404, 410): the item sync settles the link; this side
            // neither gives nor takes comments.
            Err(e) if e.kind == crate::connector::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        input.sides.push(Side {
            target: target.clone(),
            tracker: tracker(remote),
            remote_id: remote_id.clone(),
            comments,
        });
    }
    let origin_item = |o: &super::Origin| o.item.clone();
    for action in plan(&input) {
        let record = |target: &str, comment: &str, origin: &super::Origin, version: &str| CommentMirror {
            item_id: item_id.to_string(),
            origin_target: origin.target.clone(),
            origin_item: origin_item(origin),
            origin_comment: origin.comment.clone(),
            target: target.to_string(),
            mirror_comment: comment.to_string(),
            origin_version: version.to_string(),
        };
        match &action {
            Action::Post { target, remote_id, origin, version, text } => {
                let id = post(remote_of(target), remote_id, text).await?;
                store.put_comment_mirror(&record(target, &id, origin, version))?;
                report.posted += 1;
                tracing::info!(item = %item_id, %target, origin = %origin.target, comment = %id, "mirrored a comment");
            }
            Action::Edit { target, remote_id, comment, origin, version, text } => {
                edit(remote_of(target), remote_id, comment, text).await?;
                store.put_comment_mirror(&record(target, comment, origin, version))?;
                report.edited += 1;
            }
            Action::Record { target, comment, origin, version } => {
                store.put_comment_mirror(&record(target, comment, origin, version))?;
            }
            Action::Delete { target, remote_id, comment, origin, forget } => {
                delete(remote_of(target), remote_id, comment).await?;
                if *forget {
                    store.forget_comment_mirror(&origin.target, &origin.comment, target)?;
                }
                report.deleted += 1;
            }
            Action::Forget { target, origin } => {
                store.forget_comment_mirror(&origin.target, &origin.comment, target)?
            }
        }
    }
    Ok(())
}
