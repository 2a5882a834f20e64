//! HTML → Markdown for what Boards keeps in rich-text fields: a forgiving tag tree (unclosed and
//! stray tags tolerated, entities decoded), then Markdown in the one form `markdown_to_html` reads
//! back to the same HTML. Unknown tags keep their text.

use crate::mapping::fields::normalise_text;

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Element { name: String, attrs: Vec<(String, String)>, children: Vec<Node> },
}

const VOID: &[&str] = &["br", "hr", "img", "input", "meta", "link", "col", "wbr", "area", "base", "source"];
const BLOCK: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "pre",
    "blockquote",
    "table",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
];

/// Decodes the HTML entities people and editors use.
pub fn decode(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.bytes().take(12).position(|b| b == b';');
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16).ok().and_then(char::from_u32)
                }
                _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn attributes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim().trim_end_matches('/');
    while !rest.trim().is_empty() {
        rest = rest.trim_start();
        let name_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (v, used) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let end = after[1..].find(q).map_or(after.len(), |e| e + 1);
                    (&after[1..end], (end + 1).min(after.len()))
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], end)
                }
            };
            value = decode(v);
            rest = &after[used..];
        }
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// An element still open while parsing: name, attributes, children so far.
type Open = (String, Vec<(String, String)>, Vec<Node>);

fn parse(html: &str) -> Vec<Node> {
    // Stack of open elements: (name, attrs, children); the root is at the bottom.
    let mut stack: Vec<Open> = vec![(String::new(), Vec::new(), Vec::new())];
    let mut rest = html;
    let close = |stack: &mut Vec<Open>| {
        let (name, attrs, children) = stack.pop().expect("an open element");
        stack.last_mut().expect("the root").2.push(Node::Element { name, attrs, children });
    };
    while !rest.is_empty() {
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |e| &comment[e + 3..]);
            continue;
        }
        let tag_start =
            rest.starts_with('<') && rest[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        if !tag_start {
            let first = rest.chars().next().map_or(1, char::len_utf8);
            let end = rest[first..].find('<').map_or(rest.len(), |e| e + first);
            let text = decode(&rest[..end]);
            stack.last_mut().expect("the root").2.push(Node::Text(text));
            rest = &rest[end..];
            continue;
        }
        let end = rest.find('>').unwrap_or(rest.len());
        let inner = &rest[1..end];
        rest = if end < rest.len() { &rest[end + 1..] } else { "" };
        if inner.starts_with('!') {
            continue;
        }
        if let Some(name) = inner.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            if let Some(pos) = stack.iter().rposition(|(n, _, _)| *n == name).filter(|p| *p > 0) {
                while stack.len() > pos {
                    close(&mut stack);
                }
            }
            continue;
        }
        let name_end = inner.find(|c: char| c.is_whitespace() || c == '/').unwrap_or(inner.len());
        let name = inner[..name_end].to_ascii_lowercase();
        let attrs = attributes(&inner[name_end..]);
        // A new <li>, <p>, <tr> or cell closes an open one of its kind, as browsers do.
        let closes: &[&str] = match name.as_str() {
            "li" => &["li"],
            "p" => &["p"],
            "tr" => &["tr", "td", "th"],
            "td" | "th" => &["td", "th"],
            _ => &[],
        };
        if !closes.is_empty() {
            let barrier = ["ul", "ol", "table", "blockquote", "div"];
            if let Some(pos) =
                stack.iter().rposition(|(n, _, _)| closes.contains(&n.as_str()) || barrier.contains(&n.as_str()))
                && closes.contains(&stack[pos].0.as_str())
                && pos > 0
            {
                while stack.len() > pos {
                    close(&mut stack);
                }
            }
        }
        if VOID.contains(&name.as_str()) || inner.ends_with('/') {
            stack.last_mut().expect("the root").2.push(Node::Element { name, attrs, children: Vec::new() });
        } else {
            stack.push((name, attrs, Vec::new()));
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    stack.pop().map(|(_, _, c)| c).unwrap_or_default()
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn is_block(node: &Node) -> bool {
    matches!(node, Node::Element { name, .. } if BLOCK.contains(&name.as_str()))
}

fn text_of(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(|n| match n {
            Node::Text(t) => t.clone(),
            Node::Element { name, .. } if name == "br" => "\n".into(),
            Node::Element { children, .. } => text_of(children),
        })
        .collect()
}

/// Escapes what Markdown would read as emphasis or code in plain text.
fn escape_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let needs = match c {
            '\\' | '`' | '*' => true,
            '_' => !(prev.is_some_and(char::is_alphanumeric) && next.is_some_and(|n| n.is_alphanumeric())),
            _ => false,
        };
        if needs {
            out.push('\\');
        }
        out.push(*c);
    }
    out
}

