//! Canonical fields ⇄ work item content for the Azure Boards mapping: title, state (+ state tag),
//! tags, owner through identities, placed fields, and the description with its sentence and
//! sections, as Markdown or HTML.

use super::text::{self, Parsed};
use super::{AzureMapping, FieldRule, WorkItemContent, html};
use crate::mapping::adapt::{self, Adaptation, TagRules};
use crate::mapping::fields::{FieldMap, fields_of, join_tags, normalise_text};
use crate::mapping::identities::Identities;
use crate::model::{ItemId, Kind, State};

const DESCRIPTION: &str = "System.Description";
const SENTENCE_PARTS: [(&str, &str); 3] = [("persona", "Persona"), ("activity", "Activity"), ("benefit", "Benefit")];

/// Tags as Boards keeps them: unique whatever the case, sorted whatever the case, `; `-joined.
pub fn join_azure_tags(tags: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for t in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if !out.iter().any(|x| x.eq_ignore_ascii_case(t)) {
            out.push(t);
        }
    }
    out.sort_by_key(|t| t.to_lowercase());
    out.join("; ")
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

impl AzureMapping {
    fn sentence_whole(&self) -> bool {
        SENTENCE_PARTS.iter().all(|(f, _)| self.rule(f).is_some_and(|r| r.sentence))
    }

