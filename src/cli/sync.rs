//! `backlog-sync plan`, `sync` and `reconcile`: one run of the engine, printed for people or as JSON.

use std::path::PathBuf;
use std::time::Duration;

use comfy_table::{ColumnConstraint, ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};

use super::progress::Reporter;
use super::{Outcome, RemoteFailure};
use crate::reconcile::engine::{RunOptions, RunReport, SyncError};
use crate::reconcile::{Action, Plan};

/// Output format of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum RunFormat {
    #[default]
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backlog folder (default: `backlog.path` from the settings).
    pub path: Option<PathBuf>,
    /// Show what would change and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Allow a run that closes or removes more items than `sync.max_removals`.
    #[arg(long)]
    pub allow_mass_removal: bool,
    /// Wait up to this long (`30s`, `5m`, or plain seconds) for another run that holds a target,
    /// instead of stopping; `--wait` alone waits 10 minutes.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "10m", value_parser = super::parse_duration)]
    pub wait: Option<Duration>,
    /// In a git clone of the backlog: commit the files this run wrote (one commit listing item,
    /// field and target); other uncommitted edits are left alone. Implied by `[backlog.git]`.
    #[arg(long)]
    pub commit: bool,
    /// Also push the commit to the current branch's upstream, rebasing over what others pushed
    /// (never forcing). Implies `--commit`.
    #[arg(long)]
    pub push: bool,
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
}

/// A run's report with what the backlog repository got, for `--format json`.
#[derive(serde::Serialize)]
struct WithGit<'a> {
    #[serde(flatten)]
    report: &'a RunReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    git: Option<&'a crate::backlog_git::Published>,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The backlog folder (default: `backlog.path` from the settings).
    pub path: Option<PathBuf>,
    /// Compare everything, as `reconcile` would, instead of what changed since the last run.
    #[arg(long)]
    pub full: bool,
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
}

fn to_anyhow(e: SyncError) -> anyhow::Error {
    match e {
        SyncError::Remote(r) => anyhow::Error::new(RemoteFailure(r.to_string())),
        SyncError::Git(g) => anyhow::Error::new(RemoteFailure(g.to_string())),
        other => other.into(),
    }
}

/// `sync` (incremental) or `reconcile` (everything).
pub async fn run(args: &Args, config: Option<&PathBuf>, full: bool) -> anyhow::Result<Outcome> {
    let settings = super::settings(config, args.path.as_ref())?;
    let reporter = Reporter::start();
    let opts = RunOptions {
        full,
        dry_run: args.dry_run,
        allow_mass_removal: args.allow_mass_removal,
        wait: args.wait,
        progress: Some(reporter.progress()),
        ..RunOptions::default()
    };
    let hand = (args.commit || args.push).then_some(crate::backlog_git::Style::Hand { push: args.push });
    let done = crate::backlog_git::run(&settings, None, &opts, hand).await;
    reporter.finish();
    let (report, git) = done.map_err(to_anyhow)?;
    match args.format {
        RunFormat::Json => {
            super::output::println(&serde_json::to_string_pretty(&WithGit { report: &report, git: git.as_ref() })?)?
        }
        RunFormat::Table if args.dry_run => super::output::print(&format!(
            "{}{}",
            render_notes(&report),
            render_plan(&report.plan, report.skipped.len(), super::output::width())
        ))?,
        RunFormat::Table => super::output::print(&format!("{}{}", render_report(&report), render_git(git.as_ref())))?,
    }
    finish(&report)
}

/// What the backlog repository got: the commit and whether it was pushed.
fn render_git(git: Option<&crate::backlog_git::Published>) -> String {
    let Some(g) = git else { return String::new() };
    let mut out = String::new();
    if let Some(c) = &g.commit {
        out.push_str(&format!("git: committed {}\n", &c[..c.len().min(12)]));
    }
    if g.pushed {
        out.push_str("git: pushed\n");
    }
    if let Some(n) = g.pull_request {
        out.push_str(&format!("git: inbound changes are in pull request #{n}\n"));
    }
    out
}

