//! The summary model: a pure function from the backlog, the store's runs, changes and conflicts
//! and the drift findings to what a stakeholder summary says. No I/O; every list is sorted.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::changes::{ChangeSet, classify};
use super::health::{DriftSummary, TargetHealth, drift_summary, target_health};
use crate::backlog::Backlog;
use crate::drift::Finding;
use crate::model::{Item, Kind, State};
use crate::store::{Change, Conflict, Run};

/// Everything a summary is built from: gathered from disk and the store by
/// [`gather`](super::gather::gather), or written out by a test.
#[derive(Debug, Clone)]
pub struct Facts {
    pub backlog: Backlog,
    /// Lint findings over the backlog (severity overrides applied).
    pub findings: Vec<Finding>,
    /// The store's change log since `since`, oldest first.
    pub changes: Vec<Change>,
    /// When this audience's last summary went out (or the start of the period).
    pub since: DateTime<Utc>,
    /// Recent runs, newest first.
    pub runs: Vec<Run>,
    /// Each configured target with its last successful run.
    pub targets: Vec<(String, Option<Run>)>,
    pub conflicts: Vec<Conflict>,
}

/// What the caller decides: who the summary is for, for which period, as of when.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub audience: String,
    /// The period key, e.g. `2026-W45`.
    pub period: String,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    /// How many risks `top_risks` holds.
    pub top_risks: usize,
}

/// A rendered-ready stakeholder summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub project: String,
    pub description: Option<String>,
    pub audience: String,
    pub period: String,
    pub today: NaiveDate,
    pub generated_at: String,
    pub progress: Progress,
    pub epics: Vec<EpicProgress>,
    /// Live stories that belong to no epic.
    pub stories_without_epic: Vec<String>,
    pub changes: ChangeSet,
    /// Open risks, highest exposure first; unrated ones last.
    pub risks: Vec<RiskLine>,
    pub top_risks: Vec<RiskLine>,
    pub overdue_reviews: Vec<RiskLine>,
    /// Open rated risks counted by likelihood (rows, low→critical) × severity (columns, low→critical).
    pub risk_matrix: [[u32; 4]; 4],
    pub drift: DriftSummary,
    pub sync: Vec<TargetHealth>,
    pub conflicts: Vec<Conflict>,
    pub problems: Vec<Goal>,
    pub success_criteria: Vec<Goal>,
    pub milestones: Vec<MilestoneLine>,
    /// What a sponsor or the product owner has to decide or chase.
    pub decisions: Vec<Decision>,
}

/// Story counts by state; `removed` stories count in no total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StateCounts {
    pub new: u32,
    pub active: u32,
    pub resolved: u32,
    pub closed: u32,
    pub removed: u32,
}

/// Done of total, in stories and in points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Progress {
    pub stories: StateCounts,
    pub stories_done: u32,
    pub stories_total: u32,
    pub points_done: f64,
    /// Points of active stories.
    pub points_active: f64,
    pub points_total: f64,
    /// Points done of points total (stories when no story has points), 0–100.
    pub percent: u32,
}

impl Progress {
    fn add(&mut self, story: &Item) {
        let c = &mut self.stories;
        match story.state {
            State::New => c.new += 1,
            State::Active => c.active += 1,
            State::Resolved => c.resolved += 1,
            State::Closed => c.closed += 1,
            State::Removed => {
                c.removed += 1;
                return;
            }
        }
        let done = story.state.is_done();
        let points = story.points.unwrap_or(0.0);
        self.stories_total += 1;
        self.points_total += points;
        if done {
            self.stories_done += 1;
            self.points_done += points;
        } else if story.state == State::Active {
            self.points_active += points;
        }
        self.percent = percent_of(self);
    }
}

