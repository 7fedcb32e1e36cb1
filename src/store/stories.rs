//! Stories with their authors, tags, notes and related stories.

use std::collections::HashMap;

use crate::model::{Author, Image, Story, StoryFilter, StoryNote, UnixTime};
use crate::store::keyset::Cursor;

use super::search::RelatedLists;
use super::{ContentChange, Edit, PieceChange, Store, StoreError, StoreResult, read, write};

/// An author together with the story it is attached to (batch look-ups).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoryAuthor {
    pub story_id: String,
    #[sqlx(flatten)]
    pub author: Author,
}

/// A story as pages show it: the row with its hero image, its authors and
/// tags (ids, in order) and how many notes it carries, read in one query.
#[derive(Debug, Clone)]
pub struct StoryCard {
    pub story: Story,
    pub hero: Option<Image>,
    pub author_ids: Vec<String>,
    pub tag_ids: Vec<String>,
    pub notes: i64,
    /// When live coverage of it began (None: never covered live).
    pub live_from: Option<UnixTime>,
}

/// An image joined to the row that shows it (`LEFT JOIN images h`, the
/// columns of `hero_columns!`): all empty when there is none.
#[derive(sqlx::FromRow)]
pub(super) struct HeroColumns {
    img_file: Option<String>,
    img_width: Option<i32>,
    img_height: Option<i32>,
    img_alt: Option<String>,
    img_caption: Option<String>,
    img_credit: Option<String>,
    img_widths: Option<String>,
    img_webp: Option<bool>,
}

impl HeroColumns {
    pub(super) fn into_image(self, id: Option<&String>) -> Option<Image> {
        Some(Image {
            id: id?.clone(),
            file: self.img_file?,
            width: self.img_width.unwrap_or_default(),
            height: self.img_height.unwrap_or_default(),
            alt: self.img_alt.unwrap_or_default(),
            caption: self.img_caption.unwrap_or_default(),
            credit: self.img_credit.unwrap_or_default(),
            widths: self.img_widths.unwrap_or_default(),
            webp: self.img_webp.unwrap_or_default(),
        })
    }
}

/// The image columns of `HeroColumns`, from `images h`.
macro_rules! hero_columns {
    () => {
        "h.file AS img_file, h.width AS img_width, h.height AS img_height, \
         h.alt AS img_alt, h.caption AS img_caption, h.credit AS img_credit, \
         h.widths AS img_widths, h.webp AS img_webp"
    };
}
pub(super) use hero_columns;

/// `hero_columns!` for a story `s`: its own alt text, caption and credit
/// for the image, where it has them, over the library's.
macro_rules! story_hero_columns {
    () => {
        "h.file AS img_file, h.width AS img_width, h.height AS img_height, \
         COALESCE(s.hero_alt, h.alt) AS img_alt, COALESCE(s.hero_caption, h.caption) AS img_caption, \
         COALESCE(s.hero_credit, h.credit) AS img_credit, h.widths AS img_widths, h.webp AS img_webp"
    };
}
pub(super) use story_hero_columns;

/// The row `card_columns!` selects.
#[derive(sqlx::FromRow)]
pub(super) struct CardRow {
    #[sqlx(flatten)]
    story: Story,
    #[sqlx(flatten)]
    hero: HeroColumns,
    author_ids: Option<String>,
    tag_ids: Option<String>,
    notes: i64,
    live_from: Option<i64>,
}

/// A card with its related lists (`related_lists_column!`).
#[derive(sqlx::FromRow)]
pub(super) struct PageCardRow {
    #[sqlx(flatten)]
    card: CardRow,
    related: Option<String>,
}

impl From<PageCardRow> for (StoryCard, RelatedLists) {
    fn from(row: PageCardRow) -> (StoryCard, RelatedLists) {
        let lists = RelatedLists::of_column(row.related.as_deref());
        (row.card.into(), lists)
    }
}

impl From<CardRow> for StoryCard {
    fn from(row: CardRow) -> StoryCard {
        let hero = row.hero.into_image(row.story.hero_image_id.as_ref());
        StoryCard {
            story: row.story,
            hero,
            author_ids: id_list(row.author_ids),
            tag_ids: id_list(row.tag_ids),
            notes: row.notes,
            live_from: row.live_from,
        }
    }
}

/// Ids aggregated with commas (hex ids hold none).
fn id_list(list: Option<String>) -> Vec<String> {
    list.map(|l| l.split(',').map(str::to_string).collect())
        .unwrap_or_default()
}

/// One of the newest public stories filed under a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagWindowEntry {
    pub story_id: String,
    pub section_id: String,
    pub published_at: UnixTime,
}

/// One story to save: the row, its ordered authors and tags, and the old
/// slug that must answer 301 from now on (committed together).
#[derive(Debug, Clone)]
pub struct StoryWrite {
    pub story: Story,
    pub author_ids: Vec<String>,
    pub tag_ids: Vec<String>,
    /// Tags first named by this save (among `tag_ids`): stored with the
    /// story, so a refused save leaves none behind.
    pub new_tags: Vec<crate::model::Tag>,
    pub redirect_from: Option<String>,
    /// When the publish job should flip a scheduled story to published
    /// (None: no such job; a pending one is cancelled).
    pub publish_at: Option<UnixTime>,
    /// A save made in the desk (kept as a revision, refused when stale);
    /// None for the publish job, the demo and importers.
    pub edit: Option<Edit>,
    /// Work out its related stories once saved (a job, when it is
    /// published). Bulk loads say no and leave it to
    /// `masthead search reindex --related`.
    pub relate: bool,
}

