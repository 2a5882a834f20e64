//! A GitHub repository as the engine sees it: the connector plus the GitHub mapping, speaking
//! canonical field maps. Listing with a watermark and an ETag, creating with marker adoption,
//! updating, re-parenting through sub-issues; comments and milestones of the repository.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use super::connector::milestones::MilestoneWrite;
use super::connector::{GithubConnector, Issue, Listing, WATERMARK_OVERLAP};
use super::mapping::GithubMapping;
use crate::comments::Comment;
use crate::connector::retry::RetryPolicy;
use crate::connector::{Budget, ErrorKind, RemoteError};
use crate::mapping::adapt::Adaptation;
use crate::mapping::{FieldMap, Identities};
use crate::milestones::plan::{TargetMilestones, TrackerMilestone, Wanted};
use crate::model::{ItemId, Kind};
use crate::reconcile::remote::{Fetched, ItemWrite, Written, create_or_adopt, parents_of, set_epic};
use crate::reconcile::trust::Marked;
use crate::store::{Link, Watermark};
use crate::trackers::Tracker;

/// A GitHub repository target.
pub struct GithubTracker {
    pub name: String,
    pub connector: GithubConnector,
    pub mapping: GithubMapping,
    pub people: Identities,
    /// Adaptations made while writing in this run (an owner who could not be assigned).
    pub notes: Mutex<Vec<Adaptation>>,
}

impl Tracker for GithubTracker {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        super::KIND
    }

    fn label(&self) -> &'static str {
        "GitHub"
    }

    fn identity_of(&self, owner: &str) -> Option<&str> {
        self.people.github_login(owner)
    }

    fn identities(&self) -> Vec<(&str, &str)> {
        self.people.people.iter().filter_map(|p| Some((p.canonical.as_str(), p.github.as_deref()?))).collect()
    }

    fn set_identities(&mut self, people: Identities) {
        self.people = people;
    }

    fn app_login(&self) -> Option<String> {
        self.connector.app_login()
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
        Box::pin(self.fetch_issues(full, watermark, parents))
    }

    fn get<'a>(
        &'a self,
        remote_id: &'a str,
        kind: Kind,
        parents: &'a BTreeMap<String, ItemId>,
    ) -> BoxFuture<'a, Result<Option<Written>, RemoteError>> {
        Box::pin(self.get_issue(remote_id, kind, parents))
    }

    fn create<'a>(&'a self, item: ItemWrite<'a>, since: DateTime<Utc>) -> BoxFuture<'a, Result<Written, RemoteError>> {
        Box::pin(self.create_issue(item, since))
    }

    fn update<'a>(
        &'a self,
        link: &'a Link,
        item: ItemWrite<'a>,
        changes: &'a FieldMap,
        old_parent: Option<&'a Link>,
    ) -> BoxFuture<'a, Result<Written, RemoteError>> {
        Box::pin(self.update_issue(link, item, changes, old_parent))
    }

    /// GitHub creates an issue open with its labels in one request and closes it in a second.
    fn create_sets_state_later(&self, kind: Kind, id: &ItemId, fields: &FieldMap) -> bool {
        self.mapping.to_issue(kind, id, fields, &self.people).state == "closed"
    }

    /// GitHub's 422 on `assignees`.
    fn refuses_owner(&self, e: &RemoteError) -> bool {
        e.status == Some(422) && e.message.contains("assignees")
    }

    fn assign_hint(&self) -> &'static str {
        "make them a collaborator of the repository"
    }

    fn notes(&self) -> &Mutex<Vec<Adaptation>> {
        &self.notes
    }

    /// `GET …/assignees/{login}`.
    fn can_assign<'a>(&'a self, owner: &'a str, _link: &'a Link) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            match self.people.github_login(owner) {
                Some(login) => self.connector.can_assign(login).await.unwrap_or(true),
                None => true,
            }
        })
    }

    fn restore(&self, kind: Kind, id: &ItemId, meant: &FieldMap, read: &mut FieldMap) {
        self.mapping.restore(kind, id, meant, read)
    }

    fn adaptations(&self, kind: Kind, id: &ItemId, fields: &FieldMap) -> Vec<Adaptation> {
        self.mapping.to_issue_adapted(kind, id, fields, &self.people, &self.name).1
    }

    fn comment_form(&self) -> crate::comments::Tracker {
        crate::comments::Tracker::Github
    }

    fn comments<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Result<Vec<Comment>, RemoteError>> {
        Box::pin(async move {
            let number = remote_id.parse().unwrap_or_default();
            Ok(self
                .connector
                .comments(number)
                .await?
                .into_iter()
                .map(|c| {
                    let text = c.body.clone().unwrap_or_default();
                    Comment {
                        id: c.id.to_string(),
                        author: c.user.map(|u| u.login).unwrap_or_else(|| "someone".into()),
                        created_at: c.created_at,
                        // `updated_at` has whole seconds: an edit within the second it was
                        // made or last mirrored keeps it, so the text's digest is part of it.
                        version: format!("{}#{}", c.updated_at.to_rfc3339(), digest(&text)),
                        markdown: text.clone(),
                        text,
                        url: c.html_url,
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
        _remote_id: &'a str,
        comment: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<(), RemoteError>> {
        Box::pin(async move { self.connector.edit_comment(comment, text).await.map(drop) })
    }

    fn delete_comment<'a>(&'a self, _remote_id: &'a str, comment: &'a str) -> BoxFuture<'a, Result<(), RemoteError>> {
        Box::pin(self.connector.delete_comment(comment))
    }

    /// One request: the repository's comments created or edited since (with the watermark's overlap).
    fn comments_changed_since(&self, since: DateTime<Utc>) -> BoxFuture<'_, Option<Result<Vec<String>, RemoteError>>> {
        Box::pin(async move {
            let since = since - chrono::Duration::from_std(WATERMARK_OVERLAP).unwrap_or_default();
            Some(
                self.connector
                    .comments_since(since)
                    .await
                    .map(|changed| changed.iter().filter_map(|c| c.issue_number()).map(|n| n.to_string()).collect()),
            )
        })
    }

    fn milestones(&self) -> BoxFuture<'_, Result<TargetMilestones, RemoteError>> {
        Box::pin(async move {
            let list = self.connector.milestones().await?;
            let milestones = list
                .into_iter()
                .map(|m| TrackerMilestone {
                    name: m.title,
                    key: m.number.to_string(),
                    due: m.due_on.map(|d| d.date_naive()),
                    start: None,
                    description: Some(m.description.unwrap_or_default()),
                    closed: m.state == "closed",
                })
                .collect();
            Ok(TargetMilestones {
                target: self.name.clone(),
                tracker: crate::milestones::plan::Tracker::Github,
                milestones,
            })
        })
    }

    fn create_milestone<'a>(&'a self, w: &'a Wanted) -> BoxFuture<'a, Result<(), RemoteError>> {
        Box::pin(async move { self.connector.create_milestone(&milestone_write(w)).await.map(|_| ()) })
    }

    fn update_milestone<'a>(&'a self, key: &'a str, w: &'a Wanted) -> BoxFuture<'a, Result<(), RemoteError>> {
        Box::pin(async move {
            let number = key.parse().unwrap_or_default();
            self.connector.update_milestone(number, &milestone_write(w)).await.map(|_| ())
        })
    }
}

