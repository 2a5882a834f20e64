//! The `/_twin/*` control routes: stats, reset, faults, webhook target and seed.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{FaultRule, Twin, WebhookTarget};

pub(super) fn control_routes<T: Twin>(twin: Arc<T>) -> Router {
    Router::new()
        .route("/_twin/stats", get(stats::<T>))
        .route("/_twin/reset", post(reset::<T>))
        .route("/_twin/faults", get(list_faults::<T>).post(arm_faults::<T>).delete(clear_faults::<T>))
        .route("/_twin/webhooks", get(webhooks::<T>).post(set_webhooks::<T>).delete(clear_webhooks::<T>))
        .route("/_twin/seed", post(seed::<T>))
        .with_state(twin)
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "message": message }))).into_response()
}

async fn stats<T: Twin>(State(twin): State<Arc<T>>) -> Json<super::Stats> {
    Json(twin.control().stats())
}

async fn reset<T: Twin>(State(twin): State<Arc<T>>) -> StatusCode {
    twin.reset_data();
    twin.control().reset();
    StatusCode::NO_CONTENT
}

/// `POST /_twin/faults` takes one rule, a list of rules, or `{"faults": [...]}`, optionally with
/// `"seed": N` (the rules' `probability` rolls repeat for a seed, until the faults are cleared).
#[derive(Deserialize)]
#[serde(untagged)]
enum FaultsBody {
    One(FaultRule),
    Many(Vec<FaultRule>),
    Wrapped {
        faults: Vec<FaultRule>,
        #[serde(default)]
        seed: Option<u64>,
    },
}

async fn arm_faults<T: Twin>(State(twin): State<Arc<T>>, body: axum::body::Bytes) -> Response {
    let (rules, seed) = match serde_json::from_slice::<FaultsBody>(&body) {
        Ok(FaultsBody::One(rule)) => (vec![rule], None),
        Ok(FaultsBody::Many(rules)) => (rules, None),
        Ok(FaultsBody::Wrapped { faults, seed }) => (faults, seed),
        Err(error) => {
            return bad_request(format!(
                "invalid fault body ({error}); post e.g. `{{\"path\": \"/repos/*/*/issues\", \"count\": 1, \"status\": 503}}`"
            ));
        }
    };
    match twin.control().arm_faults(rules) {
        Ok(()) => {
            if let Some(seed) = seed {
                twin.control().seed_faults(seed);
            }
            (StatusCode::CREATED, Json(json!({ "faults": twin.control().armed_faults() }))).into_response()
        }
        Err(error) => bad_request(error.to_string()),
    }
}

async fn list_faults<T: Twin>(State(twin): State<Arc<T>>) -> Json<Value> {
    Json(json!({ "faults": twin.control().armed_faults() }))
}

async fn clear_faults<T: Twin>(State(twin): State<Arc<T>>) -> StatusCode {
    twin.control().clear_faults();
    StatusCode::NO_CONTENT
}

async fn set_webhooks<T: Twin>(State(twin): State<Arc<T>>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<WebhookTarget>(&body) {
        Ok(target) if target.url.starts_with("http://") || target.url.starts_with("https://") => {
            let url = target.url.clone();
            twin.control().webhooks().set_target(Some(target));
            (StatusCode::OK, Json(json!({ "url": url }))).into_response()
        }
        Ok(target) => bad_request(format!(
            "webhook `url` `{}` must be an http(s) URL, e.g. `http://127.0.0.1:8080/webhooks/github`",
            target.url
        )),
        Err(error) => bad_request(format!(
            "invalid webhook body ({error}); post `{{\"url\": \"http://...\", \"secret\": \"...\"}}`"
        )),
    }
}

async fn clear_webhooks<T: Twin>(State(twin): State<Arc<T>>) -> StatusCode {
    twin.control().webhooks().set_target(None);
    StatusCode::NO_CONTENT
}

/// The target's URL (never its secret) and the deliveries so far.
async fn webhooks<T: Twin>(State(twin): State<Arc<T>>) -> Json<Value> {
    let webhooks = twin.control().webhooks();
    Json(json!({
        "url": webhooks.target().map(|t| t.url),
        "deliveries": webhooks.deliveries(),
    }))
}

async fn seed<T: Twin>(State(twin): State<Arc<T>>, body: axum::body::Bytes) -> Response {
    let value = match serde_json::from_slice::<Value>(&body) {
        Ok(value) => value,
        Err(error) => return bad_request(format!("seed body is not JSON ({error})")),
    };
    match twin.seed(value) {
        Ok(summary) => (StatusCode::OK, Json(summary)).into_response(),
        Err(error) => (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "message": error.to_string() }))).into_response(),
    }
}
