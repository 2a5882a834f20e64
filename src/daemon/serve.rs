//! Puts the daemon together: binds the listener, opens the store, builds the remotes, the queue,
//! the scheduler and the worker, runs them until SIGTERM / ctrl-c, then stops in order — stop
//! accepting, finish the run in flight, close the store.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::dashboard::SummarySlot;
use super::listener::{self, FD_RESERVE, Limits};
use super::queue::{QueueLimits, WorkKey, WorkQueue};
use super::scheduler::{Job, JobFn, ScheduleError, Scheduler};
use super::server::{AppState, dashboard_router, router};
use super::shutdown::{self, Shutdown};
use super::webhooks::{HookAuth, HookConfigError};
use super::worker::Worker;
use crate::config::Settings;
use crate::reconcile::engine::{self, SyncError};
use crate::store::{Store, StoreError};

/// The dashboard listener's connection limit: it is for a few people on the host.
const DASHBOARD_CONNECTIONS: usize = 64;

/// How long the HTTP side may take to close its connections after the worker stopped.
const DRAIN: Duration = Duration::from_secs(10);

/// Webhook delivery ids are remembered this long (GitHub redelivers within days, not weeks).
const KEEP_DELIVERIES: chrono::Duration = chrono::Duration::days(14);

/// Why the daemon cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error(transparent)]
    Hooks(#[from] HookConfigError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on `{addr}`: {source}; set `[server] listen` (or `--listen`) to a free address")]
    Bind { addr: String, source: std::io::Error },
    #[error(
        "cannot serve the dashboard on `{addr}`: {source}; set `[server] dashboard_listen` to a free address, or to \"off\""
    )]
    DashboardBind { addr: String, source: std::io::Error },
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// How to start.
#[derive(Default)]
pub struct ServeOptions {
    /// Take unauthenticated webhooks on endpoints that have no secret (local tests only).
    pub insecure_webhooks: bool,
    /// Overrides `[server] listen`.
    pub listen: Option<String>,
    /// The action of the `summary` schedule; without one it logs "summary not configured".
    pub summary: Option<JobFn>,
    /// What the dashboard shows as the latest summary; a summary job keeps a clone and sets it.
    pub summary_slot: SummarySlot,
    /// More jobs to schedule (a job with the name of a built-in one replaces it).
    pub jobs: Vec<Job>,
}

/// A daemon bound to its address, not yet running.
pub struct Daemon {
    state: AppState,
    listener: TcpListener,
    /// The dashboard's own listener; `None` with `[server] dashboard_listen = "off"`.
    dashboard: Option<TcpListener>,
    limits: Limits,
    worker: Worker,
    scheduler: Scheduler,
    shutdown: Shutdown,
}

impl Daemon {
    /// Checks the settings, opens the store, connects the targets and binds the listener.
    pub async fn bind(settings: Settings, opts: ServeOptions) -> Result<Daemon, DaemonError> {
        if settings.targets.is_empty() {
            return Err(SyncError::NoTargets.into());
        }
        let settings = Arc::new(settings);
        let hooks = HookAuth::from_settings(&settings, opts.insecure_webhooks)?;
        let limits =
            QueueLimits::new(Duration::from_millis(settings.server.debounce_ms), settings.server.queue_capacity);
        let queue = Arc::new(WorkQueue::new(limits));
        let mut scheduler = Scheduler::from_settings(&settings.schedule, queue.clone(), opts.summary)?;
        for job in opts.jobs {
            scheduler.add(job);
        }
        let remotes = engine::connect_all(&settings).await?;
        let store = Store::open(&settings.state_path())?;
        let addr = opts.listen.unwrap_or_else(|| settings.server.listen.clone());
        let listener =
            TcpListener::bind(&addr).await.map_err(|source| DaemonError::Bind { addr: addr.clone(), source })?;
        let dashboard = match dashboard_addr(settings.server.dashboard_listen.as_deref(), &addr) {
            Some(addr) => Some(
                TcpListener::bind(&addr)
                    .await
                    .map_err(|source| DaemonError::DashboardBind { addr: addr.clone(), source })?,
            ),
            None => None,
        };
        // Both listeners' connections fit within the open-file limit, with room for the rest.
        let wanted = settings.server.max_connections + DASHBOARD_CONNECTIONS + FD_RESERVE;
        let open_files = listener::raise_open_files(wanted);
        let max_connections =
            settings.server.max_connections.min(open_files.saturating_sub(DASHBOARD_CONNECTIONS + FD_RESERVE));
        if max_connections < settings.server.max_connections {
            tracing::warn!(
                open_files,
                max_connections,
                "the open-file limit caps `[server] max_connections`; raise `ulimit -n`"
            );
        }
        let limits =
            Limits { max_connections, header_timeout: Duration::from_millis(settings.server.header_timeout_ms) };
        let mut state = AppState::new(settings.clone(), queue.clone(), store, hooks);
        state.summary = opts.summary_slot;
        let own_logins = state.own_logins.clone();
        let worker = Worker { settings, remotes, queue, metrics: state.metrics.clone(), own_logins };
        Ok(Daemon { state, listener, dashboard, limits, worker, scheduler, shutdown: Shutdown::new() })
    }

