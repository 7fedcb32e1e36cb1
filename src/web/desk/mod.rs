//! The editorial desk (`/desk`): where the newsroom works. Its pages depend
//! on who is signed in, so it never passes through the public page cache,
//! every answer is `Cache-Control: no-store`, and every form is checked
//! twice: the browser's `Origin` (the CSRF layer) and a per-session token.
//!
//! What exists so far: signing in and out (everywhere, too), choosing a
//! password from a one-time link, and a home page with the people and the
//! recent activity for those allowed to see them.

mod briefs;
mod documents;
mod form;
mod front;
mod integrations;
mod media;
mod newsletters;
mod pages;
mod revisions;
mod search;
mod session;
mod settings;
mod stories;
mod subscribers;
mod taxonomy;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, body::Body};
use serde::{Deserialize, Serialize};

use super::App;
use crate::model::accounts::{Role, User};
use crate::model::dates;
use crate::services::accounts::{self, AccountError, SignedIn};
use crate::services::permissions::{Action, may};
use crate::urls;
use session::{ClientAddr, Desk};

pub fn router(app: &Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .route("/password/{token}", get(password_form).post(set_password))
        .route("/people", get(people).post(invite))
        .route("/people/{id}/{action}", post(person_action))
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
        .route("/stories/{id}/{action}", post(stories::story_action))
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
        .route("/newsletters/issues/{id}/{action}", post(newsletters::act))
        .route("/sections", get(taxonomy::show).post(taxonomy::add_section))
        .route("/sections/labels", post(taxonomy::labels))
        .route("/sections/{id}", post(taxonomy::change_section))
        .route("/tags/{id}", post(taxonomy::change_tag))
        .route("/settings", get(settings::show).post(settings::save))
        .route("/activity", get(settings::activity))
        .route("/search", get(search::show))
        .route(
            "/integrations",
            get(integrations::show).post(integrations::add),
        )
        .route(
            "/integrations/webhooks/{id}/delete",
            post(integrations::remove_webhook),
        )
        .route("/integrations/{id}/{action}", post(integrations::act))
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
        .route("/pages/{id}/{action}", post(pages::action))
        .route("/briefs", get(briefs::list).post(briefs::create))
        .route("/briefs/{id}", get(briefs::edit).post(briefs::update))
        .route("/briefs/{id}/revisions", get(briefs::revisions))
        .route("/briefs/{id}/{action}", post(briefs::action))
        .route(
            "/media",
            get(media::library)
                .post(media::upload)
                .layer(media::upload_limit(app.library.limits.max_upload_mb)),
        )
        .route("/media/{id}", get(media::image).post(media::describe))
        .route("/media/{id}/delete", post(media::delete))
        .fallback(unknown_address)
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
    not_found().await
}

async fn not_found() -> Response {
    plain(
        StatusCode::NOT_FOUND,
        "There is no desk page at this address.",
    )
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
async fn render(desk: &Desk, frame: Frame<'_>, context: impl Serialize) -> Response {
    let settings = match crate::services::settings::load(&desk.app.store).await {
        Ok(settings) => settings,
        Err(e) => return unavailable(e),
    };
    let chrome = DeskChrome {
        language: settings.language,
        site_title: settings.title,
        title: frame.title.to_string(),
        section: frame.section,
        user: desk.signed_in.as_ref().map(|s| user_view(&s.user)),
        csrf: desk.signed_in.as_ref().map(|s| s.csrf_token.clone()),
    };
    #[derive(Serialize)]
    struct Page<C> {
        desk: DeskChrome,
        narrow: bool,
        #[serde(flatten)]
        page: C,
    }
    match desk.app.theme.render(
        frame.template,
        Page {
            desk: chrome,
            narrow: frame.narrow,
            page: context,
        },
    ) {
        Ok(html) => (
            frame.status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            Body::from(html),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "a desk page failed to render");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "This desk page could not be shown. The error is in the server's log.",
            )
        }
    }
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

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::warn!(error = %e, "the desk cannot reach the database");
    plain(
        StatusCode::SERVICE_UNAVAILABLE,
        "The desk cannot reach its database just now. Try again in a moment.",
    )
}

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

