//! Comment endpoints (7.1-preview.4): add, list (`$top`, `continuationToken`, `order`, `ids`,
//! `includeDeleted`), get, edit and delete, with `format=markdown|html`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Params, PathParams, json_body, path_number, route_project};
use crate::azure::comments;
use crate::azure::errors::AzureError;
use crate::azure::state::AzureState;
use crate::azure::store::{Project, Store};

type Answer = Result<Response, AzureError>;

fn format(q: &Params) -> Result<Option<bool>, AzureError> {
    match q.get("format").map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("markdown") => Ok(Some(true)),
        Some("html") => Ok(Some(false)),
        Some(other) => Err(AzureError::BadArgument {
            message: format!("The value '{other}' is not valid for 'format'; use markdown or html."),
        }),
    }
}

fn rendered(q: &Params) -> bool {
    q.get("$expand")
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "renderedtext" | "renderedtextonly" | "all"))
}

fn scope(store: &Store, params: &PathParams) -> Result<(Project, i64), AzureError> {
    let project = route_project(store, params)?.ok_or(AzureError::RouteNotFound)?;
    let id = path_number(params, "id")?;
    store.live(id, Some(&project))?;
    Ok((project, id))
}

fn text_of(body: &Bytes) -> Result<String, AzureError> {
    let body = json_body(body)?;
    body.get("text")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AzureError::BadArgument { message: "Value cannot be null.\r\nParameter name: text".into() })
}

/// `POST …/workItems/{id}/comments`.
pub async fn add(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: Params,
    body: Bytes,
) -> Answer {
    let text = text_of(&body)?;
    let markdown = format(&q)?.unwrap_or(false);
    let (answer, notices) = {
        let mut store = state.store();
        let (project, id) = scope(&store, &params)?;
        let (comment_id, events) = comments::add(&mut store, id, &text, markdown, &state.user)?;
        let comment = comments::get(&store, id, comment_id, false)?;
        (comments::to_json(&store, &project.id.to_string(), comment, rendered(&q)), state.notices(&store, &events))
    };
    state.deliver(notices);
    Ok(Json(answer).into_response())
}

/// `GET …/workItems/{id}/comments`.
pub async fn list(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, q: Params) -> Answer {
    let store = state.store();
    let (project, id) = scope(&store, &params)?;
    let project_id = project.id.to_string();
    let include_deleted = q.flag("includeDeleted");
    let mut all: Vec<_> =
        store.comments.get(&id).into_iter().flatten().filter(|c| include_deleted || !c.is_deleted).collect();
    if let Some(ids) = q.list("ids") {
        all.retain(|c| ids.iter().any(|i| i == &c.id.to_string()));
    }
    let total = all.len();
    if !q.get("order").is_some_and(|o| o.eq_ignore_ascii_case("asc")) {
        all.reverse();
    }
    if let Some(token) = q.get("continuationToken") {
        let start = token.parse::<usize>().map_err(|_| AzureError::BadArgument {
            message: format!("The continuation token '{token}' is not valid."),
        })?;
        all = all.into_iter().skip(start).collect();
    }
    let skipped = total - all.len();
    let top = q.number("$top")?.unwrap_or(200).clamp(1, 200);
    let more = all.len() > top;
    all.truncate(top);
    let comments: Vec<Value> = all.iter().map(|c| comments::to_json(&store, &project_id, c, rendered(&q))).collect();
    let base = format!("{}/{project_id}/_apis/wit/workItems/{id}/comments", store.base_url);
    let mut body = json!({ "totalCount": total, "count": comments.len(), "comments": comments, "url": base });
    if more {
        let token = (skipped + top).to_string();
        body["continuationToken"] = json!(token);
        body["nextPage"] = json!(format!("{base}?continuationToken={token}&$top={top}"));
    }
    Ok(Json(body).into_response())
}

/// `GET …/workItems/{id}/comments/{commentId}`.
pub async fn get(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, q: Params) -> Answer {
    let store = state.store();
    let (project, id) = scope(&store, &params)?;
    let comment = comments::get(&store, id, path_number(&params, "commentId")?, q.flag("includeDeleted"))?;
    Ok(Json(comments::to_json(&store, &project.id.to_string(), comment, rendered(&q))).into_response())
}

/// `PATCH …/workItems/{id}/comments/{commentId}`.
pub async fn update(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: Params,
    body: Bytes,
) -> Answer {
    let text = text_of(&body)?;
    let markdown = format(&q)?;
    let (answer, notices) = {
        let mut store = state.store();
        let (project, id) = scope(&store, &params)?;
        let comment_id = path_number(&params, "commentId")?;
        let events = comments::update(&mut store, id, comment_id, &text, markdown, &state.user)?;
        let comment = comments::get(&store, id, comment_id, false)?;
        (comments::to_json(&store, &project.id.to_string(), comment, rendered(&q)), state.notices(&store, &events))
    };
    state.deliver(notices);
    Ok(Json(answer).into_response())
}

/// `DELETE …/workItems/{id}/comments/{commentId}`.
pub async fn delete(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let (answer, notices) = {
        let mut store = state.store();
        let (project, id) = scope(&store, &params)?;
        let comment_id = path_number(&params, "commentId")?;
        let events = comments::delete(&mut store, id, comment_id, &state.user)?;
        let comment = comments::get(&store, id, comment_id, true)?;
        (comments::to_json(&store, &project.id.to_string(), comment, false), state.notices(&store, &events))
    };
    state.deliver(notices);
    Ok(Json(answer).into_response())
}
