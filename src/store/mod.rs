//! The data layer: the only place that speaks SQL.
//!
//! One `Store` serves both SQLite (the embedded default) and PostgreSQL. Each
//! aggregate has a file of its own (`stories.rs`, `briefs.rs`, …) holding its
//! queries, written once as a `queries!` macro that `engine!` below stamps
//! out for each driver, and the `Store` methods the rest of the program calls.
//! What truly differs between engines (notifications, DDL in
//! `migrations/{sqlite,postgres}`, connection set-up) is written per engine.
//!
//! Every write runs in a transaction that also records its `ContentChange`
//! (see `content.rs`), so caches everywhere learn of it exactly when it commits.

mod accounts;
mod briefs;
pub mod browse;
mod content;
pub mod documents;
pub mod dump;
mod error;
mod fts_rank;
mod integrations;
mod issues;
mod jobs;
mod keyset;
mod live;
mod media;
pub mod media_refs;
pub mod migrations;
mod pages;
pub mod readership;
pub mod redirects;
mod revisions;
mod search;
mod settings;
mod sitemaps;
mod slugs;
mod stories;
mod subscribers;
mod taxonomy;
mod throttles;
pub(crate) mod worklists;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use accounts::{ActivityFilter, ActivityRow, SessionRow};
pub use briefs::{BriefCard, BriefWrite};
pub use content::{CHANNEL, ContentChange, ContentEvent, ContentEvents, ContentState, PieceChange};
pub use error::{StoreError, StoreResult};
pub use integrations::{Integration, NewDelivery, Webhook, WebhookDelivery};
pub use issues::{BOUNCE_AFTER, DeliveryMark, Progress, Recipient};
pub use jobs::{Job, JobKind, JobRecord};
pub use keyset::{Cursor, KeyedPage, PageKey};
pub use media::{ImageUse, LibraryImage, UploadRecord};
pub use revisions::{Edit, PieceKind, Revision};
pub use search::{
    Matches, RelatedChoice, RelatedLists, SearchDocument, SearchHit, SearchRequest,
    WordFrequencies, WordMatch,
};
pub use settings::SITE_SETTINGS;
pub use sitemaps::{SitemapEntry, SitemapKind};
pub use slugs::SlugKind;
pub use stories::{
    ListingPage, PublicCorrection, StoryAuthor, StoryCard, StorySummary, StoryWrite, TAG_WINDOW,
    TagWindowEntry,
};
pub use subscribers::{ConfirmedSubscriber, Signup, SignupOutcome};
pub use worklists::{Owner, WorkFilter, WorkItem};

use crate::clock::Clock;

/// SQLite connections: WAL lets readers run beside the one writer; more
/// connections than cores only add memory (each keeps its own page cache).
const SQLITE_CONNECTIONS: u32 = 4;
/// Page cache per SQLite connection, in KiB (SQLite's default is 2,000).
const SQLITE_CACHE_KIB: i64 = 1024;
const POSTGRES_CONNECTIONS: u32 = 16;
/// A PostgreSQL connection idle longer than this is checked before use
/// (a ping); younger ones are used at once, and a read that finds its
/// connection broken is tried again (see `read!`).
const POSTGRES_CHECK_AFTER_IDLE: Duration = Duration::from_secs(30);

