//! Two-way sync with Azure Boards through the twin (Agile and Scrum projects), a real SQLite file
//! and, where the point is a command, a real `backlog-sync` process.

use std::time::Duration;

use backlog_sync::reconcile::engine::{self, RunOptions};
use backlog_twins::azure::Process;
use serde_json::{Value, json};

use crate::common::{sample_backlog, stderr, stdout};
use crate::support::azure_env::{AzEnv, field, id_of, parent_of, tags};
use crate::support::github_env::changed_lines;

const PROCESSES: [Process; 2] = [Process::Agile, Process::Scrum];

/// What each process calls things.
struct Words {
    story: &'static str,
    risk: &'static str,
    active: &'static str,
    points: &'static str,
}

fn words(process: Process) -> Words {
    match process {
        Process::Scrum => Words {
            story: "Product Backlog Item",
            risk: "Impediment",
            active: "Committed",
            points: "Microsoft.VSTS.Scheduling.Effort",
        },
        _ => Words {
            story: "User Story",
            risk: "Issue",
            active: "Active",
            points: "Microsoft.VSTS.Scheduling.StoryPoints",
        },
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn initial_sync_creates_every_item_and_a_second_sync_writes_nothing() {
    for process in PROCESSES {
        let w = words(process);
        let env = AzEnv::new(&sample_backlog(), "manual", process).await;
        let out = env.cli(&["sync"]).await;
        assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains("outbound: 32 created"), "{}", stdout(&out));

        let items = env.work_items().await;
        assert_eq!(items.len(), 4 + 21 + 7, "one work item per item");
        let ep1 = env.item_of("EP-1").await;
        assert_eq!(field(&ep1, "System.WorkItemType"), "Epic");
        let st1 = env.item_of("ST-1").await;
        assert_eq!(field(&st1, "System.WorkItemType"), w.story);
        assert_eq!(field(&st1, "System.Title"), "Invite teammates by email");
        assert_eq!(field(&st1, "System.State"), w.active, "{process:?}");
        assert_eq!(field(&st1, "Microsoft.VSTS.Common.Priority"), "1");
        assert_eq!(field(&st1, w.points), "3.0");
        assert_eq!(field(&st1, "System.AssignedTo"), "alice@contoso.com", "owner → Assigned To via identities.toml");
        let mut t = tags(&st1);
        t.sort();
        assert_eq!(t, ["backlog-sync:ST-1", "onboarding"]);
        assert!(
            field(&st1, "System.Description").starts_with(
                "As a customer admin, I can invite teammates by email, so that my whole team is onboarded on day one.\n\nAn admin types"
            ),
            "{}",
            field(&st1, "System.Description")
        );
        assert!(field(&st1, "Microsoft.VSTS.Common.AcceptanceCriteria").starts_with("- [ ] the invitation arrives"));
        // Which fields are Markdown is said from api-version 7.2 (a preview) on only.
        let url = format!(
            "{}/{}/_apis/wit/workitems/{}?api-version=7.2-preview.3",
            env.twin.organization_url(),
            crate::support::azure_env::PROJECT,
            id_of(&st1)
        );
        let at_72: Value = env
            .http
            .get(url)
            .basic_auth("", Some(crate::support::azure_env::TOKEN))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(at_72["multilineFieldsFormat"]["System.Description"], "markdown");
        assert_eq!(parent_of(&st1), Some(id_of(&ep1)), "story → epic as a Hierarchy-Reverse relation");
        let st3 = env.item_of("ST-3").await;
        assert!(field(&st3, "System.AssignedTo").is_empty(), "dave has no Azure identity: never guessed");
        if process == Process::Scrum {
            assert_eq!(field(&st3, "System.State"), "Done");
            assert!(tags(&st3).contains(&"state:resolved".to_string()));
        } else {
            assert_eq!(field(&st3, "System.State"), "Resolved");
        }
        let rk3 = env.item_of("RK-3").await;
        assert_eq!(field(&rk3, "System.WorkItemType"), w.risk);
        for tag in ["type:risk", "likelihood:medium", "severity:critical"] {
            assert!(tags(&rk3).contains(&tag.to_string()), "{tag}: {:?}", tags(&rk3));
        }
        assert!(field(&rk3, "System.AssignedTo").is_empty(), "carol has no Azure identity");

        let writes = env.writes().await;
        let out = env.cli(&["sync"]).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).contains("no changes"), "{}", stdout(&out));
        assert_eq!(env.writes().await, writes, "an immediate second sync writes nothing ({process:?})");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_in_boards_reach_the_file_changing_only_those_lines_and_back() {
    for process in PROCESSES {
        let w = words(process);
        let env = AzEnv::new(&sample_backlog(), "manual", process).await;
        env.sync().await;
        let before = env.read("stories/ST-5.md");
        let item = env.item_of("ST-5").await;
        let description = field(&item, "System.Description")
            .replace("I can nudge colleagues who have not joined", "I can nudge colleagues before the pilot ends");
        env.set(
            id_of(&item),
            &[
                ("System.Title", json!("See who has not accepted their invitation")),
                ("System.State", json!(w.active)),
                ("Microsoft.VSTS.Common.Priority", json!(1)),
                ("System.Description", json!(description)),
            ],
        )
        .await;

        let report = env.sync().await;
        assert_eq!(report.counts.inbound_updated, 1, "{:?}", report.applied);
        let after = env.read("stories/ST-5.md");
        let mut diff = changed_lines(&before, &after);
        diff.sort();
        assert_eq!(
            diff,
            vec![
                (
                    "benefit: I can nudge colleagues who have not joined".into(),
                    "benefit: I can nudge colleagues before the pilot ends".into()
                ),
                ("priority: 2".into(), "priority: 1".into()),
                ("state: new".into(), "state: active".into()),
                (
                    "title: See who has not accepted yet".into(),
                    "title: See who has not accepted their invitation".into()
                ),
            ],
            "{process:?}"
        );
        let writes = env.writes().await;
        env.sync().await;
        assert_eq!(env.writes().await, writes, "no echo of what came in");

        // And a file edit goes the other way.
        env.write("stories/ST-5.md", &after.replace("points: 3", "points: 5"));
        env.sync().await;
        assert_eq!(field(&env.item_of("ST-5").await, w.points), "5.0");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn both_sides_editing_different_fields_keep_both() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    env.sync().await;
    let id = id_of(&env.item_of("ST-6").await);
    env.set(id, &[("System.Title", json!("Pick a role while inviting"))]).await;
    env.write("stories/ST-6.md", &env.read("stories/ST-6.md").replace("priority: 3", "priority: 1"));
    let report = env.sync().await;
    assert_eq!(report.open_conflicts, 0);
    assert!(env.read("stories/ST-6.md").contains("title: Pick a role while inviting"));
    let item = env.item_of("ST-6").await;
    assert_eq!(field(&item, "Microsoft.VSTS.Common.Priority"), "1");
    assert_eq!(field(&item, "System.Title"), "Pick a role while inviting");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_field_edited_on_both_sides_follows_each_policy() {
    for policy in ["canonical-wins", "remote-wins", "newest-wins", "manual"] {
        let env = AzEnv::new(&sample_backlog(), policy, Process::Scrum).await;
        env.sync().await;
        let text = env
            .read("stories/ST-10.md")
            .replace("title: Import shift templates", "title: Start from an industry template");
        env.write("stories/ST-10.md", &text);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let id = id_of(&env.item_of("ST-10").await);
        env.set(id, &[("System.Title", json!("Templates for shifts"))]).await;
        let report = env.sync().await;
        let file_title = env.read("stories/ST-10.md").lines().find(|l| l.starts_with("title:")).unwrap().to_string();
        let remote_title = field(&env.item_of("ST-10").await, "System.Title");
        match policy {
            "canonical-wins" => assert_eq!(
                (file_title.as_str(), remote_title.as_str()),
                ("title: Start from an industry template", "Start from an industry template")
            ),
            "remote-wins" | "newest-wins" => assert_eq!(
                (file_title.as_str(), remote_title.as_str()),
                ("title: Templates for shifts", "Templates for shifts"),
                "{policy}"
            ),
            _ => {
                assert_eq!(
                    (file_title.as_str(), remote_title.as_str()),
                    ("title: Start from an industry template", "Templates for shifts"),
                    "manual leaves both alone"
                );
                assert_eq!(report.open_conflicts, 1);
                let out = env.cli(&["status"]).await;
                assert_eq!(out.status.code(), Some(1));
                assert!(stdout(&out).contains("ST-10 `title` on boards"), "{}", stdout(&out));
                env.sync().await;
                assert_eq!(field(&env.item_of("ST-10").await, "System.Title"), "Templates for shifts");
            }
        }
        assert_eq!(report.plan.conflicts.len(), 1, "{policy}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_whose_answer_is_lost_is_adopted_not_duplicated() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    env.faults(json!([{"method": "POST", "path": "/contoso/Onboarding/_apis/wit/workitems/*", "count": 2, "drop_after_write": true}]))
        .await;
    let report = env.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let markers: Vec<String> =
        env.work_items().await.iter().flat_map(tags).filter(|t| t.starts_with("backlog-sync:")).collect();
    let unique: std::collections::BTreeSet<&String> = markers.iter().collect();
    assert_eq!((markers.len(), unique.len()), (32, 32), "one work item per item, no duplicate");
    let writes = env.writes().await;
    env.sync().await;
    assert_eq!(env.writes().await, writes, "and nothing left to do");
}

#[tokio::test(flavor = "multi_thread")]
async fn deletions_close_work_items_board_moves_change_state_and_emptying_the_backlog_stops_at_the_guard() {
    for process in PROCESSES {
        let w = words(process);
        let env = AzEnv::new(&sample_backlog(), "manual", process).await;
        env.sync().await;
        std::fs::remove_file(env.dir.join("stories/ST-13.md")).unwrap();
        let st11 = id_of(&env.item_of("ST-11").await);
        env.set(st11, &[("System.State", json!(w.active))]).await;
        let st2 = id_of(&env.item_of("ST-2").await);
        let done = if process == Process::Scrum { "Done" } else { "Closed" };
        env.set(st2, &[("System.State", json!(done))]).await;
        env.sync().await;
        assert_eq!(field(&env.item_of("ST-13").await, "System.State"), "Removed", "{process:?}");
        assert!(env.read("stories/ST-11.md").contains("state: active"), "moved to {} in Boards", w.active);
        assert!(env.read("stories/ST-2.md").contains("state: closed"), "moved to {done} in Boards");

        for folder in ["epics", "stories", "risks"] {
            std::fs::remove_dir_all(env.dir.join(folder)).unwrap();
        }
        let writes = env.writes().await;
        let out = env.cli(&["sync"]).await;
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("--allow-mass-removal"), "{}", stderr(&out));
        assert_eq!(env.writes().await, writes, "the guard changes nothing remotely");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_work_item_created_in_boards_with_the_story_type_becomes_the_next_story_file() {
    for process in PROCESSES {
        let w = words(process);
        let env = AzEnv::new(&sample_backlog(), "manual", process).await;
        env.sync().await;
        let html = "<div>As a new teammate, I can see my shifts in my own calendar, so that I never miss a shift.</div>\
                    <div><br></div><div>Asked for in the <b>pilot</b>.</div>";
        env.create(
            w.story,
            &[
                ("System.Title", json!("Export the schedule to a calendar")),
                ("System.Tags", json!("calendar")),
                ("System.Description", json!(html)),
            ],
        )
        .await;
        let report = env.sync().await;
        assert_eq!(report.counts.inbound_created, 1, "{:?}", report.applied);
        let text = env.read("stories/ST-22.md");
        for line in [
            "id: ST-22",
            "title: Export the schedule to a calendar",
            "persona: new teammate",
            "activity: see my shifts in my own calendar",
            "benefit: I never miss a shift",
            "tags: [calendar]",
            "Asked for in the **pilot**.",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert!(tags(&env.item_of("ST-22").await).contains(&"backlog-sync:ST-22".to_string()));
        let writes = env.writes().await;
        env.sync().await;
        assert_eq!(env.writes().await, writes, "import settles in one run ({process:?})");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_writes_nothing_anywhere() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    env.sync().await;
    env.write("stories/ST-1.md", &env.read("stories/ST-1.md").replace("priority: 1", "priority: 2"));
    let id = id_of(&env.item_of("ST-3").await);
    env.set(id, &[("System.Title", json!("Resend an invitation that expired"))]).await;
    let snapshot = walk(&env.dir);
    let writes = env.writes().await;
    let out = env.cli(&["plan", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let actions: Vec<String> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] != "rebase")
        .map(|a| format!("{} {}", a["action"].as_str().unwrap(), a["id"].as_str().unwrap()))
        .collect();
    assert_eq!(actions, ["update-canonical ST-3", "update-remote ST-1"]);
    assert_eq!(env.writes().await, writes, "no remote write");
    assert_eq!(walk(&env.dir), snapshot, "no file changed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_editing_between_our_read_and_our_write_fails_the_revision_check_and_both_edits_stay() {
    let env = std::sync::Arc::new(AzEnv::new(&sample_backlog(), "manual", Process::Agile).await);
    env.sync().await;
    let id = id_of(&env.item_of("ST-6").await);
    env.write("stories/ST-6.md", &env.read("stories/ST-6.md").replace("priority: 3", "priority: 1"));
    // The run reads the item, then a person edits its title through another route, then our
    // write goes out: the revision check refuses it, and the engine reads it again and plans again.
    let title = ("System.Title", json!("Pick a role while inviting"));
    let progress =
        crate::support::azure_env::person_edits_before_write(env.clone(), "update-remote ST-6", id, vec![title]);
    let opts = backlog_sync::reconcile::engine::RunOptions { progress: Some(progress), ..Default::default() };
    let report = backlog_sync::reconcile::engine::run(&env.settings(), &opts).await.expect("sync runs");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.replanned, 1, "{:?}", report.applied);
    assert!(
        report.applied.iter().any(|a| a.item == "ST-6" && a.what.contains("read again and planned again")),
        "the revision check failed and the item was read again: {:?}",
        report.applied
    );
    let item = env.item_of("ST-6").await;
    assert_eq!(field(&item, "Microsoft.VSTS.Common.Priority"), "1", "our edit landed");
    assert_eq!(field(&item, "System.Title"), "Pick a role while inviting", "the person's edit stayed");
    assert!(env.read("stories/ST-6.md").contains("title: Pick a role while inviting"), "and reached the file");
    let writes = env.writes().await;
    env.sync().await;
    assert_eq!(env.writes().await, writes, "settled");
}

/// Every file of the backlog folder with its content (the sync state folder aside).
fn walk(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name().is_some_and(|n| n == ".backlog-sync") {
            continue;
        }
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_marks_an_item_removed_when_its_work_item_was_deleted() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    env.sync().await;
    env.delete(id_of(&env.item_of("ST-12").await)).await;
    let out = env.cli(&["reconcile"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("was deleted remotely; marked removed"), "{}", stdout(&out));
    assert!(env.read("stories/ST-12.md").contains("state: removed"));
    let writes = env.writes().await;
    env.cli(&["reconcile"]).await;
    assert_eq!(env.writes().await, writes, "a removed, unlinked item is not recreated");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assignee_without_an_identity_is_never_guessed_and_a_known_one_is_mapped() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    env.sync().await;
    let (st3, st5) = (env.read("stories/ST-3.md"), env.read("stories/ST-5.md"));
    for id in ["ST-3", "ST-5"] {
        let item = id_of(&env.item_of(id).await);
        env.set(item, &[("System.AssignedTo", json!("someone@fabrikam.example"))]).await;
    }
    let st1 = id_of(&env.item_of("ST-1").await);
    env.set(st1, &[("System.AssignedTo", json!("grace.hopper@contoso.com"))]).await;
    let report = env.sync().await;
    assert_eq!(report.open_conflicts, 0, "{:?}", report.applied);
    assert_eq!(env.read("stories/ST-3.md"), st3, "dave has no Azure identity: Boards cannot say who owns ST-3");
    assert_eq!(env.read("stories/ST-5.md"), st5, "an unknown assignee is not an owner");
    assert!(env.read("stories/ST-1.md").contains("owner: grace@contoso.com"), "a known identity maps back");
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_and_passing_faults_are_waited_out() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    env.faults(json!([
        {"method": "POST", "path": "/contoso/Onboarding/_apis/wit/wiql", "count": 1, "retry_after": 30},
        {"method": "POST", "path": "/contoso/Onboarding/_apis/wit/workitems/*", "count": 1, "status": 503},
    ]))
    .await;
    // The waits go on a clock the test holds: 30 s of `Retry-After` pass at once, and are counted.
    let settings = env.settings();
    let clock = backlog_sync::clock::Clock::movable();
    let retry = backlog_sync::connector::retry::RetryPolicy { clock: clock.clone(), ..Default::default() };
    let process = engine::process_of(&settings.targets[0]).await.unwrap();
    let remote = engine::connect_in(&settings.targets[0], None, process).unwrap().with_retry(retry);
    let report =
        engine::run_with(&settings, std::slice::from_ref(&remote), &RunOptions::default()).await.expect("sync runs");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(clock.waited() >= Duration::from_secs(30), "Retry-After was honoured: {:?}", clock.waited());
    assert!(
        clock.waited() < Duration::from_secs(60),
        "and the 503 waited a back-off, not a minute: {:?}",
        clock.waited()
    );
    assert_eq!(env.work_items().await.len(), 32, "the refused create was tried again, once");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_without_batch_gets_one_patch_per_item() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    env.faults(json!([{"method": "PATCH", "path": "/contoso/_apis/wit/$batch", "count": 1000, "status": 404}])).await;
    let report = env.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(field(&env.item_of("ST-1").await, "System.State"), "Active", "moved past the first state");
    assert_eq!(field(&env.item_of("ST-3").await, "System.State"), "Resolved");
    let stats = env.stats().await;
    let ops = &stats["by_operation"];
    let batches =
        ops.as_object().unwrap().iter().filter(|(op, _)| op.contains("$batch")).map(|(_, n)| n.as_u64().unwrap());
    assert_eq!(batches.sum::<u64>(), 1, "asked once, then never again: {ops}");
    let patches: u64 = ops
        .as_object()
        .unwrap()
        .iter()
        .filter(|(op, _)| op.starts_with("PATCH "))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum();
    assert!(patches >= 10, "the state moves went one PATCH each: {ops}");
    let writes = env.writes().await;
    env.sync().await;
    assert_eq!(env.writes().await, writes, "and nothing left to do");
}
