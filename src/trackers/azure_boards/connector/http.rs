//! Requests to the Azure DevOps REST API on reqwest: PAT (basic) or bearer auth, `api-version`,
//! error classification (412 is a failed revision check), the `X-RateLimit-*` budget, and a pause
//! before the next request when the service sent `Retry-After` or `X-RateLimit-Delay`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use crate::auth::{Credential, TokenSource};
use crate::connector::{Budget, ErrorKind, RemoteError};

/// The REST API version every request asks for.
pub const API_VERSION: &str = "7.1";
/// The version work items are read and written at: from 7.2 on the service says which rich-text
/// fields hold Markdown (`multilineFieldsFormat`); at 7.1 it leaves that out, and the project's
/// own Markdown would read back as if it were HTML. 7.2 is served as a preview only.
pub const WORK_ITEMS_VERSION: &str = "7.2-preview.3";
/// The version of the location service's `connectionData` (served as a preview only).
pub const CONNECTION_DATA_VERSION: &str = "7.1-preview.1";

/// How the token is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// A personal access token, as the password of HTTP basic auth.
    Pat,
    /// An Entra ID (OAuth) access token.
    Bearer,
}

impl Auth {
    /// A JWT (`eyJ….….…`) is an Entra ID token; anything else is a PAT.
    pub fn guess(token: &str) -> Auth {
        let parts: Vec<&str> = token.split('.').collect();
        if token.starts_with("eyJ") && parts.len() == 3 && parts.iter().all(|p| !p.is_empty()) {
            Auth::Bearer
        } else {
            Auth::Pat
        }
    }
}

/// One answer: status, headers and body text.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// The HTTP side of the connector.
pub struct Http {
    pub target: String,
    client: reqwest::Client,
    source: TokenSource,
    budget: Mutex<Budget>,
    not_before: Mutex<Option<Instant>>,
    requests: AtomicU64,
}

