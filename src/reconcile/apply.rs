//! Apply: the only writer. Executes a plan action by action — canonical files first, then remote
//! writes — and records progress in the store after every remote write, so that a run killed at
//! any point resumes without duplicates or lost edits. It only executes: a write that finds the
//! item changed there since it was read (a failed revision check) is reported stale and left to
//! the engine, which reads the item again and plans it again through the pure planner.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use serde::Serialize;

use super::engine::{Progress, SyncError};
use super::plan::{Action, Plan};
use super::refusal::{self, Refusal};
use super::remote::{Fetched, ItemWrite, Remote, Written};
use crate::backlog::{Backlog, ItemFile};
use crate::connector::{ErrorKind, RemoteError};
use crate::mapping::FieldMap;
use crate::mapping::fields::{apply_fields, normalise_text};
use crate::model::{Item, ItemId, Kind, State};
use crate::store::{Change, Conflict, Direction, Link, RunCounts, Store};

/// One action done, in words for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    pub target: Option<String>,
    pub item: String,
    pub what: String,
}

struct Ctx<'a> {
    backlog: &'a Backlog,
    store: &'a Store,
    remotes: BTreeMap<&'a str, &'a Remote>,
    fetched: &'a BTreeMap<String, Fetched>,
    run_id: i64,
    files: BTreeMap<ItemId, ItemFile>,
    applied: Vec<Applied>,
    counts: RunCounts,
    /// Writes refused by the remote's revision check, by target and item.
    stale: BTreeSet<(String, ItemId)>,
    /// Items a write found deleted on a target (an incremental listing does not show deletions),
    /// marked `removed` by this run after it planned them: by target and item.
    deleted_meanwhile: BTreeSet<(String, ItemId)>,
    /// Canonical files the run wrote ahead, together (see [`prewrite`]), by item.
    prewritten: BTreeMap<ItemId, Result<ItemFile, crate::backlog::BacklogError>>,
    /// Remote updates the run sent ahead in one request (see [`send_updates`]), by target and item:
    /// what landed, or the revision conflict that stopped it.
    sent: BTreeMap<(String, ItemId), Result<Written, RemoteError>>,
    /// Creates not finished, as (target, item): their intent stays until their link is saved
    /// with what was sent (see [`Ctx::save_link`]).
    unfinished: BTreeSet<(String, String)>,
}

