//! `POST /_twin/seed` for the GitHub twin: loads repositories, labels, milestones, issues (with
//! comments and parents) as if people had made them — no webhooks, no counters. All or nothing.
//!
//! ```json
//! {"repositories": ["contoso/onboarding"],
//!  "collaborators": ["alice", {"repository": "contoso/onboarding", "login": "bob"}],
//!  "labels": [{"repository": "contoso/onboarding", "name": "epic", "color": "5319e7"}],
//!  "milestones": [{"title": "M1", "due_on": "2025-03-01T00:00:00Z"}],
//!  "issues": [{"title": "Invite teammates", "body": "...", "labels": ["epic"], "state": "closed",
//!              "state_reason": "completed", "assignees": ["alice"], "milestone": "M1",
//!              "type": "Feature", "user": "alice", "created_at": "2025-01-02T03:04:05Z",
//!              "parent": 1, "comments": [{"body": "done", "user": "bob"}]}]}
//! ```
//! `repository` may be left out when the twin has exactly one; `parent` is an issue number in the
//! same repository; `milestone` is a number or a title. Only collaborators (and the owner) can be
//! assigned through the API; a seeded issue's assignees become collaborators.

use serde_json::{Map, Value, json};

use super::issue_edit::ensure_labels;
use super::store::{Comment, IdKind, Issue, IssueState, Label, Milestone, Store, parse_time};
use crate::control::SeedError;

fn invalid(message: impl Into<String>) -> SeedError {
    SeedError::Invalid(message.into())
}

/// Applies a seed body to the store, or changes nothing and says what is wrong.
pub fn apply(store: &mut Store, login: &str, body: &Value) -> Result<Value, SeedError> {
    let body = body.as_object().ok_or_else(|| invalid("the seed body must be a JSON object"))?;
    let mut next = store.clone();
    let summary = load(&mut next, login, body)?;
    *store = next;
    Ok(summary)
}

fn list<'b>(body: &'b Map<String, Value>, key: &str) -> Result<Vec<&'b Map<String, Value>>, SeedError> {
    match body.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_object().ok_or_else(|| invalid(format!("every `{key}` entry must be an object"))))
            .collect(),
        Some(_) => Err(invalid(format!("`{key}` must be a list"))),
    }
}

fn text(item: &Map<String, Value>, key: &str) -> Option<String> {
    item.get(key).and_then(Value::as_str).map(str::to_string)
}

fn time(item: &Map<String, Value>, key: &str) -> Result<Option<i64>, SeedError> {
    match text(item, key) {
        None => Ok(None),
        Some(t) => parse_time(&t)
            .map(Some)
            .ok_or_else(|| invalid(format!("`{key}` `{t}` is not an ISO 8601 time like `2025-01-02T03:04:05Z`"))),
    }
}

fn repo_key(store: &Store, item: &Map<String, Value>) -> Result<String, SeedError> {
    match text(item, "repository") {
        Some(name) => {
            let key = name.to_ascii_lowercase();
            store.repos.contains_key(&key).then_some(key).ok_or_else(|| {
                invalid(format!("repository `{name}` does not exist; list it under `repositories` first"))
            })
        }
        None if store.repos.len() == 1 => Ok(store.repos.keys().next().cloned().unwrap_or_default()),
        None => Err(invalid("say which `repository` (`owner/name`) each entry belongs to")),
    }
}

fn load(store: &mut Store, login: &str, body: &Map<String, Value>) -> Result<Value, SeedError> {
    let mut repos = 0;
    for name in body.get("repositories").and_then(Value::as_array).into_iter().flatten() {
        let name = name.as_str().ok_or_else(|| invalid("`repositories` holds `owner/name` strings"))?;
        store.add_repo(name).ok_or_else(|| invalid(format!("repository `{name}` is not `owner/name`")))?;
        repos += 1;
    }
    let mut collaborators = 0;
    for entry in body.get("collaborators").and_then(Value::as_array).into_iter().flatten() {
        let (key, login) = match entry {
            Value::String(login) => (repo_key(store, &Map::new())?, login.clone()),
            Value::Object(o) => (
                repo_key(store, o)?,
                text(o, "login").ok_or_else(|| invalid("every `collaborators` entry needs a `login`"))?,
            ),
            _ => return Err(invalid("`collaborators` holds logins or `{repository, login}` objects")),
        };
        store.user_id(&login);
        store.repos.get_mut(&key).expect("repo exists").collaborators.insert(login.to_ascii_lowercase());
        collaborators += 1;
    }
    let labels = list(body, "labels")?;
    for item in &labels {
        let key = repo_key(store, item)?;
        let name = text(item, "name").ok_or_else(|| invalid("every label needs a `name`"))?;
        let id = ensure_labels(store, &key, std::slice::from_ref(&name))[0];
        let repo = store.repos.get_mut(&key).expect("repo exists");
        let label: &mut Label = repo.labels.iter_mut().find(|l| l.id == id).expect("label exists");
        if let Some(color) = text(item, "color") {
            label.color = color.trim_start_matches('#').to_lowercase();
        }
        label.description = text(item, "description").or(label.description.take());
    }
    let milestones = list(body, "milestones")?;
    for item in &milestones {
        let key = repo_key(store, item)?;
        let title = text(item, "title").ok_or_else(|| invalid("every milestone needs a `title`"))?;
        let id = store.next_id(IdKind::Milestone);
        let now = store.now();
        let created = time(item, "created_at")?.unwrap_or(now);
        let closed = text(item, "state").as_deref() == Some("closed");
        let creator = text(item, "creator").unwrap_or_else(|| login.to_string());
        store.user_id(&creator);
        let repo = store.repos.get_mut(&key).expect("repo exists");
        let number = repo.milestones.keys().max().copied().unwrap_or(0) + 1;
        repo.milestones.insert(
            number,
            Milestone {
                id,
                number,
                title,
                description: text(item, "description"),
                state: if closed { IssueState::Closed } else { IssueState::Open },
                due_on: time(item, "due_on")?,
                creator,
                created_at: created,
                updated_at: created,
                closed_at: closed.then_some(created),
            },
        );
    }
    let mut created = Vec::new();
    let mut parents = Vec::new();
    let mut comments = 0;
    for item in list(body, "issues")? {
        let key = repo_key(store, item)?;
        let (issue, parent) = issue(store, &key, login, item)?;
        let at = store.insert_issue(&key, issue);
        created.push(json!({ "repository": store.repos[&key].full_name(), "number": at.number, "id": store.issue(&at).map(|i| i.id) }));
        if let Some(parent) = parent {
            parents.push((at.clone(), parent));
        }
        for c in list(item, "comments")? {
            let body = text(c, "body").ok_or_else(|| invalid("every comment needs a `body`"))?;
            let user = text(c, "user").unwrap_or_else(|| login.to_string());
            store.user_id(&user);
            let id = store.next_id(IdKind::Comment);
            let at_time = time(c, "created_at")?.unwrap_or_else(|| store.now());
            store.observe_time(at_time);
            store.repos.get_mut(&key).expect("repo exists").comments.insert(
                id,
                Comment { id, issue_number: at.number, body, user, created_at: at_time, updated_at: at_time },
            );
            comments += 1;
        }
    }
    for (child, parent_number) in parents {
        let parent_ref = super::store::IssueRef { repo: child.repo.clone(), number: parent_number };
        let parent_id = store.issue(&parent_ref).map(|i| i.id).ok_or_else(|| {
            invalid(format!("issue #{} names parent #{parent_number}, which does not exist", child.number))
        })?;
        let child_id = store.issue(&child).map(|i| i.id).expect("just inserted");
        store.issue_mut(&parent_ref).expect("parent exists").sub_issues.push(child_id);
        store.issue_mut(&child).expect("child exists").parent = Some(parent_id);
    }
    Ok(json!({
        "repositories": repos, "collaborators": collaborators, "labels": labels.len(), "milestones": milestones.len(),
        "issues": created, "comments": comments,
    }))
}

