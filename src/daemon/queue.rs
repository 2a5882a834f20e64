//! The work queue: triggers offer keys (an item, a target, or everything); the queue dedupes them,
//! lets wider keys swallow narrower ones, debounces, and stays bounded — a full queue refuses new
//! keys instead of growing. One batch at a time goes to the worker (kube-runtime's scheduler).
//!
//! The debounce is a window that the first offer opens: everything offered within it goes into
//! the same run, and the batch is ready when the window closes however busy the stream, so an
//! event waits at most the debounce (plus a run in flight) before its run starts.
//!
//! A key whose run failed waits out its own back-off beside the batch ([`Pending::offer_later`]),
//! as kube-runtime requeues one object: other keys' runs go on meanwhile, and a new event for
//! that key runs it at once.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// What needs looking at. A webhook only says *when*; the run re-reads both sides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WorkKey {
    /// Every target.
    Everything,
    /// One target, e.g. after a label was renamed.
    Target(String),
    /// One remote item of a target: an issue number or a work item id.
    Item { target: String, remote_id: String },
}

impl WorkKey {
    pub fn item(target: &str, remote_id: impl ToString) -> WorkKey {
        WorkKey::Item { target: target.to_string(), remote_id: remote_id.to_string() }
    }

    fn target(&self) -> Option<&str> {
        match self {
            WorkKey::Everything => None,
            WorkKey::Target(t) | WorkKey::Item { target: t, .. } => Some(t),
        }
    }
}

impl fmt::Display for WorkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkKey::Everything => f.write_str("everything"),
            WorkKey::Target(t) => write!(f, "{t}"),
            WorkKey::Item { target, remote_id } => write!(f, "{target}#{remote_id}"),
        }
    }
}

/// What the queue did with an offered key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// A new pending key.
    Queued,
    /// Already covered by a pending key (the same, or a wider one).
    Coalesced,
    /// The queue is at capacity: refuse (HTTP 503 with `Retry-After`).
    Full,
}

/// The keys one run handles, and why they were queued.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Batch {
    pub keys: BTreeSet<WorkKey>,
    /// Compare everything (reconcile), not only what changed since the watermark.
    pub full: bool,
    /// How many offers each reason (`webhook`, `schedule`, `reconcile`, `retry`) made.
    pub reasons: BTreeMap<String, u64>,
}

/// Timing and size of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// How long after the first offer of a batch it is ready; later offers join it and do not
    /// push it back.
    pub debounce: Duration,
    /// The most distinct pending keys.
    pub capacity: usize,
}

impl QueueLimits {
    pub fn new(debounce: Duration, capacity: usize) -> QueueLimits {
        QueueLimits { debounce, capacity: capacity.max(1) }
    }
}

/// The pending keys: a pure value, driven by explicit times so it can be table-tested.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    batch: Batch,
    /// When the first offer of the batch came: the debounce window opened.
    first: Option<Instant>,
    /// Set by a trigger that must not wait for the debounce (a cron tick, the start).
    due: Option<Instant>,
    /// Keys backing off after a failed run: each joins a batch when its time comes, with `full`.
    later: BTreeMap<WorkKey, (Instant, bool)>,
    /// Targets a key was refused for (the queue was full): the next batch lists them, so that
    /// what the refused key named is caught by the next run.
    owed: BTreeSet<String>,
}

impl Pending {
    /// Offers `key`; `full` asks for a full comparison. `reason` is counted in the batch.
    pub fn offer(&mut self, limits: &QueueLimits, key: WorkKey, full: bool, reason: &str, now: Instant) -> Offer {
        // A new event for a key backing off runs it now (its failures stay counted).
        let backing_off = self.later.remove(&key).map(|waiting| (key.clone(), waiting));
        let room = limits.capacity.saturating_sub(self.later.len());
        let keys = &mut self.batch.keys;
        let covered = keys.contains(&WorkKey::Everything)
            || keys.contains(&key)
            || key.target().is_some_and(|t| keys.contains(&WorkKey::Target(t.to_string())));
        let result = if covered {
            Offer::Coalesced
        } else {
            match &key {
                WorkKey::Everything => {
                    keys.clear();
                    keys.insert(key);
                    Offer::Queued
                }
                WorkKey::Target(t) => {
                    let before = keys.len();
                    keys.retain(|k| k.target() != Some(t));
                    if keys.len() == before && before >= room {
                        Offer::Full
                    } else {
                        keys.insert(key);
                        Offer::Queued
                    }
                }
                WorkKey::Item { .. } if keys.len() >= room => Offer::Full,
                WorkKey::Item { .. } => {
                    keys.insert(key);
                    Offer::Queued
                }
            }
        };
        if result != Offer::Full {
            self.batch.full |= full;
            *self.batch.reasons.entry(reason.to_string()).or_default() += 1;
            self.first.get_or_insert(now);
        } else if let Some((key, waiting)) = backing_off {
            self.later.insert(key, waiting);
        }
        result
    }

