//! What GitHub refuses, the twin refuses the same way with GitHub's bodies: unassignable
//! assignees, long labels and bodies, sub-issue limits; and what GitHub serves besides issues:
//! the repository, collaborators, milestone edits, `Last-Modified`, 301 for moved things.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Api, REPO, start};

const R: &str = "/repos/contoso/onboarding";

#[tokio::test]
async fn an_unassignable_assignee_fails_the_whole_write_with_422() {
    let twin = start().await;
    let api = Api::new(&twin);
    let created = api.post(&format!("{R}/issues"), json!({"title": "t", "assignees": ["mallory"]})).await;
    assert_eq!(created.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(created.body["message"], "Validation Failed");
    assert_eq!(created.body["errors"][0]["resource"], "Issue");
    assert_eq!(created.body["errors"][0]["field"], "assignees");
    assert_eq!(created.body["errors"][0]["code"], "invalid");
    let issue = api.post(&format!("{R}/issues"), json!({"title": "t", "assignees": ["alice"]})).await;
    assert_eq!(issue.status, StatusCode::CREATED, "alice is a collaborator");
    let refused = api.patch(&format!("{R}/issues/1"), json!({"title": "new", "assignees": ["mallory"]})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.get(&format!("{R}/issues/1")).await.body["title"], "t", "nothing of a refused PATCH applies");
    assert_eq!(api.get(&format!("{R}/assignees/mallory")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api.get(&format!("{R}/collaborators/mallory")).await.status, StatusCode::NOT_FOUND);
    let invited = api.put(&format!("{R}/collaborators/mallory"), json!({"permission": "push"})).await;
    assert_eq!(invited.status, StatusCode::CREATED);
    assert_eq!(invited.body["invitee"]["login"], "mallory");
    assert_eq!(api.put(&format!("{R}/collaborators/mallory"), json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&format!("{R}/assignees/Mallory")).await.status, StatusCode::NO_CONTENT);
    let ok = api.patch(&format!("{R}/issues/1"), json!({"assignees": ["mallory"]})).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["assignees"][0]["login"], "mallory");
}

#[tokio::test]
async fn the_seed_makes_collaborators() {
    let twin = start().await;
    let api = Api::new(&twin);
    twin.seed(json!({"collaborators": ["bob", {"repository": REPO, "login": "carol"}]})).expect("seed");
    for who in ["bob", "carol", "contoso", "octocat"] {
        assert_eq!(api.get(&format!("{R}/assignees/{who}")).await.status, StatusCode::NO_CONTENT, "{who}");
    }
}

#[tokio::test]
async fn long_labels_and_bodies_are_refused_like_github() {
    let twin = start().await;
    let api = Api::new(&twin);
    let label = "x".repeat(51);
    let refused = api.post(&format!("{R}/issues"), json!({"title": "t", "labels": [label]})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["resource"], "Label");
    let refused = api.post(&format!("{R}/labels"), json!({"name": "y".repeat(51)})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        api.post(&format!("{R}/issues"), json!({"title": "t", "labels": ["x".repeat(50)]})).await.status,
        StatusCode::CREATED
    );
    let body = "b".repeat(65_537);
    let refused = api.post(&format!("{R}/issues"), json!({"title": "t", "body": body})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["message"], "body is too long (maximum is 65536 characters)");
    assert_eq!(refused.body["errors"][0]["field"], "body");
    let at_limit = api.post(&format!("{R}/issues"), json!({"title": "t", "body": "é".repeat(65_536)})).await;
    assert_eq!(at_limit.status, StatusCode::CREATED, "the limit counts characters, not bytes");
    let refused = api.post(&format!("{R}/issues"), json!({"title": "t".repeat(257)})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["message"], "title is too long (maximum is 256 characters)");
    assert_eq!(refused.body["errors"][0]["field"], "title");
    let issue = api.post(&format!("{R}/issues"), json!({"title": "é".repeat(256)})).await;
    assert_eq!(issue.status, StatusCode::CREATED, "the limit counts characters, not bytes");
    let number = issue.body["number"].as_u64().unwrap();
    let refused = api.patch(&format!("{R}/issues/{number}"), json!({"title": "t".repeat(257)})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "an edit is checked too");
}

#[tokio::test]
async fn labels_match_case_insensitively() {
    let twin = start().await;
    let api = Api::new(&twin);
    api.post(&format!("{R}/labels"), json!({"name": "onboarding"})).await;
    let issue = api.post(&format!("{R}/issues"), json!({"title": "t", "labels": ["Onboarding"]})).await;
    assert_eq!(issue.body["labels"][0]["name"], "onboarding", "the existing label, not a second one");
}

#[tokio::test]
async fn sub_issues_refuse_a_second_parent_a_duplicate_and_the_hundred_and_first() {
    let twin = super::start_with(|c| c.content_limit_per_minute = 1000).await;
    let api = Api::new(&twin);
    let mut ids = Vec::new();
    for i in 0..103 {
        ids.push(api.post(&format!("{R}/issues"), json!({"title": format!("i{i}")})).await.body["id"].clone());
    }
    assert_eq!(
        api.post(&format!("{R}/issues/1/sub_issues"), json!({"sub_issue_id": ids[2]})).await.status,
        StatusCode::CREATED
    );
    let again = api.post(&format!("{R}/issues/1/sub_issues"), json!({"sub_issue_id": ids[2]})).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "already linked");
    let second = api.post(&format!("{R}/issues/2/sub_issues"), json!({"sub_issue_id": ids[2]})).await;
    assert_eq!(second.status, StatusCode::UNPROCESSABLE_ENTITY, "a second parent without replace_parent");
    let moved =
        api.post(&format!("{R}/issues/2/sub_issues"), json!({"sub_issue_id": ids[2], "replace_parent": true})).await;
    assert_eq!(moved.status, StatusCode::CREATED);
    for id in &ids[3..102] {
        let added = api.post(&format!("{R}/issues/2/sub_issues"), json!({"sub_issue_id": id})).await;
        assert_eq!(added.status, StatusCode::CREATED);
    }
    let full = api.post(&format!("{R}/issues/2/sub_issues"), json!({"sub_issue_id": ids[102]})).await;
    assert_eq!(full.status, StatusCode::UNPROCESSABLE_ENTITY, "at most 100 per parent");
}

