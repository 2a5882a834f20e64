//! `backlog-sync lint`: the local drift rules over a backlog folder or a plain-text story list.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;

use super::Outcome;
use crate::backlog::Backlog;
use crate::drift::gameplan::recorded_posts;
use crate::drift::lint::{lint_backlog_with_posts, lint_story_lines};
use crate::drift::report::{self, Format};
use crate::drift::{RULES, Severity};
use crate::store::Store;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  backlog-sync lint examples/backlog\n  backlog-sync lint --format github .      # in a backlog repository's CI\n  backlog-sync lint --stories export.txt   # one story sentence per line\n  backlog-sync lint --rules                # every rule with its severity"
)]
pub struct Args {
    /// The backlog folder (default: `backlog.path` from the settings).
    pub path: Option<PathBuf>,

    /// Lint a plain-text file with one story sentence per line instead of a backlog folder.
    #[arg(long, value_name = "FILE", conflicts_with = "path")]
    pub stories: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// The date overdue reviews are measured against (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,

    /// List the rules, their default severity and what they check, then exit.
    #[arg(long)]
    pub rules: bool,
}

pub fn run(args: &Args, config: Option<&PathBuf>) -> anyhow::Result<Outcome> {
    if args.rules {
        for r in RULES {
            super::output::println(&format!("{:<36} {:<8} {}", r.id, r.severity.as_str(), r.checks))?;
        }
        return Ok(Outcome::Ok);
    }
    let settings = super::settings(config, args.path.as_ref())?;
    let overrides = settings.severity_overrides()?;
    let findings = match &args.stories {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the story file `{}`", file.display()))?;
            let personas = Backlog::load(&settings.backlog.path).map(|b| b.project.personas).unwrap_or_default();
            lint_story_lines(file, &text, &personas)
        }
        None => {
            let backlog = Backlog::load(&settings.backlog.path)?;
            let today = args.today.unwrap_or_else(|| chrono::Local::now().date_naive());
            // Summaries recorded as posted (`stakeholder-summary-overdue`), when there is a store.
            let state = settings.state_path();
            let posts = if state.exists() { recorded_posts(&Store::open(&state)?) } else { Vec::new() };
            lint_backlog_with_posts(&backlog, today, &posts)
        }
    };
    let findings = overrides.apply(findings);
    let color = args.format == Format::Table && super::output::color(true);
    super::output::print(&report::render_fit(&findings, args.format, color, Some(super::output::width())))?;
    Ok(if findings.iter().any(|f| f.severity == Severity::Error) { Outcome::Findings } else { Outcome::Ok })
}