fn inline(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        match node {
            Node::Text(t) => {
                let collapsed: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
                let lead = t.starts_with(char::is_whitespace) && !collapsed.is_empty();
                let trail = t.ends_with(char::is_whitespace);
                if lead || (collapsed.is_empty() && trail) {
                    out.push(' ');
                }
                out.push_str(&escape_text(&collapsed));
                if trail && !collapsed.is_empty() {
                    out.push(' ');
                }
            }
            Node::Element { name, attrs, children } => {
                let inner = || inline(children);
                let wrap = |d: &str| {
                    let body = inner();
                    if body.trim().is_empty() { body } else { format!("{d}{}{d}", body.trim()) }
                };
                match name.as_str() {
                    "br" => out.push('\n'),
                    "strong" | "b" => out.push_str(&wrap("**")),
                    "em" | "i" => out.push_str(&wrap("*")),
                    "del" | "s" | "strike" => out.push_str(&wrap("~~")),
                    "code" => out.push_str(&format!("`{}`", text_of(children))),
                    "img" => out.push_str(&format!(
                        "![{}]({})",
                        attr(attrs, "alt").unwrap_or(""),
                        attr(attrs, "src").unwrap_or("")
                    )),
                    "a" => {
                        let href = attr(attrs, "href").unwrap_or("");
                        let text = inner();
                        if href.is_empty() {
                            out.push_str(&text);
                        } else if text.trim() == href || text.trim() == escape_text(href) {
                            out.push_str(&format!("<{href}>"));
                        } else {
                            let title = attr(attrs, "title").map(|t| format!(" \"{t}\"")).unwrap_or_default();
                            out.push_str(&format!("[{}]({href}{title})", text.trim()));
                        }
                    }
                    _ => out.push_str(&inner()),
                }
            }
        }
    }
    out
}

fn paragraph(text: &str) -> String {
    let lines: Vec<String> = text.lines().map(|l| literal_line(l.trim())).collect();
    lines.join("\n").trim_matches('\n').to_string()
}

/// A line of plain text that Markdown would read as the start of a block (`>`, `#`, `-`, `1.`)
/// gets a backslash before the character that would open it.
fn literal_line(line: &str) -> String {
    if !super::html::starts_block(line) {
        return line.to_string();
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        return format!("{}\\{}", &line[..digits], &line[digits..]);
    }
    format!("\\{line}")
}

/// Renders a container's children as Markdown blocks.
fn container(nodes: &[Node]) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut run: Vec<Node> = Vec::new();
    let flush = |run: &mut Vec<Node>, blocks: &mut Vec<String>| {
        let p = paragraph(&inline(run));
        if !p.is_empty() {
            blocks.push(p);
        }
        run.clear();
    };
    for node in nodes {
        if is_block(node) {
            flush(&mut run, &mut blocks);
            blocks.extend(block(node));
        } else {
            run.push(node.clone());
        }
    }
    flush(&mut run, &mut blocks);
    blocks
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines().map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") }).collect::<Vec<_>>().join("\n")
}

