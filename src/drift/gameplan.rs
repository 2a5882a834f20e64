//! Game Plan rules: problem statements, success criteria, milestones and their definition of
//! done, the stakeholder map, the risk register's upkeep and the personas' use. Pure functions
//! over [`GamePlan`]; `lint` gathers it from the backlog folder and the store.

mod text;

use std::path::PathBuf;

use chrono::NaiveDate;

pub use text::{has_quantity, named_solution, unchecked_reason};

use super::Finding;
use super::story::persona_key;
use crate::backlog::project::{Project, Stakeholder};
use crate::summary::period::Cadence;

/// An epic as the Game Plan rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpicRef {
    pub id: String,
    pub done: bool,
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
}

/// A live story's persona, where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryPersona {
    pub item: String,
    pub persona: String,
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
}

/// An open risk and the date it was last reviewed (`reviewed:`), where that is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskReview {
    pub item: String,
    pub reviewed: Option<NaiveDate>,
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
}

/// A summary a channel accepted for an audience, on a day (from the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryPost {
    pub channel: String,
    pub audience: String,
    pub on: NaiveDate,
}

impl From<&crate::store::Post> for SummaryPost {
    fn from(p: &crate::store::Post) -> Self {
        SummaryPost { channel: p.channel.clone(), audience: p.audience.clone(), on: p.posted_at.date_naive() }
    }
}

/// The summaries the store recorded as posted; none when it cannot say.
pub fn recorded_posts(store: &crate::store::Store) -> Vec<SummaryPost> {
    store.done_posts().map(|posts| posts.iter().map(SummaryPost::from).collect()).unwrap_or_default()
}

/// Where the Game Plan's files are and their text, to point findings at the right line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFiles {
    pub backlog_toml: Option<PathBuf>,
    pub backlog_text: String,
    pub stakeholders_toml: Option<PathBuf>,
    pub stakeholders_text: String,
}

/// Everything the Game Plan rules read.
#[derive(Debug, Clone)]
pub struct GamePlan<'a> {
    pub project: &'a Project,
    pub stakeholders: &'a [Stakeholder],
    /// Live epics.
    pub epics: Vec<EpicRef>,
    /// Live stories that name a persona.
    pub stories: Vec<StoryPersona>,
    /// Open risks.
    pub risks: Vec<RiskReview>,
    pub posts: Vec<SummaryPost>,
    pub files: PlanFiles,
    pub today: NaiveDate,
}

/// The 1-based line of `key = "value"` inside a `[[section]]` of a TOML text.
pub fn toml_line(text: &str, section: &str, key: &str, value: &str) -> Option<usize> {
    let mut current = "";
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            current = t.trim_matches(|c| c == '[' || c == ']').trim();
            continue;
        }
        if current != section {
            continue;
        }
        if let Some((k, v)) = t.split_once('=') {
            let v = v.split('#').next().unwrap_or("").trim().trim_matches(|c| c == '"' || c == '\'');
            if k.trim() == key && v == value {
                return Some(i + 1);
            }
        }
    }
    None
}

impl GamePlan<'_> {
    fn in_backlog_toml(&self, rule: &str, item: &str, section: &str, key: &str, message: String) -> Finding {
        let line = toml_line(&self.files.backlog_text, section, key, item);
        Finding::new(rule, Some(item.to_string()), message).at(self.files.backlog_toml.clone(), line.or(Some(1)))
    }

    fn in_stakeholders_toml(&self, rule: &str, name: &str, message: String) -> Finding {
        let line = toml_line(&self.files.stakeholders_text, "stakeholders", "name", name);
        Finding::new(rule, Some(name.to_string()), message).at(self.files.stakeholders_toml.clone(), line.or(Some(1)))
    }

    fn live_epic(&self, id: &str) -> Option<&EpicRef> {
        self.epics.iter().find(|e| e.id.eq_ignore_ascii_case(id))
    }
}

/// Every Game Plan rule, unsorted.
pub fn check_game_plan(plan: &GamePlan) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(check_problems(plan));
    out.extend(check_success_criteria(plan));
    out.extend(check_milestones(plan));
    out.extend(check_stakeholders(plan));
    out.extend(check_risk_register(plan));
    out.extend(check_personas(plan));
    out
}

