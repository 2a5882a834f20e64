//! One item's refusal is that item's: the twins refuse as GitHub and Azure DevOps do, the sync
//! reports the item (`sync-item-refused`, with the remote's status and message), keeps its
//! changes, syncs every other item, and syncs it once it is fixed.

use serde_json::json;

use crate::common::{sample_backlog, stderr, stdout};
use crate::support::github_env::GhEnv;

fn set_line(env: &GhEnv, rel: &str, key: &str, value: &str) {
    let text = env.read(rel);
    let out: Vec<String> = text
        .lines()
        .map(|l| if l.starts_with(&format!("{key}:")) { format!("{key}: {value}") } else { l.to_string() })
        .collect();
    env.write(rel, &(out.join("\n") + "\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn github_refusals_stop_only_their_items_and_fixed_items_sync_next_run() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let first = env.cli(&["sync"]).await;
    assert_eq!(first.status.code(), Some(0), "{}{}", stdout(&first), stderr(&first));

    // A tag GitHub cannot take as a label (over 50 characters), and a plain edit elsewhere.
    let long_tag = "t".repeat(60);
    set_line(&env, "stories/ST-2.md", "tags", &format!("[onboarding, {long_tag}]"));
    set_line(&env, "stories/ST-5.md", "title", "A title that goes out although ST-2 is refused");
    // An issue a person labels with a priority the mapping cannot read.
    let odd = env.create_issue(json!({"title": "Odd priority", "labels": ["type:story", "priority:high"]})).await;

    let second = env.cli(&["sync"]).await;
    let (out, err) = (stdout(&second), stderr(&second));
    assert_ne!(second.status.code(), Some(0), "the run says it partly failed: {out}{err}");
    assert!(err.contains("sync-item-refused") || out.contains("sync-item-refused"), "{out}{err}");
    assert!(format!("{out}{err}").contains("ST-2"), "the refused item is named: {out}{err}");
    let st5 = env.issue_of("ST-5").await;
    assert_eq!(st5["title"], "A title that goes out although ST-2 is refused", "every other item goes on");
    assert!(env.read("stories/ST-2.md").contains(&long_tag), "the file keeps its change");
    let _ = odd;

    // Fixed: the next run syncs it.
    set_line(&env, "stories/ST-2.md", "tags", "[onboarding, short]");
    let third = env.cli(&["sync"]).await;
    let (out, err) = (stdout(&third), stderr(&third));
    let st2 = env.issue_of("ST-2").await;
    let names: Vec<&str> = st2["labels"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"short"), "{names:?} {out}{err}");
}
