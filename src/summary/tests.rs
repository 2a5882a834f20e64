//! Table tests of the summary model over small backlogs written to a temporary folder.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::changes::classify;
use super::health::{drift_summary, target_health};
use super::model::{Facts, Options, Summary, build};
use crate::backlog::Backlog;
use crate::drift::{Finding, Severity};
use crate::store::{Change, Conflict, Direction, Run, RunCounts, RunOutcome};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
}

fn story(id: &str, epic: Option<&str>, state: &str, points: Option<f64>) -> (String, String) {
    let epic = epic.map(|e| format!("epic: {e}\n")).unwrap_or_default();
    let points = points.map(|p| format!("points: {p}\n")).unwrap_or_default();
    let text = format!(
        "---\nid: {id}\ntitle: Story {id}\n{epic}persona: planner\nactivity: plan\nbenefit: it is planned\nstate: {state}\n{points}---\n"
    );
    (format!("stories/{id}.md"), text)
}

fn epic(id: &str, state: &str) -> (String, String) {
    (format!("epics/{id}.md"), format!("---\nid: {id}\ntitle: Epic {id}\nstate: {state}\n---\n"))
}

fn risk(id: &str, l: Option<&str>, s: Option<&str>, review: Option<&str>, extra: &str) -> (String, String) {
    let mut text = format!("---\nid: {id}\ntitle: Risk {id}\nstate: active\n");
    for (k, v) in [("likelihood", l), ("severity", s), ("review_by", review)] {
        if let Some(v) = v {
            text.push_str(&format!("{k}: {v}\n"));
        }
    }
    text.push_str(extra);
    text.push_str("---\n");
    (format!("risks/{id}.md"), text)
}

/// Loads a backlog of `files` with `toml` appended to a minimal backlog.toml.
fn backlog(files: &[(String, String)], toml: &str) -> Backlog {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("backlog.toml"), format!("name = \"Test\"\n{toml}")).unwrap();
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    Backlog::load(root).unwrap()
}

fn facts(backlog: Backlog) -> Facts {
    Facts {
        backlog,
        findings: Vec::new(),
        changes: Vec::new(),
        since: at("2026-10-26T09:00:00Z"),
        runs: Vec::new(),
        targets: Vec::new(),
        conflicts: Vec::new(),
    }
}

fn summarize(f: &Facts) -> Summary {
    let opts = Options {
        audience: "team".into(),
        period: "2026-W45".into(),
        today: today(),
        now: at("2026-11-02T09:00:00Z"),
        top_risks: 3,
    };
    build(f, &opts)
}

#[test]
fn progress_per_epic_counts_stories_by_state_and_points_done_of_total() {
    // (stories as (epic, state, points), want per EP-1: (done, total, points done, points total, percent))
    type Case<'a> = (&'a [(Option<&'a str>, &'a str, Option<f64>)], (u32, u32, f64, f64, u32));
    let cases: &[Case] = &[
        (&[], (0, 0, 0.0, 0.0, 0)),
        (&[(Some("EP-1"), "resolved", Some(3.0)), (Some("EP-1"), "new", Some(5.0))], (1, 2, 3.0, 8.0, 38)),
        (&[(Some("EP-1"), "closed", Some(2.0)), (Some("EP-1"), "active", Some(2.0))], (1, 2, 2.0, 4.0, 50)),
        // Removed stories count in no total; without points, stories decide the percentage.
        (
            &[(Some("EP-1"), "removed", Some(8.0)), (Some("EP-1"), "resolved", None), (Some("EP-1"), "new", None)],
            (1, 2, 0.0, 0.0, 50),
        ),
        // Stories of other epics or of none do not count for EP-1.
        (&[(Some("EP-2"), "resolved", Some(5.0)), (None, "resolved", Some(1.0))], (0, 0, 0.0, 0.0, 0)),
    ];
    for (stories, want) in cases {
        let mut files = vec![epic("EP-1", "active"), epic("EP-2", "active")];
        for (i, (e, state, points)) in stories.iter().enumerate() {
            files.push(story(&format!("ST-{}", i + 1), *e, state, *points));
        }
        let s = summarize(&facts(backlog(&files, "")));
        let p = &s.epics[0].progress;
        assert_eq!((p.stories_done, p.stories_total, p.points_done, p.points_total, p.percent), *want, "{stories:?}");
        let no_epic = stories.iter().filter(|(e, st, _)| e.is_none() && *st != "removed").count();
        assert_eq!(s.stories_without_epic.len(), no_epic);
    }
}

