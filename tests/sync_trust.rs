//! Marker adoption trusts only ourselves: a remote item carrying an item's marker is adopted only
//! when the identity the target syncs as created it (GitHub: the login of `GET /user`; Azure
//! DevOps: `authenticatedUser` of `connectionData` against `System.CreatedBy`), and of several
//! carrying one marker the oldest is chosen; the others are reported in the run's output and by
//! `drift` (`marker-not-adopted`).

use backlog_twins::azure::Process;
use serde_json::{Value, json};

use crate::common::{sample_backlog, stderr, stdout};
use crate::support::azure_env::{AzEnv, id_of};
use crate::support::github_env::{GhEnv, REPO};

/// A new story file nobody synced yet.
fn new_story(dir: &std::path::Path, id: &str, title: &str) {
    let text = format!(
        "---\nid: {id}\ntitle: {title}\nepic: EP-1\npersona: customer admin\nactivity: try marker trust\nbenefit: no one adopts a copy\nstate: new\npriority: 2\npoints: 1\ntags: [onboarding]\n---\nBody of {id}.\n"
    );
    std::fs::write(dir.join(format!("stories/{id}.md")), text).unwrap();
}

fn numbers_carrying(issues: &[Value], marker: &str) -> Vec<u64> {
    let mut n: Vec<u64> = issues
        .iter()
        .filter(|i| i["body"].as_str().is_some_and(|b| b.contains(marker)))
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    n.sort();
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issue_a_person_copied_our_marker_into_is_not_adopted_and_is_reported() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    new_story(&env.dir, "ST-90", "Trusted only when we made it");
    // A person pastes a body that carries ST-90's marker into an issue of their own.
    env.twin
        .seed(json!({"issues": [{"repository": REPO, "title": "Copied from somewhere", "user": "mallory",
            "body": "pasted text\n\n<!-- backlog-sync: ST-90 -->", "labels": ["type:story"]}]}))
        .unwrap();
    let copied = numbers_carrying(&env.issues().await, "<!-- backlog-sync: ST-90 -->");
    assert_eq!(copied.len(), 1);

    let out = env.cli(&["sync"]).await;
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(
        o.contains("marker-not-adopted") && o.contains(&format!("#{}", copied[0])) && o.contains("mallory"),
        "the run says which issue was not adopted and who made it: {o}{e}"
    );
    let carrying = numbers_carrying(&env.issues().await, "<!-- backlog-sync: ST-90 -->");
    assert_eq!(carrying.len(), 2, "ST-90 got an issue of its own: {carrying:?}");
    let store = backlog_sync::store::Store::open(&env.settings().state_path()).unwrap();
    let link = store.link("github", "ST-90").unwrap().expect("ST-90 is linked");
    assert_ne!(link.remote_id, copied[0].to_string(), "the copy is not adopted");
    assert!(store.link_by_remote("github", &copied[0].to_string()).unwrap().is_none(), "nor imported");
    let by: Vec<String> = env
        .issues()
        .await
        .iter()
        .filter(|i| i["number"].as_u64().map(|n| n.to_string()).as_deref() == Some(link.remote_id.as_str()))
        .map(|i| i["user"]["login"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(by, ["octocat"], "the linked issue is the one the token's user created");

    let drift = env.cli(&["drift"]).await;
    let shown = stdout(&drift);
    assert!(shown.contains("marker-not-adopted") && shown.contains("mallory"), "{shown}{}", stderr(&drift));
}

#[tokio::test(flavor = "multi_thread")]
async fn of_two_issues_with_one_marker_the_lower_number_is_adopted_and_the_other_reported() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    new_story(&env.dir, "ST-91", "Two issues, one marker");
    // Two issues the token's own user made with ST-91's marker (say, two lost creates).
    let mut made = Vec::new();
    for _ in 0..2 {
        let i = env
            .create_issue(json!({"title": "Two issues, one marker", "body": "<!-- backlog-sync: ST-91 -->",
                "labels": ["type:story"]}))
            .await;
        made.push(i["number"].as_u64().unwrap());
    }
    let out = env.cli(&["sync"]).await;
    let (o, e) = (stdout(&out), stderr(&out));
    let store = backlog_sync::store::Store::open(&env.settings().state_path()).unwrap();
    let link = store.link("github", "ST-91").unwrap().expect("ST-91 is linked");
    assert_eq!(link.remote_id, made[0].to_string(), "the oldest (lower number) is adopted: {o}{e}");
    assert!(o.contains("marker-not-adopted") && o.contains(&format!("#{}", made[1])), "the other is reported: {o}{e}");
    assert_eq!(numbers_carrying(&env.issues().await, "<!-- backlog-sync: ST-91 -->"), made, "no third issue");
    let drift = stdout(&env.cli(&["drift"]).await);
    assert!(drift.contains("marker-not-adopted") && drift.contains(&format!("#{}", made[1])), "{drift}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_work_item_someone_else_created_with_our_marker_tag_is_not_adopted() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    env.sync().await;
    new_story(&env.dir, "ST-92", "Trusted on Boards only when we made it");
    env.twin
        .seed(json!({"people": ["Mallory Doe <mallory@contoso.com>"],
            "workItems": [{"project": "Onboarding", "type": "User Story", "by": "Mallory Doe <mallory@contoso.com>",
                "fields": {"System.Title": "Copied", "System.Tags": "backlog-sync:ST-92"}}]}))
        .unwrap();
    let copied: Vec<i64> =
        env.work_items().await.iter().filter(|w| w["fields"]["System.Title"] == "Copied").map(id_of).collect();
    assert_eq!(copied.len(), 1);

    let out = env.cli(&["sync"]).await;
    let (o, e) = (stdout(&out), stderr(&out));
    assert!(o.contains("marker-not-adopted") && o.contains("mallory@contoso.com"), "{o}{e}");
    let store = backlog_sync::store::Store::open(&env.settings().state_path()).unwrap();
    let link = store.link("boards", "ST-92").unwrap().expect("ST-92 is linked");
    assert_ne!(link.remote_id, copied[0].to_string(), "the copy is not adopted: {o}{e}");
    assert!(store.link_by_remote("boards", &copied[0].to_string()).unwrap().is_none(), "nor imported");
}
