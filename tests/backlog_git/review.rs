//! Review mode (`[backlog.git] mode = "pull-request"`): inbound changes appear as one open pull
//! request on the backlog repository, updated in place; merging it makes them canonical and sends
//! them on; closing it unmerged leaves the backlog as it was and the conflict is reported.
//!
//! The bare repository is the backlog repository's git; the GitHub twin holds its pull requests
//! (it has no git of its own). A reviewer's merge is therefore two honest steps, as GitHub does
//! them in one: the review branch is merged into `main` with real git and pushed to the bare
//! repository, and the twin's `PUT …/pulls/{n}/merge` records the pull request as merged.

use serde_json::{Value, json};

use super::world::{GitWorld, git};
use crate::common::{stderr, stdout};
use crate::support::azure_env::{field, id_of};
use crate::support::github_env::TOKEN;

const REVIEW: &str = "mode = \"pull-request\"\nreview_target = \"github\"";
const BACKLOG_REPO: &str = "contoso/backlog";

async fn world() -> GitWorld {
    let w = GitWorld::new(REVIEW).await;
    w.gh.twin.seed(json!({"repositories": [BACKLOG_REPO]})).expect("the backlog repository exists on the twin");
    w
}

/// A person's call to the backlog repository's pull request API on the twin.
async fn pulls(w: &GitWorld, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req =
        w.gh.http
            .request(method, w.gh.url(&format!("/repos/{BACKLOG_REPO}/pulls{path}")))
            .header("authorization", format!("token {TOKEN}"))
            .header("user-agent", "a-reviewer");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

async fn open_pulls(w: &GitWorld) -> Vec<Value> {
    pulls(w, reqwest::Method::GET, "?state=open", None).await.1.as_array().cloned().unwrap_or_default()
}

/// A file of the review branch in the bare repository.
fn review_file(w: &GitWorld, rel: &str) -> String {
    git(&w.bare, &["show", &format!("backlog-sync/inbound:{rel}")])
}

fn github_writes(stats: &Value) -> u64 {
    stats["by_operation"]
        .as_object()
        .map(|ops| ops.iter().filter(|(k, _)| k.starts_with("PATCH /repos/")).filter_map(|(_, v)| v.as_u64()).sum())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn inbound_changes_are_one_pull_request_updated_in_place_and_merging_it_makes_them_canonical_and_sends_them_on() {
    let w = world().await;
    let (report, _) = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(open_pulls(&w).await.is_empty(), "nothing inbound: no pull request");
    let main_before = w.remote_log();

    // A GitHub edit: proposed, not canonical.
    let st2 = w.gh.issue_of("ST-2").await["number"].as_u64().unwrap();
    w.gh.edit_issue(st2, json!({"title": "Story two, renamed on GitHub"})).await;
    let (report, published) = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let open = open_pulls(&w).await;
    assert_eq!(open.len(), 1, "{open:?}");
    let n = open[0]["number"].as_u64().unwrap();
    assert_eq!(published.unwrap().pull_request, Some(n));
    assert_eq!(open[0]["head"]["ref"], "backlog-sync/inbound");
    assert_eq!(open[0]["base"]["ref"], "main");
    assert!(open[0]["body"].as_str().unwrap().contains("| ST-2 | title | github | Story two, renamed on GitHub |"));
    assert_eq!(w.remote_log(), main_before, "main is untouched");
    assert!(w.remote_file("stories/ST-2.md").contains("title: Story number 2"));
    assert!(review_file(&w, "stories/ST-2.md").contains("title: Story two, renamed on GitHub"));
    let subject = git(&w.bare, &["log", "-1", "--format=%s", "backlog-sync/inbound"]);
    assert_eq!(subject.trim(), "backlog-sync: ST-2 title from github");
    assert_eq!(field(&w.boards.item_of("ST-2").await, "System.Title"), "Story number 2", "not sent on yet");
    assert_eq!(w.gh.issue_of("ST-2").await["title"], "Story two, renamed on GitHub", "nor overwritten");

    // A run with nothing new changes nothing: the tracker's value is not pushed back over.
    let review_head = git(&w.bare, &["rev-parse", "backlog-sync/inbound"]);
    let (report, _) = w.sync().await;
    assert!(report.plan.actions.is_empty(), "{:?}", report.plan.actions);
    assert_eq!(git(&w.bare, &["rev-parse", "backlog-sync/inbound"]), review_head, "no new commit");
    let planned = w.cli(&["plan", "--format", "json"]).await;
    let planned: Value = serde_json::from_slice(&planned.stdout).expect("plan prints JSON");
    assert_eq!(planned["actions"], json!([]), "`plan` leaves the waiting value alone too");
    assert_eq!(w.gh.issue_of("ST-2").await["title"], "Story two, renamed on GitHub");

    // A Boards edit joins the same pull request, by a fast-forward of the review branch.
    let rk1 = w.boards.item_of("RK-1").await;
    w.boards.set(id_of(&rk1), &[("System.Title", json!("Risk one, retitled in Boards"))]).await;
    let (report, published) = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let open = open_pulls(&w).await;
    assert_eq!(open.len(), 1, "never a second pull request: {open:?}");
    assert_eq!(open[0]["number"].as_u64(), Some(n), "the same one, updated in place");
    assert_eq!(published.unwrap().pull_request, Some(n));
    let body = open[0]["body"].as_str().unwrap();
    assert!(body.contains("| RK-1 | title | boards |") && body.contains("| ST-2 | title | github |"), "{body}");
    let message = git(&w.bare, &["log", "-1", "--format=%B", "backlog-sync/inbound"]);
    assert!(
        message.starts_with("backlog-sync: RK-1 title from boards\n")
            && message.trim_end().ends_with("Co-authored-by: Backlog Sync <backlog-sync@example.com>"),
        "only this run's value, and who made it on Boards: {message}"
    );
    let commits = git(&w.bare, &["rev-list", "--count", "main..backlog-sync/inbound"]);
    assert_eq!(commits.trim(), "2", "one commit per run that proposed something");
    git(&w.bare, &["merge-base", "--is-ancestor", review_head.trim(), "backlog-sync/inbound"]);
    assert_ne!(w.gh.issue_of("RK-1").await["title"], "Risk one, retitled in Boards");

    // The reviewer merges it.
    git(&w.po, &["pull", "--quiet", "--rebase", "origin", "main"]);
    git(&w.po, &["fetch", "--quiet", "origin"]);
    git(&w.po, &["merge", "--quiet", "--no-ff", "-m", "Merge the inbound changes", "origin/backlog-sync/inbound"]);
    git(&w.po, &["push", "--quiet", "origin", "main"]);
    let (status, merged) = pulls(&w, reqwest::Method::PUT, &format!("/{n}/merge"), Some(json!({}))).await;
    assert_eq!(status, 200, "{merged}");

    let gh_before = w.gh.stats().await;
    let az_before = w.boards.writes().await;
    let (report, published) = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(published.unwrap().pull_request, None, "nothing waits");
    assert_eq!(field(&w.boards.item_of("ST-2").await, "System.Title"), "Story two, renamed on GitHub", "sent on");
    assert_eq!(w.gh.issue_of("RK-1").await["title"], "Risk one, retitled in Boards", "sent on");
    assert_eq!(github_writes(&w.gh.stats().await) - github_writes(&gh_before), 1, "only RK-1 was written to GitHub");
    assert_eq!(w.boards.writes().await - az_before, 1, "only ST-2 was written to Boards");
    assert!(w.remote_file("stories/ST-2.md").contains("title: Story two, renamed on GitHub"));

    // The bases settled: the next run has nothing to do anywhere.
    let (report, _) = w.sync().await;
    assert!(report.plan.actions.is_empty(), "{:?}", report.plan.actions);
    assert!(open_pulls(&w).await.is_empty());
    assert_eq!(report.open_conflicts, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_the_pull_request_unmerged_leaves_the_backlog_as_it_was_and_reports_the_conflict() {
    let w = world().await;
    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let st2 = w.gh.issue_of("ST-2").await["number"].as_u64().unwrap();
    w.gh.edit_issue(st2, json!({"title": "Story two, renamed on GitHub"})).await;
    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let n = open_pulls(&w).await[0]["number"].as_u64().unwrap();
    assert!(stdout(&out).contains(&format!("git: inbound changes are in pull request #{n}")), "{}", stdout(&out));
    let main_before = w.remote_log();

    let (status, _) = pulls(&w, reqwest::Method::PATCH, &format!("/{n}"), Some(json!({"state": "closed"}))).await;
    assert_eq!(status, 200);
    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(1), "an open conflict: {}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("1 open conflict(s)"), "{}", stdout(&out));
    assert_eq!(w.remote_log(), main_before, "the backlog is as it was");
    assert!(w.remote_file("stories/ST-2.md").contains("title: Story number 2"));
    assert_eq!(w.gh.issue_of("ST-2").await["title"], "Story two, renamed on GitHub", "the tracker keeps its edit");
    assert_eq!(field(&w.boards.item_of("ST-2").await, "System.Title"), "Story number 2");
    assert!(open_pulls(&w).await.is_empty(), "no new pull request for a rejected value");

    let status = w.cli(&["status"]).await;
    assert!(stdout(&status).contains("ST-2"), "{}", stdout(&status));
    let list = w.cli(&["resolve", "--list"]).await;
    assert!(stdout(&list).contains("open conflicts: 1"), "{}", stdout(&list));
    assert!(stdout(&list).contains("ST-2 `title`: file \"Story number 2\", github \"Story two, renamed on GitHub\""));

    // It waits for a person: another run changes nothing.
    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(w.gh.issue_of("ST-2").await["title"], "Story two, renamed on GitHub");
    assert!(open_pulls(&w).await.is_empty());

    // `resolve --keep file`: the backlog's value goes out to GitHub.
    let out = w.cli(&["resolve", "ST-2", "title", "--keep", "file"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(w.gh.issue_of("ST-2").await["title"], "Story number 2");
    assert!(open_pulls(&w).await.is_empty());
    assert_eq!(w.remote_log(), main_before);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_drift_findings_of_the_items_in_the_pull_request_are_one_review_updated_not_duplicated() {
    let w = world().await;
    w.sync().await;
    // Closing the epic on GitHub while its stories are open: once merged, a drift finding.
    let ep1 = w.gh.issue_of("EP-1").await["number"].as_u64().unwrap();
    w.gh.edit_issue(ep1, json!({"state": "closed", "state_reason": "completed"})).await;
    let (report, published) = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let n = published.unwrap().pull_request.expect("a pull request");
    let reviews = pulls(&w, reqwest::Method::GET, &format!("/{n}/reviews"), None).await.1;
    let reviews = reviews.as_array().cloned().unwrap_or_default();
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0]["state"], "COMMENTED");
    let body = reviews[0]["body"].as_str().unwrap();
    assert!(body.contains("`epic-closed-with-open-stories`") && body.contains("EP-1"), "{body}");

    // A later run with another change updates the pull request; the review is not posted twice.
    let st1 = w.gh.issue_of("ST-1").await["number"].as_u64().unwrap();
    w.gh.edit_issue(st1, json!({"title": "Story one, renamed on GitHub"})).await;
    let (_, published) = w.sync().await;
    assert_eq!(published.unwrap().pull_request, Some(n));
    let reviews = pulls(&w, reqwest::Method::GET, &format!("/{n}/reviews"), None).await.1;
    assert_eq!(reviews.as_array().map(Vec::len), Some(1), "{reviews}");
}