/// Reads the `tag:story:section:time` list the window query aggregates.
pub(super) fn parse_windows(list: &str) -> HashMap<String, Vec<TagWindowEntry>> {
    let mut windows: HashMap<String, Vec<TagWindowEntry>> = HashMap::new();
    for item in list.split(',') {
        let mut parts = item.split(':');
        let (Some(tag), Some(story_id), Some(section_id), Some(Ok(published_at))) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next().map(str::parse),
        ) else {
            continue;
        };
        windows
            .entry(tag.to_string())
            .or_default()
            .push(TagWindowEntry {
                story_id: story_id.to_string(),
                section_id: section_id.to_string(),
                published_at,
            });
    }
    windows
}

/// How many of the newest public stories under a tag are weighed when
/// choosing related stories: enough to find good company, few enough that
/// the cost does not grow with the archive.
pub const TAG_WINDOW: i64 = 100;

/// Story columns in the order `Story` declares them.
macro_rules! story_columns {
    () => {
        "s.id, s.slug, s.headline, s.dek, s.label, s.section_id, s.body, \
         s.custom_excerpt, s.hero_image_id, s.status, s.featured, s.published_at, s.created_at, \
         s.updated_at, s.reading_minutes, s.seo_title, s.seo_description, s.hero_alt, s.hero_caption, \
         s.hero_credit, s.created_by, s.revision"
    };
}
pub(super) use story_columns;

/// A story as a teaser shows it, read without its body: what listings,
/// rails and related stories need.
#[derive(Debug, Clone)]
pub struct StorySummary {
    pub id: String,
    pub slug: String,
    pub headline: String,
    pub dek: String,
    pub label: String,
    pub section_id: String,
    pub excerpt: String,
    pub featured: bool,
    pub hero: Option<Image>,
    pub published_at: Option<UnixTime>,
    pub reading_minutes: i32,
    pub author_ids: Vec<String>,
}

/// The row `summary_select!` selects.
#[derive(sqlx::FromRow)]
pub(super) struct SummaryRow {
    id: String,
    slug: String,
    headline: String,
    dek: String,
    label: String,
    section_id: String,
    custom_excerpt: Option<String>,
    lead: String,
    featured: bool,
    hero_image_id: Option<String>,
    published_at: Option<UnixTime>,
    reading_minutes: i32,
    #[sqlx(flatten)]
    hero: HeroColumns,
    author_ids: Option<String>,
}

impl From<SummaryRow> for StorySummary {
    fn from(row: SummaryRow) -> StorySummary {
        StorySummary {
            excerpt: crate::model::document::excerpt_of(
                row.custom_excerpt.as_deref(),
                &row.lead,
                crate::model::text::EXCERPT_CHARS,
            ),
            hero: row.hero.into_image(row.hero_image_id.as_ref()),
            author_ids: id_list(row.author_ids),
            id: row.id,
            slug: row.slug,
            headline: row.headline,
            dek: row.dek,
            label: row.label,
            section_id: row.section_id,
            featured: row.featured,
            published_at: row.published_at,
            reading_minutes: row.reading_minutes,
        }
    }
}

/// A standing correction of a public story, as the corrections page and
/// its feed list it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PublicCorrection {
    #[sqlx(flatten)]
    pub note: StoryNote,
    pub story_slug: String,
    pub story_headline: String,
}

impl From<&StoryCard> for StorySummary {
    fn from(card: &StoryCard) -> StorySummary {
        let s = &card.story;
        StorySummary {
            id: s.id.clone(),
            slug: s.slug.clone(),
            headline: s.headline.clone(),
            dek: s.dek.clone(),
            label: s.label.clone(),
            section_id: s.section_id.clone(),
            excerpt: s.excerpt(),
            featured: s.featured,
            hero: card.hero.clone(),
            published_at: s.published_at,
            reading_minutes: s.reading_minutes,
            author_ids: card.author_ids.clone(),
        }
    }
}

/// Columns of a `StorySummary`; the query joins `images h` on the hero.
/// Of the body only its start is read: enough for the first paragraph an
/// excerpt is made of.
macro_rules! summary_columns {
    () => {
        concat!(
            "s.id, s.slug, s.headline, s.dek, s.label, s.section_id, s.custom_excerpt, \
             substr(s.body, 1, 4096) AS lead, s.featured, s.hero_image_id, s.published_at, s.reading_minutes, ",
            story_hero_columns!(),
            ", (SELECT string_agg(sa.author_id, ',' ORDER BY sa.position) FROM story_authors sa WHERE sa.story_id = s.id) AS author_ids"
        )
    };
}
pub(super) use summary_columns;

/// One listing of stories: which, and which page of them.
#[derive(Debug, Clone, Copy)]
pub struct ListingPage<'a> {
    pub filter: &'a StoryFilter,
    pub limit: i64,
    pub offset: i64,
    /// Start after this story (counted from there, `offset` then skips
    /// within the rest): a deep page seeks its place instead of counting.
    pub after: Option<&'a Cursor>,
}

/// A summary row tagged with the listing it belongs to.
#[derive(sqlx::FromRow)]
pub(super) struct ListedRow {
    pub(super) part: i32,
    #[sqlx(flatten)]
    pub(super) summary: SummaryRow,
}

/// `SELECT … FROM` for a `StoryCard` (ids are hex, so a comma separates
/// them safely), the hero joined as `images h`.
macro_rules! card_columns {
    () => {
        concat!(card_select!(), card_from!())
    };
}
pub(super) use card_columns;

