//! The fault campaign: both twins fail 10 % of requests with 5xx, 5 % with 429 and `Retry-After`,
//! drop 2 % of connections after applying the write, and answer everything 50 ms late. A
//! 200-item sync to both, with edits on every side, converges within a bounded number of runs
//! with zero duplicates and every edit present everywhere.

use std::collections::BTreeSet;
use std::time::Instant;

use backlog_sync::backlog::synthetic::{self, Shape};
use backlog_sync::reconcile::engine::RunReport;
use backlog_sync::store::Store;
use backlog_twins::azure::Process;
use serde_json::{Value, json};

use crate::support::azure_env::{self, mapping_of, target_toml};
use crate::support::github_env::GhEnv;

const MAX_RUNS: usize = 6;

fn campaign(paths: &str) -> Value {
    json!([
        {"path": paths, "count": 1000000, "probability": 0.10, "status": 503},
        {"path": paths, "count": 1000000, "probability": 0.05, "retry_after": 1},
        {"path": paths, "count": 1000000, "probability": 0.02, "drop_after_write": true},
        {"path": "/**", "count": 1000000, "latency_ms": 50}
    ])
}

/// Syncs until a run applies nothing and fails nothing; returns how many runs that took.
async fn converge(env: &GhEnv, what: &str) -> usize {
    let mut last = Vec::new();
    for run in 1..=MAX_RUNS {
        let started = Instant::now();
        let report: RunReport = env.sync().await;
        eprintln!(
            "figure: {what} run {run}: {} actions, {} errors, requests {:?}, {:.1} s",
            report.applied.len(),
            report.errors.len(),
            report.requests,
            started.elapsed().as_secs_f64()
        );
        if report.errors.is_empty() && report.applied.is_empty() {
            return run;
        }
        last = report.applied.iter().map(|a| format!("{} {:?} {}", a.item, a.target, a.what)).collect();
        last.extend(report.errors);
    }
    panic!("{what}: no convergence within {MAX_RUNS} runs; the last run still did: {last:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_200_item_two_target_sync_under_faults_converges_with_no_duplicate_and_no_lost_edit() {
    let tmp = tempfile::tempdir().unwrap();
    let source = synthetic::write(tmp.path(), Shape { epics: 10, stories: 170, risks: 20 }).unwrap();
    let env = GhEnv::with_limits(&source, "manual", 100_000).await;
    let boards = azure_env::start_twin(Process::Agile).await;
    let az_token = env.dir.join("../az-token");
    std::fs::write(&az_token, azure_env::TOKEN).unwrap();
    let text = std::fs::read_to_string(&env.config).unwrap().replacen(
        "kind = \"github\"\n",
        "kind = \"github\"\nwrite_limit_per_minute = 100000\nwrite_limit_per_hour = 1000000\n",
        1,
    );
    std::fs::write(
        &env.config,
        format!("{text}\n{}", target_toml("boards", &boards, &az_token, &mapping_of(Process::Agile))),
    )
    .unwrap();
    let http = reqwest::Client::new();
    env.faults(campaign("/repos/**")).await;
    let r =
        http.post(format!("{}/_twin/faults", boards.base_url())).json(&campaign("/contoso/**")).send().await.unwrap();
    assert!(r.status().is_success());

    let initial = converge(&env, "initial sync").await;

    // Edits on every side: ten files, ten issues on GitHub, ten work items in Boards.
    let store = Store::open(&env.settings().state_path()).unwrap();
    for s in 1..=10 {
        let rel = format!("stories/ST-{s}.md");
        env.write(
            &rel,
            &env.read(&rel)
                .replace(&format!("title: Story number {s}\n"), &format!("title: Story {s} edited in the file\n")),
        );
    }
    for s in 11..=20 {
        let n: u64 = store.link("github", &format!("ST-{s}")).unwrap().unwrap().remote_id.parse().unwrap();
        edit_with_retries(|| env.edit_issue_raw(n, json!({"title": format!("Story {s} edited on GitHub")}))).await;
    }
    for s in 21..=30 {
        let wi = store.link("boards", &format!("ST-{s}")).unwrap().unwrap().remote_id;
        let url =
            format!("{}/{}/_apis/wit/workitems/{wi}?api-version=7.1", boards.organization_url(), azure_env::PROJECT);
        let body =
            json!([{"op": "replace", "path": "/fields/System.Title", "value": format!("Story {s} edited in Boards")}])
                .to_string();
        edit_with_retries(|| {
            let (http, url, body) = (http.clone(), url.clone(), body.clone());
            async move {
                http.patch(url)
                    .basic_auth("", Some(azure_env::TOKEN))
                    .header("content-type", "application/json-patch+json")
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
            }
        })
        .await;
    }
    let after_edits = converge(&env, "sync after edits").await;
    eprintln!("figure: converged in {initial} run(s) initially and {after_edits} after the edits (bound {MAX_RUNS})");

    // Stop the faults, then check every side.
    assert!(http.delete(env.url("/_twin/faults")).send().await.unwrap().status().is_success());
    assert!(http.delete(format!("{}/_twin/faults", boards.base_url())).send().await.unwrap().status().is_success());
    let issues = env.issues().await;
    let markers: Vec<String> = issues
        .iter()
        .filter_map(|i| i["body"].as_str())
        .filter_map(|b| b.split("<!-- backlog-sync: ").nth(1))
        .map(|r| r.split(' ').next().unwrap().to_string())
        .collect();
    let unique: BTreeSet<&String> = markers.iter().collect();
    assert_eq!((markers.len(), unique.len()), (200, 200), "GitHub: one issue per item, no duplicate");
    let wiql = json!({"query": "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project"});
    let found: Value = http
        .post(format!("{}/{}/_apis/wit/wiql?api-version=7.1", boards.organization_url(), azure_env::PROJECT))
        .basic_auth("", Some(azure_env::TOKEN))
        .json(&wiql)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["workItems"].as_array().unwrap().len(), 200, "Boards: one work item per item, no duplicate");
    for s in 1..=30 {
        let want = match s {
            1..=10 => format!("Story {s} edited in the file"),
            11..=20 => format!("Story {s} edited on GitHub"),
            _ => format!("Story {s} edited in Boards"),
        };
        assert!(env.read(&format!("stories/ST-{s}.md")).contains(&format!("title: {want}\n")), "file ST-{s}");
        let n: u64 = store.link("github", &format!("ST-{s}")).unwrap().unwrap().remote_id.parse().unwrap();
        let issue = issues.iter().find(|i| i["number"] == n).unwrap();
        assert_eq!(issue["title"], want, "GitHub ST-{s}");
    }
}

/// A person retries an edit the faulty twin refused.
async fn edit_with_retries<F, Fut>(mut edit: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..20 {
        if edit().await {
            return;
        }
    }
    panic!("an edit never went through");
}
