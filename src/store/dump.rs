//! Every row of a publication, table by table, in a form both engines read
//! and write: what export, backup, restore and `db copy` are made of.
//!
//! A dump is a stream of `DumpItem`s: a table (its name and columns), then
//! batches of its rows, and `End` once everything was sent (a stream that
//! stops without it loads nothing). Tables come in `TABLES` order, which
//! loads without breaking a foreign key on either engine; rows come in
//! primary-key order, compared byte by byte, so two databases that hold the
//! same publication dump identically whatever their engine.
//!
//! Left out: what is derived and rebuilt after a load (the search index),
//! the content version that caches follow, and the migrations' own table.

use anyhow::{Context, anyhow, bail};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{Backend, ContentChange, Store};

/// A table a dump carries, and the columns loaded only once every table is
/// in (they close a circle of foreign keys: an image's uploader is a user,
/// a user's byline an author, an author's photo an image).
pub struct TableSpec {
    pub name: &'static str,
    pub later: &'static [&'static str],
}

const fn table(name: &'static str) -> TableSpec {
    TableSpec { name, later: &[] }
}

/// Every table of the schema but the derived ones, in loading order.
pub const TABLES: &[TableSpec] = &[
    table("settings"),
    TableSpec {
        name: "images",
        later: &["uploaded_by"],
    },
    table("authors"),
    table("users"),
    table("sections"),
    table("tags"),
    table("stories"),
    table("story_authors"),
    table("story_tags"),
    table("story_notes"),
    table("briefs"),
    table("pages"),
    table("slug_redirects"),
    table("path_redirects"),
    table("revisions"),
    table("related_stories"),
    table("related_choices"),
    table("newsletters"),
    table("subscribers"),
    table("subscriptions"),
    table("subscriber_tokens"),
    table("subscriber_events"),
    table("newsletter_issues"),
    table("issue_items"),
    table("deliveries"),
    table("sessions"),
    table("account_links"),
    table("throttles"),
    table("activity"),
    table("jobs"),
    table("integrations"),
    table("webhooks"),
    table("webhook_deliveries"),
    table("readership_totals"),
    table("live_coverage"),
    table("live_updates"),
    table("live_update_history"),
];

/// Tables rebuilt rather than carried: the search index (`masthead search
/// reindex` after a load) and the content version (caches' counter); and
/// the readership's anonymous visits and the day's salt, which are meant
/// to be forgotten within days and so never go into a backup.
pub const DERIVED: &[&str] = &[
    "search_documents",
    "content_version",
    "media_refs",
    "pending_rebuilds",
    "readership_visits",
    "readership_salts",
];

/// Tables that hold a publication: a load refuses a database where any has rows.
pub const PUBLICATION: &[&str] = &[
    "stories",
    "briefs",
    "pages",
    "sections",
    "tags",
    "authors",
    "images",
    "users",
    "subscribers",
];

/// One value of a row, as JSON writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Text(String),
}

#[derive(Debug)]
pub enum DumpItem {
    Table { name: String, columns: Vec<String> },
    Rows(Vec<Vec<Value>>),
    End,
}

/// What `load` says when its dump stopped before `End`.
pub const ENDED_EARLY: &str = "the dump ended before its last table: nothing was loaded";

/// Rows per `DumpItem::Rows`.
pub const BATCH: usize = 500;

/// A column's type as both engines declare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int4,
    Int8,
    Bool,
    Text,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    /// Position in the primary key (0: not part of it).
    pub key: i64,
}

impl Column {
    pub(crate) fn of(name: String, declared: &str, key: i64, engine: &str) -> Column {
        let declared = declared.to_ascii_lowercase();
        let kind = if declared.contains("bool") {
            Kind::Bool
        } else if declared == "integer" && engine == "postgres" {
            Kind::Int4
        } else if declared.contains("int") {
            Kind::Int8
        } else {
            Kind::Text
        };
        Column { name, kind, key }
    }
}

/// A value checked against its column, ready to bind.
#[derive(Debug)]
pub enum Bound {
    Null,
    I32(i32),
    I64(i64),
    Bool(bool),
    Text(String),
}

fn bind_value(value: Value, column: &Column) -> Result<Bound, String> {
    Ok(match (value, column.kind) {
        (Value::Null, _) => Bound::Null,
        (Value::Int(n), Kind::Int4) => {
            Bound::I32(i32::try_from(n).map_err(|_| format!("{n} is too large for this column"))?)
        }
        (Value::Int(n), Kind::Int8) => Bound::I64(n),
        (Value::Bool(b), Kind::Bool) => Bound::Bool(b),
        (Value::Int(n @ (0 | 1)), Kind::Bool) => Bound::Bool(n == 1),
        (Value::Text(t), Kind::Text) => Bound::Text(t),
        (v, kind) => return Err(format!("{v:?} does not fit a {kind:?} column")),
    })
}

pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `SELECT … ORDER BY` the primary key, text compared by bytes on both
/// engines (PostgreSQL's default collation would sort by locale).
fn select_sql(table: &str, columns: &[Column], engine: &str) -> String {
    let list: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
    let mut keys: Vec<&Column> = columns.iter().filter(|c| c.key > 0).collect();
    if keys.is_empty() {
        keys = columns.iter().collect();
    }
    keys.sort_by_key(|c| c.key);
    let order: Vec<String> = keys
        .iter()
        .map(|c| match (c.kind, engine) {
            (Kind::Text, "postgres") => format!("{} COLLATE \"C\"", quoted(&c.name)),
            _ => quoted(&c.name),
        })
        .collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        list.join(", "),
        quoted(table),
        order.join(", ")
    )
}

/// What a load put in, table by table.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub tables: Vec<(String, usize)>,
}

impl LoadReport {
    pub fn rows(&self, table: &str) -> usize {
        self.tables
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n)
    }
}

macro_rules! queries {
    () => {
        pub mod dump {
            use futures_util::TryStreamExt;
            use sqlx::{QueryBuilder, Row};

            use super::{Conn, Db};
            use crate::store::dump::{Bound, Column, Kind, Value};

            pub async fn columns(
                conn: &mut Conn,
                catalog: &'static str,
                table: &str,
                engine: &str,
            ) -> sqlx::Result<Vec<Column>> {
                let rows: Vec<(String, String, i64)> = sqlx::query_as(catalog)
                    .bind(table)
                    .fetch_all(&mut *conn)
                    .await?;
                let mut columns: Vec<Column> = rows
                    .into_iter()
                    .map(|(name, declared, key)| Column::of(name, &declared, key, engine))
                    .collect();
                // By name: the engines' column orders need not agree.
                columns.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(columns)
            }

            /// Streams a table's rows, `BATCH` at a time, to `each`.
            pub async fn rows(
                conn: &mut Conn,
                sql: &str,
                columns: &[Column],
                mut each: impl AsyncFnMut(Vec<Vec<Value>>) -> anyhow::Result<()>,
            ) -> anyhow::Result<()> {
                let mut batch = Vec::with_capacity(crate::store::dump::BATCH);
                let mut stream =
                    sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch(&mut *conn);
                while let Some(row) = stream.try_next().await? {
                    let mut values = Vec::with_capacity(columns.len());
                    for (i, c) in columns.iter().enumerate() {
                        values.push(match c.kind {
                            Kind::Int4 => row
                                .try_get::<Option<i32>, _>(i)?
                                .map_or(Value::Null, |n| Value::Int(n.into())),
                            Kind::Int8 => row
                                .try_get::<Option<i64>, _>(i)?
                                .map_or(Value::Null, Value::Int),
                            Kind::Bool => row
                                .try_get::<Option<bool>, _>(i)?
                                .map_or(Value::Null, Value::Bool),
                            Kind::Text => row
                                .try_get::<Option<String>, _>(i)?
                                .map_or(Value::Null, Value::Text),
                        });
                    }
                    batch.push(values);
                    if batch.len() == crate::store::dump::BATCH {
                        each(std::mem::take(&mut batch)).await?;
                    }
                }
                if !batch.is_empty() {
                    each(batch).await?;
                }
                Ok(())
            }

            pub async fn count(conn: &mut Conn, table: &str) -> sqlx::Result<i64> {
                let sql = format!("SELECT COUNT(*) FROM {}", crate::store::dump::quoted(table));
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut *conn)
                    .await
            }

            pub async fn clear(conn: &mut Conn, table: &str) -> sqlx::Result<()> {
                let sql = format!("DELETE FROM {}", crate::store::dump::quoted(table));
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut *conn)
                    .await
                    .map(|_| ())
            }

            /// Inserts rows whose values were checked against `columns`.
            pub async fn insert(
                conn: &mut Conn,
                table: &str,
                columns: &[&Column],
                rows: Vec<Vec<Bound>>,
            ) -> sqlx::Result<()> {
                if rows.is_empty() {
                    return Ok(());
                }
                let names: Vec<String> = columns
                    .iter()
                    .map(|c| crate::store::dump::quoted(&c.name))
                    .collect();
                let mut qb = QueryBuilder::<Db>::new(format!(
                    "INSERT INTO {} ({}) ",
                    crate::store::dump::quoted(table),
                    names.join(", ")
                ));
                qb.push_values(rows, |mut row, values| {
                    for value in values {
                        match value {
                            Bound::Null => row.push("NULL"),
                            Bound::I32(n) => row.push_bind(n),
                            Bound::I64(n) => row.push_bind(n),
                            Bound::Bool(b) => row.push_bind(b),
                            Bound::Text(t) => row.push_bind(t),
                        };
                    }
                });
                qb.build().execute(&mut *conn).await.map(|_| ())
            }

            /// Sets one column of one row, found by its primary key `id`.
            pub async fn set_later(
                conn: &mut Conn,
                table: &str,
                column: &str,
                id: &str,
                value: Bound,
            ) -> sqlx::Result<()> {
                let sql = format!(
                    "UPDATE {} SET {} = $1 WHERE id = $2",
                    crate::store::dump::quoted(table),
                    crate::store::dump::quoted(column)
                );
                let query = sqlx::query(sqlx::AssertSqlSafe(sql));
                let query = match value {
                    Bound::Text(t) => query.bind(t),
                    Bound::I64(n) => query.bind(n),
                    Bound::I32(n) => query.bind(n),
                    Bound::Bool(b) => query.bind(b),
                    Bound::Null => return Ok(()),
                };
                query.bind(id).execute(&mut *conn).await.map(|_| ())
            }
        }
    };
}
pub(super) use queries;

