//! `backlog-sync lint`, `validate` and `init` as a user runs them: a real process, real files.

use std::collections::BTreeSet;
use std::fs;

use crate::common::{copy_tree, root, run_cli, sample_backlog, stderr, stdout};

/// The deliberate defects of `examples/backlog`, each noted in a comment in its file.
const SAMPLE_DEFECTS: &[(&str, &str)] = &[
    ("epic-closed-with-open-stories", "EP-3"),
    ("epic-without-stories", "EP-4"),
    ("risk-missing-mitigation", "RK-3"),
    ("risk-missing-owner", "RK-4"),
    ("risk-review-overdue", "RK-5"),
    ("risk-missing-likelihood", "RK-6"),
    ("story-missing-benefit", "ST-7"),
    ("story-not-atomic", "ST-14"),
    ("story-not-implementation-free", "ST-15"),
    ("duplicate-story", "ST-18"),
    ("story-without-epic", "ST-19"),
    ("unknown-persona", "ST-20"),
    ("story-missing-persona", "ST-21"),
    ("persona-alias-used", "ST-5"),
    ("epic-without-problem", "EP-4"),
    ("risk-register-stale", "RK-2"),
    // The Game Plan's, noted in `backlog.toml` or `stakeholders.toml`.
    ("problem-not-implementation-free", "P4"),
    ("problem-without-epic", "P5"),
    ("stakeholders-missing-decision-maker", "SC3"),
    ("success-criterion-not-measurable", "SC4"),
    ("success-criterion-without-epic", "SC5"),
    ("dod-not-measurable", "Pilot with three customers"),
    ("milestone-overdue", "Usage insights preview"),
    ("dod-untraced", "Security review"),
    ("persona-unused", "account manager"),
    ("stakeholder-summary-overdue", "Steering committee"),
    ("stakeholder-missing-channel", "Contoso finance"),
];

fn lint_json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = run_cli(&root(), args);
    let json = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), json)
}

#[test]
fn lint_reports_every_deliberate_defect_of_the_sample_and_nothing_else() {
    let (code, json) = lint_json(&["lint", "examples/backlog", "--format", "json", "--today", "2026-11-22"]);
    assert_eq!(code, 1, "error-level findings exit 1");
    let found: BTreeSet<(String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["item"].as_str().unwrap().to_string()))
        .collect();
    let want: BTreeSet<(String, String)> = SAMPLE_DEFECTS.iter().map(|(r, i)| (r.to_string(), i.to_string())).collect();
    assert_eq!(found, want);
    for f in json["findings"].as_array().unwrap() {
        let path = root().join(f["path"].as_str().unwrap());
        let line = f["line"].as_u64().unwrap() as usize;
        assert!(line >= 1 && line <= fs::read_to_string(&path).unwrap().lines().count() + 1, "{f}");
    }
    // Every defect is noted in a comment in its file.
    for (rule, item) in SAMPLE_DEFECTS {
        let file = match item.get(..3).unwrap_or("") {
            "EP-" => format!("epics/{item}.md"),
            "ST-" => format!("stories/{item}.md"),
            "RK-" => format!("risks/{item}.md"),
            _ if rule.starts_with("stakeholder-") => "stakeholders.toml".to_string(),
            _ => "backlog.toml".to_string(),
        };
        let text = fs::read_to_string(sample_backlog().join(file)).unwrap();
        assert!(text.contains(&format!("({rule})")), "{item} does not note its defect `{rule}`");
    }
}

