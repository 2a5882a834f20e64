//! Fuzz: any issue body and labels map to canonical fields without panicking, and mapping those
//! fields back to an issue and reading it again gives the same fields.
#![no_main]

use backlog_sync::mapping::Identities;
use backlog_sync::trackers::github::mapping::{GithubMapping, IssueContent};
use backlog_sync::model::{ItemId, Kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mapping = GithubMapping::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../mappings/github/default.toml"))).unwrap();
    let people = Identities::default();
    let (title, body) = text.split_once('\n').unwrap_or((text, ""));
    let issue = IssueContent {
        title: title.to_string(),
        body: body.to_string(),
        state: if text.len() % 2 == 0 { "open".into() } else { "closed".into() },
        state_reason: None,
        // Tags are one comma-separated field value, so labels holding a comma are out of scope.
        labels: title.split([' ', ',']).map(str::to_string).collect(),
        assignees: Some(Vec::new()),
        milestone: None,
    };
    for kind in Kind::ALL {
        let fields = mapping.from_issue(kind, &issue, &people);
        let again = mapping.to_issue(kind, &ItemId::new("ST", 1), &fields, &people);
        assert_eq!(mapping.from_issue(kind, &again, &people), fields);
    }
});
