//! `PATCH /{organization}/_apis/wit/$batch` (the verb of the current documentation, api-version
//! 4.1 and later; `POST` only before 4.1, as in the 1.0 examples): several work item updates in
//! one request, each answered on its own (`{count, value: [{code, headers, body: "<json text>"}]}`);
//! a failed entry's body is `{"count":1,"value":{"Message":"…"}}` as the service writes it. At most
//! 200 sub-requests; only `PATCH …/workitems/{id}`.

use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use regex::Regex;
use serde_json::{Value, json};

use super::guard::ApiVersion;
use super::json_body;
use crate::azure::edit::{self, WriteOptions};
use crate::azure::errors::AzureError;
use crate::azure::patch;
use crate::azure::render::{self, Expand, View};
use crate::azure::state::AzureState;

static WORK_ITEM_URI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)/_apis/wit/workitems/(\d+)(?:\?|$)").unwrap());

/// The most sub-requests one batch may carry.
pub const MAX_BATCH: usize = 200;

fn answer(code: u16, body: &Value) -> Value {
    json!({"code": code, "headers": {"Content-Type": "application/json; charset=utf-8"}, "body": body.to_string()})
}

/// `POST …/_apis/wit/$batch` before api-version 4.1; later versions answer 405 as the verb is
/// `PATCH` there.
pub async fn update_many_legacy(
    state: State<Arc<AzureState>>,
    version: Option<Extension<ApiVersion>>,
    body: Bytes,
) -> Result<Response, AzureError> {
    if version.is_some_and(|Extension(v)| !v.before(4, 1)) {
        let mut refused =
            AzureError::BadArgument { message: "The requested resource does not support http method 'POST'.".into() }
                .into_response();
        *refused.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
        return Ok(refused);
    }
    update_many(state, body).await
}

/// The `api-version` a sub-request's URI asks for.
fn sub_version(uri: &str) -> Option<ApiVersion> {
    let query = uri.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.eq_ignore_ascii_case("api-version").then(|| ApiVersion::parse(value)).flatten()
    })
}

/// The body of a failed entry, as the service writes it.
fn failed(e: &AzureError) -> Value {
    json!({"count": 1, "value": {"Message": e.body()["message"].as_str().unwrap_or_default()}})
}

/// `PATCH …/_apis/wit/$batch`.
pub async fn update_many(State(state): State<Arc<AzureState>>, body: Bytes) -> Result<Response, AzureError> {
    let request = json_body(&body)?;
    let Some(subs) = request.as_array() else {
        return Err(AzureError::BadArgument { message: "The batch body must be an array of requests.".into() });
    };
    if subs.len() > MAX_BATCH {
        return Err(AzureError::BadArgument {
            message: format!("The batch holds {} requests; at most {MAX_BATCH} are allowed.", subs.len()),
        });
    }
    let view = View::new(Expand::Relations, None, true)?;
    let options = WriteOptions { actor: state.user.clone(), bypass_rules: false, validate_only: false };
    let mut answers = Vec::with_capacity(subs.len());
    let mut notices = Vec::new();
    {
        let mut store = state.store();
        for sub in subs {
            let method = sub.get("method").and_then(Value::as_str).unwrap_or_default();
            let uri = sub.get("uri").and_then(Value::as_str).unwrap_or_default();
            let id = WORK_ITEM_URI.captures(uri).and_then(|c| c[1].parse::<i64>().ok());
            let result = match (method.eq_ignore_ascii_case("PATCH"), id) {
                (true, Some(id)) => patch::parse_document(sub.get("body").unwrap_or(&Value::Null))
                    .and_then(|ops| edit::update(&mut store, id, None, &ops, &options).map(|outcome| (id, outcome))),
                _ => Err(AzureError::BadArgument {
                    message: format!(
                        "The batch supports `PATCH /_apis/wit/workitems/{{id}}` only, not `{method} {uri}`."
                    ),
                }),
            };
            match result {
                Ok((id, outcome)) => {
                    notices.extend(state.notices(&store, &outcome.events));
                    // Each sub-request answers at its own api-version.
                    let view = view.clone().at(sub_version(uri));
                    answers.push(answer(200, &render::current(&store, &store.items[&id], &view)));
                }
                Err(e) => answers.push(answer(e.status().as_u16(), &failed(&e))),
            }
        }
    }
    state.deliver(notices);
    Ok(Json(json!({"count": answers.len(), "value": answers})).into_response())
}
