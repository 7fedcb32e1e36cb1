//! The editorial desk (`/desk`): where the newsroom works. Its pages depend
//! on who is signed in, so it never passes through the public page cache
//! and every answer is `Cache-Control: no-store`; forms are protected against
//! cross-site posts. Accounts, the editor and the rest arrive with the desk
//! work; until then every desk address answers 404.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::App;

pub fn router(app: &Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .fallback(not_found)
        .layer(super::security::csrf(&app.public_url, refused_cross_site))
        .layer(axum::middleware::map_response(no_store))
}

async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "There is no desk page at this address.\n",
    )
        .into_response()
}

fn refused_cross_site() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "This form was sent from another site, so it was refused. Use the desk's own pages.\n",
    )
        .into_response()
}
