//! A started twin and a small authenticated client for the Azure twin suites.

use backlog_twins::azure::{AzureTwin, AzureTwinConfig, Process, RateLimit};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};

pub const TOKEN: &str = "twin-pat";
pub const API: &str = "api-version=7.1";
pub const PREVIEW: &str = "api-version=7.1-preview.4";
/// The organization's members (who can be assigned): the tests' people and the spec examples'.
pub const MEMBERS: [&str; 7] = [
    "Ann Lee <ann@contoso.com>",
    "Bo Chen <bo@contoso.com>",
    "Jamal Hartnett <fabrikamfiber4@hotmail.com>",
    "Christie Church <fabrikamfiber1@hotmail.com>",
    "Chuck Reinhart <fabrikamfiber3@hotmail.com>",
    "Fabrikam Fiber <fabrikamfiber1@outlook.com>",
    "Raisa Pokrovskaya <fabrikamfiber5@hotmail.com>",
];

/// A running twin with a client that signs in with the PAT.
pub struct Twin {
    pub twin: AzureTwin,
    pub client: reqwest::Client,
}

/// What the twin answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub async fn start(projects: &[(&str, Process)]) -> Twin {
    start_with(projects, Some(RateLimit::default())).await
}

pub async fn start_with(projects: &[(&str, Process)], rate_limit: Option<RateLimit>) -> Twin {
    let twin = AzureTwin::start(AzureTwinConfig {
        token: TOKEN.into(),
        projects: projects.iter().map(|(n, p)| (n.to_string(), *p)).collect(),
        rate_limit,
        members: MEMBERS.iter().map(|m| m.to_string()).collect(),
        ..AzureTwinConfig::default()
    })
    .await
    .expect("twin starts");
    Twin { twin, client: reqwest::Client::new() }
}

impl Twin {
    /// `{organization url}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.twin.organization_url())
    }

    /// Sends a request with basic auth (`:PAT`) and reads the JSON answer (or text as a string).
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>, content_type: &str) -> Answer {
        let mut request = self.client.request(method, self.url(path)).basic_auth("", Some(TOKEN));
        if let Some(body) = body {
            request = request.header("content-type", content_type).body(body.to_string());
        }
        let response = request.send().await.expect("twin answers");
        read(response).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, "").await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body), "application/json").await
    }

    pub async fn patch_doc(&self, path: &str, ops: Value) -> Answer {
        self.send(Method::PATCH, path, Some(ops), "application/json-patch+json").await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(body), "application/json").await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None, "").await
    }

    /// Creates a work item with these fields; panics unless the twin answers 200.
    pub async fn create(&self, project: &str, kind: &str, fields: &[(&str, Value)]) -> Value {
        let ops: Vec<Value> =
            fields.iter().map(|(f, v)| json!({"op": "add", "path": format!("/fields/{f}"), "value": v})).collect();
        let path = format!("/{project}/_apis/wit/workitems/${}?{API}", kind.replace(' ', "%20"));
        let answer = self.send(Method::POST, &path, Some(json!(ops)), "application/json-patch+json").await;
        assert_eq!(answer.status, StatusCode::OK, "create {kind}: {}", answer.body);
        answer.body
    }

    /// Updates a work item; answers what the twin said.
    pub async fn update(&self, id: i64, ops: Value) -> Answer {
        self.patch_doc(&format!("/_apis/wit/workitems/{id}?{API}"), ops).await
    }

    /// The twin's control URL (`http://127.0.0.1:PORT/_twin/...`).
    pub fn control(&self, path: &str) -> String {
        format!("{}/_twin/{path}", self.twin.base_url())
    }
}

pub async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, headers, body }
}

/// The Azure error body shape every refusal carries.
pub fn assert_azure_error(answer: &Answer, status: u16, type_key: &str, code: &str) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    let body = &answer.body;
    assert_eq!(body["$id"], "1");
    assert!(body["innerException"].is_null());
    assert_eq!(body["typeKey"], type_key, "{body}");
    assert!(body["typeName"].as_str().unwrap().contains(type_key));
    assert_eq!(body["errorCode"], 0);
    assert!(body["eventId"].is_number());
    assert!(body["message"].as_str().unwrap().starts_with(code), "{body}");
}
