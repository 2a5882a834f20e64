//! `backlog-sync drift` and `reconcile` against the GitHub twin: conflicts, orphans, deletions.

use serde_json::json;

use crate::common::{sample_backlog, stderr, stdout};
use crate::support::github_env::GhEnv;

#[tokio::test(flavor = "multi_thread")]
async fn drift_reports_lint_findings_conflicts_orphans_and_vanished_items_in_lint_formats() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    // A conflict left for a person.
    env.write(
        "stories/ST-1.md",
        &env.read("stories/ST-1.md").replace("title: Invite teammates by email", "title: Invite by email"),
    );
    let n1 = env.issue_of("ST-1").await["number"].as_u64().unwrap();
    env.edit_issue(n1, json!({"title": "Invite people by email"})).await;
    env.sync().await;
    // An orphan: a typed issue nobody imported yet; a vanished one: deleted by an admin.
    env.create_issue(json!({"title": "Dark mode", "labels": ["type:story"]})).await;
    let n8 = env.issue_of("ST-8").await["number"].as_u64().unwrap();
    env.delete_issue(n8).await;

    let out = env.cli(&["drift", "--format", "json", "--today", "2026-11-22"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let found: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["rule"].as_str().unwrap(), f["item"].as_str().unwrap_or("-")))
        .collect();
    for want in [
        "sync-conflict ST-1",
        "remote-orphan -",
        "remote-missing ST-8",
        "risk-missing-mitigation RK-3",
        "unknown-identity EP-2",
    ] {
        assert!(found.contains(&want.to_string()), "{want} in {found:?}");
    }
    let out = env.cli(&["drift", "--format", "github", "--today", "2026-11-22"]).await;
    assert!(stdout(&out).contains("::error title=sync-conflict::"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_marks_an_item_removed_when_its_issue_was_deleted() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    let n = env.issue_of("ST-12").await["number"].as_u64().unwrap();
    env.delete_issue(n).await;
    let out = env.cli(&["reconcile"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("was deleted remotely; marked removed"), "{}", stdout(&out));
    assert!(env.read("stories/ST-12.md").contains("state: removed"));
    let writes = env.writes().await;
    env.cli(&["reconcile"]).await;
    assert_eq!(env.writes().await, writes, "a removed, unlinked item is not recreated");
}
