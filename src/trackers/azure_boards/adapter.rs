//! An Azure Boards project as the engine sees it: the connector plus the Azure mapping, speaking
//! canonical field maps. Listing by WIQL, creating in one request (parent link included) with
//! marker adoption, and updates guarded by `test /rev`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::connector::{AzureConnector, PatchOp, WorkItem};
use super::mapping::{AzureMapping, WorkItemContent};
use crate::connector::{ErrorKind, RemoteError};
use crate::mapping::{FieldMap, Identities};
use crate::model::{ItemId, Kind};
use crate::reconcile::remote::{Fetched, ItemWrite, Written, create_or_adopt, parents_of, set_epic};
use crate::reconcile::trust::Marked;
use crate::store::{Link, Watermark};

/// An Azure Boards project target.
pub struct AzureBoardsTracker {
    pub name: String,
    pub connector: AzureConnector,
    pub mapping: AzureMapping,
    pub people: Identities,
    /// The last version of each item read or written in this process, for relation indexes.
    seen: Mutex<HashMap<i64, WorkItem>>,
    /// Writes that finish creates (Boards creates every item in its first state), sent together
    /// through `$batch` by [`AzureBoardsTracker::flush_pending`].
    pending: Mutex<Vec<Pending>>,
    /// Adaptations made while writing in this run (an owner who could not be assigned).
    pub notes: Mutex<Vec<crate::mapping::adapt::Adaptation>>,
    /// Work items Boards refused as a parent because they are in the recycle bin: a story
    /// under one has no parent on Boards, and no write links to it again.
    deleted_parents: Mutex<BTreeSet<i64>>,
    /// Work items found in the recycle bin carrying an item's marker ([`Self::recycled_marked`]):
    /// a create of that item in this process restores the work item instead (finding 42).
    recycled: Mutex<BTreeMap<ItemId, i64>>,
}

/// A created item's second write, waiting for [`AzureBoardsTracker::flush_pending`].
struct Pending {
    id: ItemId,
    kind: Kind,
    fields: FieldMap,
    parent: Option<Link>,
    current: WorkItem,
    changes: FieldMap,
}

impl AzureBoardsTracker {
    pub fn new(
        name: &str,
        connector: AzureConnector,
        mut mapping: AzureMapping,
        people: Identities,
    ) -> AzureBoardsTracker {
        // An item's milestone is its iteration under this project's root.
        mapping.project = connector.project().to_string();
        AzureBoardsTracker {
            name: name.into(),
            connector,
            mapping,
            people,
            seen: Mutex::new(HashMap::new()),
            pending: Mutex::new(Vec::new()),
            notes: Mutex::new(Vec::new()),
            deleted_parents: Mutex::new(BTreeSet::new()),
            recycled: Mutex::new(BTreeMap::new()),
        }
    }

    /// Whether Boards can show `owner`: empty, or a person with an Azure identity.
    pub fn carries_owner(&self, owner: &str) -> bool {
        owner.is_empty() || self.people.azure_identity(owner).is_some()
    }

    fn remember(&self, item: &WorkItem) {
        self.seen.lock().expect("seen lock").insert(item.id, item.clone());
    }

    fn remembered(&self, id: i64, rev: u64) -> Option<WorkItem> {
        self.seen.lock().expect("seen lock").get(&id).filter(|i| i.rev == rev).cloned()
    }

    fn fail(&self, operation: &str, kind: ErrorKind, message: String) -> RemoteError {
        RemoteError { target: self.name.clone(), operation: operation.into(), kind, status: None, message }
    }

    fn parent_deleted(&self, id: i64) -> bool {
        self.deleted_parents.lock().expect("deleted parents lock").contains(&id)
    }

    /// Whether Boards refused `ops` for the parent link they add: its work item is in the
    /// recycle bin (TF401232 names it: "Work item N does not exist"), or a link Boards does not
    /// show (to a deleted item) is in the way: the same link (TF201035) or a second parent
    /// (TF201036). A deleted parent is remembered: no write links to it again.
    fn parent_refused(&self, e: &RemoteError, ops: &[PatchOp]) -> bool {
        let Some(p) = added_parent(ops) else { return false };
        let m = &e.message;
        let gone = m.contains("TF401232") && m.contains(&format!("Work item {p} "));
        if gone {
            self.deleted_parents.lock().expect("deleted parents lock").insert(p);
        }
        let refused = gone || m.contains("TF201035") || m.contains("TF201036");
        if refused {
            tracing::warn!(target = %self.name, parent = p, error = %m, "Boards refused the parent link; the item is written without it");
        }
        refused
    }

