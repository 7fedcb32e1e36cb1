//! The page layer of the cacheable surfaces (the public site, feeds and
//! sitemaps): answers GET and HEAD from memory while the published content is
//! unchanged, renders once on a miss, and keeps whatever representation the
//! handler made (HTML, XML, JSON, text) with its own headers.
//!
//! Misses render with bounded concurrency, so that a crawler walking the
//! archive cannot take every core from readers of cached pages: hits never
//! wait for a render.

mod freshness;
mod page_cache;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

pub use freshness::{Freshness, PerGeneration, Snapshot};
pub use page_cache::PageCache;

use super::encoded::{Encoded, RouteLabel};
use crate::store::Store;

/// Responses are revalidated on every view (cheap: a 304 from memory), so a
/// correction is never hidden behind a stale copy.
const DEFAULT_CACHE_CONTROL: &str = "public, no-cache";
/// Responses larger than this are served but not kept.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Shared by the requests of every cacheable surface.
pub struct Cache {
    pub freshness: Freshness,
    pub pages: PageCache,
    renders: Semaphore,
    /// Whether the query string is part of the key (the Content API, whose
    /// answers depend on it) or ignored (pages, where tracking parameters
    /// must not multiply copies).
    by_query: bool,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("pages", &self.pages.stats())
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// `budget`: bytes of responses to keep; `renders`: how many misses may
    /// render at once.
    pub fn new(store: Store, budget: usize, renders: usize) -> Cache {
        Cache {
            freshness: Freshness::new(store),
            pages: PageCache::new(budget),
            renders: Semaphore::new(renders.max(1)),
            by_query: false,
        }
    }

    /// A cache whose keys are the path and the whole query string.
    pub fn keyed_by_query(store: Store, budget: usize, renders: usize) -> Cache {
        Cache {
            by_query: true,
            ..Cache::new(store, budget, renders)
        }
    }

    /// The page's key: its path, or with the query for the APIs. Pages
    /// ignore queries but for one: the root with a WordPress address in its
    /// query (`/?p=123`) is an old address, not the home page.
    fn key<'r>(&self, request: &'r Request) -> std::borrow::Cow<'r, str> {
        let uri = request.uri();
        match (self.by_query, uri.query()) {
            (true, Some(query)) => format!("{}?{query}", uri.path()).into(),
            (false, query @ Some(_)) if uri.path() == "/" => {
                match crate::urls::root_old_address(query) {
                    Some(old) => format!("/?{old}").into(),
                    None => uri.path().into(),
                }
            }
            _ => uri.path().into(),
        }
    }
}

/// Whether a request may be answered from the shared cache (RFC 9111 §3.5:
/// never one with credentials).
fn may_use_cache(request: &Request) -> bool {
    matches!(*request.method(), Method::GET | Method::HEAD)
        && !request.headers().contains_key(header::AUTHORIZATION)
}

/// Answers requests whose response is kept, before the router is asked at
/// all: most readers' requests take only this path. Everything else goes on
/// to the router (where `serve` renders and keeps cacheable responses).
pub async fn serve_hits(State(cache): State<Arc<Cache>>, request: Request, next: Next) -> Response {
    if may_use_cache(&request)
        && let Ok(snapshot) = cache.freshness.current().await
        && let key = cache.key(&request)
        && let Some(page) = cache.pages.get(&key, snapshot.generation)
    {
        let mut response = respond(&cache, &key, snapshot.generation, page, request.headers());
        super::security::apply(&mut response);
        return response;
    }
    next.run(request).await
}

