//! The checker's world: a GitHub twin and an Azure twin started once on 127.0.0.1 and reset
//! between sequences, a temp folder per sequence, people's edits through the twins' REST APIs,
//! runs (in process, as a real process, SIGKILLed), faults, and what each side holds now.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backlog_sync::backlog::Backlog;
use backlog_sync::config::Settings;
use backlog_sync::connector::retry::RetryPolicy;
use backlog_sync::mapping::FieldMap;
use backlog_sync::mapping::fields::item_fields;
use backlog_sync::model::ItemId;
use backlog_sync::reconcile::engine::{self, RunOptions, RunReport};
use backlog_sync::reconcile::remote::Remote;
use backlog_twins::azure::{AzureTwin, AzureTwinConfig, Process};
use backlog_twins::github::{GithubTwin, GithubTwinConfig};
use reqwest::Method;
use serde_json::{Value, json};

use super::fixture;
use super::ops::Fault;

pub const REPO: &str = "contoso/claims";
pub const PROJECT: &str = "Claims";
pub const GH_TOKEN: &str = "ghp_model_check_token";
pub const AZ_TOKEN: &str = "azure-model-check-pat";

/// Which side holds a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    File,
    Github,
    Boards,
}

/// What one side holds: per item id, its canonical fields.
pub type View = BTreeMap<String, FieldMap>;

/// One read of a remote side.
pub struct Read {
    /// Its items' fields as the engine sees them (an owner it cannot carry left out).
    pub view: View,
    /// Its items' fields as it holds them (every owner): what tells a person's edit there.
    pub raw: View,
    /// How many remote items carry each marker.
    pub counts: BTreeMap<String, usize>,
}

/// Both twins, started once.
pub struct Twins {
    pub github: GithubTwin,
    pub boards: AzureTwin,
    pub http: reqwest::Client,
}

impl Twins {
    pub async fn start() -> Twins {
        let github = GithubTwin::start(GithubTwinConfig {
            token: GH_TOKEN.into(),
            repositories: vec![REPO.into()],
            primary_limit_per_hour: 1_000_000,
            content_limit_per_minute: 1_000_000,
            content_limit_per_hour: 1_000_000,
            // strict twins: people the sequences assign are collaborators (dana once identities name her)
            collaborators: vec!["alice-contoso".into(), "dana-gh".into()],
            ..GithubTwinConfig::default()
        })
        .await
        .expect("github twin starts");
        let boards = AzureTwin::start(AzureTwinConfig {
            token: AZ_TOKEN.into(),
            projects: vec![(PROJECT.into(), Process::Agile)],
            rate_limit: None,
            members: vec!["alice@contoso.com".into(), "dana@contoso.com".into(), "grace.hopper@contoso.com".into()],
            ..AzureTwinConfig::default()
        })
        .await
        .expect("azure twin starts");
        Twins { github, boards, http: reqwest::Client::new() }
    }

    async fn control(&self, method: Method, path: &str, body: Option<Value>) {
        for base in [self.github.base_url(), self.boards.base_url()] {
            let mut req = self.http.request(method.clone(), format!("{base}{path}"));
            if let Some(b) = &body {
                req = req.json(b);
            }
            let r = req.send().await.expect("twin control answers");
            assert!(r.status().is_success(), "{path}: {}", r.status());
        }
    }

    pub async fn reset(&self) {
        self.control(Method::POST, "/_twin/reset", None).await;
    }

    /// Arms `fault` for the next run; its random rolls come from `seed`, so a sequence meets the
    /// same faults on every replay (as long as the run asks the same requests in the same order).
    pub async fn arm(&self, fault: Fault, seed: u64) {
        let rule = match fault {
            Fault::ServerErrors => json!({"status": 503, "probability": 0.2}),
            Fault::RateLimited => json!({"retry_after": 0, "probability": 0.2}),
            Fault::DropAfterWrite => json!({"method": "PATCH", "drop_after_write": true, "probability": 0.2}),
            Fault::DropEveryUpdateAnswer => json!({"method": "PATCH", "drop_after_write": true}),
            Fault::DropEveryCreateAnswer => {
                json!({"method": "POST", "drop_after_write": true, "path": "/repos/*/*/issues"})
            }
            Fault::DropEverySubIssueAnswer => {
                json!({"method": "POST", "drop_after_write": true, "path": "/repos/*/*/issues/*/sub_issues"})
            }
        };
        let mut rule = rule;
        if rule.get("path").is_none() {
            rule["path"] = json!("/**");
        }
        rule["count"] = json!(1_000_000);
        let mut rules = vec![rule];
        if fault == Fault::DropEveryUpdateAnswer {
            rules.push(json!({"path": "/**/$batch", "count": 1_000_000, "drop_after_write": true}));
        }
        if fault == Fault::DropEveryCreateAnswer {
            rules.push(json!({"method": "POST", "path": "/**/_apis/wit/workitems/*", "count": 1_000_000, "drop_after_write": true}));
            for path in ["/user", "/**/_apis/connectionData"] {
                rules.push(json!({"method": "GET", "path": path, "count": 1_000_000, "status": 404}));
            }
        }
        if fault == Fault::DropAfterWrite {
            rules.push(json!({"method": "POST", "path": "/**", "count": 1_000_000, "drop_after_write": true, "probability": 0.2}));
        }
        self.control(Method::POST, "/_twin/faults", Some(json!({"faults": rules, "seed": seed}))).await;
    }

