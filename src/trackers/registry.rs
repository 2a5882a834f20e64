//! The registry: kind name → the tracker built from a target's settings. The one place that
//! lists the trackers; adding one is a line in each `match` here.

use std::path::{Path, PathBuf};

use axum::routing::{MethodRouter, post};
use serde::Deserialize;

use super::Tracker;
use super::azure_boards::settings::AzureBoardsSettings;
use super::azure_boards::{self, AzureBoardsTracker};
use super::github::settings::GithubSettings;
use super::github::{self, GithubTracker};
use crate::auth::{Clock, Renews, Scheme};
use crate::config::{Process, TargetSettings};
use crate::daemon::AppState;
use crate::mapping::{MappingError, builtin};
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
    match &target.tracker {
        TrackerSettings::Github(g) => {
            let mapping = match &target.mapping {
                Some(path) => github::mapping::GithubMapping::load(path)?,
                None => github_builtin()?,
            };
            let mut connector =
                github::connector::GithubConnector::with_source(&target.name, g.api_url(), &g.repository, source)?;
            if g.write_limit_per_minute.is_some() || g.write_limit_per_hour.is_some() {
                connector = connector
                    .with_write_limits(g.write_limit_per_minute.unwrap_or(80), g.write_limit_per_hour.unwrap_or(500));
            }
            Ok(Box::new(GithubTracker {
                name: target.name.clone(),
                connector,
                mapping,
                people: identities,
                notes: Default::default(),
            }))
        }
        TrackerSettings::AzureBoards(a) => {
            let mapping = match (&target.mapping, process) {
                (Some(path), _) => azure_boards::mapping::AzureMapping::load(path)?,
                (None, Some(p)) => azure_builtin(p)?,
                (None, None) => {
                    return Err(fail(
                        "has no `mapping` and its process is not known yet; set `process = \"agile\"` (or scrum, cmmi, basic)".into(),
                    ));
                }
            };
            let connector = azure_boards::connector::AzureConnector::with_source(
                &target.name,
                &a.organization_url,
                &a.project,
                source,
            )?;
            Ok(Box::new(AzureBoardsTracker::new(&target.name, connector, mapping, identities)))
        }
    }
}

/// What a target needs to know before it is built, read from the remote when the settings do not
/// say: the process an Azure Boards target without `mapping` follows. `None` for other targets
/// and for those with a mapping file.
pub async fn prepare(target: &TargetSettings) -> Result<Option<Process>, SyncError> {
    let TrackerSettings::AzureBoards(a) = &target.tracker else {
        return Ok(None);
    };
    if target.mapping.is_some() {
        return Ok(None);
    }
    if let Some(p) = a.process {
        return Ok(Some(p));
    }
    let source = source_of(target)?;
    let p = azure_boards::connector::process::detect(&target.name, &a.organization_url, &a.project, &source)
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
    match &target.tracker {
        TrackerSettings::Github(g) => github::probe(&target.name, g),
        TrackerSettings::AzureBoards(a) => azure_boards::probe(&target.name, a),
    }
}

/// The renewing identity a target's settings describe (a GitHub App's `app_id`, an Entra ID
/// `tenant_id`/`client_id`), or `None` for a plain token; `clock` judges its tokens' age.
pub fn identity_source(t: &TargetSettings, clock: Clock) -> Option<Result<Box<dyn Renews>, String>> {
    match &t.tracker {
        TrackerSettings::Github(g) => {
            let app_id = g.app_id?;
            Some(github::app::GithubApp::from_settings(g, app_id, clock).map(|a| Box::new(a) as Box<dyn Renews>))
        }
        TrackerSettings::AzureBoards(a) if a.tenant_id.is_some() || a.client_id.is_some() => {
            Some(azure_boards::entra::Entra::from_settings(a, clock).map(|e| Box::new(e) as Box<dyn Renews>))
        }
        TrackerSettings::AzureBoards(_) => None,
    }
}

/// A target's tracker and that tracker's own settings: `kind` picks the variant, and the other
/// keys of the `[[targets]]` table (beside those every target has) are the tracker's.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind")]
pub enum TrackerSettings {
    #[serde(rename = "github")]
    Github(GithubSettings),
    #[serde(rename = "azure-boards")]
    AzureBoards(AzureBoardsSettings),
}

impl TrackerSettings {
    /// Which tracker these settings are for.
    pub fn kind(&self) -> TargetKind {
        match self {
            TrackerSettings::Github(_) => TargetKind::Github,
            TrackerSettings::AzureBoards(_) => TargetKind::AzureBoards,
        }
    }

    /// What serde cannot check (values not blank, a renewing identity's settings complete);
    /// `token`: whether the target names a token too. The key to fix and why otherwise.
    pub fn check(&self, name: &str, token: bool) -> Result<(), (&'static str, String)> {
        match self {
            TrackerSettings::Github(g) => g.check(name, token),
            TrackerSettings::AzureBoards(a) => a.check(name, token),
        }
    }

    /// Whether the settings name a renewing identity (a GitHub App, an Entra ID service principal).
    pub fn signs_in_itself(&self) -> bool {
        match self {
            TrackerSettings::Github(g) => g.uses_app(),
            TrackerSettings::AzureBoards(a) => a.uses_entra(),
        }
    }

    /// The files these settings name (relative ones are anchored at the settings file's folder).
    pub fn files_mut(&mut self) -> Vec<&mut PathBuf> {
        match self {
            TrackerSettings::Github(g) => g.app_key_file.iter_mut().collect(),
            TrackerSettings::AzureBoards(a) => a.client_certificate_file.iter_mut().collect(),
        }
    }

