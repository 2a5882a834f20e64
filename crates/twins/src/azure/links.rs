//! Work item links across items: checks a write's link changes (targets exist, no duplicates, one
//! parent per child, no hierarchy cycles) and plans the other end of each added or removed link,
//! since the service shows every link on both items.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::errors::AzureError;
use super::relations::{self, CHILD, PARENT};
use super::store::{Relation, Store};

/// A change to the other end of a link.
#[derive(Debug, Clone, PartialEq)]
pub enum OtherEnd {
    /// Add this relation to the target item.
    Add(Relation),
    /// Remove the relation of this type pointing back at the writer.
    Remove {
        /// Relation type on the target's side.
        rel: String,
    },
}

/// The other ends to change, per target item.
pub type Plan = BTreeMap<i64, Vec<OtherEnd>>;

fn key(relation: &Relation) -> Option<(String, i64)> {
    let def = relations::find(&relation.rel)?;
    if !def.is_work_item_link() {
        return None;
    }
    Some((def.reference_name.to_string(), relation.target_id()?))
}

/// The parent a stored item has, by its `Hierarchy-Reverse` link.
pub fn parent_of(relations: &[Relation]) -> Option<i64> {
    relations.iter().find(|r| r.rel == PARENT).and_then(Relation::target_id)
}

/// Checks the link changes of item `id` going from `before` to `after` and plans the other ends.
pub fn plan(
    store: &Store,
    id: i64,
    before: &[Relation],
    after: &[Relation],
    now: DateTime<Utc>,
) -> Result<Plan, AzureError> {
    let before_keys: BTreeSet<_> = before.iter().filter_map(key).collect();
    let mut after_keys = BTreeSet::new();
    for relation in after {
        if let Some(k) = key(relation)
            && !after_keys.insert(k.clone())
        {
            return Err(AzureError::DuplicateLink { source_id: id, target_id: k.1 });
        }
    }
    let parents: Vec<i64> = after_keys.iter().filter(|(rel, _)| rel == PARENT).map(|(_, t)| *t).collect();
    if parents.len() > 1 {
        return Err(AzureError::ExtraParent { end: "Parent", source_id: id, target_id: parents[1] });
    }

    let mut plan = Plan::new();
    let mut overrides: BTreeMap<i64, Option<i64>> = BTreeMap::new();
    overrides.insert(id, parents.first().copied());
    for relation in after.iter().filter(|r| key(r).is_some_and(|k| !before_keys.contains(&k))) {
        let (rel, target) = key(relation).expect("filtered on key");
        if target == id {
            return Err(AzureError::CircularLink { source_id: id, target_id: target });
        }
        let other = store.live(target, None).map_err(|_| AzureError::LinkTargetNotFound { id: target })?;
        if rel == CHILD {
            if parent_of(&other.current().relations).is_some_and(|p| p != id) {
                return Err(AzureError::ExtraParent { end: "Child", source_id: id, target_id: target });
            }
            overrides.insert(target, Some(id));
        }
        let def = relations::find(&rel).expect("known relation");
        let opposite = relations::find(def.opposite.expect("work item links have an opposite")).expect("known");
        let comment = relation.attributes.get("comment").map(|c| serde_json::json!({ "comment": c }));
        let attributes = relations::new_attributes(opposite, comment.as_ref(), now, 0);
        let back = Relation { rel: opposite.reference_name.to_string(), url: store.work_item_url(id), attributes };
        plan.entry(target).or_default().push(OtherEnd::Add(back));
    }
    for (rel, target) in before_keys.difference(&after_keys) {
        if rel == CHILD {
            overrides.insert(*target, None);
        }
        let def = relations::find(rel).expect("known relation");
        if store.live(*target, None).is_ok() {
            let opposite = def.opposite.expect("work item links have an opposite").to_string();
            plan.entry(*target).or_default().push(OtherEnd::Remove { rel: opposite });
        }
    }
    check_cycles(store, id, &overrides)?;
    Ok(plan)
}