#[tokio::test]
async fn repository_milestone_edits_and_last_modified_are_served() {
    let twin = start().await;
    let api = Api::new(&twin);
    let repo = api.get(R).await;
    assert_eq!(repo.status, StatusCode::OK);
    assert_eq!(repo.body["full_name"], REPO);
    let m = api.post(&format!("{R}/milestones"), json!({"title": "M1"})).await;
    assert_eq!(m.status, StatusCode::CREATED);
    api.post(&format!("{R}/issues"), json!({"title": "t", "milestone": 1})).await;
    let cleared = api.patch(&format!("{R}/issues/1"), json!({"milestone": ""})).await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert!(cleared.body["milestone"].is_null(), "an empty string clears the milestone");
    api.patch(&format!("{R}/issues/1"), json!({"milestone": 1})).await;
    let edited = api.patch(&format!("{R}/milestones/1"), json!({"title": "M1b", "state": "closed"})).await;
    assert_eq!(edited.status, StatusCode::OK);
    assert_eq!(edited.body["title"], "M1b");
    assert_eq!(edited.body["state"], "closed");
    assert_eq!(api.delete(&format!("{R}/milestones/1"), None).await.status, StatusCode::NO_CONTENT);
    let issue = api.get(&format!("{R}/issues/1")).await;
    assert!(issue.body["milestone"].is_null(), "the deleted milestone left its issues");
    let modified = issue.header("last-modified").expect("Last-Modified on a read");
    assert!(modified.ends_with(" GMT"), "an HTTP date: {modified}");
}

#[tokio::test]
async fn renamed_repositories_and_transferred_issues_answer_301() {
    let twin = start().await;
    let api = Api::new(&twin);
    twin.seed(json!({"repositories": ["contoso/other"]})).expect("seed");
    api.post(&format!("{R}/issues"), json!({"title": "stays"})).await;
    api.post(&format!("{R}/issues"), json!({"title": "moves"})).await;
    let moved = api
        .control(
            Method::POST,
            "/_twin/repos/contoso/onboarding/issues/2/transfer",
            Some(json!({"repository": "contoso/other"})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let get = |path: String| {
        plain.get(format!("{}{path}", api.base)).header("authorization", format!("Bearer {}", super::TOKEN)).send()
    };
    let answer = get(format!("{R}/issues/2")).await.unwrap();
    assert_eq!(answer.status(), StatusCode::MOVED_PERMANENTLY);
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(location.ends_with("/repos/contoso/other/issues/1"), "{location}");
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["message"], "Moved Permanently");
    assert_eq!(api.get(&format!("{R}/issues/2")).await.body["title"], "moves", "a client that follows gets it");
    let renamed =
        api.control(Method::POST, "/_twin/repos/contoso/onboarding/rename", Some(json!({"name": "welcome"}))).await;
    assert_eq!(renamed.status, StatusCode::OK);
    let answer = get(format!("{R}/issues/1?x=1")).await.unwrap();
    assert_eq!(answer.status(), StatusCode::MOVED_PERMANENTLY);
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(location.ends_with("/repos/contoso/welcome/issues/1?x=1"), "{location}");
}

#[tokio::test]
async fn a_secondary_limit_can_come_as_403_without_retry_after() {
    let twin = start().await;
    let api = Api::new(&twin);
    let armed = api
        .control(
            Method::POST,
            "/_twin/faults",
            Some(json!([{"method": "POST", "path": "/repos/**", "status": 403,
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}])),
        )
        .await;
    assert!(armed.status.is_success(), "{:?}", armed.body);
    let refused = api.post(&format!("{R}/issues"), json!({"title": "t"})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.header("retry-after").is_none());
    assert!(refused.body["message"].as_str().unwrap().starts_with("You have exceeded a secondary rate limit"));
}