fn change(item: &str, action: &str, field: Option<(&str, &str, &str)>, target: &str) -> Change {
    Change {
        at: at("2026-10-30T10:00:00Z"),
        item_id: item.into(),
        target: Some(target.into()),
        direction: Direction::Outbound,
        action: action.into(),
        field: field.map(|f| f.0.into()),
        old: field.map(|f| f.1.into()),
        new: field.map(|f| f.2.into()),
    }
}

#[test]
fn changes_fold_into_new_done_moved_and_removed_and_new_items_name_every_target() {
    // (changes, want lines as "section item detail")
    let cases: Vec<(Vec<Change>, Vec<&str>)> = vec![
        (
            vec![change("ST-2", "created", None, "github"), change("ST-2", "created", None, "boards")],
            vec!["new ST-2 new story, published to github and boards"],
        ),
        (
            vec![change("EP-5", "imported", None, "boards"), change("EP-5", "created", None, "github")],
            vec!["new EP-5 new epic, published to github; imported from boards"],
        ),
        (vec![change("RK-9", "imported", None, "github")], vec!["new RK-9 imported from github"]),
        (
            vec![change("ST-3", "updated", Some(("state", "active", "resolved")), "github")],
            vec!["done ST-3 active → resolved"],
        ),
        (
            vec![
                change("ST-4", "updated", Some(("state", "new", "active")), "github"),
                change("ST-4", "updated", Some(("state", "active", "closed")), "github"),
            ],
            vec!["done ST-4 new → closed"],
        ),
        (vec![change("ST-5", "updated", Some(("state", "new", "active")), "github")], vec!["moved ST-5 new → active"]),
        (vec![change("ST-6", "updated", Some(("epic", "EP-1", "EP-2")), "github")], vec!["moved ST-6 moved to EP-2"]),
        (vec![change("ST-7", "updated", Some(("title", "a", "b")), "github")], vec![]),
        (
            vec![change("ST-8", "imported", None, "github"), change("ST-8", "removed", None, "github")],
            vec!["removed ST-8 deleted in github"],
        ),
        (vec![change("ST-9", "closed", None, "github")], vec!["removed ST-9 file removed; closed as not planned"]),
        (
            vec![change("ST-10", "updated", Some(("state", "active", "removed")), "github")],
            vec!["removed ST-10 active → removed"],
        ),
    ];
    let titles = [("ST-2".to_string(), "Two".to_string())].into_iter().collect();
    let kinds = [("ST-2".to_string(), "story"), ("EP-5".to_string(), "epic")].into_iter().collect();
    for (changes, want) in cases {
        let set = classify(&changes, at("2026-10-26T09:00:00Z"), &titles, &kinds);
        let mut got = Vec::new();
        for (name, lines) in [("new", &set.new), ("done", &set.done), ("moved", &set.moved), ("removed", &set.removed)]
        {
            got.extend(lines.iter().map(|l| format!("{name} {} {}", l.item, l.detail)));
        }
        assert_eq!(got, want, "{changes:?}");
        assert_eq!(set.total, want.len());
        assert_eq!(set.since, "2026-10-26 09:00 UTC");
    }
    let set = classify(&[change("ST-2", "created", None, "github")], at("2026-10-26T09:00:00Z"), &titles, &kinds);
    assert_eq!(set.new[0].title.as_deref(), Some("Two"), "titles come from the backlog");
}

