//! Pages of content for the JSON APIs: posts (stories, and briefs when
//! asked for), pages, tags (sections and tags) and authors, chosen by a
//! Ghost filter (`model::nql`) turned into bound SQL, in the order asked
//! for, with the total.
//!
//! Which filter fields exist and what column each reads is written once
//! here for both engines; no value of a client's reaches the SQL text.

use crate::model::UnixTime;
use crate::model::nql::{Condition, Filter, Op, Value};

use super::{Store, StoreError, read};

/// What is browsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Stories.
    Posts,
    /// Stories and briefs: what a filter naming the internal tag `#brief`
    /// (`BRIEF_TAG_SLUG`) reads, briefs being the posts that carry it.
    /// Posts alone leave briefs out, so a front-end's list of articles is
    /// not filled with one-paragraph news items it never asked for.
    PostsWithBriefs,
    Pages,
    /// Sections first (each story's primary tag), then tags.
    Tags,
    Authors,
}

/// One browse: which rows, in which order, which page of them.
#[derive(Debug, Clone)]
pub struct Browse {
    pub resource: Resource,
    pub filter: Option<Filter>,
    /// Empty: the resource's own order.
    pub order: Vec<Order>,
    /// None: every row.
    pub limit: Option<i64>,
    pub offset: i64,
    /// Whose view: readers (the Content API), or staff (the Admin API).
    pub audience: Audience,
    /// The total, when this browse's filter was counted before in the same
    /// generation of the content: not counted again.
    pub known_total: Option<i64>,
}

/// Who a browse is for, and so what it may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Readers: what is public (posts and pages out, tags and authors only
    /// once a public story names them).
    Readers,
    /// Staff who may open every piece (editors, owners).
    Everything,
    /// Staff who may open what is public and their own pieces: posts they
    /// started or write (`author_id`), whatever their status.
    Own {
        user_id: String,
        author_id: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub field: String,
    pub descending: bool,
}

/// The ids of one page, in order, and how many rows match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowsePage {
    pub ids: Vec<String>,
    pub total: i64,
}

/// Why a browse could not be asked.
#[derive(Debug)]
pub enum BrowseError {
    /// The filter or the order names a field that does not exist here.
    UnknownField {
        field: String,
        known: String,
    },
    /// A value that does not suit its field (a date that is not one).
    BadValue {
        field: String,
        message: String,
    },
    Store(StoreError),
}