/// `plan`: what a sync would change, both directions, changing nothing.
pub async fn plan(args: &PlanArgs, config: Option<&PathBuf>) -> anyhow::Result<Outcome> {
    let settings = super::settings(config, args.path.as_ref())?;
    let reporter = Reporter::start();
    let opts =
        RunOptions { full: args.full, dry_run: true, progress: Some(reporter.progress()), ..RunOptions::default() };
    // Through the backlog repository's run: in review mode the values waiting for review are
    // planned as a sync would plan them (left alone); a dry run touches no git.
    let report = crate::backlog_git::run(&settings, None, &opts, None).await.map(|(r, _)| r);
    reporter.finish();
    let report = report.map_err(to_anyhow)?;
    match args.format {
        RunFormat::Json => super::output::println(&serde_json::to_string_pretty(&report.plan)?)?,
        RunFormat::Table => super::output::print(&format!(
            "{}{}",
            render_notes(&report),
            render_plan(&report.plan, report.skipped.len(), super::output::width())
        ))?,
    }
    Ok(if report.plan.blocked.is_some() { Outcome::Findings } else { Outcome::Ok })
}

fn finish(report: &RunReport) -> anyhow::Result<Outcome> {
    if let Some(reason) = &report.plan.blocked {
        eprintln!("stopped: {reason}");
        return Ok(Outcome::Findings);
    }
    if !report.errors.is_empty() {
        return Err(anyhow::Error::new(RemoteFailure(format!(
            "{} action(s) failed and will be retried by the next run: {}",
            report.errors.len(),
            report.errors.join("; ")
        ))));
    }
    // A skipped file is a finding: its item was left alone everywhere until it reads again.
    Ok(if report.open_conflicts > 0 || !report.skipped.is_empty() { Outcome::Findings } else { Outcome::Ok })
}

/// The files a run skipped and the control characters it took out of inbound values.
fn render_notes(r: &RunReport) -> String {
    let mut out = String::new();
    for s in &r.skipped {
        out.push_str(&format!(
            "skipped  {} line {}: {}; its item was left alone everywhere (fix the file and sync again)\n",
            s.path, s.line, s.reason
        ));
    }
    for m in &r.moved {
        out.push_str(&format!("moved  {} on {}: now at {}\n", m.item, m.target, m.to));
    }
    for n in &r.not_adopted {
        out.push_str(&format!("not adopted  {n}\n"));
    }
    for s in &r.stripped {
        out.push_str(&format!(
            "cleaned  {} #{} `{}`: removed control character(s) {}\n",
            s.target,
            s.remote_id,
            s.field,
            s.characters.join(", ")
        ));
    }
    for a in &r.adapted {
        out.push_str(&format!("adapted  {a}\n"));
    }
    out
}

