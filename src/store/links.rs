//! Links between canonical items and remote items (with their merge bases), create intents and
//! the incremental-listing watermark of each target.

use chrono::Utc;
use rusqlite::{OptionalExtension, Row, params};

use super::{FieldMap, Intent, Link, Store, StoreError, Ts, Watermark, natural_cmp};

const LINK_COLUMNS: &str =
    "target, item_id, remote_id, remote_key, remote_url, base, remote_version, synced_at, file_owner";

fn link_from_row(row: &Row<'_>) -> rusqlite::Result<Link> {
    let base: String = row.get(5)?;
    let base: FieldMap = serde_json::from_str(&base)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(Link {
        target: row.get(0)?,
        item_id: row.get(1)?,
        remote_id: row.get(2)?,
        remote_key: row.get(3)?,
        remote_url: row.get(4)?,
        base,
        remote_version: row.get(6)?,
        synced_at: row.get::<_, Ts>(7)?.0,
        file_owner: row.get(8)?,
    })
}

fn sorted(mut links: Vec<Link>) -> Vec<Link> {
    links.sort_by(|a, b| a.target.cmp(&b.target).then_with(|| natural_cmp(&a.item_id, &b.item_id)));
    links
}

impl Store {
    /// The links of one target, sorted by item id in natural order (`ST-2` before `ST-10`).
    pub fn links(&self, target: &str) -> Result<Vec<Link>, StoreError> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM links WHERE target = ?1");
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let links = stmt.query_map([target], link_from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(sorted(links))
    }

    /// Every link of every target, sorted by target, then item id in natural order.
    pub fn all_links(&self) -> Result<Vec<Link>, StoreError> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM links");
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let links = stmt.query_map([], link_from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(sorted(links))
    }

    /// The link of a canonical item in a target, if it is linked there.
    pub fn link(&self, target: &str, item_id: &str) -> Result<Option<Link>, StoreError> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM links WHERE target = ?1 AND item_id = ?2");
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt.query_row([target, item_id], link_from_row).optional()?)
    }

    /// The link of a remote item (by the remote's id) in a target, if it is linked.
    pub fn link_by_remote(&self, target: &str, remote_id: &str) -> Result<Option<Link>, StoreError> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM links WHERE target = ?1 AND remote_id = ?2");
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt.query_row([target, remote_id], link_from_row).optional()?)
    }

    /// Stores a link, replacing the item's earlier link in that target. A remote item links to at
    /// most one canonical item per target: linking it to a second is [`StoreError::RemoteAlreadyLinked`].
    pub fn upsert_link(&self, link: &Link) -> Result<(), StoreError> {
        if let Some(other) = self.link_by_remote(&link.target, &link.remote_id)?
            && other.item_id != link.item_id
        {
            return Err(StoreError::RemoteAlreadyLinked {
                target: link.target.clone(),
                remote_id: link.remote_id.clone(),
                item_id: link.item_id.clone(),
                linked_to: other.item_id,
            });
        }
        let base = serde_json::to_string(&link.base).expect("a map of strings serialises");
        self.conn()
            .prepare_cached(
                "INSERT INTO links (target, item_id, remote_id, remote_key, remote_url, base, remote_version, synced_at, file_owner)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (target, item_id) DO UPDATE SET
                    remote_id = excluded.remote_id, remote_key = excluded.remote_key,
                    remote_url = excluded.remote_url, base = excluded.base,
                    remote_version = excluded.remote_version, synced_at = excluded.synced_at,
                    file_owner = excluded.file_owner",
            )?
            .execute(params![
                link.target,
                link.item_id,
                link.remote_id,
                link.remote_key,
                link.remote_url,
                base,
                link.remote_version,
                Ts(link.synced_at),
                link.file_owner,
            ])?;
        Ok(())
    }

    /// Forgets the link of an item in a target; nothing happens when there is none.
    pub fn delete_link(&self, target: &str, item_id: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM links WHERE target = ?1 AND item_id = ?2")?
            .execute([target, item_id])?;
        Ok(())
    }

    /// Records that a remote create for this item is about to happen, with the fields it sends.
    /// Recording it again keeps the first time, so an intent's age says how long ago the create
    /// was first tried, and replaces the fields: a create that lands carries the latest ones.
    pub fn record_intent(&self, target: &str, item_id: &str, sent: &FieldMap) -> Result<(), StoreError> {
        let sent = serde_json::to_string(sent).expect("a map of strings serialises");
        self.conn()
            .prepare_cached(
                "INSERT INTO intents (target, item_id, created_at, sent) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (target, item_id) DO UPDATE SET sent = excluded.sent",
            )?
            .execute(params![target, item_id, Ts(Utc::now()), sent])?;
        Ok(())
    }

    /// The open create intents of a target, sorted by item id in natural order.
    pub fn intents(&self, target: &str) -> Result<Vec<Intent>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT target, item_id, created_at, sent FROM intents WHERE target = ?1")?;
        let mut intents = stmt
            .query_map([target], |r| {
                let sent: String = r.get(3)?;
                let sent: FieldMap = serde_json::from_str(&sent).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
                })?;
                Ok(Intent { target: r.get(0)?, item_id: r.get(1)?, created_at: r.get::<_, Ts>(2)?.0, sent })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        intents.sort_by(|a, b| natural_cmp(&a.item_id, &b.item_id));
        Ok(intents)
    }

    /// Clears an intent once its link is stored; nothing happens when there is none.
    pub fn clear_intent(&self, target: &str, item_id: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM intents WHERE target = ?1 AND item_id = ?2")?
            .execute([target, item_id])?;
        Ok(())
    }

    /// Where the last incremental listing of a target stopped; `None` before the first one.
    pub fn watermark(&self, target: &str) -> Result<Option<Watermark>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT since, etag, query FROM watermarks WHERE target = ?1")?;
        Ok(stmt
            .query_row([target], |r| Ok(Watermark { since: r.get::<_, Ts>(0)?.0, etag: r.get(1)?, query: r.get(2)? }))
            .optional()?)
    }

    /// Replaces the watermark of a target.
    pub fn set_watermark(&self, target: &str, wm: &Watermark) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO watermarks (target, since, etag, query) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (target) DO UPDATE SET
                    since = excluded.since, etag = excluded.etag, query = excluded.query",
            )?
            .execute(params![target, Ts(wm.since), wm.etag, wm.query])?;
        Ok(())
    }

    /// The fingerprint of the identities the listing that set the target's watermark read owners
    /// with; `None` without a watermark, or when it was set before they were kept (migration 6).
    pub fn listed_with(&self, target: &str) -> Result<Option<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT identities FROM watermarks WHERE target = ?1")?;
        Ok(stmt.query_row([target], |r| r.get::<_, Option<String>>(0)).optional()?.flatten())
    }

    /// Replaces the watermark of a target together with the fingerprint of the identities its
    /// listing read owners with (see [`Store::listed_with`]), in one statement.
    pub fn set_watermark_listed_with(&self, target: &str, wm: &Watermark, identities: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO watermarks (target, since, etag, query, identities) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (target) DO UPDATE SET
                    since = excluded.since, etag = excluded.etag, query = excluded.query,
                    identities = excluded.identities",
            )?
            .execute(params![target, Ts(wm.since), wm.etag, wm.query, identities])?;
        Ok(())
    }

    /// Forgets the watermark of a target, so its next listing is a full one.
    pub fn clear_watermark(&self, target: &str) -> Result<(), StoreError> {
        self.conn().prepare_cached("DELETE FROM watermarks WHERE target = ?1")?.execute([target])?;
        Ok(())
    }
}