    /// (field, heading) of the description sections a kind carries, in display order.
    fn headings(&self, kind: Kind) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for field in fields_of(kind) {
            match self.rule(field) {
                Some(FieldRule { section: Some(h), .. }) => out.push((field.to_string(), h)),
                Some(r) if r.sentence => {
                    let heading = SENTENCE_PARTS.iter().find(|(f, _)| f == field).map(|(_, h)| *h).unwrap_or(field);
                    out.push((field.to_string(), heading.to_string()));
                }
                _ => {}
            }
        }
        out
    }

    /// The Boards fields a canonical field is written to.
    pub fn targets_of(&self, kind: Kind, field: &str) -> Vec<String> {
        let rule = self.rule(field);
        match field {
            "title" => vec!["System.Title".into()],
            "state" => vec!["System.State".into(), "System.Tags".into()],
            "owner" => vec!["System.AssignedTo".into()],
            "tags" => vec!["System.Tags".into()],
            "milestone" => vec![ITERATION_PATH.into()],
            "description" => vec![DESCRIPTION.into()],
            "epic" => Vec::new(),
            _ if !fields_of(kind).contains(&field) => Vec::new(),
            _ => match rule {
                Some(FieldRule { field: Some(f), .. }) => vec![f],
                Some(FieldRule { tag: Some(_), .. }) => vec!["System.Tags".into()],
                Some(_) => vec![DESCRIPTION.into()],
                None => Vec::new(),
            },
        }
    }

    /// Renders `fields` of an item of `kind` as work item content. An owner with no Azure
    /// identity leaves `System.AssignedTo` out (as it is); an empty owner clears it.
    pub fn to_work_item(&self, kind: Kind, id: &ItemId, fields: &FieldMap, people: &Identities) -> WorkItemContent {
        let get = |f: &str| fields.get(f).map(|v| v.trim()).unwrap_or("");
        let state: State = get("state").parse().unwrap_or(State::New);
        let (board_state, state_tag) = self.state_rule(kind, state);
        let mut out =
            WorkItemContent { work_item_type: self.kinds[&kind].work_item_type.clone(), ..Default::default() };
        out.fields.insert("System.Title".into(), get("title").to_string());
        out.fields.insert("System.State".into(), board_state.to_string());
        let mut tags = vec![self.marker_tag(id)];
        tags.extend(self.kinds[&kind].tag.clone());
        tags.extend(state_tag.map(str::to_string));
        // A tag Boards cannot hold is left out (see `adaptations`); the file keeps it.
        tags.extend(TagRules::AzureTag.split(get("tags")).0);
        let whole = self.sentence_whole() && SENTENCE_PARTS.iter().all(|(f, _)| !get(f).is_empty());
        let mut sections = Vec::new();
        for field in fields_of(kind) {
            let Some(rule) = self.rule(field) else { continue };
            let value = get(field);
            if let Some(prefix) = &rule.tag {
                if !value.is_empty() {
                    tags.push(format!("{prefix}{value}"));
                }
            } else if let Some(target) = &rule.field {
                let mapped = rule.values.get(value).map(String::as_str).unwrap_or(value);
                out.fields.insert(target.clone(), mapped.to_string());
            } else if let Some(heading) = &rule.section {
                sections.push((heading.clone(), value.to_string()));
            } else if rule.sentence && !whole {
                let heading = SENTENCE_PARTS.iter().find(|(f, _)| f == field).map(|(_, h)| *h).unwrap_or(field);
                sections.push((heading.to_string(), value.to_string()));
            }
        }
        let sentence = whole.then(|| text::sentence(get("persona"), get("activity"), get("benefit")));
        out.fields.insert(DESCRIPTION.into(), text::compose(sentence, get("description"), &sections));
        out.fields.insert("System.Tags".into(), join_azure_tags(&tags));
        let owner = get("owner");
        if owner.is_empty() {
            out.fields.insert("System.AssignedTo".into(), String::new());
        } else if let Some(identity) = people.azure_identity(owner) {
            out.fields.insert("System.AssignedTo".into(), identity.to_string());
        }
        if !self.project.is_empty() && fields_of(kind).contains(&"milestone") {
            out.fields.insert(ITERATION_PATH.into(), iteration_path(&self.project, get("milestone")));
        }
        let rich: Vec<String> = out.fields.keys().filter(|f| self.is_rich_text(f)).cloned().collect();
        for field in rich {
            if self.markdown {
                out.markdown.insert(field);
            } else if let Some(v) = out.fields.get_mut(&field) {
                *v = html::markdown_to_html(v);
            }
        }
        out
    }

    /// What [`AzureMapping::to_work_item`] adapts for `fields` on `target`: tags Boards cannot hold.
    pub fn adaptations(&self, id: &ItemId, fields: &FieldMap, target: &str) -> Vec<Adaptation> {
        adapt::unfit_tags(TagRules::AzureTag, &id.to_string(), target, fields)
    }

    /// The fields read back from a work item written with `meant`, as meant: tags Boards could not
    /// hold are still there, tags that differ from a meant one only in case are that one, and rich
    /// text that reads back exactly as writing `meant` does (see [`AzureMapping::restore_rich_text`])
    /// is the meant text.
    pub fn restore(&self, meant: &FieldMap, read: &mut FieldMap) {
        if let (Some(r), Some(m)) = (read.get("tags"), meant.get("tags")) {
            let restored = TagRules::AzureTag.restore(r, m);
            read.insert("tags".into(), restored);
        }
        self.restore_rich_text(meant, read);
    }

    /// Whether a canonical field's text goes through a rich-text field on Boards: the description
    /// and what is written into it (the story sentence, sections), or a rich-text field of its own.
    fn through_rich_text(&self, field: &str) -> bool {
        field == "description"
            || self.rule(field).is_some_and(|r| {
                r.sentence || r.section.is_some() || r.field.as_deref().is_some_and(|f| self.is_rich_text(f))
            })
    }

    /// Rich text read back as meant. Markdown → Boards' HTML → Markdown is not the identity
    /// (CommonMark reads `* a` as the list written `- a`, two ordered lists in a row as one, a
    /// `&rsquo;` as `’`), so the text Boards shows for `meant` may differ from `meant` although
    /// nobody edited it. A field whose read text is exactly what writing `meant` and reading it
    /// back gives is the meant text: the file keeps the person's own form and no echo write
    /// follows. A Boards edit changes the HTML, hence the text read, and is still seen; a file
    /// edit changes `meant`. One conversion is compared, so this holds whether or not the
    /// converter settles after one pass. A field `meant` holds empty is never restored: no
    /// conversion makes text of nothing, so a value the round trip shows for it was read out of
    /// another field (a description that begins with a story sentence reads as persona, activity
    /// and benefit when the sentence parts are empty: a base left unknown by a lost state must
    /// not hide what the target shows; finding 74 of the model checker).
    pub fn restore_rich_text(&self, meant: &FieldMap, read: &mut FieldMap) {
        let differs = |f: &String, v: &String| self.through_rich_text(f) && meant.get(f).is_some_and(|m| m != v);
        if !read.iter().any(|(f, v)| differs(f, v)) {
            return;
        }
        let Some(kind) = kind_of_fields(meant) else { return };
        let nobody = Identities::default();
        let shown = self.from_work_item(kind, &self.to_work_item(kind, &ItemId::new("RT", 1), meant, &nobody), &nobody);
        for (field, value) in read.iter_mut() {
            if self.through_rich_text(field)
                && shown.get(field) == Some(value)
                && let Some(m) = meant.get(field).filter(|m| !m.is_empty())
            {
                value.clone_from(m);
            }
        }
    }

    /// A field's text as Markdown: as stored when the field is Markdown, converted from HTML otherwise.
    pub fn markdown_of(&self, content: &WorkItemContent, field: &str) -> String {
        let raw = content.fields.get(field).map(String::as_str).unwrap_or("");
        if self.is_rich_text(field) && !content.markdown.contains(field) {
            html::html_to_markdown(raw)
        } else {
            raw.to_string()
        }
    }

    fn read_value(&self, rule: &FieldRule, raw: &str) -> Option<String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Some(String::new());
        }
        if rule.date {
            let date = chrono::DateTime::parse_from_rfc3339(raw)
                .map(|d| d.with_timezone(&chrono::Utc).date_naive())
                .or_else(|_| chrono::NaiveDate::parse_from_str(&raw[..raw.len().min(10)], "%Y-%m-%d"))
                .ok()?;
            return Some(date.format("%Y-%m-%d").to_string());
        }
        if rule.values.is_empty() {
            return Some(normalise_text(raw));
        }
        if let Some((canonical, _)) = rule.values.iter().find(|(_, v)| v.eq_ignore_ascii_case(raw)) {
            return Some(canonical.clone());
        }
        // A number a person typed: the nearest mapped number.
        let n = number(raw)?;
        rule.values
            .iter()
            .filter_map(|(c, v)| number(v).map(|x| (c, (x - n).abs())))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(c, _)| c.clone())
    }

    /// Reads the canonical fields of a work item of `kind` (all but `epic`, which comes from the
    /// parent relation). An assignee with no identity leaves `owner` out: unknown, never guessed.
    pub fn from_work_item(&self, kind: Kind, content: &WorkItemContent, people: &Identities) -> FieldMap {
        let raw = |f: &str| content.fields.get(f).map(String::as_str).unwrap_or("");
        let carried = fields_of(kind);
        let mut map = FieldMap::new();
        map.insert("title".into(), normalise_text(raw("System.Title")));
        let all_tags = split_azure_tags(raw("System.Tags"));
        map.insert("state".into(), self.state_of(kind, raw("System.State"), &all_tags).to_string());
        let mut tags = Vec::new();
        for tag in &all_tags {
            let placed = self.fields.iter().find_map(|(f, r)| {
                r.tag.as_deref().and_then(|p| super::strip_prefix_ci(tag, p)).map(|v| (f.clone(), v.trim().to_string()))
            });
            match placed {
                Some((field, value)) if carried.contains(&field.as_str()) => {
                    map.insert(field, value);
                }
                Some(_) => {}
                None if !self.is_managed_tag(tag) => tags.push(tag.as_str()),
                None => {}
            }
        }
        map.insert("tags".into(), join_tags(&tags));
        let Parsed { sentence, description, sections } =
            text::parse(&self.markdown_of(content, DESCRIPTION), self.sentence_whole(), &self.headings(kind));
        map.insert("description".into(), description);
        for field in carried {
            let Some(rule) = self.rule(field) else { continue };
            if rule.tag.is_some() {
                map.entry(field.to_string()).or_default();
            } else if let Some(target) = &rule.field {
                if let Some(v) = self.read_value(&rule, &self.markdown_of(content, target)) {
                    map.insert(field.to_string(), v);
                }
            } else {
                let from_sentence = sentence.as_ref().and_then(|(p, a, b)| match *field {
                    "persona" => Some(p.clone()),
                    "activity" => Some(a.clone()),
                    "benefit" => Some(b.clone()),
                    _ => None,
                });
                let value = from_sentence.or_else(|| sections.get(*field).cloned()).unwrap_or_default();
                map.insert(field.to_string(), value);
            }
        }
        if carried.contains(&"milestone") && content.fields.contains_key(ITERATION_PATH) {
            map.insert("milestone".into(), milestone_of_path(&self.project, raw(ITERATION_PATH)));
        }
        match raw("System.AssignedTo").trim() {
            "" => {
                map.insert("owner".into(), String::new());
            }
            who => {
                if let Some(person) = people.canonical_for_azure(who) {
                    map.insert("owner".into(), person.to_string());
                }
            }
        }
        map
    }
}

