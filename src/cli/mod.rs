//! The command line: argument parsing, logging set-up, exit codes, and dispatch to one thin file
//! per subcommand.

mod completions;
mod demo;
mod drift;
mod init;
mod lint;
pub mod output;
mod progress;
mod resolve;
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
/// Settings: without `--config`, the first of `$BACKLOG_SYNC_CONFIG`, `./backlog-sync.toml` and
/// `PATH/backlog-sync.toml` (for a command's backlog PATH) is read.
///
/// Exit codes: 0 ok, 1 findings or open conflicts, 2 usage or config error, 3 remote failure,
/// 4 another run holds a target (retry with `--wait 5m`).
#[derive(Debug, Parser)]
#[command(name = "backlog-sync", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    /// Settings file (TOML); defaults < this file < BACKLOG_SYNC__SECTION__KEY variables.
    /// Without it: $BACKLOG_SYNC_CONFIG, ./backlog-sync.toml, then PATH/backlog-sync.toml.
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
    /// Settle an open conflict: keep the file's value, a target's, or a new one; `--list` shows them.
    Resolve(resolve::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell) to stdout.
    Completions(completions::CompletionArgs),
    /// Print the man page (roff) to stdout: `backlog-sync man > backlog-sync.1`.
    Man,
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

/// The exit codes, as `--help` and the README list them.
pub mod exit {
    pub const FINDINGS: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const REMOTE: u8 = 3;
    /// Another run holds the lock of a target.
    pub const BUSY: u8 = 4;
}

/// Where the settings were looked for, for the "no targets" message.
static LOOKED_AT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Logs go to stderr: our own warnings and only the errors of dependencies (hyper, reqwest) by
/// default; `-v` adds our debug lines and everyone's info, `-vv` everything. Colour only on a
/// terminal without `NO_COLOR`.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "error,backlog_sync=warn",
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
/// Without `--config` the settings file is discovered (see [`crate::config::discover`]).
pub(crate) fn settings(cli_config: Option<&PathBuf>, backlog: Option<&PathBuf>) -> anyhow::Result<Settings> {
    let (file, looked) = crate::config::discover(cli_config.map(PathBuf::as_path), backlog.map(PathBuf::as_path));
    let looked_at = match (&file, looked.is_empty()) {
        (Some(f), _) => format!("read `{}`", f.display()),
        (None, true) => "no settings file".into(),
        (None, false) => {
            let names: Vec<String> = looked.iter().map(|p| format!("`{}`", p.display())).collect();
            format!("looked for {} and `$BACKLOG_SYNC_CONFIG`; none exists", names.join(", "))
        }
    };
    let _ = LOOKED_AT.set(looked_at);
    let mut settings = Settings::load(file.as_deref())?;
    if let Some(path) = backlog {
        settings.backlog.path = path.clone();
    }
    Ok(settings)
}

/// A duration as people write it: `90`, `90s`, `5m`, `1h 30m`.
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    humantime::parse_duration(text).map_err(|e| format!("{e}; write a duration such as `30s`, `5m` or `1h`"))
}

/// Parses the arguments, runs the command and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let config = cli.config.as_ref();
    // Every command runs inside the runtime: connectors, the store and the daemon are async.
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Demo(args) => demo::run(args).await,
            Command::Lint(args) => lint::run(args, config),
            Command::Validate(args) => validate::run(args, config).await,
            Command::Init(args) => init::run(args),
            Command::Plan(args) => sync::plan(args, config).await,
            Command::Sync(args) => sync::run(args, config, false).await,
            Command::Reconcile(args) => sync::run(args, config, true).await,
            Command::Status(args) => status::run(args, config),
            Command::Drift(args) => drift::run(args, config).await,
            Command::Serve(args) => serve::run(args, config).await,
            Command::Summary(args) => summary::run(args, config).await,
            Command::Twin(args) => twin::run(args).await,
            Command::Resolve(args) => resolve::run(args, config),
            Command::Completions(args) => completions::completions(args),
            Command::Man => completions::man(),
        }
    });
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(exit::FINDINGS),
        Err(err) if err.chain().any(|c| c.is::<output::ClosedPipe>()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            exit_code(&err)
        }
    }
}

fn exit_code(err: &anyhow::Error) -> ExitCode {
    use crate::reconcile::engine::SyncError;
    use crate::store::StoreError;
    let locked = |e: &(dyn std::error::Error + 'static)| {
        matches!(e.downcast_ref::<StoreError>(), Some(StoreError::Locked { .. }))
            || matches!(e.downcast_ref::<SyncError>(), Some(SyncError::Store(StoreError::Locked { .. })))
    };
    if err.chain().any(locked) {
        return ExitCode::from(exit::BUSY);
    }
    if err.chain().any(|c| matches!(c.downcast_ref::<SyncError>(), Some(SyncError::NoTargets)))
        && let Some(looked) = LOOKED_AT.get()
    {
        eprintln!("settings: {looked}; pass `--config FILE` or run `backlog-sync init`");
    }
    if err.chain().any(|c| c.is::<RemoteFailure>()) {
        ExitCode::from(exit::REMOTE)
    } else {
        ExitCode::from(exit::USAGE)
    }
}
