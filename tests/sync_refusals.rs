//! One item's refusal is that item's (refusals the sync cannot adapt; see `sync_refusals_adapt`
//! for those it can): the twins refuse as GitHub and Azure DevOps do, the sync
//! reports the item (`sync-item-refused`, with the remote's status and message), keeps its
//! changes, syncs every other item, and syncs it once it is fixed.

use backlog_sync::reconcile::engine::{self, RunOptions};
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

    // GitHub refuses ST-2's change (a 422, as for a value it will not take), and a plain edit elsewhere.
    let long_tag = "refused-once";
    set_line(&env, "stories/ST-2.md", "tags", &format!("[onboarding, {long_tag}]"));
    refuse_updates_of(&env, "ST-2", 1).await;
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
    assert!(env.read("stories/ST-2.md").contains(long_tag), "the file keeps its change");
    let _ = odd;

    // Fixed: the next run syncs it.
    set_line(&env, "stories/ST-2.md", "tags", "[onboarding, short]");
    let third = env.cli(&["sync"]).await;
    let (out, err) = (stdout(&third), stderr(&third));
    let st2 = env.issue_of("ST-2").await;
    let names: Vec<&str> = st2["labels"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"short"), "{names:?} {out}{err}");
}

/// The remote of the env's GitHub target, its pacer on a clock where GitHub's minute is `minute`.
fn fast_remote(env: &GhEnv, minute: std::time::Duration) -> backlog_sync::reconcile::remote::Remote {
    use backlog_sync::trackers::github::GithubTracker;
    use backlog_sync::trackers::github::connector::Pacer;
    let settings = env.settings();
    let mut remote = engine::connect(&settings.targets[0]).expect("connects");
    if let Some(g) = remote.tracker_mut::<GithubTracker>() {
        g.connector.set_pacer(Pacer::with_minute(80, 500, minute));
    }
    remote
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bare_403_secondary_limit_is_waited_out_for_a_minute_then_the_write_goes() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    set_line(&env, "stories/ST-5.md", "title", "Sent after the secondary limit");
    env.faults(json!([{"method": "PATCH", "path": "/repos/**", "count": 1, "status": 403,
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}]))
        .await;
    let minute = std::time::Duration::from_millis(300);
    let remote = fast_remote(&env, minute);
    let started = std::time::Instant::now();
    let report = engine::run_with(&env.settings(), std::slice::from_ref(&remote), &RunOptions::default())
        .await
        .expect("the run goes on");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(started.elapsed() >= minute, "waited at least GitHub's minute (on the test's clock)");
    let armed: serde_json::Value = env.http.get(env.url("/_twin/faults")).send().await.unwrap().json().await.unwrap();
    assert_eq!(armed["faults"].as_array().map(Vec::len), Some(0), "the 403 was answered: {armed}");
    assert_eq!(env.issue_of("ST-5").await["title"], "Sent after the secondary limit");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renamed_repository_is_followed_through_its_301() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    let renamed = env
        .http
        .post(env.url("/_twin/repos/contoso/onboarding/rename"))
        .json(&json!({"name": "welcome"}))
        .send()
        .await
        .unwrap();
    assert!(renamed.status().is_success());
    set_line(&env, "stories/ST-5.md", "title", "Sent through the redirect");
    let out = env.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let issues: Vec<serde_json::Value> = env
        .http
        .get(env.url("/repos/contoso/welcome/issues?state=all&per_page=100"))
        .header("authorization", format!("token {}", crate::support::github_env::TOKEN))
        .header("user-agent", "a-person")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        issues.iter().any(|i| i["title"] == "Sent through the redirect"),
        "the edit reached the renamed repository"
    );
}

/// Arms the twin to refuse the next `count` updates of `item`'s issue with GitHub's 422.
async fn refuse_updates_of(env: &GhEnv, item: &str, count: u32) {
    let number = env.issue_of(item).await["number"].as_u64().unwrap();
    env.faults(json!([{"method": "PATCH", "path": format!("/repos/contoso/onboarding/issues/{number}"),
        "count": count, "status": 422, "message": "Validation Failed"}]))
        .await;
}

/// The kept refusal of `item` on the env's GitHub target.
fn kept(env: &GhEnv, item: &str) -> Option<backlog_sync::store::StoredRefusal> {
    let store = backlog_sync::store::Store::open(&env.settings().state_path()).unwrap();
    store.refusals().unwrap().into_iter().find(|r| r.item_id == item)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_item_is_kept_backed_off_retried_when_it_changes_and_forgotten_once_it_syncs() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    set_line(&env, "stories/ST-2.md", "tags", "[onboarding, refused]");
    // GitHub refuses ST-2's updates three times (a 422, as for a value it will not take).
    refuse_updates_of(&env, "ST-2", 3).await;

    let refused = env.cli(&["sync"]).await;
    assert_eq!(refused.status.code(), Some(3), "a partly failed run exits 3: {}", stderr(&refused));
    let first = kept(&env, "ST-2").expect("the refusal is kept in the store");
    assert_eq!((first.target.as_str(), first.status, first.attempts), ("github", Some(422), 1));
    let status = env.cli(&["status"]).await;
    let shown = stdout(&status);
    assert!(
        shown.contains("refused items (sync-item-refused): 1") && shown.contains("ST-2 on github (HTTP 422)"),
        "{shown}"
    );

    // The next run tries once more (the service may have been fixed); then it backs off.
    env.cli(&["sync"]).await;
    let second = kept(&env, "ST-2").unwrap();
    assert_eq!((second.attempts, second.first_seen), (2, first.first_seen));
    assert!(second.next_try > second.last_seen, "a second refusal waits");

    // Unchanged and within its back-off: skipped, still reported, not sent again.
    let waiting = env.cli(&["sync"]).await;
    assert_eq!(waiting.status.code(), Some(3), "{}", stderr(&waiting));
    assert!(stderr(&waiting).contains("next try after"), "{}", stderr(&waiting));
    assert_eq!(kept(&env, "ST-2").unwrap().attempts, 2, "the item was not tried again before its next try");

    // Changed (still refused): tried at once.
    set_line(&env, "stories/ST-2.md", "title", "Retried at once because it changed");
    env.cli(&["sync"]).await;
    assert_eq!(kept(&env, "ST-2").unwrap().attempts, 3, "a changed item is tried at once");

    // Fixed: synced and forgotten.
    set_line(&env, "stories/ST-2.md", "tags", "[onboarding, short]");
    let fixed = env.cli(&["sync"]).await;
    assert_eq!(fixed.status.code(), Some(0), "{}{}", stdout(&fixed), stderr(&fixed));
    assert_eq!(kept(&env, "ST-2"), None, "a synced item's refusal is forgotten");
    assert!(!stdout(&env.cli(&["status"]).await).contains("refused items"));
}
