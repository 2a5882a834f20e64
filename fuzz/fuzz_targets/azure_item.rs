//! Fuzz: any work item text — HTML or Markdown in the rich-text fields — maps to canonical
//! fields without panicking, and mapping those fields back to a work item and reading it again as
//! the engine does (the mapping's `restore` against the fields written) gives the same fields: no
//! echo write, whether or not the HTML ⇄ Markdown converter settles after one pass.
#![no_main]

use std::path::Path;

use backlog_sync::mapping::fields::FieldMap;
use backlog_sync::mapping::Identities;
use backlog_sync::trackers::azure_boards::mapping::AzureMapping;
use backlog_sync::model::{ItemId, Kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (title, rest) = text.split_once('\n').unwrap_or((text, ""));
    let (description, acceptance) = rest.split_once("\n\u{1f}\n").unwrap_or((rest, ""));
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let people = Identities::default();
    let id = ItemId::new("ST", 1);
    for markdown in [false, true] {
        let mut mapping = AzureMapping::load(&root.join("mappings/azure-boards/agile.toml")).unwrap();
        mapping.markdown = markdown;
        for kind in Kind::ALL {
            let mut item = mapping.to_work_item(kind, &id, &FieldMap::new(), &people);
            item.fields.insert("System.Title".into(), title.to_string());
            item.fields.insert("System.Description".into(), description.to_string());
            item.fields.insert("Microsoft.VSTS.Common.AcceptanceCriteria".into(), acceptance.to_string());
            if !markdown {
                item.markdown.clear();
            }
            let fields = mapping.from_work_item(kind, &item, &people);
            let again = mapping.to_work_item(kind, &id, &fields, &people);
            let mut read = mapping.from_work_item(kind, &again, &people);
            mapping.restore(&fields, &mut read);
            assert_eq!(read, fields, "{kind:?}, markdown {markdown}");
        }
    }
});
