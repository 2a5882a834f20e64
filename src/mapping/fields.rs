//! Canonical field maps: an item seen as `field → text`, the shape merges, plans and mappings
//! work on, and the way back from a changed map to an item whose file changes minimally.

pub use crate::model::{Field, FieldMap};
use crate::model::{Item, ItemId, Kind, Level, State};

/// The body section that holds a story's acceptance criteria.
pub const ACCEPTANCE_HEADING: &str = "Acceptance criteria";

/// The fields sync carries for each kind, in display order.
pub fn fields_of(kind: Kind) -> &'static [&'static str] {
    const EPIC: [&str; 7] = Field::names(Field::EPIC);
    const STORY: [&str; 13] = Field::names(Field::STORY);
    const RISK: [&str; 11] = Field::names(Field::RISK);
    match kind {
        Kind::Epic => &EPIC,
        Kind::Story => &STORY,
        Kind::Risk => &RISK,
    }
}

/// Trims each line's end and the text's ends: the form compared and stored.
pub fn normalise_text(text: &str) -> String {
    let text = text.trim();
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line.trim_end());
    }
    out
}

/// Removes the control characters a file cannot hold (all but tab and line breaks) from every
/// value of `fields`, as every inbound value is cleaned; returns each field cleaned and the
/// characters taken out of it, so that the run can say so.
pub fn strip_control(fields: &mut FieldMap) -> Vec<(String, Vec<char>)> {
    let bad = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    let mut out = Vec::new();
    for (field, value) in fields.iter_mut() {
        if !value.chars().any(bad) {
            continue;
        }
        let mut taken: Vec<char> = value.chars().filter(|c| bad(*c)).collect();
        taken.sort_unstable();
        taken.dedup();
        *value = normalise_text(&value.chars().filter(|c| !bad(*c)).collect::<String>());
        out.push((field.clone(), taken));
    }
    out
}

/// Tags as one value: sorted, unique, joined by `, `.
pub fn join_tags<S: AsRef<str>>(tags: &[S]) -> String {
    let mut t: Vec<&str> = tags.iter().map(|s| s.as_ref().trim()).filter(|s| !s.is_empty()).collect();
    t.sort_unstable();
    t.dedup();
    t.join(", ")
}

/// The tags of a joined value. Tags are joined by `, `, so a comma with no space after it is part
/// of a tag (`a,b` is one tag, which Azure Boards cannot hold but GitHub can).
pub fn split_tags(value: &str) -> Vec<String> {
    value.split(", ").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 { format!("{}", n as i64) } else { n.to_string() }
}

/// Splits a body into (description, acceptance criteria): the acceptance section runs from its
/// `## Acceptance criteria` heading (any level) to the next heading of the same or a higher level.
pub fn split_body(body: &str) -> (String, String) {
    match find_acceptance(body) {
        None => (normalise_text(body), String::new()),
        Some((start, content_start, end)) => {
            let description = format!("{}{}", &body[..start], &body[end..]);
            (normalise_text(&description), normalise_text(&body[content_start..end]))
        }
    }
}

/// Byte offsets of the acceptance section: heading start, content start, section end.
fn find_acceptance(body: &str) -> Option<(usize, usize, usize)> {
    let mut offset = 0;
    let mut found: Option<(usize, usize, usize)> = None;
    for line in body.split_inclusive('\n') {
        let t = line.trim();
        let level = t.chars().take_while(|c| *c == '#').count();
        if level > 0 && t[level..].starts_with(' ') {
            let text = t[level..].trim();
            match found {
                None if text.eq_ignore_ascii_case(ACCEPTANCE_HEADING) => {
                    found = Some((offset, offset + line.len(), level));
                }
                Some((start, content, heading_level)) if level <= heading_level => {
                    return Some((start, content, offset));
                }
                _ => {}
            }
        }
        offset += line.len();
    }
    found.map(|(start, content, _)| (start, content, body.len()))
}