#[derive(Serialize)]
struct PersonView {
    name: String,
    email: String,
    role: &'static str,
    has_password: bool,
}

/// Whether the browser's script asked for JSON (the pickers, the editor's
/// upload box).
pub(super) fn wants_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// One choice a desk picker offers: what is chosen, what it shows.
#[derive(Serialize)]
pub(super) struct PickerItem {
    pub id: String,
    pub label: String,
    pub detail: String,
}

/// Library images a list offers without scripting (with scripting, the list
/// is a picker that finds any image by its words).
const IMAGE_CHOICES: i64 = 20;

/// An image offered by an image field (a hero, a logo, an author's photo).
#[derive(Serialize)]
pub(super) struct ImageChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
    /// Its address (the share preview shows it).
    pub src: String,
}

/// How a list names an image: its file and what it shows.
pub(super) fn image_label(image: &crate::model::Image) -> String {
    let about = [image.alt.as_str(), image.caption.as_str()]
        .into_iter()
        .find(|t| !t.trim().is_empty())
        .unwrap_or("no description yet");
    format!("{} ({about})", image.file)
}

/// The choices of an image field: none (`none` says what that means), the
/// newest images, and the chosen one however old it is.
pub(super) async fn image_choices(
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
pub(super) fn picker_answer(items: Vec<PickerItem>) -> Response {
    axum::Json(serde_json::json!({ "items": items })).into_response()
}

/// A line of the activity log as the desk shows it (its home page and the
/// log itself): what it concerns named by its words, linked when it can be.
#[derive(Serialize)]
pub(super) struct ActivityLine {
    when: crate::web::site::DateView,
    who: String,
    action: String,
    subject: String,
    link: Option<String>,
}

impl ActivityLine {
    pub(super) fn of(row: crate::store::ActivityRow, tz: &jiff::tz::TimeZone) -> ActivityLine {
        use crate::model::accounts::ActivityTarget;
        let link = row
            .target_kind
            .as_deref()
            .zip(row.target_id.as_deref())
            .and_then(|(kind, id)| ActivityTarget::from_parts(kind, id))
            .map(|target| match target {
                ActivityTarget::Story(id) => urls::desk_story(id),
                ActivityTarget::Brief(id) => urls::desk_brief(id),
                ActivityTarget::Page(id) => urls::desk_page(id),
                ActivityTarget::Issue(id) => urls::desk_issue(id),
            });
        ActivityLine {
            when: desk_time(row.at, tz),
            who: row
                .user_name
                .unwrap_or_else(|| "the command line or the scheduler".into()),
            action: row.action,
            subject: row.subject,
            link,
        }
    }
}

#[derive(Serialize)]
struct HomeView {
    notice: Option<&'static str>,
    activity: Vec<ActivityLine>,
    /// Stories waiting for an editor (shown to those who may publish them).
    in_review: Option<usize>,
    /// The person's own drafts and pieces in review (contributors).
    own_drafts: Option<usize>,
}

/// Counted up to this many; more shows as "100+".
const QUEUE_COUNT_LIMIT: i64 = 100;

#[derive(Deserialize)]
struct HomeQuery {
    #[serde(default)]
    done: String,
}

async fn home(desk: Desk, Query(query): Query<HomeQuery>) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    let store = &desk.app.store;
    let activity = if may(me.user.role, Action::ReadActivity, false) {
        let settings = match crate::services::settings::load(store).await {
            Ok(s) => s,
            Err(e) => return unavailable(e),
        };
        let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        match store.activity(30).await {
            Ok(rows) => rows.into_iter().map(|a| ActivityLine::of(a, &tz)).collect(),
            Err(e) => return unavailable(e),
        }
    } else {
        vec![]
    };
    let in_review = if may(me.user.role, Action::Publish, false) {
        let filter = crate::store::WorkFilter {
            status: Some(crate::model::Status::Review),
            ..Default::default()
        };
        match store.work_stories(&filter, QUEUE_COUNT_LIMIT, 0).await {
            Ok(items) => Some(items.len()),
            Err(e) => return unavailable(e),
        }
    } else {
        None
    };
    let own_drafts = match stories::own_only(&me.user) {
        Some(own) => {
            let filter = crate::store::WorkFilter {
                status: Some(crate::model::Status::Draft),
                own: Some(own),
                ..Default::default()
            };
            match store.work_stories(&filter, QUEUE_COUNT_LIMIT, 0).await {
                Ok(items) => Some(items.len()),
                Err(e) => return unavailable(e),
            }
        }
        None => None,
    };
    render(
        &desk,
        Frame::page("desk/home.html", "Desk", "home"),
        HomeView {
            notice: (query.done == "password")
                .then_some("Your password is saved, and you are signed in."),
            activity,
            in_review,
            own_drafts,
        },
    )
    .await
}

