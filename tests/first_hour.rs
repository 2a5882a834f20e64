//! The first hour of a product owner, as real processes in an empty temporary folder with no
//! `--config` and no file copied from the repository: `init` → both targets (GitHub and Azure
//! Boards twins, built-in mappings) → `validate` → `plan` → `sync` → a conflict made on purpose →
//! `resolve` → `sync` → `status`. Also the helpers the other first-hour tests share.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::common::{stderr, stdout};

pub const TOKEN: &str = "first-hour-token";
pub const REPO: &str = "contoso/onboarding";
pub const PROJECT: &str = "Onboarding";

/// A twin run as a user runs it (`backlog-sync twin …`), killed when dropped.
pub struct Twin {
    child: Child,
    /// GitHub: the API root; Azure: the organization URL.
    pub url: String,
}

impl Twin {
    pub fn start(args: &[&str]) -> Twin {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
            .arg("twin")
            .args(args)
            .args(["--port", "0", "--token", TOKEN])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a twin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the twin's URL");
        Twin { child, url: line.trim().to_string() }
    }

    pub fn github() -> Twin {
        Twin::start(&["github", "--repo", REPO])
    }

    /// An Azure DevOps twin whose project follows `process`.
    pub fn azure(process: &str) -> Twin {
        Twin::start(&["azure", "--project", &format!("{PROJECT}:{process}")])
    }
}

impl Drop for Twin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary in `dir` with the targets' token variables set and no inherited settings.
pub fn cli(dir: &Path, args: &[&str]) -> Output {
    cli_env(dir, args, &[])
}

pub fn cli_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backlog-sync"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("BACKLOG_SYNC_CONFIG")
        .env("FIRST_HOUR_GITHUB_TOKEN", TOKEN)
        .env("FIRST_HOUR_AZURE_TOKEN", TOKEN);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run backlog-sync")
}

/// Asserts the exit code, showing both streams when it differs; returns stdout.
pub fn expect(out: &Output, code: i32, what: &str) -> String {
    assert_eq!(out.status.code(), Some(code), "{what}:\n{}{}", stdout(out), stderr(out));
    assert!(!stderr(out).contains("panicked"), "{what} panicked:\n{}", stderr(out));
    stdout(out)
}

/// The two targets a product owner adds: no `mapping`, tokens from the environment.
pub fn targets_toml(github: &str, azure: &str) -> String {
    format!(
        "\n[[targets]]\nname = \"github\"\nkind = \"github\"\nrepository = \"{REPO}\"\napi_url = \"{github}\"\n\
         token_env = \"FIRST_HOUR_GITHUB_TOKEN\"\n\n[[targets]]\nname = \"boards\"\nkind = \"azure-boards\"\n\
         organization_url = \"{azure}\"\nproject = \"{PROJECT}\"\ntoken_env = \"FIRST_HOUR_AZURE_TOKEN\"\n"
    )
}

/// `backlog-sync init` run in a new temporary folder; the backlog folder it made.
pub fn init_in(tmp: &Path) -> PathBuf {
    let init = expect(&cli(tmp, &["init"]), 0, "init");
    assert!(init.contains("settings: backlog/backlog-sync.toml (read by commands run in `backlog`"), "{init}");
    tmp.join("backlog")
}

/// A backlog after `init` with both targets added, and the twins behind them. Commands run in
/// the backlog folder `init` made, as a product owner who did `cd backlog` would run them.
pub struct World {
    pub tmp: tempfile::TempDir,
    pub backlog: PathBuf,
    pub github: Twin,
    pub azure: Twin,
}

impl World {
    pub fn dir(&self) -> &Path {
        &self.backlog
    }

    pub fn story(&self) -> PathBuf {
        self.dir().join("stories/ST-1.md")
    }

    /// `init`, then both targets appended to the settings file `init` wrote.
    pub fn new(process: &str) -> World {
        let tmp = tempfile::tempdir().unwrap();
        let backlog = init_in(tmp.path());
        let world = World { tmp, backlog, github: Twin::github(), azure: Twin::azure(process) };
        let settings = world.dir().join("backlog-sync.toml");
        let mut text = std::fs::read_to_string(&settings).unwrap();
        text.push_str(&targets_toml(&world.github.url, &world.azure.url));
        std::fs::write(&settings, text).unwrap();
        world
    }

