//! Comments both ways between a GitHub repository and an Azure Boards project (issue 18 part 1):
//! a comment on either side appears once on the other in the same run, attributed; edits and
//! deletions are followed; quiet syncs write nothing; a lost answer or a SIGKILL mid-mirroring
//! leaves no duplicate; `serve` mirrors on the trackers' webhooks.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backlog_sync::store::Store;
use backlog_twins::azure::{AzureTwin, Process};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{sample_backlog, stderr, stdout};
use crate::support::azure_env::{self, mapping_of, target_toml};
use crate::support::github_env::{GhEnv, REPO, TOKEN};

const COMMENTS_API: &str = "api-version=7.1-preview.4";

struct Two {
    env: GhEnv,
    boards: AzureTwin,
    http: reqwest::Client,
}

impl Two {
    /// Both twins, the sample backlog synced to both.
    async fn new() -> Two {
        let env = GhEnv::new(&sample_backlog(), "manual").await;
        let boards = azure_env::start_twin(Process::Agile).await;
        let az_token = env.dir.join("../az-token");
        std::fs::write(&az_token, azure_env::TOKEN).unwrap();
        let mut text = std::fs::read_to_string(&env.config).unwrap();
        text.push_str(&format!("\n{}", target_toml("boards", &boards, &az_token, &mapping_of(Process::Agile))));
        std::fs::write(&env.config, text).unwrap();
        let report = env.sync().await;
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        Two { env, boards, http: reqwest::Client::new() }
    }

    /// The issue number and work item id an item is linked to.
    fn ids(&self, item: &str) -> (u64, i64) {
        let store = Store::open(&self.env.settings().state_path()).unwrap();
        let gh = store.link("github", item).unwrap().unwrap().remote_id.parse().unwrap();
        let az = store.link("boards", item).unwrap().unwrap().remote_id.parse().unwrap();
        (gh, az)
    }

    async fn gh(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, self.env.url(&format!("/repos/{REPO}{path}")))
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

    async fn gh_comments(&self, issue: u64) -> Vec<Value> {
        let v = self.gh(Method::GET, &format!("/issues/{issue}/comments?per_page=100"), None).await;
        v.as_array().unwrap().clone()
    }

