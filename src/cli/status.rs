//! `backlog-sync status`: links per target, the last runs, open conflicts, rate-limit budgets.

use std::path::PathBuf;

use serde::Serialize;

use super::Outcome;
use super::sync::RunFormat;
use crate::store::{Budget, Conflict, Run, Store};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backlog folder (default: `backlog.path` from the settings).
    pub path: Option<PathBuf>,
    /// How many recent runs to show.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
}

#[derive(Serialize)]
struct Status {
    links: Vec<(String, usize)>,
    runs: Vec<Run>,
    conflicts: Vec<Conflict>,
    budgets: Vec<(String, Budget)>,
}

pub fn run(args: &Args, config: Option<&PathBuf>) -> anyhow::Result<Outcome> {
    let settings = super::settings(config, args.path.as_ref())?;
    let path = settings.state_path();
    if !path.exists() {
        super::output::println(&format!(
            "no sync has run yet for this backlog (no `{}`); run `backlog-sync sync` first",
            path.display()
        ))?;
        return Ok(Outcome::Ok);
    }
    let store = Store::open(&path)?;
    let mut links = Vec::new();
    for t in &settings.targets {
        links.push((t.name.clone(), store.links(&t.name)?.len()));
    }
    let status = Status {
        links,
        runs: store.last_runs(args.runs)?,
        conflicts: store.open_conflicts()?,
        budgets: store.budgets()?,
    };
    match args.format {
        RunFormat::Json => super::output::println(&serde_json::to_string_pretty(&status)?)?,
        RunFormat::Table => super::output::print(&render(&status))?,
    }
    Ok(if status.conflicts.is_empty() { Outcome::Ok } else { Outcome::Findings })
}

fn render(s: &Status) -> String {
    let mut out = String::from("links\n");
    for (t, n) in &s.links {
        out.push_str(&format!("  {t:<12} {n} linked item(s)\n"));
    }
    out.push_str("last runs\n");
    if s.runs.is_empty() {
        out.push_str("  none\n");
    }
    for r in &s.runs {
        let c = &r.counts;
        out.push_str(&format!(
            "  #{:<4} {:<10} {:<8} {}  in {}+{} out {}+{} removed {} conflicts {}{}\n",
            r.id,
            r.kind,
            r.outcome.as_str(),
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            c.inbound_created,
            c.inbound_updated,
            c.outbound_created,
            c.outbound_updated,
            c.removed,
            c.conflicts,
            r.error.as_deref().map(|e| format!("  ({e})")).unwrap_or_default()
        ));
    }
    out.push_str(&format!("open conflicts: {}\n", s.conflicts.len()));
    for c in &s.conflicts {
        out.push_str(&format!(
            "  {} `{}` on {}: file {:?}, remote {:?} (base {:?}); edit one side to agree\n",
            c.item_id,
            c.field,
            c.target,
            c.canonical.as_deref().unwrap_or(""),
            c.remote.as_deref().unwrap_or(""),
            c.base.as_deref().unwrap_or("")
        ));
    }
    out.push_str("rate-limit budget\n");
    for (t, b) in &s.budgets {
        let remaining = b.remaining.map(|r| r.to_string()).unwrap_or_else(|| "?".into());
        let limit = b.limit.map(|r| r.to_string()).unwrap_or_else(|| "?".into());
        let reset = b.reset_at.map(|r| format!(", resets {}", r.format("%H:%M:%S UTC"))).unwrap_or_default();
        out.push_str(&format!("  {t:<12} {remaining} of {limit} left{reset}\n"));
    }
    out
}
