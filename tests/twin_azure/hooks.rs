//! Service hooks posted to a receiver on 127.0.0.1 with basic auth, one per work item event,
//! shaped like the service's sample payloads in `../shared/specs/azure-devops/service-hooks/`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use backlog_twins::azure::Process;
use base64::Engine;
use serde_json::{Value, json};

use super::support::{API, PREVIEW, Twin, start};

type Inbox = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

async fn receiver() -> (String, Inbox) {
    let inbox: Inbox = Arc::default();
    let app = Router::new()
        .route(
            "/webhooks/azure-devops",
            post(|State(inbox): State<Inbox>, headers: HeaderMap, body: axum::body::Bytes| async move {
                inbox.lock().unwrap().push((headers, serde_json::from_slice(&body).unwrap_or(Value::Null)));
                axum::http::StatusCode::ACCEPTED
            }),
        )
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/azure-devops", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, inbox)
}

async fn target(t: &Twin, body: Value) {
    let answer = t.client.post(t.control("webhooks")).json(&body).send().await.unwrap();
    assert_eq!(answer.status(), 200);
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn keys(value: &Value) -> Vec<String> {
    value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// Every key of the sample is in ours (recursively for the parts both have as objects).
fn covers(sample: &Value, ours: &Value, at: &str) {
    for key in keys(sample) {
        if key == "fields" {
            continue;
        }
        let ours_value = ours.get(&key).unwrap_or_else(|| panic!("`{at}.{key}` missing in {ours}"));
        if sample[&key].is_object() && ours_value.is_object() {
            covers(&sample[&key], ours_value, &format!("{at}.{key}"));
        }
    }
}

#[tokio::test]
async fn work_item_events_are_posted_with_basic_auth_in_the_service_shape() {
    let t = start(&[("Onboarding", Process::Agile)]).await;
    let (url, inbox) = receiver().await;
    target(&t, json!({"url": url, "username": "hooks", "password": "s3cret"})).await;

    let item = t.create("Onboarding", "Bug", &[("System.Title", json!("Crash on invite"))]).await;
    let id = item["id"].as_i64().unwrap();
    t.update(id, json!([{"op": "add", "path": "/fields/System.State", "value": "Active"}])).await;
    t.post(&format!("/Onboarding/_apis/wit/workItems/{id}/comments?{PREVIEW}"), json!({"text": "On it"})).await;
    t.delete(&format!("/Onboarding/_apis/wit/workitems/{id}?{API}")).await;
    t.patch(&format!("/Onboarding/_apis/wit/recyclebin/{id}?{API}"), json!({"isDeleted": false})).await;
    let quiet = t
        .patch_doc(
            &format!("/_apis/wit/workitems/{id}?suppressNotifications=true&{API}"),
            json!([{"op": "add", "path": "/fields/System.Title", "value": "Quiet"}]),
        )
        .await;
    assert_eq!(quiet.status, 200);
    assert!(t.twin.control().webhooks().settle(Duration::from_secs(10)).await);

    let received = inbox.lock().unwrap().clone();
    let events: Vec<&str> = received.iter().map(|(_, b)| b["eventType"].as_str().unwrap()).collect();
    assert_eq!(
        events,
        [
            "workitem.created",
            "workitem.updated",
            "workitem.updated",
            "workitem.commented",
            "workitem.deleted",
            "workitem.restored"
        ]
    );
    for (headers, body) in &received {
        assert_eq!(headers["authorization"], basic("hooks", "s3cret").as_str());
        assert_eq!(body["publisherId"], "tfs");
        assert_eq!(body["resourceVersion"], "1.0");
        for part in ["text", "html", "markdown"] {
            assert!(body["message"][part].as_str().unwrap().contains(&format!("Bug #{id}")), "{body}");
        }
        assert!(body["resourceContainers"]["project"]["id"].is_string());
    }
    let ids: Vec<u64> = received.iter().map(|(_, b)| b["notificationId"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let created = &received[0].1["resource"];
    assert_eq!(created["fields"]["System.State"], "New");
    assert!(created["fields"]["System.CreatedBy"].as_str().unwrap().ends_with('>'), "identities as `Name <mail>`");
    let updated = &received[1].1["resource"];
    assert_eq!(updated["workItemId"], id);
    assert_eq!(updated["fields"]["System.State"], json!({"oldValue": "New", "newValue": "Active"}));
    assert_eq!(updated["revision"]["fields"]["System.State"], "Active");
    assert!(received[1].1["detailedMessage"]["text"].as_str().unwrap().contains("New State: Active"));
    assert_eq!(received[3].1["resource"]["fields"]["System.History"], "On it");
    assert!(received[4].1["resource"]["url"].as_str().unwrap().contains("/_apis/wit/recyclebin/"));

    if let Some(shared) = crate::common::shared_dir() {
        let dir = shared.join("specs/azure-devops/service-hooks");
        for (file, index) in [("workitem.created.json", 0), ("workitem.updated.json", 1), ("workitem.deleted.json", 4)]
        {
            let sample: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
            covers(&sample, &received[index].1, file);
        }
    }
}

#[tokio::test]
async fn a_secret_alone_signs_in_as_backlog_sync() {
    let t = start(&[("Onboarding", Process::Basic)]).await;
    let (url, inbox) = receiver().await;
    target(&t, json!({"url": url, "secret": "shared"})).await;
    t.create("Onboarding", "Issue", &[("System.Title", json!("x"))]).await;
    assert!(t.twin.control().webhooks().settle(Duration::from_secs(10)).await);
    let received = inbox.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].0["authorization"], basic("backlog-sync", "shared").as_str());
    let deliveries = t.twin.control().webhooks().deliveries();
    assert_eq!((deliveries[0].event.as_str(), deliveries[0].status), ("workitem.created", Some(202)));
}
