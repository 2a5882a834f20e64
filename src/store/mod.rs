//! The sync state in SQLite: links and their merge bases, create intents, watermarks, runs and
//! their changes, conflicts, webhook deliveries, rate-limit budgets, summary posts, mirrored
//! comments and marked items with no file (orphans) — plus the per-target [`SyncLock`] that keeps two runs from syncing the same target at once.
//!
//! [`Store::open`] turns on WAL, a 5 s busy timeout and foreign keys, then applies the numbered
//! migrations in `migrations.rs`. Timestamps are stored as fixed-width RFC 3339 UTC text
//! (nanoseconds), so they read well in `sqlite3` and compare correctly as text.

mod comments;
mod conflicts;
mod exchanges;
mod links;
mod lock;
mod migrations;
mod orphans;
mod refusals;
mod runs;
mod types;

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use parking_lot::{ReentrantMutex, ReentrantMutexGuard};
use rusqlite::Connection;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

pub use comments::CommentMirror;
pub use lock::{LockHolder, SyncLock};
pub use migrations::SCHEMA_VERSION;
pub use orphans::Orphan;
pub use refusals::{NewRefusal, StoredRefusal, back_off};
pub use types::{
    Budget, Change, Conflict, Direction, FieldMap, Intent, Link, Post, Run, RunCounts, RunOutcome, UnknownValue,
    Watermark,
};

/// What can go wrong with the state database or the sync lock.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the state database `{path}`: {source}; check `[state] path` in the config")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error(
        "the state database `{path}` has schema version {found}, newer than the {supported} this backlog-sync understands; upgrade backlog-sync, or point `[state] path` at another file"
    )]
    TooNew { path: PathBuf, found: u32, supported: u32 },
    #[error("cannot migrate the state database to schema version {version}: {source}")]
    Migration { version: u32, source: rusqlite::Error },
    #[error(
        "remote item `{remote_id}` of target `{target}` is already linked to `{linked_to}`, so `{item_id}` cannot link to it; remove one of the two links"
    )]
    RemoteAlreadyLinked { target: String, remote_id: String, item_id: String, linked_to: String },
    #[error("run {0} does not exist in the state database; start it with `start_run` first")]
    UnknownRun(i64),
    #[error(
        "another backlog-sync run ({holder}) is syncing target `{target}`; wait for it to finish or retry with `--wait 5m` to queue behind it"
    )]
    Locked { target: String, holder: LockHolder },
    #[error(
        "`{0}` cannot name a sync lock: a target name must be non-empty and use only letters, digits, `-`, `_` and `.`; rename it under `[[targets]]` in the config"
    )]
    BadTargetName(String),
    #[error("cannot use the lock file `{path}`: {source}")]
    LockIo { path: PathBuf, source: std::io::Error },
    #[error("cannot create the state folder `{path}`: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("state database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The sync state of one backlog, in one SQLite file.
///
/// One connection behind a lock that each method takes for its few statements and never holds
/// across an await (every method is synchronous), so a `&Store` can be used from any task and
/// the futures that hold one are `Send`. The lock is reentrant: [`Store::atomically`] holds it
/// for its whole transaction while the methods it calls take it again. Other processes open
/// their own store: WAL lets readers run beside a writer and the busy timeout queues writers.
#[derive(Debug)]
pub struct Store {
    conn: ReentrantMutex<Connection>,
}

impl Store {
    /// Opens (creating it and its parent folders when missing) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|source| StoreError::CreateDir { path: parent.to_path_buf(), source })?;
        }
        let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(open_err)?;
        // Reading the journal mode is the first real read: a file that is not a database fails here.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), %mode, "state database is not in WAL mode");
        }
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_err)?;
        Store::ready(conn, path)
    }

    /// A fresh database in memory, for tests and `--dry-run` style runs.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Store::ready(conn, Path::new(":memory:"))
    }

    fn ready(conn: Connection, path: &Path) -> Result<Store, StoreError> {
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        migrations::migrate(&conn, path)?;
        Ok(Store { conn: ReentrantMutex::new(conn) })
    }

    /// The connection, for this thread until the guard drops (a few statements, no await).
    fn conn(&self) -> ReentrantMutexGuard<'_, Connection> {
        self.conn.lock()
    }

    /// The schema version of the open database (`PRAGMA user_version`).
    pub fn schema_version(&self) -> u32 {
        migrations::user_version(&self.conn()).unwrap_or(0)
    }

    /// The SQLite journal mode, e.g. `wal` (`memory` for an in-memory store).
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(self.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0))?)
    }

    /// Runs `f` in one transaction: every write in it lands, or none does (e.g. store the new
    /// link and clear its intent together). Not reentrant: `f` must not call `atomically` again.
    pub fn atomically<T, E>(&self, f: impl FnOnce(&Store) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        // Immediate: take the write lock up front, so a concurrent writer waits on the busy
        // timeout instead of failing the upgrade from reader to writer half-way.
        // The guard is held until the commit: no other task's statement lands inside the transaction.
        let conn = self.conn();
        let tx = rusqlite::Transaction::new_unchecked(&conn, rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let value = f(self)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }
}

