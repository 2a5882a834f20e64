//! Conflicts left for a person under the `manual` policy: at most one open row per target, item
//! and field; recording it again updates the values, resolving it closes the row.

use chrono::Utc;
use rusqlite::params;

use super::{Conflict, Store, StoreError, Ts, natural_cmp};

impl Store {
    /// Records a conflict, or updates the open one for the same target, item and field with the
    /// latest values. The first `detected_at` is kept, so it says how long the conflict is open.
    pub fn record_conflict(&self, c: &Conflict) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO conflicts (target, item_id, field, base, canonical, remote, detected_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (target, item_id, field) WHERE resolved_at IS NULL DO UPDATE SET
                    base = excluded.base, canonical = excluded.canonical, remote = excluded.remote",
            )?
            .execute(params![c.target, c.item_id, c.field, c.base, c.canonical, c.remote, Ts(c.detected_at)])?;
        Ok(())
    }

    /// The open conflicts, sorted by item id (natural order), then target and field.
    pub fn open_conflicts(&self) -> Result<Vec<Conflict>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT target, item_id, field, base, canonical, remote, detected_at
             FROM conflicts WHERE resolved_at IS NULL",
        )?;
        let mut conflicts = stmt
            .query_map([], |r| {
                Ok(Conflict {
                    target: r.get(0)?,
                    item_id: r.get(1)?,
                    field: r.get(2)?,
                    base: r.get(3)?,
                    canonical: r.get(4)?,
                    remote: r.get(5)?,
                    detected_at: r.get::<_, Ts>(6)?.0,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        conflicts.sort_by(|a, b| {
            natural_cmp(&a.item_id, &b.item_id)
                .then_with(|| a.target.cmp(&b.target))
                .then_with(|| a.field.cmp(&b.field))
        });
        Ok(conflicts)
    }

    /// Closes the open conflict of a target, item and field; nothing happens when there is none,
    /// so a sync may call it for every field that merged cleanly.
    pub fn resolve_conflict(&self, target: &str, item_id: &str, field: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "UPDATE conflicts SET resolved_at = ?4
                 WHERE target = ?1 AND item_id = ?2 AND field = ?3 AND resolved_at IS NULL",
            )?
            .execute(params![target, item_id, field, Ts(Utc::now())])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(item: &str, field: &str, remote: &str) -> Conflict {
        Conflict {
            target: "github".into(),
            item_id: item.into(),
            field: field.into(),
            base: Some("a".into()),
            canonical: Some("b".into()),
            remote: Some(remote.into()),
            detected_at: Utc::now(),
        }
    }

    #[test]
    fn a_resolved_conflict_can_open_again_without_touching_history() {
        let store = Store::open_in_memory().unwrap();
        store.record_conflict(&conflict("ST-1", "title", "c")).unwrap();
        store.resolve_conflict("github", "ST-1", "title").unwrap();
        store.record_conflict(&conflict("ST-1", "title", "d")).unwrap();
        let open = store.open_conflicts().unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].remote.as_deref(), Some("d"));
        let rows: i64 = store.conn().query_row("SELECT count(*) FROM conflicts", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 2, "the resolved row stays as history");
    }
}