    /// The address actually bound (with `:0`, the port picked).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The dashboard's address, when it is served.
    pub fn dashboard_addr(&self) -> Option<SocketAddr> {
        self.dashboard.as_ref().map(|l| l.local_addr().expect("a bound listener has an address"))
    }

    /// The shared state: queue, metrics, store, summary slot.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Triggering it stops the daemon as a signal would.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Runs until SIGTERM, ctrl-c or the shutdown handle; returns once stopped cleanly.
    pub async fn run(self) -> Result<(), DaemonError> {
        let Daemon { state, listener, dashboard, limits, worker, scheduler, shutdown } = self;
        let on_signal = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                let which = shutdown::signal().await;
                tracing::info!(signal = which, "stopping: no new work is taken, the run in flight finishes");
                shutdown.trigger();
            })
        };
        let server = tokio::spawn(listener::serve(listener, router(state.clone()), limits, shutdown.clone()));
        if let Some(dashboard) = dashboard {
            let limits = Limits { max_connections: DASHBOARD_CONNECTIONS, ..limits };
            tokio::spawn(listener::serve(dashboard, dashboard_router(state.clone()), limits, shutdown.clone()));
        }
        let mut jobs = scheduler.spawn(shutdown.clone());
        jobs.push(tokio::spawn(prune_deliveries(state.clone())));
        // Level-triggered from the start: whatever changed while the daemon was down is synced now.
        state.queue.offer_now(WorkKey::Everything, false, "startup");
        {
            let (state, shutdown) = (state.clone(), shutdown.clone());
            tokio::spawn(async move {
                shutdown.wait().await;
                state.stopping();
            });
        }
        // The worker runs here, not on a spawned task: one writer, and the run in flight is awaited.
        worker.run(shutdown.clone()).await;
        shutdown.trigger();
        state.stopping();
        let served = match tokio::time::timeout(DRAIN, server).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(join)) => Err(DaemonError::Serve(std::io::Error::other(join))),
            Err(_) => {
                tracing::warn!("open connections did not close within {DRAIN:?}; stopping anyway");
                Ok(())
            }
        };
        for job in jobs {
            job.abort();
        }
        on_signal.abort();
        state.close_store();
        tracing::info!("stopped");
        served
    }
}

/// Where the dashboard listens: `[server] dashboard_listen`, `None` when `"off"`; unset, 127.0.0.1
/// on the webhook port + 1 (port 0, any free port, when the webhook port is 0).
pub fn dashboard_addr(setting: Option<&str>, listen: &str) -> Option<String> {
    match setting.map(str::trim) {
        Some("off") => None,
        Some(addr) => Some(addr.to_string()),
        None => {
            let port: u16 = listen.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).unwrap_or(0);
            let port = if port == 0 { 0 } else { port.checked_add(1)? };
            Some(format!("127.0.0.1:{port}"))
        }
    }
}

/// Forgets old webhook delivery ids once an hour, so the dedupe table stays small.
async fn prune_deliveries(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match state.with_store(|s| s.prune_deliveries(chrono::Utc::now() - KEEP_DELIVERIES)) {
            Ok(0) => {}
            Ok(n) => tracing::info!(forgotten = n, "old webhook deliveries forgotten"),
            Err(e) => tracing::warn!(error = %e, "cannot prune webhook deliveries"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::dashboard_addr;
    use super::{AppState, Daemon, Worker};
    use crate::config::Settings;
    use crate::reconcile::engine::{self, RunOptions};

    fn assert_send<T: Send>(_: &T) {}

    /// The futures that cross tasks hold the store across awaits and are still `Send`: the
    /// daemon runs them on any task of the runtime, with no thread of their own.
    fn futures_that_cross_tasks_are_send(settings: &Settings, worker: &Worker, state: &AppState, daemon: Daemon) {
        assert_send(&engine::run(settings, &RunOptions::default()));
        assert_send(&worker.reconcile(&Default::default()));
        assert_send(&crate::summary::post_all(settings, chrono::Utc::now()));
        assert_send(&crate::daemon::dashboard::gather(state));
        assert_send(&daemon.run());
    }

    #[test]
    fn the_futures_that_cross_tasks_are_send() {
        // The check is the type check above; this names it so a refactor cannot drop it unseen.
        let _ = futures_that_cross_tasks_are_send as fn(&Settings, &Worker, &AppState, Daemon);
    }

    #[test]
    fn the_dashboard_listens_on_localhost_next_to_the_webhook_port_unless_set() {
        let cases = [
            (None, "0.0.0.0:8080", Some("127.0.0.1:8081")),
            (None, "127.0.0.1:0", Some("127.0.0.1:0")),
            (None, "[::]:65535", None),
            (Some("off"), "0.0.0.0:8080", None),
            (Some("10.0.0.5:9000"), "0.0.0.0:8080", Some("10.0.0.5:9000")),
        ];
        for (setting, listen, want) in cases {
            assert_eq!(dashboard_addr(setting, listen).as_deref(), want, "{setting:?} {listen}");
        }
    }
}
