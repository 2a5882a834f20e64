//! Requests to the GitHub REST API through the shared transport (`connector::http`): GitHub's
//! headers, error classification, rate-limit headers, conditional requests, redirects of renamed
//! repositories, and pacing of content-creating writes under the secondary limit.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::{ACCEPT, CONTENT_TYPE, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};

use crate::auth::TokenSource;
pub use crate::connector::http::Reply;
use crate::connector::http::{Endpoint, Transport, short};
use crate::connector::{ErrorKind, RemoteError};

/// Keeps content-creating requests under GitHub's secondary limits (default 80 a minute and
/// 500 an hour) by waiting before a write that would exceed them. A write counts against a
/// window a little longer than the window itself (a sixtieth, one second of a real minute, and
/// never less than 250 ms), so the time a request spends on the way cannot push GitHub's count
/// over the limit.
#[derive(Debug)]
pub struct Pacer {
    per_minute: usize,
    per_hour: usize,
    minute: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl Pacer {
    pub fn new(per_minute: usize, per_hour: usize) -> Pacer {
        Pacer::with_minute(per_minute, per_hour, Duration::from_secs(60))
    }

    /// A pacer whose minute lasts `minute` and whose hour is sixty of those: a benchmark paces a
    /// twin whose limits run on the same shortened clock.
    pub fn with_minute(per_minute: usize, per_hour: usize, minute: Duration) -> Pacer {
        Pacer { per_minute: per_minute.max(1), per_hour: per_hour.max(1), minute, sent: Mutex::new(VecDeque::new()) }
    }

    /// How long to wait before the next write may go, at `now`.
    pub fn wait_before(&self, now: Instant) -> Duration {
        let slack = (self.minute / 60).max(Duration::from_millis(250));
        let (minute, hour) = (self.minute + slack, self.minute * 60 + slack);
        let mut sent = self.sent.lock().expect("pacer lock");
        while sent.front().is_some_and(|t| now.saturating_duration_since(*t) >= hour) {
            sent.pop_front();
        }
        let mut wait = Duration::ZERO;
        let in_minute: Vec<&Instant> = sent.iter().filter(|t| now.saturating_duration_since(**t) < minute).collect();
        if in_minute.len() >= self.per_minute {
            let oldest = in_minute[in_minute.len() - self.per_minute];
            wait = wait.max(minute - now.saturating_duration_since(*oldest));
        }
        if sent.len() >= self.per_hour {
            let oldest = sent[sent.len() - self.per_hour];
            wait = wait.max(hour - now.saturating_duration_since(oldest));
        }
        wait
    }

    /// GitHub's minute on this pacer's clock (60 s, shorter in benchmarks and tests).
    pub fn minute(&self) -> Duration {
        self.minute
    }

    pub fn record(&self, at: Instant) {
        self.sent.lock().expect("pacer lock").push_back(at);
    }
}

/// The API version every request asks for.
pub const API_VERSION: &str = "2022-11-28";

/// The HTTP side of the connector.
pub struct Http {
    transport: Transport,
    pacer: Pacer,
    /// Secondary-limit refusals in a row without `Retry-After`: each doubles the next wait.
    secondary_hits: AtomicU32,
    /// A renamed repository: (old `/repos/{owner}/{name}`, new one), learned from a 301, so the
    /// rest of the run asks the new name at once.
    renamed: Mutex<Option<(String, String)>>,
}

/// `/repos/{owner}/{name}` and the rest of an API path.
fn repo_prefix(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/repos/")?;
    let mut cut = rest.match_indices(['/', '?']).map(|(i, _)| i);
    let _owner_end = cut.next()?;
    let end = cut.next().map(|i| i + "/repos/".len()).unwrap_or(path.len());
    Some((&path[..end], &path[end..]))
}

/// The URL of `path` under `api_url`: the API URL's own path is kept (GitHub Enterprise's
/// `/api/v3`), unless `path` already starts with it (a `Link` or `Location` header's path).
fn url_of(api_url: &str, path: &str) -> String {
    if path.contains("://") {
        return path.to_string();
    }
    let api_url = api_url.trim_end_matches('/');
    let base_path = super::path_of(api_url);
    let base_path = if base_path == api_url { "" } else { base_path.as_str() };
    let origin = &api_url[..api_url.len() - base_path.len()];
    if path.starts_with(base_path) { format!("{origin}{path}") } else { format!("{origin}{base_path}{path}") }
}

/// The shared transport's target, token source, budget, request count and errors.
impl std::ops::Deref for Http {
    type Target = Transport;