/// The page layer of a cacheable surface:
/// `route_layer(from_fn_with_state(cache, cache::serve))`.
pub async fn serve(State(cache): State<Arc<Cache>>, request: Request, next: Next) -> Response {
    if !may_use_cache(&request) {
        return next.run(request).await;
    }
    let snapshot = match cache.freshness.current().await {
        Ok(snapshot) => snapshot,
        Err(e) => return super::SiteError::from(e).into_response(),
    };
    let key = cache.key(&request).into_owned();
    if let Some(page) = cache.pages.get(&key, snapshot.generation) {
        return respond(&cache, &key, snapshot.generation, page, request.headers());
    }
    let _turn = cache.pages.render_turn(&key).await;
    // Another request may have rendered it while this one waited.
    if let Some(page) = cache.pages.get(&key, snapshot.generation) {
        return respond(&cache, &key, snapshot.generation, page, request.headers());
    }
    cache.pages.record_miss();
    let _permit = cache.renders.acquire().await;
    let request_headers = request.headers().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| RouteLabel(p.as_str().into()));
    let response = next.run(request).await;
    if !is_cacheable(&response) {
        return response;
    }
    // Larger than the cache keeps (an API browse with limit=all over a
    // big archive): served as it is, rendered again next time.
    let too_large = axum::body::HttpBody::size_hint(response.body())
        .upper()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64);
    if too_large {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return super::SiteError::Internal(anyhow::anyhow!("the response body could not be read"))
            .into_response();
    };
    if !parts.headers.contains_key(header::CACHE_CONTROL) {
        parts.headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(DEFAULT_CACHE_CONTROL),
        );
    }
    // Rendered bodies come in buffers grown by doubling: keep an exact copy,
    // so that the budget counts what the cache really holds.
    let mut page = Encoded::new(
        parts.status,
        parts.headers,
        Some(snapshot.last_modified),
        axum::body::Bytes::copy_from_slice(&bytes),
    );
    page.route = route;
    // Compress now only in the coding this client asked for; others are
    // made when somebody asks for them.
    let page = Arc::new(page.with_coding(page.coding_for(&request_headers)));
    cache.pages.insert(key, snapshot.generation, page.clone());
    page.respond(&request_headers)
}

/// Serves a kept response, first adding the coding this client wants if
/// nobody has asked for it before.
fn respond(
    cache: &Cache,
    key: &str,
    generation: u64,
    page: Arc<Encoded>,
    request: &HeaderMap,
) -> Response<Body> {
    let coding = page.coding_for(request);
    if page.has(coding) {
        return page.respond(request);
    }
    let page = Arc::new(page.with_coding(coding));
    cache
        .pages
        .insert(key.to_string(), generation, page.clone());
    page.respond(request)
}

