//! `GET {organization}/_apis/projects/{projectIdOrName}` (Core 7.1 Projects_Get): the project as
//! the service describes it, with its process template when `includeCapabilities=true`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Params, PathParams};
use crate::azure::process::Process;
use crate::azure::state::AzureState;
use crate::azure::store::{Project, stable_uuid};

/// The service's fixed ids of the built-in process templates (`templateTypeId`).
fn template_type_id(process: Process) -> &'static str {
    match process {
        Process::Agile => "adcc42ab-9882-485e-a3ed-7678f01f66bc",
        Process::Scrum => "6b724908-ef14-45cf-84f8-768b5384da45",
        Process::Cmmi => "27450541-8e31-4150-9947-dc59f998fc01",
        Process::Basic => "b8a3a935-7e91-48b8-a94c-606d37c3e9f2",
    }
}

/// The `TeamProject` body of one project.
pub fn project_json(base: &str, project: &Project, capabilities: bool) -> Value {
    let url = format!("{base}/_apis/projects/{}", project.id);
    let team_id = stable_uuid(&format!("team:{}", project.default_team()));
    let mut body = json!({
        "id": project.id.to_string(),
        "name": project.name,
        "url": url,
        "state": "wellFormed",
        "revision": 1,
        "visibility": "private",
        "lastUpdateTime": "2026-01-05T09:00:00.000Z",
        "_links": {
            "self": { "href": url },
            "collection": { "href": format!("{base}/_apis/projectCollections/{}", stable_uuid("collection")) },
            "web": { "href": format!("{base}/{}", project.name) },
        },
        "defaultTeam": {
            "id": team_id.to_string(),
            "name": project.default_team(),
            "url": format!("{base}/_apis/projects/{}/teams/{team_id}", project.id),
        },
    });
    if capabilities {
        body["capabilities"] = json!({
            "versioncontrol": { "sourceControlType": "Git", "gitEnabled": "True", "tfvcEnabled": "False" },
            "processTemplate": {
                "templateName": project.process.name(),
                "templateTypeId": template_type_id(project.process),
            },
        });
    }
    body
}

/// `GET {organization}/_apis/projects/{projectIdOrName}`; an unknown project is the service's
/// 404 `ProjectDoesNotExistWithNameException`.
pub async fn get(State(state): State<Arc<AzureState>>, Path(params): Path<PathParams>, query: Params) -> Response {
    let name = params.get("projectId").cloned().unwrap_or_default();
    let capabilities =
        query.0.iter().any(|(k, v)| k.eq_ignore_ascii_case("includeCapabilities") && v.eq_ignore_ascii_case("true"));
    let store = state.store();
    match store.project(&name) {
        Ok(project) => Json(project_json(&state.base, project, capabilities)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET {organization}/_apis/projects` (Core 7.1 Projects_List): every project, as a collection.
pub async fn list(State(state): State<Arc<AzureState>>) -> Response {
    let store = state.store();
    let values: Vec<Value> = store.projects.iter().map(|p| project_json(&state.base, p, false)).collect();
    Json(super::list_body(values)).into_response()
}
