//! Rich text between Markdown and the HTML that Azure Boards keeps in fields not set to Markdown:
//! headings, paragraphs (line breaks as `<br>`), nested lists, fenced code with its language,
//! tables with alignment, quotes, rules, emphasis, code spans, links and images.
//! `html_to_markdown(markdown_to_html(md)) == md` for Markdown in the form `html_to_markdown`
//! writes, so a value read back and converted again is unchanged.

use std::sync::LazyLock;

use regex::Regex;

pub use super::html_read::html_to_markdown;
use crate::mapping::fields::normalise_text;

static FENCE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(```+|~~~+)\s*([^`\s]*)\s*$").unwrap());
static HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(#{1,6})[ \t]+(.*?)[ \t]*$").unwrap());
static RULE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$").unwrap());
static ITEM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$").unwrap());
static SEPARATOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$").unwrap());

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn indent_of(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ').count() + line.chars().take_while(|c| *c == '\t').count() * 4
}

fn strip_indent(line: &str, n: usize) -> &str {
    let spaces = line.bytes().take(n).take_while(|b| *b == b' ').count();
    &line[spaces..]
}

/// Whether the Markdown reader opens a block (fence, heading, rule, quote, list item) at `line`.
pub(super) fn starts_block(line: &str) -> bool {
    let t = line.trim_start();
    FENCE.is_match(t) || HEADING.is_match(t) || RULE.is_match(t.trim_end()) || t.starts_with('>') || ITEM.is_match(line)
}

/// Markdown → HTML.
pub fn markdown_to_html(markdown: &str) -> String {
    let text = normalise_text(markdown);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    blocks(&lines, &mut out);
    out
}

fn blocks(lines: &[&str], out: &mut String) {
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if t.is_empty() {
            i += 1;
        } else if let Some(c) = FENCE.captures(t) {
            let fence = c[1].to_string();
            let lang = c[2].to_string();
            let indent = indent_of(line);
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim().starts_with(fence.as_str()) {
                body.push(strip_indent(lines[i], indent));
                i += 1;
            }
            i += 1;
            let class = if lang.is_empty() { String::new() } else { format!(" class=\"language-{}\"", escape(&lang)) };
            let mut code = body.join("\n");
            if !body.is_empty() {
                code.push('\n');
            }
            out.push_str(&format!("<pre><code{class}>{}</code></pre>", escape(&code)));
        } else if let Some(c) = HEADING.captures(t) {
            let level = c[1].len();
            let text = c[2].trim_end_matches('#').trim_end();
            out.push_str(&format!("<h{level}>{}</h{level}>", inline(text)));
            i += 1;
        } else if RULE.is_match(t) {
            out.push_str("<hr>");
            i += 1;
        } else if t.starts_with('>') {
            let mut inner = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('>') {
                let l = lines[i].trim_start()[1..].strip_prefix(' ').unwrap_or(&lines[i].trim_start()[1..]);
                inner.push(l);
                i += 1;
            }
            out.push_str("<blockquote>");
            blocks(&inner, out);
            out.push_str("</blockquote>");
        } else if ITEM.is_match(line) {
            i = list(lines, i, out);
        } else if t.contains('|') && i + 1 < lines.len() && SEPARATOR.is_match(lines[i + 1].trim()) {
            i = table(lines, i, out);
        } else {
            let mut para = vec![t];
            i += 1;
            while i < lines.len() && !lines[i].trim().is_empty() && !starts_block(lines[i]) {
                para.push(lines[i].trim());
                i += 1;
            }
            let rendered: Vec<String> = para.iter().map(|l| inline(l)).collect();
            out.push_str(&format!("<p>{}</p>", rendered.join("<br>")));
        }
    }
}

fn list(lines: &[&str], start: usize, out: &mut String) -> usize {
    let first = ITEM.captures(lines[start]).expect("a list item");
    let base = indent_of(lines[start]);
    let ordered = first[2].chars().next().is_some_and(|c| c.is_ascii_digit());
    let number: u64 = if ordered { first[2][..first[2].len() - 1].parse().unwrap_or(1) } else { 1 };
    match (ordered, number) {
        (false, _) => out.push_str("<ul>"),
        (true, 1) => out.push_str("<ol>"),
        (true, n) => out.push_str(&format!("<ol start=\"{n}\">")),
    }
    let mut i = start;
    while i < lines.len() {
        let Some(c) = ITEM.captures(lines[i]) else { break };
        let same_kind = c[2].chars().next().is_some_and(|x| x.is_ascii_digit()) == ordered;
        if indent_of(lines[i]) != base || !same_kind {
            break;
        }
        let offset = base + c[2].len() + 1;
        let mut body: Vec<&str> = vec![c.get(3).map_or("", |m| m.as_str())];
        i += 1;
        let mut in_fence = FENCE.is_match(body[0].trim());
        while i < lines.len() {
            let l = lines[i];
            let blank = l.trim().is_empty();
            if !in_fence && (blank || indent_of(l) <= base) {
                break;
            }
            if FENCE.is_match(l.trim()) {
                in_fence = !in_fence;
            }
            body.push(strip_indent(l, offset.min(indent_of(l))));
            i += 1;
        }
        out.push_str("<li>");
        let lead = body.iter().position(|l| starts_block(l) || l.trim().is_empty()).filter(|p| *p > 0);
        match lead {
            Some(p) => {
                let rendered: Vec<String> = body[..p].iter().map(|l| inline(l.trim())).collect();
                out.push_str(&rendered.join("<br>"));
                blocks(&body[p..], out);
            }
            None if starts_block(body[0]) => blocks(&body, out),
            None => {
                let rendered: Vec<String> = body.iter().map(|l| inline(l.trim())).collect();
                out.push_str(&rendered.join("<br>"));
            }
        }
        out.push_str("</li>");
    }
    out.push_str(if ordered { "</ol>" } else { "</ul>" });
    i
}

