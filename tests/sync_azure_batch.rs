//! Updates of several work items in one run go to Azure Boards in one `$batch`; a revision
//! conflict inside the batch makes the engine read that item again and plan it again, which
//! keeps both edits.

use std::sync::Arc;

use backlog_sync::reconcile::engine::{self, RunOptions};
use backlog_twins::azure::Process;
use serde_json::{Value, json};

use crate::common::sample_backlog;
use crate::support::azure_env::{AzEnv, field, id_of, person_edits_before_write};

/// Requests of the operation templates that contain `what` (`PATCH `, `$batch`).
fn calls(stats: &Value, what: &str) -> u64 {
    stats["by_operation"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(op, _)| op.contains(what))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn several_updates_go_in_one_batch_and_a_conflict_in_it_keeps_both_edits() {
    let env = Arc::new(AzEnv::new(&sample_backlog(), "manual", Process::Agile).await);
    env.sync().await;
    env.sync().await;
    let ids: Vec<i64> = [id_of(&env.item_of("ST-4").await), id_of(&env.item_of("ST-6").await)].into();

    // Two files change; after the run read ST-6 and before the batch goes out, a person edits
    // its title.
    for (file, from) in [("stories/ST-4.md", "priority: 2"), ("stories/ST-6.md", "priority: 3")] {
        env.write(file, &env.read(file).replace(from, "priority: 1"));
    }
    let before = env.stats().await;
    let title = ("System.Title", json!("Pick a role while inviting"));
    let opts = RunOptions {
        progress: Some(person_edits_before_write(env.clone(), "update-remote ST-4", ids[1], vec![title])),
        ..RunOptions::default()
    };
    let report = engine::run(&env.settings(), &opts).await.expect("sync runs");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.replanned, 1, "ST-6 was read again and planned again: {:?}", report.applied);
    let after = env.stats().await;
    assert_eq!(calls(&after, "$batch") - calls(&before, "$batch"), 1, "one batch: {after}");
    assert_eq!(
        calls(&after, "PATCH /{organization}/{project}") - calls(&before, "PATCH /{organization}/{project}") - 1,
        1,
        "one write one by one (ST-6, after the re-plan), besides the person's: {after}"
    );
    assert!(
        report.applied.iter().any(|a| a.item == "ST-6" && a.what.contains("read again and planned again")),
        "the revision check failed and ST-6 was read again: {:?}",
        report.applied
    );
    for id in &ids {
        assert_eq!(field(&env.api_item(*id).await, "Microsoft.VSTS.Common.Priority"), "1", "our edit landed on {id}");
    }
    assert_eq!(field(&env.api_item(ids[1]).await, "System.Title"), "Pick a role while inviting", "the person's stayed");
    assert!(env.read("stories/ST-6.md").contains("title: Pick a role while inviting"), "and reached the file");
    let writes = env.writes().await;
    env.sync().await;
    assert_eq!(env.writes().await, writes, "settled");
}

impl AzEnv {
    async fn api_item(&self, id: i64) -> Value {
        self.api(reqwest::Method::GET, &format!("/_apis/wit/workitems/{id}"), None, "").await
    }
}