/// `problem-not-implementation-free`, `problem-without-epic`, `epic-without-problem`.
pub fn check_problems(plan: &GamePlan) -> Vec<Finding> {
    let mut out = Vec::new();
    let problems = &plan.project.problems;
    for p in problems {
        if let Some(named) = named_solution(&p.statement) {
            let msg = format!("problem `{}` names `{named}`, a solution or technology", p.id);
            out.push(plan.in_backlog_toml("problem-not-implementation-free", &p.id, "problems", "id", msg));
        }
        if !p.epics.iter().any(|e| plan.live_epic(e).is_some()) {
            let msg = if p.epics.is_empty() {
                format!("problem `{}` names no epic that addresses it", p.id)
            } else {
                format!("problem `{}` names {}, none of which is a live epic", p.id, quoted(&p.epics))
            };
            out.push(plan.in_backlog_toml("problem-without-epic", &p.id, "problems", "id", msg));
        }
    }
    if !problems.is_empty() {
        for e in &plan.epics {
            if !problems.iter().any(|p| p.epics.iter().any(|x| x.eq_ignore_ascii_case(&e.id))) {
                let msg = format!("epic `{}` serves no problem of `backlog.toml`", e.id);
                out.push(Finding::new("epic-without-problem", Some(e.id.clone()), msg).at(e.path.clone(), e.line));
            }
        }
    }
    out
}

/// `success-criterion-not-measurable`, `success-criterion-without-epic`.
pub fn check_success_criteria(plan: &GamePlan) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in &plan.project.success_criteria {
        let given = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let why = match (given(&c.measure), given(&c.target)) {
            (None, _) => Some("has no `measure`".to_string()),
            (_, None) => Some("has no `target`".to_string()),
            (_, Some(t)) if !has_quantity(&t) => {
                Some(format!("has the target `{t}`, with no number, threshold or date"))
            }
            _ => None,
        };
        if let Some(why) = why {
            let msg = format!("success criterion `{}` {why}", c.id);
            out.push(plan.in_backlog_toml("success-criterion-not-measurable", &c.id, "success_criteria", "id", msg));
        }
        if !c.epics.iter().any(|e| plan.live_epic(e).is_some()) {
            let msg = format!("success criterion `{}` names no live epic that works towards it", c.id);
            out.push(plan.in_backlog_toml("success-criterion-without-epic", &c.id, "success_criteria", "id", msg));
        }
    }
    out
}

/// `dod-not-measurable`, `dod-untraced`, `milestone-overdue`.
pub fn check_milestones(plan: &GamePlan) -> Vec<Finding> {
    let mut out = Vec::new();
    let criteria = &plan.project.success_criteria;
    for m in &plan.project.milestones {
        let name = &m.name;
        for item in &m.definition_of_done {
            if let Some(why) = unchecked_reason(item) {
                let msg = format!("milestone `{name}`: \"{item}\" cannot be checked: {why}");
                out.push(plan.in_backlog_toml("dod-not-measurable", name, "milestones", "name", msg));
            }
        }
        let traced = !m.criteria.is_empty()
            || m.definition_of_done.iter().any(|d| criteria.iter().any(|c| text::mentions_id(d, &c.id)));
        if !traced && !criteria.is_empty() {
            let msg = format!("milestone `{name}`: its definition of done refers to no success criterion");
            out.push(plan.in_backlog_toml("dod-untraced", name, "milestones", "name", msg));
        }
        if let Some(due) = m.due.filter(|d| *d < plan.today) {
            let open: Vec<String> =
                m.epics.iter().filter(|e| plan.live_epic(e).is_some_and(|e| !e.done)).cloned().collect();
            if !open.is_empty() {
                let days = (plan.today - due).num_days();
                let msg = format!("milestone `{name}` was due on {due} ({days} days ago); {} not done", quoted(&open));
                out.push(plan.in_backlog_toml("milestone-overdue", name, "milestones", "name", msg));
            }
        }
    }
    out
}