/// The cells of a table row, split at unescaped `|`.
pub fn cells(row: &str) -> Vec<String> {
    let t = row.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = if t.ends_with('|') && !t.ends_with("\\|") { &t[..t.len() - 1] } else { t };
    let mut out = vec![String::new()];
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().expect("a cell").push('|');
                chars.next();
            }
            '|' => out.push(String::new()),
            c => out.last_mut().expect("a cell").push(c),
        }
    }
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

fn table(lines: &[&str], start: usize, out: &mut String) -> usize {
    let header = cells(lines[start]);
    let aligns: Vec<&str> = cells(lines[start + 1])
        .iter()
        .map(|c| match (c.starts_with(':'), c.ends_with(':')) {
            (true, true) => " style=\"text-align: center\"",
            (true, false) => " style=\"text-align: left\"",
            (false, true) => " style=\"text-align: right\"",
            _ => "",
        })
        .collect();
    let row = |cells: &[String], tag: &str| {
        let mut r = String::from("<tr>");
        for (n, c) in cells.iter().enumerate() {
            let align = aligns.get(n).copied().unwrap_or("");
            r.push_str(&format!("<{tag}{align}>{}</{tag}>", inline(c)));
        }
        r.push_str("</tr>");
        r
    };
    out.push_str(&format!("<table><thead>{}</thead><tbody>", row(&header, "th")));
    let mut i = start + 2;
    while i < lines.len() && lines[i].contains('|') && !lines[i].trim().is_empty() {
        out.push_str(&row(&cells(lines[i]), "td"));
        i += 1;
    }
    out.push_str("</tbody></table>");
    i
}

/// Inline Markdown → HTML: code spans, links, images, autolinks, strong, emphasis, strikethrough,
/// backslash escapes.
pub fn inline(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let rest: String = chars[i..].iter().collect();
        if c == '\\' && i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() {
            out.push_str(&escape(&chars[i + 1].to_string()));
            i += 2;
        } else if c == '`' {
            let ticks = chars[i..].iter().take_while(|x| **x == '`').count();
            let fence: String = "`".repeat(ticks);
            match rest[ticks..].find(&fence) {
                Some(end) => {
                    let code = &rest[ticks..ticks + end];
                    out.push_str(&format!("<code>{}</code>", escape(code)));
                    i += ticks + code.chars().count() + ticks;
                }
                None => {
                    out.push_str(&fence);
                    i += ticks;
                }
            }
        } else if let Some((html, used)) = link(&rest) {
            out.push_str(&html);
            i += used;
        } else if let Some((html, used)) = delimited(&rest, chars.get(i.wrapping_sub(1)).copied()) {
            out.push_str(&html);
            i += used;
        } else {
            out.push_str(&escape(&c.to_string()));
            i += 1;
        }
    }
    out
}

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^(!?)\[([^\]]*)\]\(([^()\s]+)(?:\s+"([^"]*)")?\)"#).unwrap());
static AUTOLINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^<((?:https?|mailto):[^<>\s]+)>").unwrap());

fn link(rest: &str) -> Option<(String, usize)> {
    if let Some(c) = AUTOLINK.captures(rest) {
        let url = escape(&c[1]);
        return Some((format!("<a href=\"{url}\">{url}</a>"), c[0].chars().count()));
    }
    let c = LINK.captures(rest)?;
    let url = escape(&c[3]);
    let title = c.get(4).map(|t| format!(" title=\"{}\"", escape(t.as_str()))).unwrap_or_default();
    let html = if &c[1] == "!" {
        format!("<img src=\"{url}\" alt=\"{}\"{title}>", escape(&c[2]))
    } else {
        format!("<a href=\"{url}\"{title}>{}</a>", inline(&c[2]))
    };
    Some((html, c[0].chars().count()))
}

fn delimited(rest: &str, before: Option<char>) -> Option<(String, usize)> {
    for (delim, tag) in [("**", "strong"), ("__", "strong"), ("~~", "del"), ("*", "em"), ("_", "em")] {
        if !rest.starts_with(delim) {
            continue;
        }
        let word_bound = delim.starts_with('_');
        if word_bound && before.is_some_and(|b| b.is_alphanumeric()) {
            return None;
        }
        let inner = &rest[delim.len()..];
        if inner.starts_with(char::is_whitespace) || inner.is_empty() {
            return None;
        }
        let mut search = 0;
        while let Some(pos) = inner[search..].find(delim) {
            let at = search + pos;
            let prev = inner[..at].chars().last();
            let next = inner[at + delim.len()..].chars().next();
            let single_star_in_double = delim.len() == 1 && inner[at + 1..].starts_with(delim);
            if at > 0
                && prev.is_some_and(|p| !p.is_whitespace())
                && !(word_bound && next.is_some_and(|n| n.is_alphanumeric()))
                && !single_star_in_double
            {
                let body = &inner[..at];
                return Some((format!("<{tag}>{}</{tag}>", inline(body)), delim.len() * 2 + body.chars().count()));
            }
            search = at + delim.len().max(if single_star_in_double { 2 } else { 1 });
        }
        return None;
    }
    None
}
