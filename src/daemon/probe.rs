//! Readiness of the targets for `/readyz`: one cheap authenticated request per target that proves
//! the token can read what a sync reads (a GitHub repository's issues, asked conditionally so an
//! unchanged answer costs no budget; an Azure DevOps project), cached for a few seconds.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;

use crate::config::{Secret, TargetKind, TargetSettings};
use crate::connector::azure::encode_segment;

/// How long a probe result is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(10);

/// Per target: `Ok` when it answered, else why not.
pub type TargetHealth = BTreeMap<String, Result<(), String>>;

struct ProbeTarget {
    name: String,
    url: String,
    authorization: Result<String, String>,
    /// What a 404 means, in words: the repository or project and the setting to check.
    missing: String,
    /// The last answer's ETag, sent as `If-None-Match` (GitHub answers 304 at no cost).
    etag: Mutex<Option<String>>,
}

/// Probes the configured targets.
pub struct Readiness {
    client: reqwest::Client,
    targets: Vec<ProbeTarget>,
    cache: Mutex<Option<(Instant, TargetHealth)>>,
}

fn token(t: &TargetSettings) -> Result<Secret, String> {
    match (&t.token_file, &t.token_env) {
        (Some(file), _) => Secret::from_file(file),
        (None, Some(var)) => Secret::from_env(var),
        (None, None) => Err("set `token_env` or `token_file`".into()),
    }
}

impl Readiness {
    pub fn new(targets: &[TargetSettings]) -> Readiness {
        let targets = targets
            .iter()
            .map(|t| {
                let token = token(t);
                let (url, authorization, missing) = match t.kind {
                    TargetKind::Github => {
                        let repository = t.repository.as_deref().unwrap_or("");
                        (
                            format!(
                                "{}/repos/{repository}/issues?state=all&per_page=1",
                                t.api_url.as_deref().unwrap_or("https://api.github.com").trim_end_matches('/')
                            ),
                            token.map(|s| format!("token {}", s.expose())),
                            format!(
                                "the repository `{repository}` does not exist or the token cannot see it; check `repository` of target `{}`",
                                t.name
                            ),
                        )
                    }
                    TargetKind::AzureBoards => {
                        let project = t.project.as_deref().unwrap_or("");
                        (
                            format!(
                                "{}/_apis/projects/{}?api-version=7.1",
                                t.organization_url.as_deref().unwrap_or("").trim_end_matches('/'),
                                encode_segment(project)
                            ),
                            token.map(|s| {
                                let pair = format!(":{}", s.expose());
                                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
                            }),
                            format!(
                                "the project `{project}` does not exist or the token cannot see it; check `project` of target `{}`",
                                t.name
                            ),
                        )
                    }
                };
                ProbeTarget { name: t.name.clone(), url, authorization, missing, etag: Mutex::new(None) }
            })
            .collect();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        Readiness { client, targets, cache: Mutex::new(None) }
    }

    /// Each target's health, probed at most once per [`CACHE_FOR`].
    pub async fn check(&self) -> TargetHealth {
        if let Some((at, health)) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return health.clone();
        }
        let probes = self.targets.iter().map(|t| async move { (t.name.clone(), self.probe(t).await) });
        let health: TargetHealth = futures::future::join_all(probes).await.into_iter().collect();
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), health.clone()));
        health
    }

    async fn probe(&self, t: &ProbeTarget) -> Result<(), String> {
        let authorization = t.authorization.clone()?;
        let mut request = self
            .client
            .get(&t.url)
            .header("authorization", authorization)
            .header("user-agent", "backlog-sync")
            .header("accept", "application/json");
        if let Some(tag) = t.etag.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            request = request.header("if-none-match", tag);
        }
        let response = request.send().await.map_err(|e| format!("`{}` is unreachable: {e}", t.url))?;
        let tag = response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
        match response.status().as_u16() {
            200..=299 | 304 => {
                if tag.is_some() {
                    *t.etag.lock().unwrap_or_else(|p| p.into_inner()) = tag;
                }
                Ok(())
            }
            404 => Err(t.missing.clone()),
            401 | 403 => {
                Err(format!("`{}` refused the token (HTTP {}); check the target's token", t.url, response.status()))
            }
            s => Err(format!("`{}` answered HTTP {s}", t.url)),
        }
    }
}
