//! The GitHub mapping (`mappings/github/*.toml`): canonical fields ⇄ an issue's title, body
//! sections, labels, open/closed state and assignees, with the hidden marker in the body.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::mapping::Identities;
use crate::mapping::MappingError;
use crate::mapping::adapt::{self, Adaptation, TagRules};
use crate::mapping::fields::{FieldMap, fields_of, join_tags, normalise_text};
use crate::model::{ItemId, Kind, State};

/// How one canonical state looks on GitHub.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StateRule {
    /// `open` or `closed`.
    pub state: String,
    pub state_reason: Option<String>,
    /// The status label that tells states apart that share open/closed.
    pub label: Option<String>,
}

/// A GitHub mapping file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GithubMapping {
    /// The word in the hidden marker comment: `<!-- backlog-sync: ST-14 -->`.
    #[serde(default = "default_marker")]
    pub marker: String,
    /// The label that marks each kind; issues with one of these are backlog items.
    pub kinds: BTreeMap<Kind, String>,
    pub states: BTreeMap<State, StateRule>,
    /// Fields carried as `prefix + value` labels (priority, likelihood, severity).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Fields carried as body sections under a `### Heading`.
    #[serde(default)]
    pub sections: BTreeMap<String, String>,
}

fn default_marker() -> String {
    "backlog-sync".into()
}

/// What the mapping reads from and writes to an issue, whatever the client library.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IssueContent {
    pub title: String,
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    /// `None`: leave the assignees as they are (the owner has no GitHub identity).
    pub assignees: Option<Vec<String>>,
    /// The milestone's title; `None`: no milestone.
    pub milestone: Option<String>,
}

static MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^[ \t]*<!--\s*([a-z][a-z0-9-]*):\s*([A-Za-z]+-\d+)\s*-->[ \t]*\r?\n?").unwrap());
static HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^#{1,6}[ \t]+(.+?)[ \t#]*$").unwrap());

impl GithubMapping {
    pub fn load(path: &Path) -> Result<GithubMapping, MappingError> {
        let m: GithubMapping = crate::mapping::read_toml(path)?;
        m.check().map_err(|reason| MappingError::Invalid { path: path.to_path_buf(), reason })?;
        Ok(m)
    }

    /// A mapping from its text (a built-in one); `origin` names it in errors.
    pub fn from_text(text: &str, origin: &Path) -> Result<GithubMapping, MappingError> {
        let m: GithubMapping = crate::mapping::parse_toml(text, origin)?;
        m.check().map_err(|reason| MappingError::Invalid { path: origin.to_path_buf(), reason })?;
        Ok(m)
    }

    /// Every kind and state must be mapped, and states must be told apart.
    pub fn check(&self) -> Result<(), String> {
        for kind in Kind::ALL {
            if !self.kinds.contains_key(&kind) {
                return Err(format!("`[kinds]` has no label for `{kind}`"));
            }
        }
        for state in State::ALL {
            let rule = self.states.get(&state).ok_or_else(|| format!("`[states]` does not map `{state}`"))?;
            if rule.state != "open" && rule.state != "closed" {
                return Err(format!("`states.{state}.state` is `{}`; use `open` or `closed`", rule.state));
            }
        }
        Ok(())
    }

    /// The kind an issue is, from its labels.
    pub fn kind_of(&self, labels: &[String]) -> Option<Kind> {
        self.kinds.iter().find(|(_, l)| labels.iter().any(|x| x.eq_ignore_ascii_case(l))).map(|(k, _)| *k)
    }

    pub fn marker_for(&self, id: &ItemId) -> String {
        format!("<!-- {}: {id} -->", self.marker)
    }

    /// The canonical id in an issue body's marker.
    pub fn marker_in(&self, body: &str) -> Option<ItemId> {
        MARKER.captures_iter(body).find(|c| c[1] == self.marker).and_then(|c| c[2].parse().ok())
    }

    fn is_managed_label(&self, label: &str) -> bool {
        self.kinds.values().any(|l| l.eq_ignore_ascii_case(label))
            || self.states.values().filter_map(|r| r.label.as_deref()).any(|l| l.eq_ignore_ascii_case(label))
            || self.labels.values().any(|p| label.to_lowercase().starts_with(&p.to_lowercase()))
    }

