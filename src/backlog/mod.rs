//! The backlog folder: read `backlog.toml`, `stakeholders.toml` and one file per item, validate
//! them, and write items back atomically and minimally.
//!
//! A file that cannot be read becomes an [`InvalidFile`] with path, line and reason; the other
//! items still load. An unreadable file is never treated as a deleted item.

pub mod frontmatter;
pub mod item_file;
#[cfg(test)]
mod load_tests;
mod plain_yaml;
pub mod project;
pub mod synthetic;
mod validate;

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use frontmatter::{Document, FieldValue, FrontMatter, SyntaxError, Values};
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
    /// The file's front matter, line for line; the body is `item.body`, exactly as in the file.
    pub doc: FrontMatter,
}

impl ItemFile {
    /// What of a story's sentence was derived from `from` (its title or body), and what it
    /// lacks: "persona and activity derived from its title; it states no benefit".
    pub fn derived_note(&self, from: &str) -> String {
        let parts =
            [("persona", &self.item.persona), ("activity", &self.item.activity), ("benefit", &self.item.benefit)];
        let derived: Vec<&str> =
            parts.iter().filter(|(k, v)| v.is_some() && self.doc.line_of(k).is_none()).map(|(k, _)| *k).collect();
        let missing: Vec<&str> = parts.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| *k).collect();
        let list = |words: &[&str]| match words {
            [] => String::new(),
            [one] => one.to_string(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        };
        let mut note = format!("{} derived from {from}", list(&derived));
        if !missing.is_empty() {
            note.push_str(&format!("; it states no {}", list(&missing).replace(" and ", " or ")));
        }
        note
    }

    /// The file's text as it was read (or last written).
    pub fn render(&self) -> String {
        [self.doc.as_str(), &self.item.body].concat()
    }
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
        let mut paths = Vec::new();
        for kind in Kind::ALL {
            paths.extend(item_paths(&root.join(kind.folder()))?.into_iter().map(|p| (kind, p)));
        }
        let (mut items, invalid) = load_items(paths, &project);
        sort_by_id(&mut items);
        let mut backlog =
            Backlog { root: root.to_path_buf(), project, stakeholders, items, invalid, problems: Vec::new() };
        validate::validate(&mut backlog);
        backlog.suggest_free_ids();
        Ok(backlog)
    }

    /// A file whose id is another file's name: "rename the file to `ST-2.md`" would clash with
    /// the `ST-2.md` that exists, so suggest the next free id instead.
    fn suggest_free_ids(&mut self) {
        let marker = "; rename the file to `";
        for i in 0..self.invalid.len() {
            let bad = &self.invalid[i];
            let Some(at) = bad.reason.find(marker) else { continue };
            let wanted = bad.reason[at + marker.len()..].split('`').next().unwrap_or("").to_string();
            let Some(folder) = bad.path.parent() else { continue };
            if wanted.is_empty() || !folder.join(&wanted).exists() {
                continue;
            }
            let kind = Kind::ALL.into_iter().find(|k| folder.ends_with(k.folder())).unwrap_or(Kind::Story);
            let free = self.next_id(kind);
            let reason = format!(
                "{}, and `{wanted}` exists already; give this item a free id: rename the file to `{free}.md` and set `id: {free}`",
                &bad.reason[..at]
            );
            self.invalid[i].reason = reason;
        }
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
        // The ids `present_ids` gives, without copying them into a set.
        let present = self.items.iter().map(|f| &f.item.id).chain(self.invalid.iter().filter_map(|f| f.id.as_ref()));
        let max =
            present.filter(|id| id.prefix().eq_ignore_ascii_case(prefix)).map(|id| id.number()).max().unwrap_or(0);
        ItemId::new(prefix, max + 1)
    }

    /// Where the file of an item of `kind` with `id` lives.
    pub fn path_for(&self, kind: Kind, id: &ItemId) -> PathBuf {
        self.root.join(kind.folder()).join(format!("{id}.md"))
    }

    /// Writes `new` over the item file `file`, changing only the lines of fields that differ.
    pub fn update_item(file: &ItemFile, new: &Item) -> Result<ItemFile, BacklogError> {
        let mut doc = Document::from_parts(file.doc.clone(), file.item.body.clone());
        item_file::apply_changes(&mut doc, &file.item, new);
        let text = doc.render();
        // Unusual YAML (a flow list over several lines, say) can defeat a line-by-line rewrite:
        // never write what would not read back; the file stays as it was.
        if let Err(e) = Document::parse(&text) {
            return Err(BacklogError::Invalid {
                path: file.path.clone(),
                line: e.line,
                reason: format!(
                    "the change would leave front matter that does not read back ({}); the file is left as it was — write each key as one `key: value` line",
                    e.reason
                ),
            });
        }
        write_atomic(&file.path, &text)?;
        Ok(ItemFile { item: new.clone(), path: file.path.clone(), doc: doc.into_front_matter() })
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
        Ok(ItemFile { item: item.clone(), path, doc: doc.into_front_matter() })
    }
}

