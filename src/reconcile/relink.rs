//! Stories put back under an epic that a run creates again on a target (finding 46).
//!
//! An epic whose issue or work item was deleted is marked `removed`; its stories keep their
//! `epic` (deleting an epic is no edit of its stories, finding 40), but on that target they show
//! no parent. When the epic is revived (a person sets another state) the run creates it there
//! again, as a new issue or work item, which no story can be under yet: each linked story whose
//! `epic` names it is sent its parent in the same run. Otherwise the story kept showing no parent
//! under an epic that now exists there, and a later run read that as a person clearing its epic.

use std::collections::{BTreeSet, HashMap};

use super::plan::{Action, PlanInput};
use crate::mapping::FieldMap;
use crate::model::{ItemId, Kind, State};

/// A story's update and its last rebase on one target: their positions among the actions.
type Touched = (Option<usize>, Option<usize>);

/// Adds the parent to each linked story under an epic that `actions` create on a target: into
/// the story's update there, or as an update of its `epic` alone.
pub(super) fn under_created_epics(input: &PlanInput, actions: &mut Vec<Action>) {
    let created: BTreeSet<(String, ItemId)> = actions
        .iter()
        .filter_map(|a| match a {
            Action::CreateRemote { target, id, kind: Kind::Epic, .. } => Some((target.clone(), id.clone())),
            _ => None,
        })
        .collect();
    if created.is_empty() {
        return;
    }
    // Each linked story's update and rebase on each target, found in one pass over the actions.
    let mut touched: HashMap<(&str, &ItemId), Touched> = HashMap::new();
    for (i, a) in actions.iter().enumerate() {
        match a {
            Action::UpdateRemote { target, id, .. } => touched.entry((target.as_str(), id)).or_default().0 = Some(i),
            Action::Rebase { target, id, .. } => {
                touched.entry((target.as_str(), id)).or_default().1 = Some(i);
            }
            _ => {}
        }
    }
    let mut added = Vec::new();
    let mut into_updates: Vec<(usize, String)> = Vec::new();
    for item in input.items.iter().filter(|i| i.kind == Kind::Story && !input.unreadable.contains(&i.id)) {
        for t in &input.targets {
            let Some(link) = t.links.get(&item.id) else { continue };
            if t.vanished.contains(&link.remote_id) {
                continue;
            }
            // What the story holds after this run on this target: its update's fields, else the
            // base it is rebased to, else the base it has.
            let (update, rebase) = touched.get(&(t.name.as_str(), &item.id)).copied().unwrap_or_default();
            let fields: &FieldMap = match (update, rebase) {
                (Some(i), _) => match &actions[i] {
                    Action::UpdateRemote { fields, .. } => fields,
                    _ => &link.base,
                },
                (None, Some(i)) => match &actions[i] {
                    Action::Rebase { base, .. } => base,
                    _ => &link.base,
                },
                (None, None) => &link.base,
            };
            let Some(epic) = fields.get("epic").filter(|e| !e.is_empty()).and_then(|e| e.parse::<ItemId>().ok()) else {
                continue;
            };
            if !created.contains(&(t.name.clone(), epic.clone()))
                || fields.get("state").is_some_and(|s| s == State::Removed.as_str())
            {
                continue;
            }
            match update {
                Some(i) => into_updates.push((i, epic.to_string())),
                None => added.push(Action::UpdateRemote {
                    target: t.name.clone(),
                    id: item.id.clone(),
                    remote_id: link.remote_id.clone(),
                    kind: Kind::Story,
                    changes: FieldMap::from([("epic".to_string(), epic.to_string())]),
                    fields: fields.clone(),
                    held_base: FieldMap::new(),
                }),
            }
        }
    }
    for (i, epic) in into_updates {
        if let Action::UpdateRemote { changes, .. } = &mut actions[i] {
            changes.insert("epic".into(), epic);
        }
    }
    actions.extend(added);
}