    async fn az(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url =
            format!("{}/{}/_apis/wit{path}{sep}{COMMENTS_API}", self.boards.organization_url(), azure_env::PROJECT);
        let mut req = self.http.request(method, url).basic_auth("", Some(azure_env::TOKEN));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    async fn az_comments(&self, wi: i64) -> Vec<Value> {
        let v = self.az(Method::GET, &format!("/workItems/{wi}/comments?order=asc"), None).await;
        v["comments"].as_array().unwrap().clone()
    }

    /// Writes counted by the twins: GitHub's non-GET requests, and Azure's requests that change
    /// something (its WIQL and batch reads are POSTs that do not).
    async fn writes(&self) -> (u64, u64) {
        let az: Value = self
            .http
            .get(format!("{}/_twin/stats", self.boards.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let az_writes = az["by_operation"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(op, _)| !op.starts_with("GET ") && !op.contains("/wiql") && !op.contains("workitemsbatch"))
            .map(|(_, n)| n.as_u64().unwrap())
            .sum();
        (self.env.writes().await, az_writes)
    }

    async fn sync(&self) {
        let report = self.env.sync().await;
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }

    async fn boards_faults(&self, rules: Value) {
        let r = self.http.post(format!("{}/_twin/faults", self.boards.base_url())).json(&rules).send().await.unwrap();
        assert!(r.status().is_success());
    }
}

fn text(c: &Value, key: &str) -> String {
    c[key].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_comment_on_either_side_appears_once_on_the_other_attributed_and_quiet_syncs_write_nothing() {
    let two = Two::new().await;
    let (issue, wi) = two.ids("ST-5");

    // GitHub → Boards, in the same run.
    let asked = two
        .gh(Method::POST, &format!("/issues/{issue}/comments"), Some(json!({"body": "Can we ship this **Friday**?"})))
        .await;
    two.sync().await;
    let on_boards = two.az_comments(wi).await;
    assert_eq!(on_boards.len(), 1, "{on_boards:?}");
    let mirror = text(&on_boards[0], "text");
    assert_eq!(on_boards[0]["format"], "markdown");
    assert!(mirror.contains("**octocat** commented in GitHub on "), "{mirror}");
    assert!(mirror.contains(&format!("([original]({}))", text(&asked, "html_url"))), "{mirror}");
    assert!(mirror.ends_with("Can we ship this **Friday**?"), "{mirror}");
    assert!(mirror.contains(&format!("backlog-sync:comment github/{issue}/{}", asked["id"])), "{mirror}");

    // A reply in Boards (the web editor's HTML) → GitHub as Markdown, once, and no echo back.
    let reply = two
        .az(
            Method::POST,
            &format!("/workItems/{wi}/comments"),
            Some(json!({"text": "<p>Yes, <strong>Friday</strong> works.</p>"})),
        )
        .await;
    two.sync().await;
    let on_github = two.gh_comments(issue).await;
    assert_eq!(on_github.len(), 2, "the question and the mirrored reply: {on_github:?}");
    let back = text(&on_github[1], "body");
    assert!(back.contains(" commented in Azure Boards on "), "{back}");
    assert!(back.contains(&format!("_workitems/edit/{wi})")), "links the work item: {back}");
    assert!(back.ends_with("Yes, **Friday** works."), "{back}");
    assert!(back.contains(&format!("<!-- backlog-sync:comment boards/{wi}/{} -->", reply["id"])), "{back}");
    assert_eq!(two.az_comments(wi).await.len(), 2, "Boards has the reply and one mirror: no echo");

    // Two more syncs: no writes anywhere.
    let before = two.writes().await;
    two.sync().await;
    two.sync().await;
    assert_eq!(two.writes().await, before, "quiet syncs write nothing");
    assert_eq!((two.gh_comments(issue).await.len(), two.az_comments(wi).await.len()), (2, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_and_deletions_of_either_original_are_followed() {
    let two = Two::new().await;
    let (issue, wi) = two.ids("ST-6");
    let q = two.gh(Method::POST, &format!("/issues/{issue}/comments"), Some(json!({"body": "First draft"}))).await;
    let a = two
        .az(Method::POST, &format!("/workItems/{wi}/comments?format=markdown"), Some(json!({"text": "Seen it"})))
        .await;
    two.sync().await;
    assert_eq!((two.gh_comments(issue).await.len(), two.az_comments(wi).await.len()), (2, 2));

    // Edits on both sides, one sync.
    two.gh(Method::PATCH, &format!("/issues/comments/{}", q["id"]), Some(json!({"body": "Second draft"}))).await;
    two.az(
        Method::PATCH,
        &format!("/workItems/{wi}/comments/{}?format=markdown", a["id"]),
        Some(json!({"text": "Seen it twice"})),
    )
    .await;
    two.sync().await;
    let az = two.az_comments(wi).await;
    let gh = two.gh_comments(issue).await;
    assert_eq!((gh.len(), az.len()), (2, 2));
    assert!(az.iter().any(|c| text(c, "text").ends_with("\n\nSecond draft")), "{az:?}");
    assert!(gh.iter().any(|c| text(c, "body").ends_with("\n\nSeen it twice")), "{gh:?}");
    let before = two.writes().await;
    two.sync().await;
    two.sync().await;
    assert_eq!(two.writes().await, before, "an edit is followed once");

    // Deleting the Boards original removes its mirror on GitHub in the next sync.
    two.az(Method::DELETE, &format!("/workItems/{wi}/comments/{}", a["id"]), None).await;
    two.sync().await;
    let gh = two.gh_comments(issue).await;
    assert_eq!(gh.len(), 1, "{gh:?}");
    assert_eq!(gh[0]["id"], q["id"]);

    // A GitHub deletion does not move the issue's `updated_at`: `reconcile` (or the webhook under
    // `serve`) follows it.
    two.gh(Method::DELETE, &format!("/issues/comments/{}", q["id"]), None).await;
    let out = two.env.cli(&["reconcile"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("comments: 0 mirrored, 0 edited, 1 deleted"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("no changes"), "a run that mirrored a deletion says so:\n{}", stdout(&out));
    assert_eq!((two.gh_comments(issue).await.len(), two.az_comments(wi).await.len()), (0, 0));
    let store = Store::open(&two.env.settings().state_path()).unwrap();
    assert_eq!(store.comment_mirror_count().unwrap(), 0, "nothing left to remember");
    let before = two.writes().await;
    two.sync().await;
    two.sync().await;
    assert_eq!(two.writes().await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mirror_whose_answer_was_lost_is_found_by_its_marker_not_posted_again() {
    let two = Two::new().await;
    let (issue, wi) = two.ids("ST-7");
    two.gh(Method::POST, &format!("/issues/{issue}/comments"), Some(json!({"body": "Who owns this?"}))).await;
    two.boards_faults(json!([{"method": "POST", "path": "/**/comments", "count": 1, "drop_after_write": true}])).await;
    let report = two.env.sync().await;
    assert_eq!(report.errors.len(), 1, "the lost answer fails that item: {:?}", report.errors);
    assert_eq!(two.az_comments(wi).await.len(), 1, "the post landed");
    two.sync().await;
    assert_eq!(two.az_comments(wi).await.len(), 1, "found by its marker, not posted again");
    let store = Store::open(&two.env.settings().state_path()).unwrap();
    assert_eq!(store.comment_mirror_count().unwrap(), 1, "and recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_killed_during_comment_mirroring_then_rerun_leaves_no_duplicate() {
    let two = Two::new().await;
    let items = ["ST-1", "ST-2", "ST-3", "ST-4"];
    for item in items {
        let (issue, _) = two.ids(item);
        for n in 0..2 {
            two.gh(
                Method::POST,
                &format!("/issues/{issue}/comments"),
                Some(json!({"body": format!("note {n} on {item}")})),
            )
            .await;
        }
    }
    let (_, before) = two.writes().await;
    // Slow Boards a little so the kill lands once the first comment was posted there and the
    // second is on its way.
    two.boards_faults(json!([{"path": "/**", "count": 100000, "latency_ms": 20}])).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
        .args(["sync", "--config", two.env.config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while two.writes().await.1 < before + 2 && started.elapsed() < Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().ok(); // SIGKILL
    child.wait().unwrap();
    let mirrored_at_kill: usize = {
        let mut n = 0;
        for item in items {
            n += two.az_comments(two.ids(item).1).await.len();
        }
        n
    };
    assert!(mirrored_at_kill < 8, "killed mid-mirroring ({mirrored_at_kill} of 8 posted)");
    let r = two.http.delete(format!("{}/_twin/faults", two.boards.base_url())).send().await.unwrap();
    assert!(r.status().is_success());
    let out = two.env.cli(&["sync", "--wait", "30"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    for item in items {
        let (issue, wi) = two.ids(item);
        let az: Vec<String> = two.az_comments(wi).await.iter().map(|c| text(c, "text")).collect();
        assert_eq!(az.len(), 2, "{item}: each GitHub comment once: {az:?}");
        assert!(
            az[0].ends_with(&format!("note 0 on {item}")) && az[1].ends_with(&format!("note 1 on {item}")),
            "{az:?}"
        );
        assert_eq!(two.gh_comments(issue).await.len(), 2, "{item}: nothing echoed back");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_mirrors_comments_on_issue_comment_and_workitem_commented_webhooks() {
    use crate::daemon_serve::process::{NEVER, SECRET, SECRET_VAR, Served, configure, tables};
    let two = Two::new().await;
    let (issue, wi) = two.ids("ST-8");
    let mut extra = tables(300, 1024, NEVER);
    extra.push_str(&format!(
        "\n[webhooks.azure_devops]\nusername = \"backlog-sync\"\npassword_env = \"{SECRET_VAR}\"\n"
    ));
    configure(&two.env, &extra);
    let daemon = Served::start(&two.env.config, two.env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, Duration::from_secs(30)).await;
    daemon.hook_twin(&two.env).await;
    let hook =
        json!({"url": format!("{}/webhooks/azure-devops", daemon.url), "username": "backlog-sync", "password": SECRET});
    let r = two.http.post(format!("{}/_twin/webhooks", two.boards.base_url())).json(&hook).send().await.unwrap();
    assert!(r.status().is_success());
    let until = async |what: &str, done: &dyn Fn(usize, usize) -> bool| {
        let started = Instant::now();
        loop {
            let counts = (two.gh_comments(issue).await.len(), two.az_comments(wi).await.len());
            if done(counts.0, counts.1) {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{what} never happened: {counts:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };

    let q = two.gh(Method::POST, &format!("/issues/{issue}/comments"), Some(json!({"body": "Ready?"}))).await;
    until("issue_comment → Boards", &|_, az| az == 1).await;
    two.az(Method::POST, &format!("/workItems/{wi}/comments"), Some(json!({"text": "<p>Ready.</p>"}))).await;
    until("workitem.commented → GitHub", &|gh, _| gh == 2).await;
    // A deleted GitHub comment moves nothing but the webhook, which names the issue.
    two.gh(Method::DELETE, &format!("/issues/comments/{}", q["id"]), None).await;
    until("issue_comment deleted → Boards", &|_, az| az == 1).await;
    let az = two.az_comments(wi).await;
    assert_eq!(text(&az[0], "text"), "<p>Ready.</p>", "only the Boards original is left");
}
