//! Newsletters, subscribers, their confirmation links and history. Not content: no reader's page changes with them.

use crate::model::UnixTime;
use crate::model::newsletters::{Newsletter, Subscriber, SubscriberEvent, SubscriberStatus};

use super::{Store, StoreResult, exec, read};

/// What a sign-up asks of the store, in one transaction.
#[derive(Debug, Clone)]
pub struct Signup {
    pub email: String,
    pub name: String,
    pub newsletter_ids: Vec<String>,
    /// The manage token a new subscriber gets (their links in every message).
    pub manage_token: String,
}

/// A reader who already confirmed elsewhere (an import, the demo).
#[derive(Debug, Clone)]
pub struct ConfirmedSubscriber {
    pub id: String,
    pub email: String,
    pub name: String,
    pub manage_token: String,
    /// False: they had left the list there (kept, as unsubscribed, so
    /// their choice follows them and nobody adds them back by mistake).
    pub subscribed: bool,
    /// When they signed up there (None: now).
    pub since: Option<UnixTime>,
}

/// What became of a sign-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignupOutcome {
    /// A confirmation was queued for this subscriber.
    ConfirmationQueued(String),
    /// Already receiving everything asked for: nothing to send.
    NothingNew,
}

macro_rules! queries {
    () => {
        pub mod subscribers {
            use sqlx::Pool;

            use super::Db;
            use crate::model::newsletters::{Newsletter, Subscriber, SubscriberEvent, SubscriberStatus};
            use crate::model::{UnixTime, new_id};
            use crate::store::StoreResult;
            use crate::store::subscribers::{Signup, SignupOutcome};

            const COLUMNS: &str = "s.id, s.email, s.name, s.status, s.created_at, s.confirmed_at, s.updated_at, \
                                   s.manage_token, s.permanent_failures, s.pending_newsletters";

            pub async fn count(pool: &Pool<Db>) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM subscribers").fetch_one(pool).await?)
            }

            pub async fn newsletters(pool: &Pool<Db>) -> StoreResult<Vec<Newsletter>> {
                Ok(sqlx::query_as(
                    "SELECT id, slug, name, description, sender_name, sender_email, reply_to, offered, position,
                       created_at FROM newsletters ORDER BY position, name",
                )
                .fetch_all(pool)
                .await?)
            }

            pub async fn upsert_newsletter(conn: &mut super::Conn, n: &Newsletter) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO newsletters (id, slug, name, description, sender_name, sender_email, reply_to,
                       offered, position, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
                       description = excluded.description, sender_name = excluded.sender_name,
                       sender_email = excluded.sender_email, reply_to = excluded.reply_to,
                       offered = excluded.offered, position = excluded.position",
                )
                .bind(&n.id)
                .bind(&n.slug)
                .bind(&n.name)
                .bind(&n.description)
                .bind(&n.sender_name)
                .bind(&n.sender_email)
                .bind(&n.reply_to)
                .bind(n.offered)
                .bind(n.position)
                .bind(n.created_at)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            pub async fn by_email(pool: &Pool<Db>, email: &str) -> StoreResult<Option<Subscriber>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM subscribers s WHERE lower(s.email) = lower($1)"
                )))
                .bind(email)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn by_id(pool: &Pool<Db>, id: &str) -> StoreResult<Option<Subscriber>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM subscribers s WHERE s.id = $1")))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?)
            }

            pub async fn by_manage_token(pool: &Pool<Db>, token: &str) -> StoreResult<Option<Subscriber>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM subscribers s WHERE s.manage_token = $1"
                )))
                .bind(token)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn subscriptions_of(pool: &Pool<Db>, subscriber_id: &str) -> StoreResult<Vec<String>> {
                Ok(sqlx::query_scalar("SELECT newsletter_id FROM subscriptions WHERE subscriber_id = $1")
                    .bind(subscriber_id)
                    .fetch_all(pool)
                    .await?)
            }

            pub async fn events_of(pool: &Pool<Db>, subscriber_id: &str) -> StoreResult<Vec<SubscriberEvent>> {
                Ok(sqlx::query_as(
                    "SELECT at, event, detail FROM subscriber_events WHERE subscriber_id = $1 ORDER BY at DESC, id DESC",
                )
                .bind(subscriber_id)
                .fetch_all(pool)
                .await?)
            }

            async fn event(conn: &mut super::Conn, subscriber_id: &str, event: &str, detail: &str, now: UnixTime) -> StoreResult<()> {
                sqlx::query("INSERT INTO subscriber_events (id, subscriber_id, at, event, detail) VALUES ($1, $2, $3, $4, $5)")
                    .bind(new_id())
                    .bind(subscriber_id)
                    .bind(now)
                    .bind(event)
                    .bind(detail)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            /// Records a sign-up: a new reader is pending; anyone not yet
            /// receiving all they asked for gets a confirmation job (one
            /// pending at a time). Never says which was the case to the form.
            pub async fn signup(conn: &mut super::Conn, s: &Signup, now: UnixTime) -> StoreResult<SignupOutcome> {
                let existing: Option<Subscriber> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM subscribers s WHERE lower(s.email) = lower($1)"
                )))
                .bind(&s.email)
                .fetch_optional(&mut *conn)
                .await?;
                let id = match &existing {
                    Some(sub) => sub.id.clone(),
                    None => {
                        let id = new_id();
                        sqlx::query(
                            "INSERT INTO subscribers (id, email, status, created_at, name, updated_at, pending_newsletters,
                               manage_token)
                             VALUES ($1, $2, 'pending', $3, $4, $3, '', $5)",
                        )
                        .bind(&id)
                        .bind(&s.email)
                        .bind(now)
                        .bind(&s.name)
                        .bind(&s.manage_token)
                        .execute(&mut *conn)
                        .await?;
                        event(conn, &id, "signed up", &s.newsletter_ids.join(", "), now).await?;
                        id
                    }
                };
                let current: Vec<String> = if existing.as_ref().is_some_and(|e| e.status == SubscriberStatus::Active) {
                    sqlx::query_scalar("SELECT newsletter_id FROM subscriptions WHERE subscriber_id = $1")
                        .bind(&id)
                        .fetch_all(&mut *conn)
                        .await?
                } else {
                    vec![]
                };
                let wanted: Vec<&String> = s.newsletter_ids.iter().filter(|n| !current.contains(n)).collect();
                if wanted.is_empty() {
                    return Ok(SignupOutcome::NothingNew);
                }
                let mut pending: Vec<String> = existing.as_ref().map(|e| e.pending_ids()).unwrap_or_default();
                for n in wanted {
                    if !pending.contains(n) {
                        pending.push(n.clone());
                    }
                }
                sqlx::query("UPDATE subscribers SET pending_newsletters = $1, updated_at = $2 WHERE id = $3")
                    .bind(pending.join(","))
                    .bind(now)
                    .bind(&id)
                    .execute(&mut *conn)
                    .await?;
                if existing.is_some() {
                    event(conn, &id, "asked again", &s.newsletter_ids.join(", "), now).await?;
                }
                super::jobs::schedule(conn, crate::store::JobKind::ConfirmSubscriber, &id, now, now).await?;
                Ok(SignupOutcome::ConfirmationQueued(id))
            }

            /// Gives a subscriber their manage token, once.
            pub async fn ensure_manage_token(pool: &Pool<Db>, id: &str, token: &str) -> StoreResult<String> {
                sqlx::query("UPDATE subscribers SET manage_token = $1 WHERE id = $2 AND manage_token IS NULL")
                    .bind(token)
                    .bind(id)
                    .execute(pool)
                    .await?;
                Ok(sqlx::query_scalar("SELECT manage_token FROM subscribers WHERE id = $1")
                    .bind(id)
                    .fetch_one(pool)
                    .await?)
            }

            pub async fn add_token(pool: &Pool<Db>, token_hash: &str, subscriber_id: &str, now: UnixTime, expires_at: UnixTime) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO subscriber_tokens (token_hash, subscriber_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash)
                .bind(subscriber_id)
                .bind(now)
                .bind(expires_at)
                .execute(pool)
                .await?;
                Ok(())
            }

            /// Uses a confirmation link: the reader becomes active and
            /// receives what they asked for. None: unknown, used or expired.
            pub async fn confirm(conn: &mut super::Conn, token_hash: &str, now: UnixTime) -> StoreResult<Option<String>> {
                let id: Option<String> = sqlx::query_scalar(
                    "UPDATE subscriber_tokens SET used_at = $2
                     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING subscriber_id",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&mut *conn)
                .await?;
                let Some(id) = id else { return Ok(None) };
                let pending: String = sqlx::query_scalar("SELECT pending_newsletters FROM subscribers WHERE id = $1")
                    .bind(&id)
                    .fetch_one(&mut *conn)
                    .await?;
                for newsletter in pending.split(',').filter(|n| !n.is_empty()) {
                    sqlx::query(
                        "INSERT INTO subscriptions (subscriber_id, newsletter_id, created_at)
                         SELECT $1, id, $3 FROM newsletters WHERE id = $2
                         ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING",
                    )
                    .bind(&id)
                    .bind(newsletter)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                sqlx::query(
                    "UPDATE subscribers SET status = 'active', confirmed_at = COALESCE(confirmed_at, $2),
                       pending_newsletters = '', permanent_failures = 0, updated_at = $2 WHERE id = $1",
                )
                .bind(&id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                event(conn, &id, "confirmed", &pending, now).await?;
                Ok(Some(id))
            }

            /// Replaces what a reader receives; none at all unsubscribes them.
            pub async fn set_subscriptions(conn: &mut super::Conn, id: &str, newsletter_ids: &[String], now: UnixTime) -> StoreResult<()> {
                sqlx::query("DELETE FROM subscriptions WHERE subscriber_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                for newsletter in newsletter_ids {
                    sqlx::query(
                        "INSERT INTO subscriptions (subscriber_id, newsletter_id, created_at)
                         SELECT $1, id, $3 FROM newsletters WHERE id = $2",
                    )
                    .bind(id)
                    .bind(newsletter)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                let (status, what) = if newsletter_ids.is_empty() {
                    ("unsubscribed", "unsubscribed".to_string())
                } else {
                    ("active", format!("chose {}", newsletter_ids.join(", ")))
                };
                sqlx::query(
                    "UPDATE subscribers SET status = $2, pending_newsletters = '', updated_at = $3 WHERE id = $1",
                )
                .bind(id)
                .bind(status)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                event(conn, id, &what, "", now).await
            }

            /// Adds confirmed readers (addresses already known are left as
            /// they are) and subscribes them all to `newsletter_id`.
            pub async fn add_confirmed(
                conn: &mut super::Conn,
                rows: &[crate::store::subscribers::ConfirmedSubscriber],
                newsletter_id: &str,
                now: UnixTime,
            ) -> StoreResult<()> {
                if rows.is_empty() {
                    return Ok(());
                }
                let mut qb = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO subscribers (id, email, name, status, created_at, confirmed_at, updated_at, manage_token, pending_newsletters) ",
                );
                qb.push_values(rows, |mut row, r| {
                    row.push_bind(r.id.clone())
                        .push_bind(r.email.clone())
                        .push_bind(r.name.clone())
                        .push_bind(if r.subscribed { "active" } else { "unsubscribed" })
                        .push_bind(r.since.unwrap_or(now))
                        .push_bind(r.subscribed.then_some(r.since.unwrap_or(now)))
                        .push_bind(r.since.unwrap_or(now))
                        .push_bind(r.manage_token.clone())
                        .push_bind("");
                });
                qb.push(" ON CONFLICT (email) DO NOTHING");
                qb.build().execute(&mut *conn).await?;
                let mut qb = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO subscriptions (subscriber_id, newsletter_id, created_at) SELECT id, ",
                );
                qb.push_bind(newsletter_id.to_string())
                    .push(", ")
                    .push_bind(now)
                    .push(" FROM subscribers WHERE email IN (");
                let mut list = qb.separated(", ");
                for r in rows {
                    list.push_bind(r.email.clone());
                }
                // Only readers who are active: an address that left stays left.
                qb.push(") AND status = 'active' ON CONFLICT (subscriber_id, newsletter_id) DO NOTHING");
                qb.build().execute(&mut *conn).await?;
                Ok(())
            }

            /// Subscribers by status and words in the address or name,
            /// ordered by address, after `after` (keyset paging).
            pub async fn list(
                pool: &Pool<Db>,
                status: Option<SubscriberStatus>,
                words: Option<&str>,
                after: &str,
                limit: i64,
            ) -> StoreResult<Vec<Subscriber>> {
                let mut qb = sqlx::QueryBuilder::<Db>::new(format!("SELECT {COLUMNS} FROM subscribers s WHERE s.email > "));
                qb.push_bind(after.to_string());
                if let Some(status) = status {
                    qb.push(" AND s.status = ").push_bind(status);
                }
                if let Some(words) = words {
                    let pattern = crate::store::worklists::contains_pattern(words);
                    qb.push(" AND (lower(s.email) LIKE ")
                        .push_bind(pattern.clone())
                        .push(" ESCAPE '\\' OR lower(s.name) LIKE ")
                        .push_bind(pattern)
                        .push(" ESCAPE '\\')");
                }
                qb.push(" ORDER BY s.email");
                super::sql::push_limit(&mut qb, limit, 0);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

        }
    };
}
pub(super) use queries;

