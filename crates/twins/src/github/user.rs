//! `GET /user`: the authenticated user of the token, as GitHub answers it (the `private-user`
//! shape: the public user plus the account's dates and counts). Clients ask it to learn who they
//! act as; backlog-sync adopts an issue carrying its marker only when this login created it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::GithubState;
use super::api;
use super::errors::ApiError;
use super::render::Render;

/// `GET /user`.
pub async fn get(State(state): State<Arc<GithubState>>) -> Result<Response, ApiError> {
    let store = state.store.lock().expect("store lock");
    let login = state.config.login.clone();
    let mut body = Render { base: &state.base, store: &store }.user(&login);
    let extra = json!({
        "user_view_type": "private",
        "name": null, "company": null, "blog": "", "location": null, "email": null,
        "hireable": null, "bio": null, "twitter_username": null,
        "public_repos": store.repos.values().filter(|r| r.owner.eq_ignore_ascii_case(&login)).count(),
        "public_gists": 0, "followers": 0, "following": 0,
        "created_at": "2011-01-25T18:44:36Z", "updated_at": "2011-01-25T18:44:36Z",
        "private_gists": 0, "total_private_repos": 0, "owned_private_repos": 0,
        "disk_usage": 0, "collaborators": 0, "two_factor_authentication": true,
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    Ok(api::json(StatusCode::OK, &body))
}
