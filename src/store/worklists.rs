//! The desk's lists: stories and briefs in every state, filtered and
//! searched by headline, most recently changed first.

use crate::model::{Status, UnixTime};

use super::{Cursor, KeyedPage, PageKey, Store, StoreResult, read};

/// Which pieces a desk list shows. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct WorkFilter {
    pub status: Option<Status>,
    pub section_id: Option<String>,
    pub label: Option<String>,
    pub author_id: Option<String>,
    /// Words the headline contains (case-insensitive, taken literally).
    pub headline: Option<String>,
    /// Only pieces this person started or writes (a contributor's view).
    pub own: Option<Owner>,
}

/// Whose pieces: the account, and the author profile it writes as.
#[derive(Debug, Clone)]
pub struct Owner {
    pub user_id: String,
    pub author_id: Option<String>,
}

/// One line of a desk list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkItem {
    pub id: String,
    pub headline: String,
    pub status: Status,
    /// Empty for briefs.
    pub section_id: String,
    pub label: String,
    pub published_at: Option<UnixTime>,
    pub updated_at: UnixTime,
    /// Comma-separated author names, in byline order (stories).
    pub authors: Option<String>,
}

/// Text for a LIKE pattern, lowercased, its pattern characters (`%`, `_`
/// and the escape `\`) taken literally.
pub(super) fn like_literal(text: &str) -> String {
    let mut escaped = String::new();
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Words no headline is longer than: more cannot match, and are not read.
const MAX_WORDS: usize = 300;

/// `%words%` for LIKE, with the pattern characters taken literally.
pub(super) fn contains_pattern(words: &str) -> String {
    let words: String = words.trim().chars().take(MAX_WORDS).collect();
    format!("%{}%", like_literal(&words))
}

macro_rules! queries {
    () => {
        pub mod worklists {
            use sqlx::{Pool, QueryBuilder};

            use super::Db;
            use super::sql::push_keyset;
            use crate::store::PageKey;
            use crate::store::StoreResult;
            use crate::store::worklists::{WorkFilter, WorkItem, contains_pattern};

            pub async fn stories(pool: &Pool<Db>, f: &WorkFilter, key: &PageKey, size: i64) -> StoreResult<Vec<WorkItem>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT s.id, s.headline, s.status, s.section_id, s.label, s.published_at, s.updated_at,
                       (SELECT string_agg(a.name, ', ' ORDER BY sa.position) FROM story_authors sa
                          JOIN authors a ON a.id = sa.author_id WHERE sa.story_id = s.id) AS authors
                     FROM stories s WHERE 1 = 1",
                );
                if let Some(status) = f.status {
                    // With words to look for, the list is read newest change
                    // first (its index) until a page is found; an index on
                    // the status would have every such story sorted first.
                    // `|| ''` keeps SQLite's planner off it.
                    let column = if f.headline.is_some() { "(s.status || '')" } else { "s.status" };
                    qb.push(format!(" AND {column} = ")).push_bind(status);
                }
                if let Some(section) = &f.section_id {
                    qb.push(" AND s.section_id = ").push_bind(section.clone());
                }
                if let Some(label) = &f.label {
                    qb.push(" AND s.label = ").push_bind(label.clone());
                }
                if let Some(author) = &f.author_id {
                    qb.push(" AND EXISTS (SELECT 1 FROM story_authors sa WHERE sa.story_id = s.id AND sa.author_id = ")
                        .push_bind(author.clone())
                        .push(")");
                }
                if let Some(words) = &f.headline {
                    qb.push(" AND lower(s.headline) LIKE ")
                        .push_bind(contains_pattern(words))
                        .push(" ESCAPE '\\'");
                }
                if let Some(own) = &f.own {
                    qb.push(" AND (s.created_by = ").push_bind(own.user_id.clone());
                    if let Some(author) = &own.author_id {
                        qb.push(" OR EXISTS (SELECT 1 FROM story_authors sa WHERE sa.story_id = s.id AND sa.author_id = ")
                            .push_bind(author.clone())
                            .push(")");
                    }
                    qb.push(")");
                }
                push_keyset(&mut qb, "s.updated_at", "s.id", key, size);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            pub async fn briefs(pool: &Pool<Db>, f: &WorkFilter, key: &PageKey, size: i64) -> StoreResult<Vec<WorkItem>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT b.id, b.headline, b.status, '' AS section_id, '' AS label, b.published_at,
                       b.updated_at, NULL AS authors
                     FROM briefs b WHERE 1 = 1",
                );
                if let Some(status) = f.status {
                    qb.push(" AND b.status = ").push_bind(status);
                }
                if let Some(words) = &f.headline {
                    qb.push(" AND lower(b.headline) LIKE ")
                        .push_bind(contains_pattern(words))
                        .push(" ESCAPE '\\'");
                }
                if let Some(own) = &f.own {
                    qb.push(" AND b.created_by = ").push_bind(own.user_id.clone());
                }
                push_keyset(&mut qb, "b.updated_at", "b.id", key, size);
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// A page of stories of any status for the desk, newest change first.
    pub async fn work_stories(
        &self,
        filter: &WorkFilter,
        key: &PageKey,
        size: i64,
    ) -> StoreResult<KeyedPage<WorkItem>> {
        let rows = read!(self, worklists::stories(filter, key, size))?;
        Ok(KeyedPage::from_rows(rows, key, size, WorkItem::cursor))
    }

    /// A page of briefs of any status for the desk, newest change first.
    pub async fn work_briefs(
        &self,
        filter: &WorkFilter,
        key: &PageKey,
        size: i64,
    ) -> StoreResult<KeyedPage<WorkItem>> {
        let rows = read!(self, worklists::briefs(filter, key, size))?;
        Ok(KeyedPage::from_rows(rows, key, size, WorkItem::cursor))
    }
}

impl WorkItem {
    /// The line as the key of the page beside it.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.updated_at,
            id: self.id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_words_are_taken_literally() {
        assert_eq!(super::contains_pattern(" 50% Off_x "), "%50\\% off\\_x%");
    }
}
