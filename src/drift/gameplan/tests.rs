//! Table tests for the Game Plan rules: what each flags and what it must not flag.

use super::*;
use crate::backlog::project::{Decides, Milestone, Problem, SuccessCriterion, parse_toml};
use crate::drift::Severity;
use crate::model::Persona;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn epic(id: &str, done: bool) -> EpicRef {
    EpicRef { id: id.into(), done, path: Some(format!("epics/{id}.md").into()), line: Some(3) }
}

fn project() -> Project {
    let mut p = Project::named("x");
    p.problems = vec![Problem {
        id: "P1".into(),
        statement: "Admins invite few colleagues.".into(),
        epics: vec!["EP-1".into()],
    }];
    p.success_criteria = vec![SuccessCriterion {
        id: "SC1".into(),
        description: "Teams grow.".into(),
        measure: Some("active users per tenant on day 14".into()),
        target: Some("at least 5".into()),
        epics: vec!["EP-1".into()],
    }];
    p.milestones = vec![Milestone {
        name: "Pilot".into(),
        due: Some(day("2026-12-18")),
        definition_of_done: vec!["every story of EP-1 is resolved".into()],
        epics: vec!["EP-1".into()],
        criteria: vec!["SC1".into()],
        start: None,
        closed: false,
    }];
    p.personas = vec![Persona { name: "customer admin".into(), aliases: vec!["admin".into()], description: None }];
    p
}

fn stakeholder(name: &str) -> Stakeholder {
    parse_toml::<crate::backlog::project::Stakeholders>(&format!(
        "[[stakeholders]]\nname = \"{name}\"\nrole = \"r\"\naudience = \"team\"\nchannel = \"file\"\ncadence = \"weekly\"\ndecides = true\n"
    ))
    .unwrap()
    .stakeholders
    .remove(0)
}

/// A Game Plan that passes every rule; each case changes one thing.
fn plan<'a>(project: &'a Project, stakeholders: &'a [Stakeholder]) -> GamePlan<'a> {
    GamePlan {
        project,
        stakeholders,
        epics: vec![epic("EP-1", false)],
        stories: vec![StoryPersona { item: "ST-1".into(), persona: "customer admin".into(), path: None, line: None }],
        risks: vec![RiskReview { item: "RK-1".into(), reviewed: Some(day("2026-11-10")), path: None, line: None }],
        posts: vec![SummaryPost { channel: "file".into(), audience: "team".into(), on: day("2026-11-20") }],
        files: PlanFiles::default(),
        today: day("2026-11-22"),
    }
}

fn found(plan: &GamePlan) -> Vec<(String, String)> {
    let mut got: Vec<(String, String)> =
        check_game_plan(plan).into_iter().map(|f| (f.rule, f.item.unwrap_or_default())).collect();
    got.sort();
    got
}

#[test]
fn a_sound_game_plan_passes_every_rule() {
    let (p, s) = (project(), [stakeholder("Sponsor")]);
    assert_eq!(found(&plan(&p, &s)), Vec::<(String, String)>::new());
}

/// One change to the sound plan and the findings it must give (rule, item).
type Case = (&'static str, fn(&mut Project, &mut Vec<Stakeholder>), &'static [(&'static str, &'static str)]);

