//! Reading an [`Item`] out of a front matter [`Document`] and writing field changes back into it.

use chrono::NaiveDate;
use yaml_rust2::Yaml;

use super::frontmatter::{Document, FieldValue, FrontMatter, SyntaxError, Values};
use super::project::{Defaults, IdPrefixes};
use crate::model::sentence;
use crate::model::{Item, ItemId, Kind, Level, SentenceSource, State};

/// The front matter keys backlog-sync reads; every other key is the user's and is kept as is.
pub const KNOWN_KEYS: &[&str] = &[
    "id",
    "title",
    "state",
    "priority",
    "owner",
    "tags",
    "milestone",
    "epic",
    "persona",
    "activity",
    "benefit",
    "points",
    "likelihood",
    "severity",
    "mitigation",
    "review_by",
];

/// Takes each value out of the parsed front matter as it is read, so a value the YAML reader
/// already made into a string becomes the item's string without another copy.
struct Reader<'a> {
    front: &'a FrontMatter,
    values: Values,
}

/// `s` without its surrounding white space, reusing its allocation when there is none.
fn trimmed(s: String) -> String {
    let t = s.trim();
    if t.len() == s.len() { s } else { t.to_string() }
}

impl Reader<'_> {
    fn error(&self, key: &str, reason: String) -> SyntaxError {
        SyntaxError { line: self.front.line_of(key).unwrap_or(1), reason }
    }

    /// A scalar as text; numbers and booleans are accepted as their text. Empty is `None`.
    fn scalar(&self, key: &str, value: Option<Yaml>) -> Result<Option<String>, SyntaxError> {
        match value {
            None | Some(Yaml::Null) => Ok(None),
            Some(Yaml::String(s)) | Some(Yaml::Real(s)) => {
                let s = trimmed(s);
                Ok((!s.is_empty()).then_some(s))
            }
            Some(Yaml::Integer(i)) => Ok(Some(i.to_string())),
            Some(Yaml::Boolean(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(self.error(key, format!("`{key}` must be a single value, not a list or a mapping"))),
        }
    }

    /// The text of `key` (see [`Reader::scalar`]), taken out: each key is read once.
    fn text(&mut self, key: &str) -> Result<Option<String>, SyntaxError> {
        let value = self.values.remove(key);
        self.scalar(key, value)
    }

    fn parsed<T>(&mut self, key: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Option<T>, SyntaxError> {
        match self.text(key)? {
            None => Ok(None),
            Some(s) => parse(&s).map(Some).map_err(|reason| self.error(key, reason)),
        }
    }

    fn whole_number(&mut self, key: &str) -> Result<Option<u32>, SyntaxError> {
        self.parsed(key, |s| s.parse::<u32>().map_err(|_| format!("`{key}` is `{s}`; use a whole number such as 2")))
    }

    fn number(&mut self, key: &str) -> Result<Option<f64>, SyntaxError> {
        self.parsed(key, |s| {
            s.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| format!("`{key}` is `{s}`; use a number such as 3 or 0.5"))
        })
    }

    fn list(&mut self, key: &str) -> Result<Vec<String>, SyntaxError> {
        match self.values.remove(key) {
            None | Some(Yaml::Null) => Ok(Vec::new()),
            Some(Yaml::Array(items)) => {
                // A new vector: collecting in place would keep the larger allocation of the values.
                let mut list = Vec::with_capacity(items.len());
                for y in items {
                    list.push(match y {
                        Yaml::String(s) | Yaml::Real(s) => trimmed(s),
                        Yaml::Integer(i) => i.to_string(),
                        _ => {
                            return Err(self
                                .error(key, format!("`{key}` must be a list of words, e.g. `[onboarding, billing]`")));
                        }
                    });
                }
                Ok(list)
            }
            other => Ok(self
                .scalar(key, other)?
                .map(|s| s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect())
                .unwrap_or_default()),
        }
    }
}

/// Reads the item of a file whose front matter is `front`, parsed to `values` (see
/// [`FrontMatter::read`]), and whose body is `body`, found in the folder of `kind` under the file
/// name `stem`.
pub fn read_item(
    front: &FrontMatter,
    values: Values,
    body: &str,
    kind: Kind,
    stem: &str,
    ids: &IdPrefixes,
    defaults: &Defaults,
) -> Result<Item, SyntaxError> {
    let mut r = Reader { front, values };
    let id_text = r.text("id")?.unwrap_or_else(|| stem.to_string());
    let id: ItemId = id_text.parse().map_err(|e: crate::model::BadItemId| r.error("id", e.to_string()))?;
    let expected = ids.prefix(kind);
    if !id.prefix().eq_ignore_ascii_case(expected) {
        return Err(r.error(
            "id",
            format!(
                "`{id}` is in `{}/` but {kind} ids start with `{expected}-`; move the file or fix its id",
                kind.folder()
            ),
        ));
    }
    if !id.is_spelled(stem) {
        return Err(r.error(
            "id",
            format!("the file is named `{stem}.md` but its id is `{id}`; rename the file to `{id}.md` or fix the id"),
        ));
    }
    let title = r.text("title")?.ok_or_else(|| SyntaxError {
        line: front.line_of("id").unwrap_or(2),
        reason: format!("`{id}` has no `title`; add a `title:` line to the front matter"),
    })?;
    let mut item = Item::new(id, kind, title);
    item.state = r.parsed("state", |s| s.parse::<State>())?.unwrap_or(defaults.state);
    item.priority = r.whole_number("priority")?;
    item.owner = r.text("owner")?;
    item.tags = r.list("tags")?;
    item.milestone = r.text("milestone")?;
    item.body = body.to_owned();
    match kind {
        Kind::Story => {
            item.epic = r.parsed("epic", |s| s.parse::<ItemId>().map_err(|e| e.to_string()))?;
            item.persona = r.text("persona")?;
            item.activity = r.text("activity")?;
            item.benefit = r.text("benefit")?;
            item.points = r.number("points")?;
            derive_sentence(&mut item);
        }
        Kind::Risk => {
            let level = |s: &str| s.parse::<Level>();
            item.likelihood = r.parsed("likelihood", level)?;
            item.severity = r.parsed("severity", level)?;
            item.mitigation = r.text("mitigation")?;
            item.review_by = r.parsed("review_by", |s| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| format!("`review_by` is `{s}`; write a date as YYYY-MM-DD"))
            })?;
        }
        Kind::Epic => {}
    }
    Ok(item)
}

