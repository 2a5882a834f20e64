//! One canonical backlog item (epic, story or risk) as the rest of the program sees it.

use chrono::NaiveDate;
use serde::Serialize;

use super::{ItemId, Kind, Level, State};

/// Where a story's persona / activity / benefit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SentenceSource {
    /// The front matter carries `persona`, `activity` and `benefit` keys.
    #[default]
    FrontMatter,
    /// Derived from an "As a …, I can …, so that …" sentence in the title.
    Title,
    /// Derived from such a sentence in the first paragraph of the body.
    Body,
}

/// An epic, story or risk. Fields that do not apply to a kind stay `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub id: ItemId,
    pub kind: Kind,
    pub title: String,
    pub state: State,
    pub priority: Option<u32>,
    pub owner: Option<String>,
    pub tags: Vec<String>,
    /// The milestone of `backlog.toml` the item is planned for (by name).
    pub milestone: Option<String>,
    /// The Markdown after the front matter, exactly as in the file.
    pub body: String,

    // stories
    pub epic: Option<ItemId>,
    pub persona: Option<String>,
    pub activity: Option<String>,
    pub benefit: Option<String>,
    pub sentence_source: SentenceSource,
    pub points: Option<f64>,

    // risks
    pub likelihood: Option<Level>,
    pub severity: Option<Level>,
    pub mitigation: Option<String>,
    pub review_by: Option<NaiveDate>,
}

impl Item {
    /// An item with only its identity and title set; used by importers and tests.
    pub fn new(id: ItemId, kind: Kind, title: impl Into<String>) -> Self {
        Item {
            id,
            kind,
            title: title.into(),
            state: State::New,
            priority: None,
            owner: None,
            tags: Vec::new(),
            milestone: None,
            body: String::new(),
            epic: None,
            persona: None,
            activity: None,
            benefit: None,
            sentence_source: SentenceSource::FrontMatter,
            points: None,
            likelihood: None,
            severity: None,
            mitigation: None,
            review_by: None,
        }
    }

    /// Likelihood × severity (1..=16) when both are known; orders the risk register.
    pub fn exposure(&self) -> Option<u32> {
        Some(self.likelihood?.weight() * self.severity?.weight())
    }
}
