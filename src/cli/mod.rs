//! The command line: argument parsing and dispatch to one thin file per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keep one canonical backlog in two-way sync with Azure Boards and GitHub Issues.
#[derive(Debug, Parser)]
#[command(name = "backlog-sync", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {}

/// Parses the arguments, runs the command and returns the process exit code.
pub fn run() -> ExitCode {
    let _cli = Cli::parse();
    ExitCode::SUCCESS
}