    fn deref(&self) -> &Transport {
        &self.transport
    }
}

impl Http {
    /// The connector's HTTP side for `target` at `api_url`, with `source`'s tokens.
    pub fn new(target: &str, api_url: &str, pacer: Pacer, source: TokenSource) -> Result<Http, RemoteError> {
        let usable = reqwest::Url::parse(api_url).map_err(|e| e.to_string()).and_then(|url| match url.scheme() {
            "http" | "https" if url.has_host() => Ok(()),
            _ => Err("not an http(s) URL".to_string()),
        });
        if let Err(why) = usable {
            let msg = format!(
                "`{api_url}` is not a usable API URL ({why}); set `api_url` of target `{target}` to e.g. `https://api.github.com`"
            );
            return Err(RemoteError {
                target: target.into(),
                operation: "connect".into(),
                kind: ErrorKind::Fatal,
                status: None,
                message: msg,
            });
        }
        let endpoint = Endpoint { target: target.into(), url: api_url.into(), setting: "api_url" };
        // GitHub's redirects are followed here (a renamed repository is learned), not by reqwest.
        let transport = Transport::new(endpoint, source, false, &[401])?;
        Ok(Http { transport, pacer, secondary_hits: AtomicU32::new(0), renamed: Default::default() })
    }

    /// Paces writes with `pacer` from now on (same client, same token source).
    pub fn set_pacer(&mut self, pacer: Pacer) {
        self.pacer = pacer;
    }

    /// The API URL, named when it cannot be reached.
    pub fn api_url(&self) -> &str {
        &self.transport.endpoint.url
    }

    /// Sends one request, following GitHub's `301`/`307`/`308` for a renamed repository or a
    /// transferred issue (at most three hops, same method and body). `etag` makes a GET
    /// conditional; `body` goes as JSON.
    pub async fn send(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        etag: Option<&str>,
    ) -> Result<Reply, RemoteError> {
        let mut path = self.renamed_path(path);
        for _ in 0..3 {
            let reply = self.send_once(operation, method.clone(), &path, body, etag).await?;
            let moved = matches!(reply.status.as_u16(), 301 | 307 | 308);
            match reply.header("location").filter(|_| moved) {
                Some(location) => {
                    let next = super::path_of(location);
                    tracing::info!(target = %self.target(), from = %path, to = %next, "followed GitHub's redirect");
                    self.learn_rename(&path, &next);
                    path = next;
                }
                None if moved => return Err(self.classify(operation, &reply)),
                None => return Ok(reply),
            }
        }
        Err(self.error(operation, ErrorKind::Fatal, Some(301), format!("`{path}` redirected more than three times")))
    }

    /// `path` under the repository's new name, once a rename was learned.
    fn renamed_path(&self, path: &str) -> String {
        let renamed = self.renamed.lock().expect("renamed lock");
        match (renamed.as_ref(), repo_prefix(path)) {
            (Some((old, new)), Some((prefix, rest))) if prefix.eq_ignore_ascii_case(old) => format!("{new}{rest}"),
            _ => path.to_string(),
        }
    }