const SQLITE_CATALOG: &str = "SELECT name, type, pk FROM pragma_table_info($1)";
const POSTGRES_CATALOG: &str = "SELECT c.column_name::text, c.data_type::text,
       COALESCE((SELECT k.ordinal_position FROM information_schema.table_constraints t
                 JOIN information_schema.key_column_usage k
                   ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema
                  AND k.table_name = t.table_name
                 WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema
                   AND t.table_name = c.table_name AND k.column_name = c.column_name), 0)::bigint
     FROM information_schema.columns c
     WHERE c.table_schema = current_schema() AND c.table_name = $1";

/// What `load` is doing with the table in hand.
/// Columns an older schema had, and what became of them, so a dump made
/// before the migration still loads: a renamed column loads under its new
/// name, a dropped one is skipped. Bodies were Markdown with their HTML
/// beside it until documents (migration 19): the HTML they were shown as
/// loads into `body`, the Markdown goes, and such a table's bodies are read
/// into the document schema after the load.
const RETIRED: &[(&str, &str, Option<&str>)] = &[
    ("stories", "body_md", None),
    ("stories", "body_html", Some("body")),
    ("briefs", "body_md", None),
    ("briefs", "body_html", Some("body")),
    ("pages", "body_md", None),
    ("pages", "body_html", Some("body")),
    ("newsletter_issues", "intro_md", Some("intro")),
];

struct Loading {
    name: String,
    /// The file's columns, each matched to the database's (dropped ones left out).
    columns: Vec<Column>,
    /// Positions, in the file's rows, of the values of dropped columns.
    dropped: Vec<usize>,
    /// Positions (in `columns`) of columns set once every table is in.
    later: Vec<usize>,
    /// Position of `id`, for those later updates.
    id: Option<usize>,
    rows: usize,
}

/// Runs `$body` with `$conn` a connection of this store's engine and `$db`
/// its query modules, inside `$tx` as opened by `$begin`.
macro_rules! on_engine {
    ($store:expr, $begin:expr, |$conn:ident, $db:ident, $engine:ident, $catalog:ident| $body:block) => {
        match &$store.backend {
            Backend::Sqlite(pool) => {
                #[allow(unused_imports)]
                use crate::store::sqlite as $db;
                let $engine = "sqlite";
                let $catalog = SQLITE_CATALOG;
                let mut tx = pool.begin_with($begin.0).await?;
                let $conn: &mut $db::Conn = &mut *tx;
                let value = $body;
                tx.commit().await?;
                value
            }
            Backend::Postgres(pool) => {
                #[allow(unused_imports)]
                use crate::store::postgres as $db;
                let $engine = "postgres";
                let $catalog = POSTGRES_CATALOG;
                let mut tx = pool.begin_with($begin.1).await?;
                let $conn: &mut $db::Conn = &mut *tx;
                let value = $body;
                tx.commit().await?;
                value
            }
        }
    };
}

