//! Addresses from another platform that answer 301 (`path_redirects`).

use super::{ContentChange, Store, StoreResult, read, write};

/// An old address and what it names now.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PathRedirect {
    /// The path (and query, for `/?p=12`) without a trailing slash.
    pub path: String,
    /// story, brief, page, section, tag, author (`target` is an id) or url.
    pub target_kind: String,
    pub target: String,
}

macro_rules! queries {
    () => {
        pub mod redirects {
            use sqlx::{Pool, QueryBuilder};

            use super::{Conn, Db};
            use crate::model::UnixTime;
            use crate::store::StoreResult;
            use crate::store::redirects::PathRedirect;

            pub async fn find(pool: &Pool<Db>, path: &str) -> StoreResult<Option<PathRedirect>> {
                Ok(sqlx::query_as(
                    "SELECT path, target_kind, target FROM path_redirects WHERE path = $1",
                )
                .bind(path)
                .fetch_optional(pool)
                .await?)
            }

            /// Adds or re-points redirects; a kept one keeps its first date.
            pub async fn upsert(
                conn: &mut Conn,
                redirects: &[PathRedirect],
                now: UnixTime,
            ) -> StoreResult<()> {
                for chunk in redirects.chunks(1000) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO path_redirects (path, target_kind, target, created_at) ",
                    );
                    qb.push_values(chunk, |mut row, r| {
                        row.push_bind(r.path.clone())
                            .push_bind(r.target_kind.clone())
                            .push_bind(r.target.clone())
                            .push_bind(now);
                    });
                    qb.push(
                        " ON CONFLICT (path) DO UPDATE SET target_kind = excluded.target_kind,
                          target = excluded.target",
                    );
                    qb.build().execute(&mut *conn).await?;
                }
                Ok(())
            }
        }
    };
}
pub(super) use queries;

impl Store {
    pub async fn path_redirect(&self, path: &str) -> StoreResult<Option<PathRedirect>> {
        read!(self, redirects::find(path))
    }

    pub async fn save_path_redirects(&self, redirects: &[PathRedirect]) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            db::redirects::upsert(conn, redirects, now).await?;
            ((), ContentChange::Taxonomy)
        })
    }
}
