//! Inbound values waiting in the review pull request: which they are (kept in a small JSON file
//! beside the sync state), and how the plan is kept from taking them into the files or sending
//! them on while they wait. Pure, except [`Held::load`] and [`Held::save`].
//!
//! What the three-way merge sees for a field with a waiting value P (base B, file C, target R):
//! - C = B (the file still says what both sides agreed on): the target's side of the field is
//!   shown to the merge as B, so nothing moves — P is neither written into the file nor sent to
//!   another target, and the file's B is not pushed over the tracker's P. The target's base stays B.
//! - C ≠ B (a person changed the file meanwhile): the merge sees P as what the target holds, so a
//!   different value is a conflict, settled by the policy like any other, never a silent overwrite.
//!
//! When the pull request is merged, the target's base becomes P: the file's value (P as merged,
//! or what the reviewer made of it) is then canonical and goes out only where it differs. When it
//! is closed unmerged, each value becomes an open conflict in the store and waits for `resolve`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::mapping::FieldMap;
use crate::model::ItemId;
use crate::reconcile::plan::{Action, Plan, PlanInput, RemoteItem, TargetInput};

/// One value a target holds that waits for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub target: String,
    pub item: String,
    pub field: String,
    /// What the target holds: the proposed value.
    pub value: String,
    /// What both sides last agreed on when it was proposed.
    pub base: String,
    /// The pull request was closed unmerged: an open conflict in the store until `resolve`.
    #[serde(default)]
    pub rejected: bool,
}

impl Entry {
    fn key(&self) -> (&str, &str, &str) {
        (&self.target, &self.item, &self.field)
    }
}

/// The waiting values and the pull request that carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// The open pull request, once made.
    #[serde(default)]
    pub pull_request: Option<u64>,
    #[serde(default)]
    pub entries: Vec<Entry>,
}

/// The file that keeps [`Held`] for a sync state at `state` (`…/state.db` → `…/review.json`).
pub fn path_for(state: &Path) -> PathBuf {
    state.parent().unwrap_or(Path::new(".")).join("review.json")
}

impl Held {
    pub fn load(path: &Path) -> Result<Held, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                format!("`{}` cannot be read ({e}); delete it to propose the waiting values again", path.display())
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Held::default()),
            Err(e) => Err(format!("cannot read `{}`: {e}", path.display())),
        }
    }

    /// Written whole to a temporary file, then renamed over the old one.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        }
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).expect("serializes");
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
    }

    /// Values still waiting (not rejected).
    pub fn waiting(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| !e.rejected)
    }

    fn upsert(&mut self, entry: Entry) {
        match self.entries.iter_mut().find(|e| e.key() == entry.key()) {
            Some(e) => *e = entry,
            None => self.entries.push(entry),
        }
        self.entries.sort_by(|a, b| a.key().cmp(&b.key()));
    }
}

/// Plans a run in review mode: the waiting values are brought up to date with what the targets
/// listed (changed again, or changed back), new inbound values become waiting ones, and the plan
/// leaves all of them alone. Returns the plan and the values proposed or changed in this run.
pub fn plan(input: &mut PlanInput, held: &mut Held) -> (Plan, Vec<Entry>) {
    let mut proposed = refresh(input, held);
    mask(input, held);
    let first = crate::reconcile::plan::plan(input);
    for action in &first.actions {
        let Action::UpdateCanonical { id, changes, from } = action else { continue };
        for (field, value) in changes {
            for t in input.targets.iter().filter(|t| from.contains(&t.name)) {
                let Some(link) = t.links.get(id) else { continue };
                let shown = t.listed.get(&link.remote_id).and_then(|r| r.fields.get(field));
                let base = link.base.get(field);
                if shown == Some(value) && base != Some(value) {
                    let base = base.cloned().or_else(|| canonical(input, id, field)).unwrap_or_default();
                    proposed.push(Entry {
                        target: t.name.clone(),
                        item: id.to_string(),
                        field: field.clone(),
                        value: value.clone(),
                        base,
                        rejected: false,
                    });
                }
            }
        }
    }
    let new = proposed.iter().any(|e| !held.entries.iter().any(|h| h.key() == e.key()));
    if !new {
        return (first, proposed);
    }
    for e in proposed.iter().filter(|e| e.value != e.base) {
        held.upsert(e.clone());
    }
    mask(input, held);
    (crate::reconcile::plan::plan(input), proposed)
}

