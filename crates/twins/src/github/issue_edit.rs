//! Reading an issue create/update body into changes, applying them to the store as GitHub does
//! (labels and assignees replace the set, closing sets `closed_at` and `state_reason`), and
//! saying what happened so the right webhooks go out.

use serde_json::{Map, Value, json};

use super::api::{names, opt_string};
use super::errors::ApiError;
use super::render::Render;
use super::store::{IdKind, IssueRef, IssueState, Label, Repo, Store};
use super::webhooks::{Event, Events};

/// What a create or update body asks for; `None` = leave as is.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes {
    pub title: Option<String>,
    pub body: Option<Option<String>>,
    pub state: Option<IssueState>,
    pub state_reason: Option<Option<String>>,
    pub labels: Option<Vec<String>>,
    pub assignees: Option<Vec<String>>,
    pub milestone: Option<Option<u64>>,
    pub issue_type: Option<Option<String>>,
}

const REASONS: [&str; 4] = ["completed", "not_planned", "duplicate", "reopened"];

/// Reads a body the way GitHub validates it; `creating` requires a title.
pub fn read(body: &Map<String, Value>, creating: bool, docs: &'static str) -> Result<Changes, ApiError> {
    let mut changes = Changes::default();
    match body.get("title") {
        Some(Value::String(t)) if !t.is_empty() => changes.title = Some(t.clone()),
        Some(Value::Number(n)) => changes.title = Some(n.to_string()),
        None | Some(Value::Null) if !creating => {}
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(ApiError::invalid("Issue", "missing_field", "title", None, docs));
        }
        Some(other) => {
            return Err(ApiError::invalid("Issue", "invalid", "title", Some(other.clone()), docs));
        }
    }
    if body.contains_key("body") {
        changes.body = Some(opt_string(body, "body", "Issue", docs)?);
    }
    if let Some(state) = opt_string(body, "state", "Issue", docs)? {
        changes.state = Some(match state.as_str() {
            "open" => IssueState::Open,
            "closed" => IssueState::Closed,
            _ => {
                return Err(ApiError::invalid("Issue", "invalid", "state", Some(json!(state)), docs));
            }
        });
    }
    if body.contains_key("state_reason") {
        let reason = opt_string(body, "state_reason", "Issue", docs)?;
        if let Some(r) = &reason
            && !REASONS.contains(&r.as_str())
        {
            return Err(ApiError::invalid("Issue", "invalid", "state_reason", Some(json!(r)), docs));
        }
        changes.state_reason = Some(reason);
    }
    if let Some(labels) = body.get("labels").filter(|v| !v.is_null()) {
        changes.labels = Some(names(labels, "labels", "name", "Issue", docs)?);
    }
    if let Some(assignees) = body.get("assignees").filter(|v| !v.is_null()) {
        changes.assignees = Some(names(assignees, "assignees", "login", "Issue", docs)?);
    } else if body.contains_key("assignee") {
        let one = opt_string(body, "assignee", "Issue", docs)?;
        changes.assignees = Some(one.into_iter().collect());
    }
    if let Some(milestone) = body.get("milestone") {
        changes.milestone = Some(match milestone {
            Value::Null => None,
            // GitHub clears the milestone for an empty string too.
            Value::String(s) if s.is_empty() => None,
            Value::Number(n) if n.as_u64().is_some() => n.as_u64(),
            Value::String(s) if s.parse::<u64>().is_ok() => s.parse().ok(),
            other => {
                return Err(ApiError::invalid("Issue", "invalid", "milestone", Some(other.clone()), docs));
            }
        });
    }
    if let Some(kind) = body.get("type") {
        changes.issue_type = Some(match kind {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("value").and_then(Value::as_str).map(str::to_string),
            other => {
                return Err(ApiError::invalid("Issue", "invalid", "type", Some(other.clone()), docs));
            }
        });
    }
    Ok(changes)
}

/// What applying changes did, in the order GitHub reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Happened {
    Edited { title_from: Option<String>, body_from: Option<String> },
    Closed,
    Reopened,
    Labeled(u64),
    Unlabeled(Label),
    Assigned(String),
    Unassigned(String),
    Milestoned(u64),
    Demilestoned(u64),
}

/// The longest issue body GitHub stores, in characters.
pub const MAX_BODY_CHARS: usize = 65_536;
/// The longest issue title GitHub accepts, in characters.
pub const MAX_TITLE_CHARS: usize = 256;
/// The longest label name GitHub accepts, in characters.
pub const MAX_LABEL_CHARS: usize = 50;