impl std::fmt::Display for BrowseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BrowseError::UnknownField { field, known } => {
                write!(
                    f,
                    "There is no field {field:?} to filter or order by here; use one of: {known}."
                )
            }
            BrowseError::BadValue { field, message } => write!(f, "{field}: {message}"),
            BrowseError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl From<StoreError> for BrowseError {
    fn from(e: StoreError) -> Self {
        BrowseError::Store(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    /// An id: written with or without a UUID's hyphens, in any case.
    Id,
    Time,
    Bool,
}

/// What a filter field reads.
pub(super) enum Column {
    /// One SQL expression over the row `s`.
    Plain(&'static str, Kind),
    /// Rows related to `s` (its tags, its authors): the condition holds
    /// when any of them matches. Each part is the start of an `EXISTS (…`
    /// subquery ending in `AND `, and the column compared.
    AnyOf(&'static [(&'static str, &'static str)]),
}

const TAGS_OF_STORY: (&str, &str) = (
    "EXISTS (SELECT 1 FROM story_tags st JOIN tags t ON t.id = st.tag_id WHERE st.story_id = s.id AND ",
    "t.",
);
const SECTION_OF_STORY: (&str, &str) = (
    "EXISTS (SELECT 1 FROM sections sec WHERE sec.id = s.section_id AND ",
    "sec.",
);
/// Briefs are the posts that carry the internal tag `#brief`, a tag of
/// no table: the row `t` exists for briefs only.
pub const BRIEF_TAG_SLUG: &str = "hash-brief";
pub const BRIEF_TAG_NAME: &str = "#brief";
const BRIEF_TAG: &str = "EXISTS (SELECT 1 FROM (SELECT 'hash-brief' AS slug, '#brief' AS name) t WHERE s.is_brief = 1 AND ";

/// Whether a filter names the `#brief` tag (and so reads briefs too).
pub fn names_brief_tag(filter: &Filter) -> bool {
    match filter {
        Filter::All(parts) | Filter::Any(parts) => parts.iter().any(names_brief_tag),
        Filter::Condition(c) => {
            let field = c.field.strip_prefix("masthead.").unwrap_or(&c.field);
            let wanted = match field {
                "tag" | "tags" | "tags.slug" => BRIEF_TAG_SLUG,
                "tags.name" => BRIEF_TAG_NAME,
                _ => return false,
            };
            // As the SQL compares: exactly.
            let is_it = |v: &Value| matches!(v, Value::Text(t) if t == wanted);
            match &c.value {
                Value::List(values) => values.iter().any(is_it),
                value => is_it(value),
            }
        }
    }
}

const AUTHORS_OF_STORY: &str = "EXISTS (SELECT 1 FROM story_authors sa JOIN authors a ON a.id = sa.author_id WHERE sa.story_id = s.id AND ";
const FIRST_AUTHOR_OF_STORY: &str = "EXISTS (SELECT 1 FROM story_authors sa JOIN authors a ON a.id = sa.author_id WHERE sa.story_id = s.id AND sa.position = 0 AND ";

/// `(subquery, column)` pairs, as `Column::AnyOf` takes them, for each
/// attribute of a story's tags and authors.
macro_rules! related {
    ($(($prefix:expr, $column:literal)),+) => {
        Column::AnyOf(&[$(($prefix, $column)),+])
    };
}

impl Resource {
    /// `FROM …` of the resource, its row named `s`.
    pub(super) fn table_clause(self) -> &'static str {
        match self {
            Resource::Posts => " FROM stories s",
            Resource::PostsWithBriefs => {
                " FROM (SELECT id, slug, headline, status, featured, label, section_id, published_at,
                               created_at, updated_at, created_by, 0 AS is_brief FROM stories
                        UNION ALL SELECT id, slug, headline, status, FALSE, '', NULL, published_at,
                               created_at, updated_at, created_by, 1 FROM briefs) s"
            }
            Resource::Pages => " FROM pages s",
            Resource::Tags => {
                " FROM (SELECT id, slug, name, description, 0 AS kind FROM sections
                        UNION ALL SELECT id, slug, name, description, 1 AS kind FROM tags) s"
            }
            Resource::Authors => " FROM authors s",
        }
    }

    /// The condition on what readers may see: the text before `$now`, and
    /// (when it names the time) the text after it.
    pub(super) fn public_clause(self) -> (&'static str, Option<&'static str>) {
        match self {
            Resource::Posts | Resource::PostsWithBriefs => (
                "(s.status IN ('published', 'scheduled') AND s.published_at IS NOT NULL AND s.published_at <= ",
                Some(")"),
            ),
            Resource::Pages => ("s.status = 'published'", None),
            // Ghost's internal tags (#name) are the newsroom's own; a tag is
            // public once a public story carries it (a draft's new tag can
            // name an embargoed topic); sections always are.
            Resource::Tags => (
                "(s.name NOT LIKE '#%' AND (s.kind = 0 OR EXISTS (SELECT 1 FROM story_tags st WHERE st.tag_id = s.id AND st.public_from <= ",
                Some(")))"),
            ),
            // Someone is a public author once a public story names them.
            Resource::Authors => (
                "EXISTS (SELECT 1 FROM story_authors sa WHERE sa.author_id = s.id AND sa.public_from <= ",
                Some(")"),
            ),
        }
    }

    pub(super) fn column(self, field: &str) -> Option<Column> {
        use Kind::*;
        let field = field.strip_prefix("masthead.").unwrap_or(field);
        if self == Resource::PostsWithBriefs {
            return match field {
                "tag" | "tags" | "tags.slug" => Some(related!(
                    (TAGS_OF_STORY.0, "t.slug"),
                    (SECTION_OF_STORY.0, "sec.slug"),
                    (BRIEF_TAG, "t.slug")
                )),
                "tags.name" => Some(related!(
                    (TAGS_OF_STORY.0, "t.name"),
                    (SECTION_OF_STORY.0, "sec.name"),
                    (BRIEF_TAG, "t.name")
                )),
                _ => Resource::Posts.column(field),
            };
        }
        Some(match (self, field) {
            (_, "id") => Column::Plain("s.id", Id),
            (Resource::Posts | Resource::Pages, "uuid") => Column::Plain("s.id", Id),
            (_, "slug") => Column::Plain("s.slug", Text),
            (Resource::Tags | Resource::Authors, "name") => Column::Plain("s.name", Text),
            (Resource::Tags, "description") => Column::Plain("s.description", Text),
            (Resource::Tags, "visibility") => Column::Plain(
                "CASE WHEN s.name LIKE '#%' THEN 'internal' ELSE 'public' END",
                Text,
            ),
            (Resource::Tags, "kind") => {
                Column::Plain("CASE s.kind WHEN 0 THEN 'section' ELSE 'tag' END", Text)
            }
            (Resource::Posts, "title") => Column::Plain("s.headline", Text),
            (Resource::Pages, "title") => Column::Plain("s.title", Text),
            (Resource::Posts, "featured") => Column::Plain("s.featured", Bool),
            (Resource::Pages, "featured") => Column::Plain("FALSE", Bool),
            (Resource::Posts | Resource::Pages, "visibility") => Column::Plain("'public'", Text),
            (Resource::Posts, "status") => Column::Plain(
                "CASE s.status WHEN 'published' THEN 'published' WHEN 'scheduled' THEN 'scheduled' ELSE 'draft' END",
                Text,
            ),
            (Resource::Pages, "status") => Column::Plain(
                "CASE s.status WHEN 'published' THEN 'published' ELSE 'draft' END",
                Text,
            ),
            (Resource::Posts, "published_at") => Column::Plain("s.published_at", Time),
            // Pages are not scheduled: they are public from when they were made.
            (Resource::Pages, "published_at") => Column::Plain("s.created_at", Time),
            (Resource::Posts | Resource::Pages, "created_at") => {
                Column::Plain("s.created_at", Time)
            }
            (Resource::Posts | Resource::Pages, "updated_at") => {
                Column::Plain("s.updated_at", Time)
            }
            (Resource::Posts, "label") => Column::Plain("s.label", Text),
            (Resource::Posts, "tag" | "tags" | "tags.slug") => {
                related!(
                    (TAGS_OF_STORY.0, "t.slug"),
                    (SECTION_OF_STORY.0, "sec.slug")
                )
            }
            (Resource::Posts, "tags.name") => {
                related!(
                    (TAGS_OF_STORY.0, "t.name"),
                    (SECTION_OF_STORY.0, "sec.name")
                )
            }
            (Resource::Posts, "tags.id") => {
                related!((TAGS_OF_STORY.0, "t.id"), (SECTION_OF_STORY.0, "sec.id"))
            }
            (Resource::Posts, "primary_tag" | "primary_tag.slug" | "section" | "section.slug") => {
                related!((SECTION_OF_STORY.0, "sec.slug"))
            }
            (Resource::Posts, "primary_tag.id" | "section.id") => {
                related!((SECTION_OF_STORY.0, "sec.id"))
            }
            (Resource::Posts, "author" | "authors" | "authors.slug") => {
                related!((AUTHORS_OF_STORY, "a.slug"))
            }
            (Resource::Posts, "authors.name") => related!((AUTHORS_OF_STORY, "a.name")),
            (Resource::Posts, "authors.id") => related!((AUTHORS_OF_STORY, "a.id")),
            (Resource::Posts, "primary_author" | "primary_author.slug") => {
                related!((FIRST_AUTHOR_OF_STORY, "a.slug"))
            }
            (Resource::Posts, "primary_author.id") => related!((FIRST_AUTHOR_OF_STORY, "a.id")),
            _ => return None,
        })
    }

    /// Fields a filter may name, for the error that names one that is not.
    pub(super) fn filter_fields(self) -> &'static str {
        match self {
            Resource::Posts | Resource::PostsWithBriefs => {
                "id, uuid, slug, title, status, featured, visibility, published_at, created_at, updated_at, \
                 label, tag (tags, tags.slug, tags.name, tags.id), primary_tag, author (authors, authors.slug, \
                 authors.name, authors.id), primary_author"
            }
            Resource::Pages => {
                "id, uuid, slug, title, status, featured, visibility, published_at, created_at, updated_at"
            }
            Resource::Tags => "id, slug, name, description, visibility, kind",
            Resource::Authors => "id, slug, name",
        }
    }

    /// The SQL a client's `order` field sorts by (`now` written into the
    /// count of public stories, an integer).
    pub(super) fn order_column(self, field: &str, now: UnixTime) -> Option<String> {
        if self == Resource::PostsWithBriefs {
            return Resource::Posts.order_column(field, now);
        }
        Some(match (self, field) {
            (_, "id") => "s.id".into(),
            (_, "slug") => "s.slug".into(),
            (Resource::Tags | Resource::Authors, "name") => "s.name".into(),
            (Resource::Posts, "title") => "s.headline".into(),
            (Resource::Pages, "title") => "s.title".into(),
            (Resource::Posts, "published_at") => "s.published_at".into(),
            (Resource::Pages, "published_at") => "s.created_at".into(),
            (Resource::Posts | Resource::Pages, "created_at") => "s.created_at".into(),
            (Resource::Posts | Resource::Pages, "updated_at") => "s.updated_at".into(),
            (Resource::Posts, "featured") => "s.featured".into(),
            // "Popular tags": how many public stories each carries (a
            // section counts the stories filed under it).
            (Resource::Tags, "count.posts") => format!(
                "(CASE WHEN s.kind = 0 THEN (SELECT COUNT(*) FROM stories x WHERE x.section_id = s.id \
                 AND x.status IN ('published', 'scheduled') AND x.published_at <= {now}) \
                 ELSE (SELECT COUNT(*) FROM story_tags st WHERE st.tag_id = s.id AND st.public_from <= {now}) END)"
            ),
            (Resource::Authors, "count.posts") => format!(
                "(SELECT COUNT(*) FROM story_authors sa WHERE sa.author_id = s.id AND sa.public_from <= {now})"
            ),
            _ => return None,
        })
    }

    pub(super) fn order_fields(self) -> &'static str {
        match self {
            Resource::Posts | Resource::PostsWithBriefs => {
                "id, slug, title, published_at, created_at, updated_at, featured"
            }
            Resource::Pages => "id, slug, title, published_at, created_at, updated_at",
            Resource::Tags | Resource::Authors => "id, slug, name, count.posts",
        }
    }

    /// The order when the client names none (ties always broken by id):
    /// Ghost's (posts newest first, pages by title, tags and authors by name).
    pub(super) fn default_order(self) -> &'static str {
        match self {
            Resource::Posts | Resource::PostsWithBriefs => "s.published_at DESC",
            Resource::Pages => "s.title ASC",
            Resource::Tags => "s.name ASC",
            Resource::Authors => "s.name ASC",
        }
    }
}

