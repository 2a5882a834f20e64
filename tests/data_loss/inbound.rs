//! Inbound values that must never replace or erase what a person wrote: owners a target could not
//! carry, a field two remotes changed differently, values read with no base, control characters.

use backlog_sync::backlog::Backlog;
use backlog_sync::store::Store;
use serde_json::json;

use super::world::{World, key};

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_person_to_identities_assigns_their_issues_and_keeps_the_owners() {
    // ST-3 is owned by dave@contoso.com, whom identities.toml does not know.
    let w = World::new("manual", false, |_| {}).await;
    let first = w.sync().await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(w.issue_of("ST-3").await["assignees"].as_array().unwrap().len(), 0);

    let identities = w.mappings.join("identities.toml");
    let mut text = std::fs::read_to_string(&identities).unwrap();
    text.push_str("\n[[people]]\ncanonical = \"dave@contoso.com\"\ngithub = \"dave-contoso\"\n");
    std::fs::write(&identities, text).unwrap();

    let report = w.run(true).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let file = w.read("stories/ST-3.md");
    assert_eq!(key(&file, "owner").as_deref(), Some("dave@contoso.com"), "the owner stays: {file}");
    let assignees: Vec<String> = w.issue_of("ST-3").await["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["login"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(assignees, ["dave-contoso"], "gaining an identity assigns");
    let again = w.run(true).await;
    assert!(again.plan.is_empty(), "settled: {:?}", again.plan.actions);
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_keeps_the_file_when_both_remotes_changed_a_field_differently() {
    let w = World::new("manual", true, |_| {}).await;
    w.sync().await;
    let before = key(&w.read("stories/ST-3.md"), "title").unwrap();
    w.edit_issue("ST-3", json!({"title": "Resend an invitation (GitHub)"})).await;
    w.edit_work_item("ST-3", &[("System.Title", json!("Resend an invitation (Boards)"))]).await;

    let report = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(key(&w.read("stories/ST-3.md"), "title").unwrap(), before, "nobody chose a remote's value");
    let conflicts: Vec<_> = report.plan.conflicts.iter().filter(|c| c.id.to_string() == "ST-3").collect();
    let targets: Vec<&str> = conflicts.iter().map(|c| c.target.as_str()).collect();
    assert_eq!(targets, ["boards", "github"], "the conflict names both remotes: {conflicts:?}");
    let values: Vec<&str> = conflicts.iter().map(|c| c.conflict.remote.as_str()).collect();
    assert_eq!(values, ["Resend an invitation (Boards)", "Resend an invitation (GitHub)"]);
    assert!(conflicts.iter().all(|c| c.conflict.canonical == before), "{conflicts:?}");
    assert_eq!(w.issue_of("ST-3").await["title"], "Resend an invitation (GitHub)", "left alone");
    let item = w.work_item_of("ST-3").await;
    assert_eq!(item["fields"]["System.Title"], "Resend an invitation (Boards)", "left alone");

    let github = conflicts.iter().find(|c| c.target == "github").unwrap();
    assert_eq!(github.conflict.others.get("boards").map(String::as_str), Some("Resend an invitation (Boards)"));
    let said: Vec<&str> =
        report.applied.iter().filter(|a| a.what.contains("conflict")).map(|a| a.what.as_str()).collect();
    assert!(said.iter().all(|s| s.contains("github says") && s.contains("boards says")), "{said:?}");

    let again = w.sync().await;
    assert_eq!(key(&w.read("stories/ST-3.md"), "title").unwrap(), before, "still the file's value");
    assert_eq!(again.open_conflicts, 2, "{:?}", again.plan.conflicts);
    assert_eq!(w.issue_of("ST-3").await["title"], "Resend an invitation (GitHub)");
}

#[tokio::test(flavor = "multi_thread")]
async fn after_losing_the_state_database_a_remote_edit_becomes_a_conflict_and_sub_issues_relink() {
    let w = World::new("manual", false, |_| {}).await;
    let first = w.sync().await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    w.edit_issue("ST-2", json!({"title": "Edited on GitHub while the state was lost"})).await;
    let state = w.dir.join(".backlog-sync");
    for entry in std::fs::read_dir(&state).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("state.db") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let before = w.read("stories/ST-2.md");

    let report = w.sync().await;
    assert!(report.errors.is_empty(), "no 422 on an already linked sub-issue: {:?}", report.errors);
    assert_eq!(w.read("stories/ST-2.md"), before, "the file keeps its value");
    assert_eq!(w.issue_of("ST-2").await["title"], "Edited on GitHub while the state was lost", "not overwritten");
    let store = Store::open(&state.join("state.db")).unwrap();
    let open = store.open_conflicts().unwrap();
    assert!(open.iter().any(|c| c.item_id == "ST-2" && c.field == "title"), "recorded: {open:?}");

    let again = w.sync().await;
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!(w.issue_of("ST-2").await["title"], "Edited on GitHub while the state was lost", "still held");
    assert!(store.open_conflicts().unwrap().iter().any(|c| c.item_id == "ST-2" && c.field == "title"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issue_with_control_characters_imports_as_a_file_that_reads_back() {
    let w = World::new("manual", false, |_| {}).await;
    w.sync().await;
    w.create_issue(json!({
        "title": "Export\u{8} claims\u{1b}[0m",
        "body": "Plain text\u{7f} here.\n\n### Persona\n\ncustomer\u{85}admin\n\n### Activity\n\nexport claims\n",
        "labels": ["type:story", "bad\u{1b}label"],
    }))
    .await;
    let report = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.counts.inbound_created, 1, "{:?}", report.applied);
    let backlog = Backlog::load(&w.dir).unwrap();
    assert!(backlog.invalid.is_empty(), "every file written reads back: {:?}", backlog.invalid);
    let text = w.read("stories/ST-22.md");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
    assert_eq!(key(&text, "title").as_deref(), Some("Export claims[0m"), "{text}");
    let said = serde_json::to_string(&report).unwrap();
    assert!(said.contains("U+001B") && said.contains("U+0085"), "the run reports what was stripped: {said}");
    let again = w.sync().await;
    assert!(again.errors.is_empty() && Backlog::load(&w.dir).unwrap().invalid.is_empty(), "{:?}", again.errors);
}
