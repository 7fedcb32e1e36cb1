//! Integrations (the API keys tools use), their webhooks, and the
//! deliveries of webhook events waiting in the job queue.

use crate::model::UnixTime;
use crate::model::accounts::{Role, User};

use super::{ContentChange, Store, StoreResult, exec, read, write};

/// An integration with the role of the account it acts as.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Integration {
    pub id: String,
    pub name: String,
    pub user_id: String,
    pub role: Role,
    pub content_key: String,
    pub admin_key_id: String,
    /// Hex, as the Admin API key shows it.
    pub admin_secret: String,
    pub created_at: UnixTime,
    pub revoked_at: Option<UnixTime>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Webhook {
    pub id: String,
    pub integration_id: String,
    pub event: String,
    pub target_url: String,
    pub secret: String,
    pub created_at: UnixTime,
    pub last_status: Option<String>,
    pub last_attempt_at: Option<UnixTime>,
}

/// One event to send to one webhook, with where and how to sign it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookDelivery {
    pub id: String,
    pub webhook_id: String,
    pub event: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub previous: String,
    /// None until the first attempt composes it.
    pub body: Option<String>,
    pub attempts: i32,
    pub delivered_at: Option<UnixTime>,
    pub target_url: String,
    pub secret: String,
}

/// An event for one webhook, before it is stored.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub webhook_id: String,
    pub event: String,
    pub subject_kind: String,
    pub subject_id: String,
    /// JSON.
    pub previous: String,
}

macro_rules! queries {
    () => {
        pub mod integrations {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::model::UnixTime;
            use crate::model::accounts::User;
            use crate::store::StoreResult;
            use crate::store::integrations::{Integration, Webhook, WebhookDelivery};

            const COLUMNS: &str = "i.id, i.name, i.user_id, u.role, i.content_key, i.admin_key_id, \
                                   i.admin_secret, i.created_at, i.revoked_at \
                                   FROM integrations i JOIN users u ON u.id = i.user_id";

            pub async fn insert(conn: &mut Conn, i: &Integration, u: &User) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO users (id, email, name, role, password_hash, created_at, integration)
                     VALUES ($1, $2, $3, $4, NULL, $5, TRUE)",
                )
                .bind(&u.id)
                .bind(&u.email)
                .bind(&u.name)
                .bind(u.role)
                .bind(u.created_at)
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "INSERT INTO integrations (id, name, user_id, content_key, admin_key_id, admin_secret, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&i.id)
                .bind(&i.name)
                .bind(&i.user_id)
                .bind(&i.content_key)
                .bind(&i.admin_key_id)
                .bind(&i.admin_secret)
                .bind(i.created_at)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            pub async fn all(pool: &Pool<Db>) -> StoreResult<Vec<Integration>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} ORDER BY i.revoked_at IS NOT NULL, lower(i.name)"
                )))
                .fetch_all(pool)
                .await?)
            }

            pub async fn by_id(pool: &Pool<Db>, id: &str) -> StoreResult<Option<Integration>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} WHERE i.id = $1")))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?)
            }

            pub async fn by_name(pool: &Pool<Db>, name: &str) -> StoreResult<Option<Integration>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} WHERE lower(i.name) = lower($1)"
                )))
                .bind(name)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn content_key_is_live(pool: &Pool<Db>, key: &str) -> StoreResult<bool> {
                let found: Option<i32> = sqlx::query_scalar(
                    "SELECT 1 FROM integrations WHERE content_key = $1 AND revoked_at IS NULL",
                )
                .bind(key)
                .fetch_optional(pool)
                .await?;
                Ok(found.is_some())
            }

            pub async fn by_admin_key(pool: &Pool<Db>, key_id: &str) -> StoreResult<Option<Integration>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} WHERE i.admin_key_id = $1 AND i.revoked_at IS NULL"
                )))
                .bind(key_id)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn revoke(conn: &mut Conn, id: &str, now: UnixTime) -> StoreResult<()> {
                sqlx::query("UPDATE integrations SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub async fn insert_webhook(conn: &mut Conn, w: &Webhook) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO webhooks (id, integration_id, event, target_url, secret, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&w.id)
                .bind(&w.integration_id)
                .bind(&w.event)
                .bind(&w.target_url)
                .bind(&w.secret)
                .bind(w.created_at)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            pub async fn delete_webhook(conn: &mut Conn, id: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM webhooks WHERE id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            const WEBHOOK_COLUMNS: &str = "w.id, w.integration_id, w.event, w.target_url, w.secret, \
                                           w.created_at, w.last_status, w.last_attempt_at";

            pub async fn webhooks(pool: &Pool<Db>) -> StoreResult<Vec<Webhook>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {WEBHOOK_COLUMNS} FROM webhooks w ORDER BY w.event, w.created_at"
                )))
                .fetch_all(pool)
                .await?)
            }

            /// The webhooks of live integrations that listen for `event`.
            pub async fn listening(pool: &Pool<Db>, event: &str) -> StoreResult<Vec<Webhook>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {WEBHOOK_COLUMNS} FROM webhooks w JOIN integrations i ON i.id = w.integration_id
                     WHERE w.event = $1 AND i.revoked_at IS NULL ORDER BY w.created_at"
                )))
                .bind(event)
                .fetch_all(pool)
                .await?)
            }

            pub async fn insert_delivery(
                conn: &mut Conn,
                id: &str,
                d: &crate::store::integrations::NewDelivery,
                now: UnixTime,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, webhook_id, event, subject_kind, subject_id, previous, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(&d.webhook_id)
                .bind(&d.event)
                .bind(&d.subject_kind)
                .bind(&d.subject_id)
                .bind(&d.previous)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            pub async fn delivery(pool: &Pool<Db>, id: &str) -> StoreResult<Option<WebhookDelivery>> {
                Ok(sqlx::query_as(
                    "SELECT d.id, d.webhook_id, d.event, d.subject_kind, d.subject_id, d.previous, d.body, d.attempts, d.delivered_at, w.target_url, w.secret
                     FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                     JOIN integrations i ON i.id = w.integration_id
                     WHERE d.id = $1 AND i.revoked_at IS NULL",
                )
                .bind(id)
                .fetch_optional(pool)
                .await?)
            }

            /// Records one attempt at a delivery (and on its webhook, for the desk).
            pub async fn attempted(
                conn: &mut Conn,
                d: &WebhookDelivery,
                status: &str,
                delivered: bool,
                now: UnixTime,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2,
                       delivered_at = CASE WHEN $3 THEN $4 ELSE delivered_at END
                     WHERE id = $1",
                )
                .bind(&d.id)
                .bind(status)
                .bind(delivered)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                sqlx::query("UPDATE webhooks SET last_status = $2, last_attempt_at = $3 WHERE id = $1")
                    .bind(&d.webhook_id)
                    .bind(status)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub async fn set_body(pool: &Pool<Db>, id: &str, body: &str) -> StoreResult<()> {
                sqlx::query("UPDATE webhook_deliveries SET body = $2 WHERE id = $1 AND body IS NULL")
                    .bind(id)
                    .bind(body)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn deliveries_of(pool: &Pool<Db>, webhook_id: &str) -> StoreResult<Vec<WebhookDelivery>> {
                Ok(sqlx::query_as(
                    "SELECT d.id, d.webhook_id, d.event, d.subject_kind, d.subject_id, d.previous, d.body, d.attempts, d.delivered_at, w.target_url, w.secret
                     FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                     WHERE d.webhook_id = $1 ORDER BY d.created_at, d.id",
                )
                .bind(webhook_id)
                .fetch_all(pool)
                .await?)
            }
        }
    };
}
pub(super) use queries;

