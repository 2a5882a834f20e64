//! The Azure Boards mapping (`mappings/azure-boards/*.toml`): which work item type (and tag) each
//! kind is, canonical states ⇄ each type's states, where each canonical field lives (a field, a
//! tag, a description section, the story sentence), the marker tag, and Markdown or HTML.

mod content;
pub mod html;
mod html_read;
pub mod text;

pub use content::{ITERATION_PATH, iteration_path, join_azure_tags, milestone_of_path, split_azure_tags};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::mapping::MappingError;
use crate::model::{ItemId, Kind, State};

/// A work item as the mapping reads and writes it, whatever the client.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkItemContent {
    /// `User Story`.
    pub work_item_type: String,
    /// Reference name → text (`""`: empty). Identities by unique name, numbers without `.0`.
    pub fields: BTreeMap<String, String>,
    /// Rich-text fields whose text is Markdown (the others hold HTML).
    pub markdown: BTreeSet<String>,
}

/// Which work items are one kind.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KindRule {
    /// The work item type, as the process names it (`User Story`).
    #[serde(rename = "type")]
    pub work_item_type: String,
    /// A tag that tells this kind apart from another kind of the same type.
    pub tag: Option<String>,
}

/// How one canonical state looks on Boards: a state, and a tag when states share it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum StateRule {
    Plain(String),
    Tagged { state: String, tag: Option<String> },
}

impl StateRule {
    pub fn state(&self) -> &str {
        match self {
            StateRule::Plain(s) | StateRule::Tagged { state: s, .. } => s,
        }
    }

    pub fn tag(&self) -> Option<&str> {
        match self {
            StateRule::Plain(_) => None,
            StateRule::Tagged { tag, .. } => tag.as_deref(),
        }
    }
}

/// Where one canonical field lives on Boards. Exactly one of `field`, `tag`, `section`, `sentence`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct FieldRule {
    /// A work item field (`Microsoft.VSTS.Scheduling.StoryPoints`, `Custom.Persona`).
    pub field: Option<String>,
    /// A tag `prefix + value` (`severity:high`).
    pub tag: Option<String>,
    /// A `### Heading` section of the description.
    pub section: Option<String>,
    /// Part of the story sentence "As a …, I can …, so that …" (persona, activity, benefit).
    #[serde(default)]
    pub sentence: bool,
    /// Canonical value → field value (`high = "2 - High"`); numeric field values read back to
    /// the nearest mapped number.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// The field holds a date and time; canonically it is `YYYY-MM-DD`.
    #[serde(default)]
    pub date: bool,
}

/// Rich-text fields of the built-in processes; `rich_text` in a mapping adds custom ones.
pub const RICH_TEXT: &[&str] = &[
    "System.Description",
    "Microsoft.VSTS.Common.AcceptanceCriteria",
    "Microsoft.VSTS.Common.Resolution",
    "Microsoft.VSTS.CMMI.MitigationPlan",
    "Microsoft.VSTS.CMMI.ContingencyPlan",
    "Microsoft.VSTS.CMMI.MitigationTriggers",
    "Microsoft.VSTS.CMMI.Justification",
    "Microsoft.VSTS.TCM.ReproSteps",
    "Microsoft.VSTS.TCM.SystemInfo",
];

/// The canonical fields whose place a mapping may choose.
pub const PLACED_FIELDS: &[&str] = &[
    "priority",
    "points",
    "acceptance",
    "persona",
    "activity",
    "benefit",
    "likelihood",
    "severity",
    "mitigation",
    "review_by",
];

/// An Azure Boards mapping file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AzureMapping {
    /// The project's process (`Agile`, `Scrum`, `CMMI`, `Basic`), for people and `validate`.
    pub process: String,
    /// The marker tag's prefix: `backlog-sync:ST-14`.
    #[serde(default = "default_marker")]
    pub marker: String,
    /// Write rich-text fields as Markdown (`multilineFieldsFormat`); `false` writes HTML.
    #[serde(default = "yes")]
    pub markdown: bool,
    pub kinds: BTreeMap<Kind, KindRule>,
    /// Per kind: canonical state → Boards state.
    pub states: BTreeMap<Kind, BTreeMap<State, StateRule>>,
    /// Per kind: Boards states no canonical state maps to → what a person's move there means.
    #[serde(default)]
    pub inbound: BTreeMap<Kind, BTreeMap<String, State>>,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldRule>,
    /// Custom rich-text fields besides the built-in ones.
    #[serde(default)]
    pub rich_text: Vec<String>,
    /// The project whose iteration tree holds the milestones (`System.IterationPath` is
    /// `Project\Milestone`); set by the target, not the file. Empty: milestones are not written.
    #[serde(skip)]
    pub project: String,
}

fn default_marker() -> String {
    "backlog-sync".into()
}

fn yes() -> bool {
    true
}

impl AzureMapping {
    pub fn load(path: &Path) -> Result<AzureMapping, MappingError> {
        let m: AzureMapping = crate::mapping::read_toml(path)?;
        m.check().map_err(|reason| MappingError::Invalid { path: path.to_path_buf(), reason })?;
        Ok(m)
    }

