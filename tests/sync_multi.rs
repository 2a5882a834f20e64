//! One settings file, two targets (a GitHub repository and an Azure Boards project): an edit in
//! Boards reaches GitHub in the same sync, and `drift` reports items whose state differs.

use std::path::PathBuf;

use backlog_sync::config::Settings;
use backlog_sync::reconcile::engine::{self, RunOptions, RunReport};
use backlog_twins::azure::{AzureTwin, Process};
use backlog_twins::github::{GithubTwin, GithubTwinConfig};
use serde_json::json;

use crate::common::{copy_tree, root, run_cli, sample_backlog, stderr, stdout};
use crate::support::azure_env::{self, GithubSide, field, id_of, mapping_of};

const REPO: &str = "contoso/onboarding";
const GH_TOKEN: &str = "ghp_multi_target_token";

struct Multi {
    github: GithubTwin,
    boards: AzureTwin,
    dir: PathBuf,
    config: PathBuf,
    http: reqwest::Client,
    _tmp: tempfile::TempDir,
}

impl Multi {
    async fn new() -> Multi {
        let github = GithubTwin::start(GithubTwinConfig {
            token: GH_TOKEN.into(),
            repositories: vec![REPO.into()],
            collaborators: vec!["alice-contoso".into()],
            content_limit_per_minute: 1000,
            content_limit_per_hour: 5000,
            ..GithubTwinConfig::default()
        })
        .await
        .expect("github twin starts");
        let boards = azure_env::start_twin(Process::Agile).await;
        let (tmp, dir) = copy_tree(&sample_backlog());
        let config = azure_env::both_targets_settings(
            tmp.path(),
            &dir,
            GithubSide {
                api_url: &github.base_url(),
                repository: REPO,
                token: GH_TOKEN,
                mapping: &root().join("mappings/github/default.toml"),
                extra: "",
            },
            &boards,
            &mapping_of(Process::Agile),
            "",
        );
        Multi { github, boards, dir, config, http: reqwest::Client::new(), _tmp: tmp }
    }

    async fn sync(&self) -> RunReport {
        let settings = Settings::load(Some(&self.config)).unwrap();
        engine::run(&settings, &RunOptions::default()).await.expect("sync runs")
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap()
    }

    async fn issue_of(&self, id: &str) -> serde_json::Value {
        let url = format!("{}/repos/{REPO}/issues?state=all&per_page=100", self.github.base_url());
        let issues: Vec<serde_json::Value> = self
            .http
            .get(url)
            .header("authorization", format!("token {GH_TOKEN}"))
            .header("user-agent", "a-person")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let marker = format!("<!-- backlog-sync: {id} -->");
        issues.into_iter().find(|i| i["body"].as_str().is_some_and(|b| b.contains(&marker))).expect("issue exists")
    }

    /// A person's edit in Boards.
    async fn edit_in_boards(&self, id: &str, fields: &[(&str, serde_json::Value)]) {
        let item = self.boards_item(id).await;
        let ops: Vec<serde_json::Value> =
            fields.iter().map(|(f, v)| json!({"op": "add", "path": format!("/fields/{f}"), "value": v})).collect();
        let url = format!("{}/_apis/wit/workitems/{}?api-version=7.1", self.boards.organization_url(), id_of(&item));
        let r = self
            .http
            .patch(url)
            .basic_auth("", Some(azure_env::TOKEN))
            .header("content-type", "application/json-patch+json")
            .body(json!(ops).to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }

    async fn boards_item(&self, id: &str) -> serde_json::Value {
        let org = self.boards.organization_url();
        let q = json!({"query": format!("SELECT [System.Id] FROM WorkItems WHERE [System.Tags] CONTAINS 'backlog-sync:{id}'")});
        let found: serde_json::Value = self
            .http
            .post(format!("{org}/Onboarding/_apis/wit/wiql?api-version=7.1"))
            .basic_auth("", Some(azure_env::TOKEN))
            .json(&q)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<i64> = found["workItems"].as_array().unwrap().iter().map(|w| w["id"].as_i64().unwrap()).collect();
        let got: serde_json::Value = self
            .http
            .post(format!("{org}/Onboarding/_apis/wit/workitemsbatch?api-version=7.1"))
            .basic_auth("", Some(azure_env::TOKEN))
            .json(&json!({"ids": ids}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let exact: Vec<serde_json::Value> = got["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| azure_env::tags(w).contains(&format!("backlog-sync:{id}")))
            .cloned()
            .collect();
        assert_eq!(exact.len(), 1, "one work item carries {id}");
        exact.into_iter().next().unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edit_in_boards_reaches_github_in_the_same_sync() {
    let env = Multi::new().await;
    let first = env.sync().await;
    assert_eq!(first.counts.outbound_created, 64, "32 items on each target: {:?}", first.errors);
    assert_eq!(field(&env.boards_item("ST-5").await, "System.Title"), "See who has not accepted yet");

    env.edit_in_boards(
        "ST-5",
        &[("System.Title", json!("See who has not accepted their invitation")), ("System.State", json!("Active"))],
    )
    .await;
    let report = env.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.counts.inbound_updated, 1, "{:?}", report.applied);
    let text = env.read("stories/ST-5.md");
    assert!(text.contains("title: See who has not accepted their invitation") && text.contains("state: active"));
    let issue = env.issue_of("ST-5").await;
    assert_eq!(issue["title"], "See who has not accepted their invitation", "reached GitHub in the same run");
    let labels: Vec<&str> = issue["labels"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert!(labels.contains(&"status:active"), "{labels:?}");

    let again = env.sync().await;
    assert!(again.plan.is_empty(), "settled: {:?}", again.plan.actions);
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_reports_items_whose_state_differs_between_targets() {
    let env = Multi::new().await;
    env.sync().await;
    env.edit_in_boards("ST-2", &[("System.State", json!("Closed"))]).await;
    let (config, dir) = (env.config.clone(), env.dir.clone());
    let out = tokio::task::spawn_blocking(move || {
        run_cli(&dir, &["drift", "--format", "json", "--today", "2026-11-22", "--config", config.to_str().unwrap()])
    })
    .await
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|_| panic!("{}", stderr(&out)));
    let mismatch: Vec<&serde_json::Value> =
        json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "state-mismatch").collect();
    assert_eq!(mismatch.len(), 1, "{mismatch:?}");
    assert_eq!(mismatch[0]["item"], "ST-2");
    let message = mismatch[0]["message"].as_str().unwrap();
    assert!(message.contains("closed on `boards`") && message.contains("active on `github`"), "{message}");

    // A sync brings both targets to the same state, and the finding goes away.
    env.sync().await;
    assert!(env.read("stories/ST-2.md").contains("state: closed"));
    let (config, dir) = (env.config.clone(), env.dir.clone());
    let out = tokio::task::spawn_blocking(move || {
        run_cli(&dir, &["drift", "--format", "json", "--today", "2026-11-22", "--config", config.to_str().unwrap()])
    })
    .await
    .unwrap();
    assert!(!stdout(&out).contains("state-mismatch"), "{}", stdout(&out));
}
