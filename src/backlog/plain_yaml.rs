//! A quick reader for the front matter most item files have: one `key: value` line per key, each
//! value a plain word or sentence or a `[a, b]` list of plain words, comments after `#`. It gives
//! exactly what the YAML reader gives for such text and declines anything else, which then goes
//! to the YAML reader (and its error messages). Loading 100k files spends most of its parsing time
//! in the YAML reader otherwise.

use std::borrow::Cow;

use yaml_rust2::Yaml;

use super::frontmatter::Values;
use super::item_file::KNOWN_KEYS;

/// Longest key read here; YAML stops taking a key as a key after 1024 characters.
const MAX_KEY: usize = 100;

/// The values of `front` (the lines between the fences) when every line is simple, else `None`.
pub(super) fn parse(front: &str) -> Option<Values> {
    let mut values = Values::new();
    for line in front.split_inclusive('\n') {
        let line = line.strip_suffix('\n').map_or(line, |l| l.strip_suffix('\r').unwrap_or(l));
        if line.bytes().all(|b| b == b' ') || line.starts_with('#') {
            continue;
        }
        let (key, rest) = line.split_once(':')?;
        let key = match KNOWN_KEYS.iter().find(|k| **k == key) {
            Some(known) => Cow::Borrowed(*known),
            None if is_key(key) => Cow::Owned(key.to_string()),
            None => return None,
        };
        let value = match rest.as_bytes().first() {
            None => Yaml::Null,
            Some(b' ') => value(rest)?,
            Some(_) => return None,
        };
        if values.insert(key, value).is_some() {
            return None; // YAML calls a repeated key an error; let it say so
        }
    }
    Some(values)
}

fn is_key(key: &str) -> bool {
    let b = key.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_KEY
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
        && matches!(Yaml::from_str(key), Yaml::String(_))
}

/// What follows `key:`: blank, a plain scalar or a flow list, then maybe a ` # comment`.
fn value(rest: &str) -> Option<Yaml> {
    if !rest.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    let text = strip_comment(rest).trim();
    if text.is_empty() {
        return Some(Yaml::Null);
    }
    match text.strip_prefix('[') {
        Some(inner) => list(inner.strip_suffix(']')?),
        None => plain(text, false).map(Yaml::from_str),
    }
}

/// The text before a `#` that follows a space (YAML's comment), or all of it.
fn strip_comment(rest: &str) -> &str {
    match rest.find(" #") {
        Some(at) => &rest[..at],
        None => rest,
    }
}

/// The items of a `[a, b]` list, each a plain scalar.
fn list(inner: &str) -> Option<Yaml> {
    if inner.trim().is_empty() {
        return Some(Yaml::Array(Vec::new()));
    }
    inner.split(',').map(|item| plain(item.trim(), true).map(Yaml::from_str)).collect::<Option<_>>().map(Yaml::Array)
}

