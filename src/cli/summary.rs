//! `backlog-sync summary`: print the stakeholder summary of one audience, or `--post` every due
//! summary to the channels named in `stakeholders.toml`.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};

use super::{Outcome, RemoteFailure};
use crate::summary::post::{PostOptions, PostOutcome, Posted, post_with};
use crate::summary::{Format, render_summary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backlog folder (default: `backlog.path` from the settings).
    pub path: Option<PathBuf>,
    /// Who the summary is for: `executive`, `team`, or an audience with its own templates.
    /// Printing defaults to `team`; `--post` defaults to every audience in stakeholders.toml.
    #[arg(long)]
    pub audience: Option<String>,
    /// `md`, `html` or `json` (with `--post`: `json` prints what was posted as JSON).
    #[arg(long, default_value = "md", value_name = "md|html|json")]
    pub format: Format,
    /// Send the summaries that are due to their channels instead of printing one.
    #[arg(long)]
    pub post: bool,
    /// With `--post`: send again a Teams or Slack summary whose answer was lost (`unconfirmed`).
    /// Check the channel first: if the summary did arrive, this sends it twice.
    #[arg(long, requires = "post")]
    pub resend_unconfirmed: bool,
    /// The moment the summary is as of (RFC 3339, e.g. 2026-11-02T09:00:00Z); default: now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<DateTime<Utc>>,
    /// The date risks and milestones are judged by (e.g. 2026-11-02); default: the date of `--now`.
    #[arg(long, value_name = "DATE")]
    pub today: Option<NaiveDate>,
}

/// `--now`, else the start of `--today`, else the clock.
fn moment(args: &Args) -> DateTime<Utc> {
    match (args.now, args.today) {
        (Some(now), _) => now,
        (None, Some(day)) => day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc(),
        (None, None) => Utc::now(),
    }
}

pub async fn run(args: &Args, config: Option<&PathBuf>) -> anyhow::Result<Outcome> {
    let settings = super::settings(config, args.path.as_ref())?;
    let now = moment(args);
    if !args.post {
        let audience = args.audience.as_deref().unwrap_or("team");
        let text = render_summary(&settings, audience, args.format, now, args.today)?;
        super::output::print(&text)?;
        return Ok(Outcome::Ok);
    }
    let opts = PostOptions {
        audience: args.audience.clone(),
        today: args.today,
        resend_unconfirmed: args.resend_unconfirmed,
        ..PostOptions::default()
    };
    let posted = post_with(&settings, now, &opts).await.context("cannot post the summaries")?;
    if args.format == Format::Json {
        super::output::println(&serde_json::to_string_pretty(&posted)?)?;
    } else {
        super::output::print(&table(&posted))?;
    }
    let failed: Vec<&Posted> = posted.iter().filter(|p| p.outcome == PostOutcome::Failed).collect();
    if !failed.is_empty() {
        let names: Vec<String> = failed.iter().map(|p| format!("`{}` to `{}`", p.audience, p.channel)).collect();
        return Err(RemoteFailure(format!("{} summary post(s) failed: {}", failed.len(), names.join(", "))).into());
    }
    if posted.is_empty() {
        eprintln!("no stakeholder to post to; add some to stakeholders.toml (name, role, audience, channel, cadence)");
    }
    Ok(Outcome::Ok)
}

fn table(posted: &[Posted]) -> String {
    let mut out = String::new();
    for p in posted {
        let outcome =
            serde_json::to_value(p.outcome).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let detail = p.note.as_deref().or(p.remote_ref.as_deref()).unwrap_or("");
        out.push_str(&format!("{:<15} {:<10} {:<10} {:<15} {detail}\n", p.channel, p.audience, p.period, outcome));
    }
    out
}
