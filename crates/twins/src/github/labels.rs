//! Label endpoints: a repository's labels (list, create, get, update, delete) and the labels on
//! one issue (list, add, set, remove one, remove all), as octocrab calls them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::GithubState;
use super::api::{self, check_issue, names, number, object, opt_string};
use super::errors::{ApiError, docs};
use super::issue_edit::{self, Changes};
use super::render::{Render, sorted_labels};
use super::store::{IdKind, IssueRef, Label, Store};
use super::webhooks::{Events, deliver};

const D: &str = docs::LABELS;

fn color(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match opt_string(body, "color", "Label", D)? {
        None => Ok(None),
        Some(c) => {
            let c = c.trim_start_matches('#').to_lowercase();
            if c.len() == 6 && c.chars().all(|ch| ch.is_ascii_hexdigit()) {
                Ok(Some(c))
            } else {
                Err(ApiError::invalid("Label", "invalid", "color", Some(json!(c)), D))
            }
        }
    }
}

fn label_response(state: &GithubState, store: &Store, key: &str, id: u64, status: StatusCode) -> Response {
    let repo = &store.repos[key];
    let body = Render { base: &state.base, store }.label(repo, repo.label(id).expect("label exists"));
    if status == StatusCode::CREATED { api::created(&body) } else { api::json(status, &body) }
}

/// `GET /repos/{owner}/{repo}/labels`.
pub async fn list(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, D)?;
    let render = Render { base: &state.base, store: &store };
    let mut labels: Vec<&Label> = repo.labels.iter().collect();
    labels.sort_by_key(|l| l.name.to_lowercase());
    let items = labels.into_iter().map(|l| render.label(repo, l)).collect();
    Ok(api::paged(&state, &format!("/repos/{owner}/{name}/labels"), raw.as_deref(), items, std::convert::identity))
}

/// `POST /repos/{owner}/{repo}/labels` `{name, color?, description?}`.
pub async fn create(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = object(&body, D)?;
    let label_name = opt_string(&body, "name", "Label", D)?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("Label", "missing_field", "name", None, D))?;
    issue_edit::check_label_name(&label_name, D)?;
    let color = color(&body)?.unwrap_or_else(|| "ededed".into());
    let description = opt_string(&body, "description", "Label", D)?;
    let mut store = state.store.lock().expect("store lock");
    let key = api::repo(&store, &owner, &name, D)?.full_name().to_ascii_lowercase();
    if store.repos[&key].label_by_name(&label_name).is_some() {
        return Err(ApiError::invalid("Label", "already_exists", "name", None, D));
    }
    let id = store.next_id(IdKind::Label);
    store.repos.get_mut(&key).expect("repo exists").labels.push(Label {
        id,
        name: label_name,
        color,
        description,
        default: false,
    });
    let event = label_event(&state, &store, &key, id, "created", None);
    let response = label_response(&state, &store, &key, id, StatusCode::CREATED);
    drop(store);
    deliver(&state, vec![event]);
    Ok(response)
}

fn label_event(
    state: &GithubState,
    store: &Store,
    key: &str,
    id: u64,
    action: &str,
    changes: Option<Value>,
) -> super::webhooks::Event {
    let repo = &store.repos[key];
    let render = Render { base: &state.base, store };
    let label = render.label(repo, repo.label(id).expect("label exists"));
    Events { render, sender: &state.actor() }.label(repo, &label, action, changes)
}

fn find(store: &Store, owner: &str, name: &str, label: &str) -> Result<(String, u64), ApiError> {
    let repo = api::repo(store, owner, name, D)?;
    let id = repo.label_by_name(label).ok_or_else(|| ApiError::not_found(D))?.id;
    Ok((repo.full_name().to_ascii_lowercase(), id))
}

/// `GET /repos/{owner}/{repo}/labels/{name}`.
pub async fn get(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, label)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let (key, id) = find(&store, &owner, &name, &label)?;
    Ok(label_response(&state, &store, &key, id, StatusCode::OK))
}

/// `PATCH /repos/{owner}/{repo}/labels/{name}` `{new_name?, color?, description?}`.
pub async fn update(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, label)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = object(&body, D)?;
    let new_name = opt_string(&body, "new_name", "Label", D)?.filter(|n| !n.trim().is_empty());
    if let Some(n) = &new_name {
        issue_edit::check_label_name(n, D)?;
    }
    let new_color = color(&body)?;
    let new_description =
        if body.contains_key("description") { Some(opt_string(&body, "description", "Label", D)?) } else { None };
    let mut store = state.store.lock().expect("store lock");
    let (key, id) = find(&store, &owner, &name, &label)?;
    if let Some(n) = &new_name
        && store.repos[&key].label_by_name(n).is_some_and(|l| l.id != id)
    {
        return Err(ApiError::invalid("Label", "already_exists", "name", None, D));
    }
    let repo = store.repos.get_mut(&key).expect("repo exists");
    let label = repo.labels.iter_mut().find(|l| l.id == id).expect("label exists");
    let mut changes = Map::new();
    if let Some(n) = new_name.filter(|n| *n != label.name) {
        changes.insert("name".into(), json!({ "from": std::mem::replace(&mut label.name, n) }));
    }
    if let Some(c) = new_color.filter(|c| *c != label.color) {
        changes.insert("color".into(), json!({ "from": std::mem::replace(&mut label.color, c) }));
    }
    if let Some(d) = new_description.filter(|d| *d != label.description) {
        let from = std::mem::replace(&mut label.description, d).unwrap_or_default();
        changes.insert("description".into(), json!({ "from": from }));
    }
    let event =
        (!changes.is_empty()).then(|| label_event(&state, &store, &key, id, "edited", Some(Value::Object(changes))));
    let response = label_response(&state, &store, &key, id, StatusCode::OK);
    drop(store);
    deliver(&state, event.into_iter().collect());
    Ok(response)
}

