//! "What changed since the last summary": the store's change log folded into new, done, moved and
//! removed items, one line per item and kind (a change mirrored to two targets counts once).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::{id_cmp, stamp};
use crate::model::State;
use crate::store::Change;

/// One item in one section of the change list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeLine {
    pub item: String,
    /// The item's title when it is still in the backlog.
    pub title: Option<String>,
    /// What happened, e.g. `new → active` or `moved to EP-2`.
    pub detail: String,
}

/// The change log since the last summary, by what a reader cares about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ChangeSet {
    pub since: String,
    pub new: Vec<ChangeLine>,
    pub done: Vec<ChangeLine>,
    pub moved: Vec<ChangeLine>,
    pub removed: Vec<ChangeLine>,
    /// Lines in all four sections.
    pub total: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    New,
    Done,
    Moved,
    Removed,
}

fn is_done_state(s: &str) -> bool {
    s.parse::<State>().is_ok_and(|s| matches!(s, State::Resolved | State::Closed))
}

/// Which section a change belongs in, with its detail; `None` for changes a summary leaves out
/// (title edits, points, owners…).
fn section_of(c: &Change) -> Option<(Section, String)> {
    let target = c.target.as_deref().unwrap_or("a target");
    match c.action.as_str() {
        "created" => Some((Section::New, format!("published to {target}"))),
        "imported" => Some((Section::New, format!("imported from {target}"))),
        "removed" => Some((Section::Removed, format!("deleted in {target}"))),
        "closed" => Some((Section::Removed, "file removed; closed as not planned".into())),
        "updated" => {
            let old = c.old.as_deref().unwrap_or("");
            let new = c.new.as_deref().unwrap_or("");
            match c.field.as_deref() {
                Some("state") if new == "removed" => Some((Section::Removed, format!("{old} → removed"))),
                Some("state") if is_done_state(new) && !is_done_state(old) => {
                    Some((Section::Done, format!("{old} → {new}")))
                }
                Some("state") if old != new => Some((Section::Moved, format!("{old} → {new}"))),
                Some("epic") if old != new => {
                    let detail = if new.is_empty() { format!("taken out of {old}") } else { format!("moved to {new}") };
                    Some((Section::Moved, detail))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// How a new item came, in words: what it is, then where it went or came from, every target
/// named once ("story, published to boards and github; imported from github").
fn new_detail(kind: Option<&str>, published: &[String], imported: &[String]) -> String {
    let names = |ts: &[String]| match ts {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let mut parts = Vec::new();
    if !published.is_empty() {
        parts.push(format!("published to {}", names(published)));
    }
    if !imported.is_empty() {
        parts.push(format!("imported from {}", names(imported)));
    }
    match kind {
        Some(k) => format!("new {k}, {}", parts.join("; ")),
        None => parts.join("; "),
    }
}

/// Folds `changes` (oldest first) into sections. An item keeps one line per section: the first
/// state it moved from and the last it moved to, so `new → active → resolved` reads as done; a
/// new item says what it is (`kinds`, by id) and names every target it reached.
pub fn classify(
    changes: &[Change],
    since: DateTime<Utc>,
    titles: &BTreeMap<String, String>,
    kinds: &BTreeMap<String, &'static str>,
) -> ChangeSet {
    let mut lines: BTreeMap<(String, Section), String> = BTreeMap::new();
    let mut state_moves: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut arrivals: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for c in changes {
        let Some((section, detail)) = section_of(c) else { continue };
        if section == Section::New {
            let target = c.target.clone().unwrap_or_else(|| "a target".into());
            let (published, imported) = arrivals.entry(c.item_id.clone()).or_default();
            let list = if c.action == "imported" { imported } else { published };
            if !list.contains(&target) {
                list.push(target);
            }
            continue;
        }
        if c.field.as_deref() == Some("state") {
            let (old, new) = (c.old.clone().unwrap_or_default(), c.new.clone().unwrap_or_default());
            state_moves.entry(c.item_id.clone()).and_modify(|m| m.1 = new.clone()).or_insert((old, new));
            continue;
        }
        lines.entry((c.item_id.clone(), section)).or_insert(detail);
    }
    // A state journey is judged by where it started and where it ended.
    for (item, (from, to)) in state_moves {
        let probe = Change {
            at: since,
            item_id: item.clone(),
            target: None,
            direction: crate::store::Direction::Local,
            action: "updated".into(),
            field: Some("state".into()),
            old: Some(from),
            new: Some(to),
        };
        if let Some((section, detail)) = section_of(&probe) {
            lines.entry((item, section)).or_insert(detail);
        }
    }
    for (item, (published, imported)) in arrivals {
        let detail = new_detail(kinds.get(&item).copied(), &published, &imported);
        lines.insert((item, Section::New), detail);
    }
    let mut set = ChangeSet { since: stamp(since), ..ChangeSet::default() };
    for ((item, section), detail) in lines {
        let line = ChangeLine { title: titles.get(&item).cloned(), item, detail };
        match section {
            Section::New => set.new.push(line),
            Section::Done => set.done.push(line),
            Section::Moved => set.moved.push(line),
            Section::Removed => set.removed.push(line),
        }
    }
    // A removed item is listed as removed only; a new item that was also finished stays in both.
    let removed: Vec<String> = set.removed.iter().map(|l| l.item.clone()).collect();
    for list in [&mut set.new, &mut set.done, &mut set.moved] {
        list.retain(|l| !removed.contains(&l.item));
    }
    for list in [&mut set.new, &mut set.done, &mut set.moved, &mut set.removed] {
        list.sort_by(|a, b| id_cmp(&a.item, &b.item));
    }
    set.total = set.new.len() + set.done.len() + set.moved.len() + set.removed.len();
    set
}
