//! The search index and related stories.
//!
//! Every published story has one search document, written in the same
//! transaction as the story (`index_story`, called by every save), so the
//! index never lags the site and every instance sharing a database sees the
//! same index. The index engine is each database's own: FTS5 on SQLite,
//! a weighted `tsvector` with a GIN index on PostgreSQL (`sqlite_search`,
//! `postgres_search` below); the documents and everything around them are
//! shared SQL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::model::{Story, UnixTime, words};

use super::{Backend, Store, StoreResult, read};

/// What the index holds of a story.
#[derive(Debug, Clone)]
pub struct SearchDocument {
    pub story_id: String,
    pub section_id: String,
    pub label: String,
    pub published_at: UnixTime,
    pub headline_key: String,
    pub headline: String,
    pub dek: String,
    pub body: String,
    /// Section, tag and author names.
    pub topics: String,
}

impl SearchDocument {
    pub(crate) fn of(story: &Story, names: &[String]) -> SearchDocument {
        SearchDocument {
            story_id: story.id.clone(),
            section_id: story.section_id.clone(),
            label: story.label.clone(),
            published_at: story.published_at.unwrap_or(story.created_at),
            headline_key: words::key(&story.headline),
            headline: story.headline.clone(),
            dek: story.dek.clone(),
            body: story.body.plain_text(),
            topics: names.join(" · "),
        }
    }
}

/// A search: terms already cleaned into words (folded, letters and digits
/// only), so each engine writes its own query language from them without
/// any character of the reader's reaching it.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// Each term is a word or a phrase (words that must follow each other).
    pub terms: Vec<Vec<String>>,
    pub excluded: Vec<Vec<String>>,
    /// Any term rather than every term.
    pub any: bool,
    /// A document whose headline has this key comes first.
    pub headline_key: String,
    pub section_id: Option<String>,
    pub label: Option<String>,
    pub author_id: Option<String>,
    pub from: Option<UnixTime>,
    pub until: Option<UnixTime>,
    pub exclude_story: Option<String>,
    pub now: UnixTime,
    pub limit: i64,
    pub offset: i64,
}

/// How many documents a search's words match, as far as the database's
/// statistics tell. PostgreSQL finds the newest of many matches a block of
/// time at a time and of few at once (see `postgres_search::push_match`);
/// SQLite's index reads matches newest first whatever their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matches {
    Few,
    /// So many that a window's worth is expected within a block of
    /// `2^level` eras: the first block read is that large.
    Many {
        level: u32,
    },
}

/// More estimated matches than this are many: reading each one's row
/// costs more than looking block by block (a round trip and an index
/// scan a block).
const MANY_MATCHES: f64 = 10.0 * SEARCH_WINDOW as f64;

/// How often the word frequencies are read again (PostgreSQL's autovacuum
/// refreshes them as the archive changes; they move slowly).
const WORD_STATS_FOR: Duration = Duration::from_secs(600);

/// The share of documents each common stemmed word is in, as PostgreSQL's
/// statistics for the index column list them (its most common elements;
/// a word not listed is in fewer than the least common listed one).
#[derive(Debug, Default)]
pub struct WordFrequencies {
    documents: f64,
    /// How many eras the documents span.
    eras: f64,
    share: HashMap<String, f64>,
    /// What a word not listed is taken to be in: half the least common
    /// listed word's share, as PostgreSQL's own planner takes it.
    unlisted: f64,
}

impl WordFrequencies {
    pub(crate) fn new(
        documents: f64,
        span: (UnixTime, UnixTime),
        listed: Vec<(String, f64)>,
    ) -> WordFrequencies {
        let least = listed.iter().map(|(_, share)| *share).fold(1.0, f64::min);
        WordFrequencies {
            documents,
            eras: (era(span.1) - era(span.0) + 1).max(1) as f64,
            share: listed.into_iter().collect(),
            unlisted: least / 2.0,
        }
    }

    /// The share of documents a folded word (stemmed here) is listed in.
    pub fn share(&self, word: &str) -> Option<f64> {
        self.share.get(&words::stem(word)).copied()
    }

    /// Whether the statistics put a folded word in more than `n`
    /// documents with room to spare (twice as many: they come from a
    /// sample, and archives only grow), so that looking it up would
    /// surely find more. Never for an unlisted word, nor without them.
    pub fn surely_in_more_than(&self, word: &str, n: i64) -> bool {
        self.share(word)
            .is_some_and(|share| share * self.documents > 2.0 * n as f64)
    }

    /// At most as many as the rarest word when all must be found (words
    /// of one headline come together far more often than chance says),
    /// and the sum when any may be.
    pub fn matches(&self, r: &SearchRequest) -> Matches {
        if self.share.is_empty() {
            return Matches::Few;
        }
        let word = |w: &String| {
            self.share
                .get(&words::stem(w))
                .copied()
                .unwrap_or(self.unlisted)
        };
        let term = |words: &Vec<String>| words.iter().map(word).fold(1.0, f64::min);
        let share = if r.any {
            r.terms.iter().map(term).sum::<f64>().min(1.0)
        } else {
            r.terms.iter().map(term).fold(1.0, f64::min)
        };
        let expected = share * self.documents;
        if expected > MANY_MATCHES {
            // The share is an upper bound: the block is no larger than
            // needed, and the walk doubles from there.
            let eras = SEARCH_WINDOW as f64 / (expected / self.eras);
            let level = eras.max(1.0).log2().floor() as u32;
            Matches::Many {
                level: level.min(ERA_LEVELS - 1),
            }
        } else {
            Matches::Few
        }
    }
}

/// The word frequencies a store last read, and when.
#[derive(Default)]
pub(crate) struct WordStats {
    read: Mutex<Option<(Instant, Arc<WordFrequencies>)>>,
}

impl WordStats {
    fn fresh(&self) -> Option<Arc<WordFrequencies>> {
        let read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        read.as_ref()
            .filter(|(at, _)| at.elapsed() < WORD_STATS_FOR)
            .map(|(_, frequencies)| frequencies.clone())
    }

    /// Forgets what was read (the statistics were just refreshed).
    pub(crate) fn forget(&self) {
        *self.read.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn keep(&self, frequencies: Arc<WordFrequencies>) {
        *self.read.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), frequencies));
    }
}

/// A story found, with the text its snippet is cut from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchHit {
    pub story_id: String,
    pub section_id: String,
    pub published_at: UnixTime,
    pub headline: String,
    pub dek: String,
    pub body: String,
    pub topics: String,
}

/// Whose name a search document shows besides the story's own text.
#[derive(Debug, Clone, Copy)]
pub enum Topic<'a> {
    Section(&'a str),
    Tag(&'a str),
    Author(&'a str),
}

/// A document's story (for related stories).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WordMatch {
    pub doc: i64,
    pub story_id: String,
    pub section_id: String,
    pub published_at: UnixTime,
}

/// An editor's choice about one related story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelatedChoice {
    Pin,
    Exclude,
}

impl RelatedChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            RelatedChoice::Pin => "pin",
            RelatedChoice::Exclude => "exclude",
        }
    }
}

