//! The story sentence: derived from a title, it survives a retitle; imported, it goes out at once.

use serde_json::json;

use super::world::{World, key};

const SENTENCE: &str = "As a customer, I can track my claim, so that I know when I am paid";

/// ST-1 with its sentence in the title and no persona / activity / benefit keys.
fn sentence_in_title(dir: &std::path::Path) {
    let path = dir.join("stories/ST-1.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("persona:") && !l.starts_with("activity:") && !l.starts_with("benefit:"))
        .map(|l| if l.starts_with("title:") { format!("title: {SENTENCE}") } else { l.to_string() })
        .collect();
    std::fs::write(&path, kept.join("\n") + "\n").unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retitle_keeps_the_sentence_derived_from_the_title_everywhere() {
    let w = World::new("manual", true, sentence_in_title).await;
    let first = w.sync().await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let body = w.issue_of("ST-1").await["body"].as_str().unwrap().to_string();
    assert!(body.contains("### Persona\n\ncustomer"), "{body}");

    w.edit_issue("ST-1", json!({"title": "Track my claim"})).await;
    let report = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let text = w.read("stories/ST-1.md");
    assert_eq!(key(&text, "title").as_deref(), Some("Track my claim"), "{text}");
    assert_eq!(key(&text, "persona").as_deref(), Some("customer"), "the sentence is written out: {text}");
    assert_eq!(key(&text, "activity").as_deref(), Some("track my claim"), "{text}");
    assert_eq!(key(&text, "benefit").as_deref(), Some("I know when I am paid"), "{text}");

    let next = w.plan().await;
    assert!(next.plan.is_empty(), "nothing erases the sentence: {:?}", next.plan.actions);
    w.sync().await;
    let body = w.issue_of("ST-1").await["body"].as_str().unwrap().to_string();
    assert!(
        body.contains("### Persona\n\ncustomer") && body.contains("### Benefit\n\nI know when I am paid"),
        "{body}"
    );
    let item = w.work_item_of("ST-1").await;
    let description = item["fields"]["System.Description"].as_str().unwrap_or_default().to_string();
    assert!(description.contains("customer") && description.contains("track my claim"), "{description}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_issue_sends_its_derived_sentence_out_in_the_same_run() {
    let w = World::new("manual", true, |_| {}).await;
    w.sync().await;
    w.create_issue(json!({
        "title": "As a reviewer, I can approve a claim, so that payouts are not delayed",
        "labels": ["type:story"],
    }))
    .await;
    let report = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.counts.inbound_created, 1, "{:?}", report.applied);
    let text = w.read("stories/ST-22.md");
    assert_eq!(key(&text, "persona").as_deref(), Some("reviewer"), "{text}");
    let after = w.plan().await;
    assert!(after.plan.is_empty(), "the sentence went out in the import's run: {:?}", after.plan.actions);
    let body = w.issue_of("ST-22").await["body"].as_str().unwrap().to_string();
    assert!(body.contains("### Persona\n\nreviewer"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retitle_in_the_file_keeps_the_sentence_and_writes_it_out() {
    let w = World::new("manual", false, sentence_in_title).await;
    w.sync().await;
    let text = w.read("stories/ST-1.md");
    w.write("stories/ST-1.md", &text.replace(&format!("title: {SENTENCE}"), "title: Track my claim"));
    let report = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let text = w.read("stories/ST-1.md");
    assert_eq!(key(&text, "persona").as_deref(), Some("customer"), "{text}");
    assert_eq!(key(&text, "benefit").as_deref(), Some("I know when I am paid"), "{text}");
    let issue = w.issue_of("ST-1").await;
    assert_eq!(issue["title"], "Track my claim");
    assert!(issue["body"].as_str().unwrap().contains("### Persona\n\ncustomer"), "{issue}");
    assert!(w.plan().await.plan.is_empty());
}
