//! Under `serve`, a push webhook of the backlog repository (GitHub `push`, Azure Repos `git.push`)
//! makes a product owner's pushed edit reach GitHub and Azure Boards within the debounce.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::world::GitWorld;
use crate::daemon_serve::process::{NEVER, SECRET, SECRET_VAR, Served, metric, runs, tables};
use crate::support::azure_env::field;

fn github_push(after: &str) -> Value {
    json!({
        "ref": "refs/heads/main",
        "before": "0000000000000000000000000000000000000000",
        "after": after,
        "repository": {"full_name": "contoso/backlog", "clone_url": "https://github.com/contoso/backlog.git"},
        "pusher": {"name": "ann-po", "email": "ann@contoso.com"},
        "commits": [{"id": after, "message": "retitle", "author": {"name": "Ann PO", "email": "ann@contoso.com"}}]
    })
}

fn azure_push(after: &str) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "eventType": "git.push",
        "publisherId": "tfs",
        "resource": {
            "refUpdates": [{"name": "refs/heads/main", "oldObjectId": "0000000000000000000000000000000000000000", "newObjectId": after}],
            "repository": {"name": "backlog", "remoteUrl": "https://dev.azure.com/contoso/contoso/_git/backlog", "project": {"name": "contoso"}},
            "pushedBy": {"displayName": "Ann PO", "uniqueName": "ann@contoso.com"}
        },
        "resourceVersion": "1.0"
    })
}

async fn wait_until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) -> Duration {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < Duration::from_secs(60), "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pushed_edit_reaches_github_and_azure_boards_through_push_webhooks_under_serve() {
    let w = GitWorld::new("").await;
    w.sync().await;
    let mut text = std::fs::read_to_string(&w.config).unwrap();
    text.push_str(&format!(
        "\n[webhooks.github]\nsecret_env = \"{SECRET_VAR}\"\n\n[webhooks.azure_devops]\npassword_env = \"{SECRET_VAR}\"\nsecret_header = \"X-Backlog-Secret\"\n\n{}",
        tables(300, 1024, NEVER)
    ));
    std::fs::write(&w.config, text).unwrap();
    let daemon = Served::start(&w.config, w.tmp.path().join("serve.log"));
    daemon.wait_runs("startup", 1, Duration::from_secs(60)).await;
    let http = reqwest::Client::new();

    // GitHub `push`.
    w.po_edit("stories/ST-3.md", "title: Story number 3", "title: Story three, pushed", "ST-3 retitled");
    let body = github_push(w.remote_log()[0].split(' ').next().unwrap()).to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let r = http
        .post(format!("{}/webhooks/github", daemon.url))
        .header("x-github-event", "push")
        .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
        .header("x-hub-signature-256", signature)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let took = wait_until("ST-3's title reached GitHub", || async {
        w.gh.issue_of("ST-3").await["title"] == "Story three, pushed"
    })
    .await;
    eprintln!(
        "figure: a pushed edit reached GitHub through the push webhook in {} ms (debounce 300 ms)",
        took.as_millis()
    );
    wait_until("ST-3's title reached Azure Boards", || async {
        field(&w.boards.item_of("ST-3").await, "System.Title") == "Story three, pushed"
    })
    .await;

    // Azure Repos `git.push`.
    w.po_edit("stories/ST-1.md", "title: Story number 1", "title: Story one, pushed", "ST-1 retitled");
    let body = azure_push(w.remote_log()[0].split(' ').next().unwrap());
    let r = http
        .post(format!("{}/webhooks/azure-devops", daemon.url))
        .header("x-backlog-secret", SECRET)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    wait_until("ST-1's title reached Azure Boards", || async {
        field(&w.boards.item_of("ST-1").await, "System.Title") == "Story one, pushed"
    })
    .await;
    wait_until("ST-1's title reached GitHub", || async { w.gh.issue_of("ST-1").await["title"] == "Story one, pushed" })
        .await;

    let text = daemon.wait_runs("webhook", 2, Duration::from_secs(60)).await;
    assert_eq!(runs(&text, "schedule"), 0, "no scheduled sync was involved");
    assert!(metric(&text, "backlog_sync_webhooks_total{source=\"github\",outcome=\"accepted\"}") >= 1.0, "{text}");
}
