//! The plan: a pure, deterministic (sorted) list of what one run changes, both directions,
//! computed from the canonical items, each target's links, what each target listed, and the
//! conflicts still open. `plan` and `--dry-run` print it; `apply` executes it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::manual;
use super::merge::{FieldConflict, Newest, Policies, Settled, changes, merge_unbased, merge3};
use crate::backlog::item_file::first_paragraph;
use crate::config::MaxRemovals;
use crate::mapping::FieldMap;
use crate::model::{ItemId, Kind, State, sentence};

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
    /// The file's owner when the link was saved (see `store::Link::file_owner`); `None`: not known.
    pub file_owner: Option<String>,
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
    /// Per item, the fields this target cannot carry now (an owner with no identity here): never
    /// taken from nor pushed to it, and their base stays what the target last showed.
    pub uncarried: BTreeMap<ItemId, BTreeSet<String>>,
    /// Items whose create this target began (an intent is recorded), with the fields the create
    /// sent: one found by its marker is our own create, merged over what it sent (so an edit a
    /// person made there since reads as a remote edit); any other is found with no base.
    pub creating: BTreeMap<ItemId, FieldMap>,
    /// What this target fills in on a create that sent a field empty (Boards: priority 2).
    pub create_defaults: FieldMap,
    /// Of `creating`, the creates whose first request set the state they sent (GitHub's open
    /// states): a different state on the item found by its marker is a person's edit.
    pub state_sent: BTreeSet<ItemId>,
    /// Of `creating`, the states each create may show before its later request sets the one it
    /// sent (Boards: its first state); absent: not known, any state shown is the create's.
    pub created_states: BTreeMap<ItemId, BTreeSet<String>>,
    /// When each linked item's link here was last saved: a file written after it may have
    /// changed any field since, its owner included.
    pub synced_at: BTreeMap<ItemId, DateTime<Utc>>,
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
    /// A remote item carries this item's marker but is not linked (a create whose answer was
    /// lost, or the sync state was lost); `base` is stored with the link.
    Adopt { target: String, id: ItemId, remote_id: String, base: FieldMap },
    /// Outbound: create the item remotely, stamped with its marker.
    CreateRemote { target: String, id: ItemId, kind: Kind, fields: FieldMap },
    /// Outbound: bring the remote item to `fields`; `changes` says which differ. `held_base`: the
    /// base of fields left alone (a manual conflict, a field the target cannot carry), stored
    /// as given instead of what the remote reads back.
    UpdateRemote {
        target: String,
        id: ItemId,
        remote_id: String,
        kind: Kind,
        changes: FieldMap,
        fields: FieldMap,
        #[serde(skip_serializing_if = "FieldMap::is_empty", default)]
        held_base: FieldMap,
    },
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

