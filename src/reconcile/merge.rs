//! The three-way merge of one item's fields: base (what both sides last agreed on), canonical and
//! remote. One side changed → take it; both to the same value → fine; both differently → the
//! conflict policy of that field decides, and `manual` leaves both sides alone.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::config::ConflictPolicy;
use crate::mapping::FieldMap;

/// The policy for each field: a default and per-field overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    pub default: ConflictPolicy,
    pub per_field: BTreeMap<String, ConflictPolicy>,
}

impl Policies {
    pub fn uniform(policy: ConflictPolicy) -> Policies {
        Policies { default: policy, per_field: BTreeMap::new() }
    }

    pub fn for_field(&self, field: &str) -> ConflictPolicy {
        self.per_field.get(field).copied().unwrap_or(self.default)
    }
}

/// How a conflict was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Settled {
    /// The canonical value won and goes to the remote.
    Canonical,
    /// The remote value won and goes into the canonical file.
    Remote,
    /// Policy `manual`: both sides keep their value until a person makes them agree.
    Manual,
}

/// Both sides changed one field to different values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldConflict {
    pub field: String,
    pub base: String,
    pub canonical: String,
    pub remote: String,
    pub policy: ConflictPolicy,
    pub settled: Settled,
    /// Other targets that changed the same field differently in the same run: target → value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub others: BTreeMap<String, String>,
}

/// The result of merging one remote into the canonical fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Merged {
    /// The canonical fields after taking the remote's changes.
    pub fields: FieldMap,
    pub conflicts: Vec<FieldConflict>,
    /// Fields under a manual conflict: neither pushed to nor taken from this remote.
    pub held: BTreeSet<String>,
}

/// Which side changed last, for `newest-wins`; `None` when unknown (the canonical side wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newest {
    Canonical,
    Remote,
}

/// Merges `remote` into `canonical` over `base`. A field missing from `remote` means the remote
/// said nothing about it (unchanged); a field missing from `base` counts as agreeing with canonical.
pub fn merge3(
    base: &FieldMap,
    canonical: &FieldMap,
    remote: &FieldMap,
    policies: &Policies,
    newest: &dyn Fn(&str) -> Option<Newest>,
) -> Merged {
    let mut out = Merged { fields: canonical.clone(), ..Merged::default() };
    for (field, c) in canonical {
        let b = base.get(field).unwrap_or(c);
        let r = remote.get(field).unwrap_or(b);
        if c == r || r == b {
            continue;
        }
        if c == b {
            out.fields.insert(field.clone(), r.clone());
            continue;
        }
        let policy = policies.for_field(field);
        let settled = match policy {
            ConflictPolicy::CanonicalWins => Settled::Canonical,
            ConflictPolicy::RemoteWins => Settled::Remote,
            ConflictPolicy::NewestWins if newest(field) == Some(Newest::Remote) => Settled::Remote,
            ConflictPolicy::NewestWins => Settled::Canonical,
            ConflictPolicy::Manual => Settled::Manual,
        };
        match settled {
            Settled::Remote => {
                out.fields.insert(field.clone(), r.clone());
            }
            Settled::Manual => {
                out.held.insert(field.clone());
            }
            Settled::Canonical => {}
        }
        out.conflicts.push(FieldConflict {
            field: field.clone(),
            base: b.clone(),
            canonical: c.clone(),
            remote: r.clone(),
            policy,
            settled,
            others: BTreeMap::new(),
        });
    }
    out
}

/// Fields a remote shows empty when it could not carry the file's value (an owner with no
/// identity there before `identities.toml` named them): with no base, their emptiness on a remote
/// is no sign that anyone cleared them.
const EMPTY_SAYS_NOTHING: &[&str] = &["owner"];

/// Merges with no base (a link found again after the sync state was lost): nothing says who
/// changed what, so every field on which the sides differ is a conflict the policy settles —
/// under `manual`, left for a person, never overwritten. Conflicts report an empty base.
///
/// One exception: a remote showing no owner where the file names one may simply not have been
/// able to carry that person when the item was synced (nobody was assigned there). That is no
/// edit, so the file's owner is kept and goes out (gaining an identity assigns) under every
/// policy; the conflict is still reported, settled for the file, naming the remote's empty value.
pub fn merge_unbased(
    canonical: &FieldMap,
    remote: &FieldMap,
    policies: &Policies,
    newest: &dyn Fn(&str) -> Option<Newest>,
) -> Merged {
    // A base no real value equals: each side differs from it wherever the remote said something.
    const UNKNOWN: &str = "\u{0}unknown base";
    let base: FieldMap = remote.keys().map(|f| (f.clone(), UNKNOWN.to_string())).collect();
    let mut m = merge3(&base, canonical, remote, policies, newest);
    for c in &mut m.conflicts {
        c.base.clear();
        if EMPTY_SAYS_NOTHING.contains(&c.field.as_str()) && c.remote.is_empty() && !c.canonical.is_empty() {
            c.settled = Settled::Canonical;
            m.fields.insert(c.field.clone(), c.canonical.clone());
            m.held.remove(&c.field);
        }
    }
    m
}