/// Puts description and acceptance back into `old_body`, keeping it byte for byte where a part
/// did not change; a new acceptance section goes at the end.
pub fn join_body(old_body: &str, description: &str, acceptance: &str) -> String {
    let (old_desc, old_acc) = split_body(old_body);
    if old_desc == normalise_text(description) && old_acc == normalise_text(acceptance) {
        return old_body.to_string();
    }
    let section = |acc: &str| format!("## {ACCEPTANCE_HEADING}\n{}\n", normalise_text(acc));
    match find_acceptance(old_body) {
        Some((start, _, end)) if old_desc == normalise_text(description) => {
            let replacement = if acceptance.trim().is_empty() { String::new() } else { section(acceptance) };
            let tail = &old_body[end..];
            let sep = if !replacement.is_empty() && !tail.is_empty() { "\n" } else { "" };
            format!("{}{replacement}{sep}{tail}", &old_body[..start])
        }
        _ => {
            let desc = normalise_text(description);
            let mut out = String::new();
            if !desc.is_empty() {
                out.push_str(&desc);
                out.push('\n');
            }
            if !acceptance.trim().is_empty() {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&section(acceptance));
            }
            out
        }
    }
}

/// The item as a field map: every field of its kind, unset ones as "".
pub fn item_fields(item: &Item) -> FieldMap {
    let opt = |s: &Option<String>| s.as_deref().map(normalise_text).unwrap_or_default();
    let (mut description, mut acceptance) = split_body(&item.body);
    let mut map = FieldMap::new();
    for &field in Field::of(item.kind) {
        let value = match field {
            Field::Title => normalise_text(&item.title),
            Field::State => item.state.as_str().to_string(),
            Field::Priority => item.priority.map(|p| p.to_string()).unwrap_or_default(),
            Field::Owner => opt(&item.owner),
            Field::Tags => join_tags(&item.tags),
            Field::Milestone => opt(&item.milestone),
            Field::Epic => item.epic.as_ref().map(ItemId::to_string).unwrap_or_default(),
            Field::Persona => opt(&item.persona),
            Field::Activity => opt(&item.activity),
            Field::Benefit => opt(&item.benefit),
            Field::Points => item.points.map(number_text).unwrap_or_default(),
            Field::Likelihood => item.likelihood.map(|l| l.to_string()).unwrap_or_default(),
            Field::Severity => item.severity.map(|l| l.to_string()).unwrap_or_default(),
            Field::Mitigation => opt(&item.mitigation),
            Field::ReviewBy => item.review_by.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
            Field::Description => std::mem::take(&mut description),
            Field::Acceptance => std::mem::take(&mut acceptance),
        };
        map.set(field, value);
    }
    map
}

