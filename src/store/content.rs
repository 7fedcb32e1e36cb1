//! Content events: what changed, told once and at the right moment.
//!
//! Every write through the store describes its change (`ContentChange`). In
//! the write's own transaction the change moves the shared content state (one
//! row): the *version* when readers can see the change, the *schedule* when
//! the time of a future publication moved. So no committed write can fail to
//! invalidate, and a change nobody can see (a draft, a scheduled story's body
//! before its time) leaves every cache alone. On PostgreSQL the same
//! transaction sends a NOTIFY, delivered to every instance on commit; a poll
//! of the row is the fallback when that connection drops, and the only way on
//! SQLite (where other processes are CLI commands on the same file).

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::model::{UnixTime, Visibility};

/// The PostgreSQL channel instances tell each other on.
pub const CHANNEL: &str = "masthead_content";

/// The shared content state, as stored in the `content_version` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct ContentState {
    /// Moves with every change readers can see.
    pub version: i64,
    /// When readers last saw a change (Unix seconds); never decreases.
    pub changed_at: UnixTime,
    /// Moves whenever the time of a future publication changes.
    pub schedule: i64,
}

impl ContentState {
    fn to_payload(self) -> String {
        format!("{} {} {}", self.version, self.changed_at, self.schedule)
    }

    fn from_payload(payload: &str) -> Option<ContentState> {
        let mut parts = payload.split(' ').map(str::parse::<i64>);
        let state = ContentState {
            version: parts.next()?.ok()?,
            changed_at: parts.next()?.ok()?,
            schedule: parts.next()?.ok()?,
        };
        parts.next().is_none().then_some(state)
    }
}

/// How one story or brief changed for readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceChange {
    pub id: String,
    pub before: Visibility,
    pub after: Visibility,
}

/// What a write changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentChange {
    Stories(Vec<PieceChange>),
    Briefs(Vec<PieceChange>),
    Pages(Vec<PieceChange>),
    /// Something a story's page shows beside the story itself: a
    /// correction or update note, its related stories.
    StoryExtras {
        story_id: String,
        story: Visibility,
    },
    /// Sections, tags or authors: named on public pages.
    Taxonomy,
    /// Image records (alt text, captions, credits).
    Images,
    Settings,
    /// The newsletters offered, or their public archive, changed.
    Newsletters,
    /// Integrations, their keys or webhooks. Only a revoked key is
    /// visible: every API answer kept for it must go.
    Integrations {
        revoked: bool,
    },
    /// Changed by another process or instance; seen through the shared state.
    Elsewhere,
}

impl ContentChange {
    /// Whether a reader could see the difference.
    pub fn is_visible(&self) -> bool {
        match self {
            ContentChange::Stories(pieces)
            | ContentChange::Briefs(pieces)
            | ContentChange::Pages(pieces) => pieces
                .iter()
                .any(|p| p.before == Visibility::Public || p.after == Visibility::Public),
            ContentChange::StoryExtras { story, .. } => *story == Visibility::Public,
            ContentChange::Integrations { revoked } => *revoked,
            ContentChange::Taxonomy
            | ContentChange::Images
            | ContentChange::Settings
            | ContentChange::Newsletters => true,
            ContentChange::Elsewhere => false,
        }
    }

    /// Whether the time at which something becomes public moved.
    pub fn moves_schedule(&self) -> bool {
        match self {
            ContentChange::Stories(pieces) | ContentChange::Briefs(pieces) => {
                pieces.iter().any(|p| {
                    p.before != p.after
                        && (matches!(p.before, Visibility::Scheduled(_))
                            || matches!(p.after, Visibility::Scheduled(_)))
                })
            }
            _ => false,
        }
    }
}

/// One change as subscribers hear it, with the state it led to.
#[derive(Debug, Clone)]
pub struct ContentEvent {
    pub change: ContentChange,
    pub state: ContentState,
}

