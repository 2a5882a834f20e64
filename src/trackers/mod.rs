//! Trackers: what the engine needs of a target (the [`Tracker`] trait) and the registry that
//! builds one from its settings. Each tracker lives in its own folder (`github/`,
//! `azure_boards/`): connector, mapping, adapter, identity lookup, webhook verdict, readiness
//! probe and its comments/milestones I/O. Nothing outside this folder names a tracker's types.
//!
//! The trait's async methods return boxed futures ([`BoxFuture`], from `futures`, already a
//! dependency) rather than `async fn`: native `async fn` in traits is not dyn-compatible, and the
//! engine holds its targets as trait objects. `async-trait` would write the same boxes through a
//! macro; spelling them out costs one `Box::pin(async move { … })` per method and no new crate.

pub mod azure_boards;
pub mod github;
mod registry;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

pub use registry::{
    Probe, TargetKind, TrackerSettings, connect, identity_source, mapping_name, mapping_to_check, prepare, probe_of,
    webhook_routes,
};

use crate::comments::Comment;
use crate::connector::retry::RetryPolicy;
use crate::connector::{Budget, RemoteError};
use crate::mapping::FieldMap;
use crate::mapping::adapt::Adaptation;
use crate::milestones::plan::{TargetMilestones, Wanted};
use crate::model::{ItemId, Kind};
use crate::reconcile::remote::{Fetched, ItemWrite, Written};
use crate::store::{Link, Watermark};

/// Work items in a recycle bin carrying a wanted marker, as (remote id, item): see
/// [`Tracker::recycled`].
pub type Recycled = Vec<(String, ItemId)>;

/// Per item written by [`Tracker::finish`]: the fields meant and what the remote now holds.
pub type Finished = Vec<(ItemId, FieldMap, Written)>;

/// One target as the engine sees it. A tracker speaks canonical field maps; how it lists, writes,
/// batches, and names people is its own business.
pub trait Tracker: Send + Sync + std::any::Any {
    /// The target's name (`[[targets]] name`).
    fn name(&self) -> &str;

    /// The registry's kind name (`github`, `azure-boards`).
    fn kind(&self) -> &'static str;

    /// How the tracker is named to people (`GitHub`, `Azure Boards`).
    fn label(&self) -> &'static str;

    /// The person's identity on this tracker for a canonical `owner` (identity lookup).
    fn identity_of(&self, owner: &str) -> Option<&str>;

    /// Every person this tracker can name, as (canonical id, identity here), in the order
    /// `identities.toml` lists them: what an owner read from or written to it resolves through.
    fn identities(&self) -> Vec<(&str, &str)>;

    /// Takes `mappings/identities.toml` as it reads now (`serve` re-reads it before each run).
    fn set_identities(&mut self, people: crate::mapping::Identities);

    /// Whether this target can show `owner` (empty, or a person with an identity here).
    fn carries_owner(&self, owner: &str) -> bool {
        owner.is_empty() || self.identity_of(owner).is_some()
    }

    /// The login the sync's own edits carry here, when it is an app's; known without a request.
    fn app_login(&self) -> Option<String> {
        None
    }

    fn budget(&self) -> Budget;

    /// Requests sent so far, retries included.
    fn requests(&self) -> u64;

    /// Replaces the retry policy (tests and benchmarks use shorter waits).
    fn set_retry(&mut self, retry: RetryPolicy);