/// What is stored about a story's related stories: the editors' pins and
/// exclusions, and the computed list (best first).
#[derive(Debug, Clone, Default)]
pub struct RelatedLists {
    pub pinned: Vec<String>,
    pub excluded: Vec<String>,
    pub computed: Vec<String>,
}

impl RelatedLists {
    /// From (kind, story id) pairs in order: `pin`, `exclude` or computed.
    pub(crate) fn of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> RelatedLists {
        let mut lists = RelatedLists::default();
        for (kind, id) in pairs {
            let list = match kind {
                "pin" => &mut lists.pinned,
                "exclude" => &mut lists.excluded,
                _ => &mut lists.computed,
            };
            list.push(id.to_string());
        }
        lists
    }

    /// From `related_lists_column!`'s `kind:id,kind:id` (ids are hex).
    pub(crate) fn of_column(column: Option<&str>) -> RelatedLists {
        RelatedLists::of(
            column
                .unwrap_or_default()
                .split(',')
                .filter_map(|pair| pair.split_once(':')),
        )
    }
}

/// The rows of a story's related lists (the story's id bound as `$1`, or
/// `s.id` of an outer query): kind, related story, position.
macro_rules! related_lists_rows {
    ($story:literal) => {
        concat!(
            "SELECT choice AS kind, related_id, position FROM related_choices WHERE story_id = ",
            $story,
            " UNION ALL SELECT 'computed', related_id, position FROM related_stories WHERE story_id = ",
            $story
        )
    };
}
pub(super) use related_lists_rows;

/// A story's related lists as one column, `kind:id` joined by commas in
/// order, for the stories `s` of an outer query (`RelatedLists::of_column`).
macro_rules! related_lists_column {
    () => {
        concat!(
            "(SELECT string_agg(l.kind || ':' || l.related_id, ',' ORDER BY l.kind, l.position) FROM (",
            crate::store::search::related_lists_rows!("s.id"),
            ") l) AS related"
        )
    };
}
pub(super) use related_lists_column;

