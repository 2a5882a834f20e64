//! The plan: a pure, deterministic (sorted) list of what one run changes, both directions,
//! computed from the canonical items, each target's links, what each target listed, and the
//! conflicts still open. `plan` and `--dry-run` print it; `apply` executes it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::merge::{FieldConflict, Newest, Policies, Settled, changes, merge3};
use crate::config::MaxRemovals;
use crate::mapping::FieldMap;
use crate::model::{ItemId, Kind, State};

/// A canonical item as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CanonicalItem {
    pub id: ItemId,
    pub kind: Kind,
    pub fields: FieldMap,
    /// When the file last changed, for `newest-wins`.
    pub modified: Option<DateTime<Utc>>,
}

/// An item as a remote listed it, already mapped to canonical fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteItem {
    pub remote_id: String,
    /// The kind its type label / work item type says; `None`: not a backlog item.
    pub kind: Option<Kind>,
    pub fields: FieldMap,
    /// The canonical id in its marker.
    pub marker: Option<ItemId>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One link as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkView {
    pub remote_id: String,
    pub base: FieldMap,
    /// Open manual conflicts: field → the remote value recorded when it was found.
    pub conflicts: BTreeMap<String, String>,
}

/// What one target contributes to a plan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetInput {
    pub name: String,
    pub links: BTreeMap<ItemId, LinkView>,
    /// Items listed in this run: the changed ones (incremental) or all of them (full).
    pub listed: BTreeMap<String, RemoteItem>,
    /// Linked remote items confirmed deleted.
    pub vanished: BTreeSet<String>,
}

/// Everything a plan is computed from.
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub items: Vec<CanonicalItem>,
    /// Ids of files that exist but cannot be read: left alone everywhere.
    pub unreadable: BTreeSet<ItemId>,
    pub targets: Vec<TargetInput>,
    pub policies: Policies,
    pub max_removals: MaxRemovals,
    pub allow_mass_removal: bool,
    /// The next free id of each kind.
    pub next_ids: BTreeMap<Kind, ItemId>,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Inbound: write remote changes into the canonical file.
    UpdateCanonical { id: ItemId, changes: FieldMap, from: Vec<String> },
    /// Inbound: an unlinked remote backlog item becomes a new canonical file.
    Import { target: String, remote_id: String, id: ItemId, kind: Kind, fields: FieldMap },
    /// Inbound: the linked remote item was deleted; the item is marked `removed`.
    MarkRemoved { target: String, id: ItemId, remote_id: String },
    /// A remote item carries this item's marker but is not linked (a create whose answer was lost).
    Adopt { target: String, id: ItemId, remote_id: String },
    /// Outbound: create the item remotely, stamped with its marker.
    CreateRemote { target: String, id: ItemId, kind: Kind, fields: FieldMap },
    /// Outbound: bring the remote item to `fields`; `changes` says which differ.
    UpdateRemote { target: String, id: ItemId, remote_id: String, kind: Kind, changes: FieldMap, fields: FieldMap },
    /// Outbound: the canonical file was deleted; close the remote item as removed.
    CloseRemote { target: String, id: ItemId, remote_id: String },
    /// Both sides agree on new values: only the stored base moves.
    Rebase { target: String, id: ItemId, base: FieldMap },
    /// The open manual conflicts of one link, replacing what was stored.
    Conflicts { target: String, id: ItemId, open: Vec<FieldConflict> },
}

impl Action {
    fn sort_key(&self) -> (u8, String, ItemId) {
        let (phase, target, id) = match self {
            Action::UpdateCanonical { id, .. } => (0, "", id),
            Action::Import { target, id, .. } => (1, target.as_str(), id),
            Action::MarkRemoved { target, id, .. } => (2, target.as_str(), id),
            Action::Adopt { target, id, .. } => (3, target.as_str(), id),
            Action::CreateRemote { target, id, kind, .. } => (4 + (*kind != Kind::Epic) as u8, target.as_str(), id),
            Action::UpdateRemote { target, id, .. } => (6, target.as_str(), id),
            Action::CloseRemote { target, id, .. } => (7, target.as_str(), id),
            Action::Rebase { target, id, .. } => (8, target.as_str(), id),
            Action::Conflicts { target, id, .. } => (9, target.as_str(), id),
        };
        (phase, target.to_string(), id.clone())
    }
}

/// A conflict found in this run, wherever it was settled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedConflict {
    pub target: String,
    pub id: ItemId,
    #[serde(flatten)]
    pub conflict: FieldConflict,
}

