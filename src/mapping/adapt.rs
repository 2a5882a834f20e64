//! Faithful adaptations: what a target cannot hold is adapted on the way out, reported, and read
//! back as what was meant. A body over GitHub's limit is cut at a section boundary with a note
//! pointing at the file; a tag that cannot be a GitHub label or an Azure tag is left out; the
//! file always keeps everything. Pure.

use serde::Serialize;

use super::fields::{FieldMap, join_tags, normalise_text, split_tags};

/// The longest issue body GitHub stores, in characters.
pub const GITHUB_BODY_LIMIT: usize = 65_536;
/// The longest label name GitHub accepts, in characters.
pub const GITHUB_LABEL_LIMIT: usize = 50;
/// The longest tag Azure Boards accepts, in characters.
pub const AZURE_TAG_LIMIT: usize = 400;

/// The hidden line that starts the cut note; the note's text follows on the next line.
pub const CUT_COMMENT: &str = "<!-- backlog-sync-cut -->";

/// Rule: a body was cut to fit the target.
pub const BODY_CUT: &str = "sync-body-cut";
/// Rule: a tag was left out of a target that cannot hold it.
pub const TAG_UNFIT: &str = "sync-tag-unfit";
/// Rule: the owner cannot be assigned on the target; the item synced without the assignee.
pub const OWNER_UNASSIGNABLE: &str = "sync-owner-unassignable";

/// One adaptation made for one item on one target; the item synced.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Adaptation {
    /// The drift rule that reports it.
    pub rule: &'static str,
    pub item: String,
    pub target: String,
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for Adaptation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: `{}` on `{}`: {}; {}", self.rule, self.item, self.target, self.message, self.hint)
    }
}

/// Which tags a target can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagRules {
    /// A GitHub label: at most 50 characters.
    GithubLabel,
    /// An Azure Boards tag: at most 400 characters, no `,` and no `;`.
    AzureTag,
}

impl TagRules {
    /// Why `tag` cannot be held, or `None` when it can.
    pub fn unfit(self, tag: &str) -> Option<String> {
        let n = tag.chars().count();
        match self {
            TagRules::GithubLabel if n > GITHUB_LABEL_LIMIT => {
                Some(format!("{n} characters, and a GitHub label has at most {GITHUB_LABEL_LIMIT}"))
            }
            TagRules::AzureTag if n > AZURE_TAG_LIMIT => {
                Some(format!("{n} characters, and an Azure Boards tag has at most {AZURE_TAG_LIMIT}"))
            }
            TagRules::AzureTag if tag.contains([',', ';']) => {
                Some("it holds `,` or `;`, which an Azure Boards tag cannot".to_string())
            }
            _ => None,
        }
    }

    /// The tags of `value` the target can hold, and a note for each it cannot.
    pub fn split(self, value: &str) -> (Vec<String>, Vec<(String, String)>) {
        let (mut fit, mut unfit) = (Vec::new(), Vec::new());
        for tag in split_tags(value) {
            match self.unfit(&tag) {
                Some(why) => unfit.push((tag, why)),
                None => fit.push(tag),
            }
        }
        (fit, unfit)
    }

    /// The tags read back, as meant: a tag equal to a meant one but for case is the meant one
    /// (labels and Boards tags match whatever the case), and the meant tags the target cannot
    /// hold are still there (they were left out, never removed).
    pub fn restore(self, read: &str, meant: &str) -> String {
        let meant_tags = split_tags(meant);
        let mut out: Vec<String> = split_tags(read)
            .into_iter()
            .map(|t| meant_tags.iter().find(|m| m.eq_ignore_ascii_case(&t)).cloned().unwrap_or(t))
            .collect();
        out.extend(meant_tags.iter().filter(|t| self.unfit(t).is_some()).cloned());
        join_tags(&out)
    }
}

/// The notes for the tags of `fields` a target leaves out.
pub fn unfit_tags(rules: TagRules, item: &str, target: &str, fields: &FieldMap) -> Vec<Adaptation> {
    let (_, unfit) = rules.split(fields.get("tags").map(String::as_str).unwrap_or(""));
    unfit
        .into_iter()
        .map(|(tag, why)| {
            let shown: String = tag.chars().take(40).collect();
            let more = if shown.len() < tag.len() { "…" } else { "" };
            Adaptation {
                rule: TAG_UNFIT,
                item: item.to_string(),
                target: target.to_string(),
                message: format!("tag `{shown}{more}` is left out: {why}"),
                hint: "the file keeps the tag; shorten or rename it to carry it there".to_string(),
            }
        })
        .collect()
}