    pub(crate) fn written(&self, kind: Kind, item: &WorkItem, parents: &BTreeMap<String, ItemId>) -> Written {
        let mut fields = self.mapping.from_work_item(kind, &item.content(), &self.people);
        set_epic(&mut fields, kind, item.parent_id().map(|p| p.to_string()), parents);
        let updated_at = item.changed_date().unwrap_or_else(Utc::now);
        Written {
            remote_id: item.id.to_string(),
            remote_key: None,
            url: item.web_url(),
            version: Some(item.rev.to_string()),
            fields,
            updated_at,
            changed_by: changed_by(item),
        }
    }

    /// Where a value read back differs from the one sent only in form (HTML converted back to
    /// Markdown writes a table rule differently, say) and renders to the same work item, the value
    /// sent is what the remote holds: no echo update follows.
    fn settle_form(&self, kind: Kind, id: &ItemId, sent: &FieldMap, written: &mut Written) {
        let rendered = self.mapping.to_work_item(kind, id, sent, &self.people);
        for (field, want) in sent {
            let Some(got) = written.fields.get(field).filter(|g| *g != want && field != "epic") else { continue };
            let mut other = sent.clone();
            other.insert(field.clone(), got.clone());
            if self.mapping.to_work_item(kind, id, &other, &self.people) == rendered {
                written.fields.insert(field.clone(), want.clone());
            }
        }
    }

    pub async fn fetch_items(
        &self,
        full: bool,
        watermark: Option<&Watermark>,
        parents: &BTreeMap<String, ItemId>,
    ) -> Result<Fetched, RemoteError> {
        let since = if full { None } else { watermark.map(|w| w.since) };
        let changed = self.connector.changed_ids(&self.mapping.types(), since).await?;
        let items = if changed.ids.is_empty() { Vec::new() } else { self.connector.get_many(&changed.ids).await? };
        let newest = items.iter().filter_map(WorkItem::changed_date).max();
        let next = changed.as_of.or(newest).or(watermark.map(|w| w.since));
        let mut out =
            Fetched { watermark: next.map(|since| Watermark { since, etag: None, query: None }), ..Fetched::default() };
        let mut marked = Vec::new();
        for item in &items {
            self.remember(item);
            let tags = item.tags();
            let kind = self.mapping.kind_of(&item.work_item_type(), &tags);
            let marker = self.mapping.marker_in(&tags);
            let linked = parents.contains_key(&item.id.to_string());
            // A linked item that no longer reads as a backlog kind is still ours, read as a story.
            let Some(k) = kind.or_else(|| (marker.is_some() || linked).then_some(Kind::Story)) else { continue };
            if let (Some(m), false) = (&marker, linked) {
                marked.push((item, m.clone()));
            }
            let written = self.written(k, item, parents);
            out.add(written, kind, marker);
        }
        if !marked.is_empty() {
            let me = self.connector.me().await?;
            let marked: Vec<Marked> = marked
                .into_iter()
                .map(|(item, marker)| {
                    let by = item.fields.get("System.CreatedBy").cloned().unwrap_or_default();
                    Marked {
                        remote_id: item.id.to_string(),
                        marker,
                        ours: me.is(&by),
                        creator: super::connector::types::value_text(&by),
                        url: item.web_url(),
                    }
                })
                .collect();
            out.sift(&self.name, &marked, parents);
        }
        Ok(out)
    }

