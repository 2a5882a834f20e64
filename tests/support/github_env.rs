//! A GitHub twin on 127.0.0.1, a copy of a backlog and a settings file pointing at both: the
//! world the sync tests act in, as a person would (REST calls to the twin, edits to files).

use std::path::{Path, PathBuf};
use std::process::Output;

use backlog_sync::config::Settings;
use backlog_sync::reconcile::engine::{self, RunOptions, RunReport};
use backlog_twins::github::{GithubTwin, GithubTwinConfig};
use serde_json::{Value, json};

use crate::common::{copy_tree, root, run_cli};

pub const REPO: &str = "contoso/onboarding";
pub const TOKEN: &str = "ghp_twin_test_token";

pub struct GhEnv {
    pub twin: GithubTwin,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub http: reqwest::Client,
    _tmp: tempfile::TempDir,
}

impl GhEnv {
    /// A twin, a copy of `backlog` and settings with `policy`.
    pub async fn new(backlog: &Path, policy: &str) -> GhEnv {
        Self::with_limits(backlog, policy, 80).await
    }

    pub async fn with_limits(backlog: &Path, policy: &str, per_minute: u32) -> GhEnv {
        let twin = GithubTwin::start(GithubTwinConfig {
            token: TOKEN.into(),
            repositories: vec![REPO.into()],
            collaborators: vec!["alice-contoso".into()],
            content_limit_per_minute: per_minute,
            content_limit_per_hour: 5000,
            ..GithubTwinConfig::default()
        })
        .await
        .expect("twin starts");
        let (tmp, dir) = copy_tree(backlog);
        let token = tmp.path().join("token");
        std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
        let config = tmp.path().join("settings.toml");
        std::fs::write(
            &config,
            format!(
                "[backlog]\npath = {:?}\n\n[[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"{REPO}\"\napi_url = \"{}\"\ntoken_file = {:?}\nmapping = {:?}\n\n[sync]\nconflict_policy = \"{policy}\"\n",
                dir,
                twin.base_url(),
                token,
                root().join("mappings/github/default.toml"),
            ),
        )
        .unwrap();
        GhEnv { twin, dir, config, http: reqwest::Client::new(), _tmp: tmp }
    }

    pub fn settings(&self) -> Settings {
        Settings::load(Some(&self.config)).expect("settings load")
    }

    pub async fn sync(&self) -> RunReport {
        engine::run(&self.settings(), &RunOptions::default()).await.expect("sync runs")
    }

    /// Runs the real binary with `--config` appended, off the async runtime.
    pub async fn cli(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.push("--config".into());
        all.push(self.config.to_string_lossy().into_owned());
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            run_cli(&dir, &refs)
        })
        .await
        .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.twin.base_url())
    }

    pub async fn stats(&self) -> Value {
        self.http.get(self.url("/_twin/stats")).send().await.unwrap().json().await.unwrap()
    }

    pub async fn writes(&self) -> u64 {
        self.stats().await["writes"].as_u64().unwrap()
    }

    /// Requests the twin counted, and the primary quota used (read through the free `/rate_limit`).
    pub async fn requests_and_quota(&self) -> (u64, u64) {
        let requests = self.stats().await["requests"].as_u64().unwrap();
        let limits = self.api(reqwest::Method::GET, "/rate_limit", None).await;
        (requests, limits["resources"]["core"]["used"].as_u64().unwrap())
    }

    /// Moves the twin's clock `seconds` forward (`POST /_twin/clock`): its next write is stamped
    /// at least that much after its last, with no sleeping.
    pub async fn advance_clock(&self, seconds: i64) {
        let r = self.http.post(self.url("/_twin/clock")).json(&json!({"advance_s": seconds})).send().await.unwrap();
        assert!(r.status().is_success(), "the twin's clock moved");
    }

    pub async fn faults(&self, rules: Value) {
        let r = self.http.post(self.url("/_twin/faults")).json(&rules).send().await.unwrap();
        assert!(r.status().is_success(), "faults armed");
    }

    async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("authorization", format!("token {TOKEN}"))
            .header("user-agent", "a-person");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// Every issue of the repository, any state.
    pub async fn issues(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for page in 1.. {
            let batch = self
                .api(reqwest::Method::GET, &format!("/repos/{REPO}/issues?state=all&per_page=100&page={page}"), None)
                .await;
            let batch = batch.as_array().unwrap().clone();
            let done = batch.len() < 100;
            all.extend(batch);
            if done {
                break;
            }
        }
        all
    }

    /// The issue that carries `id`'s marker.
    pub async fn issue_of(&self, id: &str) -> Value {
        let marker = format!("<!-- backlog-sync: {id} -->");
        let found: Vec<Value> = self
            .issues()
            .await
            .into_iter()
            .filter(|i| i["body"].as_str().is_some_and(|b| b.contains(&marker)))
            .collect();
        assert_eq!(found.len(), 1, "exactly one issue carries {id}");
        found.into_iter().next().unwrap()
    }

    pub async fn edit_issue(&self, number: u64, body: Value) -> Value {
        self.api(reqwest::Method::PATCH, &format!("/repos/{REPO}/issues/{number}"), Some(body)).await
    }

    pub async fn create_issue(&self, body: Value) -> Value {
        self.api(reqwest::Method::POST, &format!("/repos/{REPO}/issues"), Some(body)).await
    }

    pub async fn sub_issues(&self, number: u64) -> Vec<Value> {
        self.api(reqwest::Method::GET, &format!("/repos/{REPO}/issues/{number}/sub_issues?per_page=100"), None)
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap()
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.join(rel), text).unwrap();
    }
}

/// Label names of an issue.
pub fn labels(issue: &Value) -> Vec<String> {
    issue["labels"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap().to_string()).collect()
}

/// Lines that differ between two texts of equal line count.
pub fn changed_lines(before: &str, after: &str) -> Vec<(String, String)> {
    assert_eq!(before.lines().count(), after.lines().count(), "line count changed:\n{before}\n---\n{after}");
    before.lines().zip(after.lines()).filter(|(a, b)| a != b).map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

pub fn json_state(state: &str, reason: Option<&str>) -> Value {
    match reason {
        Some(r) => json!({"state": state, "state_reason": r}),
        None => json!({"state": state}),
    }
}

impl GhEnv {
    /// Deletes an issue as an admin would in the web UI (the REST API cannot).
    pub async fn delete_issue(&self, number: u64) {
        let r = self.http.delete(self.url(&format!("/_twin/repos/{REPO}/issues/{number}"))).send().await.unwrap();
        assert!(r.status().is_success(), "delete #{number}: {}", r.status());
    }
}

impl GhEnv {
    /// Edits an issue and says whether the twin took it (for faulty twins).
    pub async fn edit_issue_raw(&self, number: u64, body: Value) -> bool {
        let url = self.url(&format!("/repos/{REPO}/issues/{number}"));
        let sent = self
            .http
            .patch(url)
            .header("authorization", format!("token {TOKEN}"))
            .header("user-agent", "a-person")
            .json(&body)
            .send()
            .await;
        sent.map(|r| r.status().is_success()).unwrap_or(false)
    }
}