/// One seeded issue and the number of its parent, if any.
fn issue(
    store: &mut Store,
    key: &str,
    login: &str,
    item: &Map<String, Value>,
) -> Result<(Issue, Option<u64>), SeedError> {
    let title = text(item, "title").filter(|t| !t.is_empty()).ok_or_else(|| invalid("every issue needs a `title`"))?;
    let user = text(item, "user").unwrap_or_else(|| login.to_string());
    store.user_id(&user);
    let now = store.now();
    let created_at = time(item, "created_at")?.unwrap_or(now);
    let updated_at = time(item, "updated_at")?.unwrap_or(created_at).max(created_at);
    store.observe_time(updated_at);
    let closed = match text(item, "state").as_deref() {
        None | Some("open") => false,
        Some("closed") => true,
        Some(other) => {
            return Err(invalid(format!("issue state `{other}` is not `open` or `closed`")));
        }
    };
    let label_names: Vec<String> = item
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| {
            l.as_str().map(str::to_string).or_else(|| l.get("name").and_then(Value::as_str).map(str::to_string))
        })
        .collect();
    let labels = ensure_labels(store, key, &label_names);
    let assignees: Vec<String> = item
        .get("assignees")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    for a in &assignees {
        store.user_id(a);
        // Only a collaborator can have been assigned.
        store.repos.get_mut(key).expect("repo exists").collaborators.insert(a.to_ascii_lowercase());
    }
    let repo = &store.repos[key];
    let milestone = match item.get("milestone") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_u64()
                .filter(|n| repo.milestones.contains_key(n))
                .ok_or_else(|| invalid(format!("milestone {n} does not exist; seed it under `milestones`")))?,
        ),
        Some(Value::String(t)) => Some(
            repo.milestones
                .values()
                .find(|m| m.title == *t)
                .map(|m| m.number)
                .ok_or_else(|| invalid(format!("milestone `{t}` does not exist; seed it under `milestones`")))?,
        ),
        Some(_) => return Err(invalid("`milestone` is a number or a title")),
    };
    let issue_type = match text(item, "type") {
        Some(name) => Some(
            repo.issue_type_by_name(&name)
                .map(|t| t.id)
                .ok_or_else(|| invalid(format!("issue type `{name}` does not exist; use Task, Bug or Feature")))?,
        ),
        None => None,
    };
    let number = match item.get("number").and_then(Value::as_u64) {
        Some(n) if repo.issues.contains_key(&n) || repo.deleted.contains(&n) => {
            return Err(invalid(format!("issue #{n} already exists in `{}`", repo.full_name())));
        }
        Some(n) => n,
        None => repo.next_number,
    };
    let closed_at = if closed { Some(time(item, "closed_at")?.unwrap_or(updated_at)) } else { None };
    let issue = Issue {
        id: store.next_id(IdKind::Issue),
        number,
        title,
        body: text(item, "body"),
        state: if closed { IssueState::Closed } else { IssueState::Open },
        state_reason: if closed {
            Some(text(item, "state_reason").unwrap_or_else(|| "completed".into()))
        } else {
            None
        },
        labels,
        assignees,
        milestone,
        issue_type,
        user: user.clone(),
        locked: false,
        created_at,
        updated_at,
        closed_at,
        closed_by: closed.then_some(user),
        parent: None,
        sub_issues: Vec::new(),
    };
    Ok((issue, item.get("parent").and_then(Value::as_u64)))
}
