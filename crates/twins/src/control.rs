//! What every twin shares beside its emulated API: counters, armed faults, webhook delivery, the
//! middleware that applies them, and the `/_twin/*` control routes (see DESIGN.md section 6).

mod faults;
mod routes;
mod stats;
mod webhooks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub use faults::{FaultError, FaultRule, Faults, glob_matches};
pub use stats::{Stats, is_write};
pub use webhooks::{DELIVERY_ATTEMPTS, Delivery, OutgoingWebhook, WebhookTarget, Webhooks};

use super::server::ConnectionKill;

/// The control block a twin owns: counters, faults and webhooks. Thread-safe; share it via the twin.
#[derive(Debug, Default)]
pub struct Control {
    stats: Mutex<Stats>,
    faults: Mutex<Faults>,
    webhooks: Webhooks,
}

impl Control {
    /// A fresh control block: zero counters, no faults, no webhook target.
    pub fn new() -> Control {
        Control::default()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.stats.lock().expect("stats lock").clone()
    }

    /// Counts one request to the emulated API (done by [`twin_router`]'s middleware).
    pub fn record_request(&self, method: &axum::http::Method, operation: String) {
        self.stats.lock().expect("stats lock").record(method, operation);
    }

    /// Counts one request refused by a rate limit. Twins call this when they refuse one.
    pub fn record_rate_limited(&self) {
        self.stats.lock().expect("stats lock").rate_limited += 1;
    }

    /// Validates and arms fault rules; all or none are armed.
    pub fn arm_faults(&self, rules: Vec<FaultRule>) -> Result<(), FaultError> {
        rules.iter().try_for_each(FaultRule::validate)?;
        self.faults.lock().expect("faults lock").arm(rules);
        Ok(())
    }

    /// Makes the armed rules' `probability` rolls repeatable until the faults are cleared.
    pub fn seed_faults(&self, seed: u64) {
        self.faults.lock().expect("faults lock").seed(seed);
    }

    /// The rules still armed.
    pub fn armed_faults(&self) -> Vec<FaultRule> {
        self.faults.lock().expect("faults lock").armed().to_vec()
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.faults.lock().expect("faults lock").clear();
    }

    /// Fires the first armed fault matching a request, if any.
    pub fn take_fault(&self, method: &axum::http::Method, path: &str) -> Option<FaultRule> {
        self.faults.lock().expect("faults lock").take(method, path)
    }

    /// The webhook target, sender and delivery log.
    pub fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }

    /// Zeroes the counters, disarms faults and forgets the delivery log; the webhook target stays.
    pub fn reset(&self) {
        *self.stats.lock().expect("stats lock") = Stats::default();
        self.clear_faults();
        self.webhooks.clear_log();
    }
}

/// Why `POST /_twin/seed` refused its body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// The body does not have the shape the twin expects.
    #[error("invalid seed: {0}")]
    Invalid(String),
}

/// What a twin implements to get the control routes and middleware from [`twin_router`].
pub trait Twin: Send + Sync + 'static {
    /// The twin's control block.
    fn control(&self) -> &Control;

    /// Empties all emulated data (items, comments, ids). Counters are reset separately.
    fn reset_data(&self);

    /// Loads items as if people had created them (no webhooks, no counters); answers a JSON summary.
    fn seed(&self, body: serde_json::Value) -> Result<serde_json::Value, SeedError>;

    /// The response the emulated API gives for an error with this status and message, in the
    /// remote's own error body shape (used for status and 429 faults).
    fn error_response(&self, status: StatusCode, message: &str) -> Response;
}

/// Wraps a twin's API router with the control middleware (counters, faults) and adds the
/// `/_twin/*` control routes, which are neither counted nor faulted and need no token.
///
/// Serve the result with [`TwinServer::serve`](super::server::TwinServer::serve) so the
/// `drop_after_write` fault can close connections.
pub fn twin_router<T: Twin>(twin: Arc<T>, api: Router) -> Router {
    let api = api.layer(axum::middleware::from_fn_with_state(twin.clone(), control_middleware::<T>));
    routes::control_routes(twin).merge(api)
}

async fn control_middleware<T: Twin>(State(twin): State<Arc<T>>, request: Request, next: Next) -> Response {
    let control = twin.control();
    let method = request.method().clone();
    let template = match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_string(),
        None => request.uri().path().to_string(),
    };
    control.record_request(&method, format!("{method} {template}"));
    let Some(fault) = control.take_fault(&method, request.uri().path()) else {
        return next.run(request).await;
    };
    if let Some(ms) = fault.latency_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(code) = fault.error_status() {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        if status == StatusCode::TOO_MANY_REQUESTS {
            control.record_rate_limited();
        }
        if let Some(body) = fault.body {
            let mut response = (status, body).into_response();
            let content_type = fault.content_type.as_deref().unwrap_or("application/json");
            if let Ok(value) = HeaderValue::from_str(content_type) {
                response.headers_mut().insert("content-type", value);
            }
            return response;
        }
        let message = fault.message.as_deref().or(status.canonical_reason()).unwrap_or("Injected fault");
        let mut response = twin.error_response(status, message);
        if let Some(seconds) = fault.retry_after {
            response.headers_mut().insert("retry-after", HeaderValue::from(seconds));
        }
        return response;
    }
    if fault.drop_after_write {
        let kill = request.extensions().get::<ConnectionKill>().cloned();
        let response = next.run(request).await;
        return match kill {
            Some(kill) => {
                kill.kill();
                // The connection task drops this future together with the connection.
                std::future::pending().await
            }
            // Not served by `TwinServer` (e.g. `oneshot` in a unit test): nothing to drop.
            None => response,
        };
    }
    next.run(request).await
}
