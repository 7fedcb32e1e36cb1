//! Who is asking: the desk's session cookie and the client's address.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::{DeskError, DeskResult};

use crate::services::accounts::{self, SESSION_MAX_SECS, SignedIn};
use crate::urls::{self, PublicUrl};
use crate::web::App;

/// The cookie that carries a desk session. It is sent to `/desk` only: the
/// public site stays cookie-free, and its pages cacheable.
const COOKIE: &str = "masthead_session";

/// A desk request: the app, the session token the browser presented, and
/// the person it belongs to while the session lasts.
pub struct Desk {
    pub app: Arc<App>,
    /// Where signing in leads back to: the page asked for, or for a form,
    /// the page it was sent from.
    pub path: String,
    pub token: Option<String>,
    pub signed_in: Option<SignedIn>,
}

impl FromRequestParts<Arc<App>> for Desk {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let State(app) = State::<Arc<App>>::from_request_parts(parts, app)
            .await
            .map_err(|never: Infallible| match never {})?;
        let token = session_token(&parts.headers);
        let signed_in = match parts.extensions.get::<LookedUp>() {
            Some(LookedUp(found)) => found.clone(),
            None => look_up(&app, token.as_deref()).await?,
        };
        Ok(Desk {
            app,
            path: back_path(parts),
            token,
            signed_in,
        })
    }
}

/// The session token a request presents, when it has the shape of one.
fn session_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn look_up(app: &App, token: Option<&str>) -> Result<Option<SignedIn>, Response> {
    match token {
        Some(token) => accounts::signed_in(&app.store, token)
            .await
            .map_err(|e| DeskError::from(e).into_response()),
        None => Ok(None),
    }
}

/// The person a request's session names, found once per request.
#[derive(Clone)]
struct LookedUp(Option<SignedIn>);

/// Desk forms that anyone may send: signing in, and choosing a password
/// from a link (paths inside `/desk`).
fn open_to_anyone(path: &str) -> bool {
    path == "/login" || path.starts_with("/password/")
}

/// The most an open form may send: an address and a password or two.
pub const OPEN_FORM_BYTES: usize = 16 * 1024;

/// Whoever sends the desk a body must be signed in, and that is known
/// before the body is read: an anonymous upload is answered at once, not
/// after its megabytes have arrived. Open forms are cut at a few kilobytes.
pub async fn signed_in_before_body(
    axum::extract::State(app): axum::extract::State<Arc<App>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method();
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        return next.run(request).await;
    }
    if open_to_anyone(request.uri().path()) {
        let too_large = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_none_or(|length| length > OPEN_FORM_BYTES);
        if too_large {
            return super::plain(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "This form sends a few lines at most: go back and send it again.",
            );
        }
        return next.run(request).await;
    }
    let token = session_token(request.headers());
    let found = match look_up(&app, token.as_deref()).await {
        Ok(found) => found,
        Err(unavailable) => return unavailable,
    };
    if found.is_none() {
        let wants_json = request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"));
        if wants_json {
            return (
                axum::http::StatusCode::FORBIDDEN,
                axum::Json(serde_json::json!({
                    "message": "Your session has ended or this page is stale: reload it and sign in again."
                })),
            )
                .into_response();
        }
        let (parts, _) = request.into_parts();
        return Refused::NotSignedIn(back_path(&parts)).into_response();
    }
    request.extensions_mut().insert(LookedUp(found));
    next.run(request).await
}

/// The page to come back to after signing in (a form's own address may
/// answer POST only, so a form goes back to the page that sent it).
fn back_path(parts: &Parts) -> String {
    if parts.method == axum::http::Method::GET {
        // The desk is nested under /desk: the original URI has the full path.
        return parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path().to_string(), |o| o.0.path().to_string());
    }
    parts
        .headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok())
        .map(|uri| uri.path().to_string())
        .unwrap_or_else(crate::urls::desk)
}

pub use crate::web::client::ClientAddr;

/// The session cookie: HttpOnly, SameSite=Lax, for the desk's paths only,
/// Secure whenever readers reach the site over HTTPS.
pub fn cookie(public_url: &PublicUrl, token: &str) -> HeaderValue {
    let secure = if public_url.is_https() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/desk; HttpOnly; SameSite=Lax; Max-Age={SESSION_MAX_SECS}{secure}"
    ))
    .expect("hex tokens make valid headers")
}