/// `DELETE /repos/{owner}/{repo}/labels/{name}`: 204; the label leaves every issue.
pub async fn delete(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, label)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let mut store = state.store.lock().expect("store lock");
    let (key, id) = find(&store, &owner, &name, &label)?;
    let event = label_event(&state, &store, &key, id, "deleted", None);
    let repo = store.repos.get_mut(&key).expect("repo exists");
    repo.labels.retain(|l| l.id != id);
    for issue in repo.issues.values_mut() {
        issue.labels.retain(|l| *l != id);
    }
    drop(store);
    deliver(&state, vec![event]);
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn issue_ref(store: &Store, owner: &str, name: &str, number_text: &str) -> Result<IssueRef, ApiError> {
    let n = number(number_text, D)?;
    let repo = api::repo(store, owner, name, D)?;
    check_issue(repo, n, D)?;
    Ok(IssueRef { repo: repo.full_name().to_ascii_lowercase(), number: n })
}

fn issue_labels(state: &GithubState, store: &Store, at: &IssueRef) -> Vec<Value> {
    let repo = &store.repos[&at.repo];
    let render = Render { base: &state.base, store };
    sorted_labels(repo, &repo.issues[&at.number]).into_iter().map(|l| render.label(repo, l)).collect()
}

/// `GET /repos/{owner}/{repo}/issues/{issue_number}/labels`.
pub async fn list_on_issue(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let at = issue_ref(&store, &owner, &name, &number_text)?;
    let items = issue_labels(&state, &store, &at);
    Ok(api::paged(
        &state,
        &format!("/repos/{owner}/{name}/issues/{number_text}/labels"),
        raw.as_deref(),
        items,
        std::convert::identity,
    ))
}

/// Reads `{"labels": [...]}` (or a bare list) of names or `{name}` objects.
fn requested(body: &Bytes) -> Result<Vec<String>, ApiError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!([])
    } else {
        serde_json::from_slice(body).map_err(|_| ApiError::bad_json(D))?
    };
    let list = match &value {
        Value::Object(o) => o.get("labels").cloned().unwrap_or(json!([])),
        other => other.clone(),
    };
    let names = names(&list, "labels", "name", "Label", D)?;
    for name in &names {
        issue_edit::check_label_name(name, D)?;
    }
    Ok(names)
}

/// Replaces the issue's labels with `wanted` (through the common path: events, `updated_at`).
fn set_labels(
    state: &GithubState,
    owner: &str,
    name: &str,
    number_text: &str,
    wanted: impl FnOnce(Vec<String>) -> Result<Vec<String>, ApiError>,
) -> Result<Response, ApiError> {
    let login = state.actor();
    let mut store = state.store.lock().expect("store lock");
    let at = issue_ref(&store, owner, name, number_text)?;
    let repo = &store.repos[&at.repo];
    let current = sorted_labels(repo, &repo.issues[&at.number]).into_iter().map(|l| l.name.clone()).collect();
    let labels = wanted(current)?;
    let happened =
        issue_edit::apply(&mut store, &at, Changes { labels: Some(labels), ..Changes::default() }, &login, D)?;
    let events = issue_edit::events(&store, &state.base, &login, &at, &happened);
    let response = api::json(StatusCode::OK, &Value::Array(issue_labels(state, &store, &at)));
    drop(store);
    deliver(state, events);
    Ok(response)
}

/// `POST /repos/{owner}/{repo}/issues/{issue_number}/labels`: adds labels (creating new ones).
pub async fn add_to_issue(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let added = requested(&body)?;
    set_labels(&state, &owner, &name, &number_text, |mut current| {
        current.extend(added);
        Ok(current)
    })
}

/// `PUT /repos/{owner}/{repo}/issues/{issue_number}/labels`: replaces the labels.
pub async fn set_on_issue(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let labels = requested(&body)?;
    set_labels(&state, &owner, &name, &number_text, |_| Ok(labels))
}

/// `DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}`: answers the labels left;
/// 404 `Label does not exist` when the issue does not carry it.
pub async fn remove_from_issue(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text, label)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    set_labels(&state, &owner, &name, &number_text, |current| {
        let before = current.len();
        let left: Vec<String> = current.into_iter().filter(|l| !l.eq_ignore_ascii_case(&label)).collect();
        if left.len() == before {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "Label does not exist", D));
        }
        Ok(left)
    })
}

/// `DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels`: removes all; 204.
pub async fn clear_on_issue(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    set_labels(&state, &owner, &name, &number_text, |_| Ok(Vec::new()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
