//! The GitHub twin's data: repositories with their issues, comments, labels, milestones and issue
//! types; global ids, per-repository numbers, and a clock that never moves backwards.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

/// Most sub-issues one parent may have (GitHub's documented limit).
pub const MAX_SUB_ISSUES: usize = 100;

/// Open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueState {
    /// Open.
    Open,
    /// Closed (see `state_reason`).
    Closed,
}

impl IssueState {
    /// `open` or `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Open => "open",
            IssueState::Closed => "closed",
        }
    }
}

/// One issue.
#[derive(Debug, Clone)]
pub struct Issue {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub state: IssueState,
    pub state_reason: Option<String>,
    /// Label ids, in the order they were added.
    pub labels: Vec<u64>,
    /// Assignee logins.
    pub assignees: Vec<String>,
    /// Milestone number.
    pub milestone: Option<u64>,
    /// Issue type id.
    pub issue_type: Option<u64>,
    pub user: String,
    pub locked: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
    /// Parent issue id.
    pub parent: Option<u64>,
    /// Sub-issue ids in priority order.
    pub sub_issues: Vec<u64>,
}

/// One issue comment.
#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub issue_number: u64,
    pub body: String,
    pub user: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One repository label.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub default: bool,
}

/// One milestone.
#[derive(Debug, Clone)]
pub struct Milestone {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub description: Option<String>,
    pub state: IssueState,
    pub due_on: Option<i64>,
    pub creator: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

/// One issue type (organisation-level on GitHub; listed per repository).
#[derive(Debug, Clone)]
pub struct IssueType {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub color: String,
}

/// One repository and everything in it.
#[derive(Debug, Clone)]
pub struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub created_at: i64,
    pub issues: BTreeMap<u64, Issue>,
    /// Deleted issue numbers (GET answers 410 Gone).
    pub deleted: Vec<u64>,
    pub next_number: u64,
    pub comments: BTreeMap<u64, Comment>,
    pub labels: Vec<Label>,
    pub milestones: BTreeMap<u64, Milestone>,
    pub issue_types: Vec<IssueType>,
    /// Logins (lower case) of the collaborators: who can be assigned, besides the owner.
    pub collaborators: std::collections::BTreeSet<String>,
}

impl Repo {
    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// A label by name, case-insensitively like GitHub.
    pub fn label_by_name(&self, name: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// Whether `login` can be assigned: the owner or a collaborator (case-insensitively).
    pub fn can_assign(&self, login: &str) -> bool {
        self.owner.eq_ignore_ascii_case(login) || self.collaborators.contains(&login.to_ascii_lowercase())
    }

    /// A label by id.
    pub fn label(&self, id: u64) -> Option<&Label> {
        self.labels.iter().find(|l| l.id == id)
    }

    /// An issue type by name, case-insensitively.
    pub fn issue_type_by_name(&self, name: &str) -> Option<&IssueType> {
        self.issue_types.iter().find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The number of comments on an issue.
    pub fn comment_count(&self, number: u64) -> usize {
        self.comments.values().filter(|c| c.issue_number == number).count()
    }
}

/// Where a global issue id lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRef {
    pub repo: String,
    pub number: u64,
}

/// All of the twin's data. Not thread-safe by itself; the twin keeps it behind a mutex.
#[derive(Debug, Clone, Default)]
pub struct Store {
    /// Repositories keyed by lower-case `owner/name`.
    pub repos: BTreeMap<String, Repo>,
    /// User ids keyed by login (users appear when first mentioned).
    pub users: BTreeMap<String, u64>,
    /// Where each issue id lives.
    index: BTreeMap<u64, IssueRef>,
    /// Renamed repositories: old lower-case `owner/name` → the repository's key now.
    pub renamed: BTreeMap<String, String>,
    /// Transferred issues: (old repository key, old number) → the issue's global id.
    pub transferred: BTreeMap<(String, u64), u64>,
    next_ids: Ids,
    last_time: i64,
}

#[derive(Debug, Clone)]
struct Ids {
    repo: u64,
    issue: u64,
    comment: u64,
    label: u64,
    milestone: u64,
    issue_type: u64,
    user: u64,
}

impl Default for Ids {
    // Distinct ranges make an id/number mix-up visible in tests.
    fn default() -> Ids {
        Ids {
            repo: 700_000_000,
            issue: 2_000_000_000,
            comment: 1_000_000_000,
            label: 5_000_000,
            milestone: 9_000_000,
            issue_type: 400,
            user: 1000,
        }
    }
}

/// Which id sequence to draw from.
#[derive(Debug, Clone, Copy)]
pub enum IdKind {
    Issue,
    Comment,
    Label,
    Milestone,
}

impl Store {
    /// Now, in whole seconds (GitHub's precision), never earlier than a time already handed out.
    pub fn now(&mut self) -> i64 {
        self.last_time = self.last_time.max(Utc::now().timestamp());
        self.last_time
    }

