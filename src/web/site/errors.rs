//! Error pages of the public site, in the theme. Handlers return
//! `SiteError`; the response carries an `ErrorPage` marker that `themed`
//! turns into the page for that status.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::views;
use crate::web::App;
use crate::web::encoded::Encoded;
use crate::web::errors::ErrorPage;

const HTML: &str = "text/html; charset=utf-8";

/// Renders error responses in the theme. A 404 first gets its chance to
/// be a redirect (an old address, a trailing slash: `better_address`).
/// 404 and 410 pages do not depend on the address asked for, so each is
/// rendered once per generation of the content: a crawler walking dead
/// links costs one indexed look-up of old addresses and no rendering.
pub async fn themed(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    if response.status() == StatusCode::NOT_FOUND
        && let Some(moved) = super::better_address(&app, &method, &uri).await
    {
        return moved;
    }
    let Some(error) = response
        .extensions()
        .get::<ErrorPage>()
        .cloned()
        .or_else(|| bare_client_error(&response))
    else {
        return response;
    };
    let kept: Vec<_> = [header::ALLOW, header::RETRY_AFTER]
        .into_iter()
        .filter_map(|name| response.headers().get(&name).map(|v| (name, v.clone())))
        .collect();
    let shared = matches!(error.status, StatusCode::NOT_FOUND | StatusCode::GONE);
    let key = format!("error {}", error.status.as_u16());
    let generation = match app.cache.freshness.current().await {
        Ok(snapshot) => Some(snapshot.generation),
        Err(_) => None, // the database is away: render without the rails
    };
    if shared
        && let Some(generation) = generation
        && let Some(page) = app.cache.pages.get(&key, generation)
    {
        return page.respond(&headers);
    }
    let html = match views::error_page(&app, &error).await {
        Ok(html) => html,
        Err(e) => {
            tracing::warn!(
                error = format!("{e:#}"),
                "the themed error page could not be rendered; answering in plain text"
            );
            return (error.status, error.message).into_response();
        }
    };
    let cache_control = if shared {
        "public, max-age=60"
    } else {
        "no-store"
    };
    let page = Arc::new(Encoded::with_type(
        error.status,
        HTML,
        cache_control,
        None,
        html.into(),
    ));
    if shared && let Some(generation) = generation {
        app.cache.pages.insert(key, generation, page.clone());
    }
    let mut themed = page.respond(&headers);
    for (name, value) in kept {
        themed.headers_mut().insert(name, value);
    }
    themed
}

/// axum's own rejections (an address with bytes that are not UTF-8, a method
/// the page does not take) arrive as bare 4xx answers: give them words and the theme.
fn bare_client_error(response: &Response) -> Option<ErrorPage> {
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if !status.is_client_error() || is_html {
        return None;
    }
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => "This page can only be read, not changed.",
        StatusCode::PAYLOAD_TOO_LARGE => "What was sent is larger than this page accepts.",
        _ => {
            "That address could not be read: it may have been cut or garbled when it was copied. Try the front page instead."
        }
    };
    Some(ErrorPage {
        status,
        message: message.to_string(),
    })
}

/// A form posted from another site (the CSRF layer refused it).
pub fn refused_cross_site() -> Response {
    let mut response = StatusCode::FORBIDDEN.into_response();
    response.extensions_mut().insert(ErrorPage {
        status: StatusCode::FORBIDDEN,
        message: "For your safety, our forms only accept what is sent from this site's own pages. Please use the form on our site."
            .to_string(),
    });
    response
}