    /// Requests both twins were asked since the last reset (their control routes left out).
    pub fn requests(&self) -> u64 {
        self.github.stats().requests + self.boards.stats().requests
    }

    /// Slows every request (3 ms) so that a kill lands between two requests of a run.
    pub async fn slow(&self) {
        self.control(
            Method::POST,
            "/_twin/faults",
            Some(json!([{"path": "/**", "count": 1_000_000, "latency_ms": 3}])),
        )
        .await;
    }

    pub async fn calm(&self) {
        self.control(Method::DELETE, "/_twin/faults", None).await;
    }
}

/// One sequence's folder and settings, against the shared twins.
pub struct World<'t> {
    pub twins: &'t Twins,
    pub root: PathBuf,
    pub dir: PathBuf,
    pub config: PathBuf,
    /// Where `backlog-sync` is, for process runs.
    pub binary: PathBuf,
    /// The targets as the product connects them, kept across in-process runs as `serve` keeps
    /// its own (process runs connect afresh, as `sync` does); connected again when
    /// `identities.toml` changes.
    connected: Mutex<Option<Arc<Connected>>>,
    /// Per remote side, the parents map (remote id → item) of its last read.
    parents: Mutex<BTreeMap<Side, BTreeMap<String, ItemId>>>,
    _tmp: tempfile::TempDir,
}

/// One connection of every target: one set for the runs, one for the checker's reads (so that
/// reading a side leaves the runs' targets as they were).
struct Connected {
    identities: String,
    runs: Vec<Remote>,
    reads: Vec<(Side, Remote)>,
}

/// Retries as the product makes them, on a shorter clock: the same attempts, back-off that
/// doubles from 2 ms instead of 200 ms (the twins answer in microseconds, so a wait of seconds
/// tests nothing more).
fn short_retries(remote: Remote) -> Remote {
    let retry = RetryPolicy {
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(100),
        ..RetryPolicy::default()
    };
    remote.with_retry(retry)
}

