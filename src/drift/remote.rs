//! Remote drift, pure over a snapshot: open conflicts, items a remote refused, remote orphans, links whose remote item
//! vanished, owners with no identity, and items whose state differs between targets.

use std::collections::{BTreeMap, BTreeSet};

use super::Finding;
use crate::model::ItemId;

/// One target's side of the snapshot.
#[derive(Debug, Clone, Default)]
pub struct TargetSnapshot {
    pub name: String,
    /// item id → remote id
    pub links: BTreeMap<String, String>,
    /// Every remote backlog item listed: remote id → (marker, state, title).
    pub listed: BTreeMap<String, (Option<ItemId>, String, String)>,
    /// Linked remote ids confirmed gone.
    pub vanished: BTreeSet<String>,
    /// Remote id → the milestone the remote item is on (`""`: none), where the target carries one.
    pub milestones: BTreeMap<String, String>,
}

/// An open manual conflict.
#[derive(Debug, Clone)]
pub struct OpenConflict {
    pub target: String,
    pub item: String,
    pub field: String,
    pub canonical: String,
    pub remote: String,
}

/// Everything remote drift is computed from.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub targets: Vec<TargetSnapshot>,
    pub conflicts: Vec<OpenConflict>,
    /// Items a remote refused for good, kept by the store until they sync (`sync-item-refused`).
    pub refused: Vec<crate::store::StoredRefusal>,
    /// Owners that have no entry in `mappings/identities.toml`.
    pub unknown_owners: Vec<UnknownOwner>,
    /// What targets cannot hold as it is and sync adapts (tags, cut bodies, owners).
    pub adapted: Vec<crate::mapping::adapt::Adaptation>,
    /// Remote items carrying our marker that were not adopted (`marker-not-adopted`).
    pub not_adopted: Vec<crate::reconcile::trust::NotAdopted>,
}

/// An item's owner with no identity, and where the `owner:` line is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownOwner {
    pub item: String,
    pub owner: String,
    pub path: Option<std::path::PathBuf>,
    pub line: Option<usize>,
}

