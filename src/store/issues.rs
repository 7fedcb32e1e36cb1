//! Newsletter issues, what they carry, and their deliveries: one row per
//! message, claimed in small batches for a short lease, marked as each is
//! accepted by the relay.

use crate::model::UnixTime;
use crate::model::newsletters::{IssueItem, IssueStatus, NewsletterIssue};

use super::{Store, StoreResult, exec, read};

/// Who a claimed delivery goes to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub id: String,
    pub email: String,
    pub name: String,
    pub manage_token: Option<String>,
    /// Including this one.
    #[sqlx(default)]
    pub attempts: i32,
}

/// How far a send has got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

/// What became of one message, to record.
#[derive(Debug, Clone)]
pub enum DeliveryMark {
    Sent(String),
    /// Try again at this time (the subscriber, the time, why).
    Retry(String, UnixTime, String),
    /// Refused for good (the subscriber, why).
    Failed(String, String),
}

/// Failures for good before an address counts as bounced.
pub const BOUNCE_AFTER: i32 = 3;

macro_rules! queries {
    () => {
        pub mod issues {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::model::newsletters::{IssueItem, NewsletterIssue};
            use crate::model::{UnixTime, new_id};
            use crate::store::StoreResult;
            use crate::store::issues::{BOUNCE_AFTER, Progress, Recipient};

            const COLUMNS: &str = "id, newsletter_id, slug, subject, preheader, intro, corrections_since, status, send_at, \
                                   started_at, finished_at, last_error, created_by, created_at, updated_at";

            pub async fn upsert(conn: &mut Conn, i: &NewsletterIssue, items: &[IssueItem]) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO newsletter_issues (id, newsletter_id, slug, subject, preheader, intro, status,
                       send_at, started_at, finished_at, last_error, created_by, created_at, updated_at, corrections_since)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, subject = excluded.subject,
                       preheader = excluded.preheader, intro = excluded.intro, body_schema = excluded.body_schema, status = excluded.status,
                       corrections_since = excluded.corrections_since,
                       send_at = excluded.send_at, updated_at = excluded.updated_at",
                )
                .bind(&i.id)
                .bind(&i.newsletter_id)
                .bind(&i.slug)
                .bind(&i.subject)
                .bind(&i.preheader)
                .bind(&i.intro)
                .bind(&i.status)
                .bind(i.send_at)
                .bind(i.started_at)
                .bind(i.finished_at)
                .bind(&i.last_error)
                .bind(&i.created_by)
                .bind(i.created_at)
                .bind(i.updated_at)
                .bind(i.corrections_since)
                .execute(&mut *conn)
                .await?;
                sqlx::query("DELETE FROM issue_items WHERE issue_id = $1")
                    .bind(&i.id)
                    .execute(&mut *conn)
                    .await?;
                for (position, item) in items.iter().enumerate() {
                    sqlx::query("INSERT INTO issue_items (issue_id, position, kind, piece_id) VALUES ($1, $2, $3, $4)")
                        .bind(&i.id)
                        .bind(position as i32)
                        .bind(&item.kind)
                        .bind(&item.piece_id)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            pub async fn by_id(pool: &Pool<Db>, id: &str) -> StoreResult<Option<NewsletterIssue>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM newsletter_issues WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?)
            }

            pub async fn by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<NewsletterIssue>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM newsletter_issues WHERE slug = $1")))
                    .bind(slug)
                    .fetch_optional(pool)
                    .await?)
            }

            /// Issues, newest first; `sent_only` for the public archive.
            pub async fn list(pool: &Pool<Db>, sent_only: bool, limit: i64) -> StoreResult<Vec<NewsletterIssue>> {
                let mut qb = sqlx::QueryBuilder::<Db>::new(format!("SELECT {COLUMNS} FROM newsletter_issues"));
                if sent_only {
                    qb.push(" WHERE status = 'sent'");
                }
                qb.push(" ORDER BY COALESCE(finished_at, created_at) DESC, id DESC");
                super::sql::push_limit(&mut qb, limit, 0);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn items(pool: &Pool<Db>, issue_id: &str) -> StoreResult<Vec<IssueItem>> {
                Ok(sqlx::query_as("SELECT kind, piece_id FROM issue_items WHERE issue_id = $1 ORDER BY position")
                    .bind(issue_id)
                    .fetch_all(pool)
                    .await?)
            }

            /// When the newsletter's last issue went out.
            pub async fn last_sent_at(pool: &Pool<Db>, newsletter_id: &str) -> StoreResult<Option<UnixTime>> {
                Ok(sqlx::query_scalar(
                    "SELECT MAX(finished_at) FROM newsletter_issues WHERE newsletter_id = $1 AND status = 'sent'",
                )
                .bind(newsletter_id)
                .fetch_one(pool)
                .await?)
            }

            /// One delivery for every active subscriber of the newsletter
            /// (set-based), the issue marked sending: in one transaction.
            pub async fn start(conn: &mut Conn, issue_id: &str, newsletter_id: &str, now: UnixTime) -> StoreResult<u64> {
                let queued = sqlx::query(
                    "INSERT INTO deliveries (issue_id, subscriber_id, status, attempts, next_attempt_at)
                     SELECT $1, s.id, 'queued', 0, $3 FROM subscriptions sub
                     JOIN subscribers s ON s.id = sub.subscriber_id
                     WHERE sub.newsletter_id = $2 AND s.status = 'active'
                     ON CONFLICT (issue_id, subscriber_id) DO NOTHING",
                )
                .bind(issue_id)
                .bind(newsletter_id)
                .bind(now)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                sqlx::query(
                    "UPDATE newsletter_issues SET status = 'sending', started_at = COALESCE(started_at, $2),
                       last_error = NULL, updated_at = $2 WHERE id = $1",
                )
                .bind(issue_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(queued)
            }

            pub async fn claim(pool: &Pool<Db>, issue_id: &str, now: UnixTime, until: UnixTime, n: i64) -> StoreResult<Vec<(String, i32)>> {
                Ok(sqlx::query_as(super::dialect::CLAIM_DELIVERIES)
                    .bind(issue_id)
                    .bind(now)
                    .bind(until)
                    .bind(n)
                    .fetch_all(pool)
                    .await?)
            }

            pub async fn recipients(pool: &Pool<Db>, ids: &[String]) -> StoreResult<Vec<Recipient>> {
                let mut qb = sqlx::QueryBuilder::<Db>::new(
                    "SELECT id, email, name, manage_token FROM subscribers WHERE id IN ",
                );
                super::sql::push_id_list(&mut qb, ids);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn mark_sent_in(conn: &mut Conn, issue_id: &str, subscriber_id: &str, now: UnixTime) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE deliveries SET status = 'sent', sent_at = $3, locked_until = NULL, last_error = NULL
                     WHERE issue_id = $1 AND subscriber_id = $2",
                )
                .bind(issue_id)
                .bind(subscriber_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            pub async fn mark_retry_in(conn: &mut Conn, issue_id: &str, subscriber_id: &str, at: UnixTime, error: &str) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE deliveries SET next_attempt_at = $3, locked_until = NULL, last_error = $4
                     WHERE issue_id = $1 AND subscriber_id = $2",
                )
                .bind(issue_id)
                .bind(subscriber_id)
                .bind(at)
                .bind(error)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// A refusal for good: the delivery failed; an address refused
            /// again and again counts as bounced.
            pub async fn mark_failed(conn: &mut Conn, issue_id: &str, subscriber_id: &str, error: &str, now: UnixTime) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE deliveries SET status = 'failed', locked_until = NULL, last_error = $3
                     WHERE issue_id = $1 AND subscriber_id = $2",
                )
                .bind(issue_id)
                .bind(subscriber_id)
                .bind(error)
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "UPDATE subscribers SET permanent_failures = permanent_failures + 1, updated_at = $2,
                       status = CASE WHEN permanent_failures + 1 >= $3 AND status = 'active' THEN 'bounced' ELSE status END
                     WHERE id = $1",
                )
                .bind(subscriber_id)
                .bind(now)
                .bind(BOUNCE_AFTER)
                .execute(&mut *conn)
                .await?;
                sqlx::query("INSERT INTO subscriber_events (id, subscriber_id, at, event, detail) VALUES ($1, $2, $3, $4, $5)")
                    .bind(new_id())
                    .bind(subscriber_id)
                    .bind(now)
                    .bind("delivery refused")
                    .bind(error)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub async fn progress(pool: &Pool<Db>, issue_id: &str) -> StoreResult<Progress> {
                let (queued, sent, failed): (i64, i64, i64) = sqlx::query_as(
                    "SELECT COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0),
                            COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0),
                            COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0)
                     FROM deliveries WHERE issue_id = $1",
                )
                .bind(issue_id)
                .fetch_one(pool)
                .await?;
                Ok(Progress { queued, sent, failed })
            }

            /// When the next queued delivery may be tried (None: none left).
            pub async fn next_attempt(pool: &Pool<Db>, issue_id: &str) -> StoreResult<Option<UnixTime>> {
                Ok(sqlx::query_scalar(
                    "SELECT MIN(CASE WHEN locked_until IS NOT NULL AND locked_until > next_attempt_at
                                THEN locked_until ELSE next_attempt_at END)
                     FROM deliveries WHERE issue_id = $1 AND status = 'queued'",
                )
                .bind(issue_id)
                .fetch_one(pool)
                .await?)
            }

            pub async fn set_status(pool: &Pool<Db>, issue_id: &str, status: &str, error: Option<&str>, now: UnixTime) -> StoreResult<()> {
                let mut conn = pool.acquire().await?;
                set_status_in(&mut conn, issue_id, status, error, now).await
            }

            pub async fn set_status_in(conn: &mut Conn, issue_id: &str, status: &str, error: Option<&str>, now: UnixTime) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE newsletter_issues SET status = $2, last_error = $3, updated_at = $4,
                       finished_at = CASE WHEN $2 = 'sent' THEN $4 ELSE finished_at END WHERE id = $1",
                )
                .bind(issue_id)
                .bind(status)
                .bind(error)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// Saves an issue with its items; a new or rescheduled send time
    /// queues its sending job in the same transaction.
    pub async fn save_issue(
        &self,
        issue: &NewsletterIssue,
        items: &[IssueItem],
    ) -> StoreResult<()> {
        let now = self.clock.now();
        super::subscribers::subscriber_tx!(self, |conn, db| {
            db::issues::upsert(conn, issue, items).await?;
            match (issue.status, issue.send_at) {
                (IssueStatus::Scheduled, Some(at)) => {
                    db::jobs::schedule(conn, super::JobKind::SendIssue, &issue.id, at, now).await?
                }
                _ => db::jobs::cancel(conn, super::JobKind::SendIssue, &issue.id, now).await?,
            }
        });
        Ok(())
    }

    pub async fn issue_by_id(&self, id: &str) -> StoreResult<Option<NewsletterIssue>> {
        read!(self, issues::by_id(id))
    }

    pub async fn issue_by_slug(&self, slug: &str) -> StoreResult<Option<NewsletterIssue>> {
        read!(self, issues::by_slug(slug))
    }

    pub async fn issues(&self, sent_only: bool, limit: i64) -> StoreResult<Vec<NewsletterIssue>> {
        read!(self, issues::list(sent_only, limit))
    }

    pub async fn issue_items(&self, issue_id: &str) -> StoreResult<Vec<IssueItem>> {
        read!(self, issues::items(issue_id))
    }

    pub async fn last_issue_sent_at(&self, newsletter_id: &str) -> StoreResult<Option<UnixTime>> {
        read!(self, issues::last_sent_at(newsletter_id))
    }

    /// Queues one delivery per active subscriber and the sending job, in one
    /// transaction; returns how many deliveries were queued now.
    pub async fn start_sending(&self, issue: &NewsletterIssue) -> StoreResult<u64> {
        let now = self.clock.now();
        Ok(super::subscribers::subscriber_tx!(self, |conn, db| {
            let queued = db::issues::start(conn, &issue.id, &issue.newsletter_id, now).await?;
            db::jobs::schedule(conn, super::JobKind::SendIssue, &issue.id, now, now).await?;
            queued
        }))
    }

    /// Takes up to `n` due deliveries for `lease` seconds.
    pub async fn claim_deliveries(
        &self,
        issue_id: &str,
        lease: UnixTime,
        n: i64,
    ) -> StoreResult<Vec<Recipient>> {
        let now = self.clock.now();
        let claimed: Vec<(String, i32)> =
            exec!(self, issues::claim(issue_id, now, now + lease, n))?;
        if claimed.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<String> = claimed.iter().map(|(id, _)| id.clone()).collect();
        let mut recipients = exec!(self, issues::recipients(&ids))?;
        for r in &mut recipients {
            r.attempts = claimed
                .iter()
                .find(|(id, _)| id == &r.id)
                .map_or(1, |(_, a)| *a);
        }
        Ok(recipients)
    }

    /// Records several messages' outcomes in one transaction (the senders
    /// wait for it: a message counts as in flight until its mark commits).
    pub async fn record_deliveries(
        &self,
        issue_id: &str,
        marks: &[DeliveryMark],
    ) -> StoreResult<()> {
        let now = self.clock.now();
        super::subscribers::subscriber_tx!(self, |conn, db| {
            for mark in marks {
                match mark {
                    DeliveryMark::Sent(id) => {
                        db::issues::mark_sent_in(conn, issue_id, id, now).await?
                    }
                    DeliveryMark::Retry(id, at, why) => {
                        db::issues::mark_retry_in(conn, issue_id, id, *at, why).await?
                    }
                    DeliveryMark::Failed(id, why) => {
                        db::issues::mark_failed(conn, issue_id, id, why, now).await?
                    }
                }
            }
        });
        Ok(())
    }

    pub async fn issue_progress(&self, issue_id: &str) -> StoreResult<Progress> {
        exec!(self, issues::progress(issue_id))
    }

    pub async fn next_delivery_attempt(&self, issue_id: &str) -> StoreResult<Option<UnixTime>> {
        exec!(self, issues::next_attempt(issue_id))
    }

    pub async fn set_issue_status(
        &self,
        issue_id: &str,
        status: IssueStatus,
        error: Option<&str>,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        exec!(
            self,
            issues::set_status(issue_id, status.as_str(), error, now)
        )
    }
}
