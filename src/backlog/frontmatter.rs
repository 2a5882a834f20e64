//! One item file as text: YAML front matter plus a Markdown body, edited line by line so that a
//! change to one field rewrites that field's line only and everything else survives byte for byte.
//! A [`Document`] is the whole file; a loaded backlog keeps only each file's [`FrontMatter`], as
//! text, because the item already holds the body.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use yaml_rust2::{Yaml, YamlLoader};

/// Why a file is not a well-formed front matter document. `line` is 1-based in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct SyntaxError {
    pub line: usize,
    pub reason: String,
}

/// A value written into the front matter.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    List(Vec<String>),
}

/// The parsed values of a front matter, by top-level key. The keys backlog-sync reads are
/// borrowed names (`item_file::KNOWN_KEYS`), so reading a file allocates no key.
pub type Values = BTreeMap<Cow<'static, str>, Yaml>;

/// One top-level key's lines: the first line's index, how many lines it takes (a block list or an
/// indented continuation belongs to the key above it) and their byte range in the front matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeySpan<'a> {
    key: &'a str,
    first: usize,
    count: usize,
    start: usize,
    end: usize,
}

/// The front matter of an item file as its text: the opening `---` line, the key lines and the
/// closing `---` line, exactly as in the file. Key spans are found again when asked for, so the
/// text is all it holds; an edit rewrites the lines of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    text: String,
    /// The key lines: after the opening `---` line, up to the closing one.
    keys_start: usize,
    keys_end: usize,
    newline: &'static str,
}

/// A whole item file: its front matter and its Markdown body. Rendering an unchanged document
/// gives back the exact input. Parsed values are kept once someone asks for them.
#[derive(Debug, Clone)]
pub struct Document {
    front: FrontMatter,
    body: String,
    values: OnceLock<Values>,
}

impl PartialEq for Document {
    fn eq(&self, other: &Self) -> bool {
        (&self.front, &self.body) == (&other.front, &other.body)
    }
}

fn is_fence(line: &str) -> bool {
    line.trim_end_matches(['\r', '\n']).trim_end() == "---"
}

/// The top-level key a front matter line starts, if it starts one.
fn top_level_key(line: &str) -> Option<&str> {
    if line.starts_with([' ', '\t', '#', '-']) {
        return None;
    }
    let colon = line.find(':')?;
    let key = line[..colon].trim();
    let key = key.trim_matches(|c| c == '"' || c == '\'');
    (!key.is_empty() && !key.contains(' ')).then_some(key)
}

/// The spans of the top-level keys of `front`, in file order.
fn key_spans(front: &str) -> Vec<KeySpan<'_>> {
    let mut spans: Vec<KeySpan> = Vec::new();
    let mut at = 0;
    for (i, line) in front.split_inclusive('\n').enumerate() {
        let end = at + line.len();
        if let Some(key) = top_level_key(line) {
            spans.push(KeySpan { key, first: i, count: 1, start: at, end });
        } else if let Some(span) = spans.last_mut() {
            let continues = line.starts_with([' ', '\t', '-']) && !line.trim().is_empty();
            if continues && span.first + span.count == i {
                span.count += 1;
                span.end = end;
            }
        }
        at = end;
    }
    spans
}