impl Ctx<'_> {
    fn log(&mut self, target: Option<&str>, item: &ItemId, what: String) {
        tracing::info!(target = target.unwrap_or("-"), item = %item, "{what}");
        self.applied.push(Applied { target: target.map(str::to_string), item: item.to_string(), what });
    }

    fn change(
        &self,
        item: &ItemId,
        target: Option<&str>,
        direction: Direction,
        action: &str,
        field: Option<(&str, &str, &str)>,
    ) -> Result<(), SyncError> {
        let change = Change {
            at: Utc::now(),
            item_id: item.to_string(),
            target: target.map(str::to_string),
            direction,
            action: action.to_string(),
            field: field.map(|f| f.0.to_string()),
            old: field.map(|f| f.1.to_string()),
            new: field.map(|f| f.2.to_string()),
        };
        Ok(self.store.record_change(self.run_id, &change)?)
    }

    fn kind_of(&self, id: &ItemId) -> Kind {
        self.backlog.project.ids.kind_of(id.prefix()).unwrap_or(Kind::Story)
    }

    fn link(&self, target: &str, id: &ItemId) -> Result<Option<Link>, SyncError> {
        Ok(self.store.link(target, &id.to_string())?)
    }

    /// The link to write through: its revision is the one the plan was made from (the item as this
    /// run read it), so the remote's revision check refuses exactly the writes that would
    /// overwrite an edit made since.
    fn link_as_read(&self, target: &str, id: &ItemId) -> Result<Option<Link>, SyncError> {
        let Some(mut link) = self.link(target, id)? else { return Ok(None) };
        if let Some(version) = self.read_version(target, &link.remote_id) {
            link.remote_version = Some(version);
        }
        Ok(Some(link))
    }

    fn read_version(&self, target: &str, remote_id: &str) -> Option<String> {
        self.fetched.get(target)?.meta.get(remote_id)?.version.clone()
    }

    /// The remote refused the write of `id` because the item changed there since it was read.
    fn stale(&mut self, target: &str, id: &ItemId) {
        tracing::info!(target, item = %id, "changed there since it was read; it is read and planned again");
        self.stale.insert((target.to_string(), id.clone()));
    }

    /// Saves the link; a create's intent still open is cleared, as the base now says what the
    /// remote holds.
    fn save_link(&mut self, target: &str, id: &ItemId, w: &Written, base: FieldMap) -> Result<(), SyncError> {
        self.save_link_only(target, id, w, base)?;
        self.finished(target, id)
    }

    /// Clears the intent of a create left unfinished, once its link holds a base every side agrees on.
    fn finished(&mut self, target: &str, id: &ItemId) -> Result<(), SyncError> {
        if self.unfinished.remove(&(target.to_string(), id.to_string())) {
            self.store.clear_intent(target, &id.to_string())?;
        }
        Ok(())
    }

    /// The file's owner as the run leaves it ("" for none), kept with every link it saves (see
    /// `Link::file_owner`); `None` for an item with no readable file.
    fn file_owner(&self, id: &ItemId) -> Option<String> {
        let file = self.files.get(id)?;
        Some(file.item.owner.as_deref().map(normalise_text).unwrap_or_default())
    }

    fn save_link_only(&self, target: &str, id: &ItemId, w: &Written, base: FieldMap) -> Result<(), SyncError> {
        let link = Link {
            target: target.to_string(),
            item_id: id.to_string(),
            remote_id: w.remote_id.clone(),
            remote_key: w.remote_key.clone(),
            remote_url: w.url.clone(),
            base,
            remote_version: w.version.clone(),
            synced_at: Utc::now(),
            file_owner: self.file_owner(id),
        };
        Ok(self.store.upsert_link(&link)?)
    }

    /// The epic's link on `target` for a story's `epic` field, if both exist.
    fn parent_link(&self, target: &str, fields: &FieldMap) -> Result<Option<Link>, SyncError> {
        match fields.get("epic").filter(|e| !e.is_empty()).and_then(|e| e.parse::<ItemId>().ok()) {
            Some(epic) => self.link(target, &epic),
            None => Ok(None),
        }
    }

    /// The base of a story written with an `epic` that the target shows no parent for (read back
    /// as ""): it keeps the epic sent when that shows nothing of the write, as for a parent that
    /// answers 410 (finding 61):
    /// - the epic is `removed` and has no link on `target` (its issue or work item was deleted
    ///   there): there is no parent to give. Not an epic with no link for another reason (its
    ///   file unreadable after the state was lost, its create not landed): its item may still
    ///   exist there, carrying its marker, and a listing would then read the base's epic against
    ///   no parent as a person clearing it (seed 2026, sequence 8);
    /// - the write did not touch the parent (`epic` not among its changes): a parent the target
    ///   hides or dropped since the run read it (Boards hides the link to a work item in the
    ///   recycle bin, GitHub drops the sub-issue of a deleted issue) is the epic's deletion, no
    ///   edit of the story, and a run that lists it weighs it (finding 40).
    ///
    /// A base of "" met the file's epic on every later run as a change to send: each run planned
    /// (and counted) the same parent, which could not land (finding 63). A listing that shows no
    /// parent reads it as unknown while the epic is gone there (finding 40), and a run that creates
    /// the epic there again sends the story its parent (finding 46).
    fn keep_epic_shown_as_none(
        &self,
        target: &str,
        sent: &FieldMap,
        parent_written: bool,
        base: &mut FieldMap,
    ) -> Result<(), SyncError> {
        if base.get("epic").is_some_and(|e| e.is_empty())
            && let Some(epic) = sent.get("epic").filter(|e| !e.is_empty())
            && (!parent_written || self.removed_and_unlinked(target, epic)?)
        {
            base.insert("epic".into(), epic.clone());
        }
        Ok(())
    }

    /// An epic about to be created (again) on `target`: no story there is under its new issue or
    /// work item yet. A story whose base kept the epic while it was gone there (finding 63) shows
    /// no parent; its base says so before the create, so that a run killed after the epic is
    /// linked and before its stories are moved under it (finding 46 moves them later in the same
    /// run) does not read their showing no parent as a person clearing their epic (finding 70).
    fn no_story_under_yet(&self, target: &str, epic: &ItemId) -> Result<(), SyncError> {
        let epic = epic.to_string();
        for mut link in self.store.links(target)? {
            if link.base.get("epic") == Some(&epic) {
                link.base.insert("epic".into(), String::new());
                self.store.upsert_link(&link)?;
            }
        }
        Ok(())
    }

    /// Whether the epic named `epic` reads `removed` in its file and has no link on `target`.
    fn removed_and_unlinked(&self, target: &str, epic: &str) -> Result<bool, SyncError> {
        let Ok(id) = epic.parse::<ItemId>() else { return Ok(false) };
        let removed = self.files.get(&id).is_some_and(|f| f.item.state == State::Removed);
        Ok(removed && self.link(target, &id)?.is_none())
    }

    fn write_item(&mut self, id: &ItemId, changes: &FieldMap) -> Result<(), SyncError> {
        let Some(file) = self.files.get(id) else { return Ok(()) };
        let new = apply_fields(&file.item, changes)
            .map_err(|e| SyncError::Target { target: id.to_string(), reason: e.to_string() })?;
        let written = Backlog::update_item(file, &new)?;
        self.files.insert(id.clone(), written);
        Ok(())
    }
}

