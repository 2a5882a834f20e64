//! The twin's in-memory organization: projects, work items as a list of full revisions, the
//! recycle bin, comments, people and wikis, plus the clock every write reads (ms precision,
//! strictly increasing, so `System.ChangedDate` never goes backwards).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::errors::AzureError;
use super::identity::{Directory, Identity};
use super::process::Process;
use super::wiki::Wiki;

/// A stable id derived from text (the same name always gets the same id).
pub fn stable_uuid(seed: &str) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

/// One project of the organization.
#[derive(Debug, Clone)]
pub struct Project {
    /// Project id.
    pub id: Uuid,
    /// Project name (`Onboarding`).
    pub name: String,
    /// Its process template.
    pub process: Process,
}

impl Project {
    /// The default team every project has (`Onboarding Team`).
    pub fn default_team(&self) -> String {
        format!("{} Team", self.name)
    }
}

/// A link or attachment on a work item, as the REST API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    /// Relation type reference name (`System.LinkTypes.Hierarchy-Reverse`, `Hyperlink`).
    pub rel: String,
    /// The target: a work item URL or any URL for resource links.
    pub url: String,
    /// Attributes (`isLocked`, `name`, `comment`, …).
    pub attributes: Map<String, Value>,
}

impl Relation {
    /// The work item id a work item link points at.
    pub fn target_id(&self) -> Option<i64> {
        work_item_id_from_url(&self.url)
    }
}

/// Reads the id out of `…/_apis/wit/workItems/{id}` (any case, any host).
pub fn work_item_id_from_url(url: &str) -> Option<i64> {
    let path = url.split(['?', '#']).next()?.trim_end_matches('/');
    let (head, id) = path.rsplit_once('/')?;
    if !head.to_ascii_lowercase().ends_with("/_apis/wit/workitems") {
        return None;
    }
    id.parse().ok()
}

/// The comment a revision added, edited or deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentVersionRef {
    /// The comment.
    pub comment_id: i64,
    /// Its version after this revision.
    pub version: u32,
    /// Its text after this revision.
    pub text: String,
    /// Whether this revision deleted it.
    pub is_deleted: bool,
}

/// A full snapshot of a work item at one revision.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// Revision number, from 1.
    pub rev: u32,
    /// Field values by reference name (absent = empty). Identity fields hold `IdentityRef`s.
    pub fields: BTreeMap<String, Value>,
    /// Links, in the order the API lists them.
    pub relations: Vec<Relation>,
    /// Multiline fields whose format is Markdown.
    pub markdown: BTreeSet<String>,
    /// The comment this revision touched, if any.
    pub comment: Option<CommentVersionRef>,
}

impl Snapshot {
    /// A field's value as text (empty when absent).
    pub fn text(&self, field: &str) -> String {
        match self.fields.get(field) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }

    /// `System.ChangedDate` of this revision.
    pub fn changed_date(&self) -> DateTime<Utc> {
        date_field(&self.fields, "System.ChangedDate")
    }
}

/// Reads a stored date field (stored as the service formats it).
pub fn date_field(fields: &BTreeMap<String, Value>, name: &str) -> DateTime<Utc> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .and_then(super::fields::parse_date)
        .unwrap_or_else(|| Utc.timestamp_opt(0, 0).unwrap())
}

/// Who deleted a work item and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Deletion {
    /// When it went to the recycle bin.
    pub date: DateTime<Utc>,
    /// Who deleted it.
    pub by: Identity,
}

/// One work item: its project and every revision.
#[derive(Debug, Clone)]
pub struct WorkItem {
    /// Work item id.
    pub id: i64,
    /// Name of the project it lives in.
    pub project: String,
    /// Revisions, oldest first; the last one is the current state.
    pub revisions: Vec<Snapshot>,
    /// Set while the item is in the recycle bin.
    pub deleted: Option<Deletion>,
}