/// Runs a write that moves no content (subscribers, issues) in one
/// transaction on whichever engine.
macro_rules! subscriber_tx {
    ($store:expr, |$conn:ident, $db:ident| $body:expr) => {{
        match &$store.backend {
            super::Backend::Sqlite(pool) => {
                #[allow(unused_imports)]
                use super::sqlite as $db;
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let $conn: &mut $db::Conn = &mut *tx;
                let value = $body;
                tx.commit().await?;
                value
            }
            super::Backend::Postgres(pool) => {
                #[allow(unused_imports)]
                use super::postgres as $db;
                let mut tx = pool.begin().await?;
                let $conn: &mut $db::Conn = &mut *tx;
                let value = $body;
                tx.commit().await?;
                value
            }
        }
    }};
}

pub(super) use subscriber_tx;

impl Store {
    pub async fn subscriber_count(&self) -> StoreResult<i64> {
        read!(self, subscribers::count())
    }

    pub async fn newsletters(&self) -> StoreResult<Vec<Newsletter>> {
        read!(self, subscribers::newsletters())
    }

    /// Adds or changes a newsletter: the sign-up pages show it, so caches
    /// learn of it.
    pub async fn save_newsletter(&self, newsletter: &Newsletter) -> StoreResult<()> {
        super::write!(self, |conn, db| {
            db::subscribers::upsert_newsletter(conn, newsletter).await?;
            ((), super::ContentChange::Newsletters)
        })
    }