    /// Offers `key` to run at `at`, not before (a failed key's back-off), unless the batch
    /// already covers it. Another back-off of the same key keeps the earlier time.
    pub fn offer_later(&mut self, limits: &QueueLimits, key: WorkKey, full: bool, at: Instant) -> Offer {
        let keys = &self.batch.keys;
        if keys.contains(&WorkKey::Everything)
            || keys.contains(&key)
            || key.target().is_some_and(|t| keys.contains(&WorkKey::Target(t.to_string())))
        {
            return Offer::Coalesced;
        }
        if let Some((when, was_full)) = self.later.get_mut(&key) {
            *when = (*when).min(at);
            *was_full |= full;
            return Offer::Coalesced;
        }
        if keys.len() + self.later.len() >= limits.capacity {
            return Offer::Full;
        }
        self.later.insert(key, (at, full));
        Offer::Queued
    }

    /// Notes that `key` was refused (the queue was full): the next batch lists its target (every
    /// target for "everything"), whatever else it holds.
    pub fn refused(&mut self, key: &WorkKey, now: Instant) {
        match key.target() {
            Some(t) => {
                self.owed.insert(t.to_string());
            }
            None => {
                self.batch.keys.insert(WorkKey::Everything);
            }
        }
        self.first.get_or_insert(now);
    }

    /// Keys backing off, not yet due.
    pub fn backing_off(&self) -> usize {
        self.later.len()
    }

    /// Makes the pending batch ready at `now` instead of after the debounce (nothing when empty).
    pub fn hurry(&mut self, now: Instant) {
        if !self.is_empty() {
            self.due = Some(self.due.map_or(now, |d| d.min(now)));
        }
    }

    /// Distinct pending keys (those backing off aside).
    pub fn len(&self) -> usize {
        self.batch.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batch.keys.is_empty()
    }

    /// When the batch will be ready: the debounce after its first offer (a steady stream does not
    /// push it back), or sooner when hurried. `None` when nothing is pending.
    pub fn ready_at(&self, limits: &QueueLimits) -> Option<Instant> {
        let retry = self.later.values().map(|(at, _)| *at).min();
        let Some(first) = self.first else { return retry };
        let debounced = first + limits.debounce;
        let ready = self.due.map_or(debounced, |due| due.min(debounced));
        Some(retry.map_or(ready, |r| r.min(ready)))
    }

    /// Takes the batch when it is ready at `now`; keys whose back-off is over join it at once.
    pub fn take_ready(&mut self, limits: &QueueLimits, now: Instant) -> Option<Batch> {
        let due: Vec<WorkKey> = self.later.iter().filter(|(_, (at, _))| *at <= now).map(|(k, _)| k.clone()).collect();
        for key in due {
            let (_, full) = self.later.remove(&key).expect("listed above");
            self.offer(limits, key, full, "retry", now);
            self.hurry(now);
        }
        if self.ready_at(limits)? > now {
            return None;
        }
        for target in std::mem::take(&mut self.owed) {
            let keys = &mut self.batch.keys;
            if !keys.contains(&WorkKey::Everything) {
                keys.retain(|k| k.target() != Some(target.as_str()));
                keys.insert(WorkKey::Target(target));
            }
        }
        if self.is_empty() {
            return None;
        }
        (self.first, self.due) = (None, None);
        Some(std::mem::take(&mut self.batch))
    }
}

/// The queue shared by the webhook handlers, the scheduler and the worker.
#[derive(Debug)]
pub struct WorkQueue {
    limits: QueueLimits,
    pending: Mutex<Pending>,
    wake: Notify,
}

