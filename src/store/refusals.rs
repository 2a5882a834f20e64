//! Items a remote refused for good (`sync-item-refused`), kept until they sync: one row per target
//! and item with the remote's status, message and hint, when it was first and last seen, how many
//! tries it took, and when the next run may try again: the next run always tries once more (a
//! person may have fixed it on the service, e.g. made the owner a collaborator), then the waits
//! double from a minute to six hours.

use chrono::{DateTime, Duration, Utc};
use rusqlite::params;

use super::{Store, StoreError, Ts, natural_cmp};

/// One kept refusal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredRefusal {
    pub target: String,
    pub item_id: String,
    pub status: Option<u16>,
    pub message: String,
    pub hint: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub attempts: u32,
    /// A run before this skips the item, unless what it would send changed.
    pub next_try: DateTime<Utc>,
    /// What was sent when it was refused; a run that would send something else tries at once.
    pub fingerprint: String,
}

/// The wait after `attempts` refusals in a row: none after the first, then 1, 2, 4… minutes, at
/// most six hours.
pub fn back_off(attempts: u32) -> Duration {
    if attempts <= 1 {
        return Duration::zero();
    }
    let minutes = 1i64 << attempts.saturating_sub(2).min(9);
    Duration::minutes(minutes.min(360))
}

/// A new refusal to keep (the store counts the attempts).
#[derive(Debug, Clone)]
pub struct NewRefusal<'a> {
    pub target: &'a str,
    pub item_id: &'a str,
    pub status: Option<u16>,
    pub message: &'a str,
    pub hint: &'a str,
    pub fingerprint: &'a str,
}

impl Store {
    /// Keeps a refusal seen `now`: a new row, or the open one with one more attempt, the latest
    /// message and a later next try. Returns the kept row.
    pub fn record_refusal(&self, r: &NewRefusal<'_>, now: DateTime<Utc>) -> Result<StoredRefusal, StoreError> {
        let attempts = self.refusal(r.target, r.item_id)?.map_or(0, |old| old.attempts) + 1;
        let next_try = now + back_off(attempts);
        self.conn()
            .prepare_cached(
                "INSERT INTO refusals (target, item_id, status, message, hint, first_seen, last_seen, attempts, next_try, fingerprint)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9)
                 ON CONFLICT (target, item_id) DO UPDATE SET
                    status = excluded.status, message = excluded.message, hint = excluded.hint,
                    last_seen = excluded.last_seen, attempts = excluded.attempts,
                    next_try = excluded.next_try, fingerprint = excluded.fingerprint",
            )?
            .execute(params![r.target, r.item_id, r.status, r.message, r.hint, Ts(now), attempts, Ts(next_try), r.fingerprint])?;
        Ok(self.refusal(r.target, r.item_id)?.expect("just written"))
    }

    /// The kept refusal of one target and item.
    pub fn refusal(&self, target: &str, item_id: &str) -> Result<Option<StoredRefusal>, StoreError> {
        Ok(self.refusals_where("WHERE target = ?1 AND item_id = ?2", params![target, item_id])?.pop())
    }

    /// Every kept refusal, by item id (natural order), then target.
    pub fn refusals(&self) -> Result<Vec<StoredRefusal>, StoreError> {
        let mut all = self.refusals_where("", params![])?;
        all.sort_by(|a, b| natural_cmp(&a.item_id, &b.item_id).then_with(|| a.target.cmp(&b.target)));
        Ok(all)
    }

    /// Forgets the refusal of one target and item (it synced); nothing happens when there is none.
    pub fn clear_refusal(&self, target: &str, item_id: &str) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached("DELETE FROM refusals WHERE target = ?1 AND item_id = ?2")?
            .execute(params![target, item_id])?;
        Ok(())
    }

    fn refusals_where(&self, filter: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<StoredRefusal>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT target, item_id, status, message, hint, first_seen, last_seen, attempts, next_try, fingerprint
             FROM refusals {filter}"
        ))?;
        let rows = stmt
            .query_map(args, |r| {
                Ok(StoredRefusal {
                    target: r.get(0)?,
                    item_id: r.get(1)?,
                    status: r.get(2)?,
                    message: r.get(3)?,
                    hint: r.get(4)?,
                    first_seen: r.get::<_, Ts>(5)?.0,
                    last_seen: r.get::<_, Ts>(6)?.0,
                    attempts: r.get(7)?,
                    next_try: r.get::<_, Ts>(8)?.0,
                    fingerprint: r.get(9)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal<'a>(item: &'a str, fingerprint: &'a str) -> NewRefusal<'a> {
        NewRefusal {
            target: "github",
            item_id: item,
            status: Some(422),
            message: "Validation Failed",
            hint: "fix it",
            fingerprint,
        }
    }

    #[test]
    fn refusals_are_kept_counted_backed_off_and_cleared() {
        let store = Store::open_in_memory().unwrap();
        let t0 = Utc::now();
        let first = store.record_refusal(&refusal("ST-10", "a"), t0).unwrap();
        assert_eq!((first.attempts, first.next_try), (1, t0), "the next run tries once more");
        let t1 = t0 + Duration::minutes(2);
        let second = store.record_refusal(&refusal("ST-10", "b"), t1).unwrap();
        assert_eq!((second.attempts, second.first_seen, second.last_seen), (2, first.first_seen, t1));
        assert_eq!((second.next_try, second.fingerprint.as_str()), (t1 + Duration::minutes(1), "b"));
        store.record_refusal(&refusal("ST-9", "a"), t0).unwrap();
        let ids: Vec<String> = store.refusals().unwrap().into_iter().map(|r| r.item_id).collect();
        assert_eq!(ids, ["ST-9", "ST-10"]);
        store.clear_refusal("github", "ST-10").unwrap();
        assert_eq!(store.refusal("github", "ST-10").unwrap(), None);
        assert_eq!(store.refusals().unwrap().len(), 1);
    }

    #[test]
    fn back_off_doubles_up_to_six_hours() {
        let waits: Vec<i64> = [1, 2, 3, 4, 10, 11, 40].into_iter().map(|n| back_off(n).num_minutes()).collect();
        assert_eq!(waits, [0, 1, 2, 4, 256, 360, 360]);
    }
}