/// The kind whose fields `fields` are: the narrowest kind that carries every one of them (an epic's
/// fields are among a story's and a risk's).
fn kind_of_fields(fields: &FieldMap) -> Option<Kind> {
    Kind::ALL
        .into_iter()
        .filter(|k| fields.keys().all(|f| f == "epic" || fields_of(*k).contains(&f.as_str())))
        .min_by_key(|k| fields_of(*k).len())
}

/// The field that holds an item's milestone: its iteration.
pub const ITERATION_PATH: &str = "System.IterationPath";

/// The iteration path of `milestone` in `project` (the project's root when there is none).
pub fn iteration_path(project: &str, milestone: &str) -> String {
    let milestone = milestone.trim();
    if milestone.is_empty() { project.to_string() } else { format!("{project}\\{milestone}") }
}

/// The milestone an iteration path names: the path below the project's root (`""` at the root).
/// Without a known project the first segment is taken as the root.
pub fn milestone_of_path(project: &str, path: &str) -> String {
    let path = path.trim().trim_matches('\\');
    let below = match path.split_once('\\') {
        Some((root, rest)) if project.is_empty() || root.eq_ignore_ascii_case(project) => rest,
        Some(_) => path,
        None if project.is_empty() || path.eq_ignore_ascii_case(project) => "",
        None => path,
    };
    below.trim().to_string()
}