/// The query modules of one engine, stamped out from the shared SQL text.
macro_rules! engine {
    ($db:ty => $module:ident, $dialect:path, $search:path) => {
        #[allow(clippy::too_many_arguments)]
        mod $module {
            pub type Db = $db;
            pub type Conn = <$db as sqlx::Database>::Connection;
            /// What this engine does its own way.
            pub(crate) use $dialect as dialect;
            /// Its full-text search.
            pub(crate) use $search as search_dialect;

            pub mod sql {
                use super::Db;

                /// `(id1, id2, …)` with each id bound, for `IN` lists.
                pub fn push_id_list(qb: &mut sqlx::QueryBuilder<Db>, ids: &[String]) {
                    qb.push("(");
                    let mut list = qb.separated(", ");
                    for id in ids {
                        list.push_bind(id.clone());
                    }
                    qb.push(")");
                }

                /// ` LIMIT n OFFSET m`, written as numbers rather than bound:
                /// SQLite plans around a bound LIMIT and so prepares the
                /// statement again whenever any of its values change.
                /// (Integers cannot inject anything.)
                pub fn push_limit(qb: &mut sqlx::QueryBuilder<Db>, limit: i64, offset: i64) {
                    qb.push(format!(" LIMIT {} OFFSET {}", limit.max(0), offset.max(0)));
                }

                /// The end of a newest-first query paged by `key` (see
                /// `store::keyset`): the condition on `(at, id)` (the query
                /// has a WHERE already), the order, and one line more than
                /// `size`.
                pub fn push_keyset(
                    qb: &mut sqlx::QueryBuilder<Db>,
                    at: &str,
                    id: &str,
                    key: &crate::store::PageKey,
                    size: i64,
                ) {
                    use crate::store::PageKey;
                    let (cursor, comparison, order) = match key {
                        PageKey::Newest => (None, "", "DESC"),
                        PageKey::Older(c) => (Some(c), "<", "DESC"),
                        PageKey::Newer(c) => (Some(c), ">", "ASC"),
                    };
                    if let Some(c) = cursor {
                        qb.push(format!(" AND ({at}, {id}) {comparison} ("))
                            .push_bind(c.at)
                            .push(", ")
                            .push_bind(c.id.clone())
                            .push(")");
                    }
                    qb.push(format!(" ORDER BY {at} {order}, {id} {order}"));
                    push_limit(qb, size.max(1) + 1, 0);
                }
            }

            crate::store::accounts::queries!();
            crate::store::briefs::queries!();
            crate::store::browse::queries!();
            crate::store::content::queries!();
            crate::store::documents::queries!();
            crate::store::dump::queries!();
            crate::store::integrations::queries!();
            crate::store::issues::queries!();
            crate::store::jobs::queries!();
            crate::store::live::queries!();
            crate::store::media::queries!();
            crate::store::media_refs::queries!();
            crate::store::pages::queries!();
            crate::store::readership::queries!();
            crate::store::redirects::queries!();
            crate::store::revisions::queries!();
            crate::store::search::queries!();
            crate::store::settings::queries!();
            crate::store::sitemaps::queries!();
            crate::store::slugs::queries!();
            crate::store::stories::queries!();
            crate::store::subscribers::queries!();
            crate::store::taxonomy::queries!();
            crate::store::throttles::queries!();
            crate::store::worklists::queries!();
        }
    };
}
engine!(
    sqlx::Sqlite => sqlite,
    crate::store::content::sqlite_dialect,
    crate::store::search::sqlite_search
);
engine!(
    sqlx::Postgres => postgres,
    crate::store::content::postgres_dialect,
    crate::store::search::postgres_search
);

/// Runs a read query on whichever engine this store uses:
/// `read!(self, stories::story_by_slug(slug))`. On PostgreSQL a read whose
/// connection broke under it (the server restarted, or closed connections)
/// is tried again on another: each broken connection is discarded on release.
macro_rules! read {
    ($store:expr, $module:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite(pool) => $crate::store::sqlite::$module::$f(pool, $($arg),*).await,
            $crate::store::Backend::Postgres(pool) => {
                let mut attempts = 1;
                loop {
                    match $crate::store::postgres::$module::$f(pool, $($arg),*).await {
                        Err(e) if e.is_broken_connection()
                            && attempts <= $crate::store::POSTGRES_CONNECTIONS =>
                        {
                            attempts += 1;
                        }
                        result => break result,
                    }
                }
            }
        }
    };
}
pub(crate) use read;

/// Runs a query that is neither content nor retried (accounts, sessions):
/// `exec!(self, accounts::insert_user(user))`.
macro_rules! exec {
    ($store:expr, $module:ident :: $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite(pool) => $crate::store::sqlite::$module::$f(pool, $($arg),*).await,
            $crate::store::Backend::Postgres(pool) => $crate::store::postgres::$module::$f(pool, $($arg),*).await,
        }
    };
}
pub(crate) use exec;