fn diff(changes: &crate::mapping::FieldMap) -> String {
    changes
        .iter()
        .map(|(k, v)| {
            let v = if v.chars().count() > 60 {
                format!("{}…", v.chars().take(60).collect::<String>())
            } else {
                v.clone()
            };
            format!("{k} → {:?}", v)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The plan as a table: direction, target, item, action, field-level changes; `skipped` files
/// (unreadable, listed above it) keep an empty plan from reading as every side agreeing.
pub fn render_plan(plan: &Plan, skipped: usize, width: u16) -> String {
    if let Some(reason) = &plan.blocked {
        return format!("blocked: {reason}\n");
    }
    let rows: Vec<[String; 5]> = plan
        .actions
        .iter()
        .filter_map(|a| {
            Some(match a {
                Action::UpdateCanonical { id, changes, from } => {
                    ["inbound".into(), from.join(", "), id.to_string(), "update file".into(), diff(changes)]
                }
                Action::Import { target, remote_id, id, .. } => {
                    ["inbound".into(), target.clone(), id.to_string(), format!("import #{remote_id}"), String::new()]
                }
                Action::MarkRemoved { target, id, remote_id } => [
                    "inbound".into(),
                    target.clone(),
                    id.to_string(),
                    format!("mark removed (#{remote_id} deleted)"),
                    String::new(),
                ],
                Action::Adopt { target, id, remote_id, .. } => {
                    ["link".into(), target.clone(), id.to_string(), format!("adopt #{remote_id}"), String::new()]
                }
                Action::CreateRemote { target, id, .. } => {
                    ["outbound".into(), target.clone(), id.to_string(), "create".into(), String::new()]
                }
                Action::UpdateRemote { target, id, remote_id, changes, .. } => {
                    ["outbound".into(), target.clone(), id.to_string(), format!("update #{remote_id}"), diff(changes)]
                }
                Action::CloseRemote { target, id, remote_id } => [
                    "outbound".into(),
                    target.clone(),
                    id.to_string(),
                    format!("close #{remote_id} as removed"),
                    String::new(),
                ],
                Action::Conflicts { target, id, open } if !open.is_empty() => [
                    "conflict".into(),
                    target.clone(),
                    id.to_string(),
                    "left for a person".into(),
                    open.iter()
                        .map(|c| {
                            let others: String = c.others.iter().map(|(t, v)| format!(" / {t} {v:?}")).collect();
                            format!("{}: file {:?} / remote {:?}{others}", c.field, c.canonical, c.remote)
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                ],
                Action::Rebase { .. } | Action::Conflicts { .. } => return None,
            })
        })
        .collect();
    let open: usize =
        plan.actions.iter().map(|a| if let Action::Conflicts { open, .. } = a { open.len() } else { 0 }).sum();
    if rows.is_empty() && skipped > 0 {
        // The skipped files' items are left out, not in agreement: saying "every target agrees"
        // would hide them (issue 13's unreadable file).
        return format!(
            "no changes for the items that read; {skipped} file(s) skipped (above) until they read again\n{}",
            open_conflicts_line(open)
        );
    }
    if rows.is_empty() {
        return format!("no changes: the backlog and every target agree\n{}", open_conflicts_line(open));
    }
    let mut t = Table::new();
    t.load_style(UTF8_BORDERS_ONLY).set_content_arrangement(ContentArrangement::Dynamic).force_no_tty();
    t.set_width(width);
    t.set_header(vec!["direction", "target", "item", "action", "changes"]);
    for r in &rows {
        t.add_row(r.to_vec());
    }
    for column in 0..3 {
        if let Some(c) = t.column_mut(column) {
            c.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    let settled = plan.conflicts.iter().filter(|c| c.conflict.settled != crate::reconcile::Settled::Manual).count();
    // A conflict left for a person is a row, not a change: nothing is written for it.
    let changes = rows.iter().filter(|r| r[0] != "conflict").count();
    format!("{t}\n{changes} change(s); {settled} conflict(s) settled by policy\n{}", open_conflicts_line(open))
}

/// The last line of `plan` and `sync`: how many conflicts wait for a person, and how to settle them.
pub fn open_conflicts_line(open: usize) -> String {
    match open {
        0 => "no open conflicts\n".into(),
        n => format!(
            "{n} open conflict(s): settle them with `backlog-sync resolve` (`backlog-sync resolve --list` shows them)\n"
        ),
    }
}

fn render_report(r: &RunReport) -> String {
    let mut out = String::new();
    for a in &r.applied {
        out.push_str(&format!("{:<8} {:<10} {}\n", a.item, a.target.as_deref().unwrap_or("file"), a.what));
    }
    let c = &r.counts;
    out.push_str(&render_notes(r));
    let m = &r.comments;
    let mirrored = m.posted + m.edited + m.deleted > 0;
    if r.applied.is_empty() && r.skipped.is_empty() && !mirrored && !r.milestones.wrote() {
        out.push_str("no changes: the backlog and every target agree\n");
    }
    if mirrored {
        out.push_str(&format!("comments: {} mirrored, {} edited, {} deleted\n", m.posted, m.edited, m.deleted));
    }
    let ms = &r.milestones;
    if ms.wrote() {
        out.push_str(&format!(
            "milestones: {} imported into backlog.toml, {} created, {} brought in step\n",
            ms.imported.len(),
            ms.created.len(),
            ms.updated.len()
        ));
    }
    let requests: Vec<String> = r.requests.iter().map(|(t, n)| format!("{t} {n}")).collect();
    out.push_str(&format!(
        "inbound: {} created, {} updated; outbound: {} created, {} updated; {} removed; {} open conflict(s); requests: {}\n",
        c.inbound_created,
        c.inbound_updated,
        c.outbound_created,
        c.outbound_updated,
        c.removed,
        r.open_conflicts,
        requests.join(", ")
    ));
    out.push_str(&open_conflicts_line(r.open_conflicts));
    out
}
