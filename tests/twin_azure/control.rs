//! Auth, `api-version`, the request budget, every fault kind, `/_twin/stats`, reset and seed.

use std::time::{Duration, Instant};

use backlog_twins::azure::{Process, RateLimit};
use serde_json::{Value, json};

use super::support::{API, TOKEN, assert_azure_error, read, start, start_with};

#[tokio::test]
async fn requests_need_the_pat_and_an_api_version() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let url = t.url(&format!("/_apis/wit/workitemrelationtypes?{API}"));
    let suppress = ("X-TFS-FedAuthRedirect", "Suppress");
    let anonymous = read(t.client.get(&url).header(suppress.0, suppress.1).send().await.unwrap()).await;
    assert_azure_error(&anonymous, 401, "UnauthorizedRequestException", "TF400813");
    assert!(anonymous.headers.contains_key("www-authenticate"));
    let wrong =
        read(t.client.get(&url).header(suppress.0, suppress.1).basic_auth("me", Some("nope")).send().await.unwrap())
            .await;
    assert_eq!(wrong.status, 401);
    for request in [t.client.get(&url), t.client.get(&url).basic_auth("me", Some("expired"))] {
        let page = request.send().await.unwrap();
        assert_eq!(page.status().as_u16(), 203, "without Suppress: the sign-in page, as the service answers");
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(page.text().await.unwrap().contains("Sign In"));
    }
    assert_eq!(read(t.client.get(&url).basic_auth("anyone", Some(TOKEN)).send().await.unwrap()).await.status, 200);
    assert_eq!(read(t.client.get(&url).bearer_auth(TOKEN).send().await.unwrap()).await.status, 200);

    let unversioned = t.get("/_apis/wit/workitemrelationtypes").await;
    assert_azure_error(
        &unversioned,
        400,
        "VssVersionNotSpecifiedException",
        "No api-version was supplied for the \"GET\" request.",
    );
    let future = t.get("/_apis/wit/workitemrelationtypes?api-version=9.0").await;
    assert_azure_error(&future, 400, "VssVersionOutOfRangeException", "The requested REST API version of 9.0");
    let bare = t
        .client
        .get(t.url("/_apis/wit/workitemrelationtypes"))
        .basic_auth("", Some(TOKEN))
        .header("accept", "application/json; api-version=7.1")
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 200, "the version may ride on the Accept header");
    assert_eq!(t.get(&format!("/_apis/wit/nothing-here?{API}")).await.status, 404);
    let other_org = read(
        t.client
            .get(format!("{}/fabrikam/_apis/wit/workitemrelationtypes?{API}", t.twin.base_url()))
            .basic_auth("", Some(TOKEN))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(other_org.status, 404);
}

#[tokio::test]
async fn the_budget_refuses_with_429_and_the_rate_limit_headers() {
    let t =
        start_with(&[("Onboarding", Process::Agile)], Some(RateLimit { limit: 5, window: Duration::from_secs(60) }))
            .await;
    let path = format!("/_apis/wit/workitemrelationtypes?{API}");
    let first = t.get(&path).await;
    assert!(!first.headers.contains_key("x-ratelimit-remaining"), "far from the limit, no headers");
    for _ in 0..3 {
        t.get(&path).await;
    }
    let last = t.get(&path).await;
    assert_eq!(last.status, 200);
    assert_eq!(last.headers["x-ratelimit-remaining"], "0");
    assert_eq!(last.headers["x-ratelimit-limit"], "5");
    assert!(!last.headers.contains_key("x-ratelimit-delay"));
    let refused = t.get(&path).await;
    assert_azure_error(&refused, 429, "RequestBlockedException", "TF400733");
    for name in [
        "retry-after",
        "x-ratelimit-resource",
        "x-ratelimit-delay",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(refused.headers.contains_key(name), "{name} missing");
    }
    let retry: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(refused.headers["x-ratelimit-resource"], "Core");
    let stats = t.twin.stats();
    assert_eq!((stats.requests, stats.rate_limited), (6, 1));
}

