//! Live coverage: a story's coverage and its updates. Every change is a
//! content change of the story's page (`StoryExtras`), so caches and every
//! instance's live streams hear of it through the content events; each
//! moves the coverage's `seq`, which the change's updates carry.

use crate::model::live::{LiveCoverage, LiveUpdate, LiveUpdateChange, LiveUpdateVersion};

use super::{ContentChange, Store, StoreError, StoreResult, read, write};

macro_rules! queries {
    () => {
        pub mod live {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::model::UnixTime;
            use crate::model::live::{LiveCoverage, LiveUpdate, LiveUpdateChange, LiveUpdateVersion};
            use crate::store::StoreResult;

            pub async fn coverage(pool: &Pool<Db>, story_id: &str) -> StoreResult<Option<LiveCoverage>> {
                Ok(sqlx::query_as(
                    "SELECT story_id, started_at, ended_at, seq FROM live_coverage WHERE story_id = $1",
                )
                .bind(story_id)
                .fetch_optional(pool)
                .await?)
            }

            /// Starts (or starts again) the coverage; answers whether it
            /// was not live before.
            pub async fn start(conn: &mut Conn, story_id: &str, now: UnixTime) -> StoreResult<bool> {
                let was_live: Option<Option<i64>> = sqlx::query_scalar(
                    "SELECT ended_at FROM live_coverage WHERE story_id = $1",
                )
                .bind(story_id)
                .fetch_optional(&mut *conn)
                .await?;
                sqlx::query(
                    "INSERT INTO live_coverage (story_id, started_at, ended_at, seq) VALUES ($1, $2, NULL, 1)
                     ON CONFLICT (story_id) DO UPDATE SET ended_at = NULL, seq = live_coverage.seq + 1",
                )
                .bind(story_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(!matches!(was_live, Some(None)))
            }

            /// Ends the coverage; answers whether it was live.
            pub async fn end(conn: &mut Conn, story_id: &str, now: UnixTime) -> StoreResult<bool> {
                let ended = sqlx::query(
                    "UPDATE live_coverage SET ended_at = $2, seq = seq + 1
                     WHERE story_id = $1 AND ended_at IS NULL",
                )
                .bind(story_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(ended.rows_affected() > 0)
            }

            /// The next change number of a story's updates (None: the
            /// story is not covered live, or its coverage has ended and
            /// `live_only`).
            pub async fn next_seq(conn: &mut Conn, story_id: &str, live_only: bool) -> StoreResult<Option<i64>> {
                let sql = if live_only {
                    "UPDATE live_coverage SET seq = seq + 1 WHERE story_id = $1 AND ended_at IS NULL RETURNING seq"
                } else {
                    "UPDATE live_coverage SET seq = seq + 1 WHERE story_id = $1 RETURNING seq"
                };
                Ok(sqlx::query_scalar(sql)
                .bind(story_id)
                .fetch_optional(&mut *conn)
                .await?)
            }

            pub async fn insert(conn: &mut Conn, u: &LiveUpdate) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO live_updates (id, story_id, seq, posted_at, author_id, body, pinned, edited_at, removed_at, posted_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&u.id)
                .bind(&u.story_id)
                .bind(u.seq)
                .bind(u.posted_at)
                .bind(&u.author_id)
                .bind(&u.body)
                .bind(u.pinned)
                .bind(u.edited_at)
                .bind(u.removed_at)
                .bind(&u.posted_by)
                .execute(conn)
                .await?;
                Ok(())
            }

            /// A current (not removed) update of the story.
            pub async fn current(conn: &mut Conn, story_id: &str, id: &str) -> StoreResult<Option<LiveUpdate>> {
                Ok(sqlx::query_as(
                    "SELECT id, story_id, seq, posted_at, author_id, body, pinned, edited_at, removed_at, posted_by FROM live_updates
                     WHERE id = $1 AND story_id = $2 AND removed_at IS NULL",
                )
                .bind(id)
                .bind(story_id)
                .fetch_optional(conn)
                .await?)
            }

            /// Keeps `old` as history, then edits it (`change`) or removes it.
            pub async fn replace(
                conn: &mut Conn,
                old: &LiveUpdate,
                change: Option<&LiveUpdateChange>,
                seq: i64,
                by: &str,
                now: UnixTime,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO live_update_history
                     (update_id, seq, body, pinned, author_id, replaced_at, replaced_by, removed)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&old.id)
                .bind(old.seq)
                .bind(&old.body)
                .bind(old.pinned)
                .bind(&old.author_id)
                .bind(now)
                .bind(by)
                .bind(change.is_none())
                .execute(&mut *conn)
                .await?;
                match change {
                    Some(c) => sqlx::query(
                        "UPDATE live_updates SET seq = $2, body = $3, pinned = $4, author_id = $5, edited_at = $6
                         WHERE id = $1",
                    )
                    .bind(&old.id)
                    .bind(seq)
                    .bind(&c.body)
                    .bind(c.pinned)
                    .bind(&c.author_id)
                    .bind(now),
                    None => sqlx::query(
                        "UPDATE live_updates SET seq = $2, pinned = FALSE, removed_at = $3 WHERE id = $1",
                    )
                    .bind(&old.id)
                    .bind(seq)
                    .bind(now),
                }
                .execute(conn)
                .await?;
                Ok(())
            }

            /// Another update is pinned: the one pinned before is not.
            pub async fn unpin_others(conn: &mut Conn, story_id: &str, keep: &str, seq: i64) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE live_updates SET pinned = FALSE, seq = $3
                     WHERE story_id = $1 AND id <> $2 AND pinned",
                )
                .bind(story_id)
                .bind(keep)
                .bind(seq)
                .execute(conn)
                .await?;
                Ok(())
            }

            /// The story's updates changed after `after` (removed ones
            /// too), newest first.
            pub async fn changed_since(pool: &Pool<Db>, story_id: &str, after: i64) -> StoreResult<Vec<LiveUpdate>> {
                Ok(sqlx::query_as(
                    "SELECT id, story_id, seq, posted_at, author_id, body, pinned, edited_at, removed_at, posted_by FROM live_updates WHERE story_id = $1 AND seq > $2
                     ORDER BY posted_at DESC, id DESC",
                )
                .bind(story_id)
                .bind(after)
                .fetch_all(pool)
                .await?)
            }

            pub async fn history(pool: &Pool<Db>, story_id: &str) -> StoreResult<Vec<LiveUpdateVersion>> {
                Ok(sqlx::query_as(
                    "SELECT h.update_id, h.seq, h.body, h.pinned, h.author_id, h.replaced_at,
                            us.name AS replaced_by_name, h.removed
                     FROM live_update_history h
                     JOIN live_updates u ON u.id = h.update_id
                     LEFT JOIN users us ON us.id = h.replaced_by
                     WHERE u.story_id = $1 ORDER BY h.replaced_at DESC, h.seq DESC",
                )
                .bind(story_id)
                .fetch_all(pool)
                .await?)
            }
        }
    };
}
pub(super) use queries;

