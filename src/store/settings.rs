//! Settings: named documents (the site's settings are one JSON document).

use super::{ContentChange, Store, StoreResult, read, write};

macro_rules! queries {
    () => {
        pub mod settings {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::store::StoreResult;

            pub async fn get(pool: &Pool<Db>, key: &str) -> StoreResult<Option<String>> {
                Ok(
                    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_optional(pool)
                        .await?,
                )
            }

            pub async fn put(conn: &mut Conn, key: &str, value: &str) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
        }
    };
}
pub(super) use queries;

impl Store {
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        read!(self, settings::get(key))
    }

    /// Stores a setting; callers validate it first (see `services::settings`).
    pub async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        write!(self, |conn, db| {
            db::settings::put(conn, key, value).await?;
            ((), ContentChange::Settings)
        })
    }
}