/// `stakeholders-missing-decision-maker`, `stakeholder-missing-channel`,
/// `stakeholder-summary-overdue`.
pub fn check_stakeholders(plan: &GamePlan) -> Vec<Finding> {
    let mut out = Vec::new();
    let people = plan.stakeholders;
    if !people.is_empty() {
        let criteria = &plan.project.success_criteria;
        if criteria.is_empty() && !people.iter().any(|s| s.decides.any()) {
            let first = &people[0].name;
            let msg = "no stakeholder can confirm the success criteria (`decides`)".to_string();
            out.push(plan.in_stakeholders_toml("stakeholders-missing-decision-maker", first, msg));
        }
        for c in criteria {
            if !people.iter().any(|s| s.decides.covers(&c.id)) {
                let msg = format!("no stakeholder can confirm success criterion `{}` (`decides`)", c.id);
                let line = toml_line(&plan.files.backlog_text, "success_criteria", "id", &c.id);
                out.push(
                    Finding::new("stakeholders-missing-decision-maker", Some(c.id.clone()), msg)
                        .at(plan.files.backlog_toml.clone(), line.or(Some(1))),
                );
            }
        }
    }
    for s in people {
        let missing: Vec<&str> = [("channel", &s.channel), ("cadence", &s.cadence)]
            .into_iter()
            .filter(|(_, v)| v.trim().is_empty())
            .map(|(k, _)| k)
            .collect();
        if !missing.is_empty() {
            let msg = format!("stakeholder `{}` has no {}", s.name, missing.join(" and no "));
            out.push(plan.in_stakeholders_toml("stakeholder-missing-channel", &s.name, msg));
            continue;
        }
        if let Some(f) = summary_overdue(plan, s) {
            out.push(f);
        }
    }
    out
}

/// A stakeholder whose cadence has passed since their last summary (or since they joined).
fn summary_overdue(plan: &GamePlan, s: &Stakeholder) -> Option<Finding> {
    let cadence: Cadence = s.cadence.parse().ok()?;
    let last = plan.posts.iter().filter(|p| p.channel == s.channel && p.audience == s.audience).map(|p| p.on).max();
    let (from, what) = match (last, s.since) {
        (Some(l), _) => (l, format!("the last summary to them was posted on {l}")),
        (None, Some(since)) => (since, format!("no summary was posted to them since {since}")),
        (None, None) => return None,
    };
    let days = (plan.today - from).num_days();
    (days > cadence.length().num_days()).then(|| {
        let msg =
            format!("stakeholder `{}` hears `{}` by `{}`, but {what} ({days} days)", s.name, s.cadence, s.channel);
        plan.in_stakeholders_toml("stakeholder-summary-overdue", &s.name, msg)
    })
}

/// `risk-register-stale`: open risks exist, some record reviews, none within the window.
pub fn check_risk_register(plan: &GamePlan) -> Option<Finding> {
    let window = i64::from(plan.project.defaults.risk_register_window_days);
    let latest = plan.risks.iter().filter(|r| r.reviewed.is_some()).max_by_key(|r| r.reviewed)?;
    let on = latest.reviewed?;
    let days = (plan.today - on).num_days();
    (window > 0 && days > window).then(|| {
        let msg = format!(
            "no open risk was reviewed in the last {window} days; the latest review is `{}` on {on} ({days} days ago)",
            latest.item
        );
        Finding::new("risk-register-stale", Some(latest.item.clone()), msg).at(latest.path.clone(), latest.line)
    })
}

/// `persona-alias-used`, `persona-unused`.
pub fn check_personas(plan: &GamePlan) -> Vec<Finding> {
    let mut out = Vec::new();
    let personas = &plan.project.personas;
    let mut used = vec![false; personas.len()];
    for s in &plan.stories {
        let key = persona_key(&s.persona);
        for (i, p) in personas.iter().enumerate() {
            if persona_key(&p.name) == key {
                used[i] = true;
            } else if let Some(alias) = p.aliases.iter().find(|a| persona_key(a) == key) {
                used[i] = true;
                let msg = format!("`{}` names `{alias}`, an alias of the persona `{}`", s.item, p.name);
                let hint = format!("write `persona: {}`, so that every story of this persona reads alike", p.name);
                out.push(
                    Finding::new("persona-alias-used", Some(s.item.clone()), msg)
                        .at(s.path.clone(), s.line)
                        .with_hint(hint),
                );
            }
        }
    }
    for (p, used) in personas.iter().zip(used) {
        if !used {
            let msg = format!("persona `{}` is named by no story", p.name);
            out.push(plan.in_backlog_toml("persona-unused", &p.name, "personas", "name", msg));
        }
    }
    out
}

fn quoted(ids: &[String]) -> String {
    ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests;