/// This process's view of the shared content state, and the channel its
/// changes are announced on.
#[derive(Debug)]
pub struct ContentEvents {
    version: AtomicI64,
    schedule: AtomicI64,
    state: Mutex<ContentState>,
    sender: broadcast::Sender<ContentEvent>,
}

impl ContentEvents {
    pub fn new(initial: ContentState) -> ContentEvents {
        ContentEvents {
            version: AtomicI64::new(initial.version),
            schedule: AtomicI64::new(initial.schedule),
            state: Mutex::new(initial),
            sender: broadcast::channel(256).0,
        }
    }

    /// The content version: cheap enough to read on every request.
    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn schedule(&self) -> i64 {
        self.schedule.load(Ordering::Acquire)
    }

    pub fn state(&self) -> ContentState {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every change from now on, as it happens (in this process, or seen
    /// from another one as `ContentChange::Elsewhere`).
    pub fn subscribe(&self) -> broadcast::Receiver<ContentEvent> {
        self.sender.subscribe()
    }

    /// Moves to a newer state; an older one (a late notification) is ignored.
    /// Returns whether anything moved.
    fn advance(&self, newer: ContentState) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut moved = false;
        if newer.version > state.version {
            state.version = newer.version;
            state.changed_at = newer.changed_at;
            self.version.store(newer.version, Ordering::Release);
            moved = true;
        }
        if newer.schedule > state.schedule {
            state.schedule = newer.schedule;
            self.schedule.store(newer.schedule, Ordering::Release);
            moved = true;
        }
        moved
    }

    /// Records a committed write of this process and tells subscribers.
    pub(super) fn committed(&self, change: ContentChange, state: Option<ContentState>) {
        if let Some(state) = state {
            self.advance(state);
        }
        let _ = self.sender.send(ContentEvent {
            change,
            state: self.state(),
        });
    }

    /// Takes a state seen in the database or in a notification.
    pub(super) fn observed(&self, state: ContentState) {
        if self.advance(state) {
            let _ = self.sender.send(ContentEvent {
                change: ContentChange::Elsewhere,
                state,
            });
        }
    }
}

/// The queries on the content state, written once for both engines.
macro_rules! queries {
    () => {
        pub mod content {
            use super::{Conn, Db};
            use crate::model::UnixTime;
            use crate::store::StoreResult;
            use crate::store::content::{ContentChange, ContentState};

            pub async fn ping(pool: &sqlx::Pool<Db>) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(pool).await?;
                Ok(())
            }

            pub async fn state(pool: &sqlx::Pool<Db>) -> StoreResult<ContentState> {
                Ok(sqlx::query_as(
                    "SELECT version, changed_at, schedule FROM content_version WHERE id = 1",
                )
                .fetch_one(pool)
                .await?)
            }

            /// Moves the shared state for `change`, inside the write's own
            /// transaction; None when the change moves nothing.
            pub async fn record(
                conn: &mut Conn,
                change: &ContentChange,
                now: UnixTime,
            ) -> StoreResult<Option<ContentState>> {
                let visible = i64::from(change.is_visible());
                let schedule = i64::from(change.moves_schedule());
                if visible == 0 && schedule == 0 {
                    return Ok(None);
                }
                let state: ContentState = sqlx::query_as(
                    "UPDATE content_version SET
                       version = version + $2,
                       schedule = schedule + $3,
                       changed_at = CASE WHEN $2 = 0 OR changed_at > $1 THEN changed_at
                                         ELSE $1 END
                     WHERE id = 1
                     RETURNING version, changed_at, schedule",
                )
                .bind(now)
                .bind(visible)
                .bind(schedule)
                .fetch_one(&mut *conn)
                .await?;
                super::dialect::notify(conn, &state).await?;
                Ok(Some(state))
            }

            /// The latest scheduled publication that has come due and the
            /// next one still to come (stories and briefs).
            pub async fn schedule_bounds(
                pool: &sqlx::Pool<Db>,
                now: UnixTime,
            ) -> StoreResult<(Option<UnixTime>, Option<UnixTime>)> {
                let (s_due, b_due, s_next, b_next): (
                    Option<i64>,
                    Option<i64>,
                    Option<i64>,
                    Option<i64>,
                ) = sqlx::query_as(super::dialect::SCHEDULE_BOUNDS)
                    .bind(now)
                    .fetch_one(pool)
                    .await?;
                let due = s_due.into_iter().chain(b_due).max();
                let next = s_next.into_iter().chain(b_next).min();
                Ok((due, next))
            }
        }
    };
}
pub(super) use queries;

