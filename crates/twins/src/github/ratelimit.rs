//! Authentication, rate limits and conditional requests for the GitHub twin: the token check, the
//! primary hourly limit, the secondary content-creation limits, `x-ratelimit-*` headers on every
//! answer, `ETag`s, and `If-None-Match` → 304 that costs no quota. Also `GET /rate_limit`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::GithubState;
use super::errors::{ApiError, DOCS, docs};

/// Requests per hour GitHub allows without a token.
const UNAUTHENTICATED_LIMIT: u32 = 60;
/// Largest body the twin buffers to compute an `ETag`.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The counters behind the rate limits.
#[derive(Debug)]
pub struct RateLimits {
    limit: u32,
    used: u32,
    reset: i64,
    per_minute: usize,
    per_hour: usize,
    /// How long the content limits' "minute" lasts; their "hour" is sixty of them.
    minute: Duration,
    content: VecDeque<Instant>,
}

/// One resource's numbers as the headers and `GET /rate_limit` report them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub remaining: u32,
    pub used: u32,
    pub reset: i64,
}

impl RateLimits {
    /// Fresh counters for a primary limit per hour and content limits per minute and hour.
    pub fn new(limit: u32, per_minute: u32, per_hour: u32) -> RateLimits {
        RateLimits {
            limit,
            used: 0,
            reset: 0,
            per_minute: per_minute as usize,
            per_hour: per_hour as usize,
            minute: Duration::from_secs(60),
            content: VecDeque::new(),
        }
    }

    /// Lets the content limits' minute last `minute` (their hour, sixty of them): a benchmark
    /// runs a paced hour of writes in a minute this way. The primary limit keeps real time.
    pub fn with_minute(mut self, minute: Duration) -> RateLimits {
        self.minute = minute.max(Duration::from_millis(1));
        self
    }

    fn roll(&mut self, now: i64) {
        if now >= self.reset {
            self.used = 0;
            self.reset = now + 3600;
        }
    }

    /// The primary quota at `now` (epoch seconds).
    pub fn quota(&mut self, now: i64) -> Quota {
        self.roll(now);
        Quota { limit: self.limit, remaining: self.limit.saturating_sub(self.used), used: self.used, reset: self.reset }
    }

    /// Counts one request against the primary limit.
    pub fn charge(&mut self, now: i64) {
        self.roll(now);
        self.used = self.used.saturating_add(1);
    }

    /// Admits one content-creating request at `at`, or says how many seconds to wait.
    pub fn admit_content(&mut self, at: Instant) -> Result<(), u64> {
        let (minute, hour) = (self.minute, self.minute * 60);
        while self.content.front().is_some_and(|t| at.duration_since(*t) >= hour) {
            self.content.pop_front();
        }
        let in_minute: Vec<&Instant> = self.content.iter().filter(|t| at.duration_since(**t) < minute).collect();
        let wait = if in_minute.len() >= self.per_minute {
            Some(minute - at.duration_since(*in_minute[in_minute.len() - self.per_minute]))
        } else if self.content.len() >= self.per_hour {
            let oldest = self.content[self.content.len() - self.per_hour];
            Some(hour - at.duration_since(oldest))
        } else {
            None
        };
        match wait {
            Some(wait) => Err(wait.as_secs_f64().ceil().max(1.0) as u64),
            None => {
                self.content.push_back(at);
                Ok(())
            }
        }
    }
}

/// What the `Authorization` header says.
fn token_of(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")).then_some(token.trim())
}

fn quota_headers(response: &mut Response, quota: Quota) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(quota.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(quota.remaining));
    headers.insert("x-ratelimit-used", HeaderValue::from(quota.used));
    headers.insert("x-ratelimit-reset", HeaderValue::from(quota.reset));
    headers.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
    headers.insert("x-github-api-version-selected", HeaderValue::from_static("2022-11-28"));
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        headers.insert("x-github-request-id", id);
    }
}

fn request_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    format!("{}:{}:{}", &id[0..4], &id[4..10], &id[10..18])
}

