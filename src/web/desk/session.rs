//! Who is asking: the desk's session cookie and the client's address.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderValue, header, request::Parts};
use axum::response::{IntoResponse, Response};

use crate::services::accounts::{self, SESSION_MAX_SECS, SignedIn};
use crate::urls::PublicUrl;
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
            .map_err(super::unavailable),
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
        return super::Refused::NotSignedIn(back_path(&parts)).into_response();
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
