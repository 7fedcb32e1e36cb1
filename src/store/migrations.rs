//! The schema, embedded in the binary: one folder per engine, same logical
//! tables (a test compares them). A new migration is one new row below and
//! one file in each folder.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

/// Each migration's version, description, SQLite DDL and PostgreSQL DDL.
macro_rules! migrations {
    ($(($version:literal, $description:literal, $file:literal)),* $(,)?) => {
        &[$((
            $version,
            $description,
            include_str!(concat!("../../migrations/sqlite/", $file)),
            include_str!(concat!("../../migrations/postgres/", $file)),
        )),*]
    };
}

const MIGRATIONS: &[(i64, &str, &str, &str)] = migrations![
    (1, "content", "0001_content.sql"),
    (2, "content version", "0002_content_version.sql"),
    (3, "listing indexes", "0003_listing_indexes.sql"),
    (4, "related indexes", "0004_related_indexes.sql"),
    (5, "content events", "0005_content_events.sql"),
    (6, "accounts", "0006_accounts.sql"),
    (7, "jobs", "0007_jobs.sql"),
    (8, "editing", "0008_editing.sql"),
    (9, "media", "0009_media.sql"),
    (10, "pages", "0010_pages.sql"),
    (11, "newsletters", "0011_newsletters.sql"),
    (12, "issues", "0012_issues.sql"),
    (13, "discovery", "0013_discovery.sql"),
    (14, "search window", "0014_search_window.sql"),
    (15, "integrations", "0015_integrations.sql"),
    (16, "moving in", "0016_moving_in.sql"),
    (17, "throttles", "0017_throttles.sql"),
    (18, "page authors", "0018_page_authors.sql"),
    (19, "documents", "0019_documents.sql"),
    (20, "activity targets", "0020_activity_targets.sql"),
    (21, "note history", "0021_note_history.sql"),
    (22, "media references", "0022_media_refs.sql"),
    (23, "search eras", "0023_search_eras.sql"),
    (24, "search upkeep", "0024_search_upkeep.sql"),
    (25, "corrections", "0025_corrections.sql"),
    (26, "issue corrections", "0026_issue_corrections.sql"),
    (27, "readership", "0027_readership.sql"),
    (28, "live coverage", "0028_live.sql"),
];

fn migrator(
    pick: fn(&(i64, &'static str, &'static str, &'static str)) -> &'static str,
) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|m| {
            Migration::new(
                m.0,
                Cow::Borrowed(m.1),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(pick(m)),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

pub fn sqlite() -> Migrator {
    migrator(|m| m.2)
}

pub fn postgres() -> Migrator {
    migrator(|m| m.3)
}

/// The newest schema this program knows: an export names it, and an import
/// refuses a file from a newer one.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}