#[test]
fn risks_order_by_exposure_with_overdue_reviews_and_the_matrix() {
    let files = vec![
        risk("RK-1", Some("low"), Some("low"), Some("2027-01-01"), "owner: a\nmitigation: m\n"),
        risk("RK-2", Some("high"), Some("critical"), Some("2026-10-01"), "owner: b\nmitigation: m\n"),
        risk("RK-3", Some("critical"), Some("high"), None, "owner: c\nmitigation: m\n"),
        risk("RK-4", None, Some("high"), None, ""),
        risk("RK-10", Some("medium"), Some("medium"), Some("2026-11-01"), "mitigation: m\n"),
        risk("RK-5", Some("high"), Some("high"), None, "state: resolved\n"),
    ];
    let s = summarize(&facts(backlog(&files, "")));
    let order: Vec<(&str, Option<u32>)> = s.risks.iter().map(|r| (r.id.as_str(), r.exposure)).collect();
    // Same exposure (12): higher severity first. Resolved RK-5 is left out; unrated RK-4 last.
    assert_eq!(order, [("RK-2", Some(12)), ("RK-3", Some(12)), ("RK-10", Some(4)), ("RK-1", Some(1)), ("RK-4", None)]);
    let top: Vec<&str> = s.top_risks.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(top, ["RK-2", "RK-3", "RK-10"]);
    let overdue: Vec<(&str, i64)> = s.overdue_reviews.iter().map(|r| (r.id.as_str(), r.days_overdue)).collect();
    assert_eq!(overdue, [("RK-2", 32), ("RK-10", 1)], "most overdue first");
    // likelihood rows × severity columns, open rated risks only
    assert_eq!(s.risk_matrix[2][3], 1, "RK-2 high × critical");
    assert_eq!(s.risk_matrix[3][2], 1, "RK-3 critical × high");
    assert_eq!(s.risk_matrix[2][2], 0, "resolved RK-5 is not on the matrix");
    assert_eq!(s.risk_matrix.iter().flatten().sum::<u32>(), 4);
    let kinds: Vec<(&str, &str)> = s.decisions.iter().map(|d| (d.kind.as_str(), d.item.as_str())).collect();
    assert_eq!(kinds, [("risk-review", "RK-2"), ("risk-review", "RK-10")]);
}

#[test]
fn milestones_and_goals_count_epics_done() {
    let toml = r#"
[[problems]]
id = "P1"
statement = "Slow onboarding"
epics = ["EP-1", "EP-9"]

[[success_criteria]]
id = "SC1"
description = "Fast onboarding"
target = "1 day"
epics = ["EP-1", "EP-2"]

[[milestones]]
name = "Pilot"
due = 2026-11-10
definition_of_done = ["pilot live"]
epics = ["EP-1", "EP-2"]

[[milestones]]
name = "Beta"
due = 2026-10-01
epics = ["EP-2"]

[[milestones]]
name = "Done one"
due = 2026-10-01
epics = ["EP-1"]

[[milestones]]
name = "Later"
due = 2027-06-01
epics = ["EP-2"]
"#;
    let files = vec![
        epic("EP-1", "resolved"),
        epic("EP-2", "active"),
        story("ST-1", Some("EP-1"), "resolved", Some(3.0)),
        story("ST-2", Some("EP-2"), "new", Some(5.0)),
    ];
    let s = summarize(&facts(backlog(&files, toml)));
    let got: Vec<(&str, u32, u32, &str, Option<i64>)> = s
        .milestones
        .iter()
        .map(|m| (m.name.as_str(), m.epics_done, m.epics_total, m.status.as_str(), m.days_left))
        .collect();
    assert_eq!(
        got,
        [
            ("Pilot", 1, 2, "due-soon", Some(8)),
            ("Beta", 0, 1, "overdue", Some(-32)),
            ("Done one", 1, 1, "done", Some(-32)),
            ("Later", 0, 1, "open", Some(211)),
        ]
    );
    assert_eq!(s.milestones[0].definition_of_done, ["pilot live"]);
    assert_eq!((s.milestones[0].progress.points_done, s.milestones[0].progress.points_total), (3.0, 8.0));
    let p = &s.problems[0];
    assert_eq!((p.epics_done, p.epics_total), (1, 2));
    assert_eq!(p.epics[1].title, None, "an epic missing from the backlog is shown, not dropped");
    assert_eq!((s.success_criteria[0].epics_done, s.success_criteria[0].target.as_deref()), (1, Some("1 day")));
    let milestone_decisions: Vec<&str> =
        s.decisions.iter().filter(|d| d.kind == "milestone").map(|d| d.item.as_str()).collect();
    assert_eq!(milestone_decisions, ["Pilot", "Beta"]);
}

