//! Rendered responses kept in memory, within a byte budget. Every entry
//! belongs to one generation of the published content (see `freshness.rs`);
//! a new generation makes all entries stale at once. When the budget is
//! full, pages nobody asked for since the last sweep go first (the "clock"
//! algorithm), so a crawler walking the archive cannot push out the pages
//! readers keep reading.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use crate::web::encoded::Encoded;

pub struct PageCache {
    budget: usize,
    inner: RwLock<Inner>,
    /// One render at a time per page: when a change empties the cache under
    /// load, the first request renders and the others wait for its result
    /// instead of all rendering the same page at once.
    renders: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    pages: HashMap<String, Entry>,
    /// Keys in the order the clock hand visits them.
    ring: VecDeque<String>,
    bytes: usize,
}

struct Entry {
    page: Arc<Encoded>,
    /// Asked for since the hand last passed.
    referenced: AtomicBool,
}

/// Figures for the metrics endpoint.
#[derive(Debug, Clone, Copy)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub bytes: usize,
    pub entries: usize,
}

impl PageCache {
    /// A cache that holds at most `budget` bytes of bodies.
    pub fn new(budget: usize) -> PageCache {
        PageCache {
            budget,
            inner: RwLock::default(),
            renders: Mutex::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The response kept for `key` in `generation` (a hit is counted).
    pub fn get(&self, key: &str, generation: u64) -> Option<Arc<Encoded>> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let found = (inner.generation == generation)
            .then(|| inner.pages.get(key))
            .flatten()
            .map(|entry| {
                entry.referenced.store(true, Ordering::Relaxed);
                entry.page.clone()
            });
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// Counts a response that had to be rendered.
    pub fn record_miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// Keeps a response rendered in `generation` (or replaces the one kept).
    pub fn insert(&self, key: String, generation: u64, page: Arc<Encoded>) {
        let size = page.byte_size() + key.len();
        if size > self.budget / 8 {
            return; // one huge response must not flush everything else
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if generation < inner.generation {
            return; // rendered from content that has changed since
        }
        if generation > inner.generation {
            *inner = Inner {
                generation,
                ..Inner::default()
            };
        }
        if let Some(old) = inner.pages.get_mut(&key) {
            let old_size = old.page.byte_size() + key.len();
            old.page = page;
            inner.bytes = inner.bytes - old_size + size;
        } else {
            inner.make_room(size, self.budget);
            inner.pages.insert(
                key.clone(),
                Entry {
                    page,
                    referenced: AtomicBool::new(false),
                },
            );
            inner.ring.push_back(key);
            inner.bytes += size;
        }
    }

    /// Waits until no other request is rendering `key`; hold the guard while rendering.
    pub async fn render_turn(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut renders = self.renders.lock().unwrap_or_else(|e| e.into_inner());
            if renders.len() > 1024 {
                renders.retain(|_, lock| lock.strong_count() > 0);
            }
            match renders.get(key).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    renders.insert(key.to_string(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }

    pub fn stats(&self) -> CacheStats {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            bytes: inner.bytes,
            entries: inner.pages.len(),
        }
    }
}

impl Inner {
    /// Evicts until `size` more bytes fit: the hand passes over entries,
    /// sparing (once) those asked for since it last passed.
    fn make_room(&mut self, size: usize, budget: usize) {
        while self.bytes + size > budget {
            let Some(key) = self.ring.pop_front() else {
                break;
            };
            let Some(entry) = self.pages.get(&key) else {
                continue;
            };
            // Spared once: the flag is cleared, so a full turn always ends.
            if entry.referenced.swap(false, Ordering::Relaxed) {
                self.ring.push_back(key);
                continue;
            }
            if let Some(old) = self.pages.remove(&key) {
                self.bytes -= old.page.byte_size() + key.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn page(body: &str) -> Arc<Encoded> {
        Arc::new(Encoded::with_type(
            StatusCode::OK,
            "text/html",
            "no-cache",
            None,
            body.to_string().into(),
        ))
    }

    #[test]
    fn a_new_generation_makes_entries_stale() {
        let cache = PageCache::new(1 << 20);
        cache.insert("/".into(), 1, page("a"));
        assert!(cache.get("/", 1).is_some());
        assert!(cache.get("/", 2).is_none());
        cache.insert("/x".into(), 2, page("b"));
        assert!(cache.get("/", 2).is_none(), "old entries were dropped");
        cache.insert("/old".into(), 1, page("c"));
        assert!(cache.get("/old", 2).is_none(), "stale renders are refused");
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.bytes), (1, 3));
    }

    #[test]
    fn pages_in_use_outlive_a_crawl() {
        // room for about ten 100-byte pages
        let cache = PageCache::new(1_100);
        cache.insert("/".into(), 1, page(&"h".repeat(99)));
        for i in 0..50 {
            assert!(
                cache.get("/", 1).is_some(),
                "the home page survives step {i}"
            );
            let key = format!("/stories/{i}");
            cache.insert(key.clone(), 1, page(&"s".repeat(100 - key.len())));
        }
        assert!(cache.get("/stories/0", 1).is_none(), "old crawl pages went");
        assert!(cache.get("/stories/49", 1).is_some());
        assert!(cache.stats().bytes <= 1_100);
    }

    #[test]
    fn replacing_a_page_keeps_the_count_right() {
        let cache = PageCache::new(1 << 20);
        cache.insert("/".into(), 1, page("abc"));
        cache.insert("/".into(), 1, page("abcdef"));
        assert_eq!(cache.stats().bytes, 7);
        assert_eq!(cache.stats().entries, 1);
    }

    #[tokio::test]
    async fn renders_of_one_page_take_turns() {
        let cache = Arc::new(PageCache::new(1 << 20));
        let first = cache.render_turn("/").await;
        let waiting = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let _turn = cache.render_turn("/").await;
            })
        };
        let _other_page = cache.render_turn("/other").await; // not blocked
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "the second render waits");
        drop(first);
        waiting.await.unwrap();
    }
}