/// `text` when YAML reads it as one plain scalar (in a flow list when `in_list`): it starts with
/// a letter, digit or one of a few harmless marks, and holds no `: ` and, in a list, no bracket.
fn plain(text: &str, in_list: bool) -> Option<&str> {
    let b = text.as_bytes();
    let first = *b.first()?;
    let harmless_start = first.is_ascii_alphanumeric()
        || matches!(first, b'_' | b'(' | b'/' | b'+' | b'~' | b'$')
        || (first == b'.' && b.get(1).is_some_and(u8::is_ascii_alphanumeric));
    if !harmless_start || b.ends_with(b":") || text.contains(": ") || text.contains('\t') {
        return None;
    }
    if in_list && b.iter().any(|c| matches!(c, b'[' | b']' | b'{' | b'}' | b',' | b':' | b'#' | b'\'' | b'"')) {
        return None;
    }
    if !in_list && b.iter().any(|c| matches!(c, b'[' | b']' | b'{' | b'}')) {
        return None;
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use yaml_rust2::YamlLoader;

    use super::*;

    /// What the YAML reader makes of `front`, as the front matter reader keeps it.
    fn by_yaml(front: &str) -> Option<Values> {
        match YamlLoader::load_from_str(front).ok()?.into_iter().next() {
            None | Some(Yaml::Null) => Some(Values::new()),
            Some(Yaml::Hash(h)) => h
                .into_iter()
                .map(|(k, v)| match k {
                    Yaml::String(s) => Some((Cow::Owned(s), v)),
                    _ => None,
                })
                .collect(),
            Some(_) => None,
        }
    }

    #[test]
    fn simple_front_matters_read_as_yaml_reads_them() {
        let cases = [
            "id: ST-1\ntitle: Invite teammates   # keep me\ntags: [a, b]\n",
            "priority: 2\npoints: 0.5\ndone: true\nowner:\nempty: []\nreview_by: 2027-06-30\n",
            "title: say \"hi\" to a:b at https://example.com/x#y\r\nstate: new\r\n",
            "# a comment line\n\nid: EP-1\ntags: [ x , 12, y z ]  # trailing\nnull_word: ~\nhex: 0x1F\n",
            "title: don't stop\nodd: .5\nplus: +3\nbig: 99999999999999999999\n",
        ];
        for front in cases {
            assert_eq!(parse(front), by_yaml(front), "{front:?}");
            assert!(parse(front).is_some(), "{front:?}");
        }
    }

    #[test]
    fn the_known_keys_taken_without_a_check_are_plain_keys() {
        for key in KNOWN_KEYS {
            assert!(is_key(key), "{key}");
        }
    }

    #[test]
    fn anything_else_goes_to_the_yaml_reader() {
        let cases = [
            "links:\n  - one\n",
            "title: a: b\n",
            "title: 'quoted'\n",
            "title: [unclosed\n",
            "title: - dash\n",
            "id: 1\nid: 2\n",
            "\"key\": v\n",
            "key : v\n",
            "key:v\n",
            "title: caf\u{e9}\n",
            "title: tab\there\n",
            "title: *alias\n",
            "title: {a: b}\n",
            "tags: [a, [b]]\n",
            "tags: [a,, b]\n",
            "true: x\n",
            "  indented: x\n",
        ];
        for front in cases {
            assert_eq!(parse(front), None, "{front:?}");
        }
    }

    /// Mostly plain words, with now and then a mark YAML may read as syntax.
    fn word() -> impl Strategy<Value = String> {
        let marks = [
            " ", ":", "#", " #", ",", "'", "\"", "-", ".", "/", "+", "~", "$", "(", "!", "&", "*", "|", ">", "%", "@",
            "`", "?", "[", "]", "{", "}", ": ", "_", "\\",
        ];
        let piece =
            prop_oneof![6 => "[A-Za-z0-9]{1,4}", 2 => prop::sample::select(marks.to_vec()).prop_map(String::from)];
        prop_oneof![
            8 => prop::collection::vec(piece, 1..5).prop_map(|p| p.concat()),
            1 => prop::sample::select(vec!["true", "null", "~", "0x1f", "0o17", ".inf", "-.inf", "1e3", "-4", "+5", "nan", ".5"])
                .prop_map(String::from),
        ]
    }

    fn line() -> impl Strategy<Value = String> {
        let key = prop_oneof![6 => "[a-z_][a-z0-9_-]{0,8}", 1 => "[A-Za-z0-9 _:#\"-]{0,6}"];
        let value = prop_oneof![
            4 => word(),
            1 => prop::collection::vec(word(), 0..4).prop_map(|w| format!("[{}]", w.join(","))),
            1 => prop::collection::vec(word(), 0..4).prop_map(|w| format!("[ {} ]", w.join(", "))),
        ];
        let comment = prop_oneof![4 => Just(""), 1 => Just(" # note"), 1 => Just("#x"), 1 => Just("  ")];
        let sep = prop_oneof![8 => Just(": "), 1 => Just(":"), 1 => Just(":  "), 1 => Just(" : ")];
        prop_oneof![
            8 => (key, sep, value, comment).prop_map(|(k, s, v, c)| format!("{k}{s}{v}{c}")),
            1 => "[ #a-z-]{0,8}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn when_it_reads_a_front_matter_it_agrees_with_yaml(lines in prop::collection::vec(line(), 1..6), crlf: bool) {
            let end = if crlf { "\r\n" } else { "\n" };
            let front: String = lines.iter().map(|l| format!("{l}{end}")).collect();
            if let Some(quick) = parse(&front) {
                prop_assert_eq!(Some(quick), by_yaml(&front), "{:?}", front);
            }
        }
    }
}