fn list(children: &[Node], ordered: bool, start: u64) -> String {
    let mut out = Vec::new();
    let mut n = start;
    for child in children {
        let Node::Element { name, children: item, .. } = child else { continue };
        if name != "li" {
            continue;
        }
        let marker = if ordered { format!("{n}. ") } else { "- ".to_string() };
        n += 1;
        let parts = container(item);
        let mut text = parts.join("\n");
        if text.is_empty() {
            text = String::new();
        }
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("");
        let rest: Vec<&str> = lines.collect();
        let mut entry = format!("{marker}{first}").trim_end().to_string();
        if !rest.is_empty() {
            entry.push('\n');
            entry.push_str(&indent(&rest.join("\n"), marker.len()));
        }
        out.push(entry);
    }
    out.join("\n")
}

fn cell_text(nodes: &[Node]) -> String {
    paragraph(&inline(nodes)).replace('\n', " ").replace('|', "\\|")
}

fn table(children: &[Node]) -> String {
    fn rows(nodes: &[Node], out: &mut Vec<Vec<(String, String)>>) {
        for n in nodes {
            if let Node::Element { name, children, .. } = n {
                if name == "tr" {
                    let cells = children
                        .iter()
                        .filter_map(|c| match c {
                            Node::Element { name, attrs, children } if name == "td" || name == "th" => {
                                let style = attr(attrs, "style").unwrap_or("").replace(' ', "").to_ascii_lowercase();
                                let align = attr(attrs, "align").map(str::to_ascii_lowercase).unwrap_or_else(|| {
                                    style
                                        .split("text-align:")
                                        .nth(1)
                                        .map(|s| s.split(';').next().unwrap_or("").to_string())
                                        .unwrap_or_default()
                                });
                                Some((cell_text(children), align))
                            }
                            _ => None,
                        })
                        .collect();
                    out.push(cells);
                } else {
                    rows(children, out);
                }
            }
        }
    }
    let mut all = Vec::new();
    rows(children, &mut all);
    let Some(header) = all.first() else { return String::new() };
    let line = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
    let mut out = vec![line(header.iter().map(|(t, _)| t.clone()).collect())];
    let rule: Vec<&str> = header
        .iter()
        .map(|(_, a)| match a.as_str() {
            "center" => ":---:",
            "left" => ":---",
            "right" => "---:",
            _ => "---",
        })
        .collect();
    out.push(format!("|{}|", rule.join("|")));
    for row in &all[1..] {
        out.push(line(row.iter().map(|(t, _)| t.clone()).collect()));
    }
    out.join("\n")
}

fn block(node: &Node) -> Vec<String> {
    let Node::Element { name, attrs, children } = node else {
        return vec![paragraph(&inline(std::slice::from_ref(node)))];
    };
    match name.as_str() {
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
            let level = name[1..].parse::<usize>().unwrap_or(1);
            vec![format!("{} {}", "#".repeat(level), paragraph(&inline(children)).replace('\n', " "))]
        }
        "hr" => vec!["---".into()],
        "ul" => vec![list(children, false, 1)],
        "ol" => vec![list(children, true, attr(attrs, "start").and_then(|s| s.parse().ok()).unwrap_or(1))],
        "pre" => {
            let code = children.iter().find_map(|c| match c {
                Node::Element { name, attrs, children } if name == "code" => Some((attrs.clone(), children.clone())),
                _ => None,
            });
            let (code_attrs, body) = code.unwrap_or_else(|| (Vec::new(), children.clone()));
            let lang = attr(&code_attrs, "class")
                .into_iter()
                .chain(attr(attrs, "class"))
                .flat_map(|c| c.split_whitespace())
                .find_map(|c| c.strip_prefix("language-").or_else(|| c.strip_prefix("lang-")))
                .unwrap_or("")
                .to_string();
            let text = text_of(&body);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            vec![format!("```{lang}\n{text}\n```")]
        }
        "blockquote" => {
            let inner = container(children).join("\n\n");
            vec![
                inner
                    .lines()
                    .map(|l| if l.is_empty() { ">".to_string() } else { format!("> {l}") })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ]
        }
        "table" => vec![table(children)],
        _ => container(children),
    }
}

/// HTML → Markdown.
pub fn html_to_markdown(html: &str) -> String {
    let blocks: Vec<String> = container(&parse(html)).into_iter().filter(|b| !b.trim().is_empty()).collect();
    normalise_text(&blocks.join("\n\n"))
}
