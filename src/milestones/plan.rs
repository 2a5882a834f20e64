//! The pure milestone plan: `[[milestones]]` of `backlog.toml` against each target's milestones
//! (GitHub) or iterations (Azure Boards) → what to create, re-date or re-describe on a target and
//! which tracker milestones to import into `backlog.toml`. Deterministic and sorted.

use chrono::{Duration, NaiveDate};

use crate::backlog::project::Milestone;

/// A milestone as one target holds it, whatever the tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerMilestone {
    /// GitHub: the title; Azure: the iteration path below the project's root.
    pub name: String,
    /// GitHub: the number; Azure: the path (what an update names).
    pub key: String,
    pub due: Option<NaiveDate>,
    /// Azure: the iteration's start.
    pub start: Option<NaiveDate>,
    /// GitHub: the description (the definition of done); Azure: none.
    pub description: Option<String>,
    pub closed: bool,
}

/// Which kind of tracker a target is: what its milestones carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracker {
    /// Title, due date, description, open/closed.
    Github,
    /// Name, start and finish dates.
    Azure,
}

/// One target's milestones as read this run.
#[derive(Debug, Clone)]
pub struct TargetMilestones {
    pub target: String,
    pub tracker: Tracker,
    pub milestones: Vec<TrackerMilestone>,
}

/// What a milestone should look like on a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub name: String,
    pub due: Option<NaiveDate>,
    pub start: Option<NaiveDate>,
    pub description: String,
    pub closed: bool,
}

/// One step of the milestone plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MilestoneAction {
    /// Append this milestone to `backlog.toml` (made on tracker `from`).
    Import {
        from: String,
        milestone: Milestone,
    },
    Create {
        target: String,
        wanted: Wanted,
    },
    Update {
        target: String,
        key: String,
        wanted: Wanted,
    },
}

/// The heading of the definition of done in a GitHub milestone's description.
const DOD_HEADING: &str = "Definition of done:";

/// A definition of done as a milestone description: a heading and one `- ` line each.
pub fn describe(definition_of_done: &[String]) -> String {
    if definition_of_done.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = definition_of_done.iter().map(|d| format!("- {}", d.trim())).collect();
    format!("{DOD_HEADING}\n{}", lines.join("\n"))
}

/// The definition of done a description holds: its `- ` / `* ` lines, or else its text as one
/// entry (a person wrote a sentence).
pub fn definition_of_done(description: &str) -> Vec<String> {
    let text = description.trim();
    let listed: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- ").or_else(|| l.trim().strip_prefix("* ")))
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    let rest = text.strip_prefix(DOD_HEADING).unwrap_or(text).trim();
    if rest.is_empty() { Vec::new() } else { vec![rest.to_string()] }
}

