//! Readiness of the targets for `/readyz`: one cheap authenticated request per target that proves
//! the token can read what a sync reads (each tracker says which: `trackers::probe_of`; asked
//! conditionally, so an unchanged answer costs no budget where the tracker honours ETags), cached
//! for a few seconds.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::{Credential, TokenSource};
use crate::config::TargetSettings;

/// How long a probe result is reused.
pub const CACHE_FOR: Duration = Duration::from_secs(10);

/// Per target: `Ok` when it answered, else why not.
pub type TargetHealth = BTreeMap<String, Result<(), String>>;

struct ProbeTarget {
    name: String,
    url: String,
    source: Result<TokenSource, String>,
    /// What a 404 means, in words: the repository or project and the setting to check.
    missing: String,
    /// The last answer's ETag, sent as `If-None-Match` (GitHub answers 304 at no cost).
    etag: Mutex<Option<String>>,
}

/// Why a probe failed, and whether the credential was refused (401: worth one more try with a fresh one).
struct Failure(bool, String);

/// Probes the configured targets.
pub struct Readiness {
    client: reqwest::Client,
    targets: Vec<ProbeTarget>,
    cache: Mutex<Option<(Instant, TargetHealth)>>,
}

impl Readiness {
    pub fn new(targets: &[TargetSettings]) -> Readiness {
        let targets = targets
            .iter()
            .map(|t| {
                let source = TokenSource::from_settings(t).map_err(|e| e.reason);
                let crate::trackers::Probe { url, missing } = crate::trackers::probe_of(t);
                ProbeTarget { name: t.name.clone(), url, source, missing, etag: Mutex::new(None) }
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
        let source = t.source.as_ref().map_err(Clone::clone)?;
        let credential = source.credential().await.map_err(|e| e.reason)?;
        match self.ask(t, source, &credential).await {
            // A token that expired meanwhile is renewed and asked once more.
            Err(Failure(true, _)) if source.refused(&credential).await => {
                let credential = source.credential().await.map_err(|e| e.reason)?;
                self.ask(t, source, &credential).await.map_err(|Failure(_, e)| e)
            }
            other => other.map_err(|Failure(_, e)| e),
        }
    }

    async fn ask(&self, t: &ProbeTarget, source: &TokenSource, credential: &Credential) -> Result<(), Failure> {
        let authorization = credential.authorization();
        let mut request = self
            .client
            .get(&t.url)
            .header("authorization", authorization)
            .header("user-agent", "backlog-sync")
            .header("accept", "application/json");
        if let Some(tag) = t.etag.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            request = request.header("if-none-match", tag);
        }
        let response = request.send().await.map_err(|e| Failure(false, format!("`{}` is unreachable: {e}", t.url)))?;
        let tag = response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
        match response.status().as_u16() {
            200..=299 | 304 => {
                if tag.is_some() {
                    *t.etag.lock().unwrap_or_else(|p| p.into_inner()) = tag;
                }
                Ok(())
            }
            404 => Err(Failure(false, t.missing.clone())),
            s @ (401 | 403) => Err(Failure(
                s == 401,
                format!(
                    "`{}` refused {} (HTTP {}); check {}",
                    t.url,
                    source.describe(),
                    response.status(),
                    source.setting_hint()
                ),
            )),
            s => Err(Failure(false, format!("`{}` answered HTTP {s}", t.url))),
        }
    }
}
