//! One target as the engine sees it: a [`Tracker`] behind [`Remote`], speaking canonical field
//! maps, and what every tracker shares: the written item, the listing, creating with marker
//! adoption, and the owner a remote refuses (left out and noted, the write goes on).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::plan::RemoteItem;
use super::trust::{Marked, NotAdopted};
use crate::connector::retry::RetryPolicy;
use crate::connector::{Budget, ErrorKind, RemoteError};
use crate::mapping::FieldMap;
use crate::mapping::adapt::{self, Adaptation};
use crate::model::{ItemId, Kind};
use crate::store::{Link, Watermark};
use crate::trackers::Tracker;

/// A remote item as written or read back: identity and the canonical fields it now holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub remote_id: String,
    pub remote_key: Option<String>,
    pub url: Option<String>,
    pub version: Option<String>,
    pub fields: FieldMap,
    pub updated_at: DateTime<Utc>,
    /// Who made its last edit, when the listing says so at no extra cost (Azure Boards'
    /// `System.ChangedBy`; GitHub's issue does not name its last editor): the backlog
    /// repository's commit names them (`Co-authored-by`).
    pub changed_by: Option<crate::backlog_git::message::Editor>,
}

/// What to write for one item: its identity, the fields the remote should hold, and the epic's
/// link on this target (the parent of a story).
#[derive(Debug, Clone, Copy)]
pub struct ItemWrite<'a> {
    pub id: &'a ItemId,
    pub kind: Kind,
    pub fields: &'a FieldMap,
    pub parent: Option<&'a Link>,
}

/// What one listing brought.
#[derive(Debug, Default)]
pub struct Fetched {
    pub listed: BTreeMap<String, RemoteItem>,
    pub meta: BTreeMap<String, Written>,
    /// The watermark to store after a successful run (`None`: keep the old one).
    pub watermark: Option<Watermark>,
    pub not_modified: bool,
    /// Items carrying our marker that were not adopted (someone else created them, or an older
    /// one carries the same marker): left out of `listed`, reported.
    pub not_adopted: Vec<NotAdopted>,
}