    pub async fn subscriber_by_email(&self, email: &str) -> StoreResult<Option<Subscriber>> {
        read!(self, subscribers::by_email(email))
    }

    pub async fn subscriber_by_id(&self, id: &str) -> StoreResult<Option<Subscriber>> {
        read!(self, subscribers::by_id(id))
    }

    pub async fn subscriber_by_manage_token(&self, token: &str) -> StoreResult<Option<Subscriber>> {
        read!(self, subscribers::by_manage_token(token))
    }

    /// The newsletters a subscriber receives (ids).
    pub async fn subscriptions_of(&self, subscriber_id: &str) -> StoreResult<Vec<String>> {
        read!(self, subscribers::subscriptions_of(subscriber_id))
    }

    pub async fn subscriber_history(
        &self,
        subscriber_id: &str,
    ) -> StoreResult<Vec<SubscriberEvent>> {
        read!(self, subscribers::events_of(subscriber_id))
    }

    /// Records a sign-up and queues its confirmation, in one transaction.
    pub async fn sign_up(&self, signup: &Signup) -> StoreResult<SignupOutcome> {
        let now = self.clock.now();
        Ok(subscriber_tx!(self, |conn, db| db::subscribers::signup(
            conn, signup, now
        )
        .await?))
    }

    /// The subscriber's manage token, made now with `fresh` if they have none.
    pub async fn ensure_manage_token(&self, id: &str, fresh: &str) -> StoreResult<String> {
        exec!(self, subscribers::ensure_manage_token(id, fresh))
    }

