//! Milestone endpoints (list with `state`/`sort`/`direction`, create, get, edit, delete, each
//! change sent as a `milestone` webhook) and the repository's issue types
//! (`GET /repos/{owner}/{repo}/issue-types`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::GithubState;
use super::api::{self, number, object, opt_string};
use super::errors::{ApiError, docs};
use super::pagination::parse_query;
use super::render::Render;
use super::store::{IdKind, IssueState, Milestone, Store, iso, parse_time};
use super::webhooks::{Event, Events, deliver};

const D: &str = docs::MILESTONES;

/// `GET /repos/{owner}/{repo}/milestones`.
pub async fn list(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_query(raw.as_deref());
    let get = |k: &str| query.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let invalid = |field: &str, v: &str| ApiError::invalid("Milestone", "invalid", field, Some(json!(v)), D);
    let wanted = match get("state") {
        None | Some("open") => Some(IssueState::Open),
        Some("closed") => Some(IssueState::Closed),
        Some("all") => None,
        Some(other) => return Err(invalid("state", other)),
    };
    let by_completeness = match get("sort") {
        None | Some("due_on") => false,
        Some("completeness") => true,
        Some(other) => return Err(invalid("sort", other)),
    };
    let descending = match get("direction") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => return Err(invalid("direction", other)),
    };
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, D)?;
    let mut milestones: Vec<&Milestone> =
        repo.milestones.values().filter(|m| wanted.is_none_or(|s| m.state == s)).collect();
    let completeness = |m: &Milestone| {
        let (open, closed) = repo
            .issues
            .values()
            .filter(|i| i.milestone == Some(m.number))
            .fold((0u64, 0u64), |(o, c), i| if i.state == IssueState::Open { (o + 1, c) } else { (o, c + 1) });
        (closed * 100).checked_div(open + closed).unwrap_or(0)
    };
    // Milestones without a due date sort after those with one, like GitHub.
    milestones.sort_by_key(|m| {
        if by_completeness { (completeness(m) as i64, m.number) } else { (m.due_on.unwrap_or(i64::MAX), m.number) }
    });
    if descending {
        milestones.reverse();
    }
    let render = Render { base: &state.base, store: &store };
    let items = milestones.into_iter().map(|m| render.milestone(repo, m)).collect();
    Ok(api::paged(&state, &format!("/repos/{owner}/{name}/milestones"), raw.as_deref(), items, std::convert::identity))
}

/// `POST /repos/{owner}/{repo}/milestones` `{title, state?, description?, due_on?}`.
pub async fn create(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = object(&body, D)?;
    let title = opt_string(&body, "title", "Milestone", D)?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::invalid("Milestone", "missing_field", "title", None, D))?;
    let state_value = match opt_string(&body, "state", "Milestone", D)?.as_deref() {
        None | Some("open") => IssueState::Open,
        Some("closed") => IssueState::Closed,
        Some(other) => {
            return Err(ApiError::invalid("Milestone", "invalid", "state", Some(json!(other)), D));
        }
    };
    let due_on = match opt_string(&body, "due_on", "Milestone", D)? {
        Some(text) => Some(
            parse_time(&text)
                .ok_or_else(|| ApiError::invalid("Milestone", "invalid", "due_on", Some(Value::String(text)), D))?,
        ),
        None => None,
    };
    let description = opt_string(&body, "description", "Milestone", D)?;
    let login = state.actor();
    let mut store = state.store.lock().expect("store lock");
    let key = api::repo(&store, &owner, &name, D)?.full_name().to_ascii_lowercase();
    if store.repos[&key].milestones.values().any(|m| m.title == title) {
        return Err(ApiError::invalid("Milestone", "already_exists", "title", None, D));
    }
    let id = store.next_id(IdKind::Milestone);
    let now = store.now();
    store.user_id(&login);
    let repo = store.repos.get_mut(&key).expect("repo exists");
    let number = repo.milestones.keys().max().copied().unwrap_or(0) + 1;
    repo.milestones.insert(
        number,
        Milestone {
            id,
            number,
            title,
            description,
            state: state_value,
            due_on,
            creator: login,
            created_at: now,
            updated_at: now,
            closed_at: (state_value == IssueState::Closed).then_some(now),
        },
    );
    let render = Render { base: &state.base, store: &store };
    let repo = &store.repos[&key];
    let body = render.milestone(repo, &repo.milestones[&number]);
    let event = milestone_event(&state, &store, &key, &body, "created", None);
    drop(store);
    deliver(&state, vec![event]);
    Ok(api::created(&body))
}

fn milestone_event(
    state: &GithubState,
    store: &Store,
    key: &str,
    milestone: &Value,
    action: &str,
    changes: Option<Value>,
) -> Event {
    let render = Render { base: &state.base, store };
    Events { render, sender: &state.config.login }.milestone(&store.repos[key], milestone, action, changes)
}

