//! The editorial desk (`/desk`): where the newsroom works. Its pages depend
//! on who is signed in, so it never passes through the public page cache,
//! every answer is `Cache-Control: no-store`, and every form is checked
//! twice: the browser's `Origin` (the CSRF layer) and a per-session token.
//!
//! One file a screen; this one holds the router and what every page
//! shares: its frame, and how a refusal is shown (`error.rs`). Handlers are
//! thin: they read a request through the extractors of `session.rs` (signed
//! in; a checked form), call one service, and render or redirect.

mod activity;
mod briefs;
mod documents;
mod error;
mod form;
mod front;
mod home;
mod integrations;
mod live;
mod media;
mod newsletters;
mod pages;
mod people;
mod pickers;
mod readership;
mod revisions;
mod search;
mod session;
mod settings;
mod sign_in;
mod stories;
mod subscribers;
mod taxonomy;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use super::App;
use crate::model::accounts::{Role, User};
use crate::model::dates;
use crate::services::accounts::SignedIn;
use crate::services::permissions::{Action, may};
use crate::urls;
use error::{DeskError, DeskMessage, DeskResult};
use pickers::{ImageChoice, PickerItem, image_choices, image_label, picker_answer, wants_json};
use session::{CheckedForm, Desk, Refused, SignedInDesk};

pub fn router(app: &Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home::show))
        .route("/login", get(sign_in::login_form).post(sign_in::login))
        .route("/logout", post(sign_in::logout))
        .route("/logout-everywhere", post(sign_in::logout_everywhere))
        .route(
            "/password/{token}",
            get(sign_in::password_form).post(sign_in::set_password),
        )
        .route("/people", get(people::show).post(people::invite))
        .route("/people/{id}/{action}", post(people::act))
        .route("/stories", get(stories::list))
        .route(
            "/stories/new",
            get(stories::new_story).post(stories::create_story),
        )
        .route("/stories/preview", post(stories::preview))
        .route("/documents/from-markdown", post(documents::from_markdown))
        .route(
            "/stories/{id}",
            get(stories::edit_story).post(stories::update_story),
        )
        .route("/stories/{id}/revisions", get(stories::revisions))
        .route("/stories/{id}/delete", post(stories::delete))
        .route("/stories/{id}/preview-link", post(stories::preview_link))
        .route(
            "/stories/{id}/preview-withdraw",
            post(stories::withdraw_preview),
        )
        .route("/stories/{id}/related", post(stories::related))
        .route("/stories/{id}/notes", post(stories::add_note))
        .route("/stories/{id}/live", get(live::show).post(live::coverage))
        .route("/stories/{id}/updates", post(live::post))
        .route("/stories/{id}/updates/{update}", post(live::change))
        .route("/stories/{id}/notes/{note}", post(stories::change_note))
        .route("/stories/{id}/restore", post(stories::restore))
        .route("/preview/{token}", get(stories::shared_preview))
        .route("/front", get(front::show).post(front::arrange))
        .route("/newsletters", get(newsletters::list))
        .route("/subscribers", get(subscribers::list))
        .route("/subscribers/export.csv", get(subscribers::export))
        .route(
            "/subscribers/import",
            post(subscribers::import).layer(subscribers::import_limit()),
        )
        .route("/subscribers/{id}", get(subscribers::reader))
        .route("/newsletters/{slug}/compose", post(newsletters::compose))
        .route(
            "/newsletters/{slug}/settings",
            get(newsletters::settings).post(newsletters::save_settings),
        )
        .route(
            "/newsletters/issues/{id}",
            get(newsletters::issue).post(newsletters::save),
        )
        .route(
            "/newsletters/issues/{id}/preview",
            get(newsletters::preview),
        )
        .route(
            "/newsletters/issues/{id}/progress",
            get(newsletters::progress),
        )
        .route("/newsletters/issues/{id}/test", post(newsletters::test))
        .route("/newsletters/issues/{id}/send", post(newsletters::send))
        .route(
            "/newsletters/issues/{id}/schedule",
            post(newsletters::schedule),
        )
        .route("/newsletters/issues/{id}/pause", post(newsletters::pause))
        .route("/newsletters/issues/{id}/resume", post(newsletters::resume))
        .route("/sections", get(taxonomy::show).post(taxonomy::add_section))
        .route("/sections/labels", post(taxonomy::labels))
        .route("/sections/{id}", post(taxonomy::change_section))
        .route("/tags", get(taxonomy::tag_choices))
        .route("/tags/{id}", post(taxonomy::change_tag))
        .route("/settings", get(settings::show).post(settings::save))
        .route("/activity", get(activity::show))
        .route("/readership", get(readership::show))
        .route("/readership.csv", get(readership::export))
        .route("/search", get(search::show))
        .route(
            "/integrations",
            get(integrations::show).post(integrations::add),
        )
        .route(
            "/integrations/webhooks/{id}/delete",
            post(integrations::remove_webhook),
        )
        .route("/integrations/{id}/revoke", post(integrations::revoke))
        .route(
            "/integrations/{id}/webhooks",
            post(integrations::add_webhook),
        )
        .route("/authors", get(taxonomy::authors))
        .route(
            "/authors/{id}",
            get(taxonomy::author).post(taxonomy::save_author),
        )
        .route("/pages", get(pages::list))
        .route("/pages/new", get(pages::new_page).post(pages::create))
        .route("/pages/preview", post(pages::preview))
        .route("/pages/{id}", get(pages::edit).post(pages::update))
        .route("/pages/{id}/revisions", get(pages::revisions))
        .route("/pages/{id}/delete", post(pages::delete))
        .route("/pages/{id}/restore", post(pages::restore))
        .route("/briefs", get(briefs::list).post(briefs::create))
        .route("/briefs/{id}", get(briefs::edit).post(briefs::update))
        .route("/briefs/{id}/revisions", get(briefs::revisions))
        .route("/briefs/{id}/delete", post(briefs::delete))
        .route("/briefs/{id}/restore", post(briefs::restore))
        .route(
            "/media",
            get(media::library)
                .post(media::upload)
                .layer(media::upload_limit(app.library.limits.max_upload_mb)),
        )
        .route("/media/{id}", get(media::image).post(media::describe))
        .route("/media/{id}/delete", post(media::delete))
        .fallback(unknown_address)
        .layer(axum::middleware::from_fn_with_state(app.clone(), framed))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            session::signed_in_before_body,
        ))
        .layer(super::security::csrf(&app.public_url, refused_cross_site))
        .layer(axum::middleware::map_response(no_store))
        .layer(axum::middleware::from_fn(compressed))
}

