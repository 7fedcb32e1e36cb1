//! The JSON APIs (`/ghost/api/…`): the Ghost-compatible Content and Admin
//! APIs arrive here. Every answer is JSON, errors included, in Ghost's shape
//! (`{"errors": [{"message", "type"}]}`), never a themed HTML page; nothing
//! passes through the public page cache. API clients authenticate with keys
//! and tokens, not cookies, so no CSRF layer applies.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// An API error as Ghost clients expect it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Ghost's error type name, e.g. "NotFoundError".
    pub kind: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            kind: "NotFoundError",
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "type": self.kind }]
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .fallback(|| async {
            ApiError::not_found("Resource not found: no API endpoint answers at this address.")
        })
        .layer(axum::middleware::from_fn(json_errors))
}

/// Errors raised before a handler runs (a method not allowed, a garbled
/// address) leave axum as plain text: give them the API's JSON shape.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let (kind, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "MethodNotAllowedError",
            "This endpoint does not take that method.",
        ),
        StatusCode::NOT_FOUND => ("NotFoundError", "Resource not found."),
        s if s.is_server_error() => ("InternalServerError", "Something went wrong on our side."),
        _ => ("BadRequestError", "The request could not be read."),
    };
    let mut json = ApiError {
        status,
        kind,
        message: message.into(),
    }
    .into_response();
    if let Some(allow) = allow {
        json.headers_mut().insert(header::ALLOW, allow);
    }
    json
}