fn percent_of(p: &Progress) -> u32 {
    let (done, total) = if p.points_total > 0.0 {
        (p.points_done, p.points_total)
    } else {
        (f64::from(p.stories_done), f64::from(p.stories_total))
    };
    if total > 0.0 { (done * 100.0 / total).round() as u32 } else { 0 }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpicProgress {
    pub id: String,
    pub title: String,
    pub state: State,
    pub owner: Option<String>,
    pub progress: Progress,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskLine {
    pub id: String,
    pub title: String,
    pub state: State,
    pub likelihood: Option<String>,
    pub severity: Option<String>,
    /// Likelihood × severity, 1–16.
    pub exposure: Option<u32>,
    pub mitigation: Option<String>,
    pub owner: Option<String>,
    pub review_by: Option<NaiveDate>,
    /// Days past `review_by` (0 when not overdue).
    pub days_overdue: i64,
}

/// An epic a goal or milestone depends on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpicRef {
    pub id: String,
    /// `None` when the backlog has no such epic.
    pub title: Option<String>,
    pub state: Option<State>,
    pub done: bool,
}

/// A problem statement or success criterion with the epics that address it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    pub id: String,
    pub text: String,
    pub measure: Option<String>,
    pub target: Option<String>,
    pub epics: Vec<EpicRef>,
    pub epics_done: u32,
    pub epics_total: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilestoneLine {
    pub name: String,
    pub due: Option<NaiveDate>,
    /// Days from today to `due` (negative once past).
    pub days_left: Option<i64>,
    pub definition_of_done: Vec<String>,
    pub epics: Vec<EpicRef>,
    pub epics_done: u32,
    pub epics_total: u32,
    /// Stories and points of the milestone's epics and of the items on it (`milestone:`).
    pub progress: Progress,
    /// `done`, `overdue`, `due-soon` (14 days or less) or `open`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// `conflict`, `risk-review`, `milestone` or `risk-owner`.
    pub kind: String,
    pub item: String,
    pub text: String,
}

/// An epic counts as done once it is resolved or closed.
fn epic_done(state: State) -> bool {
    matches!(state, State::Resolved | State::Closed)
}

/// Builds the summary. Pure: the same facts and options give the same summary.
pub fn build(facts: &Facts, opts: &Options) -> Summary {
    let items: Vec<&Item> = facts.backlog.items.iter().map(|f| &f.item).collect();
    let of_kind = |k: Kind| items.iter().copied().filter(move |i| i.kind == k);
    let mut progress = Progress::default();
    let mut by_epic: BTreeMap<String, Progress> = BTreeMap::new();
    let mut stories_without_epic = Vec::new();
    for story in of_kind(Kind::Story) {
        progress.add(story);
        match &story.epic {
            Some(epic) => by_epic.entry(epic.to_string()).or_default().add(story),
            None if story.state != State::Removed => stories_without_epic.push(story.id.to_string()),
            None => {}
        }
    }
    let epics: Vec<EpicProgress> = of_kind(Kind::Epic)
        .filter(|e| e.state != State::Removed)
        .map(|e| EpicProgress {
            id: e.id.to_string(),
            title: e.title.clone(),
            state: e.state,
            owner: e.owner.clone(),
            progress: by_epic.get(&e.id.to_string()).copied().unwrap_or_default(),
        })
        .collect();
    let titles: BTreeMap<String, String> = items.iter().map(|i| (i.id.to_string(), i.title.clone())).collect();
    let kinds: BTreeMap<String, &'static str> = items.iter().map(|i| (i.id.to_string(), i.kind.as_str())).collect();
    let risks = risk_lines(of_kind(Kind::Risk), opts.today);
    let overdue_reviews: Vec<RiskLine> = {
        let mut v: Vec<RiskLine> = risks.iter().filter(|r| r.days_overdue > 0).cloned().collect();
        v.sort_by(|a, b| b.days_overdue.cmp(&a.days_overdue).then_with(|| id_cmp(&a.id, &b.id)));
        v
    };
    let mut risk_matrix = [[0u32; 4]; 4];
    for r in of_kind(Kind::Risk).filter(|r| !r.state.is_done()) {
        if let (Some(l), Some(s)) = (r.likelihood, r.severity) {
            risk_matrix[l as usize][s as usize] += 1;
        }
    }
    let epic_ref = |id: &String| {
        let epic = of_kind(Kind::Epic).find(|e| e.id.to_string().eq_ignore_ascii_case(id));
        EpicRef {
            id: id.clone(),
            title: epic.map(|e| e.title.clone()),
            state: epic.map(|e| e.state),
            done: epic.is_some_and(|e| epic_done(e.state)),
        }
    };
    let goal = |id: &str, text: &str, measure: Option<&String>, target: Option<&String>, epics: &[String]| {
        let epics: Vec<EpicRef> = epics.iter().map(epic_ref).collect();
        Goal {
            id: id.to_string(),
            text: text.to_string(),
            measure: measure.cloned(),
            target: target.cloned(),
            epics_done: epics.iter().filter(|e| e.done).count() as u32,
            epics_total: epics.len() as u32,
            epics,
        }
    };
    let project = &facts.backlog.project;
    let problems = project.problems.iter().map(|p| goal(&p.id, &p.statement, None, None, &p.epics)).collect();
    let success_criteria = project
        .success_criteria
        .iter()
        .map(|c| goal(&c.id, &c.description, c.measure.as_ref(), c.target.as_ref(), &c.epics))
        .collect();
    let milestones: Vec<MilestoneLine> = project
        .milestones
        .iter()
        .map(|m| {
            let epics: Vec<EpicRef> = m.epics.iter().map(epic_ref).collect();
            let mut progress = Progress::default();
            // A story counts towards a milestone through its epic (the milestone's `epics`, or an
            // epic whose `milestone:` it is) or its own `milestone:`.
            let on = |i: &Item| i.milestone.as_deref().is_some_and(|n| n.trim().eq_ignore_ascii_case(m.name.trim()));
            let epic_on = |id: &crate::model::ItemId| {
                epics.iter().any(|r| r.id.eq_ignore_ascii_case(&id.to_string()))
                    || of_kind(Kind::Epic).any(|e| &e.id == id && on(e))
            };
            for story in of_kind(Kind::Story) {
                if on(story) || story.epic.as_ref().is_some_and(epic_on) {
                    progress.add(story);
                }
            }
            let epics_done = epics.iter().filter(|e| e.done).count() as u32;
            let days_left = m.due.map(|d| (d - opts.today).num_days());
            let stories_all_done = progress.stories_total > 0 && progress.stories_done == progress.stories_total;
            let status = match days_left {
                _ if epics_done as usize == epics.len() && !epics.is_empty() => "done",
                _ if epics.is_empty() && stories_all_done => "done",
                Some(d) if d < 0 => "overdue",
                Some(d) if d <= 14 => "due-soon",
                _ => "open",
            };
            MilestoneLine {
                name: m.name.clone(),
                due: m.due,
                days_left,
                definition_of_done: m.definition_of_done.clone(),
                epics_total: epics.len() as u32,
                epics_done,
                epics,
                progress,
                status: status.to_string(),
            }
        })
        .collect();
    let sync = target_health(&facts.targets, &facts.runs, &facts.conflicts);
    let decisions = decisions(&facts.conflicts, &overdue_reviews, &risks, &milestones);
    let top_risks = risks.iter().filter(|r| r.exposure.is_some()).take(opts.top_risks).cloned().collect();
    Summary {
        project: project.name.clone(),
        description: project.description.clone(),
        audience: opts.audience.clone(),
        period: opts.period.clone(),
        today: opts.today,
        generated_at: stamp(opts.now),
        progress,
        epics,
        stories_without_epic,
        changes: classify(&facts.changes, facts.since, &titles, &kinds),
        risks,
        top_risks,
        overdue_reviews,
        risk_matrix,
        drift: drift_summary(&facts.findings, &titles),
        sync,
        conflicts: facts.conflicts.clone(),
        problems,
        success_criteria,
        milestones,
        decisions,
    }
}

/// A time as summaries print it: `2026-11-02 09:00 UTC`.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Orders ids as people read them (`RK-2` before `RK-10`).
pub fn id_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    crate::store::natural_cmp(a, b)
}