/// A value ready to bind.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Bound {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// A filter value as its column's kind reads it.
pub(super) fn bound(
    field: &str,
    kind: Kind,
    value: &Value,
    now: UnixTime,
) -> Result<Bound, BrowseError> {
    let bad = |message: &str| BrowseError::BadValue {
        field: field.to_string(),
        message: message.to_string(),
    };
    Ok(match (kind, value) {
        (Kind::Time, Value::Relative(delta)) => Bound::Int(now + delta),
        (Kind::Time, Value::Number(n)) => Bound::Int(*n),
        (Kind::Time, Value::Text(text)) => Bound::Int(parse_time(text).ok_or_else(|| {
            bad("takes a date such as '2025-01-31' or '2025-01-31 18:00:00' (UTC), or now-30d")
        })?),
        (Kind::Time, _) => return Err(bad("takes a date such as '2025-01-31', or now-30d")),
        (Kind::Bool, Value::Bool(b)) => Bound::Bool(*b),
        (Kind::Bool, Value::Text(t)) if t == "true" || t == "false" => Bound::Bool(t == "true"),
        (Kind::Bool, _) => return Err(bad("is true or false")),
        (Kind::Id, Value::Text(t)) => Bound::Text(t.replace('-', "").to_ascii_lowercase()),
        (Kind::Id | Kind::Text, Value::Number(n)) => Bound::Text(n.to_string()),
        (Kind::Text, Value::Text(t)) => Bound::Text(t.clone()),
        (Kind::Text | Kind::Id, Value::Bool(b)) => Bound::Text(b.to_string()),
        (Kind::Text | Kind::Id, Value::Relative(_)) => return Err(bad("is not a date")),
        (_, Value::Null | Value::List(_)) => return Err(bad("takes a single value here")),
    })
}

