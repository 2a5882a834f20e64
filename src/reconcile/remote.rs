//! One target as the engine sees it: a connector plus its mapping, speaking canonical field maps.
//! Listing, reading back, creating with marker adoption, updating and re-parenting.

use std::collections::BTreeMap;

use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::plan::RemoteItem;
pub use super::remote_azure::AzureRemote;
use super::trust::{Marked, NotAdopted};
use crate::connector::github::{GithubConnector, Issue, Listing, WATERMARK_OVERLAP};
use crate::connector::{Budget, ErrorKind, RemoteError};
use crate::mapping::adapt::{self, Adaptation};
use crate::mapping::{FieldMap, GithubMapping, Identities};
use crate::model::{ItemId, Kind};
use crate::store::{Link, Watermark};

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
pub(super) async fn create_or_adopt<T, F, FFut, C, CFut>(
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
pub(super) fn parents_of(parent: Option<&Link>) -> BTreeMap<String, ItemId> {
    parent.and_then(|p| Some((p.remote_id.clone(), p.item_id.parse().ok()?))).into_iter().collect()
}

impl Fetched {
    /// Leaves out of the listing the marked, unlinked items that may not be adopted (see
    /// [`super::trust::sift`]) and notes them. `parents` maps linked remote ids to their items.
    pub(super) fn sift(&mut self, target: &str, marked: &[Marked], parents: &BTreeMap<String, ItemId>) {
        let linked: BTreeMap<ItemId, String> = parents.iter().map(|(r, i)| (i.clone(), r.clone())).collect();
        for n in super::trust::sift(target, marked, &linked) {
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

/// A GitHub repository target.
pub struct GithubRemote {
    pub name: String,
    pub connector: GithubConnector,
    pub mapping: GithubMapping,
    pub people: Identities,
    /// Adaptations made while writing in this run (an owner who could not be assigned).
    pub notes: Mutex<Vec<Adaptation>>,
}

/// A configured target.
pub enum Remote {
    Github(GithubRemote),
    Azure(AzureRemote),
}

impl Remote {
    pub fn name(&self) -> &str {
        match self {
            Remote::Github(g) => &g.name,
            Remote::Azure(a) => &a.name,
        }
    }

    /// Whether this target can show `owner` (empty, or a person with an identity here). When it
    /// cannot, what the remote says about the owner is no information, never a change.
    pub fn carries_owner(&self, owner: &str) -> bool {
        match self {
            Remote::Github(g) => owner.is_empty() || g.people.github_login(owner).is_some(),
            Remote::Azure(a) => a.carries_owner(owner),
        }
    }

    /// The login the sync's own edits carry on this target, when it is an app's (see
    /// `GithubConnector::app_login`); known without a request.
    pub fn app_login(&self) -> Option<String> {
        match self {
            Remote::Github(g) => g.connector.app_login(),
            Remote::Azure(_) => None,
        }
    }

    pub fn budget(&self) -> Budget {
        match self {
            Remote::Github(g) => g.connector.budget(),
            Remote::Azure(a) => a.connector.budget(),
        }
    }

    pub fn requests(&self) -> u64 {
        match self {
            Remote::Github(g) => g.connector.requests(),
            Remote::Azure(a) => a.connector.requests(),
        }
    }

    /// Lists changed items since the watermark (or everything when `full`). `parents` maps remote
    /// ids to linked item ids so that a parent issue becomes the `epic` field.
    pub async fn fetch(
        &self,
        full: bool,
        watermark: Option<&Watermark>,
        parents: &BTreeMap<String, ItemId>,
    ) -> Result<Fetched, RemoteError> {
        match self {
            Remote::Github(g) => g.fetch(full, watermark, parents).await,
            Remote::Azure(a) => a.fetch(full, watermark, parents).await,
        }
    }

    /// The item now, or `None` when it was deleted.
    pub async fn get(
        &self,
        remote_id: &str,
        kind: Kind,
        parents: &BTreeMap<String, ItemId>,
    ) -> Result<Option<Written>, RemoteError> {
        match self {
            Remote::Github(g) => {
                let Ok(number) = remote_id.parse() else { return Ok(None) };
                // A transferred issue answers through GitHub's redirect under its new number in
                // another repository: it stays known by the number its link holds, which keeps
                // leading to it (its URL says where it is now).
                Ok(g.connector
                    .get(number)
                    .await?
                    .map(|i| Written { remote_id: remote_id.to_string(), ..g.written(kind, &i, parents) }))
            }
            Remote::Azure(a) => a.get(remote_id, kind, parents).await,
        }
    }

    /// Creates the item stamped with its marker; `parent` is the epic's link on this target.
    /// A create of unknown outcome is settled by looking for the marker before trying again.
    /// An owner the remote refuses (not a collaborator, not a member) is left out and noted: the
    /// item is created without the assignee.
    pub async fn create(&self, item: ItemWrite<'_>, since: DateTime<Utc>) -> Result<Written, RemoteError> {
        let mut w = match self.create_as_is(item, since).await {
            Err(e) if self.refuses_owner(&e) => {
                let without = self.note_unassignable(item, &e);
                self.create_as_is(ItemWrite { fields: &without, ..item }, since).await?
            }
            other => other?,
        };
        self.restore(item.kind, item.id, item.fields, &mut w.fields);
        Ok(w)
    }

    async fn create_as_is(&self, item: ItemWrite<'_>, since: DateTime<Utc>) -> Result<Written, RemoteError> {
        match self {
            Remote::Github(g) => g.create(item, since).await,
            Remote::Azure(a) => a.create(item, since).await,
        }
    }

    /// Whether `e` is the remote refusing a write for its assignee: GitHub's 422 on `assignees`,
    /// Azure DevOps' TF401320 rule error on Assigned To.
    fn refuses_owner(&self, e: &RemoteError) -> bool {
        match self {
            Remote::Github(_) => e.status == Some(422) && e.message.contains("assignees"),
            Remote::Azure(_) => {
                e.status == Some(400) && e.message.contains("TF401320") && e.message.contains("Assigned To")
            }
        }
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
        let (who, fix) = match self {
            Remote::Github(g) => (
                g.people.github_login(owner).unwrap_or(owner).to_string(),
                "make them a collaborator of the repository",
            ),
            Remote::Azure(a) => (
                a.people.azure_identity(owner).unwrap_or(owner).to_string(),
                "add them to the organization and the project",
            ),
        };
        Adaptation {
            rule: adapt::OWNER_UNASSIGNABLE,
            item: id.to_string(),
            target: self.name().to_string(),
            message: format!("owner `{owner}` (`{who}`) cannot be assigned here; the item synced without the assignee"),
            hint: format!("{fix}; the next run assigns them, and the file keeps `owner:`"),
        }
    }

    fn note(&self, a: Adaptation) {
        let notes = match self {
            Remote::Github(g) => &g.notes,
            Remote::Azure(x) => &x.notes,
        };
        let mut notes = notes.lock().expect("notes lock");
        if !notes.contains(&a) {
            notes.push(a);
        }
    }

    /// The adaptations noted while writing since the last call.
    pub fn take_notes(&self) -> Vec<Adaptation> {
        let notes = match self {
            Remote::Github(g) => &g.notes,
            Remote::Azure(x) => &x.notes,
        };
        std::mem::take(&mut *notes.lock().expect("notes lock"))
    }

    /// Whether `owner` can be assigned the linked item now (GitHub: `GET …/assignees/{login}`;
    /// Azure DevOps: the assignment validated on the item, saving nothing). Unknown (an error)
    /// counts as yes: the write then says.
    pub async fn can_assign(&self, owner: &str, link: &Link) -> bool {
        let answer = match self {
            Remote::Github(g) => match g.people.github_login(owner) {
                Some(login) => g.connector.can_assign(login).await,
                None => return true,
            },
            Remote::Azure(a) => match (a.people.azure_identity(owner), link.remote_id.parse::<i64>()) {
                (Some(who), Ok(id)) => {
                    let ops = [crate::connector::azure::PatchOp::set("System.AssignedTo", who)];
                    a.connector.validates(id, &ops).await
                }
                _ => return true,
            },
        };
        answer.unwrap_or(true)
    }

    /// The fields read back from an item written (or last agreed) with `meant`, as meant: what
    /// the target could not hold is still there, and what it holds in another form (a label's
    /// case, a cut body) is the meant value. See the mappings' `restore`.
    pub fn restore(&self, kind: Kind, id: &ItemId, meant: &FieldMap, read: &mut FieldMap) {
        match self {
            Remote::Github(g) => g.mapping.restore(kind, id, meant, read),
            Remote::Azure(a) => a.mapping.restore(meant, read),
        }
    }

    /// What this target adapts when it is sent `fields`: tags it cannot hold, a body over its limit.
    pub fn adaptations(&self, kind: Kind, id: &ItemId, fields: &FieldMap) -> Vec<Adaptation> {
        match self {
            Remote::Github(g) => g.mapping.to_issue_adapted(kind, id, fields, &g.people, &g.name).1,
            Remote::Azure(a) => a.mapping.adaptations(id, fields, &a.name),
        }
    }

    /// Sends what this run left pending (Azure: the writes that finish creates, in `$batch`);
    /// returns per item the fields meant and what the remote now holds.
    pub async fn flush(&self) -> Result<Vec<(ItemId, FieldMap, Written)>, RemoteError> {
        match self {
            Remote::Github(_) => Ok(Vec::new()),
            Remote::Azure(a) => {
                let mut done = a.flush().await?;
                for (_, fields, w) in &mut done {
                    a.mapping.restore(fields, &mut w.fields);
                }
                Ok(done)
            }
        }
    }

    /// Whether [`Remote::update_many`] can send several updates in one request.
    pub fn batches_updates(&self) -> bool {
        matches!(self, Remote::Azure(_))
    }

    /// Sends several updates, each as [`Remote::update`] would first send it, in one request
    /// where the remote can (Azure Boards: `$batch`). Per write, what the remote now holds, or
    /// the revision conflict that refused it; `None` where the write was not sent or failed
    /// otherwise: the caller updates those one by one.
    pub async fn update_many(
        &self,
        writes: &[(&Link, ItemWrite<'_>, &FieldMap)],
    ) -> Vec<Option<Result<Written, RemoteError>>> {
        match self {
            Remote::Github(_) => vec![None; writes.len()],
            Remote::Azure(a) => {
                let mut out = a.update_many(writes).await;
                for ((_, item, _), w) in writes.iter().zip(out.iter_mut()) {
                    if let Some(Ok(w)) = w {
                        self.restore(item.kind, item.id, item.fields, &mut w.fields);
                    }
                }
                out
            }
        }
    }

    /// Brings the remote item to `fields`; moves it under `parent` when the epic changed.
    pub async fn update(
        &self,
        link: &Link,
        item: ItemWrite<'_>,
        changes: &FieldMap,
        old_parent: Option<&Link>,
    ) -> Result<Written, RemoteError> {
        let mut w = match self.update_as_is(link, item, changes, old_parent).await {
            Err(e) if self.refuses_owner(&e) => {
                let without = self.note_unassignable(item, &e);
                self.update_as_is(link, ItemWrite { fields: &without, ..item }, changes, old_parent).await?
            }
            other => other?,
        };
        self.restore(item.kind, item.id, item.fields, &mut w.fields);
        Ok(w)
    }

    async fn update_as_is(
        &self,
        link: &Link,
        item: ItemWrite<'_>,
        changes: &FieldMap,
        old_parent: Option<&Link>,
    ) -> Result<Written, RemoteError> {
        match self {
            Remote::Github(g) => g.update(link, item, changes, old_parent).await,
            Remote::Azure(a) => a.update(link, item, changes, old_parent).await,
        }
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

impl GithubRemote {
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

    async fn fetch(
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

    async fn create(&self, item: ItemWrite<'_>, since: DateTime<Utc>) -> Result<Written, RemoteError> {
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
                Ok(super::trust::choose(found, |i| i.number.to_string(), ours))
            },
            || self.connector.create(&content),
        )
        .await?;
        let issue = if adopted { self.connector.update(issue.number, &content).await? } else { issue };
        // An adopted issue may already be the epic's sub-issue: GitHub refuses to add it twice.
        if kind == Kind::Story
            && let Some(epic) = parent.and_then(|p| p.remote_id.parse::<u64>().ok())
            && issue.parent_number() != Some(epic)
        {
            self.connector.set_parent(epic, issue.id).await?;
        }
        let refreshed = if parent.is_some() { self.connector.get(issue.number).await?.unwrap_or(issue) } else { issue };
        let parents = parents_of(parent);
        Ok(self.written(kind, &refreshed, &parents))
    }

    async fn update(
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
                Some(p) => self.connector.set_parent(p, child_id).await?,
                None => {
                    if let Some(old) = old_parent.and_then(|p| p.remote_id.parse::<u64>().ok()) {
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
        // Known by its link's number even when it now lives elsewhere (see `Remote::get`).
        Ok(Written { remote_id: link.remote_id.clone(), ..self.written(kind, &issue, &parents) })
    }
}
