//! What can go wrong in the data layer, sorted by what the caller can do
//! about it: nothing there (not found), choose differently (conflict), try
//! again later (unavailable), or nothing but report it (the rest).

use std::fmt;

#[derive(Debug)]
pub enum StoreError {
    /// The row asked for does not exist.
    NotFound,
    /// A unique rule was broken (a slug or an address already taken); names the rule.
    Conflict(String),
    /// The piece was saved by someone else after the copy being saved was loaded.
    Stale,
    /// The database cannot be reached or is overloaded: worth retrying.
    Unavailable(sqlx::Error),
    /// Anything else: a bug or a damaged database.
    Other(sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_string())
            }
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            // SQLite answers "database is locked" (5) or "busy" (6) when the
            // writer holds the file longer than busy_timeout.
            sqlx::Error::Database(ref db)
                if db.code().is_some_and(|c| {
                    matches!(c.as_ref(), "5" | "6") || c.starts_with("57P") || c.starts_with("08")
                }) =>
            {
                StoreError::Unavailable(e)
            }
            other => StoreError::Other(other),
        }
    }
}

impl StoreError {
    /// Whether the connection broke under the query (the server closed it,
    /// restarted, or refused a new one): a read can simply be tried again on
    /// another connection. A pool that timed out is not retried.
    pub(crate) fn is_broken_connection(&self) -> bool {
        match self {
            StoreError::Unavailable(sqlx::Error::Io(_) | sqlx::Error::Tls(_)) => true,
            StoreError::Unavailable(sqlx::Error::Database(db)) => db
                .code()
                .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
            _ => false,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NotFound => f.write_str("not found"),
            StoreError::Conflict(rule) => write!(f, "already taken ({rule})"),
            StoreError::Stale => f.write_str("saved by someone else in the meantime"),
            StoreError::Unavailable(e) => write!(f, "the database is unavailable: {e}"),
            StoreError::Other(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Unavailable(e) | StoreError::Other(e) => Some(e),
            _ => None,
        }
    }
}