/// The desk's pages (a story's editor holds its body twice: the form and
/// the preview) sent compressed in the coding the browser accepts, as the
/// site's cached pages are. Streams and files pass as they are.
async fn compressed(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let accepts = request.headers().clone();
    let response = next.run(request).await;
    let textual = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/json"));
    if !textual || response.headers().contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    let (parts, body) = response.into_parts();
    const LIMIT: usize = 8 * 1024 * 1024;
    let Ok(bytes) = axum::body::to_bytes(body, LIMIT).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "The page was too large to send.",
        )
            .into_response();
    };
    let page = super::encoded::Encoded::new(parts.status, parts.headers, None, bytes);
    let page = page.with_coding(page.coding_for(&accepts));
    let mut response = page.respond(&accepts);
    // Never stored, so never validated: no ETag (nothing of the page
    // cache's machinery reaches the desk but its encodings).
    response.headers_mut().remove(header::ETAG);
    // What handlers mark for the layers outside (a preview that may be framed).
    response.extensions_mut().extend(parts.extensions);
    response
}

async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn plain(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

/// Unknown desk addresses; one with a trailing slash (`/desk/stories/`)
/// is sent to the page without it.
async fn unknown_address(
    method: axum::http::Method,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> Response {
    let readable = matches!(method, axum::http::Method::GET | axum::http::Method::HEAD);
    if let Some(canonical) = uri
        .path_and_query()
        .filter(|_| readable)
        .and_then(|p| urls::canonical_form(p.as_str()))
    {
        return (
            StatusCode::MOVED_PERMANENTLY,
            [(axum::http::header::LOCATION, canonical)],
        )
            .into_response();
    }
    DeskError::not_found(NO_SUCH_PAGE).into_response()
}

const NO_SUCH_PAGE: &str = "There is no desk page at this address.";

/// A refusal (a [`DeskError`]) shown as the desk shows everything to a
/// browser: a page in its frame, the person's navigation included; the
/// desk's scripts get `{"message": …}`; anything else keeps the plain text.
async fn framed(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = request.headers().clone();
    let response = next.run(request).await;
    let Some(said) = response.extensions().get::<DeskMessage>().cloned() else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    if wants_json(&headers) {
        parts.headers.remove(header::CONTENT_TYPE);
        let json = axum::Json(serde_json::json!({ "message": said.message }));
        return (parts, json).into_response();
    }
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !browser || parts.status == StatusCode::SERVICE_UNAVAILABLE {
        return Response::from_parts(parts, body);
    }
    let signed_in = session::signed_in_by_headers(&app, &headers).await;
    #[derive(Serialize)]
    struct Message {
        heading: &'static str,
        message: String,
    }
    let frame = Frame::page("desk/message.html", said.heading, "");
    let message = Message {
        heading: said.heading,
        message: said.message,
    };
    match page_html(&app, signed_in.as_ref(), frame, message).await {
        Ok(page) => {
            let mut framed = page.into_response();
            *framed.status_mut() = parts.status;
            for name in [header::RETRY_AFTER, header::ALLOW] {
                if let Some(value) = parts.headers.get(&name) {
                    framed.headers_mut().insert(name, value.clone());
                }
            }
            framed
        }
        Err(_) => Response::from_parts(parts, body),
    }
}

fn refused_cross_site() -> Response {
    plain(
        StatusCode::FORBIDDEN,
        "This form was sent from another site, so it was refused. Use the desk's own pages.",
    )
}

/// What every desk page shows around its content.
#[derive(Serialize)]
struct DeskChrome {
    language: String,
    site_title: String,
    title: String,
    /// Which part of the desk the page belongs to (for the navigation).
    section: &'static str,
    user: Option<UserView>,
    csrf: Option<String>,
}

#[derive(Serialize)]
struct UserView {
    name: String,
    role: &'static str,
    /// "an" or "a", before the role's name.
    role_article: &'static str,
    manages_people: bool,
    /// Arranges the front page and looks after pages.
    curates: bool,
    /// Sections, tags and labels.
    manages_taxonomy: bool,
    manages_settings: bool,
    reads_activity: bool,
    manages_integrations: bool,
}

fn user_view(user: &User) -> UserView {
    UserView {
        name: user.name.clone(),
        role: user.role.label(),
        manages_people: may(user.role, Action::ManagePeople, false),
        curates: may(user.role, Action::Curate, false),
        manages_taxonomy: may(user.role, Action::ManageTaxonomy, false),
        manages_settings: may(user.role, Action::ChangeSettings, false),
        reads_activity: may(user.role, Action::ReadActivity, false),
        manages_integrations: may(user.role, Action::ManageIntegrations, false),
        role_article: match user.role {
            Role::Contributor => "a",
            Role::Owner | Role::Editor | Role::Author => "an",
        },
    }
}

/// How a desk page is framed: its status, template, title, part of the desk.
struct Frame<'a> {
    status: StatusCode,
    template: &'a str,
    title: &'a str,
    section: &'static str,
    /// A narrow column (forms of a few fields).
    narrow: bool,
}

impl Frame<'_> {
    fn page<'a>(template: &'a str, title: &'a str, section: &'static str) -> Frame<'a> {
        Frame {
            status: StatusCode::OK,
            template,
            title,
            section,
            narrow: false,
        }
    }

    fn form<'a>(template: &'a str, title: &'a str) -> Frame<'a> {
        Frame {
            status: StatusCode::OK,
            template,
            title,
            section: "",
            narrow: true,
        }
    }

    fn status(self, status: StatusCode) -> Self {
        Frame { status, ..self }
    }
}