impl Store {
    /// Sends every row of the publication to `items`, read from one
    /// consistent snapshot (safe while the server writes).
    pub async fn dump(&self, items: mpsc::Sender<DumpItem>) -> anyhow::Result<()> {
        let send = async |item: DumpItem| {
            items
                .send(item)
                .await
                .map_err(|_| anyhow!("the dump's reader stopped"))
        };
        on_engine!(
            self,
            ("BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
            |conn, db, engine, catalog| {
                for spec in TABLES {
                    let columns = db::dump::columns(conn, catalog, spec.name, engine).await?;
                    if columns.is_empty() {
                        bail!(
                            "the database has no table {}: is its schema up to date (masthead migrate)?",
                            spec.name
                        );
                    }
                    send(DumpItem::Table {
                        name: spec.name.to_string(),
                        columns: columns.iter().map(|c| c.name.clone()).collect(),
                    })
                    .await?;
                    let sql = select_sql(spec.name, &columns, engine);
                    db::dump::rows(conn, &sql, &columns, async |rows| {
                        send(DumpItem::Rows(rows)).await
                    })
                    .await
                    .with_context(|| format!("cannot read the table {}", spec.name))?;
                }
                send(DumpItem::End).await?;
            }
        );
        Ok(())
    }

    /// Loads a dump into this database, which must hold no publication yet
    /// (what migrations put in, such as the default newsletter, is replaced).
    /// All or nothing: one transaction. `progress` hears each table and its
    /// rows so far.
    pub async fn load(
        &self,
        mut items: mpsc::Receiver<DumpItem>,
        mut progress: impl FnMut(&str, usize),
    ) -> anyhow::Result<LoadReport> {
        let now = self.clock.now();
        let mut report = LoadReport::default();
        let change = ContentChange::Settings;
        let state = on_engine!(
            self,
            ("BEGIN IMMEDIATE", "BEGIN"),
            |conn, db, engine, catalog| {
                for table in PUBLICATION {
                    if db::dump::count(conn, table).await? > 0 {
                        bail!(
                            "this database already holds a publication (its {table} table has rows): load into an empty one (a new SQLite file, or a database made with createdb)"
                        );
                    }
                }
                for table in DERIVED.iter().filter(|t| **t != "content_version") {
                    db::dump::clear(conn, table).await?;
                }
                // What the loaded bodies name is listed again once loaded.
                db::media_refs::mark_pending(conn, "media_refs").await?;
                for spec in TABLES.iter().rev() {
                    db::dump::clear(conn, spec.name).await?;
                }
                let mut current: Option<Loading> = None;
                let mut stale_bodies: Vec<&'static str> = Vec::new();
                let mut pending_later: Vec<(String, String, String, Bound)> = Vec::new();
                let mut ended = false;
                while let Some(item) = items.recv().await {
                    match item {
                        DumpItem::Table { name, columns } => {
                            if let Some(done) = current.take() {
                                report.tables.push((done.name, done.rows));
                            }
                            let Some(spec) = TABLES.iter().find(|t| t.name == name) else {
                                bail!("the dump has a table {name:?} that Masthead does not know");
                            };
                            if report.tables.iter().any(|(t, _)| *t == name) {
                                bail!("the dump has the table {name} twice");
                            }
                            let known = db::dump::columns(conn, catalog, &name, engine).await?;
                            let mut matched = Vec::with_capacity(columns.len());
                            let mut dropped = Vec::new();
                            for (position, column) in columns.iter().enumerate() {
                                let retired =
                                    RETIRED.iter().find(|(t, c, _)| *t == name && c == column);
                                let now_named = match retired {
                                    Some((_, _, renamed)) => {
                                        if !stale_bodies.contains(&spec.name) {
                                            stale_bodies.push(spec.name);
                                        }
                                        match renamed {
                                            Some(new) => *new,
                                            None => {
                                                dropped.push(position);
                                                continue;
                                            }
                                        }
                                    }
                                    None => column.as_str(),
                                };
                                let Some(c) = known.iter().find(|k| k.name == now_named) else {
                                    bail!(
                                        "the dump's table {name} has a column {column:?} this database lacks: was it made by a newer Masthead?"
                                    );
                                };
                                if matched.iter().any(|m: &Column| m.name == *column) {
                                    bail!(
                                        "the dump's table {name} names the column {column} twice"
                                    );
                                }
                                matched.push(c.clone());
                            }
                            let later = matched
                                .iter()
                                .enumerate()
                                .filter(|(_, c)| spec.later.contains(&c.name.as_str()))
                                .map(|(i, _)| i)
                                .collect();
                            let id = matched.iter().position(|c| c.name == "id");
                            current = Some(Loading {
                                name,
                                columns: matched,
                                dropped,
                                later,
                                id,
                                rows: 0,
                            });
                        }
                        DumpItem::Rows(rows) => {
                            let Some(table) = current.as_mut() else {
                                bail!("the dump has rows before naming their table");
                            };
                            let width = table.columns.len();
                            // Bound parameters per statement stay under both engines' limits.
                            let per_insert = (30_000 / width.max(1)).clamp(1, BATCH);
                            let mut checked = Vec::with_capacity(rows.len());
                            for row in rows {
                                table.rows += 1;
                                if row.len() != width + table.dropped.len() {
                                    bail!(
                                        "row {} of the table {} has {} values for {} columns",
                                        table.rows,
                                        table.name,
                                        row.len(),
                                        width + table.dropped.len()
                                    );
                                }
                                let row: Vec<_> = row
                                    .into_iter()
                                    .enumerate()
                                    .filter(|(i, _)| !table.dropped.contains(i))
                                    .map(|(_, value)| value)
                                    .collect();
                                let mut values = Vec::with_capacity(width);
                                let mut later = Vec::new();
                                for (i, (value, column)) in
                                    row.into_iter().zip(&table.columns).enumerate()
                                {
                                    let bound = bind_value(value, column).map_err(|why| {
                                        anyhow!(
                                            "row {} of the table {}, column {}: {why}",
                                            table.rows,
                                            table.name,
                                            column.name
                                        )
                                    })?;
                                    if table.later.contains(&i) && !matches!(bound, Bound::Null) {
                                        later.push((column.name.clone(), bound));
                                        values.push(Bound::Null);
                                    } else {
                                        values.push(bound);
                                    }
                                }
                                if !later.is_empty() {
                                    let Some(Bound::Text(id)) = table.id.map(|i| &values[i]) else {
                                        bail!(
                                            "row {} of the table {} has no id",
                                            table.rows,
                                            table.name
                                        );
                                    };
                                    for (column, value) in later {
                                        pending_later.push((
                                            table.name.clone(),
                                            column,
                                            id.clone(),
                                            value,
                                        ));
                                    }
                                }
                                checked.push(values);
                            }
                            let columns: Vec<&Column> = table.columns.iter().collect();
                            while !checked.is_empty() {
                                let rest = checked.split_off(checked.len().min(per_insert));
                                db::dump::insert(conn, &table.name, &columns, checked)
                                    .await
                                    .with_context(|| {
                                        format!("cannot load rows of the table {}", table.name)
                                    })?;
                                checked = rest;
                            }
                            progress(&table.name, table.rows);
                        }
                        DumpItem::End => {
                            ended = true;
                            break;
                        }
                    }
                }
                if !ended {
                    bail!(ENDED_EARLY);
                }
                if let Some(done) = current.take() {
                    report.tables.push((done.name, done.rows));
                }
                for (table, column, id, value) in pending_later {
                    db::dump::set_later(conn, &table, &column, &id, value).await?;
                }
                for table in &stale_bodies {
                    db::documents::mark_stale(conn, table).await?;
                }
                db::content::record(conn, &change, now).await?
            }
        );
        self.events.committed(change, state);
        self.upgrade_documents()
            .await
            .context("cannot bring the loaded bodies into the document schema")?;
        self.rebuild_media_refs_if_pending()
            .await
            .context("cannot list the media files the loaded bodies name")?;
        Ok(report)
    }
}

/// The tables of a schema that a dump neither carries nor rebuilds (a
/// test keeps this empty as migrations add tables).
pub fn unlisted(schema_tables: &[String]) -> Vec<String> {
    schema_tables
        .iter()
        .filter(|t| !TABLES.iter().any(|s| s.name == t.as_str()) && !DERIVED.contains(&t.as_str()))
        .cloned()
        .collect()
}

impl Store {
    /// On SQLite, writes a consistent copy of the whole database file to
    /// `path` while others keep reading and writing (`VACUUM INTO`), and
    /// answers true; on PostgreSQL answers false (a dump serves there).
    pub async fn sqlite_snapshot(&self, path: &std::path::Path) -> anyhow::Result<bool> {
        let Backend::Sqlite(pool) = &self.backend else {
            return Ok(false);
        };
        let target = path
            .to_str()
            .ok_or_else(|| anyhow!("the backup path {} is not valid UTF-8", path.display()))?;
        let mut conn = super::patient(pool).await?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&mut conn)
            .await
            .with_context(|| format!("cannot write the backup to {}", path.display()))?;
        Ok(true)
    }
}
