//! Writes to work items. Create and update run a JSON Patch document against a draft, apply the
//! rules and the link checks, and save nothing unless everything passes; every saved change is a
//! new revision (of the item, and of the items at the other ends of changed links). Also delete to
//! the recycle bin, restore and destroy.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::comments;
use super::draft::{Context, Draft};
use super::errors::AzureError;
use super::fields::{format_date, parse_date};
use super::identity::Identity;
use super::links::{self, Plan};
use super::patch::PatchOp;
use super::relations;
use super::rules::{self, RuleContext};
use super::store::{Deletion, Relation, Snapshot, Store, WorkItem};

/// Who writes, and how.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// The writer.
    pub actor: Identity,
    /// `?bypassRules=true`: system fields writable, state and identity rules relaxed.
    pub bypass_rules: bool,
    /// `?validateOnly=true`: check everything, save nothing.
    pub validate_only: bool,
}

/// Something that happened to a work item (service hooks are built from these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A work item was created (revision 1).
    Created { id: i64 },
    /// A work item got revision `rev`.
    Updated { id: i64, rev: u32 },
    /// A work item went to the recycle bin (or was destroyed).
    Deleted { id: i64 },
    /// A work item came back from the recycle bin.
    Restored { id: i64 },
    /// A comment was added (in revision `rev`).
    Commented { id: i64, comment_id: i64, rev: u32 },
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOutcome {
    /// The work item written.
    pub id: i64,
    /// Whether anything was saved (no for `validateOnly` and for writes that change nothing).
    pub saved: bool,
    /// What happened, in order.
    pub events: Vec<Event>,
}

/// Creates a work item of `type_name` in `project` from a JSON Patch document.
pub fn create(
    store: &mut Store,
    project: &str,
    type_name: &str,
    ops: &[PatchOp],
    options: &WriteOptions,
) -> Result<WriteOutcome, AzureError> {
    let project = store.project(project)?.clone();
    let ty = project
        .process
        .find_type(type_name)
        .ok_or_else(|| AzureError::WorkItemTypeNotFound { name: type_name.to_string() })?;
    let id = store.next_id;
    let mut snapshot = Snapshot::default();
    snapshot.fields.insert("System.WorkItemType".into(), json!(ty.name));
    let draft = Draft { id, snapshot, written: BTreeSet::new() };
    save(store, draft, None, project.name.clone(), ops, options)
}

/// Updates work item `id` (optionally required to be in `project`) from a JSON Patch document.
pub fn update(
    store: &mut Store,
    id: i64,
    project: Option<&str>,
    ops: &[PatchOp],
    options: &WriteOptions,
) -> Result<WriteOutcome, AzureError> {
    let scope = project.map(|p| store.project(p).cloned()).transpose()?;
    let item = store.live(id, scope.as_ref())?;
    let mut previous = item.current().clone();
    // Links to work items in the recycle bin are hidden: a client sees, addresses (by index)
    // and checks against the visible ones only. The hidden ones are kept for a restore.
    let (visible, hidden): (Vec<Relation>, Vec<Relation>) =
        previous.relations.iter().cloned().partition(|r| r.target_id().is_none_or(|t| store.live(t, None).is_ok()));
    previous.relations = visible;
    let mut snapshot = previous.clone();
    snapshot.fields.remove("System.History");
    snapshot.comment = None;
    let draft = Draft { id, snapshot, written: BTreeSet::new() };
    let home = item.project.clone();
    save(store, draft, Some((previous, hidden)), home, ops, options)
}

/// Puts the hidden links (to items in the recycle bin) back after a write, except one the write
/// replaced: a new parent replaces a hidden one, so a restore never gives an item two parents.
fn keep_hidden(relations: &mut Vec<Relation>, hidden: Vec<Relation>) {
    let has_parent = links::parent_of(relations).is_some();
    for h in hidden {
        let again = relations.iter().any(|r| r.rel == h.rel && r.url.eq_ignore_ascii_case(&h.url));
        let replaced = has_parent && h.rel == relations::PARENT;
        if !again && !replaced {
            relations.push(h);
        }
    }
}

