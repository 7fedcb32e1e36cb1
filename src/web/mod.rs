//! The HTTP surfaces, one router each with its own layers:
//!
//! - `site`: the public pages (and `feeds`: robots.txt, later feeds and
//!   sitemaps), behind the page cache, with themed error pages;
//! - `desk` (`/desk`): the newsroom's admin, never cached;
//! - `api` (`/ghost/api`): JSON, errors included;
//! - theme assets, media files and `/healthz`.
//!
//! Around them all: security headers, a request timeout, request logs and
//! (when a metrics listener is configured) metrics.

mod api;
pub mod cache;
mod client;
pub mod connections;
mod desk;
pub mod encoded;
mod errors;
mod lenient_target;
pub mod metrics;
mod security;
mod site;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use errors::SiteError;
pub use site::LiveHub;

use crate::store::Store;
use crate::theme::Theme;
use crate::urls::PublicUrl;
use cache::{Cache, PerGeneration};
use encoded::Encoded;
use site::SiteContext;

/// A request that takes longer than this is cut off with 408 rather than
/// holding a connection (and a database connection) forever...
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// ...except an upload, which may take minutes to arrive from a phone in
/// the field, and then waits its turn to be unpacked (only those signed in
/// may send one: their session or key is checked before the body is read).
const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Everything a request handler may need, shared by all requests.
pub struct App {
    pub store: Store,
    pub theme: Arc<Theme>,
    pub cache: Arc<Cache>,
    /// Settings, navigation and the Latest rail, once per content generation.
    site: PerGeneration<SiteContext>,
    /// Theme assets by URL path, ready in every encoding.
    assets: HashMap<String, Arc<Encoded>>,
    /// The site's public address, from configuration (never from the Host header).
    pub public_url: PublicUrl,
    /// The media library: its file storage and upload limits.
    pub library: crate::services::media::Library,
    /// The SMTP relay (None: not configured; mail waits).
    pub mailer: Option<crate::mail::Mailer>,
    /// Webhooks may point at private addresses (`[webhooks] allow_private`).
    pub allow_private_webhooks: bool,
    /// Content API answers, kept per generation by address and query.
    pub api_cache: Arc<Cache>,
    /// What the Content API's answers of a generation share.
    pub api_known: PerGeneration<crate::services::ghost::Known>,
    /// Reverse proxies whose X-Forwarded-For names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Readership counts noted here, saved every few seconds.
    pub readership: Arc<crate::services::readership::Readership>,
    /// The live stories readers follow on this instance.
    pub live: Arc<site::LiveHub>,
}

/// How much the page layer may hold and do at once.
#[derive(Debug, Clone, Copy)]
pub struct CacheLimits {
    /// Bytes of rendered responses kept in memory.
    pub bytes: usize,
    /// Uncached pages rendered at the same time.
    pub renders: usize,
}

impl App {
    pub fn new(
        store: Store,
        theme: Arc<Theme>,
        public_url: PublicUrl,
        library: crate::services::media::Library,
        limits: CacheLimits,
    ) -> App {
        let assets = theme
            .assets()
            .iter()
            .map(|a| {
                let body = axum::body::Bytes::copy_from_slice(&a.bytes);
                let asset = Encoded::with_type(
                    StatusCode::OK,
                    a.content_type,
                    "public, max-age=31536000, immutable",
                    None,
                    body,
                );
                (a.url.clone(), Arc::new(asset.with_all_codings()))
            })
            .collect();
        let store_for_api = store.clone();
        let readership = Arc::new(crate::services::readership::Readership::new(
            store.clone(),
            public_url.host(),
        ));
        App {
            readership,
            live: Arc::default(),
            cache: Arc::new(Cache::new(store.clone(), limits.bytes, limits.renders)),
            store,
            theme,
            site: PerGeneration::default(),
            assets,
            public_url,
            library,
            mailer: None,
            allow_private_webhooks: false,
            trusted_proxies: Vec::new(),
            api_known: PerGeneration::default(),
            api_cache: Arc::new(Cache::keyed_by_query(
                store_for_api,
                limits.bytes / 4,
                limits.renders,
            )),
        }
    }
}

