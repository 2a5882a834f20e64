//! Rich text between Markdown and the HTML that Azure Boards keeps in fields not set to Markdown.
//! Markdown → HTML is pulldown-cmark (CommonMark with tables and strikethrough); HTML → Markdown is
//! `html_read` on html5ever. `html_to_markdown(markdown_to_html(md)) == md` for Markdown in the form
//! `html_to_markdown` writes, so a value read back and converted again is unchanged. Other forms
//! (`* a`, ordered lists in a row, `&rsquo;`) read back in CommonMark's form; the mapping's
//! `restore` then takes the read text as the meant one, so that is no echo write either.
//!
//! Two choices keep that property: a line break inside a paragraph is a `<br>` (Boards shows a soft
//! break as a space, and the reader gives it back as a line break), and raw HTML in the Markdown is
//! text, escaped (the canonical files are Markdown; a `<b>` typed there is shown as typed).

use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser};
use regex::Regex;

pub use super::html_read::html_to_markdown;
use crate::mapping::fields::normalise_text;

static FENCE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(```+|~~~+)").unwrap());
static HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^#{1,6}(?:[ \t]|$)").unwrap());
static RULE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$").unwrap());
static SETEXT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:=+|-+)[ \t]*$").unwrap());
static ITEM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)").unwrap());

/// Whether a line of text would open a Markdown block (fence, heading, rule, setext underline,
/// quote, list item) if written as it is.
pub(super) fn starts_block(line: &str) -> bool {
    let t = line.trim_start();
    FENCE.is_match(t)
        || HEADING.is_match(t)
        || RULE.is_match(t.trim_end())
        || SETEXT.is_match(t)
        || t.starts_with('>')
        || ITEM.is_match(line)
}

/// Raw HTML typed in Markdown, as the text it is shown as: backslash escapes of punctuation are
/// taken as escapes there too, so text the reader escaped reads back the same.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(n) if c == '\\' && n.is_ascii_punctuation() => out.push(chars.next().unwrap_or(c)),
            _ => out.push(c),
        }
    }
    out
}

/// Markdown → HTML.
pub fn markdown_to_html(markdown: &str) -> String {
    let text = normalise_text(markdown);
    let events =
        Parser::new_ext(&text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::SoftBreak => Event::HardBreak,
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(CowStr::from(unescape(&raw))),
            Event::InlineMath(m) | Event::DisplayMath(m) => Event::Text(CowStr::from(m.to_string())),
            other => other,
        });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    // The line breaks pulldown-cmark puts between tags are layout only; Boards keeps HTML compact
    // (text inside `<pre>` has its `<` and `>` escaped, so no code line is joined).
    out.trim_end().replace(">\n<", "><")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_the_html_boards_keeps() {
        let cases = [
            ("Line one\nline two", "<p>Line one<br />\nline two</p>"),
            ("a <b>raw</b> tag", "<p>a &lt;b&gt;raw&lt;/b&gt; tag</p>"),
            ("~~gone~~", "<p><del>gone</del></p>"),
            (
                "| a |\n|:-:|\n| 1 |",
                "<table><thead><tr><th style=\"text-align: center\">a</th></tr></thead><tbody><tr><td style=\"text-align: center\">1</td></tr></tbody></table>",
            ),
            ("```rust\nfn x() {}\n```", "<pre><code class=\"language-rust\">fn x() {}\n</code></pre>"),
        ];
        for (md, html) in cases {
            assert_eq!(markdown_to_html(md), html, "{md}");
        }
    }

    #[test]
    fn lines_that_would_open_a_block_are_known() {
        for line in ["> q", "# h", "- i", "+ i", "1. i", "12) i", "---", "***", "===", "```", "~~~ x", "  - nested"] {
            assert!(starts_block(line), "{line}");
        }
        for line in ["a > b", "#hashtag", "-dash", "1.5 litres", "plain", "x ==="] {
            assert!(!starts_block(line), "{line}");
        }
    }
}