impl WorkItem {
    /// The current state.
    pub fn current(&self) -> &Snapshot {
        self.revisions.last().expect("a work item has at least one revision")
    }

    /// The current revision number.
    pub fn rev(&self) -> u32 {
        self.current().rev
    }
}

/// One version of a comment.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentVersion {
    /// Version number, from 1.
    pub version: u32,
    /// Text of this version.
    pub text: String,
    /// When it was written.
    pub date: DateTime<Utc>,
    /// Who wrote it.
    pub by: Identity,
}

/// A comment in a work item's discussion.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// Comment id (unique in the organization).
    pub id: i64,
    /// The work item it belongs to.
    pub work_item_id: i64,
    /// `markdown` or `html`.
    pub format: String,
    /// Versions, oldest first.
    pub versions: Vec<CommentVersion>,
    /// Whether it was deleted.
    pub is_deleted: bool,
}

impl Comment {
    /// The latest version.
    pub fn latest(&self) -> &CommentVersion {
        self.versions.last().expect("a comment has at least one version")
    }
}

/// Hands out write times: now at ms precision, always after the previous one.
#[derive(Debug, Clone)]
pub struct Clock {
    last: DateTime<Utc>,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock { last: Utc.timestamp_opt(0, 0).unwrap() }
    }
}

impl Clock {
    /// The next write time.
    pub fn now(&mut self) -> DateTime<Utc> {
        let wall = Utc::now().duration_trunc(Duration::milliseconds(1)).unwrap_or_else(|_| Utc::now());
        let next = wall.max(self.last + Duration::milliseconds(1));
        self.last = next;
        next
    }

    /// Makes later times come after `at` (seeded history may lie in the future of the wall clock).
    pub fn observe(&mut self, at: DateTime<Utc>) {
        let at = at.duration_trunc(Duration::milliseconds(1)).unwrap_or(at);
        if at > self.last {
            self.last = at;
        }
    }

    /// The last time handed out.
    pub fn last(&self) -> DateTime<Utc> {
        self.last
    }
}

/// The whole emulated organization.
#[derive(Debug, Clone)]
pub struct Store {
    /// Organization name (`contoso`).
    pub organization: String,
    /// `http://127.0.0.1:PORT/contoso`, the root of every URL the twin writes.
    pub base_url: String,
    /// Collection id (service hooks carry it).
    pub collection_id: Uuid,
    /// Account id (service hooks carry it).
    pub account_id: Uuid,
    /// Projects, in creation order.
    pub projects: Vec<Project>,
    /// Work items by id (deleted ones included, marked).
    pub items: BTreeMap<i64, WorkItem>,
    /// Comments by work item id.
    pub comments: BTreeMap<i64, Vec<Comment>>,
    /// Wikis, one per project.
    pub wikis: Vec<Wiki>,
    /// The people the twin knows.
    pub people: Directory,
    /// Write times.
    pub clock: Clock,
    /// Next work item id.
    pub next_id: i64,
    /// Next comment id.
    pub next_comment_id: i64,
    /// Organization-wide revision counter (`System.Watermark`).
    pub watermark: i64,
    /// Last id given to a resource link (hyperlinks carry one).
    pub next_resource_id: i64,
    /// Each project's iteration tree and each team's iterations.
    pub iterations: super::iterations::Iterations,
}

impl Store {
    /// An empty organization with these projects.
    pub fn new(organization: &str, base_url: &str, projects: &[(String, Process)]) -> Store {
        let mut store = Store {
            organization: organization.to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            collection_id: stable_uuid(&format!("collection:{organization}")),
            account_id: stable_uuid(&format!("account:{organization}")),
            projects: Vec::new(),
            items: BTreeMap::new(),
            comments: BTreeMap::new(),
            wikis: Vec::new(),
            people: Directory::default(),
            clock: Clock::default(),
            next_id: 1,
            next_comment_id: 1,
            watermark: 0,
            next_resource_id: 0,
            iterations: Default::default(),
        };
        for (name, process) in projects {
            store.add_project(name, *process);
        }
        store
    }