/// Fills an imported story's empty persona / activity / benefit from a sentence in its title or
/// the first paragraph of its description, as the reader would: so that the file holds them as
/// keys and every target gets them in the import's own run.
fn derive_sentence(kind: Kind, fields: &mut FieldMap) {
    let parts = ["persona", "activity", "benefit"];
    if kind != Kind::Story || parts.iter().all(|p| fields.get(*p).is_some_and(|v| !v.is_empty())) {
        return;
    }
    let title = fields.get("title").cloned().unwrap_or_default();
    let paragraph = first_paragraph(fields.get("description").map(String::as_str).unwrap_or(""));
    for text in [title, paragraph] {
        let Some(found) = sentence::parse(&text) else { continue };
        if found.persona.is_none() && found.activity.is_none() {
            continue;
        }
        for (field, part) in parts.into_iter().zip([found.persona, found.activity, found.benefit]) {
            if let Some(part) = part
                && fields.get(field).is_none_or(|v| v.is_empty())
            {
                fields.insert(field.to_string(), part);
            }
        }
        return;
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
            derive_sentence(kind, &mut fields);
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

    // Items this run marks removed (deleted or closed as not planned remotely): the guard counts
    // each once, with every link this run closes.
    let mut removed: BTreeSet<ItemId> = BTreeSet::new();
    for item in &input.items {
        if input.unreadable.contains(&item.id) {
            continue;
        }
        plan_item(input, item, &mut out, &mut removed);
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

    // The guard weighs removals against every link the run holds, those it finds again by their
    // marker (after `state.db` was lost, or a create whose answer was lost) included: a run that
    // finds every item again holds no stored link, and weighed against none, two removals would
    // stop it whatever `max_removals` allows, and every run after it the same way, since a
    // stopped run saves no link (finding 60).
    let mut total_links = out.actions.iter().filter(|a| matches!(a, Action::Adopt { .. })).count();
    let mut closes = 0;
    for t in &input.targets {
        total_links += t.links.len();
        for (id, link) in &t.links {
            if input.unreadable.contains(id) {
                continue;
            }
            let vanished = t.vanished.contains(&link.remote_id);
            match (canonical.get(id), vanished) {
                (None, false) => {
                    closes += 1;
                    out.actions.push(Action::CloseRemote {
                        target: t.name.clone(),
                        id: id.clone(),
                        remote_id: link.remote_id.clone(),
                    });
                }
                (Some(item), true) => {
                    if item.fields.get("state").map(String::as_str) != Some(State::Removed.as_str()) {
                        removed.insert(id.clone());
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
    super::relink::under_created_epics(input, &mut out.actions);
    super::relink::unsendable_parents(input, &mut out.actions);
    out.removals = closes + removed.len();
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

/// One target's side of an item in this run.
struct Side<'a> {
    target: &'a TargetInput,
    remote_id: &'a str,
    /// `None`: found by its marker with no link (and so no base).
    link: Option<&'a LinkView>,
    listed: Option<&'a RemoteItem>,
    /// What the remote holds now.
    view: FieldMap,
}

impl Side<'_> {
    fn base(&self, field: &str) -> Option<&String> {
        self.link.and_then(|l| l.base.get(field))
    }
}

/// A story whose sentence came from its title (or its description), retitled (or the description
/// replaced) in the file: the text no longer holds the sentence, so persona / activity / benefit
/// read empty. They were not erased by anyone — they keep what the targets last agreed on (or,
/// for a link found again with no base after the state was lost, what the target holds), and go
/// into the file as keys.
fn kept_sentence(item: &CanonicalItem, sides: &[Side<'_>]) -> FieldMap {
    let mut out = FieldMap::new();
    if item.kind != Kind::Story {
        return out;
    }
    let get = |m: &FieldMap, f: &str| m.get(f).cloned().unwrap_or_default();
    for base in sides.iter().map(|s| s.link.map_or(&s.view, |l| &l.base)) {
        // A sentence the first paragraph of the description held, that paragraph replaced in the
        // file: the README's rule covers a body as it does a title (finding 48).
        let old_description = get(base, "description");
        if old_description != get(&item.fields, "description")
            && let Some(said) = sentence::parse(&first_paragraph(&old_description))
        {
            for (field, part) in [("persona", said.persona), ("activity", said.activity), ("benefit", said.benefit)] {
                let before = get(base, field);
                if get(&item.fields, field).is_empty() && !before.is_empty() && part.as_deref() == Some(before.as_str())
                {
                    out.insert(field.to_string(), before);
                }
            }
            if !out.is_empty() {
                break;
            }
        }
        let old_title = get(base, "title");
        if old_title == get(&item.fields, "title") {
            continue;
        }
        // No title is empty: an empty base title is unknown (in conflict when the link was found
        // again with no base). The sentence the base holds is what the sides last agreed on; a
        // retitle that empties it in the file keeps it (finding 45).
        if old_title.is_empty() {
            for field in ["persona", "activity", "benefit"] {
                let before = get(base, field);
                if get(&item.fields, field).is_empty() && !before.is_empty() {
                    out.insert(field.to_string(), before);
                }
            }
            if !out.is_empty() {
                break;
            }
            continue;
        }
        let Some(said) = sentence::parse(&old_title) else { continue };
        for (field, part) in [("persona", said.persona), ("activity", said.activity), ("benefit", said.benefit)] {
            let before = get(base, field);
            if get(&item.fields, field).is_empty() && !before.is_empty() && part.as_deref() == Some(before.as_str()) {
                out.insert(field.to_string(), before);
            }
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}

/// The base of a create found by its marker: what it sent, except what a create sets in a later
/// request, which a kill or a lost answer may have cut off — GitHub links a sub-issue and closes
/// an issue after creating it, Boards moves a state past the first one at the end of the run. A
/// parent it shows none of, or a state other than the one sent, is then not known to be a
/// person's edit: the base is what it shows, and the file's value goes out (as before the fields
/// were kept). A different parent is a person's edit, and so is a different state when the create
/// set the state in its first request (`state_sent`), or a state the create cannot have left
/// (`created`: neither sent nor one it starts in, e.g. Boards' "closed" when its first state is
/// "new"; finding 66). Likewise a default the target fills in on a
/// create that sent the field empty (`defaults`: Boards gives every new work item priority 2, and
/// the create's later request clears it): showing exactly it is no person's edit, and the file's
/// "no priority" goes out. A target that fills nothing in (GitHub) showing a value is an edit.
fn sent_base(
    sent: &FieldMap,
    view: &FieldMap,
    state_sent: bool,
    created: Option<&BTreeSet<String>>,
    defaults: &FieldMap,
) -> FieldMap {
    let mut base = sent.clone();
    for field in ["epic", "state"] {
        let Some(shown) = view.get(field) else { continue };
        let left_by_create = created.is_none_or(|c| c.contains(shown));
        if (field == "state" && !state_sent && left_by_create) || (field == "epic" && shown.is_empty()) {
            base.insert(field.into(), shown.clone());
        }
    }
    for (field, default) in defaults.iter() {
        let sent_empty = sent.get(field).is_none_or(|v| v.is_empty());
        if sent_empty && view.get(field) == Some(default) {
            base.insert(field.clone(), default.clone());
        }
    }
    base
}

/// A link's base as the merge weighs it. The base of an owner held on a target (one it could not
/// carry, one kept in a conflict) is what the target showed, not the file's owner; when the file's
/// owner has since changed to exactly that person, it is still the file's edit: it is weighed from
/// the owner the file held when the link was saved, so that a change on the target meets it as a
/// conflict instead of being taken as the only change (finding 34). A target that still shows its
/// base agrees with the file. One that shows the file's owner of then changed too (from what it
/// held): nothing tells which edit came later, so the base is unknown ("") and the two meet as a
/// conflict.
fn owner_given_back(link: &LinkView, file: &FieldMap, view: &FieldMap) -> FieldMap {
    let mut base = link.base.clone();
    let now = file.get("owner").map_or("", String::as_str);
    if let (Some(then), Some(held)) = (&link.file_owner, link.base.get("owner"))
        && then != held
        && now != then
        && now == held
    {
        let from = if view.get("owner") == Some(then) { String::new() } else { then.clone() };
        base.insert("owner".into(), from);
    }
    base
}

fn plan_item(input: &PlanInput, item: &CanonicalItem, out: &mut Plan, removed: &mut BTreeSet<ItemId>) {
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
    let mut sides: Vec<Side<'_>> = Vec::new();
    let mut vanished = false;
    for t in &input.targets {
        match t.links.get(&item.id) {
            Some(link) if t.vanished.contains(&link.remote_id) => vanished = true,
            Some(link) => {
                let listed = t.listed.get(&link.remote_id);
                // What the remote holds now: the listing, or else the base (unchanged since we
                // last wrote) with the remote side of any open conflict.
                let mut view = link.base.clone();
                match listed {
                    Some(r) => view.extend(r.fields.clone()),
                    None => view.extend(link.conflicts.clone()),
                }
                sides.push(Side { target: t, remote_id: &link.remote_id, link: Some(link), listed, view });
            }
            None => {
                let marked = t.listed.values().find(|r| {
                    r.marker.as_ref() == Some(&item.id) && !t.links.values().any(|l| l.remote_id == r.remote_id)
                });
                if let Some(r) = marked {
                    sides.push(Side {
                        target: t,
                        remote_id: &r.remote_id,
                        link: None,
                        listed: Some(r),
                        view: r.fields.clone(),
                    });
                }
            }
        }
    }
    let kept = kept_sentence(item, &sides);
    let mut merged = item.fields.clone();
    merged.extend(kept);
    // What each side last agreed on with the file: its link's base; for our own create found by
    // its marker, what the create sent (an intent recorded before the fields were kept, empty:
    // what it holds came from the file); unknown for a link found again with no base.
    let bases: Vec<Option<FieldMap>> = sides
        .iter()
        .map(|side| match side.link {
            Some(link) => Some(owner_given_back(link, &item.fields, &side.view)),
            None => match side.target.creating.get(&item.id) {
                Some(sent) if !sent.is_empty() => Some(sent_base(
                    sent,
                    &side.view,
                    side.target.state_sent.contains(&item.id),
                    side.target.created_states.get(&item.id),
                    &side.target.create_defaults,
                )),
                Some(_) => Some(side.view.clone()),
                None => None,
            },
        })
        .collect();
    let seen: Vec<manual::Seen<'_>> = sides
        .iter()
        .zip(&bases)
        .map(|(side, base)| manual::Seen {
            target: &side.target.name,
            view: &side.view,
            base: base.as_ref(),
            open: side.link.map(|l| &l.conflicts),
            uncarried: side.target.uncarried.get(&item.id),
        })
        .collect();
    // Under `manual`, a field in conflict anywhere is taken from no target: the file keeps its
    // value and every target that changed it keeps its own, each named by a conflict.
    let contested = manual::in_conflict(&input.policies, &merged, &seen);
    let was_removed = item.fields.get("state").map(String::as_str) == Some(State::Removed.as_str());
    let deleted_elsewhere = vanished && !was_removed;
    let canonical_before = merged.clone();
    let mut from = Vec::new();
    let mut held: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    // When each merged value was last changed: the file's time, or the time of the target it was
    // taken from — so that `newest-wins` between two targets compares their edits.
    let mut changed_at: BTreeMap<String, Option<DateTime<Utc>>> =
        item.fields.keys().map(|f| (f.clone(), item.modified)).collect();
    let mut taken_owner = false;
    let mut owner_in_conflict: BTreeSet<&str> = BTreeSet::new();
    // Targets where an owner they cannot carry was weighed against a person's assignment there
    // and settled: the assignee they show is the base from now on (settled, not a new edit).
    let mut owner_settled: BTreeSet<&str> = BTreeSet::new();
    for (side, base) in sides.iter().zip(&bases) {
        let t = side.target;
        let listed = side.listed;
        let uncarried = t.uncarried.get(&item.id);
        // Fields this target cannot carry, and those in conflict, say nothing to the merge; except
        // a person assigned there since the base (the file's owner is one it cannot carry): a
        // person's edit, taken as the only change (the file's owner could not reach it) — unless
        // the file was written since the link was saved (its owner may be an edit too) or that
        // conflict is open here: then the two are merged over the base, and a difference is a
        // conflict the policy settles (finding 31).
        let mut seen = side.view.clone();
        let mut base = base.clone();
        let assigned = |f: &str| {
            f == "owner"
                && !contested.contains_key(f)
                && (side.listed.is_some_and(|r| r.fields.get(f).is_some_and(|o| !o.is_empty()))
                    // Not listed this run, with the conflict still open: the person it names is
                    // still assigned there (finding 73).
                    || side.link.is_some_and(|l| l.conflicts.get(f).is_some_and(|o| !o.is_empty())))
                && side.view.get(f) != side.base(f)
        };
        let file_newer = item.modified.zip(t.synced_at.get(&item.id)).is_some_and(|(m, s)| m > *s);
        let mut weighed = false;
        for f in uncarried.into_iter().flatten().chain(contested.keys()) {
            if side.link.is_some() && assigned(f) {
                if file_newer || side.link.is_some_and(|l| l.conflicts.contains_key(f)) {
                    weighed = true;
                    continue;
                }
                if let Some(base) = base.as_mut() {
                    base.insert(f.clone(), merged.get(f).cloned().unwrap_or_default());
                }
                taken_owner = true;
                continue;
            }
            match base.as_ref().and_then(|b| b.get(f)) {
                Some(b) => seen.insert(f.clone(), b.clone()),
                None => seen.remove(f),
            };
        }
        let remote_time = listed.and_then(|r| r.updated_at);
        let which = |field: &str| listed.and_then(|_| newest(changed_at.get(field).copied().flatten(), remote_time));
        // Our own create whose answer was lost holds what the create sent: any field that
        // differs from that now was changed there since.
        let mut m = match &base {
            Some(base) => merge3(base, &merged, &seen, &input.policies, &which),
            None => merge_unbased(&merged, &seen, &input.policies, &which),
        };
        for (field, values) in &contested {
            let Some(value) = values.get(&t.name) else { continue };
            m.held.insert(field.clone());
            let others = values.iter().filter(|(n, _)| **n != t.name).map(|(n, v)| (n.clone(), v.clone())).collect();
            m.conflicts.push(FieldConflict {
                field: field.clone(),
                base: base.as_ref().and_then(|b| b.get(field)).cloned().unwrap_or_default(),
                canonical: canonical_before[field].clone(),
                remote: value.clone(),
                policy: crate::config::ConflictPolicy::Manual,
                settled: Settled::Manual,
                others,
            });
        }
        // Deleted on another target, the item is marked `removed` in this run everywhere: the
        // deletion settles its state, so no target's state is held in conflict against the
        // file's, which the run then replaces (finding 71).
        if deleted_elsewhere {
            m.held.remove("state");
            m.conflicts.retain(|c| c.field != "state");
        }
        if weighed {
            taken_owner |= m.fields.get("owner") != merged.get("owner");
            if m.conflicts.iter().any(|c| c.field == "owner" && c.settled != Settled::Manual) {
                owner_settled.insert(t.name.as_str());
            }
        }
        if m.fields != merged {
            from.push(t.name.clone());
            for (f, v) in &m.fields {
                if merged.get(f) != Some(v) {
                    changed_at.insert(f.clone(), remote_time);
                }
            }
        }
        // A link found again with no base showing a person where the file names an owner this
        // target cannot carry: nothing tells whether that person was assigned before or since, so
        // it is a conflict, settled for the file (the target keeps its assignee).
        if base.is_none()
            && uncarried.is_some_and(|u| u.contains("owner"))
            && let Some(theirs) = side.view.get("owner").filter(|o| !o.is_empty())
            && merged.get("owner").is_some_and(|o| o != theirs)
        {
            m.conflicts.push(FieldConflict {
                field: "owner".into(),
                base: String::new(),
                canonical: merged["owner"].clone(),
                remote: theirs.clone(),
                policy: input.policies.for_field("owner"),
                settled: Settled::Canonical,
                others: BTreeMap::new(),
            });
        }
        for c in &m.conflicts {
            out.conflicts.push(PlannedConflict { target: t.name.clone(), id: item.id.clone(), conflict: c.clone() });
        }
        let stored = side.link.is_some_and(|l| !l.conflicts.is_empty());
        if !m.held.is_empty() || stored {
            let open = m.conflicts.iter().filter(|c| c.settled == Settled::Manual).cloned().collect();
            out.actions.push(Action::Conflicts { target: t.name.clone(), id: item.id.clone(), open });
        }
        merged = m.fields;
        if m.held.contains("owner") {
            owner_in_conflict.insert(t.name.as_str());
        }
        let mut kept = m.held;
        kept.extend(uncarried.into_iter().flatten().cloned());
        held.insert(&t.name, kept);
    }
    // An owner taken from a person's assignment on a target replaces the one the targets could
    // not carry: it goes to every target (one that cannot carry it either leaves it alone).
    if taken_owner && merged.get("owner") != item.fields.get("owner") {
        for (_, kept) in held.iter_mut().filter(|(name, _)| !owner_in_conflict.contains(*name)) {
            kept.remove("owner");
        }
    }
    // A deletion on one target reaches the others in the same run; the file is marked by
    // `MarkRemoved`.
    if deleted_elsewhere {
        merged.insert("state".into(), State::Removed.as_str().into());
    }
    if !was_removed && merged.get("state").map(String::as_str) == Some(State::Removed.as_str()) && !vanished {
        let by_file = item.fields.get("state") == merged.get("state");
        if !by_file {
            removed.insert(item.id.clone());
        }
    }
    let mut inbound = changes(&item.fields, &merged, &BTreeSet::new());
    if vanished {
        inbound.remove("state");
    }
    if !inbound.is_empty() {
        out.actions.push(Action::UpdateCanonical { id: item.id.clone(), changes: inbound, from });
    }
    for side in &sides {
        let t = side.target;
        let held = held.remove(t.name.as_str()).unwrap_or_default();
        let view = &side.view;
        let outbound = changes(view, &merged, &held);
        // Held fields keep the base they had (none for a link found again: unknown, so empty);
        // except a field this target cannot carry, whose base is what the target shows now, so
        // that only a later change there reads as a person's edit (a person the item was
        // assigned before the state was lost is no edit).
        let uncarried = t.uncarried.get(&item.id);
        let settled = owner_settled.contains(t.name.as_str());
        let held_base: FieldMap = held
            .iter()
            .map(|f| {
                let shown = || side.view.get(f).filter(|_| uncarried.is_some_and(|u| u.contains(f)));
                let value = match settled && f == "owner" {
                    true => shown().or_else(|| side.base(f)),
                    false => side.base(f).or_else(shown),
                };
                (f.clone(), value.cloned().unwrap_or_default())
            })
            .collect();
        let mut new_base = merged.clone();
        new_base.extend(held_base.clone());
        // The remote gets the merged fields, except held ones, which keep its own value.
        let mut desired = merged.clone();
        for f in &held {
            if let Some(v) = view.get(f) {
                desired.insert(f.clone(), v.clone());
            }
        }
        let update = Action::UpdateRemote {
            target: t.name.clone(),
            id: item.id.clone(),
            remote_id: side.remote_id.to_string(),
            kind: item.kind,
            changes: outbound.clone(),
            fields: desired,
            held_base: held_base.clone(),
        };
        match side.link {
            Some(link) => {
                // A base whose owner is held (not the file's) keeps beside it the file's owner
                // then: a link saved before the file changed its owner is saved again.
                let owner = |m: &FieldMap| m.get("owner").cloned().unwrap_or_default();
                let record_owner =
                    owner(&new_base) != owner(&merged) && link.file_owner.as_ref() != Some(&owner(&merged));
                // A create still open (its finishing write may have landed without its answer)
                // read showing what it sent is saved as read: its revision and base (finding 57).
                let finished = side.listed.is_some()
                    && t.creating.get(&item.id).is_some_and(|sent| sent.keys().all(|f| view.get(f) == new_base.get(f)));
                if !outbound.is_empty() {
                    out.actions.push(update);
                } else if new_base != link.base || record_owner || finished {
                    out.actions.push(Action::Rebase { target: t.name.clone(), id: item.id.clone(), base: new_base });
                }
            }
            None => {
                // Found by its marker (a create whose answer was lost, or the state was lost):
                // link it, then finish what the create began.
                let mut base = view.clone();
                base.extend(held_base);
                out.actions.push(Action::Adopt {
                    target: t.name.clone(),
                    id: item.id.clone(),
                    remote_id: side.remote_id.to_string(),
                    base,
                });
                if !outbound.is_empty() {
                    out.actions.push(update);
                }
            }
        }
    }
    let adopted: BTreeSet<&str> = sides.iter().map(|s| s.target.name.as_str()).collect();
    for t in &input.targets {
        if t.links.contains_key(&item.id) || adopted.contains(t.name.as_str()) {
            continue;
        }
        if merged.get("state").map(String::as_str) != Some(State::Removed.as_str()) {
            out.actions.push(Action::CreateRemote {
                target: t.name.clone(),
                id: item.id.clone(),
                kind: item.kind,
                fields: merged.clone(),
            });
        }
    }
}
