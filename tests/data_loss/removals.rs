//! Removals: a deletion reaches every side in one run, and closing many issues as not planned
//! stops at the mass-removal guard.

use serde_json::json;

use super::world::{World, key};

#[tokio::test(flavor = "multi_thread")]
async fn a_deletion_in_boards_closes_the_github_issue_in_the_same_run() {
    let w = World::new("manual", true, |_| {}).await;
    w.sync().await;
    w.delete_work_item("ST-4").await;
    let report = w.run(true).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(key(&w.read("stories/ST-4.md"), "state").as_deref(), Some("removed"));
    let issue = w.issue_of("ST-4").await;
    assert_eq!((issue["state"].as_str(), issue["state_reason"].as_str()), (Some("closed"), Some("not_planned")));
    let again = w.run(true).await;
    assert!(again.plan.is_empty(), "settled in one run: {:?}", again.plan.actions);
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_many_issues_as_not_planned_stops_at_the_mass_removal_guard() {
    let w = World::new("manual", false, |_| {}).await;
    w.sync().await;
    let stories: Vec<String> = (1..=12).map(|n| format!("ST-{n}")).collect();
    let before: Vec<String> = stories.iter().map(|s| w.read(&format!("stories/{s}.md"))).collect();
    for s in &stories {
        w.edit_issue(s, json!({"state": "closed", "state_reason": "not_planned"})).await;
    }
    let report = w.sync().await;
    let reason = report.plan.blocked.clone().expect("the guard stops the run");
    assert!(reason.contains("--allow-mass-removal"), "{reason}");
    assert_eq!(report.plan.removals, 12, "{reason}");
    let after: Vec<String> = stories.iter().map(|s| w.read(&format!("stories/{s}.md"))).collect();
    assert_eq!(before, after, "no file was marked removed");
}