#[test]
fn lint_table_and_github_formats() {
    let out = run_cli(&root(), &["lint", "examples/backlog", "--today", "2026-11-22"]);
    assert_eq!(out.status.code(), Some(1));
    let table = stdout(&out);
    assert!(table.contains("risk-missing-mitigation") && table.contains("examples/backlog/risks/RK-3.md:"), "{table}");
    assert!(table.contains("3 error(s), 17 warning(s), 7 info"), "{table}");

    let out = run_cli(&root(), &["lint", "examples/backlog", "--format", "github", "--today", "2026-11-22"]);
    let text = stdout(&out);
    assert!(
        text.lines().all(|l| l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice ")),
        "{text}"
    );
    assert!(text.contains("::error file=examples/backlog/risks/RK-3.md,line="), "{text}");
}

#[test]
fn lint_stories_file_reports_lines_and_skips_blank_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("export.txt");
    fs::write(
        &file,
        "As a customer admin, I want to invite teammates, so that my team is onboarded.\n\nI want to export my data so that I can leave.\nAs a support agent, I want to see delivery status\n",
    )
    .unwrap();
    let out = run_cli(tmp.path(), &["lint", "--stories", "export.txt", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let found: BTreeSet<(String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        found,
        BTreeSet::from([("story-missing-persona".to_string(), 3), ("story-missing-benefit".to_string(), 4)])
    );
}

#[test]
fn lint_on_a_folder_that_is_not_a_backlog_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_cli(tmp.path(), &["lint", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("backlog-sync init"), "{}", stderr(&out));
    let out = run_cli(tmp.path(), &["lint", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2), "bad arguments are usage errors");
}

#[test]
fn severity_overrides_from_settings_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("settings.toml");
    fs::write(&cfg, "[lint.severity]\nrisk-missing-mitigation = \"warning\"\nrisk-missing-likelihood = \"off\"\nstory-missing-persona = \"info\"\n").unwrap();
    let out = run_cli(
        &root(),
        &["lint", "examples/backlog", "--config", cfg.to_str().unwrap(), "--format", "json", "--today", "2026-11-22"],
    );
    assert_eq!(out.status.code(), Some(0), "no error-level finding is left: {}", stdout(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(!json["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "risk-missing-likelihood"));

    fs::write(&cfg, "[lint.severity]\nno-such-rule = \"error\"\n").unwrap();
    let out = run_cli(&root(), &["lint", "examples/backlog", "--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-rule"), "{}", stderr(&out));
}

#[test]
fn init_scaffolds_a_backlog_that_validates_and_lints_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_cli(tmp.path(), &["init", "mine"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = tmp.path().join("mine");
    for f in
        ["backlog.toml", "stakeholders.toml", "epics/EP-1.md", "stories/ST-1.md", "risks/RK-1.md", "backlog-sync.toml"]
    {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let out = run_cli(tmp.path(), &["validate", "--config", "mine/backlog-sync.toml"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("1 epic(s), 1 stor(ies), 1 risk(s)"), "{}", stdout(&out));
    let out = run_cli(tmp.path(), &["lint", "mine", "--today", "2026-11-22"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let again = run_cli(tmp.path(), &["init", "mine"]);
    assert_eq!(again.status.code(), Some(2), "init never overwrites");
}

#[test]
fn init_scaffold_passes_every_rule_including_the_game_plan_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_cli(tmp.path(), &["init", "mine"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (code, json) = lint_json(&["lint", tmp.path().join("mine").to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(json["findings"], serde_json::json!([]), "the scaffold is the example to follow");
}

#[test]
fn validate_reports_structure_problems_without_changing_anything() {
    let (_tmp, dir) = copy_tree(&sample_backlog());
    fs::write(dir.join("stories/ST-5.md"), "no front matter here\n").unwrap();
    let out = run_cli(&dir, &["validate", "."]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("ST-5.md:1:") && text.contains("does not start with `---`"), "{text}");
    assert!(text.contains("note: `ST-9`: persona, activity and benefit derived from its title"), "{text}");
    assert_eq!(fs::read_to_string(dir.join("stories/ST-5.md")).unwrap(), "no front matter here\n");
}

#[test]
fn validate_checks_each_target_and_summary_channel_without_sending_anything() {
    let (tmp, dir) = copy_tree(&sample_backlog());
    let config = tmp.path().join("settings.toml");
    fs::write(
        &config,
        format!(
            "[backlog]\npath = {dir:?}\n\n[[targets]]\nname = \"gh\"\nkind = \"github\"\nrepository = \"contoso/onboarding\"\napi_url = \"http://127.0.0.1:9\"\ntoken_env = \"BACKLOG_SYNC_TEST_UNSET_TOKEN\"\nmapping = {:?}\n\n[[targets]]\nname = \"boards\"\nkind = \"azure-boards\"\norganization_url = \"https://dev.azure.com/contoso\"\nproject = \"Onboarding\"\ntoken_env = \"BACKLOG_SYNC_TEST_UNSET_TOKEN\"\nmapping = \"no/such/mapping.toml\"\n",
            root().join("mappings/github/default.toml")
        ),
    )
    .unwrap();
    let out = run_cli(&dir, &["validate", "--config", config.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}{}", stderr(&out));
    assert!(text.contains("BACKLOG_SYNC_TEST_UNSET_TOKEN"), "the missing token is named: {text}");
    assert!(
        text.contains("target `boards`: the mapping file `") && text.contains("no/such/mapping.toml` does not exist"),
        "{text}"
    );
    assert!(stderr(&out).contains("2 target(s) cannot be used"), "{}", stderr(&out));

    let fine = tmp.path().join("fine.toml");
    fs::write(&fine, format!("[backlog]\npath = {dir:?}\n")).unwrap();
    let out = run_cli(&dir, &["validate", "--config", fine.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "unconfigured channels warn, they do not fail: {text}");
    assert!(text.contains("summary channel `file`: ok"), "{text}");
    assert!(
        text.contains("warning: summary channel `teams`: set `[summary.channels.teams] webhook_url_env`"),
        "{text}"
    );
}

#[test]
fn lint_rules_lists_the_game_plan_rules_with_their_severity() {
    let out = run_cli(&root(), &["lint", "--rules"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for (rule, severity) in [
        ("problem-not-implementation-free", "info"),
        ("stakeholders-missing-decision-maker", "warning"),
        ("stakeholder-summary-overdue", "warning"),
        ("risk-register-stale", "warning"),
        ("persona-unused", "info"),
    ] {
        let line =
            text.lines().find(|l| l.starts_with(&format!("{rule} "))).unwrap_or_else(|| panic!("{rule}: {text}"));
        assert_eq!(line.split_whitespace().nth(1), Some(severity), "{line}");
    }
}

#[test]
fn stakeholder_summary_overdue_counts_from_the_posts_the_store_recorded() {
    use backlog_sync::store::{Post, Store};
    let (_tmp, dir) = copy_tree(&sample_backlog());
    let overdue = |dir: &std::path::Path| {
        let (_, json) = lint_json(&["lint", dir.to_str().unwrap(), "--format", "json", "--today", "2026-11-22"]);
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "stakeholder-summary-overdue")
            .map(|f| f["item"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(overdue(&dir), ["Steering committee"], "counted from `since` with no store");
    let store = Store::open(&dir.join(".backlog-sync/state.db")).unwrap();
    let posted = |day: &str| Post {
        channel: "file".into(),
        audience: "executive".into(),
        period: day[..7].into(),
        remote_ref: None,
        posted_at: format!("{day}T09:00:00Z").parse().unwrap(),
        state: "done".into(),
    };
    store.record_post(&posted("2026-11-02")).unwrap();
    assert_eq!(overdue(&dir), Vec::<String>::new(), "a monthly summary 20 days ago is on time");
    let (_tmp2, dir2) = copy_tree(&sample_backlog());
    let old = Store::open(&dir2.join(".backlog-sync/state.db")).unwrap();
    old.record_post(&posted("2026-10-01")).unwrap();
    assert_eq!(overdue(&dir2), ["Steering committee"], "the last summary, 52 days ago, is a month late");
}
