//! Loading a backlog folder: items come out in id order whatever thread read them, a repeated id
//! keeps its first file, and what is kept of each file renders back to its exact bytes.

use std::fs;
use std::path::Path;

use super::Backlog;
use crate::model::Kind;

fn backlog_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("backlog");
    for kind in Kind::ALL {
        fs::create_dir_all(root.join(kind.folder())).unwrap();
    }
    fs::write(root.join("backlog.toml"), "name = \"Load\"\n").unwrap();
    (tmp, root)
}

fn story(root: &Path, file: &str, text: &str) {
    fs::write(root.join("stories").join(file), text).unwrap();
}

#[test]
fn items_come_sorted_by_id_with_bad_files_set_aside() {
    let (_tmp, root) = backlog_dir();
    // Byte order of the names (ST-10 before ST-2) is not id order; 600 files are read by more
    // than one thread where there are cores for them.
    for n in 1..=600 {
        story(&root, &format!("ST-{n}.md"), &format!("---\nid: ST-{n}\ntitle: Story {n}\n---\nBody {n}.\n"));
    }
    story(&root, "ST-601.md", "---\nid: ST-601\ntitle: [unclosed\n---\n");
    fs::write(root.join("epics/EP-1.md"), "---\nid: EP-1\ntitle: Epic\n---\n").unwrap();
    let backlog = Backlog::load(&root).unwrap();
    let ids: Vec<String> = backlog.items.iter().map(|f| f.item.id.to_string()).collect();
    let mut want = vec!["EP-1".to_string()];
    want.extend((1..=600).map(|n| format!("ST-{n}")));
    assert_eq!(ids, want);
    assert_eq!(backlog.invalid.len(), 1);
    assert!(backlog.invalid[0].path.ends_with("stories/ST-601.md"));
    assert_eq!(backlog.invalid[0].id, "ST-601".parse().ok());
    for file in &backlog.items {
        assert_eq!(file.render(), fs::read_to_string(&file.path).unwrap(), "{}", file.path.display());
    }
}

#[test]
fn a_repeated_id_keeps_the_first_file_and_reports_the_others_at_their_id_line() {
    let (_tmp, root) = backlog_dir();
    for file in ["st-1.md", "ST-1.md", "St-1.md"] {
        story(&root, file, &format!("---\ntitle: From {file}\nid: ST-1\n---\n"));
    }
    let backlog = Backlog::load(&root).unwrap();
    assert_eq!(backlog.items.len(), 1);
    assert_eq!(backlog.items[0].item.title, "From ST-1.md");
    let invalid: Vec<(String, usize)> =
        backlog.invalid.iter().map(|f| (f.path.file_name().unwrap().to_string_lossy().into_owned(), f.line)).collect();
    assert_eq!(invalid, vec![("St-1.md".to_string(), 3), ("st-1.md".to_string(), 3)]);
    assert!(backlog.invalid.iter().all(|f| f.reason.contains("used by another file") && f.id.is_none()));
}

#[test]
fn an_update_of_a_crlf_file_rewrites_one_line_and_keeps_the_body() {
    let (_tmp, root) = backlog_dir();
    let text = "---\r\nid: ST-1\r\ntitle: Old  # why\r\nstate: new\r\n---\r\nBody\r\n\r\n- [ ] done\r\n";
    story(&root, "ST-1.md", text);
    let backlog = Backlog::load(&root).unwrap();
    let file = &backlog.items[0];
    assert_eq!(file.item.body, "Body\r\n\r\n- [ ] done\r\n");
    assert_eq!(file.doc.body_line(), 6);
    let mut new = file.item.clone();
    new.title = "New".into();
    let written = Backlog::update_item(file, &new).unwrap();
    let after = fs::read_to_string(&file.path).unwrap();
    assert_eq!(after, text.replace("title: Old  # why", "title: New # why"));
    assert_eq!(written.render(), after);
    new.body = "Other\r\n".into();
    Backlog::update_item(&written, &new).unwrap();
    assert_eq!(
        fs::read_to_string(&file.path).unwrap(),
        "---\r\nid: ST-1\r\ntitle: New # why\r\nstate: new\r\n---\r\nOther\r\n"
    );
}

#[test]
fn an_update_that_would_not_read_back_leaves_the_file_as_it_was() {
    let (_tmp, root) = backlog_dir();
    // Found by the `frontmatter` fuzzer: a flow list over several lines whose second line looks
    // like a key; a new key was then added inside the list.
    let text =
        "---\nid: ST-1\ntitle: Old\nt, I can th:  I can answer\nstga: [supportd: ST-9\nt, I can th:  I ]\n---\nBody\n";
    story(&root, "ST-1.md", text);
    let backlog = Backlog::load(&root).unwrap();
    let file = &backlog.items[0];
    let mut new = file.item.clone();
    new.points = Some(3.0);
    let e = Backlog::update_item(file, &new).unwrap_err();
    assert!(e.to_string().contains("does not read back"), "{e}");
    assert_eq!(fs::read_to_string(&file.path).unwrap(), text, "the file is untouched");
}

#[test]
fn rename_hint_suggests_the_next_free_id_when_the_named_file_exists() {
    let (_tmp, root) = backlog_dir();
    story(&root, "ST-1.md", "---\nid: ST-1\ntitle: One\n---\n");
    story(&root, "ST-2.md", "---\nid: ST-2\ntitle: Two\n---\n");
    story(&root, "ST-3.md", "---\nid: ST-2\ntitle: A copy made by hand\n---\n");
    story(&root, "ST-9.md", "---\nid: ST-8\ntitle: Renamed, id not updated\n---\n");
    let backlog = Backlog::load(&root).unwrap();
    let reason = |file: &str| {
        backlog.invalid.iter().chain(&backlog.problems).find(|b| b.path.ends_with(file)).unwrap().reason.clone()
    };
    let copy = reason("ST-3.md");
    assert!(copy.contains("`ST-2.md` exists already") && copy.contains("rename the file to `ST-10.md`"), "{copy}");
    assert!(!copy.contains("rename the file to `ST-2.md`"), "{copy}");
    // Where the named file does not exist, renaming to it is still the simple fix.
    assert!(reason("ST-9.md").contains("rename the file to `ST-8.md`"), "{}", reason("ST-9.md"));
}

#[test]
fn validate_note_says_exactly_what_was_derived_from_the_title() {
    let (_tmp, root) = backlog_dir();
    story(&root, "ST-1.md", "---\nid: ST-1\ntitle: As a user, I can log in\n---\n");
    story(&root, "ST-2.md", "---\nid: ST-2\ntitle: As a user, I can log in, so that I see my data\n---\n");
    story(&root, "ST-3.md", "---\nid: ST-3\ntitle: I can log in, so that I see my data\npersona: user\n---\n");
    let backlog = Backlog::load(&root).unwrap();
    let notes: Vec<String> = backlog.items.iter().map(|f| f.derived_note("its title")).collect();
    assert_eq!(
        notes,
        [
            "persona and activity derived from its title; it states no benefit",
            "persona, activity and benefit derived from its title",
            "activity and benefit derived from its title",
        ]
    );
}
