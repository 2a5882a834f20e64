//! Drift: findings about the backlog's quality and about items that diverged between systems.
//!
//! Every rule is a small pure function; `lint` runs the local ones over a loaded backlog.

pub mod gameplan;
pub mod lint;
pub mod milestones;
pub mod remote;
pub mod report;
pub mod rules;
pub mod story;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use rules::{RULES, Rule, rule};

/// How much a finding matters. `Error` makes `lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" => Ok(Severity::Error),
            "warning" | "warn" => Ok(Severity::Warning),
            "info" | "note" => Ok(Severity::Info),
            "off" => Err("`off` is handled by the caller".into()),
            other => Err(format!("`{other}` is not a severity; use error, warning, info or off")),
        }
    }
}

/// One drift result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule id, e.g. `story-missing-benefit`.
    pub rule: String,
    pub severity: Severity,
    /// The item key (`ST-14`), or `line N` for a story from a plain-text file; `None` for the backlog.
    pub item: Option<String>,
    pub path: Option<PathBuf>,
    /// 1-based line in `path`.
    pub line: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

impl Finding {
    /// A finding of `rule_id` at the rule's default severity, with its default hint.
    ///
    /// Panics when `rule_id` is not in [`RULES`]: rule ids are fixed at compile time.
    pub fn new(rule_id: &str, item: Option<String>, message: impl Into<String>) -> Self {
        let rule = rule(rule_id).unwrap_or_else(|| panic!("unknown drift rule `{rule_id}`"));
        Finding {
            rule: rule.id.to_string(),
            severity: rule.severity,
            item,
            path: None,
            line: None,
            message: message.into(),
            hint: (!rule.hint.is_empty()).then(|| rule.hint.to_string()),
        }
    }

    pub fn at(mut self, path: Option<PathBuf>, line: Option<usize>) -> Self {
        self.path = path;
        self.line = line;
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Orders findings for output: by path (numbers in names compared as numbers, so `ST-7` comes
/// before `ST-18`), then line, rule and message.
pub fn sort_findings(findings: &mut [Finding]) {
    fn natural(p: &Option<PathBuf>) -> Vec<(String, u64)> {
        let text = p.as_ref().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        let mut parts = Vec::new();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let digits_at = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
            let (word, tail) = rest.split_at(digits_at);
            let digits_end = tail.find(|c: char| !c.is_ascii_digit()).unwrap_or(tail.len());
            let (num, tail) = tail.split_at(digits_end);
            parts.push((word.to_string(), num.parse().unwrap_or(0)));
            rest = tail;
        }
        parts
    }
    findings.sort_by_cached_key(|f| (natural(&f.path), f.line, f.rule.clone(), f.message.clone()));
}