    /// Work items in the recycle bin, created by the identity this target syncs as, carrying the
    /// marker of one of `wanted`: as (remote id, item). `known` are remote ids already accounted
    /// for (linked, or listed), never read. Requests: one for the bin's ids, then one per other
    /// item in it, newest first, stopping once every wanted item is found (and one for who the
    /// credentials are, once, when a marked one is found). An item restored or destroyed between
    /// the two reads is skipped.
    pub async fn recycled_marked(
        &self,
        known: &BTreeSet<String>,
        wanted: &BTreeSet<ItemId>,
    ) -> Result<Vec<(String, ItemId)>, RemoteError> {
        let mut ids: Vec<i64> = self.connector.recycled_ids().await?;
        ids.retain(|id| !known.contains(&id.to_string()));
        ids.sort_unstable_by(|a, b| b.cmp(a));
        let mut found: BTreeMap<ItemId, String> = BTreeMap::new();
        for id in ids {
            if found.len() == wanted.len() {
                break;
            }
            let Some(item) = self.connector.recycled(id).await? else { continue };
            let Some(marker) = self.mapping.marker_in(&item.tags()) else { continue };
            if !wanted.contains(&marker) || found.contains_key(&marker) {
                continue;
            }
            let by = item.fields.get("System.CreatedBy").cloned().unwrap_or_default();
            if !self.connector.me().await?.is(&by) {
                tracing::warn!(target = %self.name, remote_id = id, item = %marker, "a work item in the recycle bin carries the marker but was not created by the identity this target syncs as; ignored");
                continue;
            }
            self.recycled.lock().expect("recycled lock").insert(marker.clone(), id);
            found.insert(marker, id.to_string());
        }
        Ok(found.into_iter().map(|(item, rid)| (rid, item)).collect())
    }

    /// Notes that work item `rid`, in the recycle bin, is `id`'s: a create of `id` restores it.
    pub fn remember_recycled_item(&self, id: &ItemId, rid: i64) {
        self.recycled.lock().expect("recycled lock").insert(id.clone(), rid);
    }

    pub async fn get_item(
        &self,
        remote_id: &str,
        kind: Kind,
        parents: &BTreeMap<String, ItemId>,
    ) -> Result<Option<Written>, RemoteError> {
        let Ok(id) = remote_id.parse::<i64>() else { return Ok(None) };
        let item = self.connector.get(id).await?;
        Ok(item.map(|i| {
            self.remember(&i);
            self.written(kind, &i, parents)
        }))
    }

    /// Of `sent` (what the create of `remote_id` sent), the fields some revision after the first
    /// showed as sent: the write that finished the create landed (finding 57).
    pub async fn shown_after_create(
        &self,
        remote_id: &str,
        kind: Kind,
        sent: &FieldMap,
    ) -> Result<BTreeSet<String>, RemoteError> {
        let Ok(id) = remote_id.parse::<i64>() else { return Ok(BTreeSet::new()) };
        let parents = BTreeMap::new();
        let mut out = BTreeSet::new();
        for revision in self.connector.revisions(id).await?.iter().skip(1) {
            let mut shown = self.written(kind, revision, &parents);
            self.mapping.restore(sent, &mut shown.fields);
            out.extend(sent.iter().filter(|(f, v)| shown.fields.get(*f) == Some(*v)).map(|(f, _)| f.clone()));
        }
        Ok(out)
    }

    /// The patch operations that set `refs` to their values in `content`.
    fn field_ops(&self, content: &WorkItemContent, refs: &BTreeSet<String>, skip_empty: bool) -> Vec<PatchOp> {
        let mut ops = Vec::new();
        for field in refs {
            let Some(value) = content.fields.get(field) else { continue };
            if skip_empty && value.is_empty() {
                continue;
            }
            ops.push(PatchOp::set(field, value));
            if content.markdown.contains(field) {
                ops.push(PatchOp::markdown(field));
            }
        }
        ops
    }

