//! Refusals kept between runs: a run skips an item a remote refused until its back-off has passed
//! (unless what the run would send changed on either side, or the run is a `reconcile`), records
//! this run's refusals in the store and forgets those of items that synced.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::plan::Plan;
use super::refusal::{RULE, Refusal, subject};
use crate::store::{NewRefusal, Store, StoreError, StoredRefusal};

/// What a run would send for one item on one target: a different fingerprint means the item
/// changed on either side since it was refused, so it is tried at once.
pub fn fingerprint(plan: &Plan, item: &str, target: &str) -> String {
    let mut hash = Sha256::new();
    for action in plan.actions.iter().filter(|a| subject(a) == (item.to_string(), target.to_string())) {
        hash.update(serde_json::to_string(action).unwrap_or_default());
        hash.update(b"\n");
    }
    format!("{:x}", hash.finalize())[..16].to_string()
}

/// The plan without the items still waiting out their back-off, and those items' kept refusals.
pub fn without_waiting(
    store: &Store,
    plan: &Plan,
    now: DateTime<Utc>,
    full: bool,
) -> Result<(Plan, Vec<StoredRefusal>), StoreError> {
    if full {
        return Ok((plan.clone(), Vec::new()));
    }
    let waiting: Vec<StoredRefusal> = store
        .refusals()?
        .into_iter()
        .filter(|r| r.next_try > now && r.fingerprint == fingerprint(plan, &r.item_id, &r.target))
        .collect();
    let skip: BTreeSet<(String, String)> = waiting.iter().map(|r| (r.item_id.clone(), r.target.clone())).collect();
    let mut kept = plan.clone();
    kept.actions.retain(|a| !skip.contains(&subject(a)));
    Ok((kept, waiting))
}

/// Records this run's refusals and forgets the kept ones of `targets` that were neither refused
/// again nor skipped: their items synced (or have nothing left to send).
pub fn keep(
    store: &Store,
    plan: &Plan,
    refused: &[Refusal],
    waiting: &[StoredRefusal],
    targets: &[&str],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for r in refused {
        let fingerprint = fingerprint(plan, &r.item, &r.target);
        let new = NewRefusal {
            target: &r.target,
            item_id: &r.item,
            status: r.status,
            message: &r.message,
            hint: &r.hint,
            fingerprint: &fingerprint,
        };
        store.record_refusal(&new, now)?;
    }
    for old in store.refusals()? {
        let ours = old.target.is_empty() || targets.contains(&old.target.as_str());
        let still = refused.iter().any(|r| r.item == old.item_id && r.target == old.target)
            || waiting.iter().any(|w| w.item_id == old.item_id && w.target == old.target);
        if ours && !still {
            store.clear_refusal(&old.target, &old.item_id)?;
        }
    }
    Ok(())
}

/// A kept refusal the run skipped, as the run reports it.
pub fn reported(w: &StoredRefusal) -> Refusal {
    Refusal {
        rule: RULE,
        item: w.item_id.clone(),
        target: w.target.clone(),
        status: w.status,
        message: w.message.clone(),
        hint: format!(
            "{}; refused {} time(s), next try after {} (at once when the item changes, or with `reconcile`)",
            w.hint,
            w.attempts,
            w.next_try.format("%Y-%m-%d %H:%M UTC")
        ),
    }
}