/// Where a too-long body was cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// Characters of the body left out.
    pub left_out: usize,
}

/// Byte offsets in `text` where a cut may go, best first: section (heading) starts, paragraph
/// starts, line starts. Headings inside fenced code do not count.
fn boundaries(text: &str) -> [Vec<usize>; 3] {
    let (mut headings, mut paragraphs, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    let (mut offset, mut fenced, mut blank_before) = (0, false, false);
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if offset > 0 {
            lines.push(offset);
            if blank_before {
                paragraphs.push(offset);
            }
            let level = t.chars().take_while(|c| *c == '#').count();
            if !fenced && (1..=6).contains(&level) && t[level..].starts_with(' ') {
                headings.push(offset);
            }
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
        }
        blank_before = t.is_empty();
        offset += line.len();
    }
    [headings, paragraphs, lines]
}

/// The byte offset at which to cut `text` so that at most `budget` characters stay: the last
/// section boundary that keeps at least half of the budget, else the last paragraph, else the
/// last line, else the last character that fits.
pub fn cut_point(text: &str, budget: usize) -> usize {
    let max = text.char_indices().nth(budget).map(|(i, _)| i).unwrap_or(text.len());
    if max == text.len() {
        return max;
    }
    for tier in boundaries(text) {
        if let Some(at) = tier.into_iter().filter(|b| *b <= max && *b * 2 >= max).max() {
            return at;
        }
    }
    max
}

/// The note that ends a cut body: what was left out and where all of it is.
pub fn cut_note(path: &str, left_out: usize) -> String {
    format!(
        "{CUT_COMMENT}\n> **The rest of this item is not shown here** ({left_out} characters): GitHub holds at most \
         {GITHUB_BODY_LIMIT} characters in an issue. The whole text is in the backlog, in `{path}`.\n"
    )
}

/// Fits `head` (a body without its marker line) and `marker` into GitHub's limit: unchanged when
/// it fits, else cut at a section boundary with [`cut_note`] pointing at `path`.
pub fn fit_body(head: &str, marker: &str, path: &str) -> (String, Option<Cut>) {
    let whole = format!("{head}{marker}\n");
    let total = whole.chars().count();
    if total <= GITHUB_BODY_LIMIT {
        return (whole, None);
    }
    // The note's length depends on the number in it: measure it with the largest.
    let room = GITHUB_BODY_LIMIT - marker.chars().count() - cut_note(path, total).chars().count() - 4;
    let at = cut_point(head, room);
    let kept = head[..at].trim_end();
    let left_out = head.chars().count() - kept.chars().count();
    let body = format!("{kept}\n\n{}\n{marker}\n", cut_note(path, left_out));
    debug_assert!(body.chars().count() <= GITHUB_BODY_LIMIT);
    (body, Some(Cut { left_out }))
}

/// Removes the cut note from a body, so that it never reads as part of a field.
pub fn strip_cut_note(body: &str) -> String {
    if !body.contains(CUT_COMMENT) {
        return body.to_string();
    }
    let mut out = Vec::new();
    let mut in_note = false;
    for line in body.lines() {
        if line.trim() == CUT_COMMENT {
            in_note = true;
            continue;
        }
        if in_note && line.trim_start().starts_with('>') {
            continue;
        }
        in_note = false;
        out.push(line);
    }
    out.join("\n")
}

