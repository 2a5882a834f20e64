//! The numbered schema migrations of the state database, tracked in `PRAGMA user_version`.
//!
//! Migration N takes the schema from version N-1 to N and runs in its own immediate transaction
//! together with the version bump, so a crash never leaves half a migration behind and two
//! processes opening the same new file do not both migrate it. Never edit a shipped migration;
//! append a new one.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// The migrations, in order: `MIGRATIONS[0]` brings an empty file to version 1.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE links (
        target          TEXT NOT NULL,
        item_id         TEXT NOT NULL,
        remote_id       TEXT NOT NULL,
        remote_key      TEXT,
        remote_url      TEXT,
        base            TEXT NOT NULL DEFAULT '{}',   -- JSON object: field name -> value
        remote_version  TEXT,
        synced_at       TEXT NOT NULL,
        PRIMARY KEY (target, item_id),
        UNIQUE (target, remote_id)
    );

    CREATE TABLE intents (
        target      TEXT NOT NULL,
        item_id     TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (target, item_id)
    );

    CREATE TABLE watermarks (
        target  TEXT PRIMARY KEY NOT NULL,
        since   TEXT NOT NULL,
        etag    TEXT,
        query   TEXT
    );

    CREATE TABLE runs (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        kind              TEXT NOT NULL,
        targets           TEXT,                       -- JSON array; NULL = every target
        started_at        TEXT NOT NULL,
        finished_at       TEXT,
        outcome           TEXT NOT NULL DEFAULT 'running',
        inbound_created   INTEGER NOT NULL DEFAULT 0,
        inbound_updated   INTEGER NOT NULL DEFAULT 0,
        outbound_created  INTEGER NOT NULL DEFAULT 0,
        outbound_updated  INTEGER NOT NULL DEFAULT 0,
        removed           INTEGER NOT NULL DEFAULT 0,
        conflicts         INTEGER NOT NULL DEFAULT 0,
        error             TEXT
    );
    CREATE INDEX runs_by_outcome ON runs (outcome, id);

    CREATE TABLE changes (
        id         INTEGER PRIMARY KEY,
        run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        at         TEXT NOT NULL,
        item_id    TEXT NOT NULL,
        target     TEXT,
        direction  TEXT NOT NULL,
        action     TEXT NOT NULL,
        field      TEXT,
        old        TEXT,
        new        TEXT
    );
    CREATE INDEX changes_by_time ON changes (at);
    CREATE INDEX changes_by_run ON changes (run_id);

    CREATE TABLE conflicts (
        id           INTEGER PRIMARY KEY,
        target       TEXT NOT NULL,
        item_id      TEXT NOT NULL,
        field        TEXT NOT NULL,
        base         TEXT,
        canonical    TEXT,
        remote       TEXT,
        detected_at  TEXT NOT NULL,
        resolved_at  TEXT
    );
    CREATE UNIQUE INDEX conflicts_open ON conflicts (target, item_id, field) WHERE resolved_at IS NULL;

    CREATE TABLE deliveries (
        source       TEXT NOT NULL,
        delivery_id  TEXT NOT NULL,
        received_at  TEXT NOT NULL,
        PRIMARY KEY (source, delivery_id)
    );
    CREATE INDEX deliveries_by_time ON deliveries (received_at);

    CREATE TABLE budgets (
        target      TEXT PRIMARY KEY NOT NULL,
        remaining   INTEGER,
        "limit"     INTEGER,
        reset_at    TEXT,
        updated_at  TEXT NOT NULL
    );

    CREATE TABLE posts (
        channel     TEXT NOT NULL,
        audience    TEXT NOT NULL,
        period      TEXT NOT NULL,
        remote_ref  TEXT,
        posted_at   TEXT NOT NULL,
        state       TEXT NOT NULL,
        PRIMARY KEY (channel, audience, period)
    );
    "#,
    // 2: items a remote refused for good, kept until they sync (issue 15): shown by `status`,
    // `drift`, the dashboard and `/readyz`, and retried with back-off.
    r#"
    CREATE TABLE refusals (
        target       TEXT NOT NULL,
        item_id      TEXT NOT NULL,
        status       INTEGER,                      -- the remote's HTTP status, when it answered
        message      TEXT NOT NULL,
        hint         TEXT NOT NULL,
        first_seen   TEXT NOT NULL,
        last_seen    TEXT NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 1,
        next_try     TEXT NOT NULL,
        fingerprint  TEXT NOT NULL DEFAULT '',     -- what was sent: a different one is tried at once
        PRIMARY KEY (target, item_id)
    );
    "#,
    // 3: the fields a create sends, kept beside its intent (issue 13, finding 11): a create whose
    // answer was lost is adopted with them as its base, so an edit a person made on the remote
    // before the adoption reads as a remote edit and merges instead of being overwritten.
    r#"
    ALTER TABLE intents ADD COLUMN sent TEXT NOT NULL DEFAULT '{}';   -- JSON object: field -> value
    "#,
    // 4: mirrored comments (issue 18): which comment on which target mirrors which original, and
    // the original's version last mirrored. Comments are not canonical files: they live on the
    // trackers, and this table only remembers the pairing (the hidden marker in each mirror finds
    // it again when this table is lost).
    r#"
    CREATE TABLE comment_mirrors (
        item_id          TEXT NOT NULL,
        origin_target    TEXT NOT NULL,
        origin_item      TEXT NOT NULL,               -- the remote item the original is on
        origin_comment   TEXT NOT NULL,
        target           TEXT NOT NULL,               -- where the mirror is
        mirror_comment   TEXT NOT NULL,
        origin_version   TEXT NOT NULL,               -- the original's version last mirrored
        mirrored_at      TEXT NOT NULL,
        PRIMARY KEY (origin_target, origin_comment, target)
    );
    CREATE INDEX comment_mirrors_by_item ON comment_mirrors (item_id);
    "#,
    // 5: remote items carrying the marker of an item with no file and no link there (issue 13,
    // finding 22: the file was deleted and the state lost): a run that would create the item
    // once its file is back reads that remote item by its id first and links it.
    r#"
    CREATE TABLE orphans (
        target     TEXT NOT NULL,
        remote_id  TEXT NOT NULL,
        item_id    TEXT NOT NULL,                  -- the item its marker names
        PRIMARY KEY (target, remote_id)
    );
    "#,
    // 6: the identities a target's last listing read owners with (issue 13, finding 24): an
    // assignee nobody knew reads as no owner, and once the person is added an incremental listing
    // would not show the unchanged item again. A run whose target's identities differ from these
    // (or finds none: a database written before this migration) lists that target in full.
    r#"
    ALTER TABLE watermarks ADD COLUMN identities TEXT;   -- SHA-256 hex, see Remote::identities_fingerprint
    "#,
    // 7: the file's owner when each link was saved (finding 34). The base of an owner a target
    // cannot carry is what the target showed, not the file's owner; a file owner changed back to
    // that person would read as no edit. NULL: not known (a link saved before this migration).
    r#"
    ALTER TABLE links ADD COLUMN file_owner TEXT;   -- "" when the file named no owner
    "#,
];

