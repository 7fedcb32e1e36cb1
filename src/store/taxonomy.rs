//! Sections, tags and authors: the names stories are filed under.

use crate::model::{Author, Section, Tag};

use super::{ContentChange, Store, StoreResult, read, write};

macro_rules! queries {
    () => {
        pub mod taxonomy {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::model::{Author, Section, Tag};
            use crate::store::StoreResult;

            pub async fn sections(pool: &Pool<Db>) -> StoreResult<Vec<Section>> {
                Ok(sqlx::query_as(
                    "SELECT id, slug, name, description, position FROM sections ORDER BY position, name",
                )
                .fetch_all(pool)
                .await?)
            }

            pub async fn upsert_section(conn: &mut Conn, s: &Section) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sections (id, slug, name, description, position) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
                       description = excluded.description, position = excluded.position",
                )
                .bind(&s.id)
                .bind(&s.slug)
                .bind(&s.name)
                .bind(&s.description)
                .bind(s.position)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            pub async fn authors(pool: &Pool<Db>) -> StoreResult<Vec<Author>> {
                Ok(sqlx::query_as(
                    "SELECT id, slug, name, bio, role_line, photo_id, links FROM authors ORDER BY name",
                )
                .fetch_all(pool)
                .await?)
            }

            pub async fn tags(pool: &Pool<Db>) -> StoreResult<Vec<Tag>> {
                Ok(sqlx::query_as("SELECT id, slug, name, description FROM tags ORDER BY name")
                    .fetch_all(pool)
                    .await?)
            }

            /// Tags whose name holds `words`, by name; the first `limit`.
            pub async fn tags_matching(pool: &Pool<Db>, words: &str, limit: i64) -> StoreResult<Vec<Tag>> {
                let mut qb = sqlx::QueryBuilder::<Db>::new(
                    "SELECT id, slug, name, description FROM tags WHERE lower(name) LIKE ",
                );
                qb.push_bind(crate::store::worklists::contains_pattern(words))
                    .push(" ESCAPE '\\' ORDER BY name");
                super::sql::push_limit(&mut qb, limit, 0);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn tags_by_ids(pool: &Pool<Db>, ids: &[String]) -> StoreResult<Vec<Tag>> {
                let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT id, slug, name, description FROM tags WHERE id IN ");
                super::sql::push_id_list(&mut qb, ids);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn tag_by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<Tag>> {
                Ok(sqlx::query_as("SELECT id, slug, name, description FROM tags WHERE slug = $1")
                    .bind(slug)
                    .fetch_optional(pool)
                    .await?)
            }

            pub async fn upsert_tag(conn: &mut Conn, t: &Tag) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO tags (id, slug, name, description) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
                       description = excluded.description",
                )
                .bind(&t.id)
                .bind(&t.slug)
                .bind(&t.name)
                .bind(&t.description)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// Stories per section and per tag (any status): what deleting would touch.
            pub async fn usage(pool: &Pool<Db>) -> StoreResult<Vec<(String, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT section_id, COUNT(*) FROM stories GROUP BY section_id
                     UNION ALL
                     SELECT tag_id, COUNT(*) FROM story_tags GROUP BY tag_id",
                )
                .fetch_all(pool)
                .await?)
            }

            pub async fn delete_section(conn: &mut Conn, id: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sections WHERE id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            /// Removes a tag from every story, then the tag.
            pub async fn delete_tag(conn: &mut Conn, id: &str) -> StoreResult<()> {
                for sql in ["DELETE FROM story_tags WHERE tag_id = $1", "DELETE FROM tags WHERE id = $1"] {
                    sqlx::query(sql).bind(id).execute(&mut *conn).await?;
                }
                Ok(())
            }

            pub async fn author_by_slug(pool: &Pool<Db>, slug: &str) -> StoreResult<Option<Author>> {
                Ok(sqlx::query_as(
                    "SELECT id, slug, name, bio, role_line, photo_id, links FROM authors WHERE slug = $1",
                )
                .bind(slug)
                .fetch_optional(pool)
                .await?)
            }

            pub async fn upsert_author(conn: &mut Conn, a: &Author) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO authors (id, slug, name, bio, role_line, photo_id, links)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,
                       bio = excluded.bio, role_line = excluded.role_line,
                       photo_id = excluded.photo_id, links = excluded.links",
                )
                .bind(&a.id)
                .bind(&a.slug)
                .bind(&a.name)
                .bind(&a.bio)
                .bind(&a.role_line)
                .bind(&a.photo_id)
                .bind(&a.links)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// Sections in navigation order.
    /// Tags whose name holds `words` (a picker's answer), at most `limit`.
    pub async fn tags_matching(&self, words: &str, limit: i64) -> StoreResult<Vec<Tag>> {
        read!(self, taxonomy::tags_matching(words, limit))
    }

    pub async fn sections(&self) -> StoreResult<Vec<Section>> {
        read!(self, taxonomy::sections())
    }

    pub async fn save_section(&self, section: &Section) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let topic = super::search::Topic::Section(&section.id);
            db::search::names_changed(conn, topic, Some(&section.name), now).await?;
            db::taxonomy::upsert_section(conn, section).await?;
            ((), ContentChange::Taxonomy)
        })
    }

    /// Every author (a newsroom's staff and contributors: hundreds at most).
    pub async fn authors(&self) -> StoreResult<Vec<Author>> {
        read!(self, taxonomy::authors())
    }

    /// Every tag, by name (the editor offers them as suggestions).
    pub async fn tags(&self) -> StoreResult<Vec<Tag>> {
        read!(self, taxonomy::tags())
    }

    pub async fn tags_by_ids(&self, ids: &[String]) -> StoreResult<Vec<Tag>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        read!(self, taxonomy::tags_by_ids(ids))
    }

    pub async fn tag_by_slug(&self, slug: &str) -> StoreResult<Option<Tag>> {
        read!(self, taxonomy::tag_by_slug(slug))
    }

    pub async fn save_tag(&self, tag: &Tag) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let topic = super::search::Topic::Tag(&tag.id);
            db::search::names_changed(conn, topic, Some(&tag.name), now).await?;
            db::taxonomy::upsert_tag(conn, tag).await?;
            ((), ContentChange::Taxonomy)
        })
    }

    /// How many stories each section and tag has (by id; absent: none).
    pub async fn taxonomy_usage(&self) -> StoreResult<std::collections::HashMap<String, i64>> {
        Ok(read!(self, taxonomy::usage())?.into_iter().collect())
    }

    /// Deletes a section (the caller makes sure no story is in it).
    pub async fn delete_section(&self, id: &str) -> StoreResult<()> {
        write!(self, |conn, db| {
            db::taxonomy::delete_section(conn, id).await?;
            ((), ContentChange::Taxonomy)
        })
    }

    /// Deletes a tag, taking it off every story.
    pub async fn delete_tag(&self, id: &str) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            db::search::names_changed(conn, super::search::Topic::Tag(id), None, now).await?;
            db::taxonomy::delete_tag(conn, id).await?;
            ((), ContentChange::Taxonomy)
        })
    }

    pub async fn author_by_slug(&self, slug: &str) -> StoreResult<Option<Author>> {
        read!(self, taxonomy::author_by_slug(slug))
    }

    pub async fn save_author(&self, author: &Author) -> StoreResult<()> {
        let now = self.clock.now();
        write!(self, |conn, db| {
            let topic = super::search::Topic::Author(&author.id);
            db::search::names_changed(conn, topic, Some(&author.name), now).await?;
            db::taxonomy::upsert_author(conn, author).await?;
            ((), ContentChange::Taxonomy)
        })
    }
}
