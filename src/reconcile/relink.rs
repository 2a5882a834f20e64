//! Stories' parents that a run can and cannot send to a target: put back under an epic the run
//! creates again there (finding 46), and left alone under an epic with no item there (finding 65).
//!
//! An epic whose issue or work item was deleted is marked `removed`; its stories keep their
//! `epic` (deleting an epic is no edit of its stories, finding 40), but on that target they show
//! no parent. When the epic is revived (a person sets another state) the run creates it there
//! again, as a new issue or work item, which no story can be under yet: each linked story whose
//! `epic` names it is sent its parent in the same run. Otherwise the story kept showing no parent
//! under an epic that now exists there, and a later run read that as a person clearing its epic.
//!
//! An epic with no link on a target that this run neither links nor creates there (its file
//! unreadable, or missing, after the state was lost) has no item a story could be put under: a
//! story showing no parent there is not sent the epic (a `removed` epic is left to the write,
//! whose base keeps the epic sent: finding 63). It could not land, and every run planned (and
//! counted) the same change again (finding 65). The story's `epic` is held on that target, its
//! base stays what the target shows, and once the epic is linked there the file's epic reads as a
//! change to send.

use std::collections::{BTreeSet, HashMap};

use super::plan::{Action, PlanInput, TargetInput};
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

/// Leaves out of each story's update the parent of an epic that has no item on that target this
/// run can put it under (no link, no adopt, no create of it there), when the story shows no parent
/// there: the update keeps the story's `epic` as the target shows it, and the base too. An update
/// left with nothing to send becomes the rebase it would have been, or nothing.
pub(super) fn unsendable_parents(input: &PlanInput, actions: &mut Vec<Action>) {
    let mut reachable: BTreeSet<(&str, &ItemId)> = BTreeSet::new();
    for t in &input.targets {
        reachable.extend(t.links.keys().map(|id| (t.name.as_str(), id)));
    }
    // Epics this run links (found by their marker) or creates on a target: linked by the time the
    // stories' updates go out (adopts and creates come first).
    let mut linked_now: BTreeSet<(String, ItemId)> = BTreeSet::new();
    for a in actions.iter() {
        if let Action::Adopt { target, id, .. } | Action::CreateRemote { target, id, kind: Kind::Epic, .. } = a {
            linked_now.insert((target.clone(), id.clone()));
        }
    }
    let targets: HashMap<&str, &TargetInput> = input.targets.iter().map(|t| (t.name.as_str(), t)).collect();
    let files: HashMap<&ItemId, &FieldMap> = input.items.iter().map(|i| (&i.id, &i.fields)).collect();
    // An epic whose file reads `removed`, or that this run marks `removed` (deleted on a target),
    // is left to the write: its stories' base keeps the epic sent (finding 63, `apply`'s
    // `keep_epic_shown_as_none`, which reads the file as the run left it), so they settle as they
    // are (finding 72).
    let removed: BTreeSet<ItemId> = input
        .items
        .iter()
        .filter(|i| i.kind == Kind::Epic && i.fields.get("state").is_some_and(|s| s == State::Removed.as_str()))
        .map(|i| i.id.clone())
        .chain(actions.iter().filter_map(|a| match a {
            Action::MarkRemoved { id, .. } => Some(id.clone()),
            _ => None,
        }))
        .collect();
    let mut out = Vec::with_capacity(actions.len());
    for mut a in actions.drain(..) {
        if let Action::UpdateRemote { target, id, remote_id, kind: Kind::Story, changes, fields, held_base } = &mut a
            && let Some(epic) = changes.get("epic").filter(|e| !e.is_empty()).and_then(|e| e.parse::<ItemId>().ok())
            && !reachable.contains(&(target.as_str(), &epic))
            && !linked_now.contains(&(target.clone(), epic.clone()))
            && !removed.contains(&epic)
            && let Some(t) = targets.get(target.as_str())
        {
            let link = t.links.get(id);
            let listed = t.listed.get(remote_id.as_str()).and_then(|r| r.fields.get("epic"));
            let shown = listed.or_else(|| link.and_then(|l| l.base.get("epic"))).cloned().unwrap_or_default();
            if shown.is_empty() {
                changes.remove("epic");
                fields.insert("epic".into(), shown.clone());
                held_base.insert("epic".into(), shown);
                if changes.is_empty() {
                    let mut base = fields.clone();
                    base.extend(held_base.clone());
                    // A link saved while its parent was unknown there (no `epic` in its base,
                    // finding 51) stays so: showing no parent still says nothing.
                    if link.is_some_and(|l| !l.base.contains_key("epic")) {
                        base.remove("epic");
                    }
                    // As the plan's own rebase: a base that moved, a create still open, or a
                    // held owner whose link does not yet record the file's owner beside it.
                    let owner = |m: &FieldMap| m.get("owner").cloned().unwrap_or_default();
                    let file_owner = files.get(id).map(|f| owner(f)).unwrap_or_default();
                    match link {
                        Some(l)
                            if l.base != base
                                || t.creating.contains_key(id)
                                || (owner(&base) != file_owner && l.file_owner.as_ref() != Some(&file_owner)) =>
                        {
                            out.push(Action::Rebase { target: target.clone(), id: id.clone(), base });
                        }
                        _ => {}
                    }
                    continue;
                }
            }
        }
        out.push(a);
    }
    *actions = out;
}