fn check_cycles(store: &Store, id: i64, overrides: &BTreeMap<i64, Option<i64>>) -> Result<(), AzureError> {
    let parent = |node: i64| -> Option<i64> {
        match overrides.get(&node) {
            Some(p) => *p,
            None => store.items.get(&node).and_then(|i| parent_of(&i.current().relations)),
        }
    };
    for start in overrides.keys().copied() {
        let mut seen = BTreeSet::from([start]);
        let mut node = start;
        while let Some(up) = parent(node) {
            if !seen.insert(up) {
                let (source_id, target_id) = if start == id { (id, parent(id).unwrap_or(id)) } else { (id, start) };
                return Err(AzureError::CircularLink { source_id, target_id });
            }
            node = up;
        }
    }
    Ok(())
}

/// Applies the planned changes to one target's relations; answers whether anything changed.
pub fn apply_other_end(relations: &mut Vec<Relation>, source_url: &str, changes: &[OtherEnd]) -> bool {
    let mut changed = false;
    for change in changes {
        match change {
            OtherEnd::Add(relation) => {
                if !relations.iter().any(|r| r.rel == relation.rel && r.url.eq_ignore_ascii_case(&relation.url)) {
                    relations.push(relation.clone());
                    changed = true;
                }
            }
            OtherEnd::Remove { rel } => {
                let before = relations.len();
                relations.retain(|r| !(r.rel == *rel && r.url.eq_ignore_ascii_case(source_url)));
                changed |= relations.len() != before;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::process::Process;
    use crate::azure::store::{Snapshot, WorkItem};
    use serde_json::Map;

    fn link(rel: &str, target: i64) -> Relation {
        Relation { rel: rel.into(), url: format!("http://t/o/_apis/wit/workItems/{target}"), attributes: Map::new() }
    }

    fn store(items: &[(i64, Vec<Relation>)]) -> Store {
        let mut store = Store::new("o", "http://t/o", &[("P".into(), Process::Agile)]);
        for (id, relations) in items {
            let snapshot = Snapshot { rev: 1, relations: relations.clone(), ..Snapshot::default() };
            store
                .items
                .insert(*id, WorkItem { id: *id, project: "P".into(), revisions: vec![snapshot], deleted: None });
        }
        store
    }

    #[test]
    fn adding_a_parent_plans_the_child_link_on_the_parent() {
        let s = store(&[(1, vec![]), (2, vec![])]);
        let plan = plan(&s, 2, &[], &[link(PARENT, 1)], Utc::now()).unwrap();
        let OtherEnd::Add(back) = &plan[&1][0] else { panic!("expected an add") };
        assert_eq!(back.rel, CHILD);
        assert_eq!(back.target_id(), Some(2));
        let removal = super::plan(&s, 2, &[link(PARENT, 1)], &[], Utc::now()).unwrap();
        assert_eq!(removal[&1], vec![OtherEnd::Remove { rel: CHILD.into() }]);
    }

    #[test]
    fn refuses_second_parents_cycles_duplicates_and_missing_targets() {
        let s =
            store(&[(1, vec![link(CHILD, 3)]), (2, vec![]), (3, vec![link(PARENT, 1)]), (4, vec![link(PARENT, 3)])]);
        let cases: Vec<(i64, Vec<Relation>, Vec<Relation>, &str)> = vec![
            (2, vec![], vec![link(PARENT, 1), link(PARENT, 3)], "TF201036"),
            (2, vec![], vec![link(CHILD, 3)], "TF201036"),
            (1, vec![link(CHILD, 3)], vec![link(CHILD, 3), link(PARENT, 4)], "TF201063"),
            (4, vec![link(PARENT, 3)], vec![link(PARENT, 3), link(CHILD, 1)], "TF201063"),
            (2, vec![], vec![link("System.LinkTypes.Related", 1), link("System.LinkTypes.Related", 1)], "TF201035"),
            (2, vec![], vec![link("System.LinkTypes.Related", 99)], "TF401232"),
            (2, vec![], vec![link("System.LinkTypes.Related", 2)], "TF201063"),
        ];
        for (id, before, after, code) in cases {
            let err = plan(&s, id, &before, &after, Utc::now()).unwrap_err();
            assert!(err.to_string().starts_with(code), "{id}: {err}");
        }
    }

    #[test]
    fn other_end_changes_are_idempotent() {
        let mut relations = vec![link(CHILD, 2)];
        let url = "http://t/o/_apis/wit/workItems/2";
        assert!(!apply_other_end(&mut relations, url, &[OtherEnd::Add(link(CHILD, 2))]));
        assert!(apply_other_end(&mut relations, url, &[OtherEnd::Remove { rel: CHILD.into() }]));
        assert!(relations.is_empty());
    }
}