/// The body fields read back from a cut body, as meant: `shown` is what the cut body itself reads
/// as. A field the cut left alone is as read; one the cut shortened or dropped and nobody edited
/// is the meant value; one edited on the remote keeps the edit followed by the part not shown, so
/// that the file is never shortened.
pub fn restore_cut(read: &mut FieldMap, meant: &FieldMap, shown: &FieldMap, body_fields: &[String]) {
    for f in body_fields {
        let m = meant.get(f).cloned().unwrap_or_default();
        let c = shown.get(f).cloned().unwrap_or_default();
        if c == m {
            continue;
        }
        let r = read.get(f).cloned().unwrap_or_default();
        let value = if r == c || (c.is_empty() && r.is_empty()) {
            m
        } else if c.is_empty() {
            r
        } else if let Some(rest) = m.strip_prefix(c.as_str()) {
            normalise_text(&format!("{r}{rest}"))
        } else {
            r
        };
        read.insert(f.clone(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_a_target_cannot_hold_are_told_apart() {
        let long_label = "l".repeat(51);
        let (fit, unfit) = TagRules::GithubLabel.split(&format!("a,b, {long_label}, {}", "x".repeat(50)));
        assert_eq!(fit, ["a,b".to_string(), "x".repeat(50)]);
        assert_eq!(unfit.len(), 1);
        let (fit, unfit) = TagRules::AzureTag.split(&format!("a,b, ok, {}, {long_label}", "y".repeat(401)));
        assert_eq!(fit, ["ok".to_string(), long_label]);
        assert_eq!(unfit.len(), 2, "{unfit:?}");
        assert!(TagRules::AzureTag.unfit("x;y").is_some());
    }

    #[test]
    fn tags_read_back_as_meant() {
        let long = "l".repeat(60);
        let meant = join_tags(&["Onboarding", long.as_str(), "pilot"]);
        // Left out, and an existing label of another case: as meant.
        assert_eq!(TagRules::GithubLabel.restore("onboarding, pilot", &meant), meant);
        // A person removed `pilot` and added `later`: their edit, with the left-out tag kept.
        let edited = TagRules::GithubLabel.restore("later, onboarding", &meant);
        assert_eq!(edited, join_tags(&["later", "Onboarding", long.as_str()]));
    }

    #[test]
    fn a_cut_goes_at_the_last_section_that_keeps_half() {
        let text = format!("intro\n\n### One\n\n{}\n\n### Two\n\n{}\n", "a".repeat(40), "b".repeat(40));
        let two = text.find("### Two").unwrap();
        assert_eq!(cut_point(&text, two + 10), two);
        // No section boundary keeps half: the last paragraph does.
        let text = format!("{}\n\n{}\n\n{}", "a".repeat(40), "b".repeat(40), "c".repeat(40));
        assert_eq!(cut_point(&text, 100), 84);
        // One long line: cut at a character.
        assert_eq!(cut_point(&"é".repeat(30), 10), 20);
        assert_eq!(cut_point("short", 10), 5);
        // A heading in fenced code is no section.
        let text = format!("{}\n```\n# not a heading\n```\n{}", "a".repeat(40), "b".repeat(40));
        assert!(boundaries(&text)[0].is_empty());
    }

    #[test]
    fn a_body_over_the_limit_is_cut_with_a_note_and_fits() {
        let head = format!("{}\n\n### Persona\n\n{}\n\n", "word ".repeat(10_000), "p".repeat(30_000));
        let (body, cut) = fit_body(&head, "<!-- backlog-sync: ST-1 -->", "stories/ST-1.md");
        let cut = cut.expect("cut");
        assert!(body.chars().count() <= GITHUB_BODY_LIMIT, "{}", body.chars().count());
        assert!(body.contains("`stories/ST-1.md`") && body.ends_with("<!-- backlog-sync: ST-1 -->\n"));
        assert!(!body.contains("### Persona"), "cut at the section boundary");
        assert_eq!(cut.left_out, head.chars().count() - "word ".repeat(10_000).trim_end().chars().count());
        let stripped = strip_cut_note(&body);
        assert!(!stripped.contains("backlog-sync-cut") && !stripped.contains("not shown"), "the note reads as nothing");
        assert!(stripped.starts_with("word ") && stripped.trim_end().ends_with("<!-- backlog-sync: ST-1 -->"));
        let (same, none) = fit_body("short\n\n", "<!-- m -->", "x");
        assert_eq!((same.as_str(), none), ("short\n\n<!-- m -->\n", None));
    }

    #[test]
    fn a_cut_body_reads_back_as_meant_and_edits_keep_the_rest() {
        let fields = |d: &str, p: &str| -> FieldMap {
            [("description".to_string(), d.to_string()), ("persona".to_string(), p.to_string())].into()
        };
        let body_fields = ["description".to_string(), "persona".to_string()];
        let meant = fields("one\ntwo\nthree", "admin");
        let shown = fields("one\ntwo", "");
        let mut read = shown.clone();
        restore_cut(&mut read, &meant, &shown, &body_fields);
        assert_eq!(read, meant, "unedited: as meant");
        let mut read = fields("ONE\ntwo", "");
        restore_cut(&mut read, &meant, &shown, &body_fields);
        assert_eq!(read, fields("ONE\ntwo\nthree", "admin"), "an edit of the shown part keeps the rest");
        let mut read = fields("one\ntwo", "guest");
        restore_cut(&mut read, &meant, &shown, &body_fields);
        assert_eq!(read["persona"], "guest", "a dropped section written on the remote is an edit");
    }
}
