//! Structural checks across items: unique ids and epic references that resolve.

use std::collections::BTreeSet;

use super::{Backlog, InvalidFile};
use crate::model::Kind;

/// Moves items with a repeated id to `invalid` (the first file keeps the id) and records stories
/// whose `epic` names no epic in `problems`.
pub(super) fn validate(backlog: &mut Backlog) {
    let mut seen = BTreeSet::new();
    let mut kept = Vec::with_capacity(backlog.items.len());
    for file in std::mem::take(&mut backlog.items) {
        if seen.insert(file.item.id.clone()) {
            kept.push(file);
        } else {
            backlog.invalid.push(InvalidFile {
                line: file.doc.line_of("id").unwrap_or(1),
                reason: format!("id `{}` is used by another file too; give this item the next free id", file.item.id),
                id: None,
                path: file.path,
            });
        }
    }
    backlog.items = kept;
    let epics: BTreeSet<_> =
        backlog.items.iter().filter(|f| f.item.kind == Kind::Epic).map(|f| f.item.id.clone()).collect();
    for file in &backlog.items {
        let Some(epic) = &file.item.epic else { continue };
        if !epics.contains(epic) && !backlog.invalid.iter().any(|f| f.id.as_ref() == Some(epic)) {
            backlog.problems.push(InvalidFile {
                path: file.path.clone(),
                line: file.doc.line_of("epic").unwrap_or(1),
                reason: format!(
                    "`{}` belongs to epic `{epic}`, which does not exist; fix `epic:` or add `epics/{epic}.md`",
                    file.item.id
                ),
                id: Some(file.item.id.clone()),
            });
        }
    }
    backlog.invalid.sort_by(|a, b| a.path.cmp(&b.path));
}
