//! The local drift rules over a loaded backlog, and over a plain-text list of story sentences.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use super::gameplan::{self, EpicRef, GamePlan, PlanFiles, RiskReview, StoryPersona, SummaryPost};
use super::story::{self, StoryText};
use super::{Finding, Severity, sort_findings};
use crate::backlog::{Backlog, ItemFile};
use crate::model::sentence;
use crate::model::{Kind, SentenceSource, State};

/// Per-rule severity overrides; `None` turns a rule off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeverityOverrides(pub BTreeMap<String, Option<Severity>>);

impl SeverityOverrides {
    /// Applies the overrides and drops findings of rules turned off.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut f| match self.0.get(&f.rule) {
                None => Some(f),
                Some(None) => None,
                Some(Some(s)) => {
                    f.severity = *s;
                    Some(f)
                }
            })
            .collect()
    }
}

fn finding_at(file: &ItemFile, rule: &str, key: &str, message: String) -> Finding {
    let line = file.doc.line_of(key).or_else(|| file.doc.line_of("id")).unwrap_or(1);
    Finding::new(rule, Some(file.item.id.to_string()), message).at(Some(file.path.clone()), Some(line))
}

/// The story as the story rules see it, located where its sentence was found.
fn story_text(file: &ItemFile) -> StoryText {
    let item = &file.item;
    let line = match item.sentence_source {
        SentenceSource::FrontMatter => file.doc.line_of("persona").or_else(|| file.doc.line_of("title")),
        SentenceSource::Title => file.doc.line_of("title"),
        SentenceSource::Body => Some(file.doc.body_line()),
    };
    let text = match (&item.persona, &item.activity) {
        (Some(p), Some(a)) => format!("As a {p}, I can {a}, so that {}", item.benefit.as_deref().unwrap_or("")),
        _ => item.title.clone(),
    };
    StoryText {
        item: item.id.to_string(),
        path: Some(file.path.clone()),
        line,
        text,
        persona: item.persona.clone(),
        activity: item.activity.clone(),
        benefit: item.benefit.clone(),
    }
}

/// Every local rule over `backlog`, as of `today`, sorted; no summary posts are known (a
/// stakeholder's cadence then counts from their `since`).
pub fn lint_backlog(backlog: &Backlog, today: NaiveDate) -> Vec<Finding> {
    lint_backlog_with_posts(backlog, today, &[])
}

/// Every local rule over `backlog`, as of `today`, with the summary posts the store recorded.
pub fn lint_backlog_with_posts(backlog: &Backlog, today: NaiveDate, posts: &[SummaryPost]) -> Vec<Finding> {
    let mut out = Vec::new();
    for bad in backlog.invalid.iter().chain(&backlog.problems) {
        let item = bad.id.as_ref().map(|i| i.to_string());
        out.push(
            Finding::new("invalid-item", item, format!("`{}`: {}", bad.path.display(), bad.reason))
                .at(Some(bad.path.clone()), Some(bad.line)),
        );
    }
    let live: Vec<&ItemFile> = backlog.items.iter().filter(|f| f.item.state != State::Removed).collect();
    let stories: Vec<&ItemFile> = live.iter().copied().filter(|f| f.item.kind == Kind::Story).collect();
    let texts: Vec<StoryText> = stories.iter().map(|f| story_text(f)).collect();
    for (file, text) in stories.iter().zip(&texts) {
        out.extend(story::check_sentence(text));
        out.extend(story::check_persona(text, &backlog.project.personas));
        if file.item.epic.is_none() {
            out.push(finding_at(file, "story-without-epic", "title", format!("`{}` belongs to no epic", file.item.id)));
        }
    }
    out.extend(story::check_duplicates(&texts));
    for epic in live.iter().filter(|f| f.item.kind == Kind::Epic) {
        let children: Vec<&&ItemFile> =
            stories.iter().filter(|s| s.item.epic.as_ref() == Some(&epic.item.id)).collect();
        if children.is_empty() {
            out.push(finding_at(
                epic,
                "epic-without-stories",
                "title",
                format!("epic `{}` has no stories", epic.item.id),
            ));
        }
        if epic.item.state.is_done() {
            let open: Vec<String> =
                children.iter().filter(|s| !s.item.state.is_done()).map(|s| format!("`{}`", s.item.id)).collect();
            if !open.is_empty() {
                let msg = format!("epic `{}` is {} but {} still open", epic.item.id, epic.item.state, open.join(", "));
                out.push(finding_at(epic, "epic-closed-with-open-stories", "state", msg));
            }
        }
    }
    for risk in live.iter().filter(|f| f.item.kind == Kind::Risk) {
        out.extend(risk_findings(risk, today));
    }
    let on_milestones: Vec<super::milestones::ItemMilestone> = live
        .iter()
        .filter_map(|f| {
            Some(super::milestones::ItemMilestone {
                item: f.item.id.to_string(),
                milestone: f.item.milestone.clone()?,
                done: f.item.state.is_done(),
                path: Some(f.path.clone()),
                line: f.doc.line_of("milestone"),
            })
        })
        .collect();
    out.extend(super::milestones::check_items(&on_milestones, &backlog.project.milestones, today));
    out.extend(gameplan::check_game_plan(&game_plan(backlog, &live, posts, today)));
    sort_findings(&mut out);
    out
}

