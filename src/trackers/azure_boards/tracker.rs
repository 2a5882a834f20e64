//! The [`Tracker`] an Azure Boards project is: the adapter's listing and writes, the `$batch` of
//! the run's held writes, identity lookup, and the work items' comments and the project's
//! iterations (its milestones).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use futures::future::BoxFuture;

use super::adapter::AzureBoardsTracker;
use super::connector::PatchOp;
use super::mapping::html::html_to_markdown;
use crate::comments::Comment;
use crate::connector::retry::RetryPolicy;
use crate::connector::{Budget, RemoteError};
use crate::mapping::FieldMap;
use crate::mapping::adapt::Adaptation;
use crate::milestones::plan::{TargetMilestones, TrackerMilestone, Wanted};
use crate::model::{ItemId, Kind};
use crate::reconcile::remote::{Fetched, ItemWrite, Written};
use crate::store::{Link, Watermark};
use crate::trackers::{Finished, Tracker};

impl Tracker for AzureBoardsTracker {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        super::KIND
    }

    fn label(&self) -> &'static str {
        "Azure Boards"
    }

    fn identity_of(&self, owner: &str) -> Option<&str> {
        self.people.azure_identity(owner)
    }

    fn identities(&self) -> Vec<(&str, &str)> {
        self.people.people.iter().filter_map(|p| Some((p.canonical.as_str(), p.azure.as_deref()?))).collect()
    }

    fn set_identities(&mut self, people: crate::mapping::Identities) {
        self.people = people;
    }

    fn budget(&self) -> Budget {
        self.connector.budget()
    }

    fn requests(&self) -> u64 {
        self.connector.requests()
    }

    fn set_retry(&mut self, retry: RetryPolicy) {
        self.connector.set_retry(retry);
    }

    fn fetch<'a>(
        &'a self,
        full: bool,
        watermark: Option<&'a Watermark>,
        parents: &'a BTreeMap<String, ItemId>,
    ) -> BoxFuture<'a, Result<Fetched, RemoteError>> {
        Box::pin(self.fetch_items(full, watermark, parents))
    }

    fn get<'a>(
        &'a self,
        remote_id: &'a str,
        kind: Kind,
        parents: &'a BTreeMap<String, ItemId>,
    ) -> BoxFuture<'a, Result<Option<Written>, RemoteError>> {
        Box::pin(self.get_item(remote_id, kind, parents))
    }

    fn shown_after_create<'a>(
        &'a self,
        remote_id: &'a str,
        kind: Kind,
        sent: &'a FieldMap,
    ) -> BoxFuture<'a, Result<BTreeSet<String>, RemoteError>> {
        Box::pin(self.shown_after_create(remote_id, kind, sent))
    }

    fn recycled<'a>(
        &'a self,
        known: &'a std::collections::BTreeSet<String>,
        wanted: &'a std::collections::BTreeSet<ItemId>,
    ) -> BoxFuture<'a, Option<Result<crate::trackers::Recycled, RemoteError>>> {
        Box::pin(async move { Some(self.recycled_marked(known, wanted).await) })
    }

    fn restores(&self) -> bool {
        true
    }

    fn remember_recycled(&self, id: &ItemId, remote_id: &str) {
        if let Ok(rid) = remote_id.parse::<i64>() {
            self.remember_recycled_item(id, rid);
        }
    }

    fn create<'a>(&'a self, item: ItemWrite<'a>, since: DateTime<Utc>) -> BoxFuture<'a, Result<Written, RemoteError>> {
        Box::pin(self.create_item(item, since))
    }

    fn update<'a>(
        &'a self,
        link: &'a Link,
        item: ItemWrite<'a>,
        changes: &'a FieldMap,
        old_parent: Option<&'a Link>,
    ) -> BoxFuture<'a, Result<Written, RemoteError>> {
        Box::pin(self.update_item(link, item, changes, old_parent))
    }

    /// The writes that finish creates (Boards creates every item in its first state), in `$batch`.
    fn finish(&self) -> BoxFuture<'_, Result<Finished, RemoteError>> {
        Box::pin(async move {
            let mut done = self.flush_pending().await?;
            for (_, fields, w) in &mut done {
                self.mapping.restore(fields, &mut w.fields);
            }
            Ok(done)
        })
    }

    fn batches_updates(&self) -> bool {
        true
    }

    /// `Microsoft.VSTS.Common.Priority` has a default of 2 (`defaultValue` in the field's
    /// definition; `alwaysRequired` false, so a later write may clear it).
    fn create_defaults(&self) -> FieldMap {
        [("priority".to_string(), "2".to_string())].into_iter().collect()
    }

    /// A create sends no `System.State`: the work item starts in the state the mapping's `new`
    /// names, shown with or without that rule's tag (a create that sent another state sends
    /// none of its tag).
    fn created_states(&self, kind: Kind) -> Option<BTreeSet<String>> {
        let (first, tag) = self.mapping.state_rule(kind, crate::model::State::New);
        let tagged: Vec<String> = tag.map(String::from).into_iter().collect();
        Some([&[][..], &tagged[..]].iter().map(|tags| self.mapping.state_of(kind, first, tags).to_string()).collect())
    }

    fn update_many<'a>(
        &'a self,
        writes: &'a [(&'a Link, ItemWrite<'a>, &'a FieldMap)],
    ) -> BoxFuture<'a, Vec<Option<Result<Written, RemoteError>>>> {
        Box::pin(self.update_batch(writes))
    }

    /// Azure DevOps' TF401320 rule error on Assigned To.
    fn refuses_owner(&self, e: &RemoteError) -> bool {
        e.status == Some(400) && e.message.contains("TF401320") && e.message.contains("Assigned To")
    }

    fn assign_hint(&self) -> &'static str {
        "add them to the organization and the project"
    }

    fn notes(&self) -> &Mutex<Vec<Adaptation>> {
        &self.notes
    }

    /// The assignment validated on the item, saving nothing.
    fn can_assign<'a>(&'a self, owner: &'a str, link: &'a Link) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            match (self.people.azure_identity(owner), link.remote_id.parse::<i64>()) {
                (Some(who), Ok(id)) => {
                    let ops = [PatchOp::set("System.AssignedTo", who)];
                    self.connector.validates(id, &ops).await.unwrap_or(true)
                }
                _ => true,
            }
        })
    }

    fn restore(&self, _kind: Kind, _id: &ItemId, meant: &FieldMap, read: &mut FieldMap) {
        self.mapping.restore(meant, read)
    }

    fn adaptations(&self, _kind: Kind, id: &ItemId, fields: &FieldMap) -> Vec<Adaptation> {
        self.mapping.adaptations(id, fields, &self.name)
    }

    fn comment_form(&self) -> crate::comments::Tracker {
        crate::comments::Tracker::AzureBoards
    }

    fn comments<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Result<Vec<Comment>, RemoteError>> {
        Box::pin(async move {
            let id = remote_id.parse().unwrap_or_default();
            let url = self.connector.web_item_url(id);
            Ok(self
                .connector
                .comments(id)
                .await?
                .into_iter()
                .map(|c| {
                    let markdown = if c.is_markdown() { c.text.clone() } else { html_to_markdown(&c.text) };
                    let author = if c.created_by.display_name.is_empty() {
                        c.created_by.unique_name
                    } else {
                        c.created_by.display_name
                    };
                    Comment {
                        id: c.id.to_string(),
                        author,
                        created_at: c.created_date,
                        version: c.version.to_string(),
                        text: c.text,
                        markdown,
                        url: url.clone(),
                    }
                })
                .collect())
        })
    }

    fn add_comment<'a>(&'a self, remote_id: &'a str, text: &'a str) -> BoxFuture<'a, Result<String, RemoteError>> {
        Box::pin(async move {
            Ok(self.connector.add_comment(remote_id.parse().unwrap_or_default(), text).await?.id.to_string())
        })
    }

    fn edit_comment<'a>(
        &'a self,
        remote_id: &'a str,
        comment: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), RemoteError>> {
        Box::pin(async move {
            self.connector.edit_comment(remote_id.parse().unwrap_or_default(), comment, text).await.map(drop)
        })
    }

    fn delete_comment<'a>(&'a self, remote_id: &'a str, comment: &'a str) -> BoxFuture<'a, Result<(), RemoteError>> {
        Box::pin(async move { self.connector.delete_comment(remote_id.parse().unwrap_or_default(), comment).await })
    }

    /// The project's iterations.
    fn milestones(&self) -> BoxFuture<'_, Result<TargetMilestones, RemoteError>> {
        Box::pin(async move {
            let list = self.connector.iterations().await?;
            let milestones = list
                .into_iter()
                .map(|i| TrackerMilestone {
                    name: i.path.clone(),
                    key: i.path,
                    due: i.finish,
                    start: i.start,
                    description: None,
                    closed: false,
                })
                .collect();
            Ok(TargetMilestones {
                target: self.name.clone(),
                tracker: crate::milestones::plan::Tracker::Azure,
                milestones,
            })
        })
    }

    fn create_milestone<'a>(&'a self, w: &'a Wanted) -> BoxFuture<'a, Result<(), RemoteError>> {
        Box::pin(async move {
            let (start, finish) = iteration_dates(w);
            let made = self.connector.create_iteration(&w.name, start, finish).await?;
            self.connector.add_team_iteration(&made.identifier).await
        })
    }

    fn update_milestone<'a>(&'a self, key: &'a str, w: &'a Wanted) -> BoxFuture<'a, Result<(), RemoteError>> {
        Box::pin(async move {
            let (start, finish) = iteration_dates(w);
            self.connector.update_iteration(key, start, finish).await
        })
    }
}

/// The iteration dates of `w`: both or neither, as Boards takes them.
fn iteration_dates(w: &Wanted) -> (Option<NaiveDate>, Option<NaiveDate>) {
    match (w.start, w.due) {
        (Some(s), Some(f)) => (Some(s.min(f)), Some(f)),
        _ => (None, None),
    }
}
