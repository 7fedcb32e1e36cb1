//! The data layer: the only place that speaks SQL.
//!
//! One `Store` serves both SQLite (the embedded default) and PostgreSQL. The
//! SQL text is shared (see `shared.rs`, instantiated once per engine); only
//! the DDL (`migrations/sqlite`, `migrations/postgres`) and connection set-up
//! differ.

mod events;
mod migrations;
mod shared;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use events::ContentEvents;

use crate::model::{Author, Brief, Image, Section, Story, StoryFilter, StoryNote, Tag, UnixTime};

shared::queries!(sqlx::Sqlite, sqlite_queries, "BEGIN IMMEDIATE");
shared::queries!(sqlx::Postgres, postgres_queries, "BEGIN");

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
}

/// An author together with the story it is attached to (batch look-ups).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoryAuthor {
    pub story_id: String,
    #[sqlx(flatten)]
    pub author: Author,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoryTag {
    pub story_id: String,
    #[sqlx(flatten)]
    pub tag: Tag,
}

/// What kind of thing an old slug pointed at.
#[derive(Debug, Clone, Copy)]
pub enum SlugKind {
    Story,
    Brief,
}

impl SlugKind {
    fn as_str(self) -> &'static str {
        match self {
            SlugKind::Story => "story",
            SlugKind::Brief => "brief",
        }
    }
}

/// Runs the same query function on whichever engine this store uses.
macro_rules! on_backend {
    ($self:ident . $f:ident ( $($arg:expr),* )) => {
        match &$self.backend {
            Backend::Sqlite(pool) => sqlite_queries::$f(pool, $($arg),*).await,
            Backend::Postgres(pool) => postgres_queries::$f(pool, $($arg),*).await,
        }
    };
}

/// A write: runs the query, then records that content changed, in this
/// process at once and in the database for every other process.
macro_rules! write_on_backend {
    ($self:ident . $f:ident ( $($arg:expr),* )) => {{
        let result = on_backend!($self.$f($($arg),*));
        if result.is_ok() {
            $self.events.changed();
            on_backend!($self.bump_content_version(crate::model::now()))?;
        }
        result
    }};
}

pub type StoreResult<T> = Result<T, sqlx::Error>;

impl Store {
    /// Opens the database a URL names: `sqlite://path` (created if missing)
    /// or `postgres://…` (which must exist: a mistyped URL is not created).
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        let backend = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("the SQLite database URL {url:?} is not valid"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open the SQLite database {url}"))?;
            Backend::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)
                .with_context(|| format!("the PostgreSQL URL {} is not valid", redact(url)))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
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
            events: Arc::new(ContentEvents::default()),
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

