//! Updates of several work items in one run go to Azure Boards in one `$batch`; a revision
//! conflict inside the batch falls back to the one-by-one write, which reads the item again and
//! keeps both edits.

use std::time::Duration;

use backlog_twins::azure::Process;
use serde_json::{Value, json};

use crate::common::sample_backlog;
use crate::support::azure_env::{AzEnv, field, id_of};

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
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    env.sync().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    env.sync().await;
    let ids: Vec<i64> = [id_of(&env.item_of("ST-4").await), id_of(&env.item_of("ST-6").await)].into();

    // Two files change; the batch waits in the network while a person edits ST-6's title.
    for (file, from) in [("stories/ST-4.md", "priority: 2"), ("stories/ST-6.md", "priority: 3")] {
        env.write(file, &env.read(file).replace(from, "priority: 1"));
    }
    let before = env.stats().await;
    env.faults(json!([{"method": "PATCH", "path": "/contoso/_apis/wit/$batch", "count": 1, "latency_ms": 1500}])).await;
    let settings = env.settings();
    // The engine holds a SQLite connection, so it runs on a runtime of its own.
    let sync = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(backlog_sync::reconcile::engine::run(&settings, &Default::default())).expect("sync runs")
    });
    tokio::time::sleep(Duration::from_millis(600)).await;
    env.set(ids[1], &[("System.Title", json!("Pick a role while inviting"))]).await;
    let report = tokio::task::spawn_blocking(move || sync.join().unwrap()).await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    let after = env.stats().await;
    assert_eq!(calls(&after, "$batch") - calls(&before, "$batch"), 1, "one batch: {after}");
    assert_eq!(
        calls(&after, "PATCH /{organization}/{project}") - calls(&before, "PATCH /{organization}/{project}") - 1,
        1,
        "one write one by one (ST-6, after the conflict), besides the person's: {after}"
    );
    assert!(
        report.applied.iter().any(|a| a.item == "ST-6" && a.what.contains("after a concurrent edit")),
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
