//! Iteration endpoints: `GET/POST {org}/{project}/_apis/wit/classificationnodes/iterations[/{path}]`
//! (the tree with `$depth`, a node, create under a node), `PATCH …/iterations/{path}` (re-date),
//! and the team's iterations `GET/POST {org}/{project}/{team}/_apis/work/teamsettings/iterations`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Params, PathParams, json_body, list_body, route_project};
use crate::azure::errors::AzureError;
use crate::azure::iterations::{dates, node_json, root_json};
use crate::azure::state::AzureState;
use crate::azure::store::{Project, Store};

type Answer = Result<Response, AzureError>;

fn project_of(store: &Store, params: &PathParams) -> Result<Project, AzureError> {
    route_project(store, params)?.ok_or(AzureError::RouteNotFound)
}

fn node_path(params: &PathParams) -> String {
    params.get("path").map(|p| p.trim_matches('/').replace('/', "\\")).unwrap_or_default()
}

/// `GET …/classificationnodes/iterations[/{path}]?$depth=N`.
pub async fn get(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, q: Params) -> Answer {
    let store = state.store();
    let project = project_of(&store, &params)?;
    let depth = q.number("$depth")?.unwrap_or(0);
    let path = node_path(&params);
    let body = if path.is_empty() {
        root_json(&store.base_url, &project, store.iterations.tree(&project.name), depth)
    } else {
        let node =
            store.iterations.node(&project.name, &path).ok_or(AzureError::NodeNotFound { path: path.clone() })?;
        node_json(&store.base_url, &project, node, &path, depth)
    };
    Ok(Json(body).into_response())
}

/// `POST …/classificationnodes/iterations[/{parent}]` `{name, attributes: {startDate, finishDate}}`.
pub async fn create(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, body: Bytes) -> Answer {
    let body = json_body(&body)?;
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    let (start, finish) = dates(&body)?;
    let mut store = state.store();
    let project = project_of(&store, &params)?;
    let parent = node_path(&params);
    let node = store.iterations.create(&project, &parent, &name, start, finish)?;
    let path = if parent.is_empty() { node.name.clone() } else { format!("{parent}\\{}", node.name) };
    Ok((StatusCode::CREATED, Json(node_json(&store.base_url, &project, &node, &path, 0))).into_response())
}

/// `PATCH …/classificationnodes/iterations/{path}` `{attributes: {startDate, finishDate}}`.
pub async fn update(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, body: Bytes) -> Answer {
    let body = json_body(&body)?;
    let (start, finish) = dates(&body)?;
    let mut store = state.store();
    let project = project_of(&store, &params)?;
    let path = node_path(&params);
    let node = store.iterations.update(&project, &path, start, finish)?;
    Ok(Json(node_json(&store.base_url, &project, &node, &path, 0)).into_response())
}

fn team_of(project: &Project, params: &PathParams) -> Result<String, AzureError> {
    let team = params.get("team").cloned().unwrap_or_default();
    if !team.eq_ignore_ascii_case(&project.default_team()) {
        return Err(AzureError::TeamNotFound { name: team, project: project.name.clone() });
    }
    Ok(team)
}

fn team_iteration(project: &Project, store: &Store, id: &uuid::Uuid, path: &str) -> Value {
    let node = store.iterations.node(&project.name, path);
    let day = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    json!({
        "id": id.to_string(),
        "name": path.rsplit('\\').next().unwrap_or(path),
        "path": format!("{}\\{path}", project.name),
        "attributes": {
            "startDate": node.and_then(|n| day(n.start)),
            "finishDate": node.and_then(|n| day(n.finish)),
        },
    })
}

/// `GET {org}/{project}/{team}/_apis/work/teamsettings/iterations`.
pub async fn team_list(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>) -> Answer {
    let store = state.store();
    let project = project_of(&store, &params)?;
    let team = team_of(&project, &params)?;
    let list = store.iterations.team(&project.name, &team);
    Ok(Json(list_body(list.iter().map(|(id, p)| team_iteration(&project, &store, id, p)).collect())).into_response())
}

/// `POST {org}/{project}/{team}/_apis/work/teamsettings/iterations` `{id}`.
pub async fn team_add(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, body: Bytes) -> Answer {
    let body = json_body(&body)?;
    let raw = body.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
    let id = uuid::Uuid::parse_str(raw.trim())
        .map_err(|_| AzureError::BadArgument { message: format!("The value '{raw}' is not a valid iteration id.") })?;
    let mut store = state.store();
    let project = project_of(&store, &params)?;
    let team = team_of(&project, &params)?;
    let path =
        store.iterations.add_to_team(&project.name, &team, id).ok_or(AzureError::NodeNotFound { path: raw.clone() })?;
    Ok(Json(team_iteration(&project, &store, &id, &path)).into_response())
}