/// The iteration start of each milestone: its own `start`, else the day after the previous
/// milestone's due date (by due date), else two weeks before its own due date.
fn start_of(m: &Milestone, all: &[Milestone]) -> Option<NaiveDate> {
    if m.start.is_some() {
        return m.start;
    }
    let due = m.due?;
    let previous = all.iter().filter_map(|o| o.due).filter(|d| *d < due).max();
    Some(previous.map(|d| d + Duration::days(1)).unwrap_or(due - Duration::days(13)))
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The milestone a tracker's milestone becomes in `backlog.toml`.
fn imported(m: &TrackerMilestone) -> Milestone {
    Milestone {
        name: m.name.trim().to_string(),
        due: m.due,
        definition_of_done: m.description.as_deref().map(definition_of_done).unwrap_or_default(),
        epics: Vec::new(),
        criteria: Vec::new(),
        start: m.start,
        closed: m.closed,
    }
}

/// Whether `have` on a tracker of `kind` already holds `want` (in what that tracker carries).
fn holds(kind: Tracker, have: &TrackerMilestone, want: &Wanted) -> bool {
    match kind {
        Tracker::Github => {
            have.due == want.due
                && have.closed == want.closed
                && definition_of_done(have.description.as_deref().unwrap_or(""))
                    == definition_of_done(&want.description)
        }
        Tracker::Azure => {
            let (start, finish) = if want.due.is_some() { (want.start, want.due) } else { (None, None) };
            have.start == start && have.due == finish
        }
    }
}

/// The plan: imports first (tracker milestones `backlog.toml` lacks, the first target's version
/// winning), then per target the creates and updates that make it hold every milestone of
/// `backlog.toml` (with the imports). `backlog.toml` decides a milestone's dates, definition of
/// done and state; a tracker's edit of them is overwritten.
pub fn plan(canonical: &[Milestone], targets: &[TargetMilestones]) -> Vec<MilestoneAction> {
    let mut out = Vec::new();
    let mut all: Vec<Milestone> = canonical.to_vec();
    for t in targets {
        for m in &t.milestones {
            if m.name.trim().is_empty() || all.iter().any(|c| same_name(&c.name, &m.name)) {
                continue;
            }
            let milestone = imported(m);
            out.push(MilestoneAction::Import { from: t.target.clone(), milestone: milestone.clone() });
            all.push(milestone);
        }
    }
    for t in targets {
        for m in &all {
            let wanted = Wanted {
                name: m.name.trim().to_string(),
                due: m.due,
                start: start_of(m, &all),
                description: describe(&m.definition_of_done),
                closed: m.closed,
            };
            match t.milestones.iter().find(|h| same_name(&h.name, &m.name)) {
                None => out.push(MilestoneAction::Create { target: t.target.clone(), wanted }),
                Some(have) if !holds(t.tracker, have, &wanted) => {
                    out.push(MilestoneAction::Update { target: t.target.clone(), key: have.key.clone(), wanted })
                }
                Some(_) => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn canonical(name: &str, due: &str, dod: &[&str]) -> Milestone {
        Milestone {
            name: name.into(),
            due: Some(day(due)),
            definition_of_done: dod.iter().map(|s| s.to_string()).collect(),
            epics: Vec::new(),
            criteria: Vec::new(),
            start: None,
            closed: false,
        }
    }

    fn github(name: &str, due: Option<&str>, description: &str, closed: bool) -> TrackerMilestone {
        TrackerMilestone {
            name: name.into(),
            key: format!("#{name}"),
            due: due.map(day),
            start: None,
            description: Some(description.into()),
            closed,
        }
    }

    fn azure(path: &str, start: Option<&str>, finish: Option<&str>) -> TrackerMilestone {
        TrackerMilestone {
            name: path.into(),
            key: path.into(),
            due: finish.map(day),
            start: start.map(day),
            description: None,
            closed: false,
        }
    }

    fn targets(gh: Vec<TrackerMilestone>, az: Vec<TrackerMilestone>) -> Vec<TargetMilestones> {
        vec![
            TargetMilestones { target: "github".into(), tracker: Tracker::Github, milestones: gh },
            TargetMilestones { target: "boards".into(), tracker: Tracker::Azure, milestones: az },
        ]
    }

    /// What each case's plan does, in short: `import:NAME<-TARGET`, `create:TARGET:NAME`,
    /// `update:TARGET:KEY`.
    fn short(actions: &[MilestoneAction]) -> Vec<String> {
        actions
            .iter()
            .map(|a| match a {
                MilestoneAction::Import { from, milestone } => format!("import:{}<-{from}", milestone.name),
                MilestoneAction::Create { target, wanted } => format!("create:{target}:{}", wanted.name),
                MilestoneAction::Update { target, key, .. } => format!("update:{target}:{key}"),
            })
            .collect()
    }

    #[test]
    fn milestone_plan_table() {
        let pilot = canonical("Pilot", "2026-12-18", &["three tenants live"]);
        let ga = canonical("GA", "2027-03-31", &["signed off"]);
        let pilot_gh = github("Pilot", Some("2026-12-18"), &describe(&pilot.definition_of_done), false);
        let pilot_az = azure("Pilot", Some("2026-12-05"), Some("2026-12-18"));
        type Case = (&'static str, Vec<Milestone>, Vec<TargetMilestones>, Vec<&'static str>);
        let cases: Vec<Case> = vec![
            (
                "a milestone only in backlog.toml is created on every target",
                vec![pilot.clone()],
                targets(vec![], vec![]),
                vec!["create:github:Pilot", "create:boards:Pilot"],
            ),
            (
                "in step everywhere: nothing to do",
                vec![pilot.clone()],
                targets(vec![pilot_gh.clone()], vec![pilot_az.clone()]),
                vec![],
            ),
            (
                "names match whatever their case",
                vec![pilot.clone()],
                targets(
                    vec![TrackerMilestone { name: "pilot".into(), ..pilot_gh.clone() }],
                    vec![azure("PILOT", Some("2026-12-05"), Some("2026-12-18"))],
                ),
                vec![],
            ),
            (
                "a moved due date in backlog.toml re-dates both trackers",
                vec![canonical("Pilot", "2026-12-20", &["three tenants live"])],
                targets(vec![pilot_gh.clone()], vec![pilot_az.clone()]),
                vec!["update:github:#Pilot", "update:boards:Pilot"],
            ),
            (
                "a person's sentence as description is the definition of done",
                vec![canonical("Pilot", "2026-12-18", &["three tenants live"])],
                targets(vec![github("Pilot", Some("2026-12-18"), "three tenants live", false)], vec![pilot_az.clone()]),
                vec![],
            ),
            (
                "a milestone made on GitHub is imported and made on Boards",
                vec![pilot.clone()],
                targets(
                    vec![pilot_gh.clone(), github("Beta", Some("2027-01-29"), "- invited", false)],
                    vec![pilot_az.clone()],
                ),
                vec!["import:Beta<-github", "create:boards:Beta"],
            ),
            (
                "an iteration made on Boards is imported and made on GitHub",
                vec![],
                targets(vec![], vec![azure("Sprint 9", Some("2027-02-01"), Some("2027-02-12"))]),
                vec!["import:Sprint 9<-boards", "create:github:Sprint 9"],
            ),
            (
                "two milestones keep their order; the later starts after the earlier",
                vec![ga.clone(), pilot.clone()],
                targets(vec![pilot_gh.clone()], vec![pilot_az.clone()]),
                vec!["create:github:GA", "create:boards:GA"],
            ),
        ];
        for (name, canon, ts, want) in cases {
            assert_eq!(short(&plan(&canon, &ts)), want, "{name}");
        }
    }

    #[test]
    fn iteration_dates_follow_the_previous_milestone() {
        let pilot = canonical("Pilot", "2026-12-18", &[]);
        let ga = canonical("GA", "2027-03-31", &[]);
        let all = [ga.clone(), pilot.clone()];
        assert_eq!(start_of(&pilot, &all), Some(day("2026-12-05")));
        assert_eq!(start_of(&ga, &all), Some(day("2026-12-19")));
        let own = Milestone { start: Some(day("2027-01-04")), ..ga.clone() };
        assert_eq!(start_of(&own, &all), Some(day("2027-01-04")));
        let undated = Milestone { due: None, ..ga };
        assert_eq!(start_of(&undated, &all), None);
    }

    #[test]
    fn definition_of_done_round_trips_through_a_description() {
        let dod = vec!["three tenants live".to_string(), "runbook written".to_string()];
        assert_eq!(describe(&dod), "Definition of done:\n- three tenants live\n- runbook written");
        assert_eq!(definition_of_done(&describe(&dod)), dod);
        assert_eq!(definition_of_done("Ship it.\n"), ["Ship it."]);
        assert_eq!(definition_of_done("* a\n* b"), ["a", "b"]);
        assert!(definition_of_done("").is_empty() && describe(&[]).is_empty());
    }

    #[test]
    fn imported_milestones_carry_what_the_tracker_knew() {
        let actions = plan(&[], &targets(vec![github("Beta", Some("2027-01-29"), "- invited\n- paid", true)], vec![]));
        let MilestoneAction::Import { milestone, .. } = &actions[0] else { panic!("{actions:?}") };
        assert_eq!(milestone.definition_of_done, ["invited", "paid"]);
        assert_eq!(milestone.due, Some(day("2027-01-29")));
        assert!(milestone.closed);
    }
}
