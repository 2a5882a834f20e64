//! `multilineFieldsFormat`: Azure DevOps says which rich-text fields hold Markdown only from
//! api-version 7.2 (a preview) on; at 7.1 a work item reads back without it. The twin answers per
//! api-version as the service does, and the connector reads work items at `7.2-preview.3`, so the
//! project's own Markdown reads back as Markdown and is not rewritten every run.

use backlog_sync::trackers::azure_boards::connector::WORK_ITEMS_VERSION;
use backlog_twins::azure::Process;
use serde_json::Value;

use crate::common::sample_backlog;
use crate::support::azure_env::{AzEnv, PROJECT, TOKEN, field, id_of};

const DESCRIPTION: &str = "Intro with **bold** and `code`.\n\n## Notes\n\n- one\n- two\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n```sh\necho hi\n```";

fn with_description(env: &AzEnv, rel: &str) {
    let text = env.read(rel);
    let end = text[3..].find("\n---").map(|i| i + 3 + 4).expect("front matter");
    env.write(rel, &format!("{}\n{DESCRIPTION}\n", &text[..end]));
}

async fn read_at(env: &AzEnv, id: i64, version: &str) -> (u16, Value) {
    let url = format!("{}/{PROJECT}/_apis/wit/workitems/{id}?api-version={version}", env.twin.organization_url());
    let r = env.http.get(url).basic_auth("", Some(TOKEN)).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_markdown_description_reads_back_unchanged_and_a_second_sync_writes_nothing() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    with_description(&env, "stories/ST-5.md");
    let first = env.sync().await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let item = env.item_of("ST-5").await;
    let held = field(&item, "System.Description");
    assert!(held.ends_with(DESCRIPTION), "Boards holds the Markdown itself: {held}");

    let file = env.read("stories/ST-5.md");
    let writes = env.writes().await;
    let second = env.sync().await;
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert_eq!(env.writes().await, writes, "the second sync writes nothing: {:?}", second.applied);
    assert_eq!(env.read("stories/ST-5.md"), file, "the file reads back unchanged");
    assert!(file.contains(DESCRIPTION));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_twin_says_which_fields_are_markdown_only_from_api_version_7_2() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    with_description(&env, "stories/ST-5.md");
    env.sync().await;
    let id = id_of(&env.item_of("ST-5").await);

    let (status, at_71) = read_at(&env, id, "7.1").await;
    assert_eq!(status, 200);
    assert!(at_71.get("multilineFieldsFormat").is_none(), "7.1 leaves it out: {at_71}");
    let (status, at_72) = read_at(&env, id, WORK_ITEMS_VERSION).await;
    assert_eq!(status, 200);
    assert_eq!(at_72["multilineFieldsFormat"]["System.Description"], "markdown", "{at_72}");
    let (status, refused) = read_at(&env, id, "7.2").await;
    assert_eq!(status, 400, "7.2 is served as a preview only: {refused}");
    assert!(refused["message"].as_str().unwrap_or_default().contains("preview"), "{refused}");
}