#[test]
fn milestone_progress_counts_the_items_on_it() {
    let toml = "[[milestones]]\nname = \"Beta\"\ndue = 2026-12-01\ndefinition_of_done = [\"ST-3 and ST-4 resolved\"]\n";
    let on = |(path, text): (String, String), m: &str| {
        (path, text.replacen("state:", &format!("milestone: {m}\nstate:"), 1))
    };
    let files = vec![
        on(story("ST-3", None, "resolved", Some(2.0)), "Beta"),
        on(story("ST-4", Some("EP-5"), "active", Some(3.0)), "beta"),
        on(epic("EP-6", "active"), "Beta"),
        story("ST-5", Some("EP-6"), "new", Some(1.0)),
        story("ST-6", None, "new", Some(8.0)),
    ];
    let s = summarize(&facts(backlog(&files, toml)));
    let m = &s.milestones[0];
    assert_eq!((m.progress.stories_done, m.progress.stories_total), (1, 3), "ST-3, ST-4 and ST-5 (through EP-6)");
    assert_eq!((m.progress.points_done, m.progress.points_total), (2.0, 6.0));
    assert_eq!(m.definition_of_done, ["ST-3 and ST-4 resolved"]);
    assert_eq!(m.status, "open");
}

fn finding(rule: &str, severity: Severity, item: &str) -> Finding {
    let mut f = Finding::new(rule, Some(item.into()), format!("{rule} on {item}"));
    f.severity = severity;
    f
}

#[test]
fn drift_counts_by_rule_errors_first_with_the_worst_items() {
    let findings = vec![
        finding("story-missing-benefit", Severity::Warning, "ST-10"),
        finding("story-missing-benefit", Severity::Warning, "ST-2"),
        finding("story-missing-benefit", Severity::Warning, "ST-3"),
        finding("story-missing-benefit", Severity::Warning, "ST-4"),
        finding("risk-missing-mitigation", Severity::Error, "RK-1"),
        finding("risk-missing-owner", Severity::Warning, "RK-1"),
        finding("story-not-atomic", Severity::Info, "ST-2"),
    ];
    let d = drift_summary(&findings, &Default::default());
    assert_eq!((d.total, d.errors, d.warnings, d.infos), (7, 1, 5, 1));
    let rules: Vec<(&str, usize)> = d.by_rule.iter().map(|r| (r.rule.as_str(), r.count)).collect();
    assert_eq!(
        rules,
        [
            ("risk-missing-mitigation", 1),
            ("story-missing-benefit", 4),
            ("risk-missing-owner", 1),
            ("story-not-atomic", 1)
        ]
    );
    let examples: Vec<&str> = d.by_rule[1].examples.iter().filter_map(|x| x.item.as_deref()).collect();
    assert_eq!(examples, ["ST-2", "ST-3", "ST-4"], "three examples in id order");
    let worst: Vec<(&str, usize)> = d.worst_items.iter().map(|i| (i.item.as_str(), i.total)).collect();
    assert_eq!(worst, [("RK-1", 2), ("ST-2", 2), ("ST-3", 1), ("ST-4", 1), ("ST-10", 1)]);
}

fn run(id: i64, outcome: RunOutcome, targets: Option<&[&str]>) -> Run {
    let started = at("2026-11-01T08:00:00Z") + Duration::minutes(id);
    Run {
        id,
        kind: "sync".into(),
        targets: targets.map(|t| t.iter().map(|s| s.to_string()).collect()),
        started_at: started,
        finished_at: Some(started + Duration::seconds(30)),
        outcome,
        counts: RunCounts::default(),
        error: None,
    }
}

fn conflict(target: &str, item: &str) -> Conflict {
    Conflict {
        target: target.into(),
        item_id: item.into(),
        field: "title".into(),
        base: Some("a".into()),
        canonical: Some("b".into()),
        remote: Some("c".into()),
        detected_at: at("2026-10-31T12:00:00Z"),
    }
}