/// The front matter as a mapping of values; `lines` (its line count) bounds an error's line.
fn parse_values(front: &str, lines: usize) -> Result<Values, SyntaxError> {
    // YAML allows no control character but tab and line breaks; its reader stops at a NUL and
    // would take the lines before it for the whole front matter. Looking for one character by
    // character is only needed when a byte could start one (0xC2 leads U+0080..U+00BF).
    let suspect = |b: &u8| (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || *b == 0x7f || *b == 0xc2;
    if front.as_bytes().iter().any(suspect)
        && let Some((n, c)) = front
            .lines()
            .enumerate()
            .find_map(|(n, l)| l.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\r')).map(|c| (n, c)))
    {
        return Err(SyntaxError {
            line: n + 2,
            reason: format!(
                "the front matter holds the control character U+{:04X}, which YAML does not allow; remove it",
                c as u32
            ),
        });
    }
    // Keys are rewritten in place and new ones added at the start of a line, so the mapping
    // must start there too.
    let first_key = front.lines().enumerate().find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if let Some((n, _)) = first_key.filter(|(_, l)| l.starts_with([' ', '\t'])) {
        return Err(SyntaxError {
            line: n + 2,
            reason: "the first key is indented; start each key at the beginning of its line".into(),
        });
    }
    if let Some(values) = super::plain_yaml::parse(front) {
        return Ok(values);
    }
    let docs = YamlLoader::load_from_str(front).map_err(|e| SyntaxError {
        // A marker past the last key (an unclosed value noticed at the end) points at that key.
        line: e.marker().line().clamp(1, lines.max(1)) + 1,
        reason: format!("the front matter is not valid YAML: {}", e.info()),
    })?;
    let mut values = BTreeMap::new();
    match docs.into_iter().next() {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Hash(hash)) => {
            for (k, v) in hash {
                let key = match k {
                    Yaml::String(s) => s,
                    other => format!("{other:?}"),
                };
                values.insert(Cow::Owned(key), v);
            }
        }
        Some(_) => {
            return Err(SyntaxError { line: 2, reason: "the front matter is not a set of `key: value` lines".into() });
        }
    }
    Ok(values)
}

/// Where the parts of an item file's text are: the key lines between the two `---` lines, and
/// the body after the closing one.
struct Fences {
    keys_start: usize,
    keys_end: usize,
    body_start: usize,
    newline: &'static str,
}

impl Fences {
    /// Finds the fences of `text` and parses the key lines between them.
    fn find(text: &str) -> Result<(Fences, Values), SyntaxError> {
        let mut lines = text.split_inclusive('\n');
        // A UTF-8 byte order mark (some Windows editors save one) is accepted and kept: it
        // stays in the opening line's text, so the file renders back exactly.
        let Some(first) = lines.next().filter(|l| is_fence(l.strip_prefix('\u{feff}').unwrap_or(l))) else {
            return Err(SyntaxError {
                line: 1,
                reason: "the file does not start with `---`; an item file opens with YAML front matter between two `---` lines".into(),
            });
        };
        let newline = if first.ends_with("\r\n") { "\r\n" } else { "\n" };
        let keys_start = first.len();
        let (mut keys_end, mut count) = (keys_start, 0);
        let mut closing = None;
        for line in lines.by_ref() {
            if is_fence(line) {
                closing = Some(line.len());
                break;
            }
            keys_end += line.len();
            count += 1;
        }
        let Some(closing) = closing else {
            return Err(SyntaxError {
                line: count + 1,
                reason: "the front matter is never closed; add a `---` line after the last key".into(),
            });
        };
        let values = parse_values(&text[keys_start..keys_end], count)?;
        Ok((Fences { keys_start, keys_end, body_start: keys_end + closing, newline }, values))
    }
}

impl FrontMatter {
    /// Reads the front matter that opens a file's `text`, as [`Document::parse`] does: the front
    /// matter (a copy of just its bytes), where the body starts in `text`, and the parsed values.
    /// Loading a backlog uses it to copy each part of a file once, straight from the read buffer.
    pub fn read(text: &str) -> Result<(FrontMatter, usize, Values), SyntaxError> {
        let (fences, values) = Fences::find(text)?;
        let front = FrontMatter {
            text: text[..fences.body_start].to_owned(),
            keys_start: fences.keys_start,
            keys_end: fences.keys_end,
            newline: fences.newline,
        };
        Ok((front, fences.body_start, values))
    }

    /// The front matter text, both `---` lines included.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The key lines between the fences.
    fn keys_text(&self) -> &str {
        &self.text[self.keys_start..self.keys_end]
    }

    /// The parsed values; the text parsed when it was read and every edit keeps it valid.
    fn values(&self) -> Values {
        let keys = self.keys_text();
        parse_values(keys, keys.split_inclusive('\n').count()).expect("a document's front matter parses")
    }

    /// Top-level keys in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        key_spans(self.keys_text()).into_iter().map(|s| s.key)
    }

    /// The 1-based file line where `key` is written (the opening fence is line 1).
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.span(key).map(|s| s.first + 2)
    }

    /// The 1-based file line where the body starts.
    pub fn body_line(&self) -> usize {
        self.keys_text().split_inclusive('\n').count() + 3
    }

    fn span(&self, key: &str) -> Option<KeySpan<'_>> {
        key_spans(self.keys_text()).into_iter().find(|s| s.key == key)
    }

    /// Replaces the bytes `start..end` of the key lines with `with`.
    fn splice(&mut self, start: usize, end: usize, with: &str) {
        self.text.replace_range(self.keys_start + start..self.keys_start + end, with);
        self.keys_end = self.keys_end + with.len() - (end - start);
    }

    /// Sets `key` to `value`: rewrites that key's line(s) only, keeping a trailing comment on a
    /// one-line value; a new key is appended after the last key.
    pub fn set(&mut self, key: &str, value: &FieldValue) {
        let rendered = render_value(value);
        match self.span(key).map(|s| (s.start, s.end, s.count)) {
            Some((start, end, count)) => {
                let old = self.keys_text()[start..end].split_inclusive('\n').next().unwrap_or_default();
                let comment = if count == 1 { trailing_comment(old) } else { None };
                let ending = line_ending(old, self.newline);
                let new_line = match comment {
                    Some(c) => format!("{key}: {rendered} {c}{ending}"),
                    None => format!("{key}: {rendered}{ending}"),
                };
                self.splice(start, end, &new_line);
            }
            None => {
                let keys = self.keys_text();
                let at = key_spans(keys).last().map_or(keys.len(), |s| s.end);
                let mut new_line = String::new();
                if at > 0 && !keys[..at].ends_with('\n') {
                    new_line.push_str(self.newline);
                }
                new_line.push_str(&format!("{key}: {rendered}{}", self.newline));
                self.splice(at, at, &new_line);
            }
        }
    }

    /// Removes `key` and its lines; says whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        let span = self.span(key).map(|s| (s.start, s.end));
        if let Some((start, end)) = span {
            self.splice(start, end, "");
        }
        span.is_some()
    }
}

