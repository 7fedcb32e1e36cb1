//! The schema, embedded in the binary: one folder per engine, same logical
//! tables (a test compares them).

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

fn migrator(files: &[(i64, &'static str, &'static str)]) -> Migrator {
    let migrations = files
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(sql),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

pub fn sqlite() -> Migrator {
    migrator(&[
        (
            1,
            "content",
            include_str!("../../migrations/sqlite/0001_content.sql"),
        ),
        (
            2,
            "content version",
            include_str!("../../migrations/sqlite/0002_content_version.sql"),
        ),
        (
            3,
            "listing indexes",
            include_str!("../../migrations/sqlite/0003_listing_indexes.sql"),
        ),
    ])
}

pub fn postgres() -> Migrator {
    migrator(&[
        (
            1,
            "content",
            include_str!("../../migrations/postgres/0001_content.sql"),
        ),
        (
            2,
            "content version",
            include_str!("../../migrations/postgres/0002_content_version.sql"),
        ),
        (
            3,
            "listing indexes",
            include_str!("../../migrations/postgres/0003_listing_indexes.sql"),
        ),
    ])
}