fn milestone_write(w: &Wanted) -> MilestoneWrite {
    MilestoneWrite { title: w.name.clone(), description: w.description.clone(), due: w.due, closed: w.closed }
}

/// A short digest of a comment's text, for versions that must change when the text does.
fn digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

impl GithubTracker {
    fn written(&self, kind: Kind, issue: &Issue, parents: &BTreeMap<String, ItemId>) -> Written {
        let mut fields = self.mapping.from_issue(kind, &issue.content(), &self.people);
        set_epic(&mut fields, kind, issue.parent_number().map(|n| n.to_string()), parents);
        Written {
            remote_id: issue.number.to_string(),
            remote_key: Some(issue.id.to_string()),
            url: issue.html_url.clone(),
            version: Some(issue.updated_at.to_rfc3339()),
            fields,
            updated_at: issue.updated_at,
            changed_by: None,
        }
    }

    async fn get_issue(
        &self,
        remote_id: &str,
        kind: Kind,
        parents: &BTreeMap<String, ItemId>,
    ) -> Result<Option<Written>, RemoteError> {
        let Ok(number) = remote_id.parse() else { return Ok(None) };
        // A transferred issue answers through GitHub's redirect under its new number in
        // another repository: it stays known by the number its link holds, which keeps
        // leading to it (its URL says where it is now).
        Ok(self
            .connector
            .get(number)
            .await?
            .map(|i| Written { remote_id: remote_id.to_string(), ..self.written(kind, &i, parents) }))
    }