fn risk_lines<'a>(risks: impl Iterator<Item = &'a Item>, today: NaiveDate) -> Vec<RiskLine> {
    let mut lines: Vec<RiskLine> = risks
        .filter(|r| !r.state.is_done())
        .map(|r| RiskLine {
            id: r.id.to_string(),
            title: r.title.clone(),
            state: r.state,
            likelihood: r.likelihood.map(|l| l.to_string()),
            severity: r.severity.map(|s| s.to_string()),
            exposure: r.exposure(),
            mitigation: r.mitigation.clone(),
            owner: r.owner.clone(),
            review_by: r.review_by,
            days_overdue: r.review_by.map(|d| (today - d).num_days().max(0)).unwrap_or(0),
        })
        .collect();
    // Highest exposure first, ties by severity then id; unrated risks last.
    lines.sort_by(|a, b| {
        b.exposure
            .cmp(&a.exposure)
            .then_with(|| severity_rank(b).cmp(&severity_rank(a)))
            .then_with(|| id_cmp(&a.id, &b.id))
    });
    lines
}

fn severity_rank(r: &RiskLine) -> Option<crate::model::Level> {
    r.severity.as_deref().and_then(|s| s.parse().ok())
}

fn decisions(
    conflicts: &[Conflict],
    overdue: &[RiskLine],
    risks: &[RiskLine],
    milestones: &[MilestoneLine],
) -> Vec<Decision> {
    let mut out = Vec::new();
    for c in conflicts {
        let show = |v: &Option<String>| v.as_deref().map(|v| format!("“{v}”")).unwrap_or_else(|| "(empty)".into());
        out.push(Decision {
            kind: "conflict".into(),
            item: c.item_id.clone(),
            text: format!(
                "choose the `{}` of {}: backlog says {}, {} says {}",
                c.field,
                c.item_id,
                show(&c.canonical),
                c.target,
                show(&c.remote)
            ),
        });
    }
    for r in overdue {
        let owner = r.owner.as_deref().unwrap_or("no owner");
        out.push(Decision {
            kind: "risk-review".into(),
            item: r.id.clone(),
            text: format!("review {} ({owner}): {} days overdue — {}", r.id, r.days_overdue, r.title),
        });
    }
    for r in risks.iter().filter(|r| r.exposure.is_some_and(|e| e >= 8)) {
        if r.owner.is_none() || r.mitigation.is_none() {
            let missing = match (&r.owner, &r.mitigation) {
                (None, None) => "an owner and a mitigation",
                (None, _) => "an owner",
                _ => "a mitigation",
            };
            out.push(Decision {
                kind: "risk-owner".into(),
                item: r.id.clone(),
                text: format!("name {missing} for {} (exposure {}): {}", r.id, r.exposure.unwrap_or(0), r.title),
            });
        }
    }
    for m in milestones.iter().filter(|m| m.status == "overdue" || m.status == "due-soon") {
        let when = match m.days_left {
            Some(d) if d < 0 => format!("{} days overdue", -d),
            Some(d) => format!("due in {d} days"),
            None => String::new(),
        };
        out.push(Decision {
            kind: "milestone".into(),
            item: m.name.clone(),
            text: format!("{} is {when} with {} of {} epics done", m.name, m.epics_done, m.epics_total),
        });
    }
    out
}
