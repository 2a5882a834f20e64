//! Repository endpoints real clients call: `GET /repos/{owner}/{repo}`, the collaborators
//! endpoints (`PUT`/`GET …/collaborators/{username}`) and `GET …/assignees/{assignee}`, which say
//! who can be assigned an issue.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::GithubState;
use super::api;
use super::errors::ApiError;
use super::render::Render;

const REPOS: &str = "https://docs.github.com/rest/repos/repos#get-a-repository";
const COLLABORATORS: &str = "https://docs.github.com/rest/collaborators/collaborators";
const ASSIGNEES: &str = "https://docs.github.com/rest/issues/assignees#check-if-a-user-can-be-assigned";

/// `GET /repos/{owner}/{repo}`.
pub async fn get(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, REPOS)?;
    let mut body = Render { base: &state.base, store: &store }.repository(repo);
    body["open_issues_count"] = json!(repo.issues.values().filter(|i| i.state.as_str() == "open").count());
    body["has_issues"] = json!(true);
    Ok(api::json(StatusCode::OK, &body))
}

/// `GET /repos/{owner}/{repo}/collaborators/{username}`: 204 for a collaborator, else 404.
pub async fn is_collaborator(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, username)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, COLLABORATORS)?;
    if repo.can_assign(&username) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(COLLABORATORS))
    }
}

/// `PUT /repos/{owner}/{repo}/collaborators/{username}`: 201 with the invitation (which the twin
/// accepts at once), 204 when already a collaborator.
pub async fn add_collaborator(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, username)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let mut store = state.store.lock().expect("store lock");
    let key = api::repo(&store, &owner, &name, COLLABORATORS)?.full_name().to_ascii_lowercase();
    if store.repos[&key].can_assign(&username) {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    store.user_id(&username);
    let invitation_id = store.next_id(super::store::IdKind::Comment);
    store.repos.get_mut(&key).expect("repo exists").collaborators.insert(username.to_ascii_lowercase());
    let render = Render { base: &state.base, store: &store };
    let repo = &store.repos[&key];
    let body = json!({
        "id": invitation_id,
        "repository": render.repository(repo),
        "invitee": render.user(&username),
        "inviter": render.user(&state.config.login),
        "permissions": "write",
        "created_at": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "url": format!("{}/user/repository_invitations/{invitation_id}", state.base),
    });
    Ok(api::json(StatusCode::CREATED, &body))
}

/// `GET /repos/{owner}/{repo}/assignees/{assignee}`: 204 when the user can be assigned, else 404.
pub async fn can_be_assigned(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, assignee)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, ASSIGNEES)?;
    if repo.can_assign(&assignee) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found(ASSIGNEES))
    }
}

const MOVED: &str = "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects";

/// Answers `301 Moved Permanently` with the new `Location` for a request to a renamed repository
/// or a transferred issue, as GitHub does; everything else goes on.
pub async fn redirect_moved(State(state): State<Arc<GithubState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let segments: Vec<&str> = path.split('/').collect();
    // "", "repos", owner, name, rest...
    if segments.len() < 4 || segments[1] != "repos" {
        return next.run(request).await;
    }
    let key = format!("{}/{}", segments[2], segments[3]).to_ascii_lowercase();
    let issue =
        (segments.get(4) == Some(&"issues")).then(|| segments.get(5).and_then(|n| n.parse::<u64>().ok())).flatten();
    let moved = {
        let store = state.store.lock().expect("store lock");
        match store.moved(&key, issue) {
            Some(prefix) if prefix.contains("/issues/") => Some(format!("{prefix}{}", tail(&segments, 6))),
            Some(prefix) => Some(format!("{prefix}{}", tail(&segments, 4))),
            None => None,
        }
    };
    let Some(mut location) = moved else { return next.run(request).await };
    if let Some(query) = request.uri().query() {
        location = format!("{location}?{query}");
    }
    let url = format!("{}{location}", state.base);
    let body = json!({ "message": "Moved Permanently", "url": url, "documentation_url": MOVED });
    let mut response = api::json(StatusCode::MOVED_PERMANENTLY, &body);
    if let Ok(value) = HeaderValue::from_str(&url) {
        response.headers_mut().insert("location", value);
    }
    response
}

fn tail(segments: &[&str], from: usize) -> String {
    segments.get(from..).filter(|s| !s.is_empty()).map(|s| format!("/{}", s.join("/"))).unwrap_or_default()
}

/// `POST /_twin/repos/{owner}/{repo}/rename` `{"name": "new-name"}` (control): renames the
/// repository as its admin would; requests to the old name then answer 301.
pub async fn rename(
    State(state): State<Arc<GithubState>>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = api::object(&body, REPOS)?;
    let new_name = body.get("name").and_then(Value::as_str).filter(|n| !n.is_empty() && !n.contains('/'));
    let Some(new_name) = new_name else {
        return Err(ApiError::invalid("Repository", "missing_field", "name", None, REPOS));
    };
    let mut store = state.store.lock().expect("store lock");
    let key = api::repo(&store, &owner, &name, REPOS)?.full_name().to_ascii_lowercase();
    let new_key = store.rename_repo(&key, new_name).ok_or_else(|| ApiError::not_found(REPOS))?;
    let render = Render { base: &state.base, store: &store };
    Ok(api::json(StatusCode::OK, &render.repository(&store.repos[&new_key])))
}

/// `POST /_twin/repos/{owner}/{repo}/issues/{issue_number}/transfer` `{"repository":
/// "owner/other"}` (control): transfers the issue as a person would; its old number answers 301.
pub async fn transfer(
    State(state): State<Arc<GithubState>>,
    Path((owner, name, number_text)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let d = super::errors::docs::GET_ISSUE;
    let n = api::number(&number_text, d)?;
    let body = api::object(&body, d)?;
    let to = body.get("repository").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let mut store = state.store.lock().expect("store lock");
    let repo = api::repo(&store, &owner, &name, d)?;
    api::check_issue(repo, n, d)?;
    let at = super::store::IssueRef { repo: repo.full_name().to_ascii_lowercase(), number: n };
    let new_at = store
        .transfer_issue(&at, &to)
        .ok_or_else(|| ApiError::invalid("Issue", "invalid", "repository", Some(json!(to)), d))?;
    let render = Render { base: &state.base, store: &store };
    let repo = &store.repos[&new_at.repo];
    Ok(api::json(StatusCode::OK, &render.issue(repo, &repo.issues[&new_at.number])))
}