/// Renders a desk template; a failure is an error page, never a panic.
async fn render(desk: &Desk, frame: Frame<'_>, context: impl Serialize) -> DeskResult {
    page_html(&desk.app, desk.signed_in.as_ref(), frame, context).await
}

async fn page_html(
    app: &App,
    signed_in: Option<&SignedIn>,
    frame: Frame<'_>,
    context: impl Serialize,
) -> DeskResult {
    let settings = app.store.site_settings().await?;
    let chrome = DeskChrome {
        language: settings.language,
        site_title: settings.title,
        title: frame.title.to_string(),
        section: frame.section,
        user: signed_in.map(|s| user_view(&s.user)),
        csrf: signed_in.map(|s| s.csrf_token.clone()),
    };
    #[derive(Serialize)]
    struct Page<C> {
        desk: DeskChrome,
        narrow: bool,
        #[serde(flatten)]
        page: C,
    }
    let html = app
        .theme
        .render(
            frame.template,
            Page {
                desk: chrome,
                narrow: frame.narrow,
                page: context,
            },
        )
        .map_err(|e| DeskError::Bug(format!("a desk page failed to render: {e:#}")))?;
    Ok((
        frame.status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Body::from(html),
    )
        .into_response())
}

/// A moment as desk pages show it: a machine-readable time and "4 Dec 2026, 18:30".
fn desk_time(t: crate::model::UnixTime, tz: &jiff::tz::TimeZone) -> crate::web::site::DateView {
    crate::web::site::DateView {
        iso: jiff::Timestamp::from_second(t)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_string(),
        display: dates::format(t, tz, "%-d %b %Y, %H:%M"),
    }
}

/// Refuses, saying `why`, a person whose role does not allow `action`.
fn allowed(me: &SignedIn, action: Action, why: &str) -> DeskResult<()> {
    if may(me.user.role, action, false) {
        Ok(())
    } else {
        Err(DeskError::forbidden(why))
    }
}

/// Which page of a list paged by key an address asks for (`older=` or
/// `newer=` a line's key); a key that is not one is refused.
fn page_key(older: &str, newer: &str) -> DeskResult<crate::store::PageKey> {
    use crate::store::{Cursor, PageKey};
    let read = |text: &str| {
        Cursor::parse(text).ok_or_else(|| {
            DeskError::invalid("This page of the list does not exist: start again from the newest.")
        })
    };
    Ok(match (older, newer) {
        ("", "") => PageKey::Newest,
        (older, "") => PageKey::Older(read(older)?),
        (_, newer) => PageKey::Newer(read(newer)?),
    })
}

/// The site's time zone, for the times desk pages show.
async fn site_timezone(app: &App) -> DeskResult<jiff::tz::TimeZone> {
    let settings = app.store.site_settings().await?;
    Ok(settings.time_zone())
}

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}