    /// Records that a time was handed out (seeded timestamps), so `now` never goes below it.
    pub fn observe_time(&mut self, t: i64) {
        self.last_time = self.last_time.max(t);
    }

    /// The next id of a kind.
    pub fn next_id(&mut self, kind: IdKind) -> u64 {
        let counter = match kind {
            IdKind::Issue => &mut self.next_ids.issue,
            IdKind::Comment => &mut self.next_ids.comment,
            IdKind::Label => &mut self.next_ids.label,
            IdKind::Milestone => &mut self.next_ids.milestone,
        };
        *counter += 1;
        *counter
    }

    /// The id of a user, created on first mention.
    pub fn user_id(&mut self, login: &str) -> u64 {
        if let Some(id) = self.users.get(login) {
            return *id;
        }
        self.next_ids.user += 1;
        self.users.insert(login.to_string(), self.next_ids.user);
        self.next_ids.user
    }

    /// Adds a repository (with GitHub's default labels and issue types) unless it exists; returns
    /// its key.
    pub fn add_repo(&mut self, full_name: &str) -> Option<String> {
        let (owner, name) = full_name.split_once('/')?;
        if owner.is_empty() || name.is_empty() || name.contains('/') {
            return None;
        }
        let key = full_name.to_ascii_lowercase();
        if self.repos.contains_key(&key) {
            return Some(key);
        }
        self.user_id(owner);
        self.next_ids.repo += 1;
        let created_at = self.now();
        let mut repo = Repo {
            id: self.next_ids.repo,
            owner: owner.to_string(),
            name: name.to_string(),
            created_at,
            issues: BTreeMap::new(),
            deleted: Vec::new(),
            next_number: 1,
            comments: BTreeMap::new(),
            labels: Vec::new(),
            milestones: BTreeMap::new(),
            issue_types: Vec::new(),
            collaborators: Default::default(),
        };
        for (name, color, description) in DEFAULT_LABELS {
            repo.labels.push(Label {
                id: self.next_id(IdKind::Label),
                name: name.to_string(),
                color: color.to_string(),
                description: Some(description.to_string()),
                default: true,
            });
        }
        for (name, color, description) in DEFAULT_ISSUE_TYPES {
            self.next_ids.issue_type += 1;
            repo.issue_types.push(IssueType {
                id: self.next_ids.issue_type,
                name: name.to_string(),
                description: description.to_string(),
                color: color.to_string(),
            });
        }
        self.repos.insert(key.clone(), repo);
        Some(key)
    }

    /// A repository by `owner` and `name`, case-insensitively.
    pub fn repo(&self, owner: &str, name: &str) -> Option<&Repo> {
        self.repos.get(&format!("{owner}/{name}").to_ascii_lowercase())
    }

    /// Where the issue with this global id lives.
    pub fn find_issue(&self, id: u64) -> Option<IssueRef> {
        self.index.get(&id).cloned()
    }

    /// Adds an issue to the repository keyed `repo_key` (which must exist).
    pub fn insert_issue(&mut self, repo_key: &str, issue: Issue) -> IssueRef {
        let at = IssueRef { repo: repo_key.to_string(), number: issue.number };
        self.index.insert(issue.id, at.clone());
        let repo = self.repos.get_mut(repo_key).expect("repository exists");
        repo.next_number = repo.next_number.max(issue.number + 1);
        repo.issues.insert(issue.number, issue);
        at
    }

    /// Deletes an issue and its comments; its number then answers 410 Gone.
    pub fn remove_issue(&mut self, at: &IssueRef) -> Option<Issue> {
        let repo = self.repos.get_mut(&at.repo)?;
        let issue = repo.issues.remove(&at.number)?;
        repo.comments.retain(|_, c| c.issue_number != at.number);
        repo.deleted.push(at.number);
        self.index.remove(&issue.id);
        Some(issue)
    }

    /// Renames the repository keyed `key` to `new_name` (same owner); the old name answers 301.
    pub fn rename_repo(&mut self, key: &str, new_name: &str) -> Option<String> {
        let mut repo = self.repos.remove(key)?;
        repo.name = new_name.to_string();
        let new_key = repo.full_name().to_ascii_lowercase();
        self.repos.insert(new_key.clone(), repo);
        for at in self.index.values_mut().filter(|at| at.repo == key) {
            at.repo = new_key.clone();
        }
        for to in self.renamed.values_mut().filter(|to| to.as_str() == key) {
            *to = new_key.clone();
        }
        self.renamed.insert(key.to_string(), new_key.clone());
        Some(new_key)
    }

