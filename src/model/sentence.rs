//! The story sentence parser: "As a <persona>, I can <activity>, so that <benefit>" into its parts.
//!
//! Placeholder: the tuned parser replaces this (see `tests/story_data.rs` for its scoring).

/// The parts of a story sentence that could be found. An empty part is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorySentence {
    pub persona: Option<String>,
    pub activity: Option<String>,
    pub benefit: Option<String>,
}

/// Parses one story sentence. Returns `None` when the text has no story shape at all
/// (neither a role clause nor a want/can clause nor a benefit clause).
pub fn parse(text: &str) -> Option<StorySentence> {
    let lower = text.to_lowercase();
    let benefit_at = lower.find("so that");
    let want_at = lower.find("i want").or_else(|| lower.find("i can"));
    let role_at = lower.strip_prefix("as a").map(|_| 0);
    if benefit_at.is_none() && want_at.is_none() && role_at.is_none() {
        return None;
    }
    let clean = |s: &str| {
        let s = s.trim().trim_matches(|c: char| c == ',' || c == '.' || c.is_whitespace());
        (!s.is_empty()).then(|| s.to_string())
    };
    let end_of_activity = benefit_at.unwrap_or(text.len());
    Some(StorySentence {
        persona: match (role_at, want_at) {
            (Some(_), Some(w)) => clean(&text[4..w]),
            _ => None,
        },
        activity: want_at.and_then(|w| clean(&text[w + 6..end_of_activity])),
        benefit: benefit_at.and_then(|b| clean(&text[b + 7..])),
    })
}