/// Runs a write in one transaction with the record of what it changed:
/// `write!(self, |conn, db| { …; (value, change) })`. `db` names the engine's
/// query modules inside the block; the block yields the value to return and
/// the `ContentChange`.
macro_rules! write {
    ($store:expr, |$conn:ident, $db:ident| $body:block) => {{
        let now = $store.clock.now();
        let (value, change, state) = match &$store.backend {
            $crate::store::Backend::Sqlite(pool) => {
                #[allow(unused_imports)]
                use $crate::store::sqlite as $db;
                // IMMEDIATE: take the write lock now, not halfway through.
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let $conn: &mut $db::Conn = &mut *tx;
                let (value, change) = $body;
                let state = $db::content::record($conn, &change, now).await?;
                tx.commit().await?;
                (value, change, state)
            }
            $crate::store::Backend::Postgres(pool) => {
                #[allow(unused_imports)]
                use $crate::store::postgres as $db;
                let mut tx = pool.begin().await?;
                let $conn: &mut $db::Conn = &mut *tx;
                let (value, change) = $body;
                let state = $db::content::record($conn, &change, now).await?;
                tx.commit().await?;
                (value, change, state)
            }
        };
        $store.events.committed(change, state);
        Ok(value)
    }};
}
pub(crate) use write;

#[derive(Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// What the rest of the program holds: cheap to clone, shared by all requests.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    events: Arc<ContentEvents>,
    clock: Clock,
    /// How common each word is, from PostgreSQL's statistics (searches
    /// choose how to find their newest matches by it).
    word_stats: Arc<search::WordStats>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.engine())
            .finish_non_exhaustive()
    }
}

/// How busy the connection pool is (for metrics).
#[derive(Debug, Clone, Copy)]
pub struct PoolUse {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl Store {
    /// Opens the database a URL names: `sqlite://path` (created if missing)
    /// or `postgres://…` (which must exist: a mistyped URL is not created).
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        Store::connect_with_clock(url, Clock::system()).await
    }

    /// As `connect`, with the clock every write and rule reads.
    pub async fn connect_with_clock(url: &str, clock: Clock) -> anyhow::Result<Store> {
        let backend = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("the SQLite database URL {url:?} is not valid"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"));
            let pool = SqlitePoolOptions::new()
                .max_connections(SQLITE_CONNECTIONS)
                // An SQLite connection lives in this process and cannot drop
                // away: pinging it before each use only costs a thread hop.
                .test_before_acquire(false)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        let mut handle = conn.lock_handle().await?;
                        // SAFETY: the locked handle is this task's alone.
                        unsafe { fts_rank::register(handle.as_raw_handle().as_ptr()) }
                            .map_err(|e| sqlx::Error::Configuration(e.into()))
                    })
                })
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open the SQLite database {url}"))?;
            Backend::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)
                .with_context(|| format!("the PostgreSQL URL {} is not valid", redact(url)))?
                // Statements are prepared once per connection; without this
                // PostgreSQL plans each of the first executions again (over
                // a millisecond for a listing). The generic plans of these
                // queries are the index walks the custom ones would choose.
                .options([("plan_cache_mode", "force_generic_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_CONNECTIONS)
                // sqlx pings before every use by default: a round trip per
                // query. Only connections idle for a while are checked.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for > POSTGRES_CHECK_AFTER_IDLE {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .with_context(|| {
                    format!(
                        "cannot reach PostgreSQL at {}: is the server running, and does the database exist?",
                        redact(url)
                    )
                })?;
            Backend::Postgres(pool)
        } else {
            bail!(
                "unsupported database URL {:?}: use sqlite://PATH or postgres://USER@HOST/DB",
                redact(url)
            );
        };
        Ok(Store {
            backend,
            events: Arc::new(ContentEvents::new(ContentState::default())),
            clock,
            word_stats: Arc::default(),
        })
    }

    pub fn engine(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    pub fn events(&self) -> &Arc<ContentEvents> {
        &self.events
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Brings the schema up to date (safe on every start), then reads the
    /// shared content state.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let mut conn = patient(pool).await?;
                migrations::sqlite().run(&mut conn).await
            }
            Backend::Postgres(pool) => {
                let mut conn = patient(pool).await?;
                migrations::postgres().run(&mut conn).await
            }
        }
        .context("database migration failed")?;
        self.upgrade_documents()
            .await
            .context("cannot bring stored bodies into the document schema")?;
        self.rebuild_media_refs_if_pending()
            .await
            .context("cannot list the media files the stored bodies name")?;
        let state = read!(self, content::state()).context("cannot read the content version")?;
        self.events.observed(state);
        Ok(())
    }

    /// Refreshes the query planner's statistics after bulk loads (seed,
    /// imports): on PostgreSQL a fresh table without statistics gets plans
    /// several times slower until autovacuum catches up. SQLite is left
    /// without statistics on purpose: its plans were checked without them.
    pub async fn optimize(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(pool) => {
                let mut conn = patient(pool).await?;
                // What a bulk load left in the search index's pending list
                // would be read by every search until merged (only
                // autovacuum's ANALYZE merges it, not this one).
                sqlx::query("SELECT gin_clean_pending_list('search_documents_terms')")
                    .execute(&mut conn)
                    .await?;
                sqlx::query("ANALYZE").execute(&mut conn).await?;
                self.word_stats.forget();
                Ok(())
            }
        }
    }

    /// Counts rows a bulk load wrote and refreshes the planner's
    /// statistics as the tables grow (see `BulkLoad`).
    pub async fn bulk_wrote(&self, load: &mut BulkLoad, rows: usize) -> StoreResult<()> {
        load.written += rows;
        if load.written >= load.next {
            self.optimize().await?;
            load.next = load.written * 2;
        }
        Ok(())
    }

    /// The cheapest question the database can answer: is it there?
    pub async fn ping(&self) -> StoreResult<()> {
        read!(self, content::ping())
    }

    pub fn pool_use(&self) -> PoolUse {
        let (open, idle, max) = match &self.backend {
            Backend::Sqlite(pool) => (pool.size(), pool.num_idle() as u32, SQLITE_CONNECTIONS),
            Backend::Postgres(pool) => (pool.size(), pool.num_idle() as u32, POSTGRES_CONNECTIONS),
        };
        PoolUse { open, idle, max }
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(pool) => pool.close().await,
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// Tables, columns and indexes as `table.column` / `index:name` lines,
    /// sorted: lets a test prove both migration folders describe one schema.
    /// Each engine's own full-text index is left out (SQLite's FTS5 table
    /// and its shadow tables; PostgreSQL's `terms` and `lead_terms` columns
    /// and their index).
    pub async fn logical_schema(&self) -> StoreResult<Vec<String>> {
        let mut lines: Vec<String> = match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query_scalar(
                    "SELECT m.name || '.' || p.name FROM pragma_table_list m, pragma_table_info(m.name) p
                     WHERE m.schema = 'main' AND m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
                       AND m.name NOT LIKE '_sqlx%'
                     UNION ALL
                     SELECT 'index:' || name FROM sqlite_master
                     WHERE type = 'index' AND sql IS NOT NULL",
                )
                .fetch_all(pool)
                .await?
            }
            Backend::Postgres(pool) => {
                sqlx::query_scalar(
                    "SELECT table_name || '.' || column_name FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'
                       AND NOT (table_name = 'search_documents' AND column_name IN ('terms', 'lead_terms'))
                     UNION ALL
                     SELECT 'index:' || indexname FROM pg_indexes
                     WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'
                       AND indexname <> 'search_documents_terms'",
                )
                .fetch_all(pool)
                .await?
            }
        };
        lines.sort();
        Ok(lines)
    }

    /// Whether the publication has no content yet (no stories, sections or briefs).
    pub async fn is_empty(&self) -> StoreResult<bool> {
        read!(self, stories::is_empty())
    }
}