    async fn fetch_issues(
        &self,
        full: bool,
        watermark: Option<&Watermark>,
        parents: &BTreeMap<String, ItemId>,
    ) -> Result<Fetched, RemoteError> {
        let since = if full {
            None
        } else {
            watermark.map(|w| w.since - chrono::Duration::from_std(WATERMARK_OVERLAP).unwrap_or_default())
        };
        let query = since.map(|s| s.to_rfc3339());
        let etag = watermark.filter(|w| !full && w.query == query).and_then(|w| w.etag.as_deref());
        let issues = match self.connector.list(since, etag).await? {
            Listing::NotModified => return Ok(Fetched { not_modified: true, ..Fetched::default() }),
            Listing::Issues { issues, etag, pages } => {
                // While the answer fits in one page the query stays as it is, so its ETag makes
                // the next quiet sync a free 304; a longer answer moves the watermark forward.
                let kept = watermark.map(|w| w.since);
                let newest = issues.iter().map(|i| i.updated_at).max();
                let since = match kept {
                    Some(kept) if pages <= 1 && !full => Some(kept),
                    _ => newest.or(kept),
                };
                let wm = since.map(|s| {
                    let q = Some((s - chrono::Duration::from_std(WATERMARK_OVERLAP).unwrap_or_default()).to_rfc3339());
                    // The ETag belongs to this query; it is reused only when the next query is the same.
                    Watermark { since: s, etag: if q == query { etag.clone() } else { None }, query: q }
                });
                (issues, wm)
            }
        };
        let (issues, watermark) = issues;
        let mut out = Fetched { watermark, ..Fetched::default() };
        let mut marked = Vec::new();
        for issue in &issues {
            let kind = self.mapping.kind_of(&issue.label_names());
            let marker = issue.body.as_deref().and_then(|b| self.mapping.marker_in(b));
            let linked = parents.contains_key(&issue.number.to_string());
            // A linked issue whose type label was removed is still ours, read as a story.
            let Some(k) = kind.or_else(|| (marker.is_some() || linked).then_some(Kind::Story)) else { continue };
            if let (Some(m), false) = (&marker, linked) {
                marked.push((issue, m.clone()));
            }
            out.add(self.written(k, issue, parents), kind, marker);
        }
        if !marked.is_empty() {
            let me = self.connector.login().await?;
            let marked: Vec<Marked> = marked
                .into_iter()
                .map(|(issue, marker)| {
                    let creator = issue.user.as_ref().map(|u| u.login.clone()).unwrap_or_default();
                    Marked {
                        remote_id: issue.number.to_string(),
                        marker,
                        ours: creator.eq_ignore_ascii_case(&me),
                        creator,
                        url: issue.html_url.clone(),
                    }
                })
                .collect();
            out.sift(&self.name, &marked, parents);
        }
        Ok(out)
    }

    async fn create_issue(&self, item: ItemWrite<'_>, since: DateTime<Utc>) -> Result<Written, RemoteError> {
        let ItemWrite { id, kind, fields, parent } = item;
        let content = self.mapping.to_issue(kind, id, fields, &self.people);
        let marker = self.mapping.marker_for(id);
        let (issue, adopted) = create_or_adopt(
            id,
            || async {
                let found = self.connector.find_by_marker(&marker, Some(since)).await?;
                if found.is_empty() {
                    return Ok(None);
                }
                // Only an issue our own identity created is the lost create; the oldest of them.
                let me = self.connector.login().await?;
                let ours = |i: &Issue| i.user.as_ref().is_some_and(|u| u.login.eq_ignore_ascii_case(&me));
                Ok(crate::reconcile::trust::choose(found, |i| i.number.to_string(), ours))
            },
            || self.connector.create(&content),
        )
        .await?;
        let issue = if adopted { self.connector.update(issue.number, &content).await? } else { issue };
        // An adopted issue may already be the epic's sub-issue: GitHub refuses to add it twice.
        let mut parent_gone = false;
        if kind == Kind::Story
            && let Some(epic) = parent.and_then(|p| p.remote_id.parse::<u64>().ok())
            && issue.parent_number() != Some(epic)
        {
            parent_gone = self.set_parent_unless_gone(id, epic, issue.id, issue.parent_number()).await?;
        }
        let refreshed = if parent.is_some() { self.connector.get(issue.number).await?.unwrap_or(issue) } else { issue };
        let parents = parents_of(parent);
        let mut written = self.written(kind, &refreshed, &parents);
        keep_epic_of_gone_parent(parent_gone, fields, &mut written);
        Ok(written)
    }

