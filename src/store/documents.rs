//! Bodies brought into the current document schema: rows whose
//! `body_schema` is older are read again and written back, once, when the
//! database is migrated (see `migrations/*/0019_documents.sql`).

use super::{Store, StoreResult, exec};
use crate::model::Document;
use crate::model::document::SCHEMA_VERSION;
use crate::model::document::markdown::{Typography, to_document};

/// A table with a body, and what its rows at schema 0 hold.
#[derive(Debug, Clone, Copy)]
pub enum BodyTable {
    Stories,
    Briefs,
    Pages,
    /// Newsletter issues' introductions: Markdown at schema 0.
    Intros,
}

impl BodyTable {
    pub const ALL: [BodyTable; 4] = [
        BodyTable::Stories,
        BodyTable::Briefs,
        BodyTable::Pages,
        BodyTable::Intros,
    ];

    /// The table and its body column (fixed names, never input).
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            BodyTable::Stories => ("stories", "body"),
            BodyTable::Briefs => ("briefs", "body"),
            BodyTable::Pages => ("pages", "body"),
            BodyTable::Intros => ("newsletter_issues", "intro"),
        }
    }

    /// A stored body at `schema` as a document now.
    fn upgrade(self, schema: i32, body: &str) -> Document {
        match (self, schema) {
            (BodyTable::Intros, 0) => to_document(body, Typography::Typographic),
            _ => Document::from_html(body),
        }
    }
}

/// Rows read and written at a time.
const BATCH: i64 = 200;

macro_rules! queries {
    () => {
        pub mod documents {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::store::StoreResult;
            use crate::store::documents::BodyTable;

            pub async fn stale(
                pool: &Pool<Db>,
                table: BodyTable,
                below: i32,
                limit: i64,
            ) -> StoreResult<Vec<(String, i32, String)>> {
                let (table, column) = table.names();
                // Names from `BodyTable::names`, numbers: nothing from
                // outside. The schema is written, not bound: a generic plan
                // for `body_schema < $1` walks every row in id order (128 ms
                // at 100,000 stories on PostgreSQL, at every start-up), the
                // written one looks up the few stale rows in their index.
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT id, body_schema, {column} FROM {table} WHERE body_schema < {below} ORDER BY id LIMIT {limit}"
                )))
                .fetch_all(pool)
                .await?)
            }

            /// Marks every body of `table` (a name from `RETIRED` in
            /// dump.rs) as in the schema before documents.
            pub async fn mark_stale(conn: &mut Conn, table: &str) -> StoreResult<()> {
                let (table, _) = BodyTable::ALL
                    .iter()
                    .map(|t| t.names())
                    .find(|(name, _)| *name == table)
                    .expect("a table with a body");
                // A name from `BodyTable::names`: nothing from outside.
                sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE {table} SET body_schema = 0")))
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            /// Writes the new body unless the row changed since it was read.
            pub async fn replace(
                pool: &Pool<Db>,
                table: BodyTable,
                id: &str,
                old: &str,
                new: &str,
                schema: i32,
            ) -> StoreResult<()> {
                let (table, column) = table.names();
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE {table} SET {column} = $1, body_schema = $2 WHERE id = $3 AND {column} = $4"
                )))
                .bind(new)
                .bind(schema)
                .bind(id)
                .bind(old)
                .execute(pool)
                .await?;
                Ok(())
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// Reads every body stored in an older schema into the current one;
    /// answers how many were. Several instances starting at once do the
    /// same work and write the same bodies (a row changed meanwhile by a
    /// save is left as saved).
    pub async fn upgrade_documents(&self) -> StoreResult<usize> {
        let mut done = 0;
        for table in BodyTable::ALL {
            loop {
                let rows = exec!(self, documents::stale(table, SCHEMA_VERSION, BATCH))?;
                if rows.is_empty() {
                    break;
                }
                let converted = crate::cpu::run(move || {
                    rows.into_iter()
                        .map(|(id, schema, body)| {
                            let new = table.upgrade(schema, &body);
                            (id, body, new)
                        })
                        .collect::<Vec<_>>()
                })
                .await;
                for (id, old, new) in &converted {
                    exec!(
                        self,
                        documents::replace(table, id, old, new.as_str(), SCHEMA_VERSION)
                    )?;
                }
                done += converted.len();
            }
        }
        Ok(done)
    }
}