/// How far a bulk load (seed, import) has come, for `Store::bulk_wrote`:
/// statistics are refreshed once 1,000 rows are written and again each
/// time the count doubles. PostgreSQL's autovacuum does so on its own when
/// it is on and keeping up; without it, the plans made while the tables
/// were nearly empty are kept (generic plans, one per connection) and walk
/// whole tables: a 100,000-story seed slowed to 5 s a batch of 500.
#[derive(Debug)]
pub struct BulkLoad {
    written: usize,
    next: usize,
}

impl Default for BulkLoad {
    fn default() -> Self {
        BulkLoad {
            written: 0,
            next: 1_000,
        }
    }
}

/// Hides the password in a database URL before it is printed.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A connection of its own for statements expected to take long
/// (migrations, ANALYZE, a snapshot): sqlx would warn of each as a "slow
/// statement" after a second; for these it says so at DEBUG only.
pub(crate) async fn patient<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
) -> Result<DB::Connection, sqlx::Error> {
    use sqlx::ConnectOptions;
    let options = (*pool.connect_options())
        .clone()
        .log_slow_statements(tracing::log::LevelFilter::Debug, Duration::from_secs(1));
    options.connect().await
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_hides_passwords() {
        assert_eq!(
            super::redact("postgres://ed:secret@db/masthead"),
            "postgres://ed:***@db/masthead"
        );
        assert_eq!(super::redact("postgres://ed@db/m"), "postgres://ed@db/m");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
