//! Slugs: which are taken, and the old ones that answer 301.

use super::{Store, StoreResult, read};

/// What kind of thing a slug names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlugKind {
    Story,
    Brief,
    Page,
}

impl SlugKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SlugKind::Story => "story",
            SlugKind::Brief => "brief",
            SlugKind::Page => "page",
        }
    }
}

macro_rules! queries {
    () => {
        pub mod slugs {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::model::UnixTime;
            use crate::store::{SlugKind, StoreResult};

            pub async fn taken(pool: &Pool<Db>, kind: SlugKind, slug: &str, except_id: &str) -> StoreResult<bool> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT
                       (SELECT COUNT(*) FROM stories WHERE $1 = 'story' AND slug = $2 AND id <> $3)
                     + (SELECT COUNT(*) FROM briefs WHERE $1 = 'brief' AND slug = $2 AND id <> $3)
                     + (SELECT COUNT(*) FROM pages WHERE $1 = 'page' AND slug = $2 AND id <> $3)
                     + (SELECT COUNT(*) FROM slug_redirects WHERE kind = $1 AND old_slug = $2 AND target_id <> $3)",
                )
                .bind(kind.as_str())
                .bind(slug)
                .bind(except_id)
                .fetch_one(pool)
                .await?;
                Ok(n > 0)
            }

            pub async fn add_redirect(
                conn: &mut Conn,
                kind: SlugKind,
                old_slug: &str,
                target_id: &str,
                now: UnixTime,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO slug_redirects (kind, old_slug, target_id, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (kind, old_slug) DO UPDATE SET target_id = excluded.target_id",
                )
                .bind(kind.as_str())
                .bind(old_slug)
                .bind(target_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// Which of these slugs are used, and by which ids (now or as
            /// old addresses).
            pub async fn holders(pool: &Pool<Db>, kind: SlugKind, slugs: &[String]) -> StoreResult<Vec<(String, String)>> {
                if slugs.is_empty() {
                    return Ok(vec![]);
                }
                let table = match kind {
                    SlugKind::Story => "stories",
                    SlugKind::Brief => "briefs",
                    SlugKind::Page => "pages",
                };
                let mut qb = sqlx::QueryBuilder::<Db>::new(format!("SELECT slug, id FROM {table} WHERE slug IN "));
                super::sql::push_id_list(&mut qb, slugs);
                qb.push(" UNION ALL SELECT old_slug, target_id FROM slug_redirects WHERE kind = ");
                qb.push_bind(kind.as_str());
                qb.push(" AND old_slug IN ");
                super::sql::push_id_list(&mut qb, slugs);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn redirect_target(pool: &Pool<Db>, kind: SlugKind, old_slug: &str) -> StoreResult<Option<String>> {
                Ok(sqlx::query_scalar("SELECT target_id FROM slug_redirects WHERE kind = $1 AND old_slug = $2")
                    .bind(kind.as_str())
                    .bind(old_slug)
                    .fetch_optional(pool)
                    .await?)
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// Whether `slug` is used by another story/brief/page, now or as an
    /// old address.
    pub async fn slug_taken(
        &self,
        kind: SlugKind,
        slug: &str,
        except_id: &str,
    ) -> StoreResult<bool> {
        read!(self, slugs::taken(kind, slug, except_id))
    }

    /// Which of `slugs` are used (now or as old addresses), by which ids.
    pub async fn slug_holders(
        &self,
        kind: SlugKind,
        slugs: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        read!(self, slugs::holders(kind, slugs))
    }

    /// The id an old slug now points at.
    pub async fn redirect_target(
        &self,
        kind: SlugKind,
        old_slug: &str,
    ) -> StoreResult<Option<String>> {
        read!(self, slugs::redirect_target(kind, old_slug))
    }
}