async fn arm(t: &super::support::Twin, rule: Value) {
    let armed = t.client.post(t.control("faults")).json(&rule).send().await.unwrap();
    assert_eq!(armed.status(), 201);
}

#[tokio::test]
async fn every_fault_kind_is_served() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let item = t.create("Onboarding", "Task", &[("System.Title", json!("Task"))]).await;
    let id = item["id"].as_i64().unwrap();
    let rename = |title: &str| json!([{"op": "add", "path": "/fields/System.Title", "value": title}]);

    arm(&t, json!({"method": "PATCH", "path": "/contoso/_apis/wit/workitems/*", "status": 503})).await;
    let unavailable = t.update(id, rename("A")).await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.body["$id"], "1");
    assert_eq!(
        t.get(&format!("/_apis/wit/workitems/{id}?{API}")).await.body["rev"],
        1,
        "a status fault applies nothing"
    );

    arm(&t, json!({"path": "/contoso/_apis/wit/workitems/*", "retry_after": 7})).await;
    let throttled = t.get(&format!("/_apis/wit/workitems/{id}?{API}")).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.headers["retry-after"], "7");
    assert_eq!(throttled.body["typeKey"], "RequestBlockedException");

    arm(&t, json!({"path": "/contoso/_apis/wit/workitems/*", "latency_ms": 300})).await;
    let started = Instant::now();
    assert_eq!(t.get(&format!("/_apis/wit/workitems/{id}?{API}")).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    arm(&t, json!({"method": "PATCH", "path": "/contoso/_apis/wit/workitems/*", "drop_after_write": true})).await;
    let dropped = t
        .client
        .patch(t.url(&format!("/_apis/wit/workitems/{id}?{API}")))
        .basic_auth("", Some(TOKEN))
        .header("content-type", "application/json-patch+json")
        .body(rename("Applied").to_string())
        .send()
        .await;
    assert!(dropped.is_err(), "the connection closes without an answer");
    let after = t.get(&format!("/_apis/wit/workitems/{id}?{API}")).await.body;
    assert_eq!(
        (after["rev"].as_i64(), after["fields"]["System.Title"].as_str()),
        (Some(2), Some("Applied")),
        "the write was applied"
    );
    assert_eq!(t.twin.stats().rate_limited, 1);
}