#[derive(Serialize, Default)]
struct LoginView {
    /// The desk page to return to after signing in.
    next: String,
    email: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    next: String,
}

async fn login_form(desk: Desk, Query(query): Query<LoginQuery>) -> Response {
    if desk.signed_in.is_some() {
        return see_other(&urls::desk());
    }
    let notice = match query.done.as_str() {
        "signed-out" => Some("You are signed out."),
        _ => None,
    };
    let view = LoginView {
        notice,
        next: Some(query.next)
            .filter(|n| is_desk_path(n))
            .unwrap_or_default(),
        ..Default::default()
    };
    render(&desk, Frame::form("desk/login.html", "Sign in"), view).await
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    next: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn login(
    desk: Desk,
    ClientAddr(client): ClientAddr,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return plain(
            StatusCode::BAD_REQUEST,
            "The sign-in form arrived incomplete. Go back and try again.",
        );
    };
    let store = &desk.app.store;
    match accounts::sign_in(
        store,
        &form.email,
        &form.password,
        &client,
        desk.token.as_deref(),
    )
    .await
    {
        Ok(session) => {
            let back = Some(form.next.as_str())
                .filter(|n| is_desk_path(n))
                .map_or_else(urls::desk, str::to_string);
            let mut response = see_other(&back);
            response.headers_mut().insert(
                header::SET_COOKIE,
                session::cookie(&desk.app.public_url, &session.token),
            );
            response
        }
        Err(AccountError::Storage(e)) => unavailable(e),
        Err(e) => {
            let status = match e {
                AccountError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let view = LoginView {
                next: Some(form.next)
                    .filter(|n| is_desk_path(n))
                    .unwrap_or_default(),
                email: form.email,
                error: Some(e.to_string()),
                notice: None,
            };
            let frame = Frame::form("desk/login.html", "Sign in").status(status);
            let mut response = render(&desk, frame, view).await;
            if let AccountError::Throttled { retry_after } = e {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            response
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Why a desk request was not accepted.
enum Refused {
    /// Its token is not this session's: stale, or made elsewhere.
    StaleForm,
    /// Signing in leads back to this desk page.
    NotSignedIn(String),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::StaleForm => plain(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from your desk. Reload the page and try again.",
            ),
            Refused::NotSignedIn(back) => see_other(&login_then(&back)),
        }
    }
}

/// The signed-in person of a desk form, once its token is checked.
fn checked(desk: &Desk, form: &CsrfForm) -> Result<SignedIn, Refused> {
    match &desk.signed_in {
        Some(me) if accounts::same_secret(&me.csrf_token, &form.csrf) => Ok(me.clone()),
        Some(_) => Err(Refused::StaleForm),
        None => Err(Refused::NotSignedIn(desk.path.clone())),
    }
}

/// The sign-in page, leading back to `back` (a desk page) afterwards.
fn login_then(back: &str) -> String {
    if back == urls::desk() || back == urls::desk_login() || !is_desk_path(back) {
        urls::desk_login()
    } else {
        format!("{}?next={}", urls::desk_login(), urls::query_encode(back))
    }
}

/// A path inside the desk (never another site: `//host` or `/desk.evil`).
fn is_desk_path(path: &str) -> bool {
    path.starts_with("/desk/")
        && !path.contains("//")
        && !path.contains('\\')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
}

impl Desk {
    /// The answer for a page that needs someone signed in.
    fn sign_in_first(&self) -> Response {
        Refused::NotSignedIn(self.path.clone()).into_response()
    }
}

async fn logout(desk: Desk, Form(form): Form<CsrfForm>) -> Response {
    if let Err(refused) = checked(&desk, &form) {
        return refused.into_response();
    }
    if let Some(token) = &desk.token
        && let Err(e) = accounts::sign_out(&desk.app.store, token).await
    {
        return unavailable(e);
    }
    signed_out(&desk)
}

async fn logout_everywhere(desk: Desk, Form(form): Form<CsrfForm>) -> Response {
    let me = match checked(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    if let Err(e) = accounts::sign_out_everywhere(&desk.app.store, &me.user).await {
        return unavailable(e);
    }
    signed_out(&desk)
}

fn signed_out(desk: &Desk) -> Response {
    let mut response = see_other(&format!("{}?done=signed-out", urls::desk_login()));
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::expired_cookie(&desk.app.public_url),
    );
    response
}

#[derive(Serialize, Default)]
struct PasswordView {
    invalid_link: Option<String>,
    person: Option<PersonView>,
    errors: std::collections::HashMap<&'static str, String>,
}

/// The choose-a-password page; `typed_name`: the name as last typed, kept
/// when the form is refused.
async fn password_page(
    desk: &Desk,
    token: &str,
    status: StatusCode,
    errors: std::collections::HashMap<&'static str, String>,
    typed_name: Option<String>,
) -> Response {
    let view = match accounts::link_user(&desk.app.store, token).await {
        Ok(user) => PasswordView {
            person: Some(PersonView {
                name: typed_name.unwrap_or(user.name),
                email: user.email,
                role: user.role.label(),
                has_password: user.password_hash.is_some(),
            }),
            errors,
            ..Default::default()
        },
        Err(AccountError::Storage(e)) => return unavailable(e),
        Err(e) => {
            let view = PasswordView {
                invalid_link: Some(e.to_string()),
                ..Default::default()
            };
            let frame = Frame::form("desk/password.html", "Choose a password")
                .status(StatusCode::NOT_FOUND);
            return render(desk, frame, view).await;
        }
    };
    let frame = Frame::form("desk/password.html", "Choose a password").status(status);
    render(desk, frame, view).await
}

async fn password_form(desk: Desk, Path(token): Path<String>) -> Response {
    password_page(&desk, &token, StatusCode::OK, Default::default(), None).await
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeated: String,
}

async fn set_password(
    desk: Desk,
    Path(token): Path<String>,
    form: Result<Form<PasswordForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return plain(
            StatusCode::BAD_REQUEST,
            "The form arrived incomplete. Go back and try again.",
        );
    };
    match accounts::set_password(
        &desk.app.store,
        &token,
        &form.name,
        &form.password,
        &form.repeated,
    )
    .await
    {
        Ok(new_session) => {
            // Every other session of this person ended; this browser is
            // signed in with a new one.
            let mut response = see_other(&format!("{}?done=password", urls::desk()));
            response.headers_mut().insert(
                header::SET_COOKIE,
                session::cookie(&desk.app.public_url, &new_session.token),
            );
            response
        }
        Err(AccountError::Invalid { field, message }) => {
            let errors = std::collections::HashMap::from([(field, message)]);
            let typed = Some(form.name).filter(|n| !n.trim().is_empty());
            password_page(&desk, &token, StatusCode::BAD_REQUEST, errors, typed).await
        }
        Err(AccountError::Storage(e)) => unavailable(e),
        Err(_) => {
            password_page(
                &desk,
                &token,
                StatusCode::NOT_FOUND,
                Default::default(),
                None,
            )
            .await
        }
    }
}

/// The signed-in owner of a request, or the page that says who may.
async fn owner(desk: &Desk) -> Result<SignedIn, Response> {
    match &desk.signed_in {
        None => Err(desk.sign_in_first()),
        Some(me) if !may(me.user.role, Action::ManagePeople, false) => Err(forbidden(
            desk,
            "Only an owner of the publication can manage people. Ask one if something about an account needs changing.",
        )
        .await),
        Some(me) => Ok(me.clone()),
    }
}

/// 403 with a human message, in the desk's frame.
async fn forbidden(desk: &Desk, message: &str) -> Response {
    #[derive(Serialize)]
    struct Message<'a> {
        heading: &'a str,
        message: &'a str,
    }
    let frame = Frame::page("desk/message.html", "Not allowed", "").status(StatusCode::FORBIDDEN);
    render(
        desk,
        frame,
        Message {
            heading: "Not allowed",
            message,
        },
    )
    .await
}

#[derive(Serialize)]
struct RoleOption {
    value: &'static str,
    label: &'static str,
    explanation: &'static str,
}

#[derive(Serialize)]
struct PersonRow {
    name: String,
    email: String,
    role: &'static str,
    has_password: bool,
    role_url: String,
    reset_url: String,
    sign_out_url: String,
}

#[derive(Serialize)]
struct LinkNotice {
    message: String,
    url: String,
    days: i64,
}

#[derive(Serialize, Default)]
struct InviteView {
    email: String,
    name: String,
    role: &'static str,
    errors: std::collections::HashMap<&'static str, String>,
}

#[derive(Serialize)]
struct PeopleView {
    people: Vec<PersonRow>,
    roles: Vec<RoleOption>,
    link: Option<LinkNotice>,
    error: Option<String>,
    invite: InviteView,
}

fn explain(role: Role) -> &'static str {
    match role {
        Role::Owner => "everything, people and settings included",
        Role::Editor => "publishes, edits and curates everything",
        Role::Author => "writes and publishes their own stories",
        Role::Contributor => "writes drafts for review",
    }
}