/// The columns of `card_columns!`, for a query that adds its own.
macro_rules! card_select {
    () => {
        concat!(
            "SELECT ",
            story_columns!(),
            ", ",
            story_hero_columns!(),
            ", (SELECT string_agg(sa.author_id, ',' ORDER BY sa.position) FROM story_authors sa WHERE sa.story_id = s.id) AS author_ids, \
             (SELECT string_agg(st.tag_id, ',' ORDER BY st.position) FROM story_tags st WHERE st.story_id = s.id) AS tag_ids, \
             (SELECT COUNT(*) FROM story_notes n WHERE n.story_id = s.id AND n.retired_at IS NULL) AS notes, \
             (SELECT lc.started_at FROM live_coverage lc WHERE lc.story_id = s.id) AS live_from"
        )
    };
}
pub(super) use card_select;

macro_rules! card_from {
    () => {
        " FROM stories s LEFT JOIN images h ON h.id = s.hero_image_id"
    };
}
pub(super) use card_from;

/// What readers may see (stories `s` or briefs `s`): published, or scheduled
/// and due; followed by the bind for "now".
macro_rules! public_piece {
    () => {
        "s.status IN ('published', 'scheduled') AND s.published_at IS NOT NULL AND s.published_at <= "
    };
}
pub(super) use public_piece;