/// Why a field value cannot go into an item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}` cannot be `{value}`: {reason}")]
pub struct FieldError {
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// `item` with `changes` applied (fields not of its kind are ignored).
pub fn apply_fields(item: &Item, changes: &FieldMap) -> Result<Item, FieldError> {
    let mut out = item.clone();
    let (mut description, mut acceptance) = split_body(&item.body);
    let mut body_changed = false;
    for (field, value) in changes {
        if !fields_of(item.kind).contains(&field.as_str()) {
            continue;
        }
        let err = |reason: String| FieldError { field: field.clone(), value: value.clone(), reason };
        let text = || (!value.trim().is_empty()).then(|| value.trim().to_string());
        match field.as_str() {
            "title" => out.title = value.trim().to_string(),
            "state" => out.state = value.parse::<State>().map_err(err)?,
            "priority" => {
                out.priority = text().map(|v| v.parse().map_err(|_| err("not a whole number".into()))).transpose()?
            }
            "owner" => out.owner = text(),
            "tags" => out.tags = split_tags(value),
            "milestone" => out.milestone = text(),
            "epic" => {
                out.epic =
                    text().map(|v| v.parse().map_err(|e: crate::model::BadItemId| err(e.to_string()))).transpose()?
            }
            "persona" => out.persona = text(),
            "activity" => out.activity = text(),
            "benefit" => out.benefit = text(),
            "points" => out.points = text().map(|v| v.parse().map_err(|_| err("not a number".into()))).transpose()?,
            "likelihood" => out.likelihood = text().map(|v| v.parse::<Level>().map_err(err)).transpose()?,
            "severity" => out.severity = text().map(|v| v.parse::<Level>().map_err(err)).transpose()?,
            "mitigation" => out.mitigation = text(),
            "review_by" => {
                out.review_by = text()
                    .map(|v| {
                        chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                            .map_err(|_| err("not a YYYY-MM-DD date".into()))
                    })
                    .transpose()?
            }
            "description" => {
                description = value.clone();
                body_changed = true;
            }
            "acceptance" => {
                acceptance = value.clone();
                body_changed = true;
            }
            _ => {}
        }
    }
    if body_changed {
        out.body = join_body(&item.body, &description, &acceptance);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "Intro text.\n\n## Acceptance criteria\n- [ ] one\n- [x] two\n\n## Notes\nkept\n";

    #[test]
    fn body_splits_into_description_and_acceptance() {
        let (d, a) = split_body(BODY);
        assert_eq!(d, "Intro text.\n\n## Notes\nkept");
        assert_eq!(a, "- [ ] one\n- [x] two");
        assert_eq!(split_body("just text\n"), ("just text".to_string(), String::new()));
        let (d, a) = split_body("### Acceptance criteria\n- a\n#### sub\n- b\n");
        assert_eq!((d.as_str(), a.as_str()), ("", "- a\n#### sub\n- b"));
    }

    #[test]
    fn join_body_changes_only_what_changed() {
        assert_eq!(join_body(BODY, "Intro text.\n\n## Notes\nkept", "- [ ] one\n- [x] two"), BODY);
        let changed = join_body(BODY, "Intro text.\n\n## Notes\nkept", "- [x] one");
        assert_eq!(changed, "Intro text.\n\n## Acceptance criteria\n- [x] one\n\n## Notes\nkept\n");
        assert_eq!(split_body(&changed).1, "- [x] one");
        let fresh = join_body("", "New description", "- [ ] a");
        assert_eq!(fresh, "New description\n\n## Acceptance criteria\n- [ ] a\n");
        assert_eq!(split_body(&fresh), ("New description".into(), "- [ ] a".into()));
    }

    #[test]
    fn control_characters_are_stripped_and_reported() {
        let mut fields: FieldMap = [
            ("title".to_string(), "Export\u{8} claims\u{1b}[0m".to_string()),
            ("tags".to_string(), "a\u{7f}b, c".to_string()),
            ("persona".to_string(), "customer\u{85}admin".to_string()),
            ("description".to_string(), "line one\n\tline two".to_string()),
        ]
        .into();
        let taken = strip_control(&mut fields);
        assert_eq!(fields["title"], "Export claims[0m");
        assert_eq!(fields["tags"], "ab, c");
        assert_eq!(fields["persona"], "customeradmin");
        assert_eq!(fields["description"], "line one\n\tline two");
        let fields_taken: Vec<&str> = taken.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields_taken, ["persona", "tags", "title"]);
        assert_eq!(taken[2].1, ['\u{8}', '\u{1b}']);
    }

    #[test]
    fn typed_fields_of_a_kind_are_its_field_names() {
        for kind in Kind::ALL {
            let typed: Vec<&str> = Field::of(kind).iter().map(|f| f.name()).collect();
            assert_eq!(typed, fields_of(kind), "{kind}");
        }
    }

    #[test]
    fn normalised_text_trims_each_line_end_and_the_ends() {
        let old = |text: &str| {
            let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
            lines.join("\n").trim_matches('\n').trim().to_string()
        };
        for text in [
            "",
            "  ",
            "plain",
            "\n\n  a  \n b \r\n\n\n c\t\n\n",
            "a\r\nb\r",
            "\u{a0}x\u{a0}\n\u{2003}",
            " \n \n",
            "a\n\n\nb",
            "x\r",
        ] {
            assert_eq!(normalise_text(text), old(text), "{text:?}");
        }
    }

    #[test]
    fn fields_round_trip_through_an_item() {
        let mut item = Item::new("ST-3".parse().unwrap(), Kind::Story, "Title");
        item.body = BODY.to_string();
        item.tags = vec!["b".into(), "a".into()];
        item.points = Some(3.0);
        let fields = item_fields(&item);
        assert_eq!(fields["tags"], "a, b");
        assert_eq!(fields["points"], "3");
        let mut changes = FieldMap::new();
        changes.insert("state".into(), "active".into());
        changes.insert("persona".into(), "customer admin".into());
        changes.insert("acceptance".into(), "- [x] done".into());
        let updated = apply_fields(&item, &changes).unwrap();
        assert_eq!(updated.state, State::Active);
        assert_eq!(updated.persona.as_deref(), Some("customer admin"));
        let after = item_fields(&updated);
        for (k, v) in &changes {
            assert_eq!(&after[k], v, "{k}");
        }
        assert_eq!(after["description"], fields["description"]);
        let bad: FieldMap = [("state".to_string(), "done".to_string())].into();
        assert!(apply_fields(&item, &bad).is_err());
    }
}