/// Only plain successes and permanent redirects that depend on nothing but
/// the address and the content are kept: a handler whose answer depends on
/// the reader says so with `Cache-Control: private` or `no-store`.
fn is_cacheable(response: &Response) -> bool {
    let headers = response.headers();
    let header_has = |name: header::HeaderName, words: &[&str]| {
        headers.get_all(name).iter().any(|v| {
            let v = v.to_str().unwrap_or("*").to_ascii_lowercase();
            words.iter().any(|w| v.contains(w))
        })
    };
    matches!(
        response.status(),
        StatusCode::OK | StatusCode::MOVED_PERMANENTLY
    ) && !headers.contains_key(header::SET_COOKIE)
        && !header_has(header::CACHE_CONTROL, &["no-store", "private"])
        && !header_has(header::VARY, &["cookie", "authorization", "*"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    use crate::clock::Clock;

    /// A router with handlers of every kind behind the page layer, on a
    /// fresh SQLite database.
    async fn app(dir: &std::path::Path) -> (Router, Arc<Cache>, Store) {
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let store = Store::connect_with_clock(&url, Clock::manual(1_000))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let cache = Arc::new(Cache::new(store.clone(), 1 << 20, 2));
        let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = move || counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let json = count.clone();
        let router = Router::new()
            .route(
                "/feed.json",
                get(move || {
                    let n = json();
                    async move {
                        (
                            [
                                (header::CONTENT_TYPE, "application/feed+json"),
                                (header::CACHE_CONTROL, "public, max-age=300"),
                            ],
                            [("x-render", n.to_string())],
                            format!("{{\"renders\":{n},\"items\":\"{}\"}}", "item ".repeat(200)),
                        )
                    }
                }),
            )
            .route(
                "/everything.json",
                get(|| async { "x".repeat(MAX_BODY_BYTES + 1) }),
            )
            .route(
                "/personal",
                get(move || {
                    let n = count();
                    async move { ([(header::SET_COOKIE, "seen=1")], format!("{n}")) }
                }),
            )
            .route_layer(axum::middleware::from_fn_with_state(cache.clone(), serve));
        (router, cache, store)
    }

    async fn get_with(router: &Router, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::get(path);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn text(response: Response) -> String {
        String::from_utf8(
            axum::body::to_bytes(response.into_body(), 16 << 20)
                .await
                .unwrap()
                .to_vec(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn any_representation_is_kept_with_its_own_headers() {
        let dir = tempfile::tempdir().unwrap();
        let (router, cache, _) = app(dir.path()).await;
        let first = get_with(&router, "/feed.json", &[]).await;
        assert_eq!(
            first.headers()[header::CONTENT_TYPE],
            "application/feed+json"
        );
        assert_eq!(
            first.headers()[header::CACHE_CONTROL],
            "public, max-age=300"
        );
        assert_eq!(first.headers()["x-render"], "1");
        assert!(first.headers().contains_key(header::LAST_MODIFIED));
        let etag = first.headers()[header::ETAG].clone();
        let second = get_with(&router, "/feed.json?utm=x", &[]).await;
        assert_eq!(second.headers()["x-render"], "1", "served from memory");
        assert_eq!(
            second.headers()[header::CONTENT_TYPE],
            "application/feed+json"
        );
        assert!(text(second).await.starts_with("{\"renders\":1,"));
        let revalidated = get_with(
            &router,
            "/feed.json",
            &[("if-none-match", etag.to_str().unwrap())],
        )
        .await;
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(cache.pages.stats().entries, 1);
    }

    #[tokio::test]
    async fn credentials_and_cookies_are_never_shared() {
        let dir = tempfile::tempdir().unwrap();
        let (router, cache, _) = app(dir.path()).await;
        let a = text(get_with(&router, "/personal", &[]).await).await;
        let b = text(get_with(&router, "/personal", &[]).await).await;
        assert_ne!(a, b, "a response that sets a cookie is rendered each time");
        let feed = get_with(&router, "/feed.json", &[("authorization", "Bearer x")]).await;
        assert_eq!(feed.headers()["x-render"], "3");
        let feed = get_with(&router, "/feed.json", &[("authorization", "Bearer x")]).await;
        assert_eq!(feed.headers()["x-render"], "4", "not served from the cache");
        assert_eq!(cache.pages.stats().entries, 0, "and not kept");
    }

    #[tokio::test]
    async fn compressed_forms_are_made_when_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let (router, cache, _) = app(dir.path()).await;
        let plain = get_with(&router, "/feed.json", &[]).await;
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        let plain_size = cache.pages.stats().bytes;
        let br = get_with(&router, "/feed.json", &[("accept-encoding", "gzip, br")]).await;
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(
            br.headers()["x-render"],
            "1",
            "compressed from the kept copy"
        );
        let with_br = cache.pages.stats().bytes;
        assert!(with_br > plain_size);
        let gz = get_with(&router, "/feed.json", &[("accept-encoding", "gzip")]).await;
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        assert!(
            cache.pages.stats().bytes > with_br,
            "the cache counts every form it keeps"
        );
    }

    #[tokio::test]
    async fn answers_larger_than_the_cache_keeps_are_served_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (router, cache, _) = app(dir.path()).await;
        let reply = get_with(&router, "/everything.json", &[]).await;
        assert_eq!(reply.status(), StatusCode::OK);
        assert_eq!(text(reply).await.len(), MAX_BODY_BYTES + 1);
        assert_eq!(cache.pages.stats().entries, 0, "not kept");
    }

    #[tokio::test]
    async fn a_visible_change_renders_again() {
        let dir = tempfile::tempdir().unwrap();
        let (router, _, store) = app(dir.path()).await;
        get_with(&router, "/feed.json", &[]).await;
        store
            .put_setting("site", "{\"title\":\"Changed\"}")
            .await
            .unwrap();
        let after = get_with(&router, "/feed.json", &[]).await;
        assert_eq!(after.headers()["x-render"], "2");
    }
}
