//! Story rules: missing persona / activity / benefit, unknown persona, atomicity,
//! implementation-freedom and duplicates. Pure functions over [`StoryText`].

mod atomic;
mod terms;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

pub use atomic::{JoinedActions, joined_actions};
pub use terms::{implementation_term, implementation_terms};

use super::Finding;
use crate::model::Persona;

/// A story as the story rules see it: its sentence parts and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoryText {
    /// `ST-14` for a backlog story, `line 7` for a line of a plain-text export.
    pub item: String,
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
    /// The whole sentence or title, as written (used by duplicate detection).
    pub text: String,
    pub persona: Option<String>,
    pub activity: Option<String>,
    pub benefit: Option<String>,
}

impl StoryText {
    /// A story from one sentence, its parts parsed from it (`None` parts when it has no story shape).
    pub fn from_sentence(item: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let parts = crate::model::sentence::parse(&text).unwrap_or_default();
        StoryText {
            item: item.into(),
            text,
            persona: parts.persona,
            activity: parts.activity,
            benefit: parts.benefit,
            ..StoryText::default()
        }
    }

    fn finding(&self, rule: &str, message: String) -> Finding {
        Finding::new(rule, Some(self.item.clone()), message).at(self.path.clone(), self.line)
    }
}

/// A part counts as given when it holds more than whitespace.
fn given(part: &Option<String>) -> Option<&str> {
    part.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `story-missing-persona`, `story-missing-activity`, `story-missing-benefit`,
/// `story-not-atomic` and `story-not-implementation-free` for one story.
pub fn check_sentence(story: &StoryText) -> Vec<Finding> {
    let mut out = Vec::new();
    let item = &story.item;
    if given(&story.persona).is_none() {
        out.push(story.finding("story-missing-persona", format!("`{item}` names no persona")));
    }
    match given(&story.activity) {
        None => out.push(story.finding("story-missing-activity", format!("`{item}` says nothing the persona can do"))),
        Some(activity) => {
            if let Some(j) = joined_actions(activity) {
                let how = if j.joiner == "/" { "with a slash".to_string() } else { format!("with `{}`", j.joiner) };
                out.push(story.finding(
                    "story-not-atomic",
                    format!("`{item}`: the activity joins `{}` and `{}` {how}", j.first, j.second),
                ));
            }
            let terms = implementation_terms(activity);
            if !terms.is_empty() {
                let names: Vec<String> = terms.iter().map(|t| format!("`{t}`")).collect();
                let (list, what) = match names.split_last() {
                    Some((last, [])) => (last.clone(), "a technology or design choice"),
                    Some((last, rest)) => (format!("{} and {last}", rest.join(", ")), "technology or design choices"),
                    None => unreachable!("terms is not empty"),
                };
                out.push(
                    story.finding(
                        "story-not-implementation-free",
                        format!("`{item}`: the activity names {list}, {what}"),
                    ),
                );
            }
        }
    }
    if given(&story.benefit).is_none() {
        let why = match given(&story.activity) {
            Some(a) => format!(
                "`{item}` gives no benefit: `{a}` was read as the activity, and no \"so that\", \"in order to\", \"so\" + clause, \"because\", \"since\" or \", to …\" follows it"
            ),
            None => format!("`{item}` gives no benefit: no activity was found, and no \"so that …\" clause"),
        };
        out.push(story.finding("story-missing-benefit", why));
    }
    out
}

/// A persona name as compared: lowercase, single spaces, no article, no plural "s".
pub(crate) fn persona_key(name: &str) -> String {
    let lower = name.to_lowercase().replace(['-', '_'], " ");
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    if words.len() > 1 && matches!(words[0], "a" | "an" | "the") {
        words.remove(0);
    }
    let mut key = words.join(" ");
    if key.len() > 3 && key.ends_with('s') && !key.ends_with("ss") {
        key.pop();
    }
    key
}

/// `unknown-persona`: the persona matches no persona name or alias (case-insensitive, articles
/// and a plural "s" tolerated); the hint suggests the nearest name or alias.
pub fn check_persona(story: &StoryText, personas: &[Persona]) -> Option<Finding> {
    let persona = given(&story.persona)?;
    if personas.is_empty() {
        return None;
    }
    let key = persona_key(persona);
    let names = || personas.iter().flat_map(|p| std::iter::once(&p.name).chain(p.aliases.iter()));
    if names().any(|n| persona_key(n) == key) {
        return None;
    }
    let nearest = names()
        .map(|n| {
            let k = persona_key(n);
            let contained = !k.is_empty() && format!(" {key} ").contains(&format!(" {k} "));
            let prefix = k.len() >= 3 && (key.starts_with(&k) || k.starts_with(&key));
            let score = if contained {
                0.9
            } else if prefix {
                0.8
            } else {
                strsim::normalized_damerau_levenshtein(&key, &k)
            };
            (score, n)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let hint = match nearest {
        Some((score, name)) if score >= 0.5 => {
            format!("did you mean `{name}`? otherwise add `{persona}` to the personas in `backlog.toml`")
        }
        _ => {
            let known: Vec<String> = personas.iter().map(|p| format!("`{}`", p.name)).collect();
            format!("use one of {} or add `{persona}` to the personas in `backlog.toml`", known.join(", "))
        }
    };
    Some(
        story
            .finding("unknown-persona", format!("`{}`: persona `{persona}` is not in `backlog.toml`", story.item))
            .with_hint(hint),
    )
}

/// A story as compared for duplicates: lowercase words without punctuation or articles.
pub fn duplicate_key(text: &str) -> String {
    let lower = text.to_lowercase();
    let words =
        lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty() && !matches!(*w, "a" | "an" | "the"));
    let mut key = String::with_capacity(lower.len());
    for w in words {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(w);
    }
    key
}

/// `duplicate-story` over a set of stories: one finding per later copy, naming the first. A copy
/// is the same text after normalisation, or the same persona and the same activity in other
/// words (see [`activity_key`]) with the same benefit or none.
pub fn check_duplicates(stories: &[StoryText]) -> Vec<Finding> {
    let mut first_by_key: HashMap<String, usize> = HashMap::with_capacity(stories.len());
    let mut first_by_meaning: HashMap<String, Vec<usize>> = HashMap::with_capacity(stories.len());
    let mut out = Vec::new();
    for (i, s) in stories.iter().enumerate() {
        let key = if s.text.trim().is_empty() {
            let parts: Vec<&str> =
                [&s.persona, &s.activity, &s.benefit].into_iter().flatten().map(String::as_str).collect();
            duplicate_key(&parts.join(" "))
        } else {
            duplicate_key(&s.text)
        };
        if key.is_empty() {
            continue;
        }
        if let Some(&first) = first_by_key.get(&key) {
            out.push(s.finding("duplicate-story", format!("`{}` repeats `{}`", s.item, stories[first].item)));
            continue;
        }
        first_by_key.insert(key, i);
        let (Some(persona), Some(activity)) = (given(&s.persona), given(&s.activity)) else { continue };
        // The same persona, and one activity's words all within the other's (at least three):
        // "pay for small amounts" is "use ALFRED to pay for small amounts".
        let key = activity_key(activity);
        let words: BTreeSet<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
        let earlier = first_by_meaning.entry(persona_key(persona)).or_default();
        let same = earlier.iter().copied().find(|&j| {
            let other = activity_key(stories[j].activity.as_deref().unwrap_or(""));
            let theirs: BTreeSet<&str> = other.split(' ').filter(|w| !w.is_empty()).collect();
            let contained = other == key
                || (words.len().min(theirs.len()) >= 3 && (words.is_subset(&theirs) || theirs.is_subset(&words)));
            contained && same_benefit(&stories[j].benefit, &s.benefit)
        });
        match same {
            Some(first) => out.push(s.finding(
                "duplicate-story",
                format!(
                    "`{}` says what `{}` says in other words: the same persona, and `{activity}` is `{}`",
                    s.item,
                    stories[first].item,
                    stories[first].activity.as_deref().unwrap_or("").trim()
                ),
            )),
            None => earlier.push(i),
        }
    }
    out
}

/// Words an activity can lose without changing what it asks for.
#[rustfmt::skip]
const FILLER: &[&str] = &[
    "a", "able", "all", "an", "any", "be", "can", "every", "i", "it", "its", "me", "my", "of", "our",
    "some", "that", "the", "their", "them", "these", "this", "those", "to", "us", "we", "your",
];

/// Common verbs and the word each stands for (after [`stem`]).
#[rustfmt::skip]
const SYNONYMS: &[(&str, &str)] = &[
    ("view", "see"), ("look", "see"), ("display", "see"), ("show", "see"), ("watch", "see"),
    ("creat", "add"), ("mak", "add"), ("delet", "remov"), ("eras", "remov"), ("modify", "edit"),
    ("modifi", "edit"), ("chang", "edit"), ("updat", "edit"), ("search", "find"), ("locat", "find"),
    ("receiv", "get"), ("obtain", "get"), ("choos", "select"), ("pick", "select"), ("login", "login"),
    ("signin", "login"), ("logon", "login"), ("signup", "regist"), ("enrol", "regist"),
    ("enroll", "regist"), ("download", "download"), ("submit", "send"), ("invit", "invit"),
];

/// A crude English stem: plural, past and gerund endings and a final "e" dropped, so that
/// "invites", "invited", "inviting" and "invite" meet.
fn stem(word: &str) -> String {
    let irregular = match word {
        "got" | "gotten" => Some("get"),
        "made" => Some("mak"),
        "saw" | "seen" => Some("see"),
        "chose" | "chosen" => Some("choos"),
        "sent" => Some("send"),
        _ => None,
    };
    if let Some(w) = irregular {
        return w.to_string();
    }
    let mut w = word.to_string();
    for (suffix, keep) in [("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")] {
        if w.len() > suffix.len() + 2 && w.ends_with(suffix) && !w.ends_with("ss") {
            w.truncate(w.len() - suffix.len());
            w.push_str(keep);
            break;
        }
    }
    if w.len() > 3 && w.ends_with('e') && !w.ends_with("ee") {
        w.pop();
    }
    w
}

/// An activity as compared for duplicates in other words: lowercase stems without filler words,
/// common verbs replaced by one synonym, "log in" / "sign in" read as one word.
pub fn activity_key(activity: &str) -> String {
    let lower = activity.to_lowercase();
    let lower = lower.replace("log in", "login").replace("sign in", "signin").replace("sign up", "signup");
    let lower = lower.replace("log on", "logon").replace("look at", "look").replace("look for", "search");
    let lower = lower.replace("pick up", "pickup").replace("pick-up", "pickup");
    let words = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty() && !FILLER.contains(w));
    words
        .map(|w| {
            let st = stem(w);
            SYNONYMS.iter().find(|(from, _)| *from == st).map_or(st, |(_, to)| to.to_string())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Two benefits agree when one is absent (no benefit is not another benefit), or when most of
/// their words' stems are shared.
fn same_benefit(a: &Option<String>, b: &Option<String>) -> bool {
    match (given(a), given(b)) {
        (None, _) | (_, None) => true,
        (Some(a), Some(b)) => {
            let set = |t: &str| -> BTreeSet<String> {
                activity_key(t).split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect()
            };
            let (x, y) = (set(a), set(b));
            let shared = x.intersection(&y).count();
            let union = x.union(&y).count();
            union == 0 || shared * 2 >= union
        }
    }
}

#[cfg(test)]
mod tests;
