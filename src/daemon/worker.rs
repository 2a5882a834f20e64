//! The reconcile loop: takes one batch of keys at a time from the queue and runs the engine — the
//! single writer, so runs never overlap. Like kube-runtime's controller, the run does not see why
//! it was asked: it re-reads what the keys name (level-triggered). Keys that name items run only
//! those items: read on their own target and the others, written where they changed, with no
//! listing of a target unless a key needs it (a new item, a target's key). A key whose run failed
//! backs off alone (`error_policy`, with its own failure count) while other keys run; a run
//! stopped by the mass-removal guard waits for a person.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;

use super::metrics::Metrics;
use super::queue::{Batch, Offer, WorkKey, WorkQueue};
use super::shutdown::Shutdown;
use crate::config::Settings;
use crate::reconcile::engine::{Keys, RunOptions, RunReport, SyncError};
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

/// How long to wait before retrying a key after `failures` failed runs of it in a row: doubling from `base`,
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

/// What a batch asks the engine to read: `None` for everything (a full comparison, the start, a
/// schedule); else the targets and items its keys name.
pub fn scope(batch: &Batch) -> Option<Keys> {
    if batch.full || batch.keys.is_empty() || batch.keys.contains(&WorkKey::Everything) {
        return None;
    }
    let mut keys = Keys::default();
    for key in &batch.keys {
        match key {
            WorkKey::Everything => return None,
            WorkKey::Target(t) => {
                keys.targets.insert(t.clone());
            }
            WorkKey::Item { target, remote_id } => {
                keys.items.insert((target.clone(), remote_id.clone()));
            }
        }
    }
    Some(keys)
}

/// The keys of a batch that failed and back off: none after a success (or a stop, which waits for
/// a person); every key when the run could not be done or read everything; else the item keys the
/// run names as failed, and target keys when anything failed.
pub fn failed_keys(batch: &Batch, result: &Result<RunReport, SyncError>) -> BTreeSet<WorkKey> {
    let all = || {
        if batch.keys.is_empty() { [WorkKey::Everything].into() } else { batch.keys.clone() }
    };
    match (Ending::of(result), result) {
        (Ending::Success | Ending::Stopped, _) => BTreeSet::new(),
        (Ending::Failed, Ok(report)) if scope(batch).is_some() => batch
            .keys
            .iter()
            .filter(|k| match k {
                WorkKey::Item { target, remote_id } => {
                    report.failed_keys.contains(&(target.clone(), remote_id.clone()))
                }
                _ => true,
            })
            .cloned()
            .collect(),
        _ => all(),
    }
}

impl Worker {
    /// One run of the engine for a batch. The keys only say that something may have changed: the
    /// engine reads what they name (every target's changes for "everything", all with `full`).
    pub async fn reconcile(&self, batch: &Batch) -> Result<RunReport, SyncError> {
        let opts = RunOptions {
            full: batch.full,
            only: scope(batch),
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

    /// Re-reads `mappings/identities.toml` of every target, so a person added (or changed) while
    /// `serve` runs counts from the next run: that run lists the target in full (finding 24,
    /// `engine::identities_changed`). A file that does not read keeps the identities the target has.
    pub fn reread_identities(&mut self) {
        for target in &self.settings.targets {
            let Some(remote) = self.remotes.iter_mut().find(|r| r.name() == target.name) else { continue };
            match crate::mapping::builtin::identities(target.mapping.as_deref(), self.settings.source.as_deref()) {
                Ok(people) => remote.set_identities(people),
                Err(e) => {
                    tracing::warn!(target = %target.name, error = %e, "cannot read the identities; keeping those read before")
                }
            }
        }
    }

    /// Takes batches until shutdown; a run in flight is always finished first.
    pub async fn run(mut self, shutdown: Shutdown) {
        // Failed runs in a row, per key.
        let mut failures: HashMap<WorkKey, u32> = HashMap::new();
        loop {
            let batch = tokio::select! {
                b = self.queue.next_batch() => b,
                _ = shutdown.wait() => break,
            };
            self.metrics.depth(self.queue.depth());
            let keys: Vec<String> = batch.keys.iter().take(8).map(ToString::to_string).collect();
            let started = Instant::now();
            self.metrics.run_started();
            self.reread_identities();
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
            let failed = failed_keys(&batch, &result);
            for key in &batch.keys {
                if !failed.contains(key) {
                    failures.remove(key);
                }
            }
            for key in failed {
                let n = failures.entry(key.clone()).or_default();
                *n += 1;
                let delay = error_policy(*n, self.queue.limits().debounce, rand::rng().random::<f64>());
                tracing::warn!(key = %key, failures = *n, retry_in_ms = delay.as_millis() as u64, "key will be retried");
                // If the queue cannot take it, "everything" covers it.
                if self.queue.offer_later(key, batch.full, delay) == Offer::Full {
                    self.queue.offer_later(WorkKey::Everything, batch.full, delay);
                }
            }
            self.metrics.depth(self.queue.depth());
        }
        let left = self.queue.depth() + self.queue.backing_off();
        if left > 0 {
            tracing::info!(
                pending = left,
                "stopping with keys pending; the next start or scheduled sync picks them up"
            );
        }
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
    fn item_keys_run_alone_and_fail_alone() {
        let gh = |n: u32| WorkKey::item("github", n);
        let batch = |keys: Vec<WorkKey>, full: bool| Batch {
            keys: keys.into_iter().collect(),
            full,
            reasons: Default::default(),
        };
        // What the engine reads.
        assert_eq!(scope(&batch(vec![WorkKey::Everything], false)), None);
        assert_eq!(scope(&batch(vec![gh(1)], true)), None, "a full comparison reads everything");
        let keys = scope(&batch(vec![gh(1), WorkKey::Target("boards".into())], false)).unwrap();
        assert_eq!(keys.items, [("github".to_string(), "1".to_string())].into());
        assert_eq!(keys.targets, ["boards".to_string()].into());
        // Which keys back off.
        let failed_run = |failed: &[u32]| -> Result<RunReport, SyncError> {
            Ok(RunReport {
                errors: vec!["an item failed".into()],
                failed_keys: failed.iter().map(|n| ("github".to_string(), n.to_string())).collect(),
                ..RunReport::default()
            })
        };
        let two = batch(vec![gh(1), gh(2)], false);
        let cases: Vec<(Batch, Result<RunReport, SyncError>, Vec<WorkKey>)> = vec![
            (two.clone(), Ok(RunReport::default()), vec![]),
            (two.clone(), failed_run(&[2]), vec![gh(2)]),
            (two.clone(), Err(SyncError::NoTargets), vec![gh(1), gh(2)]),
            (
                batch(vec![gh(1), WorkKey::Target("boards".into())], false),
                failed_run(&[]),
                vec![WorkKey::Target("boards".into())],
            ),
            (batch(vec![WorkKey::Everything], false), failed_run(&[]), vec![WorkKey::Everything]),
            (batch(vec![], false), Err(SyncError::NoTargets), vec![WorkKey::Everything]),
        ];
        for (i, (b, result, want)) in cases.into_iter().enumerate() {
            assert_eq!(failed_keys(&b, &result).into_iter().collect::<Vec<_>>(), want, "case {i}");
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