    /// Renders `fields` of an item of `kind` as issue content. Unknown owners leave assignees alone.
    pub fn to_issue(&self, kind: Kind, id: &ItemId, fields: &FieldMap, people: &Identities) -> IssueContent {
        self.to_issue_adapted(kind, id, fields, people, "").0
    }

    /// Renders as [`GithubMapping::to_issue`] does, adapted to what GitHub holds (tags that cannot
    /// be labels left out, a body over the limit cut), with a note per adaptation on `target`.
    pub fn to_issue_adapted(
        &self,
        kind: Kind,
        id: &ItemId,
        fields: &FieldMap,
        people: &Identities,
        target: &str,
    ) -> (IssueContent, Vec<Adaptation>) {
        let get = |f: &str| fields.get(f).map(String::as_str).unwrap_or("");
        let state: State = get("state").parse().unwrap_or(State::New);
        let rule = &self.states[&state];
        let mut labels = vec![self.kinds[&kind].clone()];
        labels.extend(rule.label.clone());
        for (field, prefix) in &self.labels {
            if fields_of(kind).contains(&field.as_str()) && !get(field).is_empty() {
                labels.push(format!("{prefix}{}", get(field)));
            }
        }
        labels.extend(TagRules::GithubLabel.split(get("tags")).0);
        let mut notes = adapt::unfit_tags(TagRules::GithubLabel, &id.to_string(), target, fields);
        let (body, cut) = self.body_of(kind, id, fields);
        if let Some(cut) = cut {
            notes.push(Adaptation {
                rule: adapt::BODY_CUT,
                item: id.to_string(),
                target: target.to_string(),
                message: format!(
                    "the issue body is longer than GitHub's {} characters; it is cut at a section boundary, {} \
                     characters left out, with a note pointing at `{}`",
                    adapt::GITHUB_BODY_LIMIT,
                    cut.left_out,
                    file_of(kind, id)
                ),
                hint: "the file keeps the whole text; shorten it to show all of it on GitHub".to_string(),
            });
        }
        let owner = get("owner");
        let assignees =
            if owner.is_empty() { Some(Vec::new()) } else { people.github_login(owner).map(|l| vec![l.to_string()]) };
        let content = IssueContent {
            title: get("title").to_string(),
            body,
            state: rule.state.clone(),
            state_reason: rule.state_reason.clone(),
            labels,
            assignees,
            milestone: Some(get("milestone").trim()).filter(|m| !m.is_empty()).map(str::to_string),
        };
        (content, notes)
    }

    /// The issue body of `fields`: description, sections and the marker, cut to GitHub's limit.
    fn body_of(&self, kind: Kind, id: &ItemId, fields: &FieldMap) -> (String, Option<adapt::Cut>) {
        let get = |f: &str| fields.get(f).map(String::as_str).unwrap_or("");
        let mut body = String::new();
        let description = get("description");
        if !description.is_empty() {
            body.push_str(description);
            body.push_str("\n\n");
        }
        for field in fields_of(kind) {
            if let Some(heading) = self.sections.get(*field)
                && !get(field).is_empty()
            {
                body.push_str(&format!("### {heading}\n\n{}\n\n", get(field)));
            }
        }
        adapt::fit_body(&body, &self.marker_for(id), &file_of(kind, id))
    }

    /// The fields read back from an issue written with `meant`, as meant: tags GitHub could not
    /// hold as labels are still there, labels that differ from a tag only in case are that tag,
    /// and a cut body reads as the whole text (an edit of the part shown keeps the rest).
    pub fn restore(&self, kind: Kind, id: &ItemId, meant: &FieldMap, read: &mut FieldMap) {
        if let (Some(r), Some(m)) = (read.get("tags"), meant.get("tags")) {
            let restored = TagRules::GithubLabel.restore(r, m);
            read.insert("tags".into(), restored);
        }
        let (body, cut) = self.body_of(kind, id, meant);
        if cut.is_none() {
            return;
        }
        let (description, sections) = self.parse_body(&body);
        let mut shown: FieldMap = sections.into();
        shown.insert("description".into(), description);
        let mut body_fields = vec!["description".to_string()];
        body_fields.extend(
            fields_of(kind)
                .iter()
                .filter(|f| self.sections.contains_key(**f) && !self.labels.contains_key(**f))
                .map(|f| f.to_string()),
        );
        adapt::restore_cut(read, meant, &shown, &body_fields);
    }

