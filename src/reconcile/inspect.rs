//! Read-only look at every target for `drift`: a full listing, checked against the links and
//! the identities, gathered into a [`Snapshot`] for the pure remote drift rules.

use std::collections::BTreeMap;

use super::engine::SyncError;
use super::remote::Remote;
use crate::backlog::Backlog;
use crate::drift::remote::{OpenConflict, Snapshot, TargetSnapshot};
use crate::mapping::Identities;
use crate::model::{ItemId, Kind};
use crate::store::Store;

/// Lists every target fully and reads the store; writes nothing.
pub async fn snapshot(
    backlog: &Backlog,
    store: &Store,
    remotes: &[Remote],
    people: &Identities,
) -> Result<Snapshot, SyncError> {
    let mut out = Snapshot::default();
    for remote in remotes {
        let name = remote.name().to_string();
        let links = store.links(&name)?;
        let parents: BTreeMap<String, ItemId> =
            links.iter().filter_map(|l| Some((l.remote_id.clone(), l.item_id.parse().ok()?))).collect();
        let got = remote.fetch(true, None, &parents).await?;
        out.not_adopted.extend(got.not_adopted.iter().cloned());
        let mut t = TargetSnapshot { name: name.clone(), ..TargetSnapshot::default() };
        for (rid, item) in &got.listed {
            let state = item.fields.get("state").cloned().unwrap_or_default();
            let title = item.fields.get("title").cloned().unwrap_or_default();
            t.listed.insert(rid.clone(), (item.marker.clone(), state, title));
            if let Some(m) = item.fields.get("milestone") {
                t.milestones.insert(rid.clone(), m.clone());
            }
        }
        for link in &links {
            t.links.insert(link.item_id.clone(), link.remote_id.clone());
            if !got.listed.contains_key(&link.remote_id) {
                let kind = link
                    .item_id
                    .parse::<ItemId>()
                    .ok()
                    .and_then(|id| backlog.project.ids.kind_of(id.prefix()))
                    .unwrap_or(Kind::Story);
                if remote.get(&link.remote_id, kind, &parents).await?.is_none() {
                    t.vanished.insert(link.remote_id.clone());
                }
            }
        }
        // What this target adapts: tags it cannot hold and bodies over its limit for every item,
        // and owners it cannot assign where the last sync could not assign them.
        for f in &backlog.items {
            let fields = crate::mapping::fields::item_fields(&f.item);
            out.adapted.extend(remote.adaptations(f.item.kind, &f.item.id, &fields));
            let owner = fields.get("owner").cloned().unwrap_or_default();
            let Some(link) = links.iter().find(|l| l.item_id == f.item.id.to_string()) else { continue };
            if !owner.is_empty()
                && remote.carries_owner(&owner)
                && link.base.get("owner") != Some(&owner)
                && !remote.can_assign(&owner, link).await
            {
                out.adapted.push(remote.unassignable(&f.item.id, &owner));
            }
        }
        out.targets.push(t);
    }
    out.conflicts = store
        .open_conflicts()?
        .into_iter()
        .map(|c| OpenConflict {
            target: c.target,
            item: c.item_id,
            field: c.field,
            canonical: c.canonical.unwrap_or_default(),
            remote: c.remote.unwrap_or_default(),
        })
        .collect();
    out.refused = store.refusals()?;
    for f in &backlog.items {
        if let Some(owner) = &f.item.owner
            && !people.is_known(owner)
        {
            out.unknown_owners.push(crate::drift::remote::UnknownOwner {
                item: f.item.id.to_string(),
                owner: owner.clone(),
                path: Some(f.path.clone()),
                line: f.doc.line_of("owner"),
            });
        }
    }
    Ok(out)
}
