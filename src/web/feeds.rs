//! Feeds, sitemaps and files for machines (`robots.txt`): cacheable like the
//! site's pages, each with its own content type. RSS, Atom, JSON Feed and
//! sitemaps arrive here with the discovery work.

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::{App, cache};
use crate::urls;

pub fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route(&urls::robots(), get(robots))
        .route_layer(axum::middleware::from_fn_with_state(
            app.cache.clone(),
            cache::serve,
        ))
}

/// Crawlers are welcome everywhere but the desk.
async fn robots() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("User-agent: *\nDisallow: {}/\n", urls::desk()),
    )
}
