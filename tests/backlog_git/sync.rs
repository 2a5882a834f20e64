//! Each run pulls before it reads and commits and pushes after it writes: a tracker edit becomes
//! one commit naming item and field; a product owner's pushed commit reaches both trackers; a push
//! that lost a race is rebased over and retried, never forced.

use serde_json::json;

use super::world::{GitWorld, git};
use crate::common::{stderr, stdout};
use crate::support::azure_env::{field, id_of};

#[tokio::test(flavor = "multi_thread")]
async fn a_github_edit_becomes_one_commit_on_main_naming_the_item_and_field() {
    let w = GitWorld::new("").await;
    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(w.clone.join(".git").is_dir(), "the first run cloned the backlog repository");
    let before = w.remote_log();

    let issue = w.gh.issue_of("ST-2").await;
    w.gh.edit_issue(issue["number"].as_u64().unwrap(), json!({"title": "Story two, renamed on GitHub"})).await;
    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("git: committed") && stdout(&out).contains("git: pushed"), "{}", stdout(&out));

    let log = w.remote_log();
    assert_eq!(log.len(), before.len() + 1, "one commit: {log:?}");
    assert!(log[0].ends_with(" backlog-sync: ST-2 title from github"), "{log:?}");
    let body = git(&w.bare, &["log", "-1", "--format=%b", "main"]);
    assert!(body.contains("- ST-2 title: from github"), "{body}");
    assert_eq!(
        git(&w.bare, &["log", "-1", "--format=%an <%ae>", "main"]).trim(),
        "backlog-sync <backlog-sync@localhost>"
    );
    assert_eq!(git(&w.bare, &["show", "--name-only", "--format=", "main"]).trim(), "stories/ST-2.md");
    assert!(w.remote_file("stories/ST-2.md").contains("title: Story two, renamed on GitHub"));
    let tree = git(&w.bare, &["ls-tree", "-r", "--name-only", "main"]);
    assert!(!tree.contains(".backlog-sync"), "the sync state stays out of git: {tree}");
    let wi = w.boards.item_of("ST-2").await;
    assert_eq!(field(&wi, "System.Title"), "Story two, renamed on GitHub", "and it went on to Azure Boards");

    let out = w.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.remote_log().len(), log.len(), "a run that writes nothing commits nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_product_owners_pushed_commit_reaches_github_and_azure_boards_on_the_next_run() {
    let w = GitWorld::new("").await;
    w.sync().await;
    w.po_edit(
        "stories/ST-3.md",
        "title: Story number 3",
        "title: Story three, as the product owner put it",
        "ST-3: say it better",
    );
    let head = w.remote_log()[0].clone();

    let (report, published) = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let issue = w.gh.issue_of("ST-3").await;
    assert_eq!(issue["title"], "Story three, as the product owner put it");
    let wi = w.boards.item_of("ST-3").await;
    assert_eq!(field(&wi, "System.Title"), "Story three, as the product owner put it");
    assert_eq!(published.unwrap().commit, None, "nothing inbound: no commit");
    assert_eq!(w.remote_log()[0], head, "main is the product owner's commit");
    assert!(std::fs::read_to_string(w.clone.join("stories/ST-3.md")).unwrap().contains("as the product owner put it"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_between_fetch_and_push_is_rebased_over_and_retried_without_force() {
    let w = GitWorld::new("").await;
    w.sync().await;
    // A colleague's commit, pushed by the remote's pre-receive hook the moment the sync first
    // pushes: it lands between the sync's fetch and its push.
    let other = w.tmp.path().join("colleague");
    git(w.tmp.path(), &["clone", "--quiet", w.bare.to_str().unwrap(), other.to_str().unwrap()]);
    let rk = other.join("risks/RK-1.md");
    let text =
        std::fs::read_to_string(&rk).unwrap().replace("mitigation: watch it closely", "mitigation: weekly review");
    std::fs::write(&rk, text).unwrap();
    git(&other, &["commit", "--quiet", "-am", "RK-1: a real mitigation"]);
    let mark = w.tmp.path().join("raced");
    w.remote_hook(
        "pre-receive",
        &format!(
            "#!/bin/sh\nif [ ! -e '{mark}' ]; then\n  touch '{mark}'\n  unset GIT_DIR GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n  cd '{other}' && git push -q origin main >&2\nfi\n",
            mark = mark.display(),
            other = other.display()
        ),
    );
    let issue = w.gh.issue_of("ST-1").await;
    w.gh.edit_issue(issue["number"].as_u64().unwrap(), json!({"title": "Story one, renamed during a race"})).await;

    let (report, published) = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(mark.exists(), "the race happened");
    assert!(published.unwrap().pushed);
    let log = w.remote_log();
    assert!(log[0].ends_with("backlog-sync: ST-1 title from github"), "{log:?}");
    assert!(log[1].ends_with("RK-1: a real mitigation"), "the colleague's commit is kept, below ours: {log:?}");
    assert_eq!(git(&w.bare, &["rev-list", "--merges", "main"]).trim(), "", "no merge commits");
    assert!(w.remote_file("risks/RK-1.md").contains("mitigation: weekly review"));
    assert!(w.remote_file("stories/ST-1.md").contains("title: Story one, renamed during a race"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_azure_boards_edit_is_committed_naming_boards_and_who_made_it() {
    let w = GitWorld::new("").await;
    w.sync().await;
    let wi = w.boards.item_of("RK-1").await;
    w.boards.set(id_of(&wi), &[("System.Title", json!("Risk one, retitled in Boards"))]).await;
    let (report, _) = w.sync().await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let log = w.remote_log();
    assert!(log[0].ends_with("backlog-sync: RK-1 title from boards"), "{log:?}");
    assert_eq!(w.gh.issue_of("RK-1").await["title"], "Risk one, retitled in Boards");
    // Boards names who made the edit (`System.ChangedBy`, here the twin's user of the token, not
    // in identities.toml): the commit names them by their unique name, an email.
    let by = field(&w.boards.item_of("RK-1").await, "System.ChangedBy");
    assert_eq!(by, "backlog-sync@example.com");
    let trailers = git(&w.bare, &["log", "-1", "--format=%(trailers:key=Co-authored-by)", "main"]);
    assert_eq!(trailers.trim(), "Co-authored-by: Backlog Sync <backlog-sync@example.com>");
}