/// The plan of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub conflicts: Vec<PlannedConflict>,
    /// Closes and removals this plan makes, and the most it may make.
    pub removals: usize,
    pub removal_limit: usize,
    /// Set when the mass-removal guard stopped the run: then `actions` is empty.
    pub blocked: Option<String>,
}

impl Plan {
    /// Nothing to do but move bases: both sides already agree.
    pub fn is_empty(&self) -> bool {
        self.actions.iter().all(|a| matches!(a, Action::Rebase { .. }))
    }
}

/// Which is newer: the value held now (changed at `held`) or the remote's (changed at `remote`).
fn newest(held: Option<DateTime<Utc>>, remote: Option<DateTime<Utc>>) -> Option<Newest> {
    match (held, remote) {
        (Some(c), Some(r)) if r > c => Some(Newest::Remote),
        (Some(_), Some(_)) => Some(Newest::Canonical),
        _ => None,
    }
}

/// Computes the plan. Pure: the same input always gives the same, sorted, plan.
pub fn plan(input: &PlanInput) -> Plan {
    let mut out = Plan::default();
    let canonical: BTreeMap<&ItemId, &CanonicalItem> = input.items.iter().map(|i| (&i.id, i)).collect();
    let mut next_ids = input.next_ids.clone();
    let mut imported: Vec<(String, CanonicalItem)> = Vec::new();

    for t in &input.targets {
        let linked: BTreeSet<&str> = t.links.values().map(|l| l.remote_id.as_str()).collect();
        for r in t.listed.values() {
            let Some(kind) = r.kind else { continue };
            if linked.contains(r.remote_id.as_str()) || r.marker.is_some() {
                continue; // linked, or marked: adopted below or reported as an orphan by drift
            }
            let id = next_ids.get(&kind).cloned().unwrap_or_else(|| ItemId::new(kind.as_str(), 1));
            next_ids.insert(kind, ItemId::new(id.prefix(), id.number() + 1));
            let mut fields = r.fields.clone();
            fields.remove("epic");
            out.actions.push(Action::Import {
                target: t.name.clone(),
                remote_id: r.remote_id.clone(),
                id: id.clone(),
                kind,
                fields: fields.clone(),
            });
            imported.push((t.name.clone(), CanonicalItem { id, kind, fields, modified: None }));
        }
    }

    for item in &input.items {
        if input.unreadable.contains(&item.id) {
            continue;
        }
        plan_item(input, item, &mut out);
    }
    for (source, item) in &imported {
        for t in input.targets.iter().filter(|t| &t.name != source) {
            out.actions.push(Action::CreateRemote {
                target: t.name.clone(),
                id: item.id.clone(),
                kind: item.kind,
                fields: item.fields.clone(),
            });
        }
    }

    let mut total_links = 0;
    for t in &input.targets {
        total_links += t.links.len();
        for (id, link) in &t.links {
            if input.unreadable.contains(id) {
                continue;
            }
            let vanished = t.vanished.contains(&link.remote_id);
            match (canonical.get(id), vanished) {
                (None, false) => {
                    out.removals += 1;
                    out.actions.push(Action::CloseRemote {
                        target: t.name.clone(),
                        id: id.clone(),
                        remote_id: link.remote_id.clone(),
                    });
                }
                (Some(item), true) => {
                    if item.fields.get("state").map(String::as_str) != Some(State::Removed.as_str()) {
                        out.removals += 1;
                    }
                    out.actions.push(Action::MarkRemoved {
                        target: t.name.clone(),
                        id: id.clone(),
                        remote_id: link.remote_id.clone(),
                    });
                }
                _ => {}
            }
        }
    }
    out.removal_limit = input.max_removals.limit(total_links);
    if out.removals > out.removal_limit && !input.allow_mass_removal {
        out.blocked = Some(format!(
            "this run would close or remove {} items, more than `max_removals` allows ({} of {} linked); nothing was changed. \
             If that is intended, run again with `--allow-mass-removal`",
            out.removals, out.removal_limit, total_links
        ));
        out.actions.clear();
    }
    out.actions.sort_by_cached_key(Action::sort_key);
    out.conflicts.sort_by(|a, b| (&a.target, &a.id, &a.conflict.field).cmp(&(&b.target, &b.id, &b.conflict.field)));
    out
}