/// Whether a request creates content for the secondary limit (every write to the API).
fn creates_content(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PATCH | Method::PUT | Method::DELETE)
}

/// The GitHub twin's outer layer on its API routes (inside the shared control middleware).
pub async fn github_layer(State(state): State<Arc<GithubState>>, request: Request, next: Next) -> Response {
    let now = chrono::Utc::now().timestamp();
    let token = token_of(request.headers()).map(str::to_string);
    let mut actor = None;
    if let Some(t) = token.as_deref().filter(|t| *t != state.config.token) {
        match state.apps.check(t) {
            super::apps::TokenCheck::Valid(login) => actor = Some(login),
            // An expired installation token: GitHub's 401 for any token it no longer takes.
            super::apps::TokenCheck::Expired | super::apps::TokenCheck::Unknown => {}
        }
    }
    if token.as_deref() != Some(state.config.token.as_str()) && actor.is_none() {
        let message = if token.is_some() || request.headers().contains_key("authorization") {
            "Bad credentials"
        } else {
            "Requires authentication"
        };
        let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message, DOCS).into_response();
        let quota =
            Quota { limit: UNAUTHENTICATED_LIMIT, remaining: UNAUTHENTICATED_LIMIT, used: 0, reset: now + 3600 };
        quota_headers(&mut response, quota);
        return response;
    }
    let free = request.uri().path() == "/rate_limit";
    let method = request.method().clone();
    let refused = {
        let mut limits = state.limits.lock().expect("rate limit lock");
        if !free && limits.quota(now).remaining == 0 {
            Some(primary_refusal(&state, &mut limits, now))
        } else if creates_content(&method) {
            match limits.admit_content(Instant::now()) {
                Ok(()) => None,
                Err(wait) => {
                    limits.charge(now);
                    Some(secondary_refusal(wait, limits.quota(now)))
                }
            }
        } else {
            None
        }
    };
    if let Some(response) = refused {
        state.control.record_rate_limited();
        return response;
    }
    let if_none_match = request.headers().get("if-none-match").cloned();
    let response = match actor {
        Some(login) => super::apps::ACTOR.scope(login, next.run(request)).await,
        None => next.run(request).await,
    };
    let (response, conditional_hit) = with_etag(response, &method, if_none_match).await;
    let mut limits = state.limits.lock().expect("rate limit lock");
    if !free && !conditional_hit {
        limits.charge(now);
    }
    let mut response = response;
    quota_headers(&mut response, limits.quota(now));
    response
}

/// Adds the current quota headers (without charging) to an answer made outside this layer, such
/// as an injected fault.
pub fn current_headers(state: &GithubState, response: &mut Response) {
    let now = chrono::Utc::now().timestamp();
    let quota = state.limits.lock().expect("rate limit lock").quota(now);
    quota_headers(response, quota);
}

fn primary_refusal(state: &GithubState, limits: &mut RateLimits, now: i64) -> Response {
    let user_id = state.store.lock().expect("store lock").user_id(&state.config.login);
    let message = format!(
        "API rate limit exceeded for user ID {user_id}. If you reach out to GitHub Support for \
         help, please include the request ID {} and timestamp {}.",
        request_id(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
    );
    let mut response = ApiError::new(StatusCode::FORBIDDEN, message, docs::RATE_LIMITS).into_response();
    quota_headers(&mut response, limits.quota(now));
    response
}

fn secondary_refusal(wait: u64, quota: Quota) -> Response {
    let message = format!(
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try \
         again. If you reach out to GitHub Support for help, please include the request ID {}.",
        request_id()
    );
    let mut response = ApiError::new(StatusCode::FORBIDDEN, message, docs::SECONDARY).into_response();
    quota_headers(&mut response, quota);
    response.headers_mut().insert("retry-after", HeaderValue::from(wait));
    response
}

/// Adds a weak `ETag` to successful GETs and answers 304 (empty body) when `If-None-Match`
/// carries it; the bool says whether it was a conditional hit.
async fn with_etag(response: Response, method: &Method, if_none_match: Option<HeaderValue>) -> (Response, bool) {
    if !(method == Method::GET || method == Method::HEAD) || response.status() != StatusCode::OK {
        return (response, false);
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR.into_response(), false);
    };
    let etag = format!("W/\"{}\"", hex::encode(Sha256::digest(&bytes)));
    let hit = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == "*" || strip_weak(tag.trim()) == strip_weak(&etag)));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        parts.headers.insert("etag", value);
    }
    if let Ok(value) = HeaderValue::from_str(&last_modified(&bytes)) {
        parts.headers.insert("last-modified", value);
    }
    if hit {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove("content-type");
        parts.headers.remove("content-length");
        return (Response::from_parts(parts, Body::empty()), true);
    }
    (Response::from_parts(parts, Body::from(bytes)), false)
}

