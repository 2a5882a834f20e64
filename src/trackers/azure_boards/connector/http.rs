//! Requests to the Azure DevOps REST API through the shared transport (`connector::http`): PAT
//! (basic) or bearer auth, `api-version`, error classification (412 is a failed revision check),
//! the sign-in page that is not data, and a pause before the next request when the service sent
//! `Retry-After` or `X-RateLimit-Delay`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};

use crate::auth::TokenSource;
pub use crate::connector::http::Reply;
use crate::connector::http::{Endpoint, Transport, short};
use crate::connector::{ErrorKind, RemoteError};

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

/// The HTTP side of the connector.
pub struct Http {
    transport: Transport,
    not_before: Mutex<Option<Instant>>,
}

/// The shared transport's target, token source, budget, request count and errors.
impl std::ops::Deref for Http {
    type Target = Transport;

    fn deref(&self) -> &Transport {
        &self.transport
    }
}

impl Http {
    /// The connector's HTTP side for `target` at `organization_url`, with `source`'s tokens.
    pub fn new(target: &str, organization_url: &str, source: TokenSource) -> Result<Http, RemoteError> {
        let endpoint = Endpoint { target: target.into(), url: organization_url.into(), setting: "organization_url" };
        // A refused PAT may come back as 203 and a sign-in page rather than 401.
        let transport = Transport::new(endpoint, source, true, &[401, 203])?;
        Ok(Http { transport, not_before: Mutex::new(None) })
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
        let wait = self.not_before.lock().expect("pause lock").and_then(|t| t.checked_duration_since(Instant::now()));
        if let Some(wait) = wait {
            crate::connector::wait::report(crate::connector::wait::Wait {
                target: self.target().to_string(),
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
        // A write whose connection broke may have been applied: its outcome is unknown.
        let broken = if writes { ErrorKind::UnknownOutcome } else { ErrorKind::Transient };
        let reply = self
            .transport
            .send(operation, broken, |client| {
                let mut request = client
                    .request(method.clone(), &full)
                    .header(ACCEPT, "application/json")
                    // Without it, refused credentials come back as 203 and an HTML sign-in page.
                    .header("X-TFS-FedAuthRedirect", "Suppress");
                if let Some((content_type, text)) = &body {
                    request = request.header(CONTENT_TYPE, *content_type).body(text.clone());
                }
                request
            })
            .await?;
        self.note_pause(&reply.headers);
        let status = reply.status;
        if status == reqwest::StatusCode::NON_AUTHORITATIVE_INFORMATION || is_html(&reply) {
            let source = self.transport.source();
            let msg = format!(
                "Azure DevOps answered with its sign-in page (HTTP {}) instead of data: {} of target `{}` is \
                 missing, expired or not accepted; check {}",
                status.as_u16(),
                source.describe(),
                self.target(),
                source.setting_hint()
            );
            return Err(self.error(operation, ErrorKind::Fatal, Some(status.as_u16()), msg));
        }
        if status.is_success() {
            return Ok(reply);
        }
        Err(self.classify(operation, &reply))
    }

    /// `Retry-After` may come on a 200 too; `X-RateLimit-Delay` says the service is slowing us.
    fn note_pause(&self, headers: &HeaderMap) {
        let num = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok());
        let pause = num("retry-after").or_else(|| num("x-ratelimit-delay")).filter(|s| *s > 0.0);
        if let Some(seconds) = pause {
            let until = Instant::now() + Duration::from_secs_f64(seconds.min(300.0));
            *self.not_before.lock().expect("pause lock") = Some(until);
        }
    }

    fn classify(&self, operation: &str, reply: &Reply) -> RemoteError {
        let status = reply.status.as_u16();
        let message = reply.message();
        let source = self.transport.source();
        let retry_after = reply.header("retry-after").and_then(|v| v.parse::<f64>().ok()).map(Duration::from_secs_f64);
        let kind = match status {
            401 => {
                let msg = format!(
                    "Azure DevOps refused {} ({}); check {} of target `{}`",
                    source.describe(),
                    short(&message),
                    source.setting_hint(),
                    self.target()
                );
                return self.error(operation, ErrorKind::Fatal, Some(status), msg);
            }
            403 => {
                let msg = format!(
                    "Azure DevOps denied access ({}); give the token of target `{}` the Work Items (read & write) scope",
                    short(&message),
                    self.target()
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

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
        let http = Http::new("boards", "https://dev.azure.com/contoso", source).unwrap();
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