#[tokio::test]
async fn stats_count_requests_by_operation_and_reset_empties_everything() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let item = t.create("Onboarding", "Task", &[("System.Title", json!("Task"))]).await;
    let id = item["id"].as_i64().unwrap();
    t.get(&format!("/Onboarding/_apis/wit/workitems/{id}?{API}")).await;
    t.get(&format!("/Onboarding/_apis/wit/WorkItems/{id}?{API}")).await;
    t.update(id, json!([{"op": "add", "path": "/fields/System.Title", "value": "x"}])).await;
    t.post(&format!("/Onboarding/_apis/wit/wiql?{API}"), json!({"query": "SELECT [System.Id] FROM WorkItems"})).await;
    let stats: Value = t.client.get(t.control("stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["requests"], 5);
    assert_eq!(stats["writes"], 3);
    assert_eq!(stats["rate_limited"], 0);
    let ops = &stats["by_operation"];
    assert_eq!(ops["POST /{organization}/{project}/_apis/wit/workitems/${type}"], 1);
    assert_eq!(ops["GET /{organization}/{project}/_apis/wit/workitems/{id}"], 2);
    assert_eq!(ops["PATCH /{organization}/_apis/wit/workitems/{id}"], 1);
    assert_eq!(ops["POST /{organization}/{project}/_apis/wit/wiql"], 1);

    let reset = t.client.post(t.control("reset")).send().await.unwrap();
    assert_eq!(reset.status(), 204);
    assert_eq!(t.twin.stats().requests, 0);
    assert_eq!(t.get(&format!("/_apis/wit/workitems/{id}?{API}")).await.status, 404);
    let again = t.create("Onboarding", "Task", &[("System.Title", json!("Task"))]).await;
    assert_eq!(again["id"], 1, "ids start over");
}

#[tokio::test]
async fn seeded_items_look_made_by_people() {
    let t = start(&[]).await;
    let seed = json!({
        "projects": [{"name": "Onboarding", "process": "Scrum"}],
        "people": ["Ann Lee <ann@contoso.com>"],
        "workItems": [
            {"key": "EP-1", "type": "Epic", "createdDate": "2024-01-02T09:00:00Z", "fields": {"System.Title": "Onboarding", "System.State": "In Progress"}},
            {"key": "ST-1", "type": "Product Backlog Item", "parent": "EP-1", "by": "Bo Chen <bo@contoso.com>", "createdDate": "2024-01-03T09:00:00Z",
             "fields": {"System.Title": "Invite", "System.Description": "## Why", "Microsoft.VSTS.Scheduling.Effort": 3}, "markdown": ["System.Description"],
             "comments": [{"text": "Looks good", "by": "Ann Lee <ann@contoso.com>", "date": "2024-01-04T10:00:00Z"}],
             "updates": [{"fields": {"System.State": "Approved"}, "date": "2024-01-05T10:00:00Z"}]},
            {"type": "Task", "fields": {"System.Title": "Old"}, "deleted": true}
        ],
        "wiki": [{"path": "/Home", "content": "# Welcome"}]
    });
    let answer = t.client.post(t.control("seed")).json(&seed).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let summary: Value = answer.json().await.unwrap();
    assert_eq!(summary["workItems"][1], json!({"key": "ST-1", "id": 2}));
    let epic = t.get(&format!("/_apis/wit/workitems/1?{API}")).await.body;
    assert_eq!((epic["rev"].as_i64(), epic["fields"]["System.State"].as_str()), (Some(3), Some("In Progress")));
    assert_eq!(epic["fields"]["System.ChangedDate"], "2024-01-03T09:00:00Z", "the child link is dated with the child");
    assert_eq!(epic["fields"]["System.CreatedDate"], "2024-01-02T09:00:00Z");
    assert_eq!(epic["fields"]["System.CreatedBy"]["uniqueName"], "ann@contoso.com");
    let story = t.get("/_apis/wit/workitems/2?$expand=all&api-version=7.2-preview.3").await.body;
    assert_eq!(story["fields"]["System.Parent"], 1);
    assert_eq!(story["fields"]["System.State"], "Approved");
    assert_eq!(story["fields"]["System.CommentCount"], 1);
    assert_eq!(story["fields"]["System.ChangedDate"], "2024-01-05T10:00:00Z");
    assert_eq!(story["multilineFieldsFormat"]["System.Description"], "markdown");
    let comments = t.get("/Onboarding/_apis/wit/workItems/2/comments?api-version=7.1-preview.4").await.body;
    assert_eq!(comments["comments"][0]["createdBy"]["displayName"], "Ann Lee");
    assert_eq!(comments["comments"][0]["createdDate"], "2024-01-04T10:00:00Z");
    assert_eq!(t.get(&format!("/Onboarding/_apis/wit/recyclebin/3?{API}")).await.status, 200);
    assert_eq!(
        t.get(&format!("/Onboarding/_apis/wiki/wikis/Onboarding.wiki/pages?path=/Home&{API}")).await.status,
        200
    );
    assert_eq!(t.twin.stats().requests, 5, "seeding is not counted");

    let bad = t
        .client
        .post(t.control("seed"))
        .json(&json!({"workItems": [{"type": "Spaceship", "fields": {"System.Title": "x"}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert!(t.get(&format!("/_apis/wit/workitems/4?{API}")).await.status == 404, "a failed seed loads nothing");
}
