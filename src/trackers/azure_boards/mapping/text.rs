//! The description of a work item as Markdown: the story sentence "As a …, I can …, so that …"
//! first, then the free description, then `### Heading` sections; composed and parsed back.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::mapping::fields::normalise_text;

static SENTENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)^as an? (.+?), i (?:can|want to|want|need to|should be able to) (.+?),? so that (.+?)\.?$")
        .unwrap()
});
static HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^#{1,6}[ \t]+(.+?)[ \t#]*$").unwrap());

/// The story sentence of persona, activity and benefit.
pub fn sentence(persona: &str, activity: &str, benefit: &str) -> String {
    let article =
        if persona.trim_start().starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) { "an" } else { "a" };
    format!("As {article} {}, I can {}, so that {}.", persona.trim(), activity.trim(), benefit.trim())
}

/// Persona, activity and benefit of a story sentence (one paragraph, lines joined).
pub fn parse_sentence(paragraph: &str) -> Option<(String, String, String)> {
    let joined: Vec<&str> = paragraph.lines().map(str::trim).collect();
    let text = joined.join(" ");
    let c = SENTENCE.captures(text.trim())?;
    Some((c[1].trim().to_string(), c[2].trim().to_string(), c[3].trim().to_string()))
}

/// Sentence (when given), description and sections, joined by blank lines.
pub fn compose(sentence: Option<String>, description: &str, sections: &[(String, String)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(sentence);
    let d = normalise_text(description);
    if !d.is_empty() {
        parts.push(d);
    }
    for (heading, value) in sections {
        let v = normalise_text(value);
        if !v.is_empty() {
            parts.push(format!("### {heading}\n\n{v}"));
        }
    }
    parts.join("\n\n")
}

/// What a description holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub sentence: Option<(String, String, String)>,
    pub description: String,
    /// Field → text, for the `headings` (field, heading) that were found.
    pub sections: BTreeMap<String, String>,
}

/// Splits a description: a leading story sentence (when `with_sentence`), the free text, and the
/// sections whose headings are among `headings` (field, heading).
pub fn parse(text: &str, with_sentence: bool, headings: &[(String, String)]) -> Parsed {
    let mut out = Parsed::default();
    let mut description: Vec<&str> = Vec::new();
    let mut current: Option<String> = None;
    let mut sections: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut lines: Vec<&str> = text.lines().collect();
    if with_sentence {
        let start = lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(lines.len());
        let end = lines[start..].iter().position(|l| l.trim().is_empty()).map_or(lines.len(), |e| start + e);
        if start < end
            && let Some(parts) = parse_sentence(&lines[start..end].join("\n"))
        {
            out.sentence = Some(parts);
            lines.drain(..end);
        }
    }
    let mut in_code = false;
    for line in lines {
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            in_code = !in_code;
        }
        let field = (!in_code)
            .then(|| HEADING.captures(line.trim_end()))
            .flatten()
            .and_then(|c| headings.iter().find(|(_, h)| h.eq_ignore_ascii_case(c[1].trim())).map(|(f, _)| f.clone()));
        match (field, &current) {
            (Some(f), _) => {
                sections.entry(f.clone()).or_default();
                current = Some(f);
            }
            (None, Some(f)) => sections.entry(f.clone()).or_default().push(line),
            (None, None) => description.push(line),
        }
    }
    out.description = normalise_text(&description.join("\n"));
    out.sections = sections.into_iter().map(|(f, l)| (f, normalise_text(&l.join("\n")))).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn sentences_round_trip_and_people_may_word_them_freely() {
        let cases = [
            ("customer admin", "invite teammates by email", "my whole team is onboarded on day one"),
            ("admin", "reset a password", "nobody is locked out"),
            ("an owner", "see costs, per team", "budgets hold, etc."),
            ("n-user", "x", "y"),
        ];
        for (p, a, b) in cases {
            let s = sentence(p, a, b);
            assert_eq!(parse_sentence(&s), Some((p.into(), a.into(), b.into())), "{s}");
        }
        assert_eq!(sentence("admin", "a", "b"), "As an admin, I can a, so that b.");
        let free = "as a planner, I want to plan shifts\nso that the team knows";
        assert_eq!(parse_sentence(free), Some(("planner".into(), "plan shifts".into(), "the team knows".into())));
        assert_eq!(parse_sentence("Plain text."), None);
    }

    #[test]
    fn descriptions_compose_and_parse_back() {
        let headings = h(&[("acceptance", "Acceptance criteria"), ("mitigation", "Mitigation")]);
        let text = compose(
            Some(sentence("planner", "plan", "we know")),
            "Intro.\n\n## Details\n\n```md\n### Mitigation\n```",
            &h(&[("Acceptance criteria", "- [ ] one"), ("Mitigation", "")]),
        );
        assert_eq!(
            text,
            "As a planner, I can plan, so that we know.\n\nIntro.\n\n## Details\n\n```md\n### Mitigation\n```\n\n### Acceptance criteria\n\n- [ ] one"
        );
        let p = parse(&text, true, &headings);
        assert_eq!(p.sentence, Some(("planner".into(), "plan".into(), "we know".into())));
        assert_eq!(p.description, "Intro.\n\n## Details\n\n```md\n### Mitigation\n```");
        assert_eq!(p.sections.get("acceptance").map(String::as_str), Some("- [ ] one"));
        assert!(!p.sections.contains_key("mitigation"));
        let plain = parse("As a planner, I can plan, so that we know.", false, &headings);
        assert_eq!((plain.sentence, plain.description.as_str()), (None, "As a planner, I can plan, so that we know."));
        assert_eq!(compose(None, "", &[]), "");
    }
}
