//! What a run reads of its targets before planning: every target's listing (what changed since
//! its watermark, or everything), or only what some keys name — a webhook's items, read one by one
//! on every target they are linked on, with no listing of the others — together with the items
//! edited in the backlog since their last sync, which every run owes the targets.

use std::collections::{BTreeMap, BTreeSet};

use super::engine::{Stripped, SyncError};
use super::plan::{LinkView, RemoteItem, TargetInput};
use super::remote::{Fetched, Remote};
use crate::backlog::Backlog;
use crate::mapping::FieldMap;
use crate::mapping::adapt::Adaptation;
use crate::mapping::fields::{normalise_text, strip_control};
use crate::model::{ItemId, Kind};
use crate::store::{Conflict, Link, Store, Watermark};

/// What a trigger named: the part of the backlog a run looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// Targets to list (what changed since the watermark).
    pub targets: BTreeSet<String>,
    /// Remote items, as (target, remote id).
    pub items: BTreeSet<(String, String)>,
}

/// How much a run reads.
#[derive(Debug, Clone)]
pub(super) enum Scope {
    /// Every target listed.
    All,
    /// These targets listed; these items, and the items those listings bring, read one by one on
    /// every target they are linked on.
    Some { list: BTreeSet<String>, items: BTreeSet<ItemId> },
}

impl Scope {
    /// The scope of `keys`: an item linked on its target is read by itself; one that is not (a new
    /// issue) can only be found by listing its target.
    pub(super) fn of(keys: &Keys, store: &Store) -> Result<Scope, SyncError> {
        let mut list = keys.targets.clone();
        let mut items = BTreeSet::new();
        for (target, remote_id) in &keys.items {
            match store.link_by_remote(target, remote_id)?.and_then(|l| l.item_id.parse::<ItemId>().ok()) {
                Some(id) => {
                    items.insert(id);
                }
                None => {
                    list.insert(target.clone());
                }
            }
        }
        Ok(Scope::Some { list, items })
    }

    fn lists(&self, target: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Some { list, .. } => list.contains(target),
        }
    }
}

/// How to read.
pub(super) struct Reading<'a> {
    pub backlog: &'a Backlog,
    pub store: &'a Store,
    pub remotes: &'a [Remote],
    pub conflicts: &'a [Conflict],
    /// List everything, not only what changed (with [`Scope::All`]).
    pub full: bool,
    /// Targets listed in full whatever the scope: their identities changed since their last
    /// listing (finding 24, see `engine::identities_changed`).
    pub relist: &'a BTreeSet<String>,
    /// Store the URLs of links whose items moved.
    pub follow_moves: bool,
    /// With [`Scope::Some`]: a target with more items than this to read one by one is listed
    /// instead (what changed since its watermark: a request or two for all of them). `None`:
    /// always one by one (the items are read again because they just changed there).
    pub list_beyond: Option<usize>,
}

/// More items than this to read one by one on a target, and a webhook's run lists it instead.
pub const ONE_BY_ONE: usize = 8;

/// What was read.
#[derive(Default)]
pub(super) struct Read {
    pub inputs: Vec<TargetInput>,
    pub fetched: BTreeMap<String, Fetched>,
    pub stripped: Vec<Stripped>,
    pub adapted: Vec<Adaptation>,
    /// Targets whose watermark stays where it was (see [`read`]).
    pub held_back: BTreeMap<String, Option<Watermark>>,
    pub moved: Vec<super::moved::Moved>,
    /// With [`Scope::Some`]: the items the plan may touch (those named and those the listings
    /// brought), the others' actions wait for a run that reads them.
    pub scope: Option<BTreeSet<ItemId>>,
    /// Items whose read failed, with the error: left out of this run, retried by the next.
    pub failed: Vec<(ItemId, String)>,
}

/// One target's links, its remote id → item map, whether it was listed in full, and its listing
/// (`None` when it is read item by item).
type Listing = (Vec<Link>, BTreeMap<String, ItemId>, bool, Option<Fetched>);

