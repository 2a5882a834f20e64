//! Listing repository issues as GitHub does: filters, sort, direction, `since` and the `Link`
//! header formed exactly as GitHub forms it.

use serde_json::{Value, json};

use super::{Api, start};

const R: &str = "/repos/contoso/onboarding";

fn numbers(body: &Value) -> Vec<u64> {
    body.as_array().unwrap().iter().map(|i| i["number"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn link_header_is_formed_as_github_forms_it() {
    let twin = start().await;
    let api = Api::new(&twin);
    let issues: Vec<Value> = (1..=5).map(|n| json!({"title": format!("issue {n}")})).collect();
    twin.seed(json!({"issues": issues})).unwrap();
    let base = format!("{}{R}/issues", api.base);

    let all = api.get(&format!("{R}/issues")).await;
    assert_eq!(all.header("link"), None, "no Link when everything fits on one page");
    let first = api.get(&format!("{R}/issues?state=open&per_page=2")).await;
    assert_eq!(
        first.header("link").unwrap(),
        format!(
            "<{base}?state=open&per_page=2&page=2>; rel=\"next\", <{base}?state=open&per_page=2&page=3>; rel=\"last\""
        )
    );
    assert_eq!(numbers(&first.body), [5, 4]);
    let middle = api.get(&format!("{R}/issues?state=open&per_page=2&page=2")).await;
    assert_eq!(
        middle.header("link").unwrap(),
        format!(
            "<{base}?state=open&per_page=2&page=1>; rel=\"prev\", <{base}?state=open&per_page=2&page=3>; rel=\"next\", \
             <{base}?state=open&per_page=2&page=3>; rel=\"last\", <{base}?state=open&per_page=2&page=1>; rel=\"first\""
        )
    );
    let last = api.get(&format!("{R}/issues?state=open&per_page=2&page=3")).await;
    assert_eq!(
        last.header("link").unwrap(),
        format!(
            "<{base}?state=open&per_page=2&page=2>; rel=\"prev\", <{base}?state=open&per_page=2&page=1>; rel=\"first\""
        )
    );
    assert_eq!(numbers(&last.body), [1]);
    let capped = api.get(&format!("{R}/issues?per_page=1000")).await;
    assert_eq!(capped.body.as_array().unwrap().len(), 5, "per_page is capped, not refused");
}

#[tokio::test]
async fn filters_sort_and_since_select_what_github_would() {
    let twin = start().await;
    let api = Api::new(&twin);
    twin.seed(json!({"issues": [
        {"title": "a", "labels": ["epic", "onboarding"], "created_at": "2024-01-01T00:00:00Z", "assignees": ["alice"]},
        {"title": "b", "labels": ["epic"], "created_at": "2024-01-02T00:00:00Z", "type": "Bug"},
        {"title": "c", "labels": ["Onboarding"], "state": "closed", "created_at": "2024-01-03T00:00:00Z"},
    ]}))
    .unwrap();
    let list = |q: &str| {
        let api = &api;
        let path = format!("{R}/issues?{q}");
        async move { numbers(&api.get(&path).await.body) }
    };
    assert_eq!(list("").await, [2, 1], "open by default, newest first");
    assert_eq!(list("state=all&direction=asc").await, [1, 2, 3]);
    assert_eq!(list("state=all&labels=epic,onboarding").await, [1], "every label must match");
    assert_eq!(list("state=all&labels=onboarding").await, [3, 1], "label names ignore case");
    assert_eq!(list("state=closed").await, [3]);
    assert_eq!(list("assignee=alice").await, [1]);
    assert_eq!(list("assignee=none").await, [2]);
    assert_eq!(list("type=Bug").await, [2]);
    assert_eq!(api.get(&format!("{R}/issues?state=maybe")).await.status.as_u16(), 422);

    api.post(&format!("{R}/issues/1/comments"), json!({"body": "bump"})).await;
    assert_eq!(list("sort=comments").await[0], 1);
    let touched = api.patch(&format!("{R}/issues/2"), json!({"body": "edited now"})).await;
    let stamp = touched.body["updated_at"].as_str().unwrap().to_string();
    assert_eq!(list("sort=updated").await[0], 2);
    let since = list(&format!("state=all&since={stamp}")).await;
    assert!(since.contains(&2) && since.contains(&1) && !since.contains(&3), "{since:?}");
    let again = api.patch(&format!("{R}/issues/3"), json!({"title": "c again"})).await;
    assert!(again.body["updated_at"].as_str().unwrap() >= stamp.as_str(), "time never moves backwards");
    assert!(list(&format!("state=all&since={stamp}")).await.contains(&3), "a later change is visible to `since`");
}
