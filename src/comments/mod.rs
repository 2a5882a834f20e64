//! Comments flow both ways between every pair of targets an item is linked on: a comment made on
//! one side appears once on every other, attributed and carrying a hidden marker of its origin.
//!
//! `marker` writes and reads the mirror's text (attribution, marker, format), `plan` decides what
//! to post, edit and delete (pure), and `mirror` lists comments, sends the plan and records each
//! mirror in the store as soon as it is written. Comments are not canonical files: they stay on
//! the trackers, and the store only remembers which comment mirrors which.

pub mod marker;
pub mod mirror;
pub mod plan;
#[cfg(test)]
mod plan_tests;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use mirror::{Report, Scope, mirror};
pub use plan::{Action, ItemComments, Side, plan};

/// The kind of tracker a comment lives on: it decides the mirror's marker and attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Tracker {
    Github,
    AzureBoards,
}

impl Tracker {
    /// The tracker's name as people say it.
    pub fn label(self) -> &'static str {
        match self {
            Tracker::Github => "GitHub",
            Tracker::AzureBoards => "Azure Boards",
        }
    }
}

/// Where an original comment is: its target, the remote item there and its own id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Origin {
    pub target: String,
    pub item: String,
    pub comment: String,
}

/// One comment as read from a tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub id: String,
    /// The author's name (GitHub login, Azure display name).
    pub author: String,
    pub created_at: DateTime<Utc>,
    /// Changes whenever the text changes: GitHub's `updated_at` with a digest of the text, Azure's `version`.
    pub version: String,
    /// The text as stored (where the marker is looked for).
    pub text: String,
    /// The text as Markdown (Azure HTML comments converted).
    pub markdown: String,
    /// Where people read the original.
    pub url: String,
}
