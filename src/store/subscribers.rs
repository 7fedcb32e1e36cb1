//! Newsletter subscribers. Not content: no reader's page changes with them.

use super::{Store, StoreResult, read};

macro_rules! queries {
    () => {
        pub mod subscribers {
            use sqlx::Pool;

            use super::Db;
            use crate::model::{UnixTime, new_id};
            use crate::store::StoreResult;

            pub async fn add(pool: &Pool<Db>, email: &str, now: UnixTime) -> StoreResult<bool> {
                let inserted = sqlx::query(
                    "INSERT INTO subscribers (id, email, status, created_at) VALUES ($1, $2, 'subscribed', $3)
                     ON CONFLICT (email) DO NOTHING",
                )
                .bind(new_id())
                .bind(email)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
                Ok(inserted == 1)
            }

            pub async fn count(pool: &Pool<Db>) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM subscribers").fetch_one(pool).await?)
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// Returns false when the address was already subscribed.
    pub async fn add_subscriber(&self, email: &str) -> StoreResult<bool> {
        let now = self.clock.now();
        read!(self, subscribers::add(email, now))
    }

    pub async fn subscriber_count(&self) -> StoreResult<i64> {
        read!(self, subscribers::count())
    }
}