    /// The root of the tracker's REST API, without a trailing `/`: GitHub's `api_url` (or
    /// api.github.com), an Azure DevOps organization's URL.
    pub fn api_url(&self) -> &str {
        match self {
            TrackerSettings::Github(g) => g.api_url(),
            TrackerSettings::AzureBoards(a) => a.organization_url(),
        }
    }

    /// The project's process an Azure Boards target's settings name.
    pub fn process(&self) -> Option<Process> {
        match self {
            TrackerSettings::AzureBoards(a) => a.process,
            TrackerSettings::Github(_) => None,
        }
    }
}

/// Which tracker a target is (`kind = "github"`, `kind = "azure-boards"`).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case", try_from = "String")]
pub enum TargetKind {
    #[default]
    Github,
    AzureBoards,
}

impl TryFrom<String> for TargetKind {
    type Error = String;
    fn try_from(s: String) -> Result<TargetKind, String> {
        match s.trim() {
            "github" => Ok(TargetKind::Github),
            "azure-boards" => Ok(TargetKind::AzureBoards),
            _ => Err(format!("`{s}` is not a target kind; use one of github, azure-boards")),
        }
    }
}

impl TargetKind {
    /// The kind's name as settings write it.
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Github => github::KIND,
            TargetKind::AzureBoards => azure_boards::KIND,
        }
    }

    /// How a token read as text is sent: to Azure DevOps a JWT (`eyJ….….…`) is an Entra ID
    /// token, anything else a personal access token (basic auth). GitHub takes every token as `Bearer`.
    pub fn token_scheme(self, token: &str) -> Scheme {
        let parts: Vec<&str> = token.split('.').collect();
        let jwt = token.starts_with("eyJ") && parts.len() == 3 && parts.iter().all(|p| !p.is_empty());
        match self {
            TargetKind::AzureBoards if !jwt => Scheme::Basic,
            _ => Scheme::Bearer,
        }
    }

    /// Whether the tracker reports a rate budget only while it throttles (Azure DevOps sends
    /// `X-RateLimit-*` only then; GitHub on every answer): the tracker's name for `status`.
    pub fn budget_only_when_throttled(self) -> Option<&'static str> {
        match self {
            TargetKind::AzureBoards => Some("Azure DevOps"),
            TargetKind::Github => None,
        }
    }
}

impl TargetKind {
    /// Every kind, in the order messages list them.
    pub fn all() -> [TargetKind; 2] {
        [TargetKind::Github, TargetKind::AzureBoards]
    }

    /// The keys a target of this kind takes beside those every target has, each with what it
    /// holds; the first ones are required.
    pub fn keys(self) -> &'static [(&'static str, &'static str)] {
        match self {
            TargetKind::Github => &GithubSettings::KEYS,
            TargetKind::AzureBoards => &AzureBoardsSettings::KEYS,
        }
    }

    /// The kind named `name` in settings.
    pub fn named(name: &str) -> Option<TargetKind> {
        TargetKind::all().into_iter().find(|k| k.name() == name.trim())
    }
}

/// How a built-in mapping is named in messages: `built-in github/default.toml`.
pub fn mapping_name(kind: TargetKind, process: Option<Process>) -> PathBuf {
    match (kind, process) {
        (TargetKind::Github, _) => PathBuf::from("built-in github/default.toml"),
        (TargetKind::AzureBoards, p) => {
            PathBuf::from(format!("built-in azure-boards/{}.toml", p.unwrap_or(Process::Agile).as_str()))
        }
    }
}

/// The built-in GitHub mapping.
fn github_builtin() -> Result<github::mapping::GithubMapping, MappingError> {
    github::mapping::GithubMapping::from_text(builtin::GITHUB, &mapping_name(TargetKind::Github, None))
}

/// The built-in Azure Boards mapping for `process`.
fn azure_builtin(process: Process) -> Result<azure_boards::mapping::AzureMapping, MappingError> {
    azure_boards::mapping::AzureMapping::from_text(
        builtin::azure_text(process),
        &mapping_name(TargetKind::AzureBoards, Some(process)),
    )
}

/// For `validate`, which sends nothing: the process to check a target's mapping with (a project's
/// process is read from the project at the first sync, so Agile stands in), and the mapping in words.
pub fn mapping_to_check(t: &TargetSettings) -> (Option<Process>, String) {
    let kind = t.kind();
    let process = t.tracker.process().or((kind == TargetKind::AzureBoards).then_some(Process::Agile));
    let mapping = match (&t.mapping, kind, t.tracker.process()) {
        (Some(m), _, _) => format!("mapping `{}`", m.display()),
        (None, TargetKind::Github, _) => "built-in mapping github/default.toml".to_string(),
        (None, TargetKind::AzureBoards, Some(p)) => format!("built-in mapping azure-boards/{}.toml", p.as_str()),
        (None, TargetKind::AzureBoards, None) => {
            "built-in mapping for the project's process, read from the project at the first sync".to_string()
        }
    };
    (process, mapping)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_follow_the_kind_and_the_token() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln";
        let cases = [
            (TargetKind::Github, "ghs_abc", Scheme::Bearer),
            (TargetKind::Github, jwt, Scheme::Bearer),
            (TargetKind::AzureBoards, "52charpat", Scheme::Basic),
            (TargetKind::AzureBoards, jwt, Scheme::Bearer),
            (TargetKind::AzureBoards, "eyJ.only-two", Scheme::Basic),
        ];
        for (kind, token, want) in cases {
            assert_eq!(kind.token_scheme(token), want, "{token}");
        }
    }

    #[test]
    fn every_built_in_mapping_loads_and_checks() {
        github_builtin().unwrap();
        for p in Process::ALL {
            azure_builtin(p).unwrap_or_else(|e| panic!("{}: {e}", p.as_str()));
        }
    }
}