macro_rules! queries {
    () => {
        pub mod search {
            use sqlx::{Pool, QueryBuilder};

            use super::{Conn, Db};
            use crate::model::{Status, Story};
            use crate::store::search::{RelatedLists, SearchDocument, SearchHit, SearchRequest};
            use crate::store::StoreResult;

            /// Keeps a story's document in step with the story (see
            /// `write_documents`). Runs after its tags and authors are
            /// saved (their names are indexed).
            pub async fn find(
                pool: &Pool<Db>,
                request: &SearchRequest,
                matches: crate::store::search::Matches,
            ) -> StoreResult<Vec<SearchHit>> {
                if request.terms.is_empty() {
                    return Ok(vec![]);
                }
                super::search_dialect::find(pool, request, matches).await
            }

            /// For each word, the documents of public stories whose text
            /// has it (stemmed as the index stems), no more than `cap` of
            /// them: one query, one row a word (the documents joined into
            /// a list, rather than a row each to pass back).
            pub async fn word_matches(
                pool: &Pool<Db>,
                words: &[String],
                now: crate::model::UnixTime,
                cap: i64,
            ) -> StoreResult<Vec<Vec<i64>>> {
                let mut found = vec![Vec::new(); words.len()];
                if words.is_empty() {
                    return Ok(found);
                }
                let mut qb = QueryBuilder::<Db>::new("");
                for (i, word) in words.iter().enumerate() {
                    if i > 0 {
                        qb.push(" UNION ALL ");
                    }
                    qb.push(format!(
                        "SELECT {i} AS word, (SELECT string_agg(CAST(m.doc AS TEXT), ',') FROM ("
                    ));
                    super::search_dialect::push_word_matches(&mut qb, word, now, cap);
                    qb.push(") m) AS docs");
                }
                let rows: Vec<(i32, Option<String>)> = qb.build_query_as().fetch_all(pool).await?;
                for (i, docs) in rows {
                    if let (Some(list), Some(docs)) = (found.get_mut(i as usize), docs) {
                        list.extend(docs.split(',').filter_map(|doc| doc.parse::<i64>().ok()));
                    }
                }
                Ok(found)
            }

            /// Which stories some documents are.
            pub async fn documents(pool: &Pool<Db>, docs: &[i64]) -> StoreResult<Vec<crate::store::search::WordMatch>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT doc, story_id, section_id, published_at FROM search_documents WHERE doc IN (",
                );
                let mut list = qb.separated(", ");
                for doc in docs {
                    list.push_bind(*doc);
                }
                qb.push(")");
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            /// The labels of indexed stories, one index step per label (a
            /// skip scan) rather than a walk over every document.
            pub async fn labels(pool: &Pool<Db>) -> StoreResult<Vec<String>> {
                Ok(sqlx::query_scalar(
                    "WITH RECURSIVE found (label) AS (
                       SELECT min(label) FROM search_documents
                       UNION ALL
                       SELECT (SELECT min(label) FROM search_documents WHERE label > found.label)
                       FROM found WHERE found.label IS NOT NULL
                     )
                     SELECT label FROM found WHERE label IS NOT NULL",
                )
                .fetch_all(pool)
                .await?)
            }

            /// Marks the documents showing a section's, tag's or author's
            /// name as stale (set-based: no text is rewritten here).
            pub async fn mark_stale(conn: &mut Conn, topic: crate::store::search::Topic<'_>) -> StoreResult<()> {
                use crate::store::search::Topic;
                let (sql, id) = match topic {
                    Topic::Section(id) => ("UPDATE search_documents SET stale = TRUE WHERE section_id = $1", id),
                    Topic::Tag(id) => (
                        "UPDATE search_documents SET stale = TRUE
                         WHERE story_id IN (SELECT story_id FROM story_tags WHERE tag_id = $1)",
                        id,
                    ),
                    Topic::Author(id) => (
                        "UPDATE search_documents SET stale = TRUE
                         WHERE story_id IN (SELECT story_id FROM story_authors WHERE author_id = $1)",
                        id,
                    ),
                };
                sqlx::query(sql).bind(id).execute(&mut *conn).await?;
                Ok(())
            }

            /// Before a section, tag or author is saved under `name` (or
            /// removed: `None`): when the name it had changes, marks what
            /// shows it stale and asks the job queue to rewrite that. Saves
            /// that keep the name (a new description) cost one look-up.
            pub async fn names_changed(
                conn: &mut Conn,
                topic: crate::store::search::Topic<'_>,
                name: Option<&str>,
                now: crate::model::UnixTime,
            ) -> StoreResult<()> {
                use crate::store::search::Topic;
                let (sql, id) = match topic {
                    Topic::Section(id) => ("SELECT name FROM sections WHERE id = $1", id),
                    Topic::Tag(id) => ("SELECT name FROM tags WHERE id = $1", id),
                    Topic::Author(id) => ("SELECT name FROM authors WHERE id = $1", id),
                };
                let old: Option<String> = sqlx::query_scalar(sql).bind(id).fetch_optional(&mut *conn).await?;
                if old.is_none() || old.as_deref() == name {
                    return Ok(());
                }
                mark_stale(conn, topic).await?;
                super::jobs::schedule(conn, crate::store::JobKind::ReindexStale, "search", now, now).await
            }

            /// Some stale documents' story ids (none: the index is whole).
            pub async fn stale(pool: &Pool<Db>, limit: i64) -> StoreResult<Vec<String>> {
                let mut qb = QueryBuilder::<Db>::new("SELECT story_id FROM search_documents WHERE stale");
                super::sql::push_limit(&mut qb, limit, 0);
                Ok(qb.build_query_scalar().fetch_all(pool).await?)
            }

            /// Story ids after `after`, in id order: the walk of a reindex.
            pub async fn story_ids_after(pool: &Pool<Db>, after: &str, limit: i64) -> StoreResult<Vec<String>> {
                let mut qb = QueryBuilder::<Db>::new("SELECT id FROM stories WHERE id > ");
                qb.push_bind(after.to_string());
                qb.push(" ORDER BY id");
                super::sql::push_limit(&mut qb, limit, 0);
                Ok(qb.build_query_scalar().fetch_all(pool).await?)
            }

            /// Rewrites the documents of these stories (a reindex walks
            /// the archive in such batches); one deleted has lost its
            /// document already (foreign key).
            pub async fn index_stories(conn: &mut Conn, ids: &[String]) -> StoreResult<usize> {
                if ids.is_empty() {
                    return Ok(0);
                }
                let mut qb = QueryBuilder::<Db>::new("SELECT * FROM stories WHERE id IN ");
                super::sql::push_id_list(&mut qb, ids);
                // In id order, as every batch locks its rows: two batches
                // at once never wait on each other in a circle.
                qb.push(" ORDER BY id");
                let stories: Vec<Story> = qb.build_query_as().fetch_all(&mut *conn).await?;
                write_documents(conn, &stories).await?;
                Ok(stories.len())
            }

            /// Each story's document: written while it is published or
            /// scheduled (queries ask for those public at their time),
            /// with the names it shows (section, tags, authors; one query
            /// for them all), removed otherwise.
            /// Writes (or removes) the stories' search documents; after their
            /// section, tags and authors are saved (the documents name them).
            pub async fn write_documents(conn: &mut Conn, stories: &[Story]) -> StoreResult<()> {
                let indexed = |story: &Story| matches!(story.status, Status::Published | Status::Scheduled);
                let public: Vec<String> = stories.iter().filter(|s| indexed(s)).map(|s| s.id.clone()).collect();
                let mut names: std::collections::HashMap<String, Vec<String>> =
                    std::collections::HashMap::new();
                if !public.is_empty() {
                    let mut qb = QueryBuilder::<Db>::new(
                        "SELECT s.id, 0 AS part, 0 AS position, c.name FROM stories s
                         JOIN sections c ON c.id = s.section_id WHERE s.id IN ",
                    );
                    super::sql::push_id_list(&mut qb, &public);
                    qb.push(
                        " UNION ALL SELECT st.story_id, 1, st.position, t.name FROM story_tags st
                         JOIN tags t ON t.id = st.tag_id WHERE st.story_id IN ",
                    );
                    super::sql::push_id_list(&mut qb, &public);
                    qb.push(
                        " UNION ALL SELECT sa.story_id, 2, sa.position, a.name FROM story_authors sa
                         JOIN authors a ON a.id = sa.author_id WHERE sa.story_id IN ",
                    );
                    super::sql::push_id_list(&mut qb, &public);
                    qb.push(" ORDER BY 1, 2, 3");
                    let rows: Vec<(String, i32, i32, String)> =
                        qb.build_query_as().fetch_all(&mut *conn).await?;
                    for (story_id, _, _, name) in rows {
                        names.entry(story_id).or_default().push(name);
                    }
                }
                for story in stories {
                    if indexed(story) {
                        let names = names.get(&story.id).map_or(&[][..], |n| n.as_slice());
                        super::search_dialect::upsert(conn, &SearchDocument::of(story, names)).await?;
                    } else {
                        sqlx::query("DELETE FROM search_documents WHERE story_id = $1")
                            .bind(&story.id)
                            .execute(&mut *conn)
                            .await?;
                    }
                }
                Ok(())
            }

            pub async fn related_lists(pool: &Pool<Db>, story_id: &str) -> StoreResult<RelatedLists> {
                let rows: Vec<(String, String)> = sqlx::query_as(concat!(
                    "SELECT kind, related_id FROM (",
                    crate::store::search::related_lists_rows!("$1"),
                    ") lists ORDER BY kind, position"
                ))
                .bind(story_id)
                .fetch_all(pool)
                .await?;
                Ok(RelatedLists::of(rows.iter().map(|(kind, id)| (kind.as_str(), id.as_str()))))
            }

            pub async fn set_related(conn: &mut Conn, story_id: &str, related: &[String]) -> StoreResult<()> {
                sqlx::query("DELETE FROM related_stories WHERE story_id = $1")
                    .bind(story_id)
                    .execute(&mut *conn)
                    .await?;
                if related.is_empty() {
                    return Ok(());
                }
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO related_stories (story_id, position, related_id) ",
                );
                qb.push_values(related.iter().enumerate(), |mut row, (position, id)| {
                    row.push_bind(story_id.to_string())
                        .push_bind(position as i32)
                        .push_bind(id.clone());
                });
                qb.build().execute(&mut *conn).await?;
                Ok(())
            }

            pub async fn set_choices(
                conn: &mut Conn,
                story_id: &str,
                choices: &[(String, crate::store::search::RelatedChoice)],
            ) -> StoreResult<()> {
                sqlx::query("DELETE FROM related_choices WHERE story_id = $1")
                    .bind(story_id)
                    .execute(&mut *conn)
                    .await?;
                if choices.is_empty() {
                    return Ok(());
                }
                let mut qb = QueryBuilder::<Db>::new(
                    "INSERT INTO related_choices (story_id, related_id, choice, position) ",
                );
                qb.push_values(choices.iter().enumerate(), |mut row, (position, (id, choice))| {
                    row.push_bind(story_id.to_string())
                        .push_bind(id.clone())
                        .push_bind(choice.as_str())
                        .push_bind(position as i32);
                });
                qb.build().execute(&mut *conn).await?;
                Ok(())
            }
        }
    };
}
pub(super) use queries;

/// The filters every engine adds after its own match, bound, never written
/// into the SQL.
macro_rules! push_filters {
    ($qb:expr, $r:expr) => {{
        let qb = $qb;
        let r = $r;
        qb.push(" AND d.published_at <= ").push_bind(r.now);
        if let Some(section) = &r.section_id {
            qb.push(" AND d.section_id = ").push_bind(section.clone());
        }
        if let Some(label) = &r.label {
            qb.push(" AND d.label = ").push_bind(label.clone());
        }
        if let Some(from) = r.from {
            qb.push(" AND d.published_at >= ").push_bind(from);
        }
        if let Some(until) = r.until {
            qb.push(" AND d.published_at < ").push_bind(until);
        }
        if let Some(author) = &r.author_id {
            qb.push(" AND EXISTS (SELECT 1 FROM story_authors sa WHERE sa.story_id = d.story_id AND sa.author_id = ")
                .push_bind(author.clone())
                .push(")");
        }
        if let Some(story) = &r.exclude_story {
            qb.push(" AND d.story_id <> ").push_bind(story.clone());
        }
    }};
}