fn save(
    store: &mut Store,
    mut draft: Draft,
    previous: Option<(Snapshot, Vec<Relation>)>,
    home: String,
    ops: &[PatchOp],
    options: &WriteOptions,
) -> Result<WriteOutcome, AzureError> {
    let id = draft.id;
    let (previous, hidden) = previous.map_or((None, Vec::new()), |(p, h)| (Some(p), h));
    let now = store.clock.now();
    let mut people = store.people.clone();
    let actor = people.register(options.actor.clone()).to_ref(&store.base_url);
    let mut next_resource_id = store.next_resource_id;
    let mut ctx = Context {
        people: &mut people,
        bypass_rules: options.bypass_rules,
        now,
        base_url: &store.base_url,
        next_resource_id: &mut next_resource_id,
    };
    for op in ops {
        draft.apply(op, &mut ctx)?;
    }
    let destination = if draft.written.contains("System.TeamProject") {
        store.project(&draft.snapshot.text("System.TeamProject"))?.clone()
    } else {
        store.project(&home)?.clone()
    };
    let iterations = store.iterations.clone();
    let rule_ctx = RuleContext {
        process: destination.process,
        project: &destination.name,
        now,
        actor: &actor,
        bypass_rules: options.bypass_rules,
        iterations: &iterations,
    };
    rules::settle(&mut draft, previous.as_ref(), &rule_ctx)?;
    let before = previous.as_ref().map(|p| p.relations.as_slice()).unwrap_or_default();
    let plan = links::plan(store, id, before, &draft.snapshot.relations, now)?;
    check_dates(&draft, previous.as_ref(), now)?;
    let history = draft.snapshot.text("System.History");
    if let Some(previous) = &previous
        && history.is_empty()
        && unchanged(previous, &draft.snapshot)
    {
        return Ok(WriteOutcome { id, saved: false, events: Vec::new() });
    }
    if options.validate_only {
        return Ok(WriteOutcome { id, saved: false, events: Vec::new() });
    }

    store.people = people;
    store.next_resource_id = next_resource_id;
    let mut events = Vec::new();
    let mut comment_id = None;
    if !history.is_empty() {
        let markdown = draft.snapshot.markdown.contains("System.History");
        let stamp = if draft.written.contains("System.ChangedDate") {
            parse_date(&draft.snapshot.text("System.ChangedDate")).unwrap_or(now)
        } else {
            now
        };
        let (reference, count) = comments::record(store, id, &history, markdown, &options.actor, stamp);
        comment_id = Some(reference.comment_id);
        draft.snapshot.comment = Some(reference);
        draft.snapshot.fields.insert("System.CommentCount".into(), json!(count));
    }
    if previous.is_none() {
        store.next_id += 1;
        store
            .items
            .insert(id, WorkItem { id, project: destination.name.clone(), revisions: Vec::new(), deleted: None });
    }
    keep_hidden(&mut draft.snapshot.relations, hidden);
    let rev = push_revision(store, id, draft.snapshot, &actor, now, &draft.written);
    if let Some(item) = store.items.get_mut(&id) {
        item.project = destination.name.clone();
    }
    events.push(if rev == 1 { Event::Created { id } } else { Event::Updated { id, rev } });
    if let Some(comment_id) = comment_id {
        events.push(Event::Commented { id, comment_id, rev });
    }
    let stamp = store.items[&id].current().changed_date();
    events.extend(apply_plan(store, id, &plan, &actor, stamp));
    Ok(WriteOutcome { id, saved: true, events })
}

fn unchanged(previous: &Snapshot, draft: &Snapshot) -> bool {
    let volatile = |k: &&String| !matches!(k.as_str(), "System.History");
    let a: Vec<_> = previous.fields.iter().filter(|(k, _)| volatile(k)).collect();
    let b: Vec<_> = draft.fields.iter().filter(|(k, _)| volatile(k)).collect();
    a == b && previous.relations == draft.relations && previous.markdown == draft.markdown
}

fn check_dates(draft: &Draft, previous: Option<&Snapshot>, now: DateTime<Utc>) -> Result<(), AzureError> {
    if !draft.written.contains("System.ChangedDate") {
        return Ok(());
    }
    let Some(at) = parse_date(&draft.snapshot.text("System.ChangedDate")) else {
        return Ok(());
    };
    if at > now {
        return Err(AzureError::DateInFuture);
    }
    if previous.is_some_and(|p| at <= p.changed_date()) {
        return Err(AzureError::DatesNotIncreasing);
    }
    Ok(())
}

