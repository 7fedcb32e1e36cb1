//! The media library in the desk: browse and search, upload (a plain file
//! input, or dropped on the page; from the story editor too), describe,
//! see where an image is used, delete one that no longer is.

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::form::{Fields, signed_in_form};
use super::stories::{page_number, url_pairs};
use super::{CsrfForm, Desk, Frame, checked, forbidden, plain, render, see_other, unavailable};
use crate::model::Image;
use crate::services::editing;
use crate::services::media::{MediaError, Upload};
use crate::services::permissions::{Action, may};
use crate::urls;

/// Images on one page of the library.
const PER_PAGE: i64 = 48;

/// The body limit of the upload route: the largest file, and the form around it.
pub(super) fn upload_limit(max_upload_mb: usize) -> DefaultBodyLimit {
    DefaultBodyLimit::max(max_upload_mb * 1024 * 1024 + 64 * 1024)
}

#[derive(Deserialize, Default)]
pub(super) struct LibraryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
}

#[derive(Serialize)]
struct Tile {
    url: String,
    thumb: String,
    file: String,
    alt: String,
    credit: String,
    size: String,
    by: String,
}

#[derive(Serialize, Default)]
struct UploadForm {
    alt: String,
    caption: String,
    credit: String,
    error: Option<String>,
}

#[derive(Serialize)]
struct LibraryView {
    q: String,
    tiles: Vec<Tile>,
    page: u32,
    prev_url: Option<String>,
    next_url: Option<String>,
    may_upload: bool,
    max_upload_mb: usize,
    upload: UploadForm,
    notice: Option<&'static str>,
}

/// The address of the smallest served copy: what a list shows.
fn thumbnail(image: &Image) -> String {
    let width = image
        .smaller_widths()
        .first()
        .copied()
        .unwrap_or(image.width);
    urls::media(&image.file_at(width, None))
}

fn size_label(bytes: i64) -> String {
    match bytes {
        0 => String::new(),
        b if b < 1_048_576 => format!("{} KB", (b + 1023) / 1024),
        b => format!("{:.1} MB", b as f64 / 1_048_576.0),
    }
}

fn library_url(q: &str, page: u32) -> String {
    let mut pairs = url_pairs(&[("q", q)]);
    if page > 1 {
        pairs.push(format!("page={page}"));
    }
    if pairs.is_empty() {
        urls::desk_media()
    } else {
        format!("{}?{}", urls::desk_media(), pairs.join("&"))
    }
}

async fn library_page(
    desk: &Desk,
    query: &LibraryQuery,
    status: StatusCode,
    upload: UploadForm,
) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    let Some(page) = page_number(&query.page) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "The page number is not one the library has.",
        );
    };
    let search = Some(query.q.trim()).filter(|q| !q.is_empty());
    let offset = i64::from(page - 1) * PER_PAGE;
    let mut images = match desk.app.store.library(search, PER_PAGE + 1, offset).await {
        Ok(images) => images,
        Err(e) => return unavailable(e),
    };
    let has_next = images.len() as i64 > PER_PAGE;
    images.truncate(PER_PAGE as usize);
    let view = LibraryView {
        q: query.q.clone(),
        tiles: images
            .into_iter()
            .map(|entry| Tile {
                url: urls::desk_image(&entry.image.id),
                thumb: thumbnail(&entry.image),
                size: size_label(entry.bytes),
                by: entry.uploaded_by_name.unwrap_or_default(),
                file: entry.image.file,
                alt: entry.image.alt,
                credit: entry.image.credit,
            })
            .collect(),
        page,
        prev_url: (page > 1).then(|| library_url(&query.q, page - 1)),
        next_url: has_next.then(|| library_url(&query.q, page + 1)),
        may_upload: may(me.user.role, Action::Upload, true),
        max_upload_mb: desk.app.library.limits.max_upload_mb,
        upload,
        notice: match query.done.as_str() {
            "deleted" => Some("The image is deleted, with all its files."),
            _ => None,
        },
    };
    render(
        desk,
        Frame::page("desk/media.html", "Media", "media").status(status),
        view,
    )
    .await
}

pub(super) async fn library(
    desk: Desk,
    headers: HeaderMap,
    Query(query): Query<LibraryQuery>,
) -> Response {
    if wants_json(&headers) {
        return library_choices(&desk, &query).await;
    }
    library_page(&desk, &query, StatusCode::OK, UploadForm::default()).await
}