/// The remote drift findings.
pub fn remote_findings(s: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in &s.conflicts {
        out.push(Finding::new(
            "sync-conflict",
            Some(c.item.clone()),
            format!(
                "`{}` field `{}`: the file says {:?}, `{}` says {:?}",
                c.item, c.field, c.canonical, c.target, c.remote
            ),
        ));
    }
    for r in &s.refused {
        let status = r.status.map(|c| format!(" (HTTP {c})")).unwrap_or_default();
        out.push(Finding::new(
            crate::reconcile::refusal::RULE,
            Some(r.item_id.clone()),
            format!(
                "`{}` is refused by `{}`{status}: {}; refused {} time(s) since {}",
                r.item_id,
                r.target,
                r.message,
                r.attempts,
                r.first_seen.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    for n in &s.not_adopted {
        out.push(Finding::new(crate::reconcile::trust::RULE, Some(n.item.to_string()), n.to_string()));
    }
    for t in &s.targets {
        let linked: BTreeSet<&String> = t.links.values().collect();
        for (remote_id, (marker, _, title)) in &t.listed {
            if linked.contains(remote_id) {
                continue;
            }
            let what = match marker {
                Some(id) => format!("carries the marker of `{id}` but is not linked to it"),
                None => "has a backlog type but is linked to no item".to_string(),
            };
            out.push(Finding::new(
                "remote-orphan",
                marker.as_ref().map(|m| m.to_string()),
                format!("`{}` #{remote_id} {:?} {what}", t.name, title),
            ));
        }
        for (item, remote_id) in &t.links {
            if t.vanished.contains(remote_id) {
                out.push(Finding::new(
                    "remote-missing",
                    Some(item.clone()),
                    format!("`{item}` is linked to `{}` #{remote_id}, which no longer exists", t.name),
                ));
            }
        }
    }
    for a in &s.adapted {
        out.push(
            Finding::new(a.rule, Some(a.item.clone()), format!("`{}` on `{}`: {}", a.item, a.target, a.message))
                .with_hint(a.hint.clone()),
        );
    }
    for u in &s.unknown_owners {
        let (item, owner) = (&u.item, &u.owner);
        out.push(
            Finding::new(
                "unknown-identity",
                Some(item.clone()),
                format!("`{item}`: owner `{owner}` has no entry in `mappings/identities.toml`"),
            )
            .at(u.path.clone(), u.line),
        );
    }
    let mut states: BTreeMap<&String, Vec<(&str, &str)>> = BTreeMap::new();
    for t in &s.targets {
        for (item, remote_id) in &t.links {
            if let Some((_, state, _)) = t.listed.get(remote_id) {
                states.entry(item).or_default().push((t.name.as_str(), state.as_str()));
            }
        }
    }
    let mut on: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for t in &s.targets {
        for (item, remote_id) in &t.links {
            if let Some(m) = t.milestones.get(remote_id) {
                on.entry(t.name.clone()).or_default().insert(item.clone(), m.clone());
            }
        }
    }
    out.extend(super::milestones::check_targets(&on));
    for (item, seen) in states {
        if seen.iter().any(|(_, s)| *s != seen[0].1) {
            let list: Vec<String> = seen.iter().map(|(t, s)| format!("{s} on `{t}`")).collect();
            out.push(Finding::new("state-mismatch", Some(item.clone()), format!("`{item}` is {}", list.join(", "))));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_remote_drift_is_found() {
        let t = |name: &str, state: &str| TargetSnapshot {
            name: name.into(),
            links: [("ST-1".to_string(), "1".to_string()), ("ST-2".to_string(), "2".to_string())].into(),
            listed: [
                ("1".to_string(), (None, state.to_string(), "one".to_string())),
                ("9".to_string(), (None, "new".to_string(), "stray".to_string())),
            ]
            .into(),
            vanished: ["2".to_string()].into(),
            milestones: BTreeMap::new(),
        };
        let snapshot = Snapshot {
            targets: vec![t("boards", "active"), t("github", "resolved")],
            conflicts: vec![OpenConflict {
                target: "github".into(),
                item: "ST-1".into(),
                field: "title".into(),
                canonical: "a".into(),
                remote: "b".into(),
            }],
            refused: vec![crate::store::StoredRefusal {
                target: "github".into(),
                item_id: "ST-3".into(),
                status: Some(422),
                message: "Validation Failed".into(),
                hint: "shorten the tag".into(),
                first_seen: chrono::Utc::now(),
                last_seen: chrono::Utc::now(),
                attempts: 2,
                next_try: chrono::Utc::now(),
                fingerprint: String::new(),
            }],
            unknown_owners: vec![UnknownOwner {
                item: "ST-1".into(),
                owner: "zed@x".into(),
                path: Some("stories/ST-1.md".into()),
                line: Some(9),
            }],
            adapted: Vec::new(),
            not_adopted: vec![crate::reconcile::trust::NotAdopted {
                rule: crate::reconcile::trust::RULE,
                target: "github".into(),
                remote_id: "7".into(),
                item: "ST-4".parse().unwrap(),
                why: crate::reconcile::trust::Why::NotOurs { creator: "mallory".into() },
                url: None,
            }],
        };
        let rules: Vec<String> = remote_findings(&snapshot)
            .into_iter()
            .map(|f| format!("{} {}", f.rule, f.item.unwrap_or_default()))
            .collect();
        assert_eq!(
            rules,
            [
                "sync-conflict ST-1",
                "sync-item-refused ST-3",
                "marker-not-adopted ST-4",
                "remote-orphan ",
                "remote-missing ST-2",
                "remote-orphan ",
                "remote-missing ST-2",
                "unknown-identity ST-1",
                "state-mismatch ST-1"
            ]
        );
    }

    #[test]
    fn unknown_identity_points_at_the_items_owner_line() {
        let s = Snapshot {
            unknown_owners: vec![UnknownOwner {
                item: "ST-1".into(),
                owner: "zed@x".into(),
                path: Some("stories/ST-1.md".into()),
                line: Some(9),
            }],
            ..Snapshot::default()
        };
        let f = remote_findings(&s);
        assert_eq!(f[0].rule, "unknown-identity");
        assert_eq!((f[0].path.as_deref(), f[0].line), (Some(std::path::Path::new("stories/ST-1.md")), Some(9)));
        let github = crate::drift::report::render(&f, crate::drift::report::Format::Github, false);
        assert!(github.starts_with("::warning file=stories/ST-1.md,line=9,"), "{github}");
    }
}
