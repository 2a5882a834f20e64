//! `backlog-sync twin github|azure`: serves a twin on 127.0.0.1 and prints its URL first.

use std::io::Write;

use super::Outcome;
use backlog_twins::azure::{AzureTwin, AzureTwinConfig, Process};
use backlog_twins::github::{GithubTwin, GithubTwinConfig};

/// The token the twins want unless `--token` says otherwise.
const DEFAULT_TOKEN: &str = "twin-token";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which API to emulate.
    #[arg(value_enum)]
    pub kind: TwinKind,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The token (GitHub) or personal access token (Azure DevOps) requests must carry.
    #[arg(long, default_value = DEFAULT_TOKEN, env = "BACKLOG_SYNC_TWIN_TOKEN")]
    pub token: String,
    /// GitHub: repositories that exist from the start (`owner/name`, repeatable).
    #[arg(long = "repo", default_value = "contoso/onboarding")]
    pub repos: Vec<String>,
    /// People who can be assigned: GitHub collaborators (logins) or Azure DevOps organization
    /// members (e-mail addresses); repeatable.
    #[arg(long = "member")]
    pub members: Vec<String>,
    /// GitHub: content-creating requests allowed a minute (secondary limit).
    #[arg(long, default_value_t = 80)]
    pub content_limit_per_minute: u32,
    /// Azure DevOps: the organization in every URL.
    #[arg(long, default_value = "contoso")]
    pub organization: String,
    /// Azure DevOps: projects that exist from the start, as `Name` or `Name:process`
    /// (agile, scrum, cmmi, basic; repeatable).
    #[arg(long = "project", default_value = "Onboarding:agile")]
    pub projects: Vec<String>,
}

fn project(spec: &str) -> anyhow::Result<(String, Process)> {
    let (name, process) = spec.rsplit_once(':').unwrap_or((spec, "agile"));
    let process = match process.to_ascii_lowercase().as_str() {
        "agile" => Process::Agile,
        "scrum" => Process::Scrum,
        "cmmi" => Process::Cmmi,
        "basic" => Process::Basic,
        other => anyhow::bail!(
            "`{other}` is not a process; use agile, scrum, cmmi or basic (as in `--project Onboarding:scrum`)"
        ),
    };
    Ok((name.to_string(), process))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TwinKind {
    /// The GitHub REST API (issues, labels, sub-issues, webhooks).
    Github,
    /// Azure DevOps Work Item Tracking and Wiki.
    Azure,
}

/// Which token the twin wants, in words: the default is named (it is no secret, and a first try
/// needs it); a token the user chose is not repeated.
fn token_hint(token: &str) -> String {
    if token == DEFAULT_TOKEN {
        format!("the token `{DEFAULT_TOKEN}` (the default; `--token` sets another)")
    } else {
        "the token given by `--token` or `BACKLOG_SYNC_TWIN_TOKEN`".to_string()
    }
}

pub async fn run(args: &Args) -> anyhow::Result<Outcome> {
    match args.kind {
        TwinKind::Github => {
            let config = GithubTwinConfig {
                port: args.port,
                token: args.token.clone(),
                repositories: args.repos.clone(),
                collaborators: args.members.iter().filter(|m| !m.contains('@')).cloned().collect(),
                content_limit_per_minute: args.content_limit_per_minute,
                ..GithubTwinConfig::default()
            };
            let twin = GithubTwin::start(config).await?;
            println!("{}", twin.base_url());
            std::io::stdout().flush()?;
            eprintln!(
                "GitHub twin serving {} for repositories {}; requests must carry {}; stop with ctrl-c",
                twin.base_url(),
                args.repos.join(", "),
                token_hint(&args.token)
            );
            tokio::signal::ctrl_c().await?;
            twin.shutdown().await;
        }
        TwinKind::Azure => {
            let projects = args.projects.iter().map(|p| project(p)).collect::<anyhow::Result<Vec<_>>>()?;
            let names: Vec<&str> = projects.iter().map(|(n, _)| n.as_str()).collect();
            let config = AzureTwinConfig {
                port: args.port,
                token: args.token.clone(),
                organization: args.organization.clone(),
                projects: projects.clone(),
                members: args.members.iter().filter(|m| m.contains('@')).cloned().collect(),
                ..AzureTwinConfig::default()
            };
            let twin = AzureTwin::start(config).await?;
            println!("{}", twin.organization_url());
            std::io::stdout().flush()?;
            eprintln!(
                "Azure DevOps twin serving {} with projects {}; requests must carry {}; stop with ctrl-c",
                twin.organization_url(),
                names.join(", "),
                token_hint(&args.token)
            );
            tokio::signal::ctrl_c().await?;
            twin.shutdown().await;
        }
    }
    Ok(Outcome::Ok)
}