impl Document {
    /// Parses a file's text. The file must open with a `---` line and close the front matter with
    /// another; the front matter must be a YAML mapping.
    pub fn parse(text: &str) -> Result<Document, SyntaxError> {
        let (doc, values) = Document::parse_with_values(text.to_string())?;
        let _ = doc.values.set(values);
        Ok(doc)
    }

    /// Parses a file's text like [`Document::parse`], handing the parsed values to the caller
    /// instead of keeping them.
    pub fn parse_with_values(mut text: String) -> Result<(Document, Values), SyntaxError> {
        let (fences, values) = Fences::find(&text)?;
        let body = text.split_off(fences.body_start);
        text.shrink_to_fit();
        let front =
            FrontMatter { text, keys_start: fences.keys_start, keys_end: fences.keys_end, newline: fences.newline };
        Ok((Document { front, body, values: OnceLock::new() }, values))
    }

    /// The document of `front` with `body` after it.
    pub fn from_parts(front: FrontMatter, body: String) -> Document {
        Document { front, body, values: OnceLock::new() }
    }

    /// The front matter, letting go of the body (which an [`Item`](crate::model::Item) holds).
    pub fn into_front_matter(self) -> FrontMatter {
        self.front
    }

    /// A new document holding `fields` in the given order and `body`.
    pub fn new(fields: &[(&str, FieldValue)], body: &str) -> Document {
        let text = format!("---\n---\n{body}");
        let mut doc = Document::parse(&text).expect("an empty front matter always parses");
        for (key, value) in fields {
            doc.set(key, value.clone());
        }
        doc
    }