    pub async fn add_subscriber_token(
        &self,
        token_hash: &str,
        subscriber_id: &str,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        exec!(
            self,
            subscribers::add_token(token_hash, subscriber_id, now, expires_at)
        )
    }

    /// Uses a confirmation link (see `subscribers::confirm`).
    pub async fn confirm_subscriber(&self, token_hash: &str) -> StoreResult<Option<String>> {
        let now = self.clock.now();
        Ok(subscriber_tx!(self, |conn, db| db::subscribers::confirm(
            conn, token_hash, now
        )
        .await?))
    }

    pub async fn set_subscriptions(&self, id: &str, newsletter_ids: &[String]) -> StoreResult<()> {
        let now = self.clock.now();
        subscriber_tx!(self, |conn, db| db::subscribers::set_subscriptions(
            conn,
            id,
            newsletter_ids,
            now
        )
        .await?);
        Ok(())
    }

    /// A page of subscribers (see `subscribers::list`).
    pub async fn subscribers(
        &self,
        status: Option<SubscriberStatus>,
        words: Option<&str>,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<Subscriber>> {
        read!(self, subscribers::list(status, words, after, limit))
    }

    /// Adds confirmed readers in batches (see `subscribers::add_confirmed`).
    pub async fn add_confirmed_subscribers(
        &self,
        rows: &[ConfirmedSubscriber],
        newsletter_id: &str,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        for chunk in rows.chunks(500) {
            subscriber_tx!(self, |conn, db| {
                db::subscribers::add_confirmed(conn, chunk, newsletter_id, now).await?
            });
        }
        Ok(())
    }
}
