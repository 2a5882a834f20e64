//! Contract: every JSON body each supported operation returns validates against its response
//! schema in GitHub's OpenAPI descriptions (current file; the 2022-07 snapshot for the operations
//! only it describes), and errors carry GitHub's error shapes.

use reqwest::StatusCode;
use serde_json::json;

use super::schemas::{Schemas, assert_valid};
use super::{Api, start};
use crate::common::shared_dir;

const ISSUES: &str = "/repos/{owner}/{repo}/issues";
const ISSUE: &str = "/repos/{owner}/{repo}/issues/{issue_number}";
const R: &str = "/repos/contoso/onboarding";

#[tokio::test]
async fn every_operation_answers_bodies_that_match_githubs_response_schemas() {
    let Some(shared) = shared_dir() else { return };
    let schemas = Schemas::load(&shared);
    let twin = start().await;
    let api = Api::new(&twin);
    let check = |method: &str, path: &str, status: u16, answer: &super::Answer| {
        assert_eq!(answer.status.as_u16(), status, "{method} {path}: {:#}", answer.body);
        assert_valid(&schemas.response(method, path, status), &answer.body, &format!("{method} {path}"));
    };

    let milestone = api
        .post(
            &format!("{R}/milestones"),
            json!({"title": "M1", "due_on": "2030-01-01T00:00:00Z", "description": "first"}),
        )
        .await;
    assert_valid(
        &schemas.snapshot_response("post", "/repos/{owner}/{repo}/milestones", 201),
        &milestone.body,
        "create milestone",
    );
    let got = api.get(&format!("{R}/milestones/1")).await;
    assert_valid(
        &schemas.snapshot_response("get", "/repos/{owner}/{repo}/milestones/{milestone_number}", 200),
        &got.body,
        "get milestone",
    );
    check("get", "/repos/{owner}/{repo}/milestones", 200, &api.get(&format!("{R}/milestones")).await);

    let parent = api
        .post(
            &format!("{R}/issues"),
            json!({
                "title": "Onboarding epic", "body": "Everything about onboarding",
                "labels": ["epic", "bug"], "assignees": ["alice"], "milestone": 1, "type": "Feature",
            }),
        )
        .await;
    check("post", ISSUES, 201, &parent);
    assert_eq!(parent.body["type"]["name"], "Feature");
    let child =
        api.post(&format!("{R}/issues"), json!({"title": "Invite teammates", "labels": [{"name": "story"}]})).await;
    check("post", ISSUES, 201, &child);
    let sibling = api.post(&format!("{R}/issues"), json!({"title": 42})).await;
    check("post", ISSUES, 201, &sibling);
    assert_eq!(sibling.body["title"], "42");

    check("get", ISSUES, 200, &api.get(&format!("{R}/issues?state=all")).await);
    check("get", ISSUE, 200, &api.get(&format!("{R}/issues/1")).await);
    let closed = api
        .patch(
            &format!("{R}/issues/2"),
            json!({"state": "closed", "state_reason": "not_planned", "title": "Invite people"}),
        )
        .await;
    check("patch", ISSUE, 200, &closed);
    assert_eq!(closed.body["state_reason"], "not_planned");
    assert!(closed.body["closed_at"].is_string());

    let sub = "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues";
    let linked = api.post(&format!("{R}/issues/1/sub_issues"), json!({"sub_issue_id": child.body["id"]})).await;
    check("post", sub, 201, &linked);
    api.post(&format!("{R}/issues/1/sub_issues"), json!({"sub_issue_id": sibling.body["id"]})).await;
    check("get", sub, 200, &api.get(&format!("{R}/issues/1/sub_issues")).await);
    let moved = api
        .patch(
            &format!("{R}/issues/1/sub_issues/priority"),
            json!({"sub_issue_id": sibling.body["id"], "before_id": child.body["id"]}),
        )
        .await;
    check("patch", "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues/priority", 200, &moved);
    check(
        "get",
        "/repos/{owner}/{repo}/issues/{issue_number}/parent",
        200,
        &api.get(&format!("{R}/issues/2/parent")).await,
    );
    let removed = api.delete(&format!("{R}/issues/1/sub_issue"), Some(json!({"sub_issue_id": child.body["id"]}))).await;
    check("delete", "/repos/{owner}/{repo}/issues/{issue_number}/sub_issue", 200, &removed);

    let comments = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
    let comment = api.post(&format!("{R}/issues/1/comments"), json!({"body": "Looks good"})).await;
    check("post", comments, 201, &comment);
    check("get", comments, 200, &api.get(&format!("{R}/issues/1/comments")).await);
    check(
        "get",
        "/repos/{owner}/{repo}/issues/comments",
        200,
        &api.get(&format!("{R}/issues/comments?sort=updated&direction=desc")).await,
    );
    let one = "/repos/{owner}/{repo}/issues/comments/{comment_id}";
    let id = comment.body["id"].as_u64().unwrap();
    check("get", one, 200, &api.get(&format!("{R}/issues/comments/{id}")).await);
    check("patch", one, 200, &api.patch(&format!("{R}/issues/comments/{id}"), json!({"body": "Looks great"})).await);
    assert_eq!(api.delete(&format!("{R}/issues/comments/{id}"), None).await.status, StatusCode::NO_CONTENT);

    let labels = "/repos/{owner}/{repo}/labels";
    check(
        "post",
        labels,
        201,
        &api.post(&format!("{R}/labels"), json!({"name": "risk", "color": "#B60205", "description": "A risk"})).await,
    );
    check("get", labels, 200, &api.get(&format!("{R}/labels")).await);
    let label = "/repos/{owner}/{repo}/labels/{name}";
    check("get", label, 200, &api.get(&format!("{R}/labels/risk")).await);
    check(
        "patch",
        label,
        200,
        &api.patch(&format!("{R}/labels/risk"), json!({"new_name": "risk register", "color": "d93f0b"})).await,
    );
    assert_eq!(api.delete(&format!("{R}/labels/risk%20register"), None).await.status, StatusCode::NO_CONTENT);

    let on_issue = "/repos/{owner}/{repo}/issues/{issue_number}/labels";
    let snapshot = |method: &str, path: &str, answer: &super::Answer| {
        assert_eq!(answer.status, StatusCode::OK, "{method} {path}: {:#}", answer.body);
        assert_valid(&schemas.snapshot_response(method, path, 200), &answer.body, &format!("{method} {path}"));
    };
    snapshot("get", on_issue, &api.get(&format!("{R}/issues/1/labels")).await);
    snapshot("post", on_issue, &api.post(&format!("{R}/issues/1/labels"), json!({"labels": ["documentation"]})).await);
    snapshot("put", on_issue, &api.put(&format!("{R}/issues/1/labels"), json!({"labels": ["epic", "question"]})).await);
    snapshot(
        "delete",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
        &api.delete(&format!("{R}/issues/1/labels/question"), None).await,
    );
    snapshot("get", "/rate_limit", &api.get("/rate_limit").await);

    check("get", "/repos/{owner}/{repo}/issue-types", 200, &api.get(&format!("{R}/issue-types")).await);
}