    /// Adds a project (and its project wiki); an existing name is kept as it is.
    pub fn add_project(&mut self, name: &str, process: Process) -> &Project {
        if let Some(index) = self.projects.iter().position(|p| p.name.eq_ignore_ascii_case(name)) {
            return &self.projects[index];
        }
        let id = stable_uuid(&format!("project:{}:{name}", self.organization));
        self.wikis.push(Wiki::project_wiki(id, name));
        self.projects.push(Project { id, name: name.to_string(), process });
        self.projects.last().expect("just pushed")
    }

    /// Finds a project by name (any case) or id.
    pub fn project(&self, name_or_id: &str) -> Result<&Project, AzureError> {
        self.projects
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name_or_id) || p.id.to_string().eq_ignore_ascii_case(name_or_id))
            .ok_or_else(|| AzureError::ProjectNotFound { name: name_or_id.to_string() })
    }

    /// A live (not deleted) work item, optionally required to be in `project`.
    pub fn live(&self, id: i64, project: Option<&Project>) -> Result<&WorkItem, AzureError> {
        self.items
            .get(&id)
            .filter(|item| item.deleted.is_none())
            .filter(|item| project.is_none_or(|p| p.name.eq_ignore_ascii_case(&item.project)))
            .ok_or(AzureError::WorkItemNotFound { id })
    }

    /// A work item in the recycle bin.
    pub fn deleted(&self, id: i64, project: Option<&Project>) -> Result<&WorkItem, AzureError> {
        self.items
            .get(&id)
            .filter(|item| item.deleted.is_some())
            .filter(|item| project.is_none_or(|p| p.name.eq_ignore_ascii_case(&item.project)))
            .ok_or(AzureError::WorkItemNotFound { id })
    }

    /// The process of the project an item lives in.
    pub fn process_of(&self, item: &WorkItem) -> Process {
        self.project(&item.project).map(|p| p.process).unwrap_or_default()
    }

    /// The org-level URL of a work item (`{base}/_apis/wit/workItems/{id}`).
    pub fn work_item_url(&self, id: i64) -> String {
        format!("{}/_apis/wit/workItems/{id}", self.base_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_never_goes_backwards() {
        let mut clock = Clock::default();
        let future = Utc::now() + Duration::days(1);
        clock.observe(future);
        let a = clock.now();
        let b = clock.now();
        assert!(a > future && b > a);
        assert_eq!((b - a).num_milliseconds(), 1);
        assert_eq!(a.timestamp_subsec_nanos() % 1_000_000, 0);
    }

    #[test]
    fn reads_ids_from_work_item_urls() {
        let cases = [
            ("https://dev.azure.com/fabrikam/_apis/wit/workItems/297", Some(297)),
            ("http://127.0.0.1:9/contoso/_apis/wit/workitems/5?x=1", Some(5)),
            ("http://127.0.0.1:9/contoso/Proj/_apis/wit/WorkItems/8/", Some(8)),
            ("http://blogs.msdn.com/b/x", None),
            ("https://dev.azure.com/f/_apis/wit/workItems/abc", None),
        ];
        for (url, want) in cases {
            assert_eq!(work_item_id_from_url(url), want, "{url}");
        }
    }

    #[test]
    fn finds_projects_by_name_or_id() {
        let store = Store::new("contoso", "http://x/contoso", &[("Onboarding".into(), Process::Scrum)]);
        let id = store.projects[0].id.to_string();
        assert_eq!(store.project("onboarding").unwrap().process, Process::Scrum);
        assert_eq!(store.project(&id).unwrap().name, "Onboarding");
        assert!(matches!(store.project("Other"), Err(AzureError::ProjectNotFound { .. })));
        assert_eq!(store.wikis.len(), 1);
    }
}
