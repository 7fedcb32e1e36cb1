//! Live coverage of a story: timestamped updates posted as events unfold,
//! newest first, an optional pinned one at the top.

use super::{Document, UnixTime};

/// A story's live coverage: from when, until when (None: still live), and
/// the number of the latest change of its updates.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LiveCoverage {
    pub story_id: String,
    pub started_at: UnixTime,
    pub ended_at: Option<UnixTime>,
    pub seq: i64,
}

impl LiveCoverage {
    pub fn is_live(&self) -> bool {
        self.ended_at.is_none()
    }
}

/// One update of a live story.
/// A removed update stays (with `removed_at`) so pages that show it learn
/// it is gone, and its history stays.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LiveUpdate {
    pub id: String,
    pub story_id: String,
    /// The change of the story's updates that last touched this one.
    pub seq: i64,
    pub posted_at: UnixTime,
    pub author_id: Option<String>,
    pub body: Document,
    pub pinned: bool,
    pub edited_at: Option<UnixTime>,
    pub removed_at: Option<UnixTime>,
    pub posted_by: Option<String>,
}

/// An update as it read before it was edited or removed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveUpdateVersion {
    pub update_id: String,
    pub seq: i64,
    pub body: Document,
    pub pinned: bool,
    pub author_id: Option<String>,
    pub replaced_at: UnixTime,
    /// Who edited or removed it (None: an account deleted since).
    pub replaced_by_name: Option<String>,
    /// Removed, rather than edited.
    pub removed: bool,
}

/// What an edit of an update sets.
#[derive(Debug, Clone)]
pub struct LiveUpdateChange {
    pub body: Document,
    pub pinned: bool,
    pub author_id: Option<String>,
}