macro_rules! queries {
    () => {
        pub mod stories {
            use sqlx::{Pool, QueryBuilder};

            use super::{Conn, Db, sql::push_id_list};
            use crate::model::{Story, StoryFilter, StoryNote, UnixTime, Visibility};
            use crate::store::StoreResult;
            use crate::store::keyset::Cursor;
            use crate::store::stories::{
                CardRow, ListedRow, ListingPage, PublicCorrection, StoryAuthor, StoryCard, StorySummary, SummaryRow,
                TAG_WINDOW, TagWindowEntry, card_columns, card_from, card_select, parse_windows, story_hero_columns,
                public_piece, story_columns, summary_columns,
            };

            pub async fn is_empty(pool: &Pool<Db>) -> StoreResult<bool> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT (SELECT COUNT(*) FROM stories) + (SELECT COUNT(*) FROM sections) + (SELECT COUNT(*) FROM briefs)",
                )
                .fetch_one(pool)
                .await?;
                Ok(n == 0)
            }

            pub async fn count_all(pool: &Pool<Db>) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM stories").fetch_one(pool).await?)
            }

            pub async fn by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<Story>> {
                Ok(sqlx::query_as(concat!("SELECT ", story_columns!(), " FROM stories s WHERE s.slug = $1"))
                    .bind(slug)
                    .fetch_optional(pool)
                    .await?)
            }

            pub async fn by_id(pool: &Pool<Db>, id: &str) -> StoreResult<Option<Story>> {
                Ok(sqlx::query_as(concat!("SELECT ", story_columns!(), " FROM stories s WHERE s.id = $1"))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?)
            }

            /// The card and the related lists of the story at `slug`: what
            /// its page reads, in one statement.
            pub async fn page_card_by_slug(
                pool: &Pool<Db>,
                slug: &str,
            ) -> StoreResult<Option<(StoryCard, crate::store::search::RelatedLists)>> {
                let row: Option<crate::store::stories::PageCardRow> = sqlx::query_as(concat!(
                    card_select!(),
                    ", ",
                    crate::store::search::related_lists_column!(),
                    card_from!(),
                    " WHERE s.slug = $1"
                ))
                .bind(slug)
                .fetch_optional(pool)
                .await?;
                Ok(row.map(Into::into))
            }

            pub async fn card_by_preview_token(pool: &Pool<Db>, token: &str) -> StoreResult<Option<StoryCard>> {
                let row: Option<CardRow> = sqlx::query_as(concat!(card_columns!(), " WHERE s.preview_token = $1"))
                    .bind(token)
                    .fetch_optional(pool)
                    .await?;
                Ok(row.map(StoryCard::from))
            }

            pub async fn preview_token(pool: &Pool<Db>, id: &str) -> StoreResult<Option<String>> {
                Ok(sqlx::query_scalar("SELECT preview_token FROM stories WHERE id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
                    .flatten())
            }

            pub async fn set_preview_token(pool: &Pool<Db>, id: &str, token: Option<&str>) -> StoreResult<()> {
                sqlx::query("UPDATE stories SET preview_token = $1 WHERE id = $2")
                    .bind(token)
                    .bind(id)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn cards_by_ids(pool: &Pool<Db>, ids: &[String]) -> StoreResult<Vec<StoryCard>> {
                let mut qb = QueryBuilder::<Db>::new(concat!(card_columns!(), " WHERE s.id IN "));
                push_id_list(&mut qb, ids);
                let rows: Vec<CardRow> = qb.build_query_as().fetch_all(pool).await?;
                Ok(rows.into_iter().map(StoryCard::from).collect())
            }

            pub async fn public_summaries_by_ids(
                pool: &Pool<Db>,
                ids: &[String],
                now: UnixTime,
            ) -> StoreResult<Vec<StorySummary>> {
                let mut qb = QueryBuilder::<Db>::new(concat!(
                    "SELECT ",
                    summary_columns!(),
                    " FROM stories s LEFT JOIN images h ON h.id = s.hero_image_id WHERE ",
                    public_piece!()
                ));
                qb.push_bind(now);
                qb.push(" AND s.id IN ");
                push_id_list(&mut qb, ids);
                let rows: Vec<SummaryRow> = qb.build_query_as().fetch_all(pool).await?;
                Ok(rows.into_iter().map(StorySummary::from).collect())
            }

            /// Public stories for each listing, newest first, in one round
            /// trip. A tag or an author listing walks that tag's or author's
            /// rows (each carries the story's public-from time, indexed),
            /// the others walk the stories: either way an index in
            /// publication order, read only as far as the page.
            pub async fn lists(
                pool: &Pool<Db>,
                listings: &[ListingPage<'_>],
                now: UnixTime,
            ) -> StoreResult<Vec<Vec<StorySummary>>> {
                let mut qb = QueryBuilder::<Db>::new("");
                for (part, listing) in listings.iter().enumerate() {
                    if part > 0 {
                        qb.push(" UNION ALL ");
                    }
                    qb.push(format!("SELECT * FROM (SELECT {part} AS part, "));
                    push_listing(&mut qb, listing, now);
                    qb.push(format!(") AS part_{part}"));
                }
                let rows: Vec<ListedRow> = qb.build_query_as().fetch_all(pool).await?;
                let mut lists = vec![Vec::new(); listings.len()];
                for row in rows {
                    if let Some(list) = lists.get_mut(row.part as usize) {
                        list.push(StorySummary::from(row.summary));
                    }
                }
                Ok(lists)
            }

            fn push_listing(qb: &mut QueryBuilder<Db>, listing: &ListingPage<'_>, now: UnixTime) {
                qb.push(summary_columns!());
                let upto = listing.after.map(|a| a.at);
                let (at, id) = push_listed(qb, listing.filter, now, upto, true);
                if let Some(after) = listing.after {
                    // The range itself ends at the key (`upto`); ties on its
                    // time are told apart by id. (SQLite reads a row-value
                    // comparison as a filter and would walk from the newest.)
                    qb.push(format!(" AND ({at} < "));
                    qb.push_bind(after.at);
                    qb.push(format!(" OR {id} < "));
                    qb.push_bind(after.id.clone());
                    qb.push(")");
                }
                qb.push(format!(" ORDER BY {at} DESC, {id} DESC"));
                super::sql::push_limit(qb, listing.limit, listing.offset);
            }

            /// The key of the last story of every `per_page`-th row of a
            /// listing, in order: page n + 1 starts after the n-th. One walk
            /// of the listing's keys, numbered by the database.
            pub async fn page_ends(
                pool: &Pool<Db>,
                filter: &StoryFilter,
                now: UnixTime,
                per_page: i64,
            ) -> StoreResult<Vec<Cursor>> {
                let mut qb = QueryBuilder::<Db>::new("SELECT at, id FROM (SELECT ");
                let (at, id) = listed_keys(filter);
                qb.push(format!(
                    "{at} AS at, {id} AS id, ROW_NUMBER() OVER (ORDER BY {at} DESC, {id} DESC) AS n"
                ));
                push_listed(&mut qb, filter, now, None, false);
                qb.push(format!(") AS k WHERE n % {} = 0 ORDER BY n", per_page.max(1)));
                let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(pool).await?;
                Ok(rows.into_iter().map(|(at, id)| Cursor { at, id }).collect())
            }

            /// The columns a listing is ordered by.
            fn listed_keys(f: &StoryFilter) -> (&'static str, &'static str) {
                if f.tag_id.is_some() || f.author_id.is_some() {
                    ("f.public_from", "f.story_id")
                } else {
                    ("s.published_at", "s.id")
                }
            }

            /// ` FROM … WHERE …` of a listing (with the hero's image when
            /// `images`); its order columns.
            fn push_listed(
                qb: &mut QueryBuilder<Db>,
                f: &StoryFilter,
                now: UnixTime,
                upto: Option<UnixTime>,
                images: bool,
            ) -> (&'static str, &'static str) {
                // Public by `now`, and no later than `upto`: one bound on
                // the column the listing's index walks.
                let until = upto.map_or(now, |t| t.min(now));
                let hero = if images {
                    " LEFT JOIN images h ON h.id = s.hero_image_id"
                } else {
                    ""
                };
                match (&f.tag_id, &f.author_id) {
                    (Some(tag), _) => {
                        qb.push(format!(" FROM story_tags f JOIN stories s ON s.id = f.story_id{hero} WHERE f.tag_id = "));
                        qb.push_bind(tag.clone());
                    }
                    (None, Some(author)) => {
                        qb.push(format!(" FROM story_authors f JOIN stories s ON s.id = f.story_id{hero} WHERE f.author_id = "));
                        qb.push_bind(author.clone());
                    }
                    (None, None) => {
                        qb.push(format!(" FROM stories s{hero} WHERE 1 = 1"));
                    }
                };
                let listed_by_link = f.tag_id.is_some() || f.author_id.is_some();
                if listed_by_link {
                    qb.push(" AND f.public_from <= ");
                    qb.push_bind(until);
                }
                qb.push(concat!(" AND ", public_piece!()));
                qb.push_bind(if listed_by_link { now } else { until });
                if let Some(section) = &f.section_id {
                    qb.push(" AND s.section_id = ");
                    qb.push_bind(section.clone());
                }
                // Written out rather than bound, so that the planner can use
                // the partial index of featured stories.
                match f.featured {
                    Some(true) => qb.push(" AND s.featured"),
                    Some(false) => qb.push(" AND NOT s.featured"),
                    None => &mut *qb,
                };
                if !f.exclude_ids.is_empty() {
                    qb.push(" AND s.id NOT IN ");
                    push_id_list(qb, &f.exclude_ids);
                }
                listed_keys(f)
            }

            /// The newest TAG_WINDOW public stories under each tag (an
            /// index range each, so the cost does not grow with the
            /// archive), sent back as one aggregated string: far cheaper
            /// than a row per entry.
            pub async fn tag_windows(
                pool: &Pool<Db>,
                tag_ids: &[String],
                now: UnixTime,
            ) -> StoreResult<std::collections::HashMap<String, Vec<TagWindowEntry>>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT string_agg(w.tag_id || ':' || w.story_id || ':' || w.section_id || ':' || CAST(w.public_from AS TEXT), ',') FROM (",
                );
                for (i, tag) in tag_ids.iter().enumerate() {
                    if i > 0 {
                        qb.push(" UNION ALL ");
                    }
                    qb.push("SELECT * FROM (SELECT tag_id, story_id, section_id, public_from FROM story_tags WHERE tag_id = ");
                    qb.push_bind(tag.clone());
                    qb.push(" AND public_from <= ");
                    qb.push_bind(now);
                    qb.push(" ORDER BY public_from DESC");
                    super::sql::push_limit(&mut qb, TAG_WINDOW, 0);
                    qb.push(format!(") AS window_{i}"));
                }
                qb.push(") w");
                let list: Option<String> = qb.build_query_scalar().fetch_one(pool).await?;
                Ok(list.map_or_else(Default::default, |l| parse_windows(&l)))
            }

            pub async fn authors_of(pool: &Pool<Db>, ids: &[String]) -> StoreResult<Vec<StoryAuthor>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT sa.story_id, a.id, a.slug, a.name, a.bio, a.role_line, a.photo_id, a.links
                     FROM story_authors sa JOIN authors a ON a.id = sa.author_id WHERE sa.story_id IN ",
                );
                push_id_list(&mut qb, ids);
                qb.push(" ORDER BY sa.story_id, sa.position");
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn notes_of(pool: &Pool<Db>, story_id: &str) -> StoreResult<Vec<StoryNote>> {
                Ok(sqlx::query_as(
                    "SELECT id, story_id, kind, noted_at, body FROM story_notes
                     WHERE story_id = $1 AND retired_at IS NULL ORDER BY noted_at",
                )
                .bind(story_id)
                .fetch_all(pool)
                .await?)
            }

            pub async fn public_corrections(
                pool: &Pool<Db>,
                now: UnixTime,
                after: Option<UnixTime>,
                limit: i64,
                offset: i64,
            ) -> StoreResult<Vec<PublicCorrection>> {
                let mut qb = QueryBuilder::<Db>::new(concat!(
                    "SELECT n.id, n.story_id, n.kind, n.noted_at, n.body,
                       s.slug AS story_slug, s.headline AS story_headline
                     FROM story_notes n JOIN stories s ON s.id = n.story_id
                     WHERE n.kind = 'correction' AND n.retired_at IS NULL AND ",
                    public_piece!()
                ));
                qb.push_bind(now);
                qb.push(" AND n.noted_at <= ").push_bind(now);
                if let Some(after) = after {
                    qb.push(" AND n.noted_at > ").push_bind(after);
                }
                qb.push(" ORDER BY n.noted_at DESC, n.id DESC");
                super::sql::push_limit(&mut qb, limit, offset);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn retired_notes_of(pool: &Pool<Db>, story_id: &str) -> StoreResult<Vec<crate::model::RetiredNote>> {
                Ok(sqlx::query_as(
                    "SELECT n.id, n.story_id, n.kind, n.noted_at, n.body, n.retired_at, n.replaced_by,
                       u.name AS retired_by_name
                     FROM story_notes n LEFT JOIN users u ON u.id = n.retired_by
                     WHERE n.story_id = $1 AND n.retired_at IS NOT NULL ORDER BY n.retired_at DESC, n.id DESC",
                )
                .bind(story_id)
                .fetch_all(pool)
                .await?)
            }

            /// Retires a current note of the story (None when there is none such).
            pub async fn retire_note(
                conn: &mut Conn,
                story_id: &str,
                id: &str,
                by: &str,
                replaced_by: Option<&str>,
                now: UnixTime,
            ) -> StoreResult<bool> {
                let retired = sqlx::query(
                    "UPDATE story_notes SET retired_at = $3, retired_by = $4, replaced_by = $5
                     WHERE id = $1 AND story_id = $2 AND retired_at IS NULL",
                )
                .bind(id)
                .bind(story_id)
                .bind(now)
                .bind(by)
                .bind(replaced_by)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                Ok(retired == 1)
            }

            /// What readers see of a stored story right now (Hidden when there is none).
            pub async fn visibility(conn: &mut Conn, id: &str, now: UnixTime) -> StoreResult<Visibility> {
                let row: Option<(crate::model::Status, Option<UnixTime>)> =
                    sqlx::query_as("SELECT status, published_at FROM stories WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?;
                Ok(row.map_or(Visibility::Hidden, |(status, at)| status.visibility(at, now)))
            }

            /// What readers see of each of these stories right now (stories
            /// not stored yet are missing from the answer: Hidden).
            pub async fn visibilities(
                conn: &mut Conn,
                ids: &[String],
                now: UnixTime,
            ) -> StoreResult<std::collections::HashMap<String, Visibility>> {
                if ids.is_empty() {
                    return Ok(Default::default());
                }
                let mut qb = QueryBuilder::<Db>::new("SELECT id, status, published_at FROM stories WHERE id IN ");
                push_id_list(&mut qb, ids);
                let rows: Vec<(String, crate::model::Status, Option<UnixTime>)> =
                    qb.build_query_as().fetch_all(&mut *conn).await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, status, at)| (id, status.visibility(at, now)))
                    .collect())
            }

            /// Inserts or updates the story; an update made on an outdated
            /// copy (`based_on` is not the stored revision) changes nothing
            /// and answers false. `bump` adds to the save counter.
            pub async fn upsert(conn: &mut Conn, s: &Story, bump: i64, based_on: Option<i64>) -> StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO stories (id, slug, headline, dek, label, section_id, body, body_schema,
                       custom_excerpt, hero_image_id, status, featured, published_at, created_at,
                       updated_at, reading_minutes, seo_title, seo_description, created_by, hero_alt,
                       hero_caption, hero_credit, revision)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                       $22, $23, $24, 1)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, headline = excluded.headline,
                       dek = excluded.dek, label = excluded.label, section_id = excluded.section_id,
                       body = excluded.body, body_schema = excluded.body_schema,
                       custom_excerpt = excluded.custom_excerpt, hero_image_id = excluded.hero_image_id,
                       status = excluded.status, featured = excluded.featured,
                       published_at = excluded.published_at, updated_at = excluded.updated_at,
                       reading_minutes = excluded.reading_minutes, seo_title = excluded.seo_title,
                       seo_description = excluded.seo_description, hero_alt = excluded.hero_alt,
                       hero_caption = excluded.hero_caption, hero_credit = excluded.hero_credit,
                       revision = stories.revision + $20
                     WHERE $21 IS NULL OR stories.revision = $21",
                )
                .bind(&s.id)
                .bind(&s.slug)
                .bind(&s.headline)
                .bind(&s.dek)
                .bind(&s.label)
                .bind(&s.section_id)
                .bind(&s.body)
                .bind(crate::model::document::SCHEMA_VERSION)
                .bind(&s.custom_excerpt)
                .bind(&s.hero_image_id)
                .bind(s.status)
                .bind(s.featured)
                .bind(s.published_at)
                .bind(s.created_at)
                .bind(s.updated_at)
                .bind(s.reading_minutes)
                .bind(&s.seo_title)
                .bind(&s.seo_description)
                .bind(&s.created_by)
                .bind(bump)
                .bind(based_on)
                .bind(&s.hero_alt)
                .bind(&s.hero_caption)
                .bind(&s.hero_credit)
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            /// Removes a story with everything that hangs on it.
            pub async fn delete(conn: &mut Conn, id: &str) -> StoreResult<()> {
                for sql in [
                    "DELETE FROM slug_redirects WHERE kind = 'story' AND target_id = $1",
                    "DELETE FROM revisions WHERE kind = 'story' AND piece_id = $1",
                    "DELETE FROM stories WHERE id = $1",
                ] {
                    sqlx::query(sql).bind(id).execute(&mut *conn).await?;
                }
                Ok(())
            }

            pub async fn revision(conn: &mut Conn, id: &str) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT revision FROM stories WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?)
            }

            /// The stories' authors and tags, in their order, replacing what
            /// they had. Each row carries what author and tag pages and
            /// related stories need (public-from time, section) so that they
            /// read one index and never the wide story rows.
            pub async fn set_links(conn: &mut Conn, writes: &[crate::store::StoryWrite]) -> StoreResult<()> {
                if writes.is_empty() {
                    return Ok(());
                }
                let ids: Vec<String> = writes.iter().map(|w| w.story.id.clone()).collect();
                for table in ["story_authors", "story_tags"] {
                    let mut qb = QueryBuilder::<Db>::new(format!("DELETE FROM {table} WHERE story_id IN "));
                    push_id_list(&mut qb, &ids);
                    qb.build().execute(&mut *conn).await?;
                }
                let authors: Vec<(&Story, usize, &String)> = writes
                    .iter()
                    .flat_map(|w| w.author_ids.iter().enumerate().map(move |(i, a)| (&w.story, i, a)))
                    .collect();
                // Chunks keep each statement's parameters under both engines' limits.
                for chunk in authors.chunks(1000) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO story_authors (story_id, author_id, position, public_from) ",
                    );
                    qb.push_values(chunk, |mut row, (story, position, author)| {
                        row.push_bind(story.id.clone())
                            .push_bind((*author).clone())
                            .push_bind(*position as i32)
                            .push_bind(story.public_from());
                    });
                    qb.build().execute(&mut *conn).await?;
                }
                let tags: Vec<(&Story, usize, &String)> = writes
                    .iter()
                    .flat_map(|w| w.tag_ids.iter().enumerate().map(move |(i, t)| (&w.story, i, t)))
                    .collect();
                for chunk in tags.chunks(1000) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO story_tags (story_id, tag_id, position, section_id, public_from) ",
                    );
                    qb.push_values(chunk, |mut row, (story, position, tag)| {
                        row.push_bind(story.id.clone())
                            .push_bind((*tag).clone())
                            .push_bind(*position as i32)
                            .push_bind(story.section_id.clone())
                            .push_bind(story.public_from());
                    });
                    qb.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Points stories at their hero images, once both are in.
            pub async fn set_heroes(conn: &mut Conn, heroes: &[(String, String)]) -> StoreResult<usize> {
                let mut set = 0;
                for (story, image) in heroes {
                    set += sqlx::query(
                        "UPDATE stories SET hero_image_id = $2 WHERE id = $1
                           AND EXISTS (SELECT 1 FROM images WHERE id = $2)",
                    )
                    .bind(story)
                    .bind(image)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected() as usize;
                }
                Ok(set)
            }

            pub async fn upsert_note(conn: &mut Conn, n: &StoryNote) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO story_notes (id, story_id, kind, noted_at, body) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, noted_at = excluded.noted_at,
                       body = excluded.body",
                )
                .bind(&n.id)
                .bind(&n.story_id)
                .bind(n.kind)
                .bind(n.noted_at)
                .bind(&n.body)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
        }
    };
}
pub(super) use queries;

