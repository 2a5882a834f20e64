//! Removals: a deletion reaches every side in one run, and closing many issues as not planned
//! stops at the mass-removal guard.

use backlog_sync::reconcile::engine::{self, RunOptions};
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

/// mc-other (finding 22's limit): a file deleted and `state.db` lost leave ST-2's issue
/// remembered as an orphan; when the file is back, the run reads that issue by its number. When
/// that read fails (503 on every attempt), ST-2 alone fails: it is neither created a second time
/// nor linked, the run says which item and why, ST-4's edit still reaches GitHub, and the next
/// run links ST-2 to its issue.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_read_of_a_remembered_issue_fails_only_its_item() {
    let w = World::new("canonical-wins", false, |_| {}).await;
    assert!(w.sync().await.errors.is_empty());
    let st2 = w.read("stories/ST-2.md");
    let number = w.issue_of("ST-2").await["number"].as_u64().unwrap();
    std::fs::remove_file(w.dir.join("stories/ST-2.md")).unwrap();
    let state = w.dir.join(".backlog-sync");
    for entry in std::fs::read_dir(&state).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("state.db") {
            std::fs::remove_file(path).unwrap();
        }
    }
    // Later than every issue was last changed: the next listing does not show ST-2's again.
    let http = reqwest::Client::new();
    let moved = http.post(format!("{}/_twin/clock", w.github.base_url())).json(&json!({"advance_s": 120})).send().await;
    assert!(moved.unwrap().status().is_success(), "the twin's clock moved");
    w.edit_issue("ST-5", json!({"title": "Edited on GitHub two minutes later"})).await;
    let found = w.run(true).await;
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    w.write("stories/ST-2.md", &st2);
    let st4 = w.read("stories/ST-4.md");
    let title = key(&st4, "title").unwrap();
    w.write("stories/ST-4.md", &st4.replace(&format!("title: {title}"), "title: Edited while ST-2 waits"));

    let rules = json!([{"method": "GET", "path": format!("/repos/{}/issues/{number}", super::world::REPO), "count": 6, "status": 503}]);
    let armed = http.post(format!("{}/_twin/faults", w.github.base_url())).json(&rules).send().await;
    assert!(armed.unwrap().status().is_success(), "faults armed");
    // The back-off waits pass on a clock the test holds.
    let settings = w.settings();
    let clock = backlog_sync::clock::Clock::movable();
    let retry = backlog_sync::connector::retry::RetryPolicy { clock, ..Default::default() };
    let remote = engine::connect_in(&settings.targets[0], None, None).unwrap().with_retry(retry);
    let report = engine::run_with(&settings, std::slice::from_ref(&remote), &RunOptions::default()).await.expect("run");
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.errors[0].starts_with("ST-2: cannot read `github` item"), "{:?}", report.errors);
    assert!(report.errors[0].contains("503"), "{:?}", report.errors);
    assert_eq!(w.issue_of("ST-2").await["number"].as_u64(), Some(number), "no second issue");
    assert_eq!(w.issue_of("ST-4").await["title"], "Edited while ST-2 waits", "the other items sync");

    let again = w.sync().await;
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!(w.issue_of("ST-2").await["number"].as_u64(), Some(number), "linked to the issue it had");
    let settled = w.sync().await;
    assert!(settled.errors.is_empty() && settled.plan.is_empty(), "{:?}", settled.plan.actions);
}