/// `GET /repos/{owner}/{repo}/milestones/{milestone_number}`.
pub async fn get(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let n = number(&number_text, D)?;
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, D)?;
    let milestone = repo.milestones.get(&n).ok_or_else(|| ApiError::not_found(D))?;
    let render = Render { base: &state.base, store: &store };
    Ok(api::json(StatusCode::OK, &render.milestone(repo, milestone)))
}

/// `PATCH /repos/{owner}/{repo}/milestones/{milestone_number}` `{title?, state?, description?,
/// due_on?}`.
pub async fn update(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let n = number(&number_text, D)?;
    let body = object(&body, D)?;
    let title = opt_string(&body, "title", "Milestone", D)?;
    if title.as_deref() == Some("") {
        return Err(ApiError::invalid("Milestone", "missing_field", "title", None, D));
    }
    let new_state = match opt_string(&body, "state", "Milestone", D)?.as_deref() {
        None => None,
        Some("open") => Some(IssueState::Open),
        Some("closed") => Some(IssueState::Closed),
        Some(other) => return Err(ApiError::invalid("Milestone", "invalid", "state", Some(json!(other)), D)),
    };
    let due_on = match body.get("due_on") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => {
            let text = opt_string(&body, "due_on", "Milestone", D)?.unwrap_or_default();
            let t = parse_time(&text)
                .ok_or_else(|| ApiError::invalid("Milestone", "invalid", "due_on", Some(Value::String(text)), D))?;
            Some(Some(t))
        }
    };
    let description =
        if body.contains_key("description") { Some(opt_string(&body, "description", "Milestone", D)?) } else { None };
    let mut store = state.store.lock().expect("store lock");
    let key = api::repo(&store, &owner, &name, D)?.full_name().to_ascii_lowercase();
    if let Some(t) = &title
        && store.repos[&key].milestones.values().any(|m| &m.title == t && m.number != n)
    {
        return Err(ApiError::invalid("Milestone", "already_exists", "title", None, D));
    }
    let now = store.now();
    let repo = store.repos.get_mut(&key).expect("repo exists");
    let m = repo.milestones.get_mut(&n).ok_or_else(|| ApiError::not_found(D))?;
    let before = m.clone();
    if let Some(t) = title {
        m.title = t;
    }
    if let Some(d) = description {
        m.description = d;
    }
    if let Some(d) = due_on {
        m.due_on = d;
    }
    if let Some(s) = new_state
        && s != m.state
    {
        m.state = s;
        m.closed_at = (s == IssueState::Closed).then_some(now);
    }
    m.updated_at = now;
    let after = m.clone();
    let render = Render { base: &state.base, store: &store };
    let repo = &store.repos[&key];
    let body = render.milestone(repo, &repo.milestones[&n]);
    // GitHub sends `edited` (with what changed) and `closed` / `opened` apart.
    let mut changes = serde_json::Map::new();
    if before.title != after.title {
        changes.insert("title".into(), json!({"from": before.title}));
    }
    if before.description != after.description {
        changes.insert("description".into(), json!({"from": before.description}));
    }
    if before.due_on != after.due_on {
        changes.insert("due_on".into(), json!({"from": before.due_on.map(iso)}));
    }
    let mut events = Vec::new();
    if !changes.is_empty() {
        events.push(milestone_event(&state, &store, &key, &body, "edited", Some(Value::Object(changes))));
    }
    if before.state != after.state {
        let action = if after.state == IssueState::Closed { "closed" } else { "opened" };
        events.push(milestone_event(&state, &store, &key, &body, action, None));
    }
    drop(store);
    deliver(&state, events);
    Ok(api::json(StatusCode::OK, &body))
}

/// `DELETE /repos/{owner}/{repo}/milestones/{milestone_number}`: 204; its issues lose it.
pub async fn delete(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let n = number(&number_text, D)?;
    let mut store = state.store.lock().expect("store lock");
    let key = api::repo(&store, &owner, &name, D)?.full_name().to_ascii_lowercase();
    let now = store.now();
    let body = {
        let repo = &store.repos[&key];
        let m = repo.milestones.get(&n).ok_or_else(|| ApiError::not_found(D))?;
        Render { base: &state.base, store: &store }.milestone(repo, m)
    };
    let event = milestone_event(&state, &store, &key, &body, "deleted", None);
    let repo = store.repos.get_mut(&key).expect("repo exists");
    repo.milestones.remove(&n);
    for issue in repo.issues.values_mut().filter(|i| i.milestone == Some(n)) {
        issue.milestone = None;
        issue.updated_at = now;
    }
    drop(store);
    deliver(&state, vec![event]);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /repos/{owner}/{repo}/issue-types`.
pub async fn list_issue_types(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, docs::ISSUE_TYPES)?;
    let render = Render { base: &state.base, store: &store };
    let items: Vec<Value> = repo.issue_types.iter().map(|t| render.issue_type(t)).collect();
    Ok(api::json(StatusCode::OK, &Value::Array(items)))
}