/// Fills a story's missing persona / activity / benefit from a sentence in its title or, failing
/// that, the first paragraph of its body, and records where they came from.
fn derive_sentence(item: &mut Item) {
    if item.persona.is_some() && item.activity.is_some() && item.benefit.is_some() {
        return;
    }
    let paragraph = first_paragraph(&item.body);
    let candidates = [(SentenceSource::Title, item.title.as_str()), (SentenceSource::Body, paragraph.as_str())];
    for (source, text) in candidates {
        let Some(found) = sentence::parse(text) else { continue };
        if found.persona.is_none() && found.activity.is_none() {
            continue;
        }
        let mut used = false;
        for (slot, part) in [
            (&mut item.persona, found.persona),
            (&mut item.activity, found.activity),
            (&mut item.benefit, found.benefit),
        ] {
            if slot.is_none() && part.is_some() {
                *slot = part;
                used = true;
            }
        }
        if used {
            item.sentence_source = source;
        }
        return;
    }
}

/// The first paragraph of Markdown text, joined into one line; headings and lists end it.
pub fn first_paragraph(body: &str) -> String {
    let mut lines = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        if t.is_empty() {
            if lines.is_empty() {
                continue;
            }
            break;
        }
        if t.starts_with('#') || t.starts_with("- ") || t.starts_with("* ") || t.starts_with("<!--") {
            if lines.is_empty() {
                continue;
            }
            break;
        }
        lines.push(t);
    }
    lines.join(" ")
}

/// The front matter value of one canonical field of `item`, or `None` when it is unset.
pub fn field_value(item: &Item, key: &str) -> Option<FieldValue> {
    let text = |s: &Option<String>| s.clone().map(FieldValue::Text);
    match key {
        "id" => Some(FieldValue::Text(item.id.to_string())),
        "title" => Some(FieldValue::Text(item.title.clone())),
        "state" => Some(FieldValue::Text(item.state.to_string())),
        "priority" => item.priority.map(|p| FieldValue::Number(p.into())),
        "owner" => text(&item.owner),
        "tags" => (!item.tags.is_empty()).then(|| FieldValue::List(item.tags.clone())),
        "milestone" => text(&item.milestone),
        "epic" => item.epic.as_ref().map(|e| FieldValue::Text(e.to_string())),
        "persona" => text(&item.persona),
        "activity" => text(&item.activity),
        "benefit" => text(&item.benefit),
        "points" => item.points.map(FieldValue::Number),
        "likelihood" => item.likelihood.map(|l| FieldValue::Text(l.to_string())),
        "severity" => item.severity.map(|l| FieldValue::Text(l.to_string())),
        "mitigation" => text(&item.mitigation),
        "review_by" => item.review_by.map(|d| FieldValue::Text(d.format("%Y-%m-%d").to_string())),
        _ => None,
    }
}

/// Writes into `doc` the fields where `new` differs from `old`, and the body when it changed;
/// every other line stays as it is.
pub fn apply_changes(doc: &mut Document, old: &Item, new: &Item) {
    for key in KNOWN_KEYS {
        let after = field_value(new, key);
        if field_value(old, key) == after {
            continue;
        }
        match after {
            Some(value) => doc.set(key, value),
            None => doc.remove(key),
        }
    }
    // A sentence derived from the title or the body is written out as keys before its source
    // changes, so that a retitle never erases the persona, activity or benefit it held.
    if old.sentence_source != SentenceSource::FrontMatter && (old.title != new.title || old.body != new.body) {
        for key in ["persona", "activity", "benefit"] {
            if let Some(value) = field_value(new, key) {
                doc.set(key, value);
            }
        }
    }
    if old.body != new.body {
        doc.set_body(&new.body);
    }
}

/// A new file's document for `item`, keys in the conventional order.
pub fn new_document(item: &Item) -> Document {
    let fields: Vec<(&str, FieldValue)> =
        KNOWN_KEYS.iter().filter_map(|k| field_value(item, k).map(|v| (*k, v))).collect();
    Document::new(&fields, &item.body)
}
