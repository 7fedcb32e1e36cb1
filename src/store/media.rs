//! Image records: the file, its size, alt text, caption and credit; the
//! library's view of them (who uploaded what, where each is used).

use crate::model::{Image, UnixTime};

use super::{ContentChange, Cursor, KeyedPage, PageKey, Store, StoreResult, exec, read, write};

/// An image as the library lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LibraryImage {
    #[sqlx(flatten)]
    pub image: Image,
    pub bytes: i64,
    pub created_at: UnixTime,
    pub uploaded_by: Option<String>,
    pub uploaded_by_name: Option<String>,
    /// Storage name of the kept original (None: made by the demo or imported).
    pub original: Option<String>,
}

/// A place an image appears.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ImageUse {
    /// "story", "brief" or "author".
    pub kind: String,
    pub id: String,
    /// The headline or name.
    pub title: String,
}

/// What an upload adds besides the image itself.
#[derive(Debug, Clone)]
pub struct UploadRecord {
    pub original: String,
    pub bytes: i64,
    pub uploaded_by: Option<String>,
}

/// `%text%` for LIKE with the pattern characters taken literally.
pub(super) fn contains(text: &str) -> String {
    super::worklists::contains_pattern(text)
}

macro_rules! queries {
    () => {
        pub mod media {
            use sqlx::{Pool, QueryBuilder};

            use super::{Conn, Db, sql::push_id_list};
            use crate::model::{Image, UnixTime};
            use crate::store::StoreResult;
            use crate::store::media::{LibraryImage, UploadRecord, contains};

            pub async fn upsert(conn: &mut Conn, i: &Image, now: UnixTime) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO images (id, file, width, height, alt, caption, credit, created_at, widths, webp)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (id) DO UPDATE SET file = excluded.file, width = excluded.width,
                       height = excluded.height, alt = excluded.alt, caption = excluded.caption,
                       credit = excluded.credit, widths = excluded.widths, webp = excluded.webp",
                )
                .bind(&i.id)
                .bind(&i.file)
                .bind(i.width)
                .bind(i.height)
                .bind(&i.alt)
                .bind(&i.caption)
                .bind(&i.credit)
                .bind(now)
                .bind(&i.widths)
                .bind(i.webp)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            pub async fn record_upload(conn: &mut Conn, id: &str, u: &UploadRecord) -> StoreResult<()> {
                sqlx::query("UPDATE images SET original = $1, bytes = $2, uploaded_by = $3 WHERE id = $4")
                    .bind(&u.original)
                    .bind(u.bytes)
                    .bind(&u.uploaded_by)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub async fn library(pool: &Pool<Db>, search: Option<&str>, key: &crate::store::PageKey, size: i64) -> StoreResult<Vec<LibraryImage>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT i.id, i.file, i.width, i.height, i.alt, i.caption, i.credit, i.widths, i.webp,
                       i.bytes, i.created_at, i.uploaded_by, u.name AS uploaded_by_name, i.original
                     FROM images i LEFT JOIN users u ON u.id = i.uploaded_by WHERE 1 = 1",
                );
                if let Some(words) = search {
                    let pattern = contains(words);
                    qb.push(" AND (lower(i.alt) LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
                    qb.push(" OR lower(i.caption) LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
                    qb.push(" OR lower(i.credit) LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
                    qb.push(" OR lower(i.file) LIKE ").push_bind(pattern).push(" ESCAPE '\\')");
                }
                super::sql::push_keyset(&mut qb, "i.created_at", "i.id", key, size);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn library_one(pool: &Pool<Db>, id: &str) -> StoreResult<Option<LibraryImage>> {
                Ok(sqlx::query_as(
                    "SELECT i.id, i.file, i.width, i.height, i.alt, i.caption, i.credit, i.widths, i.webp,
                       i.bytes, i.created_at, i.uploaded_by, u.name AS uploaded_by_name, i.original
                     FROM images i LEFT JOIN users u ON u.id = i.uploaded_by WHERE i.id = $1",
                )
                .bind(id)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn uploads_by(pool: &Pool<Db>, user_id: &str) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM images WHERE uploaded_by = $1")
                    .bind(user_id)
                    .fetch_one(pool)
                    .await?)
            }

            pub async fn delete(conn: &mut Conn, id: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM images WHERE id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub async fn newest(pool: &Pool<Db>, limit: i64) -> StoreResult<Vec<Image>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT id, file, width, height, alt, caption, credit, widths, webp FROM images ORDER BY created_at DESC, id DESC",
                );
                super::sql::push_limit(&mut qb, limit, 0);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn by_ids(pool: &Pool<Db>, ids: &[String]) -> StoreResult<Vec<Image>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT id, file, width, height, alt, caption, credit, widths, webp FROM images WHERE id IN ",
                );
                push_id_list(&mut qb, ids);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn by_file(pool: &Pool<Db>, file: &str) -> StoreResult<Option<Image>> {
                Ok(sqlx::query_as(
                    "SELECT id, file, width, height, alt, caption, credit, widths, webp FROM images WHERE file = $1",
                )
                .bind(file)
                .fetch_optional(pool)
                .await?)
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

    /// Saves an uploaded image with what the library keeps of its upload.
    pub async fn save_upload(&self, image: &Image, upload: &UploadRecord) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            db::media::upsert(conn, image, now).await?;
            db::media::record_upload(conn, &image.id, upload).await?;
            ((), ContentChange::Images)
        })
    }

    /// The library, newest first, optionally searched by alt text,
    /// caption, credit and file name.
    pub async fn library(
        &self,
        search: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<LibraryImage>> {
        let page = self.library_page(search, &PageKey::Newest, limit).await?;
        Ok(page.rows)
    }

    /// A page of the library by its key (see `store::keyset`).
    pub async fn library_page(
        &self,
        search: Option<&str>,
        key: &PageKey,
        size: i64,
    ) -> StoreResult<KeyedPage<LibraryImage>> {
        let rows = read!(self, media::library(search, key, size))?;
        Ok(KeyedPage::from_rows(rows, key, size, |entry| Cursor {
            at: entry.created_at,
            id: entry.image.id.clone(),
        }))
    }

    pub async fn library_image(&self, id: &str) -> StoreResult<Option<LibraryImage>> {
        read!(self, media::library_one(id))
    }

    /// How many images this person has uploaded.
    pub async fn uploads_by(&self, user_id: &str) -> StoreResult<i64> {
        exec!(self, media::uploads_by(user_id))
    }

    pub async fn delete_image(&self, id: &str) -> StoreResult<()> {
        write!(self, |conn, db| {
            db::media::delete(conn, id).await?;
            ((), ContentChange::Images)
        })
    }

    /// The library's newest images first.
    pub async fn newest_images(&self, limit: i64) -> StoreResult<Vec<Image>> {
        read!(self, media::newest(limit))
    }

    /// The image whose largest served copy is `file` (as its URL names it).
    pub async fn image_by_file(&self, file: &str) -> StoreResult<Option<Image>> {
        read!(self, media::by_file(file))
    }

    pub async fn images_by_ids(&self, ids: &[String]) -> StoreResult<Vec<Image>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        read!(self, media::by_ids(ids))
    }
}
