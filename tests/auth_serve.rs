//! Issue 16 with a real `backlog-sync serve` process signed in as a GitHub App: it goes on across
//! several token lifetimes (the twin's token clock moved forward), it knows its own edits' webhooks
//! as echoes of its app login (a person's edit still runs), and no token or key reaches the
//! dashboard, `/metrics` or its log.

use std::time::Duration;

use serde_json::json;

use crate::auth_identity::{APP_ID, SLUG, advance, fixture, register_app, use_app};
use crate::common::{sample_backlog, stderr, stdout};
use crate::daemon_serve::process::{NEVER, Served, configure, metric, read, runs, tables};
use crate::support::github_env::GhEnv;

const WAIT: Duration = Duration::from_secs(60);

/// A twin with the test app registered (`ttl`-second tokens), the backlog synced once through the
/// app by the real binary, and `serve` started and past its startup run, the twin's hooks on it.
async fn serving_as_app(ttl: u64) -> (GhEnv, Served) {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    register_app(&env, ttl, None).await;
    use_app(&env, APP_ID, &fixture("app-key.pem"));
    let out = env.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    configure(&env, &tables(200, 1024, NEVER));
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, WAIT).await;
    daemon.hook_twin(&env).await;
    (env, daemon)
}

/// Lines of the daemon's log that show a 401 or GitHub's refusal of a credential.
fn refusals(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("bad credentials") || l.contains("401 unauthorized") || l.contains("status=401")
        })
        .collect()
}

/// The sum of failed runs of every kind.
fn failed_runs(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("backlog_sync_runs_total{") && l.contains("outcome=\"failed\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_as_an_app_goes_on_across_several_token_lifetimes_without_a_failed_run_or_a_401() {
    let (env, daemon) = serving_as_app(3).await;
    let st5 = env.issue_of("ST-5").await["number"].as_u64().unwrap();
    for round in 0..4u64 {
        // Past the token's lifetime: the daemon's token has expired on the twin.
        advance(&env.http, &env.twin.base_url(), 4).await;
        let text = env.read("stories/ST-2.md");
        env.write("stories/ST-2.md", &format!("{text}\nNoted in round {round}.\n"));
        let title = format!("See who has not joined yet, round {round}");
        env.edit_issue(st5, json!({"title": title})).await;
        let metrics = daemon.wait_runs("webhook", round + 1, WAIT).await;
        assert_eq!(failed_runs(&metrics), 0.0, "round {round}: {metrics}\nlog:\n{}", read(&daemon.log));
        assert!(env.read("stories/ST-5.md").contains(&format!("title: {title}")), "round {round}: inbound");
        let st2 = env.issue_of("ST-2").await;
        assert!(st2["body"].as_str().unwrap().contains(&format!("Noted in round {round}.")), "round {round}: out");
    }
    let apps: serde_json::Value = env.http.get(env.url("/_twin/apps")).send().await.unwrap().json().await.unwrap();
    assert!(apps["tokens_issued"].as_u64().unwrap() >= 4, "a token per lifetime: {apps}");
    let metrics = daemon.metrics().await;
    assert_eq!(failed_runs(&metrics), 0.0, "{metrics}");
    assert!(runs(&metrics, "webhook") >= 4, "{metrics}");
    let log = read(&daemon.log);
    assert!(refusals(&log).is_empty(), "a 401 surfaced in the daemon's log: {:?}", refusals(&log));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_syncs_own_edits_through_the_app_are_echoes_not_a_persons_edit_and_run_nothing() {
    let (env, daemon) = serving_as_app(3600).await;
    let bot = format!("{SLUG}[bot]");
    let st5 = env.issue_of("ST-5").await["number"].as_u64().unwrap();
    // A local edit the next run writes to GitHub as the app, and a person's edit that runs it.
    let text = env.read("stories/ST-2.md");
    env.write("stories/ST-2.md", &format!("{text}\nWritten by the sync.\n"));
    env.edit_issue(st5, json!({"title": "See who has not joined yet"})).await;
    daemon.wait_runs("webhook", 1, WAIT).await;
    assert!(env.read("stories/ST-5.md").contains("title: See who has not joined yet"), "the person's edit ran");
    let st2 = env.issue_of("ST-2").await;
    assert!(st2["body"].as_str().unwrap().contains("Written by the sync."), "{st2}");

    // Every webhook the twin sent has arrived; what they queued has run.
    assert!(env.twin.control().webhooks().settle(WAIT).await, "the twin's webhooks were delivered");
    let metrics = daemon.wait_runs("webhook", 1, WAIT).await;
    let deliveries = env.twin.control().webhooks().deliveries();
    let by = |login: &str| deliveries.iter().filter(|d| d.payload["sender"]["login"] == login).count();
    assert!(by(&bot) >= 1, "the sync's write came back as a webhook sent by {bot}");
    let person = deliveries.iter().filter(|d| d.payload["sender"]["login"].as_str().is_some_and(|l| l != bot));
    assert!(person.count() >= 1, "and the person's edit as one of theirs");
    let ignored = metric(&metrics, "backlog_sync_webhooks_total{source=\"github\",outcome=\"ignored\"}");
    assert_eq!(ignored as usize, by(&bot), "every echo was recognised: {metrics}");
    assert_eq!(runs(&metrics, "webhook"), 1, "no run for the sync's own edit: {metrics}");
    assert_eq!(failed_runs(&metrics), 0.0, "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_and_keys_never_appear_on_the_dashboard_metrics_or_the_serve_log() {
    let (env, daemon) = serving_as_app(2).await;
    let st5 = env.issue_of("ST-5").await["number"].as_u64().unwrap();
    let mut seen = String::new();
    for round in 0..3u64 {
        advance(&env.http, &env.twin.base_url(), 3).await;
        env.edit_issue(st5, json!({"title": format!("Joined, round {round}")})).await;
        daemon.wait_runs("webhook", round + 1, WAIT).await;
        let page = daemon.get_dashboard("/").await;
        assert_eq!(page.status(), 200);
        seen.push_str(&page.text().await.unwrap());
        seen.push_str(&daemon.metrics().await);
        seen.push_str(&daemon.get("/readyz").await.text().await.unwrap());
    }
    assert!(seen.contains("backlog_sync_runs_total"), "the pages were read");
    let apps: serde_json::Value = env.http.get(env.url("/_twin/apps")).send().await.unwrap().json().await.unwrap();
    assert!(apps["tokens_issued"].as_u64().unwrap() >= 3, "tokens were used: {apps}");
    let key = std::fs::read_to_string(fixture("app-key.pem")).unwrap();
    let key_line = key.lines().nth(5).unwrap();
    let log = read(&daemon.log);
    for (name, text) in [("dashboard and metrics", seen.as_str()), ("serve log", log.as_str())] {
        assert!(!text.contains("ghs_"), "an installation token in the {name}");
        assert!(!text.contains("eyJ"), "an app JWT in the {name}");
        assert!(!text.contains(key_line) && !text.contains("PRIVATE KEY"), "the key in the {name}");
    }
}
