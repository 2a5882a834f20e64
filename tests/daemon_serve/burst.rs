//! 1,000 real edits on the GitHub twin, each followed by its signed webhook, posted to the daemon
//! from 16 senders: every webhook is answered 202 or 503, the queue never holds more than its
//! capacity, the runs coalesce them, and no edit is lost — what a refusal leaves is caught by the
//! next run, and an edit whose webhook never came is caught by the next scheduled sync.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use backlog_twins::github::sign_github_payload;
use serde_json::json;

use super::process::{SECRET, Served, configure, metric, read, runs, tables};
use crate::common::synthetic_backlog;
use crate::support::github_env::{GhEnv, REPO};

const WEBHOOKS: usize = 1000;
const SENDERS: usize = 16;
const CAPACITY: usize = 24;
const KINDS: [&str; 5] = ["startup", "webhook", "schedule", "retry", "reconcile"];

/// Marker id → issue title on the twin, and issue number → marker id.
async fn titles(env: &GhEnv) -> (BTreeMap<String, String>, BTreeMap<u64, String>) {
    let mut by_id = BTreeMap::new();
    let mut numbers = BTreeMap::new();
    for issue in env.issues().await {
        let body = issue["body"].as_str().unwrap_or("");
        if let Some(id) = body.split("<!-- backlog-sync: ").nth(1).and_then(|r| r.split(' ').next()) {
            by_id.insert(id.to_string(), issue["title"].as_str().unwrap().to_string());
            numbers.insert(issue["number"].as_u64().unwrap(), id.to_string());
        }
    }
    (by_id, numbers)
}

/// Items whose file title differs from the twin's.
fn stale(env: &GhEnv, want: &BTreeMap<String, String>) -> Vec<String> {
    want.iter()
        .filter(|(id, title)| {
            let folder = if id.starts_with("EP-") { "epics" } else { "stories" };
            !env.read(&format!("{folder}/{id}.md")).lines().any(|l| l == format!("title: {title}"))
        })
        .map(|(id, _)| id.clone())
        .collect()
}

fn total_runs(text: &str) -> u64 {
    KINDS.iter().map(|k| runs(text, k)).sum()
}

/// Waits until nothing is queued or running, seen twice a little apart.
async fn wait_idle(daemon: &Served, timeout: Duration) -> String {
    let started = Instant::now();
    let mut quiet = 0;
    loop {
        let text = daemon.metrics().await;
        let idle =
            metric(&text, "backlog_sync_queue_depth") == 0.0 && metric(&text, "backlog_sync_run_in_progress") == 0.0;
        quiet = if idle { quiet + 1 } else { 0 };
        if quiet >= 3 {
            return text;
        }
        assert!(started.elapsed() < timeout, "not idle after {timeout:?}:\n{}", read(&daemon.log));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_webhooks_are_answered_bounded_coalesced_and_none_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let source = synthetic_backlog(tmp.path(), 2, 30, 0);
    let env = Arc::new(GhEnv::with_limits(&source, "manual", 5000).await);
    env.sync().await;
    configure(&env, &tables(2000, CAPACITY, "*/10 * * * * *"));
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, Duration::from_secs(30)).await;
    let (_, numbers) = titles(&env).await;
    let numbers: Vec<u64> = numbers.keys().copied().collect();
    assert_eq!(numbers.len(), 32);
    let rss_before = daemon.memory_kib("VmRSS");
    let before = daemon.metrics().await;

    let next = Arc::new(AtomicUsize::new(0));
    let hook = format!("{}/webhooks/github", daemon.url);
    let started = Instant::now();
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let (env, next, hook) = (env.clone(), next.clone(), hook.clone());
        let mine: Vec<u64> = numbers.iter().copied().skip(s).step_by(SENDERS).collect();
        senders.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut statuses = BTreeMap::<u16, usize>::new();
            let mut round = 0;
            while next.fetch_add(1, Ordering::SeqCst) < WEBHOOKS {
                let number = mine[round % mine.len()];
                round += 1;
                let issue = env.edit_issue(number, json!({"title": format!("Story {number} revision {round}")})).await;
                let body = serde_json::to_vec(&json!({
                    "action": "edited", "issue": issue, "changes": {"title": {"from": "?"}},
                    "repository": {"full_name": REPO}, "sender": {"login": "a-person"},
                }))
                .unwrap();
                let answer = client
                    .post(&hook)
                    .header("content-type", "application/json")
                    .header("x-github-event", "issues")
                    .header("x-github-delivery", uuid::Uuid::new_v4().to_string())
                    .header("x-hub-signature-256", sign_github_payload(SECRET.as_bytes(), &body))
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                if answer.status() == 503 {
                    assert_eq!(answer.headers()["retry-after"], "10");
                }
                *statuses.entry(answer.status().as_u16()).or_default() += 1;
            }
            statuses
        }));
    }
    let mut statuses = BTreeMap::<u16, usize>::new();
    for s in senders {
        for (code, n) in s.await.unwrap() {
            *statuses.entry(code).or_default() += n;
        }
    }
    let sent_in = started.elapsed();
    let (accepted, refused) = (statuses.get(&202).copied().unwrap_or(0), statuses.get(&503).copied().unwrap_or(0));
    assert_eq!(accepted + refused, WEBHOOKS, "every webhook answered 202 or 503: {statuses:?}");
    eprintln!("figure: 1,000 webhooks answered in {} ms", sent_in.as_millis());

    let after = wait_idle(&daemon, Duration::from_secs(60)).await;
    let rss_peak = daemon.memory_kib("VmHWM");
    let peak = metric(&after, "backlog_sync_queue_peak");
    let burst_runs = total_runs(&after) - total_runs(&before);
    let schedule_runs = runs(&after, "schedule") - runs(&before, "schedule");
    let (want, _) = titles(&env).await;
    let left = stale(&env, &want);
    eprintln!(
        "figure: {WEBHOOKS} webhooks in {} ms: {accepted} × 202, {refused} × 503; queue peak {peak} of {CAPACITY}; \
         {burst_runs} run(s) ({schedule_runs} scheduled) handled them; daemon RSS {rss_before} KiB before, peak {rss_peak} KiB; \
         {} item(s) stale after the runs",
        sent_in.as_millis(),
        left.len()
    );
    assert!(peak <= CAPACITY as f64, "the queue stayed within its capacity");
    assert!(refused > 0, "the burst did fill the queue");
    assert!((1..=10).contains(&burst_runs), "coalesced into few runs: {burst_runs}");
    assert!(left.is_empty(), "no edit lost: {left:?}");
    let twin = metric(&after, "backlog_sync_webhooks_total{source=\"github\",outcome=\"accepted\"}");
    assert_eq!(twin as usize, accepted, "the daemon counted what it answered");

    // An edit whose webhook never arrives (dropped, or refused and never redelivered) is caught
    // by the next scheduled sync.
    let quiet = daemon.metrics().await;
    for &n in &numbers[..3] {
        env.edit_issue(n, json!({"title": format!("Story {n} changed while no webhook came")})).await;
    }
    let edited = Instant::now();
    let (want, _) = titles(&env).await;
    assert_eq!(stale(&env, &want).len(), 3);
    let healed = daemon.wait_runs("schedule", runs(&quiet, "schedule") + 1, Duration::from_secs(30)).await;
    assert_eq!(total_runs(&healed), total_runs(&quiet) + 1, "only the scheduled run ran");
    assert!(stale(&env, &want).is_empty(), "the scheduled sync caught the edits");
    eprintln!(
        "figure: 3 edits without a webhook were synced by the next scheduled run after {} ms",
        edited.elapsed().as_millis()
    );
}