/// Base after a remote write: what the remote holds now. For an owner it cannot carry (no
/// identity there), what it showed (empty when it showed nobody we know): so that gaining the
/// identity later reads as the file's owner to assign, never as the remote clearing it.
/// What a create puts on `remote`, as its intent keeps it: an owner it cannot carry goes out as
/// nobody, so a later run that finds the item by its marker (the answer lost, the run killed)
/// reads nobody there as what the create sent, not as a person clearing the owner once the
/// person is known there (findings 25 and 30).
fn sent_fields(remote: &Remote, fields: &FieldMap) -> FieldMap {
    let mut sent = fields.clone();
    if fields.get("owner").is_some_and(|o| !remote.carries_owner(o)) {
        sent.insert("owner".into(), String::new());
    }
    sent
}

fn base_from(remote: &Remote, sent: &FieldMap, read_back: &FieldMap) -> FieldMap {
    let mut base = sent.clone();
    base.extend(read_back.iter().map(|(k, v)| (k.clone(), v.clone())));
    if sent.get("owner").is_some_and(|o| !remote.carries_owner(o)) {
        base.insert("owner".into(), read_back.get("owner").cloned().unwrap_or_default());
    }
    base
}

/// What `apply` reads and writes besides the plan.
pub struct World<'a> {
    pub backlog: &'a Backlog,
    pub store: &'a Store,
    pub remotes: &'a [Remote],
    /// What the run read of each target: the revisions the plan was made from.
    pub fetched: &'a BTreeMap<String, Fetched>,
}

/// One passing error, retried by the next run.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The item whose action failed; `None` for a write of several items (a flush).
    pub item: Option<String>,
    pub message: String,
}

/// What [`apply`] did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub applied: Vec<Applied>,
    pub counts: RunCounts,
    /// Passing errors (retried by the next run); the run went on past them.
    pub errors: Vec<Failure>,
    /// Items a remote refused for good ([`Refusal`]s; their pending changes are kept).
    pub refused: Vec<Refusal>,
    /// Writes the remote refused because the item changed there since it was read, as (target,
    /// item): nothing was written for them; the engine reads them again and plans them again.
    pub stale: BTreeSet<(String, ItemId)>,
    /// Items a write found deleted on a target and marked `removed` (as target, item): the engine
    /// reads them again and plans them again, so that every other target closes them in the
    /// same run.
    pub deleted_meanwhile: BTreeSet<(String, ItemId)>,
}

