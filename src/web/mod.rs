//! The HTTP surfaces. For now the public site; the desk, the API and feeds
//! will be routers of their own beside it.

pub mod encoded;
mod errors;
mod page_cache;
mod pages;
mod security;
mod site;
mod views;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use errors::SiteError;
pub use page_cache::PageCache;

use crate::store::Store;
use crate::theme::Theme;
use encoded::Encoded;

const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Everything a request handler may need, shared by all requests.
pub struct App {
    pub store: Store,
    pub theme: Theme,
    pub pages: PageCache,
    /// Theme assets by URL path, ready in every encoding.
    pub assets: HashMap<String, Arc<Encoded>>,
    /// The site's public address, from configuration (never from the Host header).
    pub public_url: String,
    pub media_dir: PathBuf,
}

impl App {
    pub fn new(store: Store, theme: Theme, public_url: String, media_dir: PathBuf) -> App {
        let assets = theme
            .assets()
            .iter()
            .map(|a| {
                let body = axum::body::Bytes::copy_from_slice(&a.bytes);
                (
                    a.url.clone(),
                    Arc::new(Encoded::new(
                        StatusCode::OK,
                        a.content_type,
                        "public, max-age=31536000, immutable",
                        None,
                        body,
                    )),
                )
            })
            .collect();
        App {
            store,
            theme,
            pages: PageCache::default(),
            assets,
            public_url: public_url.trim_end_matches('/').to_string(),
            media_dir,
        }
    }
}

pub fn router(app: Arc<App>) -> Router {
    let media = Router::new()
        .fallback_service(ServeDir::new(&app.media_dir))
        .layer(axum::middleware::map_response(media_cache_control));
    Router::new()
        .merge(site::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            pages::cached_pages,
        ))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            pages::render_errors,
        ))
        .route("/assets/{*file}", get(asset))
        .route("/healthz", get(healthz))
        .nest("/media", media)
        .layer(axum::middleware::from_fn(security::headers))
        // A request that takes longer than this is cut off with 408 rather
        // than holding a connection (and a database connection) forever.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(
            // One INFO line per request (method, path, status, latency);
            // quiet it with MASTHEAD_LOG=warn or log = "warn" in the config.
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(app)
}

/// Unknown addresses: `/latest/` and the like redirect to the address
/// without the slash (links copied from other platforms often carry one);
/// everything else is the themed 404.
async fn not_found(uri: axum::http::Uri) -> Response {
    let path = uri.path();
    // Never "//host": a Location starting with two slashes leaves the site.
    if path.len() > 1 && path.ends_with('/') && !path.starts_with("//") && !path.ends_with("//") {
        let target = path.trim_end_matches('/');
        return (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, target.to_string())],
        )
            .into_response();
    }
    SiteError::NotFound.into_response()
}

async fn asset(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    match app.assets.get(&format!("/assets/{file}")) {
        Some(asset) => asset.respond(&headers),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "No such asset: the page that linked it may be older than the current theme.",
        )
            .into_response(),
    }
}

async fn media_cache_control(mut response: Response) -> Response {
    if response.status().is_success() {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("public, max-age=86400"),
        );
    }
    response
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    match app.store.is_empty().await {
        Ok(_) => (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            "ok\n",
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CACHE_CONTROL, "no-store")],
            format!("database unavailable: {e}\n"),
        )
            .into_response(),
    }
}