/// Reads the targets within `scope`.
pub(super) async fn read(r: &Reading<'_>, scope: &Scope) -> Result<Read, SyncError> {
    let Reading { backlog, store, remotes, conflicts, full, relist, follow_moves, list_beyond } = *r;
    let mut out = Read::default();
    let unreadable: BTreeSet<ItemId> = backlog.invalid.iter().filter_map(|f| f.id.clone()).collect();
    // First the listings, so that what they bring is read on the other targets too.
    let mut got_all: BTreeMap<String, Listing> = BTreeMap::new();
    for remote in remotes {
        let name = remote.name().to_string();
        let links = store.links(&name)?;
        let parents: BTreeMap<String, ItemId> =
            links.iter().filter_map(|l| Some((l.remote_id.clone(), l.item_id.parse().ok()?))).collect();
        let relisted = relist.contains(&name);
        let listed = scope.lists(&name) || relisted;
        let full = listed && (full || relisted || store.watermark(&name)?.is_none());
        let got = if listed { Some(list(remote, store, full, &parents).await?) } else { None };
        got_all.insert(name, (links, parents, full, got));
    }
    let mut wanted: Option<BTreeSet<ItemId>> = match scope {
        Scope::All => None,
        Scope::Some { items, .. } => {
            let mut ids = items.clone();
            if list_beyond.is_some() {
                ids.extend(local_edits(backlog, &unreadable, got_all.values().map(|(links, ..)| links.as_slice())));
            }
            for (_, parents, _, got) in got_all.values() {
                ids.extend(got.iter().flat_map(|g| g.listed.keys()).filter_map(|rid| parents.get(rid).cloned()));
            }
            Some(ids)
        }
    };
    // Many items to read one by one on a target: its listing is cheaper, and what it brings is
    // planned too (its watermark moves past it).
    if let (Some(w), Some(most)) = (wanted.as_mut(), list_beyond) {
        for remote in remotes {
            let (links, parents, _, got) = got_all.get_mut(remote.name()).expect("read above");
            let to_read = links.iter().filter(|l| l.item_id.parse::<ItemId>().is_ok_and(|id| w.contains(&id))).count();
            if got.is_none() && to_read > most {
                let listing = list(remote, store, false, parents).await?;
                w.extend(listing.listed.keys().filter_map(|rid| parents.get(rid).cloned()));
                *got = Some(listing);
            }
        }
    }
    for remote in remotes {
        let name = remote.name().to_string();
        let (links, parents, full, got) = got_all.remove(&name).expect("read above");
        // A listed target shows what changed since its watermark; the rest is as its base says.
        let listed = got.is_some();
        let mut got = got.unwrap_or_default();
        for (remote_id, listed) in got.listed.iter_mut() {
            clean(&name, remote_id, &mut listed.fields, &mut out.stripped);
        }
        for (remote_id, meta) in got.meta.iter_mut() {
            clean(&name, remote_id, &mut meta.fields, &mut out.stripped);
        }
        // What the target holds in another form than was meant (tags it cannot hold, a cut
        // body, a label's case) reads as meant: never as an edit.
        let bases: BTreeMap<&str, &Link> = links.iter().map(|l| (l.remote_id.as_str(), l)).collect();
        for (remote_id, listed) in got.listed.iter_mut() {
            let Some(link) = bases.get(remote_id.as_str()) else { continue };
            let Ok(id) = link.item_id.parse::<ItemId>() else { continue };
            let kind = backlog.project.ids.kind_of(id.prefix()).unwrap_or(Kind::Story);
            remote.restore(kind, &id, &link.base, &mut listed.fields);
        }
        // Owners the target cannot assign now: held like owners with no identity there, and
        // checked again by every run until they can be assigned. Noted when it is news: not for a
        // link saved since with the file naming that owner (the run that saved it noted it)
        // unless the target's identities changed since; `drift` names every one still held.
        let mut assignable: BTreeMap<String, bool> = BTreeMap::new();
        let mut unassignable: BTreeSet<ItemId> = BTreeSet::new();
        for link in &links {
            let Ok(id) = link.item_id.parse::<ItemId>() else { continue };
            if wanted.as_ref().is_some_and(|w| !w.contains(&id)) {
                continue;
            }
            let Some(owner) = backlog.get(&id).and_then(|f| f.item.owner.clone()).filter(|o| !o.trim().is_empty())
            else {
                continue;
            };
            if !remote.carries_owner(&owner) || link.base.get("owner").is_some_and(|b| *b == owner) {
                continue;
            }
            let can = match assignable.get(&owner) {
                Some(can) => *can,
                None => {
                    let can = remote.can_assign(&owner, link).await;
                    assignable.insert(owner.clone(), can);
                    can
                }
            };
            if !can {
                let noted = !relist.contains(&name) && link.file_owner.as_deref() == Some(&normalise_text(&owner));
                if !noted {
                    out.adapted.push(remote.unassignable(&id, &owner));
                }
                unassignable.insert(id);
            }
        }
        for (remote_id, listed) in got.listed.iter_mut() {
            let Some(id) = parents.get(remote_id) else { continue };
            let owner = backlog.get(id).and_then(|f| f.item.owner.clone());
            // Showing nobody says nothing of an owner it cannot carry; a person a human assigned
            // there is kept for the plan to weigh against the base.
            let someone = listed.fields.get("owner").is_some_and(|o| !o.is_empty());
            if (owner.is_some_and(|o| !remote.carries_owner(&o)) || unassignable.contains(id)) && !someone {
                listed.fields.remove("owner");
            }
        }
        // Targets that listed an edit of an item whose file could not be read: their watermark
        // stays where it was (and drops its ETag), so the edit is listed again once the file reads.
        // That includes an item not linked here that carries such an item's marker (found again
        // after the state was lost): past it, the next run would not list it and would create the
        // item again instead of merging with it.
        if got.listed.iter().any(|(rid, r)| {
            parents.get(rid).is_some_and(|id| unreadable.contains(id))
                || r.marker.as_ref().is_some_and(|m| unreadable.contains(m))
        }) {
            hold_back(store, &name, &mut out)?;
        }
        for (id, error) in orphans(r, remote, &links, &parents, wanted.as_ref(), &unreadable, &mut got).await? {
            if let Some(w) = wanted.as_mut() {
                w.remove(&id);
            }
            out.failed.push((id, error));
        }
        let mut input = TargetInput {
            name: name.clone(),
            listed: got.listed.clone(),
            create_defaults: remote.create_defaults(),
            ..TargetInput::default()
        };
        input.creating =
            store.intents(&name)?.into_iter().filter_map(|i| Some((i.item_id.parse().ok()?, i.sent))).collect();
        for (id, sent) in &input.creating {
            let kind = backlog.project.ids.kind_of(id.prefix()).unwrap_or(Kind::Story);
            if !sent.is_empty() && !remote.create_sets_state_later(kind, id, sent) {
                input.state_sent.insert(id.clone());
            }
            if let Some(states) = remote.created_states(kind) {
                input.created_states.insert(id.clone(), states);
            }
        }
        // Every item, linked or not (a link found again after the state was lost has no base).
        for file in &backlog.items {
            if file.item.owner.as_ref().is_some_and(|o| !remote.carries_owner(o))
                || unassignable.contains(&file.item.id)
            {
                input.uncarried.insert(file.item.id.clone(), ["owner".to_string()].into());
            }
        }
        for link in &links {
            let Ok(id) = link.item_id.parse::<ItemId>() else { continue };
            // A full listing does not show deletions, and a scoped run lists nothing here: the
            // item is read by itself.
            let read_one = match &wanted {
                None => full,
                Some(w) => (full || !listed) && w.contains(&id),
            };
            if read_one && !got.listed.contains_key(&link.remote_id) {
                let kind = backlog.project.ids.kind_of(id.prefix()).unwrap_or(Kind::Story);
                let now = match remote.get(&link.remote_id, kind, &parents).await {
                    Ok(now) => now,
                    // One item's failure is that item's: it waits for the next run.
                    Err(e)
                        if wanted.is_some()
                            && (e.kind != crate::connector::ErrorKind::Fatal
                                || super::refusal::is_item_refusal(&e)) =>
                    {
                        tracing::warn!(target = %name, item = %id, error = %e, "cannot read the item; the next run retries it");
                        out.failed.push((id.clone(), e.to_string()));
                        if let Some(w) = wanted.as_mut() {
                            w.remove(&id);
                        }
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                match now {
                    None => {
                        input.vanished.insert(link.remote_id.clone());
                    }
                    Some(mut w) => {
                        clean(&name, &w.remote_id, &mut w.fields, &mut out.stripped);
                        remote.restore(kind, &id, &link.base, &mut w.fields);
                        if unassignable.contains(&id) {
                            w.fields.remove("owner");
                        }
                        got.meta.insert(w.remote_id.clone(), w.clone());
                        let item = RemoteItem {
                            remote_id: w.remote_id.clone(),
                            kind: Some(kind),
                            fields: w.fields.clone(),
                            marker: None,
                            updated_at: Some(w.updated_at),
                        };
                        input.listed.insert(w.remote_id.clone(), item);
                    }
                }
            }
            let held = conflicts
                .iter()
                .filter(|c| c.target == name && c.item_id == link.item_id)
                .map(|c| (c.field.clone(), c.remote.clone().unwrap_or_default()))
                .collect();
            // A create not finished (its intent is still open: the write that finishes it may have
            // landed without its answer, or the run was killed after it): a value the remote shows
            // as the create sent it is ours, not a person's edit there (finding 11b).
            // And a value it shows that is neither what the create sent nor what it held when the
            // link was saved (its first state, a default it filled in) is a person's edit made
            // since: the file is weighed against what it sent (what the file held then), not
            // against the remote's interim value, which the file may hold by chance (finding 44).
            // A value the remote held after the create (a default it filled in, its first state:
            // the link's base) shown still is ours only while the finishing write has not
            // landed: one a later revision showed as sent was set again by a person since
            // (finding 57).
            let mut base = link.base.clone();
            if let (Some(sent), Some(now)) = (input.creating.get(&id), input.listed.get(&link.remote_id)) {
                let interim: FieldMap = sent
                    .iter()
                    .filter(|(f, v)| {
                        let shown = now.fields.get(*f);
                        *f != "owner" && shown != Some(*v) && shown == link.base.get(*f)
                    })
                    .map(|(f, v)| (f.clone(), v.clone()))
                    .collect();
                let landed = if interim.is_empty() {
                    BTreeSet::new()
                } else {
                    let kind = backlog.project.ids.kind_of(id.prefix()).unwrap_or(Kind::Story);
                    remote.shown_after_create(&link.remote_id, kind, &interim).await.unwrap_or_default()
                };
                for (field, value) in sent {
                    let shown = now.fields.get(field);
                    let edited_since = field != "owner" && shown.is_some() && shown != link.base.get(field);
                    if shown == Some(value) || edited_since || landed.contains(field) {
                        base.insert(field.clone(), value.clone());
                    }
                }
            }
            input.synced_at.insert(id.clone(), link.synced_at);
            input.links.insert(
                id,
                LinkView {
                    remote_id: link.remote_id.clone(),
                    base,
                    conflicts: held,
                    file_owner: link.file_owner.clone(),
                },
            );
        }
        if listed && full && store.watermark(&name)?.is_none() {
            for (id, error) in recycled(backlog, store, remote, &links, &got, wanted.as_ref(), &mut input).await? {
                if let Some(w) = wanted.as_mut() {
                    w.remove(&id);
                }
                out.failed.push((id, error));
            }
        }
        if parents_gone(backlog, remote, &links, &parents, &mut input).await {
            hold_back(store, &name, &mut out)?;
        }
        if follow_moves {
            out.moved.extend(super::moved::follow(store, &name, &links, &got)?);
        }
        out.inputs.push(input);
        out.fetched.insert(name, got);
    }
    out.scope = wanted;
    Ok(out)
}

/// What a run owes the targets whatever triggered it: items whose file was written after one of
/// their links was last synced, files not linked on every target, and links whose file is gone.
fn local_edits<'a>(
    backlog: &Backlog,
    unreadable: &BTreeSet<ItemId>,
    links: impl Iterator<Item = &'a [Link]>,
) -> BTreeSet<ItemId> {
    let links: Vec<&[Link]> = links.collect();
    let mut out = BTreeSet::new();
    for file in &backlog.items {
        let id = file.item.id.to_string();
        let written =
            std::fs::metadata(&file.path).and_then(|m| m.modified()).ok().map(chrono::DateTime::<chrono::Utc>::from);
        let owed = links.iter().any(|of_target| match of_target.iter().find(|l| l.item_id == id) {
            None => true,
            Some(link) => written.is_none_or(|w| w > link.synced_at),
        });
        if owed {
            out.insert(file.item.id.clone());
        }
    }
    for link in links.iter().flat_map(|l| l.iter()) {
        if let Ok(id) = link.item_id.parse::<ItemId>()
            && backlog.get(&id).is_none()
            && !unreadable.contains(&id)
        {
            out.insert(id);
        }
    }
    out
}

/// Keeps `target`'s watermark where it was (without its ETag), so the next run lists again what
/// this one listed.
fn hold_back(store: &Store, target: &str, out: &mut Read) -> Result<(), SyncError> {
    let old = store.watermark(target)?.map(|w| Watermark { etag: None, ..w });
    out.held_back.insert(target.to_string(), old);
    Ok(())
}

/// Marked remote items whose item has no file and no link on this target (finding 22: the file
/// was deleted and the state lost): remembered in the store, since the watermark moves past them.
/// When such an item's file is back and still not linked here, the remote item is read by its id
/// and put in the listing, so the plan links it (merged with no base) instead of creating a second
/// one. A record is forgotten once its item is linked here or the remote item is gone. No record,
/// no request. Finding 42: a work item deleted in Boards that marked its item `removed` is
/// recorded too (by `apply`'s `MarkRemoved`, or by a first listing's look in the recycle bin); a
/// record waits with no request while its file is `removed`; once the file is back to life and
/// not linked here, the work item read as deleted is noted for the tracker, whose create restores
/// it from the bin instead of making a second one (the record stays until the item is linked). A read that fails is that item's failure, returned with its error: the item is
/// left out of the run (a create would make a second one), and the run's error keeps every
/// watermark where it was, so the next run reads it again; the other items sync.
async fn orphans(
    r: &Reading<'_>,
    remote: &Remote,
    links: &[Link],
    parents: &BTreeMap<String, ItemId>,
    wanted: Option<&BTreeSet<ItemId>>,
    unreadable: &BTreeSet<ItemId>,
    got: &mut Fetched,
) -> Result<Vec<(ItemId, String)>, SyncError> {
    let mut failed = Vec::new();
    let (backlog, store, name) = (r.backlog, r.store, remote.name());
    for (rid, item) in &got.listed {
        if let Some(m) = &item.marker
            && !parents.contains_key(rid)
            && backlog.get(m).is_none()
            && !unreadable.contains(m)
        {
            store.record_orphan(name, rid, &m.to_string())?;
        }
    }
    for orphan in store.orphans(name)? {
        let Ok(id) = orphan.item_id.parse::<ItemId>() else {
            store.clear_orphan(name, &orphan.remote_id)?;
            continue;
        };
        if links.iter().any(|l| l.item_id == orphan.item_id || l.remote_id == orphan.remote_id) {
            store.clear_orphan(name, &orphan.remote_id)?;
            continue;
        }
        let listed = got.listed.values().any(|i| i.marker.as_ref() == Some(&id));
        let removed = backlog.get(&id).is_some_and(|f| f.item.state == crate::model::State::Removed);
        if backlog.get(&id).is_none() || removed || listed || wanted.is_some_and(|w| !w.contains(&id)) {
            continue;
        }
        let kind = backlog.project.ids.kind_of(id.prefix()).unwrap_or(Kind::Story);
        match remote.get(&orphan.remote_id, kind, parents).await {
            Err(e) if e.kind == crate::connector::ErrorKind::Fatal && !super::refusal::is_item_refusal(&e) => {
                return Err(e.into());
            }
            Err(e) => {
                tracing::warn!(target = %name, remote_id = %orphan.remote_id, item = %id, error = %e, "cannot read the remote item carrying the marker of a file that is back; the item waits for the next run");
                let error = format!(
                    "{id}: cannot read `{name}` item {} carrying its marker ({e}); the item is left out of this run so that no second one is created, and the next run tries again",
                    orphan.remote_id
                );
                failed.push((id, error));
            }
            // Deleted where a deleted item can come back (Boards' recycle bin): a create of the
            // item restores it; the record goes once the item is linked here again.
            Ok(None) if remote.restores() => remote.remember_recycled(&id, &orphan.remote_id),
            Ok(None) => store.clear_orphan(name, &orphan.remote_id)?,
            Ok(Some(mut w)) => {
                clean(name, &w.remote_id, &mut w.fields, &mut Vec::new());
                tracing::info!(target = %name, remote_id = %w.remote_id, item = %id, "read the remote item carrying the marker of a file that is back");
                got.add(w, Some(kind), Some(id));
            }
        }
    }
    Ok(failed)
}

/// Work items deleted on this target before a run saw it, when the state was lost since (or never
/// was), finding 42: the run has no link to them and a listing does not show what is in Azure
/// Boards' recycle bin, so their files would be created again, and a person restoring the old
/// work item would then have two carrying one marker. So a first listing (no watermark: the first
/// run, or the first after a lost `state.db`) that leaves files with no link and no marked item
/// here, which the plan would create, looks in the recycle bin (see [`Remote::recycled`]: a
/// request for its ids, then one per work item in it not linked nor listed, newest first, until
/// every such file is found; none when no file is at risk, and none on a target with no bin).
/// A recycled work item we created carrying such a file's marker is that item deleted here: it
/// joins the plan as a link whose item vanished, as if the link had been kept, so the item is
/// marked `removed` everywhere and nothing is created (README: a deleted work item marks the item
/// `removed`). A person who restores it later has one work item, and the file `removed`, as after
/// a deletion seen with the link. A file already `removed` (by that deletion, before the state was
/// lost) is looked for too: should this run revive it, the tracker restores its work item rather
/// than create a second one. A failed look is those files' failure, returned with its error:
/// they are left out of the run (a create could make a second one) and the run's error keeps
/// the watermark unset, so the next run looks again; the other items sync.
async fn recycled(
    backlog: &Backlog,
    store: &Store,
    remote: &Remote,
    links: &[Link],
    got: &Fetched,
    wanted: Option<&BTreeSet<ItemId>>,
    input: &mut TargetInput,
) -> Result<Vec<(ItemId, String)>, SyncError> {
    let at_risk: BTreeSet<ItemId> = backlog
        .items
        .iter()
        .map(|f| f.item.id.clone())
        .filter(|id| !input.links.contains_key(id) && wanted.is_none_or(|w| w.contains(id)))
        .filter(|id| !got.listed.values().any(|r| r.marker.as_ref() == Some(id)))
        .collect();
    if at_risk.is_empty() {
        return Ok(Vec::new());
    }
    let known: BTreeSet<String> = links.iter().map(|l| l.remote_id.clone()).chain(got.listed.keys().cloned()).collect();
    let name = remote.name();
    match remote.recycled(&known, &at_risk).await {
        None => Ok(Vec::new()),
        Some(Ok(found)) => {
            for (remote_id, id) in found {
                // A file already `removed` stays so; should this run revive it (a remote's edit
                // with no base), the tracker restores this work item instead of creating one.
                if backlog.get(&id).is_some_and(|f| f.item.state == crate::model::State::Removed) {
                    store.record_orphan(name, &remote_id, &id.to_string())?;
                    continue;
                }
                tracing::info!(target = %name, remote_id = %remote_id, item = %id, "the work item carrying the marker of a file with no link here is in the recycle bin: deleted here");
                let view = LinkView {
                    remote_id: remote_id.clone(),
                    base: Default::default(),
                    conflicts: BTreeMap::new(),
                    file_owner: None,
                };
                input.links.insert(id, view);
                input.vanished.insert(remote_id);
            }
            Ok(Vec::new())
        }
        Some(Err(e)) if e.kind == crate::connector::ErrorKind::Fatal && !super::refusal::is_item_refusal(&e) => {
            Err(e.into())
        }
        Some(Err(e)) => {
            tracing::warn!(target = %name, error = %e, "cannot look in the recycle bin; the items not linked here wait for the next run");
            Ok(at_risk
                .into_iter()
                .map(|id| {
                    let error = format!(
                        "{id}: cannot look in `{name}`'s recycle bin for a deleted item carrying its marker ({e}); the item is left out of this run so that no second one is created, and the next run looks again"
                    );
                    (id, error)
                })
                .collect())
        }
    }
}

/// A story that shows no parent where its base names an epic that is gone on this target
/// (deleted, or in Azure Boards' recycle bin, which hides the links to it; or no longer linked
/// here, as after its deletion marked it `removed`) keeps its epic: deleting an epic is no edit
/// of its stories' epic (finding 40). The same for a story found by its marker with no base
/// (the state was lost) whose file names an epic that neither is linked nor carries its marker
/// here (or only as our own create not finished): there is nothing it could show as its parent;
/// and a story whose link's base holds no `epic` (linked while its parent was unknown: no parent
/// was ever sent or seen there; finding 51). The listing then shows `epic` as unknown,
/// and the base (or the file) stands. One read per such linked epic, only when a story's parent
/// was cleared since its base. A failed read leaves the epic unknown for this run; the answer is
/// whether the target's watermark should stay where it was (so that the story is listed again).
async fn parents_gone(
    backlog: &Backlog,
    remote: &Remote,
    links: &[Link],
    parents: &BTreeMap<String, ItemId>,
    input: &mut TargetInput,
) -> bool {
    let by_remote: BTreeMap<&str, &Link> = links.iter().map(|l| (l.remote_id.as_str(), l)).collect();
    let mut cleared: Vec<(String, String)> = Vec::new();
    let mut unbased: Vec<String> = Vec::new();
    for (rid, item) in &input.listed {
        if item.fields.get("epic").is_none_or(|shown| !shown.is_empty()) {
            continue;
        }
        // A link whose base holds no `epic` was saved by a run that listed the parent as unknown
        // (as a run killed after it linked the story found by its marker, its epic gone there):
        // no parent was ever sent or seen here, so showing none says nothing (finding 51).
        let epic = match (by_remote.get(rid.as_str()), &item.marker) {
            (Some(link), _) if !link.base.contains_key("epic") => {
                unbased.push(rid.clone());
                continue;
            }
            (Some(link), _) => link.base.get("epic").cloned(),
            (None, Some(id)) => backlog.get(id).and_then(|f| f.item.epic.as_ref()).map(ToString::to_string),
            (None, None) => None,
        };
        if let Some(epic) = epic.filter(|e| !e.is_empty()) {
            cleared.push((rid.clone(), epic));
        }
    }
    for rid in unbased {
        if let Some(item) = input.listed.get_mut(&rid) {
            item.fields.remove("epic");
        }
    }
    let mut hold = false;
    let mut gone: BTreeMap<String, bool> = BTreeMap::new();
    for (rid, epic) in cleared {
        let is_gone = match gone.get(&epic) {
            Some(g) => *g,
            None => {
                let marked = input.listed.values().any(|r| r.marker.as_ref().is_some_and(|m| m.to_string() == epic));
                // Found by its marker but our own create not finished (its intent is open): no
                // story was ever put under that issue, so one showing no parent says nothing.
                let ours = input.creating.keys().any(|id| id.to_string() == epic);
                let g = match links.iter().find(|l| l.item_id == epic) {
                    None => !marked || ours,
                    Some(l) if input.vanished.contains(&l.remote_id) => true,
                    Some(l) => match remote.get(&l.remote_id, Kind::Epic, parents).await {
                        Ok(now) => now.is_none(),
                        Err(e) => {
                            tracing::warn!(target = %remote.name(), epic = %epic, error = %e, "cannot read the epic of a story that shows no parent; the next run reads it again");
                            hold = true;
                            true
                        }
                    },
                };
                gone.insert(epic.clone(), g);
                g
            }
        };
        if is_gone && let Some(item) = input.listed.get_mut(&rid) {
            item.fields.remove("epic");
        }
    }
    hold
}

/// Lists what changed on a target since its watermark (everything when `full`).
async fn list(
    remote: &Remote,
    store: &Store,
    full: bool,
    parents: &BTreeMap<String, ItemId>,
) -> Result<Fetched, SyncError> {
    let mut got = remote.fetch(full, store.watermark(remote.name())?.as_ref(), parents).await?;
    epics_found_by_marker(remote, parents, &mut got).await?;
    Ok(got)
}

/// Cleans every value of a remote item read in this run, noting what was taken out.
fn clean(target: &str, remote_id: &str, fields: &mut crate::mapping::FieldMap, notes: &mut Vec<Stripped>) {
    for (field, taken) in strip_control(fields) {
        if notes.iter().any(|n| n.target == target && n.remote_id == remote_id && n.field == field) {
            continue;
        }
        notes.push(Stripped {
            target: target.to_string(),
            remote_id: remote_id.to_string(),
            field,
            characters: taken.iter().map(|c| format!("U+{:04X}", *c as u32)).collect(),
        });
    }
}

/// A story whose parent is not linked lists with no `epic` (unknown, never guessed). When that
/// parent was found by its marker in the same listing (the state was lost, or the epic's create
/// answer), the story is read again knowing it, so that a parent a person changed there is seen
/// (and merged, or named by a conflict) instead of being overwritten by the file's epic.
async fn epics_found_by_marker(
    remote: &Remote,
    parents: &BTreeMap<String, ItemId>,
    got: &mut Fetched,
) -> Result<(), SyncError> {
    let mut found = parents.clone();
    for (rid, r) in &got.listed {
        if let Some(marker) = &r.marker
            && r.kind == Some(Kind::Epic)
            && !found.contains_key(rid)
        {
            found.insert(rid.clone(), marker.clone());
        }
    }
    if found.len() == parents.len() {
        return Ok(());
    }
    let unknown: Vec<String> = got
        .listed
        .iter()
        .filter(|(_, r)| r.kind == Some(Kind::Story) && !r.fields.contains_key("epic"))
        .map(|(rid, _)| rid.clone())
        .collect();
    for rid in unknown {
        let Some(w) = remote.get(&rid, Kind::Story, &found).await? else { continue };
        let Some(epic) = w.fields.get("epic") else { continue };
        if let Some(r) = got.listed.get_mut(&rid) {
            r.fields.insert("epic".into(), epic.clone());
        }
        if let Some(m) = got.meta.get_mut(&rid) {
            m.fields.insert("epic".into(), epic.clone());
        }
    }
    Ok(())
}
