//! An in-process cache of rendered pages that stays correct: every entry is
//! tagged with the content version it was rendered from, and a change to
//! content (or a scheduled story coming due) makes all entries stale at once.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock, Weak};

use super::encoded::Encoded;

/// Memory the cache may hold (all encodings of all pages).
const BUDGET_BYTES: usize = 24 * 1024 * 1024;

#[derive(Default)]
pub struct PageCache {
    inner: RwLock<Inner>,
    /// One render at a time per page: when a change empties the cache under
    /// load, the first request renders and the others wait for its result
    /// instead of all rendering the same page at once.
    renders: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

#[derive(Default)]
struct Inner {
    version: u64,
    /// Entries are valid until this time (Unix seconds): the next scheduled publication.
    fresh_until: i64,
    pages: HashMap<String, Arc<Encoded>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl PageCache {
    pub fn get(&self, key: &str, version: u64, now: i64) -> Option<Arc<Encoded>> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if inner.version != version || now >= inner.fresh_until {
            return None;
        }
        inner.pages.get(key).cloned()
    }

    /// Keeps a page rendered from content `version`, fresh until `fresh_until`.
    pub fn insert(
        &self,
        key: String,
        version: u64,
        now: i64,
        fresh_until: i64,
        page: Arc<Encoded>,
    ) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if version < inner.version {
            return; // rendered from content that has changed since
        }
        if version > inner.version || now >= inner.fresh_until {
            inner.pages.clear();
            inner.order.clear();
            inner.bytes = 0;
            inner.version = version;
            inner.fresh_until = fresh_until;
        } else {
            inner.fresh_until = inner.fresh_until.min(fresh_until);
        }
        let size = page.byte_size() + key.len();
        if size > BUDGET_BYTES / 4 {
            return;
        }
        while inner.bytes + size > BUDGET_BYTES {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(old) = inner.pages.remove(&oldest) {
                inner.bytes -= old.byte_size() + oldest.len();
            }
        }
        if let Some(old) = inner.pages.insert(key.clone(), page) {
            inner.bytes -= old.byte_size() + key.len();
            inner.order.retain(|k| k != &key);
        }
        inner.order.push_back(key);
        inner.bytes += size;
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

    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .pages
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn page(body: &str) -> Arc<Encoded> {
        Arc::new(Encoded::new(
            StatusCode::OK,
            "text/html",
            "no-cache",
            None,
            body.to_string().into(),
        ))
    }

    #[test]
    fn a_new_content_version_makes_entries_stale() {
        let cache = PageCache::default();
        cache.insert("/".into(), 1, 10, i64::MAX, page("a"));
        assert!(cache.get("/", 1, 10).is_some());
        assert!(cache.get("/", 2, 10).is_none());
        cache.insert("/x".into(), 2, 10, i64::MAX, page("b"));
        assert!(cache.get("/", 2, 10).is_none(), "old entries were dropped");
        cache.insert("/old".into(), 1, 10, i64::MAX, page("c"));
        assert!(
            cache.get("/old", 2, 10).is_none(),
            "stale renders are refused"
        );
    }

    #[tokio::test]
    async fn renders_of_one_page_take_turns() {
        let cache = Arc::new(PageCache::default());
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

    #[test]
    fn scheduled_publication_expires_entries() {
        let cache = PageCache::default();
        cache.insert("/".into(), 1, 10, 100, page("a"));
        assert!(cache.get("/", 1, 99).is_some());
        assert!(cache.get("/", 1, 100).is_none());
    }
}
