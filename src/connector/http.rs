//! The one HTTP transport every tracker's client sends through: the reqwest client (rustls,
//! timeouts, user agent), the current credential in `Authorization` (renewed once when refused),
//! the request count and rate budget, transport failures classified (never connected, broken on
//! the way, cut off), and tokens kept out of every error. What a status means is the tracker's.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{RequestBuilder, StatusCode};

use super::{Budget, ErrorKind, RemoteError};
use crate::auth::{Credential, TokenSource};

/// How long a connection may take to open, and a whole request to be answered.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// What every request says it is.
pub const USER_AGENT: &str = concat!("backlog-sync/", env!("CARGO_PKG_VERSION"));

/// One answer: status, headers and the body text.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
    }

    /// The service's `message` when the body is JSON that has one, else the body itself, short.
    pub fn message(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
            .unwrap_or_else(|| short(&self.body))
    }
}

/// Where a connector sends, as its settings name it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub target: String,
    /// The URL named when it cannot be reached (`api_url`, `organization_url`).
    pub url: String,
    /// The setting that holds `url`.
    pub setting: &'static str,
}

/// The client and its bookkeeping for one target.
pub struct Transport {
    pub endpoint: Endpoint,
    client: reqwest::Client,
    source: TokenSource,
    /// Statuses that say the credential was refused: it is renewed and the request sent once more.
    refusals: &'static [u16],
    budget: Mutex<Budget>,
    requests: AtomicU64,
}

/// The reqwest client: rustls with the bundled web PKI roots, the timeouts above, and redirects
/// followed by reqwest or left to the caller (GitHub's connector follows them itself).
pub fn client(follow_redirects: bool) -> Result<reqwest::Client, reqwest::Error> {
    let redirects =
        if follow_redirects { reqwest::redirect::Policy::default() } else { reqwest::redirect::Policy::none() };
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        .user_agent(USER_AGENT)
        .redirect(redirects)
        .build()
}

impl Transport {
    pub fn new(
        endpoint: Endpoint,
        source: TokenSource,
        follow_redirects: bool,
        refusals: &'static [u16],
    ) -> Result<Transport, RemoteError> {
        let client = client(follow_redirects).map_err(|e| RemoteError {
            target: endpoint.target.clone(),
            operation: "connect".into(),
            kind: ErrorKind::Fatal,
            status: None,
            message: format!("cannot set up the HTTP client: {}", describe(&e)),
        })?;
        Ok(Transport {
            endpoint,
            client,
            source,
            refusals,
            budget: Mutex::new(Budget::default()),
            requests: AtomicU64::new(0),
        })
    }

    pub fn target(&self) -> &str {
        &self.endpoint.target
    }

    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    pub fn budget(&self) -> Budget {
        *self.budget.lock().expect("budget lock")
    }

