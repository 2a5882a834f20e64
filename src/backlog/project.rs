//! `backlog.toml` (the Game Plan: problems, success criteria, milestones, personas, id prefixes)
//! and `stakeholders.toml` (who hears about the backlog, how and how often).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{Kind, Persona, State};

/// The contents of `backlog.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub ids: IdPrefixes,
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub problems: Vec<Problem>,
    #[serde(default)]
    pub success_criteria: Vec<SuccessCriterion>,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    #[serde(default)]
    pub personas: Vec<Persona>,
}

impl Project {
    /// A project with only a name; what `init` and tests start from.
    pub fn named(name: &str) -> Project {
        Project {
            name: name.to_string(),
            description: None,
            ids: IdPrefixes::default(),
            defaults: Defaults::default(),
            problems: Vec::new(),
            success_criteria: Vec::new(),
            milestones: Vec::new(),
            personas: Vec::new(),
        }
    }
}

/// The id prefix of each kind: `EP-1`, `ST-14`, `RK-3` by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdPrefixes {
    pub epic: String,
    pub story: String,
    pub risk: String,
}

impl Default for IdPrefixes {
    fn default() -> Self {
        IdPrefixes { epic: "EP".into(), story: "ST".into(), risk: "RK".into() }
    }
}

impl IdPrefixes {
    pub fn prefix(&self, kind: Kind) -> &str {
        match kind {
            Kind::Epic => &self.epic,
            Kind::Story => &self.story,
            Kind::Risk => &self.risk,
        }
    }

    /// The kind whose prefix this is (case-insensitive).
    pub fn kind_of(&self, prefix: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| self.prefix(*k).eq_ignore_ascii_case(prefix))
    }
}

/// Values an item gets when its file does not say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Defaults {
    pub state: State,
    /// Days after which a risk without `review_by` counts as due for review (0: never).
    pub risk_review_days: u32,
    /// `risk-register-stale`: the register is stale when no open risk was reviewed
    /// (`reviewed:`) within this many days.
    pub risk_register_window_days: u32,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults { state: State::New, risk_review_days: 0, risk_register_window_days: 30 }
    }
}

/// A problem statement the engagement exists to solve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    pub id: String,
    pub statement: String,
    /// Epics that address this problem.
    #[serde(default)]
    pub epics: Vec<String>,
}

/// A measurable sign of success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessCriterion {
    pub id: String,
    pub description: String,
    #[serde(default)]
    pub measure: Option<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub epics: Vec<String>,
}

/// A milestone with its definition of done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    pub name: String,
    #[serde(default, deserialize_with = "toml_date")]
    pub due: Option<NaiveDate>,
    #[serde(default)]
    pub definition_of_done: Vec<String>,
    /// Epics that must be done for the milestone.
    #[serde(default)]
    pub epics: Vec<String>,
    /// Success criteria (`SC1`) the milestone advances; its definition of done traces to them.
    #[serde(default)]
    pub criteria: Vec<String>,
    /// When its iteration starts on Azure Boards (default: the day after the previous
    /// milestone's due date, or two weeks before its own).
    #[serde(default, deserialize_with = "toml_date")]
    pub start: Option<NaiveDate>,
    /// Closed on GitHub (done or abandoned); open by default.
    #[serde(default)]
    pub closed: bool,
}

/// Reads a TOML date (`due = 2027-03-31`) or a quoted one (`due = "2027-03-31"`).
fn toml_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    use serde::de::Error;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Date(toml::value::Datetime),
        Text(String),
    }
    let text = match Option::<Raw>::deserialize(d)? {
        None => return Ok(None),
        Some(Raw::Date(dt)) => dt.to_string(),
        Some(Raw::Text(s)) => s,
    };
    NaiveDate::parse_from_str(text.get(..10).unwrap_or(&text), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| D::Error::custom(format!("`{text}` is not a date; write it as 2027-03-31")))
}

/// The contents of `stakeholders.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Stakeholders {
    #[serde(default)]
    pub stakeholders: Vec<Stakeholder>,
}

