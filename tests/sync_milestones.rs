//! Issue 18 (milestones): `[[milestones]]` of `backlog.toml` ⇄ GitHub milestones ⇄ Azure Boards
//! iterations, and an item's `milestone:` ⇄ its issue's milestone ⇄ `System.IterationPath`,
//! through the real binary against both twins over HTTP.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use backlog_twins::azure::{AzureTwin, Process};
use backlog_twins::github::{GithubTwin, GithubTwinConfig};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{root, run_cli, stderr, stdout};
use crate::support::azure_env::{self, GithubSide, PROJECT, field, mapping_of};

const REPO: &str = "contoso/onboarding";
const GH_TOKEN: &str = "ghp_milestones_token";

/// A small backlog whose `backlog.toml` carries comments and a layout that must survive.
const BACKLOG_TOML: &str = "# The Game Plan of the onboarding engagement.\nname = \"Onboarding\"   # shown in summaries\n\n[[milestones]]\n# the first customers\nname = \"Pilot\"\ndue = 2026-12-18\ndefinition_of_done = [\n  \"ST-1 is resolved\",  # invitations\n  \"three tenants live\",\n]\n\n[[personas]]\nname = \"customer admin\"\n";

struct World {
    github: GithubTwin,
    boards: AzureTwin,
    dir: PathBuf,
    config: PathBuf,
    http: reqwest::Client,
    _tmp: tempfile::TempDir,
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

impl World {
    async fn new() -> World {
        let github = GithubTwin::start(GithubTwinConfig {
            token: GH_TOKEN.into(),
            repositories: vec![REPO.into()],
            content_limit_per_minute: 1000,
            content_limit_per_hour: 5000,
            ..GithubTwinConfig::default()
        })
        .await
        .expect("github twin starts");
        let boards = azure_env::start_twin(Process::Agile).await;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("backlog");
        write(&dir, "backlog.toml", BACKLOG_TOML);
        write(&dir, "epics/EP-1.md", "---\nid: EP-1\ntitle: Team onboarding\nstate: active\n---\n");
        let story = |id: &str, title: &str, milestone: &str| {
            let m = if milestone.is_empty() { String::new() } else { format!("milestone: {milestone}\n") };
            format!(
                "---\nid: {id}\ntitle: {title}\nepic: EP-1\npersona: customer admin\nactivity: {title}\nbenefit: the team starts sooner\nstate: active\n{m}points: 3\n---\n"
            )
        };
        write(&dir, "stories/ST-1.md", &story("ST-1", "invite teammates", "Pilot"));
        write(&dir, "stories/ST-2.md", &story("ST-2", "import a roster", ""));
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
            "milestones = true\n",
        );
        World { github, boards, dir, config, http: reqwest::Client::new(), _tmp: tmp }
    }

    /// `backlog-sync sync` as a real process; it must succeed.
    fn sync(&self) -> String {
        let out = run_cli(&self.dir, &["--config", self.config.to_str().unwrap(), "sync"]);
        assert!(out.status.success(), "sync failed:\n{}\n{}", stdout(&out), stderr(&out));
        stdout(&out)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap()
    }

