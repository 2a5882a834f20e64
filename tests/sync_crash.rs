//! Crash safety: a create whose answer is lost, and `backlog-sync sync` killed with SIGKILL after
//! each of the first 20 remote writes — every rerun converges with no duplicate and no lost file.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backlog_sync::store::Store;
use serde_json::json;

use crate::common::{sample_backlog, stderr, stdout, synthetic_backlog};
use crate::support::github_env::GhEnv;

fn markers(issues: &[serde_json::Value]) -> Vec<String> {
    issues
        .iter()
        .filter_map(|i| i["body"].as_str())
        .filter_map(|b| b.split("<!-- backlog-sync: ").nth(1).map(|r| r.split(' ').next().unwrap().to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_whose_answer_is_lost_is_adopted_not_duplicated() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.faults(json!([{"method": "POST", "path": "/repos/*/*/issues", "count": 2, "drop_after_write": true}])).await;
    let report = env.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let issues = env.issues().await;
    let all = markers(&issues);
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!((all.len(), unique.len()), (32, 32), "one issue per item, no duplicate");
    let writes = env.writes().await;
    env.sync().await;
    assert_eq!(env.writes().await, writes, "and nothing left to do");
}

async fn kill_after_each_write(first: u64, last: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let source = synthetic_backlog(tmp.path(), 3, 22, 5);
    for k in first..=last {
        let env = GhEnv::with_limits(&source, "manual", 1000).await;
        // Slow every request a little so the kill lands right after the k-th write.
        env.faults(json!([{"path": "/**", "count": 100000, "latency_ms": 15}])).await;
        let originals: Vec<(String, String)> = files(&env.dir);
        let mut child = Command::new(env!("CARGO_BIN_EXE_backlog-sync"))
            .args(["sync", "--config", env.config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while env.writes().await < k && started.elapsed() < Duration::from_secs(60) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let out = env.cli(&["sync", "--wait", "30"]).await;
        assert_eq!(out.status.code(), Some(0), "k={k}: {}{}", stdout(&out), stderr(&out));

        let all = markers(&env.issues().await);
        let unique: BTreeSet<&String> = all.iter().collect();
        assert_eq!((all.len(), unique.len()), (30, 30), "k={k}: exactly 30 issues, no duplicate");
        let store = Store::open(&env.dir.join(".backlog-sync/state.db")).unwrap();
        assert_eq!(store.links("github").unwrap().len(), 30, "k={k}: all linked");
        assert!(store.intents("github").unwrap().is_empty(), "k={k}: no create left pending");
        assert_eq!(files(&env.dir), originals, "k={k}: canonical files intact");
        let ep1 = env.issue_of("EP-1").await["number"].as_u64().unwrap();
        let subs: Vec<String> =
            env.sub_issues(ep1).await.iter().map(|i| i["title"].as_str().unwrap().to_string()).collect();
        let bases: Vec<String> = store
            .links("github")
            .unwrap()
            .iter()
            .map(|l| format!("{}={}", l.item_id, l.base.get("epic").cloned().unwrap_or_default()))
            .collect();
        assert_eq!(subs.len(), 8, "k={k}: EP-1 has its stories as sub-issues: {subs:?}; bases {bases:?}");
    }
}

fn files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for sub in ["epics", "stories", "risks"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_writes_1_to_5_the_rerun_converges() {
    kill_after_each_write(1, 5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_writes_6_to_10_the_rerun_converges() {
    kill_after_each_write(6, 10).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_writes_11_to_15_the_rerun_converges() {
    kill_after_each_write(11, 15).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_writes_16_to_20_the_rerun_converges() {
    kill_after_each_write(16, 20).await;
}
