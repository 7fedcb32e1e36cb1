//! What readers see right now, as one number: the *generation* of the
//! published content. It moves when the content version moves (a visible
//! change, here or on another instance) and when a scheduled piece comes
//! due. Every cached response and every per-generation memo (the site's
//! navigation, the Latest rail) is tagged with the generation it was built
//! from, so nothing cached can outlive the content it shows.

use std::sync::{Arc, RwLock};

use crate::model::UnixTime;
use crate::store::{Store, StoreResult};

/// The published content at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub generation: u64,
    /// The content version and schedule counter it was read at.
    version: i64,
    schedule: i64,
    /// The latest scheduled publication that had come due.
    last_due: Option<UnixTime>,
    /// When readers last saw anything change: the Last-Modified of every
    /// page rendered from this snapshot.
    pub last_modified: UnixTime,
    /// When the next scheduled publication comes due: the snapshot holds until then.
    pub fresh_until: UnixTime,
}

pub struct Freshness {
    store: Store,
    current: RwLock<Arc<Snapshot>>,
    refresh: tokio::sync::Mutex<()>,
}

impl Freshness {
    pub fn new(store: Store) -> Freshness {
        Freshness {
            store,
            current: RwLock::new(Arc::new(Snapshot {
                generation: 0,
                version: i64::MIN,
                schedule: i64::MIN,
                last_due: None,
                last_modified: 0,
                fresh_until: i64::MIN,
            })),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// The current snapshot: read from memory, unless content changed or a
    /// scheduled piece came due, when one request re-reads the schedule.
    pub async fn current(&self) -> StoreResult<Arc<Snapshot>> {
        if let Some(snapshot) = self.still_current() {
            return Ok(snapshot);
        }
        let _one_at_a_time = self.refresh.lock().await;
        if let Some(snapshot) = self.still_current() {
            return Ok(snapshot);
        }
        let now = self.store.clock().now();
        let state = self.store.events().state();
        let (last_due, next_due) = self.store.schedule_bounds(now).await?;
        let old = self.read();
        let same_content = old.version == state.version && old.last_due == last_due;
        let snapshot = Arc::new(Snapshot {
            generation: if same_content {
                old.generation
            } else {
                old.generation + 1
            },
            version: state.version,
            schedule: state.schedule,
            last_due,
            last_modified: state.changed_at.max(last_due.unwrap_or(0)),
            fresh_until: next_due.unwrap_or(i64::MAX),
        });
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = snapshot.clone();
        Ok(snapshot)
    }

    fn read(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn still_current(&self) -> Option<Arc<Snapshot>> {
        let snapshot = self.read();
        let events = self.store.events();
        (snapshot.version == events.version()
            && snapshot.schedule == events.schedule()
            && self.store.clock().now() < snapshot.fresh_until)
            .then_some(snapshot)
    }
}

/// A value built once per generation (and shared until the next one).
pub struct PerGeneration<T> {
    current: RwLock<Option<(u64, Arc<T>)>>,
    build: tokio::sync::Mutex<()>,
}

impl<T> Default for PerGeneration<T> {
    fn default() -> Self {
        PerGeneration {
            current: RwLock::new(None),
            build: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> PerGeneration<T> {
    /// The value for `generation`, built by `build` if this is its first use.
    pub async fn get<E, F, Fut>(&self, generation: u64, build: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.cached(generation) {
            return Ok(value);
        }
        let _one_at_a_time = self.build.lock().await;
        if let Some(value) = self.cached(generation) {
            return Ok(value);
        }
        let value = Arc::new(build().await?);
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_none_or(|(g, _)| *g <= generation) {
            *current = Some((generation, value.clone()));
        }
        Ok(value)
    }

    fn cached(&self, generation: u64) -> Option<Arc<T>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|(g, _)| *g == generation)
            .map(|(_, value)| value.clone())
    }
}
