//! The durable job queue's storage: jobs enqueued inside the write that
//! causes them (they commit or roll back with it), claimed one at a time by
//! whichever instance asks first, with a lease that lapses if it dies.

use crate::model::UnixTime;

use super::{Store, StoreResult, exec};

/// What a job does; stored by its name (`publish-story`), its subject an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Flips a scheduled story to published when its time comes.
    PublishStory,
    /// The same for a brief.
    PublishBrief,
    /// Sends a subscriber the link that confirms their address.
    ConfirmSubscriber,
    /// Emails a reader the link to their preferences (they asked, from the site).
    SendManageLink,
    /// Sends (a part of) a newsletter issue; runs again until all is sent.
    SendIssue,
    /// Rewrites search documents showing a name that changed.
    ReindexStale,
    /// Works out a story's related stories (after it is saved).
    RelateStory,
    /// Delivers one webhook event (subject: the delivery's id).
    DeliverWebhook,
}

impl JobKind {
    pub const ALL: [JobKind; 8] = [
        JobKind::PublishStory,
        JobKind::PublishBrief,
        JobKind::ConfirmSubscriber,
        JobKind::SendManageLink,
        JobKind::SendIssue,
        JobKind::ReindexStale,
        JobKind::RelateStory,
        JobKind::DeliverWebhook,
    ];

    /// The name the queue stores.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::PublishStory => "publish-story",
            JobKind::PublishBrief => "publish-brief",
            JobKind::ConfirmSubscriber => "confirm-subscriber",
            JobKind::SendManageLink => "send-manage-link",
            JobKind::SendIssue => "send-issue",
            JobKind::ReindexStale => "reindex-stale",
            JobKind::RelateStory => "relate-story",
            JobKind::DeliverWebhook => "deliver-webhook",
        }
    }

    pub fn parse(name: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A claimed job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: String,
    /// The stored name (a queue shared with a newer version may hold kinds
    /// this one does not know: see `kind()`).
    pub kind: String,
    pub subject: String,
    /// Including this one.
    pub attempts: i32,
}

impl Job {
    /// What the job does, when this version knows the kind.
    pub fn kind(&self) -> Option<JobKind> {
        JobKind::parse(&self.kind)
    }
}

/// A job as the queue keeps it (for operators and tests).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRecord {
    pub kind: String,
    pub subject: String,
    pub run_at: UnixTime,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub done_at: Option<UnixTime>,
}