    /// A redirect that keeps the path after `/repos/{owner}/{name}` is a renamed repository (a
    /// transferred issue changes the number too): later requests go to the new name at once.
    fn learn_rename(&self, from: &str, to: &str) {
        let (Some((old, rest)), Some((new, rest_now))) = (repo_prefix(from), repo_prefix(to)) else { return };
        if rest != rest_now || old.eq_ignore_ascii_case(new) {
            return;
        }
        let mut renamed = self.renamed.lock().expect("renamed lock");
        if renamed.is_none() {
            tracing::warn!(
                target = %self.target(),
                from = %old.trim_start_matches("/repos/"),
                to = %new.trim_start_matches("/repos/"),
                "the repository was renamed; following it (set `repository` of this target to the new name)"
            );
        }
        *renamed = Some((old.to_string(), new.to_string()));
    }

    async fn send_once(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        etag: Option<&str>,
    ) -> Result<Reply, RemoteError> {
        if method != Method::GET {
            let wait = self.pacer.wait_before(Instant::now());
            if !wait.is_zero() {
                crate::connector::wait::report(crate::connector::wait::Wait {
                    target: self.target().to_string(),
                    wait,
                    why: crate::connector::wait::Why::Limit("GitHub's secondary limit".into()),
                });
                tokio::time::sleep(wait).await;
            }
            self.pacer.record(Instant::now());
        }
        let url = url_of(self.api_url(), path);
        // A create whose connection broke may have reached GitHub: its outcome is unknown.
        let broken = if method == Method::POST { ErrorKind::UnknownOutcome } else { ErrorKind::Transient };
        let reply = self
            .transport
            .send(operation, broken, |client| {
                let mut request = client
                    .request(method.clone(), &url)
                    .header(ACCEPT, "application/vnd.github+json")
                    .header("X-GitHub-Api-Version", API_VERSION);
                if let Some(tag) = etag.filter(|_| method == Method::GET) {
                    request = request.header(IF_NONE_MATCH, tag);
                }
                if let Some(body) = body {
                    request = request.header(CONTENT_TYPE, "application/json").body(body.to_string());
                }
                request
            })
            .await?;
        let status = reply.status;
        if matches!(status.as_u16(), 301 | 307 | 308) {
            return Ok(reply);
        }
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            self.secondary_hits.store(0, Ordering::Relaxed);
            return Ok(reply);
        }
        Err(self.classify(operation, &reply))
    }

    fn classify(&self, operation: &str, reply: &Reply) -> RemoteError {
        let status = reply.status.as_u16();
        let message = serde_json::from_str::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(|m| with_details(m, &v)))
            .unwrap_or_else(|| short(&reply.body));
        let retry_after = reply.header("retry-after").and_then(|v| v.parse::<u64>().ok()).map(Duration::from_secs);
        let exhausted = reply.header("x-ratelimit-remaining") == Some("0");
        let kind = match status {
            401 => {
                let msg = format!(
                    "GitHub refused {} ({message}); check {} of target `{}`",
                    self.source().describe(),
                    self.source().setting_hint(),
                    self.target()
                );
                return self.error(operation, ErrorKind::Fatal, Some(status), msg);
            }
            403 | 429 if retry_after.is_some() => ErrorKind::RateLimited(retry_after.unwrap_or_default()),
            // Often a bare 403 with only the message: wait at least GitHub's minute, then longer.
            403 if message.to_ascii_lowercase().contains("secondary rate limit") => {
                let hits = self.secondary_hits.fetch_add(1, Ordering::Relaxed).min(4);
                ErrorKind::RateLimited(self.pacer.minute() * (1 << hits))
            }
            403 | 429 if exhausted => {
                let reset = reply
                    .header("x-ratelimit-reset")
                    .and_then(|v| v.parse::<i64>().ok())
                    .and_then(|r| Utc.timestamp_opt(r, 0).single());
                ErrorKind::RateLimited(until(reset).unwrap_or(Duration::from_secs(60)))
            }
            429 => ErrorKind::RateLimited(Duration::from_secs(60)),
            404 | 410 => ErrorKind::NotFound,
            500..=599 => ErrorKind::Transient,
            _ => ErrorKind::Fatal,
        };
        self.error(operation, kind, Some(status), message)
    }
}

