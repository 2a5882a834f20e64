//! Two-way sync with GitHub through the twin, a real SQLite file and, where the point is a
//! command, a real `backlog-sync` process.

use serde_json::json;

use crate::common::{sample_backlog, stderr, stdout};
use crate::support::github_env::{GhEnv, changed_lines, json_state, labels};

#[tokio::test(flavor = "multi_thread")]
async fn initial_sync_creates_every_item_and_a_second_sync_writes_nothing() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let out = env.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("outbound: 32 created"), "{}", stdout(&out));

    let issues = env.issues().await;
    assert_eq!(issues.len(), 4 + 21 + 7, "one issue per item");
    let st1 = env.issue_of("ST-1").await;
    assert_eq!(st1["title"], "Invite teammates by email");
    let mut got = labels(&st1);
    got.sort();
    assert_eq!(got, ["onboarding", "priority:1", "status:active", "type:story"]);
    let body = st1["body"].as_str().unwrap();
    assert!(
        body.contains("### Persona\n\ncustomer admin")
            && body.contains("### Acceptance criteria\n\n- [ ] the invitation arrives within one minute"),
        "{body}"
    );
    assert_eq!(st1["assignees"][0]["login"], "alice-contoso", "owner → assignee through identities.toml");
    let st3 = env.issue_of("ST-3").await;
    assert_eq!((st3["state"].as_str(), st3["state_reason"].as_str()), (Some("closed"), Some("completed")));
    let rk3 = env.issue_of("RK-3").await;
    assert!(labels(&rk3).contains(&"severity:critical".to_string()));

    let ep1 = env.issue_of("EP-1").await;
    let subs: Vec<String> = env
        .sub_issues(ep1["number"].as_u64().unwrap())
        .await
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    assert!(subs.contains(&"Invite teammates by email".to_string()) && subs.len() >= 8, "{subs:?}");

    let writes = env.writes().await;
    let out = env.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("no changes"), "{}", stdout(&out));
    assert_eq!(env.writes().await, writes, "an immediate second sync writes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_on_github_reach_the_file_changing_only_those_lines_and_back() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    let before = env.read("stories/ST-5.md");
    let issue = env.issue_of("ST-5").await;
    let n = issue["number"].as_u64().unwrap();
    let body = issue["body"]
        .as_str()
        .unwrap()
        .replace("I can nudge colleagues who have not joined", "I can nudge colleagues before the pilot ends");
    let mut new_labels: Vec<String> =
        labels(&issue).into_iter().filter(|l| !l.starts_with("priority:") && !l.starts_with("status:")).collect();
    new_labels.push("priority:1".into());
    new_labels.push("status:active".into());
    env.edit_issue(
        n,
        json!({"title": "See who has not accepted their invitation", "body": body, "labels": new_labels}),
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
            ("title: See who has not accepted yet".into(), "title: See who has not accepted their invitation".into()),
        ]
    );

    // And a file edit goes the other way.
    env.write("stories/ST-5.md", &after.replace("points: 3", "points: 5"));
    env.sync().await;
    let issue = env.issue_of("ST-5").await;
    assert!(issue["body"].as_str().unwrap().contains("### Story points\n\n5"), "{}", issue["body"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn both_sides_editing_different_fields_keep_both() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    let n = env.issue_of("ST-6").await["number"].as_u64().unwrap();
    env.edit_issue(n, json!({"title": "Pick a role while inviting"})).await;
    let text = env.read("stories/ST-6.md").replace("priority: 3", "priority: 1");
    env.write("stories/ST-6.md", &text);
    let report = env.sync().await;
    assert_eq!(report.open_conflicts, 0);
    assert!(env.read("stories/ST-6.md").contains("title: Pick a role while inviting"));
    assert!(labels(&env.issue_of("ST-6").await).contains(&"priority:1".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_field_edited_on_both_sides_follows_each_policy() {
    for policy in ["canonical-wins", "remote-wins", "newest-wins", "manual"] {
        let env = GhEnv::new(&sample_backlog(), policy).await;
        env.sync().await;
        let text = env
            .read("stories/ST-10.md")
            .replace("title: Import shift templates", "title: Start from an industry template");
        env.write("stories/ST-10.md", &text);
        env.advance_clock(2).await; // GitHub's clock has whole seconds: the edit comes after the file's
        let n = env.issue_of("ST-10").await["number"].as_u64().unwrap();
        env.edit_issue(n, json!({"title": "Templates for shifts"})).await;
        let report = env.sync().await;
        let file_title = env.read("stories/ST-10.md").lines().find(|l| l.starts_with("title:")).unwrap().to_string();
        let remote_title = env.issue_of("ST-10").await["title"].as_str().unwrap().to_string();
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
                assert!(stdout(&out).contains("ST-10 `title` on github"), "{}", stdout(&out));
                // The next sync does not push over the remote's edit either.
                env.sync().await;
                assert_eq!(env.issue_of("ST-10").await["title"], "Templates for shifts");
            }
        }
        assert_eq!(report.plan.conflicts.len(), 1, "{policy}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deletions_close_issues_remote_closes_move_state_and_emptying_the_backlog_stops_at_the_guard() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    std::fs::remove_file(env.dir.join("stories/ST-13.md")).unwrap();
    let n = env.issue_of("ST-11").await["number"].as_u64().unwrap();
    env.edit_issue(n, json_state("open", None)).await;
    let n2 = env.issue_of("ST-2").await["number"].as_u64().unwrap();
    env.edit_issue(n2, json_state("closed", Some("completed"))).await;
    env.sync().await;
    let st13 = env.issue_of("ST-13").await;
    assert_eq!((st13["state"].as_str(), st13["state_reason"].as_str()), (Some("closed"), Some("not_planned")));
    assert!(env.read("stories/ST-11.md").contains("state: active"), "reopened on GitHub");
    assert!(env.read("stories/ST-2.md").contains("state: closed"), "closed on GitHub");

    for folder in ["epics", "stories", "risks"] {
        std::fs::remove_dir_all(env.dir.join(folder)).unwrap();
    }
    let writes = env.writes().await;
    let out = env.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--allow-mass-removal"), "{}", stderr(&out));
    assert_eq!(env.writes().await, writes, "the guard changes nothing remotely");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issue_created_on_github_with_a_type_label_becomes_the_next_story_file() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    env.create_issue(json!({
        "title": "Export the schedule to a calendar",
        "labels": ["type:story", "calendar"],
        "body": "Asked for in the pilot.\n\n### Persona\n\nnew teammate\n\n### Activity\n\nsee my shifts in my own calendar\n\n### Benefit\n\nI never miss a shift\n"
    }))
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
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    assert!(
        env.issue_of("ST-22").await["body"].as_str().unwrap().contains("<!-- backlog-sync: ST-22 -->"),
        "the issue now carries its marker"
    );
    let writes = env.writes().await;
    env.sync().await;
    assert_eq!(env.writes().await, writes, "import settles in one run");
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_writes_nothing_anywhere() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    env.write("stories/ST-1.md", &env.read("stories/ST-1.md").replace("priority: 1", "priority: 2"));
    let n = env.issue_of("ST-3").await["number"].as_u64().unwrap();
    env.edit_issue(n, json!({"title": "Resend an invitation that expired"})).await;
    let snapshot: Vec<(String, String)> = walk(&env.dir);
    let writes = env.writes().await;
    let out = env.cli(&["plan", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let actions: Vec<String> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] != "rebase")
        .map(|a| format!("{} {}", a["action"].as_str().unwrap(), a["id"].as_str().unwrap()))
        .collect();
    assert_eq!(actions, ["update-canonical ST-3", "update-remote ST-1"]);
    assert_eq!(plan["actions"][1]["changes"]["priority"], "2");
    assert_eq!(env.writes().await, writes, "no remote write");
    assert_eq!(walk(&env.dir), snapshot, "no file changed");
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
async fn a_second_run_on_the_same_target_says_so_and_stops_or_waits() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let state_dir = env.dir.join(".backlog-sync");
    let lock = backlog_sync::store::SyncLock::acquire(&state_dir, &["github"], None).unwrap();
    let out = env.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(4), "exit 4: another run holds a target; {}", stdout(&out));
    assert!(stderr(&out).contains("is syncing target `github`"), "{}", stderr(&out));
    assert_eq!(env.writes().await, 0);
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        drop(lock);
    });
    let out = env.cli(&["sync", "--wait", "20"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    release.await.unwrap();
    assert_eq!(env.issues().await.len(), 32, "the waiting run went ahead once the first finished");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quiet_sync_after_an_edit_is_one_conditional_request_that_costs_no_quota() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    env.sync().await;
    let number = env.issue_of("ST-5").await["number"].as_u64().unwrap();
    // GitHub's times are whole seconds: the edit lands in a later second than the last sync saw.
    env.advance_clock(2).await;
    env.edit_issue(number, json!({"title": "See who has not joined yet"})).await;
    let report = env.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(env.read("stories/ST-5.md").contains("title: See who has not joined yet"));

    let (requests, quota) = env.requests_and_quota().await;
    let report = env.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let (after, quota_after) = env.requests_and_quota().await;
    assert_eq!(after - requests, 1 + 1, "one listing (and our own `/rate_limit` read)");
    assert_eq!(quota_after, quota, "the listing was answered 304 Not Modified, which costs no quota");
}
