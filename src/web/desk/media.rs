//! The media library in the desk: browse and search, upload (a plain file
//! input, or dropped on the page; from the story editor too), describe,
//! see where an image is used, delete one that no longer is.

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::session::{CsrfForm, checked};
use super::stories::url_pairs;
use super::{
    CheckedForm, Desk, DeskError, DeskResult, Frame, SignedInDesk, page_key, render, see_other,
    wants_json,
};
use crate::failure::{Failure, FailureKind};
use crate::model::Image;
use crate::services::accounts::SignedIn;
use crate::services::editing;
use crate::services::media::{MediaError, Upload};
use crate::services::permissions::{Action, may};
use crate::store::Cursor;
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
    /// The page of images older than this key.
    #[serde(default)]
    older: String,
    /// The page of images newer than this key.
    #[serde(default)]
    newer: String,
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

/// The library's address with the same words, at the page `side`
/// (`older` or `newer`) of `key`.
fn library_url(q: &str, side: &str, key: &Cursor) -> String {
    let token = key.token();
    let pairs = url_pairs(&[("q", q), (side, &token)]);
    format!("{}?{}", urls::desk_media(), pairs.join("&"))
}

async fn library_page(
    desk: &Desk,
    me: &SignedIn,
    query: &LibraryQuery,
    status: StatusCode,
    upload: UploadForm,
) -> DeskResult {
    let key = page_key(&query.older, &query.newer)?;
    let search = Some(query.q.trim()).filter(|q| !q.is_empty());
    let page = desk.app.store.library_page(search, &key, PER_PAGE).await?;
    let view = LibraryView {
        q: query.q.clone(),
        tiles: page
            .rows
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
        prev_url: page.newer.map(|key| library_url(&query.q, "newer", &key)),
        next_url: page.older.map(|key| library_url(&query.q, "older", &key)),
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
    SignedInDesk { desk, me }: SignedInDesk,
    headers: HeaderMap,
    Query(query): Query<LibraryQuery>,
) -> DeskResult {
    if wants_json(&headers) {
        return library_choices(&desk, &query).await;
    }
    library_page(&desk, &me, &query, StatusCode::OK, UploadForm::default()).await
}

/// The library as the pickers ask for it (the body editor's and the image
/// fields'): the newest images matching the words, each with a thumbnail
/// and its words.
async fn library_choices(desk: &Desk, query: &LibraryQuery) -> DeskResult {
    let search = Some(query.q.trim()).filter(|q| !q.is_empty());
    let images = desk.app.store.library(search, PICKED_IMAGES).await?;
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
    Ok(axum::Json(serde_json::json!({ "items": choices })).into_response())
}

/// Images a picker lists at once.
const PICKED_IMAGES: i64 = 24;

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

async fn read_upload(mut multipart: Multipart, max_mb: usize) -> DeskResult<UploadParts> {
    let mut parts = UploadParts::default();
    let too_large = |e: axum::extract::multipart::MultipartError| {
        let message = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "The file is larger than the {max_mb} MB the library takes. Export the image smaller and upload it again."
            )
        } else {
            format!(
                "The upload arrived incomplete ({}). Try again.",
                e.body_text()
            )
        };
        DeskError::Said {
            status: e.status(),
            message,
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

/// Whether the library page can show a refusal beside the upload form
/// (a file that is not right), rather than as a page of its own.
fn shown_on_the_form(e: &MediaError) -> bool {
    matches!(
        e.kind(),
        FailureKind::Invalid | FailureKind::TooLarge | FailureKind::Unsupported
    )
}

pub(super) async fn upload(desk: Desk, headers: HeaderMap, multipart: Multipart) -> DeskResult {
    let json = wants_json(&headers);
    let max_mb = desk.app.library.limits.max_upload_mb;
    let parts = read_upload(multipart, max_mb).await?;
    let me = checked(
        &desk,
        &CsrfForm {
            csrf: parts.csrf.clone(),
        },
    )?;
    if parts.bytes.is_empty() && parts.file_name.is_empty() {
        let message = "Choose an image file to upload.";
        if json {
            return Err(DeskError::invalid(message));
        }
        let form = UploadForm {
            error: Some(message.into()),
            alt: parts.alt,
            caption: parts.caption,
            credit: parts.credit,
        };
        let query = LibraryQuery::default();
        return library_page(&desk, &me, &query, StatusCode::BAD_REQUEST, form).await;
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
        Ok(image) if json => Ok(axum::Json(serde_json::json!({
            "id": image.id,
            "label": format!("{} ({})", image.file, if image.alt.is_empty() { "no description yet" } else { &image.alt }),
            "url": urls::desk_image(&image.id),
            // Where the editor's figure points: the served copy.
            "src": urls::media(&image.file),
            "alt": image.alt,
            "caption": image.caption,
            "credit": image.credit,
        }))
        .into_response()),
        Ok(image) => Ok(see_other(&format!(
            "{}?done=uploaded",
            urls::desk_image(&image.id)
        ))),
        Err(e) if !json && shown_on_the_form(&e) => {
            let form = UploadForm {
                error: Some(e.to_string()),
                ..kept
            };
            let status = DeskError::from(e).status();
            library_page(&desk, &me, &LibraryQuery::default(), status, form).await
        }
        Err(e) => Err(e.into()),
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
    me: &SignedIn,
    id: &str,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> DeskResult {
    let store = &desk.app.store;
    let entry = match desk.app.library.entry(store, id).await {
        Ok(entry) => entry,
        Err(MediaError::NotFound) => {
            return Err(DeskError::not_found(
                "There is no such image in the library: it may have been deleted.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let uses = store.image_uses(&entry.image).await?;
    let (uses, unseen_uses) = editing::visible_uses(store, &me.user, uses).await?;
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
                    "page" => urls::desk_page(&u.id),
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
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
    Query(query): Query<ImageQuery>,
) -> DeskResult {
    let notice = match query.done.as_str() {
        "uploaded" => Some("Uploaded: every width and its WebP copy are ready."),
        "saved" => Some("Saved."),
        _ => None,
    };
    image_page(&desk, &me, &id, StatusCode::OK, notice, None).await
}

/// After a change to an image: back to it, or its page with the reason
/// when the page can show it (bad words, an image still in use).
async fn changed(
    desk: &Desk,
    me: &SignedIn,
    id: &str,
    result: Result<String, MediaError>,
) -> DeskResult {
    match result {
        Ok(next) => Ok(see_other(&next)),
        Err(e) if matches!(e.kind(), FailureKind::Invalid | FailureKind::Conflict) => {
            let why = e.to_string();
            let status = DeskError::from(e).status();
            image_page(desk, me, id, status, None, Some(why)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct DescriptionFields {
    #[serde(default)]
    alt: String,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    credit: String,
}

pub(super) async fn describe(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<DescriptionFields>,
) -> DeskResult {
    let library = &desk.app.library;
    let described = library
        .describe(
            &desk.app.store,
            &me.user,
            &id,
            &form.alt,
            &form.caption,
            &form.credit,
        )
        .await
        .map(|_| format!("{}?done=saved", urls::desk_image(&id)));
    changed(&desk, &me, &id, described).await
}

pub(super) async fn delete(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    let library = &desk.app.library;
    let deleted = library
        .delete(&desk.app.store, &me.user, &id)
        .await
        .map(|()| format!("{}?done=deleted", urls::desk_media()));
    changed(&desk, &me, &id, deleted).await
}
