//! Revisions: every save made in the desk, kept with who made it, and the
//! save counter that refuses a save made on an outdated copy.

use crate::model::UnixTime;

use super::{Store, StoreResult, read};

/// A save made in the desk: by whom, on which copy, and what it keeps.
#[derive(Debug, Clone)]
pub struct Edit {
    pub saved_by: Option<String>,
    /// The revision the editor's copy was loaded at; the save is refused
    /// (`StoreError::Stale`) when the piece has been saved since.
    pub based_on: Option<i64>,
    /// The edited fields as saved (JSON), kept as a revision.
    pub fields: String,
    /// The fields as stored before this save (JSON): kept as the first
    /// revision when the piece has none (imported, or older than revisions).
    pub baseline: Option<String>,
}

/// One kept revision.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Revision {
    pub id: String,
    pub number: i64,
    pub saved_at: UnixTime,
    /// None: the account is gone, or the revision predates the desk.
    pub saved_by: Option<String>,
    pub saved_by_name: Option<String>,
    pub fields: String,
}

/// What kind of piece a revision belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceKind {
    Story,
    Brief,
    Page,
}

impl PieceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PieceKind::Story => "story",
            PieceKind::Brief => "brief",
            PieceKind::Page => "page",
        }
    }
}

macro_rules! queries {
    () => {
        pub mod revisions {
            use sqlx::Pool;

            use super::{Conn, Db};
            use crate::model::{UnixTime, new_id};
            use crate::store::StoreResult;
            use crate::store::revisions::{Edit, PieceKind, Revision};

            /// Keeps the revision a save produced (and, for a piece that had
            /// none, the state it replaced). `number` is the piece's new
            /// save counter.
            pub async fn keep(
                conn: &mut Conn,
                kind: PieceKind,
                piece_id: &str,
                number: i64,
                edit: &Edit,
                now: UnixTime,
            ) -> StoreResult<()> {
                if let Some(baseline) = &edit.baseline {
                    let kept: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM revisions WHERE kind = $1 AND piece_id = $2",
                    )
                    .bind(kind.as_str())
                    .bind(piece_id)
                    .fetch_one(&mut *conn)
                    .await?;
                    if kept == 0 && number > 1 {
                        insert(conn, kind, piece_id, number - 1, None, now, baseline).await?;
                    }
                }
                insert(conn, kind, piece_id, number, edit.saved_by.as_deref(), now, &edit.fields).await
            }

            async fn insert(
                conn: &mut Conn,
                kind: PieceKind,
                piece_id: &str,
                number: i64,
                saved_by: Option<&str>,
                now: UnixTime,
                fields: &str,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO revisions (id, kind, piece_id, number, saved_by, saved_at, fields)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(new_id())
                .bind(kind.as_str())
                .bind(piece_id)
                .bind(number)
                .bind(saved_by)
                .bind(now)
                .bind(fields)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            pub async fn of_piece(pool: &Pool<Db>, kind: PieceKind, piece_id: &str) -> StoreResult<Vec<Revision>> {
                Ok(sqlx::query_as(
                    "SELECT r.id, r.number, r.saved_at, r.saved_by, u.name AS saved_by_name, r.fields
                     FROM revisions r LEFT JOIN users u ON u.id = r.saved_by
                     WHERE r.kind = $1 AND r.piece_id = $2 ORDER BY r.number DESC",
                )
                .bind(kind.as_str())
                .bind(piece_id)
                .fetch_all(pool)
                .await?)
            }
        }
    };
}
pub(super) use queries;

impl Store {
    /// Every kept revision of a piece, newest first.
    pub async fn revisions(&self, kind: PieceKind, piece_id: &str) -> StoreResult<Vec<Revision>> {
        read!(self, revisions::of_piece(kind, piece_id))
    }
}
