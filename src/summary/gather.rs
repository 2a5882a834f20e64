//! Gathers the [`Facts`] of a summary: loads the backlog, lints it, and reads runs, changes,
//! conflicts and earlier posts from the store. The I/O edge of the summary model.

use chrono::{DateTime, NaiveDate, Utc};

use super::SummaryError;
use super::model::Facts;
use super::period::Cadence;
use crate::backlog::Backlog;
use crate::config::Settings;
use crate::drift::lint::lint_backlog_with_posts;
use crate::store::Store;

/// How many recent runs sync health looks at.
const RECENT_RUNS: usize = 200;

/// The stakeholders' cadence for `audience`: the most frequent one among them (weekly if none).
pub fn audience_cadence(backlog: &Backlog, audience: &str) -> Result<Cadence, SummaryError> {
    let mut best: Option<Cadence> = None;
    // A stakeholder with no cadence yet is `stakeholder-missing-channel`'s business, not an error.
    for s in backlog.stakeholders.iter().filter(|s| s.audience == audience && !s.cadence.trim().is_empty()) {
        let c: Cadence = s.cadence.parse()?;
        if best.as_ref().is_none_or(|b| c.length() < b.length()) {
            best = Some(c);
        }
    }
    Ok(best.unwrap_or(Cadence::Weekly))
}

/// When `audience` last got a summary: the newest done post of the previous period on any of its
/// channels; without one, one period before `now`.
pub fn since(store: Option<&Store>, backlog: &Backlog, audience: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    let fallback =
        || now - audience_cadence(backlog, audience).map(|c| c.length()).unwrap_or(chrono::Duration::days(7));
    let Some(store) = store else { return fallback() };
    let mut last: Option<DateTime<Utc>> = None;
    for s in backlog.stakeholders.iter().filter(|s| s.audience == audience) {
        let Ok(cadence) = s.cadence.parse::<Cadence>() else { continue };
        if let Ok(Some(post)) = store.post(&s.channel, audience, &cadence.previous_period(now))
            && post.state == "done"
            && post.posted_at < now
        {
            last = last.max(Some(post.posted_at));
        }
    }
    last.unwrap_or_else(fallback)
}

/// Opens the state database when it exists (a summary of a never-synced backlog creates none).
pub fn open_store(settings: &Settings) -> Result<Option<Store>, SummaryError> {
    let path = settings.state_path();
    Ok(if path.exists() { Some(Store::open(&path)?) } else { None })
}

/// Everything the summary of `audience` needs, as of `now` and `today`.
pub fn gather(
    settings: &Settings,
    audience: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Facts, SummaryError> {
    let backlog = Backlog::load(&settings.backlog.path)?;
    let store = open_store(settings)?;
    facts_from(settings, backlog, store.as_ref(), audience, now, today)
}

/// [`gather`] over an already loaded backlog and open store.
pub fn facts_from(
    settings: &Settings,
    backlog: Backlog,
    store: Option<&Store>,
    audience: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Facts, SummaryError> {
    let posts = store.map(crate::drift::gameplan::recorded_posts).unwrap_or_default();
    let findings = settings.severity_overrides()?.apply(lint_backlog_with_posts(&backlog, today, &posts));
    let since = since(store, &backlog, audience, now);
    let mut facts = Facts {
        findings,
        changes: Vec::new(),
        since,
        runs: Vec::new(),
        targets: settings.targets.iter().map(|t| (t.name.clone(), None)).collect(),
        conflicts: Vec::new(),
        backlog,
    };
    if let Some(store) = store {
        facts.changes = store.changes_since(since)?.into_iter().filter(|c| c.at <= now).collect();
        facts.runs = store.last_runs(RECENT_RUNS)?;
        for (name, last) in &mut facts.targets {
            *last = store.last_success(Some(name))?;
        }
        facts.conflicts = store.open_conflicts()?;
    }
    Ok(facts)
}
