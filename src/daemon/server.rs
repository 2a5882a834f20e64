//! The daemon's HTTP side: `fn router(state) -> Router` with the two webhook endpoints, `/healthz`,
//! `/readyz` (store open, targets reachable), `/metrics`; and `fn dashboard_router(state)`, the
//! read-only dashboard at `/`, served on its own listener (`[server] dashboard_listen`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::dashboard::{self, SummarySlot};
use super::metrics::{self, Metrics};
use super::probe::Readiness;
use super::queue::WorkQueue;
use super::webhooks::HookAuth;
use crate::config::Settings;
use crate::store::Store;

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub queue: Arc<WorkQueue>,
    pub metrics: Arc<Metrics>,
    pub hooks: Arc<HookAuth>,
    /// The daemon's own connection to the state database (webhook deliveries, dashboard reads);
    /// `None` once closed at shutdown.
    pub store: Arc<Mutex<Option<Store>>>,
    pub readiness: Arc<Readiness>,
    /// The latest stakeholder summary as HTML, shown on the dashboard.
    pub summary: SummarySlot,
    /// The largest webhook body, in bytes.
    pub body_limit: usize,
    /// Webhook bodies being read at once (`[server] max_uploads`).
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// How long a client may take to send a webhook body.
    pub body_timeout: std::time::Duration,
    stopping: Arc<AtomicBool>,
    /// The sync's own app login per target (`<slug>[bot]`): webhooks it sent are echoes.
    pub own_logins: super::webhooks::OwnLogins,
}

impl AppState {
    pub fn new(settings: Arc<Settings>, queue: Arc<WorkQueue>, store: Store, hooks: HookAuth) -> AppState {
        let body_limit = settings.server.body_limit;
        AppState {
            readiness: Arc::new(Readiness::new(&settings.targets)),
            queue,
            metrics: Arc::new(Metrics::new()),
            hooks: Arc::new(hooks),
            store: Arc::new(Mutex::new(Some(store))),
            summary: SummarySlot::default(),
            body_limit,
            uploads: Arc::new(tokio::sync::Semaphore::new(settings.server.max_uploads.max(1))),
            body_timeout: std::time::Duration::from_millis(settings.server.body_timeout_ms),
            stopping: Arc::new(AtomicBool::new(false)),
            own_logins: Default::default(),
            settings,
        }
    }

    /// Runs `f` on the store, or fails when it is closed.
    pub fn with_store<T>(&self, f: impl FnOnce(&Store) -> Result<T, crate::store::StoreError>) -> Result<T, String> {
        let guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        let store = guard.as_ref().ok_or_else(|| "the state database is closed: the daemon is stopping".to_string())?;
        f(store).map_err(|e| e.to_string())
    }

    /// Records a webhook delivery id; `false` for one already seen.
    pub fn record_delivery(&self, source: &str, id: &str) -> Result<bool, String> {
        self.with_store(|s| s.record_delivery(source, id))
    }

    /// Marks the daemon as stopping: `/readyz` answers 503 from now on.
    pub fn stopping(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Closes the daemon's store connection (SQLite checkpoints the WAL on close).
    pub fn close_store(&self) {
        drop(self.store.lock().unwrap_or_else(|p| p.into_inner()).take());
    }
}

/// The routes of the webhook listener (`[server] listen`, the one published): the webhooks and
/// the probes. The dashboard is not among them.
pub fn router(state: AppState) -> Router {
    // The webhook handlers read their bodies themselves with `[server] body_limit` (413 above it).
    let mut router = Router::new();
    for (path, receive) in crate::trackers::webhook_routes() {
        router = router.route(path, receive);
    }
    router
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/", get(dashboard_elsewhere))
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

/// The routes of the dashboard listener (`[server] dashboard_listen`, 127.0.0.1 by default).
pub fn dashboard_router(state: AppState) -> Router {
    Router::new().route("/", get(dashboard_page)).route("/healthz", get(healthz)).with_state(state)
}

async fn dashboard_elsewhere() -> Response {
    let body = json!({"error": "the dashboard is not served on the webhook listener; open the address `[server] dashboard_listen` names (by default 127.0.0.1 on the webhook port + 1)"});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    let store = state.with_store(|s| s.journal_mode());
    let targets = state.readiness.check().await;
    let stopping = state.stopping.load(Ordering::SeqCst);
    let ready = !stopping && store.is_ok() && targets.values().all(Result::is_ok);
    // Items a remote refused are the items', not the daemon's: still ready (200, so the load
    // balancer keeps it), but `degraded` with their count.
    let refused = state.with_store(|s| s.refusals()).map(|r| r.len()).unwrap_or(0);
    let body = json!({
        "ready": ready,
        "degraded": refused > 0,
        "refused_items": refused,
        "stopping": stopping,
        "store": store.map(|_| "ok".to_string()).unwrap_or_else(|e| e),
        "targets": targets
            .iter()
            .map(|(name, r)| (name.clone(), json!(r.as_ref().map(|()| "ok").unwrap_or_else(|e| e.as_str()))))
            .collect::<serde_json::Map<_, _>>(),
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(body)).into_response()
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    state.metrics.depth(state.queue.depth());
    // Refused items are the store's: read at each scrape, so a run elsewhere shows too.
    if let Ok(refused) = state.with_store(|s| s.refusals()) {
        let mut per_target: std::collections::BTreeMap<String, usize> =
            state.settings.targets.iter().map(|t| (t.name.clone(), 0)).collect();
        for r in refused {
            *per_target.entry(r.target).or_default() += 1;
        }
        state.metrics.refused(&per_target);
    }
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], state.metrics.render()).into_response()
}

async fn dashboard_page(State(state): State<AppState>) -> Response {
    let view = dashboard::gather(&state).await;
    Html(dashboard::render(&view)).into_response()
}
