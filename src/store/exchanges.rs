//! What the store remembers of its exchanges with the outside: webhook deliveries already seen
//! (dedupe), each target's rate-limit budget, and stakeholder summaries posted (idempotence).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Budget, Post, Store, StoreError, Ts, opt_ts};

impl Store {
    /// Records a webhook delivery id of a source (`github`, `azure-devops`). Returns `true` when
    /// the id is new, `false` for a redelivery that was already handled.
    pub fn record_delivery(&self, source: &str, delivery_id: &str) -> Result<bool, StoreError> {
        let inserted = self
            .conn()
            .prepare_cached(
                "INSERT INTO deliveries (source, delivery_id, received_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (source, delivery_id) DO NOTHING",
            )?
            .execute(params![source, delivery_id, Ts(Utc::now())])?;
        Ok(inserted == 1)
    }

    /// Forgets deliveries received before `older_than`; returns how many were forgotten.
    pub fn prune_deliveries(&self, older_than: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self.conn().prepare_cached("DELETE FROM deliveries WHERE received_at < ?1")?.execute([Ts(older_than)])?)
    }

    /// Replaces the rate-limit budget last seen for a target.
    pub fn set_budget(&self, target: &str, b: &Budget) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                r#"INSERT INTO budgets (target, remaining, "limit", reset_at, updated_at)
                   VALUES (?1, ?2, ?3, ?4, ?5)
                   ON CONFLICT (target) DO UPDATE SET remaining = excluded.remaining,
                      "limit" = excluded."limit", reset_at = excluded.reset_at,
                      updated_at = excluded.updated_at"#,
            )?
            .execute(params![target, b.remaining, b.limit, b.reset_at.map(Ts), Ts(b.updated_at)])?;
        Ok(())
    }

    /// Every target's budget, sorted by target.
    pub fn budgets(&self) -> Result<Vec<(String, Budget)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            r#"SELECT target, remaining, "limit", reset_at, updated_at FROM budgets ORDER BY target"#,
        )?;
        let rows = stmt.query_map([], |r| {
            let budget = Budget {
                remaining: r.get(1)?,
                limit: r.get(2)?,
                reset_at: opt_ts(r, 3)?,
                updated_at: r.get::<_, Ts>(4)?.0,
            };
            Ok((r.get(0)?, budget))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The post of a summary for a channel, audience and period, if one was recorded.
    pub fn post(&self, channel: &str, audience: &str, period: &str) -> Result<Option<Post>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT channel, audience, period, remote_ref, posted_at, state FROM posts
             WHERE channel = ?1 AND audience = ?2 AND period = ?3",
        )?;
        Ok(stmt.query_row([channel, audience, period], post_row).optional()?)
    }

    /// Every post a channel accepted (`done`), oldest first: what `stakeholder-summary-overdue`
    /// measures each stakeholder's cadence against.
    pub fn done_posts(&self) -> Result<Vec<Post>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT channel, audience, period, remote_ref, posted_at, state FROM posts
             WHERE state = 'done' ORDER BY posted_at",
        )?;
        let rows = stmt.query_map([], post_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Records a post (e.g. `pending` before sending, `done` with its reference after), replacing
    /// the earlier record for the same channel, audience and period.
    pub fn record_post(&self, p: &Post) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO posts (channel, audience, period, remote_ref, posted_at, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (channel, audience, period) DO UPDATE SET
                    remote_ref = excluded.remote_ref, posted_at = excluded.posted_at,
                    state = excluded.state",
            )?
            .execute(params![p.channel, p.audience, p.period, p.remote_ref, Ts(p.posted_at), p.state])?;
        Ok(())
    }
}

/// One row of `posts` (channel, audience, period, remote_ref, posted_at, state) as a `Post`.
fn post_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Post> {
    Ok(Post {
        channel: r.get(0)?,
        audience: r.get(1)?,
        period: r.get(2)?,
        remote_ref: r.get(3)?,
        posted_at: r.get::<_, Ts>(4)?.0,
        state: r.get(5)?,
    })
}
