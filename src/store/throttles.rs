//! Rate-limit counts: how often a subject (a client address, an account,
//! a contributor's uploads) did something, in buckets of time. Counting an
//! attempt is one atomic upsert on both engines that answers the bucket's
//! new count, so simultaneous attempts (on one instance or several) are
//! numbered one after the other; every other bucket of the span is summed
//! beside it, read after the write, so two attempts in two buckets each
//! see the other. Not content: no version moves.

use crate::model::UnixTime;

use super::{Store, StoreResult, exec};

/// Windows older than this are removed (the longest limit's window is a
/// day, and the previous window still weighs on the current one).
const KEEP_SECS: UnixTime = 2 * 86_400;

macro_rules! queries {
    () => {
        pub mod throttles {
            use sqlx::Pool;

            use super::Db;
            use crate::model::UnixTime;
            use crate::store::StoreResult;

            /// Counts one more in the bucket that starts at `bucket_start`;
            /// answers that bucket's count with this one (each of attempts
            /// made at once gets its own number), the hits of the other
            /// buckets that started after `since` (a newer one too: another
            /// instance's clock, or a burst across a bucket's end), and the
            /// oldest start.
            pub async fn hit(
                pool: &Pool<Db>,
                subject: &str,
                bucket_start: UnixTime,
                since: UnixTime,
            ) -> StoreResult<(i64, i64, UnixTime)> {
                let in_bucket: i64 = sqlx::query_scalar(
                    "INSERT INTO throttles (subject, window_start, hits) VALUES ($1, $2, 1)
                     ON CONFLICT (subject, window_start) DO UPDATE SET hits = throttles.hits + 1
                     RETURNING hits",
                )
                .bind(subject)
                .bind(bucket_start)
                .fetch_one(pool)
                .await?;
                let (older, oldest): (i64, UnixTime) = sqlx::query_as(
                    "SELECT CAST(COALESCE(SUM(hits), 0) AS BIGINT), COALESCE(MIN(window_start), $3)
                     FROM throttles
                     WHERE subject = $1 AND window_start > $2 AND window_start <> $3 AND hits > 0",
                )
                .bind(subject)
                .bind(since)
                .bind(bucket_start)
                .fetch_one(pool)
                .await?;
                Ok((in_bucket, older, oldest))
            }

            /// Takes one back (an attempt that did not happen after all).
            pub async fn unhit(pool: &Pool<Db>, subject: &str, window_start: UnixTime) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE throttles SET hits = hits - 1
                     WHERE subject = $1 AND window_start = $2 AND hits > 0",
                )
                .bind(subject)
                .bind(window_start)
                .execute(pool)
                .await?;
                Ok(())
            }

            /// Forgets `subject`, and every subject that starts with it
            /// followed by `|` (an account's counts from each address).
            pub async fn forget(pool: &Pool<Db>, subject: &str) -> StoreResult<()> {
                let prefix = format!("{subject}|");
                sqlx::query(
                    "DELETE FROM throttles WHERE subject = $1 OR substr(subject, 1, $2) = $3",
                )
                .bind(subject)
                .bind(prefix.chars().count() as i32)
                .bind(&prefix)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn purge(pool: &Pool<Db>, before: UnixTime) -> StoreResult<()> {
                sqlx::query("DELETE FROM throttles WHERE window_start < $1")
                    .bind(before)
                    .execute(pool)
                    .await?;
                Ok(())
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// Counts one more for `subject` in the bucket starting at
    /// `bucket_start`; answers the attempts counted since `since` up to and
    /// including this one (attempts made at once are numbered one after
    /// the other), and the start of the oldest bucket counted.
    pub async fn throttle_hit(
        &self,
        subject: &str,
        bucket_start: UnixTime,
        since: UnixTime,
    ) -> StoreResult<(i64, UnixTime)> {
        let (in_bucket, older, oldest) = exec!(self, throttles::hit(subject, bucket_start, since))?;
        if in_bucket == 1 {
            // A new bucket: a good moment to drop the long-ended ones.
            exec!(self, throttles::purge(bucket_start - KEEP_SECS))?;
        }
        Ok((in_bucket + older, oldest))
    }

    pub async fn throttle_unhit(&self, subject: &str, window_start: UnixTime) -> StoreResult<()> {
        exec!(self, throttles::unhit(subject, window_start))
    }

    pub async fn throttle_forget(&self, subject: &str) -> StoreResult<()> {
        exec!(self, throttles::forget(subject))
    }
}
