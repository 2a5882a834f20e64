//! An unreadable file: the run (and `plan`) says it skipped it and why, does not say "no changes" with exit 0,
//! and the item's remote edits arrive once the file reads again — by `sync`, not only `reconcile`.

use serde_json::json;

use super::world::{World, key};
use crate::common::{stderr, stdout};

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_file_is_reported_and_its_remote_edit_arrives_once_it_reads_again() {
    let w = World::new("manual", false, |_| {}).await;
    w.sync().await;
    let good = w.read("stories/ST-6.md");
    w.edit_issue("ST-6", json!({"title": "Pick a role while inviting"})).await;
    w.write("stories/ST-6.md", &good.replace("priority: 3", "priority: [3"));

    let out = w.cli(&["sync", "--format", "json"]).await;
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|_| panic!("{}", stderr(&out)));
    let skipped = json["skipped"].as_array().expect("the report lists skipped files");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0]["path"].as_str().unwrap().ends_with("ST-6.md"), "{skipped:?}");
    assert!(!skipped[0]["reason"].as_str().unwrap().is_empty());

    let out = w.cli(&["sync"]).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(!text.contains("no changes"), "{text}");
    assert!(text.contains("skipped") && text.contains("ST-6.md"), "{text}");
    // `plan` too: an empty plan beside a skipped file is no agreement.
    let out = w.cli(&["plan"]).await;
    let text = stdout(&out);
    assert!(!text.contains("every target agree"), "{text}");
    assert!(text.contains("ST-6.md") && text.contains("1 file(s) skipped"), "{text}");

    w.write("stories/ST-6.md", &good);
    let report = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(key(&w.read("stories/ST-6.md"), "title").as_deref(), Some("Pick a role while inviting"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_saved_with_a_byte_order_mark_is_read_and_keeps_it() {
    let w = World::new("manual", false, |_| {}).await;
    w.sync().await;
    let good = w.read("stories/ST-6.md");
    w.write("stories/ST-6.md", &format!("\u{feff}{good}"));
    w.edit_issue("ST-6", json!({"title": "Pick a role while inviting"})).await;
    let report = w.sync().await;
    assert!(report.errors.is_empty() && report.skipped.is_empty(), "{:?} {:?}", report.errors, report.skipped);
    let text = w.read("stories/ST-6.md");
    assert!(text.starts_with('\u{feff}'), "the mark is kept: {text:?}");
    assert_eq!(key(&text, "title").as_deref(), Some("Pick a role while inviting"));
}