macro_rules! queries {
    () => {
        pub mod jobs {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::model::{UnixTime, new_id};
            use crate::store::StoreResult;
            use crate::store::jobs::{Job, JobRecord};

            /// Makes sure one pending job of `kind` for `subject` runs at `run_at`.
            pub async fn schedule(
                conn: &mut Conn,
                kind: crate::store::JobKind,
                subject: &str,
                run_at: UnixTime,
                now: UnixTime,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO jobs (id, kind, subject, run_at, attempts, created_at)
                     VALUES ($1, $2, $3, $4, 0, $5)
                     ON CONFLICT (kind, subject) WHERE done_at IS NULL
                     DO UPDATE SET run_at = excluded.run_at, attempts = 0, last_error = NULL",
                )
                .bind(new_id())
                .bind(kind.as_str())
                .bind(subject)
                .bind(run_at)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// Drops the pending job of `kind` for `subject`, unless a worker
            /// holds it now (it will find nothing to do, and finish it).
            pub async fn cancel(conn: &mut Conn, kind: crate::store::JobKind, subject: &str, now: UnixTime) -> StoreResult<()> {
                cancel_all(conn, kind, &[subject.to_string()], now).await
            }

            /// Cancels the pending jobs of a kind for these subjects (not one
            /// a worker holds right now).
            pub async fn cancel_all(conn: &mut Conn, kind: crate::store::JobKind, subjects: &[String], now: UnixTime) -> StoreResult<()> {
                if subjects.is_empty() {
                    return Ok(());
                }
                let mut qb = sqlx::QueryBuilder::<Db>::new("DELETE FROM jobs WHERE kind = ");
                qb.push_bind(kind.as_str());
                qb.push(" AND subject IN ");
                super::sql::push_id_list(&mut qb, subjects);
                qb.push(" AND done_at IS NULL AND (locked_until IS NULL OR locked_until < ");
                qb.push_bind(now);
                qb.push(")");
                qb.build().execute(&mut *conn).await?;
                Ok(())
            }

            /// The next due job nobody holds, held until `until`.
            pub async fn claim(pool: &Pool<Db>, now: UnixTime, until: UnixTime) -> StoreResult<Option<Job>> {
                Ok(sqlx::query_as(super::dialect::CLAIM_JOB)
                    .bind(now)
                    .bind(until)
                    .fetch_optional(pool)
                    .await?)
            }

            pub async fn finish(pool: &Pool<Db>, id: &str, now: UnixTime) -> StoreResult<()> {
                sqlx::query("UPDATE jobs SET done_at = $2, locked_until = NULL WHERE id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            /// Records a failure: tried again at `retry_at`, or given up (None).
            pub async fn fail(
                pool: &Pool<Db>,
                id: &str,
                error: &str,
                retry_at: Option<UnixTime>,
                now: UnixTime,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE jobs SET locked_until = NULL, last_error = $2,
                       run_at = COALESCE($3, run_at),
                       done_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END
                     WHERE id = $1",
                )
                .bind(id)
                .bind(error)
                .bind(retry_at)
                .bind(now)
                .execute(pool)
                .await?;
                Ok(())
            }

            /// The job ran a part of its work: run it again at `at`, afresh.
            pub async fn again(pool: &Pool<Db>, id: &str, at: UnixTime) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE jobs SET run_at = $2, locked_until = NULL, attempts = 0, last_error = NULL WHERE id = $1",
                )
                .bind(id)
                .bind(at)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn next_run_at(pool: &Pool<Db>) -> StoreResult<Option<UnixTime>> {
                Ok(sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE done_at IS NULL")
                    .fetch_one(pool)
                    .await?)
            }

            pub async fn of_subject(pool: &Pool<Db>, subject: &str) -> StoreResult<Vec<JobRecord>> {
                Ok(sqlx::query_as(
                    "SELECT kind, subject, run_at, attempts, last_error, done_at FROM jobs
                     WHERE subject = $1 ORDER BY created_at",
                )
                .bind(subject)
                .fetch_all(pool)
                .await?)
            }

            pub async fn enqueue(pool: &Pool<Db>, kind: crate::store::JobKind, subject: &str, run_at: UnixTime, now: UnixTime) -> StoreResult<()> {
                let mut conn = pool.acquire().await?;
                schedule(&mut conn, kind, subject, run_at, now).await
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// Takes the next due job for `lease` seconds (None: nothing is due).
    pub async fn claim_job(&self, lease: UnixTime) -> StoreResult<Option<Job>> {
        let now = self.clock.now();
        exec!(self, jobs::claim(now, now + lease))
    }

    pub async fn finish_job(&self, id: &str) -> StoreResult<()> {
        let now = self.clock.now();
        exec!(self, jobs::finish(id, now))
    }

    /// A failed run: tried again at `retry_at`, or given up when None.
    pub async fn fail_job(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<UnixTime>,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        exec!(self, jobs::fail(id, error, retry_at, now))
    }

    /// A job that did part of its work runs again at `at` (not a failure).
    pub async fn job_again(&self, id: &str, at: UnixTime) -> StoreResult<()> {
        exec!(self, jobs::again(id, at))
    }

    /// When the next pending job is due.
    pub async fn next_job_at(&self) -> StoreResult<Option<UnixTime>> {
        exec!(self, jobs::next_run_at())
    }

    /// Every job about `subject`, oldest first.
    pub async fn jobs_of(&self, subject: &str) -> StoreResult<Vec<JobRecord>> {
        exec!(self, jobs::of_subject(subject))
    }

    /// A job outside any content write (maintenance, tests).
    pub async fn enqueue_job(
        &self,
        kind: crate::store::JobKind,
        subject: &str,
        run_at: UnixTime,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        exec!(self, jobs::enqueue(kind, subject, run_at, now))
    }
}
