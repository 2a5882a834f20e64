//! Posting summaries: one per channel and audience per period (the stakeholders' cadence), each
//! recorded in the store as `pending` before the call and `done` after. A retry looks for its own
//! post first where the channel can (GitHub, wiki, file); a webhook whose answer was lost stays
//! `pending` and is not sent again, so no one gets a summary twice.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::SummaryError;
use super::channels::{CHANNELS, Channel, Delivery, Message};
use super::gather::facts_from;
use super::model::{Options, Summary, build};
use super::period::Cadence;
use super::render::{Renderer, valid_audience};
use crate::backlog::Backlog;
use crate::config::Settings;
use crate::connector::retry::RetryPolicy;
use crate::connector::{ErrorKind, RemoteError};
use crate::store::{Post, Store};

/// What happened to one channel and audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostOutcome {
    /// A new post.
    Posted,
    /// The audience's earlier post, edited in place.
    Edited,
    /// The channel already held this very summary (e.g. a retry after a lost answer).
    Unchanged,
    /// The store says this period's summary went out already; nothing was sent.
    AlreadyPosted,
    /// A webhook call whose answer was lost: it may have arrived, so it is not sent again.
    Unconfirmed,
    /// The channel is not configured.
    Skipped,
    Failed,
}

/// One delivery of [`post_all`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posted {
    pub channel: String,
    pub audience: String,
    pub period: String,
    /// The stakeholders this delivery serves.
    pub stakeholders: Vec<String>,
    pub outcome: PostOutcome,
    pub remote_ref: Option<String>,
    /// Why it was skipped, failed or is unconfirmed.
    pub note: Option<String>,
}

/// Which deliveries to make and how hard to try.
#[derive(Debug, Clone, Default)]
pub struct PostOptions {
    /// Only this audience.
    pub audience: Option<String>,
    /// The date risks and milestones are judged by (default: `now`'s date).
    pub today: Option<NaiveDate>,
    pub retry: RetryPolicy,
    /// Send again the posts whose answer was lost on a channel that cannot look them up (Teams,
    /// Slack): for after a person checked that the channel did not get them.
    pub resend_unconfirmed: bool,
}

/// The store key under which the GitHub channel remembers its summary issue.
const ISSUE_KEY: (&str, &str, &str) = ("github-comment", "_summary-issue", "_");

/// Posts every stakeholder's summary that is due for the period `now` falls in.
pub async fn post_all(settings: &Settings, now: DateTime<Utc>) -> Result<Vec<Posted>, SummaryError> {
    post_with(settings, now, &PostOptions::default()).await
}

struct Group {
    channel: String,
    audience: String,
    stakeholders: Vec<String>,
    cadences: Vec<String>,
}

/// [`post_all`] with options.
pub async fn post_with(
    settings: &Settings,
    now: DateTime<Utc>,
    opts: &PostOptions,
) -> Result<Vec<Posted>, SummaryError> {
    let backlog = Backlog::load(&settings.backlog.path)?;
    let store = Store::open(&settings.state_path())?;
    let renderer = Renderer::new(settings.summary.templates.as_deref());
    let today = opts.today.unwrap_or(now.date_naive());
    let mut groups: Vec<Group> = Vec::new();
    // A stakeholder with no channel yet hears nothing (lint reports `stakeholder-missing-channel`).
    let reachable = |s: &&crate::backlog::project::Stakeholder| !s.channel.trim().is_empty();
    for s in backlog
        .stakeholders
        .iter()
        .filter(reachable)
        .filter(|s| opts.audience.as_ref().is_none_or(|a| a == &s.audience))
    {
        match groups.iter_mut().find(|g| g.channel == s.channel && g.audience == s.audience) {
            Some(g) => {
                g.stakeholders.push(s.name.clone());
                g.cadences.push(s.cadence.clone());
            }
            None => groups.push(Group {
                channel: s.channel.clone(),
                audience: s.audience.clone(),
                stakeholders: vec![s.name.clone()],
                cadences: vec![s.cadence.clone()],
            }),
        }
    }
    let mut summaries: BTreeMap<String, Summary> = BTreeMap::new();
    let mut out = Vec::new();
    for g in groups {
        let mut posted = Posted {
            channel: g.channel.clone(),
            audience: g.audience.clone(),
            period: String::new(),
            stakeholders: g.stakeholders.clone(),
            outcome: PostOutcome::Failed,
            remote_ref: None,
            note: None,
        };
        match deliver_group(settings, &backlog, &store, &renderer, &mut summaries, &g, now, today, opts).await {
            Ok((period, outcome, remote_ref, note)) => {
                posted.period = period;
                posted.outcome = outcome;
                posted.remote_ref = remote_ref;
                posted.note = note;
            }
            Err(note) => posted.note = Some(note),
        }
        tracing::info!(channel = %posted.channel, audience = %posted.audience, period = %posted.period, outcome = ?posted.outcome, "summary delivery");
        out.push(posted);
    }
    Ok(out)
}

type GroupResult = Result<(String, PostOutcome, Option<String>, Option<String>), String>;

