//! Briefs: short news items.

use crate::model::{Brief, Image, UnixTime};

use super::stories::HeroColumns;
use super::{
    ContentChange, Edit, PieceChange, SlugKind, Store, StoreError, StoreResult, read, write,
};

/// A brief as pages show it: the row and its image, read in one query.
#[derive(Debug, Clone)]
pub struct BriefCard {
    pub brief: Brief,
    pub image: Option<Image>,
}

/// One brief to save, as `StoryWrite` is for stories.
#[derive(Debug, Clone)]
pub struct BriefWrite {
    pub brief: Brief,
    pub redirect_from: Option<String>,
    pub publish_at: Option<UnixTime>,
    pub edit: Option<Edit>,
}

#[derive(sqlx::FromRow)]
pub(super) struct BriefRow {
    #[sqlx(flatten)]
    brief: Brief,
    #[sqlx(flatten)]
    image: HeroColumns,
}

impl From<BriefRow> for BriefCard {
    fn from(row: BriefRow) -> BriefCard {
        let image = row.image.into_image(row.brief.image_id.as_ref());
        BriefCard {
            brief: row.brief,
            image,
        }
    }
}

macro_rules! queries {
    () => {
        pub mod briefs {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::model::{Brief, UnixTime, Visibility};
            use crate::store::StoreResult;
            use crate::store::briefs::{BriefCard, BriefRow};
            use crate::store::stories::{hero_columns, public_piece};

            macro_rules! brief_columns {
                () => {
                    "s.id, s.slug, s.headline, s.body, s.link_url, s.image_id, s.status, \
                     s.published_at, s.created_at, s.updated_at, s.created_by, s.revision"
                };
            }

            pub async fn by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<Brief>> {
                Ok(sqlx::query_as(concat!("SELECT ", brief_columns!(), " FROM briefs s WHERE s.slug = $1"))
                    .bind(slug)
                    .fetch_optional(pool)
                    .await?)
            }

            pub async fn by_id(pool: &Pool<Db>, id: &str) -> StoreResult<Option<Brief>> {
                Ok(sqlx::query_as(concat!("SELECT ", brief_columns!(), " FROM briefs s WHERE s.id = $1"))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?)
            }

            pub async fn card_by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<BriefCard>> {
                let row: Option<BriefRow> = sqlx::query_as(concat!(
                    "SELECT ", brief_columns!(), ", ", hero_columns!(),
                    " FROM briefs s LEFT JOIN images h ON h.id = s.image_id WHERE s.slug = $1"
                ))
                .bind(slug)
                .fetch_optional(pool)
                .await?;
                Ok(row.map(BriefCard::from))
            }

            pub async fn cards_by_ids(pool: &Pool<Db>, ids: &[String]) -> StoreResult<Vec<BriefCard>> {
                let mut qb = sqlx::QueryBuilder::<Db>::new(concat!(
                    "SELECT ", brief_columns!(), ", ", hero_columns!(),
                    " FROM briefs s LEFT JOIN images h ON h.id = s.image_id WHERE s.id IN "
                ));
                super::sql::push_id_list(&mut qb, ids);
                let rows: Vec<BriefRow> = qb.build_query_as().fetch_all(pool).await?;
                Ok(rows.into_iter().map(BriefCard::from).collect())
            }

            /// As `stories::page_ends`, for the public briefs.
            pub async fn page_ends(
                pool: &Pool<Db>,
                now: UnixTime,
                per_page: i64,
            ) -> StoreResult<Vec<crate::store::Cursor>> {
                let mut qb = sqlx::QueryBuilder::<Db>::new(concat!(
                    "SELECT at, id FROM (SELECT s.published_at AS at, s.id AS id, ",
                    "ROW_NUMBER() OVER (ORDER BY s.published_at DESC, s.id DESC) AS n ",
                    "FROM briefs s WHERE ", public_piece!()
                ));
                qb.push_bind(now);
                qb.push(format!(") AS k WHERE n % {} = 0 ORDER BY n", per_page.max(1)));
                let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(pool).await?;
                Ok(rows
                    .into_iter()
                    .map(|(at, id)| crate::store::Cursor { at, id })
                    .collect())
            }

            pub async fn list(
                pool: &Pool<Db>,
                now: UnixTime,
                limit: i64,
                offset: i64,
                after: Option<&crate::store::Cursor>,
            ) -> StoreResult<Vec<BriefCard>> {
                let mut qb = sqlx::QueryBuilder::<Db>::new(concat!(
                    "SELECT ", brief_columns!(), ", ", hero_columns!(),
                    " FROM briefs s LEFT JOIN images h ON h.id = s.image_id WHERE ", public_piece!()
                ));
                // As for stories: the range ends at the key, ties by id.
                qb.push_bind(after.map_or(now, |a| a.at.min(now)));
                if let Some(after) = after {
                    qb.push(" AND (s.published_at < ");
                    qb.push_bind(after.at);
                    qb.push(" OR s.id < ");
                    qb.push_bind(after.id.clone());
                    qb.push(")");
                }
                qb.push(" ORDER BY s.published_at DESC, s.id DESC");
                super::sql::push_limit(&mut qb, limit, offset);
                let rows: Vec<BriefRow> = qb.build_query_as().fetch_all(pool).await?;
                Ok(rows.into_iter().map(BriefCard::from).collect())
            }

            pub async fn visibility(conn: &mut Conn, id: &str, now: UnixTime) -> StoreResult<Visibility> {
                let row: Option<(crate::model::Status, Option<UnixTime>)> =
                    sqlx::query_as("SELECT status, published_at FROM briefs WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?;
                Ok(row.map_or(Visibility::Hidden, |(status, at)| status.visibility(at, now)))
            }

            /// As `stories::upsert`: false when `based_on` is outdated.
            pub async fn upsert(conn: &mut Conn, b: &Brief, bump: i64, based_on: Option<i64>) -> StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO briefs (id, slug, headline, body, body_schema, link_url, image_id, status,
                       published_at, created_at, updated_at, created_by, revision)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, headline = excluded.headline,
                       body = excluded.body, body_schema = excluded.body_schema,
                       link_url = excluded.link_url, image_id = excluded.image_id,
                       status = excluded.status, published_at = excluded.published_at,
                       updated_at = excluded.updated_at, revision = briefs.revision + $13
                     WHERE $14 IS NULL OR briefs.revision = $14",
                )
                .bind(&b.id)
                .bind(&b.slug)
                .bind(&b.headline)
                .bind(&b.body)
                .bind(crate::model::document::SCHEMA_VERSION)
                .bind(&b.link_url)
                .bind(&b.image_id)
                .bind(b.status)
                .bind(b.published_at)
                .bind(b.created_at)
                .bind(b.updated_at)
                .bind(&b.created_by)
                .bind(bump)
                .bind(based_on)
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            pub async fn delete(conn: &mut Conn, id: &str) -> StoreResult<()> {
                for sql in [
                    "DELETE FROM slug_redirects WHERE kind = 'brief' AND target_id = $1",
                    "DELETE FROM revisions WHERE kind = 'brief' AND piece_id = $1",
                    "DELETE FROM briefs WHERE id = $1",
                ] {
                    sqlx::query(sql).bind(id).execute(&mut *conn).await?;
                }
                Ok(())
            }

            pub async fn revision(conn: &mut Conn, id: &str) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT revision FROM briefs WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?)
            }
        }
    };
}
pub(super) use queries;

