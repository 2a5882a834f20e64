//! Table tests of the planner: one scenario per behaviour the sync promises.

use std::collections::{BTreeMap, BTreeSet};

use super::merge::{Policies, Settled};
use super::plan::*;
use crate::config::{ConflictPolicy, MaxRemovals};
use crate::mapping::FieldMap;
use crate::model::{ItemId, Kind};

fn id(s: &str) -> ItemId {
    s.parse().unwrap()
}

fn fields(pairs: &[(&str, &str)]) -> FieldMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn item(i: &str, title: &str) -> CanonicalItem {
    CanonicalItem {
        id: id(i),
        kind: Kind::Story,
        fields: fields(&[("title", title), ("state", "new")]),
        modified: None,
    }
}

fn remote(rid: &str, title: &str) -> RemoteItem {
    RemoteItem {
        remote_id: rid.into(),
        kind: Some(Kind::Story),
        fields: fields(&[("title", title), ("state", "new")]),
        marker: None,
        updated_at: None,
    }
}

fn link(rid: &str, title: &str) -> LinkView {
    LinkView { remote_id: rid.into(), base: fields(&[("title", title), ("state", "new")]), conflicts: BTreeMap::new() }
}

fn input(items: Vec<CanonicalItem>, targets: Vec<TargetInput>) -> PlanInput {
    PlanInput {
        items,
        unreadable: BTreeSet::new(),
        targets,
        policies: Policies::uniform(ConflictPolicy::Manual),
        max_removals: MaxRemovals::Percent(10.0),
        allow_mass_removal: false,
        next_ids: [(Kind::Story, id("ST-10"))].into(),
    }
}

fn target(name: &str, links: &[(&str, LinkView)], listed: &[RemoteItem]) -> TargetInput {
    TargetInput {
        name: name.into(),
        links: links.iter().map(|(i, l)| (id(i), l.clone())).collect(),
        listed: listed.iter().map(|r| (r.remote_id.clone(), r.clone())).collect(),
        vanished: BTreeSet::new(),
        uncarried: BTreeMap::new(),
        creating: BTreeSet::new(),
    }
}

fn kinds(p: &Plan) -> Vec<String> {
    p.actions.iter().map(|a| serde_json::to_value(a).unwrap()["action"].as_str().unwrap().to_string()).collect()
}

#[test]
fn unlinked_items_are_created_epics_first() {
    let mut epic = item("EP-1", "Epic");
    epic.kind = Kind::Epic;
    let p = plan(&input(vec![item("ST-1", "a"), epic], vec![target("gh", &[], &[])]));
    assert_eq!(kinds(&p), ["create-remote", "create-remote"]);
    assert!(matches!(&p.actions[0], Action::CreateRemote { kind: Kind::Epic, .. }));
}

#[test]
fn nothing_changed_means_an_empty_plan() {
    let p = plan(&input(vec![item("ST-1", "a")], vec![target("gh", &[("ST-1", link("7", "a"))], &[remote("7", "a")])]));
    assert!(p.actions.is_empty(), "{:?}", p.actions);
    let p = plan(&input(vec![item("ST-1", "a")], vec![target("gh", &[("ST-1", link("7", "a"))], &[])]));
    assert!(p.actions.is_empty(), "an unlisted remote is unchanged");
}

#[test]
fn a_remote_edit_flows_into_the_file_and_on_to_the_other_target() {
    let p = plan(&input(
        vec![item("ST-1", "a")],
        vec![
            target("boards", &[("ST-1", link("42", "a"))], &[remote("42", "b")]),
            target("gh", &[("ST-1", link("7", "a"))], &[]),
        ],
    ));
    assert_eq!(kinds(&p), ["update-canonical", "update-remote", "rebase"]);
    assert!(
        matches!(&p.actions[0], Action::UpdateCanonical { changes, from, .. } if changes["title"] == "b" && from == &["boards"])
    );
    assert!(
        matches!(&p.actions[1], Action::UpdateRemote { target, changes, .. } if target == "gh" && changes["title"] == "b")
    );
    assert!(matches!(&p.actions[2], Action::Rebase { target, base, .. } if target == "boards" && base["title"] == "b"));
}

#[test]
fn a_manual_conflict_holds_both_sides_across_runs_until_they_agree() {
    let mut canonical = item("ST-1", "mine");
    let t = target("gh", &[("ST-1", link("7", "a"))], &[remote("7", "theirs")]);
    let p = plan(&input(vec![canonical.clone()], vec![t]));
    assert_eq!(kinds(&p), ["conflicts"]);
    assert_eq!(p.conflicts[0].conflict.settled, Settled::Manual);

    // Next incremental run: the remote is not listed again; the stored conflict still holds it.
    let mut l = link("7", "a");
    l.conflicts.insert("title".into(), "theirs".into());
    let p = plan(&input(vec![canonical.clone()], vec![target("gh", &[("ST-1", l.clone())], &[])]));
    assert_eq!(kinds(&p), ["conflicts"], "nothing is pushed over the remote's edit");

    // A person makes the file agree: the conflict closes and the base moves.
    canonical.fields.insert("title".into(), "theirs".into());
    let p = plan(&input(vec![canonical], vec![target("gh", &[("ST-1", l)], &[])]));
    assert_eq!(kinds(&p), ["rebase", "conflicts"]);
    assert!(matches!(&p.actions[1], Action::Conflicts { open, .. } if open.is_empty()));
}