/// The schema version this binary writes and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(super) fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the database up to [`SCHEMA_VERSION`], refusing one written by a newer binary.
pub(super) fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    apply(conn, path, MIGRATIONS)
}

fn apply(conn: &Connection, path: &Path, migrations: &[&str]) -> Result<(), StoreError> {
    let supported = migrations.len() as u32;
    let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
    let found = user_version(conn).map_err(open_err)?;
    if found > supported {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, supported });
    }
    for (i, sql) in migrations.iter().enumerate().skip(found as usize) {
        let version = i as u32 + 1;
        let failed = |source| StoreError::Migration { version, source };
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate).map_err(failed)?;
        // Another process may have migrated while we waited for the write lock.
        if user_version(&tx).map_err(failed)? >= version {
            continue;
        }
        tx.execute_batch(sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", version).map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::debug!(version, path = %path.display(), "migrated state database");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_run_in_order_and_only_once() {
        let conn = Connection::open_in_memory().unwrap();
        let steps = ["CREATE TABLE a (x)", "ALTER TABLE a ADD COLUMN y"];
        apply(&conn, Path::new(":memory:"), &steps[..1]).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 1);
        apply(&conn, Path::new(":memory:"), &steps).unwrap();
        apply(&conn, Path::new(":memory:"), &steps).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 2);
        conn.execute("INSERT INTO a (x, y) VALUES (1, 2)", []).unwrap();
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version_intact() {
        let conn = Connection::open_in_memory().unwrap();
        let steps = ["CREATE TABLE a (x)", "CREATE TABLE b (x); CREATE TABLE a (x)"];
        let err = apply(&conn, Path::new(":memory:"), &steps).unwrap_err();
        assert!(matches!(err, StoreError::Migration { version: 2, .. }), "{err}");
        assert_eq!(user_version(&conn).unwrap(), 1);
        let b: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'b'", [], |r| r.get(0)).unwrap();
        assert_eq!(b, 0, "table `b` of the failed migration was rolled back");
    }

    #[test]
    fn a_watermark_of_a_version_5_database_is_kept_and_names_no_identities() {
        let conn = Connection::open_in_memory().unwrap();
        apply(&conn, Path::new(":memory:"), &MIGRATIONS[..5]).unwrap();
        conn.execute("INSERT INTO watermarks (target, since) VALUES ('github', '2026-12-01T00:00:00Z')", []).unwrap();
        migrate(&conn, Path::new(":memory:")).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        let (since, identities): (String, Option<String>) =
            conn.query_row("SELECT since, identities FROM watermarks", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        // No identities: the first run lists the target in full once (engine::identities_changed).
        assert_eq!((since.as_str(), identities), ("2026-12-01T00:00:00Z", None));
    }

    #[test]
    fn a_link_of_a_version_6_database_is_kept_and_knows_no_file_owner() {
        let conn = Connection::open_in_memory().unwrap();
        apply(&conn, Path::new(":memory:"), &MIGRATIONS[..6]).unwrap();
        conn.execute(
            "INSERT INTO links (target, item_id, remote_id, base, synced_at)
             VALUES ('boards', 'RK-1', '7', '{\"owner\":\"alice@contoso.com\"}', '2026-12-01T00:00:00Z')",
            [],
        )
        .unwrap();
        migrate(&conn, Path::new(":memory:")).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        let (base, file_owner): (String, Option<String>) =
            conn.query_row("SELECT base, file_owner FROM links", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        // Not known: the base's owner is weighed as before until the link is saved again.
        assert_eq!((base.as_str(), file_owner), (r#"{"owner":"alice@contoso.com"}"#, None));
    }

    #[test]
    fn a_newer_database_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        let err = migrate(&conn, Path::new("state.db")).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 1));
    }
}
