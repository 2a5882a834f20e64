//! `serve`, the daemon: cron schedules and webhooks only enqueue keys; one worker runs the engine
//! per batch; `/healthz`, `/readyz`, `/metrics` and a read-only dashboard; graceful shutdown.
//!
//! `queue` (dedupe, debounce, bounded) · `worker` (the level-triggered reconcile loop) ·
//! `scheduler` (cron with seconds, jitter, registrable jobs) · `webhooks`, `push_hook`
//! (verification and payload → keys; each tracker's own hook is in its folder under `trackers`) · `server` (`router(state)`) · `metrics` ·
//! `dashboard` · `probe` (target readiness) · `shutdown` · `listener` (accept loop, timeouts, limits) ·
//! `serve` (putting it together).

pub mod dashboard;
pub mod listener;
pub mod metrics;
pub mod probe;
pub mod push_hook;
pub mod queue;
pub mod scheduler;
pub mod serve;
pub mod server;
pub mod shutdown;
pub mod webhooks;
pub mod worker;

pub use dashboard::SummarySlot;
pub use queue::{Offer, WorkKey, WorkQueue};
pub use scheduler::{Job, JobFn};
pub use serve::{Daemon, DaemonError, ServeOptions};
pub use server::{AppState, dashboard_router, router};