/// The library as the pickers ask for it (the body editor's and the image
/// fields'): the newest images matching the words, each with a thumbnail
/// and its words.
async fn library_choices(desk: &Desk, query: &LibraryQuery) -> Response {
    if desk.signed_in.is_none() {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "Sign in again to choose an image.",
        );
    }
    let search = Some(query.q.trim()).filter(|q| !q.is_empty());
    let images = match desk.app.store.library(search, 24, 0).await {
        Ok(images) => images,
        Err(e) => return unavailable(e),
    };
    let choices: Vec<serde_json::Value> = images
        .into_iter()
        .map(|entry| {
            let image = entry.image;
            serde_json::json!({
                "id": image.id,
                "label": super::image_label(&image),
                "detail": image.credit,
                "src": urls::media(&image.file),
                "thumb": thumbnail(&image),
                "alt": image.alt,
                "caption": image.caption,
                "credit": image.credit,
            })
        })
        .collect();
    axum::Json(serde_json::json!({ "items": choices })).into_response()
}

use super::wants_json;

fn json_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "message": message })),
    )
        .into_response()
}

/// The parts of an upload form.
#[derive(Default)]
struct UploadParts {
    csrf: String,
    file_name: String,
    bytes: Vec<u8>,
    alt: String,
    caption: String,
    credit: String,
}

async fn read_upload(mut multipart: Multipart) -> Result<UploadParts, String> {
    let mut parts = UploadParts::default();
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "too large".to_string()
        } else {
            e.body_text()
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            parts.file_name = field.file_name().unwrap_or_default().to_string();
            parts.bytes = field.bytes().await.map_err(too_large)?.to_vec();
            continue;
        }
        let text = field.text().await.map_err(too_large)?;
        match name.as_str() {
            "csrf" => parts.csrf = text,
            "alt" => parts.alt = text,
            "caption" => parts.caption = text,
            "credit" => parts.credit = text,
            _ => {}
        }
    }
    Ok(parts)
}

