//! `backlog-sync twin github|azure`: serves a twin on 127.0.0.1 and prints its URL first.

use std::io::Write;

use super::Outcome;
use crate::twin::github::{GithubTwin, GithubTwinConfig};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which API to emulate.
    #[arg(value_enum)]
    pub kind: TwinKind,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The token (GitHub) or personal access token (Azure DevOps) requests must carry.
    #[arg(long, default_value = "twin-token", env = "BACKLOG_SYNC_TWIN_TOKEN")]
    pub token: String,
    /// GitHub: repositories that exist from the start (`owner/name`, repeatable).
    #[arg(long = "repo", default_value = "contoso/onboarding")]
    pub repos: Vec<String>,
    /// GitHub: content-creating requests allowed a minute (secondary limit).
    #[arg(long, default_value_t = 80)]
    pub content_limit_per_minute: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TwinKind {
    /// The GitHub REST API (issues, labels, sub-issues, webhooks).
    Github,
    /// Azure DevOps Work Item Tracking and Wiki.
    Azure,
}

pub async fn run(args: &Args) -> anyhow::Result<Outcome> {
    match args.kind {
        TwinKind::Github => {
            let config = GithubTwinConfig {
                port: args.port,
                token: args.token.clone(),
                repositories: args.repos.clone(),
                content_limit_per_minute: args.content_limit_per_minute,
                ..GithubTwinConfig::default()
            };
            let twin = GithubTwin::start(config).await?;
            println!("{}", twin.base_url());
            std::io::stdout().flush()?;
            eprintln!(
                "GitHub twin serving {} for repositories {}; stop with ctrl-c",
                twin.base_url(),
                args.repos.join(", ")
            );
            tokio::signal::ctrl_c().await?;
            twin.shutdown().await;
        }
        TwinKind::Azure => anyhow::bail!("the Azure DevOps twin is not in this build yet"),
    }
    Ok(Outcome::Ok)
}