    /// Reads the canonical fields of an issue of `kind` (all but `epic`, which comes from the
    /// parent issue). An assignee with no identity leaves `owner` out: unknown, never guessed.
    pub fn from_issue(&self, kind: Kind, issue: &IssueContent, people: &Identities) -> FieldMap {
        let mut map = FieldMap::new();
        let carried = fields_of(kind);
        map.insert("title".into(), normalise_text(&issue.title));
        map.insert("state".into(), self.state_of(issue).to_string());
        let mut tags = Vec::new();
        // Tags are kept trimmed, so a label is judged by its trimmed text too.
        for label in issue.labels.iter().map(|l| l.trim()) {
            if let Some((field, value)) =
                self.labels.iter().find_map(|(f, p)| strip_prefix_ci(label, p).map(|v| (f, v)))
            {
                if carried.contains(&field.as_str()) {
                    map.insert(field.clone(), value.trim().to_string());
                }
            } else if !self.is_managed_label(label) {
                tags.push(label);
            }
        }
        if carried.contains(&"tags") {
            map.insert("tags".into(), join_tags(&tags));
        }
        let (description, sections) = self.parse_body(&issue.body);
        for field in carried {
            if self.labels.contains_key(*field) {
                map.entry(field.to_string()).or_default();
            } else if self.sections.contains_key(*field) {
                map.insert(field.to_string(), sections.get(*field).cloned().unwrap_or_default());
            }
        }
        map.insert("description".into(), description);
        if carried.contains(&"milestone") {
            map.insert("milestone".into(), issue.milestone.as_deref().map(normalise_text).unwrap_or_default());
        }
        match issue.assignees.as_deref() {
            None | Some([]) => {
                map.insert("owner".into(), String::new());
            }
            Some([first, ..]) => {
                if let Some(person) = people.canonical_for_github(first) {
                    map.insert("owner".into(), person.to_string());
                }
            }
        }
        map
    }

    /// The canonical state: open/closed and the reason decide, the status label refines. Without
    /// a matching label (a person opened or closed the issue), an open issue is `active` and a
    /// closed one takes the last state closed for that reason (`closed`, or `removed` when not planned).
    pub fn state_of(&self, issue: &IssueContent) -> State {
        let has_label = |s: &State| {
            self.states[s].label.as_deref().is_some_and(|l| issue.labels.iter().any(|x| x.eq_ignore_ascii_case(l)))
        };
        let same_state = |s: &State| self.states[s].state == issue.state;
        let same_reason = |s: &State| issue.state == "open" || self.states[s].state_reason == issue.state_reason;
        if let Some(s) = State::ALL.iter().find(|s| same_state(s) && same_reason(s) && has_label(s)) {
            return *s;
        }
        if issue.state == "open" {
            return State::ALL.into_iter().find(|s| *s == State::Active && same_state(s)).unwrap_or(State::Active);
        }
        State::ALL.into_iter().rev().find(|s| same_state(s) && same_reason(s)).unwrap_or(State::Closed)
    }

    /// Splits a body into the description and the known sections; removes the marker. Issue
    /// forms' `_No response_` counts as empty.
    pub fn parse_body(&self, body: &str) -> (String, BTreeMap<String, String>) {
        let body = adapt::strip_cut_note(&MARKER.replace_all(body, ""));
        let mut description = Vec::new();
        let mut sections: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in body.lines() {
            let heading = HEADING.captures(line.trim_end()).and_then(|c| {
                let text = c[1].trim().to_string();
                self.sections.iter().find(|(_, h)| h.eq_ignore_ascii_case(&text)).map(|(f, _)| f.clone())
            });
            match heading {
                Some(field) => {
                    sections.entry(field.clone()).or_default();
                    current = Some(field);
                }
                None => match &current {
                    Some(field) => sections.entry(field.clone()).or_default().push(line),
                    None => description.push(line),
                },
            }
        }
        let clean = |lines: &[&str]| {
            let text = normalise_text(&lines.join("\n"));
            if text == "_No response_" { String::new() } else { text }
        };
        (clean(&description), sections.into_iter().map(|(f, lines)| (f, clean(&lines))).collect())
    }
}

/// The backlog file of an item, as a cut note points at it.
pub fn file_of(kind: Kind, id: &ItemId) -> String {
    format!("{}/{id}.md", kind.folder())
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() > prefix.len() && s.is_char_boundary(prefix.len()) && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}
