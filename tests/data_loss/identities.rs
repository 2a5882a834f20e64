//! `mappings/identities.toml` changing between runs (finding 24): a run whose target's people
//! differ from those its last listing read owners with lists that target in full, once; a run
//! with the same people lists only what changed. A person taken out is no edit of any owner.

use backlog_sync::reconcile::plan::Action;

use super::world::{World, key};

/// Work items Boards was asked to read (`workitemsbatch`): a listing that finds nothing changed
/// reads none.
fn boards_reads(w: &World) -> u64 {
    let stats = w.boards.as_ref().expect("a world with boards").stats();
    stats.by_operation.iter().filter(|(op, _)| op.contains("workitemsbatch")).map(|(_, n)| n).sum()
}

/// Around one `sync`, which must have nothing to do: whether GitHub's issue listing was answered
/// in full (1: a 200, which costs quota) or 304 Not Modified (0: free; every other request of the
/// run, such as the comments listing, costs one), and how many times Boards read work items.
async fn quiet_sync(w: &World, what: &str) -> (u64, u64) {
    let listing = "GET /repos/{owner}/{repo}/issues";
    let (quota, before, reads) = (w.quota().await, w.github.stats(), boards_reads(w));
    let report = w.sync().await;
    assert!(report.errors.is_empty(), "{what}: {:?}", report.errors);
    assert!(report.plan.is_empty(), "{what}: {:?}", report.plan.actions);
    let after = w.github.stats();
    let count = |s: &backlog_twins::control::Stats, op: &str| s.by_operation.get(op).copied().unwrap_or(0);
    assert_eq!(count(&after, listing) - count(&before, listing), 1, "{what}: one listing");
    let free = 1 + count(&after, "GET /rate_limit") - count(&before, "GET /rate_limit");
    let charged_elsewhere = after.requests - before.requests - free;
    (quota - w.quota().await - charged_elsewhere, boards_reads(w) - reads)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_lists_a_target_in_full_only_on_the_run_after_its_people_changed() {
    let w = World::new("manual", true, |_| {}).await;
    for _ in 0..3 {
        let report = w.sync().await;
        assert!(report.errors.is_empty(), "{:?}", report.errors);
    }
    let quiet = quiet_sync(&w, "unchanged identities").await;
    assert_eq!(quiet, (0, 0), "GitHub's listing answered 304 (no quota), Boards read no work item");

    // A comment names nobody new: still no listing in full.
    w.edit_identities(|t| format!("{t}\n# reviewed by the product owner\n"));
    assert_eq!(quiet_sync(&w, "a comment added").await, (0, 0), "no person changed");

    // zoe gains a GitHub login: GitHub is listed in full once; Boards' people are the same.
    w.edit_identities(|t| format!("{t}\n[[people]]\ncanonical = \"zoe@contoso.com\"\ngithub = \"zoe-gh\"\n"));
    let (github, boards) = quiet_sync(&w, "a GitHub login added").await;
    assert_eq!((github, boards), (1, 0), "GitHub listed in full (one page, answered 200); Boards not");
    // The next listing is incremental again (its first query has no ETag yet), then free.
    assert_eq!(quiet_sync(&w, "after the full listing").await, (1, 0));
    assert_eq!(quiet_sync(&w, "quiet again").await, (0, 0));

    // zoe gains an Azure identity: Boards is listed in full once (its query and one read of every
    // work item, 200 at a time); GitHub's people are the same.
    w.edit_identities(|t| format!("{t}azure = \"zoe@contoso.com\"\n"));
    let (github, boards) = quiet_sync(&w, "an Azure identity added").await;
    assert_eq!((github, boards), (0, 1), "Boards read every work item once; GitHub's listing answered 304");
    assert_eq!(quiet_sync(&w, "after the full listing").await, (0, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_taken_out_of_identities_is_no_edit_of_the_owners_they_held() {
    // ST-2 and ST-3 are owned by dave@contoso.com.
    let w = World::new("manual", true, |_| {}).await;
    w.edit_identities(|t| format!("{t}\n[[people]]\ncanonical = \"dave@contoso.com\"\ngithub = \"dave-contoso\"\n"));
    let first = w.sync().await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let assignees = |issue: serde_json::Value| -> Vec<String> {
        issue["assignees"].as_array().unwrap().iter().map(|a| a["login"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(assignees(w.issue_of("ST-3").await), ["dave-contoso"]);

    // dave leaves identities.toml: GitHub is listed in full, and dave-contoso names nobody known.
    w.edit_identities(|t| t.replace("[[people]]\ncanonical = \"dave@contoso.com\"\ngithub = \"dave-contoso\"\n", ""));
    let report = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let owner_changes: Vec<&Action> = report
        .plan
        .actions
        .iter()
        .filter(|a| match a {
            Action::UpdateCanonical { changes, .. } | Action::UpdateRemote { changes, .. } => {
                changes.contains_key("owner")
            }
            _ => false,
        })
        .collect();
    assert!(owner_changes.is_empty(), "no owner edit is invented: {owner_changes:?}");
    for id in ["ST-2", "ST-3"] {
        let file = w.read(&format!("stories/{id}.md"));
        assert_eq!(key(&file, "owner").as_deref(), Some("dave@contoso.com"), "the owner stays: {file}");
        assert_eq!(assignees(w.issue_of(id).await), ["dave-contoso"], "{id}: GitHub's assignee is left alone");
    }
    let again = w.sync().await;
    assert!(again.plan.is_empty(), "settled: {:?}", again.plan.actions);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_takes_a_person_added_to_identities_while_it_runs_on_its_next_scheduled_sync() {
    use crate::daemon_serve::process::{SECRET_VAR, Served, tables};
    use std::time::{Duration, Instant};

    let w = World::new("manual", false, |_| {}).await;
    let first = w.sync().await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    // ST-5 has no owner; a person assigns dave-contoso on GitHub before dave is in identities.toml.
    w.edit_issue("ST-5", serde_json::json!({"assignees": ["dave-contoso"]})).await;
    let mut text = std::fs::read_to_string(&w.config).unwrap();
    text.push_str(&format!("\n[webhooks.github]\nsecret_env = \"{SECRET_VAR}\"\n\n{}", tables(200, 64, "* * * * * *")));
    std::fs::write(&w.config, text).unwrap();
    let daemon = Served::start(&w.config, w.dir.join("../serve.log"));
    daemon.wait_runs("schedule", 1, Duration::from_secs(30)).await;
    assert_eq!(key(&w.read("stories/ST-5.md"), "owner"), None, "dave names nobody known yet");

    w.edit_identities(|t| format!("{t}\n[[people]]\ncanonical = \"dave@contoso.com\"\ngithub = \"dave-contoso\"\n"));
    let started = Instant::now();
    while key(&w.read("stories/ST-5.md"), "owner").as_deref() != Some("dave@contoso.com") {
        assert!(started.elapsed() < Duration::from_secs(60), "the assignment never reached the file");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_run_after_a_person_was_added_lists_the_target_in_full() {
    use backlog_sync::reconcile::engine::{self, Keys, RunOptions};
    use backlog_sync::store::Store;

    let w = World::new("manual", false, |_| {}).await;
    let first = w.sync().await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    w.edit_issue("ST-5", serde_json::json!({"assignees": ["dave-contoso"]})).await;
    assert!(w.sync().await.plan.is_empty(), "dave names nobody known yet");
    w.edit_identities(|t| format!("{t}\n[[people]]\ncanonical = \"dave@contoso.com\"\ngithub = \"dave-contoso\"\n"));

    // A webhook names ST-6's issue only; GitHub's people changed, so its listing is a full one.
    let settings = w.settings();
    let link = Store::open(&settings.state_path()).unwrap().links("github").unwrap();
    let st6 = link.iter().find(|l| l.item_id == "ST-6").unwrap().remote_id.clone();
    let keys = Keys { items: [("github".to_string(), st6)].into(), ..Keys::default() };
    let opts = RunOptions { only: Some(keys), label: Some("webhook".into()), ..RunOptions::default() };
    let report = engine::run(&settings, &opts).await.expect("run");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(key(&w.read("stories/ST-5.md"), "owner").as_deref(), Some("dave@contoso.com"));
    assert!(w.sync().await.plan.is_empty(), "settled");
}
