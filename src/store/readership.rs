//! Readership counts (see `services::readership` for the rules): totals by
//! day and by month, the day's anonymous visits that make a visitor count
//! once, and the day's salt. Not content: no version moves, no page cache
//! is emptied by a count.
//!
//! Every instance adds its counts with upserts (`views = views + n`), so
//! counts from several instances add up; a visit is new for exactly one
//! of them (its primary key decides), and only that one adds a visitor.

use std::collections::{BTreeMap, HashSet};

use super::{Store, StoreResult, exec, read};

/// What a total is kept by: `grain` ("day" or "month"), `dimension`
/// ("site", "page", "section", "referrer", "signup"), its `period` (a day
/// or month number), `item` (a path, section, host…) and `piece` (the
/// story or brief it concerns, or "").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TallyKey {
    pub grain: &'static str,
    pub dimension: &'static str,
    pub period: i64,
    pub item: String,
    pub piece: String,
}

/// Views and new visitors to add to one total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub views: i64,
    pub visitors: i64,
}

/// One anonymous visitor seen on a page (or the site, scope "") on a day,
/// and the totals that count one more visitor if this is the first time.
#[derive(Debug, Clone)]
pub struct Visit {
    pub day: i64,
    pub scope: String,
    pub visitor: String,
    pub counts_in: Vec<TallyKey>,
}

/// Which totals a summary reads: by `grain`, of one `dimension`, over
/// the periods `from..=to`, for a `scope`.
#[derive(Debug, Clone)]
pub struct Slice<'a> {
    pub grain: &'static str,
    pub dimension: &'static str,
    pub from: i64,
    pub to: i64,
    pub scope: &'a ReadershipScope,
}

/// Whose figures a summary covers.
#[derive(Debug, Clone)]
pub enum ReadershipScope {
    /// The whole site.
    Site,
    /// The stories and briefs this account started or writes as an author.
    Own(super::Owner),
    /// One story or brief.
    Piece(String),
}

/// A line of a summary: an item (path, section, host…), the story or
/// brief it concerns, and its figures.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReadershipLine {
    pub item: String,
    pub piece: String,
    pub views: i64,
    pub visitors: i64,
}

/// A period's figures (for charts and exports).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReadershipPoint {
    pub period: i64,
    pub views: i64,
    pub visitors: i64,
}

/// What a counted address is: the story or brief it shows (or "") and the
/// section it belongs to (or "").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountedPage {
    pub piece: String,
    pub section: String,
}

/// A public story as counted (generated readership reads them).
#[derive(Debug, Clone)]
pub struct PublicPiece {
    pub id: String,
    pub path: String,
    pub section: String,
}

/// Rows a statement inserts at most (binds stay far below both engines'
/// limits).
pub(crate) const CHUNK: usize = 500;

