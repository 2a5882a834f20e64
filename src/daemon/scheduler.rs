//! Cron schedules with seconds (`[schedule] sync`, `reconcile`, `summary`): each job fires at its
//! next time plus a little random jitter. Jobs only enqueue keys, or run a registered hook (the
//! summary), so a slow job never delays the others.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cron::Schedule;
use futures::future::BoxFuture;
use rand::Rng;

use super::queue::{WorkKey, WorkQueue};
use super::shutdown::Shutdown;
use crate::config::ScheduleSettings;

/// A job's action. It should return quickly or do its own work in the background.
pub type JobFn = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// Why a schedule cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "`schedule.{key}` = `{expr}` is not a cron expression with seconds ({reason}); write `sec min hour day month weekday`, e.g. `0 */5 * * * *`, or `off`"
    )]
    Invalid { key: String, expr: String, reason: String },
}

/// One named job: when, and what.
#[derive(Clone)]
pub struct Job {
    pub name: String,
    pub schedule: Schedule,
    pub run: JobFn,
}

/// Parses a cron expression with seconds; `off` (or empty) means no schedule.
pub fn parse(key: &str, expr: &str) -> Result<Option<Schedule>, ScheduleError> {
    let trimmed = expr.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    Schedule::from_str(trimmed).map(Some).map_err(|e| ScheduleError::Invalid {
        key: key.into(),
        expr: expr.into(),
        reason: e.to_string(),
    })
}

/// When a schedule fires next after `after`, plus `jitter`: pure, for tests.
pub fn next_fire(schedule: &Schedule, after: DateTime<Utc>, jitter: Duration) -> Option<DateTime<Utc>> {
    let at = schedule.after(&after).next()?;
    Some(at + chrono::Duration::from_std(jitter).unwrap_or_default())
}

/// The jobs of one daemon.
#[derive(Clone, Default)]
pub struct Scheduler {
    jobs: Vec<Job>,
    jitter: Duration,
}

impl Scheduler {
    /// The `sync` and `reconcile` jobs from the settings (each enqueues "everything"), and the
    /// `summary` job with `summary` as its action — or, without one, a job that logs
    /// "summary not configured".
    pub fn from_settings(
        s: &ScheduleSettings,
        queue: Arc<WorkQueue>,
        summary: Option<JobFn>,
    ) -> Result<Scheduler, ScheduleError> {
        let mut scheduler = Scheduler { jobs: Vec::new(), jitter: Duration::from_millis(s.jitter_ms) };
        let enqueue = |full: bool, reason: &'static str| -> JobFn {
            let queue = queue.clone();
            Arc::new(move || {
                let offer = queue.offer_now(WorkKey::Everything, full, reason);
                tracing::info!(job = reason, ?offer, "scheduled run queued");
                Box::pin(async {})
            })
        };
        let summary = summary.unwrap_or_else(|| {
            Arc::new(|| {
                tracing::info!(job = "summary", "summary not configured");
                Box::pin(async {})
            })
        });
        for (name, expr, run) in [
            ("sync", &s.sync, enqueue(false, "schedule")),
            ("reconcile", &s.reconcile, enqueue(true, "reconcile")),
            ("summary", &s.summary, summary),
        ] {
            if let Some(schedule) = parse(name, expr)? {
                scheduler.add(Job { name: name.into(), schedule, run });
            }
        }
        Ok(scheduler)
    }

    /// Registers a job (or replaces the one with the same name).
    pub fn add(&mut self, job: Job) {
        self.jobs.retain(|j| j.name != job.name);
        self.jobs.push(job);
    }

    pub fn jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter()
    }

    /// Runs every job on its own task until shutdown.
    pub fn spawn(self, shutdown: Shutdown) -> Vec<tokio::task::JoinHandle<()>> {
        let jitter = self.jitter;
        self.jobs.into_iter().map(|job| tokio::spawn(run_job(job, jitter, shutdown.clone()))).collect()
    }
}

async fn run_job(job: Job, jitter: Duration, shutdown: Shutdown) {
    loop {
        let spread = if jitter.is_zero() {
            Duration::ZERO
        } else {
            Duration::from_millis(rand::rng().random_range(0..=jitter.as_millis() as u64))
        };
        let Some(at) = next_fire(&job.schedule, Utc::now(), spread) else {
            tracing::info!(job = %job.name, "schedule has no future time; job ends");
            return;
        };
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        tracing::debug!(job = %job.name, next = %at, "next firing");
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.wait() => return,
        }
        (job.run)().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_with_seconds_or_off() {
        assert!(parse("sync", "0 */5 * * * *").unwrap().is_some());
        assert!(parse("summary", "0 0 9 * * Mon").unwrap().is_some());
        assert!(parse("sync", "0 0 0 1 1 * 2099").unwrap().is_some(), "a year field");
        assert!(parse("sync", "off").unwrap().is_none());
        let err = parse("sync", "*/5 * * *").unwrap_err().to_string();
        assert!(err.contains("`schedule.sync` = `*/5 * * *`") && err.contains("or `off`"), "{err}");
    }

    #[test]
    fn next_fire_is_the_cron_time_plus_jitter() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let cases = [
            ("*/10 * * * * *", "2025-05-01T10:00:03Z", 0, "2025-05-01T10:00:10Z"),
            ("*/10 * * * * *", "2025-05-01T10:00:10Z", 0, "2025-05-01T10:00:20Z"),
            ("0 */5 * * * *", "2025-05-01T10:01:00Z", 1500, "2025-05-01T10:05:01.500Z"),
            ("0 0 9 * * Mon", "2025-05-01T10:00:00Z", 0, "2025-05-05T09:00:00Z"),
        ];
        for (expr, after, jitter_ms, want) in cases {
            let s = parse("x", expr).unwrap().unwrap();
            assert_eq!(
                next_fire(&s, t(after), Duration::from_millis(jitter_ms)),
                Some(t(want)),
                "{expr} after {after}"
            );
        }
    }

    #[test]
    fn settings_make_three_jobs_and_off_drops_one() {
        let queue = Arc::new(WorkQueue::new(super::super::queue::QueueLimits::new(Duration::from_secs(1), 4)));
        let mut s = ScheduleSettings {
            sync: "0 */5 * * * *".into(),
            reconcile: "0 0 2 * * *".into(),
            summary: "0 0 9 * * Mon".into(),
            jitter_ms: 0,
        };
        let names = |s: &Scheduler| s.jobs().map(|j| j.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&Scheduler::from_settings(&s, queue.clone(), None).unwrap()),
            ["sync", "reconcile", "summary"]
        );
        s.reconcile = "off".into();
        assert_eq!(names(&Scheduler::from_settings(&s, queue, None).unwrap()), ["sync", "summary"]);
    }
}
