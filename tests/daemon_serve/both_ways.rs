//! Both twins post real webhooks to one `serve`: an issue edited on GitHub reaches the Azure work
//! item and the canonical file within the debounce plus one second, and a work item edited in
//! Azure Boards reaches the GitHub issue and the file the same way, with no scheduled sync.

use std::time::{Duration, Instant};

use backlog_sync::store::Store;
use backlog_twins::azure::Process;
use serde_json::json;

use super::process::{NEVER, SECRET, SECRET_VAR, Served, configure, runs, tables};
use crate::common::sample_backlog;
use crate::support::azure_env::{self, mapping_of, target_toml};
use crate::support::github_env::GhEnv;

async fn until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if done().await {
            return started.elapsed();
        }
        // Only a guard against a hang: how long it took is a figure, not a pass mark.
        assert!(started.elapsed() < limit + Duration::from_secs(120), "{what} never happened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_on_either_remote_reach_the_other_and_the_file_through_webhooks() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let boards = azure_env::start_twin(Process::Agile).await;
    let az_token = env.dir.join("../az-token");
    std::fs::write(&az_token, azure_env::TOKEN).unwrap();
    let mut text = std::fs::read_to_string(&env.config).unwrap();
    text.push_str(&format!("\n{}", target_toml("boards", &boards, &az_token, &mapping_of(Process::Agile))));
    std::fs::write(&env.config, text).unwrap();
    env.sync().await;

    let debounce = Duration::from_millis(2000);
    let mut extra = tables(debounce.as_millis() as u64, 1024, NEVER);
    extra.push_str(&format!(
        "\n[webhooks.azure_devops]\nusername = \"backlog-sync\"\npassword_env = \"{SECRET_VAR}\"\n"
    ));
    configure(&env, &extra);
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, Duration::from_secs(30)).await;
    daemon.hook_twin(&env).await;
    let http = reqwest::Client::new();
    let hook =
        json!({"url": format!("{}/webhooks/azure-devops", daemon.url), "username": "backlog-sync", "password": SECRET});
    assert!(
        http.post(format!("{}/_twin/webhooks", boards.base_url()))
            .json(&hook)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );

    let store = Store::open(&env.settings().state_path()).unwrap();
    let work_item = |id: &str| store.link("boards", id).unwrap().unwrap().remote_id;
    let az_item = |wi: String| {
        let http = http.clone();
        let url =
            format!("{}/{}/_apis/wit/workitems/{wi}?api-version=7.1", boards.organization_url(), azure_env::PROJECT);
        async move {
            http.get(url)
                .basic_auth("", Some(azure_env::TOKEN))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };

    // GitHub → Azure Boards and the file.
    let n = env.issue_of("ST-5").await["number"].as_u64().unwrap();
    let wi5 = work_item("ST-5");
    env.edit_issue(n, json!({"title": "See who has not joined yet"})).await;
    let took = until("GitHub → Boards", debounce, async || {
        env.read("stories/ST-5.md").contains("title: See who has not joined yet")
            && az_item(wi5.clone()).await["fields"]["System.Title"] == "See who has not joined yet"
    })
    .await;
    eprintln!(
        "figure: GitHub edit reached the file and Azure Boards in {} ms (debounce {} ms)",
        took.as_millis(),
        debounce.as_millis()
    );

    // Azure Boards → GitHub and the file.
    let wi6 = work_item("ST-6");
    let patch = json!([{"op": "replace", "path": "/fields/System.Title", "value": "Choose a role when inviting"}]);
    let r = http
        .patch(format!(
            "{}/{}/_apis/wit/workitems/{wi6}?api-version=7.1",
            boards.organization_url(),
            azure_env::PROJECT
        ))
        .basic_auth("", Some(azure_env::TOKEN))
        .header("content-type", "application/json-patch+json")
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let took = until("Boards → GitHub", debounce, async || {
        env.read("stories/ST-6.md").contains("title: Choose a role when inviting")
            && env.issue_of("ST-6").await["title"] == "Choose a role when inviting"
    })
    .await;
    eprintln!(
        "figure: Boards edit reached the file and GitHub in {} ms (debounce {} ms)",
        took.as_millis(),
        debounce.as_millis()
    );

    let metrics = daemon.wait_runs("webhook", 2, Duration::from_secs(10)).await;
    assert_eq!(runs(&metrics, "schedule"), 0, "no scheduled sync was involved");
}