/// 422 for a label name GitHub refuses (longer than 50 characters).
pub fn check_label_name(name: &str, docs: &'static str) -> Result<(), ApiError> {
    if name.chars().count() > MAX_LABEL_CHARS {
        return Err(ApiError::invalid("Label", "invalid", "name", Some(json!(name)), docs));
    }
    Ok(())
}

/// Checks what GitHub checks before it changes anything: the title's and body's length, label names, that
/// every assignee can be assigned (a collaborator; one refused assignee fails the whole write),
/// and that the milestone and type exist; answers the type's id change.
pub fn validate(repo: &Repo, changes: &Changes, docs: &'static str) -> Result<Option<Option<u64>>, ApiError> {
    if let Some(title) = &changes.title
        && title.chars().count() > MAX_TITLE_CHARS
    {
        return Err(ApiError::custom(
            "Issue",
            "title",
            &format!("title is too long (maximum is {MAX_TITLE_CHARS} characters)"),
            docs,
        ));
    }
    if let Some(Some(body)) = &changes.body
        && body.chars().count() > MAX_BODY_CHARS
    {
        return Err(ApiError::custom(
            "Issue",
            "body",
            &format!("body is too long (maximum is {MAX_BODY_CHARS} characters)"),
            docs,
        ));
    }
    for name in changes.labels.iter().flatten() {
        check_label_name(name, docs)?;
    }
    for login in changes.assignees.iter().flatten() {
        if !repo.can_assign(login) {
            return Err(ApiError::invalid("Issue", "invalid", "assignees", Some(json!(login)), docs));
        }
    }
    if let Some(Some(m)) = changes.milestone
        && !repo.milestones.contains_key(&m)
    {
        return Err(ApiError::invalid("Issue", "invalid", "milestone", Some(json!(m)), docs));
    }
    match &changes.issue_type {
        Some(Some(name)) => match repo.issue_type_by_name(name) {
            Some(t) => Ok(Some(Some(t.id))),
            None => Err(ApiError::invalid("Issue", "invalid", "type", Some(json!(name)), docs)),
        },
        Some(None) => Ok(Some(None)),
        None => Ok(None),
    }
}

/// Applies changes to an existing issue at `at`, creating labels that do not exist yet (as GitHub
/// does). Validates milestone and type first, so a refused change changes nothing.
pub fn apply(
    store: &mut Store,
    at: &IssueRef,
    changes: Changes,
    actor: &str,
    docs: &'static str,
) -> Result<Vec<Happened>, ApiError> {
    let repo = store.repos.get(&at.repo).ok_or_else(|| ApiError::not_found(docs))?;
    let issue_type = validate(repo, &changes, docs)?;
    let label_ids = changes.labels.as_ref().map(|names| ensure_labels(store, &at.repo, names));
    for login in changes.assignees.iter().flatten() {
        store.user_id(login);
    }
    let now = store.now();
    let repo = store.repos.get_mut(&at.repo).ok_or_else(|| ApiError::not_found(docs))?;
    let removed_labels: Vec<Label> = match &label_ids {
        Some(ids) => {
            let issue = &repo.issues[&at.number];
            issue.labels.iter().filter(|id| !ids.contains(id)).filter_map(|id| repo.label(*id).cloned()).collect()
        }
        None => Vec::new(),
    };
    let issue = repo.issues.get_mut(&at.number).ok_or_else(|| ApiError::not_found(docs))?;
    let mut happened = Vec::new();
    let title_from = changes.title.filter(|t| *t != issue.title).map(|t| std::mem::replace(&mut issue.title, t));
    let body_from = changes.body.filter(|b| *b != issue.body).map(|b| std::mem::replace(&mut issue.body, b));
    if title_from.is_some() || body_from.is_some() {
        happened.push(Happened::Edited { title_from, body_from: body_from.map(Option::unwrap_or_default) });
    }
    match (changes.state, issue.state) {
        (Some(IssueState::Closed), IssueState::Open) => {
            issue.state = IssueState::Closed;
            issue.closed_at = Some(now);
            issue.closed_by = Some(actor.to_string());
            issue.state_reason = Some(changes.state_reason.flatten().unwrap_or_else(|| "completed".into()));
            happened.push(Happened::Closed);
        }
        (Some(IssueState::Open), IssueState::Closed) => {
            issue.state = IssueState::Open;
            issue.closed_at = None;
            issue.closed_by = None;
            issue.state_reason = Some("reopened".into());
            happened.push(Happened::Reopened);
        }
        _ => {
            if let Some(reason) = changes.state_reason
                && issue.state == IssueState::Closed
                && reason != issue.state_reason
            {
                issue.state_reason = reason;
                happened.push(Happened::Closed);
            }
        }
    }
    if let Some(ids) = label_ids {
        for id in ids.iter().filter(|id| !issue.labels.contains(id)) {
            happened.push(Happened::Labeled(*id));
        }
        happened.extend(removed_labels.into_iter().map(Happened::Unlabeled));
        issue.labels = ids;
    }
    if let Some(mut logins) = changes.assignees {
        logins.dedup();
        for login in logins.iter().filter(|l| !issue.assignees.contains(l)) {
            happened.push(Happened::Assigned(login.clone()));
        }
        for login in issue.assignees.iter().filter(|l| !logins.contains(l)) {
            happened.push(Happened::Unassigned(login.clone()));
        }
        issue.assignees = logins;
    }
    if let Some(milestone) = changes.milestone
        && milestone != issue.milestone
    {
        if let Some(old) = issue.milestone {
            happened.push(Happened::Demilestoned(old));
        }
        if let Some(new) = milestone {
            happened.push(Happened::Milestoned(new));
        }
        issue.milestone = milestone;
    }
    let type_changed = issue_type.is_some_and(|t| t != issue.issue_type);
    if let Some(t) = issue_type {
        issue.issue_type = t;
    }
    if !happened.is_empty() || type_changed {
        issue.updated_at = now;
    }
    Ok(happened)
}

