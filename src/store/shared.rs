//! The SQL both engines share. `queries!` stamps out one module of query
//! functions per engine from the same text, so a query is written once and
//! type-checked against each driver. Placeholders are `$n` (both engines
//! accept them); dynamic lists use `QueryBuilder`, which numbers them itself.

/// Story columns in the order `Story` declares them.
macro_rules! story_columns {
    () => {
        "s.id, s.slug, s.headline, s.dek, s.label, s.section_id, s.body_md, s.body_html, \
         s.custom_excerpt, s.hero_image_id, s.status, s.featured, s.published_at, s.created_at, \
         s.updated_at, s.reading_minutes, s.seo_title, s.seo_description"
    };
}

/// What readers may see: published, or scheduled and due.
macro_rules! public_story {
    () => {
        "s.status IN ('published', 'scheduled') AND s.published_at IS NOT NULL AND s.published_at <= "
    };
}

macro_rules! queries {
    ($db:ty, $module:ident, $begin:literal) => {
        #[allow(clippy::too_many_arguments)]
        mod $module {
            use sqlx::{Pool, QueryBuilder};

            use crate::model::{
                Author, Brief, Image, Section, Story, StoryFilter, StoryNote, Tag, UnixTime,
            };
            use crate::store::{StoreResult, StoryAuthor, StoryTag};
            use crate::store::shared::{public_story, story_columns};

            type Db = $db;

            fn push_id_list(qb: &mut QueryBuilder<Db>, ids: &[String]) {
                qb.push("(");
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(id.clone());
                }
                qb.push(")");
            }

            pub async fn is_empty(pool: &Pool<Db>) -> StoreResult<bool> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT (SELECT COUNT(*) FROM stories) + (SELECT COUNT(*) FROM sections) + (SELECT COUNT(*) FROM briefs)",
                )
                .fetch_one(pool)
                .await?;
                Ok(n == 0)
            }

            pub async fn setting(pool: &Pool<Db>, key: &str) -> StoreResult<Option<String>> {
                sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                    .bind(key.to_string())
                    .fetch_optional(pool)
                    .await
            }

            pub async fn put_setting(pool: &Pool<Db>, key: &str, value: &str) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO settings (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key.to_string())
                .bind(value.to_string())
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn sections(pool: &Pool<Db>) -> StoreResult<Vec<Section>> {
                sqlx::query_as(
                    "SELECT id, slug, name, description, position FROM sections ORDER BY position, name",
                )
                .fetch_all(pool)
                .await
            }

            pub async fn save_section(pool: &Pool<Db>, s: &Section) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sections (id, slug, name, description, position) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
                       description = excluded.description, position = excluded.position",
                )
                .bind(s.id.clone())
                .bind(s.slug.clone())
                .bind(s.name.clone())
                .bind(s.description.clone())
                .bind(s.position)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn tag_by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<Tag>> {
                sqlx::query_as("SELECT id, slug, name, description FROM tags WHERE slug = $1")
                    .bind(slug.to_string())
                    .fetch_optional(pool)
                    .await
            }

            pub async fn save_tag(pool: &Pool<Db>, t: &Tag) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO tags (id, slug, name, description) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
                       description = excluded.description",
                )
                .bind(t.id.clone())
                .bind(t.slug.clone())
                .bind(t.name.clone())
                .bind(t.description.clone())
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn author_by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<Author>> {
                sqlx::query_as(
                    "SELECT id, slug, name, bio, role_line, photo_id, links FROM authors WHERE slug = $1",
                )
                .bind(slug.to_string())
                .fetch_optional(pool)
                .await
            }

            pub async fn save_author(pool: &Pool<Db>, a: &Author) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO authors (id, slug, name, bio, role_line, photo_id, links)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
                       bio = excluded.bio, role_line = excluded.role_line,
                       photo_id = excluded.photo_id, links = excluded.links",
                )
                .bind(a.id.clone())
                .bind(a.slug.clone())
                .bind(a.name.clone())
                .bind(a.bio.clone())
                .bind(a.role_line.clone())
                .bind(a.photo_id.clone())
                .bind(a.links.clone())
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn save_image(pool: &Pool<Db>, i: &Image) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO images (id, file, width, height, alt, caption, credit, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (id) DO UPDATE SET file = excluded.file, width = excluded.width,
                       height = excluded.height, alt = excluded.alt, caption = excluded.caption,
                       credit = excluded.credit",
                )
                .bind(i.id.clone())
                .bind(i.file.clone())
                .bind(i.width)
                .bind(i.height)
                .bind(i.alt.clone())
                .bind(i.caption.clone())
                .bind(i.credit.clone())
                .bind(crate::model::now())
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn images_by_ids(pool: &Pool<Db>, ids: &[String]) -> StoreResult<Vec<Image>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT id, file, width, height, alt, caption, credit FROM images WHERE id IN ",
                );
                push_id_list(&mut qb, ids);
                qb.build_query_as().fetch_all(pool).await
            }

            pub async fn authors_of_stories(
                pool: &Pool<Db>,
                ids: &[String],
            ) -> StoreResult<Vec<StoryAuthor>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT sa.story_id, a.id, a.slug, a.name, a.bio, a.role_line, a.photo_id, a.links
                     FROM story_authors sa JOIN authors a ON a.id = sa.author_id WHERE sa.story_id IN ",
                );
                push_id_list(&mut qb, ids);
                qb.push(" ORDER BY sa.story_id, sa.position");
                qb.build_query_as().fetch_all(pool).await
            }

            pub async fn tags_of_stories(pool: &Pool<Db>, ids: &[String]) -> StoreResult<Vec<StoryTag>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT st.story_id, t.id, t.slug, t.name, t.description
                     FROM story_tags st JOIN tags t ON t.id = st.tag_id WHERE st.story_id IN ",
                );
                push_id_list(&mut qb, ids);
                qb.push(" ORDER BY st.story_id, st.position");
                qb.build_query_as().fetch_all(pool).await
            }

            pub async fn story_by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<Story>> {
                sqlx::query_as(concat!("SELECT ", story_columns!(), " FROM stories s WHERE s.slug = $1"))
                    .bind(slug.to_string())
                    .fetch_optional(pool)
                    .await
            }

            pub async fn story_by_id(pool: &Pool<Db>, id: &str) -> StoreResult<Option<Story>> {
                sqlx::query_as(concat!("SELECT ", story_columns!(), " FROM stories s WHERE s.id = $1"))
                    .bind(id.to_string())
                    .fetch_optional(pool)
                    .await
            }

            fn push_story_filter(qb: &mut QueryBuilder<Db>, f: &StoryFilter, now: UnixTime) {
                qb.push(concat!(" WHERE ", public_story!()));
                qb.push_bind(now);
                if let Some(section) = &f.section_id {
                    qb.push(" AND s.section_id = ");
                    qb.push_bind(section.clone());
                }
                if let Some(tag) = &f.tag_id {
                    qb.push(" AND EXISTS (SELECT 1 FROM story_tags st WHERE st.story_id = s.id AND st.tag_id = ");
                    qb.push_bind(tag.clone());
                    qb.push(")");
                }
                if let Some(author) = &f.author_id {
                    qb.push(" AND EXISTS (SELECT 1 FROM story_authors sa WHERE sa.story_id = s.id AND sa.author_id = ");
                    qb.push_bind(author.clone());
                    qb.push(")");
                }
                if let Some(featured) = f.featured {
                    qb.push(" AND s.featured = ");
                    qb.push_bind(featured);
                }
                if !f.exclude_ids.is_empty() {
                    qb.push(" AND s.id NOT IN ");
                    push_id_list(qb, &f.exclude_ids);
                }
            }

            pub async fn stories(
                pool: &Pool<Db>,
                f: &StoryFilter,
                now: UnixTime,
                limit: i64,
                offset: i64,
            ) -> StoreResult<Vec<Story>> {
                let mut qb = QueryBuilder::<Db>::new(concat!("SELECT ", story_columns!(), " FROM stories s"));
                push_story_filter(&mut qb, f, now);
                qb.push(" ORDER BY s.published_at DESC, s.id DESC LIMIT ");
                qb.push_bind(limit);
                qb.push(" OFFSET ");
                qb.push_bind(offset);
                qb.build_query_as().fetch_all(pool).await
            }

            pub async fn count_stories(pool: &Pool<Db>, f: &StoryFilter, now: UnixTime) -> StoreResult<i64> {
                let mut qb = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM stories s");
                push_story_filter(&mut qb, f, now);
                qb.build_query_scalar().fetch_one(pool).await
            }

            /// Ids of public stories sharing tags with `story`: most shared
            /// tags first, then its section, then the newest. Narrow rows, so
            /// ranking thousands of candidates stays cheap.
            pub async fn related_story_ids(
                pool: &Pool<Db>,
                story: &Story,
                now: UnixTime,
                limit: i64,
            ) -> StoreResult<Vec<String>> {
                sqlx::query_scalar(concat!(
                    "SELECT s.id FROM story_tags st JOIN stories s ON s.id = st.story_id
                     WHERE st.tag_id IN (SELECT tag_id FROM story_tags WHERE story_id = $2)
                       AND st.story_id <> $2 AND ", public_story!(), "$1
                     GROUP BY s.id, s.section_id, s.published_at
                     ORDER BY COUNT(*) DESC, CASE WHEN s.section_id = $3 THEN 1 ELSE 0 END DESC,
                              s.published_at DESC, s.id DESC
                     LIMIT $4"
                ))
                .bind(now)
                .bind(story.id.clone())
                .bind(story.section_id.clone())
                .bind(limit)
                .fetch_all(pool)
                .await
            }

            pub async fn stories_by_ids(pool: &Pool<Db>, ids: &[String]) -> StoreResult<Vec<Story>> {
                let mut qb = QueryBuilder::<Db>::new(concat!("SELECT ", story_columns!(), " FROM stories s WHERE s.id IN "));
                push_id_list(&mut qb, ids);
                qb.build_query_as().fetch_all(pool).await
            }

            pub async fn save_story(
                pool: &Pool<Db>,
                s: &Story,
                author_ids: &[String],
                tag_ids: &[String],
            ) -> StoreResult<()> {
                let mut tx = pool.begin_with($begin).await?;
                sqlx::query(
                    "INSERT INTO stories (id, slug, headline, dek, label, section_id, body_md, body_html,
                       custom_excerpt, hero_image_id, status, featured, published_at, created_at,
                       updated_at, reading_minutes, seo_title, seo_description)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, headline = excluded.headline,
                       dek = excluded.dek, label = excluded.label, section_id = excluded.section_id,
                       body_md = excluded.body_md, body_html = excluded.body_html,
                       custom_excerpt = excluded.custom_excerpt, hero_image_id = excluded.hero_image_id,
                       status = excluded.status, featured = excluded.featured,
                       published_at = excluded.published_at, updated_at = excluded.updated_at,
                       reading_minutes = excluded.reading_minutes, seo_title = excluded.seo_title,
                       seo_description = excluded.seo_description",
                )
                .bind(s.id.clone())
                .bind(s.slug.clone())
                .bind(s.headline.clone())
                .bind(s.dek.clone())
                .bind(s.label.clone())
                .bind(s.section_id.clone())
                .bind(s.body_md.clone())
                .bind(s.body_html.clone())
                .bind(s.custom_excerpt.clone())
                .bind(s.hero_image_id.clone())
                .bind(s.status.clone())
                .bind(s.featured)
                .bind(s.published_at)
                .bind(s.created_at)
                .bind(s.updated_at)
                .bind(s.reading_minutes)
                .bind(s.seo_title.clone())
                .bind(s.seo_description.clone())
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM story_authors WHERE story_id = $1")
                    .bind(s.id.clone())
                    .execute(&mut *tx)
                    .await?;
                for (position, author) in author_ids.iter().enumerate() {
                    sqlx::query("INSERT INTO story_authors (story_id, author_id, position) VALUES ($1, $2, $3)")
                        .bind(s.id.clone())
                        .bind(author.clone())
                        .bind(position as i32)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("DELETE FROM story_tags WHERE story_id = $1")
                    .bind(s.id.clone())
                    .execute(&mut *tx)
                    .await?;
                for (position, tag) in tag_ids.iter().enumerate() {
                    sqlx::query("INSERT INTO story_tags (story_id, tag_id, position) VALUES ($1, $2, $3)")
                        .bind(s.id.clone())
                        .bind(tag.clone())
                        .bind(position as i32)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await
            }

            pub async fn notes_of_story(pool: &Pool<Db>, story_id: &str) -> StoreResult<Vec<StoryNote>> {
                sqlx::query_as(
                    "SELECT id, story_id, kind, noted_at, body FROM story_notes WHERE story_id = $1 ORDER BY noted_at",
                )
                .bind(story_id.to_string())
                .fetch_all(pool)
                .await
            }

            pub async fn save_note(pool: &Pool<Db>, n: &StoryNote) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO story_notes (id, story_id, kind, noted_at, body) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, noted_at = excluded.noted_at,
                       body = excluded.body",
                )
                .bind(n.id.clone())
                .bind(n.story_id.clone())
                .bind(n.kind.clone())
                .bind(n.noted_at)
                .bind(n.body.clone())
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn next_scheduled_after(pool: &Pool<Db>, now: UnixTime) -> StoreResult<Option<UnixTime>> {
                sqlx::query_scalar(
                    "SELECT MIN(t) FROM (
                       SELECT published_at AS t FROM stories WHERE status = 'scheduled' AND published_at > $1
                       UNION ALL
                       SELECT published_at AS t FROM briefs WHERE status = 'scheduled' AND published_at > $1
                     ) due",
                )
                .bind(now)
                .fetch_one(pool)
                .await
            }

            const BRIEF_COLUMNS: &str = "id, slug, headline, body_md, body_html, link_url, image_id, status, published_at, created_at, updated_at";

            pub async fn brief_by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<Brief>> {
                let mut qb = QueryBuilder::<Db>::new(format!("SELECT {BRIEF_COLUMNS} FROM briefs WHERE slug = "));
                qb.push_bind(slug.to_string());
                qb.build_query_as().fetch_optional(pool).await
            }

            pub async fn brief_by_id(pool: &Pool<Db>, id: &str) -> StoreResult<Option<Brief>> {
                let mut qb = QueryBuilder::<Db>::new(format!("SELECT {BRIEF_COLUMNS} FROM briefs WHERE id = "));
                qb.push_bind(id.to_string());
                qb.build_query_as().fetch_optional(pool).await
            }

            pub async fn briefs(pool: &Pool<Db>, now: UnixTime, limit: i64, offset: i64) -> StoreResult<Vec<Brief>> {
                let mut qb = QueryBuilder::<Db>::new(format!(
                    "SELECT {BRIEF_COLUMNS} FROM briefs s WHERE {}",
                    public_story!()
                ));
                qb.push_bind(now);
                qb.push(" ORDER BY s.published_at DESC, s.id DESC LIMIT ");
                qb.push_bind(limit);
                qb.push(" OFFSET ");
                qb.push_bind(offset);
                qb.build_query_as().fetch_all(pool).await
            }

            pub async fn count_briefs(pool: &Pool<Db>, now: UnixTime) -> StoreResult<i64> {
                sqlx::query_scalar(concat!("SELECT COUNT(*) FROM briefs s WHERE ", public_story!(), "$1"))
                    .bind(now)
                    .fetch_one(pool)
                    .await
            }

            pub async fn save_brief(pool: &Pool<Db>, b: &Brief) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO briefs (id, slug, headline, body_md, body_html, link_url, image_id, status,
                       published_at, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, headline = excluded.headline,
                       body_md = excluded.body_md, body_html = excluded.body_html,
                       link_url = excluded.link_url, image_id = excluded.image_id,
                       status = excluded.status, published_at = excluded.published_at,
                       updated_at = excluded.updated_at",
                )
                .bind(b.id.clone())
                .bind(b.slug.clone())
                .bind(b.headline.clone())
                .bind(b.body_md.clone())
                .bind(b.body_html.clone())
                .bind(b.link_url.clone())
                .bind(b.image_id.clone())
                .bind(b.status.clone())
                .bind(b.published_at)
                .bind(b.created_at)
                .bind(b.updated_at)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn slug_taken(pool: &Pool<Db>, kind: &str, slug: &str, except_id: &str) -> StoreResult<bool> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT
                       (SELECT COUNT(*) FROM stories WHERE $1 = 'story' AND slug = $2 AND id <> $3)
                     + (SELECT COUNT(*) FROM briefs WHERE $1 = 'brief' AND slug = $2 AND id <> $3)
                     + (SELECT COUNT(*) FROM slug_redirects WHERE kind = $1 AND old_slug = $2 AND target_id <> $3)",
                )
                .bind(kind.to_string())
                .bind(slug.to_string())
                .bind(except_id.to_string())
                .fetch_one(pool)
                .await?;
                Ok(n > 0)
            }

            pub async fn add_redirect(pool: &Pool<Db>, kind: &str, old_slug: &str, target_id: &str) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO slug_redirects (kind, old_slug, target_id, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (kind, old_slug) DO UPDATE SET target_id = excluded.target_id",
                )
                .bind(kind.to_string())
                .bind(old_slug.to_string())
                .bind(target_id.to_string())
                .bind(crate::model::now())
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn redirect_target(pool: &Pool<Db>, kind: &str, old_slug: &str) -> StoreResult<Option<String>> {
                sqlx::query_scalar("SELECT target_id FROM slug_redirects WHERE kind = $1 AND old_slug = $2")
                    .bind(kind.to_string())
                    .bind(old_slug.to_string())
                    .fetch_optional(pool)
                    .await
            }

            pub async fn add_subscriber(pool: &Pool<Db>, email: &str) -> StoreResult<bool> {
                let inserted = sqlx::query(
                    "INSERT INTO subscribers (id, email, status, created_at) VALUES ($1, $2, 'subscribed', $3)
                     ON CONFLICT (email) DO NOTHING",
                )
                .bind(crate::model::new_id())
                .bind(email.to_string())
                .bind(crate::model::now())
                .execute(pool)
                .await?
                .rows_affected();
                Ok(inserted == 1)
            }

            pub async fn bump_content_version(pool: &Pool<Db>, now: UnixTime) -> StoreResult<()> {
                sqlx::query("UPDATE content_version SET version = version + 1, changed_at = $1 WHERE id = 1")
                    .bind(now)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn content_version(pool: &Pool<Db>) -> StoreResult<i64> {
                sqlx::query_scalar("SELECT version FROM content_version WHERE id = 1")
                    .fetch_one(pool)
                    .await
            }

            pub async fn subscriber_count(pool: &Pool<Db>) -> StoreResult<i64> {
                sqlx::query_scalar("SELECT COUNT(*) FROM subscribers").fetch_one(pool).await
            }
        }
    };
}

pub(crate) use {public_story, queries, story_columns};