    /// Requests sent so far, retries and renewals included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn error(&self, operation: &str, kind: ErrorKind, status: Option<u16>, message: String) -> RemoteError {
        RemoteError { target: self.target().to_string(), operation: operation.to_string(), kind, status, message }
    }

    /// The current credential, or the reason there is none as this operation's error.
    async fn credential(&self, operation: &str) -> Result<Credential, RemoteError> {
        self.source.credential().await.map_err(|e| {
            let kind = if e.transient { ErrorKind::Transient } else { ErrorKind::Fatal };
            self.error(operation, kind, None, e.reason)
        })
    }

    /// Sends the request `build` makes, with the current credential; a refused credential (expired
    /// on the way, or revoked) is renewed and the request sent once more. Any status comes back as
    /// a reply (the tracker says what it means); a failure before any answer is an error:
    /// never connected is fatal and names the URL to check, broken on the way is `broken`
    /// (`UnknownOutcome` for a write that may have been applied, else `Transient`).
    pub async fn send(
        &self,
        operation: &str,
        broken: ErrorKind,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Reply, RemoteError> {
        let mut credential = self.credential(operation).await?;
        let mut result = self.send_with(&build, &credential).await;
        let refused = |r: &Result<reqwest::Response, reqwest::Error>| matches!(r, Ok(r) if self.refusals.contains(&r.status().as_u16()));
        if refused(&result) && self.source.refused(&credential).await {
            tracing::debug!(target = %self.target(), "the token was refused; sending again with a fresh one");
            credential = self.credential(operation).await?;
            result = self.send_with(&build, &credential).await;
        }
        let response = match result {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                // Nothing was sent: not worth retrying for long, and the URL is what to check.
                let Endpoint { url, setting, target } = &self.endpoint;
                let msg = format!(
                    "cannot reach `{url}` ({}); check `{setting}` of target `{target}` and the network",
                    redact(&describe(&e), &credential)
                );
                return Err(self.error(operation, ErrorKind::Fatal, None, msg));
            }
            Err(e) if e.is_builder() => {
                let msg = format!("cannot make the request: {}", redact(&describe(&e), &credential));
                return Err(self.error(operation, ErrorKind::Fatal, None, msg));
            }
            Err(e) => {
                let msg = format!("the connection failed: {}", redact(&describe(&e), &credential));
                return Err(self.error(operation, broken, None, msg));
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        self.note_budget(&headers);
        let body = response.text().await.map_err(|e| {
            let msg = format!("the answer was cut off: {}", redact(&describe(&e), &credential));
            self.error(operation, broken.clone(), Some(status.as_u16()), msg)
        })?;
        // A service that echoes the request in its refusal must not carry the token into our errors.
        let body = if status.is_success() { body } else { redact(&body, &credential) };
        Ok(Reply { status, headers, body })
    }

    async fn send_with(
        &self,
        build: &impl Fn(&reqwest::Client) -> RequestBuilder,
        credential: &Credential,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = build(&self.client);
        if let Ok(mut value) = HeaderValue::from_str(&credential.authorization()) {
            // Sensitive: left out of the request's `Debug` and of HTTP/2's header compression.
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        request.send().await
    }

    /// The `X-RateLimit-*` budget, as GitHub and Azure DevOps both send it.
    fn note_budget(&self, headers: &HeaderMap) {
        let num = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok());
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
    }
}

/// A reqwest error in words, with its causes but without the URL (which may carry a query).
pub fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_body() || e.is_decode() {
        "the body could not be read"
    } else {
        "the request failed"
    }
    .to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let cause = s.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = s.source();
    }
    short(&text)
}

/// `text` with the credential's token, and its `Authorization` value, replaced by `***`.
pub fn redact(text: &str, credential: &Credential) -> String {
    let token = credential.token.expose();
    let header = credential.authorization();
    let header = header.split_once(' ').map(|(_, value)| value).unwrap_or_default();
    let mut text = text.to_string();
    for secret in [token, header] {
        if secret.len() >= 4 && text.contains(secret) {
            text = text.replace(secret, "***");
        }
    }
    text
}

/// At most 300 characters of `s`, trimmed, with `…` where it was cut.
pub fn short(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scheme;
    use crate::config::Secret;

    #[test]
    fn tokens_are_redacted_in_both_forms() {
        let bearer = Credential { token: Secret::new("ghp_s3cr3t"), scheme: Scheme::Bearer };
        assert_eq!(redact("bad credentials for ghp_s3cr3t", &bearer), "bad credentials for ***");
        let basic = Credential { token: Secret::new("s3cr3t-pat"), scheme: Scheme::Basic };
        let echoed = format!("refused {}", basic.authorization());
        assert_eq!(redact(&echoed, &basic), "refused Basic ***");
        assert_eq!(redact("nothing secret", &basic), "nothing secret");
    }

    #[test]
    fn messages_come_from_json_or_the_body() {
        let reply =
            |body: &str| Reply { status: StatusCode::BAD_REQUEST, headers: HeaderMap::new(), body: body.into() };
        assert_eq!(reply(r#"{"message":"Not Found"}"#).message(), "Not Found");
        assert_eq!(reply("  plain text ").message(), "plain text");
        assert_eq!(short(&"x".repeat(400)).chars().count(), 301);
    }

    #[tokio::test]
    async fn an_unreachable_url_is_named_with_its_setting_and_never_the_token() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}");
        let source =
            TokenSource::fixed_with("gh", Credential { token: Secret::new("ghp_s3cr3t"), scheme: Scheme::Bearer });
        let endpoint = Endpoint { target: "gh".into(), url: url.clone(), setting: "api_url" };
        let transport = Transport::new(endpoint, source, false, &[401]).unwrap();
        let e =
            transport.send("list issues", ErrorKind::Transient, |c| c.get(format!("{url}/user"))).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Fatal, "{e}");
        assert!(e.message.starts_with(&format!("cannot reach `{url}` (")), "{e}");
        assert!(e.message.contains("check `api_url` of target `gh`"), "{e}");
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        assert_eq!(transport.requests(), 1);
    }
}