/// Matches a query ranks at most: the newest ones. Ranking costs the same
/// in a small magazine and a deep archive; a query so common that more
/// match is one where newness decides anyway.
pub const SEARCH_WINDOW: i64 = 200;

/// SQLite numbers documents newest first: the seconds before a far future
/// (2^40 s), shifted left 20 bits, plus a count within the second. The
/// full-text index walks its matches in that (ascending) order, so "the
/// newest N matches" stops after N, and a document's time is its number.
const FAR_FUTURE: i64 = 1 << 40;

/// The first (lowest) number of documents published in second `t`; those
/// of second `t` lie in `[doc_range(t), doc_range(t - 1))`.
fn doc_range(t: UnixTime) -> i64 {
    FAR_FUTURE.saturating_sub(t).saturating_mul(1 << 20)
}

/// PostgreSQL's time blocks (see its migration 0023): a document carries
/// the term of every aligned block of `2^level` eras of `ERA_SECONDS` it
/// falls in, levels `0..ERA_LEVELS` (the top level's blocks are 336
/// years long).
const ERA_SECONDS: i64 = 30 * 86_400;
const ERA_LEVELS: u32 = 13;

fn era(t: UnixTime) -> i64 {
    t.div_euclid(ERA_SECONDS)
}

fn era_term(level: u32, era: i64) -> String {
    format!("_e{level}_{}", era >> level)
}

/// The era terms of a document published at `t`.
fn era_terms(t: UnixTime) -> Vec<String> {
    (0..ERA_LEVELS)
        .map(|level| era_term(level, era(t)))
        .collect()
}

/// The fewest aligned blocks that together are eras `first..=last`: from
/// the oldest end, each block the largest whose alignment and size fit.
fn era_cover(first: i64, last: i64) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut start = first;
    while start <= last {
        let level = (0..ERA_LEVELS)
            .rev()
            .find(|level| start.rem_euclid(1 << level) == 0 && start + (1 << level) - 1 <= last)
            .unwrap_or(0);
        blocks.push(era_term(level, start));
        start += 1 << level;
    }
    blocks
}

/// How much older stories give way: a story two years older needs twice
/// the relevance to rank level with a new one.
const RECENCY_HALF_SECONDS: f64 = 2.0 * 365.0 * 86_400.0;

/// SQLite: FTS5.
pub(crate) mod sqlite_search {
    use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

    use super::{RECENCY_HALF_SECONDS, SEARCH_WINDOW, SearchDocument, SearchHit, SearchRequest};
    use crate::store::StoreResult;

    /// A search in one statement (see `push_match`).
    pub(crate) async fn find(
        pool: &SqlitePool,
        r: &SearchRequest,
        _: super::Matches,
    ) -> StoreResult<Vec<SearchHit>> {
        let mut qb = QueryBuilder::<Sqlite>::new("");
        push_match(&mut qb, r);
        Ok(qb.build_query_as().fetch_all(pool).await?)
    }

    /// The newest public documents with a word, `cap` at most: the
    /// index's own order, no join (documents from this second back).
    pub(crate) fn push_word_matches(
        qb: &mut QueryBuilder<Sqlite>,
        word: &str,
        now: crate::model::UnixTime,
        cap: i64,
    ) {
        qb.push("SELECT rowid AS doc FROM search_index WHERE search_index MATCH '\"' || ")
            .push_bind(word.to_string())
            .push(" || '\"' AND rowid >= ")
            .push_bind(super::doc_range(now))
            .push(format!(" ORDER BY rowid LIMIT {}", cap.max(0)));
    }

    /// Inserts or rewrites a document; one whose text and filters are
    /// unchanged is left alone (no work for the full-text index).
    pub(crate) async fn upsert(conn: &mut SqliteConnection, d: &SearchDocument) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO search_documents (doc, story_id, section_id, label, published_at,
               headline_key, headline, dek, body, topics)
             VALUES (COALESCE((SELECT max(doc) + 1 FROM search_documents
                                WHERE doc >= $10 AND doc < $10 + 1048576), $10),
               $1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (story_id) DO UPDATE SET
               doc = CASE WHEN search_documents.published_at = excluded.published_at
                          THEN search_documents.doc ELSE excluded.doc END,
               section_id = excluded.section_id,
               label = excluded.label, published_at = excluded.published_at,
               headline_key = excluded.headline_key, headline = excluded.headline,
               dek = excluded.dek, body = excluded.body, topics = excluded.topics,
               stale = FALSE
             WHERE search_documents.stale OR search_documents.published_at <> excluded.published_at
               OR search_documents.section_id <> excluded.section_id
               OR search_documents.label <> excluded.label
               OR search_documents.headline <> excluded.headline
               OR search_documents.dek <> excluded.dek
               OR search_documents.body <> excluded.body
               OR search_documents.topics <> excluded.topics",
        )
        .bind(&d.story_id)
        .bind(&d.section_id)
        .bind(&d.label)
        .bind(d.published_at)
        .bind(&d.headline_key)
        .bind(&d.headline)
        .bind(&d.dek)
        .bind(&d.body)
        .bind(&d.topics)
        .bind(super::doc_range(d.published_at))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// FTS5's query language from clean words: each term quoted (a phrase
    /// when it has several words), joined by AND or OR, exclusions by NOT.
    fn expression(r: &SearchRequest) -> String {
        let quote = |term: &Vec<String>| format!("\"{}\"", term.join(" "));
        let joiner = if r.any { " OR " } else { " AND " };
        let terms: Vec<String> = r.terms.iter().map(quote).collect();
        let mut expr = format!("({})", terms.join(joiner));
        if !r.excluded.is_empty() {
            let excluded: Vec<String> = r.excluded.iter().map(quote).collect();
            expr = format!("{expr} NOT ({})", excluded.join(" OR "));
        }
        expr
    }

