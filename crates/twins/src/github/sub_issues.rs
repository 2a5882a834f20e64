//! Sub-issue endpoints: list, add (by the sub-issue's global *id*, with `replace_parent`), remove,
//! reprioritize (`after_id` xor `before_id`) and get the parent; at most 100 per parent.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::GithubState;
use super::api::{self, check_issue, number, object};
use super::errors::{ApiError, docs};
use super::render::Render;
use super::store::{IssueRef, MAX_SUB_ISSUES, Store};
use super::webhooks::{Event, Events, deliver};

const D: &str = docs::SUB_ISSUES;

fn refuse(message: &str) -> ApiError {
    ApiError::custom("Issue", "sub_issue_id", message, D)
}

/// Refuses when the parent already has the most sub-issues GitHub allows.
pub fn check_room(store: &Store, parent: &IssueRef, docs: &'static str) -> Result<(), ApiError> {
    let issue = store.issue(parent).ok_or_else(|| ApiError::not_found(docs))?;
    if issue.sub_issues.len() >= MAX_SUB_ISSUES {
        return Err(ApiError::custom(
            "Issue",
            "sub_issue_id",
            "Parent issue cannot have more than 100 sub-issues",
            docs,
        ));
    }
    Ok(())
}

/// Makes `sub` a sub-issue of `parent` (last in priority); `replace_parent` moves it from another
/// parent. Returns the webhooks to send.
pub fn link(
    store: &mut Store,
    base: &str,
    sender: &str,
    parent: &IssueRef,
    sub: &IssueRef,
    replace_parent: bool,
    docs: &'static str,
) -> Result<Vec<Event>, ApiError> {
    let parent_issue = store.issue(parent).ok_or_else(|| ApiError::not_found(docs))?;
    let sub_issue = store.issue(sub).ok_or_else(|| ApiError::not_found(docs))?;
    let (parent_id, sub_id) = (parent_issue.id, sub_issue.id);
    if parent_id == sub_id {
        return Err(refuse("An issue cannot be a sub-issue of itself"));
    }
    if parent_issue.sub_issues.contains(&sub_id) {
        return Err(refuse("Issue may not contain duplicate sub-issues"));
    }
    if store.repos[&parent.repo].owner.to_lowercase() != store.repos[&sub.repo].owner.to_lowercase() {
        return Err(refuse("Sub-issue must belong to the same repository owner as the parent issue"));
    }
    let mut ancestor = parent_issue.parent;
    while let Some(id) = ancestor {
        if id == sub_id {
            return Err(refuse("An issue cannot be a sub-issue of its own sub-issue"));
        }
        ancestor = store.find_issue(id).and_then(|at| store.issue(&at)).and_then(|i| i.parent);
    }
    let old_parent = sub_issue.parent;
    if old_parent.is_some() && !replace_parent {
        return Err(refuse("Sub issue may only have one parent"));
    }
    check_room(store, parent, docs)?;
    let mut events = Vec::new();
    if let Some(old) = old_parent.and_then(|id| store.find_issue(id)) {
        events.extend(unlink(store, base, sender, &old, sub)?);
    }
    let now = store.now();
    let p = store.issue_mut(parent).expect("parent exists");
    p.sub_issues.push(sub_id);
    p.updated_at = now;
    let s = store.issue_mut(sub).expect("sub-issue exists");
    s.parent = Some(parent_id);
    s.updated_at = now;
    events.extend(pair(store, base, sender, parent, sub, true));
    Ok(events)
}

/// Undoes the link between `parent` and `sub`; 404 when there is none.
pub fn unlink(
    store: &mut Store,
    base: &str,
    sender: &str,
    parent: &IssueRef,
    sub: &IssueRef,
) -> Result<Vec<Event>, ApiError> {
    let sub_id = store.issue(sub).ok_or_else(|| ApiError::not_found(D))?.id;
    let now = store.now();
    let p = store.issue_mut(parent).ok_or_else(|| ApiError::not_found(D))?;
    let Some(index) = p.sub_issues.iter().position(|id| *id == sub_id) else {
        return Err(ApiError::not_found(D));
    };
    p.sub_issues.remove(index);
    p.updated_at = now;
    let s = store.issue_mut(sub).expect("sub-issue exists");
    s.parent = None;
    s.updated_at = now;
    Ok(pair(store, base, sender, parent, sub, false).to_vec())
}

fn pair(store: &Store, base: &str, sender: &str, parent: &IssueRef, sub: &IssueRef, added: bool) -> [Event; 2] {
    let events = Events { render: Render { base, store }, sender };
    let parent_side = (&store.repos[&parent.repo], store.issue(parent).expect("parent exists"));
    let sub_side = (&store.repos[&sub.repo], store.issue(sub).expect("sub-issue exists"));
    events.sub_issue(parent_side, sub_side, added)
}

/// Resolves the parent issue in the path (404/410 like GitHub).
fn parent_ref(store: &Store, owner: &str, name: &str, number_text: &str) -> Result<IssueRef, ApiError> {
    let n = number(number_text, D)?;
    let repo = api::repo(store, owner, name, D)?;
    check_issue(repo, n, D)?;
    Ok(IssueRef { repo: repo.full_name().to_ascii_lowercase(), number: n })
}