/// The people page with whatever the last action left to show.
async fn people_page(
    desk: &Desk,
    status: StatusCode,
    link: Option<LinkNotice>,
    error: Option<String>,
    invite: InviteView,
) -> Response {
    let users = match desk.app.store.users().await {
        Ok(users) => users,
        Err(e) => return unavailable(e),
    };
    let view = PeopleView {
        people: users
            .into_iter()
            .map(|u| PersonRow {
                role_url: urls::desk_person(&u.id, "role"),
                reset_url: urls::desk_person(&u.id, "reset-link"),
                sign_out_url: urls::desk_person(&u.id, "sign-out"),
                name: u.name,
                email: u.email,
                role: u.role.label(),
                has_password: u.password_hash.is_some(),
            })
            .collect(),
        roles: Role::ALL
            .into_iter()
            .map(|r| RoleOption {
                value: r.as_str(),
                label: r.label(),
                explanation: explain(r),
            })
            .collect(),
        link,
        error,
        invite: InviteView {
            role: if invite.role.is_empty() {
                Role::Author.as_str()
            } else {
                invite.role
            },
            ..invite
        },
    };
    render(
        desk,
        Frame::page("desk/people.html", "People", "people").status(status),
        view,
    )
    .await
}

fn link_notice(desk: &Desk, message: String, token: &str) -> LinkNotice {
    LinkNotice {
        message,
        url: desk.app.public_url.absolute(&urls::desk_password(token)),
        days: accounts::LINK_SECS / 86_400,
    }
}

