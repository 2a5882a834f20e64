//! Injected faults: an error status, 429 with `Retry-After`, latency, and a connection dropped
//! after the write was applied — each consumed as it fires.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Api, TOKEN, start};

const R: &str = "/repos/contoso/onboarding";

async fn arm(api: &Api, rule: serde_json::Value) {
    let armed = api.control(Method::POST, "/_twin/faults", Some(rule)).await;
    assert_eq!(armed.status, StatusCode::CREATED, "{:#}", armed.body);
}

#[tokio::test]
async fn a_status_fault_answers_with_githubs_error_shape_then_is_used_up() {
    let twin = start().await;
    let api = Api::new(&twin);
    api.post(&format!("{R}/issues"), json!({"title": "x"})).await;
    arm(&api, json!({"method": "GET", "path": "/repos/*/*/issues/*", "count": 2, "status": 503})).await;
    for _ in 0..2 {
        let failed = api.get(&format!("{R}/issues/1")).await;
        assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(failed.body["status"], "503");
        assert!(failed.body["message"].is_string() && failed.body["documentation_url"].is_string());
    }
    assert_eq!(api.get(&format!("{R}/issues")).await.status, StatusCode::OK, "other paths unaffected");
    assert_eq!(api.get(&format!("{R}/issues/1")).await.status, StatusCode::OK, "used up after 2");
    let left = api.control(Method::GET, "/_twin/faults", None).await;
    assert_eq!(left.body["faults"], json!([]));
}

#[tokio::test]
async fn a_429_fault_sends_retry_after_and_counts_as_rate_limited() {
    let twin = start().await;
    let api = Api::new(&twin);
    arm(&api, json!({"method": "POST", "path": "/repos/**", "retry_after": 7})).await;
    let limited = api.post(&format!("{R}/issues"), json!({"title": "later"})).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.header("retry-after"), Some("7"));
    assert_eq!(twin.stats().rate_limited, 1);
    let listed = api.get(&format!("{R}/issues")).await;
    assert_eq!(listed.body, json!([]), "a refused write is not applied");
    assert_eq!(api.post(&format!("{R}/issues"), json!({"title": "now"})).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_latency_fault_delays_the_answer() {
    let twin = start().await;
    let api = Api::new(&twin);
    arm(&api, json!({"path": "/repos/*/*/issues", "latency_ms": 300})).await;
    let started = Instant::now();
    assert_eq!(api.get(&format!("{R}/issues")).await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn drop_after_write_applies_the_write_and_the_client_sees_a_connection_error() {
    let twin = start().await;
    let api = Api::new(&twin);
    api.post(&format!("{R}/issues"), json!({"title": "before"})).await;
    arm(&api, json!({"method": "PATCH", "path": "/repos/*/*/issues/*", "drop_after_write": true})).await;
    let result = reqwest::Client::new()
        .patch(format!("{}{R}/issues/1", api.base))
        .bearer_auth(TOKEN)
        .json(&json!({"title": "after"}))
        .send()
        .await;
    let error = result.expect_err("no answer");
    assert!(!error.is_status() && !error.is_timeout(), "{error}");
    assert_eq!(api.get(&format!("{R}/issues/1")).await.body["title"], "after", "the write was applied");
}

#[tokio::test]
async fn a_bad_fault_rule_is_refused_with_a_reason() {
    let twin = start().await;
    let api = Api::new(&twin);
    let refused = api.control(Method::POST, "/_twin/faults", Some(json!({"path": "/x", "status": 200}))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body["message"].as_str().unwrap().contains("`status`"));
}