#[test]
fn policies_settle_conflicts() {
    for (policy, want) in
        [(ConflictPolicy::CanonicalWins, ["update-remote"]), (ConflictPolicy::RemoteWins, ["update-canonical"])]
    {
        let mut inp = input(
            vec![item("ST-1", "mine")],
            vec![target("gh", &[("ST-1", link("7", "a"))], &[remote("7", "theirs")])],
        );
        inp.policies = Policies::uniform(policy);
        let p = plan(&inp);
        let k = kinds(&p);
        assert!(k.contains(&want[0].to_string()), "{policy:?}: {k:?}");
        assert_eq!(p.conflicts.len(), 1);
    }
}

#[test]
fn a_deleted_file_closes_its_remote_and_the_guard_stops_mass_removal() {
    let links: Vec<(String, LinkView)> = (1..=20).map(|n| (format!("ST-{n}"), link(&n.to_string(), "t"))).collect();
    let links_ref: Vec<(&str, LinkView)> = links.iter().map(|(i, l)| (i.as_str(), l.clone())).collect();
    let items: Vec<CanonicalItem> = (2..=20).map(|n| item(&format!("ST-{n}"), "t")).collect();
    let p = plan(&input(items, vec![target("gh", &links_ref, &[])]));
    assert_eq!(kinds(&p), ["close-remote"]);
    assert_eq!((p.removals, p.removal_limit), (1, 2));

    let p = plan(&input(vec![], vec![target("gh", &links_ref, &[])]));
    assert!(p.blocked.as_deref().unwrap().contains("--allow-mass-removal"));
    assert!(p.actions.is_empty(), "a blocked run changes nothing");
}

#[test]
fn an_unreadable_file_is_never_a_deletion() {
    let mut inp = input(vec![], vec![target("gh", &[("ST-1", link("7", "a"))], &[])]);
    inp.unreadable.insert(id("ST-1"));
    let p = plan(&inp);
    assert!(p.actions.is_empty() && p.blocked.is_none(), "{p:?}");
}

#[test]
fn a_remote_deletion_marks_the_item_removed() {
    let mut t = target("gh", &[("ST-1", link("7", "a"))], &[]);
    t.vanished.insert("7".into());
    let mut inp = input(vec![item("ST-1", "a")], vec![t]);
    inp.max_removals = MaxRemovals::Count(5);
    assert_eq!(kinds(&plan(&inp)), ["mark-removed"]);
}

#[test]
fn unlinked_typed_issues_are_imported_with_the_next_id_and_marked_ones_adopted() {
    let mut marked = remote("8", "a");
    marked.marker = Some(id("ST-1"));
    let mut untyped = remote("9", "not a backlog item");
    untyped.kind = None;
    let p = plan(&input(
        vec![item("ST-1", "a")],
        vec![
            target("gh", &[], &[remote("5", "new one"), marked, untyped]),
            target("boards", &[("ST-1", link("1", "a"))], &[]),
        ],
    ));
    assert_eq!(kinds(&p), ["import", "adopt", "create-remote"]);
    assert!(
        matches!(&p.actions[0], Action::Import { id, remote_id, .. } if id.to_string() == "ST-10" && remote_id == "5")
    );
    assert!(
        matches!(&p.actions[2], Action::CreateRemote { target, id, .. } if target == "boards" && id.to_string() == "ST-10")
    );
}

#[test]
fn an_update_never_carries_a_held_field_to_the_remote() {
    let mut canonical = item("ST-1", "mine");
    canonical.fields.insert("state".into(), "active".into());
    let p = plan(&input(vec![canonical], vec![target("gh", &[("ST-1", link("7", "a"))], &[remote("7", "theirs")])]));
    let update = p.actions.iter().find_map(|a| match a {
        Action::UpdateRemote { changes, fields, .. } => Some((changes.clone(), fields.clone())),
        _ => None,
    });
    let (changes, fields) = update.expect("the state change goes out");
    assert_eq!(changes, fields_of(&[("state", "active")]));
    assert_eq!(fields["title"], "theirs", "the held title keeps the remote's value");
}

fn fields_of(pairs: &[(&str, &str)]) -> FieldMap {
    fields(pairs)
}

#[test]
fn newest_wins_between_two_targets_compares_their_edit_times() {
    use chrono::TimeZone;
    let at = |s: i64| Some(chrono::Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap());
    let mut canonical = item("ST-1", "a");
    canonical.modified = at(0);
    for (first_time, second_time, want) in [(10, 20, "from-second"), (20, 10, "from-first")] {
        let mut r1 = remote("1", "from-first");
        r1.updated_at = at(first_time);
        let mut r2 = remote("2", "from-second");
        r2.updated_at = at(second_time);
        let mut inp = input(
            vec![canonical.clone()],
            vec![
                target("boards", &[("ST-1", link("1", "a"))], &[r1]),
                target("gh", &[("ST-1", link("2", "a"))], &[r2]),
            ],
        );
        inp.policies = Policies::uniform(ConflictPolicy::NewestWins);
        let p = plan(&inp);
        let title = p.actions.iter().find_map(|a| match a {
            Action::UpdateCanonical { changes, .. } => changes.get("title").cloned(),
            _ => None,
        });
        assert_eq!(title.as_deref(), Some(want), "edits at {first_time} and {second_time}");
    }
}
