//! What sitemaps list: every public story and brief (address, last change,
//! image), a file of them at a time, oldest first so that a piece stays in
//! the same file as the archive grows.

use crate::model::UnixTime;

use super::{Store, StoreResult, read};

/// One address in a sitemap.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SitemapEntry {
    pub slug: String,
    pub headline: String,
    pub published_at: UnixTime,
    pub updated_at: UnixTime,
    /// The hero image's file, where there is one.
    pub image_file: Option<String>,
}

/// Which pieces a sitemap file lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitemapKind {
    Stories,
    Briefs,
}

macro_rules! queries {
    () => {
        pub mod sitemaps {
            use sqlx::{Pool, QueryBuilder};

            use super::Db;
            use crate::model::UnixTime;
            use crate::store::StoreResult;
            use crate::store::sitemaps::{SitemapEntry, SitemapKind};

            fn from(kind: SitemapKind) -> &'static str {
                match kind {
                    SitemapKind::Stories => {
                        "SELECT s.slug, s.headline, s.published_at, s.updated_at, h.file AS image_file
                         FROM stories s LEFT JOIN images h ON h.id = s.hero_image_id WHERE "
                    }
                    SitemapKind::Briefs => {
                        "SELECT s.slug, s.headline, s.published_at, s.updated_at, h.file AS image_file
                         FROM briefs s LEFT JOIN images h ON h.id = s.image_id WHERE "
                    }
                }
            }

            /// Public pieces published at or after `since`, oldest first.
            pub async fn entries(
                pool: &Pool<Db>,
                kind: SitemapKind,
                now: UnixTime,
                since: UnixTime,
                limit: i64,
                offset: i64,
            ) -> StoreResult<Vec<SitemapEntry>> {
                let mut qb = QueryBuilder::<Db>::new(from(kind));
                qb.push(crate::store::stories::public_piece!());
                qb.push_bind(now);
                qb.push(" AND s.published_at >= ");
                qb.push_bind(since);
                qb.push(" ORDER BY s.published_at, s.id");
                super::sql::push_limit(&mut qb, limit, offset);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            /// How many pieces are public, and when the newest changed.
            pub async fn extent(
                pool: &Pool<Db>,
                kind: SitemapKind,
                now: UnixTime,
            ) -> StoreResult<(i64, Option<UnixTime>)> {
                let table = match kind {
                    SitemapKind::Stories => "stories",
                    SitemapKind::Briefs => "briefs",
                };
                let mut qb = QueryBuilder::<Db>::new(format!(
                    "SELECT count(*), max(s.updated_at) FROM {table} s WHERE "
                ));
                qb.push(crate::store::stories::public_piece!());
                qb.push_bind(now);
                Ok(qb.build_query_as().fetch_one(pool).await?)
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// Public stories or briefs published since `since`, oldest first.
    pub async fn sitemap_entries(
        &self,
        kind: SitemapKind,
        since: UnixTime,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<SitemapEntry>> {
        let now = self.clock.now();
        read!(self, sitemaps::entries(kind, now, since, limit, offset))
    }

    /// How many stories or briefs are public, and the newest change among them.
    pub async fn sitemap_extent(&self, kind: SitemapKind) -> StoreResult<(i64, Option<UnixTime>)> {
        let now = self.clock.now();
        read!(self, sitemaps::extent(kind, now))
    }
}