/// The schedule bounds: index seeks on the partial `*_scheduled` indexes.
macro_rules! schedule_bounds_sql {
    ($stories:literal, $briefs:literal) => {
        concat!(
            "SELECT (SELECT MAX(published_at) FROM ",
            $stories,
            " WHERE status = 'scheduled' AND published_at <= $1), ",
            "(SELECT MAX(published_at) FROM ",
            $briefs,
            " WHERE status = 'scheduled' AND published_at <= $1), ",
            "(SELECT MIN(published_at) FROM ",
            $stories,
            " WHERE status = 'scheduled' AND published_at > $1), ",
            "(SELECT MIN(published_at) FROM ",
            $briefs,
            " WHERE status = 'scheduled' AND published_at > $1)"
        )
    };
}

/// Claims the next due job nobody holds ($1 now, $2 the end of the lease).
macro_rules! claim_job_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE jobs SET locked_until = $2, attempts = attempts + 1 WHERE id = (",
            "SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $1 ",
            "AND (locked_until IS NULL OR locked_until < $1) ORDER BY run_at LIMIT 1",
            $lock,
            ") RETURNING id, kind, subject, attempts"
        )
    };
}

/// Takes up to $4 queued deliveries of issue $1 that are due at $2 and
/// held by nobody, for the lease ending at $3.
macro_rules! claim_deliveries_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE deliveries SET locked_until = $3, attempts = attempts + 1 ",
            "WHERE issue_id = $1 AND subscriber_id IN (",
            "SELECT subscriber_id FROM deliveries WHERE issue_id = $1 AND status = 'queued' ",
            "AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until < $2) LIMIT $4",
            $lock,
            ") RETURNING subscriber_id, attempts"
        )
    };
}

/// What SQLite does its own way.
pub(crate) mod sqlite_dialect {
    use super::ContentState;

    /// SQLite keeps no statistics here, and without them its planner
    /// prefers the wide listing index (a scan of the archive) over the small
    /// partial one: name the index.
    pub(crate) const SCHEDULE_BOUNDS: &str = schedule_bounds_sql!(
        "stories INDEXED BY stories_scheduled",
        "briefs INDEXED BY briefs_scheduled"
    );

    /// One statement takes SQLite's write lock: no two processes claim one job.
    pub(crate) const CLAIM_JOB: &str = claim_job_sql!("");
    pub(crate) const CLAIM_DELIVERIES: &str = claim_deliveries_sql!("");

    /// Other processes see the row change through the poll.
    pub(crate) async fn notify(
        _: &mut sqlx::SqliteConnection,
        _: &ContentState,
    ) -> Result<(), sqlx::Error> {
        Ok(())
    }
}

/// What PostgreSQL does its own way.
pub(crate) mod postgres_dialect {
    use super::{CHANNEL, ContentState};

    pub(crate) const SCHEDULE_BOUNDS: &str = schedule_bounds_sql!("stories", "briefs");

    /// Instances claiming at once skip each other's rows instead of waiting.
    pub(crate) const CLAIM_JOB: &str = claim_job_sql!(" FOR UPDATE SKIP LOCKED");
    pub(crate) const CLAIM_DELIVERIES: &str = claim_deliveries_sql!(" FOR UPDATE SKIP LOCKED");