macro_rules! queries {
    () => {
        pub mod readership {
            use std::collections::HashSet;

            use sqlx::{Pool, QueryBuilder};

            use super::Db;
            use crate::model::UnixTime;
            use crate::store::StoreResult;
            use crate::store::readership::{
                CHUNK, ReadershipLine, ReadershipPoint, ReadershipScope, Slice, Tally, TallyKey, Visit,
            };

            pub async fn salt(pool: &Pool<Db>, day: i64, fresh: &str) -> StoreResult<String> {
                sqlx::query(
                    "INSERT INTO readership_salts (day, salt) VALUES ($1, $2)
                     ON CONFLICT (day) DO NOTHING",
                )
                .bind(day)
                .bind(fresh)
                .execute(pool)
                .await?;
                Ok(sqlx::query_scalar("SELECT salt FROM readership_salts WHERE day = $1")
                    .bind(day)
                    .fetch_one(pool)
                    .await?)
            }

            /// Forgets the salts of days before `day` and the visits of
            /// days before `keep_from`.
            pub async fn forget(pool: &Pool<Db>, day: i64, keep_from: i64) -> StoreResult<()> {
                sqlx::query("DELETE FROM readership_salts WHERE day < $1")
                    .bind(day)
                    .execute(pool)
                    .await?;
                sqlx::query("DELETE FROM readership_visits WHERE day < $1")
                    .bind(keep_from)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            /// Inserts the visits not yet seen and answers those (both
            /// engines return only the rows a DO NOTHING insert wrote), then
            /// adds the totals: all in one transaction.
            pub async fn add(
                pool: &Pool<Db>,
                visits: &[Visit],
                tallies: impl Fn(&HashSet<(i64, String, String)>) -> Vec<(TallyKey, Tally)>,
            ) -> StoreResult<()> {
                let mut tx = pool.begin().await?;
                let mut new = HashSet::new();
                for chunk in visits.chunks(CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO readership_visits (day, scope, visitor) ",
                    );
                    qb.push_values(chunk, |mut row, v| {
                        row.push_bind(v.day)
                            .push_bind(v.scope.clone())
                            .push_bind(v.visitor.clone());
                    });
                    qb.push(" ON CONFLICT (day, scope, visitor) DO NOTHING RETURNING day, scope, visitor");
                    let rows: Vec<(i64, String, String)> =
                        qb.build_query_as().fetch_all(&mut *tx).await?;
                    new.extend(rows);
                }
                // In key order on every instance: two instances adding to
                // the same totals lock them in the same order.
                let totals = tallies(&new);
                for chunk in totals.chunks(CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO readership_totals
                         (grain, dimension, period, item, piece, views, visitors) ",
                    );
                    qb.push_values(chunk, |mut row, (k, t)| {
                        row.push_bind(k.grain)
                            .push_bind(k.dimension)
                            .push_bind(k.period)
                            .push_bind(k.item.clone())
                            .push_bind(k.piece.clone())
                            .push_bind(t.views)
                            .push_bind(t.visitors);
                    });
                    qb.push(
                        " ON CONFLICT (grain, dimension, period, item, piece) DO UPDATE SET
                          views = readership_totals.views + excluded.views,
                          visitors = readership_totals.visitors + excluded.visitors",
                    );
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            /// ` AND piece …` for a scope (pieces only when `Own` or `Piece`).
            fn push_scope(qb: &mut QueryBuilder<Db>, scope: &ReadershipScope) {
                match scope {
                    ReadershipScope::Site => {}
                    ReadershipScope::Piece(id) => {
                        qb.push(" AND piece = ").push_bind(id.clone());
                    }
                    ReadershipScope::Own(own) => {
                        qb.push(" AND piece IN (SELECT s.id FROM stories s WHERE s.created_by = ")
                            .push_bind(own.user_id.clone());
                        if let Some(author) = &own.author_id {
                            qb.push(
                                " OR EXISTS (SELECT 1 FROM story_authors sa
                                 WHERE sa.story_id = s.id AND sa.author_id = ",
                            )
                            .push_bind(author.clone())
                            .push(")");
                        }
                        qb.push(" UNION SELECT b.id FROM briefs b WHERE b.created_by = ")
                            .push_bind(own.user_id.clone())
                            .push(")");
                    }
                }
            }

            /// ` WHERE …` for a slice's totals.
            fn push_slice(qb: &mut QueryBuilder<Db>, slice: &Slice<'_>) {
                qb.push(" WHERE grain = ")
                    .push_bind(slice.grain)
                    .push(" AND dimension = ")
                    .push_bind(slice.dimension)
                    .push(" AND period BETWEEN ")
                    .push_bind(slice.from)
                    .push(" AND ")
                    .push_bind(slice.to);
                push_scope(qb, slice.scope);
            }

            /// Views and visitors each period.
            pub async fn series(pool: &Pool<Db>, slice: &Slice<'_>) -> StoreResult<Vec<ReadershipPoint>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT period, CAST(SUM(views) AS BIGINT) AS views,
                     CAST(SUM(visitors) AS BIGINT) AS visitors FROM readership_totals",
                );
                push_slice(&mut qb, slice);
                qb.push(" GROUP BY period ORDER BY period");
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            /// The items with the most views (`pieces`: only lines about a
            /// story or brief).
            pub async fn top(
                pool: &Pool<Db>,
                slice: &Slice<'_>,
                pieces: bool,
                limit: i64,
            ) -> StoreResult<Vec<ReadershipLine>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT item, MAX(piece) AS piece, CAST(SUM(views) AS BIGINT) AS views,
                     CAST(SUM(visitors) AS BIGINT) AS visitors FROM readership_totals",
                );
                push_slice(&mut qb, slice);
                if pieces {
                    qb.push(" AND piece <> ''");
                }
                qb.push(" GROUP BY item ORDER BY views DESC, item");
                super::sql::push_limit(&mut qb, limit, 0);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            /// Every line, period by period (the export).
            pub async fn lines(
                pool: &Pool<Db>,
                slice: &Slice<'_>,
            ) -> StoreResult<Vec<(i64, String, String, i64, i64)>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT period, item, piece, views, visitors FROM readership_totals",
                );
                push_slice(&mut qb, slice);
                qb.push(" ORDER BY period, views DESC, item");
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            /// A public story by its slug: its id and its section's slug.
            pub async fn story(
                pool: &Pool<Db>,
                slug: &str,
                now: UnixTime,
            ) -> StoreResult<Option<(String, String)>> {
                Ok(sqlx::query_as(
                    "SELECT s.id, c.slug FROM stories s JOIN sections c ON c.id = s.section_id
                     WHERE s.slug = $1 AND s.status = 'published' AND s.published_at <= $2",
                )
                .bind(slug)
                .bind(now)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn brief(
                pool: &Pool<Db>,
                slug: &str,
                now: UnixTime,
            ) -> StoreResult<Option<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM briefs
                     WHERE slug = $1 AND status = 'published' AND published_at <= $2",
                )
                .bind(slug)
                .bind(now)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn section(pool: &Pool<Db>, slug: &str) -> StoreResult<bool> {
                Ok(sqlx::query_scalar::<_, String>("SELECT slug FROM sections WHERE slug = $1")
                    .bind(slug)
                    .fetch_optional(pool)
                    .await?
                    .is_some())
            }

            pub async fn page(pool: &Pool<Db>, slug: &str) -> StoreResult<bool> {
                Ok(sqlx::query_scalar::<_, String>(
                    "SELECT slug FROM pages WHERE slug = $1 AND status = 'published'",
                )
                .bind(slug)
                .fetch_optional(pool)
                .await?
                .is_some())
            }

            /// The days whose salts are kept, and the oldest day of the
            /// visits kept.
            pub async fn kept(pool: &Pool<Db>) -> StoreResult<(Vec<i64>, Option<i64>)> {
                let salts = sqlx::query_scalar("SELECT day FROM readership_salts ORDER BY day")
                    .fetch_all(pool)
                    .await?;
                let oldest = sqlx::query_scalar("SELECT MIN(day) FROM readership_visits")
                    .fetch_one(pool)
                    .await?;
                Ok((salts, oldest))
            }

            /// Every public story: id, slug and its section's slug.
            pub async fn public_pieces(
                pool: &Pool<Db>,
                now: UnixTime,
            ) -> StoreResult<Vec<(String, String, String)>> {
                Ok(sqlx::query_as(
                    "SELECT s.id, s.slug, c.slug FROM stories s JOIN sections c ON c.id = s.section_id
                     WHERE s.status = 'published' AND s.published_at <= $1 ORDER BY s.published_at",
                )
                .bind(now)
                .fetch_all(pool)
                .await?)
            }

            /// Headlines of stories and briefs by id.
            pub async fn headlines(
                pool: &Pool<Db>,
                ids: &[String],
            ) -> StoreResult<Vec<(String, String)>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = QueryBuilder::<Db>::new("SELECT id, headline FROM stories WHERE id IN ");
                super::sql::push_id_list(&mut qb, ids);
                qb.push(" UNION ALL SELECT id, headline FROM briefs WHERE id IN ");
                super::sql::push_id_list(&mut qb, ids);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }
        }
    };
}
pub(super) use queries;