#[test]
fn each_project_or_stakeholder_defect_is_flagged_and_nothing_else() {
    let cases: &[Case] = &[
        (
            "a problem naming a technology",
            |p, _| p.problems[0].statement = "Invites are stored in PostgreSQL and get lost.".into(),
            &[("problem-not-implementation-free", "P1")],
        ),
        (
            "a problem proposing a solution",
            |p, _| p.problems[0].statement = "We need to build a mobile app.".into(),
            &[("problem-not-implementation-free", "P1")],
        ),
        (
            "a problem with no epic",
            |p, _| p.problems.push(Problem { id: "P2".into(), statement: "Setup is slow.".into(), epics: vec![] }),
            &[("problem-without-epic", "P2")],
        ),
        (
            "a problem naming only an unknown epic",
            |p, _| p.problems[0].epics = vec!["EP-9".into()],
            &[("epic-without-problem", "EP-1"), ("problem-without-epic", "P1")],
        ),
        (
            "a criterion without measure",
            |p, _| p.success_criteria[0].measure = None,
            &[("success-criterion-not-measurable", "SC1")],
        ),
        (
            "a criterion with a vague target",
            |p, _| p.success_criteria[0].target = Some("much better".into()),
            &[("success-criterion-not-measurable", "SC1")],
        ),
        (
            "a criterion no epic works towards",
            |p, _| p.success_criteria[0].epics.clear(),
            &[("success-criterion-without-epic", "SC1")],
        ),
        (
            "a definition of done that is an opinion",
            |p, _| p.milestones[0].definition_of_done.push("the product feels good".into()),
            &[("dod-not-measurable", "Pilot")],
        ),
        ("a milestone tracing no criterion", |p, _| p.milestones[0].criteria.clear(), &[("dod-untraced", "Pilot")]),
        (
            "a milestone past due with an open epic",
            |p, _| p.milestones[0].due = Some(day("2026-11-01")),
            &[("milestone-overdue", "Pilot")],
        ),
        (
            "no stakeholder decides on a criterion",
            |_, s| s[0].decides = Decides::Criteria(vec!["SC2".into()]),
            &[("stakeholders-missing-decision-maker", "SC1")],
        ),
        (
            "a stakeholder without channel",
            |_, s| s.push(Stakeholder { channel: String::new(), ..stakeholder("Team") }),
            &[("stakeholder-missing-channel", "Team")],
        ),
        (
            "a stakeholder without cadence",
            |_, s| s.push(Stakeholder { cadence: " ".into(), ..stakeholder("Team") }),
            &[("stakeholder-missing-channel", "Team")],
        ),
        (
            "a stakeholder nobody posted to since they joined",
            |_, s| {
                s.push(Stakeholder {
                    channel: "slack".into(),
                    since: Some(day("2026-10-01")),
                    ..stakeholder("Steering")
                })
            },
            &[("stakeholder-summary-overdue", "Steering")],
        ),
        (
            "a persona no story uses",
            |p, _| p.personas.push(Persona { name: "billing contact".into(), aliases: vec![], description: None }),
            &[("persona-unused", "billing contact")],
        ),
    ];
    for (what, change, want) in cases {
        let (mut p, mut s) = (project(), vec![stakeholder("Sponsor")]);
        change(&mut p, &mut s);
        let want: Vec<(String, String)> = want.iter().map(|(r, i)| (r.to_string(), i.to_string())).collect();
        assert_eq!(found(&plan(&p, &s)), want, "{what}");
    }
}

#[test]
fn what_the_rules_must_not_flag() {
    let cases: &[Case] = &[
        (
            "a problem with numbers and plain words",
            |p, _| p.problems[0].statement = "60% of new tenants have one active user after 30 days.".into(),
            &[],
        ),
        (
            "targets with a threshold, a date or a word number",
            |p, _| {
                p.success_criteria[0].target = Some("all pilot tenants by March".into());
                p.success_criteria.push(SuccessCriterion {
                    target: Some("under 1.5 (from 6.2)".into()),
                    id: "SC2".into(),
                    ..p.success_criteria[0].clone()
                });
            },
            &[],
        ),
        (
            "a milestone naming its criterion only in its definition of done",
            |p, _| {
                p.milestones[0].criteria.clear();
                p.milestones[0].definition_of_done.push("SC1 is met for two weeks".into());
            },
            &[],
        ),
        ("a milestone past due whose epics are done", |p, _| p.milestones[0].due = Some(day("2026-10-01")), &[]),
        ("a milestone due today", |p, _| p.milestones[0].due = Some(day("2026-11-22")), &[]),
        ("a milestone with no due date", |p, _| p.milestones[0].due = None, &[]),
        (
            "a decision maker for exactly the criterion",
            |_, s| s[0].decides = Decides::Criteria(vec!["sc1".into()]),
            &[],
        ),
        ("no stakeholders at all: no map to check", |_, s| s.clear(), &[]),
        ("a stakeholder posted to within their cadence", |_, s| s[0].since = Some(day("2026-01-01")), &[]),
        ("a stakeholder with no post and no `since`: nothing known", |_, s| s[0].channel = "teams".into(), &[]),
        (
            "a Game Plan without problems, criteria and personas",
            |p, s| {
                p.problems.clear();
                p.success_criteria.clear();
                p.milestones[0].criteria.clear();
                p.personas.clear();
                s[0].decides = Decides::All(true);
            },
            &[],
        ),
    ];
    for (what, change, want) in cases {
        let (mut p, mut s) = (project(), vec![stakeholder("Sponsor")]);
        change(&mut p, &mut s);
        let mut gp = plan(&p, &s);
        if *what == "a milestone past due whose epics are done" {
            gp.epics = vec![epic("EP-1", true)];
        }
        let want: Vec<(String, String)> = want.iter().map(|(r, i)| (r.to_string(), i.to_string())).collect();
        assert_eq!(found(&gp), want, "{what}");
    }
}

#[test]
fn an_epic_serving_no_problem_is_flagged_at_its_file() {
    let (p, s) = (project(), [stakeholder("Sponsor")]);
    let mut gp = plan(&p, &s);
    gp.epics.push(epic("EP-2", false));
    let f = check_problems(&gp);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].rule.as_str(), f[0].severity), ("epic-without-problem", Severity::Info));
    assert_eq!((f[0].path.as_deref(), f[0].line), (Some(std::path::Path::new("epics/EP-2.md")), Some(3)));
}