/// The `.md` files directly in `folder`, sorted by name.
fn item_paths(folder: &Path) -> Result<Vec<PathBuf>, BacklogError> {
    if !folder.is_dir() {
        return Ok(Vec::new());
    }
    let entries = fs::read_dir(folder).map_err(|source| BacklogError::Io { path: folder.to_path_buf(), source })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        // The entry knows its type without another system call, except through a symlink.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || (t.is_symlink() && e.path().is_file())))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    // One folder: comparing whole paths as bytes orders them as `Path` does, only faster.
    paths.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    Ok(paths)
}

/// Sorts items by id, stably, moving each item once: sorting the items themselves would copy
/// them into a scratch buffer half the size of the backlog. Each kind's ids share one prefix
/// (a file whose id has another is not an item), so an id's place is its prefix's rank among
/// the few prefixes, then its number: no id is copied to sort by.
fn sort_by_id(items: &mut [ItemFile]) {
    let mut prefixes: Vec<String> = Vec::new();
    for file in items.iter() {
        let prefix = file.item.id.prefix();
        if !prefixes.iter().any(|p| p == prefix) {
            prefixes.push(prefix.to_string());
        }
    }
    prefixes.sort_unstable();
    let rank = |prefix: &str| prefixes.iter().position(|p| p == prefix).unwrap_or(usize::MAX);
    items.sort_by_cached_key(|f| (rank(f.item.id.prefix()), f.item.id.number()));
}

/// At most this many threads read and parse item files; more than a few only queue on the disk.
const MAX_READERS: usize = 4;

