//! An Azure DevOps twin on 127.0.0.1, a copy of a backlog and a settings file pointing at both:
//! the world the Azure sync tests act in, as a person would (REST calls to the twin as another
//! user of the project, edits to files).

use std::path::{Path, PathBuf};
use std::process::Output;

use backlog_sync::config::Settings;
use backlog_sync::reconcile::engine::{self, RunOptions, RunReport};
use backlog_twins::azure::{AzureTwin, AzureTwinConfig, Process};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{copy_tree, root, run_cli};

pub const PROJECT: &str = "Onboarding";
pub const TOKEN: &str = "azure-twin-test-pat";
const API: &str = "api-version=7.1";

pub struct AzEnv {
    pub twin: AzureTwin,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub http: reqwest::Client,
    _tmp: tempfile::TempDir,
}

/// The mapping file of a process.
pub fn mapping_of(process: Process) -> PathBuf {
    let file = match process {
        Process::Agile => "agile",
        Process::Scrum => "scrum",
        Process::Cmmi => "cmmi",
        Process::Basic => "basic",
    };
    root().join(format!("mappings/azure-boards/{file}.toml"))
}

/// Starts an Azure twin with one project on `process`, no request budget.
pub async fn start_twin(process: Process) -> AzureTwin {
    AzureTwin::start(AzureTwinConfig {
        token: TOKEN.into(),
        members: vec!["alice@contoso.com".into(), "grace.hopper@contoso.com".into(), "someone@fabrikam.example".into()],
        projects: vec![(PROJECT.into(), process)],
        rate_limit: None,
        ..AzureTwinConfig::default()
    })
    .await
    .expect("twin starts")
}

/// The `[[targets]]` table of an Azure twin.
pub fn target_toml(name: &str, twin: &AzureTwin, token_file: &Path, mapping: &Path) -> String {
    format!(
        "[[targets]]\nname = \"{name}\"\nkind = \"azure-boards\"\norganization_url = \"{}\"\nproject = \"{PROJECT}\"\ntoken_file = {:?}\nmapping = {:?}\n",
        twin.organization_url(),
        token_file,
        mapping
    )
}

/// The GitHub half of a settings file with both twins as targets.
pub struct GithubSide<'a> {
    pub api_url: &'a str,
    pub repository: &'a str,
    pub token: &'a str,
    pub mapping: &'a Path,
    /// More lines of GitHub's `[[targets]]` table (each ending in a newline), or "".
    pub extra: &'a str,
}

/// Writes both tokens and `settings.toml` into `folder`: `backlog`, a GitHub target `github`, an
/// Azure Boards target `boards` on `boards_mapping`, `[sync]` with `manual` and `sync_extra`.
/// Returns the settings file.
pub fn both_targets_settings(
    folder: &Path,
    backlog: &Path,
    github: GithubSide<'_>,
    boards: &AzureTwin,
    boards_mapping: &Path,
    sync_extra: &str,
) -> PathBuf {
    let gh_token = folder.join("gh-token");
    std::fs::write(&gh_token, github.token).unwrap();
    let az_token = folder.join("az-token");
    std::fs::write(&az_token, TOKEN).unwrap();
    let config = folder.join("settings.toml");
    std::fs::write(
        &config,
        format!(
            "[backlog]\npath = {backlog:?}\n\n[[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"{}\"\napi_url = \"{}\"\ntoken_file = {gh_token:?}\nmapping = {:?}\n{}\n{}\n[sync]\nconflict_policy = \"manual\"\n{sync_extra}",
            github.repository,
            github.api_url,
            github.mapping,
            github.extra,
            target_toml("boards", boards, &az_token, boards_mapping),
        ),
    )
    .unwrap();
    config
}

impl AzEnv {
    /// A twin on `process`, a copy of `backlog` and settings with `policy`.
    pub async fn new(backlog: &Path, policy: &str, process: Process) -> AzEnv {
        Self::with_mapping(backlog, policy, process, &mapping_of(process)).await
    }

