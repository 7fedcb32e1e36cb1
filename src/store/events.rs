//! Content events: every write that changes what readers see bumps a version,
//! so caches of rendered pages know they are stale on the very next request.
//!
//! In-process only for now. When several instances share PostgreSQL, this is
//! where LISTEN/NOTIFY will feed remote changes in.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

#[derive(Debug)]
pub struct ContentEvents {
    version: AtomicU64,
    changed_at: AtomicI64,
}

impl Default for ContentEvents {
    fn default() -> Self {
        ContentEvents {
            version: AtomicU64::new(1),
            changed_at: AtomicI64::new(crate::model::now()),
        }
    }
}

impl ContentEvents {
    pub fn changed(&self) {
        self.changed_at
            .store(crate::model::now(), Ordering::Release);
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// When content last changed (Unix seconds): the pages' Last-Modified.
    pub fn changed_at(&self) -> i64 {
        self.changed_at.load(Ordering::Acquire)
    }
}
