//! `backlog-sync completions SHELL` and `backlog-sync man`: generated from the clap definitions,
//! so they never drift from the commands.

use clap::CommandFactory;

use super::{Cli, Outcome};

#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell to complete for; e.g. `backlog-sync completions bash > ~/.local/share/bash-completion/completions/backlog-sync`.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn completions(args: &CompletionArgs) -> anyhow::Result<Outcome> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "backlog-sync", &mut std::io::stdout());
    Ok(Outcome::Ok)
}

pub fn man() -> anyhow::Result<Outcome> {
    // The page's SUBCOMMANDS section names each command with its one-line description.
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout().lock())?;
    Ok(Outcome::Ok)
}
