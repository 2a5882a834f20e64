//! Mirrored comments (migration 4): which comment on which target mirrors which original, and the
//! original's version last mirrored, so an edit is followed once and a deletion is followed at all.

use chrono::Utc;
use rusqlite::{Row, params};
use serde::Serialize;

use super::{Store, StoreError, Ts};

/// One original comment mirrored onto one other target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentMirror {
    /// The canonical item both remote items are linked to.
    pub item_id: String,
    pub origin_target: String,
    /// The remote item (issue number, work item id) the original is on.
    pub origin_item: String,
    pub origin_comment: String,
    /// The target the mirror is on.
    pub target: String,
    pub mirror_comment: String,
    /// The original's version (GitHub `updated_at`, Azure `version`) the mirror shows.
    pub origin_version: String,
}

const COLUMNS: &str = "item_id, origin_target, origin_item, origin_comment, target, mirror_comment, origin_version";

fn from_row(row: &Row<'_>) -> rusqlite::Result<CommentMirror> {
    Ok(CommentMirror {
        item_id: row.get(0)?,
        origin_target: row.get(1)?,
        origin_item: row.get(2)?,
        origin_comment: row.get(3)?,
        target: row.get(4)?,
        mirror_comment: row.get(5)?,
        origin_version: row.get(6)?,
    })
}

impl Store {
    /// The mirrors of an item's comments, in a stable order.
    pub fn comment_mirrors(&self, item_id: &str) -> Result<Vec<CommentMirror>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM comment_mirrors WHERE item_id = ?1 ORDER BY origin_target, origin_comment, target"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt.query_map([item_id], from_row)?.collect::<Result<Vec<_>, _>>()?)
    }

    /// How many mirrors the store knows, over every item.
    pub fn comment_mirror_count(&self) -> Result<usize, StoreError> {
        Ok(self.conn().query_row("SELECT count(*) FROM comment_mirrors", [], |r| r.get::<_, i64>(0))? as usize)
    }

    /// Records (or replaces) the mirror of one original on one target.
    pub fn put_comment_mirror(&self, m: &CommentMirror) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO comment_mirrors (item_id, origin_target, origin_item, origin_comment, target, mirror_comment, origin_version, mirrored_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (origin_target, origin_comment, target) DO UPDATE SET
                   item_id = excluded.item_id, origin_item = excluded.origin_item,
                   mirror_comment = excluded.mirror_comment, origin_version = excluded.origin_version,
                   mirrored_at = excluded.mirrored_at",
            )?
            .execute(params![
                m.item_id,
                m.origin_target,
                m.origin_item,
                m.origin_comment,
                m.target,
                m.mirror_comment,
                m.origin_version,
                Ts(Utc::now())
            ])?;
        Ok(())
    }

    /// Forgets the mirror of one original on one target (it was deleted, or its original was).
    pub fn forget_comment_mirror(
        &self,
        origin_target: &str,
        origin_comment: &str,
        target: &str,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "DELETE FROM comment_mirrors WHERE origin_target = ?1 AND origin_comment = ?2 AND target = ?3",
            )?
            .execute([origin_target, origin_comment, target])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mirror(target: &str, id: &str, version: &str) -> CommentMirror {
        CommentMirror {
            item_id: "ST-1".into(),
            origin_target: "github".into(),
            origin_item: "7".into(),
            origin_comment: "100".into(),
            target: target.into(),
            mirror_comment: id.into(),
            origin_version: version.into(),
        }
    }

    #[test]
    fn a_mirror_is_recorded_replaced_and_forgotten() {
        let store = Store::open_in_memory().unwrap();
        store.put_comment_mirror(&mirror("boards", "5", "v1")).unwrap();
        store.put_comment_mirror(&mirror("boards", "5", "v2")).unwrap();
        store.put_comment_mirror(&mirror("jira", "9", "v2")).unwrap();
        let got = store.comment_mirrors("ST-1").unwrap();
        assert_eq!(got, vec![mirror("boards", "5", "v2"), mirror("jira", "9", "v2")]);
        store.forget_comment_mirror("github", "100", "boards").unwrap();
        assert_eq!(store.comment_mirrors("ST-1").unwrap(), vec![mirror("jira", "9", "v2")]);
        assert_eq!(store.comment_mirror_count().unwrap(), 1);
    }
}