    /// The file's text: exactly the input when nothing was changed.
    pub fn render(&self) -> String {
        [self.front.as_str(), &self.body].concat()
    }

    pub fn front_matter(&self) -> &FrontMatter {
        &self.front
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    pub fn set_body(&mut self, body: &str) {
        body.clone_into(&mut self.body);
    }

    /// The parsed value of a top-level key.
    pub fn get(&self, key: &str) -> Option<&Yaml> {
        self.values.get_or_init(|| self.front.values()).get(key)
    }

    /// Top-level keys in file order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.front.keys()
    }

    /// The 1-based file line where `key` is written (the opening fence is line 1).
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.front.line_of(key)
    }

    /// The 1-based file line where the body starts.
    pub fn body_line(&self) -> usize {
        self.front.body_line()
    }

    /// Sets `key` to `value`, see [`FrontMatter::set`].
    pub fn set(&mut self, key: &str, value: FieldValue) {
        self.front.set(key, &value);
        if let Some(values) = self.values.get_mut() {
            values.insert(Cow::Owned(key.to_string()), to_yaml(&value));
        }
    }

    /// Removes `key` and its lines; does nothing when it is absent.
    pub fn remove(&mut self, key: &str) {
        if self.front.remove(key)
            && let Some(values) = self.values.get_mut()
        {
            values.remove(key);
        }
    }
}

fn line_ending(line: &str, default: &'static str) -> &'static str {
    if line.ends_with("\r\n") {
        "\r\n"
    } else if line.ends_with('\n') {
        "\n"
    } else if line.is_empty() {
        default
    } else {
        ""
    }
}

/// A ` # comment` after a plain value, when the `#` is outside quotes.
fn trailing_comment(line: &str) -> Option<&str> {
    let body = line.trim_end_matches(['\r', '\n']);
    let (mut single, mut double) = (false, false);
    let bytes = body.as_bytes();
    for (i, c) in body.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && i > 0 && bytes[i - 1].is_ascii_whitespace() => {
                return Some(&body[i..]);
            }
            _ => {}
        }
    }
    None
}

fn to_yaml(value: &FieldValue) -> Yaml {
    match value {
        FieldValue::Text(s) => Yaml::String(s.clone()),
        FieldValue::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Yaml::Integer(*n as i64),
        FieldValue::Number(n) => Yaml::Real(n.to_string()),
        FieldValue::List(items) => Yaml::Array(items.iter().map(|s| Yaml::String(s.clone())).collect()),
    }
}

/// Renders a value the way a person would write it: plain when YAML reads it back as the same
/// string, double-quoted otherwise.
pub fn render_value(value: &FieldValue) -> String {
    match value {
        FieldValue::Text(s) => render_scalar(s, false),
        FieldValue::Number(n) => n.to_string(),
        FieldValue::List(items) => {
            let parts: Vec<String> = items.iter().map(|s| render_scalar(s, true)).collect();
            format!("[{}]", parts.join(", "))
        }
    }
}