impl Store {
    pub async fn brief_by_slug(&self, slug: &str) -> StoreResult<Option<Brief>> {
        read!(self, briefs::by_slug(slug))
    }

    pub async fn brief_by_id(&self, id: &str) -> StoreResult<Option<Brief>> {
        read!(self, briefs::by_id(id))
    }

    /// Briefs by id with their images, in no particular order (any status).
    pub async fn brief_cards_by_ids(&self, ids: &[String]) -> StoreResult<Vec<BriefCard>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        read!(self, briefs::cards_by_ids(ids))
    }

    /// A brief with its image (any status).
    pub async fn brief_card_by_slug(&self, slug: &str) -> StoreResult<Option<BriefCard>> {
        read!(self, briefs::card_by_slug(slug))
    }

    /// Public briefs with their images, newest first.
    pub async fn briefs(
        &self,
        now: UnixTime,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<BriefCard>> {
        read!(self, briefs::list(now, limit, offset, None))
    }

    /// Public briefs after the one `after` names, newest first (see
    /// `stories_after`).
    pub async fn briefs_after(
        &self,
        now: UnixTime,
        limit: i64,
        after: &super::Cursor,
    ) -> StoreResult<Vec<BriefCard>> {
        read!(self, briefs::list(now, limit, 0, Some(after)))
    }

    /// Where each page of the public briefs ends (see `page_ends`).
    pub async fn brief_page_ends(
        &self,
        now: UnixTime,
        per_page: i64,
    ) -> StoreResult<Vec<super::Cursor>> {
        read!(self, briefs::page_ends(now, per_page))
    }

    /// Saves a brief and, when its slug changed after publication, the
    /// redirect from the old one, and its publish job (`publish_at`, as for
    /// stories) and the revision a desk save keeps (`edit`), in one transaction.
    pub async fn save_brief(&self, write: &BriefWrite) -> StoreResult<()> {
        let now = self.clock.now();
        let BriefWrite {
            brief,
            redirect_from,
            publish_at,
            edit,
        } = write;
        let edit = edit.as_ref();
        write!(self, |conn, db| {
            let before = db::briefs::visibility(conn, &brief.id, now).await?;
            let bump = i64::from(edit.is_some());
            if !db::briefs::upsert(conn, brief, bump, edit.and_then(|e| e.based_on)).await? {
                return Err(StoreError::Stale);
            }
            let body = brief.body.as_str();
            db::media_refs::set(conn, super::PieceKind::Brief, &brief.id, body).await?;
            if let Some(edit) = edit {
                let number = db::briefs::revision(conn, &brief.id).await?;
                db::revisions::keep(conn, super::PieceKind::Brief, &brief.id, number, edit, now)
                    .await?;
            }
            if let Some(old) = redirect_from {
                db::slugs::add_redirect(conn, SlugKind::Brief, old, &brief.id, now).await?;
            }
            match publish_at {
                Some(at) => {
                    db::jobs::schedule(conn, super::JobKind::PublishBrief, &brief.id, *at, now)
                        .await?
                }
                None => {
                    db::jobs::cancel(conn, super::JobKind::PublishBrief, &brief.id, now).await?
                }
            }
            let change = PieceChange {
                id: brief.id.clone(),
                before,
                after: brief.visibility(now),
            };
            ((), ContentChange::Briefs(vec![change]))
        })
    }

    /// Deletes a brief, its revisions, old slugs and pending job.
    pub async fn delete_brief(&self, id: &str) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let before = db::briefs::visibility(conn, id, now).await?;
            db::jobs::cancel(conn, super::JobKind::PublishBrief, id, now).await?;
            db::media_refs::clear(conn, super::PieceKind::Brief, id).await?;
            db::briefs::delete(conn, id).await?;
            let change = PieceChange {
                id: id.to_string(),
                before,
                after: crate::model::Visibility::Hidden,
            };
            ((), ContentChange::Briefs(vec![change]))
        })
    }
}