/// The changes that make `current` equal `desired`, leaving out `held` fields.
pub fn changes(current: &FieldMap, desired: &FieldMap, held: &BTreeSet<String>) -> FieldMap {
    desired
        .iter()
        .filter(|(f, v)| !held.contains(*f) && current.get(*f) != Some(*v))
        .map(|(f, v)| (f.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConflictPolicy::*;

    fn map(pairs: &[(&str, &str)]) -> FieldMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// (name, base, canonical, remote, policy, newest, merged title, settled, held)
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        ConflictPolicy,
        Option<Newest>,
        &'static str,
        Option<Settled>,
        bool,
    );

    #[test]
    fn table() {
        let cases: &[Case] = &[
            ("nobody changed", "a", "a", "a", Manual, None, "a", None, false),
            ("canonical changed", "a", "b", "a", Manual, None, "b", None, false),
            ("remote changed", "a", "a", "r", Manual, None, "r", None, false),
            ("both to the same value", "a", "x", "x", Manual, None, "x", None, false),
            ("conflict, canonical wins", "a", "c", "r", CanonicalWins, None, "c", Some(Settled::Canonical), false),
            ("conflict, remote wins", "a", "c", "r", RemoteWins, None, "r", Some(Settled::Remote), false),
            (
                "conflict, newest is remote",
                "a",
                "c",
                "r",
                NewestWins,
                Some(Newest::Remote),
                "r",
                Some(Settled::Remote),
                false,
            ),
            (
                "conflict, newest is canonical",
                "a",
                "c",
                "r",
                NewestWins,
                Some(Newest::Canonical),
                "c",
                Some(Settled::Canonical),
                false,
            ),
            ("conflict, newest unknown", "a", "c", "r", NewestWins, None, "c", Some(Settled::Canonical), false),
            ("conflict, manual", "a", "c", "r", Manual, None, "c", Some(Settled::Manual), true),
        ];
        for (name, b, c, r, policy, newest, want, settled, held) in cases {
            let m = merge3(
                &map(&[("title", b)]),
                &map(&[("title", c)]),
                &map(&[("title", r)]),
                &Policies::uniform(*policy),
                &|_| *newest,
            );
            assert_eq!(m.fields["title"], *want, "{name}");
            assert_eq!(m.conflicts.first().map(|c| c.settled), *settled, "{name}");
            assert_eq!(m.held.contains("title"), *held, "{name}");
        }
    }

    #[test]
    fn with_no_base_every_difference_is_a_conflict() {
        let canonical = map(&[("title", "file"), ("state", "new"), ("owner", "x")]);
        let remote = map(&[("title", "remote"), ("state", "new")]);
        let m = merge_unbased(&canonical, &remote, &Policies::uniform(Manual), &|_| None);
        assert_eq!(m.fields, canonical, "the file keeps its values");
        assert_eq!(m.held, BTreeSet::from(["title".to_string()]));
        assert_eq!(m.conflicts.len(), 1);
        assert_eq!((m.conflicts[0].base.as_str(), m.conflicts[0].remote.as_str()), ("", "remote"));
        let m = merge_unbased(&canonical, &remote, &Policies::uniform(RemoteWins), &|_| None);
        assert_eq!(m.fields["title"], "remote");
    }

    #[test]
    fn with_no_base_a_remote_showing_no_owner_keeps_the_file_owner_under_every_policy() {
        let canonical = map(&[("title", "t"), ("owner", "dana@contoso.com")]);
        let remote = map(&[("title", "t"), ("owner", "")]);
        for policy in [CanonicalWins, RemoteWins, NewestWins, Manual] {
            let m = merge_unbased(&canonical, &remote, &Policies::uniform(policy), &|_| Some(Newest::Remote));
            assert_eq!(m.fields["owner"], "dana@contoso.com", "{policy:?}");
            assert!(m.held.is_empty(), "{policy:?}");
            assert_eq!(m.conflicts.len(), 1, "{policy:?}: the empty remote value is still named");
            assert_eq!(m.conflicts[0].settled, Settled::Canonical, "{policy:?}");
        }
        // Another person there is a difference the policy settles, as before.
        let remote = map(&[("title", "t"), ("owner", "alice@contoso.com")]);
        let m = merge_unbased(&canonical, &remote, &Policies::uniform(RemoteWins), &|_| None);
        assert_eq!(m.fields["owner"], "alice@contoso.com");
    }

    #[test]
    fn different_fields_changed_on_each_side_are_both_kept() {
        let base = map(&[("title", "t"), ("state", "new")]);
        let canonical = map(&[("title", "t2"), ("state", "new")]);
        let remote = map(&[("title", "t"), ("state", "active")]);
        let m = merge3(&base, &canonical, &remote, &Policies::uniform(Manual), &|_| None);
        assert_eq!(m.fields, map(&[("title", "t2"), ("state", "active")]));
        assert!(m.conflicts.is_empty());
        assert_eq!(changes(&remote, &m.fields, &m.held), map(&[("title", "t2")]));
    }

    #[test]
    fn per_field_policy_overrides_the_default_and_silence_is_no_change() {
        let policies = Policies { default: Manual, per_field: [("state".to_string(), RemoteWins)].into() };
        let base = map(&[("title", "a"), ("state", "new"), ("owner", "x")]);
        let canonical = map(&[("title", "b"), ("state", "active"), ("owner", "y")]);
        let remote = map(&[("title", "c"), ("state", "closed")]);
        let m = merge3(&base, &canonical, &remote, &policies, &|_| None);
        assert_eq!(m.fields, map(&[("title", "b"), ("state", "closed"), ("owner", "y")]));
        assert_eq!(m.held, BTreeSet::from(["title".to_string()]));
        assert_eq!(changes(&base, &m.fields, &m.held), map(&[("state", "closed"), ("owner", "y")]));
    }
}
