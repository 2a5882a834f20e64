//! Story rules: missing persona / activity / benefit, unknown persona, atomicity,
//! implementation-freedom and duplicates. Pure functions over [`StoryText`].

use std::path::PathBuf;

use super::Finding;
use crate::model::Persona;

/// A story as the story rules see it: its sentence parts and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoryText {
    /// `ST-14` for a backlog story, `line 7` for a line of a plain-text export.
    pub item: String,
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
    /// The whole sentence or title, as written (used by duplicate detection).
    pub text: String,
    pub persona: Option<String>,
    pub activity: Option<String>,
    pub benefit: Option<String>,
}

impl StoryText {
    fn finding(&self, rule: &str, message: String) -> Finding {
        Finding::new(rule, Some(self.item.clone()), message).at(self.path.clone(), self.line)
    }
}

/// `story-missing-persona`, `story-missing-activity`, `story-missing-benefit`,
/// `story-not-atomic` and `story-not-implementation-free` for one story.
pub fn check_sentence(story: &StoryText) -> Vec<Finding> {
    let mut out = Vec::new();
    if story.persona.is_none() {
        out.push(story.finding("story-missing-persona", format!("`{}` names no persona", story.item)));
    }
    if story.activity.is_none() {
        out.push(story.finding("story-missing-activity", format!("`{}` says nothing the persona can do", story.item)));
    }
    if story.benefit.is_none() {
        out.push(story.finding("story-missing-benefit", format!("`{}` gives no benefit", story.item)));
    }
    out
}

/// `unknown-persona`: the persona matches no persona name or alias (case-insensitive);
/// the hint suggests the nearest one.
pub fn check_persona(story: &StoryText, personas: &[Persona]) -> Option<Finding> {
    let persona = story.persona.as_deref()?;
    if personas.is_empty() {
        return None;
    }
    let known = personas
        .iter()
        .flat_map(|p| std::iter::once(&p.name).chain(p.aliases.iter()))
        .any(|n| n.eq_ignore_ascii_case(persona.trim()));
    (!known).then(|| {
        story.finding("unknown-persona", format!("`{}`: persona `{persona}` is not in `backlog.toml`", story.item))
    })
}

/// `duplicate-story` over a set of stories: one finding per later copy.
pub fn check_duplicates(stories: &[StoryText]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, s) in stories.iter().enumerate() {
        if let Some(first) = stories[..i].iter().find(|o| o.text.trim().eq_ignore_ascii_case(s.text.trim())) {
            out.push(s.finding("duplicate-story", format!("`{}` repeats `{}`", s.item, first.item)));
        }
    }
    out
}
