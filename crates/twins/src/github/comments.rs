//! Issue comment endpoints: list an issue's comments, create, list a repository's comments
//! (`sort`, `direction`, `since`), and get, edit and delete one comment.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::GithubState;
use super::api::{self, check_issue, number, object};
use super::errors::{ApiError, docs};
use super::pagination::parse_query;
use super::render::Render;
use super::store::{Comment, IdKind, IssueRef, Store, parse_time};
use super::webhooks::{Event, Events, deliver};

const D: &str = docs::COMMENTS;

fn comment_event(
    state: &GithubState,
    store: &Store,
    key: &str,
    id: u64,
    action: &str,
    changes: Option<Value>,
) -> Option<Event> {
    let repo = &store.repos[key];
    let comment = repo.comments.get(&id)?;
    let issue = repo.issues.get(&comment.issue_number)?;
    let render = Render { base: &state.base, store };
    let body = render.comment(repo, comment);
    Some(Events { render, sender: &state.actor() }.comment(repo, issue, &body, action, changes))
}

fn since_filter(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    let query = parse_query(raw);
    match query.iter().rev().find(|(k, _)| k == "since") {
        Some((_, text)) => parse_time(text)
            .map(Some)
            .ok_or_else(|| ApiError::invalid("IssueComment", "invalid", "since", Some(json!(text)), D)),
        None => Ok(None),
    }
}

/// `GET /repos/{owner}/{repo}/issues/{issue_number}/comments`, oldest first.
pub async fn list_issue(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let since = since_filter(raw.as_deref())?;
    let n = number(&number_text, D)?;
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, D)?;
    check_issue(repo, n, D)?;
    let render = Render { base: &state.base, store: &store };
    let items = repo
        .comments
        .values()
        .filter(|c| c.issue_number == n && since.is_none_or(|t| c.updated_at >= t))
        .map(|c| render.comment(repo, c))
        .collect();
    let path = format!("/repos/{owner}/{name}/issues/{number_text}/comments");
    Ok(api::paged(&state, &path, raw.as_deref(), items, std::convert::identity))
}

/// `GET /repos/{owner}/{repo}/issues/comments`: `sort` created|updated, `direction`, `since`.
pub async fn list_repo(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let since = since_filter(raw.as_deref())?;
    let query = parse_query(raw.as_deref());
    let get = |k: &str| query.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let by_updated = match get("sort") {
        None | Some("created") => false,
        Some("updated") => true,
        Some(other) => {
            return Err(ApiError::invalid("IssueComment", "invalid", "sort", Some(json!(other)), D));
        }
    };
    let descending = match get("direction") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::invalid("IssueComment", "invalid", "direction", Some(json!(other)), D));
        }
    };
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, D)?;
    let mut comments: Vec<&Comment> =
        repo.comments.values().filter(|c| since.is_none_or(|t| c.updated_at >= t)).collect();
    comments.sort_by_key(|c| (if by_updated { c.updated_at } else { c.created_at }, c.id));
    if descending {
        comments.reverse();
    }
    let render = Render { base: &state.base, store: &store };
    let path = format!("/repos/{owner}/{name}/issues/comments");
    Ok(api::paged(&state, &path, raw.as_deref(), comments, |c| render.comment(repo, c)))
}

fn body_field(body: &Bytes) -> Result<String, ApiError> {
    let body = object(body, D)?;
    match body.get("body") {
        Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(ApiError::invalid("IssueComment", "missing_field", "body", None, D))
        }
        Some(other) => Err(ApiError::invalid("IssueComment", "invalid", "body", Some(other.clone()), D)),
    }
}

/// `POST /repos/{owner}/{repo}/issues/{issue_number}/comments` `{body}`.
pub async fn create(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let n = number(&number_text, D)?;
    let text = body_field(&body)?;
    let mut store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, D)?;
    check_issue(repo, n, D)?;
    let at = IssueRef { repo: repo.full_name().to_ascii_lowercase(), number: n };
    let id = store.next_id(IdKind::Comment);
    let now = store.now();
    let login = state.actor();
    store.user_id(&login);
    let repo = store.repos.get_mut(&at.repo).expect("repo exists");
    repo.comments
        .insert(id, Comment { id, issue_number: n, body: text, user: login, created_at: now, updated_at: now });
    repo.issues.get_mut(&n).expect("issue exists").updated_at = now;
    let event = comment_event(&state, &store, &at.repo, id, "created", None);
    let render = Render { base: &state.base, store: &store };
    let response = api::created(&render.comment(&store.repos[&at.repo], &store.repos[&at.repo].comments[&id]));
    drop(store);
    deliver(&state, event.into_iter().collect());
    Ok(response)
}

/// The repository key and comment id in the path, or 404.
fn find(store: &Store, owner: &str, name: &str, id_text: &str) -> Result<(String, u64), ApiError> {
    let id = number(id_text, D)?;
    let repo = api::repo(store, owner, name, D)?;
    if !repo.comments.contains_key(&id) {
        return Err(ApiError::not_found(D));
    }
    Ok((repo.full_name().to_ascii_lowercase(), id))
}

/// `GET /repos/{owner}/{repo}/issues/comments/{comment_id}`.
pub async fn get(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, id_text)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let (key, id) = find(&store, &owner, &name, &id_text)?;
    let render = Render { base: &state.base, store: &store };
    Ok(api::json(StatusCode::OK, &render.comment(&store.repos[&key], &store.repos[&key].comments[&id])))
}

/// `PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}` `{body}`.
pub async fn update(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, id_text)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let text = body_field(&body)?;
    let mut store = state.store.lock().expect("store lock");
    let (key, id) = find(&store, &owner, &name, &id_text)?;
    let now = store.now();
    let comment = store.repos.get_mut(&key).expect("repo exists").comments.get_mut(&id).expect("comment exists");
    let mut event = None;
    if comment.body != text {
        let from = std::mem::replace(&mut comment.body, text);
        comment.updated_at = now;
        event = comment_event(&state, &store, &key, id, "edited", Some(json!({ "body": { "from": from } })));
    }
    let render = Render { base: &state.base, store: &store };
    let response = api::json(StatusCode::OK, &render.comment(&store.repos[&key], &store.repos[&key].comments[&id]));
    drop(store);
    deliver(&state, event.into_iter().collect());
    Ok(response)
}

/// `DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}`: 204.
pub async fn delete(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, id_text)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let mut store = state.store.lock().expect("store lock");
    let (key, id) = find(&store, &owner, &name, &id_text)?;
    let event = comment_event(&state, &store, &key, id, "deleted", None);
    store.repos.get_mut(&key).expect("repo exists").comments.remove(&id);
    drop(store);
    deliver(&state, event.into_iter().collect());
    Ok(StatusCode::NO_CONTENT.into_response())
}
