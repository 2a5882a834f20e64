//! An issue edited on the GitHub twin reaches its canonical file through the twin's signed webhook
//! within the debounce plus one second, with no scheduled sync involved.

use std::time::{Duration, Instant};

use serde_json::json;

use super::process::{NEVER, Served, configure, metric, runs, tables};
use crate::common::sample_backlog;
use crate::support::github_env::GhEnv;

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_on_github_reaches_the_file_within_the_debounce_plus_a_second() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    let debounce = Duration::from_millis(2000);
    configure(&env, &tables(debounce.as_millis() as u64, 1024, NEVER));
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, Duration::from_secs(30)).await;
    let ready = daemon.get("/readyz").await;
    assert_eq!(ready.status(), 200, "store open and the twin reachable: {}", ready.text().await.unwrap());
    daemon.hook_twin(&env).await;

    let issue = env.issue_of("ST-5").await;
    let started = Instant::now();
    env.edit_issue(issue["number"].as_u64().unwrap(), json!({"title": "See who has not joined yet"})).await;
    loop {
        if env.read("stories/ST-5.md").contains("title: See who has not joined yet") {
            break;
        }
        assert!(started.elapsed() < debounce + Duration::from_secs(120), "the file never changed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    eprintln!(
        "figure: webhook edit reached the file in {} ms (debounce {} ms)",
        took.as_millis(),
        debounce.as_millis()
    );

    let text = daemon.wait_runs("webhook", 1, Duration::from_secs(10)).await;
    assert_eq!(runs(&text, "schedule"), 0, "no scheduled sync was involved");
    assert!(metric(&text, "backlog_sync_webhooks_total{source=\"github\",outcome=\"accepted\"}") >= 1.0, "{text}");
    assert_eq!(metric(&text, "backlog_sync_webhooks_total{source=\"github\",outcome=\"unauthorized\"}"), 0.0);
    assert!(metric(&text, "backlog_sync_items_changed_total{direction=\"inbound\",action=\"updated\"}") >= 1.0);
}
