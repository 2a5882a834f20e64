//! The checks every API request passes, in the service's order: the organization, credentials
//! (PAT as the basic-auth password with any user name, or `Bearer`; without them the sign-in
//! page with 203, or 401 under `X-TFS-FedAuthRedirect: Suppress`), the request budget (429 with
//! the rate-limit headers) and `api-version` (query or `Accept` header; preview flag where needed).

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::azure::entra::TokenCheck;
use crate::azure::errors::AzureError;
use crate::azure::state::AzureState;
use crate::azure::throttle::{RESOURCE, Verdict};

/// The newest version the twin serves.
pub const LATEST: (u32, u32) = (7, 2);

/// The `api-version` a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersion {
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
    /// Whether `-preview` was given.
    pub preview: bool,
}

impl ApiVersion {
    /// Parses `7.1`, `7.1-preview`, `7.1-preview.4`.
    pub fn parse(text: &str) -> Option<ApiVersion> {
        let text = text.trim();
        let (number, preview) = match text.split_once('-') {
            Some((number, rest)) => {
                let rest = rest.to_ascii_lowercase();
                let ok = rest == "preview" || rest.strip_prefix("preview.").is_some_and(|n| n.parse::<u32>().is_ok());
                if !ok {
                    return None;
                }
                (number, true)
            }
            None => (text, false),
        };
        let (major, minor) = number.split_once('.').unwrap_or((number, "0"));
        Some(ApiVersion { major: major.parse().ok()?, minor: minor.parse().ok()?, preview })
    }

    /// Whether the version is before `major.minor`.
    pub fn before(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) < (major, minor)
    }
}

fn version_from(request: &Request) -> Option<String> {
    let query = request.uri().query().unwrap_or_default();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key.eq_ignore_ascii_case("api-version") {
            return Some(value.replace("%2D", "-").replace("%2d", "-"));
        }
    }
    let accept = request.headers().get("accept")?.to_str().ok()?;
    accept.split(';').map(str::trim).find_map(|part| {
        let (key, value) = part.split_once('=')?;
        key.trim().eq_ignore_ascii_case("api-version").then(|| value.trim().to_string())
    })
}

/// Whether the headers carry the twin's token (basic with any user, or bearer).
pub fn authorized(headers: &HeaderMap, token: &str) -> bool {
    use base64::Engine;
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => base64::engine::general_purpose::STANDARD
            .decode(credentials.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|pair| pair.split_once(':').map(|(_, pat)| pat == token))
            .unwrap_or(false),
        "bearer" => credentials.trim() == token,
        _ => false,
    }
}

/// What the service answers missing or wrong credentials with: unless the client asked for a
/// plain 401 with `X-TFS-FedAuthRedirect: Suppress`, `203 Non-Authoritative Information` and the
/// HTML sign-in page (a client that only checks for 2xx then reads HTML as if it were JSON).
fn refuse_credentials(headers: &HeaderMap, base: &str) -> Response {
    let suppress = headers
        .get("x-tfs-fedauthredirect")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("suppress"));
    if suppress {
        return AzureError::Unauthorized.into_response();
    }
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en-US\"><head><title>Azure DevOps Services | Sign In</title>\
         <meta http-equiv=\"X-UA-Compatible\" content=\"IE=11;&#32;IE=10;&#32;IE=9;&#32;IE=8\" /></head>\
         <body><form id=\"signin\" action=\"{base}/_signin\" method=\"post\"><p>Sign in to continue to Azure DevOps.</p>\
         </form></body></html>\n"
    );
    let mut response = (axum::http::StatusCode::NON_AUTHORITATIVE_INFORMATION, page).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("text/html; charset=utf-8"));
    response
}

fn with_headers(mut response: Response, headers: &[(&'static str, String)]) -> Response {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// The middleware in front of every API route.
pub async fn guard(State(state): State<Arc<AzureState>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let organization = path.trim_start_matches('/').split('/').next().unwrap_or_default();
    if !organization.eq_ignore_ascii_case(&state.organization) {
        return AzureError::RouteNotFound.into_response();
    }
    if !authorized(request.headers(), &state.token) {
        let bearer = request.headers().get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
        });
        match bearer.as_deref().map(|t| state.entra.check(t)) {
            Some(TokenCheck::Valid) => {}
            // An expired Entra ID token: the service answers 401 and says where to get a new one.
            Some(TokenCheck::Expired) => {
                let mut response = AzureError::Unauthorized.into_response();
                response.headers_mut().insert(
                    "www-authenticate",
                    HeaderValue::from_static("Bearer authorization_uri=https://login.microsoftonline.com/common"),
                );
                return response;
            }
            _ => return refuse_credentials(request.headers(), &state.base),
        }
    }
    let verdict = state.throttle.lock().expect("throttle lock").check(Instant::now(), SystemTime::now());
    let advisory = match verdict {
        Verdict::Refuse(headers) => {
            state.control.record_rate_limited();
            let refusal = AzureError::RateLimited { resource: RESOURCE.to_string() }.into_response();
            return with_headers(refusal, &headers);
        }
        Verdict::Allow(headers) => headers,
    };
    let method = request.method().to_string();
    // Resource-location discovery (`OPTIONS {organization}/_apis`) is asked without a version.
    if request.method() == axum::http::Method::OPTIONS {
        let response = next.run(request).await;
        return with_headers(response, &advisory);
    }
    let version = match version_from(&request) {
        None => return AzureError::ApiVersionMissing { method }.into_response(),
        Some(raw) => match ApiVersion::parse(&raw) {
            None => return AzureError::ApiVersionInvalid { raw }.into_response(),
            Some(v) if !v.before(LATEST.0, LATEST.1 + 1) => {
                return AzureError::ApiVersionOutOfRange {
                    version: format!("{}.{}", v.major, v.minor),
                    latest: format!("{}.{}", LATEST.0, LATEST.1),
                }
                .into_response();
            }
            // Comments are preview at every version, and so is all of the newest version.
            Some(v) if !v.preview && (path.contains("/comments") || (v.major, v.minor) == LATEST) => {
                return AzureError::PreviewRequired { version: format!("{}.{}", v.major, v.minor) }.into_response();
            }
            Some(v) => v,
        },
    };
    request.extensions_mut().insert(version);
    let response = next.run(request).await;
    with_headers(response, &advisory)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_api_versions() {
        let cases = [
            ("7.1", Some((7, 1, false))),
            ("7.1-preview.4", Some((7, 1, true))),
            ("5.1-Preview", Some((5, 1, true))),
            ("7", Some((7, 0, false))),
            ("seven", None),
            ("7.1-beta", None),
        ];
        for (text, want) in cases {
            assert_eq!(ApiVersion::parse(text).map(|v| (v.major, v.minor, v.preview)), want, "{text}");
        }
    }

    #[test]
    fn accepts_the_token_as_basic_password_or_bearer() {
        use base64::Engine;
        let basic = |pair: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair));
        let cases = [
            (basic("anyone:pat"), true),
            (basic(":pat"), true),
            (basic("pat:other"), false),
            ("Bearer pat".to_string(), true),
            ("bearer nope".to_string(), false),
            ("token pat".to_string(), false),
        ];
        for (value, want) in cases {
            let mut headers = HeaderMap::new();
            headers.insert("authorization", value.parse().unwrap());
            assert_eq!(authorized(&headers, "pat"), want, "{value}");
        }
        assert!(!authorized(&HeaderMap::new(), "pat"));
    }
}
