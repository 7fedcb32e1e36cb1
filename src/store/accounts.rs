//! Accounts, sessions, one-time links and the activity log.
//! None of it is content: these writes move no content version.

use crate::model::UnixTime;
use crate::model::accounts::{ActivityTarget, LinkKind, Role, User};

use super::{Cursor, KeyedPage, PageKey, Store, StoreResult, exec};

/// A signed-in session with its person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub csrf_token: String,
    pub created_at: UnixTime,
    pub last_seen_at: UnixTime,
    #[sqlx(flatten)]
    pub user: User,
}

/// One line of the activity log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    pub id: String,
    pub at: UnixTime,
    pub action: String,
    pub subject: String,
    pub user_name: Option<String>,
    /// What the line concerns (`ActivityTarget::from_parts`), when known.
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
}

/// Which lines of the activity log to show. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub user_id: Option<String>,
    /// Words in the action or its subject.
    pub words: Option<String>,
    pub since: Option<UnixTime>,
    pub until: Option<UnixTime>,
}

macro_rules! queries {
    () => {
        pub mod accounts {
            use sqlx::Pool;

            use super::Db;
            use crate::model::accounts::{LinkKind, User};
            use crate::model::{UnixTime, new_id};
            use crate::store::StoreResult;
            use crate::store::accounts::{ActivityRow, SessionRow};

            const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.password_hash, u.created_at, u.author_id";

            pub async fn insert_user(pool: &Pool<Db>, u: &User) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO users (id, email, name, role, password_hash, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&u.id)
                .bind(&u.email)
                .bind(&u.name)
                .bind(u.role)
                .bind(&u.password_hash)
                .bind(u.created_at)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn user_by_email(pool: &Pool<Db>, email: &str) -> StoreResult<Option<User>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1 AND NOT u.integration"
                )))
                .bind(email)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn user_by_id(pool: &Pool<Db>, id: &str) -> StoreResult<Option<User>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
                )))
                .bind(id)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn users(pool: &Pool<Db>) -> StoreResult<Vec<User>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE NOT u.integration ORDER BY u.name, u.email"
                )))
                .fetch_all(pool)
                .await?)
            }

            pub async fn set_role(pool: &Pool<Db>, user_id: &str, role: crate::model::accounts::Role) -> StoreResult<()> {
                sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(role)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn count_role(pool: &Pool<Db>, role: crate::model::accounts::Role) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1 AND NOT integration")
                    .bind(role)
                    .fetch_one(pool)
                    .await?)
            }

            pub async fn set_author(pool: &Pool<Db>, user_id: &str, author_id: &str) -> StoreResult<()> {
                sqlx::query("UPDATE users SET author_id = $1 WHERE id = $2")
                    .bind(author_id)
                    .bind(user_id)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn set_name(pool: &Pool<Db>, user_id: &str, name: &str) -> StoreResult<()> {
                sqlx::query("UPDATE users SET name = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(name)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn set_password_hash(pool: &Pool<Db>, user_id: &str, hash: &str) -> StoreResult<()> {
                sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(hash)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn insert_session(
                pool: &Pool<Db>,
                token_hash: &str,
                user_id: &str,
                csrf_token: &str,
                now: UnixTime,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at)
                     VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(token_hash)
                .bind(user_id)
                .bind(csrf_token)
                .bind(now)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn session(pool: &Pool<Db>, token_hash: &str) -> StoreResult<Option<SessionRow>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT s.csrf_token, s.created_at, s.last_seen_at, {USER_COLUMNS}
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
                )))
                .bind(token_hash)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn touch_session(pool: &Pool<Db>, token_hash: &str, now: UnixTime) -> StoreResult<()> {
                sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(now)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn delete_session(pool: &Pool<Db>, token_hash: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn delete_sessions_of(pool: &Pool<Db>, user_id: &str) -> StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(pool)
                    .await?
                    .rows_affected())
            }

            pub async fn insert_link(
                pool: &Pool<Db>,
                token_hash: &str,
                kind: LinkKind,
                user_id: &str,
                now: UnixTime,
                expires_at: UnixTime,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO account_links (token_hash, kind, user_id, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(kind)
                .bind(user_id)
                .bind(now)
                .bind(expires_at)
                .execute(pool)
                .await?;
                Ok(())
            }

            /// The person a link is for, while it is unused and unexpired.
            pub async fn link_user(pool: &Pool<Db>, token_hash: &str, now: UnixTime) -> StoreResult<Option<User>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM account_links l JOIN users u ON u.id = l.user_id
                     WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2"
                )))
                .bind(token_hash)
                .bind(now)
                .fetch_optional(pool)
                .await?)
            }

            /// Uses a link up: true when it was valid (only one caller wins).
            pub async fn use_link(pool: &Pool<Db>, token_hash: &str, now: UnixTime) -> StoreResult<bool> {
                Ok(sqlx::query(
                    "UPDATE account_links SET used_at = $2
                     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
                    == 1)
            }

            /// Ends every unused link of a person (a password was just set).
            pub async fn end_links_of(pool: &Pool<Db>, user_id: &str, now: UnixTime) -> StoreResult<()> {
                sqlx::query("UPDATE account_links SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
                    .bind(user_id)
                    .bind(now)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn log(
                pool: &Pool<Db>,
                user_id: Option<&str>,
                action: &str,
                subject: &str,
                target: Option<crate::model::accounts::ActivityTarget<'_>>,
                now: UnixTime,
            ) -> StoreResult<()> {
                let (target_kind, target_id) = target.map(|t| t.parts()).unzip();
                sqlx::query("INSERT INTO activity (id, user_id, action, subject, at, target_kind, target_id) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(new_id())
                    .bind(user_id)
                    .bind(action)
                    .bind(subject)
                    .bind(now)
                    .bind(target_kind)
                    .bind(target_id)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn activity(
                pool: &Pool<Db>,
                filter: &crate::store::accounts::ActivityFilter,
                key: &crate::store::PageKey,
                size: i64,
            ) -> StoreResult<Vec<ActivityRow>> {
                let mut qb = sqlx::QueryBuilder::<Db>::new(
                    "SELECT a.id, a.at, a.action, a.subject, u.name AS user_name, a.target_kind, a.target_id
                     FROM activity a LEFT JOIN users u ON u.id = a.user_id WHERE 1 = 1",
                );
                if let Some(user) = &filter.user_id {
                    qb.push(" AND a.user_id = ").push_bind(user.clone());
                }
                if let Some(words) = &filter.words {
                    let pattern = crate::store::worklists::contains_pattern(words);
                    qb.push(" AND (lower(a.action) LIKE ")
                        .push_bind(pattern.clone())
                        .push(" ESCAPE '\\' OR lower(a.subject) LIKE ")
                        .push_bind(pattern)
                        .push(" ESCAPE '\\')");
                }
                if let Some(since) = filter.since {
                    qb.push(" AND a.at >= ").push_bind(since);
                }
                if let Some(until) = filter.until {
                    qb.push(" AND a.at < ").push_bind(until);
                }
                super::sql::push_keyset(&mut qb, "a.at", "a.id", key, size);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }
        }
    };
}
pub(super) use queries;

impl Store {
    pub async fn add_user(&self, user: &User) -> StoreResult<()> {
        exec!(self, accounts::insert_user(user))
    }

    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        exec!(self, accounts::user_by_email(email))
    }

    pub async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
        exec!(self, accounts::user_by_id(id))
    }

    pub async fn users(&self) -> StoreResult<Vec<User>> {
        exec!(self, accounts::users())
    }

    pub async fn set_role(&self, user_id: &str, role: Role) -> StoreResult<()> {
        exec!(self, accounts::set_role(user_id, role))
    }

    /// How many accounts have this role.
    pub async fn count_role(&self, role: Role) -> StoreResult<i64> {
        exec!(self, accounts::count_role(role))
    }

    /// Links a person to the author profile they write as.
    pub async fn set_user_author(&self, user_id: &str, author_id: &str) -> StoreResult<()> {
        exec!(self, accounts::set_author(user_id, author_id))
    }

    pub async fn set_password_hash(&self, user_id: &str, hash: &str) -> StoreResult<()> {
        exec!(self, accounts::set_password_hash(user_id, hash))
    }

    /// The name the desk shows for a person, and their bylines start from.
    pub async fn set_user_name(&self, user_id: &str, name: &str) -> StoreResult<()> {
        exec!(self, accounts::set_name(user_id, name))
    }

    pub async fn add_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        exec!(
            self,
            accounts::insert_session(token_hash, user_id, csrf_token, now)
        )
    }

    pub async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>> {
        exec!(self, accounts::session(token_hash))
    }

    pub async fn touch_session(&self, token_hash: &str) -> StoreResult<()> {
        let now = self.clock.now();
        exec!(self, accounts::touch_session(token_hash, now))
    }

    pub async fn end_session(&self, token_hash: &str) -> StoreResult<()> {
        exec!(self, accounts::delete_session(token_hash))
    }

    /// Ends every session of a person; returns how many there were.
    pub async fn end_sessions_of(&self, user_id: &str) -> StoreResult<u64> {
        exec!(self, accounts::delete_sessions_of(user_id))
    }

    pub async fn add_link(
        &self,
        token_hash: &str,
        kind: LinkKind,
        user_id: &str,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        exec!(
            self,
            accounts::insert_link(token_hash, kind, user_id, now, expires_at)
        )
    }

    pub async fn link_user(&self, token_hash: &str) -> StoreResult<Option<User>> {
        let now = self.clock.now();
        exec!(self, accounts::link_user(token_hash, now))
    }

    pub async fn use_link(&self, token_hash: &str) -> StoreResult<bool> {
        let now = self.clock.now();
        exec!(self, accounts::use_link(token_hash, now))
    }

    pub async fn end_links_of(&self, user_id: &str) -> StoreResult<()> {
        let now = self.clock.now();
        exec!(self, accounts::end_links_of(user_id, now))
    }

    pub async fn log_activity(
        &self,
        user_id: Option<&str>,
        action: &str,
        subject: &str,
    ) -> StoreResult<()> {
        self.log_activity_on(user_id, action, subject, None).await
    }

    /// A line of the activity log about a piece the desk can link to.
    pub async fn log_activity_on(
        &self,
        user_id: Option<&str>,
        action: &str,
        subject: &str,
        target: Option<ActivityTarget<'_>>,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        exec!(self, accounts::log(user_id, action, subject, target, now))
    }

    /// The newest lines of the activity log.
    pub async fn activity(&self, limit: i64) -> StoreResult<Vec<ActivityRow>> {
        let page = self
            .activity_log(&ActivityFilter::default(), &PageKey::Newest, limit)
            .await?;
        Ok(page.rows)
    }

    /// A page of the activity log's lines matching `filter`, newest first.
    pub async fn activity_log(
        &self,
        filter: &ActivityFilter,
        key: &PageKey,
        size: i64,
    ) -> StoreResult<KeyedPage<ActivityRow>> {
        let rows = exec!(self, accounts::activity(filter, key, size))?;
        Ok(KeyedPage::from_rows(rows, key, size, |row| Cursor {
            at: row.at,
            id: row.id.clone(),
        }))
    }
}
