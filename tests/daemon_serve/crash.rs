//! The daemon killed with SIGKILL in the middle of a run, then started again: it converges with no
//! duplicate issue. And SIGTERM mid-run: it stops taking work, finishes the run, closes the store.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use backlog_sync::store::{RunOutcome, Store};
use serde_json::json;

use super::process::{NEVER, Served, configure, read, tables};
use crate::common::{root, run_cli, stderr, synthetic_backlog};
use crate::support::github_env::GhEnv;

/// `backlog-sync serve --probe --listen ADDR`, the image's HEALTHCHECK.
async fn probe(addr: &str) -> std::process::Output {
    let addr = addr.to_string();
    tokio::task::spawn_blocking(move || run_cli(&root(), &["serve", "--probe", "--listen", &addr])).await.unwrap()
}

fn markers(issues: &[serde_json::Value]) -> Vec<String> {
    issues
        .iter()
        .filter_map(|i| i["body"].as_str())
        .filter_map(|b| b.split("<!-- backlog-sync: ").nth(1).map(|r| r.split(' ').next().unwrap().to_string()))
        .collect()
}

/// A 30-item backlog not yet synced, a twin that answers every request 15 ms late (so a run takes
/// a while) and a daemon whose startup run creates everything.
async fn slow_world(tmp: &std::path::Path) -> GhEnv {
    let source = synthetic_backlog(tmp, 3, 22, 5);
    let env = GhEnv::with_limits(&source, "manual", 1000).await;
    env.faults(json!([{"path": "/**", "count": 100000, "latency_ms": 15}])).await;
    configure(&env, &tables(300, 64, NEVER));
    env
}

async fn wait_writes(env: &GhEnv, served: &mut Served, n: u64) {
    let started = Instant::now();
    while env.writes().await < n {
        assert!(served.child.try_wait().unwrap().is_none(), "the daemon exited early:\n{}", read(&served.log));
        assert!(started.elapsed() < Duration::from_secs(60), "no {n} writes:\n{}", read(&served.log));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_run_then_restart_converges_with_no_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    for k in [3, 20, 41] {
        let env = slow_world(tmp.path().join(format!("k{k}")).as_path()).await;
        let log = env.dir.join("../serve.log");
        let mut first = Served::start(&env.config, log.clone());
        wait_writes(&env, &mut first, k).await;
        first.kill(); // SIGKILL, mid-run
        let at_kill = env.writes().await;

        let second = Served::start(&env.config, log.clone());
        let text = second.wait_runs("startup", 1, Duration::from_secs(90)).await;
        assert!(
            text.contains("backlog_sync_runs_total{kind=\"startup\",outcome=\"success\"} 1"),
            "k={k}:\n{text}\n{}",
            read(&log)
        );
        drop(second);

        let all = markers(&env.issues().await);
        let unique: BTreeSet<&String> = all.iter().collect();
        eprintln!(
            "figure: killed after {at_kill} writes; after the restart {} issues, {} distinct",
            all.len(),
            unique.len()
        );
        assert_eq!((all.len(), unique.len()), (30, 30), "k={k}: exactly 30 issues, no duplicate");
        let store = Store::open(&env.settings().state_path()).unwrap();
        assert_eq!(store.links("github").unwrap().len(), 30, "k={k}: all linked");
        assert!(store.intents("github").unwrap().is_empty(), "k={k}: no create left pending");
        let writes = env.writes().await;
        let report = env.sync().await;
        assert!(report.errors.is_empty() && env.writes().await == writes, "k={k}: nothing left to do");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_run_finishes_the_run_then_stops_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let env = slow_world(tmp.path()).await;
    let mut served = Served::start(&env.config, env.dir.join("../serve.log"));
    let url = served.url.clone();
    let addr = url.trim_start_matches("http://").to_string();
    let healthy = probe(&addr).await;
    assert_eq!(healthy.status.code(), Some(0), "the container health check passes: {}", stderr(&healthy));
    wait_writes(&env, &mut served, 5).await;
    let asked = Instant::now();
    served.terminate();
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(asked.elapsed() < Duration::from_secs(60), "still running:\n{}", read(&served.log));
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "figure: SIGTERM mid-run; the daemon finished the run and exited after {} ms",
        asked.elapsed().as_millis()
    );
    assert!(status.success(), "exit {status:?}:\n{}", read(&served.log));
    assert!(read(&served.log).contains("stopping: no new work is taken"), "{}", read(&served.log));
    assert!(reqwest::get(format!("{url}/healthz")).await.is_err(), "no longer listening");
    let gone = probe(&addr).await;
    assert_eq!(gone.status.code(), Some(1), "the health check fails with 1, as Docker expects");
    assert!(stderr(&gone).contains("unhealthy:"), "{}", stderr(&gone));

    let store = Store::open(&env.settings().state_path()).unwrap();
    let runs = store.last_runs(10).unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].outcome, RunOutcome::Success, "the run in flight was finished: {:?}", runs[0]);
    assert_eq!(runs[0].counts.outbound_created, 30);
    assert_eq!(markers(&env.issues().await).len(), 30);
}