/// What kind of public address a path is, for counting (anything else is
/// not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountedKind {
    Home,
    Story,
    Brief,
    Section,
    Page,
}

impl Store {
    /// The day's salt: the one another instance made first, else `fresh`.
    pub async fn readership_salt(&self, day: i64, fresh: &str) -> StoreResult<String> {
        exec!(self, readership::salt(day, fresh))
    }

    /// Forgets salts before `today` and visits before `keep_from`.
    pub async fn forget_readership(&self, today: i64, keep_from: i64) -> StoreResult<()> {
        exec!(self, readership::forget(today, keep_from))
    }

    /// Adds `views` to their totals, and one visitor to each total of a
    /// visit not seen before (on any instance).
    pub async fn add_readership(
        &self,
        views: BTreeMap<TallyKey, Tally>,
        visits: &[Visit],
    ) -> StoreResult<()> {
        // A visit seen twice in one batch is one visit.
        let mut unique = HashSet::new();
        let visits: Vec<Visit> = visits
            .iter()
            .filter(|v| unique.insert((v.day, v.scope.clone(), v.visitor.clone())))
            .cloned()
            .collect();
        let tallies = |new: &HashSet<(i64, String, String)>| {
            let mut all = views.clone();
            for visit in &visits {
                if new.contains(&(visit.day, visit.scope.clone(), visit.visitor.clone())) {
                    for key in &visit.counts_in {
                        all.entry(key.clone()).or_default().visitors += 1;
                    }
                }
            }
            all.into_iter().collect::<Vec<_>>()
        };
        exec!(self, readership::add(&visits, tallies))
    }