/// Revises the other ends of changed links, dated with the writer's revision (or just after the
/// target's last one, so dates keep increasing).
fn apply_plan(store: &mut Store, source: i64, plan: &Plan, actor: &Value, stamp: DateTime<Utc>) -> Vec<Event> {
    let source_url = store.work_item_url(source);
    let dated = BTreeSet::from(["System.ChangedDate".to_string()]);
    let mut events = Vec::new();
    for (target, changes) in plan {
        let Some(item) = store.items.get(target) else {
            continue;
        };
        let mut snapshot = item.current().clone();
        let at = stamp.max(snapshot.changed_date() + chrono::Duration::milliseconds(1));
        snapshot.fields.remove("System.History");
        snapshot.fields.insert("System.ChangedDate".into(), json!(format_date(at)));
        snapshot.comment = None;
        if links::apply_other_end(&mut snapshot.relations, &source_url, changes) {
            let rev = push_revision(store, *target, snapshot, actor, at, &dated);
            events.push(Event::Updated { id: *target, rev });
        }
    }
    events
}

/// Saves `snapshot` as the next revision of item `id` (which must exist), stamping the system
/// fields; fields in `written` that a `bypassRules` client set (changed date/by) are kept.
pub fn push_revision(
    store: &mut Store,
    id: i64,
    mut snapshot: Snapshot,
    actor: &Value,
    now: DateTime<Utc>,
    written: &BTreeSet<String>,
) -> u32 {
    store.watermark += 1;
    let watermark = store.watermark;
    let item = store.items.get_mut(&id).expect("push_revision on a stored item");
    let rev = item.revisions.last().map_or(1, |r| r.rev + 1);
    snapshot.rev = rev;
    let fields = &mut snapshot.fields;
    fields.insert("System.Id".into(), json!(id));
    fields.insert("System.Rev".into(), json!(rev));
    if !written.contains("System.ChangedDate") {
        fields.insert("System.ChangedDate".into(), json!(format_date(now)));
    }
    if !written.contains("System.ChangedBy") {
        fields.insert("System.ChangedBy".into(), actor.clone());
    }
    let changed = fields.get("System.ChangedDate").cloned().unwrap_or_else(|| json!(format_date(now)));
    fields.insert("System.AuthorizedDate".into(), changed);
    fields.insert("System.AuthorizedAs".into(), actor.clone());
    fields.insert("System.Watermark".into(), json!(watermark));
    match links::parent_of(&snapshot.relations) {
        Some(parent) => fields.insert("System.Parent".into(), json!(parent)),
        None => fields.remove("System.Parent"),
    };
    item.revisions.push(snapshot);
    rev
}

/// Sends a work item to the recycle bin. With `destroy` it is marked deleted too, and the caller
/// removes it for good with [`purge`] once the `workitem.deleted` notice is built.
pub fn delete(
    store: &mut Store,
    id: i64,
    project: Option<&str>,
    destroy: bool,
    actor: &Identity,
) -> Result<Vec<Event>, AzureError> {
    let scope = project.map(|p| store.project(p).cloned()).transpose()?;
    let live = store.live(id, scope.as_ref()).is_ok();
    if !live {
        if destroy {
            store.deleted(id, scope.as_ref())?;
            return Ok(Vec::new());
        }
        return Err(AzureError::WorkItemNotFound { id });
    }
    let date = store.clock.now();
    let by = store.people.register(actor.clone());
    if let Some(item) = store.items.get_mut(&id) {
        item.deleted = Some(Deletion { date, by });
    }
    Ok(vec![Event::Deleted { id }])
}

/// Removes a work item and its comments for good.
pub fn purge(store: &mut Store, id: i64) {
    store.items.remove(&id);
    store.comments.remove(&id);
}

/// Brings a work item back from the recycle bin.
pub fn restore(store: &mut Store, id: i64, project: Option<&str>) -> Result<Vec<Event>, AzureError> {
    let scope = project.map(|p| store.project(p).cloned()).transpose()?;
    if store.live(id, scope.as_ref()).is_ok() {
        return Err(AzureError::NotDeleted { id });
    }
    store.deleted(id, scope.as_ref())?;
    // Its links come back, but not one whose other end moved on meanwhile (a child given
    // another parent while this one was in the recycle bin).
    let url = store.work_item_url(id);
    let kept: Vec<Relation> = store.items[&id]
        .current()
        .relations
        .iter()
        .filter(|r| {
            let (Some(target), Some(def)) = (r.target_id(), relations::find(&r.rel)) else { return true };
            let Some(opposite) = def.opposite else { return true };
            store.live(target, None).map_or(true, |other| {
                other.current().relations.iter().any(|b| b.rel == opposite && b.url.eq_ignore_ascii_case(&url))
            })
        })
        .cloned()
        .collect();
    if let Some(item) = store.items.get_mut(&id) {
        item.deleted = None;
        if let Some(current) = item.revisions.last_mut() {
            current.relations = kept;
        }
    }
    Ok(vec![Event::Restored { id }])
}