    async fn update_issue(
        &self,
        link: &Link,
        item: ItemWrite<'_>,
        changes: &FieldMap,
        old_parent: Option<&Link>,
    ) -> Result<Written, RemoteError> {
        let ItemWrite { id, kind, fields, parent } = item;
        let number: u64 = link.remote_id.parse().map_err(|_| RemoteError {
            target: self.name.clone(),
            operation: "update issue".into(),
            kind: ErrorKind::Fatal,
            status: None,
            message: format!("the link of `{id}` names `{}`, which is not an issue number", link.remote_id),
        })?;
        let content = self.mapping.to_issue(kind, id, fields, &self.people);
        let mut parent_gone = false;
        let mut issue = if changes.keys().any(|k| k != "epic") {
            Some(self.connector.update(number, &content).await?)
        } else {
            None
        };
        if kind == Kind::Story && changes.contains_key("epic") {
            // Read the parent first: GitHub refuses to add a sub-issue its parent already has
            // (after the sync state was lost, the link is new but the hierarchy is not).
            let current = match issue.take() {
                Some(i) => Some(i),
                None => self.connector.get(number).await?,
            };
            let child_id: u64 = match link.remote_key.as_deref().and_then(|k| k.parse().ok()) {
                Some(k) => k,
                None => current.as_ref().map(|i| i.id).unwrap_or_default(),
            };
            let now = current.as_ref().and_then(|i| i.parent_number());
            match parent.and_then(|p| p.remote_id.parse::<u64>().ok()) {
                Some(p) if now == Some(p) => {}
                Some(p) => parent_gone = self.set_parent_unless_gone(id, p, child_id, now).await?,
                // Taken off the parent it has now: the base's parent may be another (a parent
                // changed on GitHub and then cleared by the file or another target's value).
                None => {
                    let old = now.or_else(|| old_parent.and_then(|p| p.remote_id.parse::<u64>().ok()));
                    if let Some(old) = old {
                        self.connector.remove_parent(old, child_id).await?;
                    }
                }
            }
            issue = self.connector.get(number).await?;
        }
        let issue = match issue {
            Some(i) => i,
            None => self.connector.get(number).await?.ok_or_else(|| RemoteError {
                target: self.name.clone(),
                operation: "update issue".into(),
                kind: ErrorKind::NotFound,
                status: Some(404),
                message: format!("issue #{number} of `{id}` is gone"),
            })?,
        };
        let parents = parents_of(parent);
        // Known by its link's number even when it now lives elsewhere (see `get_issue`).
        let mut written = Written { remote_id: link.remote_id.clone(), ..self.written(kind, &issue, &parents) };
        keep_epic_of_gone_parent(parent_gone, fields, &mut written);
        Ok(written)
    }

    /// Makes `child_id` a sub-issue of issue `parent`; `true` when the parent is gone (deleted:
    /// GitHub answers 410, or 404), which leaves the story with no parent here rather than failing
    /// it (a NotFound would read as the story deleted). The epic's own deletion is seen by a run
    /// that reads it (finding 40: deleting an epic is no edit of its stories' epic).
    ///
    /// GitHub refuses the whole move, so a story under another issue (`now`) stays there: it is
    /// taken off it, or its base (the file's epic) would meet that old parent on the next listing
    /// and read as a person moving it back (finding 61).
    async fn set_parent_unless_gone(
        &self,
        id: &ItemId,
        parent: u64,
        child_id: u64,
        now: Option<u64>,
    ) -> Result<bool, RemoteError> {
        match self.connector.set_parent(parent, child_id).await {
            Ok(()) => Ok(false),
            Err(e) if e.kind == ErrorKind::NotFound => {
                tracing::warn!(target = %self.name, item = %id, parent, error = %e, "the epic's issue is gone; the story is written without a parent");
                if let Some(old) = now.filter(|old| *old != parent) {
                    self.connector.remove_parent(old, child_id).await?;
                }
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }
}

/// A story written under an epic whose issue is gone shows no parent: what it holds of `epic` is
/// the file's (the deletion is no edit of it, finding 40), so its base keeps the epic.
fn keep_epic_of_gone_parent(parent_gone: bool, fields: &FieldMap, written: &mut Written) {
    if parent_gone && let Some(epic) = fields.get("epic") {
        written.fields.insert("epic".into(), epic.clone());
    }
}