impl WorkQueue {
    pub fn new(limits: QueueLimits) -> WorkQueue {
        WorkQueue { limits, pending: Mutex::new(Pending::default()), wake: Notify::new() }
    }

    pub fn limits(&self) -> QueueLimits {
        self.limits
    }

    /// Offers a key now.
    pub fn offer(&self, key: WorkKey, full: bool, reason: &str) -> Offer {
        let result = self.lock().offer(&self.limits, key, full, reason, Instant::now());
        if result == Offer::Queued || result == Offer::Coalesced {
            self.wake.notify_one();
        }
        result
    }

    /// Offers a key that should not wait for the debounce: a cron tick or the start of the daemon.
    /// Whatever else is pending goes along in the same run.
    pub fn offer_now(&self, key: WorkKey, full: bool, reason: &str) -> Offer {
        let now = Instant::now();
        let result = {
            let mut pending = self.lock();
            let result = pending.offer(&self.limits, key, full, reason, now);
            pending.hurry(now);
            result
        };
        self.wake.notify_one();
        result
    }

    /// Runs `f` with the pending keys locked: lets a caller decide and offer atomically (e.g. only
    /// record a webhook delivery when its key will be taken).
    pub fn with_pending<T>(&self, f: impl FnOnce(&mut Pending, &QueueLimits) -> T) -> T {
        let out = f(&mut self.lock(), &self.limits);
        self.wake.notify_one();
        out
    }

    /// Distinct pending keys (those backing off aside).
    pub fn depth(&self) -> usize {
        self.lock().len()
    }

    /// Offers a key that failed, to run again after `delay` (see [`Pending::offer_later`]).
    pub fn offer_later(&self, key: WorkKey, full: bool, delay: Duration) -> Offer {
        let result = self.lock().offer_later(&self.limits, key, full, Instant::now() + delay);
        self.wake.notify_one();
        result
    }

    /// Keys backing off after a failed run.
    pub fn backing_off(&self) -> usize {
        self.lock().backing_off()
    }

