//! HTML → Markdown for what Boards keeps in rich-text fields: html5ever reads the HTML as a
//! browser would (unclosed and stray tags, every named and numeric entity), then Markdown is
//! written in the one form `markdown_to_html` reads back to the same HTML. Unknown tags keep their
//! text; scripts, styles and comments are dropped.

use std::borrow::Cow;

use scraper::Html;

use crate::mapping::fields::normalise_text;

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Element { name: String, attrs: Vec<(String, String)>, children: Vec<Node> },
}

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

/// The children of a parsed node as our tree: text (a no-break space read as a space) and
/// elements; comments, scripts, styles and templates left out.
fn nodes(parent: ego_tree::NodeRef<'_, scraper::Node>) -> Vec<Node> {
    let mut out = Vec::new();
    for child in parent.children() {
        match child.value() {
            scraper::Node::Text(text) => out.push(Node::Text(text.replace('\u{a0}', " "))),
            scraper::Node::Element(element) => {
                let name = element.name().to_ascii_lowercase();
                if matches!(name.as_str(), "script" | "style" | "template" | "noscript") {
                    continue;
                }
                let attrs = element.attrs().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect();
                out.push(Node::Element { name, attrs, children: nodes(child) });
            }
            _ => {}
        }
    }
    out
}

/// Parses an HTML fragment as a browser parses the inside of `<body>`.
fn parse(html: &str) -> Vec<Node> {
    let document = Html::parse_fragment(html);
    nodes(*document.root_element())
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

/// Escapes what Markdown would read as markup in plain text: emphasis, code, strikethrough, an
/// entity, a link's brackets.
fn escape_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let needs = match c {
            '\\' | '`' | '*' => true,
            '_' => !(prev.is_some_and(char::is_alphanumeric) && next.is_some_and(|n| n.is_alphanumeric())),
            // One tilde or two, across text and tags, can open or close a strikethrough.
            '~' => true,
            '&' => looks_like_entity(&chars[i + 1..]),
            '[' => chars[i + 1..].windows(2).any(|w| w == [']', '(']),
            _ => false,
        };
        if needs {
            out.push('\\');
        }
        out.push(*c);
    }
    out
}

/// Whether the text after a `&` reads as an entity (`amp;`, `#39;`, `#x27;`).
fn looks_like_entity(rest: &[char]) -> bool {
    let name: Vec<&char> = rest.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '#').collect();
    !name.is_empty() && name.len() <= 32 && rest.get(name.len()) == Some(&';')
}

/// Which emphasis an inline element is (`<i>` is `<em>`), if any.
fn emphasis(name: &str) -> Option<&'static str> {
    match name {
        "strong" | "b" => Some("strong"),
        "em" | "i" => Some("em"),
        "del" | "s" | "strike" => Some("del"),
        _ => None,
    }
}

/// Emphasis elements of one kind side by side (`<em>a</em><em>b</em>`) as one: written back to
/// back, their delimiters would meet (`*a**b*`) and read as another emphasis.
fn merge_adjacent(nodes: &[Node]) -> Cow<'_, [Node]> {
    let kind = |n: &Node| match n {
        Node::Element { name, .. } => emphasis(name),
        Node::Text(_) => None,
    };
    if !nodes.windows(2).any(|w| kind(&w[0]).is_some() && kind(&w[0]) == kind(&w[1])) {
        return Cow::Borrowed(nodes);
    }
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    for node in nodes {
        if let (Some(Node::Element { name: last, children: kept, .. }), Node::Element { name, children, .. }) =
            (out.last_mut(), node)
            && emphasis(name).is_some()
            && emphasis(name) == emphasis(last)
        {
            kept.extend(children.iter().cloned());
            continue;
        }
        out.push(node.clone());
    }
    Cow::Owned(out)
}

fn inline(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in merge_adjacent(nodes).iter() {
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
                // Emphasis around an inner one written with `*` takes the other character
                // (`_a *b* c_`), so that the runs are not read as one.
                let wrap = |d: &str| {
                    let body = inner();
                    let body = body.trim();
                    let meets = body.char_indices().any(|(i, c)| c == '*' && !body[..i].ends_with('\\'));
                    let d = if meets && d == "*" { d.replace('*', "_") } else { d.to_string() };
                    if body.is_empty() { inner() } else { format!("{d}{body}{d}") }
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

/// Whether a list is loose: every item holds its text in a paragraph (a blank line between items
/// in Markdown). A list with some items in paragraphs and some not is written tight.
fn is_loose(children: &[Node]) -> bool {
    let items: Vec<&[Node]> = children
        .iter()
        .filter_map(|c| match c {
            Node::Element { name, children, .. } if name == "li" => Some(children.as_slice()),
            _ => None,
        })
        .collect();
    !items.is_empty()
        && items.iter().all(|item| {
            item.iter()
                .find(|n| !matches!(n, Node::Text(t) if t.trim().is_empty()))
                .is_some_and(|n| matches!(n, Node::Element { name, .. } if name == "p"))
        })
}

fn list(children: &[Node], ordered: bool, start: u64) -> String {
    let loose = is_loose(children);
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
    out.join(if loose { "\n\n" } else { "\n" })
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
            let fence = code_fence(&lang, text);
            vec![format!("{fence}{lang}\n{text}\n{fence}")]
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

/// The fence a code block is written between: backticks, or tildes when the language holds a
/// backtick (CommonMark refuses a backtick in a backtick fence's info string), one longer than any
/// run of the fence's character in the code (so no line of the code closes it); at least three.
fn code_fence(lang: &str, code: &str) -> String {
    let mark = if lang.contains('`') { '~' } else { '`' };
    let mut longest = 0;
    let mut run = 0;
    for c in code.chars() {
        run = if c == mark { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    mark.to_string().repeat((longest + 1).max(3))
}

/// HTML → Markdown.
pub fn html_to_markdown(html: &str) -> String {
    let blocks: Vec<String> = container(&parse(html)).into_iter().filter(|b| !b.trim().is_empty()).collect();
    normalise_text(&blocks.join("\n\n"))
}
