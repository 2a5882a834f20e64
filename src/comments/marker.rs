//! The text of a mirrored comment: a hidden marker naming its origin, then one attribution line
//! (author, tracker, time, link to the original), then the original's Markdown.
//!
//! GitHub keeps HTML comments in the Markdown source and hides them, as it does the item marker;
//! Azure Boards comments are posted as Markdown (`format=markdown`, comments API 7.1-preview.4),
//! where the marker is a link reference definition (`[//]: # (…)`), which CommonMark hides and
//! no HTML sanitiser touches. Both forms are read on both sides.

use super::{Comment, Origin, Tracker};

const TAG: &str = "backlog-sync:comment ";

/// The hidden marker of a mirror of `origin` on a tracker of kind `on`.
pub fn marker(origin: &Origin, on: Tracker) -> String {
    let key = format!("{TAG}{}/{}/{}", origin.target, origin.item, origin.comment);
    match on {
        Tracker::Github => format!("<!-- {key} -->"),
        Tracker::AzureBoards => format!("[//]: # ({key})"),
    }
}

/// The origin a comment's marker names, when it is a mirror.
pub fn origin_of(text: &str) -> Option<Origin> {
    let start = text.find(TAG)? + TAG.len();
    let key: String = text[start..].chars().take_while(|c| !c.is_whitespace() && *c != ')').collect();
    let mut parts = key.splitn(3, '/');
    let (target, item, comment) = (parts.next()?, parts.next()?, parts.next()?);
    if [target, item, comment].iter().any(|p| p.is_empty()) {
        return None;
    }
    Some(Origin { target: target.into(), item: item.into(), comment: comment.into() })
}

/// The full text of the mirror of `original` (from `origin` on a tracker of kind `from`) as
/// posted on a tracker of kind `on`.
pub fn render(original: &Comment, origin: &Origin, from: Tracker, on: Tracker) -> String {
    let when = original.created_at.format("%Y-%m-%d %H:%M UTC");
    // No `@`: a login on GitHub would notify someone who never asked to be.
    let author = original.author.replace('@', "");
    format!(
        "{}\n**{author}** commented in {} on {when} ([original]({})):\n\n{}",
        marker(origin, on),
        from.label(),
        original.url,
        original.markdown.trim_end()
    )
}

/// Whether two texts say the same once line endings and trailing blanks are set aside (a service
/// may store `\r\n`).
pub fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace("\r\n", "\n").lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    norm(a).trim() == norm(b).trim()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn origin() -> Origin {
        Origin { target: "gh-main".into(), item: "12".into(), comment: "3456".into() }
    }

    #[test]
    fn markers_name_their_origin_on_both_trackers() {
        let cases = [
            (Tracker::Github, "<!-- backlog-sync:comment gh-main/12/3456 -->"),
            (Tracker::AzureBoards, "[//]: # (backlog-sync:comment gh-main/12/3456)"),
        ];
        for (on, want) in cases {
            assert_eq!(marker(&origin(), on), want);
            assert_eq!(origin_of(&format!("{want}\nhello")), Some(origin()), "{want}");
        }
    }

    #[test]
    fn texts_without_a_whole_marker_are_originals() {
        for text in
            ["plain words", "<!-- backlog-sync: ST-1 -->", "backlog-sync:comment a/b", "backlog-sync:comment //"]
        {
            assert_eq!(origin_of(text), None, "{text}");
        }
    }

    #[test]
    fn a_mirror_is_attributed_and_found_again() {
        let original = Comment {
            id: "3456".into(),
            author: "@octo-cat".into(),
            created_at: Utc.with_ymd_and_hms(2026, 12, 3, 14, 5, 9).unwrap(),
            version: "v".into(),
            text: "Is **this** ready?\n".into(),
            markdown: "Is **this** ready?\n".into(),
            url: "https://github.com/o/r/issues/12#issuecomment-3456".into(),
        };
        let text = render(&original, &origin(), Tracker::Github, Tracker::AzureBoards);
        assert_eq!(
            text,
            "[//]: # (backlog-sync:comment gh-main/12/3456)\n**octo-cat** commented in GitHub on 2026-12-03 14:05 UTC \
             ([original](https://github.com/o/r/issues/12#issuecomment-3456)):\n\nIs **this** ready?"
        );
        assert_eq!(origin_of(&text), Some(origin()));
    }

    #[test]
    fn same_text_ignores_line_endings_and_trailing_blanks() {
        assert!(same_text("a\r\nb  \n", "a\nb"));
        assert!(!same_text("a\nb", "a\nc"));
    }
}
