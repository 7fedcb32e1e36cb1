//! What the body editor asks of the server: Markdown pasted into a body,
//! read by the one Markdown reader (the one imports and API clients go
//! through), so pasted Markdown becomes the same document anywhere.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::form::{Fields, signed_in_form};
use super::plain;
use super::session::Desk;
use crate::model::text::capitalized;
use crate::services::publishing;

/// `markdown` read into the schema: the document's HTML, or 400 saying why.
pub(super) async fn from_markdown(desk: Desk, form: Fields) -> Response {
    if let Err(refused) = signed_in_form(&desk, &form) {
        return refused.into_response();
    }
    match publishing::read_markdown_body(form.get("markdown")).await {
        Ok(document) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            document.as_str().to_string(),
        )
            .into_response(),
        Err(e) => plain(StatusCode::BAD_REQUEST, &capitalized(&e.to_string())),
    }
}
