//! Adaptations of issue 15: where the twins refuse as GitHub and Azure DevOps do and a faithful
//! adaptation exists, the sync adapts and reports it — a body over GitHub's limit is cut at a
//! section with a pointer to the file, tags a target cannot hold are left out, an owner who
//! cannot be assigned is not assigned, labels compare whatever their case — the file keeps
//! everything, and nothing adapted reads back as an edit (a second sync writes nothing).

use std::path::Path;

use backlog_twins::azure::Process;
use serde_json::json;

use crate::common::{copy_tree, root, sample_backlog, stderr, stdout};
use crate::support::azure_env::{self, AzEnv};
use crate::support::github_env::{GhEnv, REPO, TOKEN, labels};

/// Sets `key: value` in a file's front matter (added after `state:` when absent).
fn set_key(text: &str, key: &str, value: &str) -> String {
    let prefix = format!("{key}:");
    if text.lines().any(|l| l.starts_with(&prefix)) {
        let lines: Vec<String> = text
            .lines()
            .map(|l| if l.starts_with(&prefix) { format!("{key}: {value}") } else { l.to_string() })
            .collect();
        lines.join("\n") + "\n"
    } else {
        text.replacen("\nstate:", &format!("\n{key}: {value}\nstate:"), 1)
    }
}

fn edit(dir: &Path, rel: &str, key: &str, value: &str) {
    let path = dir.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, set_key(&text, key, value)).unwrap();
}

/// Points the settings' mappings at a copy of `mappings/` whose identities add `people` (TOML).
fn with_people(config: &Path, people: &str) -> tempfile::TempDir {
    let (tmp, maps) = copy_tree(&root().join("mappings"));
    let identities = maps.join("identities.toml");
    std::fs::write(&identities, std::fs::read_to_string(&identities).unwrap() + people).unwrap();
    let settings = std::fs::read_to_string(config).unwrap();
    let old = format!("{:?}", root().join("mappings"));
    let new = format!("{:?}", maps);
    std::fs::write(config, settings.replace(old.trim_end_matches('"'), new.trim_end_matches('"'))).unwrap();
    tmp
}

/// An issue body whose `### Story points` section says `points`.
fn with_points(body: &str, points: &str) -> String {
    let heading = "### Story points\n\n";
    match body.find(heading) {
        Some(at) => {
            let start = at + heading.len();
            let end = body[start..].find('\n').map_or(body.len(), |n| start + n);
            format!("{}{points}{}", &body[..start], &body[end..])
        }
        None => format!("{heading}{points}\n\n{body}"),
    }
}

