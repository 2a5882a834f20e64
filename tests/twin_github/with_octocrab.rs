//! An unmodified octocrab pointed at the twin: paginated listing through `Link`, create, update,
//! labels, comments and sub-issues all work as they do against GitHub.

use octocrab::Octocrab;
use octocrab::models::IssueState;
use octocrab::models::issues::SubIssuePriority;
use octocrab::params;
use serde_json::json;

use super::{TOKEN, start};

fn client(base: &str) -> Octocrab {
    Octocrab::builder().base_uri(base).expect("base uri").personal_token(TOKEN.to_string()).build().expect("octocrab")
}

#[tokio::test]
async fn octocrab_lists_250_issues_in_pages_of_100_following_link_next() {
    let twin = start().await;
    let issues: Vec<_> = (1..=250)
        .map(|n| json!({"title": format!("Story {n}"), "state": if n % 5 == 0 { "closed" } else { "open" }}))
        .collect();
    let seeded = twin.seed(json!({"issues": issues})).expect("seed");
    assert_eq!(seeded["issues"].as_array().unwrap().len(), 250);
    let octo = client(&twin.base_url());

    let first = octo
        .issues("contoso", "onboarding")
        .list()
        .state(params::State::All)
        .per_page(100)
        .send()
        .await
        .expect("first page");
    assert_eq!(first.items.len(), 100);
    assert!(first.next.is_some() && first.prev.is_none());
    assert_eq!(first.number_of_pages(), Some(3));
    let all = octo.all_pages(first).await.expect("all pages");
    assert_eq!(all.len(), 250);
    let mut numbers: Vec<u64> = all.iter().map(|i| i.number).collect();
    assert_eq!(numbers[0], 250, "newest first by default");
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 250, "no issue twice, none missing");
    assert_eq!(all.iter().filter(|i| i.state == IssueState::Closed).count(), 50);
    assert_eq!(twin.stats().by_operation["GET /repos/{owner}/{repo}/issues"], 3);
}

#[tokio::test]
async fn octocrab_creates_updates_labels_comments_and_links_sub_issues() {
    let twin = start().await;
    let octo = client(&twin.base_url());
    let issues = octo.issues("contoso", "onboarding");

    let epic = issues
        .create("Onboarding")
        .body("<!-- backlog-sync:EP-1 -->")
        .labels(vec!["epic".to_string()])
        .assignees(vec!["alice".to_string()])
        .send()
        .await
        .expect("create epic");
    assert_eq!(epic.number, 1);
    assert_eq!(epic.labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["epic"]);
    assert_eq!(epic.assignees[0].login, "alice");
    let story = issues.create("Invite teammates").send().await.expect("create story");
    let other = issues.create("Resend invitations").send().await.expect("create other");
    assert_ne!(story.id.0, story.number, "ids are global, numbers per repository");

    let updated = issues
        .update(story.number)
        .title("Invite teammates by email")
        .state(IssueState::Closed)
        .labels(&["story".to_string(), "onboarding".to_string()])
        .send()
        .await
        .expect("update");
    assert_eq!(updated.title, "Invite teammates by email");
    assert_eq!(updated.state, IssueState::Closed);
    assert!(updated.closed_at.is_some());
    let names = |labels: &[octocrab::models::Label]| labels.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&updated.labels), ["onboarding", "story"]);
    let replaced = issues.replace_all_labels(story.number, &["story".to_string()]).await.expect("set labels");
    assert_eq!(names(&replaced), ["story"]);
    let added = issues.add_labels(story.number, &["good first issue".to_string()]).await.expect("add labels");
    assert_eq!(names(&added), ["good first issue", "story"]);
    let left = issues.remove_label(story.number, "good first issue").await.expect("remove label");
    assert_eq!(names(&left), ["story"]);

    let comment = issues.create_comment(story.number, "Done in sprint 3").await.expect("comment");
    assert_eq!(comment.body.as_deref(), Some("Done in sprint 3"));
    let comments = issues.list_comments(story.number).send().await.expect("list comments");
    assert_eq!(comments.items.len(), 1);
    assert_eq!(issues.get(story.number).await.expect("get").comments, 1);

    issues.add_sub_issue(epic.number, story.id, None).await.expect("link story");
    issues.add_sub_issue(epic.number, other.id, None).await.expect("link other");
    let parent = issues.get_parent_issue(story.number).await.expect("parent");
    assert_eq!(parent.number, epic.number);
    issues
        .reprioritize_sub_issue(epic.number, other.id, SubIssuePriority::Before(story.id))
        .await
        .expect("reprioritize");
    let subs = issues.list_sub_issues(epic.number).send().await.expect("list sub-issues");
    assert_eq!(subs.items.iter().map(|i| i.number).collect::<Vec<_>>(), [other.number, story.number]);
    let twice = issues.add_sub_issue(epic.number, story.id, None).await;
    assert!(twice.is_err(), "a sub-issue is linked once");
    issues.remove_sub_issue(epic.number, story.id).await.expect("unlink");
    assert!(issues.get_parent_issue(story.number).await.is_err(), "no parent after unlinking");

    let raw: serde_json::Value =
        octo.get(format!("/repos/contoso/onboarding/issues/{}", epic.number), None::<&()>).await.expect("raw epic");
    assert_eq!(raw["sub_issues_summary"], json!({"total": 1, "completed": 0, "percent_completed": 0}));
}
