//! The Azure DevOps twin's real service hooks, posted with basic auth over HTTP to the daemon's
//! router on 127.0.0.1: every work item event is taken and coalesced into keys of the
//! azure-boards target; a wrong password is refused and enqueues nothing.

use std::time::Duration;

use backlog_sync::daemon::router;
use backlog_twins::azure::{AzureTwin, AzureTwinConfig, Process};
use serde_json::{Value, json};

use crate::daemon_router::{AZ_PASSWORD, auth, fixture_for};

const TOKEN: &str = "twin-pat";
const API: &str = "api-version=7.1";

async fn call(client: &reqwest::Client, method: reqwest::Method, url: String, body: Value, kind: &str) -> Value {
    let r = client
        .request(method, url)
        .basic_auth("", Some(TOKEN))
        .header("content-type", kind)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_azure_twins_service_hooks_are_taken_and_a_wrong_password_is_refused() {
    let twin = AzureTwin::start(AzureTwinConfig {
        token: TOKEN.into(),
        members: vec!["alice@contoso.com".into(), "grace.hopper@contoso.com".into(), "someone@fabrikam.example".into()],
        projects: vec![("Onboarding".into(), Process::Agile)],
        ..AzureTwinConfig::default()
    })
    .await
    .unwrap();
    let org = twin.organization_url();
    let f = fixture_for(16, auth(), &org, "Onboarding");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/webhooks/azure-devops", listener.local_addr().unwrap());
    let app = router(f.state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let client = reqwest::Client::new();
    let control = format!("{}/_twin/webhooks", twin.base_url());
    let set = |password: &str| json!({"url": hook, "username": "backlog-sync", "password": password});
    assert!(client.post(&control).json(&set(AZ_PASSWORD)).send().await.unwrap().status().is_success());

    let patch = "application/json-patch+json";
    let title = |t: &str| json!([{"op": "add", "path": "/fields/System.Title", "value": t}]);
    let item = call(
        &client,
        reqwest::Method::POST,
        format!("{org}/Onboarding/_apis/wit/workitems/$User%20Story?{API}"),
        title("Invite by email"),
        patch,
    )
    .await;
    let id = item["id"].as_i64().unwrap();
    call(
        &client,
        reqwest::Method::PATCH,
        format!("{org}/_apis/wit/workitems/{id}?{API}"),
        title("Invite people by email"),
        patch,
    )
    .await;
    let comments = format!("{org}/Onboarding/_apis/wit/workItems/{id}/comments?api-version=7.1-preview.4");
    call(&client, reqwest::Method::POST, comments, json!({"text": "On it"}), "application/json").await;
    assert!(twin.control().webhooks().settle(Duration::from_secs(10)).await);

    let deliveries = twin.control().webhooks().deliveries();
    let events: Vec<&str> = deliveries.iter().map(|d| d.event.as_str()).collect();
    for want in ["workitem.created", "workitem.updated", "workitem.commented"] {
        assert!(events.contains(&want), "{want} in {events:?}");
    }
    assert!(deliveries.iter().all(|d| d.status == Some(202)), "every service hook taken: {deliveries:?}");
    assert_eq!(f.state.queue.depth(), 1, "one key: the work item on target `boards`");
    assert_eq!(f.state.metrics.webhook_count("azure-devops", "accepted"), deliveries.len() as u64);

    // A service hook configured with the wrong password is refused; nothing more is enqueued.
    assert!(client.post(&control).json(&set("guess")).send().await.unwrap().status().is_success());
    call(
        &client,
        reqwest::Method::POST,
        format!("{org}/Onboarding/_apis/wit/workitems/$User%20Story?{API}"),
        title("Second"),
        patch,
    )
    .await;
    assert!(twin.control().webhooks().settle(Duration::from_secs(10)).await);
    let last = twin.control().webhooks().deliveries().last().cloned().unwrap();
    assert_eq!((last.event.as_str(), last.status), ("workitem.created", Some(401)));
    assert_eq!(f.state.metrics.webhook_count("azure-devops", "unauthorized"), 1);
    assert_eq!((f.state.queue.depth(), f.state.metrics.offer_count("queued")), (1, 1));
}
