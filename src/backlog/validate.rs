//! Structural checks across items: unique ids and epic references that resolve.

use std::collections::BTreeSet;

use super::{Backlog, InvalidFile};
use crate::model::Kind;

/// Moves items with a repeated id to `invalid` (the first file keeps the id) and records stories
/// whose `epic` names no epic in `problems`. The items come sorted by id, stably, so a repeated id
/// sits right after the file that keeps it.
pub(super) fn validate(backlog: &mut Backlog) {
    let invalid = &mut backlog.invalid;
    // In place: a second vector of items would double the backlog's largest allocation.
    backlog.items.dedup_by(|later, first| {
        let repeated = later.item.id == first.item.id;
        if repeated {
            invalid.push(InvalidFile {
                line: later.doc.line_of("id").unwrap_or(1),
                reason: format!("id `{}` is used by another file too; give this item the next free id", later.item.id),
                id: None,
                path: std::mem::take(&mut later.path),
            });
        }
        repeated
    });
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