    /// Delivered to every listening instance when the transaction commits.
    pub(crate) async fn notify(
        conn: &mut sqlx::PgConnection,
        state: &ContentState,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(state.to_payload())
            .execute(conn)
            .await?;
        Ok(())
    }
}

impl super::Store {
    /// Reads the shared state and takes it if it moved.
    async fn sync_content_state(&self) -> bool {
        match super::read!(self, content::state()) {
            Ok(state) => {
                self.events.observed(state);
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the content version; will retry");
                false
            }
        }
    }

    /// The latest scheduled publication that has come due and the next one.
    pub async fn schedule_bounds(
        &self,
        now: UnixTime,
    ) -> super::StoreResult<(Option<UnixTime>, Option<UnixTime>)> {
        super::read!(self, content::schedule_bounds(now))
    }

    /// Follows changes made by other processes and instances until the task
    /// is dropped: LISTEN on PostgreSQL (with a poll while that connection is
    /// down), a poll every `every` on SQLite.
    pub async fn watch_for_changes(self, every: Duration) {
        if let super::Backend::Postgres(pool) = &self.backend {
            let pool = pool.clone();
            loop {
                if let Err(e) = self.listen(&pool).await {
                    tracing::warn!(
                        error = %e,
                        "change notifications from PostgreSQL stopped; polling until they are back"
                    );
                }
                tokio::time::sleep(every).await;
                self.sync_content_state().await;
            }
        }
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            self.sync_content_state().await;
        }
    }

    /// Listens until the connection fails for good (a reconnect that fails).
    async fn listen(&self, pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        // Anything committed while nobody listened.
        self.sync_content_state().await;
        loop {
            match listener.try_recv().await? {
                Some(notification) => match ContentState::from_payload(notification.payload()) {
                    Some(state) => self.events.observed(state),
                    None => {
                        tracing::warn!(
                            payload = notification.payload(),
                            "unreadable change notification"
                        );
                        self.sync_content_state().await;
                    }
                },
                None => {
                    // The connection dropped; the next try_recv reconnects and
                    // listens again. Catch up on what was missed meanwhile.
                    tracing::warn!("the change-notification connection dropped; reconnecting");
                    self.sync_content_state().await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(before: Visibility, after: Visibility) -> ContentChange {
        ContentChange::Stories(vec![PieceChange {
            id: "s".into(),
            before,
            after,
        }])
    }

    #[test]
    fn only_changes_readers_can_see_are_visible() {
        use Visibility::*;
        assert!(!piece(Hidden, Hidden).is_visible(), "a draft edited");
        assert!(!piece(Scheduled(10), Scheduled(10)).is_visible());
        assert!(!piece(Scheduled(10), Scheduled(10)).moves_schedule());
        assert!(piece(Scheduled(10), Scheduled(20)).moves_schedule());
        assert!(piece(Hidden, Scheduled(20)).moves_schedule());
        assert!(piece(Hidden, Public).is_visible(), "published");
        assert!(piece(Public, Hidden).is_visible(), "withdrawn");
        assert!(piece(Public, Public).is_visible(), "edited");
        assert!(ContentChange::Settings.is_visible());
    }

    #[test]
    fn state_travels_as_a_payload() {
        let state = ContentState {
            version: 7,
            changed_at: 1_700_000_000,
            schedule: 3,
        };
        assert_eq!(ContentState::from_payload(&state.to_payload()), Some(state));
        assert_eq!(ContentState::from_payload("7 x 3"), None);
        assert_eq!(ContentState::from_payload("7 1 3 4"), None);
    }

    #[test]
    fn late_news_never_moves_the_state_back() {
        let events = ContentEvents::new(ContentState {
            version: 5,
            changed_at: 100,
            schedule: 2,
        });
        events.observed(ContentState {
            version: 4,
            changed_at: 90,
            schedule: 1,
        });
        assert_eq!(events.version(), 5);
        events.observed(ContentState {
            version: 5,
            changed_at: 100,
            schedule: 3,
        });
        assert_eq!((events.version(), events.schedule()), (5, 3));
    }
}