#[tokio::test]
async fn errors_carry_githubs_error_shapes() {
    let Some(shared) = shared_dir() else { return };
    let schemas = Schemas::load(&shared);
    let twin = start().await;
    let api = Api::new(&twin);

    let missing = api.post(&format!("{R}/issues"), json!({"body": "no title"})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_valid(&schemas.component("validation-error"), &missing.body, "422 on create");
    assert_eq!(missing.body["message"], "Validation Failed");
    assert_eq!(missing.body["errors"][0], json!({"resource": "Issue", "code": "missing_field", "field": "title"}));

    for path in [format!("{R}/issues/999"), "/repos/contoso/elsewhere/issues".to_string(), "/nowhere".to_string()] {
        let answer = api.get(&path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_valid(&schemas.component("basic-error"), &answer.body, "404");
        assert_eq!(answer.body["message"], "Not Found");
        assert_eq!(answer.body["status"], "404");
    }

    let unauthorised = reqwest::Client::new()
        .get(format!("{}{R}/issues", api.base))
        .header("authorization", "token wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = unauthorised.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
    );
    assert_valid(&schemas.component("basic-error"), &body, "401");

    api.post(&format!("{R}/issues"), json!({"title": "a"})).await;
    api.post(&format!("{R}/issues"), json!({"title": "b"})).await;
    let neither = api.patch(&format!("{R}/issues/1/sub_issues/priority"), json!({"sub_issue_id": 1})).await;
    assert_eq!(neither.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_valid(&schemas.component("validation-error-simple"), &neither.body, "422 priority");
}