/// No reader sees integrations: their writes move no version (but a revoked key).
const QUIET: ContentChange = ContentChange::Integrations { revoked: false };

impl Store {
    /// Adds an integration and the account it acts as, together.
    pub async fn add_integration(&self, integration: &Integration, user: &User) -> StoreResult<()> {
        write!(self, |conn, db| {
            db::integrations::insert(conn, integration, user).await?;
            ((), QUIET)
        })
    }

    pub async fn integrations(&self) -> StoreResult<Vec<Integration>> {
        read!(self, integrations::all())
    }

    pub async fn integration_by_id(&self, id: &str) -> StoreResult<Option<Integration>> {
        read!(self, integrations::by_id(id))
    }

    pub async fn integration_by_name(&self, name: &str) -> StoreResult<Option<Integration>> {
        read!(self, integrations::by_name(name))
    }

    /// Whether a Content API key belongs to a live integration.
    pub async fn content_key_is_live(&self, key: &str) -> StoreResult<bool> {
        read!(self, integrations::content_key_is_live(key))
    }

    /// The live integration an Admin API key id names.
    pub async fn integration_by_admin_key(&self, key_id: &str) -> StoreResult<Option<Integration>> {
        read!(self, integrations::by_admin_key(key_id))
    }

    /// Revokes an integration's keys. Visible: API answers kept for its
    /// Content API key are dropped with the generation.
    pub async fn revoke_integration(&self, id: &str) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            db::integrations::revoke(conn, id, now).await?;
            ((), ContentChange::Integrations { revoked: true })
        })
    }

    pub async fn add_webhook(&self, webhook: &Webhook) -> StoreResult<()> {
        write!(self, |conn, db| {
            db::integrations::insert_webhook(conn, webhook).await?;
            ((), QUIET)
        })
    }

    pub async fn delete_webhook(&self, id: &str) -> StoreResult<()> {
        write!(self, |conn, db| {
            db::integrations::delete_webhook(conn, id).await?;
            ((), QUIET)
        })
    }

    pub async fn webhooks(&self) -> StoreResult<Vec<Webhook>> {
        read!(self, integrations::webhooks())
    }

    pub async fn webhooks_listening(&self, event: &str) -> StoreResult<Vec<Webhook>> {
        read!(self, integrations::listening(event))
    }

    /// Stores deliveries and queues a job for each, in one transaction.
    pub async fn queue_deliveries(&self, deliveries: &[NewDelivery]) -> StoreResult<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        write!(self, |conn, db| {
            for d in deliveries {
                let id = crate::model::new_id();
                db::integrations::insert_delivery(conn, &id, d, now).await?;
                db::jobs::schedule(conn, crate::store::JobKind::DeliverWebhook, &id, now, now)
                    .await?;
            }
            ((), QUIET)
        })
    }

    /// A delivery to attempt (None: gone, or its integration was revoked).
    pub async fn webhook_delivery(&self, id: &str) -> StoreResult<Option<WebhookDelivery>> {
        exec!(self, integrations::delivery(id))
    }

    /// Keeps the body a delivery's first attempt composed.
    pub async fn set_delivery_body(&self, id: &str, body: &str) -> StoreResult<()> {
        exec!(self, integrations::set_body(id, body))
    }

    pub async fn record_delivery_attempt(
        &self,
        delivery: &WebhookDelivery,
        status: &str,
        delivered: bool,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            db::integrations::attempted(conn, delivery, status, delivered, now).await?;
            ((), QUIET)
        })
    }

    pub async fn webhook_deliveries(&self, webhook_id: &str) -> StoreResult<Vec<WebhookDelivery>> {
        read!(self, integrations::deliveries_of(webhook_id))
    }
}
