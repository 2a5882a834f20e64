//! Three refusals of issue 15 met by the sync over real HTTP: Azure DevOps' 203 sign-in page is
//! an authentication failure (nothing written, the HTML never read as data), GitHub's 101st
//! sub-issue on one parent is that story's refusal only, and a `$batch` refused with any status
//! falls back to one PATCH per work item.

use std::collections::BTreeSet;

use backlog_sync::store::Store;
use backlog_twins::azure::Process;
use serde_json::{Value, json};

use crate::common::{sample_backlog, stderr, stdout, synthetic_backlog};
use crate::support::azure_env::{AzEnv, field, id_of};
use crate::support::github_env::GhEnv;

/// The page Azure DevOps answers missing or expired credentials with (unless told not to).
const SIGN_IN_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en-US\"><head><title>Azure DevOps Services | Sign In</title>\
     </head><body><form id=\"signin\" action=\"/_signin\" method=\"post\"><p>Sign in to continue to Azure DevOps.</p>\
     </form></body></html>\n";

/// Requests of the operation templates that contain `what`.
fn calls(stats: &Value, what: &str) -> u64 {
    stats["by_operation"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(op, _)| op.contains(what))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum()
}

/// Every file of the backlog folder, path and text, to compare before and after a run.
fn files_of(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for sub in ["epics", "stories", "risks"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else { continue };
        for e in entries {
            let path = e.unwrap().path();
            out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_sign_in_page_203_is_an_authentication_failure_naming_the_token_setting() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    let first = env.cli(&["sync"]).await;
    assert_eq!(first.status.code(), Some(0), "{}{}", stdout(&first), stderr(&first));
    let text = env.read("stories/ST-5.md");
    let title = text.lines().find(|l| l.starts_with("title:")).unwrap().to_string();
    env.write("stories/ST-5.md", &text.replacen(&title, "title: Waits for a valid token", 1));
    let files = files_of(&env.dir);
    let writes = env.writes().await;

    // The service answers every request with its sign-in page, as for an expired PAT.
    env.faults(json!([{"path": "/**", "count": 1000, "status": 203, "body": SIGN_IN_PAGE,
        "content_type": "text/html; charset=utf-8"}]))
        .await;
    let refused = env.cli(&["sync"]).await;
    let (out, err) = (stdout(&refused), stderr(&refused));
    assert_ne!(refused.status.code(), Some(0), "{out}{err}");
    assert!(err.contains("sign-in page") && err.contains("HTTP 203"), "an authentication failure: {out}{err}");
    assert!(err.contains("`token_file`"), "the error names the token setting: {err}");
    assert!(!err.contains(crate::support::azure_env::TOKEN), "the token is never shown: {err}");
    assert!(!format!("{out}{err}").contains("Sign in to continue"), "the HTML is not read as data: {out}{err}");
    assert!(!err.to_lowercase().contains("expected value"), "not a JSON parse error: {err}");
    assert_eq!(env.writes().await, writes, "nothing was written to the remote");
    assert_eq!(files_of(&env.dir), files, "nothing was written to the backlog");

    // The connector asks for a plain 401 (`X-TFS-FedAuthRedirect: Suppress`): with a wrong PAT the
    // twin answers 203 and its sign-in page only to clients that do not send it.
    env.http.delete(format!("{}/_twin/faults", env.twin.base_url())).send().await.unwrap();
    let token_file = env.config.parent().unwrap().join("token");
    std::fs::write(&token_file, "not-the-pat\n").unwrap();
    let wrong = env.cli(&["sync"]).await;
    let err = stderr(&wrong);
    assert_ne!(wrong.status.code(), Some(0), "{err}");
    assert!(err.contains("`token_file`") && !err.contains("sign-in page"), "a 401, not the page: {err}");
    assert!(!err.contains("not-the-pat"), "the token is never shown: {err}");
    assert_eq!(env.writes().await, writes, "still nothing written");
}

#[tokio::test(flavor = "multi_thread")]
async fn github_101st_sub_issue_is_refused_for_that_story_only() {
    let tmp = tempfile::tempdir().unwrap();
    let backlog = synthetic_backlog(tmp.path(), 1, 101, 0);
    let env = GhEnv::with_limits(&backlog, "manual", 5000).await;
    // 203 issues and links: the connector's own write pace would take minutes.
    let settings = std::fs::read_to_string(&env.config).unwrap().replacen(
        "\n\n[sync]",
        "\nwrite_limit_per_minute = 5000\nwrite_limit_per_hour = 50000\n\n[sync]",
        1,
    );
    std::fs::write(&env.config, settings).unwrap();

    let run = env.cli(&["sync"]).await;
    let (out, err) = (stdout(&run), stderr(&run));
    assert_eq!(run.status.code(), Some(3), "the run partly failed: {out}{err}");
    let epic = env.issue_of("EP-1").await["number"].as_u64().unwrap();
    let subs: BTreeSet<u64> = env.sub_issues(epic).await.iter().map(|s| s["number"].as_u64().unwrap()).collect();
    assert_eq!(subs.len(), 100, "GitHub holds 100 sub-issues a parent");

    let state = env.settings().state_path();
    let store = Store::open(&state).unwrap();
    let refusals = store.refusals().unwrap();
    assert_eq!(refusals.len(), 1, "one item refused: {refusals:?}");
    let refused = &refusals[0];
    assert!(refused.item_id.starts_with("ST-"), "{refused:?}");
    assert_eq!(refused.status, Some(422), "{refused:?}");
    assert!(format!("{out}{err}").contains("sync-item-refused"), "{out}{err}");
    assert!(format!("{out}{err}").contains(&refused.item_id), "the refused story is named: {out}{err}");

    // Every other item is synced and linked; the refused story has its one issue, not a sub-issue.
    let linked: BTreeSet<String> = store.links("github").unwrap().into_iter().map(|l| l.item_id).collect();
    assert_eq!(linked.len(), 101, "the epic and the 100 other stories: {linked:?}");
    assert_eq!(env.issues().await.len(), 102, "every item has its issue");
    let refused_number = env.issue_of(&refused.item_id).await["number"].as_u64().unwrap();
    assert!(!subs.contains(&refused_number), "the refused story is not linked");

    // The next run adopts its issue by its marker (no duplicate) and is refused the same way.
    let again = env.cli(&["sync"]).await;
    assert_eq!(again.status.code(), Some(3), "{}{}", stdout(&again), stderr(&again));
    assert_eq!(env.issues().await.len(), 102, "no duplicate issue");
    assert_eq!(env.sub_issues(epic).await.len(), 100);
    let linked: BTreeSet<String> = store.links("github").unwrap().into_iter().map(|l| l.item_id).collect();
    assert_eq!(linked.len(), 102, "the refused story is linked to its issue now");
    let still: Vec<String> = store.refusals().unwrap().into_iter().map(|r| r.item_id).collect();
    assert_eq!(still, vec![refused.item_id.clone()], "still that story only");
    for n in [1, 50, 101] {
        let id = format!("ST-{n}");
        if id != refused.item_id {
            let number = env.issue_of(&id).await["number"].as_u64().unwrap();
            assert!(subs.contains(&number), "{id} is a sub-issue of the epic");
        }
    }
}

async fn batch_refused_falls_back_to_one_patch_per_item(status: u16) {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    let first = env.sync().await;
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    let items = ["ST-2", "ST-4", "ST-5", "ST-6"];
    for id in items {
        let rel = format!("stories/{id}.md");
        let text = env.read(&rel);
        let title = text.lines().find(|l| l.starts_with("title:")).unwrap().to_string();
        env.write(&rel, &text.replacen(&title, &format!("title: {id} after a refused batch"), 1));
    }
    let before = env.stats().await;
    // Only the batch call itself is refused, as many times as any retry of it.
    env.faults(json!([{"method": "PATCH", "path": "/contoso/_apis/wit/$batch", "count": 50, "status": status,
        "message": "The batch request was not processed."}]))
        .await;
    let report = env.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.refused.is_empty(), "{:#?}", report.refused);

    let after = env.stats().await;
    assert!(calls(&after, "$batch") > calls(&before, "$batch"), "the batch was tried: {after}");
    let singles = "PATCH /{organization}/{project}";
    assert_eq!(calls(&after, singles) - calls(&before, singles), items.len() as u64, "one PATCH per item: {after}");
    for id in items {
        let item = env.item_of(id).await;
        assert_eq!(field(&item, "System.Title"), format!("{id} after a refused batch"), "{id} ({})", id_of(&item));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_batch_refused_with_400_falls_back_to_one_patch_per_item() {
    batch_refused_falls_back_to_one_patch_per_item(400).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn azure_batch_refused_with_500_falls_back_to_one_patch_per_item() {
    batch_refused_falls_back_to_one_patch_per_item(500).await;
}