/// A timestamp as stored: fixed-width RFC 3339 in UTC with nanoseconds, so text order is time order.
pub(crate) struct Ts(pub DateTime<Utc>);

impl ToSql for Ts {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0.to_rfc3339_opts(SecondsFormat::Nanos, true)))
    }
}

impl FromSql for Ts {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| Ts(t.with_timezone(&Utc)))
            .map_err(|e| FromSqlError::Other(format!("timestamp `{text}`: {e}").into()))
    }
}

/// Reads an optional timestamp column.
pub(crate) fn opt_ts(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(row.get::<_, Option<Ts>>(idx)?.map(|t| t.0))
}

impl ToSql for RunOutcome {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for RunOutcome {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str()?.parse().map_err(|e: UnknownValue| FromSqlError::Other(Box::new(e)))
    }
}

impl ToSql for Direction {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Direction {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str()?.parse().map_err(|e: UnknownValue| FromSqlError::Other(Box::new(e)))
    }
}

/// Orders ids the way people read them: runs of digits compare as numbers, so `ST-2` < `ST-10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (na, ra) = split_digits(a);
                let (nb, rb) = split_digits(b);
                let (ta, tb) = (na.trim_start_matches('0'), nb.trim_start_matches('0'));
                let by_value = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                match by_value.then_with(|| na.len().cmp(&nb.len())) {
                    Ordering::Equal => (a, b) = (ra, rb),
                    other => return other,
                }
            }
            (Some(x), Some(y)) => match x.cmp(&y) {
                Ordering::Equal => (a, b) = (&a[x.len_utf8()..], &b[y.len_utf8()..]),
                other => return other,
            },
        }
    }
}

fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The daemon and tests use one store from several tasks: it is `Send` and `Sync`.
    #[test]
    fn the_store_can_be_shared_between_tasks() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Store>();
    }

    #[test]
    fn natural_order_reads_numbers_as_numbers() {
        let cases: &[(&str, &str, Ordering)] = &[
            ("ST-2", "ST-10", Ordering::Less),
            ("ST-10", "ST-2", Ordering::Greater),
            ("ST-10", "ST-10", Ordering::Equal),
            ("EP-9", "ST-1", Ordering::Less),
            ("ST-1", "ST-1a", Ordering::Less),
            ("ST-007", "ST-7", Ordering::Greater),
            ("ST-7", "ST-08", Ordering::Less),
            ("ST-99999999999999999999999", "ST-100000000000000000000000", Ordering::Less),
            ("", "ST-1", Ordering::Less),
            ("é-2", "é-10", Ordering::Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(natural_cmp(a, b), *want, "{a} vs {b}");
        }
    }

    #[test]
    fn timestamps_keep_nanoseconds_and_sort_as_text() {
        let store = Store::open_in_memory().unwrap();
        let t = DateTime::parse_from_rfc3339("2025-05-01T10:00:00.123456789Z").unwrap().to_utc();
        let back: Ts = store.conn().query_row("SELECT ?1", [Ts(t)], |r| r.get(0)).unwrap();
        assert_eq!(back.0, t);
        let early: String = store.conn().query_row("SELECT ?1", [Ts(t)], |r| r.get(0)).unwrap();
        let later = Ts(t + chrono::Duration::milliseconds(900));
        let late: String = store.conn().query_row("SELECT ?1", [later], |r| r.get(0)).unwrap();
        assert!(early < late, "{early} < {late}");
        assert_eq!(early, "2025-05-01T10:00:00.123456789Z");
    }
}