#[test]
fn a_risk_register_is_stale_only_when_reviews_are_recorded_and_all_old() {
    let (p, s) = (project(), [stakeholder("Sponsor")]);
    let review = |item: &str, on: Option<&str>| RiskReview {
        item: item.into(),
        reviewed: on.map(day),
        path: Some(format!("risks/{item}.md").into()),
        line: Some(9),
    };
    type Reviews = &'static [(&'static str, Option<&'static str>)];
    let cases: &[(Reviews, Option<&str>)] = &[
        (&[("RK-1", Some("2026-09-01")), ("RK-2", Some("2026-10-01"))], Some("RK-2")),
        (&[("RK-1", Some("2026-09-01")), ("RK-2", Some("2026-11-01"))], None),
        (&[("RK-1", Some("2026-10-23"))], None),
        (&[("RK-1", None), ("RK-2", None)], None),
        (&[], None),
    ];
    for (risks, want) in cases {
        let mut gp = plan(&p, &s);
        gp.risks = risks.iter().map(|(i, d)| review(i, *d)).collect();
        let got = check_risk_register(&gp);
        assert_eq!(got.as_ref().and_then(|f| f.item.as_deref()), *want, "{risks:?}");
        if let Some(f) = got {
            assert_eq!((f.rule.as_str(), f.severity, f.line), ("risk-register-stale", Severity::Warning, Some(9)));
            assert!(f.message.contains("last 30 days") && f.message.contains("2026-10-01"), "{}", f.message);
        }
    }
}

#[test]
fn personas_by_alias_are_flagged_and_by_name_in_any_case_are_not() {
    let (p, s) = (project(), [stakeholder("Sponsor")]);
    let cases: &[(&str, bool)] = &[
        ("admin", true),
        ("Admins", true),
        ("customer admin", false),
        ("Customer Admins", false),
        ("astronaut", false),
    ];
    for (persona, flagged) in cases {
        let mut gp = plan(&p, &s);
        gp.stories.push(StoryPersona {
            item: "ST-2".into(),
            persona: persona.to_string(),
            path: Some("stories/ST-2.md".into()),
            line: Some(5),
        });
        let f = check_personas(&gp);
        assert_eq!(f.iter().any(|f| f.rule == "persona-alias-used"), *flagged, "{persona}");
        if *flagged {
            assert!(f[0].hint.as_deref().unwrap().contains("persona: customer admin"), "{:?}", f[0].hint);
            assert_eq!(f[0].line, Some(5));
        }
    }
}

#[test]
fn findings_point_at_their_line_in_the_toml_files() {
    let text = "name = \"x\"\n\n[[problems]]\nid = \"P1\"\n\n[[milestones]]\nname = \"Pilot\"  # first\n\n[[personas]]\nname = \"Pilot\"\n";
    assert_eq!(toml_line(text, "problems", "id", "P1"), Some(4));
    assert_eq!(toml_line(text, "milestones", "name", "Pilot"), Some(7));
    assert_eq!(toml_line(text, "personas", "name", "Pilot"), Some(10));
    assert_eq!(toml_line(text, "problems", "id", "P2"), None);
    let (mut p, s) = (project(), [stakeholder("Sponsor")]);
    p.problems[0].epics.clear();
    let mut gp = plan(&p, &s);
    gp.files =
        PlanFiles { backlog_toml: Some("b/backlog.toml".into()), backlog_text: text.into(), ..PlanFiles::default() };
    let f = check_problems(&gp);
    assert_eq!((f[0].rule.as_str(), f[0].line), ("problem-without-epic", Some(4)));
    assert_eq!(f[0].path.as_deref(), Some(std::path::Path::new("b/backlog.toml")));
}

#[test]
fn every_game_plan_rule_has_its_default_severity() {
    use Severity::*;
    for (id, severity) in [
        ("problem-not-implementation-free", Info),
        ("problem-without-epic", Warning),
        ("epic-without-problem", Info),
        ("success-criterion-not-measurable", Warning),
        ("success-criterion-without-epic", Warning),
        ("dod-not-measurable", Warning),
        ("dod-untraced", Info),
        ("milestone-overdue", Warning),
        ("stakeholders-missing-decision-maker", Warning),
        ("stakeholder-missing-channel", Warning),
        ("stakeholder-summary-overdue", Warning),
        ("risk-register-stale", Warning),
        ("persona-alias-used", Info),
        ("persona-unused", Info),
    ] {
        let rule = crate::drift::rule(id).unwrap_or_else(|| panic!("{id} is not in RULES"));
        assert_eq!(rule.severity, severity, "{id}");
        assert!(!rule.hint.is_empty(), "{id} has a hint");
    }
}
