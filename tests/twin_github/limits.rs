//! Rate limits as GitHub applies them: headers on every answer, conditional requests that cost
//! nothing, the secondary content-creation limit, and the primary hourly limit.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Api, start, start_with};

const R: &str = "/repos/contoso/onboarding";

fn remaining(answer: &super::Answer) -> u32 {
    answer.header("x-ratelimit-remaining").expect("remaining header").parse().unwrap()
}

#[tokio::test]
async fn a_conditional_304_costs_no_quota() {
    let twin = start().await;
    let api = Api::new(&twin);
    api.post(&format!("{R}/issues"), json!({"title": "cached"})).await;
    let first = api.get(&format!("{R}/issues/1")).await;
    let etag = first.header("etag").expect("etag on reads").to_string();
    assert!(etag.starts_with("W/\""));
    let before = remaining(&first);
    for _ in 0..3 {
        let again = api.send(Method::GET, &format!("{R}/issues/1"), None, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert!(again.body.is_null(), "304 has no body");
        assert_eq!(remaining(&again), before, "a 304 costs no quota");
        assert_eq!(again.header("etag"), Some(etag.as_str()));
    }
    api.patch(&format!("{R}/issues/1"), json!({"title": "changed"})).await;
    let changed = api.send(Method::GET, &format!("{R}/issues/1"), None, &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status, StatusCode::OK, "a change makes the old ETag stale");
    assert_eq!(remaining(&changed), before - 2);
}

#[tokio::test]
async fn the_81st_content_creating_request_in_a_minute_is_refused_like_github_refuses_it() {
    let twin = start().await;
    let api = Api::new(&twin);
    let created = api.post(&format!("{R}/issues"), json!({"title": "busy"})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    for n in 2..=80 {
        let comment = api.post(&format!("{R}/issues/1/comments"), json!({"body": format!("comment {n}")})).await;
        assert_eq!(comment.status, StatusCode::CREATED, "request {n} is within the limit");
    }
    let refused = api.post(&format!("{R}/issues/1/comments"), json!({"body": "one too many"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let message = refused.body["message"].as_str().unwrap();
    assert!(message.starts_with("You have exceeded a secondary rate limit"), "{message}");
    assert!(refused.body["documentation_url"].as_str().unwrap().contains("secondary-rate-limits"));
    let retry_after: u64 = refused.header("retry-after").expect("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "retry-after {retry_after}");
    assert!(refused.header("x-ratelimit-remaining").is_some());
    assert_eq!(twin.stats().rate_limited, 1);
    let comments = api.get(&format!("{R}/issues/1/comments?per_page=100")).await;
    assert_eq!(comments.body.as_array().unwrap().len(), 79, "the refused comment was not made");
    assert_eq!(api.get(&format!("{R}/issues/1")).await.status, StatusCode::OK, "reads still pass");
}

#[tokio::test]
async fn the_primary_limit_answers_403_with_no_remaining_and_rate_limit_is_free() {
    let twin = start_with(|c| c.primary_limit_per_hour = 5).await;
    let api = Api::new(&twin);
    for n in 1..=5 {
        let answer = api.get(&format!("{R}/issues")).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(remaining(&answer), 5 - n);
        assert_eq!(answer.header("x-ratelimit-used"), Some(n.to_string().as_str()));
        assert_eq!(answer.header("x-ratelimit-limit"), Some("5"));
        assert_eq!(answer.header("x-ratelimit-resource"), Some("core"));
    }
    let refused = api.get(&format!("{R}/issues")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(remaining(&refused), 0);
    assert!(refused.body["message"].as_str().unwrap().starts_with("API rate limit exceeded for user ID"));
    let reset: i64 = refused.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert!(reset > chrono::Utc::now().timestamp());
    let overview = api.get("/rate_limit").await;
    assert_eq!(overview.status, StatusCode::OK, "GET /rate_limit costs no quota");
    assert_eq!(overview.body["resources"]["core"]["remaining"], 0);
    assert_eq!(overview.body["rate"]["used"], 5);
    assert_eq!(twin.stats().rate_limited, 1);
}

#[tokio::test]
async fn every_answer_carries_rate_limit_headers_and_a_missing_token_is_refused() {
    let twin = start().await;
    let api = Api::new(&twin);
    for answer in [api.get(&format!("{R}/issues/404")).await, api.get("/rate_limit").await] {
        for header in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-used",
            "x-ratelimit-reset",
            "x-ratelimit-resource",
        ] {
            assert!(answer.header(header).is_some(), "{header} on {}", answer.status);
        }
    }
    let anonymous = reqwest::get(format!("{}{R}/issues", api.base)).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key("x-ratelimit-limit"));
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["message"], "Requires authentication");
    let with_token_scheme = reqwest::Client::new()
        .get(format!("{}{R}/issues", api.base))
        .header("authorization", format!("token {}", super::TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(with_token_scheme.status(), StatusCode::OK, "`token T` works as well as `Bearer T`");
}
