//! What can go wrong while answering a reader, and how it is shown.
//! Handlers return `SiteError`; the surface's error layer renders the page
//! (themed HTML on the site), so handlers never need the theme to fail well.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

#[derive(Debug)]
pub enum SiteError {
    NotFound,
    Gone,
    BadRequest(String),
    /// The database cannot be reached right now: 503, worth a retry.
    Unavailable(anyhow::Error),
    Internal(anyhow::Error),
}

/// Carried on an error response so the error layer can render it.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message: String,
}

impl From<StoreError> for SiteError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => SiteError::Unavailable(e.into()),
            other => SiteError::Internal(other.into()),
        }
    }
}

impl From<anyhow::Error> for SiteError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast_ref::<StoreError>() {
            Some(StoreError::Unavailable(_)) => SiteError::Unavailable(e),
            _ => SiteError::Internal(e),
        }
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
            SiteError::Unavailable(e) => {
                tracing::warn!(error = format!("{e:#}"), "database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "We cannot reach our archive for a moment. Please try again in a few seconds."
                        .to_string(),
                )
            }
            SiteError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Please try again in a moment.".to_string(),
                )
            }
        };
        let mut response = status.into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
            .extensions_mut()
            .insert(ErrorPage { status, message });
        response
    }
}