#[allow(clippy::too_many_arguments)]
async fn deliver_group(
    settings: &Settings,
    backlog: &Backlog,
    store: &Store,
    renderer: &Renderer,
    summaries: &mut BTreeMap<String, Summary>,
    g: &Group,
    now: DateTime<Utc>,
    today: NaiveDate,
    opts: &PostOptions,
) -> GroupResult {
    if !CHANNELS.contains(&g.channel.as_str()) {
        return Err(format!(
            "channel `{}` is unknown; use one of {} in stakeholders.toml",
            g.channel,
            CHANNELS.join(", ")
        ));
    }
    if !valid_audience(&g.audience) {
        return Err(format!(
            "audience `{}` must use only letters, digits, `-` and `_`; fix stakeholders.toml",
            g.audience
        ));
    }
    let mut cadence: Option<Cadence> = None;
    for text in &g.cadences {
        let c: Cadence = text.parse().map_err(|e: super::period::BadCadence| e.to_string())?;
        if cadence.as_ref().is_none_or(|b| c.length() < b.length()) {
            cadence = Some(c);
        }
    }
    let period = cadence.unwrap_or(Cadence::Weekly).period(now);
    let recorded = store.post(&g.channel, &g.audience, &period).map_err(|e| e.to_string())?;
    if let Some(p) = recorded.as_ref().filter(|p| p.state == "done") {
        return Ok((period, PostOutcome::AlreadyPosted, p.remote_ref.clone(), None));
    }
    let channel = match Channel::from_settings(&g.channel, settings) {
        Ok(c) => c,
        Err(reason) => return Ok((period, PostOutcome::Skipped, None, Some(reason))),
    };
    if recorded.as_ref().is_some_and(|p| p.state == "pending") && !channel.can_look_up() && !opts.resend_unconfirmed {
        let note = unconfirmed_note(&g.channel, &g.audience, &period);
        return Ok((period, PostOutcome::Unconfirmed, None, Some(note)));
    }
    if let Channel::Github(gh) = &channel
        && let Ok(Some(p)) = store.post(ISSUE_KEY.0, ISSUE_KEY.1, ISSUE_KEY.2)
        && let Some(n) = p.remote_ref.and_then(|r| r.parse().ok())
    {
        gh.remember_issue(n);
    }
    if !summaries.contains_key(&g.audience) {
        let facts =
            facts_from(settings, backlog.clone(), Some(store), &g.audience, now, today).map_err(|e| e.to_string())?;
        let opts = Options {
            audience: g.audience.clone(),
            period: period.clone(),
            today,
            now,
            top_risks: settings.summary.top_risks,
        };
        summaries.insert(g.audience.clone(), build(&facts, &opts));
    }
    let mut summary = summaries[&g.audience].clone();
    summary.period = period.clone();
    let text = match channel.format() {
        Some(format) => renderer.render(&summary, format).map_err(|e| e.to_string())?,
        None => String::new(),
    };
    let msg = Message { summary: &summary, text };
    let record = |state: &str, remote_ref: Option<String>| {
        let post = Post {
            channel: g.channel.clone(),
            audience: g.audience.clone(),
            period: period.clone(),
            remote_ref,
            posted_at: now,
            state: state.to_string(),
        };
        store.record_post(&post).map_err(|e| e.to_string())
    };
    record("pending", None)?;
    let result = deliver_with_retry(&channel, &msg, &opts.retry).await;
    if let Channel::Github(gh) = &channel
        && let Some(n) = gh.issue()
    {
        let p = Post {
            channel: ISSUE_KEY.0.into(),
            audience: ISSUE_KEY.1.into(),
            period: ISSUE_KEY.2.into(),
            remote_ref: Some(n.to_string()),
            posted_at: now,
            state: "done".into(),
        };
        store.record_post(&p).map_err(|e| e.to_string())?;
    }
    match result {
        Ok(delivery) => {
            let remote_ref = delivery.remote_ref().map(str::to_string);
            record("done", remote_ref.clone())?;
            let outcome = match delivery {
                Delivery::Created(_) => PostOutcome::Posted,
                Delivery::Edited(_) => PostOutcome::Edited,
                Delivery::Unchanged(_) => PostOutcome::Unchanged,
            };
            Ok((period, outcome, remote_ref, None))
        }
        Err(e) if e.kind == ErrorKind::UnknownOutcome && !channel.can_look_up() => {
            let note = format!("{e}; {}", unconfirmed_note(&g.channel, &g.audience, &period));
            Ok((period, PostOutcome::Unconfirmed, None, Some(note)))
        }
        Err(e) => {
            record("failed", None)?;
            Ok((period, PostOutcome::Failed, None, Some(e.to_string())))
        }
    }
}

fn unconfirmed_note(channel: &str, audience: &str, period: &str) -> String {
    format!(
        "the `{audience}` summary for {period} was sent to `{channel}` but the answer was lost; it is not sent again, to avoid a duplicate — check the channel, and if it is missing run `backlog-sync summary --post --resend-unconfirmed`"
    )
}

/// Delivers with retries. A channel that looks for its own post first may retry after an
/// unknown outcome or a version conflict too: the lookup decides between post, edit and nothing.
pub async fn deliver_with_retry(
    channel: &Channel,
    msg: &Message<'_>,
    policy: &RetryPolicy,
) -> Result<Delivery, RemoteError> {
    let mut failures = 0;
    loop {
        let e = match channel.deliver(msg).await {
            Ok(d) => return Ok(d),
            Err(e) => e,
        };
        failures += 1;
        let safe_after_lookup =
            channel.can_look_up() && matches!(e.kind, ErrorKind::UnknownOutcome | ErrorKind::Conflict);
        let probe = if safe_after_lookup { RemoteError { kind: ErrorKind::Transient, ..e.clone() } } else { e.clone() };
        match policy.delay(failures, &probe) {
            Some(wait) => {
                tracing::info!(channel = channel.name(), error = %e, ?wait, "retrying the summary delivery");
                tokio::time::sleep(wait).await;
            }
            None => return Err(e),
        }
    }
}
