//! The reconcile loop: takes one batch of keys at a time from the queue and runs the engine over
//! the targets — the single writer, so runs never overlap. Like kube-runtime's controller, the run
//! does not see why it was asked: it re-reads both sides (level-triggered). A failed run is retried
//! with backoff (`error_policy`); a run stopped by the mass-removal guard waits for a person.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;

use super::metrics::Metrics;
use super::queue::{Batch, Offer, WorkKey, WorkQueue};
use super::shutdown::Shutdown;
use crate::config::Settings;
use crate::reconcile::engine::{RunOptions, RunReport, SyncError};
use crate::reconcile::remote::Remote;

/// How long a run waits for another process (e.g. a manual `sync`) holding a target's lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(60);

/// The longest pause between retries of a failing run.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The run's label in the store and metrics: `reconcile` for a full comparison, else what
/// triggered it — `schedule`, `webhook`, `startup` or `retry`, in that order of precedence.
pub fn label(batch: &Batch) -> &'static str {
    if batch.full {
        return "reconcile";
    }
    ["schedule", "webhook", "startup"].into_iter().find(|r| batch.reasons.contains_key(*r)).unwrap_or("retry")
}

/// How long to wait before retrying after `failures` failed runs in a row: doubling from `base`,
/// capped at [`MAX_BACKOFF`], plus up to 10 % jitter.
pub fn error_policy(failures: u32, base: Duration, jitter: f64) -> Duration {
    let exp = base.max(Duration::from_millis(100)).saturating_mul(1 << failures.saturating_sub(1).min(16));
    let capped = exp.min(MAX_BACKOFF);
    capped + capped.mul_f64(jitter.clamp(0.0, 1.0) * 0.1)
}

/// How a run ended, for metrics and the retry decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Success,
    /// Some items failed; they are retried.
    Failed,
    /// The mass-removal guard stopped it; a person decides.
    Stopped,
    /// The run could not be done at all (a remote down, the lock held…); retried.
    Error,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Success => "success",
            Ending::Failed => "failed",
            Ending::Stopped => "stopped",
            Ending::Error => "error",
        }
    }

    fn of(result: &Result<RunReport, SyncError>) -> Ending {
        match result {
            Err(_) => Ending::Error,
            Ok(r) if r.plan.blocked.is_some() => Ending::Stopped,
            Ok(r) if !r.errors.is_empty() => Ending::Failed,
            Ok(_) => Ending::Success,
        }
    }
}

/// The single writer.
pub struct Worker {
    pub settings: Arc<Settings>,
    pub remotes: Vec<Remote>,
    pub queue: Arc<WorkQueue>,
    pub metrics: Arc<Metrics>,
    /// Where the webhook handlers learn the sync's own app logins, refreshed after each run.
    pub own_logins: super::webhooks::OwnLogins,
}

impl Worker {
    /// One run of the engine for a batch. The keys only say that something may have changed; the
    /// engine lists what changed on every target since its watermark (or everything when `full`).
    pub async fn reconcile(&self, batch: &Batch) -> Result<RunReport, SyncError> {
        let opts = RunOptions {
            full: batch.full,
            wait: Some(LOCK_WAIT),
            label: Some(label(batch).to_string()),
            touched: batch
                .keys
                .iter()
                .filter_map(|k| match k {
                    WorkKey::Item { target, remote_id } => Some((target.clone(), remote_id.clone())),
                    _ => None,
                })
                .collect(),
            ..RunOptions::default()
        };
        // With `[backlog.git]`: fetch and fast-forward first, commit and push after.
        crate::backlog_git::run(&self.settings, Some(&self.remotes), &opts, None).await.map(|(report, _)| report)
    }

    /// Takes batches until shutdown; a run in flight is always finished first.
    pub async fn run(self, shutdown: Shutdown) {
        let mut failures = 0u32;
        loop {
            let batch = tokio::select! {
                b = self.queue.next_batch() => b,
                _ = shutdown.wait() => break,
            };
            self.metrics.depth(self.queue.depth());
            let keys: Vec<String> = batch.keys.iter().take(8).map(ToString::to_string).collect();
            let started = Instant::now();
            self.metrics.run_started();
            let result = self.reconcile(&batch).await;
            let ending = Ending::of(&result);
            let kind = label(&batch);
            let (counts, open) = result.as_ref().map(|r| (r.counts, r.open_conflicts)).unwrap_or_default();
            self.metrics.run_finished(kind, ending.as_str(), &counts, open);
            for remote in &self.remotes {
                self.metrics.target(remote.name(), remote.requests(), remote.budget().remaining);
                if let Some(login) = remote.app_login() {
                    let mut own = self.own_logins.write().unwrap_or_else(|p| p.into_inner());
                    own.insert(remote.name().to_string(), login);
                }
            }
            let ms = started.elapsed().as_millis() as u64;
            match &result {
                Ok(r) => tracing::info!(
                    kind,
                    outcome = ending.as_str(),
                    keys = batch.keys.len(),
                    ?keys,
                    ms,
                    inbound = counts.inbound_created + counts.inbound_updated,
                    outbound = counts.outbound_created + counts.outbound_updated,
                    errors = r.errors.len(),
                    "run finished"
                ),
                Err(e) => tracing::warn!(kind, keys = batch.keys.len(), ms, error = %e, "run failed"),
            }
            if matches!(ending, Ending::Success | Ending::Stopped) {
                failures = 0;
                continue;
            }
            failures += 1;
            let delay = error_policy(failures, self.queue.limits().debounce, rand::rng().random::<f64>());
            tracing::warn!(failures, retry_in_ms = delay.as_millis() as u64, "run will be retried");
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.wait() => break,
            }
            self.requeue(&batch);
        }
        let left = self.queue.depth();
        if left > 0 {
            tracing::info!(
                pending = left,
                "stopping with keys pending; the next start or scheduled sync picks them up"
            );
        }
    }

    /// Offers a failed batch again; if the queue cannot take its keys, "everything" covers them.
    fn requeue(&self, batch: &Batch) {
        let mut refused = false;
        for key in &batch.keys {
            refused |= self.queue.offer_now(key.clone(), batch.full, "retry") == Offer::Full;
        }
        if refused || batch.keys.is_empty() {
            self.queue.offer_now(WorkKey::Everything, batch.full, "retry");
        }
        self.metrics.depth(self.queue.depth());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_say_why_a_run_happened() {
        let batch = |reasons: &[&str], full: bool| Batch {
            keys: Default::default(),
            full,
            reasons: reasons.iter().map(|r| (r.to_string(), 1)).collect(),
        };
        let cases = [
            (batch(&["webhook"], false), "webhook"),
            (batch(&["webhook", "schedule"], false), "schedule"),
            (batch(&["webhook"], true), "reconcile"),
            (batch(&["startup"], false), "startup"),
            (batch(&["retry"], false), "retry"),
        ];
        for (b, want) in cases {
            assert_eq!(label(&b), want, "{:?}", b.reasons);
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = Duration::from_secs;
        let cases = [
            (1, 0.0, s(2)),
            (2, 0.0, s(4)),
            (4, 0.0, s(16)),
            (20, 0.0, MAX_BACKOFF),
            (1, 1.0, Duration::from_millis(2200)),
        ];
        for (failures, jitter, want) in cases {
            assert_eq!(error_policy(failures, s(2), jitter), want, "{failures} failures");
        }
    }
}