fn plan_item(input: &PlanInput, item: &CanonicalItem, out: &mut Plan) {
    // The common case, checked without copying anything: linked everywhere, nothing listed, no
    // open conflict, and the file still says what every target last agreed on.
    let quiet = input.targets.iter().all(|t| {
        t.links.get(&item.id).is_some_and(|link| {
            link.conflicts.is_empty()
                && link.base == item.fields
                && !t.listed.contains_key(&link.remote_id)
                && !t.vanished.contains(&link.remote_id)
        })
    });
    if quiet {
        return;
    }
    let mut merged = item.fields.clone();
    let mut from = Vec::new();
    let mut held: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut remote_view: BTreeMap<&str, FieldMap> = BTreeMap::new();
    // When each merged value was last changed: the file's time, or the time of the target it was
    // taken from — so that `newest-wins` between two targets compares their edits.
    let mut changed_at: BTreeMap<String, Option<DateTime<Utc>>> =
        item.fields.keys().map(|f| (f.clone(), item.modified)).collect();
    for t in &input.targets {
        let Some(link) = t.links.get(&item.id) else { continue };
        if t.vanished.contains(&link.remote_id) {
            continue;
        }
        let listed = t.listed.get(&link.remote_id);
        // What the remote holds now: the listing, or else the base (unchanged since we last wrote)
        // with the remote side of any open conflict.
        let mut view = link.base.clone();
        match listed {
            Some(r) => view.extend(r.fields.clone()),
            None => view.extend(link.conflicts.clone()),
        }
        let remote_time = listed.and_then(|r| r.updated_at);
        let which = |field: &str| listed.and_then(|_| newest(changed_at.get(field).copied().flatten(), remote_time));
        let m = merge3(&link.base, &merged, &view, &input.policies, &which);
        if m.fields != merged {
            from.push(t.name.clone());
            for (f, v) in &m.fields {
                if merged.get(f) != Some(v) {
                    changed_at.insert(f.clone(), remote_time);
                }
            }
        }
        for c in &m.conflicts {
            out.conflicts.push(PlannedConflict { target: t.name.clone(), id: item.id.clone(), conflict: c.clone() });
        }
        if !m.held.is_empty() || !link.conflicts.is_empty() {
            let open = m.conflicts.iter().filter(|c| c.settled == Settled::Manual).cloned().collect();
            out.actions.push(Action::Conflicts { target: t.name.clone(), id: item.id.clone(), open });
        }
        merged = m.fields;
        held.insert(&t.name, m.held);
        remote_view.insert(&t.name, view);
    }
    let inbound = changes(&item.fields, &merged, &BTreeSet::new());
    if !inbound.is_empty() {
        out.actions.push(Action::UpdateCanonical { id: item.id.clone(), changes: inbound, from });
    }
    for t in &input.targets {
        match t.links.get(&item.id) {
            Some(link) if t.vanished.contains(&link.remote_id) => {}
            Some(link) => {
                let held = held.remove(t.name.as_str()).unwrap_or_default();
                let view = &remote_view[t.name.as_str()];
                let outbound = changes(view, &merged, &held);
                let mut new_base = merged.clone();
                for f in &held {
                    new_base.insert(f.clone(), link.base.get(f).cloned().unwrap_or_default());
                }
                if !outbound.is_empty() {
                    // The remote gets the merged fields, except held ones, which keep its own value.
                    let mut desired = merged.clone();
                    for f in &held {
                        if let Some(v) = view.get(f) {
                            desired.insert(f.clone(), v.clone());
                        }
                    }
                    out.actions.push(Action::UpdateRemote {
                        target: t.name.clone(),
                        id: item.id.clone(),
                        remote_id: link.remote_id.clone(),
                        kind: item.kind,
                        changes: outbound,
                        fields: desired,
                    });
                } else if new_base != link.base {
                    out.actions.push(Action::Rebase { target: t.name.clone(), id: item.id.clone(), base: new_base });
                }
            }
            None => {
                let marked = t.listed.values().find(|r| {
                    r.marker.as_ref() == Some(&item.id) && !t.links.values().any(|l| l.remote_id == r.remote_id)
                });
                if let Some(r) = marked {
                    // A create whose answer was lost: link it, then finish what the create began.
                    out.actions.push(Action::Adopt {
                        target: t.name.clone(),
                        id: item.id.clone(),
                        remote_id: r.remote_id.clone(),
                    });
                    let outbound = changes(&r.fields, &merged, &BTreeSet::new());
                    if !outbound.is_empty() {
                        out.actions.push(Action::UpdateRemote {
                            target: t.name.clone(),
                            id: item.id.clone(),
                            remote_id: r.remote_id.clone(),
                            kind: item.kind,
                            changes: outbound,
                            fields: merged.clone(),
                        });
                    }
                } else if merged.get("state").map(String::as_str) != Some(State::Removed.as_str()) {
                    out.actions.push(Action::CreateRemote {
                        target: t.name.clone(),
                        id: item.id.clone(),
                        kind: item.kind,
                        fields: merged.clone(),
                    });
                }
            }
        }
    }
}
