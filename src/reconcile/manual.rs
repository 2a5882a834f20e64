//! Which fields of one item are in a `manual` conflict in a run, across every target at once:
//! while a field is in conflict the file keeps its value and no target's value of it is taken,
//! and every target that changed it keeps its own, each named by a conflict.

use std::collections::{BTreeMap, BTreeSet};

use super::merge::Policies;
use crate::config::ConflictPolicy;
use crate::mapping::FieldMap;

/// One target's side of an item, as far as conflicts go.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub target: &'a str,
    /// What the remote holds now.
    pub view: &'a FieldMap,
    /// What the file and this target last agreed on; `None`: unknown (a link found again after
    /// the state was lost). A field missing from a known base agrees with the file.
    pub base: Option<&'a FieldMap>,
    /// Fields whose conflict on this target is still open from an earlier run.
    pub open: Option<&'a BTreeMap<String, String>>,
    /// Fields this target cannot carry now: it never holds a value of its own for them.
    pub uncarried: Option<&'a BTreeSet<String>>,
}

impl Seen<'_> {
    /// The value this target changed `field` to, when it differs from the file's `canonical`
    /// and from its base (or the base is unknown).
    fn changed(&self, field: &str, canonical: &str) -> Option<&String> {
        if self.uncarried.is_some_and(|u| u.contains(field)) {
            return None;
        }
        let r = self.view.get(field)?;
        let differs_from_base = match self.base {
            Some(base) => r.as_str() != base.get(field).map_or(canonical, String::as_str),
            None => true,
        };
        // A conflict still open here on the value it still shows stays this target's change: a
        // conflict found with no base (a link found again after the state was lost) stores what
        // the target showed as the field's base, so showing it still is no agreement with the
        // file; the next run took the file's value and settled the conflict nobody had settled
        // (finding 64).
        let still_open = self.open.is_some_and(|o| o.get(field) == Some(r));
        (r != canonical && (differs_from_base || still_open)).then_some(r)
    }

    /// Whether the file changed `field` since this target's base (or the base is unknown).
    fn file_changed(&self, field: &str, canonical: &str) -> bool {
        self.base.is_none_or(|base| base.get(field).is_some_and(|b| b != canonical))
    }
}

/// The fields under `manual` that are in conflict in this run: field → (target → the value it
/// keeps). A field is in conflict when a target changed it and the file changed it too (since
/// that target's base, or the base is unknown), when two targets changed it to different values,
/// or when a target that changed it still has a conflict on it open. Every target that changed
/// the field is named (and keeps its value); the file keeps `canonical`'s.
pub fn in_conflict(
    policies: &Policies,
    canonical: &FieldMap,
    sides: &[Seen<'_>],
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (field, c) in canonical {
        if policies.for_field(field) != ConflictPolicy::Manual {
            continue;
        }
        let holders: Vec<(&Seen<'_>, &String)> =
            sides.iter().filter_map(|s| s.changed(field, c).map(|r| (s, r))).collect();
        let values: BTreeSet<&String> = holders.iter().map(|(_, r)| *r).collect();
        let conflict = values.len() > 1
            || holders.iter().any(|(s, _)| s.file_changed(field, c) || s.open.is_some_and(|o| o.contains_key(field)));
        if conflict {
            out.insert(field.clone(), holders.iter().map(|(s, r)| (s.target.to_string(), (*r).clone())).collect());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> FieldMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// (name, file, [(target, base or None, holds now, open)], targets named by the conflict)
    type Case = (
        &'static str,
        &'static str,
        &'static [(&'static str, Option<&'static str>, &'static str, bool)],
        &'static [&'static str],
    );

    #[test]
    fn table() {
        let cases: &[Case] = &[
            ("nobody changed", "t", &[("github", Some("t"), "t", false), ("boards", Some("t"), "t", false)], &[]),
            ("one target changed", "t", &[("github", Some("t"), "g", false), ("boards", Some("t"), "t", false)], &[]),
            ("the file changed", "f", &[("github", Some("t"), "t", false), ("boards", Some("t"), "t", false)], &[]),
            (
                "file and one target",
                "f",
                &[("github", Some("t"), "g", false), ("boards", Some("t"), "t", false)],
                &["github"],
            ),
            (
                "two targets differently",
                "t",
                &[("github", Some("t"), "g", false), ("boards", Some("t"), "b", false)],
                &["boards", "github"],
            ),
            ("two targets alike", "t", &[("github", Some("t"), "x", false), ("boards", Some("t"), "x", false)], &[]),
            (
                "a conflict with one target, then the other changes",
                "f",
                &[("github", Some("t"), "g", true), ("boards", Some("f"), "b", false)],
                &["boards", "github"],
            ),
            (
                "an open conflict, the other target withdrew",
                "t",
                &[("github", Some("t"), "g", true), ("boards", Some("t"), "t", true)],
                &["github"],
            ),
            ("an open conflict the file settled", "g", &[("github", Some("t"), "g", true)], &[]),
            // Found with no base, held: the base stored is what the target showed (finding 64).
            ("an open conflict on the value its base holds", "f", &[("github", Some("g"), "g", true)], &["github"]),
            ("no base, differs", "f", &[("github", None, "g", false)], &["github"]),
            ("no base, agrees", "f", &[("github", None, "f", false), ("boards", Some("f"), "b", false)], &[]),
            (
                "no base, then the other target changes",
                "f",
                &[("github", None, "g", false), ("boards", Some("f"), "b", false)],
                &["boards", "github"],
            ),
        ];
        for (name, file, targets, named) in cases {
            let views: Vec<(FieldMap, Option<FieldMap>, BTreeMap<String, String>)> = targets
                .iter()
                .map(|(_, base, now, open)| {
                    let open = if *open { [("title".to_string(), now.to_string())].into() } else { BTreeMap::new() };
                    (map(&[("title", now)]), base.map(|b| map(&[("title", b)])), open)
                })
                .collect();
            let sides: Vec<Seen<'_>> = targets
                .iter()
                .zip(&views)
                .map(|((target, ..), (view, base, open))| Seen {
                    target,
                    view,
                    base: base.as_ref(),
                    open: Some(open),
                    uncarried: None,
                })
                .collect();
            let got = in_conflict(&Policies::uniform(ConflictPolicy::Manual), &map(&[("title", file)]), &sides);
            let got: Vec<&str> = got.get("title").into_iter().flat_map(|t| t.keys().map(String::as_str)).collect();
            assert_eq!(got, *named, "{name}");
            let other =
                in_conflict(&Policies::uniform(ConflictPolicy::CanonicalWins), &map(&[("title", file)]), &sides);
            assert!(other.is_empty(), "{name}: only `manual` holds");
        }
    }

    #[test]
    fn a_field_a_target_cannot_carry_is_never_held() {
        let view = map(&[("owner", "")]);
        let base = map(&[("owner", "dana")]);
        let uncarried = BTreeSet::from(["owner".to_string()]);
        let sides =
            [Seen { target: "github", view: &view, base: Some(&base), open: None, uncarried: Some(&uncarried) }];
        let got = in_conflict(&Policies::uniform(ConflictPolicy::Manual), &map(&[("owner", "erin")]), &sides);
        assert!(got.is_empty());
    }
}
