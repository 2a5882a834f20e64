//! `backlog-sync drift`: the lint findings plus remote drift (open conflicts, orphans, vanished
//! remote items, unknown identities, state mismatches), in the output formats of `lint`.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::{Outcome, RemoteFailure};
use crate::backlog::Backlog;
use crate::drift::gameplan::recorded_posts;
use crate::drift::lint::lint_backlog_with_posts;
use crate::drift::remote::remote_findings;
use crate::drift::report::{self, Format};
use crate::drift::{Severity, sort_findings};
use crate::reconcile::engine::{connect_all, identities_of};
use crate::reconcile::inspect::snapshot;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backlog folder (default: `backlog.path` from the settings).
    pub path: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The date overdue reviews are measured against (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
}

pub async fn run(args: &Args, config: Option<&PathBuf>) -> anyhow::Result<Outcome> {
    let settings = super::settings(config, args.path.as_ref())?;
    let backlog = Backlog::load(&settings.backlog.path)?;
    let today = args.today.unwrap_or_else(|| chrono::Local::now().date_naive());
    let state = settings.state_path();
    let posts = if state.exists() { recorded_posts(&Store::open(&state)?) } else { Vec::new() };
    let mut findings = lint_backlog_with_posts(&backlog, today, &posts);
    if !settings.targets.is_empty() {
        let remotes = connect_all(&settings).await?;
        let people = identities_of(&settings)?;
        let path = settings.state_path();
        let store = if path.exists() { Store::open(&path)? } else { Store::open_in_memory()? };
        let snap = snapshot(&backlog, &store, &remotes, &people).await.map_err(|e| match e {
            crate::reconcile::engine::SyncError::Remote(r) => anyhow::Error::new(RemoteFailure(r.to_string())),
            other => other.into(),
        })?;
        findings.extend(remote_findings(&snap));
    }
    let mut findings = settings.severity_overrides()?.apply(findings);
    sort_findings(&mut findings);
    let color = args.format == Format::Table && super::output::color(true);
    super::output::print(&report::render_fit(&findings, args.format, color, Some(super::output::width())))?;
    Ok(if findings.iter().any(|f| f.severity == Severity::Error) { Outcome::Findings } else { Outcome::Ok })
}