fn id_field(body: &serde_json::Map<String, Value>, field: &str) -> Result<Option<u64>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| ApiError::invalid("Issue", "invalid", field, Some(v.clone()), D)),
    }
}

fn parent_response(state: &GithubState, store: &Store, parent: &IssueRef, status: StatusCode) -> Response {
    let render = Render { base: &state.base, store };
    let repo = &store.repos[&parent.repo];
    api::json(status, &render.issue(repo, &repo.issues[&parent.number]))
}

/// `GET .../issues/{issue_number}/sub_issues`, in priority order.
pub async fn list(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let parent = parent_ref(&store, &owner, &name, &number_text)?;
    let render = Render { base: &state.base, store: &store };
    let items = store
        .issue(&parent)
        .expect("parent exists")
        .sub_issues
        .iter()
        .filter_map(|id| store.find_issue(*id))
        .map(|at| render.issue(&store.repos[&at.repo], store.issue(&at).expect("sub-issue exists")))
        .collect();
    let path = format!("/repos/{owner}/{name}/issues/{number_text}/sub_issues");
    Ok(api::paged(&state, &path, raw.as_deref(), items, std::convert::identity))
}

/// `POST .../issues/{issue_number}/sub_issues` `{sub_issue_id, replace_parent}`; answers 201 with
/// the parent issue.
pub async fn add(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = object(&body, D)?;
    let sub_id = id_field(&body, "sub_issue_id")?
        .ok_or_else(|| ApiError::invalid("Issue", "missing_field", "sub_issue_id", None, D))?;
    let replace = body.get("replace_parent").and_then(Value::as_bool).unwrap_or(false);
    let login = state.actor();
    let mut store = state.store.lock().expect("store lock");
    let parent = parent_ref(&store, &owner, &name, &number_text)?;
    let sub = store.find_issue(sub_id).ok_or_else(|| ApiError::not_found(D))?;
    let events = link(&mut store, &state.base, &login, &parent, &sub, replace, D)?;
    let response = parent_response(&state, &store, &parent, StatusCode::CREATED);
    drop(store);
    deliver(&state, events);
    Ok(response)
}

/// `DELETE .../issues/{issue_number}/sub_issue` `{sub_issue_id}`; answers the parent issue.
pub async fn remove(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = object(&body, D)?;
    let sub_id = id_field(&body, "sub_issue_id")?
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "Invalid request: `sub_issue_id` is required", D))?;
    let login = state.actor();
    let mut store = state.store.lock().expect("store lock");
    let parent = parent_ref(&store, &owner, &name, &number_text)?;
    let sub = store.find_issue(sub_id).ok_or_else(|| ApiError::not_found(D))?;
    let events = unlink(&mut store, &state.base, &login, &parent, &sub)?;
    let response = parent_response(&state, &store, &parent, StatusCode::OK);
    drop(store);
    deliver(&state, events);
    Ok(response)
}

/// `PATCH .../issues/{issue_number}/sub_issues/priority` `{sub_issue_id, after_id | before_id}`.
pub async fn reprioritize(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = object(&body, D)?;
    let sub_id = id_field(&body, "sub_issue_id")?.ok_or_else(|| ApiError::simple("sub_issue_id is required", D))?;
    let anchor = match (id_field(&body, "after_id")?, id_field(&body, "before_id")?) {
        (Some(after), None) => (after, true),
        (None, Some(before)) => (before, false),
        _ => {
            return Err(ApiError::simple("Exactly one of after_id or before_id must be provided", D));
        }
    };
    let mut store = state.store.lock().expect("store lock");
    let parent = parent_ref(&store, &owner, &name, &number_text)?;
    let now = store.now();
    let issue = store.issue_mut(&parent).expect("parent exists");
    let from = issue.sub_issues.iter().position(|id| *id == sub_id).ok_or_else(|| ApiError::not_found(D))?;
    if !issue.sub_issues.contains(&anchor.0) || anchor.0 == sub_id {
        return Err(ApiError::simple("The anchor sub-issue is not a sub-issue of this issue", D));
    }
    let moved = issue.sub_issues.remove(from);
    let at = issue.sub_issues.iter().position(|id| *id == anchor.0).expect("anchor present");
    issue.sub_issues.insert(if anchor.1 { at + 1 } else { at }, moved);
    issue.updated_at = now;
    Ok(parent_response(&state, &store, &parent, StatusCode::OK))
}

/// `GET .../issues/{issue_number}/parent`; 404 when the issue has no parent.
pub async fn parent(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let sub = parent_ref(&store, &owner, &name, &number_text)?;
    let parent_id = store.issue(&sub).and_then(|i| i.parent).ok_or_else(|| ApiError::not_found(D))?;
    let parent = store.find_issue(parent_id).ok_or_else(|| ApiError::not_found(D))?;
    Ok(parent_response(&state, &store, &parent, StatusCode::OK))
}
