//! The GitHub twin checked against GitHub's own descriptions, an unmodified octocrab, a webhook
//! receiver, and the documented rate limits; plus its control API and injected faults.

mod contract;
mod faults;
mod limits;
mod listing;
mod pulls;
mod schemas;
mod stats;
mod strict;
mod webhooks;
mod with_octocrab;

use backlog_twins::github::{GithubTwin, GithubTwinConfig};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The token every test twin accepts.
pub const TOKEN: &str = "ghp_twin_test_token";
/// The repository every test twin starts with.
pub const REPO: &str = "contoso/onboarding";

/// A twin with the default limits and one repository.
pub async fn start() -> GithubTwin {
    start_with(|_| {}).await
}

/// A twin with the config adjusted by `change`.
pub async fn start_with(change: impl FnOnce(&mut GithubTwinConfig)) -> GithubTwin {
    let mut config = GithubTwinConfig {
        port: 0,
        token: TOKEN.into(),
        repositories: vec![REPO.into()],
        collaborators: vec!["alice".into()],
        ..GithubTwinConfig::default()
    };
    change(&mut config);
    GithubTwin::start(config).await.expect("twin starts")
}

/// A plain HTTP client for the twin that sends the token.
pub struct Api {
    pub base: String,
    client: reqwest::Client,
}

/// One answer: status, headers and the body as JSON (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Api {
    pub fn new(twin: &GithubTwin) -> Api {
        Api { base: twin.base_url(), client: reqwest::Client::new() }
    }

    /// Sends a request with the token and optional extra headers.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("accept", "application/vnd.github+json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("twin answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("JSON body") };
        Answer { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(body), &[]).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(body), &[]).await
    }

    pub async fn delete(&self, path: &str, body: Option<Value>) -> Answer {
        self.send(Method::DELETE, path, body, &[]).await
    }

    /// A control route (no token).
    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("twin answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("JSON body") };
        Answer { status, headers, body }
    }
}