    /// Lists changed items since the watermark (or everything when `full`). `parents` maps remote
    /// ids to linked item ids so that a parent becomes the `epic` field.
    fn fetch<'a>(
        &'a self,
        full: bool,
        watermark: Option<&'a Watermark>,
        parents: &'a BTreeMap<String, ItemId>,
    ) -> BoxFuture<'a, Result<Fetched, RemoteError>>;

    /// The item now, or `None` when it was deleted.
    fn get<'a>(
        &'a self,
        remote_id: &'a str,
        kind: Kind,
        parents: &'a BTreeMap<String, ItemId>,
    ) -> BoxFuture<'a, Result<Option<Written>, RemoteError>>;

    /// Items this target holds deleted but restorable (Azure Boards' recycle bin), created by the
    /// identity it syncs as and carrying the marker of one of `wanted`, as (remote id, item);
    /// `known` remote ids are not read. `None`: the target has no such bin (a deleted GitHub
    /// issue is gone for good).
    fn recycled<'a>(
        &'a self,
        _known: &'a std::collections::BTreeSet<String>,
        _wanted: &'a std::collections::BTreeSet<ItemId>,
    ) -> BoxFuture<'a, Option<Result<Recycled, RemoteError>>> {
        Box::pin(async { None })
    }

    /// Whether a deleted item can come back here (Azure Boards' recycle bin): a create of an item
    /// whose deleted one is known ([`Tracker::remember_recycled`]) restores that one instead.
    fn restores(&self) -> bool {
        false
    }

    /// Notes that `remote_id`, in the recycle bin, is `id`'s deleted item: a create of `id` in
    /// this process restores it instead. Nothing on a target with no bin.
    fn remember_recycled(&self, _id: &ItemId, _remote_id: &str) {}

    /// Creates the item stamped with its marker, as it is (see `Remote::create` for the owner
    /// the remote refuses).
    fn create<'a>(&'a self, item: ItemWrite<'a>, since: DateTime<Utc>) -> BoxFuture<'a, Result<Written, RemoteError>>;

    /// Brings the remote item to `item.fields` for the fields behind `changes`; re-parents it when
    /// the epic changed. A tracker may hold part of the write for [`Tracker::finish`].
    fn update<'a>(
        &'a self,
        link: &'a Link,
        item: ItemWrite<'a>,
        changes: &'a FieldMap,
        old_parent: Option<&'a Link>,
    ) -> BoxFuture<'a, Result<Written, RemoteError>>;

    /// Sends what this run left pending (a batching tracker's held writes); per item, the fields
    /// meant and what the remote now holds, already restored.
    fn finish(&self) -> BoxFuture<'_, Result<Finished, RemoteError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Whether a create of `fields` sets the state in a later request than the one that makes
    /// the item (a kill or a lost answer may cut it off): then a state other than the one sent,
    /// on the item found by its marker, is not known to be a person's edit.
    fn create_sets_state_later(&self, _kind: Kind, _id: &ItemId, _fields: &FieldMap) -> bool {
        true
    }

    /// Of `sent` (what the create of `remote_id` sent), the fields a revision after the one the
    /// create made showed as sent: the write that finished the create landed, so a value the
    /// create's default filled in shown now is a person's edit since (finding 57). None by
    /// default (a tracker with no create defaults has no such write).
    fn shown_after_create<'a>(
        &'a self,
        _remote_id: &'a str,
        _kind: Kind,
        _sent: &'a FieldMap,
    ) -> BoxFuture<'a, Result<BTreeSet<String>, RemoteError>> {
        Box::pin(async { Ok(BTreeSet::new()) })
    }

    /// Whether [`Tracker::update_many`] can send several updates in one request.
    fn batches_updates(&self) -> bool {
        false
    }

    /// Canonical values this tracker fills in on a create that sent the field empty (Boards gives
    /// a new work item priority 2): a create found by its marker showing one is not a person's
    /// edit. None by default: what such a tracker shows beyond the create is someone's edit.
    fn create_defaults(&self) -> FieldMap {
        FieldMap::new()
    }

    /// The canonical states a create of `kind` may show before the request that sets a later
    /// state lands (Boards creates every work item in its first state): a create found by its
    /// marker showing another state than these and the one it sent was moved by a person.
    /// `None`: not known, any state shown is taken as the create's.
    fn created_states(&self, _kind: Kind) -> Option<BTreeSet<String>> {
        None
    }

    /// Sends several updates, each as [`Tracker::update`] would first send it, in one request
    /// where the tracker can. `None` where the write was not sent: the caller updates it alone.
    fn update_many<'a>(
        &'a self,
        writes: &'a [(&'a Link, ItemWrite<'a>, &'a FieldMap)],
    ) -> BoxFuture<'a, Vec<Option<Result<Written, RemoteError>>>> {
        Box::pin(async move { vec![None; writes.len()] })
    }

    /// Whether `e` is the remote refusing a write for its assignee.
    fn refuses_owner(&self, e: &RemoteError) -> bool;

    /// What a person does so that an owner can be assigned here.
    fn assign_hint(&self) -> &'static str;

    /// The adaptations noted while writing in this run.
    fn notes(&self) -> &Mutex<Vec<Adaptation>>;

    /// Whether `owner` can be assigned the linked item now; unknown (an error) counts as yes.
    fn can_assign<'a>(&'a self, owner: &'a str, link: &'a Link) -> BoxFuture<'a, bool>;

    /// The fields read back from an item written with `meant`, as meant (see the mappings' `restore`).
    fn restore(&self, kind: Kind, id: &ItemId, meant: &FieldMap, read: &mut FieldMap);

    /// What this target adapts when it is sent `fields`: tags it cannot hold, a body over its limit.
    fn adaptations(&self, kind: Kind, id: &ItemId, fields: &FieldMap) -> Vec<Adaptation>;

    /// The form of the comments this tracker holds (marker and attribution of mirrors).
    fn comment_form(&self) -> crate::comments::Tracker;

    /// The comments of one remote item.
    fn comments<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Result<Vec<Comment>, RemoteError>>;

    /// Posts a comment; returns its id.
    fn add_comment<'a>(&'a self, remote_id: &'a str, text: &'a str) -> BoxFuture<'a, Result<String, RemoteError>>;

    fn edit_comment<'a>(
        &'a self,
        remote_id: &'a str,
        comment: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), RemoteError>>;

    fn delete_comment<'a>(&'a self, remote_id: &'a str, comment: &'a str) -> BoxFuture<'a, Result<(), RemoteError>>;

    /// The remote ids whose comments changed since `since`, where the tracker can ask that in one
    /// request (`None`: it cannot; a changed comment then shows as a changed item).
    fn comments_changed_since(&self, _since: DateTime<Utc>) -> BoxFuture<'_, Option<Result<Vec<String>, RemoteError>>> {
        Box::pin(async { None })
    }

    /// The target's milestones (GitHub milestones, Azure Boards iterations) as the plan sees them.
    fn milestones(&self) -> BoxFuture<'_, Result<TargetMilestones, RemoteError>>;

    fn create_milestone<'a>(&'a self, w: &'a Wanted) -> BoxFuture<'a, Result<(), RemoteError>>;

    fn update_milestone<'a>(&'a self, key: &'a str, w: &'a Wanted) -> BoxFuture<'a, Result<(), RemoteError>>;
}
