//! Runs (one row per sync, reconcile, webhook or demo run, with counts by direction) and the
//! change log of each run, which stakeholder summaries read as "what changed since".

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use super::{Change, Run, RunCounts, RunOutcome, Store, StoreError, Ts, opt_ts};

const RUN_COLUMNS: &str = "id, kind, targets, started_at, finished_at, outcome, inbound_created, \
     inbound_updated, outbound_created, outbound_updated, removed, conflicts, error";

fn run_from_row(row: &Row<'_>) -> rusqlite::Result<Run> {
    let targets: Option<String> = row.get(2)?;
    let targets = targets
        .map(|t| serde_json::from_str::<Vec<String>>(&t))
        .transpose()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(Run {
        id: row.get(0)?,
        kind: row.get(1)?,
        targets,
        started_at: row.get::<_, Ts>(3)?.0,
        finished_at: opt_ts(row, 4)?,
        outcome: row.get(5)?,
        counts: RunCounts {
            inbound_created: row.get(6)?,
            inbound_updated: row.get(7)?,
            outbound_created: row.get(8)?,
            outbound_updated: row.get(9)?,
            removed: row.get(10)?,
            conflicts: row.get(11)?,
        },
        error: row.get(12)?,
    })
}

fn change_from_row(row: &Row<'_>) -> rusqlite::Result<Change> {
    Ok(Change {
        at: row.get::<_, Ts>(0)?.0,
        item_id: row.get(1)?,
        target: row.get(2)?,
        direction: row.get(3)?,
        action: row.get(4)?,
        field: row.get(5)?,
        old: row.get(6)?,
        new: row.get(7)?,
    })
}

const CHANGE_COLUMNS: &str = "at, item_id, target, direction, action, field, old, new";

impl Store {
    /// Starts a run over every configured target and returns its id.
    /// `kind` is `sync`, `reconcile`, `webhook` or `demo`.
    pub fn start_run(&self, kind: &str) -> Result<i64, StoreError> {
        self.insert_run(kind, None)
    }

    /// Starts a run over some targets only (e.g. a webhook for one repository).
    pub fn start_run_for(&self, kind: &str, targets: &[&str]) -> Result<i64, StoreError> {
        let mut targets: Vec<&str> = targets.to_vec();
        targets.sort_unstable();
        targets.dedup();
        self.insert_run(kind, Some(serde_json::to_string(&targets).expect("strings serialise")))
    }

    fn insert_run(&self, kind: &str, targets: Option<String>) -> Result<i64, StoreError> {
        // One guard for both: another task's insert must not come between.
        let conn = self.conn();
        conn.prepare_cached("INSERT INTO runs (kind, targets, started_at, outcome) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![kind, targets, Ts(Utc::now()), RunOutcome::Running])?;
        Ok(conn.last_insert_rowid())
    }

    /// Records how a run ended, with its counts and (for a failure) the error message.
    pub fn finish_run(
        &self,
        run_id: i64,
        counts: &RunCounts,
        outcome: RunOutcome,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let c = counts;
        let updated = self
            .conn()
            .prepare_cached(
                "UPDATE runs SET finished_at = ?2, outcome = ?3, error = ?4,
                    inbound_created = ?5, inbound_updated = ?6, outbound_created = ?7,
                    outbound_updated = ?8, removed = ?9, conflicts = ?10
                 WHERE id = ?1",
            )?
            .execute(params![
                run_id,
                Ts(Utc::now()),
                outcome,
                error,
                c.inbound_created,
                c.inbound_updated,
                c.outbound_created,
                c.outbound_updated,
                c.removed,
                c.conflicts,
            ])?;
        if updated == 0 {
            return Err(StoreError::UnknownRun(run_id));
        }
        Ok(())
    }

    /// One run by id.
    pub fn run(&self, run_id: i64) -> Result<Option<Run>, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1");
        Ok(self.conn().prepare_cached(&sql)?.query_row([run_id], run_from_row).optional()?)
    }

    /// The latest `limit` runs, newest first.
    pub fn last_runs(&self, limit: usize) -> Result<Vec<Run>, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?1");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt.query_map([limit], run_from_row)?.collect::<Result<Vec<_>, _>>()?)
    }

    /// The newest successful run; with a target, the newest that covered that target.
    pub fn last_success(&self, target: Option<&str>) -> Result<Option<Run>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE outcome = ?1 AND (?2 IS NULL OR targets IS NULL
                OR EXISTS (SELECT 1 FROM json_each(runs.targets) WHERE json_each.value = ?2))
             ORDER BY id DESC LIMIT 1"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt.query_row(params![RunOutcome::Success, target], run_from_row).optional()?)
    }

    /// Appends one change to the log of a run.
    pub fn record_change(&self, run_id: i64, change: &Change) -> Result<(), StoreError> {
        let c = change;
        let result = self
            .conn()
            .prepare_cached(
                "INSERT INTO changes (run_id, at, item_id, target, direction, action, field, old, new)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![run_id, Ts(c.at), c.item_id, c.target, c.direction, c.action, c.field, c.old, c.new]);
        match result {
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
                Err(StoreError::UnknownRun(run_id))
            }
            other => other.map(|_| ()).map_err(StoreError::from),
        }
    }

    /// Every change at or after `since`, oldest first (in recording order within one instant).
    pub fn changes_since(&self, since: DateTime<Utc>) -> Result<Vec<Change>, StoreError> {
        let sql = format!("SELECT {CHANGE_COLUMNS} FROM changes WHERE at >= ?1 ORDER BY at, id");
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt.query_map([Ts(since)], change_from_row)?.collect::<Result<Vec<_>, _>>()?)
    }

    /// The changes one run recorded, in recording order.
    pub fn run_changes(&self, run_id: i64) -> Result<Vec<Change>, StoreError> {
        let sql = format!("SELECT {CHANGE_COLUMNS} FROM changes WHERE run_id = ?1 ORDER BY id");
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt.query_map([run_id], change_from_row)?.collect::<Result<Vec<_>, _>>()?)
    }
}
