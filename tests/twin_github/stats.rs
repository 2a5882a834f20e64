//! The control API: `/_twin/stats` counts what was asked (and nothing else), reset empties data
//! and counters, seed loads data as people would have made it.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Api, start};

const R: &str = "/repos/contoso/onboarding";

#[tokio::test]
async fn stats_count_requests_writes_and_operations_but_not_control_routes() {
    let twin = start().await;
    let api = Api::new(&twin);
    api.get(&format!("{R}/issues")).await;
    api.get(&format!("{R}/issues?state=all")).await;
    api.post(&format!("{R}/issues"), json!({"title": "one"})).await;
    api.patch(&format!("{R}/issues/1"), json!({"body": "text"})).await;
    api.get(&format!("{R}/issues/1")).await;
    api.get("/rate_limit").await;
    api.control(Method::GET, "/_twin/faults", None).await;
    let stats = api.control(Method::GET, "/_twin/stats", None).await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(
        stats.body,
        json!({
            "requests": 6,
            "writes": 2,
            "rate_limited": 0,
            "by_operation": {
                "GET /repos/{owner}/{repo}/issues": 2,
                "POST /repos/{owner}/{repo}/issues": 1,
                "PATCH /repos/{owner}/{repo}/issues/{issue_number}": 1,
                "GET /repos/{owner}/{repo}/issues/{issue_number}": 1,
                "GET /rate_limit": 1,
            }
        })
    );
    assert_eq!(twin.stats().requests, 6, "the Rust handle reads the same counters");
}

#[tokio::test]
async fn reset_empties_data_and_counters_and_seed_loads_repositories_and_issues() {
    let twin = start().await;
    let api = Api::new(&twin);
    api.post(&format!("{R}/issues"), json!({"title": "gone soon"})).await;
    let reset = api.control(Method::POST, "/_twin/reset", None).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert_eq!(twin.stats().requests, 0);
    assert_eq!(api.get(&format!("{R}/issues")).await.body, json!([]));
    let created = api.post(&format!("{R}/issues"), json!({"title": "numbers restart"})).await;
    assert_eq!(created.body["number"], 1);

    assert_eq!(api.get("/repos/contoso/other/issues").await.status, StatusCode::NOT_FOUND);
    let seeded = api
        .control(Method::POST, "/_twin/seed", Some(json!({
            "repositories": ["contoso/other"],
            "milestones": [{"repository": "contoso/other", "title": "M1"}],
            "issues": [
                {"repository": "contoso/other", "title": "Epic", "labels": ["epic"], "milestone": "M1",
                 "user": "bob", "created_at": "2024-01-02T03:04:05Z", "comments": [{"body": "hi", "user": "carol"}]},
                {"repository": "contoso/other", "title": "Story", "parent": 1, "state": "closed"},
            ],
        })))
        .await;
    assert_eq!(seeded.status, StatusCode::OK, "{:#}", seeded.body);
    assert_eq!(seeded.body["issues"].as_array().unwrap().len(), 2);
    let epic = api.get("/repos/contoso/other/issues/1").await;
    assert_eq!(epic.body["user"]["login"], "bob");
    assert_eq!(epic.body["created_at"], "2024-01-02T03:04:05Z");
    assert_eq!(epic.body["comments"], 1);
    assert_eq!(epic.body["milestone"]["title"], "M1");
    assert_eq!(epic.body["sub_issues_summary"]["completed"], 1);
    let story = api.get("/repos/contoso/other/issues/2").await;
    assert_eq!(story.body["state_reason"], "completed");
    assert!(story.body["parent_issue_url"].as_str().unwrap().ends_with("/repos/contoso/other/issues/1"));
    let bad = api.control(Method::POST, "/_twin/seed", Some(json!({"issues": [{"title": "where?"}]}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["message"].as_str().unwrap().contains("`repository`"));
    assert!(twin.stats().by_operation.keys().all(|k| !k.contains("_twin")));
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_githubs_404() {
    let twin = start().await;
    let api = Api::new(&twin);
    for answer in
        [api.get("/repos/contoso/onboarding/projects").await, api.put(&format!("{R}/issues"), json!({})).await]
    {
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.body["message"], "Not Found");
    }
}