/// `Last-Modified` of a read, as GitHub sends it (an HTTP date): the newest `updated_at` in the
/// answer, or now when it holds none.
fn last_modified(bytes: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let newest = match &value {
        serde_json::Value::Array(items) => items.iter().filter_map(updated_at).max(),
        other => updated_at(other),
    };
    newest.unwrap_or_else(chrono::Utc::now).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn updated_at(value: &serde_json::Value) -> Option<chrono::DateTime<chrono::Utc>> {
    value.get("updated_at")?.as_str()?.parse().ok()
}

fn strip_weak(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// `GET /rate_limit`: the quota overview; costs no quota.
pub async fn get_rate_limit(State(state): State<Arc<GithubState>>) -> Response {
    let now = chrono::Utc::now().timestamp();
    let quota = state.limits.lock().expect("rate limit lock").quota(now);
    let core = json!({
        "limit": quota.limit, "remaining": quota.remaining, "reset": quota.reset, "used": quota.used,
    });
    let other = |limit: u32| json!({ "limit": limit, "remaining": limit, "reset": now + 3600, "used": 0 });
    Json(json!({
        "resources": {
            "core": core,
            "search": other(30),
            "graphql": other(5000),
            "integration_manifest": other(5000),
            "code_scanning_upload": other(500),
        },
        "rate": core,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_limit_refuses_the_request_past_the_minute_budget() {
        let mut limits = RateLimits::new(5000, 3, 10);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limits.admit_content(start), Ok(()));
        }
        assert_eq!(limits.admit_content(start + Duration::from_secs(10)), Err(50));
        assert_eq!(limits.admit_content(start + Duration::from_secs(60)), Ok(()));
    }

    #[test]
    fn a_shorter_minute_scales_both_content_windows() {
        let mut limits = RateLimits::new(5000, 2, 3).with_minute(Duration::from_millis(600));
        let start = Instant::now();
        assert_eq!(limits.admit_content(start), Ok(()));
        assert_eq!(limits.admit_content(start), Ok(()));
        assert_eq!(limits.admit_content(start + Duration::from_millis(100)), Err(1), "minute full");
        assert_eq!(limits.admit_content(start + Duration::from_millis(600)), Ok(()));
        assert_eq!(limits.admit_content(start + Duration::from_millis(1300)), Err(35), "hour full");
        assert_eq!(limits.admit_content(start + Duration::from_secs(36)), Ok(()));
    }

    #[test]
    fn primary_quota_rolls_over_each_hour() {
        let mut limits = RateLimits::new(2, 80, 500);
        limits.charge(1000);
        limits.charge(1000);
        assert_eq!(limits.quota(1000).remaining, 0);
        assert_eq!(limits.quota(1000).reset, 4600);
        assert_eq!(limits.quota(4600).remaining, 2);
    }

    #[test]
    fn tokens_are_read_from_either_scheme() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("token abc"));
        assert_eq!(token_of(&headers), Some("abc"));
        headers.insert("authorization", HeaderValue::from_static("Bearer abc"));
        assert_eq!(token_of(&headers), Some("abc"));
        headers.insert("authorization", HeaderValue::from_static("Basic abc"));
        assert_eq!(token_of(&headers), None);
    }
}
