//! The twin's pull request endpoints (review mode of a backlog repository): create, list by head
//! and state, get, update in place, close, merge — and GitHub's refusals.

use serde_json::json;

use super::{Api, REPO, start};

#[tokio::test]
async fn a_pull_request_is_opened_found_by_head_updated_in_place_and_merged() {
    let twin = start().await;
    let api = Api::new(&twin);
    let issue = api.post(&format!("/repos/{REPO}/issues"), json!({"title": "an issue first"})).await;
    let opened = api
        .post(
            &format!("/repos/{REPO}/pulls"),
            json!({"title": "Inbound changes", "head": "contoso:backlog-sync/inbound", "base": "main", "body": "- ST-1 title"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let n = opened.body["number"].as_u64().unwrap();
    assert_eq!(n, issue.body["number"].as_u64().unwrap() + 1, "pull requests share the issue numbers");
    assert_eq!(opened.body["state"], "open");
    assert_eq!(opened.body["head"]["ref"], "backlog-sync/inbound");
    assert_eq!(opened.body["merged"], false);
    assert!(opened.header("location").is_some_and(|l| l.ends_with(&format!("/pulls/{n}"))));

    let again = api
        .post(
            &format!("/repos/{REPO}/pulls"),
            json!({"title": "again", "head": "backlog-sync/inbound", "base": "main"}),
        )
        .await;
    assert_eq!(again.status, 422, "one open pull request per head and base");
    assert_eq!(again.body["errors"][0]["message"], "A pull request already exists for contoso:backlog-sync/inbound.");

    let found = api.get(&format!("/repos/{REPO}/pulls?state=open&head=contoso:backlog-sync/inbound")).await;
    assert_eq!(found.body.as_array().unwrap().len(), 1);
    let none = api.get(&format!("/repos/{REPO}/pulls?head=contoso:other")).await;
    assert_eq!(none.body.as_array().unwrap().len(), 0);

    let edited = api.patch(&format!("/repos/{REPO}/pulls/{n}"), json!({"body": "- ST-1 title\n- ST-2 state"})).await;
    assert_eq!(edited.status, 200);
    assert_eq!(edited.body["body"], "- ST-1 title\n- ST-2 state");
    assert_eq!(api.get(&format!("/repos/{REPO}/pulls/{n}")).await.body["number"], n);

    let merged = api.put(&format!("/repos/{REPO}/pulls/{n}/merge"), json!({})).await;
    assert_eq!(merged.status, 200, "{}", merged.body);
    let after = api.get(&format!("/repos/{REPO}/pulls/{n}")).await.body;
    assert_eq!((after["state"].as_str(), after["merged"].as_bool()), (Some("closed"), Some(true)));
    let twice = api.put(&format!("/repos/{REPO}/pulls/{n}/merge"), json!({})).await;
    assert_eq!(twice.status, 405);
    let reopen = api.patch(&format!("/repos/{REPO}/pulls/{n}"), json!({"state": "open"})).await;
    assert_eq!(reopen.status, 422, "a merged pull request stays merged");
}

#[tokio::test]
async fn refusals_are_githubs() {
    let twin = start().await;
    let api = Api::new(&twin);
    let no_head = api.post(&format!("/repos/{REPO}/pulls"), json!({"title": "x", "base": "main"})).await;
    assert_eq!(no_head.status, 422);
    assert_eq!(no_head.body["errors"][0], json!({"resource": "PullRequest", "code": "missing_field", "field": "head"}));
    let bad_state = api.get(&format!("/repos/{REPO}/pulls?state=merged")).await;
    assert_eq!(bad_state.status, 422);
    let missing = api.get(&format!("/repos/{REPO}/pulls/999")).await;
    assert_eq!(missing.status, 404);
    let closed =
        api.post(&format!("/repos/{REPO}/pulls"), json!({"title": "t", "head": "feature", "base": "main"})).await.body
            ["number"]
            .as_u64()
            .unwrap();
    let r = api.patch(&format!("/repos/{REPO}/pulls/{closed}"), json!({"state": "closed"})).await;
    assert_eq!((r.status.as_u16(), r.body["merged"].as_bool()), (200, Some(false)));
    assert_eq!(api.put(&format!("/repos/{REPO}/pulls/{closed}/merge"), json!({})).await.status, 405);
}

#[tokio::test]
async fn a_review_is_posted_listed_and_its_summary_updated_and_ones_own_pull_request_is_not_approved() {
    let twin = start().await;
    let api = Api::new(&twin);
    let n = api
        .post(&format!("/repos/{REPO}/pulls"), json!({"title": "t", "head": "backlog-sync/inbound", "base": "main"}))
        .await
        .body["number"]
        .as_u64()
        .unwrap();
    let reviews = format!("/repos/{REPO}/pulls/{n}/reviews");
    let posted = api.post(&reviews, json!({"body": "Drift: EP-1 closed", "event": "COMMENT"})).await;
    assert_eq!(posted.status, 200, "{}", posted.body);
    assert_eq!(posted.body["state"], "COMMENTED");
    let id = posted.body["id"].as_u64().unwrap();
    let own = api.post(&reviews, json!({"body": "fine", "event": "APPROVE"})).await;
    assert_eq!(own.status, 422);
    assert_eq!(own.body["errors"][0], "Review Can not approve your own pull request");
    let blank = api.post(&reviews, json!({"event": "COMMENT"})).await;
    assert_eq!(blank.status, 422);
    let updated = api.put(&format!("{reviews}/{id}"), json!({"body": "No drift"})).await;
    assert_eq!((updated.status.as_u16(), updated.body["body"].as_str()), (200, Some("No drift")));
    let listed = api.get(&reviews).await.body;
    assert_eq!(listed.as_array().unwrap().len(), 1, "updated, not added: {listed}");
    assert_eq!(listed[0]["body"], "No drift");
    assert_eq!(api.get(&format!("/repos/{REPO}/pulls/999/reviews")).await.status, 404);
}