#[test]
fn sync_health_per_target() {
    let runs = vec![
        run(4, RunOutcome::Failed, Some(&["github"])),
        run(3, RunOutcome::Failed, None),
        run(2, RunOutcome::Success, None),
        run(1, RunOutcome::Success, Some(&["github"])),
    ];
    let targets = vec![
        ("github".to_string(), Some(runs[2].clone())),
        ("boards".to_string(), Some(runs[2].clone())),
        ("wiki".to_string(), None),
    ];
    let conflicts = vec![conflict("boards", "ST-1"), conflict("boards", "ST-2")];
    let health = target_health(&targets, &runs, &conflicts);
    let got: Vec<(&str, &str, u32, usize, Option<&str>)> = health
        .iter()
        .map(|h| (h.target.as_str(), h.status.as_str(), h.failures, h.open_conflicts, h.last_outcome.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("github", "failing", 2, 0, Some("failed")),
            ("boards", "failing", 1, 2, Some("failed")),
            ("wiki", "failing", 1, 0, Some("failed")),
        ]
    );
    assert_eq!(health[0].last_success.as_deref(), Some("2026-11-01 08:02 UTC"));
    let settled = vec![("boards".to_string(), Some(runs[2].clone())), ("wiki".to_string(), Some(runs[2].clone()))];
    let calm = target_health(&settled, &runs[2..], &conflicts);
    let got: Vec<&str> = calm.iter().map(|h| h.status.as_str()).collect();
    assert_eq!(got, ["conflicts", "ok"]);
    let none = target_health(&[("new".to_string(), None)], &[], &[]);
    assert_eq!(none[0].status, "never-synced");
}

#[test]
fn conflicts_and_unowned_high_risks_are_decisions() {
    let files = vec![risk("RK-1", Some("high"), Some("critical"), None, "mitigation: m\n")];
    let mut f = facts(backlog(&files, ""));
    f.conflicts = vec![conflict("github", "ST-4")];
    let s = summarize(&f);
    let texts: Vec<&str> = s.decisions.iter().map(|d| d.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "choose the `title` of ST-4: backlog says “b”, github says “c”",
            "name an owner for RK-1 (exposure 12): Risk RK-1",
        ]
    );
    assert_eq!(s.generated_at, "2026-11-02 09:00 UTC");
    assert_eq!(summarize(&f), s, "the model is deterministic");
}

#[test]
fn teams_cards_and_slack_blocks_carry_progress_risks_and_decisions() {
    use super::channels::{slack, teams};
    let mut files =
        vec![epic("EP-1", "active"), risk("RK-1", Some("high"), Some("high"), None, "mitigation: a <b> & c\n")];
    files.extend((1..=12).map(|i| epic(&format!("EP-{}", i + 1), "new")));
    let mut f = facts(backlog(&files, ""));
    f.conflicts = vec![conflict("github", "ST-4")];
    let mut s = summarize(&f);
    s.audience = "executive".into();
    let card = teams::card_message(&s);
    let content = &card["attachments"][0]["content"];
    assert_eq!(card["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
    assert_eq!((content["type"].as_str(), content["version"].as_str()), (Some("AdaptiveCard"), Some("1.4")));
    let body = content["body"].as_array().unwrap();
    let texts: Vec<String> = body.iter().filter_map(|b| b["text"].as_str().map(str::to_string)).collect();
    assert!(texts.iter().any(|t| t.contains("choose the `title` of ST-4")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.starts_with("Since")), "the executive card leaves out changes");
    let facts_of = |b: &serde_json::Value| b["facts"].as_array().cloned().unwrap_or_default();
    let epic_fact = &facts_of(&body[3])[0];
    assert_eq!(epic_fact["title"], "EP-1 Epic EP-1");
    let risk_fact = body.iter().flat_map(facts_of).find(|f| f["title"] == "RK-1 (9)").expect("top risk listed");
    assert_eq!(risk_fact["value"], "Risk RK-1 — a <b> & c");

    s.audience = "team".into();
    let message = slack::blocks_message(&s);
    let blocks = message["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert!(message["text"].as_str().unwrap().starts_with("Test — team summary, 2026-W45: 0% done"));
    assert_eq!(blocks[2]["fields"].as_array().unwrap().len(), 10, "Slack takes at most ten fields");
    let all = serde_json::to_string(&message).unwrap();
    assert!(all.contains("a &lt;b&gt; &amp; c"), "mrkdwn is escaped: {all}");
    assert!(all.contains("*Since 2026-10-26 09:00 UTC*"), "the team message has the changes");
    let card = teams::card_message(&s);
    assert!(serde_json::to_string(&card).unwrap().contains("Since 2026-10-26 09:00 UTC"));
}