    /// A mapping from its text (a built-in one); `origin` names it in errors.
    pub fn from_text(text: &str, origin: &Path) -> Result<AzureMapping, MappingError> {
        let m: AzureMapping = crate::mapping::parse_toml(text, origin)?;
        m.check().map_err(|reason| MappingError::Invalid { path: origin.to_path_buf(), reason })?;
        Ok(m)
    }

    /// Every kind has a type, every state of every kind a Boards state, every field one place.
    pub fn check(&self) -> Result<(), String> {
        for kind in Kind::ALL {
            let rule = self.kinds.get(&kind).ok_or_else(|| format!("`[kinds.{kind}]` is missing; give it a `type`"))?;
            let shared = self.kinds.values().filter(|r| r.work_item_type.eq_ignore_ascii_case(&rule.work_item_type));
            if shared.filter(|r| r.tag.is_none()).count() > 1 {
                return Err(format!(
                    "several kinds are `{}` work items without a `tag`; give all but one a `tag`",
                    rule.work_item_type
                ));
            }
            let states = self.states.get(&kind).ok_or_else(|| format!("`[states.{kind}]` is missing"))?;
            for state in State::ALL {
                if !states.contains_key(&state) {
                    return Err(format!("`[states.{kind}]` does not map `{state}`"));
                }
            }
            for rule in states.values().filter(|r| r.tag().is_some()) {
                let plain = states.values().any(|r| r.tag().is_none() && r.state().eq_ignore_ascii_case(rule.state()));
                if !plain
                    && !self.inbound.get(&kind).is_some_and(|i| i.keys().any(|k| k.eq_ignore_ascii_case(rule.state())))
                {
                    return Err(format!(
                        "`[states.{kind}]`: Boards state `{}` is only reached with a tag; map it without a tag too, or add it to `[inbound.{kind}]`",
                        rule.state()
                    ));
                }
            }
        }
        for (name, rule) in &self.fields {
            if !PLACED_FIELDS.contains(&name.as_str()) {
                return Err(format!("`[fields]` has `{name}`, which is not a field a mapping places"));
            }
            let places = [rule.field.is_some(), rule.tag.is_some(), rule.section.is_some(), rule.sentence];
            if places.iter().filter(|p| **p).count() != 1 {
                return Err(format!("`fields.{name}` needs exactly one of `field`, `tag`, `section` or `sentence`"));
            }
            if rule.sentence && !["persona", "activity", "benefit"].contains(&name.as_str()) {
                return Err(format!("`fields.{name}`: only persona, activity and benefit make the story sentence"));
            }
        }
        Ok(())
    }

    /// The work item types this mapping selects.
    pub fn types(&self) -> Vec<String> {
        let mut t: Vec<String> = Vec::new();
        for rule in self.kinds.values() {
            if !t.iter().any(|x| x.eq_ignore_ascii_case(&rule.work_item_type)) {
                t.push(rule.work_item_type.clone());
            }
        }
        t
    }

    /// The kind of a work item: its type, and the kind's tag where a type serves several kinds.
    pub fn kind_of(&self, work_item_type: &str, tags: &[String]) -> Option<Kind> {
        let same = |r: &KindRule| r.work_item_type.eq_ignore_ascii_case(work_item_type);
        let has = |t: &str| tags.iter().any(|x| x.eq_ignore_ascii_case(t));
        self.kinds
            .iter()
            .find(|(_, r)| same(r) && r.tag.as_deref().is_some_and(has))
            .or_else(|| self.kinds.iter().find(|(_, r)| same(r) && r.tag.is_none()))
            .map(|(k, _)| *k)
    }

    /// The marker tag of an item: `backlog-sync:ST-14`.
    pub fn marker_tag(&self, id: &ItemId) -> String {
        format!("{}:{id}", self.marker)
    }

    /// The canonical id in a work item's marker tag.
    pub fn marker_in(&self, tags: &[String]) -> Option<ItemId> {
        let prefix = format!("{}:", self.marker);
        tags.iter().find_map(|t| strip_prefix_ci(t.trim(), &prefix).and_then(|id| id.trim().parse().ok()))
    }

    /// Whether the tag is the mapping's own (marker, kind, state or field tag), not a canonical tag.
    pub fn is_managed_tag(&self, tag: &str) -> bool {
        let t = tag.trim();
        strip_prefix_ci(t, &format!("{}:", self.marker)).is_some()
            || self.kinds.values().filter_map(|r| r.tag.as_deref()).any(|k| k.eq_ignore_ascii_case(t))
            || self
                .states
                .values()
                .flat_map(|s| s.values())
                .filter_map(StateRule::tag)
                .any(|k| k.eq_ignore_ascii_case(t))
            || self.fields.values().filter_map(|r| r.tag.as_deref()).any(|p| strip_prefix_ci(t, p).is_some())
    }

    /// The Boards state and tag of a canonical state.
    pub fn state_rule(&self, kind: Kind, state: State) -> (&str, Option<&str>) {
        let rule = &self.states[&kind][&state];
        (rule.state(), rule.tag())
    }

