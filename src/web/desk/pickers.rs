//! What the desk's pickers offer (desk.js turns a `select[data-picker]`
//! into a combobox that asks the list's own address for JSON), and the
//! short lists shown without scripting.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::urls;

/// Whether the browser's script asked for JSON (the pickers, the editor's
/// upload box).
pub fn wants_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// One choice a desk picker offers: what is chosen, what it shows.
#[derive(Serialize)]
pub struct PickerItem {
    pub id: String,
    pub label: String,
    pub detail: String,
}

/// Library images a list offers without scripting (with scripting, the list
/// is a picker that finds any image by its words).
const IMAGE_CHOICES: i64 = 20;

/// An image offered by an image field (a hero, a logo, an author's photo).
#[derive(Serialize)]
pub struct ImageChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
    /// Its address (the share preview shows it).
    pub src: String,
}

/// How a list names an image: its file and what it shows.
pub fn image_label(image: &crate::model::Image) -> String {
    let about = [image.alt.as_str(), image.caption.as_str()]
        .into_iter()
        .find(|t| !t.trim().is_empty())
        .unwrap_or("no description yet");
    format!("{} ({about})", image.file)
}

/// The choices of an image field: none (`none` says what that means), the
/// newest images, and the chosen one however old it is.
pub async fn image_choices(
    store: &crate::store::Store,
    chosen: &str,
    none: &str,
) -> crate::store::StoreResult<Vec<ImageChoice>> {
    let mut images = store.newest_images(IMAGE_CHOICES).await?;
    if !chosen.is_empty() && !images.iter().any(|i| i.id == chosen) {
        images.extend(store.images_by_ids(&[chosen.to_string()]).await?);
    }
    let mut choices = vec![ImageChoice {
        value: String::new(),
        label: none.to_string(),
        selected: chosen.is_empty(),
        src: String::new(),
    }];
    choices.extend(images.iter().map(|i| ImageChoice {
        value: i.id.clone(),
        label: image_label(i),
        selected: i.id == chosen,
        src: urls::media(&i.file),
    }));
    Ok(choices)
}

/// A list answered to a picker (desk.js).
pub fn picker_answer(items: Vec<PickerItem>) -> Response {
    axum::Json(serde_json::json!({ "items": items })).into_response()
}
