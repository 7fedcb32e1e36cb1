//! What can go wrong while answering a reader, and how it is shown.
//! Handlers return `SiteError`; the page layer renders the themed error page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum SiteError {
    NotFound,
    Gone,
    BadRequest(String),
    Internal(anyhow::Error),
}

/// Carried on an error response so the page layer can render it in the theme.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message: String,
}

impl<E: Into<anyhow::Error>> From<E> for SiteError {
    fn from(e: E) -> Self {
        SiteError::Internal(e.into())
    }
}

impl IntoResponse for SiteError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            SiteError::NotFound => (
                StatusCode::NOT_FOUND,
                "We could not find that page. It may have moved, or the address may be mistyped."
                    .to_string(),
            ),
            SiteError::Gone => (
                StatusCode::GONE,
                "This story has been withdrawn from the site and is no longer available."
                    .to_string(),
            ),
            SiteError::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            SiteError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Please try again in a moment.".to_string(),
                )
            }
        };
        let mut response = status.into_response();
        response
            .extensions_mut()
            .insert(ErrorPage { status, message });
        response
    }
}