/// One person or group who hears about the backlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stakeholder {
    pub name: String,
    pub role: String,
    /// Which summary they get: `executive` or `team` (templates may add more).
    pub audience: String,
    /// Where the summary goes: `github-comment`, `azure-wiki`, `teams`, `slack` or `file`.
    /// Empty when not given (`stakeholder-missing-channel`).
    #[serde(default)]
    pub channel: String,
    /// How often: `weekly`, `biweekly`, `monthly`, or a cron expression. Empty when not given.
    #[serde(default)]
    pub cadence: String,
    #[serde(default)]
    pub contact: Option<String>,
    /// Can confirm the success criteria on the customer's side: `true` for all of them, or the
    /// ids of those they confirm (`["SC1"]`).
    #[serde(default)]
    pub decides: Decides,
    /// When they joined the map: their cadence counts from here until a summary is recorded.
    #[serde(default, deserialize_with = "toml_date")]
    pub since: Option<NaiveDate>,
}

/// Which success criteria a stakeholder can confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Decides {
    /// `decides = true`: every criterion; `false`: none.
    All(bool),
    /// `decides = ["SC1", "SC2"]`.
    Criteria(Vec<String>),
}

impl Default for Decides {
    fn default() -> Self {
        Decides::All(false)
    }
}

impl Decides {
    /// Whether the stakeholder can confirm criterion `id`.
    pub fn covers(&self, id: &str) -> bool {
        match self {
            Decides::All(all) => *all,
            Decides::Criteria(ids) => ids.iter().any(|c| c.eq_ignore_ascii_case(id)),
        }
    }

    /// Whether the stakeholder confirms anything at all.
    pub fn any(&self) -> bool {
        match self {
            Decides::All(all) => *all,
            Decides::Criteria(ids) => !ids.is_empty(),
        }
    }
}

/// A TOML file that does not read as expected; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct TomlError {
    pub line: usize,
    pub reason: String,
}

/// Parses TOML text into `T`, turning the parser's byte span into a line number.
pub fn parse_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, TomlError> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1).unwrap_or(1);
        TomlError { line, reason: e.message().trim().to_string() }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_project_takes_defaults() {
        let p: Project = parse_toml("name = \"x\"\n").unwrap();
        assert_eq!(p.ids.prefix(Kind::Story), "ST");
        assert_eq!(p.ids.kind_of("rk"), Some(Kind::Risk));
        assert_eq!(p.defaults.state, State::New);
    }

    #[test]
    fn game_plan_keys_are_optional_and_read_when_given() {
        let old: Stakeholders = parse_toml(
            "[[stakeholders]]\nname = \"A\"\nrole = \"r\"\naudience = \"team\"\nchannel = \"file\"\ncadence = \"weekly\"\n",
        )
        .unwrap();
        assert_eq!(old.stakeholders[0].decides, Decides::All(false));
        assert_eq!(old.stakeholders[0].since, None);
        let new: Stakeholders = parse_toml(
            "[[stakeholders]]\nname = \"A\"\nrole = \"r\"\naudience = \"team\"\ndecides = [\"SC1\"]\nsince = 2026-09-01\n",
        )
        .unwrap();
        let s = &new.stakeholders[0];
        assert!(s.decides.covers("sc1") && !s.decides.covers("SC2"));
        assert_eq!((s.channel.as_str(), s.cadence.as_str()), ("", ""));
        assert_eq!(s.since, NaiveDate::from_ymd_opt(2026, 9, 1));
        let p: Project = parse_toml("name = \"x\"\n[[milestones]]\nname = \"M\"\ncriteria = [\"SC1\"]\n").unwrap();
        assert_eq!(p.milestones[0].criteria, ["SC1"]);
        assert_eq!(p.defaults.risk_register_window_days, 30);
    }

    #[test]
    fn unknown_keys_are_reported_with_their_line() {
        let err = parse_toml::<Project>("name = \"x\"\n\nnmae = \"typo\"\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.reason.contains("nmae"), "{err}");
    }
}