/// GitHub's message with what its `errors` list says (422 "Validation Failed" alone names
/// nothing): `Validation Failed (Issue.assignees invalid: "mallory")`.
fn with_details(message: &str, body: &serde_json::Value) -> String {
    let Some(errors) = body.get("errors").and_then(|e| e.as_array()).filter(|e| !e.is_empty()) else {
        return message.to_string();
    };
    let details: Vec<String> = errors
        .iter()
        .map(|e| match e {
            serde_json::Value::String(s) => s.clone(),
            e => match e.get("message").and_then(|m| m.as_str()) {
                Some(m) => m.to_string(),
                None => {
                    let text = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_string();
                    let value = e.get("value").map(|v| format!(": {}", short(&v.to_string()))).unwrap_or_default();
                    format!("{}.{} {}{value}", text("resource"), text("field"), text("code"))
                }
            },
        })
        .collect();
    format!("{message} ({})", details.join("; "))
}

fn until(at: Option<DateTime<Utc>>) -> Option<Duration> {
    (at? - Utc::now()).to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_part_of_a_path_is_found() {
        assert_eq!(repo_prefix("/repos/contoso/onboarding/issues/4"), Some(("/repos/contoso/onboarding", "/issues/4")));
        assert_eq!(repo_prefix("/repos/contoso/onboarding?x=1"), Some(("/repos/contoso/onboarding", "?x=1")));
        assert_eq!(repo_prefix("/repos/contoso/onboarding"), Some(("/repos/contoso/onboarding", "")));
        assert_eq!(repo_prefix("/user"), None);
    }

    #[test]
    fn paths_go_under_the_api_url_and_its_own_path() {
        assert_eq!(url_of("https://api.github.com", "/user"), "https://api.github.com/user");
        assert_eq!(url_of("https://api.github.com/", "/user"), "https://api.github.com/user");
        assert_eq!(url_of("https://ghe.contoso.com/api/v3", "/user"), "https://ghe.contoso.com/api/v3/user");
        // A `Link` header's path already carries it.
        assert_eq!(
            url_of("https://ghe.contoso.com/api/v3", "/api/v3/x?page=2"),
            "https://ghe.contoso.com/api/v3/x?page=2"
        );
        assert_eq!(url_of("http://127.0.0.1:8080", "http://127.0.0.1:8080/a"), "http://127.0.0.1:8080/a");
    }

    #[test]
    fn pacer_waits_only_when_a_window_is_full() {
        let p = Pacer::new(3, 5);
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(p.wait_before(t0 + Duration::from_secs(i)), Duration::ZERO);
            p.record(t0 + Duration::from_secs(i));
        }
        assert_eq!(p.wait_before(t0 + Duration::from_secs(3)), Duration::from_secs(58), "a minute and a second");
        assert_eq!(p.wait_before(t0 + Duration::from_secs(61)), Duration::ZERO);
        p.record(t0 + Duration::from_secs(61));
        p.record(t0 + Duration::from_secs(62));
        assert_eq!(p.wait_before(t0 + Duration::from_secs(130)), Duration::from_secs(3601 - 130));
    }

    #[test]
    fn a_shorter_minute_scales_both_windows() {
        let p = Pacer::with_minute(2, 3, Duration::from_millis(600));
        let t0 = Instant::now();
        p.record(t0);
        p.record(t0);
        assert_eq!(p.wait_before(t0), Duration::from_millis(850), "never less than 250 ms of slack");
        p.record(t0 + Duration::from_millis(850));
        assert_eq!(p.wait_before(t0 + Duration::from_millis(1300)), Duration::from_millis(36_250 - 1300));
    }
}