impl Store {
    pub async fn story_by_slug(&self, slug: &str) -> StoreResult<Option<Story>> {
        read!(self, stories::by_slug(slug))
    }

    /// Stories of any status (for tools such as `seed`: a page never counts).
    pub async fn count_all_stories(&self) -> StoreResult<i64> {
        read!(self, stories::count_all())
    }

    pub async fn story_by_id(&self, id: &str) -> StoreResult<Option<Story>> {
        read!(self, stories::by_id(id))
    }

    /// A story with its hero, authors, tags and note count (any status).
    pub async fn story_card_by_slug(&self, slug: &str) -> StoreResult<Option<StoryCard>> {
        Ok(self
            .story_page_card_by_slug(slug)
            .await?
            .map(|(card, _)| card))
    }

    /// As `story_card_by_slug`, with the story's related lists: what its page needs from the database
    /// besides other stories' teasers.
    pub async fn story_page_card_by_slug(
        &self,
        slug: &str,
    ) -> StoreResult<Option<(StoryCard, RelatedLists)>> {
        read!(self, stories::page_card_by_slug(slug))
    }

    /// The story a secret preview link shows (any status).
    pub async fn story_card_by_preview_token(&self, token: &str) -> StoreResult<Option<StoryCard>> {
        read!(self, stories::card_by_preview_token(token))
    }