impl<'t> World<'t> {
    pub async fn new(twins: &'t Twins, policy: &str, binary: &Path, unknown_owners: bool) -> World<'t> {
        twins.reset().await;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let repo_root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = fixture::write(&root, &repo_root, &twins.github.base_url(), &twins.boards.organization_url(), policy);
        if !unknown_owners {
            let st3 = dir.join("stories/ST-3.md");
            let text = std::fs::read_to_string(&st3).unwrap().replace("dana@contoso.com", "alice@contoso.com");
            std::fs::write(st3, text).unwrap();
        }
        World {
            twins,
            config: root.join("settings.toml"),
            root,
            dir,
            binary: binary.to_path_buf(),
            connected: Mutex::new(None),
            parents: Mutex::new(BTreeMap::new()),
            _tmp: tmp,
        }
    }

    /// The connected targets, connecting again when `identities.toml` changed since.
    async fn connected(&self) -> Arc<Connected> {
        let identities = std::fs::read_to_string(self.root.join("mappings/identities.toml")).unwrap_or_default();
        if let Some(c) = self.connected.lock().unwrap().as_ref()
            && c.identities == identities
        {
            return c.clone();
        }
        let settings = self.settings();
        let runs = engine::connect_all(&settings).await.expect("targets connect");
        let runs = runs.into_iter().map(short_retries).collect();
        let reads = engine::connect_all(&settings)
            .await
            .expect("targets connect")
            .into_iter()
            .map(|r| (if r.name() == "github" { Side::Github } else { Side::Boards }, r))
            .collect();
        let c = Arc::new(Connected { identities, runs, reads });
        *self.connected.lock().unwrap() = Some(c.clone());
        c
    }

    pub fn settings(&self) -> Settings {
        Settings::load(Some(&self.config)).expect("settings load")
    }

    /// `sync` (or with `full`, `reconcile`) in process, against the kept targets.
    pub async fn run(&self, full: bool) -> Result<RunReport, String> {
        let opts = RunOptions { full, wait: Some(Duration::from_secs(30)), ..RunOptions::default() };
        let c = self.connected().await;
        engine::run_with(&self.settings(), &c.runs, &opts).await.map_err(|e| e.to_string())
    }

    /// What a run would do now, as `plan` shows it.
    pub async fn plan(&self) -> Result<RunReport, String> {
        let opts = RunOptions { dry_run: true, ..RunOptions::default() };
        let c = self.connected().await;
        engine::run_with(&self.settings(), &c.runs, &opts).await.map_err(|e| e.to_string())
    }

    /// `backlog-sync sync` as a real process; SIGKILLed once the twins were asked `kill_after`
    /// more requests when given (so the kill lands at the same point of the run whatever the
    /// machine's load: the twins hold each request 3 ms, and the count is read every
    /// millisecond). Returns its output when it ran to the end.
    pub async fn process_sync(&self, kill_after: Option<u64>) -> Option<std::process::Output> {
        let mut cmd = Command::new(&self.binary);
        cmd.args(["sync", "--wait", "30", "--config", self.config.to_str().unwrap()])
            .current_dir(&self.root)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match kill_after {
            None => {
                let out = tokio::task::spawn_blocking(move || cmd.output().expect("binary runs")).await.unwrap();
                Some(out)
            }
            Some(after) => {
                let start = self.twins.requests();
                let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("binary runs");
                while child.try_wait().ok().flatten().is_none() {
                    if self.twins.requests() - start >= after {
                        child.kill().ok(); // SIGKILL
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                tokio::task::spawn_blocking(move || child.wait()).await.unwrap().ok();
                None
            }
        }
    }

    pub fn file_path(&self, id: &str) -> PathBuf {
        let sub = match &id[..2] {
            "EP" => "epics",
            "ST" => "stories",
            _ => "risks",
        };
        self.dir.join(sub).join(format!("{id}.md"))
    }

    /// The readable items' fields, and the ids of files the reader refused.
    pub fn read_files(&self) -> (View, Vec<String>) {
        let backlog = Backlog::load(&self.dir).expect("backlog folder loads");
        let view = backlog.items.iter().map(|f| (f.item.id.to_string(), item_fields(&f.item))).collect();
        let invalid =
            backlog.invalid.iter().map(|f| f.path.file_stem().unwrap().to_string_lossy().into_owned()).collect();
        (view, invalid)
    }

    /// What each remote holds, through the product's own mappings, per item marker. A remote
    /// that cannot carry an owner (no identity) shows no `owner`, as the engine sees it.
    pub async fn read_remotes(&self, files: &View, only: Option<Side>) -> BTreeMap<Side, Read> {
        let c = self.connected().await;
        let mut out = BTreeMap::new();
        for (side, remote) in &c.reads {
            let side = *side;
            if only.is_some_and(|o| o != side) {
                continue;
            }
            // Parents resolve through the map of the last read; when the listing shows another
            // map, it is listed again with that one (as two listings in a row would give).
            let known = self.parents.lock().unwrap().get(&side).cloned().unwrap_or_default();
            let mut got = remote.fetch(true, None, &known).await.expect("remote lists");
            let parents: BTreeMap<String, ItemId> =
                got.listed.values().filter_map(|r| Some((r.remote_id.clone(), r.marker.clone()?))).collect();
            if parents != known {
                got = remote.fetch(true, None, &parents).await.expect("remote lists");
                self.parents.lock().unwrap().insert(side, parents);
            }
            let mut view = View::new();
            let mut raw = View::new();
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for r in got.listed.values() {
                let Some(id) = &r.marker else { continue };
                let id = id.to_string();
                *counts.entry(id.clone()).or_default() += 1;
                raw.insert(id.clone(), r.fields.clone());
                let mut fields = r.fields.clone();
                let owner = files.get(&id).and_then(|f| f.get("owner")).cloned().unwrap_or_default();
                let theirs = fields.get("owner").cloned().unwrap_or_default();
                if !remote.carries_owner(&owner) || !remote.carries_owner(&theirs) {
                    fields.remove("owner");
                }
                view.insert(id, fields);
            }
            // The listing leaves out a second item carrying a marker (not adopted): it is a
            // duplicate all the same.
            for n in &got.not_adopted {
                *counts.entry(n.item.to_string()).or_default() += 1;
            }
            out.insert(side, Read { view, raw, counts });
        }
        out
    }

    pub fn lose_state(&self) {
        for ext in ["db", "db-wal", "db-shm"] {
            let _ = std::fs::remove_file(self.dir.join(format!(".backlog-sync/state.{ext}")));
        }
    }

    pub fn add_identity(&self) {
        let path = self.root.join("mappings/identities.toml");
        let mut text = std::fs::read_to_string(&path).unwrap();
        if !text.contains("dana@contoso.com") {
            text.push_str(
                "\n[[people]]\ncanonical = \"dana@contoso.com\"\ngithub = \"dana-gh\"\nazure = \"dana@contoso.com\"\n",
            );
            std::fs::write(path, text).unwrap();
        }
    }

    /// Every file outside the backlog's item folders and its state, with its bytes.
    pub fn outside(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                let rel = p.strip_prefix(&self.dir).ok();
                let inside = rel
                    .is_some_and(|r| ["epics", "stories", "risks", ".backlog-sync"].iter().any(|s| r.starts_with(s)));
                if inside {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
                }
            }
        }
        out
    }
}

/// People's REST calls to the twins.
impl World<'_> {
    async fn github(&self, method: Method, path: &str, body: Option<Value>) -> Option<Value> {
        let mut req = self
            .twins
            .http
            .request(method, format!("{}{path}", self.twins.github.base_url()))
            .header("authorization", format!("token {GH_TOKEN}"))
            .header("user-agent", "a-person");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        Some(resp.json().await.unwrap_or(Value::Null))
    }

