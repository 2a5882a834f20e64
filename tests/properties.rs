//! Property tests: the front matter reader and writer never panic and round-trip what they write;
//! the story sentence parser never panics and finds what a generated sentence holds.

use backlog_sync::backlog::{Document, FieldValue};
use backlog_sync::model::sentence;
use proptest::prelude::*;
use yaml_rust2::Yaml;

fn key() -> impl Strategy<Value = String> {
    "[a-z][a-z_]{0,12}"
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,60}",
        "[A-Za-z0-9 ,.:#'\"-]{1,40}",
        Just("yes".to_string()),
        Just("123".to_string()),
        Just("- dash".to_string()),
        "\\PC{0,20}",
    ]
}

fn value() -> impl Strategy<Value = FieldValue> {
    prop_oneof![
        text().prop_map(FieldValue::Text),
        (0u32..10_000).prop_map(|n| FieldValue::Number(n as f64)),
        prop::collection::vec("[A-Za-z0-9 ,:-]{1,12}", 0..4).prop_map(FieldValue::List),
    ]
}

fn as_yaml(v: &FieldValue) -> Yaml {
    match v {
        FieldValue::Text(s) => Yaml::String(s.clone()),
        FieldValue::Number(n) => Yaml::Integer(*n as i64),
        FieldValue::List(items) => Yaml::Array(items.iter().map(|s| Yaml::String(s.clone())).collect()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn parse_never_panics_on_any_text(input in "\\PC{0,400}") {
        let _ = Document::parse(&input);
        let _ = Document::parse(&format!("---\n{input}\n---\nbody"));
    }

    #[test]
    fn what_the_writer_writes_reads_back_and_renders_unchanged(
        fields in prop::collection::btree_map(key(), value(), 1..8),
        body in "\\PC{0,200}",
    ) {
        let mut doc = Document::new(&[], &body);
        for (k, v) in &fields {
            doc.set(k, v.clone());
        }
        let text = doc.render();
        let back = Document::parse(&text).unwrap();
        for (k, v) in &fields {
            prop_assert_eq!(back.get(k), Some(&as_yaml(v)), "{} in\n{}", k, text);
        }
        prop_assert_eq!(back.body(), body.as_str());
        prop_assert_eq!(back.render(), text);
    }

    #[test]
    fn changing_one_key_changes_one_line(
        fields in prop::collection::btree_map(key(), text(), 2..8),
        new_value in text(),
    ) {
        let mut doc = Document::new(&[], "body\n");
        for (k, v) in &fields {
            doc.set(k, FieldValue::Text(v.clone()));
        }
        let before = doc.render();
        let target = fields.keys().next().unwrap().clone();
        doc.set(&target, FieldValue::Text(new_value.clone()));
        let after = doc.render();
        let changed = before.lines().zip(after.lines()).filter(|(a, b)| a != b).count();
        prop_assert!(changed <= 1);
        prop_assert_eq!(before.lines().count(), after.lines().count());
        let reread = Document::parse(&after).unwrap();
        prop_assert_eq!(reread.get(&target), Some(&Yaml::String(new_value)));
    }

    #[test]
    fn sentence_parser_never_panics(input in "\\PC{0,300}") {
        let _ = sentence::parse(&input);
    }

    #[test]
    fn sentence_parser_finds_generated_parts(
        persona in "[a-z]{3,10}( [a-z]{3,10})?",
        activity in "[a-z]{3,10}( [a-z]{3,10}){1,4}",
        benefit in "[a-z]{3,10}( [a-z]{3,10}){1,4}",
        article in prop::sample::select(vec!["a", "an", "the"]),
        want in prop::sample::select(vec!["I want to", "I can", "I would like to", "we need to", "I am able to"]),
        marker in prop::sample::select(vec!["so that", "in order to", "so as to"]),
    ) {
        let s = format!("As {article} {persona}, {want} {activity}, {marker} {benefit}.");
        let parts = sentence::parse(&s).unwrap();
        prop_assert_eq!(parts.persona.as_deref(), Some(persona.as_str()), "{}", s);
        prop_assert_eq!(parts.activity.as_deref(), Some(activity.as_str()), "{}", s);
        prop_assert!(parts.benefit.is_some(), "{}", s);
    }
}

/// Found by the `frontmatter` fuzzer: a title holding line breaks and control characters must be
/// written so that it reads back.
#[test]
fn a_title_with_control_characters_and_line_breaks_is_written_readably() {
    for title in ["---\nid: RK-3\ntitle: Con\0\0\0\0\0\0\0\u{10}tos", "a: b\n- c", "\u{7f}x\ty\r\nz", "tab\there"] {
        let mut doc = Document::new(&[], "body\n");
        doc.set("title", FieldValue::Text(title.to_string()));
        let text = doc.render();
        let back = Document::parse(&text).unwrap_or_else(|e| panic!("{title:?} → {text:?}: {e:?}"));
        assert_eq!(back.get("title"), Some(&Yaml::String(title.to_string())), "{text:?}");
    }
}

/// Found by the `frontmatter` fuzzer: the YAML reader stopped at a NUL and took the lines before
/// it for the whole front matter; such a file is now refused with the line of the character.
#[test]
fn a_control_character_in_the_front_matter_is_refused_with_its_line() {
    let text = "---\nid: RK-3\ntitle: Con\0tos\nmitigation: a: b\n---\nbody\n";
    let err = Document::parse(text).unwrap_err();
    assert_eq!(err.line, 3, "{err:?}");
    assert!(err.reason.contains("U+0000"), "{err:?}");
    let in_comment = Document::parse("---\nid: EP-4\n# a note\0\u{b}\ntitle: Usage\n---\n").unwrap_err();
    assert_eq!(in_comment.line, 3, "in a comment too: {in_comment:?}");
    assert!(Document::parse("---\nid: RK-3\ntitle: tab\there\n---\n").is_ok(), "a tab is fine");
}

/// Found by the `frontmatter` fuzzer: a front matter whose keys are indented read fine, but a key
/// added at the start of a line broke it; it is refused with the line to fix.
#[test]
fn an_indented_first_key_is_refused_with_its_line() {
    let err = Document::parse("---\n# a note\n for admins: yes\n---\nbody\n").unwrap_err();
    assert_eq!(err.line, 3, "{err:?}");
    assert!(err.reason.contains("indented"), "{err:?}");
    assert!(Document::parse("---\n  # an indented note\nid: ST-1\ntags:\n  - a\n---\n").is_ok());
}