    pub async fn github_issue(&self, number: u64) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}/repos/{REPO}/issues/{number}", self.github.url))
            .header("authorization", format!("token {TOKEN}"))
            .header("user-agent", "a-developer")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn edit_github_title(&self, number: u64, title: &str) {
        let r = reqwest::Client::new()
            .patch(format!("{}/repos/{REPO}/issues/{number}", self.github.url))
            .header("authorization", format!("token {TOKEN}"))
            .header("user-agent", "a-developer")
            .json(&serde_json::json!({ "title": title }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    pub async fn work_item(&self, id: u64) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}/{PROJECT}/_apis/wit/workitems/{id}?api-version=7.1", self.azure.url))
            .basic_auth("", Some(TOKEN))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// The first sync creates EP-1, RK-1 and ST-1 in that order on both twins, so ST-1 is number 3.
pub const ST1: u64 = 3;

#[tokio::test(flavor = "multi_thread")]
async fn the_first_hour_runs_from_init_to_a_settled_conflict_without_config_or_copied_files() {
    let world = World::new("scrum");
    let dir = world.dir();
    for f in ["backlog.toml", ".gitignore", "backlog-sync.toml"] {
        assert!(dir.join(f).is_file(), "init wrote {f}");
    }

    let validate = expect(&cli(dir, &["validate"]), 0, "validate");
    assert!(validate.contains("settings: ok (2 target(s), from `backlog-sync.toml`)"), "{validate}");
    assert!(validate.contains("target `github`: ok (token, built-in mapping github/default.toml"), "{validate}");
    assert!(validate.contains("target `boards`: ok"), "{validate}");

    let plan = expect(&cli(dir, &["plan"]), 0, "plan");
    assert!(plan.contains("6 change(s)"), "three items to create on each target:\n{plan}");
    let plan_json = expect(&cli(dir, &["plan", "--format", "json"]), 0, "plan --format json");
    serde_json::from_str::<serde_json::Value>(&plan_json).expect("`plan --format json` prints JSON");

    let sync = expect(&cli(dir, &["sync"]), 0, "first sync");
    assert!(sync.contains("outbound: 6 created"), "{sync}");
    let pbi = world.work_item(ST1).await;
    assert_eq!(
        pbi["fields"]["System.WorkItemType"], "Product Backlog Item",
        "the built-in mapping of the project's process (Scrum), read from the project"
    );
    assert_eq!(world.github_issue(ST1).await["title"], "See the whole backlog in one place");

    // A conflict on purpose: the same field edited in the file and on GitHub.
    let story = std::fs::read_to_string(world.story()).unwrap();
    std::fs::write(
        world.story(),
        story.replace("title: See the whole backlog in one place", "title: Backlog in one view"),
    )
    .unwrap();
    world.edit_github_title(ST1, "One backlog for everyone").await;
    let sync = expect(&cli(dir, &["sync"]), 1, "a sync that leaves a conflict");
    assert!(sync.contains("conflict on `title` left for a person"), "{sync}");
    assert!(sync.contains("1 open conflict(s)"), "{sync}");
    let plan = expect(&cli(dir, &["plan"]), 0, "plan with a conflict");
    assert!(plan.contains("1 open conflict(s)"), "{plan}");
    assert!(plan.contains("left for a person") && plan.contains("\n0 change(s);"), "a conflict is no change:\n{plan}");
    let status = expect(&cli(dir, &["status"]), 1, "status with a conflict");
    assert!(status.contains("open conflicts: 1"), "{status}");
    assert!(status.contains("conflicts"), "the run is recorded as `conflicts`, not `success`:\n{status}");

    let list = expect(&cli(dir, &["resolve", "--list"]), 0, "resolve --list");
    assert!(list.contains("backlog-sync resolve ST-1 title --keep file|github"), "{list}");
    let resolved = expect(&cli(dir, &["resolve", "ST-1", "title", "--keep", "github"]), 0, "resolve");
    assert!(resolved.contains("resolved ST-1 `title` = \"One backlog for everyone\""), "{resolved}");
    assert!(std::fs::read_to_string(world.story()).unwrap().contains("title: One backlog for everyone\n"));

    let sync = expect(&cli(dir, &["sync"]), 0, "the sync after resolve");
    assert!(sync.contains("0 open conflict(s)"), "{sync}");
    assert_eq!(world.github_issue(ST1).await["title"], "One backlog for everyone");
    assert_eq!(world.work_item(ST1).await["fields"]["System.Title"], "One backlog for everyone");
    let again = expect(&cli(dir, &["sync"]), 0, "a sync with nothing to do");
    assert!(again.contains("no changes"), "{again}");

    let status = expect(&cli(dir, &["status", "--links"]), 0, "status --links after resolve");
    assert!(status.contains("open conflicts: 0"), "{status}");
    assert!(
        status.contains("github       3 linked item(s)") && status.contains("boards       3 linked item(s)"),
        "{status}"
    );
    let last = status.lines().find(|l| l.trim_start().starts_with('#')).unwrap_or_default();
    assert!(last.contains("success"), "the newest run succeeded: {last}\n{status}");
    // Each link with the page of its remote item: three issues on GitHub, three work items.
    assert_eq!(status.matches("/issues/").count(), 3, "{status}");
    assert_eq!(status.matches("/_workitems/edit/").count(), 3, "{status}");
}