fn render_scalar(s: &str, in_flow: bool) -> String {
    if plain_is_safe(s, in_flow) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn plain_is_safe(s: &str, in_flow: bool) -> bool {
    if s.is_empty() || s != s.trim() || s.contains(['\n', '\r', '\t']) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if in_flow && s.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    // YAML 1.1 readers take these for booleans; quote them for every reader's sake.
    if ["yes", "no", "on", "off", "y", "n", "true", "false", "null", "~"].iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    // YAML must read it back as this very string (not a number, bool or null), in the context it
    // is written in: a block value, or an element of a `[a, b]` list.
    let (probe, want) = if in_flow {
        (format!("k: [{s}]"), Yaml::Array(vec![Yaml::String(s.to_string())]))
    } else {
        (format!("k: {s}"), Yaml::String(s.to_string()))
    };
    matches!(YamlLoader::load_from_str(&probe).as_deref(),
        Ok([Yaml::Hash(h)]) if h.get(&Yaml::String("k".into())) == Some(&want))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "---\nid: ST-1\ntitle: Invite teammates   # keep me\ntags: [a, b]\nlinks:\n  - one\n  - two\ncustom: kept\n---\nBody text.\n";

    #[test]
    fn unchanged_document_renders_byte_identical() {
        for text in [SAMPLE, "---\r\nid: ST-1\r\n---\r\nbody\r\n", "---\nid: EP-1\n---\n", "---\nid: EP-1\n---"] {
            assert_eq!(Document::parse(text).unwrap().render(), text);
        }
    }

    #[test]
    fn setting_one_field_changes_only_its_line_and_keeps_its_comment() {
        let mut doc = Document::parse(SAMPLE).unwrap();
        doc.set("title", FieldValue::Text("Invite the whole team".into()));
        let out = doc.render();
        let changed: Vec<(&str, &str)> = SAMPLE.lines().zip(out.lines()).filter(|(a, b)| a != b).collect();
        assert_eq!(changed, vec![("title: Invite teammates   # keep me", "title: Invite the whole team # keep me")]);
        assert_eq!(doc.get("title"), Some(&Yaml::String("Invite the whole team".into())));
    }

    #[test]
    fn multi_line_values_are_replaced_whole_and_new_keys_go_after_the_last() {
        let mut doc = Document::parse(SAMPLE).unwrap();
        doc.set("links", FieldValue::List(vec!["three".into()]));
        doc.set("owner", FieldValue::Text("alice@contoso.com".into()));
        let out = doc.render();
        assert!(out.contains("links: [three]\ncustom: kept\nowner: alice@contoso.com\n---\nBody text.\n"), "{out}");
        let again = Document::parse(&out).unwrap();
        assert_eq!(again.line_of("owner"), Some(7));
    }

    #[test]
    fn values_that_yaml_would_misread_are_quoted() {
        let cases = [
            ("plain words", "plain words"),
            ("yes", "\"yes\""),
            ("42", "\"42\""),
            ("a: b", "\"a: b\""),
            ("say \"hi\"", "say \"hi\""),
            ("# not a comment", "\"# not a comment\""),
            ("", "\"\""),
            ("null", "\"null\""),
        ];
        for (input, want) in cases {
            assert_eq!(render_value(&FieldValue::Text(input.into())), want, "{input}");
            let mut doc = Document::new(&[], "");
            doc.set("k", FieldValue::Text(input.into()));
            let back = Document::parse(&doc.render()).unwrap();
            assert_eq!(back.get("k"), Some(&Yaml::String(input.into())), "{input}");
        }
        assert_eq!(render_value(&FieldValue::List(vec!["a, b".into(), "c".into()])), "[\"a, b\", c]");
    }

    #[test]
    fn syntax_errors_name_the_file_line() {
        let bom = "\u{feff}---\nid: ST-1\ntitle: T\n---\nbody\n";
        let mut doc = Document::parse(bom).expect("a byte order mark is accepted");
        doc.set("title", FieldValue::Text("U".into()));
        assert_eq!(doc.render(), "\u{feff}---\nid: ST-1\ntitle: U\n---\nbody\n", "and kept");
        let err = Document::parse("---\nid: ST-1\ntitle: [unclosed\nstate: new\n---\n").unwrap_err();
        assert!(err.line >= 3, "{err:?}");
        let err = Document::parse("no front matter\n").unwrap_err();
        assert_eq!(err.line, 1);
        let err = Document::parse("---\nid: ST-1\n").unwrap_err();
        assert!(err.reason.contains("never closed"));
    }

    #[test]
    fn removing_a_key_drops_its_lines() {
        let mut doc = Document::parse(SAMPLE).unwrap();
        doc.remove("links");
        assert_eq!(doc.render(), SAMPLE.replace("links:\n  - one\n  - two\n", ""));
        assert!(doc.get("links").is_none());
    }
}