async fn people(desk: Desk) -> Response {
    if let Err(refused) = owner(&desk).await {
        return refused;
    }
    people_page(&desk, StatusCode::OK, None, None, InviteView::default()).await
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

async fn invite(desk: Desk, Form(form): Form<InviteForm>) -> Response {
    let me = match owner(&desk).await {
        Ok(me) => me,
        Err(refused) => return refused,
    };
    if let Err(refused) = checked(&desk, &CsrfForm { csrf: form.csrf }) {
        return refused.into_response();
    }
    let Some(role) = Role::parse(&form.role) else {
        return plain(StatusCode::BAD_REQUEST, "Choose one of the roles offered.");
    };
    let kept = |errors| InviteView {
        email: form.email.clone(),
        name: form.name.clone(),
        role: role.as_str(),
        errors,
    };
    match accounts::add_user(
        &desk.app.store,
        accounts::Actor::Person(&me.user),
        &form.email,
        &form.name,
        role,
    )
    .await
    {
        Ok((user, token)) => {
            let message = format!(
                "{} <{}> is invited as {}. Pass them this link to choose a password.",
                user.name,
                user.email,
                role.label().to_lowercase()
            );
            let notice = link_notice(&desk, message, &token);
            people_page(
                &desk,
                StatusCode::OK,
                Some(notice),
                None,
                InviteView::default(),
            )
            .await
        }
        Err(AccountError::Invalid { field, message }) => {
            let errors = std::collections::HashMap::from([(field, message)]);
            people_page(&desk, StatusCode::BAD_REQUEST, None, None, kept(errors)).await
        }
        Err(AccountError::Storage(e)) => unavailable(e),
        Err(e) => forbidden(&desk, &e.to_string()).await,
    }
}

#[derive(Deserialize)]
struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// `role`, `reset-link` or `sign-out` for one person.
async fn person_action(
    desk: Desk,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<PersonForm>,
) -> Response {
    let me = match owner(&desk).await {
        Ok(me) => me,
        Err(refused) => return refused,
    };
    if let Err(refused) = checked(&desk, &CsrfForm { csrf: form.csrf }) {
        return refused.into_response();
    }
    let store = &desk.app.store;
    let actor = accounts::Actor::Person(&me.user);
    let outcome = match action.as_str() {
        "role" => {
            let Some(role) = Role::parse(&form.role) else {
                return plain(StatusCode::BAD_REQUEST, "Choose one of the roles offered.");
            };
            accounts::change_role(store, actor, &id, role)
                .await
                .map(|_| None)
        }
        "reset-link" => match store.user_by_id(&id).await {
            Ok(Some(user)) => {
                accounts::reset_link(store, actor, &user.email)
                    .await
                    .map(|(user, token)| {
                        let message = format!(
                            "{} <{}> can choose a new password with this link.",
                            user.name, user.email
                        );
                        Some(link_notice(&desk, message, &token))
                    })
            }
            Ok(None) => return not_found().await,
            Err(e) => return unavailable(e),
        },
        "sign-out" => accounts::end_sessions_of(store, actor, &id)
            .await
            .map(|_| None),
        _ => return not_found().await,
    };
    match outcome {
        Ok(link) => people_page(&desk, StatusCode::OK, link, None, InviteView::default()).await,
        Err(AccountError::Storage(e)) => unavailable(e),
        Err(e @ AccountError::Forbidden(_)) => {
            people_page(
                &desk,
                StatusCode::CONFLICT,
                None,
                Some(e.to_string()),
                InviteView::default(),
            )
            .await
        }
        Err(AccountError::Invalid { .. }) => not_found().await,
        Err(e) => forbidden(&desk, &e.to_string()).await,
    }
}