/// `2025-01-31`, `2025-01-31 18:00:00`, `2025-01-31T18:00:00` (UTC) or an
/// RFC 3339 time with its offset.
pub(super) fn parse_time(text: &str) -> Option<UnixTime> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    if let Ok(dt) = text.replace(' ', "T").parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_second());
    }
    let date = text.parse::<jiff::civil::Date>().ok()?;
    date.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

/// A time as clients send it (see `parse_time`), for the API's writes.
pub fn parse_time_text(text: &str) -> Option<UnixTime> {
    parse_time(text)
}

/// `%text%`-style LIKE patterns for `~`, `~^` and `~$`, lowercased.
pub(super) fn like_pattern(op: Op, text: &str) -> String {
    let escaped = super::worklists::like_literal(text);
    match op {
        Op::StartsWith => format!("{escaped}%"),
        Op::EndsWith => format!("%{escaped}"),
        _ => format!("%{escaped}%"),
    }
}

/// Checks every field of a filter before any SQL is written.
pub(super) fn check_fields(resource: Resource, filter: &Filter) -> Result<(), BrowseError> {
    match filter {
        Filter::All(parts) | Filter::Any(parts) => {
            parts.iter().try_for_each(|p| check_fields(resource, p))
        }
        Filter::Condition(Condition { field, .. }) => match resource.column(field) {
            Some(_) => Ok(()),
            None => Err(BrowseError::UnknownField {
                field: field.clone(),
                known: resource.filter_fields().to_string(),
            }),
        },
    }
}

