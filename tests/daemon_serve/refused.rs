//! Items a remote refused show on the dashboard (item, target, status, message, hint, next retry)
//! and in `/metrics` as a gauge per target, over HTTP against a running `serve`.

use super::process::{NEVER, Served, metric, tables};
use crate::common::sample_backlog;
use crate::support::github_env::GhEnv;

#[tokio::test(flavor = "multi_thread")]
async fn refused_items_are_listed_on_the_dashboard_and_counted_in_metrics() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    // GitHub refuses ST-2's updates with a 422 (as for a value it will not take; a tag too long
    // for a label is adapted, not refused, so the refusal is armed on the twin).
    let number = env.issue_of("ST-2").await["number"].as_u64().unwrap();
    env.faults(serde_json::json!([{"method": "PATCH", "path": format!("/repos/contoso/onboarding/issues/{number}"),
        "count": 100, "status": 422, "message": "Validation Failed"}]))
        .await;
    let text = env.read("stories/ST-2.md");
    let text: Vec<String> = text
        .lines()
        .map(|l| if l.starts_with("title:") { "title: Invite a whole team at once".to_string() } else { l.to_string() })
        .collect();
    env.write("stories/ST-2.md", &(text.join("\n") + "\n"));
    let mut config = std::fs::read_to_string(&env.config).unwrap();
    config.push_str(&tables(500, 1024, NEVER));
    std::fs::write(&env.config, config).unwrap();

    let daemon = Served::start(&env.config, env.dir.join("../serve.log"));
    let text = daemon.wait_runs("startup", 1, std::time::Duration::from_secs(30)).await;
    let text = if metric(&text, "backlog_sync_refused_items{target=\"github\"}") == 1.0 {
        text
    } else {
        daemon.metrics().await
    };
    assert_eq!(metric(&text, "backlog_sync_refused_items{target=\"github\"}"), 1.0, "{text}");
    assert!(text.contains("# TYPE backlog_sync_refused_items gauge"), "{text}");

    let html = daemon.get_dashboard("/").await.text().await.unwrap();
    let start = html.find("id=\"refused\"").unwrap_or_else(|| panic!("no refused panel: {html}"));
    let panel = &html[start..html[start..].find("</section>").map(|e| start + e).unwrap()];
    for want in ["<td>ST-2</td>", "<td>github</td>", "HTTP 422", "next retry", "attempt(s)"] {
        assert!(panel.contains(want), "missing `{want}` in {panel}");
    }
    assert!(panel.contains("Validation Failed") || panel.contains("name"), "the remote's message: {panel}");
}
