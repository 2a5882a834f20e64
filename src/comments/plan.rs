//! The pure comment planner: from the comments on every side of one item and the mirrors the
//! store remembers, what to post, edit, delete and record. Deterministic; no I/O.
//!
//! Rules: a comment without a marker is an original; one with a marker is a mirror and never an
//! original (no echo). Each original has one mirror on every other side: found through the store
//! or, after a crash, through its marker (no duplicate); further copies are deleted. A mirror
//! shows the original's latest version; an original that is gone takes its mirrors with it. A
//! mirror a person deleted by hand stays deleted.

use std::collections::BTreeMap;

use serde::Serialize;

use super::marker::{origin_of, render, same_text};
use super::{Comment, Origin, Tracker};
use crate::store::CommentMirror;

/// The comments on one side of an item: one target's remote item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    pub target: String,
    pub tracker: Tracker,
    pub remote_id: String,
    /// Oldest first.
    pub comments: Vec<Comment>,
}

/// Everything the planner needs for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemComments {
    pub item_id: String,
    /// The sides that could be read, in target order.
    pub sides: Vec<Side>,
    /// The mirrors the store remembers for this item.
    pub mirrors: Vec<CommentMirror>,
}

/// One step; the edge runs an item's steps in order and stops the item at the first failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Post the mirror of `origin`, then record it at `version`.
    Post { target: String, remote_id: String, origin: Origin, version: String, text: String },
    /// Rewrite mirror `comment` to show `version` of its original, then record it.
    Edit { target: String, remote_id: String, comment: String, origin: Origin, version: String, text: String },
    /// Record mirror `comment`, found by its marker or already showing `version`; no remote write.
    Record { target: String, comment: String, origin: Origin, version: String },
    /// Delete mirror `comment` (its original is gone, or it is a second copy); `forget` drops the
    /// store's record of it.
    Delete { target: String, remote_id: String, comment: String, origin: Origin, forget: bool },
    /// Drop the store's record of a mirror already gone together with its original.
    Forget { target: String, origin: Origin },
}

impl Action {
    /// Whether the step writes to a tracker.
    pub fn writes(&self) -> bool {
        matches!(self, Action::Post { .. } | Action::Edit { .. } | Action::Delete { .. })
    }
}

/// Plans one item.
pub fn plan(item: &ItemComments) -> Vec<Action> {
    let mut actions = Vec::new();
    // The originals, in conversation order across sides.
    let mut originals: Vec<(Origin, &Comment, Tracker)> = item
        .sides
        .iter()
        .flat_map(|s| {
            s.comments.iter().filter(|c| origin_of(&c.text).is_none()).map(move |c| {
                (Origin { target: s.target.clone(), item: s.remote_id.clone(), comment: c.id.clone() }, c, s.tracker)
            })
        })
        .collect();
    originals.sort_by(|a, b| a.1.created_at.cmp(&b.1.created_at).then_with(|| a.0.cmp(&b.0)));
    // Mirrors found by marker: (origin, target) -> comments, oldest first.
    let mut found: BTreeMap<(Origin, &str), Vec<&Comment>> = BTreeMap::new();
    for side in &item.sides {
        for c in &side.comments {
            if let Some(o) = origin_of(&c.text).filter(|o| o.target != side.target) {
                found.entry((o, side.target.as_str())).or_default().push(c);
            }
        }
    }
    let rows: BTreeMap<(&str, &str, &str), &CommentMirror> = item
        .mirrors
        .iter()
        .map(|m| ((m.origin_target.as_str(), m.origin_comment.as_str(), m.target.as_str()), m))
        .collect();

    for (origin, original, from) in &originals {
        for dest in item.sides.iter().filter(|d| d.target != origin.target) {
            let copies = found.get(&(origin.clone(), dest.target.as_str())).cloned().unwrap_or_default();
            let row = rows.get(&(origin.target.as_str(), origin.comment.as_str(), dest.target.as_str()));
            let text = render(original, origin, *from, dest.tracker);
            let kept = match row {
                Some(r) => copies.iter().find(|c| c.id == r.mirror_comment).or(copies.first()).copied(),
                None => copies.first().copied(),
            };
            for extra in copies.iter().filter(|c| Some(c.id.as_str()) != kept.map(|k| k.id.as_str())) {
                actions.push(Action::Delete {
                    target: dest.target.clone(),
                    remote_id: dest.remote_id.clone(),
                    comment: extra.id.clone(),
                    origin: origin.clone(),
                    forget: false,
                });
            }
            match (kept, row) {
                (Some(mirror), row) => {
                    let current =
                        row.is_some_and(|r| r.mirror_comment == mirror.id && r.origin_version == original.version);
                    if current {
                        // Shows this version already (a person's edit of a mirror is theirs).
                    } else if !same_text(&mirror.text, &text) {
                        actions.push(Action::Edit {
                            target: dest.target.clone(),
                            remote_id: dest.remote_id.clone(),
                            comment: mirror.id.clone(),
                            origin: origin.clone(),
                            version: original.version.clone(),
                            text,
                        });
                    } else {
                        actions.push(Action::Record {
                            target: dest.target.clone(),
                            comment: mirror.id.clone(),
                            origin: origin.clone(),
                            version: original.version.clone(),
                        });
                    }
                }
                // Mirrored once, then deleted by a person on that side: left deleted.
                (None, Some(_)) => {}
                (None, None) => actions.push(Action::Post {
                    target: dest.target.clone(),
                    remote_id: dest.remote_id.clone(),
                    origin: origin.clone(),
                    version: original.version.clone(),
                    text,
                }),
            }
        }
    }

    // Originals that are gone: their side was read, on the same remote item, and lacks them.
    let gone = |o: &Origin| {
        item.sides.iter().any(|s| s.target == o.target && s.remote_id == o.item)
            && !originals.iter().any(|(live, _, _)| live == o)
    };
    for m in &item.mirrors {
        let origin =
            Origin { target: m.origin_target.clone(), item: m.origin_item.clone(), comment: m.origin_comment.clone() };
        let Some(dest) = item.sides.iter().find(|s| s.target == m.target) else { continue };
        if !gone(&origin) {
            continue;
        }
        let copies = found.remove(&(origin.clone(), dest.target.as_str())).unwrap_or_default();
        if copies.is_empty() {
            actions.push(Action::Forget { target: dest.target.clone(), origin });
            continue;
        }
        for c in &copies {
            actions.push(Action::Delete {
                target: dest.target.clone(),
                remote_id: dest.remote_id.clone(),
                comment: c.id.clone(),
                origin: origin.clone(),
                forget: c.id == m.mirror_comment,
            });
        }
        if !copies.iter().any(|c| c.id == m.mirror_comment) {
            actions.push(Action::Forget { target: dest.target.clone(), origin });
        }
    }
    // Mirrors nobody recorded (a crash between post and record) whose original is gone too.
    for ((origin, target), copies) in &found {
        if !gone(origin)
            || item
                .mirrors
                .iter()
                .any(|m| m.origin_target == origin.target && m.origin_comment == origin.comment && m.target == *target)
        {
            continue;
        }
        let Some(dest) = item.sides.iter().find(|s| s.target == *target) else { continue };
        for c in copies {
            actions.push(Action::Delete {
                target: dest.target.clone(),
                remote_id: dest.remote_id.clone(),
                comment: c.id.clone(),
                origin: origin.clone(),
                forget: false,
            });
        }
    }
    actions
}