/// The ids of labels by name, creating missing ones with GitHub's default colour.
pub fn ensure_labels(store: &mut Store, repo_key: &str, names: &[String]) -> Vec<u64> {
    let mut ids = Vec::new();
    for name in names {
        let existing = store.repos[repo_key].label_by_name(name).map(|l| l.id);
        let id = match existing {
            Some(id) => id,
            None => {
                let id = store.next_id(IdKind::Label);
                store.repos.get_mut(repo_key).expect("repo exists").labels.push(Label {
                    id,
                    name: name.clone(),
                    color: "ededed".into(),
                    description: None,
                    default: false,
                });
                id
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The `issues` webhooks for what happened to the issue at `at` (after the change).
pub fn events(store: &Store, base: &str, sender: &str, at: &IssueRef, happened: &[Happened]) -> Vec<Event> {
    let events = Events { render: Render { base, store }, sender };
    let (Some(repo), Some(issue)) = (store.repos.get(&at.repo), store.issue(at)) else {
        return Vec::new();
    };
    let render = events.render;
    happened
        .iter()
        .filter_map(|h| {
            let (action, extra) = match h {
                Happened::Edited { title_from, body_from } => {
                    let mut changes = Map::new();
                    if let Some(from) = title_from {
                        changes.insert("title".into(), json!({ "from": from }));
                    }
                    if let Some(from) = body_from {
                        changes.insert("body".into(), json!({ "from": from }));
                    }
                    ("edited", json!({ "changes": changes }))
                }
                Happened::Closed => ("closed", json!({})),
                Happened::Reopened => ("reopened", json!({})),
                Happened::Labeled(id) => ("labeled", json!({ "label": render.label(repo, repo.label(*id)?) })),
                Happened::Unlabeled(label) => ("unlabeled", json!({ "label": render.label(repo, label) })),
                Happened::Assigned(login) => ("assigned", json!({ "assignee": render.user(login) })),
                Happened::Unassigned(login) => ("unassigned", json!({ "assignee": render.user(login) })),
                Happened::Milestoned(n) => {
                    ("milestoned", json!({ "milestone": render.milestone(repo, repo.milestones.get(n)?) }))
                }
                Happened::Demilestoned(n) => {
                    ("demilestoned", json!({ "milestone": render.milestone(repo, repo.milestones.get(n)?) }))
                }
            };
            Some(events.issue(repo, issue, action, extra))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn read_table() {
        let docs = "d";
        assert!(read(&body(json!({})), true, docs).is_err());
        assert!(read(&body(json!({"title": ""})), true, docs).is_err());
        assert_eq!(read(&body(json!({"title": 7})), true, docs).unwrap().title.as_deref(), Some("7"));
        let c =
            read(&body(json!({"labels": ["a", {"name": "b"}], "milestone": null, "body": null})), false, docs).unwrap();
        assert_eq!(c.labels, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(c.milestone, Some(None));
        assert_eq!(c.body, Some(None));
        assert!(read(&body(json!({"state": "done"})), false, docs).is_err());
        assert_eq!(read(&body(json!({"milestone": ""})), false, docs).unwrap().milestone, Some(None));
        assert!(read(&body(json!({"state_reason": "because"})), false, docs).is_err());
        let c = read(&body(json!({"assignee": "alice"})), false, docs).unwrap();
        assert_eq!(c.assignees, Some(vec!["alice".to_string()]));
    }
}