/// Creates an item. A create that failed in a way that may have reached the remote (a lost
/// answer, a 5xx, a rate limit) is settled by looking for the item's marker before trying again,
/// so a retry never makes a duplicate; at most four tries. Says whether the item was adopted.
pub(crate) async fn create_or_adopt<T, F, FFut, C, CFut>(
    id: &ItemId,
    mut find: F,
    mut create: C,
) -> Result<(T, bool), RemoteError>
where
    F: FnMut() -> FFut,
    FFut: std::future::Future<Output = Result<Option<T>, RemoteError>>,
    C: FnMut() -> CFut,
    CFut: std::future::Future<Output = Result<T, RemoteError>>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        if attempts > 1
            && let Some(found) = find().await?
        {
            tracing::info!(item = %id, "adopted the item a lost create made");
            return Ok((found, true));
        }
        match create().await {
            Ok(made) => return Ok((made, false)),
            Err(e)
                if attempts < 4
                    && matches!(
                        e.kind,
                        ErrorKind::UnknownOutcome | ErrorKind::Transient | ErrorKind::RateLimited(_)
                    ) =>
            {
                if let ErrorKind::RateLimited(wait) = e.kind {
                    // A refusal under a limit is a wait to show, not a warning.
                    crate::connector::wait::report(e.wait(wait));
                    tokio::time::sleep(wait).await;
                } else {
                    tracing::warn!(item = %id, error = %e, "create failed; looking for its marker before trying again");
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// The parent's link as the `parents` map listings take: remote id → item id.
pub(crate) fn parents_of(parent: Option<&Link>) -> BTreeMap<String, ItemId> {
    parent.and_then(|p| Some((p.remote_id.clone(), p.item_id.parse().ok()?))).into_iter().collect()
}

impl Fetched {
    /// Leaves out of the listing the marked, unlinked items that may not be adopted (see
    /// [`super::trust::sift`]) and notes them. `parents` maps linked remote ids to their items.
    pub(crate) fn sift(&mut self, target: &str, marked: &[Marked], parents: &BTreeMap<String, ItemId>) {
        let linked: BTreeMap<ItemId, String> = parents.iter().map(|(r, i)| (i.clone(), r.clone())).collect();
        for n in crate::reconcile::trust::sift(target, marked, &linked) {
            tracing::warn!(target = %target, remote_id = %n.remote_id, item = %n.item, "{n}");
            self.listed.remove(&n.remote_id);
            self.meta.remove(&n.remote_id);
            self.not_adopted.push(n);
        }
    }

    /// Records one listed item: as the planner sees it, and with its remote identity.
    pub fn add(&mut self, w: Written, kind: Option<Kind>, marker: Option<ItemId>) {
        let item = RemoteItem {
            remote_id: w.remote_id.clone(),
            kind,
            fields: w.fields.clone(),
            marker,
            updated_at: Some(w.updated_at),
        };
        self.listed.insert(w.remote_id.clone(), item);
        self.meta.insert(w.remote_id.clone(), w);
    }
}

/// A story's `epic` from its parent on the remote (`parent`, a remote id): empty without one, the
/// epic linked to it when known, and left out (unknown, never guessed) otherwise.
pub(crate) fn set_epic(fields: &mut FieldMap, kind: Kind, parent: Option<String>, parents: &BTreeMap<String, ItemId>) {
    if kind != Kind::Story {
        return;
    }
    match parent {
        None => {
            fields.insert("epic".into(), String::new());
        }
        Some(p) => {
            if let Some(epic) = parents.get(&p) {
                fields.insert("epic".into(), epic.to_string());
            }
        }
    }
}

/// A configured target: its tracker, and what every tracker shares around the tracker's writes.
pub struct Remote(Box<dyn Tracker>);

impl Remote {
    pub fn new(tracker: Box<dyn Tracker>) -> Remote {
        Remote(tracker)
    }

    /// The tracker behind this target.
    pub fn tracker(&self) -> &dyn Tracker {
        &*self.0
    }

    /// The tracker as its own type (a test or a bench adjusting a tracker's pacing).
    pub fn tracker_mut<T: Tracker>(&mut self) -> Option<&mut T> {
        let any: &mut dyn std::any::Any = &mut *self.0;
        any.downcast_mut::<T>()
    }

    /// The same target with another retry policy (tests and benchmarks use shorter waits).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Remote {
        self.0.set_retry(retry);
        self
    }

    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The registry's kind name of the tracker (`github`, `azure-boards`).
    pub fn kind(&self) -> &'static str {
        self.0.kind()
    }

    /// Whether this target can show `owner` (empty, or a person with an identity here). When it
    /// cannot, what the remote says about the owner is no information, never a change.
    pub fn carries_owner(&self, owner: &str) -> bool {
        self.0.carries_owner(owner)
    }

    /// A fingerprint of the identities this target reads and writes owners with (each person's
    /// canonical id and identity here, in the file's order; SHA-256, hex). A listing read owners
    /// through them: when they differ from those of the last listing, an item unchanged since may
    /// read differently now (an assignee nobody knew is a person), so the next run lists the
    /// target in full (finding 24).
    pub fn identities_fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for (canonical, identity) in self.0.identities() {
            hash.update(canonical.as_bytes());
            hash.update([0]);
            hash.update(identity.as_bytes());
            hash.update([0]);
        }
        hex::encode(hash.finalize())
    }

    /// Takes the identities as `mappings/identities.toml` reads now (a long-running `serve`).
    pub fn set_identities(&mut self, people: crate::mapping::Identities) {
        self.0.set_identities(people);
    }

    /// The login the sync's own edits carry on this target, when it is an app's; known without a
    /// request.
    pub fn app_login(&self) -> Option<String> {
        self.0.app_login()
    }

    pub fn budget(&self) -> Budget {
        self.0.budget()
    }

    pub fn requests(&self) -> u64 {
        self.0.requests()
    }

    /// Lists changed items since the watermark (or everything when `full`). `parents` maps remote
    /// ids to linked item ids so that a parent issue becomes the `epic` field.
    pub async fn fetch(
        &self,
        full: bool,
        watermark: Option<&Watermark>,
        parents: &BTreeMap<String, ItemId>,
    ) -> Result<Fetched, RemoteError> {
        self.0.fetch(full, watermark, parents).await
    }

    /// The item now, or `None` when it was deleted.
    pub async fn get(
        &self,
        remote_id: &str,
        kind: Kind,
        parents: &BTreeMap<String, ItemId>,
    ) -> Result<Option<Written>, RemoteError> {
        self.0.get(remote_id, kind, parents).await
    }

    /// Items in this target's recycle bin carrying the marker of one of `wanted` (see
    /// [`Tracker::recycled`]); `None` when it has none.
    pub async fn recycled(
        &self,
        known: &std::collections::BTreeSet<String>,
        wanted: &std::collections::BTreeSet<ItemId>,
    ) -> Option<Result<crate::trackers::Recycled, RemoteError>> {
        self.0.recycled(known, wanted).await
    }

    /// Whether a deleted item can come back here (see [`Tracker::restores`]).
    pub fn restores(&self) -> bool {
        self.0.restores()
    }

    /// Notes `remote_id` in the recycle bin as `id`'s deleted item (see
    /// [`Tracker::remember_recycled`]).
    pub fn remember_recycled(&self, id: &ItemId, remote_id: &str) {
        self.0.remember_recycled(id, remote_id)
    }

    /// Creates the item stamped with its marker; `parent` is the epic's link on this target.
    /// A create of unknown outcome is settled by looking for the marker before trying again.
    /// An owner the remote refuses (not a collaborator, not a member) is left out and noted: the
    /// item is created without the assignee.
    pub async fn create(&self, item: ItemWrite<'_>, since: DateTime<Utc>) -> Result<Written, RemoteError> {
        let mut w = match self.0.create(item, since).await {
            Err(e) if self.0.refuses_owner(&e) => {
                let without = self.note_unassignable(item, &e);
                self.0.create(ItemWrite { fields: &without, ..item }, since).await?
            }
            other => other?,
        };
        self.restore(item.kind, item.id, item.fields, &mut w.fields);
        Ok(w)
    }

    /// Notes that `item`'s owner could not be assigned here; returns its fields without the owner.
    fn note_unassignable(&self, item: ItemWrite<'_>, e: &RemoteError) -> FieldMap {
        let owner = item.fields.get("owner").cloned().unwrap_or_default();
        tracing::warn!(item = %item.id, target = self.name(), error = %e, "the owner cannot be assigned; syncing without");
        self.note(self.unassignable(item.id, &owner));
        let mut without = item.fields.clone();
        without.insert("owner".into(), String::new());
        without
    }

    /// The note for an owner this target cannot assign.
    pub fn unassignable(&self, id: &ItemId, owner: &str) -> Adaptation {
        let who = self.0.identity_of(owner).unwrap_or(owner).to_string();
        let fix = self.0.assign_hint();
        Adaptation {
            rule: adapt::OWNER_UNASSIGNABLE,
            item: id.to_string(),
            target: self.name().to_string(),
            message: format!("owner `{owner}` (`{who}`) cannot be assigned here; the item synced without the assignee"),
            hint: format!("{fix}; the next run assigns them, and the file keeps `owner:`"),
        }
    }

    fn note(&self, a: Adaptation) {
        let mut notes = self.0.notes().lock().expect("notes lock");
        if !notes.contains(&a) {
            notes.push(a);
        }
    }

    /// The adaptations noted while writing since the last call.
    pub fn take_notes(&self) -> Vec<Adaptation> {
        std::mem::take(&mut *self.0.notes().lock().expect("notes lock"))
    }

    /// Whether `owner` can be assigned the linked item now (GitHub: `GET …/assignees/{login}`;
    /// Azure DevOps: the assignment validated on the item, saving nothing). Unknown (an error)
    /// counts as yes: the write then says.
    pub async fn can_assign(&self, owner: &str, link: &Link) -> bool {
        self.0.can_assign(owner, link).await
    }

    /// The fields read back from an item written (or last agreed) with `meant`, as meant: what
    /// the target could not hold is still there, and what it holds in another form (a label's
    /// case, a cut body) is the meant value. See the mappings' `restore`.
    pub fn restore(&self, kind: Kind, id: &ItemId, meant: &FieldMap, read: &mut FieldMap) {
        self.0.restore(kind, id, meant, read)
    }

    /// What this target adapts when it is sent `fields`: tags it cannot hold, a body over its limit.
    pub fn adaptations(&self, kind: Kind, id: &ItemId, fields: &FieldMap) -> Vec<Adaptation> {
        self.0.adaptations(kind, id, fields)
    }

    /// Sends what this run left pending (a tracker that holds writes to send them together);
    /// returns per item the fields meant and what the remote now holds.
    pub async fn flush(&self) -> Result<Vec<(ItemId, FieldMap, Written)>, RemoteError> {
        self.0.finish().await
    }

    /// Whether a create of `fields` sets the state in a later request (see
    /// [`Tracker::create_sets_state_later`]).
    pub fn create_sets_state_later(&self, kind: Kind, id: &ItemId, fields: &FieldMap) -> bool {
        self.0.create_sets_state_later(kind, id, fields)
    }

    /// Of `sent`, the fields a revision after the create of `remote_id` showed as sent (see
    /// [`Tracker::shown_after_create`]).
    pub async fn shown_after_create(
        &self,
        remote_id: &str,
        kind: Kind,
        sent: &FieldMap,
    ) -> Result<BTreeSet<String>, RemoteError> {
        self.0.shown_after_create(remote_id, kind, sent).await
    }

    /// Whether [`Remote::update_many`] can send several updates in one request.
    pub fn batches_updates(&self) -> bool {
        self.0.batches_updates()
    }

    /// What the tracker fills in on a create that sent a field empty (see [`Tracker::create_defaults`]).
    pub fn create_defaults(&self) -> FieldMap {
        self.0.create_defaults()
    }

    /// The states a create may show before its later request (see [`Tracker::created_states`]).
    pub fn created_states(&self, kind: Kind) -> Option<BTreeSet<String>> {
        self.0.created_states(kind)
    }

    /// Sends several updates, each as [`Remote::update`] would first send it, in one request
    /// where the remote can. Per write, what the remote now holds, or the revision conflict that
    /// refused it; `None` where the write was not sent or failed otherwise: the caller updates
    /// those one by one.
    pub async fn update_many(
        &self,
        writes: &[(&Link, ItemWrite<'_>, &FieldMap)],
    ) -> Vec<Option<Result<Written, RemoteError>>> {
        let mut out = self.0.update_many(writes).await;
        for ((_, item, _), w) in writes.iter().zip(out.iter_mut()) {
            if let Some(Ok(w)) = w {
                self.restore(item.kind, item.id, item.fields, &mut w.fields);
            }
        }
        out
    }

    /// Brings the remote item to `fields`; moves it under `parent` when the epic changed.
    pub async fn update(
        &self,
        link: &Link,
        item: ItemWrite<'_>,
        changes: &FieldMap,
        old_parent: Option<&Link>,
    ) -> Result<Written, RemoteError> {
        let mut w = match self.0.update(link, item, changes, old_parent).await {
            Err(e) if self.0.refuses_owner(&e) => {
                let without = self.note_unassignable(item, &e);
                self.0.update(link, ItemWrite { fields: &without, ..item }, changes, old_parent).await?
            }
            other => other?,
        };
        self.restore(item.kind, item.id, item.fields, &mut w.fields);
        Ok(w)
    }
}
