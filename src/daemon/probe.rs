//! Readiness of the targets for `/readyz`: one cheap authenticated request per target (GitHub's
//! `GET /rate_limit`, which costs no budget; Azure DevOps' project), cached for a few seconds.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;

use crate::config::{Secret, TargetKind, TargetSettings};

/// How long a probe result is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(10);

/// Per target: `Ok` when it answered, else why not.
pub type TargetHealth = BTreeMap<String, Result<(), String>>;

struct ProbeTarget {
    name: String,
    url: String,
    authorization: Result<String, String>,
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
                let (url, authorization) = match t.kind {
                    TargetKind::Github => (
                        format!(
                            "{}/rate_limit",
                            t.api_url.as_deref().unwrap_or("https://api.github.com").trim_end_matches('/')
                        ),
                        token.map(|s| format!("token {}", s.expose())),
                    ),
                    TargetKind::AzureBoards => (
                        format!(
                            "{}/_apis/projects/{}?api-version=7.1",
                            t.organization_url.as_deref().unwrap_or("").trim_end_matches('/'),
                            t.project.as_deref().unwrap_or("")
                        ),
                        token.map(|s| {
                            let pair = format!(":{}", s.expose());
                            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
                        }),
                    ),
                };
                ProbeTarget { name: t.name.clone(), url, authorization }
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
        let response = self
            .client
            .get(&t.url)
            .header("authorization", authorization)
            .header("user-agent", "backlog-sync")
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| format!("`{}` is unreachable: {e}", t.url))?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            401 | 403 => {
                Err(format!("`{}` refused the token (HTTP {}); check the target's token", t.url, response.status()))
            }
            s => Err(format!("`{}` answered HTTP {s}", t.url)),
        }
    }
}