    /// The canonical state of a work item: its state, refined by a state tag. Without a matching
    /// tag (a person moved the item on the board), the state mapped without a tag, or `[inbound]`.
    pub fn state_of(&self, kind: Kind, state: &str, tags: &[String]) -> State {
        let rules = &self.states[&kind];
        let same = |r: &StateRule| r.state().eq_ignore_ascii_case(state.trim());
        let has = |t: &str| tags.iter().any(|x| x.eq_ignore_ascii_case(t));
        if let Some((s, _)) = rules.iter().find(|(_, r)| same(r) && r.tag().is_some_and(has)) {
            return *s;
        }
        if let Some((s, _)) = rules.iter().find(|(_, r)| same(r) && r.tag().is_none()) {
            return *s;
        }
        if let Some(s) =
            self.inbound.get(&kind).and_then(|i| i.iter().find(|(k, _)| k.eq_ignore_ascii_case(state.trim())))
        {
            return *s.1;
        }
        rules.iter().find(|(_, r)| same(r)).map(|(s, _)| *s).unwrap_or(State::Active)
    }

    /// Where a canonical field lives (the sentence for persona/activity/benefit by default).
    pub fn rule(&self, field: &str) -> Option<FieldRule> {
        match self.fields.get(field) {
            Some(r) => Some(r.clone()),
            None if ["persona", "activity", "benefit"].contains(&field) => {
                Some(FieldRule { sentence: true, ..FieldRule::default() })
            }
            None => None,
        }
    }

    pub fn is_rich_text(&self, field: &str) -> bool {
        RICH_TEXT.iter().any(|f| f.eq_ignore_ascii_case(field))
            || self.rich_text.iter().any(|f| f.eq_ignore_ascii_case(field))
    }
}

pub(crate) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() > prefix.len() && s.is_char_boundary(prefix.len()) && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
process = "Agile"
[kinds.epic]
type = "Epic"
[kinds.story]
type = "User Story"
[kinds.risk]
type = "Issue"
tag = "type:risk"
[states.epic]
new = "New"
active = "Active"
resolved = "Resolved"
closed = "Closed"
removed = "Removed"
[states.story]
new = "New"
active = "Active"
resolved = "Resolved"
closed = "Closed"
removed = "Removed"
[states.risk]
new = { state = "Active", tag = "state:new" }
active = "Active"
resolved = "Closed"
closed = "Closed"
removed = "Closed"
"#;

    fn parse(text: &str) -> Result<AzureMapping, String> {
        let m: AzureMapping = toml::from_str(text).map_err(|e| e.to_string())?;
        m.check().map(|_| m)
    }

    #[test]
    fn mappings_are_checked_before_use() {
        assert!(parse(BASE).is_ok());
        let cases = [
            (
                BASE.replace(
                    "[kinds.risk]\ntype = \"Issue\"\ntag = \"type:risk\"",
                    "[kinds.risk]\ntype = \"User Story\"",
                ),
                "without a `tag`",
            ),
            (BASE.replace("removed = \"Removed\"\n[states.story]", "[states.story]"), "does not map `removed`"),
            (
                BASE.replace(
                    "active = \"Active\"\nresolved = \"Closed\"",
                    "active = \"Closed\"\nresolved = \"Closed\"",
                ),
                "only reached with a tag",
            ),
            (format!("{BASE}[fields]\ntitle = {{ field = \"System.Title\" }}\n"), "not a field a mapping places"),
            (format!("{BASE}[fields]\npoints = {{ field = \"X\", tag = \"p:\" }}\n"), "exactly one of"),
            (format!("{BASE}[fields]\npoints = {{ sentence = true }}\n"), "only persona"),
        ];
        for (text, want) in cases {
            let err = parse(&text).unwrap_err();
            assert!(err.contains(want), "{want}: {err}");
        }
    }

    #[test]
    fn kinds_states_and_markers_read_back() {
        let m = parse(BASE).unwrap();
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(m.kind_of("issue", &tags(&["TYPE:RISK"])), Some(Kind::Risk));
        assert_eq!(m.kind_of("Issue", &[]), None, "an Issue without the risk tag is not a backlog item");
        assert_eq!(m.types(), ["Epic", "User Story", "Issue"]);
        let id: ItemId = "ST-14".parse().unwrap();
        assert_eq!(m.marker_in(&tags(&["x", &m.marker_tag(&id)])), Some(id));
        assert_eq!(m.state_of(Kind::Risk, "Active", &tags(&["state:new"])), State::New);
        assert_eq!(m.state_of(Kind::Risk, "active", &[]), State::Active);
        assert_eq!(m.state_of(Kind::Risk, "Closed", &[]), State::Resolved, "the first state mapped there");
        assert!(m.is_managed_tag("backlog-sync:EP-1") && m.is_managed_tag("state:new") && !m.is_managed_tag("ux"));
        assert!(m.is_rich_text("system.description") && !m.is_rich_text("System.Title"));
    }
}
