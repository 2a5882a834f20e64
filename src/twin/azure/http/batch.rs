//! `POST /{organization}/_apis/wit/$batch`: several work item updates in one request, each answered
//! on its own (`{count, value: [{code, headers, body: "<json text>"}]}`), as in the service's
//! published batch examples. At most 200 sub-requests; only `PATCH …/workitems/{id}`.

use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use regex::Regex;
use serde_json::{Value, json};

use super::json_body;
use crate::twin::azure::edit::{self, WriteOptions};
use crate::twin::azure::errors::AzureError;
use crate::twin::azure::patch;
use crate::twin::azure::render::{self, Expand, View};
use crate::twin::azure::state::AzureState;

static WORK_ITEM_URI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)/_apis/wit/workitems/(\d+)(?:\?|$)").unwrap());

/// The most sub-requests one batch may carry.
pub const MAX_BATCH: usize = 200;

fn answer(code: u16, body: &Value) -> Value {
    json!({"code": code, "headers": {"Content-Type": "application/json; charset=utf-8"}, "body": body.to_string()})
}

/// `POST …/_apis/wit/$batch`.
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
                    answers.push(answer(200, &render::current(&store, &store.items[&id], &view)));
                }
                Err(e) => answers.push(answer(e.status().as_u16(), &e.body())),
            }
        }
    }
    state.deliver(notices);
    Ok(Json(json!({"count": answers.len(), "value": answers})).into_response())
}
