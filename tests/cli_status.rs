//! `backlog-sync status` as a real process: `--links` lists each link with the remote item's URL,
//! and the rate-limit budget is said in words (Azure DevOps reports one only while it throttles).

use backlog_twins::azure::Process;

use crate::common::{sample_backlog, stdout};
use crate::support::azure_env::AzEnv;
use crate::support::github_env::GhEnv;

#[tokio::test(flavor = "multi_thread")]
async fn status_links_lists_each_link_with_its_remote_url() {
    let gh = GhEnv::new(&sample_backlog(), "manual").await;
    gh.cli(&["sync"]).await;
    let out = gh.cli(&["status", "--links"]).await;
    let text = stdout(&out);
    let issue = gh.issue_of("ST-10").await;
    let line = text.lines().find(|l| l.trim_start().starts_with("ST-10 ")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(issue["html_url"].as_str().unwrap()), "the issue's page: {line}");
    let listed = text.lines().filter(|l| l.contains("/issues/")).count();
    assert_eq!(listed, gh.issues().await.len(), "every link once:\n{text}");
    assert!(!stdout(&gh.cli(&["status"]).await).contains("/issues/"), "only with --links");

    let az = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    az.cli(&["sync"]).await;
    let text = stdout(&az.cli(&["status", "--links"]).await);
    let id = az.item_of("ST-10").await["id"].as_i64().unwrap();
    let line = text.lines().find(|l| l.trim_start().starts_with("ST-10 ")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.ends_with(&format!("/_workitems/edit/{id}")), "the work item's page: {line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn status_says_the_azure_budget_in_words() {
    let az = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    az.cli(&["sync"]).await;
    let text = stdout(&az.cli(&["status"]).await);
    let budget = text.split("rate-limit budget\n").nth(1).unwrap_or_else(|| panic!("{text}"));
    assert!(!budget.contains('?'), "no `? of ? left`: {budget}");
    assert!(budget.contains("boards") && budget.contains("not throttled"), "{budget}");

    let gh = GhEnv::new(&sample_backlog(), "manual").await;
    gh.cli(&["sync"]).await;
    let text = stdout(&gh.cli(&["status"]).await);
    let budget = text.split("rate-limit budget\n").nth(1).unwrap_or_else(|| panic!("{text}"));
    assert!(budget.contains(" of 5000 left"), "GitHub's budget in numbers: {budget}");
}