    /// The issue that carries `id`'s marker (the first, when there are several).
    pub async fn issue_of(&self, id: &str) -> Option<Value> {
        let marker = format!("<!-- backlog-sync: {id} -->");
        let all = self.github(Method::GET, &format!("/repos/{REPO}/issues?state=all&per_page=100"), None).await?;
        all.as_array()?.iter().find(|i| i["body"].as_str().is_some_and(|b| b.contains(&marker))).cloned()
    }

    pub async fn edit_issue(&self, number: u64, body: Value) -> bool {
        self.github(Method::PATCH, &format!("/repos/{REPO}/issues/{number}"), Some(body)).await.is_some()
    }

    pub async fn make_sub_issue(&self, parent: u64, child_id: u64) -> bool {
        let body = json!({"sub_issue_id": child_id, "replace_parent": true});
        self.github(Method::POST, &format!("/repos/{REPO}/issues/{parent}/sub_issues"), Some(body)).await.is_some()
    }

    pub async fn delete_issue(&self, number: u64) -> bool {
        let url = format!("{}/_twin/repos/{REPO}/issues/{number}", self.twins.github.base_url());
        self.twins.http.delete(url).send().await.is_ok_and(|r| r.status().is_success())
    }

    async fn boards(&self, method: Method, path: &str, body: Option<Value>, content_type: &str) -> Option<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{}{path}{sep}api-version=7.1", self.twins.boards.organization_url());
        let mut req = self.twins.http.request(method, url).basic_auth("", Some(AZ_TOKEN));
        if let Some(b) = body {
            req = req.header("content-type", content_type).body(b.to_string());
        }
        let resp = req.send().await.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        Some(resp.json().await.unwrap_or(Value::Null))
    }

    /// The live work item that carries `id`'s marker tag, with relations.
    pub async fn work_item_of(&self, id: &str) -> Option<Value> {
        let q = json!({"query": format!("SELECT [System.Id] FROM WorkItems WHERE [System.Tags] CONTAINS 'backlog-sync:{id}'")});
        let found =
            self.boards(Method::POST, &format!("/{PROJECT}/_apis/wit/wiql"), Some(q), "application/json").await?;
        let ids: Vec<i64> = found["workItems"].as_array()?.iter().filter_map(|w| w["id"].as_i64()).collect();
        if ids.is_empty() {
            return None;
        }
        let body = json!({"ids": ids, "$expand": "relations"});
        let got = self
            .boards(Method::POST, &format!("/{PROJECT}/_apis/wit/workitemsbatch"), Some(body), "application/json")
            .await?;
        let tag = format!("backlog-sync:{id}");
        got["value"].as_array()?.iter().find(|w| tags(w).contains(&tag)).cloned()
    }

    pub async fn patch_work_item(&self, wi: i64, ops: Value) -> bool {
        let path = format!("/{PROJECT}/_apis/wit/workitems/{wi}?$expand=relations");
        self.boards(Method::PATCH, &path, Some(ops), "application/json-patch+json").await.is_some()
    }

    pub async fn delete_work_item(&self, wi: i64) -> bool {
        self.boards(Method::DELETE, &format!("/{PROJECT}/_apis/wit/workitems/{wi}"), None, "").await.is_some()
    }

    pub async fn restore_work_item(&self, wi: i64) -> bool {
        let body = json!({"isDeleted": false});
        self.boards(Method::PATCH, &format!("/{PROJECT}/_apis/wit/recyclebin/{wi}"), Some(body), "application/json")
            .await
            .is_some()
    }

    pub fn work_item_url(&self, wi: i64) -> String {
        format!("{}/_apis/wit/workItems/{wi}", self.twins.boards.organization_url())
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

/// Label names of an issue.
pub fn labels(issue: &Value) -> Vec<String> {
    issue["labels"]
        .as_array()
        .map(|a| a.iter().filter_map(|l| l["name"].as_str()).map(str::to_string).collect())
        .unwrap_or_default()
}