    /// Waits for the next ready batch.
    pub async fn next_batch(&self) -> Batch {
        loop {
            let notified = self.wake.notified();
            let ready_at = {
                let mut pending = self.lock();
                if let Some(batch) = pending.take_ready(&self.limits, Instant::now()) {
                    return batch;
                }
                pending.ready_at(&self.limits)
            };
            match ready_at {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at.into()) => {}
                        _ = notified => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(n: u32) -> WorkKey {
        WorkKey::item("github", n)
    }

    #[test]
    fn offers_dedupe_widen_and_refuse_when_full() {
        let limits = QueueLimits::new(Duration::from_secs(2), 3);
        let t = WorkKey::Target("github".into());
        // (offers so far, next offer, expected result, keys pending after)
        let cases: Vec<(Vec<WorkKey>, WorkKey, Offer, usize)> = vec![
            (vec![], item(1), Offer::Queued, 1),
            (vec![item(1)], item(1), Offer::Coalesced, 1),
            (vec![item(1), item(2), item(3)], item(4), Offer::Full, 3),
            (vec![item(1), item(2), item(3)], item(3), Offer::Coalesced, 3),
            (vec![item(1), item(2), item(3)], t.clone(), Offer::Queued, 1),
            (vec![t.clone()], item(9), Offer::Coalesced, 1),
            (vec![item(1), WorkKey::item("boards", 7)], t.clone(), Offer::Queued, 2),
            (vec![item(1), item(2), item(3)], WorkKey::Everything, Offer::Queued, 1),
            (vec![WorkKey::Everything], t.clone(), Offer::Coalesced, 1),
            (vec![WorkKey::item("boards", 1), WorkKey::item("boards", 2), item(3)], t, Offer::Queued, 3),
        ];
        let now = Instant::now();
        for (i, (before, key, want, len)) in cases.into_iter().enumerate() {
            let mut p = Pending::default();
            for k in before {
                p.offer(&limits, k, false, "webhook", now);
            }
            assert_eq!(p.offer(&limits, key, false, "webhook", now), want, "case {i}");
            assert_eq!(p.len(), len, "case {i}");
        }
    }

    #[test]
    fn a_full_queue_refuses_a_target_that_widens_nothing() {
        let limits = QueueLimits::new(Duration::from_secs(2), 2);
        let now = Instant::now();
        let mut p = Pending::default();
        p.offer(&limits, WorkKey::item("a", 1), false, "webhook", now);
        p.offer(&limits, WorkKey::item("b", 1), false, "webhook", now);
        assert_eq!(p.offer(&limits, WorkKey::Target("c".into()), false, "webhook", now), Offer::Full);
        assert_eq!(p.offer(&limits, WorkKey::Everything, true, "reconcile", now), Offer::Queued);
    }

    #[test]
    fn a_batch_is_ready_one_debounce_after_its_first_offer() {
        let limits = QueueLimits::new(Duration::from_secs(2), 100);
        let ms = Duration::from_millis;
        // (offer times in ms, ready at in ms)
        let cases: Vec<(Vec<u64>, Option<u64>)> = vec![
            (vec![], None),
            (vec![0], Some(2000)),
            (vec![0, 500, 1999], Some(2000)),
            (vec![300, 300, 300], Some(2300)),
            // A steady stream, one offer every 100 ms, does not push the run back.
            ((0..100).map(|k| k * 100).collect(), Some(2000)),
        ];
        let t0 = Instant::now();
        for (offers, want) in cases {
            let mut p = Pending::default();
            for (k, at) in offers.iter().enumerate() {
                p.offer(&limits, item(k as u32), false, "webhook", t0 + ms(*at));
            }
            assert_eq!(p.ready_at(&limits), want.map(|w| t0 + ms(w)), "offers at {offers:?}");
        }
        let mut p = Pending::default();
        p.offer(&limits, item(1), false, "webhook", t0);
        assert!(p.take_ready(&limits, t0 + ms(1999)).is_none());
        p.offer(&limits, item(2), false, "webhook", t0 + ms(1500));
        let batch = p.take_ready(&limits, t0 + ms(2000)).expect("ready at the debounce");
        assert_eq!(batch.keys.len(), 2);
        assert_eq!(batch.reasons.get("webhook"), Some(&2));
        assert!(p.is_empty() && p.ready_at(&limits).is_none());
    }

    #[test]
    fn a_steady_stream_waits_at_most_the_debounce_plus_a_run() {
        // 100 offers a second for 20 s into one worker whose runs take 300 ms: every offer's run
        // starts within the debounce of it, or as soon as the run in flight ends.
        let (debounce, run) = (Duration::from_millis(1000), Duration::from_millis(300));
        let limits = QueueLimits::new(debounce, 4096);
        let t0 = Instant::now();
        let mut p = Pending::default();
        let (mut free_at, mut offered, mut runs, mut worst) = (t0, Vec::new(), 0, Duration::ZERO);
        for tick in 0..=2600u64 {
            let now = t0 + Duration::from_millis(tick * 10);
            if tick < 2000 {
                p.offer(&limits, item(tick as u32), false, "webhook", now);
                offered.push(now);
            }
            if now >= free_at
                && let Some(batch) = p.take_ready(&limits, now)
            {
                runs += 1;
                for key in &batch.keys {
                    let WorkKey::Item { remote_id, .. } = key else { unreachable!() };
                    worst = worst.max(now - offered[remote_id.parse::<usize>().unwrap()]);
                }
                free_at = now + run;
            }
        }
        assert!(p.is_empty(), "every offer was taken");
        assert!(worst <= debounce + Duration::from_millis(10), "waited {worst:?}");
        assert!((19..=21).contains(&runs), "one run a debounce: {runs}");
    }

    #[test]
    fn full_is_sticky_within_a_batch_and_refusals_leave_no_trace() {
        let limits = QueueLimits::new(Duration::from_secs(1), 1);
        let now = Instant::now();
        let mut p = Pending::default();
        p.offer(&limits, item(1), false, "webhook", now);
        assert_eq!(p.offer(&limits, item(2), true, "webhook", now + Duration::from_secs(5)), Offer::Full);
        assert_eq!(p.ready_at(&limits), Some(now + Duration::from_secs(1)), "a refusal does not push the debounce");
        p.offer(&limits, WorkKey::Everything, true, "reconcile", now);
        p.offer(&limits, item(3), false, "webhook", now);
        let batch = p.take_ready(&limits, now + Duration::from_secs(1)).unwrap();
        assert!(batch.full);
        assert_eq!(batch.keys.into_iter().collect::<Vec<_>>(), vec![WorkKey::Everything]);
    }

    #[test]
    fn a_hurried_batch_is_ready_at_once_and_the_next_one_debounces_again() {
        let limits = QueueLimits::new(Duration::from_secs(2), 8);
        let t0 = Instant::now();
        let mut p = Pending::default();
        p.hurry(t0);
        assert_eq!(p.ready_at(&limits), None, "hurrying nothing readies nothing");
        p.offer(&limits, item(1), false, "webhook", t0);
        p.offer(&limits, WorkKey::Everything, false, "schedule", t0 + Duration::from_millis(100));
        p.hurry(t0 + Duration::from_millis(100));
        let batch = p.take_ready(&limits, t0 + Duration::from_millis(100)).expect("ready at the tick");
        assert_eq!(batch.reasons.len(), 2);
        p.offer(&limits, item(2), false, "webhook", t0 + Duration::from_secs(1));
        assert_eq!(p.ready_at(&limits), Some(t0 + Duration::from_secs(3)));
    }

    #[test]
    fn a_failed_key_backs_off_alone_and_a_new_event_runs_it_at_once() {
        let limits = QueueLimits::new(Duration::from_secs(1), 8);
        let (t0, s) = (Instant::now(), Duration::from_secs);
        let mut p = Pending::default();
        assert_eq!(p.offer_later(&limits, item(1), false, t0 + s(10)), Offer::Queued);
        assert_eq!(p.offer_later(&limits, item(1), false, t0 + s(4)), Offer::Coalesced, "the earlier time stays");
        assert_eq!((p.len(), p.backing_off()), (0, 1), "a key backing off is not pending");
        assert_eq!(p.ready_at(&limits), Some(t0 + s(4)));
        // Another key's event runs after its debounce, without the one backing off.
        p.offer(&limits, item(2), false, "webhook", t0);
        let batch = p.take_ready(&limits, t0 + s(1)).expect("item 2 ready");
        assert_eq!(batch.keys.into_iter().collect::<Vec<_>>(), vec![item(2)]);
        // Its time comes: it runs, as a retry.
        assert!(p.take_ready(&limits, t0 + s(3)).is_none());
        let batch = p.take_ready(&limits, t0 + s(4)).expect("item 1 due");
        assert_eq!(batch.keys.into_iter().collect::<Vec<_>>(), vec![item(1)]);
        assert_eq!(batch.reasons.get("retry"), Some(&1));
        // A new event for a key backing off runs it at the debounce, not the back-off.
        p.offer_later(&limits, item(3), false, t0 + s(60));
        p.offer(&limits, item(3), false, "webhook", t0 + s(5));
        assert_eq!(p.backing_off(), 0);
        assert_eq!(p.ready_at(&limits), Some(t0 + s(6)));
        // A refused key's target is listed by the next batch, which then holds no narrower key of it.
        let mut p = Pending::default();
        p.offer(&limits, item(5), false, "webhook", t0);
        p.refused(&item(6), t0);
        let batch = p.take_ready(&limits, t0 + s(1)).expect("ready");
        assert_eq!(batch.keys.into_iter().collect::<Vec<_>>(), vec![WorkKey::Target("github".into())]);
        assert!(p.take_ready(&limits, t0 + s(9)).is_none(), "owed once");
        // Keys backing off count against the capacity.
        let small = QueueLimits::new(Duration::from_secs(1), 2);
        let mut p = Pending::default();
        p.offer_later(&small, item(1), false, t0 + s(9));
        p.offer(&small, item(2), false, "webhook", t0);
        assert_eq!(p.offer(&small, item(3), false, "webhook", t0), Offer::Full);
        assert_eq!(p.offer_later(&small, item(4), false, t0 + s(9)), Offer::Full);
    }

    #[tokio::test]
    async fn next_batch_wakes_after_the_debounce() {
        let queue = WorkQueue::new(QueueLimits::new(Duration::from_millis(50), 8));
        let started = Instant::now();
        assert_eq!(queue.offer(item(1), false, "webhook"), Offer::Queued);
        assert_eq!(queue.offer(item(1), false, "webhook"), Offer::Coalesced);
        let batch = queue.next_batch().await;
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(batch.keys.len(), 1);
        assert_eq!(queue.depth(), 0);
    }
}