    /// Ranks the newest `SEARCH_WINDOW` matches (the index walks them
    /// newest first, in its natural order, and stops) by `masthead_rank`
    /// (see `fts_rank`) with the recency boost, together with any story
    /// whose headline is the query (found by its key, and put first).
    /// Times are read off the document numbers, so only the page's own
    /// rows are read from the documents table (and, for a section, label
    /// or author filter, the window's).
    fn push_match(qb: &mut QueryBuilder<Sqlite>, r: &SearchRequest) {
        let joined = r.section_id.is_some() || r.label.is_some() || r.author_id.is_some();
        let public = super::doc_range(r.now);
        // The window's best, as many as the page reaches and one more (the
        // story with the exact headline may be among them as well).
        let candidates = r.offset.max(0) + r.limit.max(0) + 1;
        qb.push(
            "SELECT d.story_id, d.section_id, d.published_at, d.headline, d.dek, d.body, d.topics
             FROM (SELECT doc, min(rank) AS rank FROM (
               SELECT * FROM (SELECT doc, score / (1.0 + (",
        )
        .push_bind(r.now)
        .push(format!(
            " - ({} - (doc >> 20))) / {RECENCY_HALF_SECONDS:.1}) AS rank FROM (
                 SELECT search_index.rowid AS doc,
                   masthead_rank(search_index, 10.0, 4.0, 1.0, 3.0) AS score FROM search_index",
            super::FAR_FUTURE
        ));
        if joined {
            qb.push(" JOIN search_documents d ON d.doc = search_index.rowid");
        }
        qb.push(" WHERE search_index MATCH ")
            .push_bind(expression(r))
            .push(" AND search_index.rowid >= ")
            .push_bind(public);
        // Published at or after `from`: numbered below the second before it.
        if let Some(from) = r.from {
            qb.push(" AND search_index.rowid < ")
                .push_bind(super::doc_range(from - 1));
        }
        // Published before `until`: numbered from the second before it.
        if let Some(until) = r.until {
            qb.push(" AND search_index.rowid >= ")
                .push_bind(super::doc_range(until - 1));
        }
        if joined {
            push_filters!(&mut *qb, r);
        }
        qb.push(format!(
            " ORDER BY search_index.rowid LIMIT {SEARCH_WINDOW}) ORDER BY rank, doc LIMIT {candidates})
               UNION ALL
               SELECT d.doc, -1e300 FROM search_documents d WHERE d.headline_key = "
        ))
        .push_bind(r.headline_key.clone());
        push_filters!(&mut *qb, r);
        qb.push(") GROUP BY doc ORDER BY rank, doc");
        crate::store::sqlite::sql::push_limit(qb, r.limit, r.offset);
        qb.push(") m JOIN search_documents d ON d.doc = m.doc ORDER BY m.rank, m.doc");
    }
}

/// PostgreSQL: a weighted tsvector per document, GIN-indexed.
pub(crate) mod postgres_search {
    use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

    use super::{
        Matches, RECENCY_HALF_SECONDS, Range, SEARCH_WINDOW, SearchDocument, SearchHit,
        SearchRequest, Walk, WordFrequencies,
    };
    use crate::model::{UnixTime, words};
    use crate::store::StoreResult;

    /// The index column's most common stemmed words and the share of
    /// documents each is in (ANALYZE's sample; none before the first), and
    /// about how many documents there are.
    pub(crate) async fn word_frequencies(pool: &sqlx::PgPool) -> StoreResult<WordFrequencies> {
        let listed: Vec<(String, f32)> = sqlx::query_as(
            "SELECT e.word, e.share FROM pg_stats s,
               unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(word, share)
             WHERE s.schemaname = current_schema() AND s.tablename = 'search_documents'
               AND s.attname = 'terms' AND e.word IS NOT NULL",
        )
        .fetch_all(pool)
        .await?;
        let (documents, first, last): (f32, Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT greatest(c.reltuples, 0), bounds[1], bounds[array_length(bounds, 1)]
             FROM pg_class c LEFT JOIN (
               SELECT histogram_bounds::text::bigint[] AS bounds FROM pg_stats
               WHERE schemaname = current_schema() AND tablename = 'search_documents'
                 AND attname = 'published_at') h ON TRUE
             WHERE c.oid = 'search_documents'::regclass",
        )
        .fetch_one(pool)
        .await?;
        let listed = listed
            .into_iter()
            .map(|(word, share)| (word, f64::from(share)))
            .collect();
        let span = (first.unwrap_or(0), last.unwrap_or(0));
        Ok(WordFrequencies::new(f64::from(documents), span, listed))
    }

    /// Public documents with a word, `cap` at most.
    pub(crate) fn push_word_matches(
        qb: &mut QueryBuilder<Postgres>,
        word: &str,
        now: crate::model::UnixTime,
        cap: i64,
    ) {
        qb.push("SELECT d.doc FROM search_documents d WHERE d.terms @@ to_tsquery('english', quote_literal(")
            .push_bind(word.to_string())
            .push("::text)) AND d.published_at <= ")
            .push_bind(now)
            .push(format!(" LIMIT {}", cap.max(0)));
    }

    /// Inserts or rewrites a document. One whose text and filters are
    /// unchanged (and not marked stale) is left alone before its words are
    /// parsed: `to_tsvector` over a body is most of a write's cost, and a
    /// reindex meets mostly unchanged documents. The era terms follow the
    /// publication time, which is among what is compared.
    pub(crate) async fn upsert(conn: &mut PgConnection, d: &SearchDocument) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO search_documents (story_id, section_id, label, published_at, headline_key,
               headline, dek, body, topics, lead_terms, terms)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, lead.terms,
               lead.terms || setweight(to_tsvector('english', $11), 'D') || array_to_tsvector($12)
             FROM (SELECT setweight(to_tsvector('english', $5), 'A')
                     || setweight(to_tsvector('english', $10), 'B') AS terms) lead
             WHERE NOT EXISTS (
               SELECT 1 FROM search_documents s WHERE s.story_id = $1 AND NOT s.stale
                 AND (s.published_at, s.section_id, s.label, s.headline, s.dek, s.body, s.topics)
                     IS NOT DISTINCT FROM ($4, $2, $3, $6, $7, $8, $9))
             ON CONFLICT (story_id) DO UPDATE SET section_id = excluded.section_id,
               label = excluded.label, published_at = excluded.published_at,
               headline_key = excluded.headline_key, headline = excluded.headline,
               dek = excluded.dek, body = excluded.body, topics = excluded.topics,
               lead_terms = excluded.lead_terms, terms = excluded.terms, stale = FALSE",
        )
        .bind(&d.story_id)
        .bind(&d.section_id)
        .bind(&d.label)
        .bind(d.published_at)
        .bind(&d.headline_key)
        .bind(&d.headline)
        .bind(&d.dek)
        .bind(&d.body)
        .bind(&d.topics)
        .bind(format!("{} {}", words::key(&d.dek), words::key(&d.topics)))
        .bind(words::key(&d.body))
        .bind(super::era_terms(d.published_at))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// A tsquery from clean words: phrases with `<->`, joined by `&` or
    /// `|`, exclusions with `!`. The words are letters and digits only.
    fn expression(r: &SearchRequest) -> String {
        let phrase = |term: &Vec<String>| {
            let quoted: Vec<String> = term.iter().map(|w| format!("'{w}'")).collect();
            format!("({})", quoted.join(" <-> "))
        };
        let joiner = if r.any { " | " } else { " & " };
        let terms: Vec<String> = r.terms.iter().map(phrase).collect();
        let mut expr = format!("({})", terms.join(joiner));
        for term in &r.excluded {
            expr = format!("{expr} & !{}", phrase(term));
        }
        expr
    }

    /// A match of a search before its row is read: what ranking needs.
    #[derive(Debug, sqlx::FromRow)]
    struct Candidate {
        doc: i64,
        published_at: UnixTime,
        /// Its headline is the query.
        first: bool,
        /// Relevance with the recency boost (`push_rank`).
        rank: f64,
    }

    /// A found document's row, with its number (to put the page in order).
    #[derive(sqlx::FromRow)]
    struct HitRow {
        doc: i64,
        #[sqlx(flatten)]
        hit: SearchHit,
    }

    /// Ranks the newest `SEARCH_WINDOW` matches by `ts_rank` over their
    /// headline, dek and topics (`lead_terms`, kept in the row) with the
    /// recency boost, with any match whose headline is the query first.
    ///
    /// Words in many documents are looked for a span of eras at a time,
    /// newest first (see `Walk`): the GIN index answers the words and the
    /// span's block terms from the matches inside the span alone, and each
    /// match read costs a row, so a common word reads about a window's
    /// worth of rows rather than every match's. Words in few documents are
    /// looked for at once.
    pub(crate) async fn find(
        pool: &PgPool,
        r: &SearchRequest,
        matches: Matches,
    ) -> StoreResult<Vec<SearchHit>> {
        let query = expression(r);
        let Matches::Many { level } = matches else {
            let mut qb = QueryBuilder::<Postgres>::new("");
            push_at_once(&mut qb, r, &query);
            return Ok(qb.build_query_as().fetch_all(pool).await?);
        };
        let mut window: Vec<Candidate> = Vec::new();
        let mut walk = Walk::new(r, level);
        while let Some(range) = walk.next_range() {
            let need = SEARCH_WINDOW - window.len() as i64;
            let found = candidates(pool, |qb| push_round(qb, r, &query, &range, need)).await?;
            walk.found(found.len());
            window.extend(found);
            if window.len() as i64 >= SEARCH_WINDOW {
                break;
            }
        }
        if !r.headline_key.is_empty() {
            let named = candidates(pool, |qb| push_same_headline(qb, r, &query)).await?;
            for candidate in named {
                match window.iter_mut().find(|c| c.doc == candidate.doc) {
                    Some(known) => known.first = true,
                    None => window.push(candidate),
                }
            }
        }
        // As `push_at_once` orders them.
        window.sort_by(|a, b| {
            b.first
                .cmp(&a.first)
                .then(b.rank.total_cmp(&a.rank))
                .then(b.published_at.cmp(&a.published_at))
                .then(a.doc.cmp(&b.doc))
        });
        let page: Vec<i64> = window
            .iter()
            .skip(r.offset.max(0) as usize)
            .take(r.limit.max(0) as usize)
            .map(|c| c.doc)
            .collect();
        if page.is_empty() {
            return Ok(vec![]);
        }
        let mut rows: Vec<HitRow> = sqlx::query_as(
            "SELECT doc, story_id, section_id, published_at, headline, dek, body, topics
             FROM search_documents WHERE doc = ANY($1)",
        )
        .bind(&page)
        .fetch_all(pool)
        .await?;
        rows.sort_by_key(|row| page.iter().position(|doc| *doc == row.doc));
        Ok(rows.into_iter().map(|row| row.hit).collect())
    }

    /// A match's relevance (`ts_rank` over its headline, dek and topics)
    /// with the recency boost: a story `RECENCY_HALF_SECONDS` older needs
    /// twice the relevance to rank level.
    fn push_rank(qb: &mut QueryBuilder<Postgres>, r: &SearchRequest) {
        qb.push("ts_rank(d.lead_terms, q) / (1.0 + (")
            .push_bind(r.now)
            .push(format!(" - d.published_at) / {RECENCY_HALF_SECONDS:.1})"));
    }

    /// Ranks the newest `SEARCH_WINDOW` matches of words in few documents,
    /// and reads the page's rows, in one statement: the walk's round over
    /// the whole archive and its headline match, ranked in SQL as `find`
    /// ranks them.
    fn push_at_once(qb: &mut QueryBuilder<Postgres>, r: &SearchRequest, query: &str) {
        qb.push(
            "SELECT d.story_id, d.section_id, d.published_at, d.headline, d.dek, d.body, d.topics
             FROM (SELECT m.doc, bool_or(m.first) AS first, max(m.rank) AS rank, m.published_at
               FROM ((",
        );
        push_round(qb, r, query, &Range::Before(None), SEARCH_WINDOW);
        qb.push(")");
        if !r.headline_key.is_empty() {
            qb.push(" UNION ALL (");
            push_same_headline(qb, r, query);
            qb.push(")");
        }
        qb.push(
            ") m GROUP BY m.doc, m.published_at
             ORDER BY first DESC, rank DESC, m.published_at DESC, m.doc",
        );
        crate::store::postgres::sql::push_limit(qb, r.limit, r.offset);
        qb.push(
            ") top JOIN search_documents d ON d.doc = top.doc
             ORDER BY top.first DESC, top.rank DESC, top.published_at DESC, top.doc",
        );
    }

    /// The newest `limit` matches in `range`, newest first.
    fn push_round(
        qb: &mut QueryBuilder<Postgres>,
        r: &SearchRequest,
        query: &str,
        range: &Range,
        limit: i64,
    ) {
        qb.push("SELECT d.doc, d.published_at, d.headline_key = ")
            .push_bind(r.headline_key.clone())
            .push(" AS first, ");
        push_rank(qb, r);
        qb.push(" AS rank FROM to_tsquery('english', ")
            .push_bind(query.to_string())
            .push(") q, search_documents d WHERE ");
        match range {
            Range::Eras(blocks) => {
                qb.push("d.terms @@ (q && CAST(")
                    .push_bind(blocks.join(" | "))
                    .push(" AS tsquery))");
            }
            Range::Before(before) => {
                qb.push("d.terms @@ q");
                if let Some(before) = before {
                    qb.push(" AND d.published_at < ").push_bind(*before);
                }
            }
        }
        push_filters!(&mut *qb, r);
        // `+ 0`: the matches come from the GIN index and are sorted; a
        // generic plan walking a time index instead, testing each document,
        // would read most of the archive for a rare word.
        qb.push(" ORDER BY d.published_at + 0 DESC, d.doc DESC LIMIT ")
            .push_bind(limit.max(0));
    }

    /// The matches whose headline is the query (found by its key).
    fn push_same_headline(qb: &mut QueryBuilder<Postgres>, r: &SearchRequest, query: &str) {
        qb.push("SELECT d.doc, d.published_at, TRUE AS first, ");
        push_rank(qb, r);
        qb.push(" AS rank FROM to_tsquery('english', ")
            .push_bind(query.to_string())
            .push(") q, search_documents d WHERE d.headline_key = ")
            .push_bind(r.headline_key.clone())
            .push(" AND d.terms @@ q");
        push_filters!(&mut *qb, r);
    }

    /// Runs a statement of candidates (`push_round`, `push_same_headline`).
    async fn candidates(
        pool: &PgPool,
        push: impl FnOnce(&mut QueryBuilder<Postgres>),
    ) -> StoreResult<Vec<Candidate>> {
        let mut qb = QueryBuilder::<Postgres>::new("");
        push(&mut qb);
        Ok(qb.build_query_as().fetch_all(pool).await?)
    }
}

/// Where a round of a walk looks.
enum Range {
    /// The eras these block terms cover.
    Eras(Vec<String>),
    /// Everything published before this time (no bound: everything).
    Before(Option<UnixTime>),
}

/// The spans of eras a search of common words reads, newest first: the
/// first as large as the word statistics say a window needs, each next one
/// as large as the matches found so far say the rest of the window needs
/// (a quarter more, so that one more round is rare), then, once the walk
/// has gone back `WALK_ERAS` or `WALK_ROUNDS` rounds, everything older.
struct Walk {
    /// The newest era not yet read.
    upto: i64,
    /// The oldest era worth reading (from the search's `from` date).
    oldest: Option<i64>,
    /// Eras read, matches found, rounds asked.
    read: i64,
    found: usize,
    rounds: usize,
    next_span: i64,
    done: bool,
}

/// How far back a walk reads span by span (some 670 years).
const WALK_ERAS: i64 = 1 << ERA_LEVELS;
/// Rounds before the walk asks for everything older at once.
const WALK_ROUNDS: usize = 8;

impl Walk {
    fn new(r: &SearchRequest, first_level: u32) -> Walk {
        let newest = r.until.map_or(r.now, |until| until.min(r.now + 1) - 1);
        Walk {
            upto: era(newest),
            oldest: r.from.map(era),
            read: 0,
            found: 0,
            rounds: 0,
            next_span: 1 << first_level.min(ERA_LEVELS - 1),
            done: false,
        }
    }

    /// Where the next round looks (none: the walk is over).
    fn next_range(&mut self) -> Option<Range> {
        if self.done || self.oldest.is_some_and(|oldest| self.upto < oldest) {
            return None;
        }
        self.rounds += 1;
        let last = self.rounds > WALK_ROUNDS || self.read + self.next_span > WALK_ERAS;
        let mut first = self.upto - self.next_span + 1;
        match (last, self.oldest) {
            (true, None) => {
                self.done = true;
                return Some(Range::Before(Some((self.upto + 1) * ERA_SECONDS)));
            }
            // Back to the search's from date in one round.
            (true, Some(oldest)) => {
                first = oldest;
                self.done = true;
            }
            (false, Some(oldest)) => first = first.max(oldest),
            (false, None) => {}
        }
        let blocks = era_cover(first, self.upto);
        self.read += self.upto - first + 1;
        self.upto = first - 1;
        Some(Range::Eras(blocks))
    }

    /// A round found this many matches: the next span is sized from the
    /// rate so far.
    fn found(&mut self, n: usize) {
        self.found += n;
        let missing = (SEARCH_WINDOW as usize).saturating_sub(self.found) as f64;
        self.next_span = if self.found == 0 {
            self.read * 4
        } else {
            let per_era = self.found as f64 / self.read as f64;
            ((missing / per_era) * 1.25).ceil() as i64
        }
        .clamp(1, (self.read * 16).max(1));
    }
}

impl Store {
    /// Stories matching a search, best first (public ones only).
    pub async fn search(&self, request: &SearchRequest) -> StoreResult<Vec<SearchHit>> {
        let matches = self.word_frequencies().await.matches(request);
        self.search_as(request, matches).await
    }

    /// A search that looks for its matches as `matches` says, whatever the
    /// statistics say (tests hold the ways to the same stories).
    #[doc(hidden)]
    pub async fn search_as(
        &self,
        request: &SearchRequest,
        matches: Matches,
    ) -> StoreResult<Vec<SearchHit>> {
        read!(self, search::find(request, matches))
    }

    /// How common words are (PostgreSQL; read again every ten minutes).
    /// Statistics that cannot be read leave every search to the plain
    /// scan, which finds the same stories.
    pub async fn word_frequencies(&self) -> Arc<WordFrequencies> {
        let Backend::Postgres(pool) = &self.backend else {
            return Arc::default();
        };
        if let Some(frequencies) = self.word_stats.fresh() {
            return frequencies;
        }
        let frequencies = match postgres_search::word_frequencies(pool).await {
            Ok(frequencies) => Arc::new(frequencies),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the search index's word statistics");
                Arc::default()
            }
        };
        self.word_stats.keep(frequencies.clone());
        frequencies
    }

    /// The labels stories in the index carry, in order.
    pub async fn search_labels(&self) -> StoreResult<Vec<String>> {
        read!(self, search::labels())
    }

    /// For each folded word, the documents of public stories whose text
    /// has it, up to `cap` of them.
    pub async fn word_matches(&self, words: &[String], cap: i64) -> StoreResult<Vec<Vec<i64>>> {
        let now = self.clock.now();
        read!(self, search::word_matches(words, now, cap))
    }

    /// Which stories these documents are.
    pub async fn search_documents(&self, docs: &[i64]) -> StoreResult<Vec<WordMatch>> {
        if docs.is_empty() {
            return Ok(vec![]);
        }
        read!(self, search::documents(docs))
    }

    /// Some stories whose search documents show an outdated name.
    pub async fn stale_search_documents(&self, limit: i64) -> StoreResult<Vec<String>> {
        read!(self, search::stale(limit))
    }

    /// Story ids after `after`, in id order (walks over every story).
    pub async fn story_ids_after(&self, after: &str, limit: i64) -> StoreResult<Vec<String>> {
        read!(self, search::story_ids_after(after, limit))
    }

    /// Rebuilds the search documents of these stories, in one transaction.
    /// Not a content change: pages do not show the index.
    pub async fn reindex_stories(&self, ids: &[String]) -> StoreResult<usize> {
        let done = super::subscribers::subscriber_tx!(self, |conn, db| {
            db::search::index_stories(conn, ids).await?
        });
        Ok(done)
    }

    pub async fn related_lists(&self, story_id: &str) -> StoreResult<RelatedLists> {
        read!(self, search::related_lists(story_id))
    }

    /// Stores the computed related stories of a story. Readers see them on
    /// the story's next render (its page cache generation moves).
    pub async fn set_related_stories(&self, story_id: &str, related: &[String]) -> StoreResult<()> {
        let now = self.clock.now();
        super::write!(self, |conn, db| {
            let story = db::stories::visibility(conn, story_id, now).await?;
            db::search::set_related(conn, story_id, related).await?;
            (
                (),
                super::ContentChange::StoryExtras {
                    story_id: story_id.to_string(),
                    story,
                },
            )
        })
    }

    /// The editors' pinned and excluded related stories of a story.
    pub async fn set_related_choices(
        &self,
        story_id: &str,
        choices: &[(String, RelatedChoice)],
    ) -> StoreResult<()> {
        let now = self.clock.now();
        super::write!(self, |conn, db| {
            let story = db::stories::visibility(conn, story_id, now).await?;
            db::search::set_choices(conn, story_id, choices).await?;
            (
                (),
                super::ContentChange::StoryExtras {
                    story_id: story_id.to_string(),
                    story,
                },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The eras a block's term stands for, first and last.
    fn block(term: &str) -> (i64, i64) {
        let (level, n) = term.trim_start_matches("_e").split_once('_').unwrap();
        let (level, n): (u32, i64) = (level.parse().unwrap(), n.parse().unwrap());
        (n << level, ((n + 1) << level) - 1)
    }

    #[test]
    fn related_lists_are_read_from_their_column() {
        let lists = RelatedLists::of_column(Some("computed:a1,computed:d4,exclude:b2,pin:c3"));
        assert_eq!(lists.computed, ["a1", "d4"]);
        assert_eq!(lists.excluded, ["b2"]);
        assert_eq!(lists.pinned, ["c3"]);
        let none = RelatedLists::of_column(None);
        assert!(none.computed.is_empty() && none.pinned.is_empty() && none.excluded.is_empty());
    }

    #[test]
    fn era_covers_are_exact_and_few() {
        for (first, last) in [
            (0, 0),
            (5, 5),
            (693, 693),
            (-3, 4),
            (1, 100),
            (600, 693),
            (-8192, 693),
        ] {
            let blocks: Vec<(i64, i64)> = era_cover(first, last).iter().map(|t| block(t)).collect();
            let mut next = first;
            for (start, end) in &blocks {
                assert_eq!(*start, next, "no gap or overlap: {blocks:?}");
                next = end + 1;
            }
            assert_eq!(next, last + 1, "up to the last era: {blocks:?}");
            assert!(blocks.len() <= 2 * ERA_LEVELS as usize, "{blocks:?}");
        }
        // An aligned span is one block.
        assert_eq!(era_cover(64, 127), vec!["_e6_1".to_string()]);
    }

    #[test]
    fn a_walk_reads_back_from_now_without_gaps_and_sizes_spans_by_what_it_found() {
        let now = 1_796_600_000;
        let request = SearchRequest {
            now,
            ..Default::default()
        };
        let eras = |range: &Range| match range {
            Range::Eras(blocks) => {
                let spans: Vec<(i64, i64)> = blocks.iter().map(|t| block(t)).collect();
                (spans[0].0, spans.last().unwrap().1)
            }
            Range::Before(_) => panic!("the walk ended early"),
        };
        let mut walk = Walk::new(&request, 2);
        let first = walk.next_range().unwrap();
        assert_eq!(eras(&first), (era(now) - 3, era(now)), "four eras to start");
        // Half a window in four eras: the other half in four more, and a
        // quarter: five.
        walk.found(SEARCH_WINDOW as usize / 2);
        let second = walk.next_range().unwrap();
        assert_eq!(eras(&second), (era(now) - 8, era(now) - 4));
        // Nothing found at all: four times as far as read so far.
        let mut walk = Walk::new(&request, 0);
        walk.next_range();
        walk.found(0);
        assert_eq!(
            eras(&walk.next_range().unwrap()),
            (era(now) - 4, era(now) - 1)
        );
        // A rare word ends in the rest of the archive, at the walk's edge.
        let mut walk = Walk::new(&request, 0);
        let mut edge = era(now) + 1;
        let rest = loop {
            match walk.next_range().unwrap() {
                Range::Eras(blocks) => {
                    let (start, end) = (block(&blocks[0]).0, block(blocks.last().unwrap()).1);
                    assert_eq!(end + 1, edge, "adjacent");
                    edge = start;
                    walk.found(0);
                }
                Range::Before(before) => break before,
            }
        };
        assert_eq!(rest, Some(edge * ERA_SECONDS));
        assert!(walk.next_range().is_none());
        // With a from date the walk stops there, with no rest.
        let from = now - 400 * 86_400;
        let mut walk = Walk::new(
            &SearchRequest {
                from: Some(from),
                ..request.clone()
            },
            0,
        );
        let mut oldest = i64::MAX;
        while let Some(range) = walk.next_range() {
            oldest = eras(&range).0;
            walk.found(0);
        }
        assert_eq!(oldest, era(from));
    }

    #[test]
    fn a_document_carries_the_term_of_the_block_it_falls_in_and_no_other() {
        let now = 1_796_600_000;
        let steps = era_cover(era(now) - 300, era(now));
        for (i, term) in steps.iter().enumerate() {
            let (start, end) = block(term);
            for t in [start * ERA_SECONDS, end * ERA_SECONDS + ERA_SECONDS - 1] {
                let terms = era_terms(t);
                assert!(terms.contains(term), "{t} in {term}");
                let others = steps.iter().enumerate().filter(|(j, _)| *j != i);
                assert!(
                    others.clone().all(|(_, other)| !terms.contains(other)),
                    "{t} in one block only"
                );
            }
        }
        let before = era_terms((era(now) - 300) * ERA_SECONDS - 1);
        assert!(
            steps.iter().all(|term| !before.contains(term)),
            "the rest is outside every block"
        );
        // Before 1970 too: eras count down through zero.
        assert_eq!(era(-1), -1);
        assert_eq!(era_terms(-1)[3], "_e3_-1");
    }

    fn request(terms: &[&str], any: bool) -> SearchRequest {
        SearchRequest {
            terms: terms
                .iter()
                .map(|t| t.split(' ').map(str::to_string).collect())
                .collect(),
            any,
            ..Default::default()
        }
    }

    #[test]
    fn words_in_many_documents_are_found_block_by_block() {
        let year = 365 * 86_400;
        let listed =
            |pairs: &[(&str, f64)]| pairs.iter().map(|(w, s)| (w.to_string(), *s)).collect();
        let stats = WordFrequencies::new(
            100_000.0,
            (1_796_600_000 - 34 * year, 1_796_600_000),
            listed(&[
                ("water", 0.5),
                ("ruvara", 0.1),
                ("court", 0.066),
                ("constitut", 0.066),
                ("rare", 0.03),
            ]),
        );
        // Two words of one headline: as many as the rarer (10,000), about
        // 24 an era; a window of 200 in 8.3 eras, so a first block of 8.
        assert_eq!(SEARCH_WINDOW, 200);
        assert_eq!(
            stats.matches(&request(&["water", "ruvara"], false)),
            Matches::Many { level: 3 }
        );
        assert_eq!(
            stats.share("constitutional"),
            Some(0.066),
            "stemmed as the index stems"
        );
        // A word not listed is in fewer than 3%, taken as 1.5%: 1,500.
        assert_eq!(
            stats.matches(&request(&["water", "lunkazar"], false)),
            Matches::Few
        );
        // Either word: 11,500, 28 an era, 200 in 7 eras: a block of 4.
        assert_eq!(
            stats.matches(&request(&["lunkazar", "ruvara"], true)),
            Matches::Many { level: 2 }
        );
        // A phrase: 6,600 at most, 16 an era, 200 in 12.6 eras: 8.
        assert_eq!(
            stats.matches(&request(&["constitutional court"], false)),
            Matches::Many { level: 3 }
        );
        // Half of all: 121 an era, 200 in less than 2 eras.
        assert_eq!(
            stats.matches(&request(&["water"], false)),
            Matches::Many { level: 0 }
        );
        // No statistics yet (a new database): every search at once.
        let none = WordFrequencies::new(0.0, (0, 0), Vec::new());
        assert_eq!(none.matches(&request(&["water"], false)), Matches::Few);

        // Related stories skip looking up words surely in more than 400:
        // "rare" is in 3,000, twice 400 is 800; an unlisted word may be in
        // anything under 3,000, so it is looked up; without statistics
        // every word is.
        assert!(stats.surely_in_more_than("rare", 400));
        assert!(!stats.surely_in_more_than("rare", 1_500));
        assert!(!stats.surely_in_more_than("lunkazar", 400));
        assert!(!none.surely_in_more_than("water", 0));
    }
}