/// A cookie that makes the browser forget the session.
pub fn expired_cookie(public_url: &PublicUrl) -> HeaderValue {
    let secure = if public_url.is_https() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/desk; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("a valid header")
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// Why a desk request was not accepted.
#[derive(Debug)]
pub enum Refused {
    /// Its token is not this session's: stale, or made elsewhere.
    StaleForm,
    /// Signing in leads back to this desk page.
    NotSignedIn(String),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        DeskError::Refused(self).into_response()
    }
}

/// The signed-in person of a desk form, once its token is checked.
pub fn checked(desk: &Desk, form: &CsrfForm) -> Result<SignedIn, Refused> {
    match &desk.signed_in {
        Some(me) if accounts::same_secret(&me.csrf_token, &form.csrf) => Ok(me.clone()),
        Some(_) => Err(Refused::StaleForm),
        None => Err(Refused::NotSignedIn(desk.path.clone())),
    }
}

/// The sign-in page, leading back to `back` (a desk page) afterwards.
pub fn login_then(back: &str) -> String {
    if back == urls::desk() || back == urls::desk_login() || !is_desk_path(back) {
        urls::desk_login()
    } else {
        format!("{}?next={}", urls::desk_login(), urls::query_encode(back))
    }
}

/// A path inside the desk (never another site: `//host` or `/desk.evil`).
pub fn is_desk_path(path: &str) -> bool {
    path.starts_with("/desk/")
        && !path.contains("//")
        && !path.contains('\\')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
}

impl Desk {
    /// The person signed in, or the refusal that sends them to sign in.
    pub fn me(&self) -> Result<&SignedIn, Refused> {
        self.signed_in
            .as_ref()
            .ok_or_else(|| Refused::NotSignedIn(self.path.clone()))
    }
}

/// A desk page asked for by someone signed in; anyone else is sent to sign
/// in and brought back.
pub struct SignedInDesk {
    pub desk: Desk,
    pub me: SignedIn,
}

impl FromRequestParts<Arc<App>> for SignedInDesk {
    type Rejection = DeskError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> DeskResult<Self> {
        let desk = Desk::from_request_parts(parts, app)
            .await
            .map_err(|_| DeskError::Unavailable("the session could not be looked up".into()))?;
        let me = desk.me()?.clone();
        Ok(SignedInDesk { desk, me })
    }
}

/// A desk form sent by the signed-in person whose session made it (its
/// token checked against the session's), read into `T`: a struct of the
/// fields a form has, or [`super::form::Fields`] for forms of many parts.
pub struct CheckedForm<T> {
    pub desk: Desk,
    pub me: SignedIn,
    pub form: T,
}

const UNREADABLE_FORM: &str =
    "The form arrived incomplete or in a shape the desk does not read. Go back and send it again.";

impl<T: DeserializeOwned> FromRequest<Arc<App>> for CheckedForm<T> {
    type Rejection = DeskError;

    async fn from_request(request: Request, app: &Arc<App>) -> DeskResult<Self> {
        let (mut parts, body) = request.into_parts();
        let desk = Desk::from_request_parts(&mut parts, app)
            .await
            .map_err(|_| DeskError::Unavailable("the session could not be looked up".into()))?;
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(DeskError::Said {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: UNREADABLE_FORM.into(),
            });
        }
        let request = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(request, app)
            .await
            .map_err(|rejection| DeskError::Said {
                status: rejection.status(),
                message: UNREADABLE_FORM.into(),
            })?;
        let token: CsrfForm = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| DeskError::invalid(UNREADABLE_FORM))?;
        let me = checked(&desk, &token)?;
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| DeskError::invalid(UNREADABLE_FORM))?;
        Ok(CheckedForm { desk, me, form })
    }
}

/// The person a request's cookie names, for pages drawn outside a handler
/// (a refusal in the desk's frame); none when it cannot be told.
pub async fn signed_in_by_headers(app: &App, headers: &axum::http::HeaderMap) -> Option<SignedIn> {
    look_up(app, session_token(headers).as_deref())
        .await
        .ok()
        .flatten()
}
