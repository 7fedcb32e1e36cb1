//! Settings: named documents (the site's settings are one JSON document,
//! validated by `services::settings` before it is stored).

use super::{ContentChange, Store, StoreError, StoreResult, read, write};
use crate::model::SiteSettings;

/// The name of the site's settings document.
pub const SITE_SETTINGS: &str = "site";

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

    /// The site's settings (the defaults before any are saved).
    pub async fn site_settings(&self) -> StoreResult<SiteSettings> {
        let mut settings: SiteSettings = match self.setting(SITE_SETTINGS).await? {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                StoreError::Other(sqlx::Error::Decode(
                    format!("the stored site settings are not valid JSON: {e}").into(),
                ))
            })?,
            None => SiteSettings::default(),
        };
        // Links to the site's own pages saved before its addresses ended in
        // `/` (`/briefs`) are given as the page's address, not its redirect.
        for link in &mut settings.navigation {
            if crate::urls::names_a_page(&link.url)
                && let Some(canonical) = crate::urls::canonical_form(&link.url)
            {
                link.url = canonical;
            }
        }
        Ok(settings)
    }

    /// Stores a setting; callers validate it first (see `services::settings`).
    pub async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        write!(self, |conn, db| {
            db::settings::put(conn, key, value).await?;
            ((), ContentChange::Settings)
        })
    }
}