    /// Creates the item in one request: fields, Markdown formats, marker tag and parent link.
    /// A create of unknown outcome is settled by looking for the marker before trying again;
    /// what a create cannot set (a state past the first, values Boards filled in) follows in
    /// one update.
    pub async fn create_item(&self, item: ItemWrite<'_>, _since: DateTime<Utc>) -> Result<Written, RemoteError> {
        let ItemWrite { id, kind, fields, parent } = item;
        let content = self.mapping.to_work_item(kind, id, fields, &self.people);
        let refs: BTreeSet<String> = content.fields.keys().filter(|f| *f != "System.State").cloned().collect();
        let mut ops = self.field_ops(&content, &refs, true);
        let parent_id = parent
            .filter(|_| kind == Kind::Story)
            .and_then(|p| p.remote_id.parse::<i64>().ok())
            .filter(|p| !self.parent_deleted(*p));
        if let Some(p) = parent_id {
            ops.push(PatchOp::add_parent(&self.connector.item_url(p)));
        }
        let tag = self.mapping.marker_tag(id);
        // Its work item was found in the recycle bin (a file `removed` by that deletion, revived
        // since): it is restored rather than created again, so that a person restoring it later
        // does not make two (finding 42); what the file says now follows as after a create.
        let binned = self.recycled.lock().expect("recycled lock").remove(id);
        let restored = match binned {
            Some(rid) => self.connector.restore(rid).await?,
            None => None,
        };
        if let Some(r) = &restored {
            tracing::info!(target = %self.name, item = %id, remote_id = r.id, "restored the item's work item from the recycle bin instead of creating another");
        }
        let (created, _) = match restored {
            Some(r) => (r, true),
            None => {
                create_or_adopt(
                    id,
                    || async {
                        let found = self.connector.find_by_tag(&tag).await?;
                        if found.is_empty() {
                            return Ok(None);
                        }
                        // Only an item our own identity created is the lost create; the oldest of them.
                        let me = self.connector.me().await?;
                        let ours = |i: &WorkItem| i.fields.get("System.CreatedBy").is_some_and(|by| me.is(by));
                        Ok(crate::reconcile::trust::choose(found, |i| i.id.to_string(), ours))
                    },
                    || async {
                        match self.connector.create(&content.work_item_type, &ops).await {
                            Err(e) if self.parent_refused(&e, &ops) => {
                                self.connector.create(&content.work_item_type, &without_parent(&ops)).await
                            }
                            created => created,
                        }
                    },
                )
                .await?
            }
        };
        self.remember(&created);
        let parents = parents_of(parent);
        let mut written = self.written(kind, &created, &parents);
        self.settle_form(kind, id, fields, &mut written);
        // A create sends the epic: a parent refused as deleted keeps it (finding 69).
        self.keep_epic_of_deleted_parent(item, fields, &mut written);
        let owner_known = fields.get("owner").is_none_or(|o| self.carries_owner(o));
        let rest: FieldMap = fields
            .iter()
            .filter(|(k, v)| {
                k.as_str() != "epic" && (owner_known || k.as_str() != "owner") && written.fields.get(*k) != Some(*v)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let parent_missing = parent_id.is_some_and(|p| !self.parent_deleted(p)) && created.parent_id() != parent_id;
        if rest.is_empty() && !parent_missing {
            return Ok(written);
        }
        let mut changes = rest;
        if parent_missing {
            changes.insert("epic".into(), fields.get("epic").cloned().unwrap_or_default());
        }
        // The rest (a later state, values Boards filled in) goes out with the other creates'
        // in one `$batch` at the end of the run; until then the link's base says what Boards holds.
        self.pending.lock().expect("pending lock").push(Pending {
            id: id.clone(),
            kind,
            fields: fields.clone(),
            parent: parent.cloned(),
            current: created,
            changes,
        });
        Ok(written)
    }

    /// Sends the pending second writes of this run's creates, 200 to a request. Returns, per
    /// item written, the fields that were meant and what Boards now holds; an item that failed is
    /// left for the next run, which sees its base differ and writes it again.
    pub async fn flush_pending(&self) -> Result<Vec<(ItemId, FieldMap, Written)>, RemoteError> {
        let pending = std::mem::take(&mut *self.pending.lock().expect("pending lock"));
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let patches: Vec<(i64, Vec<PatchOp>)> = pending
            .iter()
            .map(|p| {
                let item = ItemWrite { id: &p.id, kind: p.kind, fields: &p.fields, parent: p.parent.as_ref() };
                (p.current.id, self.write_ops(&p.current, item, &p.changes))
            })
            .collect();
        let mut answers = self.connector.update_many(&patches).await?;
        // A parent Boards refused (in the recycle bin, or a link it hides in the way): those go
        // again without it.
        let refused: Vec<usize> = answers
            .iter()
            .enumerate()
            .filter(|(i, a)| matches!(a, Err(e) if self.parent_refused(e, &patches[*i].1)))
            .map(|(i, _)| i)
            .collect();
        if !refused.is_empty() {
            let again: Vec<(i64, Vec<PatchOp>)> =
                refused.iter().map(|i| (patches[*i].0, without_parent(&patches[*i].1))).collect();
            for (i, answer) in refused.iter().zip(self.connector.update_many(&again).await?) {
                answers[*i] = answer;
            }
        }
        // A story created under an epic in this run moved the epic's revision: read those again
        // and send them once more with their new revision.
        let stale: Vec<usize> = answers
            .iter()
            .enumerate()
            .filter(|(_, a)| matches!(a, Err(e) if e.kind == ErrorKind::Conflict))
            .map(|(i, _)| i)
            .collect();
        if !stale.is_empty() {
            let ids: Vec<i64> = stale.iter().map(|i| pending[*i].current.id).collect();
            let fresh: HashMap<i64, WorkItem> =
                self.connector.get_many(&ids).await?.into_iter().map(|w| (w.id, w)).collect();
            let mut retry = Vec::new();
            for i in &stale {
                let p = &pending[*i];
                if let Some(now) = fresh.get(&p.current.id) {
                    let item = ItemWrite { id: &p.id, kind: p.kind, fields: &p.fields, parent: p.parent.as_ref() };
                    retry.push((*i, (now.id, self.write_ops(now, item, &p.changes))));
                }
            }
            let patches: Vec<(i64, Vec<PatchOp>)> = retry.iter().map(|(_, patch)| patch.clone()).collect();
            for ((i, _), answer) in retry.iter().zip(self.connector.update_many(&patches).await?) {
                answers[*i] = answer;
            }
        }
        let mut out = Vec::new();
        for (p, answer) in pending.into_iter().zip(answers) {
            match answer {
                Ok(updated) => {
                    self.remember(&updated);
                    let mut written = self.written(p.kind, &updated, &parents_of(p.parent.as_ref()));
                    self.settle_form(p.kind, &p.id, &p.fields, &mut written);
                    // The create sent the epic, whatever this write holds of it (finding 69).
                    let item = ItemWrite { id: &p.id, kind: p.kind, fields: &p.fields, parent: p.parent.as_ref() };
                    self.keep_epic_of_deleted_parent(item, &p.fields, &mut written);
                    out.push((p.id, p.fields, written));
                }
                Err(e) => {
                    tracing::warn!(item = %p.id, error = %e, "the write that finishes a create failed; the next run repeats it")
                }
            }
        }
        Ok(out)
    }

    /// Brings the item to `fields`, writing the Boards fields behind `changes`; moves it under
    /// `parent` when the epic changed. Starts with `test /rev` on the linked revision.
    pub async fn update_item(
        &self,
        link: &Link,
        item: ItemWrite<'_>,
        changes: &FieldMap,
        _old_parent: Option<&Link>,
    ) -> Result<Written, RemoteError> {
        let id: i64 = link.remote_id.parse().map_err(|_| {
            self.fail(
                "update work item",
                ErrorKind::Fatal,
                format!("the link of `{}` names `{}`, which is not a work item id", item.id, link.remote_id),
            )
        })?;
        let rev = link.remote_version.as_deref().and_then(|v| v.parse::<u64>().ok());
        let needs_relations = item.kind == Kind::Story && changes.contains_key("epic");
        // A parent change reads the item's links afresh: one Boards hides since (its parent went
        // to the recycle bin) leaves the revision as it was, and a `/relations/N` index counts
        // only the links Boards shows.
        let current = match rev.and_then(|r| self.remembered(id, r)).filter(|_| !needs_relations) {
            Some(c) => c,
            // The revision we merged against is all a field update needs.
            None if !needs_relations && rev.is_some() => WorkItem {
                id,
                rev: rev.unwrap_or_default(),
                fields: Default::default(),
                relations: Vec::new(),
                multiline_fields_format: Default::default(),
                url: String::new(),
            },
            None => {
                let mut read = self.read(id, item.id).await?;
                if let Some(r) = rev {
                    read.rev = r;
                }
                read
            }
        };
        self.write(&current, item, changes).await
    }

    /// Sends in `$batch` the writes that [`AzureBoardsTracker::update_item`] would send as they are: those
    /// whose revision is known without a read and that change something, when there are two or
    /// more (a batch of one gains nothing). Per write, what Boards now holds or the revision
    /// conflict that refused it; `None` when not sent or failed otherwise (a rule, a 5xx…).
    pub async fn update_batch(
        &self,
        writes: &[(&Link, ItemWrite<'_>, &FieldMap)],
    ) -> Vec<Option<Result<Written, RemoteError>>> {
        let mut out = vec![None; writes.len()];
        let mut sent = Vec::new();
        let mut patches = Vec::new();
        for (i, (link, item, changes)) in writes.iter().enumerate() {
            let (Ok(id), Some(rev)) =
                (link.remote_id.parse::<i64>(), link.remote_version.as_deref().and_then(|v| v.parse::<u64>().ok()))
            else {
                continue;
            };
            let needs_relations = item.kind == Kind::Story && changes.contains_key("epic");
            // A parent change goes by itself, reading the item's links afresh (`update_item`).
            if needs_relations {
                continue;
            }
            let current = match self.remembered(id, rev) {
                Some(c) => c,
                None => WorkItem {
                    id,
                    rev,
                    fields: Default::default(),
                    relations: Vec::new(),
                    multiline_fields_format: Default::default(),
                    url: String::new(),
                },
            };
            let ops = self.write_ops(&current, *item, changes);
            if ops.len() > 1 {
                sent.push(i);
                patches.push((id, ops));
            }
        }
        if patches.len() < 2 {
            return out;
        }
        let answers = match self.connector.update_many(&patches).await {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(error = %e, "the batch of updates failed; they go one by one");
                return out;
            }
        };
        for (i, answer) in sent.into_iter().zip(answers) {
            let updated = match answer {
                Ok(updated) => updated,
                Err(e) if e.kind == ErrorKind::Conflict => {
                    out[i] = Some(Err(e));
                    continue;
                }
                Err(_) => continue,
            };
            let (_, item, _) = writes[i];
            self.remember(&updated);
            let mut written = self.written(item.kind, &updated, &parents_of(item.parent));
            self.settle_form(item.kind, item.id, item.fields, &mut written);
            out[i] = Some(Ok(written));
        }
        out
    }

    async fn read(&self, id: i64, item: &ItemId) -> Result<WorkItem, RemoteError> {
        match self.connector.get(id).await? {
            Some(i) => {
                self.remember(&i);
                Ok(i)
            }
            None => Err(RemoteError {
                target: self.name.clone(),
                operation: "update work item".into(),
                kind: ErrorKind::NotFound,
                status: Some(404),
                message: format!("work item {id} of `{item}` is gone"),
            }),
        }
    }

    /// The JSON Patch that brings `current` to `item` for the fields behind `changes`, starting
    /// with `test /rev`.
    fn write_ops(&self, current: &WorkItem, item: ItemWrite<'_>, changes: &FieldMap) -> Vec<PatchOp> {
        let ItemWrite { id, kind, fields, parent } = item;
        let content = self.mapping.to_work_item(kind, id, fields, &self.people);
        let refs: BTreeSet<String> = changes.keys().flat_map(|f| self.mapping.targets_of(kind, f)).collect();
        let mut ops = vec![PatchOp::test_rev(current.rev)];
        ops.extend(self.field_ops(&content, &refs, false));
        if kind == Kind::Story && changes.contains_key("epic") {
            // A parent in the recycle bin is no parent on Boards.
            let wanted = parent.and_then(|p| p.remote_id.parse::<i64>().ok()).filter(|p| !self.parent_deleted(*p));
            if current.parent_id() != wanted {
                if let Some(index) = current.parent_index() {
                    ops.push(PatchOp::remove_relation(index));
                }
                if let Some(p) = wanted {
                    ops.push(PatchOp::add_parent(&self.connector.item_url(p)));
                }
            }
        }
        ops
    }

    async fn write(&self, current: &WorkItem, item: ItemWrite<'_>, changes: &FieldMap) -> Result<Written, RemoteError> {
        let ItemWrite { id, kind, fields, parent } = item;
        let ops = self.write_ops(current, item, changes);
        let parents = parents_of(parent);
        if ops.len() == 1 {
            let now = if current.fields.is_empty() { self.read(current.id, id).await? } else { current.clone() };
            let mut written = self.written(kind, &now, &parents);
            self.keep_epic_of_deleted_parent(item, changes, &mut written);
            return Ok(written);
        }
        let updated = match self.connector.update(current.id, &ops).await {
            // The parent cannot be linked (in the recycle bin, or a link Boards hides is in the
            // way): the rest of the write goes out, and the story has no parent on Boards.
            Err(e) if self.parent_refused(&e, &ops) => {
                let rest = without_parent(&ops);
                if rest.len() == 1 {
                    let now = self.read(current.id, id).await?;
                    let mut written = self.written(kind, &now, &parents);
                    self.keep_epic_of_deleted_parent(item, changes, &mut written);
                    return Ok(written);
                }
                self.connector.update(current.id, &rest).await?
            }
            updated => updated?,
        };
        self.remember(&updated);
        let mut written = self.written(kind, &updated, &parents);
        self.settle_form(kind, id, fields, &mut written);
        self.keep_epic_of_deleted_parent(item, changes, &mut written);
        Ok(written)
    }

    /// A story sent under an epic whose work item is in the recycle bin (Boards refused the link,
    /// now or before) shows no parent: what it holds of `epic` is the file's (the deletion is no
    /// edit of it, finding 40), so its base keeps the epic; a base of "" met the file's epic as a
    /// change to send on every later run (finding 63). GitHub's 410 does the same (finding 61).
    fn keep_epic_of_deleted_parent(&self, item: ItemWrite<'_>, changes: &FieldMap, written: &mut Written) {
        let gone = item.parent.and_then(|p| p.remote_id.parse::<i64>().ok()).is_some_and(|p| self.parent_deleted(p));
        if item.kind == Kind::Story
            && changes.contains_key("epic")
            && gone
            && written.fields.get("epic").is_some_and(|e| e.is_empty())
            && let Some(epic) = item.fields.get("epic").filter(|e| !e.is_empty())
        {
            written.fields.insert("epic".into(), epic.clone());
        }
    }
}

/// The parent a patch links the item to (`add /relations/-` of a `Hierarchy-Reverse`).
fn added_parent(ops: &[PatchOp]) -> Option<i64> {
    ops.iter().find_map(|o| {
        let v = o.value.as_ref().filter(|_| o.op == "add" && o.path == "/relations/-")?;
        let rel = v.get("rel")?.as_str()?;
        if !rel.eq_ignore_ascii_case(super::connector::types::PARENT) {
            return None;
        }
        super::connector::types::id_from_url(v.get("url")?.as_str()?)
    })
}

/// `ops` without the parent link they add.
fn without_parent(ops: &[PatchOp]) -> Vec<PatchOp> {
    ops.iter().filter(|o| added_parent(std::slice::from_ref(*o)).is_none()).cloned().collect()
}

/// `System.ChangedBy` (an identity reference, or `Name <unique>` text in older answers).
fn changed_by(item: &WorkItem) -> Option<crate::backlog_git::message::Editor> {
    let v = item.fields.get("System.ChangedBy")?;
    let (name, unique) = match v {
        serde_json::Value::Object(o) => (
            o.get("displayName").and_then(|n| n.as_str()).unwrap_or_default().to_string(),
            o.get("uniqueName").and_then(|n| n.as_str()).unwrap_or_default().to_string(),
        ),
        serde_json::Value::String(text) => match text.split_once('<') {
            Some((name, rest)) => (name.trim().to_string(), rest.trim_end_matches('>').trim().to_string()),
            None => (text.clone(), text.clone()),
        },
        _ => return None,
    };
    (!unique.is_empty()).then_some(crate::backlog_git::message::Editor::Azure { name, unique })
}
