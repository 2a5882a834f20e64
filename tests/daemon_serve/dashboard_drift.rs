//! The dashboard's drift panel counts what `backlog-sync drift` counts: local and remote rules.

use serde_json::{Value, json};

use super::process::{NEVER, Served, tables};
use crate::common::{sample_backlog, stdout};
use crate::support::github_env::GhEnv;

/// The number before `label` in the panel's counts (`<b>6</b> warnings`).
fn count(html: &str, label: &str) -> u64 {
    let end = html.find(&format!("</b> {label}</span>")).unwrap_or_else(|| panic!("no {label} count: {html}"));
    html[..end].rsplit("<b>").next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_drift_panel_counts_what_drift_counts() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    // Remote drift that a sync leaves in place: the same field edited on both sides (manual).
    let text = env.read("stories/ST-10.md").replace("title: Import shift templates", "title: From a template");
    env.write("stories/ST-10.md", &text);
    let n = env.issue_of("ST-10").await["number"].as_u64().unwrap();
    env.edit_issue(n, json!({"title": "Templates for shifts"})).await;
    let mut text = std::fs::read_to_string(&env.config).unwrap();
    text.push_str(&tables(500, 1024, NEVER));
    std::fs::write(&env.config, text).unwrap();
    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    daemon.wait_runs("startup", 1, std::time::Duration::from_secs(30)).await;
    let drift: Value = serde_json::from_str(&stdout(&env.cli(&["drift", "--format", "json"]).await)).unwrap();
    let summary = &drift["summary"];
    let local: Value = serde_json::from_str(&stdout(&env.cli(&["lint", "--format", "json"]).await)).unwrap();
    assert!(
        drift["findings"].as_array().unwrap().len() > local["findings"].as_array().unwrap().len(),
        "remote rules add findings: {drift}"
    );
    let html = daemon.get("/").await.text().await.unwrap();
    assert_eq!(count(&html, "errors"), summary["errors"].as_u64().unwrap(), "{summary}");
    assert_eq!(count(&html, "warnings"), summary["warnings"].as_u64().unwrap(), "{summary}");
    assert_eq!(count(&html, "info"), summary["infos"].as_u64().unwrap(), "{summary}");
}
