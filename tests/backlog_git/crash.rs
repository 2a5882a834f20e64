//! SIGKILL of a real `backlog-sync sync` process while it pushes and between writing files and
//! committing them (and, in review mode, while the review branch is pushed), then a rerun: no edit
//! lost, no change committed twice, one pull request.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::world::{GitWorld, git};
use crate::common::{stderr, stdout};
use crate::support::azure_env::field;

/// Starts `backlog-sync sync` in a process group of its own (git and its hooks join it).
fn spawn_sync(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
        .args(["sync", "--config", config.to_str().unwrap()])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("backlog-sync starts")
}

/// SIGKILL to the whole group: the sync and every git process it started.
fn kill_group(child: &mut Child) {
    // SAFETY: kill(2) with a negative pid signals the group `child` leads; no memory is touched.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    child.wait().unwrap();
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(120), "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn commits_touching(w: &GitWorld, rel: &str) -> Vec<String> {
    git(&w.bare, &["log", "--format=%s", "main", "--", rel]).lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_the_push_then_a_rerun_pushes_the_commit_once() {
    let w = GitWorld::new("").await;
    w.sync().await;
    let started = w.tmp.path().join("push-started");
    w.remote_hook("pre-receive", &format!("#!/bin/sh\ntouch '{}'\nsleep 30\n", started.display()));
    let issue = w.gh.issue_of("ST-2").await;
    w.gh.edit_issue(issue["number"].as_u64().unwrap(), json!({"title": "Story two, pushed after a crash"})).await;
    let before = w.remote_log();

    let mut child = spawn_sync(&w.config);
    wait_for("the push reached the remote", || started.exists()).await;
    kill_group(&mut child);
    assert_eq!(w.remote_log(), before, "the killed push did not land");
    std::fs::remove_file(w.bare.join("hooks/pre-receive")).unwrap();

    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let log = w.remote_log();
    assert_eq!(log.len(), before.len() + 1, "{log:?}");
    assert!(log[0].ends_with("backlog-sync: ST-2 title from github"), "{log:?}");
    assert!(w.remote_file("stories/ST-2.md").contains("title: Story two, pushed after a crash"));

    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.remote_log(), log, "a third run commits and pushes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_between_writing_files_and_committing_then_a_rerun_commits_them_once() {
    let w = GitWorld::new("").await;
    w.sync().await;
    // Inbound (ST-2, written first) and outbound (ST-1, held up by a slow GitHub) in one run.
    w.po_edit("stories/ST-1.md", "title: Story number 1", "title: Story one, from the product owner", "ST-1 retitled");
    let issue = w.gh.issue_of("ST-2").await;
    w.gh.edit_issue(issue["number"].as_u64().unwrap(), json!({"title": "Story two, written before the crash"})).await;
    w.gh.faults(json!([{"method": "PATCH", "path": "/repos/**", "count": 1, "latency_ms": 20000}])).await;

    let mut child = spawn_sync(&w.config);
    let file = w.clone.join("stories/ST-2.md");
    wait_for("the inbound edit was written", || {
        std::fs::read_to_string(&file).is_ok_and(|t| t.contains("written before the crash"))
    })
    .await;
    kill_group(&mut child);
    let status = git(&w.clone, &["status", "--porcelain"]);
    assert!(status.contains("stories/ST-2.md"), "killed between write and commit: {status}");

    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(w.remote_file("stories/ST-2.md").contains("title: Story two, written before the crash"));
    assert_eq!(commits_touching(&w, "stories/ST-2.md").len(), 2, "the backlog's first commit and one more");
    assert_eq!(w.gh.issue_of("ST-1").await["title"], "Story one, from the product owner");
    let wi = w.boards.item_of("ST-1").await;
    assert_eq!(field(&wi, "System.Title"), "Story one, from the product owner");
    assert_eq!(field(&w.boards.item_of("ST-2").await, "System.Title"), "Story two, written before the crash");

    let log = w.remote_log();
    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.remote_log(), log, "nothing is committed twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn review_mode_sigkill_while_the_review_branch_is_pushed_then_a_rerun_opens_one_pull_request() {
    let w = GitWorld::new("mode = \"pull-request\"\nreview_target = \"github\"").await;
    w.gh.twin.seed(json!({"repositories": ["contoso/backlog"]})).unwrap();
    w.sync().await;
    let started = w.tmp.path().join("push-started");
    w.remote_hook("pre-receive", &format!("#!/bin/sh\ntouch '{}'\nsleep 30\n", started.display()));
    let issue = w.gh.issue_of("ST-2").await;
    w.gh.edit_issue(issue["number"].as_u64().unwrap(), json!({"title": "Story two, proposed across a crash"})).await;
    let before = w.remote_log();

    let mut child = spawn_sync(&w.config);
    wait_for("the review branch's push reached the remote", || started.exists()).await;
    kill_group(&mut child);
    std::fs::remove_file(w.bare.join("hooks/pre-receive")).unwrap();

    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let url = w.gh.url("/repos/contoso/backlog/pulls?state=all");
    let all: serde_json::Value =
        w.gh.http
            .get(url)
            .header("authorization", format!("token {}", crate::support::github_env::TOKEN))
            .header("user-agent", "t")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(all.as_array().map(Vec::len), Some(1), "one pull request: {all}");
    let on_branch = git(&w.bare, &["show", "backlog-sync/inbound:stories/ST-2.md"]);
    assert!(on_branch.contains("title: Story two, proposed across a crash"), "the value was not lost");
    assert_eq!(w.remote_log(), before, "main untouched");
    assert_eq!(w.gh.issue_of("ST-2").await["title"], "Story two, proposed across a crash", "nor the tracker");
    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(git(&w.bare, &["rev-list", "--count", "main..backlog-sync/inbound"]).trim(), "1", "no duplicate commit");
}