    async fn gh(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.github.base_url()))
            .header("authorization", format!("token {GH_TOKEN}"))
            .header("user-agent", "a-person");
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap_or(Value::Null)
    }

    async fn az(&self, method: Method, path: &str, body: Option<Value>, content_type: &str) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, format!("{}/{path}", self.boards.organization_url()))
            .basic_auth("", Some(azure_env::TOKEN));
        if let Some(b) = body {
            r = r.header("content-type", content_type).body(b.to_string());
        }
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn milestones(&self) -> Vec<Value> {
        let list = self.gh(Method::GET, &format!("/repos/{REPO}/milestones?state=all"), None).await;
        list.as_array().unwrap().clone()
    }

    async fn issue_of(&self, id: &str) -> Value {
        let issues = self.gh(Method::GET, &format!("/repos/{REPO}/issues?state=all&per_page=100"), None).await;
        let marker = format!("<!-- backlog-sync: {id} -->");
        issues
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["body"].as_str().is_some_and(|b| b.contains(&marker)))
            .unwrap()
            .clone()
    }

    /// Iteration paths below the root, with their finish dates.
    async fn iterations(&self) -> BTreeMap<String, Value> {
        let (status, root) = self
            .az(
                Method::GET,
                &format!("{PROJECT}/_apis/wit/classificationnodes/iterations?$depth=5&api-version=7.1"),
                None,
                "",
            )
            .await;
        assert_eq!(status, 200, "{root}");
        root["children"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|n| (n["name"].as_str().unwrap().to_string(), n["attributes"]["finishDate"].clone()))
            .collect()
    }

    async fn team_iterations(&self) -> Vec<String> {
        let (status, list) = self
            .az(
                Method::GET,
                &format!("{PROJECT}/{PROJECT}%20Team/_apis/work/teamsettings/iterations?api-version=7.1"),
                None,
                "",
            )
            .await;
        assert_eq!(status, 200, "{list}");
        list["value"].as_array().unwrap().iter().map(|i| i["path"].as_str().unwrap().to_string()).collect()
    }

    async fn work_item_of(&self, id: &str) -> Value {
        let q = json!({"query": format!("SELECT [System.Id] FROM WorkItems WHERE [System.Tags] CONTAINS 'backlog-sync:{id}'")});
        let (_, found) = self
            .az(Method::POST, &format!("{PROJECT}/_apis/wit/wiql?api-version=7.1"), Some(q), "application/json")
            .await;
        let wid = found["workItems"][0]["id"].as_i64().expect("work item exists");
        let (_, item) =
            self.az(Method::GET, &format!("{PROJECT}/_apis/wit/workitems/{wid}?api-version=7.1"), None, "").await;
        item
    }

    /// Writes on both twins: GitHub's non-GET requests; Azure's creates, updates and deletes
    /// (not the read-only POSTs of WIQL and batch reads).
    fn writes(&self) -> u64 {
        let az: u64 = self
            .boards
            .stats()
            .by_operation
            .iter()
            .filter(|(op, _)| !op.starts_with("GET ") && !op.contains("/wiql") && !op.contains("workitemsbatch"))
            .map(|(_, n)| n)
            .sum();
        self.github.stats().writes + az
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn milestones_flow_between_backlog_toml_github_and_boards() {
    let w = World::new().await;
    w.sync();

    // The milestone of backlog.toml is a GitHub milestone and an Azure iteration (given to the team).
    let ms = w.milestones().await;
    assert_eq!(ms.len(), 1, "{ms:?}");
    assert_eq!(ms[0]["title"], "Pilot");
    assert_eq!(ms[0]["due_on"].as_str().map(|d| &d[..10]), Some("2026-12-18"));
    assert_eq!(ms[0]["description"], "Definition of done:\n- ST-1 is resolved\n- three tenants live");
    let its = w.iterations().await;
    assert_eq!(its.get("Pilot").and_then(|d| d.as_str()).map(|d| &d[..10]), Some("2026-12-18"), "{its:?}");
    assert_eq!(w.team_iterations().await, [format!("{PROJECT}\\Pilot")]);
    // The item's milestone is its issue's milestone and its work item's iteration path.
    assert_eq!(w.issue_of("ST-1").await["milestone"]["title"], "Pilot");
    assert_eq!(field(&w.work_item_of("ST-1").await, "System.IterationPath"), format!("{PROJECT}\\Pilot"));
    assert!(w.issue_of("ST-2").await["milestone"].is_null());
    assert_eq!(field(&w.work_item_of("ST-2").await, "System.IterationPath"), PROJECT);

    // A milestone added in backlog.toml becomes a GitHub milestone and an Azure iteration.
    let mut toml = w.read("backlog.toml");
    toml.push_str("\n[[milestones]]\nname = \"Beta\"\ndue = 2027-02-26\ndefinition_of_done = [\"ST-2 is resolved\"]\n");
    std::fs::write(w.dir.join("backlog.toml"), &toml).unwrap();
    let said = w.sync();
    assert!(said.contains("milestones: 0 imported into backlog.toml, 2 created"), "{said}");
    assert!(!said.contains("no changes"), "{said}");
    let beta = w.milestones().await.into_iter().find(|m| m["title"] == "Beta").expect("Beta on GitHub");
    assert!(w.iterations().await.contains_key("Beta"));

    // Moving an issue to another milestone on GitHub moves the story's `milestone:` line and its
    // iteration path.
    let st1 = w.issue_of("ST-1").await["number"].as_u64().unwrap();
    w.gh(Method::PATCH, &format!("/repos/{REPO}/issues/{st1}"), Some(json!({"milestone": beta["number"]}))).await;
    w.sync();
    assert!(w.read("stories/ST-1.md").contains("milestone: Beta\n"), "{}", w.read("stories/ST-1.md"));
    assert_eq!(field(&w.work_item_of("ST-1").await, "System.IterationPath"), format!("{PROJECT}\\Beta"));

    // Moving a work item to another iteration in Boards reaches the file and GitHub.
    let wid = w.work_item_of("ST-2").await["id"].as_i64().unwrap();
    let ops = json!([{"op": "add", "path": "/fields/System.IterationPath", "value": format!("{PROJECT}\\Pilot")}]);
    let (status, body) = w
        .az(
            Method::PATCH,
            &format!("_apis/wit/workitems/{wid}?api-version=7.1"),
            Some(ops),
            "application/json-patch+json",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    w.sync();
    assert!(w.read("stories/ST-2.md").contains("milestone: Pilot\n"), "{}", w.read("stories/ST-2.md"));
    assert_eq!(w.issue_of("ST-2").await["milestone"]["title"], "Pilot");

    // A milestone made on GitHub and an iteration made in Boards are imported into backlog.toml,
    // which keeps its comments and layout, and reach the other tracker.
    let before = w.read("backlog.toml");
    w.gh(
        Method::POST,
        &format!("/repos/{REPO}/milestones"),
        Some(json!({"title": "Gamma", "due_on": "2027-04-30T00:00:00Z", "description": "- rollout done\n- support trained"})),
    )
    .await;
    let node = json!({"name": "Sprint 9", "attributes": {"startDate": "2027-05-03T00:00:00Z", "finishDate": "2027-05-14T00:00:00Z"}});
    let (status, body) = w
        .az(
            Method::POST,
            &format!("{PROJECT}/_apis/wit/classificationnodes/iterations?api-version=7.1"),
            Some(node),
            "application/json",
        )
        .await;
    assert_eq!(status, 201, "{body}");
    w.sync();
    let after = w.read("backlog.toml");
    assert!(after.starts_with(before.trim_end()), "the file's text is kept:\n{after}");
    assert!(after.contains("# the first customers\n") && after.contains("  \"ST-1 is resolved\",  # invitations\n"));
    assert!(
        after.contains("[[milestones]]\nname = \"Gamma\"\ndue = 2027-04-30\ndefinition_of_done = [\"rollout done\", \"support trained\"]\n"),
        "{after}"
    );
    assert!(after.contains("[[milestones]]\nname = \"Sprint 9\"\ndue = 2027-05-14\nstart = 2027-05-03\n"), "{after}");
    assert!(w.iterations().await.contains_key("Gamma"));
    assert!(w.milestones().await.iter().any(|m| m["title"] == "Sprint 9"));

    // Two more syncs write nothing anywhere.
    w.sync();
    let writes = w.writes();
    let file = w.read("backlog.toml");
    w.sync();
    w.sync();
    assert_eq!(w.writes(), writes, "quiet syncs made writes");
    assert_eq!(w.read("backlog.toml"), file);

    // The team summary shows each milestone with its definition of done and progress.
    let out = run_cli(&w.dir, &["--config", w.config.to_str().unwrap(), "summary", "--today", "2026-12-01"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let pilot = text.find("### Pilot").expect("Pilot in the summary");
    let section = &text[pilot..];
    assert!(section.contains("ST-1 is resolved") && section.contains("three tenants live"), "{section}");
    assert!(section.contains("0 of 3 points"), "ST-2 (3 points, active) is on Pilot:\n{section}");
    let beta = &text[text.find("### Beta").expect("Beta in the summary")..];
    assert!(beta.contains("0 of 3 points") && beta.contains("ST-2 is resolved"), "{beta}");
}

#[tokio::test]
async fn the_azure_twin_refuses_an_iteration_path_that_does_not_exist() {
    let w = World::new().await;
    let fields = json!([
        {"op": "add", "path": "/fields/System.Title", "value": "t"},
        {"op": "add", "path": "/fields/System.IterationPath", "value": format!("{PROJECT}\\Nowhere")},
    ]);
    let (status, body) = w
        .az(
            Method::POST,
            &format!("{PROJECT}/_apis/wit/workitems/$User%20Story?api-version=7.1"),
            Some(fields),
            "application/json-patch+json",
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], "TF401347: Invalid tree name given for work item -1, field 'System.IterationPath'.");
    assert_eq!(body["typeKey"], "WorkItemFieldInvalidTreeNameException");
    let node = json!({"name": "Nowhere"});
    let url = format!("{PROJECT}/_apis/wit/classificationnodes/iterations?api-version=7.1");
    let (status, _) = w.az(Method::POST, &url, Some(node.clone()), "application/json").await;
    assert_eq!(status, 201);
    let (status, body) = w.az(Method::POST, &url, Some(json!({"name": "NOWHERE"})), "application/json").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["typeKey"], "ClassificationNodeDuplicateNameException");
}