fn rules_of(report: &backlog_sync::reconcile::engine::RunReport, item: &str) -> Vec<&'static str> {
    report.adapted.iter().filter(|a| a.item == item).map(|a| a.rule).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_githubs_limit_is_cut_at_a_section_with_a_pointer_and_never_reads_back_as_an_edit() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    // A description of 40,000 characters in paragraphs, then 40,000 of acceptance criteria.
    let notes: String = (0..400).map(|n| format!("Paragraph {n}: {}\n\n", "note ".repeat(18).trim_end())).collect();
    let criteria: String = (0..1000).map(|n| format!("- [ ] criterion {n} holds, {}\n", "x".repeat(20))).collect();
    let text = env.read("stories/ST-5.md");
    let front = &text[..text.rfind("---\n").unwrap() + 4];
    let whole = format!("{front}## Notes\n\n{notes}## Acceptance criteria\n{criteria}");
    env.write("stories/ST-5.md", &whole);

    let first = env.sync().await;
    assert!(first.refused.is_empty() && first.errors.is_empty(), "{:?} {:?}", first.refused, first.errors);
    assert_eq!(rules_of(&first, "ST-5"), ["sync-body-cut"], "{:#?}", first.adapted);
    let issue = env.issue_of("ST-5").await;
    let body = issue["body"].as_str().unwrap();
    assert!(body.chars().count() <= 65_536, "{}", body.chars().count());
    assert!(body.contains("Paragraph 399") && !body.contains("criterion 0 holds"), "cut at the section boundary");
    assert!(body.contains("`stories/ST-5.md`"), "the note points at the file");
    assert!(body.trim_end().ends_with("<!-- backlog-sync: ST-5 -->"), "the marker stays");
    assert_eq!(env.read("stories/ST-5.md"), whole, "the file keeps everything");

    // The cut body is no edit: the next run writes nothing and the file stays whole.
    let writes = env.writes().await;
    let second = env.sync().await;
    assert_eq!(env.writes().await, writes, "no echo write: {:#?}", second.applied);
    assert!(second.applied.is_empty(), "{:#?}", second.applied);
    assert_eq!(env.read("stories/ST-5.md"), whole);

    // A person edits the part shown on GitHub: the edit reaches the file, the rest stays.
    let number = issue["number"].as_u64().unwrap();
    env.edit_issue(number, json!({"body": body.replacen("Paragraph 0:", "Paragraph zero:", 1)})).await;
    env.sync().await;
    let after = env.read("stories/ST-5.md");
    assert!(after.contains("Paragraph zero:") && after.contains("criterion 999 holds"), "edit taken, nothing lost");
    assert_eq!(after.len(), whole.len() + "zero".len() - "0".len(), "the file is not shortened");
    let writes = env.writes().await;
    env.sync().await;
    assert_eq!(env.writes().await, writes, "settled: the run after writes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tag_github_cannot_label_is_left_out_with_a_finding_and_never_reads_back_as_removed() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    let long = "t".repeat(60);
    edit(&env.dir, "stories/ST-5.md", "tags", &format!("[onboarding, {long}]"));
    let out = env.cli(&["sync"]).await;
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "adapted, not refused: {o}{e}");
    assert!(o.contains("sync-tag-unfit") && o.contains("ST-5"), "the run says what it left out: {o}");
    let issue = env.issue_of("ST-5").await;
    assert!(labels(&issue).contains(&"onboarding".to_string()));
    assert!(!labels(&issue).contains(&long), "{:?}", labels(&issue));
    assert!(env.read("stories/ST-5.md").contains(&long), "the file keeps the tag");

    let writes = env.writes().await;
    let again = env.sync().await;
    assert_eq!(env.writes().await, writes, "no echo write: {:#?}", again.applied);
    // A person adds a label on GitHub: it arrives, and the left-out tag is no removal.
    let more: Vec<String> = [labels(&issue), vec!["later".to_string()]].concat();
    env.edit_issue(issue["number"].as_u64().unwrap(), json!({ "labels": more })).await;
    env.sync().await;
    let file = env.read("stories/ST-5.md");
    assert!(file.contains("later") && file.contains(&long), "{file}");

    let drift = env.cli(&["drift"]).await;
    assert!(stdout(&drift).contains("sync-tag-unfit"), "{}", stdout(&drift));
    let rules = env.cli(&["lint", "--rules"]).await;
    for rule in ["sync-tag-unfit", "sync-body-cut", "sync-owner-unassignable"] {
        assert!(stdout(&rules).contains(rule), "{rule} is listed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_azure_boards_cannot_hold_are_left_out_with_a_finding_and_never_read_back_as_removed() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    env.sync().await;
    let long = "x".repeat(401);
    edit(&env.dir, "stories/ST-5.md", "tags", &format!("[onboarding, \"a,b\", {long}]"));
    let first = env.sync().await;
    assert!(first.refused.is_empty() && first.errors.is_empty(), "{:?} {:?}", first.refused, first.errors);
    assert_eq!(rules_of(&first, "ST-5"), ["sync-tag-unfit", "sync-tag-unfit"], "{:#?}", first.adapted);
    let item = env.item_of("ST-5").await;
    let tags = azure_env::tags(&item);
    assert!(tags.contains(&"onboarding".to_string()) && !tags.iter().any(|t| t.len() > 100 || t == "a"), "{tags:?}");
    let file = env.read("stories/ST-5.md");
    assert!(file.contains("\"a,b\"") && file.contains(&long), "the file keeps both: {file}");
    let writes = env.writes().await;
    let again = env.sync().await;
    assert_eq!(env.writes().await, writes, "no echo write: {:#?}", again.applied);
    assert_eq!(env.read("stories/ST-5.md"), file);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_github_cannot_assign_is_left_out_reported_once_and_assigned_once_they_can_be() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    let maps = with_people(&env.config, "\n[[people]]\ncanonical = \"yan@contoso.com\"\ngithub = \"yan-outsider\"\n");
    env.sync().await;
    edit(&env.dir, "stories/ST-5.md", "owner", "yan@contoso.com");
    edit(&env.dir, "stories/ST-5.md", "title", "Sent without the assignee");
    let first = env.sync().await;
    assert!(first.refused.is_empty() && first.errors.is_empty(), "{:?} {:?}", first.refused, first.errors);
    assert_eq!(rules_of(&first, "ST-5"), ["sync-owner-unassignable"], "{:#?}", first.adapted);
    let issue = env.issue_of("ST-5").await;
    assert_eq!(issue["title"], "Sent without the assignee", "the rest of the item syncs");
    assert_eq!(issue["assignees"].as_array().map(Vec::len), Some(0));

    let writes = env.writes().await;
    let again = env.sync().await;
    assert_eq!(env.writes().await, writes, "no write while they cannot be assigned: {:#?}", again.applied);
    assert!(rules_of(&again, "ST-5").is_empty(), "reported once, not on every run: {:#?}", again.adapted);
    let drift = env.cli(&["drift"]).await;
    assert!(stdout(&drift).contains("sync-owner-unassignable"), "drift still names it: {}", stdout(&drift));
    assert!(env.read("stories/ST-5.md").contains("owner: yan@contoso.com"), "the file keeps `owner:`");
    // GitHub's people changed (a person added): the next run says it again.
    let identities = maps.path().join("mappings").join("identities.toml");
    let people = std::fs::read_to_string(&identities).unwrap();
    std::fs::write(&identities, people + "\n[[people]]\ncanonical = \"zoe@contoso.com\"\ngithub = \"zoe-gh\"\n")
        .unwrap();
    let changed = env.sync().await;
    assert_eq!(rules_of(&changed, "ST-5"), ["sync-owner-unassignable"], "said again: {:#?}", changed.adapted);

    // Made a collaborator: the next run assigns.
    let put = env
        .http
        .put(env.url(&format!("/repos/{REPO}/collaborators/yan-outsider")))
        .header("authorization", format!("token {TOKEN}"))
        .header("user-agent", "a-person")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let assigned = env.sync().await;
    assert!(assigned.adapted.is_empty(), "{:#?}", assigned.adapted);
    let issue = env.issue_of("ST-5").await;
    let who: Vec<&str> = issue["assignees"].as_array().unwrap().iter().filter_map(|a| a["login"].as_str()).collect();
    assert_eq!(who, ["yan-outsider"]);
    assert!(env.read("stories/ST-5.md").contains("owner: yan@contoso.com"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_azure_boards_cannot_assign_is_left_out_reported_once_and_assigned_once_a_member() {
    let env = AzEnv::new(&sample_backlog(), "manual", Process::Agile).await;
    let _maps =
        with_people(&env.config, "\n[[people]]\ncanonical = \"zed@contoso.com\"\nazure = \"zed@fabrikam.example\"\n");
    env.sync().await;
    edit(&env.dir, "stories/ST-5.md", "owner", "zed@contoso.com");
    edit(&env.dir, "stories/ST-5.md", "title", "Sent without the assignee");
    let first = env.sync().await;
    assert!(first.refused.is_empty() && first.errors.is_empty(), "{:?} {:?}", first.refused, first.errors);
    assert_eq!(rules_of(&first, "ST-5"), ["sync-owner-unassignable"], "{:#?}", first.adapted);
    let item = env.item_of("ST-5").await;
    assert_eq!(azure_env::field(&item, "System.Title"), "Sent without the assignee");
    assert_eq!(azure_env::field(&item, "System.AssignedTo"), "");

    // Checked by a validation that saves nothing (`validateOnly`): the item is not written.
    let again = env.sync().await;
    assert!(again.applied.is_empty(), "no write while not a member: {:#?}", again.applied);
    assert_eq!(env.item_of("ST-5").await["rev"], item["rev"], "the work item is not written");
    assert!(rules_of(&again, "ST-5").is_empty(), "reported once, not on every run: {:#?}", again.adapted);
    let drift = env.cli(&["drift"]).await;
    assert!(stdout(&drift).contains("sync-owner-unassignable"), "drift still names it: {}", stdout(&drift));
    assert!(env.read("stories/ST-5.md").contains("owner: zed@contoso.com"), "the file keeps `owner:`");

    env.twin.seed(json!({"people": ["Zed <zed@fabrikam.example>"]})).unwrap();
    let assigned = env.sync().await;
    assert!(assigned.adapted.is_empty(), "{:#?}", assigned.adapted);
    let item = env.item_of("ST-5").await;
    assert_eq!(azure_env::field(&item, "System.AssignedTo"), "zed@fabrikam.example");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_label_of_another_case_is_not_rewritten_every_run() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    // `onboarding` exists as a label (the sample's tag); the file now says `Onboarding`.
    edit(&env.dir, "stories/ST-5.md", "tags", "[Onboarding]");
    env.sync().await;
    let issue = env.issue_of("ST-5").await;
    assert!(labels(&issue).iter().any(|l| l.eq_ignore_ascii_case("onboarding")), "{:?}", labels(&issue));
    let writes = env.writes().await;
    let second = env.sync().await;
    assert_eq!(env.writes().await, writes, "the label is not rewritten: {:#?}", second.applied);
    assert!(env.read("stories/ST-5.md").contains("tags: [Onboarding]"), "the file keeps its spelling");
}

#[tokio::test(flavor = "multi_thread")]
async fn values_the_mapping_cannot_read_on_a_linked_item_are_that_items_and_never_stop_the_run() {
    let env = GhEnv::new(&sample_backlog(), "manual").await;
    env.sync().await;
    let st5 = env.issue_of("ST-5").await;
    let number = st5["number"].as_u64().unwrap();
    let mut odd = labels(&st5);
    odd.retain(|l| !l.starts_with("priority:"));
    odd.push("priority:high".into());
    env.edit_issue(number, json!({"labels": odd})).await;
    let st6 = env.issue_of("ST-6").await;
    let body = st6["body"].as_str().unwrap().to_string();
    env.edit_issue(st6["number"].as_u64().unwrap(), json!({"body": with_points(&body, "lots")})).await;
    edit(&env.dir, "stories/ST-7.md", "title", "Goes out although two items cannot be read");

    let out = env.cli(&["sync"]).await;
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(3), "the run partly failed: {o}{e}");
    assert!(format!("{o}{e}").contains("ST-5") && format!("{o}{e}").contains("ST-6"), "both reported: {o}{e}");
    assert!(format!("{o}{e}").contains("`high`") && format!("{o}{e}").contains("`lots`"), "{o}{e}");
    assert_eq!(env.issue_of("ST-7").await["title"], "Goes out although two items cannot be read");
    assert!(env.read("stories/ST-5.md").contains("priority: 2"), "the file is left as it is");

    let mut fixed = odd.clone();
    fixed.retain(|l| l != "priority:high");
    fixed.push("priority:1".into());
    env.edit_issue(number, json!({"labels": fixed})).await;
    env.edit_issue(st6["number"].as_u64().unwrap(), json!({"body": with_points(&body, "5")})).await;
    let out = env.cli(&["sync"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(env.read("stories/ST-5.md").contains("priority: 1"));
    assert!(env.read("stories/ST-6.md").contains("points: 5"));
}
