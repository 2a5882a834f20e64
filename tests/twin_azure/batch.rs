//! `PATCH /{org}/_apis/wit/$batch` (`POST` before api-version 4.1): the shape of the service's published batch example, each
//! sub-request answered on its own, a stale revision failing only its own item.

use serde_json::{Value, json};

use crate::support::azure_env::{self, PROJECT, TOKEN};

#[tokio::test(flavor = "multi_thread")]
async fn batch_updates_answer_each_item_on_its_own() {
    let twin = azure_env::start_twin(backlog_twins::azure::Process::Agile).await;
    let http = reqwest::Client::new();
    let org = twin.organization_url();
    let mut ids = Vec::new();
    for title in ["one", "two"] {
        let ops = json!([{"op": "add", "path": "/fields/System.Title", "value": title}]);
        let created: Value = http
            .post(format!("{org}/{PROJECT}/_apis/wit/workitems/$Task?api-version=7.1"))
            .basic_auth("", Some(TOKEN))
            .header("content-type", "application/json-patch+json")
            .body(ops.to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_i64().unwrap());
    }
    let sub = |id: i64, rev: i64| {
        json!({
            "method": "PATCH",
            "uri": format!("/_apis/wit/workItems/{id}?api-version=1.0"),
            "headers": {"Content-Type": "application/json-patch+json"},
            "body": [{"op": "test", "path": "/rev", "value": rev}, {"op": "add", "path": "/fields/System.State", "value": "Active"}]
        })
    };
    let batch = json!([sub(ids[0], 1), sub(ids[1], 7)]);
    let reply = http
        .patch(format!("{org}/_apis/wit/$batch?api-version=7.1"))
        .basic_auth("", Some(TOKEN))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["count"], 2);
    assert_eq!(body["value"][0]["code"], 200);
    assert_eq!(body["value"][0]["headers"]["Content-Type"], "application/json; charset=utf-8");
    let first: Value = serde_json::from_str(body["value"][0]["body"].as_str().unwrap()).unwrap();
    assert_eq!((first["rev"].as_i64(), first["fields"]["System.State"].as_str()), (Some(2), Some("Active")));
    assert_eq!(body["value"][1]["code"], 412, "a stale revision fails its own item only");
    let second: Value = serde_json::from_str(body["value"][1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(second["count"], 1, "a failed entry's body has the service's shape: {second}");
    assert!(second["value"]["Message"].is_string(), "{second}");
    let legacy = http
        .post(format!("{org}/_apis/wit/$batch?api-version=1.0"))
        .basic_auth("", Some(TOKEN))
        .json(&json!([sub(ids[0], 2)]))
        .send()
        .await
        .unwrap();
    assert_eq!(legacy.status(), 200, "POST is the verb of api-version 1.0");
    let posted = http
        .post(format!("{org}/_apis/wit/$batch?api-version=7.1"))
        .basic_auth("", Some(TOKEN))
        .json(&json!([sub(ids[0], 3)]))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 405, "from 4.1 on the verb is PATCH");

    let too_many: Vec<Value> = (0..201).map(|_| sub(ids[0], 2)).collect();
    let refused = http
        .patch(format!("{org}/_apis/wit/$batch?api-version=7.1"))
        .basic_auth("", Some(TOKEN))
        .json(&too_many)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "at most 200 requests in a batch");
}