fn canonical(input: &PlanInput, id: &ItemId, field: &str) -> Option<String> {
    input.items.iter().find(|i| &i.id == id).and_then(|i| i.fields.get(field).cloned())
}

/// Drops values the target changed back (or whose link is gone, or whose conflict a person
/// resolved) and follows values the target changed again. Returns what the review branch must
/// now say: the new value, or the base for a value changed back.
fn refresh(input: &PlanInput, held: &mut Held) -> Vec<Entry> {
    let mut writes = Vec::new();
    held.entries.retain_mut(|e| {
        let Some(t) = input.targets.iter().find(|t| t.name == e.target) else { return true };
        let Ok(id) = e.item.parse::<ItemId>() else { return false };
        let Some(link) = t.links.get(&id) else { return false };
        if e.rejected {
            // `resolve` closed the conflict (and set the base): the normal merge takes over.
            return link.conflicts.contains_key(&e.field);
        }
        let Some(now) = t.listed.get(&link.remote_id).and_then(|r| r.fields.get(&e.field)) else { return true };
        if *now == e.value {
            return true;
        }
        let back = link.base.get(&e.field) == Some(now);
        e.value = now.clone();
        writes.push(Entry { value: if back { e.base.clone() } else { now.clone() }, ..e.clone() });
        !back
    });
    writes
}

