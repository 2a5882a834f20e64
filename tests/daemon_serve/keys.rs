//! The worker honours its keys: a webhook for one GitHub item reads that item on GitHub and on
//! Azure Boards and writes where it changed, with no listing of either target (counted on the
//! twins); and a key whose run fails backs off alone while another key's webhook still runs.

use std::time::{Duration, Instant};

use backlog_sync::store::Store;
use backlog_twins::azure::Process;
use serde_json::{Value, json};

use super::process::{NEVER, Served, configure, read, tables};
use crate::common::sample_backlog;
use crate::support::azure_env::{self, mapping_of, target_toml};
use crate::support::github_env::GhEnv;

/// Requests of the operations whose template is exactly `op` (`"POST …/wiql"`).
fn calls(stats: &Value, op: &str) -> u64 {
    stats["by_operation"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(o, _)| o.as_str() == op)
        .map(|(_, n)| n.as_u64().unwrap())
        .sum()
}

/// Requests of the operations whose template ends with `tail`.
fn calls_ending(stats: &Value, tail: &str) -> u64 {
    stats["by_operation"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(o, _)| o.ends_with(tail))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum()
}

async fn until(what: &str, log: &std::path::Path, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        // Only a guard against a hang, not a pass mark.
        assert!(started.elapsed() < Duration::from_secs(120), "{what} never happened; log:\n{}", read(log));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_for_one_github_item_runs_no_azure_listing() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let boards = azure_env::start_twin(Process::Agile).await;
    let az_token = env.dir.join("../az-token");
    std::fs::write(&az_token, azure_env::TOKEN).unwrap();
    let mut text = std::fs::read_to_string(&env.config).unwrap();
    text.push_str(&format!("\n{}", target_toml("boards", &boards, &az_token, &mapping_of(Process::Agile))));
    std::fs::write(&env.config, text).unwrap();
    env.sync().await;
    configure(&env, &tables(300, 1024, NEVER));
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, Duration::from_secs(60)).await;
    daemon.hook_twin(&env).await;
    let http = reqwest::Client::new();
    let az_stats = async || -> Value {
        http.get(format!("{}/_twin/stats", boards.base_url())).send().await.unwrap().json().await.unwrap()
    };
    let wi5 = Store::open(&env.settings().state_path()).unwrap().link("boards", "ST-5").unwrap().unwrap().remote_id;
    let az_title = async || -> Value {
        let url =
            format!("{}/{}/_apis/wit/workitems/{wi5}?api-version=7.1", boards.organization_url(), azure_env::PROJECT);
        let item: Value =
            http.get(url).basic_auth("", Some(azure_env::TOKEN)).send().await.unwrap().json().await.unwrap();
        item["fields"]["System.Title"].clone()
    };
    let n = env.issue_of("ST-5").await["number"].as_u64().unwrap();
    let (az_before, gh_before) = (az_stats().await, env.stats().await);
    env.edit_issue(n, json!({"title": "See who has not joined yet"})).await;
    until("the edit reached the file and Azure Boards", &daemon.log, async || {
        env.read("stories/ST-5.md").contains("title: See who has not joined yet")
            && az_title().await == "See who has not joined yet"
    })
    .await;
    daemon.wait_runs("webhook", 1, Duration::from_secs(60)).await;

    let (az, gh) = (az_stats().await, env.stats().await);
    let wiql = "POST /{organization}/{project}/{team}/_apis/wit/wiql";
    let wiql_p = "POST /{organization}/{project}/_apis/wit/wiql";
    let az_listings = calls(&az, wiql) + calls(&az, wiql_p) - calls(&az_before, wiql) - calls(&az_before, wiql_p);
    assert_eq!(az_listings, 0, "no Azure Boards listing: {az}");
    let gh_list = "GET /repos/{owner}/{repo}/issues";
    assert_eq!(calls(&gh, gh_list) - calls(&gh_before, gh_list), 0, "no GitHub listing either: {gh}");
    let az_reads = calls_ending(&az, "/workitems/{id}") - calls_ending(&az_before, "/workitems/{id}");
    assert!(az_reads >= 1, "the linked work item was read by itself and written: {az}");
    eprintln!(
        "figure: one GitHub webhook cost {} GitHub and {} Azure Boards requests, no listing",
        gh["requests"].as_u64().unwrap() - gh_before["requests"].as_u64().unwrap(),
        az["requests"].as_u64().unwrap() - az_before["requests"].as_u64().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failing_key_backs_off_alone_while_another_keys_webhook_runs() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    configure(&env, &tables(300, 1024, NEVER));
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, Duration::from_secs(60)).await;
    daemon.hook_twin(&env).await;
    let a = env.issue_of("ST-5").await["number"].as_u64().unwrap();
    let b = env.issue_of("ST-6").await["number"].as_u64().unwrap();
    // Every read of issue A fails (400: that item's, retrying soon will not help).
    env.faults(json!([{"method": "GET", "path": format!("/repos/*/*/issues/{a}"), "status": 400, "count": 100000}]))
        .await;
    env.edit_issue(a, json!({"title": "See who has not joined yet"})).await;
    let retried = |key: u64| format!("key will be retried key=github#{key} ");
    until("issue A's key failed", &daemon.log, async || read(&daemon.log).contains(&retried(a))).await;

    env.edit_issue(b, json!({"title": "Choose a role when inviting"})).await;
    until("issue B's edit reached its file", &daemon.log, async || {
        env.read("stories/ST-6.md").contains("title: Choose a role when inviting")
    })
    .await;
    assert!(!env.read("stories/ST-5.md").contains("See who has not joined yet"), "A still fails");
    let log = read(&daemon.log);
    assert!(!log.contains(&retried(b)), "B's key never backed off:\n{log}");
    assert!(log.matches(&retried(a)).count() >= 1, "A backs off by itself:\n{log}");

    // A's reads work again: its back-off ends and it converges.
    let r = env.http.delete(env.url("/_twin/faults")).send().await.unwrap();
    assert!(r.status().is_success());
    until("issue A's edit reached its file after its back-off", &daemon.log, async || {
        env.read("stories/ST-5.md").contains("title: See who has not joined yet")
    })
    .await;
    assert!(!read(&daemon.log).contains(&retried(b)), "B's key never backed off");
}