/// The whole HTTP service. Around everything: request logs and metrics
/// (when a metrics listener is configured); then responses kept by the page
/// cache are answered at once, before any routing; the rest is routed to
/// its surface, within a timeout and with security headers.
pub fn router(app: Arc<App>, metrics: Option<Arc<metrics::Metrics>>) -> Router {
    // Files on this machine are sent by tower-http (ranges, conditional
    // requests); from a bucket, through the store.
    let media = match app.library.storage.served_folder() {
        Some(folder) => Router::new().fallback_service(ServeDir::new(folder)),
        None => Router::new().route("/{file}", get(stored_media)),
    }
    .layer(axum::middleware::map_response(media_cache_control));
    let mut surfaces = Router::new()
        .merge(site::router(&app))
        .merge(site::script_router(&app))
        .nest("/desk", desk::router(&app))
        .nest("/ghost/api", api::router(&app))
        .route("/assets/accent/{file}", get(accent_stylesheet))
        .route("/assets/{*file}", get(asset))
        .route("/healthz", get(healthz))
        .nest("/media", media);
    if metrics.is_some() {
        surfaces = surfaces.layer(axum::middleware::from_fn(metrics::label_route));
    }
    let surfaces = surfaces
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::middleware::from_fn(within_time));
    let mut service = Router::new()
        .fallback_service(surfaces.with_state(app.clone()))
        .layer(axum::middleware::from_fn_with_state(
            app.cache.clone(),
            cache::serve_hits,
        ));
    if let Some(metrics) = metrics {
        service = service.layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::record,
        ));
    }
    service.layer(
        // One INFO line per request (method, path, status, latency);
        // quiet it with MASTHEAD_LOG=warn or log = "warn" in the config.
        TraceLayer::new_for_http()
            .make_span_with(|request: &axum::http::Request<axum::body::Body>| {
                // As tower-http's default span, with the address made safe
                // to keep: no link's secret, no API key (`urls::loggable`).
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    uri = %crate::urls::loggable(request.uri()),
                    version = ?request.version(),
                )
            })
            .on_request(())
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
    )
}

/// Whether a request sends a file: the desk's media library and subscriber
/// import, and the Admin API's image uploads.
fn is_upload(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST
        && (path == "/desk/media"
            || path == "/desk/subscribers/import"
            || (path.starts_with("/ghost/api/")
                && path.trim_end_matches('/').ends_with("/images/upload")))
}

/// Cuts a request off with 408 past its time (`REQUEST_TIMEOUT`, or
/// `UPLOAD_TIMEOUT` for uploads).
async fn within_time(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let allowed = if is_upload(request.method(), request.uri().path()) {
        UPLOAD_TIMEOUT
    } else {
        REQUEST_TIMEOUT
    };
    match tokio::time::timeout(allowed, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            [(header::CACHE_CONTROL, "no-store")],
            "The request took too long and was stopped. Try again in a moment.",
        )
            .into_response(),
    }
}

/// The router of the metrics listener.
pub fn metrics_router(metrics: Arc<metrics::Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(metrics::serve))
        .with_state(metrics)
}

async fn asset(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    match app.assets.get(&crate::urls::asset(&file)) {
        Some(asset) => asset.respond(&headers),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "No such asset: the page that linked it may be older than the current theme.",
        )
            .into_response(),
    }
}

/// `:root { --accent: … }` for the colour its name gives: a site's own
/// accent over the theme's (see `urls::accent_stylesheet`). Nothing is
/// looked up, so it costs a format; cached for a year like every asset.
async fn accent_stylesheet(Path(file): Path<String>) -> Response {
    let colour = file
        .strip_suffix(".css")
        .map(|hex| format!("#{hex}"))
        .filter(|c| crate::services::settings::parse_hex_colour(c).is_some());
    match colour {
        Some(colour) => (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            format!(":root {{ --accent: {colour}; }}\n"),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "No such colour: an accent stylesheet is named by six hex digits.",
        )
            .into_response(),
    }
}

/// A media file never changes under its name (an upload gets a name of its
/// own, and new text about an image changes no file): cached for a year.
/// A served file from the media store. Its name changes whenever its bytes
/// do, so the name is its validator.
async fn stored_media(
    State(app): State<Arc<App>>,
    axum::extract::Path(file): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    // Only names the library makes reach the store (and a header).
    if crate::storage::checked_name(&file).is_err() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let etag = format!("\"{file}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let storage = app.library.storage.clone();
    let name = file.clone();
    let read =
        tokio::task::spawn_blocking(move || storage.get(crate::storage::Area::Served, &name)).await;
    match read {
        Ok(Ok(bytes)) => (
            [
                (
                    header::CONTENT_TYPE,
                    crate::storage::content_type(&file).to_string(),
                ),
                (header::ETAG, etag),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidInput
            ) =>
        {
            StatusCode::NOT_FOUND.into_response()
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, file, "a media file could not be read from the store");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "5")],
                "The media store does not answer; try again in a moment.\n",
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "reading a media file failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn media_cache_control(mut response: Response) -> Response {
    if response.status().is_success() {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    response
}

/// Cheap (one trivial query) and discreet: the cause of a failure goes to
/// the log, never to whoever asks.
async fn healthz(State(app): State<Arc<App>>) -> Response {
    match app.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            "ok\n",
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CACHE_CONTROL, "no-store")],
                "database unavailable\n",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_the_posts_that_send_files() {
        let post = axum::http::Method::POST;
        for path in [
            "/desk/media",
            "/desk/subscribers/import",
            "/ghost/api/admin/images/upload/",
            "/ghost/api/v4/admin/images/upload",
        ] {
            assert!(is_upload(&post, path), "{path}");
        }
        for path in [
            "/desk/stories/new",
            "/desk/media/abc",
            "/ghost/api/admin/posts/",
        ] {
            assert!(!is_upload(&post, path), "{path}");
        }
        assert!(!is_upload(&axum::http::Method::GET, "/desk/media"));
    }
}