    /// What a counted address shows, if it is public now.
    pub async fn counted_page(
        &self,
        kind: CountedKind,
        slug: &str,
    ) -> StoreResult<Option<CountedPage>> {
        let now = self.clock.now();
        Ok(match kind {
            CountedKind::Home => Some(CountedPage::default()),
            CountedKind::Story => read!(self, readership::story(slug, now))?
                .map(|(piece, section)| CountedPage { piece, section }),
            CountedKind::Brief => {
                read!(self, readership::brief(slug, now))?.map(|piece| CountedPage {
                    piece,
                    section: String::new(),
                })
            }
            CountedKind::Section => read!(self, readership::section(slug))?.then(|| CountedPage {
                piece: String::new(),
                section: slug.to_string(),
            }),
            CountedKind::Page => read!(self, readership::page(slug))?.then(CountedPage::default),
        })
    }

    pub async fn readership_series(&self, slice: &Slice<'_>) -> StoreResult<Vec<ReadershipPoint>> {
        read!(self, readership::series(slice))
    }

    pub async fn readership_top(
        &self,
        slice: &Slice<'_>,
        pieces: bool,
        limit: i64,
    ) -> StoreResult<Vec<ReadershipLine>> {
        read!(self, readership::top(slice, pieces, limit))
    }

    /// Every line of a slice, period by period (the export).
    pub async fn readership_lines(
        &self,
        slice: &Slice<'_>,
    ) -> StoreResult<Vec<(i64, String, String, i64, i64)>> {
        read!(self, readership::lines(slice))
    }

    /// Every public story as counted: its id, its address, its section.
    pub async fn public_pieces(&self) -> StoreResult<Vec<PublicPiece>> {
        let now = self.clock.now();
        Ok(read!(self, readership::public_pieces(now))?
            .into_iter()
            .map(|(id, slug, section)| PublicPiece {
                path: crate::urls::story(&slug),
                id,
                section,
            })
            .collect())
    }

    /// What raw records are kept: the days whose salts are known, and the
    /// oldest day of the anonymous visits (the retention setting's promise).
    pub async fn readership_kept(&self) -> StoreResult<(Vec<i64>, Option<i64>)> {
        read!(self, readership::kept())
    }

    /// Headlines of stories and briefs by id (missing: deleted since).
    pub async fn piece_headlines(
        &self,
        ids: &[String],
    ) -> StoreResult<std::collections::HashMap<String, String>> {
        Ok(read!(self, readership::headlines(ids))?
            .into_iter()
            .collect())
    }
}
