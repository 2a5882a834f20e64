//! Which unlinked remote items carrying our marker may be adopted: only those the identity the
//! target syncs as created (a person can copy an issue body, marker and all), and of several
//! carrying one marker, the oldest (ids compared as numbers). The others are reported, never
//! adopted nor imported. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::ItemId;

/// The rule id under which items carrying our marker that were not adopted are reported.
pub const RULE: &str = "marker-not-adopted";

/// One listed, unlinked remote item carrying a marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub remote_id: String,
    pub marker: ItemId,
    /// Who created it (a login, a name), as the remote says.
    pub creator: String,
    /// Whether the target's own identity created it.
    pub ours: bool,
    pub url: Option<String>,
}

/// Why a marked item was not adopted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Why {
    /// Someone else created it: the marker was copied.
    NotOurs { creator: String },
    /// An older item carries the same marker and was chosen.
    Duplicate { chosen: String },
}

/// A remote item carrying our marker that a run did not adopt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotAdopted {
    pub rule: &'static str,
    pub target: String,
    pub remote_id: String,
    /// The item its marker names.
    pub item: ItemId,
    #[serde(flatten)]
    pub why: Why,
    pub url: Option<String>,
}

impl NotAdopted {
    /// What a person can do about it.
    pub fn hint(&self) -> &'static str {
        match self.why {
            Why::NotOurs { .. } => {
                "remove the marker comment or tag from that item (it was copied), or delete the item"
            }
            Why::Duplicate { .. } => "close or delete the duplicate, or remove its marker",
        }
    }
}

impl std::fmt::Display for NotAdopted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (t, r, i) = (&self.target, &self.remote_id, &self.item);
        match &self.why {
            Why::NotOurs { creator } => write!(
                f,
                "{}: `{t}` #{r} carries the marker of `{i}` but was created by `{creator}`, not by the identity this target syncs as; not adopted ({})",
                self.rule,
                self.hint()
            ),
            Why::Duplicate { chosen } => write!(
                f,
                "{}: `{t}` #{r} carries the marker of `{i}`, as #{chosen} does, which is the one linked (the oldest is chosen); not adopted ({})",
                self.rule,
                self.hint()
            ),
        }
    }
}

/// A remote id as a number for ordering (non-numbers last, by text).
fn order(remote_id: &str) -> (u64, String) {
    (remote_id.parse().unwrap_or(u64::MAX), remote_id.to_string())
}

/// Sifts the unlinked marked items of one target: those to leave out of the listing and why.
/// `linked` maps items linked on this target to their remote ids. An item someone else created
/// is never adopted; of ours carrying one marker, the one already linked or else the oldest is
/// chosen and the others are reported.
pub fn sift(target: &str, marked: &[Marked], linked: &BTreeMap<ItemId, String>) -> Vec<NotAdopted> {
    let mut out = Vec::new();
    let mut ours: BTreeMap<&ItemId, Vec<&Marked>> = BTreeMap::new();
    let note = |m: &Marked, why: Why| NotAdopted {
        rule: RULE,
        target: target.to_string(),
        remote_id: m.remote_id.clone(),
        item: m.marker.clone(),
        why,
        url: m.url.clone(),
    };
    for m in marked {
        if m.ours {
            ours.entry(&m.marker).or_default().push(m);
        } else {
            out.push(note(m, Why::NotOurs { creator: m.creator.clone() }));
        }
    }
    for (item, mut same) in ours {
        same.sort_by_key(|m| order(&m.remote_id));
        let (chosen, others) = match linked.get(item) {
            Some(remote_id) => (remote_id.clone(), &same[..]),
            None => (same[0].remote_id.clone(), &same[1..]),
        };
        for m in others {
            out.push(note(m, Why::Duplicate { chosen: chosen.clone() }));
        }
    }
    out.sort_by_key(|n| order(&n.remote_id));
    out
}

/// Of the items a marker search found (`(remote id, ours)`), the one to adopt: the oldest of ours.
pub fn choose<T>(found: Vec<T>, remote_id: impl Fn(&T) -> String, ours: impl Fn(&T) -> bool) -> Option<T> {
    found.into_iter().filter(|f| ours(f)).min_by_key(|f| order(&remote_id(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(remote_id: &str, marker: &str, ours: bool) -> Marked {
        Marked {
            remote_id: remote_id.into(),
            marker: marker.parse().unwrap(),
            creator: if ours { "backlog-bot".into() } else { "mallory".into() },
            ours,
            url: None,
        }
    }

    #[test]
    fn only_our_oldest_item_of_a_marker_is_left_for_adoption() {
        let linked: BTreeMap<ItemId, String> = [("ST-9".parse().unwrap(), "1".to_string())].into();
        type Case = (Vec<Marked>, Vec<(&'static str, &'static str)>);
        let cases: Vec<Case> = vec![
            (vec![m("4", "ST-1", true)], vec![]),
            (vec![m("4", "ST-1", false)], vec![("4", "not-ours")]),
            // Ids compare as numbers: #9 is older than #10.
            (vec![m("10", "ST-1", true), m("9", "ST-1", true)], vec![("10", "duplicate")]),
            (vec![m("2", "ST-1", false), m("3", "ST-1", true)], vec![("2", "not-ours")]),
            // ST-9 is linked to #1: every other item carrying its marker is reported.
            (vec![m("5", "ST-9", false), m("6", "ST-9", true)], vec![("5", "not-ours"), ("6", "duplicate")]),
            (vec![m("7", "ST-1", true), m("8", "ST-2", true)], vec![]),
        ];
        for (input, want) in cases {
            let got: Vec<(String, &str)> = sift("github", &input, &linked)
                .into_iter()
                .map(|n| {
                    (n.remote_id.clone(), if matches!(n.why, Why::NotOurs { .. }) { "not-ours" } else { "duplicate" })
                })
                .collect();
            let want: Vec<(String, &str)> = want.into_iter().map(|(r, w)| (r.to_string(), w)).collect();
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn a_marker_search_chooses_the_oldest_of_ours() {
        let found = vec![("12", true), ("3", false), ("11", true)];
        assert_eq!(choose(found, |f| f.0.to_string(), |f| f.1), Some(("11", true)));
        assert_eq!(choose(vec![("3", false)], |f| f.0.to_string(), |f| f.1), None);
    }
}
