//! The command line: argument parsing, logging set-up, exit codes, and dispatch to one thin file
//! per subcommand.

mod demo;
mod drift;
mod init;
mod lint;
pub mod output;
mod progress;
mod serve;
mod status;
mod summary;
mod sync;
mod twin;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;

/// Keep one canonical backlog — epics, user stories and risks as Markdown files — in two-way sync
/// with Azure Boards and GitHub Issues; flag drift; post stakeholder summaries.
///
/// Exit codes: 0 ok, 1 findings or conflicts at error level, 2 usage or config error,
/// 3 remote failure.
#[derive(Debug, Parser)]
#[command(name = "backlog-sync", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// Settings file (TOML); defaults < this file < BACKLOG_SYNC__SECTION__KEY variables.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// More log output on stderr (-v debug, -vv trace); RUST_LOG works too.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// See the whole loop on the sample backlog against built-in GitHub and Azure DevOps twins.
    Demo(demo::Args),
    /// Check the backlog's quality: stories without persona or benefit, risks without mitigation…
    Lint(lint::Args),
    /// Check the settings and the backlog's structure without touching any remote.
    Validate(validate::Args),
    /// Create a new backlog folder with one example of each kind and a settings file.
    Init(init::Args),
    /// Show what a sync would change, in both directions, changing nothing.
    Plan(sync::PlanArgs),
    /// Sync what changed since the last run, in both directions, with every target.
    Sync(sync::Args),
    /// Compare everything on both sides (finds remote deletions and orphans), then sync.
    Reconcile(sync::Args),
    /// Links, last runs, open conflicts and rate-limit budgets.
    Status(status::Args),
    /// Lint findings plus remote drift: conflicts, orphans, vanished items, state mismatches.
    Drift(drift::Args),
    /// The daemon: cron schedules, webhooks, health checks, metrics and a read-only dashboard.
    Serve(serve::Args),
    /// Render the stakeholder summary; `--post` sends the due ones to their channels.
    Summary(summary::Args),
    /// Run a local emulator of the GitHub or Azure DevOps API (for tests and trying things out).
    Twin(twin::Args),
}

/// What a command ended with, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// Findings or conflicts at error level.
    Findings,
}

/// Marks an error that came from a remote system (exit code 3 instead of 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RemoteFailure(pub String);

/// Logs go to stderr: our own warnings and only the errors of dependencies (hyper, reqwest; none
/// of octocrab's, whose errors our own messages carry with the URL) by default; `-v` adds our debug lines and everyone's info, `-vv` everything. Colour
/// only on a terminal without `NO_COLOR`.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "error,octocrab=off,backlog_sync=warn",
        1 => "info,backlog_sync=debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(output::color(false))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Loads the settings for a command; the backlog path argument, when given, wins.
pub(crate) fn settings(cli_config: Option<&PathBuf>, backlog: Option<&PathBuf>) -> anyhow::Result<Settings> {
    let mut settings = Settings::load(cli_config.map(PathBuf::as_path))?;
    if let Some(path) = backlog {
        settings.backlog.path = path.clone();
    }
    Ok(settings)
}

/// Parses the arguments, runs the command and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let config = cli.config.as_ref();
    let runtime = || tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime starts");
    let result = match &cli.command {
        Command::Demo(args) => runtime().block_on(demo::run(args)),
        Command::Lint(args) => lint::run(args, config),
        Command::Validate(args) => validate::run(args, config),
        Command::Init(args) => init::run(args),
        Command::Plan(args) => runtime().block_on(sync::plan(args, config)),
        Command::Sync(args) => runtime().block_on(sync::run(args, config, false)),
        Command::Reconcile(args) => runtime().block_on(sync::run(args, config, true)),
        Command::Status(args) => status::run(args, config),
        Command::Drift(args) => runtime().block_on(drift::run(args, config)),
        Command::Serve(args) => runtime().block_on(serve::run(args, config)),
        Command::Summary(args) => runtime().block_on(summary::run(args, config)),
        Command::Twin(args) => runtime().block_on(twin::run(args)),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(err) if err.chain().any(|c| c.is::<output::ClosedPipe>()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.chain().any(|c| c.is::<RemoteFailure>()) { ExitCode::from(3) } else { ExitCode::from(2) }
        }
    }
}
