//! The tracker boundary: outside `src/trackers/`, at most four files of the product crate name a
//! tracker-specific type (issue 14). A tracker-specific name is a type a tracker folder defines
//! (`GithubConnector`, `WorkItem`, …, read from the folders themselves), a path into a tracker's
//! folder (`trackers::github`, `trackers::azure_boards`), a kind's variant (`TargetKind::Github`),
//! or the twins (`backlog_twins`). Comments do not count.
//!
//! Count by hand: `cargo test --test integration trackers_boundary -- --nocapture` prints the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::root;

/// The files allowed to name a tracker: the twins for `demo` and the `twin` command, the summary
/// channels' registration (a GitHub comment, an Azure DevOps wiki page), and `[backlog.git]`'s
/// check that pull requests are reviewed on a GitHub target.
const ALLOWED: [&str; 4] = ["src/demo.rs", "src/cli/twin.rs", "src/summary/channels/mod.rs", "src/config/git.rs"];

const TRACKERS: [&str; 2] = ["src/trackers/github", "src/trackers/azure_boards"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments and the text of its string literals.
fn code(path: &Path) -> String {
    strip(&std::fs::read_to_string(path).unwrap())
}

/// `text` without `//` comments and without what string literals (plain and raw) hold.
fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev_ident = i > 0 && is_word_char(chars[i - 1]);
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3; // a character literal such as '"'
        } else if c == '\'' && chars.get(i + 1) == Some(&'\\') {
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c == 'r' && !prev_ident && matches!(chars.get(i + 1), Some('"' | '#')) {
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The names of the types the tracker folders define (`pub struct GithubConnector`, …).
fn tracker_types(root: &Path) -> BTreeSet<String> {
    let mut files = Vec::new();
    for dir in TRACKERS {
        rust_files(&root.join(dir), &mut files);
    }
    let mut names = BTreeSet::new();
    for f in files {
        for line in code(&f).lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            for w in words.windows(3) {
                if w[0].starts_with("pub") && ["struct", "enum", "trait", "type"].contains(&w[1]) {
                    let name: String = w[2].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if name.starts_with(|c: char| c.is_ascii_uppercase()) {
                        names.insert(name);
                    }
                }
            }
        }
    }
    names
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `code` holds `word` as a whole identifier.
fn names(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().next_back().is_none_or(|c| !is_word_char(c));
        let after = code[i + word.len()..].chars().next().is_none_or(|c| !is_word_char(c));
        before && after
    })
}

/// Per file outside the tracker folders, the tracker-specific names it uses.
fn naming_files(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let types = tracker_types(root);
    assert!(types.contains("GithubConnector") && types.contains("WorkItem"), "read the tracker folders: {types:?}");
    // A type some other module defines too is not the tracker's alone.
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let outside: Vec<&PathBuf> = files.iter().filter(|f| !f.starts_with(root.join("src/trackers"))).collect();
    let shared: BTreeSet<String> = types
        .iter()
        .filter(|t| {
            outside.iter().any(|f| {
                let c = code(f);
                ["struct", "enum", "trait", "type"].iter().any(|k| names(&c, &format!("{k} {t}")))
            })
        })
        .cloned()
        .collect();
    let mut out = BTreeMap::new();
    for f in outside {
        let c = code(f);
        let mut found: BTreeSet<String> =
            types.iter().filter(|t| !shared.contains(*t) && names(&c, t)).cloned().collect();
        for path in ["trackers::github", "trackers::azure_boards", "backlog_twins"] {
            if c.contains(path) {
                found.insert(path.to_string());
            }
        }
        for (i, _) in c.match_indices("TargetKind::") {
            if c[i + "TargetKind::".len()..].starts_with(|ch: char| ch.is_ascii_uppercase()) {
                found.insert("TargetKind::<variant>".to_string());
            }
        }
        if !found.is_empty() {
            let rel = f.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.insert(rel, found);
        }
    }
    out
}

#[test]
fn at_most_four_files_outside_the_tracker_folders_name_a_tracker() {
    let root = root();
    let found = naming_files(&root);
    for (file, names) in &found {
        println!("{file}: {}", names.iter().cloned().collect::<Vec<_>>().join(", "));
    }
    let unexpected: Vec<String> = found
        .iter()
        .filter(|(f, _)| !ALLOWED.contains(&f.as_str()))
        .map(|(f, n)| format!("{f} ({})", n.iter().cloned().collect::<Vec<_>>().join(", ")))
        .collect();
    assert!(
        unexpected.is_empty(),
        "outside src/trackers/ these files name a tracker: {unexpected:?}; go through the `Tracker` trait or the registry (src/trackers/registry.rs) instead"
    );
    assert!(found.len() <= 4, "{} files name a tracker: {:?}", found.len(), found.keys());
}

#[test]
fn the_scan_sees_a_tracker_type_where_one_is_named() {
    assert!(names("let c: GithubConnector = x;", "GithubConnector"));
    assert!(!names("let c: GithubConnectorish = x;", "GithubConnector"));
    assert_eq!(
        strip("a(\"GithubConnector \\\" x\"); // WorkItem\nb(r#\"WorkItem\"#, '\"', 'x')"),
        "a(\"\"); \nb(\"\", , )"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src/trackers/github")).unwrap();
    std::fs::create_dir_all(dir.path().join("src/trackers/azure_boards")).unwrap();
    std::fs::write(dir.path().join("src/trackers/github/mod.rs"), "pub struct GithubConnector;\n").unwrap();
    std::fs::write(dir.path().join("src/trackers/azure_boards/mod.rs"), "pub(crate) struct WorkItem;\n").unwrap();
    std::fs::write(dir.path().join("src/engine.rs"), "fn f(_: &WorkItem) {} // GithubConnector\n").unwrap();
    std::fs::write(dir.path().join("src/plan.rs"), "fn g() {}\n").unwrap();
    let found = naming_files(dir.path());
    assert_eq!(found.keys().collect::<Vec<_>>(), ["src/engine.rs"]);
    assert_eq!(found["src/engine.rs"].iter().collect::<Vec<_>>(), ["WorkItem"]);
}
