//! `POST …/_apis/wit/wiql` (organization, project or team scope): runs the WIQL statement in the
//! body with `timePrecision` and `$top` from the query string, as the service reads them.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::Value;

use super::{Params, PathParams, json_body, route_project};
use crate::azure::errors::AzureError;
use crate::azure::state::AzureState;
use crate::azure::wiql::{self, QueryRequest};

/// `POST …/wiql`.
pub async fn wiql(
    State(state): State<Arc<AzureState>>,
    Path(params): Path<PathParams>,
    q: Params,
    body: Bytes,
) -> Result<Response, AzureError> {
    let request = json_body(&body)?;
    let text = request.get("query").and_then(Value::as_str).filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        AzureError::BadArgument { message: "Value cannot be null or empty.\r\nParameter name: wiql.Query".into() }
    })?;
    let store = state.store();
    let project = route_project(&store, &params)?;
    if let (Some(team), Some(project)) = (params.get("team"), project.as_ref())
        && !team.eq_ignore_ascii_case(&project.default_team())
    {
        return Err(AzureError::TeamNotFound { name: team.clone(), project: project.name.clone() });
    }
    let query = QueryRequest {
        text,
        project: project.as_ref().map(|p| p.name.as_str()),
        me: &state.user,
        time_precision: q.flag("timePrecision"),
        top: q.number("$top")?,
    };
    Ok(Json(wiql::run(&store, &query, Utc::now())?).into_response())
}
