//! What the body editor asks of the server: Markdown pasted into a body,
//! read by the one Markdown reader (the one imports and API clients go
//! through), so pasted Markdown becomes the same document anywhere.

use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{CheckedForm, DeskError, DeskResult};
use crate::services::publishing;

#[derive(Deserialize)]
pub(super) struct MarkdownForm {
    #[serde(default)]
    markdown: String,
}

/// `markdown` read into the schema: the document's HTML, or 400 saying why.
pub(super) async fn from_markdown(
    CheckedForm { form, .. }: CheckedForm<MarkdownForm>,
) -> DeskResult {
    let document = publishing::read_markdown_body(&form.markdown)
        .await
        .map_err(|e| DeskError::invalid(e.to_string()))?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        document.as_str().to_string(),
    )
        .into_response())
}