/// Shows the merge each held field as described in the module's comment.
fn mask(input: &mut PlanInput, held: &Held) {
    let files: BTreeMap<&ItemId, &FieldMap> = input.items.iter().map(|i| (&i.id, &i.fields)).collect();
    let kinds: BTreeMap<ItemId, crate::model::Kind> = input.items.iter().map(|i| (i.id.clone(), i.kind)).collect();
    let mut shown: Vec<(usize, ItemId, String, String, bool)> = Vec::new();
    for e in &held.entries {
        let Ok(id) = e.item.parse::<ItemId>() else { continue };
        let Some(file) = files.get(&id) else { continue };
        let Some(ti) = input.targets.iter().position(|t| t.name == e.target) else { continue };
        let Some(link) = input.targets[ti].links.get(&id) else { continue };
        let Some(c) = file.get(&e.field) else { continue };
        let b = link.base.get(&e.field).unwrap_or(c);
        if c == b {
            shown.push((ti, id, e.field.clone(), b.clone(), e.rejected));
        } else {
            shown.push((ti, id, e.field.clone(), e.value.clone(), e.rejected));
        }
    }
    for (ti, id, field, value, rejected) in shown {
        let t: &mut TargetInput = &mut input.targets[ti];
        let Some(link) = t.links.get_mut(&id) else { continue };
        if rejected {
            // Its conflict stays open in the store: not taken as settled by this run's merge.
            link.conflicts.remove(&field);
        }
        let remote_id = link.remote_id.clone();
        let listed = t.listed.entry(remote_id.clone()).or_insert_with(|| RemoteItem {
            remote_id,
            kind: kinds.get(&id).copied(),
            fields: FieldMap::new(),
            marker: None,
            updated_at: None,
        });
        listed.fields.insert(field, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConflictPolicy, MaxRemovals};
    use crate::reconcile::merge::Policies;
    use crate::reconcile::plan::{CanonicalItem, LinkView};

    fn fields(pairs: &[(&str, &str)]) -> FieldMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// ST-1 linked on github (#1) and boards (7); `title` in the file, base and each listing.
    fn input(file: &str, base: &str, github: Option<&str>, boards: Option<&str>) -> PlanInput {
        let id: ItemId = "ST-1".parse().unwrap();
        let target = |name: &str, rid: &str, listed: Option<&str>| TargetInput {
            name: name.into(),
            links: [(
                id.clone(),
                LinkView {
                    remote_id: rid.into(),
                    base: fields(&[("title", base)]),
                    conflicts: BTreeMap::new(),
                    file_owner: None,
                },
            )]
            .into(),
            listed: listed
                .map(|v| {
                    (
                        rid.to_string(),
                        RemoteItem {
                            remote_id: rid.into(),
                            kind: Some(crate::model::Kind::Story),
                            fields: fields(&[("title", v)]),
                            marker: None,
                            updated_at: None,
                        },
                    )
                })
                .into_iter()
                .collect(),
            ..TargetInput::default()
        };
        PlanInput {
            items: vec![CanonicalItem {
                id: id.clone(),
                kind: crate::model::Kind::Story,
                fields: fields(&[("title", file)]),
                modified: None,
            }],
            unreadable: Default::default(),
            targets: vec![target("boards", "7", boards), target("github", "1", github)],
            policies: Policies::uniform(ConflictPolicy::Manual),
            max_removals: MaxRemovals::Count(100),
            allow_mass_removal: false,
            next_ids: BTreeMap::new(),
        }
    }

    fn entry(value: &str, base: &str) -> Entry {
        Entry {
            target: "github".into(),
            item: "ST-1".into(),
            field: "title".into(),
            value: value.into(),
            base: base.into(),
            rejected: false,
        }
    }

    #[test]
    fn a_new_inbound_value_waits_and_goes_nowhere() {
        let mut held = Held::default();
        let (planned, proposed) = super::plan(&mut input("Old", "Old", Some("New"), None), &mut held);
        assert_eq!(proposed, vec![entry("New", "Old")]);
        assert_eq!(held.entries, proposed);
        assert!(planned.actions.is_empty(), "neither the file nor boards nor the base move: {:?}", planned.actions);
    }

    #[test]
    fn a_waiting_value_is_not_overwritten_by_the_files_old_value_in_a_later_run() {
        let mut held = Held { pull_request: Some(3), entries: vec![entry("New", "Old")] };
        // Not listed this run (incremental), and listed again unchanged: nothing either way.
        for listed in [None, Some("New")] {
            let (planned, proposed) = super::plan(&mut input("Old", "Old", listed, None), &mut held);
            assert!(planned.actions.is_empty() && proposed.is_empty(), "{listed:?}: {:?}", planned.actions);
        }
        assert_eq!(held.entries, vec![entry("New", "Old")]);
    }

    #[test]
    fn a_value_changed_again_is_followed_and_one_changed_back_is_dropped() {
        let mut held = Held { pull_request: Some(3), entries: vec![entry("New", "Old")] };
        let (planned, _) = super::plan(&mut input("Old", "Old", Some("Newer"), None), &mut held);
        assert!(planned.actions.is_empty(), "{:?}", planned.actions);
        assert_eq!(held.entries, vec![entry("Newer", "Old")]);
        let (planned, _) = super::plan(&mut input("Old", "Old", Some("Old"), None), &mut held);
        assert!(planned.actions.is_empty(), "{:?}", planned.actions);
        assert!(held.entries.is_empty());
    }

    #[test]
    fn a_file_edit_against_a_waiting_value_is_a_conflict_not_an_overwrite() {
        let mut held = Held { pull_request: Some(3), entries: vec![entry("New", "Old")] };
        let (planned, _) = super::plan(&mut input("Mine", "Old", None, None), &mut held);
        assert!(
            !planned.actions.iter().any(|a| matches!(a, Action::UpdateRemote { target, .. } if target == "github")),
            "the file's value is not pushed over the tracker's: {:?}",
            planned.actions
        );
        assert_eq!(planned.conflicts.len(), 1, "{:?}", planned.conflicts);
        assert_eq!(
            (planned.conflicts[0].conflict.canonical.as_str(), planned.conflicts[0].conflict.remote.as_str()),
            ("Mine", "New")
        );
    }

    #[test]
    fn a_rejected_value_keeps_its_conflict_open_until_it_is_resolved() {
        let mut rejected = entry("New", "Old");
        rejected.rejected = true;
        let mut held = Held { pull_request: None, entries: vec![rejected.clone()] };
        let mut open = input("Old", "Old", None, None);
        open.targets[1].links.values_mut().for_each(|l| {
            l.conflicts.insert("title".into(), "New".into());
        });
        let (planned, _) = super::plan(&mut open, &mut held);
        assert!(planned.actions.is_empty(), "no write, and the stored conflict is not closed: {:?}", planned.actions);
        assert_eq!(held.entries, vec![rejected]);
        // `resolve` closed it: the entry goes, the normal merge takes over.
        let (_, _) = super::plan(&mut input("Old", "New", None, None), &mut held);
        assert!(held.entries.is_empty());
    }
}