/// The tags of a `System.Tags` value.
pub fn split_azure_tags(value: &str) -> Vec<String> {
    value.split(';').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::builtin;

    fn mapping(markdown: bool) -> AzureMapping {
        let mut m = AzureMapping::from_text(builtin::AZURE_AGILE, std::path::Path::new("agile.toml")).unwrap();
        m.markdown = markdown;
        m
    }

    fn story(description: &str, acceptance: &str) -> FieldMap {
        let mut f: FieldMap = fields_of(Kind::Story).iter().map(|k| (k.to_string(), String::new())).collect();
        f.insert("title".into(), "t".into());
        f.insert("state".into(), "new".into());
        f.insert("description".into(), description.into());
        f.insert("acceptance".into(), acceptance.into());
        f
    }

    /// What Boards shows for `fields` written as HTML, read back.
    fn shown(m: &AzureMapping, fields: &FieldMap) -> FieldMap {
        let nobody = Identities::default();
        let kind = kind_of_fields(fields).unwrap();
        m.from_work_item(kind, &m.to_work_item(kind, &ItemId::new("ST", 1), fields, &nobody), &nobody)
    }

    #[test]
    fn rich_text_that_reads_back_as_written_is_the_meant_text() {
        let m = mapping(false);
        // (meant description, what Boards holds as the person's edit or None for our own write,
        // the description restore gives)
        let cases: [(&str, Option<&str>, &str); 8] = [
            // Our own write of text CommonMark reads in another form: the file's form stays.
            ("* star item\n* another", None, "* star item\n* another"),
            ("1. a.\n2. a.\n\n1. Aa\n2. Aa", None, "1. a.\n2. a.\n\n1. Aa\n2. Aa"),
            ("- a\n\n- b", None, "- a\n\n- b"),
            ("It&rsquo;s done &mdash; now", None, "It&rsquo;s done &mdash; now"),
            ("_|_*]*", None, "_|_*]*"),
            // A Boards edit is an edit, whatever the form of the meant text.
            ("* star item", Some("<ul><li>star item, edited</li></ul>"), "- star item, edited"),
            ("It&rsquo;s done", Some("<p>It&rsquo;s done, really</p>"), "It’s done, really"),
            // Boards showing the meant text itself: nothing to restore.
            ("plain", None, "plain"),
        ];
        for (meant, edit, want) in cases {
            let meant = story(meant, "");
            let mut read = match edit {
                None => shown(&m, &meant),
                Some(html) => {
                    let mut wi = m.to_work_item(Kind::Story, &ItemId::new("ST", 1), &meant, &Identities::default());
                    wi.fields.insert(DESCRIPTION.into(), html.into());
                    m.from_work_item(Kind::Story, &wi, &Identities::default())
                }
            };
            m.restore(&meant, &mut read);
            assert_eq!(read["description"], want, "{meant:?} {edit:?}");
        }
    }

    #[test]
    fn every_rich_text_field_is_restored_and_no_other() {
        let m = mapping(false);
        let meant = story("* a", "* b");
        let mut read = shown(&m, &meant);
        assert_eq!((read["description"].as_str(), read["acceptance"].as_str()), ("- a", "- b"));
        read.insert("title".into(), "edited in Boards".into());
        m.restore(&meant, &mut read);
        assert_eq!((read["description"].as_str(), read["acceptance"].as_str()), ("* a", "* b"));
        assert_eq!(read["title"], "edited in Boards", "a plain field is never restored");

        // A risk's mitigation is a section of the description; an epic has only the description.
        let mut risk: FieldMap = fields_of(Kind::Risk).iter().map(|k| (k.to_string(), String::new())).collect();
        risk.insert("state".into(), "new".into());
        risk.insert("mitigation".into(), "+ plan b".into());
        let mut read = shown(&m, &risk);
        assert_eq!(read["mitigation"], "- plan b");
        m.restore(&risk, &mut read);
        assert_eq!(read["mitigation"], "+ plan b");
        assert_eq!(kind_of_fields(&risk), Some(Kind::Risk));
        let epic: FieldMap = fields_of(Kind::Epic).iter().map(|k| (k.to_string(), String::new())).collect();
        assert_eq!(kind_of_fields(&epic), Some(Kind::Epic));
        assert_eq!(kind_of_fields(&story("", "")), Some(Kind::Story));
    }

    /// Finding 74: a base with the sentence parts unknown ("", the state was lost) and a
    /// description that is itself a story sentence: writing that base reads the sentence back as
    /// persona, activity and benefit, which is also what Boards shows; the target's value stays.
    #[test]
    fn a_sentence_part_the_base_leaves_empty_is_not_restored_from_the_description() {
        for markdown in [false, true] {
            let m = mapping(markdown);
            let sentence = "As an adjuster, I can approve small claims, so that they are paid the same day.";
            let mut held = story(sentence, "");
            held.insert("persona".into(), "adjuster".into());
            held.insert("activity".into(), "approve small claims".into());
            held.insert("benefit".into(), "they are paid the same day".into());
            let mut read = shown(&m, &held);
            let mut unknown = held.clone();
            unknown.insert("benefit".into(), String::new());
            assert_eq!(shown(&m, &unknown)["benefit"], "they are paid the same day", "the trap: markdown {markdown}");
            m.restore(&unknown, &mut read);
            assert_eq!(read["benefit"], "they are paid the same day", "markdown {markdown}");
            assert_eq!(read["description"], sentence, "markdown {markdown}");
        }
    }

    #[test]
    fn markdown_fields_need_no_restoring() {
        let m = mapping(true);
        let meant = story("* a", "1. x\n\n1. y");
        let mut read = shown(&m, &meant);
        assert_eq!(read["description"], "* a", "Boards keeps the Markdown itself");
        m.restore(&meant, &mut read);
        assert_eq!((read["description"].as_str(), read["acceptance"].as_str()), ("* a", "1. x\n\n1. y"));
    }
}
