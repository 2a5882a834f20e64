//! The world the data-loss regressions act in: a GitHub twin, optionally an Azure Boards twin, a
//! copy of the sample backlog and of `mappings/` (so `identities.toml` can be edited), and a
//! settings file pointing at them. People edit through the twins' REST APIs and the files.

use std::path::PathBuf;
use std::process::Output;

use backlog_sync::config::Settings;
use backlog_sync::reconcile::engine::{self, RunOptions, RunReport};
use backlog_twins::azure::{AzureTwin, Process};
use backlog_twins::github::{GithubTwin, GithubTwinConfig};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{copy_tree, root, run_cli, sample_backlog};
use crate::support::azure_env::{self, target_toml};

pub const REPO: &str = "contoso/onboarding";
pub const GH_TOKEN: &str = "ghp_data_loss_token";

#[allow(dead_code)]
pub struct World {
    pub github: GithubTwin,
    pub boards: Option<AzureTwin>,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub mappings: PathBuf,
    http: reqwest::Client,
    _tmp: tempfile::TempDir,
    _maps: tempfile::TempDir,
}

#[allow(dead_code)]
impl World {
    /// GitHub only, or GitHub and Boards; the sample backlog after `prepare` edited its copy.
    pub async fn new(policy: &str, with_boards: bool, prepare: impl FnOnce(&std::path::Path)) -> World {
        let github = GithubTwin::start(GithubTwinConfig {
            token: GH_TOKEN.into(),
            repositories: vec![REPO.into()],
            // The sample's people, and the one `identities.toml` gains in a test.
            collaborators: vec!["alice-contoso".into(), "dave-contoso".into()],
            content_limit_per_minute: 1000,
            content_limit_per_hour: 5000,
            ..GithubTwinConfig::default()
        })
        .await
        .expect("github twin starts");
        let (tmp, dir) = copy_tree(&sample_backlog());
        prepare(&dir);
        let (maps, mappings) = copy_tree(&root().join("mappings"));
        let gh_token = tmp.path().join("gh-token");
        std::fs::write(&gh_token, GH_TOKEN).unwrap();
        let mut text = format!(
            "[backlog]\npath = {dir:?}\n\n[[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"{REPO}\"\napi_url = \"{}\"\ntoken_file = {gh_token:?}\nmapping = {:?}\n\n",
            github.base_url(),
            mappings.join("github/default.toml"),
        );
        let boards = if with_boards {
            let twin = azure_env::start_twin(Process::Agile).await;
            let az_token = tmp.path().join("az-token");
            std::fs::write(&az_token, azure_env::TOKEN).unwrap();
            text.push_str(&target_toml("boards", &twin, &az_token, &mappings.join("azure-boards/agile.toml")));
            Some(twin)
        } else {
            None
        };
        text.push_str(&format!("\n[sync]\nconflict_policy = \"{policy}\"\n"));
        let config = tmp.path().join("settings.toml");
        std::fs::write(&config, text).unwrap();
        World { github, boards, dir, config, mappings, http: reqwest::Client::new(), _tmp: tmp, _maps: maps }
    }

    pub fn settings(&self) -> Settings {
        Settings::load(Some(&self.config)).expect("settings load")
    }

    pub async fn run(&self, full: bool) -> RunReport {
        let opts = RunOptions { full, ..RunOptions::default() };
        engine::run(&self.settings(), &opts).await.expect("run")
    }

    pub async fn sync(&self) -> RunReport {
        self.run(false).await
    }

    pub async fn plan(&self) -> RunReport {
        let opts = RunOptions { dry_run: true, ..RunOptions::default() };
        engine::run(&self.settings(), &opts).await.expect("plan")
    }

