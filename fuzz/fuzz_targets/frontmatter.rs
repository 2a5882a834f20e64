//! Fuzz: any text either parses as an item file or is refused with a line; what parses renders
//! back byte for byte, and setting a key keeps it parseable.
#![no_main]

use backlog_sync::backlog::{Document, FieldValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(mut doc) = Document::parse(text) {
        assert_eq!(doc.render(), text);
        doc.set("title", FieldValue::Text(text.chars().take(40).collect()));
        assert!(Document::parse(&doc.render()).is_ok());
    }
});