    /// Moves an issue (with its comments) to the repository keyed `to`, as GitHub's transfer does:
    /// same id, the next number there; the old number answers 301.
    pub fn transfer_issue(&mut self, at: &IssueRef, to: &str) -> Option<IssueRef> {
        if !self.repos.contains_key(to) || at.repo == to {
            return None;
        }
        let repo = self.repos.get_mut(&at.repo)?;
        let mut issue = repo.issues.remove(&at.number)?;
        let comments: Vec<Comment> = repo.comments.values().filter(|c| c.issue_number == at.number).cloned().collect();
        repo.comments.retain(|_, c| c.issue_number != at.number);
        issue.labels.clear();
        issue.milestone = None;
        issue.number = self.repos[to].next_number;
        issue.updated_at = self.now();
        self.transferred.insert((at.repo.clone(), at.number), issue.id);
        let new_at = self.insert_issue(to, issue);
        let target = self.repos.get_mut(to).expect("target exists");
        for mut c in comments {
            c.issue_number = new_at.number;
            target.comments.insert(c.id, c);
        }
        Some(new_at)
    }

    /// Where an old repository name or transferred issue lives now, as an API path prefix
    /// (`/repos/{owner}/{name}` or `/repos/{owner}/{name}/issues/{number}`), if it moved.
    pub fn moved(&self, repo_key: &str, issue: Option<u64>) -> Option<String> {
        if let Some(number) = issue
            && let Some(at) = self.transferred.get(&(repo_key.to_string(), number)).and_then(|id| self.find_issue(*id))
        {
            return Some(format!("/repos/{}/issues/{}", self.repos[&at.repo].full_name(), at.number));
        }
        if self.repos.contains_key(repo_key) {
            return None;
        }
        let now = self.renamed.get(repo_key)?;
        Some(format!("/repos/{}", self.repos.get(now)?.full_name()))
    }

    /// The issue behind an [`IssueRef`].
    pub fn issue(&self, at: &IssueRef) -> Option<&Issue> {
        self.repos.get(&at.repo)?.issues.get(&at.number)
    }

    /// The issue behind an [`IssueRef`], for changing.
    pub fn issue_mut(&mut self, at: &IssueRef) -> Option<&mut Issue> {
        self.repos.get_mut(&at.repo)?.issues.get_mut(&at.number)
    }
}

/// The labels GitHub gives every new repository.
const DEFAULT_LABELS: [(&str, &str, &str); 9] = [
    ("bug", "d73a4a", "Something isn't working"),
    ("documentation", "0075ca", "Improvements or additions to documentation"),
    ("duplicate", "cfd3d7", "This issue or pull request already exists"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("help wanted", "008672", "Extra attention is needed"),
    ("invalid", "e4e669", "This doesn't seem right"),
    ("question", "d876e3", "Further information is requested"),
    ("wontfix", "ffffff", "This will not be worked on"),
];

/// The issue types GitHub gives a new organisation.
const DEFAULT_ISSUE_TYPES: [(&str, &str, &str); 3] = [
    ("Task", "yellow", "A specific piece of work"),
    ("Bug", "red", "An unexpected problem or behavior"),
    ("Feature", "blue", "A request, idea, or new functionality"),
];

/// `YYYY-MM-DDTHH:MM:SSZ`, as GitHub writes times.
pub fn iso(t: i64) -> String {
    Utc.timestamp_opt(t, 0).single().unwrap_or_default().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses an ISO 8601 time (`since`, seeded times) to epoch seconds.
pub fn parse_time(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text).map(|t| t.timestamp()).ok().or_else(|| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_never_goes_backwards_and_times_format_like_github() {
        let mut store = Store::default();
        let far = Utc::now().timestamp() + 3600;
        store.observe_time(far);
        assert_eq!(store.now(), far);
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_time("2024-05-01T10:00:00Z"), Some(1_714_557_600));
        assert_eq!(parse_time("2024-05-01T12:00:00+02:00"), Some(1_714_557_600));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn repositories_start_with_default_labels_and_types() {
        let mut store = Store::default();
        let key = store.add_repo("Contoso/Onboarding").unwrap();
        assert_eq!(key, "contoso/onboarding");
        let repo = store.repo("contoso", "ONBOARDING").unwrap();
        assert!(repo.label_by_name("Bug").is_some());
        assert_eq!(repo.issue_types.len(), 3);
        assert_eq!(store.add_repo("no-slash"), None);
    }
}