    pub async fn story_preview_token(&self, id: &str) -> StoreResult<Option<String>> {
        read!(self, stories::preview_token(id))
    }

    /// Sets (or with None, withdraws) a story's secret preview link. Not
    /// content: readers' pages do not change.
    pub async fn set_story_preview_token(&self, id: &str, token: Option<&str>) -> StoreResult<()> {
        super::exec!(self, stories::set_preview_token(id, token))
    }

    /// Stories by id with their heroes, authors and tags, in no particular order (any status).
    pub async fn story_cards_by_ids(&self, ids: &[String]) -> StoreResult<Vec<StoryCard>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        read!(self, stories::cards_by_ids(ids))
    }

    /// Public stories among `ids`, as teasers show them, in no particular order.
    pub async fn public_story_summaries(
        &self,
        ids: &[String],
        now: UnixTime,
    ) -> StoreResult<Vec<StorySummary>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        read!(self, stories::public_summaries_by_ids(ids, now))
    }

    /// Public stories matching `filter` after the one `after` names (from
    /// the newest when None), newest first: a listing's page found by its
    /// place rather than counted to.
    pub async fn stories_after(
        &self,
        filter: &StoryFilter,
        now: UnixTime,
        limit: i64,
        after: Option<&Cursor>,
    ) -> StoreResult<Vec<StorySummary>> {
        let listing = ListingPage {
            filter,
            limit,
            offset: 0,
            after,
        };
        let mut lists = self.story_lists(&[listing], now).await?;
        Ok(lists.pop().unwrap_or_default())
    }

    /// Where each page of a listing ends: the key of its every
    /// `per_page`-th story, in order.
    pub async fn page_ends(
        &self,
        filter: &StoryFilter,
        now: UnixTime,
        per_page: i64,
    ) -> StoreResult<Vec<Cursor>> {
        read!(self, stories::page_ends(filter, now, per_page))
    }

    /// Public stories matching `filter`, newest first, as teasers show them.
    pub async fn stories(
        &self,
        filter: &StoryFilter,
        now: UnixTime,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<StorySummary>> {
        let listing = ListingPage {
            filter,
            limit,
            offset,
            after: None,
        };
        let mut lists = self.story_lists(&[listing], now).await?;
        Ok(lists.pop().unwrap_or_default())
    }

    /// Several listings at once (one round trip), in the order asked.
    pub async fn story_lists(
        &self,
        listings: &[ListingPage<'_>],
        now: UnixTime,
    ) -> StoreResult<Vec<Vec<StorySummary>>> {
        if listings.is_empty() {
            return Ok(vec![]);
        }
        read!(self, stories::lists(listings, now))
    }

    /// The newest public stories under each of `tag_ids` (every tag asked
    /// for has an entry, empty when no public story carries it).
    pub async fn tag_windows(
        &self,
        tag_ids: &[String],
        now: UnixTime,
    ) -> StoreResult<HashMap<String, Vec<TagWindowEntry>>> {
        if tag_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut windows = read!(self, stories::tag_windows(tag_ids, now))?;
        for tag in tag_ids {
            windows.entry(tag.clone()).or_default();
        }
        Ok(windows)
    }

    pub async fn authors_of_stories(&self, ids: &[String]) -> StoreResult<Vec<StoryAuthor>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        read!(self, stories::authors_of(ids))
    }

    pub async fn notes_of_story(&self, story_id: &str) -> StoreResult<Vec<StoryNote>> {
        read!(self, stories::notes_of(story_id))
    }

    /// Saves stories (new or edited) with their authors, tags and redirects
    /// from old slugs, all in one transaction.
    pub async fn save_stories(&self, writes: &[StoryWrite]) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            // A batch (an import's) costs a few statements more than its
            // rows and their search documents, not a dozen a story.
            let ids: Vec<String> = writes.iter().map(|w| w.story.id.clone()).collect();
            let before = db::stories::visibilities(conn, &ids, now).await?;
            let mut unscheduled = Vec::new();
            for w in writes {
                for tag in &w.new_tags {
                    let topic = super::search::Topic::Tag(&tag.id);
                    db::search::names_changed(conn, topic, Some(&tag.name), now).await?;
                    db::taxonomy::upsert_tag(conn, tag).await?;
                }
                let edit = w.edit.as_ref();
                let bump = i64::from(edit.is_some());
                if !db::stories::upsert(conn, &w.story, bump, edit.and_then(|e| e.based_on)).await?
                {
                    return Err(StoreError::Stale);
                }
                let body = w.story.body.as_str();
                db::media_refs::set(conn, super::PieceKind::Story, &w.story.id, body).await?;
                if let Some(edit) = edit {
                    let number = db::stories::revision(conn, &w.story.id).await?;
                    db::revisions::keep(
                        conn,
                        super::PieceKind::Story,
                        &w.story.id,
                        number,
                        edit,
                        now,
                    )
                    .await?;
                }
                if w.relate && w.story.is_public(now) {
                    db::jobs::schedule(conn, super::JobKind::RelateStory, &w.story.id, now, now)
                        .await?;
                }
                if let Some(old) = &w.redirect_from {
                    db::slugs::add_redirect(conn, super::SlugKind::Story, old, &w.story.id, now)
                        .await?;
                }
                match w.publish_at {
                    Some(at) => {
                        db::jobs::schedule(conn, super::JobKind::PublishStory, &w.story.id, at, now)
                            .await?
                    }
                    None => unscheduled.push(w.story.id.clone()),
                }
            }
            db::jobs::cancel_all(conn, super::JobKind::PublishStory, &unscheduled, now).await?;
            db::stories::set_links(conn, writes).await?;
            let stories: Vec<Story> = writes.iter().map(|w| w.story.clone()).collect();
            db::search::write_documents(conn, &stories).await?;
            let changes = writes
                .iter()
                .map(|w| PieceChange {
                    id: w.story.id.clone(),
                    before: before
                        .get(&w.story.id)
                        .copied()
                        .unwrap_or(crate::model::Visibility::Hidden),
                    after: w.story.visibility(now),
                })
                .collect();
            ((), ContentChange::Stories(changes))
        })
    }

    /// Deletes a story, its notes, revisions, old slugs and pending job.
    pub async fn delete_story(&self, id: &str) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let before = db::stories::visibility(conn, id, now).await?;
            db::media_refs::clear(conn, super::PieceKind::Story, id).await?;
            db::jobs::cancel(conn, super::JobKind::PublishStory, id, now).await?;
            db::stories::delete(conn, id).await?;
            let change = PieceChange {
                id: id.to_string(),
                before,
                after: crate::model::Visibility::Hidden,
            };
            ((), ContentChange::Stories(vec![change]))
        })
    }

    pub async fn save_note(&self, note: &StoryNote) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let story = db::stories::visibility(conn, &note.story_id, now).await?;
            db::stories::upsert_note(conn, note).await?;
            (
                (),
                ContentChange::StoryExtras {
                    story_id: note.story_id.clone(),
                    story,
                },
            )
        })
    }

    /// The standing corrections of public stories made by `now` (and
    /// after `after`), newest first: the corrections page, its feed and
    /// the newsletter's "Corrections since the last issue".
    pub async fn public_corrections(
        &self,
        now: UnixTime,
        after: Option<UnixTime>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<PublicCorrection>> {
        read!(self, stories::public_corrections(now, after, limit, offset))
    }

    /// The notes an editor changed or removed, newest change first.
    pub async fn retired_notes(
        &self,
        story_id: &str,
    ) -> StoreResult<Vec<crate::model::RetiredNote>> {
        read!(self, stories::retired_notes_of(story_id))
    }

    /// Replaces a current note (`old_id`) by `note` (None: removes it),
    /// keeping the old one as history. NotFound when the note is not a
    /// current one of the story (changed meanwhile, or another story's).
    pub async fn replace_note(
        &self,
        story_id: &str,
        old_id: &str,
        note: Option<&StoryNote>,
        by: &str,
    ) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let story = db::stories::visibility(conn, story_id, now).await?;
            if let Some(note) = note {
                db::stories::upsert_note(conn, note).await?;
            }
            let replaced_by = note.map(|n| n.id.as_str());
            if !db::stories::retire_note(conn, story_id, old_id, by, replaced_by, now).await? {
                return Err(StoreError::NotFound);
            }
            (
                (),
                ContentChange::StoryExtras {
                    story_id: story_id.to_string(),
                    story,
                },
            )
        })
    }

    /// Sets stories' hero images (story id, image id); pairs whose image
    /// is missing are left alone. Answers how many were set.
    pub async fn set_story_heroes(&self, heroes: &[(String, String)]) -> StoreResult<usize> {
        write!(self, |conn, db| {
            let set = db::stories::set_heroes(conn, heroes).await?;
            // Which image a story shows is what `Images` stands for.
            (set, ContentChange::Images)
        })
    }
}
