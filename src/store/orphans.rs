//! Remote items carrying the marker of an item that has no file and no link on their target
//! (the file was deleted and `state.db` lost, finding 22): remembered per target, so that when the
//! file comes back the run reads that item by its id and links it instead of creating a second
//! one, though the watermark moved past it long ago. Cleared once linked, or once it is gone.
//! Also (finding 42) a work item in Azure Boards' recycle bin whose deletion marked its item
//! `removed`: kept while it is in the bin, so that a revived item's create restores it.

use rusqlite::params;

use super::{Store, StoreError};

/// One remembered marked, unlinked remote item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub target: String,
    pub remote_id: String,
    /// The item its marker names.
    pub item_id: String,
}

impl Store {
    /// Remembers that `remote_id` on `target` carries `item_id`'s marker (no-op when known).
    pub fn record_orphan(&self, target: &str, remote_id: &str, item_id: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO orphans (target, remote_id, item_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (target, remote_id) DO UPDATE SET item_id = excluded.item_id",
            )?
            .execute(params![target, remote_id, item_id])?;
        Ok(())
    }

    /// The remembered items of one target, by remote id.
    pub fn orphans(&self, target: &str) -> Result<Vec<Orphan>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT target, remote_id, item_id FROM orphans WHERE target = ?1 ORDER BY remote_id")?;
        let rows = stmt
            .query_map(params![target], |r| Ok(Orphan { target: r.get(0)?, remote_id: r.get(1)?, item_id: r.get(2)? }))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Forgets one remembered item (it was linked, or it is gone).
    pub fn clear_orphan(&self, target: &str, remote_id: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM orphans WHERE target = ?1 AND remote_id = ?2")?
            .execute(params![target, remote_id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orphans_are_remembered_once_per_remote_item_and_cleared() {
        let store = Store::open_in_memory().unwrap();
        store.record_orphan("github", "7", "EP-2").unwrap();
        store.record_orphan("github", "7", "EP-2").unwrap();
        store.record_orphan("boards", "12", "EP-2").unwrap();
        let got = store.orphans("github").unwrap();
        assert_eq!(got, [Orphan { target: "github".into(), remote_id: "7".into(), item_id: "EP-2".into() }]);
        store.clear_orphan("github", "7").unwrap();
        assert!(store.orphans("github").unwrap().is_empty());
        assert_eq!(store.orphans("boards").unwrap().len(), 1);
    }
}
