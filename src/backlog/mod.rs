//! The backlog folder: read `backlog.toml`, `stakeholders.toml` and one file per item, validate
//! them, and write items back atomically and minimally.
//!
//! A file that cannot be read becomes an [`InvalidFile`] with path, line and reason; the other
//! items still load. An unreadable file is never treated as a deleted item.

pub mod frontmatter;
pub mod item_file;
pub mod project;
pub mod synthetic;
mod validate;

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use frontmatter::{Document, FieldValue, SyntaxError};
pub use project::{Milestone, Problem, Project, Stakeholder, Stakeholders, SuccessCriterion};

use crate::model::{Item, ItemId, Kind};

/// How many files [`Backlog::update_items`] writes at once.
const WRITERS: usize = 8;

/// Errors that stop a backlog from loading at all (a single bad item file does not).
#[derive(Debug, thiserror::Error)]
pub enum BacklogError {
    #[error("`{0}` is not a backlog folder: it has no `backlog.toml`; create one with `backlog-sync init {0}`")]
    NotABacklog(PathBuf),
    #[error("cannot read `{path}`: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("`{path}` line {line}: {reason}")]
    Invalid { path: PathBuf, line: usize, reason: String },
}

/// One item and the file it came from.
#[derive(Debug, Clone)]
pub struct ItemFile {
    pub item: Item,
    pub path: PathBuf,
    pub doc: Document,
}

/// A file in an item folder that could not be read as an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidFile {
    pub path: PathBuf,
    pub line: usize,
    pub reason: String,
    /// The id the file name suggests, so that sync leaves that item alone.
    pub id: Option<ItemId>,
}

/// A loaded backlog folder.
#[derive(Debug, Clone)]
pub struct Backlog {
    pub root: PathBuf,
    pub project: Project,
    pub stakeholders: Vec<Stakeholder>,
    /// Valid items, sorted by id.
    pub items: Vec<ItemFile>,
    pub invalid: Vec<InvalidFile>,
    /// Problems with items that did load (e.g. a story naming an epic that does not exist).
    pub problems: Vec<InvalidFile>,
}

fn read(path: &Path) -> Result<String, BacklogError> {
    fs::read_to_string(path).map_err(|source| BacklogError::Io { path: path.to_path_buf(), source })
}

impl Backlog {
    /// Loads the folder at `root`.
    pub fn load(root: &Path) -> Result<Backlog, BacklogError> {
        let project_path = root.join("backlog.toml");
        if !project_path.is_file() {
            return Err(BacklogError::NotABacklog(root.to_path_buf()));
        }
        let invalid_toml = |path: &Path, e: project::TomlError| BacklogError::Invalid {
            path: path.to_path_buf(),
            line: e.line,
            reason: e.reason,
        };
        let project: Project =
            project::parse_toml(&read(&project_path)?).map_err(|e| invalid_toml(&project_path, e))?;
        let stakeholders_path = root.join("stakeholders.toml");
        let stakeholders = if stakeholders_path.is_file() {
            project::parse_toml::<Stakeholders>(&read(&stakeholders_path)?)
                .map_err(|e| invalid_toml(&stakeholders_path, e))?
                .stakeholders
        } else {
            Vec::new()
        };
        let mut items = Vec::new();
        let mut invalid = Vec::new();
        for kind in Kind::ALL {
            for path in item_paths(&root.join(kind.folder()))? {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
                match load_item(&path, kind, &stem, &project) {
                    Ok(file) => items.push(file),
                    Err(e) => invalid.push(InvalidFile { id: stem.parse().ok(), path, line: e.line, reason: e.reason }),
                }
            }
        }
        items.sort_by(|a, b| a.item.id.cmp(&b.item.id));
        let mut backlog =
            Backlog { root: root.to_path_buf(), project, stakeholders, items, invalid, problems: Vec::new() };
        validate::validate(&mut backlog);
        Ok(backlog)
    }

    pub fn get(&self, id: &ItemId) -> Option<&ItemFile> {
        self.items.binary_search_by(|f| f.item.id.cmp(id)).ok().map(|i| &self.items[i])
    }

    /// Ids of every file present, readable or not: what sync must never take for deleted.
    pub fn present_ids(&self) -> BTreeSet<ItemId> {
        self.items.iter().map(|f| f.item.id.clone()).chain(self.invalid.iter().filter_map(|f| f.id.clone())).collect()
    }