/// Reads and parses every file of `paths`, spread over a few threads (two cores load 100k files
/// in about three quarters of the time one takes): the valid items in the order of `paths`, and
/// the files that are not valid items.
fn load_items(mut paths: Vec<(Kind, PathBuf)>, project: &Project) -> (Vec<ItemFile>, Vec<InvalidFile>) {
    let readers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_READERS);
    // Below this, one thread reads everything: starting another costs more than it saves.
    let chunk = paths.len().div_ceil(readers).max(256);
    // One slot per file, filled in place, so the items are never copied into a second vector.
    let mut slots: Vec<Option<ItemFile>> = Vec::with_capacity(paths.len());
    slots.resize_with(paths.len(), || None);
    let invalid = std::thread::scope(|scope| {
        let mut chunks = paths.chunks_mut(chunk).zip(slots.chunks_mut(chunk));
        let first = chunks.next();
        let others: Vec<_> =
            chunks.map(|(paths, slots)| scope.spawn(move || load_chunk(paths, slots, project))).collect();
        // This thread reads the first share: a small backlog starts no thread at all.
        let mut invalid = first.map(|(paths, slots)| load_chunk(paths, slots, project)).unwrap_or_default();
        for reader in others {
            invalid.extend(reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        invalid
    });
    // `flatten` would copy the items into a new vector; `filter_map` reuses the slots' allocation.
    #[expect(clippy::filter_map_identity, reason = "collects in place, unlike `flatten`")]
    let items = slots.into_iter().filter_map(|slot| slot).collect();
    (items, invalid)
}

fn load_chunk(paths: &mut [(Kind, PathBuf)], slots: &mut [Option<ItemFile>], project: &Project) -> Vec<InvalidFile> {
    let mut invalid = Vec::new();
    let mut buffer = ReadBuffer::default();
    for ((kind, path), slot) in paths.iter_mut().zip(slots) {
        let path = std::mem::take(path);
        let stem = stem_of(&path);
        match load_item(&path, *kind, stem, project, &mut buffer) {
            Ok((item, doc)) => *slot = Some(ItemFile { item, path, doc }),
            Err(e) => invalid.push(InvalidFile { id: stem.parse().ok(), line: e.line, reason: e.reason, path }),
        }
    }
    invalid
}

/// The file name of an item file without its `.md`, as `Path::file_stem` gives it for the paths
/// [`item_paths`] lists (a name ending in `.md`), read from the end of the path's bytes without
/// parsing its components; "" when the name is not UTF-8.
fn stem_of(path: &Path) -> &str {
    let bytes = path.as_os_str().as_encoded_bytes();
    let name = bytes.rsplit(|b| std::path::is_separator(char::from(*b))).next().unwrap_or_default();
    let stem = name.strip_suffix(b".md").unwrap_or(name);
    std::str::from_utf8(stem).unwrap_or_default()
}

/// The bytes of the file last read, in a buffer kept from file to file: it only grows, so it is
/// zeroed once and files are read straight into it.
#[derive(Default)]
struct ReadBuffer {
    bytes: Vec<u8>,
}

impl ReadBuffer {
    /// Reads the whole file at `path`, to the end, without asking its size first (one system
    /// call fewer than `fs::read_to_string`).
    fn read(&mut self, path: &Path) -> std::io::Result<&str> {
        use std::io::{ErrorKind, Read};
        let mut file = fs::File::open(path)?;
        let mut len = 0;
        loop {
            if self.bytes.len() - len < 4096 {
                self.bytes.resize((len * 2).max(16 * 1024), 0);
            }
            match file.read(&mut self.bytes[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        std::str::from_utf8(&self.bytes[..len])
            .map_err(|_| std::io::Error::new(ErrorKind::InvalidData, "stream did not contain valid UTF-8"))
    }
}

/// Reads one item file: its front matter and its body are each copied once out of `buffer`.
fn load_item(
    path: &Path,
    kind: Kind,
    stem: &str,
    project: &Project,
    buffer: &mut ReadBuffer,
) -> Result<(Item, FrontMatter), SyntaxError> {
    let text = buffer.read(path).map_err(|e| SyntaxError { line: 1, reason: format!("cannot read the file: {e}") })?;
    let (front, body_start, values) = FrontMatter::read(text)?;
    let item = item_file::read_item(&front, values, &text[body_start..], kind, stem, &project.ids, &project.defaults)?;
    Ok((item, front))
}

/// Replaces `path` with `text` atomically: a temporary file in the same folder, then a rename.
/// A rewritten file keeps its mode; a new one gets the user's umask (`0666 & !umask`), as any
/// editor would give it — never the temporary file's private `0600`.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), BacklogError> {
    let io = |source| BacklogError::Io { path: path.to_path_buf(), source };
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io)?;
    let original = fs::metadata(path).ok().map(|m| m.permissions());
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Created with 0666, the system applies the umask.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(io)?;
    if let Some(mode) = original {
        // Set explicitly, so the umask does not narrow the file's own mode.
        tmp.as_file().set_permissions(mode).map_err(io)?;
    }
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
