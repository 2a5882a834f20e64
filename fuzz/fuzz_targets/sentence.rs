//! Fuzz: the story sentence parser never panics and returns trimmed, non-empty parts.
#![no_main]

use backlog_sync::model::sentence;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(parts) = sentence::parse(text) {
        for part in [parts.persona, parts.activity, parts.benefit].into_iter().flatten() {
            assert!(!part.is_empty() && part == part.trim());
        }
    }
});