/// Finding 42: ST-3's work item deleted in Boards before a run saw it, then `state.db` lost. The
/// run after the loss has no link to it and the listing does not show the recycle bin: it looks
/// there for the files it would create, finds ST-3's work item, and marks ST-3 `removed` as a
/// deletion seen with the link does (the GitHub issue closed as not planned), creating nothing.
/// When a person restores the work item, the next run finds it and the file `removed`: one work
/// item carries ST-3's marker, the one restored.
#[tokio::test(flavor = "multi_thread")]
async fn a_work_item_deleted_while_the_state_was_lost_marks_its_item_removed_and_is_not_created_again() {
    let w = World::new("canonical-wins", true, |_| {}).await;
    assert!(w.sync().await.errors.is_empty());
    let wi = crate::support::azure_env::id_of(&w.work_item_of("ST-3").await);
    w.delete_work_item("ST-3").await;
    w.lose_state();
    let report = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let creates: Vec<_> = report
        .plan
        .actions
        .iter()
        .filter(|a| matches!(a, backlog_sync::reconcile::plan::Action::CreateRemote { .. }))
        .collect();
    assert!(creates.is_empty(), "nothing is created: {creates:?}");
    assert!(
        report.plan.actions.iter().any(
            |a| matches!(a, backlog_sync::reconcile::plan::Action::MarkRemoved { target, id, remote_id } if target == "boards" && id.to_string() == "ST-3" && *remote_id == wi.to_string())
        ),
        "{:?}",
        report.plan.actions
    );
    assert_eq!(key(&w.read("stories/ST-3.md"), "state").as_deref(), Some("removed"));
    let issue = w.issue_of("ST-3").await;
    assert_eq!((issue["state"].as_str(), issue["state_reason"].as_str()), (Some("closed"), Some("not_planned")));

    w.restore_work_item(wi).await;
    let after = w.sync().await;
    assert!(after.errors.is_empty(), "{:?}", after.errors);
    assert!(after.not_adopted.is_empty(), "{:?}", after.not_adopted);
    assert_eq!(crate::support::azure_env::id_of(&w.work_item_of("ST-3").await), wi, "one work item, the one restored");
    assert_eq!(key(&w.read("stories/ST-3.md"), "state").as_deref(), Some("removed"));
}

/// Finding 42: when the recycle bin cannot be read after the state was lost (503 on every try),
/// the files the run would create fail, each with its reason, and are not created (one could be
/// in the bin); the rest of the run syncs, and the next run looks again and settles them.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_look_in_the_recycle_bin_fails_only_the_items_it_would_create() {
    let w = World::new("canonical-wins", true, |_| {}).await;
    assert!(w.sync().await.errors.is_empty());
    let wi = crate::support::azure_env::id_of(&w.work_item_of("ST-3").await);
    w.delete_work_item("ST-3").await;
    w.lose_state();
    let path = format!("/contoso/{}/_apis/wit/recyclebin", crate::support::azure_env::PROJECT);
    w.boards_faults(json!([{"method": "GET", "path": path, "count": 10, "status": 503}])).await;
    let settings = w.settings();
    let retry = backlog_sync::connector::retry::RetryPolicy {
        clock: backlog_sync::clock::Clock::movable(),
        ..Default::default()
    };
    let remotes: Vec<_> =
        settings.targets.iter().map(|t| engine::connect_in(t, None, None).unwrap().with_retry(retry.clone())).collect();
    let report = engine::run_with(&settings, &remotes, &RunOptions::default()).await.expect("run");
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.errors[0].contains("ST-3") && report.errors[0].contains("recycle bin"), "{:?}", report.errors);
    assert_eq!(key(&w.read("stories/ST-3.md"), "state").as_deref(), Some("resolved"), "left alone");
    let again = w.sync().await;
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!(key(&w.read("stories/ST-3.md"), "state").as_deref(), Some("removed"));
    assert!(
        again.plan.actions.iter().all(|a| !matches!(a, backlog_sync::reconcile::plan::Action::CreateRemote { .. })),
        "{:?}",
        again.plan.actions
    );
    w.restore_work_item(wi).await;
    w.sync().await;
    assert_eq!(crate::support::azure_env::id_of(&w.work_item_of("ST-3").await), wi);
}

/// Finding 42: ST-3's work item deleted in Boards marks ST-3 `removed`; a person sets the file
/// back to `active`. The next run restores that work item from the recycle bin (same id, its
/// history kept) and brings it to the file, instead of creating a second one that a later restore
/// would duplicate.
#[tokio::test(flavor = "multi_thread")]
async fn an_item_revived_after_its_work_item_was_deleted_gets_that_work_item_back() {
    let w = World::new("canonical-wins", true, |_| {}).await;
    assert!(w.sync().await.errors.is_empty());
    let wi = crate::support::azure_env::id_of(&w.work_item_of("ST-3").await);
    w.delete_work_item("ST-3").await;
    assert!(w.run(true).await.errors.is_empty());
    let text = w.read("stories/ST-3.md");
    assert_eq!(key(&text, "state").as_deref(), Some("removed"));
    w.write("stories/ST-3.md", &text.replace("state: removed", "state: active"));
    let report = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let back = w.work_item_of("ST-3").await;
    assert_eq!(crate::support::azure_env::id_of(&back), wi, "the work item restored, not a new one");
    assert_eq!(back["fields"]["System.State"], "Active");
    let again = w.sync().await;
    assert!(again.errors.is_empty() && again.plan.is_empty(), "{:?} {:?}", again.errors, again.plan.actions);
}