macro_rules! queries {
    () => {
        pub mod browse {
            use sqlx::{Pool, QueryBuilder};

            use super::Db;
            use crate::model::UnixTime;
            use crate::model::nql::{Condition, Filter, Op, Value};
            use crate::store::browse::{
                Audience, Bound, Browse, BrowseError, BrowsePage, Column, Kind, Resource, bound,
                check_fields, like_pattern,
            };

            fn push_bound(qb: &mut QueryBuilder<Db>, value: Bound) {
                match value {
                    Bound::Text(t) => qb.push_bind(t),
                    Bound::Int(n) => qb.push_bind(n),
                    Bound::Bool(b) => qb.push_bind(b),
                };
            }

            /// `column op value` for one column (negation is the caller's).
            fn push_comparison(
                qb: &mut QueryBuilder<Db>,
                column: &str,
                kind: Kind,
                c: &Condition,
                now: UnixTime,
            ) -> Result<(), BrowseError> {
                match (&c.op, &c.value) {
                    (Op::Eq, Value::Null) => {
                        qb.push(column).push(" IS NULL");
                    }
                    (Op::In, Value::List(values)) => {
                        if values.is_empty() {
                            qb.push("1 = 0");
                            return Ok(());
                        }
                        qb.push(column).push(" IN (");
                        for (i, v) in values.iter().enumerate() {
                            if i > 0 {
                                qb.push(", ");
                            }
                            push_bound(qb, bound(&c.field, kind, v, now)?);
                        }
                        qb.push(")");
                    }
                    (Op::Contains | Op::StartsWith | Op::EndsWith, Value::Text(text)) => {
                        if kind != Kind::Text {
                            return Err(BrowseError::BadValue {
                                field: c.field.clone(),
                                message: "cannot be searched with ~".into(),
                            });
                        }
                        qb.push("lower(")
                            .push(column)
                            .push(") LIKE ")
                            .push_bind(like_pattern(c.op, text))
                            .push(" ESCAPE '\\'");
                    }
                    (Op::Contains | Op::StartsWith | Op::EndsWith, _) => {
                        return Err(BrowseError::BadValue {
                            field: c.field.clone(),
                            message: "~ takes text, such as ~'harbour'".into(),
                        });
                    }
                    (op, value) => {
                        let sign = match op {
                            Op::Gt => " > ",
                            Op::Gte => " >= ",
                            Op::Lt => " < ",
                            Op::Lte => " <= ",
                            _ => " = ",
                        };
                        let value = bound(&c.field, kind, value, now)?;
                        qb.push(column).push(sign);
                        push_bound(qb, value);
                    }
                }
                Ok(())
            }

            fn push_condition(
                qb: &mut QueryBuilder<Db>,
                resource: Resource,
                c: &Condition,
                now: UnixTime,
            ) -> Result<(), BrowseError> {
                let Some(column) = resource.column(&c.field) else {
                    return Err(BrowseError::UnknownField {
                        field: c.field.clone(),
                        known: resource.filter_fields().into(),
                    });
                };
                qb.push(if c.negated { "NOT (" } else { "(" });
                match column {
                    Column::Plain(sql, kind) => push_comparison(qb, sql, kind, c, now)?,
                    Column::AnyOf(parts) => {
                        for (i, (exists, column)) in parts.iter().enumerate() {
                            if i > 0 {
                                qb.push(" OR ");
                            }
                            qb.push(*exists);
                            push_comparison(qb, column, Kind::Text, c, now)?;
                            qb.push(")");
                        }
                    }
                }
                qb.push(")");
                Ok(())
            }

            fn push_filter(
                qb: &mut QueryBuilder<Db>,
                resource: Resource,
                filter: &Filter,
                now: UnixTime,
            ) -> Result<(), BrowseError> {
                match filter {
                    Filter::Condition(c) => push_condition(qb, resource, c, now),
                    Filter::All(parts) | Filter::Any(parts) => {
                        let joiner = if matches!(filter, Filter::All(_)) { " AND " } else { " OR " };
                        qb.push("(");
                        for (i, part) in parts.iter().enumerate() {
                            if i > 0 {
                                qb.push(joiner);
                            }
                            push_filter(qb, resource, part, now)?;
                        }
                        qb.push(")");
                        Ok(())
                    }
                }
            }

            fn push_where(qb: &mut QueryBuilder<Db>, b: &Browse, now: UnixTime) -> Result<(), BrowseError> {
                qb.push(b.resource.table_clause());
                qb.push(" WHERE ");
                let public = |qb: &mut QueryBuilder<Db>| {
                    let (before, after) = b.resource.public_clause();
                    qb.push(before);
                    if let Some(after) = after {
                        qb.push_bind(now).push(after);
                    }
                };
                match (&b.audience, b.resource) {
                    (Audience::Readers, _) | (Audience::Own { .. }, Resource::Pages) => public(qb),
                    (Audience::Own { user_id, author_id }, Resource::Posts | Resource::PostsWithBriefs) => {
                        qb.push("(");
                        public(qb);
                        qb.push(" OR s.created_by = ").push_bind(user_id.clone());
                        if let Some(author_id) = author_id {
                            qb.push(" OR EXISTS (SELECT 1 FROM story_authors sa WHERE sa.story_id = s.id AND sa.author_id = ")
                                .push_bind(author_id.clone())
                                .push(")");
                        }
                        qb.push(")");
                    }
                    _ => {
                        qb.push("1 = 1");
                    }
                }
                if let Some(filter) = &b.filter {
                    qb.push(" AND ");
                    push_filter(qb, b.resource, filter, now)?;
                }
                Ok(())
            }

            pub async fn page(pool: &Pool<Db>, b: &Browse, now: UnixTime) -> Result<BrowsePage, BrowseError> {
                if let Some(filter) = &b.filter {
                    check_fields(b.resource, filter)?;
                }
                let mut order = Vec::new();
                for o in &b.order {
                    let Some(column) = b.resource.order_column(&o.field, now) else {
                        return Err(BrowseError::UnknownField {
                            field: o.field.clone(),
                            known: b.resource.order_fields().into(),
                        });
                    };
                    order.push(format!("{column} {}", if o.descending { "DESC" } else { "ASC" }));
                }
                if order.is_empty() {
                    order.push(b.resource.default_order().to_string());
                }
                // Ties are broken by id in the first key's direction, so
                // the default order is one walk of an index backwards.
                let tie = if order[0].ends_with("DESC") { ", s.id DESC" } else { ", s.id ASC" };
                let mut qb = QueryBuilder::<Db>::new("SELECT s.id");
                push_where(&mut qb, b, now)?;
                qb.push(" ORDER BY ").push(order.join(", ")).push(tie);
                let limit = b.limit.unwrap_or(i64::MAX);
                super::sql::push_limit(&mut qb, limit, b.offset);
                let ids: Vec<String> = qb
                    .build_query_scalar()
                    .fetch_all(pool)
                    .await
                    .map_err(crate::store::StoreError::from)?;
                // A page that is not full tells the total; otherwise count
                // (apart: a window count would read and sort every match).
                let shown = ids.len() as i64;
                let total = if let Some(total) = b.known_total {
                    total
                } else if shown > 0 && shown < limit {
                    b.offset + shown
                } else if shown == 0 && b.offset == 0 {
                    0
                } else {
                    let mut qb = QueryBuilder::<Db>::new("SELECT COUNT(*)");
                    push_where(&mut qb, b, now)?;
                    qb.build_query_scalar()
                        .fetch_one(pool)
                        .await
                        .map_err(crate::store::StoreError::from)?
                };
                Ok(BrowsePage { ids, total })
            }

            /// How many public stories each of these sections, tags or
            /// authors has (absent: none).
            pub async fn post_counts(
                pool: &Pool<Db>,
                resource: Resource,
                ids: &[String],
                now: UnixTime,
            ) -> crate::store::StoreResult<Vec<(String, i64)>> {
                if ids.is_empty() {
                    return Ok(vec![]);
                }
                let mut qb = QueryBuilder::<Db>::new("");
                match resource {
                    Resource::Authors => {
                        qb.push("SELECT author_id, COUNT(*) FROM story_authors WHERE public_from <= ")
                            .push_bind(now)
                            .push(" AND author_id IN ");
                        super::sql::push_id_list(&mut qb, ids);
                        qb.push(" GROUP BY author_id");
                    }
                    _ => {
                        qb.push("SELECT tag_id, COUNT(*) FROM story_tags WHERE public_from <= ")
                            .push_bind(now)
                            .push(" AND tag_id IN ");
                        super::sql::push_id_list(&mut qb, ids);
                        qb.push(" GROUP BY tag_id UNION ALL SELECT section_id, COUNT(*) FROM stories s WHERE ")
                            .push("s.status IN ('published', 'scheduled') AND s.published_at <= ")
                            .push_bind(now)
                            .push(" AND section_id IN ");
                        super::sql::push_id_list(&mut qb, ids);
                        qb.push(" GROUP BY section_id");
                    }
                }
                Ok(qb.build_query_as().fetch_all(pool).await?)
            }

            /// The authors with a public story: one index probe each
            /// (counting their stories read every row of the prolific ones).
            pub async fn authors_with_public_stories(
                pool: &Pool<Db>,
                now: UnixTime,
            ) -> crate::store::StoreResult<Vec<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT a.id FROM authors a WHERE EXISTS (
                       SELECT 1 FROM story_authors sa WHERE sa.author_id = a.id AND sa.public_from <= $1)",
                )
                .bind(now)
                .fetch_all(pool)
                .await?)
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// One page of a resource for the APIs.
    pub async fn browse(&self, browse: &Browse) -> Result<BrowsePage, BrowseError> {
        let now = self.clock.now();
        match &self.backend {
            super::Backend::Sqlite(pool) => super::sqlite::browse::page(pool, browse, now).await,
            super::Backend::Postgres(pool) => {
                super::postgres::browse::page(pool, browse, now).await
            }
        }
    }

    /// Public stories per section, tag or author (`count.posts`).
    pub async fn public_post_counts(
        &self,
        resource: Resource,
        ids: &[String],
    ) -> super::StoreResult<std::collections::HashMap<String, i64>> {
        let now = self.clock.now();
        let rows = read!(self, browse::post_counts(resource, ids, now))?;
        Ok(rows.into_iter().collect())
    }

    /// The authors with at least one public story.
    pub async fn authors_with_public_stories(
        &self,
    ) -> super::StoreResult<std::collections::HashSet<String>> {
        let now = self.clock.now();
        let rows = read!(self, browse::authors_with_public_stories(now))?;
        Ok(rows.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_every_form_clients_send() {
        assert_eq!(parse_time("2025-01-01"), Some(1_735_689_600));
        assert_eq!(parse_time("2025-01-01 00:00:10"), Some(1_735_689_610));
        assert_eq!(parse_time("2025-01-01T00:00:10.000Z"), Some(1_735_689_610));
        assert_eq!(parse_time("2025-01-01T01:00:10+01:00"), Some(1_735_689_610));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("2025-13-01"), None);
    }

    #[test]
    fn values_suit_their_fields() {
        let now = 1_000_000;
        assert_eq!(
            bound("published_at", Kind::Time, &Value::Relative(-60), now).unwrap(),
            Bound::Int(now - 60)
        );
        assert!(bound("published_at", Kind::Time, &Value::Text("soon".into()), now).is_err());
        assert!(bound("featured", Kind::Bool, &Value::Number(3), now).is_err());
        assert_eq!(
            bound("id", Kind::Id, &Value::Text("0190-ABCD".into()), now).unwrap(),
            Bound::Text("0190abcd".into())
        );
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern(Op::Contains, "50%_A"), "%50\\%\\_a%");
        assert_eq!(like_pattern(Op::StartsWith, "x"), "x%");
        assert_eq!(like_pattern(Op::EndsWith, "x"), "%x");
    }

    #[test]
    fn unknown_fields_are_named_with_the_known_ones() {
        let filter = crate::model::nql::parse("tag:news+colour:red")
            .unwrap()
            .unwrap();
        let Err(BrowseError::UnknownField { field, known }) =
            check_fields(Resource::Posts, &filter)
        else {
            panic!("colour is no field");
        };
        assert_eq!(field, "colour");
        assert!(known.contains("primary_tag"));
    }
}
