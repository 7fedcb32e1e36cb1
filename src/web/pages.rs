//! The page layer between the router and the handlers: serves pages from the
//! cache when content has not changed, stores fresh renders, and renders
//! error responses in the theme.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::App;
use super::encoded::Encoded;
use super::errors::ErrorPage;
use super::views;
use crate::model::now;

/// Pages are revalidated on every view (cheap: a 304 from the cache), so a
/// correction is never hidden behind a stale copy.
const PAGE_CACHE_CONTROL: &str = "public, no-cache";
const HTML: &str = "text/html; charset=utf-8";
/// Pages larger than this are not worth holding in memory.
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// Serves GET and HEAD from the page cache, rendering (once) on a miss.
pub async fn cached_pages(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    // Pages ignore query strings, so they are not part of the key: tracking
    // parameters must not multiply cached copies of one page.
    let key = request.uri().path().to_string();
    let version = app.store.events().version();
    let at = now();
    if let Some(page) = app.pages.get(&key, version, at) {
        return page.respond(request.headers());
    }
    let _turn = app.pages.render_turn(&key).await;
    // Another request may have rendered it while this one waited.
    if let Some(page) = app.pages.get(&key, version, at) {
        return page.respond(request.headers());
    }
    let request_headers = request.headers().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.extensions().get::<ErrorPage>().is_some() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        return super::SiteError::Internal(anyhow::anyhow!("the page body could not be read"))
            .into_response();
    };
    let page = Arc::new(Encoded::new(
        parts.status,
        HTML,
        PAGE_CACHE_CONTROL,
        Some(app.store.events().changed_at()),
        bytes,
    ));
    match app.store.next_scheduled_after(at).await {
        Ok(next_due) => {
            app.pages
                .insert(key, version, at, next_due.unwrap_or(i64::MAX), page.clone())
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not check the publishing schedule; page not cached")
        }
    }
    page.respond(&request_headers)
}

/// Turns an `ErrorPage` marker into the themed page for that status.
/// 404 and 410 pages do not depend on the address asked for, so each is
/// rendered once per content version: a crawler walking dead links costs
/// no database work.
pub async fn render_errors(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let response = next.run(request).await;
    let Some(error) = response
        .extensions()
        .get::<ErrorPage>()
        .cloned()
        .or_else(|| bare_client_error(&response))
    else {
        return response;
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let shared = matches!(error.status, StatusCode::NOT_FOUND | StatusCode::GONE);
    let key = format!("error {}", error.status.as_u16());
    let version = app.store.events().version();
    let at = now();
    if shared && let Some(page) = app.pages.get(&key, version, at) {
        return page.respond(&headers);
    }
    let html = match views::error_page(&app, &error).await {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "the error page itself failed to render"
            );
            return (error.status, error.message).into_response();
        }
    };
    let cache_control = if shared {
        "public, max-age=60"
    } else {
        "no-store"
    };
    let page = Arc::new(Encoded::new(
        error.status,
        HTML,
        cache_control,
        None,
        html.into(),
    ));
    if shared {
        // The rails on an error page show published stories: expire with them.
        let fresh_until = app
            .store
            .next_scheduled_after(at)
            .await
            .ok()
            .flatten()
            .unwrap_or(i64::MAX);
        app.pages
            .insert(key, version, at, fresh_until, page.clone());
    }
    let mut themed = page.respond(&headers);
    if let Some(allow) = allow {
        themed.headers_mut().insert(header::ALLOW, allow);
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

/// A rendered page from a handler: HTML with the page's own status.
pub fn html(html: String) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, HTML)
        .body(Body::from(html))
        .expect("valid response")
}
