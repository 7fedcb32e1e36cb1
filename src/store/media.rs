//! Image records: the file, its size, alt text, caption and credit.

use crate::model::Image;

use super::{ContentChange, Store, StoreResult, read, write};

macro_rules! queries {
    () => {
        pub mod media {
            use sqlx::{Pool, QueryBuilder};

            use super::{Conn, Db, sql::push_id_list};
            use crate::model::{Image, UnixTime};
            use crate::store::StoreResult;

            pub async fn upsert(conn: &mut Conn, i: &Image, now: UnixTime) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO images (id, file, width, height, alt, caption, credit, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (id) DO UPDATE SET file = excluded.file, width = excluded.width,
                       height = excluded.height, alt = excluded.alt, caption = excluded.caption,
                       credit = excluded.credit",
                )
                .bind(&i.id)
                .bind(&i.file)
                .bind(i.width)
                .bind(i.height)
                .bind(&i.alt)
                .bind(&i.caption)
                .bind(&i.credit)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            pub async fn newest(pool: &Pool<Db>, limit: i64) -> StoreResult<Vec<Image>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT id, file, width, height, alt, caption, credit FROM images ORDER BY created_at DESC, id DESC",
                );
                super::sql::push_limit(&mut qb, limit, 0);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn by_ids(pool: &Pool<Db>, ids: &[String]) -> StoreResult<Vec<Image>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT id, file, width, height, alt, caption, credit FROM images WHERE id IN ",
                );
                push_id_list(&mut qb, ids);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }
        }
    };
}
pub(super) use queries;

impl Store {
    pub async fn save_image(&self, image: &Image) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            db::media::upsert(conn, image, now).await?;
            ((), ContentChange::Images)
        })
    }

    /// The library's newest images first.
    pub async fn newest_images(&self, limit: i64) -> StoreResult<Vec<Image>> {
        read!(self, media::newest(limit))
    }

    pub async fn images_by_ids(&self, ids: &[String]) -> StoreResult<Vec<Image>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        read!(self, media::by_ids(ids))
    }
}
