//! Stakeholder summaries rendered for `examples/backlog`: golden Markdown and HTML for both
//! audiences (`UPDATE_GOLDEN=1` rewrites them), the `summary` command, JSON, and templates
//! overridden from a folder.

use std::path::{Path, PathBuf};

use backlog_sync::backlog::Backlog;
use backlog_sync::config::Settings;
use backlog_sync::store::{Change, Conflict, Direction, Run, RunCounts, RunOutcome};
use backlog_sync::summary::gather::facts_from;
use backlog_sync::summary::{Facts, Format, Options, Renderer, Summary, build};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use crate::common::{copy_tree, root, run_cli, sample_backlog, stderr, stdout};

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

pub const NOW: &str = "2026-11-02T09:00:00Z";

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
}

/// Compares `actual` with `tests/golden/NAME`; `UPDATE_GOLDEN=1` writes it instead.
pub fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("`{}` is missing; run with UPDATE_GOLDEN=1 to write it", path.display()));
    if expected != actual {
        let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "`{name}` differs from the golden file at line {}:\n  golden: {:?}\n  actual: {:?}\nrerun with UPDATE_GOLDEN=1 if the change is intended",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

fn change(item: &str, direction: Direction, target: &str, action: &str, field: Option<(&str, &str, &str)>) -> Change {
    Change {
        at: at("2026-10-29T14:00:00Z"),
        item_id: item.into(),
        target: Some(target.into()),
        direction,
        action: action.into(),
        field: field.map(|f| f.0.into()),
        old: field.map(|f| f.1.into()),
        new: field.map(|f| f.2.into()),
    }
}

fn run(id: i64, outcome: RunOutcome, targets: Option<&[&str]>) -> Run {
    let started = at("2026-11-01T06:00:00Z") + Duration::hours(id);
    Run {
        id,
        kind: "sync".into(),
        targets: targets.map(|t| t.iter().map(|s| s.to_string()).collect()),
        started_at: started,
        finished_at: Some(started + Duration::seconds(40)),
        outcome,
        counts: RunCounts::default(),
        error: (outcome == RunOutcome::Failed).then(|| "boards: HTTP 503".to_string()),
    }
}

/// The sample backlog with a week of sync history: what the golden summaries show.
pub fn sample_facts(audience: &str) -> Facts {
    let settings = Settings::load(None).unwrap();
    let backlog = Backlog::load(&sample_backlog()).unwrap();
    let mut facts = facts_from(&settings, backlog, None, audience, at(NOW), today()).unwrap();
    facts.since = at("2026-10-26T09:00:00Z");
    facts.changes = vec![
        change("ST-9", Direction::Inbound, "github", "imported", None),
        change("ST-2", Direction::Inbound, "boards", "updated", Some(("state", "new", "active"))),
        change("ST-2", Direction::Outbound, "github", "updated", Some(("state", "new", "active"))),
        change("ST-3", Direction::Outbound, "github", "updated", Some(("state", "active", "resolved"))),
        change("ST-14", Direction::Outbound, "boards", "updated", Some(("epic", "EP-1", "EP-2"))),
        change("ST-22", Direction::Outbound, "github", "closed", None),
    ];
    facts.runs = vec![
        run(3, RunOutcome::Failed, Some(&["boards"])),
        run(2, RunOutcome::Success, None),
        run(1, RunOutcome::Success, None),
    ];
    facts.targets =
        vec![("github".into(), Some(facts.runs[1].clone())), ("boards".into(), Some(facts.runs[1].clone()))];
    facts.conflicts = vec![Conflict {
        target: "boards".into(),
        item_id: "ST-8".into(),
        field: "title".into(),
        base: Some("Welcome checklist".into()),
        canonical: Some("Welcome checklist".into()),
        remote: Some("Welcome checklist | v2".into()),
        detected_at: at("2026-10-30T11:00:00Z"),
    }];
    facts
}

pub fn sample_summary(audience: &str) -> Summary {
    let opts =
        Options { audience: audience.into(), period: "2026-W45".into(), today: today(), now: at(NOW), top_risks: 3 };
    build(&sample_facts(audience), &opts)
}

#[test]
fn golden_markdown_and_html_for_the_sample_backlog() {
    let renderer = Renderer::new(None);
    for audience in ["executive", "team"] {
        let summary = sample_summary(audience);
        for format in [Format::Markdown, Format::Html] {
            let text = renderer.render(&summary, format).unwrap();
            assert_eq!(text, renderer.render(&summary, format).unwrap(), "rendering is deterministic");
            golden(&format!("summary_{audience}.{}", format.ext()), &text);
        }
    }
}

#[test]
fn the_executive_summary_fits_one_screen_and_the_team_summary_has_everything() {
    let renderer = Renderer::new(None);
    let exec = renderer.render(&sample_summary("executive"), Format::Markdown).unwrap();
    assert!(exec.lines().count() <= 40, "one screen: {} lines", exec.lines().count());
    for must in ["## Progress", "## Top 3 risks", "## Decisions needed", "choose the `title` of ST-8", "review RK-5"] {
        assert!(exec.contains(must), "executive lacks {must}:\n{exec}");
    }
    assert!(!exec.contains("## Drift"), "drift is for the team");
    let team = renderer.render(&sample_summary("team"), Format::Markdown).unwrap();
    for must in [
        "## Goals",
        "**P1** Customer admins invite few colleagues",
        "### Pilot with three customers — due 2026-12-18",
        "- [ ] support has a runbook for onboarding tickets",
        "## What changed since 2026-10-26 09:00 UTC",
        "- ST-3 Resend an expired invitation: active → resolved",
        "- ST-14 Export members and clean up: moved to EP-2",
        "- ST-22: file removed; closed as not planned",
        "| `risk-missing-mitigation` | error | 1 | RK-3 |",
        "| boards | failing | 2026-11-01 08:00 UTC | 1 | 1 |",
        "| github | ok | 2026-11-01 08:00 UTC | 0 | 0 |",
        "| Welcome checklist \\| v2 |",
    ] {
        assert!(team.contains(must), "team lacks {must:?}:\n{team}");
    }
}

/// A copy of the sample backlog and a settings file beside it with `extra` appended.
fn world(extra: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (tmp, dir) = copy_tree(&sample_backlog());
    let config = tmp.path().join("settings.toml");
    std::fs::write(&config, format!("[backlog]\npath = {:?}\n{extra}", dir)).unwrap();
    (tmp, dir, config)
}

fn cli(dir: &Path, config: &Path, args: &[&str]) -> std::process::Output {
    let mut all = args.to_vec();
    let config = config.to_string_lossy().into_owned();
    all.extend(["--config", config.as_str()]);
    run_cli(dir, &all)
}

#[test]
fn the_summary_command_prints_what_the_library_renders() {
    let (_tmp, dir, config) = world("");
    let out = cli(&dir, &config, &["summary", "--audience", "executive", "--today", "2026-11-02"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let settings = Settings::load(Some(&config)).unwrap();
    let midnight = at("2026-11-02T00:00:00Z");
    let want = backlog_sync::summary::render_summary(&settings, "executive", Format::Markdown, midnight, Some(today()))
        .unwrap();
    assert_eq!(stdout(&out), want);
    assert!(want.starts_with("# Contoso Onboarding Revamp — sponsor summary, 2026-W45\n"), "{want}");
    assert!(!dir.join(".backlog-sync").exists(), "printing a summary creates no state database");

    let out = cli(&dir, &config, &["summary", "--format", "json", "--now", "2026-11-02T09:00:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["audience"], "team");
    assert_eq!(json["period"], "2026-W45");
    assert_eq!(json["top_risks"][0]["id"], "RK-2");
    assert_eq!(json["risk_matrix"][2][2], 1, "RK-2 is high × high");
    assert_eq!(json["milestones"][0]["epics_total"], 2);

    let out = cli(&dir, &config, &["summary", "--format", "html", "--today", "2026-11-02"]);
    let html = stdout(&out);
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && html.contains("risk-matrix"), "{html}");
}

#[test]
fn templates_from_the_settings_folder_replace_the_shipped_ones_and_add_audiences() {
    let (tmp, dir, config) = world("[summary]\ntemplates = \"tpl\"\n");
    let tpl = tmp.path().join("tpl");
    std::fs::create_dir_all(&tpl).unwrap();
    std::fs::write(tpl.join("executive.md.j2"), "Custom {{ project }}: {{ progress.percent }}% for {{ audience }}\n")
        .unwrap();
    std::fs::write(tpl.join("board.md.j2"), "{% import \"_macros.md.j2\" as m %}Board\n{{ m.risk_table(top_risks) }}")
        .unwrap();
    std::fs::write(tpl.join("broken.md.j2"), "{{ progress.nope.deeper }}\n").unwrap();

    let out = cli(&dir, &config, &["summary", "--audience", "executive", "--today", "2026-11-02"]);
    assert_eq!(stdout(&out), "Custom Contoso Onboarding Revamp: 14% for executive\n", "{}", stderr(&out));
    let out = cli(&dir, &config, &["summary", "--audience", "board", "--today", "2026-11-02"]);
    assert!(stdout(&out).starts_with("Board\n| Risk | Exposure |"), "shipped macros stay importable: {}", stdout(&out));
    let out = cli(&dir, &config, &["summary", "--audience", "team", "--today", "2026-11-02"]);
    assert!(stdout(&out).contains("team summary, 2026-W45"), "team still uses the shipped template");

    let out = cli(&dir, &config, &["summary", "--audience", "nobody", "--today", "2026-11-02"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no template `nobody.md.j2` for audience `nobody`"), "{}", stderr(&out));
    let out = cli(&dir, &config, &["summary", "--audience", "broken", "--today", "2026-11-02"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("template `broken.md.j2` does not render") && err.contains("tpl"), "{err}");
}