impl Store {
    pub async fn live_coverage(&self, story_id: &str) -> StoreResult<Option<LiveCoverage>> {
        read!(self, live::coverage(story_id))
    }

    /// Starts a story's live coverage (again, after it ended); answers
    /// false when it was live already.
    pub async fn start_live(&self, story_id: &str) -> StoreResult<bool> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let story = db::stories::visibility(conn, story_id, now).await?;
            let started = db::live::start(conn, story_id, now).await?;
            (started, extras(story_id, story))
        })
    }

    /// Ends it: the page becomes an ordinary story with its updates.
    pub async fn end_live(&self, story_id: &str) -> StoreResult<bool> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let story = db::stories::visibility(conn, story_id, now).await?;
            let ended = db::live::end(conn, story_id, now).await?;
            (ended, extras(story_id, story))
        })
    }

    /// Posts an update (its `seq` is set here). NotFound when the story
    /// is not live.
    pub async fn post_live_update(&self, update: &LiveUpdate) -> StoreResult<LiveUpdate> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let story = db::stories::visibility(conn, &update.story_id, now).await?;
            let Some(seq) = db::live::next_seq(conn, &update.story_id, true).await? else {
                return Err(StoreError::NotFound);
            };
            let posted = LiveUpdate {
                seq,
                ..update.clone()
            };
            db::live::insert(conn, &posted).await?;
            if posted.pinned {
                db::live::unpin_others(conn, &posted.story_id, &posted.id, seq).await?;
            }
            (posted, extras(&update.story_id, story))
        })
    }

    /// Edits an update (`change`) or removes it (None), keeping how it
    /// read before. NotFound when it is not a current update of the story.
    pub async fn change_live_update(
        &self,
        story_id: &str,
        update_id: &str,
        change: Option<&LiveUpdateChange>,
        by: &str,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let story = db::stories::visibility(conn, story_id, now).await?;
            let Some(old) = db::live::current(conn, story_id, update_id).await? else {
                return Err(StoreError::NotFound);
            };
            let Some(seq) = db::live::next_seq(conn, story_id, false).await? else {
                return Err(StoreError::NotFound);
            };
            db::live::replace(conn, &old, change, seq, by, now).await?;
            if change.is_some_and(|c| c.pinned) {
                db::live::unpin_others(conn, story_id, update_id, seq).await?;
            }
            ((), extras(story_id, story))
        })
    }

    /// The story's updates changed after change number `after` (0: all of
    /// them), removed ones included, newest first.
    pub async fn live_updates_since(
        &self,
        story_id: &str,
        after: i64,
    ) -> StoreResult<Vec<LiveUpdate>> {
        read!(self, live::changed_since(story_id, after))
    }

    /// Every earlier wording of the story's updates, newest change first.
    pub async fn live_history(&self, story_id: &str) -> StoreResult<Vec<LiveUpdateVersion>> {
        read!(self, live::history(story_id))
    }
}

fn extras(story_id: &str, story: crate::model::Visibility) -> ContentChange {
    ContentChange::StoryExtras {
        story_id: story_id.to_string(),
        story,
    }
}