fn status_of(e: &MediaError) -> StatusCode {
    use crate::imaging::Refusal;
    match e {
        MediaError::Refused(Refusal::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
        MediaError::Refused(Refusal::NotAnImage | Refusal::LyingName { .. }) => {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        MediaError::Refused(_) | MediaError::Invalid { .. } => StatusCode::BAD_REQUEST,
        MediaError::Forbidden(_) => StatusCode::FORBIDDEN,
        MediaError::NotFound => StatusCode::NOT_FOUND,
        MediaError::InUse { .. } => StatusCode::CONFLICT,
        MediaError::Files(_) => StatusCode::INTERNAL_SERVER_ERROR,
        MediaError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

pub(super) async fn upload(desk: Desk, headers: HeaderMap, multipart: Multipart) -> Response {
    let json = wants_json(&headers);
    let max_mb = desk.app.library.limits.max_upload_mb;
    let parts = match read_upload(multipart).await {
        Ok(parts) => parts,
        Err(why) => {
            let message = if why == "too large" {
                format!(
                    "The file is larger than the {max_mb} MB the library takes. Export the image smaller and upload it again."
                )
            } else {
                format!("The upload arrived incomplete ({why}). Try again.")
            };
            let status = if why == "too large" {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return if json {
                json_error(status, &message)
            } else {
                plain(status, &message)
            };
        }
    };
    let me = match checked(
        &desk,
        &CsrfForm {
            csrf: parts.csrf.clone(),
        },
    ) {
        Ok(me) => me,
        Err(_) if json => {
            return json_error(
                StatusCode::FORBIDDEN,
                "Your session has ended or this page is stale: reload it and sign in again.",
            );
        }
        Err(refused) => return refused.into_response(),
    };
    if parts.bytes.is_empty() && parts.file_name.is_empty() {
        let message = "Choose an image file to upload.";
        if json {
            return json_error(StatusCode::BAD_REQUEST, message);
        }
        let form = UploadForm {
            error: Some(message.into()),
            alt: parts.alt,
            caption: parts.caption,
            credit: parts.credit,
        };
        return library_page(
            &desk,
            &LibraryQuery::default(),
            StatusCode::BAD_REQUEST,
            form,
        )
        .await;
    }
    let kept = UploadForm {
        alt: parts.alt.clone(),
        caption: parts.caption.clone(),
        credit: parts.credit.clone(),
        error: None,
    };
    let upload = Upload {
        file_name: parts.file_name,
        bytes: parts.bytes,
        alt: parts.alt,
        caption: parts.caption,
        credit: parts.credit,
    };
    match desk.app.library.upload(&desk.app.store, &me.user, upload).await {
        Ok(image) if json => axum::Json(serde_json::json!({
            "id": image.id,
            "label": format!("{} ({})", image.file, if image.alt.is_empty() { "no description yet" } else { &image.alt }),
            "url": urls::desk_image(&image.id),
            // Where the editor's figure points: the served copy.
            "src": urls::media(&image.file),
            "alt": image.alt,
            "caption": image.caption,
            "credit": image.credit,
        }))
        .into_response(),
        Ok(image) => see_other(&format!("{}?done=uploaded", urls::desk_image(&image.id))),
        Err(e) => {
            if let MediaError::Storage(inner) = &e {
                tracing::warn!(error = %inner, "an upload could not be recorded");
            }
            let status = status_of(&e);
            if json {
                return json_error(status, &e.to_string());
            }
            if status == StatusCode::FORBIDDEN {
                return forbidden(&desk, &e.to_string()).await;
            }
            let form = UploadForm {
                error: Some(e.to_string()),
                ..kept
            };
            library_page(&desk, &LibraryQuery::default(), status, form).await
        }
    }
}

#[derive(Serialize)]
struct UseView {
    kind: String,
    title: String,
    url: String,
}

#[derive(Serialize)]
struct ImageView {
    id: String,
    action: String,
    delete_url: String,
    src: String,
    file: String,
    width: i32,
    height: i32,
    widths: String,
    webp: bool,
    size: String,
    by: String,
    alt: String,
    caption: String,
    credit: String,
    uses: Vec<UseView>,
    /// Uses in pieces the person may not open: counted, not named.
    unseen_uses: usize,
    may_edit: bool,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ImageQuery {
    #[serde(default)]
    done: String,
}

async fn image_page(
    desk: &Desk,
    id: &str,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    let store = &desk.app.store;
    let entry = match desk.app.library.entry(store, id).await {
        Ok(entry) => entry,
        Err(MediaError::NotFound) => {
            return plain(
                StatusCode::NOT_FOUND,
                "There is no such image in the library: it may have been deleted.",
            );
        }
        Err(e) => return unavailable(e),
    };
    let uses = match store.image_uses(&entry.image).await {
        Ok(uses) => uses,
        Err(e) => return unavailable(e),
    };
    let (uses, unseen_uses) = match editing::visible_uses(store, &me.user, uses).await {
        Ok(visible) => visible,
        Err(e) => return unavailable(e),
    };
    let own = entry.uploaded_by.as_deref() == Some(me.user.id.as_str());
    let image = &entry.image;
    let view = ImageView {
        id: image.id.clone(),
        action: urls::desk_image(&image.id),
        delete_url: format!("{}/delete", urls::desk_image(&image.id)),
        src: urls::media(&image.file),
        file: image.file.clone(),
        width: image.width,
        height: image.height,
        widths: image.widths.replace(',', ", "),
        webp: image.webp,
        size: size_label(entry.bytes),
        by: entry.uploaded_by_name.clone().unwrap_or_default(),
        alt: image.alt.clone(),
        caption: image.caption.clone(),
        credit: image.credit.clone(),
        uses: uses
            .into_iter()
            .map(|u| UseView {
                url: match u.kind.as_str() {
                    "story" => urls::desk_story(&u.id),
                    "brief" => urls::desk_brief(&u.id),
                    _ => String::new(),
                },
                kind: u.kind,
                title: u.title,
            })
            .collect(),
        unseen_uses,
        may_edit: may(me.user.role, Action::Edit, own),
        notice,
        error,
    };
    let title = format!("Image: {}", image.file);
    render(
        desk,
        Frame::page("desk/image.html", &title, "media").status(status),
        view,
    )
    .await
}

pub(super) async fn image(
    desk: Desk,
    Path(id): Path<String>,
    Query(query): Query<ImageQuery>,
) -> Response {
    let notice = match query.done.as_str() {
        "uploaded" => Some("Uploaded: every width and its WebP copy are ready."),
        "saved" => Some("Saved."),
        _ => None,
    };
    image_page(&desk, &id, StatusCode::OK, notice, None).await
}

pub(super) async fn describe(desk: Desk, Path(id): Path<String>, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let described = desk
        .app
        .library
        .describe(
            &desk.app.store,
            &me.user,
            &id,
            form.get("alt"),
            form.get("caption"),
            form.get("credit"),
        )
        .await;
    match described {
        Ok(_) => see_other(&format!("{}?done=saved", urls::desk_image(&id))),
        Err(e @ MediaError::Forbidden(_)) => forbidden(&desk, &e.to_string()).await,
        Err(e) => {
            let status = status_of(&e);
            image_page(&desk, &id, status, None, Some(e.to_string())).await
        }
    }
}

pub(super) async fn delete(desk: Desk, Path(id): Path<String>, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    match desk
        .app
        .library
        .delete(&desk.app.store, &me.user, &id)
        .await
    {
        Ok(()) => see_other(&format!("{}?done=deleted", urls::desk_media())),
        Err(e @ MediaError::Forbidden(_)) => forbidden(&desk, &e.to_string()).await,
        Err(e) => {
            let status = status_of(&e);
            image_page(&desk, &id, status, None, Some(e.to_string())).await
        }
    }
}
