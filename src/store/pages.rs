//! Static pages: their rows, the links to them, and their saves (with
//! revisions, refused when stale, as stories).

use crate::model::{Page, UnixTime};

use super::{ContentChange, Edit, PieceChange, Store, StoreError, StoreResult, read, write};

macro_rules! queries {
    () => {
        pub mod pages {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::model::{Page, Visibility};
            use crate::store::StoreResult;

            const COLUMNS: &str = "id, slug, title, body, body_schema, hero_image_id, status, in_navigation, \
                                   in_footer, position, created_at, updated_at, created_by, revision, authors";

            pub async fn by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<Page>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM pages WHERE slug = $1")))
                    .bind(slug)
                    .fetch_optional(pool)
                    .await?)
            }

            pub async fn by_id(pool: &Pool<Db>, id: &str) -> StoreResult<Option<Page>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM pages WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?)
            }

            /// Every page, in link order then by title (the desk's list).
            pub async fn all(pool: &Pool<Db>) -> StoreResult<Vec<Page>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM pages ORDER BY position, title"
                )))
                .fetch_all(pool)
                .await?)
            }

            /// Published pages linked from the navigation or the footer.
            pub async fn linked(pool: &Pool<Db>) -> StoreResult<Vec<Page>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM pages WHERE status = 'published' AND (in_navigation OR in_footer)
                     ORDER BY position, title"
                )))
                .fetch_all(pool)
                .await?)
            }

            pub async fn visibility(conn: &mut Conn, id: &str) -> StoreResult<Visibility> {
                let status: Option<crate::model::Status> =
                    sqlx::query_scalar("SELECT status FROM pages WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?;
                Ok(match status {
                    Some(crate::model::Status::Published) => Visibility::Public,
                    _ => Visibility::Hidden,
                })
            }

            /// The slug readers know a page by: its slug while published.
            pub async fn public_slug(conn: &mut Conn, id: &str) -> StoreResult<Option<String>> {
                Ok(sqlx::query_scalar("SELECT slug FROM pages WHERE id = $1 AND status = 'published'")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?)
            }

            /// As `stories::upsert`: false when `based_on` is outdated.
            pub async fn upsert(conn: &mut Conn, p: &Page, bump: i64, based_on: Option<i64>) -> StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO pages (id, slug, title, body, body_schema, hero_image_id, status, in_navigation,
                       in_footer, position, created_at, updated_at, created_by, revision, authors)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $16)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, title = excluded.title,
                       body = excluded.body, body_schema = excluded.body_schema,
                       hero_image_id = excluded.hero_image_id, status = excluded.status,
                       in_navigation = excluded.in_navigation, in_footer = excluded.in_footer,
                       position = excluded.position, updated_at = excluded.updated_at,
                       authors = excluded.authors,
                       revision = pages.revision + $14
                     WHERE $15 IS NULL OR pages.revision = $15",
                )
                .bind(&p.id)
                .bind(&p.slug)
                .bind(&p.title)
                .bind(&p.body)
                .bind(crate::model::document::SCHEMA_VERSION)
                .bind(&p.hero_image_id)
                .bind(p.status)
                .bind(p.in_navigation)
                .bind(p.in_footer)
                .bind(p.position)
                .bind(p.created_at)
                .bind(p.updated_at)
                .bind(&p.created_by)
                .bind(bump)
                .bind(based_on)
                .bind(&p.authors)
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            pub async fn revision(conn: &mut Conn, id: &str) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT revision FROM pages WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?)
            }

            pub async fn delete(conn: &mut Conn, id: &str) -> StoreResult<()> {
                for sql in [
                    "DELETE FROM slug_redirects WHERE kind = 'page' AND target_id = $1",
                    "DELETE FROM revisions WHERE kind = 'page' AND piece_id = $1",
                    "DELETE FROM pages WHERE id = $1",
                ] {
                    sqlx::query(sql).bind(id).execute(&mut *conn).await?;
                }
                Ok(())
            }
        }
    };
}
pub(super) use queries;

impl Store {
    pub async fn page_by_slug(&self, slug: &str) -> StoreResult<Option<Page>> {
        read!(self, pages::by_slug(slug))
    }

    pub async fn page_by_id(&self, id: &str) -> StoreResult<Option<Page>> {
        read!(self, pages::by_id(id))
    }

    pub async fn pages(&self) -> StoreResult<Vec<Page>> {
        read!(self, pages::all())
    }

    /// Published pages the navigation or the footer link to, in order.
    pub async fn linked_pages(&self) -> StoreResult<Vec<Page>> {
        read!(self, pages::linked())
    }

    /// Saves a page (and the revision a desk save keeps), in one
    /// transaction. A published page whose slug changes keeps its old
    /// address as a redirect, so links to it go on working.
    pub async fn save_page(&self, page: &Page, edit: Option<&Edit>) -> StoreResult<()> {
        let now: UnixTime = self.clock.now();
        write!(self, |conn, db| {
            let before = db::pages::visibility(conn, &page.id).await?;
            let known_as = db::pages::public_slug(conn, &page.id).await?;
            let bump = i64::from(edit.is_some());
            if !db::pages::upsert(conn, page, bump, edit.and_then(|e| e.based_on)).await? {
                return Err(StoreError::Stale);
            }
            let body = page.body.as_str();
            db::media_refs::set(conn, super::PieceKind::Page, &page.id, body).await?;
            if let Some(old) = known_as.filter(|old| *old != page.slug) {
                db::slugs::add_redirect(conn, super::SlugKind::Page, &old, &page.id, now).await?;
            }
            if let Some(edit) = edit {
                let number = db::pages::revision(conn, &page.id).await?;
                db::revisions::keep(conn, super::PieceKind::Page, &page.id, number, edit, now)
                    .await?;
            }
            let change = PieceChange {
                id: page.id.clone(),
                before,
                after: page.visibility(),
            };
            ((), ContentChange::Pages(vec![change]))
        })
    }

    pub async fn delete_page(&self, id: &str) -> StoreResult<()> {
        write!(self, |conn, db| {
            let before = db::pages::visibility(conn, id).await?;
            db::media_refs::clear(conn, super::PieceKind::Page, id).await?;
            db::pages::delete(conn, id).await?;
            let change = PieceChange {
                id: id.to_string(),
                before,
                after: crate::model::Visibility::Hidden,
            };
            ((), ContentChange::Pages(vec![change]))
        })
    }
}