    /// The next free id of `kind`, counting unreadable files too.
    pub fn next_id(&self, kind: Kind) -> ItemId {
        let prefix = self.project.ids.prefix(kind);
        let max = self
            .present_ids()
            .iter()
            .filter(|id| id.prefix().eq_ignore_ascii_case(prefix))
            .map(|id| id.number())
            .max()
            .unwrap_or(0);
        ItemId::new(prefix, max + 1)
    }

    /// Where the file of an item of `kind` with `id` lives.
    pub fn path_for(&self, kind: Kind, id: &ItemId) -> PathBuf {
        self.root.join(kind.folder()).join(format!("{id}.md"))
    }

    /// Writes `new` over the item file `file`, changing only the lines of fields that differ.
    pub fn update_item(file: &ItemFile, new: &Item) -> Result<ItemFile, BacklogError> {
        let mut doc = file.doc.clone();
        item_file::apply_changes(&mut doc, &file.item, new);
        write_atomic(&file.path, &doc.render())?;
        Ok(ItemFile { item: new.clone(), path: file.path.clone(), doc })
    }

    /// Writes many item files as [`Backlog::update_item`] does, several at a time (each still
    /// written to a temporary file, synced and renamed): the disk settles the syncs together.
    /// Answers in the order given.
    pub fn update_items(updates: &[(&ItemFile, Item)]) -> Vec<Result<ItemFile, BacklogError>> {
        let per_thread = updates.len().div_ceil(WRITERS).max(1);
        std::thread::scope(|scope| {
            let writers: Vec<_> = updates
                .chunks(per_thread)
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk.iter().map(|(file, new)| Backlog::update_item(file, new)).collect::<Vec<_>>()
                    })
                })
                .collect();
            writers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        })
    }

    /// Writes a new item file; fails rather than overwrite an existing one.
    pub fn create_item(&self, item: &Item) -> Result<ItemFile, BacklogError> {
        let path = self.path_for(item.kind, &item.id);
        if path.exists() {
            return Err(BacklogError::Invalid {
                path,
                line: 1,
                reason: format!("`{}` already exists; pick the next free id", item.id),
            });
        }
        let doc = item_file::new_document(item);
        write_atomic(&path, &doc.render())?;
        Ok(ItemFile { item: item.clone(), path, doc })
    }
}

fn item_paths(folder: &Path) -> Result<Vec<PathBuf>, BacklogError> {
    if !folder.is_dir() {
        return Ok(Vec::new());
    }
    let entries = fs::read_dir(folder).map_err(|source| BacklogError::Io { path: folder.to_path_buf(), source })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    Ok(paths)
}

fn load_item(path: &Path, kind: Kind, stem: &str, project: &Project) -> Result<ItemFile, SyntaxError> {
    let text =
        fs::read_to_string(path).map_err(|e| SyntaxError { line: 1, reason: format!("cannot read the file: {e}") })?;
    let doc = Document::parse(&text)?;
    let item = item_file::read_item(&doc, kind, stem, &project.ids, &project.defaults)?;
    Ok(ItemFile { item, path: path.to_path_buf(), doc })
}

/// Replaces `path` with `text` atomically: a temporary file in the same folder, then a rename.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), BacklogError> {
    let io = |source| BacklogError::Io { path: path.to_path_buf(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(text.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_items_are_written_together_and_answered_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let root = synthetic::write(tmp.path(), synthetic::Shape::of(40)).unwrap();
        let backlog = Backlog::load(&root).unwrap();
        let updates: Vec<(&ItemFile, Item)> = backlog
            .items
            .iter()
            .map(|f| {
                let mut new = f.item.clone();
                new.title = format!("{} renamed", f.item.title);
                (f, new)
            })
            .collect();
        let written = Backlog::update_items(&updates);
        assert_eq!(written.len(), updates.len());
        for ((file, new), done) in updates.iter().zip(written) {
            let done = done.unwrap();
            assert_eq!((&done.path, &done.item), (&file.path, new));
            let text = fs::read_to_string(&file.path).unwrap();
            assert!(text.contains(&format!("title: {}\n", new.title)), "{text}");
        }
        let again = Backlog::load(&root).unwrap();
        assert!(again.items.iter().all(|f| f.item.title.ends_with(" renamed")));
        assert!(Backlog::update_items(&[]).is_empty());
    }
}
