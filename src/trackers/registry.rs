//! The registry: kind name → the tracker built from a target's settings. The one place that
//! lists the trackers; adding one is a line in each `match` here.

use std::path::Path;

use axum::routing::{MethodRouter, post};

use super::Tracker;
use super::azure_boards::{self, AzureBoardsTracker};
use super::github::{self, GithubTracker};
use crate::config::{Process, TargetKind, TargetSettings};
use crate::daemon::AppState;
use crate::mapping::builtin;
use crate::reconcile::engine::{SyncError, source_of};

/// Builds the tracker of one target. Without `mapping` it uses the built-in one for its kind (for
/// Azure Boards, for `process`), and identities from `mappings/identities.toml` beside
/// `settings_file`.
pub fn connect(
    target: &TargetSettings,
    settings_file: Option<&Path>,
    process: Option<Process>,
) -> Result<Box<dyn Tracker>, SyncError> {
    let fail = |reason: String| SyncError::Target { target: target.name.clone(), reason };
    let source = source_of(target)?;
    let identities = builtin::identities(target.mapping.as_deref(), settings_file)?;
    match target.kind {
        TargetKind::Github => {
            let mapping = match &target.mapping {
                Some(path) => github::mapping::GithubMapping::load(path)?,
                None => builtin::github()?,
            };
            let api = target.api_url.as_deref().unwrap_or("https://api.github.com");
            let repo = target.repository.as_deref().unwrap_or_default();
            let mut connector = github::connector::GithubConnector::with_source(&target.name, api, repo, source)?;
            if target.write_limit_per_minute.is_some() || target.write_limit_per_hour.is_some() {
                connector = connector.with_write_limits(
                    target.write_limit_per_minute.unwrap_or(80),
                    target.write_limit_per_hour.unwrap_or(500),
                );
            }
            Ok(Box::new(GithubTracker {
                name: target.name.clone(),
                connector,
                mapping,
                people: identities,
                notes: Default::default(),
            }))
        }
        TargetKind::AzureBoards => {
            let mapping = match (&target.mapping, process) {
                (Some(path), _) => azure_boards::mapping::AzureMapping::load(path)?,
                (None, Some(p)) => builtin::azure(p)?,
                (None, None) => {
                    return Err(fail(
                        "has no `mapping` and its process is not known yet; set `process = \"agile\"` (or scrum, cmmi, basic)".into(),
                    ));
                }
            };
            let Some(org) = target.organization_url.as_deref() else {
                return Err(fail("set `organization_url`, e.g. `https://dev.azure.com/contoso`".into()));
            };
            let project = target.project.as_deref().unwrap_or_default();
            let connector = azure_boards::connector::AzureConnector::with_source(&target.name, org, project, source)?;
            Ok(Box::new(AzureBoardsTracker::new(&target.name, connector, mapping, identities)))
        }
    }
}

/// What a target needs to know before it is built, read from the remote when the settings do not
/// say: the process an Azure Boards target without `mapping` follows. `None` for other targets
/// and for those with a mapping file.
pub async fn prepare(target: &TargetSettings) -> Result<Option<Process>, SyncError> {
    if target.kind != TargetKind::AzureBoards || target.mapping.is_some() {
        return Ok(None);
    }
    if let Some(p) = target.process {
        return Ok(Some(p));
    }
    let source = source_of(target)?;
    let org = target.organization_url.as_deref().unwrap_or_default();
    let project = target.project.as_deref().unwrap_or_default();
    let p = azure_boards::connector::process::detect(org, project, &source)
        .await
        .map_err(|reason| SyncError::Target { target: target.name.clone(), reason })?;
    tracing::debug!(target = %target.name, process = p.as_str(), "read the project's process");
    Ok(Some(p))
}

/// Each tracker's webhook endpoint: its path and its handler.
pub fn webhook_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/webhooks/github", post(github::hook::receive)),
        ("/webhooks/azure-devops", post(azure_boards::hook::receive)),
    ]
}

/// What the readiness probe asks of a target.
pub struct Probe {
    /// One cheap authenticated GET that proves the token can read what a sync reads.
    pub url: String,
    /// What a 404 means, in words: the repository or project and the setting to check.
    pub missing: String,
}

/// The readiness probe of one target.
pub fn probe_of(target: &TargetSettings) -> Probe {
    match target.kind {
        TargetKind::Github => github::probe(target),
        TargetKind::AzureBoards => azure_boards::probe(target),
    }
}