    /// Brings the schema up to date; safe to run on every start.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.backend {
            Backend::Sqlite(pool) => migrations::sqlite().run(pool).await,
            Backend::Postgres(pool) => migrations::postgres().run(pool).await,
        }
        .context("database migration failed")
    }

    /// Refreshes the query planner's statistics after bulk loads (seed,
    /// imports): on PostgreSQL a fresh table without statistics gets plans
    /// several times slower until autovacuum catches up. SQLite is left
    /// without statistics on purpose: the indexes and queries were checked
    /// against its plans without them, and ANALYZE made the related-stories
    /// plan slower (13 ms instead of 8 ms on 10,000 stories).
    pub async fn optimize(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(pool) => sqlx::query("ANALYZE").execute(pool).await.map(|_| ()),
        }
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(pool) => pool.close().await,
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// Tables, columns and indexes as `table.column` / `index:name` lines,
    /// sorted: lets a test prove both migration folders describe one schema.
    pub async fn logical_schema(&self) -> StoreResult<Vec<String>> {
        let mut lines: Vec<String> = match &self.backend {
            Backend::Sqlite(pool) => {
                sqlx::query_scalar(
                    "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'
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
                     UNION ALL
                     SELECT 'index:' || indexname FROM pg_indexes
                     WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'",
                )
                .fetch_all(pool)
                .await?
            }
        };
        lines.sort();
        Ok(lines)
    }

    /// Watches the database's content version and reports changes made by
    /// other processes or instances (an import from the CLI, a second server
    /// on the same PostgreSQL) as content events. Runs until the task is dropped.
    pub async fn watch_for_changes(self, every: Duration) {
        let mut seen: Option<i64> = None;
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match on_backend!(self.content_version()) {
                Ok(version) => {
                    if seen.is_some_and(|s| s != version) {
                        self.events.changed();
                    }
                    seen = Some(version);
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the content version; will retry"),
            }
        }
    }

    pub async fn is_empty(&self) -> StoreResult<bool> {
        on_backend!(self.is_empty())
    }

    // ---- settings ----
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        on_backend!(self.setting(key))
    }
    pub async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        write_on_backend!(self.put_setting(key, value))
    }

    // ---- sections, tags, authors, images ----
    pub async fn sections(&self) -> StoreResult<Vec<Section>> {
        on_backend!(self.sections())
    }
    pub async fn save_section(&self, s: &Section) -> StoreResult<()> {
        write_on_backend!(self.save_section(s))
    }
    pub async fn tag_by_slug(&self, slug: &str) -> StoreResult<Option<Tag>> {
        on_backend!(self.tag_by_slug(slug))
    }
    pub async fn save_tag(&self, t: &Tag) -> StoreResult<()> {
        write_on_backend!(self.save_tag(t))
    }
    pub async fn author_by_slug(&self, slug: &str) -> StoreResult<Option<Author>> {
        on_backend!(self.author_by_slug(slug))
    }
    pub async fn save_author(&self, a: &Author) -> StoreResult<()> {
        write_on_backend!(self.save_author(a))
    }
    pub async fn save_image(&self, i: &Image) -> StoreResult<()> {
        write_on_backend!(self.save_image(i))
    }
    pub async fn images_by_ids(&self, ids: &[String]) -> StoreResult<Vec<Image>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        on_backend!(self.images_by_ids(ids))
    }
    pub async fn authors_of_stories(&self, ids: &[String]) -> StoreResult<Vec<StoryAuthor>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        on_backend!(self.authors_of_stories(ids))
    }
    pub async fn tags_of_stories(&self, ids: &[String]) -> StoreResult<Vec<StoryTag>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        on_backend!(self.tags_of_stories(ids))
    }

    // ---- stories ----
    pub async fn story_by_slug(&self, slug: &str) -> StoreResult<Option<Story>> {
        on_backend!(self.story_by_slug(slug))
    }
    pub async fn story_by_id(&self, id: &str) -> StoreResult<Option<Story>> {
        on_backend!(self.story_by_id(id))
    }
    /// Public stories matching `filter`, newest first.
    pub async fn stories(
        &self,
        filter: &StoryFilter,
        now: UnixTime,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<Story>> {
        on_backend!(self.stories(filter, now, limit, offset))
    }
    pub async fn count_stories(&self, filter: &StoryFilter, now: UnixTime) -> StoreResult<i64> {
        on_backend!(self.count_stories(filter, now))
    }
    /// Public stories that share the most tags with `story` (then its
    /// section, then recency), topped up with the newest of its section.
    pub async fn related_stories(
        &self,
        story: &Story,
        now: UnixTime,
        limit: i64,
    ) -> StoreResult<Vec<Story>> {
        let ids: Vec<String> = on_backend!(self.related_story_ids(story, now, limit))?;
        let mut related = if ids.is_empty() {
            vec![]
        } else {
            let mut found: Vec<Story> = on_backend!(self.stories_by_ids(&ids))?;
            found.sort_by_key(|s| ids.iter().position(|id| id == &s.id));
            found
        };
        let missing = limit - related.len() as i64;
        if missing > 0 {
            let mut exclude: Vec<String> = related.iter().map(|s| s.id.clone()).collect();
            exclude.push(story.id.clone());
            let same_section = StoryFilter {
                section_id: Some(story.section_id.clone()),
                exclude_ids: exclude,
                ..Default::default()
            };
            related.extend(self.stories(&same_section, now, missing, 0).await?);
        }
        Ok(related)
    }
    /// Inserts or updates a story with its ordered authors and tags, in one transaction.
    pub async fn save_story(
        &self,
        story: &Story,
        author_ids: &[String],
        tag_ids: &[String],
    ) -> StoreResult<()> {
        write_on_backend!(self.save_story(story, author_ids, tag_ids))
    }
    pub async fn notes_of_story(&self, story_id: &str) -> StoreResult<Vec<StoryNote>> {
        on_backend!(self.notes_of_story(story_id))
    }
    pub async fn save_note(&self, note: &StoryNote) -> StoreResult<()> {
        write_on_backend!(self.save_note(note))
    }
    /// The earliest scheduled publication still in the future: cached pages
    /// must be rebuilt when it passes.
    pub async fn next_scheduled_after(&self, now: UnixTime) -> StoreResult<Option<UnixTime>> {
        on_backend!(self.next_scheduled_after(now))
    }

    // ---- briefs ----
    pub async fn brief_by_slug(&self, slug: &str) -> StoreResult<Option<Brief>> {
        on_backend!(self.brief_by_slug(slug))
    }
    pub async fn brief_by_id(&self, id: &str) -> StoreResult<Option<Brief>> {
        on_backend!(self.brief_by_id(id))
    }
    pub async fn briefs(&self, now: UnixTime, limit: i64, offset: i64) -> StoreResult<Vec<Brief>> {
        on_backend!(self.briefs(now, limit, offset))
    }
    pub async fn count_briefs(&self, now: UnixTime) -> StoreResult<i64> {
        on_backend!(self.count_briefs(now))
    }
    pub async fn save_brief(&self, b: &Brief) -> StoreResult<()> {
        write_on_backend!(self.save_brief(b))
    }

    // ---- slugs ----
    /// Whether `slug` is used by another story/brief, now or as an old URL.
    pub async fn slug_taken(
        &self,
        kind: SlugKind,
        slug: &str,
        except_id: &str,
    ) -> StoreResult<bool> {
        on_backend!(self.slug_taken(kind.as_str(), slug, except_id))
    }
    pub async fn add_redirect(
        &self,
        kind: SlugKind,
        old_slug: &str,
        target_id: &str,
    ) -> StoreResult<()> {
        write_on_backend!(self.add_redirect(kind.as_str(), old_slug, target_id))
    }
    pub async fn redirect_target(
        &self,
        kind: SlugKind,
        old_slug: &str,
    ) -> StoreResult<Option<String>> {
        on_backend!(self.redirect_target(kind.as_str(), old_slug))
    }

    // ---- readers ----
    /// Returns false when the address was already subscribed.
    pub async fn add_subscriber(&self, email: &str) -> StoreResult<bool> {
        on_backend!(self.add_subscriber(email))
    }
    pub async fn subscriber_count(&self) -> StoreResult<i64> {
        on_backend!(self.subscriber_count())
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
