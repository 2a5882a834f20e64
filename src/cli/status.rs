//! `backlog-sync status`: links per target, the last runs, open conflicts, items a remote refused,
//! rate-limit budgets.

use std::path::PathBuf;

use serde::Serialize;

use super::Outcome;
use super::sync::RunFormat;
use crate::store::{Budget, Conflict, Run, Store};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backlog folder (default: `backlog.path` from the settings).
    pub path: Option<PathBuf>,
    /// List every link: item, target, remote id and the remote item's URL.
    #[arg(long)]
    pub links: bool,
    /// How many recent runs to show.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
}

#[derive(Serialize)]
struct Status {
    links: Vec<(String, usize)>,
    /// With `--links`: every link.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    linked: Vec<Linked>,
    runs: Vec<Run>,
    conflicts: Vec<Conflict>,
    /// Items a remote refused for good (`sync-item-refused`), kept until they sync.
    refused: Vec<crate::store::StoredRefusal>,
    budgets: Vec<(String, Budget)>,
    /// Per target, whether it is Azure Boards (which reports a budget only while it throttles).
    #[serde(skip)]
    azure: Vec<String>,
}

/// One link as `status --links` shows it.
#[derive(Serialize)]
struct Linked {
    item: String,
    target: String,
    remote_id: String,
    url: Option<String>,
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
    let mut linked = Vec::new();
    for t in &settings.targets {
        let all = store.links(&t.name)?;
        links.push((t.name.clone(), all.len()));
        if args.links {
            linked.extend(all.into_iter().map(|l| Linked {
                item: l.item_id,
                target: l.target,
                remote_id: l.remote_id,
                url: l.remote_url,
            }));
        }
    }
    linked.sort_by(|a, b| (natural(&a.item), &a.target).cmp(&(natural(&b.item), &b.target)));
    let azure = settings
        .targets
        .iter()
        .filter(|t| t.kind().budget_only_when_throttled().is_some())
        .map(|t| t.name.clone())
        .collect();
    let status = Status {
        links,
        linked,
        azure,
        runs: store.last_runs(args.runs)?,
        conflicts: store.open_conflicts()?,
        refused: store.refusals()?,
        budgets: store.budgets()?,
    };
    match args.format {
        RunFormat::Json => super::output::println(&serde_json::to_string_pretty(&status)?)?,
        RunFormat::Table => super::output::print(&render(&status))?,
    }
    Ok(if status.conflicts.is_empty() && status.refused.is_empty() { Outcome::Ok } else { Outcome::Findings })
}

/// `ST-2` before `ST-10`: the prefix, then the number.
fn natural(id: &str) -> (String, u64) {
    let (prefix, number) = id.rsplit_once('-').unwrap_or((id, ""));
    (prefix.to_string(), number.parse().unwrap_or(u64::MAX))
}

/// A target's budget in words. Azure DevOps sends `X-RateLimit-*` only while it slows a client,
/// so no numbers there means it is not throttling; GitHub sends them on every answer.
fn budget_line(b: &Budget, azure: bool) -> String {
    let reset = b.reset_at.map(|r| format!(", resets {}", r.format("%H:%M:%S UTC"))).unwrap_or_default();
    let seen = b.updated_at.format("%Y-%m-%d %H:%M UTC");
    match (b.remaining, b.limit) {
        (Some(remaining), Some(limit)) => format!("{remaining} of {limit} left{reset} (as of {seen})"),
        (Some(remaining), None) => format!("{remaining} left{reset} (as of {seen})"),
        _ if azure => format!("not throttled: Azure DevOps sent no rate-limit headers in the last run ({seen})"),
        _ => format!("unknown: the last run ({seen}) got no rate-limit headers"),
    }
}

fn render(s: &Status) -> String {
    let mut out = String::from("links\n");
    for (t, n) in &s.links {
        out.push_str(&format!("  {t:<12} {n} linked item(s)\n"));
    }
    if !s.linked.is_empty() {
        out.push_str("linked items\n");
        for l in &s.linked {
            let url = l.url.as_deref().unwrap_or("(no URL recorded yet; the next sync records it)");
            out.push_str(&format!("  {:<8} {:<12} {:<8} {url}\n", l.item, l.target, l.remote_id));
        }
    }
    out.push_str("last runs\n");
    if s.runs.is_empty() {
        out.push_str("  none\n");
    }
    for r in &s.runs {
        let c = &r.counts;
        out.push_str(&format!(
            "  #{:<4} {:<10} {:<9} {}  in {}+{} out {}+{} removed {} conflicts {}{}\n",
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
            "  {} `{}` on {}: file {:?}, remote {:?} (base {:?}); settle with `backlog-sync resolve`\n",
            c.item_id,
            c.field,
            c.target,
            c.canonical.as_deref().unwrap_or(""),
            c.remote.as_deref().unwrap_or(""),
            c.base.as_deref().unwrap_or("")
        ));
    }
    if !s.refused.is_empty() {
        out.push_str(&format!("refused items (sync-item-refused): {}\n", s.refused.len()));
    }
    for r in &s.refused {
        let status = r.status.map(|c| format!(" (HTTP {c})")).unwrap_or_default();
        out.push_str(&format!(
            "  {} on {}{status}: {}; {} — refused {} time(s) since {}, next try after {}\n",
            r.item_id,
            if r.target.is_empty() { "the file" } else { &r.target },
            r.message,
            r.hint,
            r.attempts,
            r.first_seen.format("%Y-%m-%d %H:%M UTC"),
            r.next_try.format("%Y-%m-%d %H:%M UTC"),
        ));
    }
    out.push_str("rate-limit budget\n");
    for (t, b) in &s.budgets {
        out.push_str(&format!("  {t:<12} {}\n", budget_line(b, s.azure.contains(t))));
    }
    out
}