    pub async fn with_mapping(backlog: &Path, policy: &str, process: Process, mapping: &Path) -> AzEnv {
        let twin = start_twin(process).await;
        let (tmp, dir) = copy_tree(backlog);
        let token = tmp.path().join("token");
        std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
        let config = tmp.path().join("settings.toml");
        std::fs::write(
            &config,
            format!(
                "[backlog]\npath = {:?}\n\n{}\n[sync]\nconflict_policy = \"{policy}\"\n",
                dir,
                target_toml("boards", &twin, &token, mapping)
            ),
        )
        .unwrap();
        AzEnv { twin, dir, config, http: reqwest::Client::new(), _tmp: tmp }
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

    pub async fn stats(&self) -> Value {
        let url = format!("{}/_twin/stats", self.twin.base_url());
        self.http.get(url).send().await.unwrap().json().await.unwrap()
    }

    /// Requests that change work items: creates, updates and deletes (the twin also counts the
    /// read-only POSTs of WIQL and batch reads as writes).
    pub async fn writes(&self) -> u64 {
        let stats = self.stats().await;
        stats["by_operation"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(op, _)| {
                op.starts_with("PATCH ")
                    || op.starts_with("DELETE ")
                    || (op.starts_with("POST ") && op.contains("/workitems/$"))
            })
            .map(|(_, n)| n.as_u64().unwrap())
            .sum()
    }

    pub async fn faults(&self, rules: Value) {
        let url = format!("{}/_twin/faults", self.twin.base_url());
        let r = self.http.post(url).json(&rules).send().await.unwrap();
        assert!(r.status().is_success(), "faults armed");
    }

    /// A REST call as a person with access to the project; panics unless it succeeds.
    pub async fn api(&self, method: Method, path: &str, body: Option<Value>, content_type: &str) -> Value {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{}{path}{sep}{API}", self.twin.organization_url());
        let mut req = self.http.request(method, url).basic_auth("", Some(TOKEN));
        if let Some(b) = body {
            req = req.header("content-type", content_type).body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// Every live work item of the project, with relations.
    pub async fn work_items(&self) -> Vec<Value> {
        let q = json!({"query": "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project ORDER BY [System.Id]"});
        let found = self.api(Method::POST, &format!("/{PROJECT}/_apis/wit/wiql"), Some(q), "application/json").await;
        let ids: Vec<i64> = found["workItems"].as_array().unwrap().iter().map(|w| w["id"].as_i64().unwrap()).collect();
        let mut out = Vec::new();
        for chunk in ids.chunks(200) {
            let body = json!({"ids": chunk, "$expand": "relations"});
            let got = self
                .api(Method::POST, &format!("/{PROJECT}/_apis/wit/workitemsbatch"), Some(body), "application/json")
                .await;
            out.extend(got["value"].as_array().unwrap().iter().cloned());
        }
        out
    }

    /// The work item that carries `id`'s marker tag.
    pub async fn item_of(&self, id: &str) -> Value {
        let tag = format!("backlog-sync:{id}");
        let found: Vec<Value> = self.work_items().await.into_iter().filter(|w| tags(w).contains(&tag)).collect();
        assert_eq!(found.len(), 1, "exactly one work item carries {tag}");
        found.into_iter().next().unwrap()
    }

    /// A person's edit: a JSON Patch without a revision check.
    pub async fn edit(&self, work_item: i64, ops: Value) -> Value {
        self.api(
            Method::PATCH,
            &format!("/{PROJECT}/_apis/wit/workitems/{work_item}?$expand=relations"),
            Some(ops),
            "application/json-patch+json",
        )
        .await
    }

    /// A person sets fields (`[("System.Title", "x")]`).
    pub async fn set(&self, work_item: i64, fields: &[(&str, Value)]) -> Value {
        let ops: Vec<Value> =
            fields.iter().map(|(f, v)| json!({"op": "add", "path": format!("/fields/{f}"), "value": v})).collect();
        self.edit(work_item, json!(ops)).await
    }

    /// A person creates a work item of `kind` with these fields.
    pub async fn create(&self, kind: &str, fields: &[(&str, Value)]) -> Value {
        let ops: Vec<Value> =
            fields.iter().map(|(f, v)| json!({"op": "add", "path": format!("/fields/{f}"), "value": v})).collect();
        let path = format!("/{PROJECT}/_apis/wit/workitems/${}", kind.replace(' ', "%20"));
        self.api(Method::POST, &path, Some(json!(ops)), "application/json-patch+json").await
    }

    /// A person deletes a work item (to the recycle bin).
    pub async fn delete(&self, work_item: i64) {
        self.api(Method::DELETE, &format!("/{PROJECT}/_apis/wit/workitems/{work_item}"), None, "").await;
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap()
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.join(rel), text).unwrap();
    }
}

/// The tags of a work item JSON.
pub fn tags(item: &Value) -> Vec<String> {
    item["fields"]["System.Tags"]
        .as_str()
        .unwrap_or("")
        .split(';')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// A field of a work item JSON as text.
pub fn field(item: &Value, name: &str) -> String {
    match &item["fields"][name] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(o) => o.get("uniqueName").and_then(Value::as_str).unwrap_or_default().to_string(),
        other => other.to_string(),
    }
}

/// The parent's id of a work item JSON.
pub fn parent_of(item: &Value) -> Option<i64> {
    item["relations"]
        .as_array()?
        .iter()
        .find(|r| r["rel"] == "System.LinkTypes.Hierarchy-Reverse")
        .and_then(|r| r["url"].as_str()?.rsplit('/').next()?.parse().ok())
}

pub fn id_of(item: &Value) -> i64 {
    item["id"].as_i64().unwrap()
}

/// Progress for [`RunOptions::progress`] that, as the run comes to the first action on `item`
/// (e.g. `update-remote ST-6`) and before its write goes out, has a person set `fields` on
/// `work_item`: the run read the item before that edit and writes after it, so its revision
/// check fails. Fires once. Needs the multi-threaded test runtime.
pub fn person_edits_before_write(
    env: std::sync::Arc<AzEnv>,
    action: &str,
    work_item: i64,
    fields: Vec<(&'static str, Value)>,
) -> backlog_sync::reconcile::engine::Progress {
    let (action, fired) = (action.to_string(), std::sync::atomic::AtomicBool::new(false));
    let runtime = tokio::runtime::Handle::current();
    std::sync::Arc::new(move |_, _, what: &str| {
        if what == action && !fired.swap(true, std::sync::atomic::Ordering::SeqCst) {
            tokio::task::block_in_place(|| runtime.block_on(env.set(work_item, &fields)));
        }
    })
}