    /// The real binary with `--config` appended.
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

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap()
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.join(rel), text).unwrap();
    }

    async fn gh(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.github.base_url()))
            .header("authorization", format!("token {GH_TOKEN}"))
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

    /// GitHub's quota left (`GET /rate_limit`, which costs none): a listing answered 304 Not
    /// Modified costs none either, any other answer one.
    pub async fn quota(&self) -> u64 {
        self.gh(Method::GET, "/rate_limit", None).await["resources"]["core"]["remaining"].as_u64().unwrap()
    }

    /// Edits `mappings/identities.toml`.
    pub fn edit_identities(&self, edit: impl FnOnce(&str) -> String) {
        let path = self.mappings.join("identities.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, edit(&text)).unwrap();
    }

    pub async fn issues(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for page in 1.. {
            let path = format!("/repos/{REPO}/issues?state=all&per_page=100&page={page}");
            let batch = self.gh(Method::GET, &path, None).await.as_array().unwrap().clone();
            let done = batch.len() < 100;
            all.extend(batch);
            if done {
                break;
            }
        }
        all
    }

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

    /// A person edits the issue of `id`.
    pub async fn edit_issue(&self, id: &str, body: Value) -> Value {
        let number = self.issue_of(id).await["number"].as_u64().unwrap();
        self.gh(Method::PATCH, &format!("/repos/{REPO}/issues/{number}"), Some(body)).await
    }

    pub async fn create_issue(&self, body: Value) -> Value {
        self.gh(Method::POST, &format!("/repos/{REPO}/issues"), Some(body)).await
    }

    fn boards(&self) -> &AzureTwin {
        self.boards.as_ref().expect("a world with boards")
    }

    async fn az(&self, method: Method, path: &str, body: Option<Value>, content_type: &str) -> Value {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{}{path}{sep}api-version=7.1", self.boards().organization_url());
        let mut req = self.http.request(method, url).basic_auth("", Some(azure_env::TOKEN));
        if let Some(b) = body {
            req = req.header("content-type", content_type).body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// The work item that carries `id`'s marker tag.
    pub async fn work_item_of(&self, id: &str) -> Value {
        let p = azure_env::PROJECT;
        let q = json!({"query": format!("SELECT [System.Id] FROM WorkItems WHERE [System.Tags] CONTAINS 'backlog-sync:{id}'")});
        let found = self.az(Method::POST, &format!("/{p}/_apis/wit/wiql"), Some(q), "application/json").await;
        let ids: Vec<i64> = found["workItems"].as_array().unwrap().iter().map(|w| w["id"].as_i64().unwrap()).collect();
        let body = json!({"ids": ids, "$expand": "relations"});
        let got =
            self.az(Method::POST, &format!("/{p}/_apis/wit/workitemsbatch"), Some(body), "application/json").await;
        let tag = format!("backlog-sync:{id}");
        let exact: Vec<Value> =
            got["value"].as_array().unwrap().iter().filter(|w| azure_env::tags(w).contains(&tag)).cloned().collect();
        assert_eq!(exact.len(), 1, "one work item carries {id}");
        exact.into_iter().next().unwrap()
    }

    /// A person sets fields of `id`'s work item in Boards.
    pub async fn edit_work_item(&self, id: &str, fields: &[(&str, Value)]) {
        let wi = azure_env::id_of(&self.work_item_of(id).await);
        let ops: Vec<Value> =
            fields.iter().map(|(f, v)| json!({"op": "add", "path": format!("/fields/{f}"), "value": v})).collect();
        let path = format!("/{}/_apis/wit/workitems/{wi}", azure_env::PROJECT);
        self.az(Method::PATCH, &path, Some(json!(ops)), "application/json-patch+json").await;
    }

    /// A person restores work item `wi` from the recycle bin.
    pub async fn restore_work_item(&self, wi: i64) {
        let path = format!("/{}/_apis/wit/recyclebin/{wi}", azure_env::PROJECT);
        self.az(Method::PATCH, &path, Some(json!({"isDeleted": false})), "application/json").await;
    }

    /// `state.db` (and its journal files) deleted: the links and watermarks are lost.
    pub fn lose_state(&self) {
        for entry in std::fs::read_dir(self.dir.join(".backlog-sync")).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().starts_with("state.db") {
                std::fs::remove_file(path).unwrap();
            }
        }
    }

    /// Arms faults on the Boards twin (`POST /_twin/faults`).
    pub async fn boards_faults(&self, rules: Value) {
        let url = format!("{}/_twin/faults", self.boards.as_ref().expect("boards").base_url());
        let armed = self.http.post(url).json(&rules).send().await.unwrap();
        assert!(armed.status().is_success(), "faults armed");
    }

    /// A person deletes `id`'s work item (to the recycle bin).
    pub async fn delete_work_item(&self, id: &str) {
        let wi = azure_env::id_of(&self.work_item_of(id).await);
        self.az(Method::DELETE, &format!("/{}/_apis/wit/workitems/{wi}", azure_env::PROJECT), None, "").await;
    }
}

/// The value of front matter key `key` in a file's text, if present.
pub fn key(text: &str, key: &str) -> Option<String> {
    let front = text.split("---").nth(1)?;
    front.lines().find_map(|l| l.strip_prefix(&format!("{key}:")).map(|v| v.trim().to_string()))
}