/// The Game Plan as its rules see it: the two TOML files (read here, for line numbers), the live
/// epics, the stories' personas and the open risks' last reviews.
fn game_plan<'a>(backlog: &'a Backlog, live: &[&ItemFile], posts: &[SummaryPost], today: NaiveDate) -> GamePlan<'a> {
    let file = |name: &str| {
        let path = backlog.root.join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        (Some(path), text)
    };
    let (backlog_toml, backlog_text) = file("backlog.toml");
    let (stakeholders_toml, stakeholders_text) = file("stakeholders.toml");
    let of = |kind: Kind| live.iter().copied().filter(move |f| f.item.kind == kind);
    GamePlan {
        project: &backlog.project,
        stakeholders: &backlog.stakeholders,
        epics: of(Kind::Epic)
            .map(|f| EpicRef {
                id: f.item.id.to_string(),
                done: f.item.state.is_done(),
                path: Some(f.path.clone()),
                line: f.doc.line_of("title").or(Some(1)),
            })
            .collect(),
        stories: of(Kind::Story)
            .filter_map(|f| {
                let persona = f.item.persona.clone().filter(|p| !p.trim().is_empty())?;
                let line = f.doc.line_of("persona").or_else(|| f.doc.line_of("title"));
                Some(StoryPersona { item: f.item.id.to_string(), persona, path: Some(f.path.clone()), line })
            })
            .collect(),
        risks: of(Kind::Risk)
            .filter(|f| !f.item.state.is_done())
            .map(|f| {
                let line = f.doc.line_of("reviewed");
                RiskReview {
                    item: f.item.id.to_string(),
                    reviewed: line.and_then(|l| date_on_line(f.doc.as_str(), l)),
                    path: Some(f.path.clone()),
                    line: line.or_else(|| f.doc.line_of("title")),
                }
            })
            .collect(),
        posts: posts.to_vec(),
        files: PlanFiles { backlog_toml, backlog_text, stakeholders_toml, stakeholders_text },
        today,
    }
}

/// The date written as the value of the `key: value` line `line` (1-based) of a front matter.
fn date_on_line(front: &str, line: usize) -> Option<NaiveDate> {
    let value = front.lines().nth(line - 1)?.split_once(':')?.1;
    let value = value.split(" #").next()?.trim().trim_matches(|c| c == '"' || c == '\'');
    NaiveDate::parse_from_str(value.get(..10).unwrap_or(value), "%Y-%m-%d").ok()
}

fn risk_findings(file: &ItemFile, today: NaiveDate) -> Vec<Finding> {
    let r = &file.item;
    let id = &r.id;
    let mut out = Vec::new();
    if r.likelihood.is_none() {
        out.push(finding_at(file, "risk-missing-likelihood", "likelihood", format!("risk `{id}` has no likelihood")));
    }
    if r.severity.is_none() {
        out.push(finding_at(file, "risk-missing-severity", "severity", format!("risk `{id}` has no severity")));
    }
    if r.state.is_done() {
        return out;
    }
    if r.mitigation.is_none() {
        out.push(finding_at(file, "risk-missing-mitigation", "mitigation", format!("risk `{id}` has no mitigation")));
    }
    if r.owner.is_none() {
        out.push(finding_at(file, "risk-missing-owner", "owner", format!("risk `{id}` has no owner")));
    }
    if let Some(due) = r.review_by.filter(|d| *d < today) {
        let days = (today - due).num_days();
        out.push(finding_at(
            file,
            "risk-review-overdue",
            "review_by",
            format!("risk `{id}` was due for review on {due} ({days} days ago)"),
        ));
    }
    out
}

/// Story rules over a plain-text file with one story sentence per line; blank lines are skipped.
pub fn lint_story_lines(path: &Path, text: &str, personas: &[crate::model::Persona]) -> Vec<Finding> {
    let mut texts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let parts = sentence::parse(trimmed).unwrap_or_default();
        texts.push(StoryText {
            item: format!("line {}", i + 1),
            path: Some(path.to_path_buf()),
            line: Some(i + 1),
            text: trimmed.to_string(),
            persona: parts.persona,
            activity: parts.activity,
            benefit: parts.benefit,
        });
    }
    let mut out: Vec<Finding> = texts
        .iter()
        .flat_map(|t| story::check_sentence(t).into_iter().chain(story::check_persona(t, personas)))
        .collect();
    out.extend(story::check_duplicates(&texts));
    sort_findings(&mut out);
    out
}
