//! Stakeholder summaries: a pure model built from the backlog, the store and drift (`model`),
//! rendered with overridable minijinja templates (`render`, charts in `svg`), and posted once per
//! period to each stakeholder's channel (`post`, `channels`).
//!
//! The daemon calls [`post_all`] on its `summary` schedule; the dashboard shows [`latest_html`];
//! `backlog-sync summary` prints [`render_summary`] or posts.

pub mod changes;
pub mod channels;
pub mod gather;
pub mod health;
pub mod model;
pub mod period;
pub mod post;
pub mod render;
pub mod svg;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};

pub use model::{Facts, Options, Summary, build};
pub use post::{PostOutcome, Posted, post_all};
pub use render::{Format, Renderer};

use crate::backlog::BacklogError;
use crate::config::{ConfigError, Settings};
use crate::store::StoreError;

/// What stops a summary from being built, rendered or posted.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error(transparent)]
    Backlog(#[from] BacklogError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Cadence(#[from] period::BadCadence),
    #[error(
        "no template `{name}` for audience `{audience}`; use `executive` or `team`, or add `{name}` to the `[summary] templates` folder"
    )]
    NoTemplate { audience: String, name: String },
    #[error("template `{name}` does not render: {reason}; fix it{}", folder.as_ref().map(|f| format!(" in `{}`, or remove it there to use the shipped one", f.display())).unwrap_or_default())]
    Template { name: String, folder: Option<PathBuf>, reason: String },
    #[error("cannot write `{path}`: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// The summary for `audience`, as of `now` (and `today`, which defaults to `now`'s date).
pub fn summary_for(
    settings: &Settings,
    audience: &str,
    now: DateTime<Utc>,
    today: Option<NaiveDate>,
) -> Result<Summary, SummaryError> {
    let today = today.unwrap_or(now.date_naive());
    let facts = gather::gather(settings, audience, now, today)?;
    let period = gather::audience_cadence(&facts.backlog, audience)?.period(now);
    let opts = Options { audience: audience.to_string(), period, today, now, top_risks: settings.summary.top_risks };
    Ok(build(&facts, &opts))
}

/// The summary for `audience` rendered in `format` with the configured templates.
pub fn render_summary(
    settings: &Settings,
    audience: &str,
    format: Format,
    now: DateTime<Utc>,
    today: Option<NaiveDate>,
) -> Result<String, SummaryError> {
    let renderer = Renderer::new(settings.summary.templates.as_deref());
    check_audience(&renderer, audience, format)?;
    renderer.render(&summary_for(settings, audience, now, today)?, format)
}

/// The HTML summary the dashboard shows: the `team` audience (everything) as of `now`.
pub fn latest_html(settings: &Settings, now: DateTime<Utc>) -> Result<String, SummaryError> {
    render_summary(settings, "team", Format::Html, now, None)
}

fn check_audience(renderer: &Renderer, audience: &str, format: Format) -> Result<(), SummaryError> {
    if renderer.has(audience, format) {
        Ok(())
    } else {
        let name = render::template_name(audience, format);
        Err(SummaryError::NoTemplate { audience: audience.to_string(), name })
    }
}