impl Http {
    pub fn new(target: &str, source: TokenSource) -> Result<Http, RemoteError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("backlog-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RemoteError {
                target: target.into(),
                operation: "connect".into(),
                kind: ErrorKind::Fatal,
                status: None,
                message: format!("cannot set up the HTTP client: {e}"),
            })?;
        Ok(Http {
            target: target.into(),
            client,
            source,
            budget: Mutex::new(Budget::default()),
            not_before: Mutex::new(None),
            requests: AtomicU64::new(0),
        })
    }

    pub fn budget(&self) -> Budget {
        *self.budget.lock().expect("budget lock")
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn error(&self, operation: &str, kind: ErrorKind, status: Option<u16>, message: String) -> RemoteError {
        RemoteError { target: self.target.clone(), operation: operation.into(), kind, status, message }
    }

    /// Sends one request to `url` (with `api-version` added). `content_type` goes with a body.
    /// A refused credential (expired on the way, or revoked) is renewed and the request sent once more.
    pub async fn send(
        &self,
        operation: &str,
        method: Method,
        url: &str,
        body: Option<(&str, String)>,
    ) -> Result<Reply, RemoteError> {
        let credential = self.credential(operation).await?;
        match self.send_with(operation, method.clone(), url, body.clone(), &credential).await {
            Err(e) if matches!(e.status, Some(401 | 203)) && self.source.refused(&credential).await => {
                tracing::debug!(target = %self.target, "the token was refused; sending again with a fresh one");
                let credential = self.credential(operation).await?;
                self.send_with(operation, method, url, body, &credential).await
            }
            other => other,
        }
    }

    /// The current credential, or the reason there is none as this operation's error.
    async fn credential(&self, operation: &str) -> Result<Credential, RemoteError> {
        self.source.credential().await.map_err(|e| {
            let kind = if e.transient { ErrorKind::Transient } else { ErrorKind::Fatal };
            self.error(operation, kind, None, e.reason)
        })
    }

    async fn send_with(
        &self,
        operation: &str,
        method: Method,
        url: &str,
        body: Option<(&str, String)>,
        credential: &Credential,
    ) -> Result<Reply, RemoteError> {
        let wait = self.not_before.lock().expect("pause lock").and_then(|t| t.checked_duration_since(Instant::now()));
        if let Some(wait) = wait {
            crate::connector::wait::report(crate::connector::wait::Wait {
                target: self.target.clone(),
                wait,
                why: crate::connector::wait::Why::Limit("Azure DevOps' rate limit (it asked us to slow down)".into()),
            });
            tokio::time::sleep(wait).await;
        }
        let sep = if url.contains('?') { '&' } else { '?' };
        // A preview API (comments, work items at 7.2-preview) names its own version.
        let full =
            if url.contains("api-version=") { url.to_string() } else { format!("{url}{sep}api-version={API_VERSION}") };
        // WIQL and batch reads are POSTs that change nothing.
        let writes = method == Method::PATCH
            || method == Method::DELETE
            || (method == Method::POST && !url.contains("/wiql") && !url.contains("/workitemsbatch"));
        let mut request = self
            .client
            .request(method.clone(), &full)
            .header(reqwest::header::AUTHORIZATION, credential.authorization())
            .header(reqwest::header::ACCEPT, "application/json")
            // Without it, refused credentials come back as 203 and an HTML sign-in page.
            .header("X-TFS-FedAuthRedirect", "Suppress");
        if let Some((content_type, text)) = body {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type).body(text);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        // A write whose connection broke may have been applied: its outcome is unknown.
        let broken = if writes { ErrorKind::UnknownOutcome } else { ErrorKind::Transient };
        let response = request.send().await.map_err(|e| {
            if e.is_connect() {
                // Nothing was sent: not worth retrying for long, and the URL is what to check.
                let origin = e.url().map(|u| u.origin().ascii_serialization()).unwrap_or_default();
                let msg = format!(
                    "cannot reach `{origin}` ({}); check `organization_url` of target `{}` and the network",
                    describe(&e),
                    self.target
                );
                return self.error(operation, ErrorKind::Fatal, None, msg);
            }
            self.error(operation, broken.clone(), None, format!("the connection failed: {}", describe(&e)))
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        self.note_budget(&headers);
        let text = response.text().await.map_err(|e| {
            self.error(
                operation,
                broken.clone(),
                Some(status.as_u16()),
                format!("the answer was cut off: {}", describe(&e)),
            )
        })?;
        let reply = Reply { status, headers, body: text };
        if status == reqwest::StatusCode::NON_AUTHORITATIVE_INFORMATION || is_html(&reply) {
            let msg = format!(
                "Azure DevOps answered with its sign-in page (HTTP {}) instead of data: {} of target `{}` is \
                 missing, expired or not accepted; check {}",
                status.as_u16(),
                self.source.describe(),
                self.target,
                self.source.setting_hint()
            );
            return Err(self.error(operation, ErrorKind::Fatal, Some(status.as_u16()), msg));
        }
        if status.is_success() {
            return Ok(reply);
        }
        Err(self.classify(operation, &reply))
    }

    fn note_budget(&self, headers: &HeaderMap) {
        let text = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
        let num = |n: &str| text(n).and_then(|v| v.parse::<f64>().ok());
        let mut b = self.budget.lock().expect("budget lock");
        if let Some(r) = num("x-ratelimit-remaining") {
            b.remaining = Some(r as u32);
        }
        if let Some(l) = num("x-ratelimit-limit") {
            b.limit = Some(l as u32);
        }
        if let Some(reset) = num("x-ratelimit-reset") {
            b.reset_at = Utc.timestamp_opt(reset as i64, 0).single();
        }
        // `Retry-After` may come on a 200 too; `X-RateLimit-Delay` says the service is slowing us.
        let pause = num("retry-after").or_else(|| num("x-ratelimit-delay")).filter(|s| *s > 0.0);
        if let Some(seconds) = pause {
            let until = Instant::now() + Duration::from_secs_f64(seconds.min(300.0));
            *self.not_before.lock().expect("pause lock") = Some(until);
        }
    }

    fn classify(&self, operation: &str, reply: &Reply) -> RemoteError {
        let status = reply.status.as_u16();
        let message = serde_json::from_str::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
            .unwrap_or_else(|| short(&reply.body));
        let header = |n: &str| reply.headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
        let retry_after = header("retry-after").and_then(|v| v.parse::<f64>().ok()).map(Duration::from_secs_f64);
        let kind = match status {
            401 => {
                let msg = format!(
                    "Azure DevOps refused {} ({}); check {} of target `{}`",
                    self.source.describe(),
                    short(&message),
                    self.source.setting_hint(),
                    self.target
                );
                return self.error(operation, ErrorKind::Fatal, Some(status), msg);
            }
            403 => {
                let msg = format!(
                    "Azure DevOps denied access ({}); give the token of target `{}` the Work Items (read & write) scope",
                    short(&message),
                    self.target
                );
                return self.error(operation, ErrorKind::Fatal, Some(status), msg);
            }
            404 | 410 => ErrorKind::NotFound,
            409 | 412 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited(retry_after.unwrap_or(Duration::from_secs(30))),
            503 if retry_after.is_some() => ErrorKind::RateLimited(retry_after.unwrap_or_default()),
            500..=599 => ErrorKind::Transient,
            _ => ErrorKind::Fatal,
        };
        self.error(operation, kind, Some(status), short(&message))
    }
}

/// Whether a successful-looking answer is an HTML page (a sign-in page), not the API's JSON.
fn is_html(reply: &Reply) -> bool {
    reply.status.is_success()
        && reply
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// A reqwest error in words, with its causes but without the URL.
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the body could not be read"
    } else {
        "the request failed"
    }
    .to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    short(&text)
}

fn short(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_choose_their_auth() {
        let cases = [
            ("abcdef0123456789pat", Auth::Pat),
            ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", Auth::Bearer),
            ("eyJnot-a-jwt", Auth::Pat),
            ("a.b.c", Auth::Pat),
        ];
        for (token, want) in cases {
            assert_eq!(Auth::guess(token), want, "{token}");
        }
    }

    #[test]
    fn the_token_never_shows_in_debug_or_errors() {
        let source = TokenSource::fixed("boards", crate::config::TargetKind::AzureBoards, "s3cr3t-pat".into());
        let http = Http::new("boards", source).unwrap();
        let e = http.error("get", ErrorKind::Fatal, Some(401), "no".into());
        assert!(!e.to_string().contains("s3cr3t"));
        let reply = Reply { status: StatusCode::UNAUTHORIZED, headers: HeaderMap::new(), body: "{}".into() };
        let e = http.classify("get", &reply);
        assert_eq!(e.kind, ErrorKind::Fatal);
        assert!(!e.to_string().contains("s3cr3t") && e.to_string().contains("token_env"));
        let reply = Reply { status: StatusCode::PRECONDITION_FAILED, headers: HeaderMap::new(), body: "{}".into() };
        assert_eq!(http.classify("update", &reply).kind, ErrorKind::Conflict);
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "3".parse().unwrap());
        let reply = Reply { status: StatusCode::TOO_MANY_REQUESTS, headers, body: "{}".into() };
        assert_eq!(http.classify("get", &reply).kind, ErrorKind::RateLimited(Duration::from_secs(3)));
    }
}