/// Executes `plan`. Returns what was done, the counts, and per-item errors and refusals (the run
/// goes on past them; a fatal error such as a refused token stops it).
pub async fn apply(
    world: World<'_>,
    plan: &Plan,
    run_id: i64,
    progress: Option<&Progress>,
) -> Result<Outcome, SyncError> {
    let World { backlog, store, remotes, fetched } = world;
    let mut ctx = Ctx {
        backlog,
        store,
        remotes: remotes.iter().map(|r| (r.name(), r)).collect(),
        fetched,
        run_id,
        files: backlog.items.iter().map(|f| (f.item.id.clone(), f.clone())).collect(),
        applied: Vec::new(),
        counts: RunCounts::default(),
        stale: BTreeSet::new(),
        deleted_meanwhile: BTreeSet::new(),
        prewritten: BTreeMap::new(),
        sent: BTreeMap::new(),
        unfinished: BTreeSet::new(),
    };
    for remote in remotes {
        for intent in store.intents(remote.name())? {
            ctx.unfinished.insert((intent.target, intent.item_id));
        }
    }
    prewrite(&mut ctx, plan);
    let mut errors = Vec::new();
    let mut refused: Vec<Refusal> = Vec::new();
    let total = plan.actions.len();
    let mut batched = BTreeSet::new();
    for (done, action) in plan.actions.iter().enumerate() {
        if let Some(p) = progress {
            p(done, total, &describe(action));
        }
        if let Action::UpdateRemote { target, .. } = action
            && batched.insert(target.clone())
        {
            send_updates(&mut ctx, plan, target).await?;
        }
        // An item whose file could not take the remote's values is not sent on elsewhere.
        let (item, _) = refusal::subject(action);
        if refused.iter().any(|r| r.item == item && r.status.is_none()) {
            continue;
        }
        match one(&mut ctx, action).await {
            Ok(()) => {}
            Err(SyncError::Remote(e)) if e.kind != ErrorKind::Fatal => {
                tracing::warn!(error = %e, "action failed; the next run retries it");
                errors.push(Failure { item: Some(item), message: e.to_string() });
            }
            // One item's refusal is that item's: report it, keep its changes, go on.
            Err(e) => match refusal::refusal(action, &e) {
                Some(r) => {
                    tracing::warn!(item = %r.item, target = %r.target, status = ?r.status, "{}", r.message);
                    if !refused.contains(&r) {
                        refused.push(r);
                    }
                }
                None => return Err(e),
            },
        }
    }
    for remote in remotes {
        match remote.flush().await {
            Ok(done) => {
                for (id, fields, w) in done {
                    let mut base = base_from(remote, &fields, &w.fields);
                    ctx.keep_epic_shown_as_none(remote.name(), &fields, true, &mut base)?;
                    ctx.save_link(remote.name(), &id, &w, base)?;
                }
            }
            Err(e) if e.kind != ErrorKind::Fatal || refusal::is_item_refusal(&e) => {
                errors.push(Failure { item: None, message: e.to_string() })
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(p) = progress {
        p(total, total, "done");
    }
    Ok(Outcome {
        applied: ctx.applied,
        counts: ctx.counts,
        errors,
        refused,
        stale: ctx.stale,
        deleted_meanwhile: ctx.deleted_meanwhile,
    })
}

/// Writes the files of the plan's inbound updates together, before the actions run: one at a
/// time, each file's sync waits for the disk. [`one`] then takes each result in its turn, so the
/// store and the log see the same order as before; a failed write still stops the run there.
fn prewrite(ctx: &mut Ctx<'_>, plan: &Plan) {
    let mut ids = Vec::new();
    let mut updates = Vec::new();
    for action in &plan.actions {
        let Action::UpdateCanonical { id, changes, .. } = action else { continue };
        let Some(file) = ctx.files.get(id) else { continue };
        // From an item updated twice, or a change that does not apply, on: one by one.
        let Ok(new) = apply_fields(&file.item, changes) else { break };
        if ids.contains(id) {
            break;
        }
        ids.push(id.clone());
        updates.push((file, new));
    }
    let written = Backlog::update_items(&updates);
    ctx.prewritten = ids.into_iter().zip(written).collect();
}

/// Sends the plan's updates of `target` in one request where the remote can (Azure Boards:
/// `$batch`), each exactly as [`one`] would send it first. [`one`] takes what landed, or the
/// revision conflict (stale: read again and planned again by the engine); a write the batch did not
/// settle otherwise (not sent, or failed) goes the one-by-one way with its retries, as before.
async fn send_updates(ctx: &mut Ctx<'_>, plan: &Plan, target: &str) -> Result<(), SyncError> {
    let remote = ctx.remotes[target];
    if !remote.batches_updates() {
        return Ok(());
    }
    let mut prepared = Vec::new();
    for action in &plan.actions {
        let Action::UpdateRemote { target: t, id, kind, changes, fields, .. } = action else { continue };
        if t != target {
            continue;
        }
        let Some(link) = ctx.link_as_read(target, id)? else { continue };
        let parent = ctx.parent_link(target, fields)?;
        prepared.push((link, id, *kind, fields, parent, changes));
    }
    let writes: Vec<(&Link, ItemWrite<'_>, &FieldMap)> = prepared
        .iter()
        .map(|(link, id, kind, fields, parent, changes)| {
            (link, ItemWrite { id, kind: *kind, fields, parent: parent.as_ref() }, *changes)
        })
        .collect();
    for ((_, write, _), landed) in writes.iter().zip(remote.update_many(&writes).await) {
        if let Some(w) = landed {
            ctx.sent.insert((target.to_string(), write.id.clone()), w);
        }
    }
    Ok(())
}

fn describe(action: &Action) -> String {
    let v = serde_json::to_value(action).unwrap_or_default();
    format!("{} {}", v["action"].as_str().unwrap_or(""), v["id"].as_str().unwrap_or(""))
}

async fn one(ctx: &mut Ctx<'_>, action: &Action) -> Result<(), SyncError> {
    match action {
        Action::UpdateCanonical { id, changes, from } => {
            let before = ctx.files.get(id).map(|f| crate::mapping::fields::item_fields(&f.item)).unwrap_or_default();
            match ctx.prewritten.remove(id) {
                Some(written) => {
                    ctx.files.insert(id.clone(), written?);
                }
                None => ctx.write_item(id, changes)?,
            }
            for (field, new) in changes {
                let old = before.get(field).map(String::as_str).unwrap_or("");
                ctx.change(
                    id,
                    from.first().map(String::as_str),
                    Direction::Inbound,
                    "updated",
                    Some((field, old, new)),
                )?;
            }
            ctx.counts.inbound_updated += 1;
            let fields: Vec<&str> = changes.keys().map(String::as_str).collect();
            ctx.log(None, id, format!("file updated from {}: {}", from.join(", "), fields.join(", ")));
        }
        Action::Import { target, remote_id, id, kind, fields } => {
            let mut item = Item::new(id.clone(), *kind, fields.get("title").cloned().unwrap_or_default());
            item = apply_fields(&item, fields)
                .map_err(|e| SyncError::Target { target: target.clone(), reason: e.to_string() })?;
            let file = ctx.backlog.create_item(&item)?;
            ctx.files.insert(id.clone(), file);
            let meta = ctx.fetched.get(target).and_then(|f| f.meta.get(remote_id)).cloned();
            let remote = ctx.remotes[target.as_str()];
            if let Some(meta) = meta {
                ctx.save_link(target, id, &meta, meta.fields.clone())?;
                // Stamp the marker so the issue is recognised as this item from now on.
                let link = ctx.link(target, id)?.expect("link just saved");
                let w = remote.update(&link, ItemWrite { id, kind: *kind, fields, parent: None }, fields, None).await?;
                ctx.save_link(target, id, &w, base_from(remote, fields, &w.fields))?;
            }
            ctx.change(id, Some(target), Direction::Inbound, "imported", None)?;
            ctx.counts.inbound_created += 1;
            ctx.log(Some(target), id, format!("imported #{remote_id} as a new file"));
        }
        Action::MarkRemoved { target, id, remote_id } => mark_removed(ctx, target, id, remote_id)?,
        Action::Adopt { target, id, remote_id, base } => {
            let meta = ctx.fetched.get(target).and_then(|f| f.meta.get(remote_id)).cloned();
            if let Some(meta) = meta {
                ctx.save_link(target, id, &meta, base.clone())?;
                ctx.store.clear_intent(target, &id.to_string())?;
                ctx.log(Some(target), id, format!("linked to #{remote_id}, which carries its marker"));
            }
        }
        Action::CreateRemote { target, id, kind, fields } => {
            let remote = ctx.remotes[target.as_str()];
            let since =
                ctx.store.intents(target)?.into_iter().find(|i| i.item_id == id.to_string()).map(|i| i.created_at);
            ctx.store.record_intent(target, &id.to_string(), &sent_fields(remote, fields))?;
            if *kind == Kind::Epic {
                ctx.no_story_under_yet(target, id)?;
            }
            let parent = ctx.parent_link(target, fields)?;
            let w = remote
                .create(ItemWrite { id, kind: *kind, fields, parent: parent.as_ref() }, since.unwrap_or_else(Utc::now))
                .await?;
            let mut base = base_from(remote, fields, &w.fields);
            ctx.keep_epic_shown_as_none(target, fields, true, &mut base)?;
            // A create the remote finishes in a later write (Boards' later state, the values it
            // filled in): the base says what it holds now, which the file does not. Its intent
            // stays until that write is saved, so that a run killed (or an answer lost) after it
            // landed reads the sent values as ours, not as a person's edit there (finding 11b).
            // A parent it could not be given (the epic has no item there yet: finding 65) is
            // not left for a later write of this create either: the story is sent it once the
            // epic is linked there.
            let no_parent = parent.is_none() && fields.get("epic").is_some_and(|e| !e.is_empty());
            let finished =
                base.iter().all(|(k, v)| k == "owner" || (k == "epic" && no_parent) || fields.get(k) == Some(v));
            ctx.save_link_only(target, id, &w, base)?;
            if finished {
                ctx.store.clear_intent(target, &id.to_string())?;
                ctx.unfinished.remove(&(target.clone(), id.to_string()));
            } else {
                ctx.unfinished.insert((target.clone(), id.to_string()));
            }
            ctx.change(id, Some(target), Direction::Outbound, "created", None)?;
            ctx.counts.outbound_created += 1;
            ctx.log(Some(target), id, format!("created #{}", w.remote_id));
        }
        Action::UpdateRemote { target, id, kind, changes, fields, held_base, .. } => {
            let remote = ctx.remotes[target.as_str()];
            let Some(link) = ctx.link_as_read(target, id)? else { return Ok(()) };
            let old_parent = ctx.parent_link(target, &link.base)?;
            let result = match ctx.sent.remove(&(target.clone(), id.clone())) {
                // The write went out in the batch.
                Some(result) => result,
                None => {
                    let parent = ctx.parent_link(target, fields)?;
                    let write = ItemWrite { id, kind: *kind, fields, parent: parent.as_ref() };
                    remote.update(&link, write, changes, old_parent.as_ref()).await
                }
            };
            let w = match result {
                Ok(w) => w,
                // The item was deleted there since the last full read (an incremental run
                // does not list deletions): a remote deletion, as `MarkRemoved` does it.
                // The other targets were planned before anyone knew: the engine reads the item
                // again and plans it again, so that they close it in this run too.
                Err(e) if e.kind == ErrorKind::NotFound => {
                    let remote_id = link.remote_id.clone();
                    ctx.deleted_meanwhile.insert((target.clone(), id.clone()));
                    return mark_removed(ctx, target, id, &remote_id);
                }
                // Someone edited the item between our read and our write: the plan no longer
                // holds for it.
                Err(e) if e.kind == ErrorKind::Conflict => {
                    ctx.stale(target, id);
                    return Ok(());
                }
                // The answer was lost: the write may have landed, and a link left with the base
                // of before would take it for a person's edit there and a person's edit back for
                // ours (finding 58). Read again and planned again, like a concurrent edit.
                Err(e) if e.kind == ErrorKind::UnknownOutcome => {
                    tracing::info!(target = %target, item = %id, error = %e, "the update's answer was lost");
                    ctx.stale(target, id);
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            let desired = fields;
            let mut base = base_from(remote, desired, &w.fields);
            ctx.keep_epic_shown_as_none(target, desired, changes.contains_key("epic"), &mut base)?;
            base.extend(held_base.clone());
            ctx.save_link(target, id, &w, base)?;
            for (field, new) in changes {
                let old = link.base.get(field).map(String::as_str).unwrap_or("");
                ctx.change(id, Some(target), Direction::Outbound, "updated", Some((field, old, new)))?;
            }
            ctx.counts.outbound_updated += 1;
            let names: Vec<&str> = changes.keys().map(String::as_str).collect();
            ctx.log(Some(target), id, format!("updated #{}: {}", w.remote_id, names.join(", ")));
        }
        Action::CloseRemote { target, id, remote_id } => {
            let remote = ctx.remotes[target.as_str()];
            if let Some(mut link) = ctx.link_as_read(target, id)? {
                let kind = ctx.kind_of(id);
                let changes: FieldMap = [("state".to_string(), "removed".to_string())].into();
                remote_now(ctx, target, &mut link)?;
                let mut fields = link.base.clone();
                fields.insert("state".into(), "removed".into());
                let write = ItemWrite { id, kind, fields: &fields, parent: None };
                match remote.update(&link, write, &changes, None).await {
                    Ok(_) => {}
                    Err(e) if e.kind == ErrorKind::NotFound => {}
                    // Edited there since it was read: planned again from what it is now.
                    Err(e) if e.kind == ErrorKind::Conflict => {
                        ctx.stale(target, id);
                        return Ok(());
                    }
                    Err(e) => return Err(e.into()),
                }
                ctx.store.delete_link(target, &id.to_string())?;
                ctx.finished(target, id)?;
                // Its open conflicts went with the file: nobody is left to settle them.
                let key = id.to_string();
                for c in ctx.store.open_conflicts()?.into_iter().filter(|c| &c.target == target && c.item_id == key) {
                    ctx.store.resolve_conflict(target, &key, &c.field)?;
                }
                ctx.change(id, Some(target), Direction::Outbound, "closed", None)?;
                ctx.counts.removed += 1;
                ctx.log(Some(target), id, format!("file deleted; closed #{remote_id} as not planned"));
            }
        }
        Action::Rebase { target, id, base } => {
            // The base is what the item holds as read: so is its revision.
            if let Some(mut link) = ctx.link_as_read(target, id)? {
                link.base = base.clone();
                link.synced_at = Utc::now();
                link.file_owner = ctx.file_owner(id);
                ctx.store.upsert_link(&link)?;
                ctx.finished(target, id)?;
            }
        }
        Action::Conflicts { target, id, open } => {
            let key = id.to_string();
            for stored in ctx.store.open_conflicts()?.into_iter().filter(|c| &c.target == target && c.item_id == key) {
                if !open.iter().any(|c| c.field == stored.field) {
                    ctx.store.resolve_conflict(target, &key, &stored.field)?;
                    ctx.log(Some(target), id, format!("conflict on `{}` resolved: both sides agree", stored.field));
                }
            }
            for c in open {
                let conflict = Conflict {
                    target: target.clone(),
                    item_id: key.clone(),
                    field: c.field.clone(),
                    base: Some(c.base.clone()),
                    canonical: Some(c.canonical.clone()),
                    remote: Some(c.remote.clone()),
                    detected_at: Utc::now(),
                };
                ctx.store.record_conflict(&conflict)?;
                ctx.counts.conflicts += 1;
                let others: String = c.others.iter().map(|(t, v)| format!(", {t} says {v:?}")).collect();
                ctx.log(
                    Some(target),
                    id,
                    format!(
                        "conflict on `{}` left for a person: file says {:?}, {target} says {:?}{others}",
                        c.field, c.canonical, c.remote
                    ),
                );
            }
        }
    }
    Ok(())
}

/// What the remote of `link` holds now, as far as this run knows without asking: what it listed,
/// or else the link's base with the remote side of its open conflicts. A base is not always what
/// the remote holds: a field in conflict when the link was found again (the state was lost) has
/// an unknown base, stored as "" — closing the item with it would send an issue without a title
/// or erase its body (finding 13 of the model checker).
fn remote_now(ctx: &Ctx<'_>, target: &str, link: &mut Link) -> Result<(), SyncError> {
    if let Some(meta) = ctx.fetched.get(target).and_then(|f| f.meta.get(&link.remote_id)) {
        link.base.extend(meta.fields.clone());
        link.remote_version = meta.version.clone().or(link.remote_version.take());
        return Ok(());
    }
    for c in ctx.store.open_conflicts()?.into_iter().filter(|c| c.target == target && c.item_id == link.item_id) {
        if let Some(remote) = c.remote {
            link.base.insert(c.field, remote);
        }
    }
    Ok(())
}

/// The linked remote item was deleted: the file is marked `removed` and the link dropped.
fn mark_removed(ctx: &mut Ctx<'_>, target: &str, id: &ItemId, remote_id: &str) -> Result<(), SyncError> {
    let changes: FieldMap = [("state".to_string(), "removed".to_string())].into();
    ctx.write_item(id, &changes)?;
    ctx.store.delete_link(target, &id.to_string())?;
    // Its work item is in the recycle bin: remembered, so that should the item come back to
    // life, it is restored there rather than created a second time (finding 42).
    if ctx.remotes.get(target).is_some_and(|r| r.restores()) {
        ctx.store.record_orphan(target, remote_id, &id.to_string())?;
    }
    ctx.finished(target, id)?;
    ctx.change(id, Some(target), Direction::Inbound, "removed", None)?;
    ctx.counts.removed += 1;
    ctx.log(Some(target), id, format!("#{remote_id} was deleted remotely; marked removed"));
    Ok(())
}
