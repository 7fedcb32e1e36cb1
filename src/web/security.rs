//! Security on every surface: headers on every response, and refusal of
//! state-changing requests sent from other sites.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::csrf::{CsrfLayer, ProtectionError};

use crate::urls::PublicUrl;

/// No inline script or style anywhere: the theme's own files only.
/// Frames only from the video players a reader chose to play (see `embeds`).
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
                   frame-src 'self' https://www.youtube-nocookie.com https://player.vimeo.com; \
                   frame-ancestors 'none'";
/// The same, for a page the site's own pages may frame (the desk's preview).
const CSP_FRAMABLE: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                            script-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
                            form-action 'self'; frame-src 'self' https://www.youtube-nocookie.com \
                            https://player.vimeo.com; frame-ancestors 'self'";

/// An email shown as a mail client shows it (the desk's preview of an
/// issue): its styles are inline, as mail clients need, and nothing in it
/// runs. Only the site's own pages may frame it.
const CSP_EMAIL: &str = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; \
                         base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// Put in a response's extensions: the site's own pages may frame it.
#[derive(Debug, Clone, Copy)]
pub struct FramableBySite;

/// Put in a response's extensions: an email, framed by the desk.
#[derive(Debug, Clone, Copy)]
pub struct EmailPreview;

pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    apply(&mut response);
    response
}

/// Sets the security headers on a response (the page cache calls it for
/// the responses it answers before the layers).
pub fn apply(response: &mut Response) {
    let email = response.extensions().get::<EmailPreview>().is_some();
    let framable = email || response.extensions().get::<FramableBySite>().is_some();
    let policy = match (email, framable) {
        (true, _) => CSP_EMAIL,
        (false, true) => CSP_FRAMABLE,
        (false, false) => CSP,
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static(if framable { "SAMEORIGIN" } else { "DENY" }),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
}

/// Cross-site request forgery protection for one surface (tower-http's
/// `CsrfLayer`): a POST is refused when the browser says it came from
/// another site (`Sec-Fetch-Site`), or, for older browsers that do not say,
/// when its `Origin` is neither the configured public URL nor the host it
/// was sent to. `refuse` builds the surface's own refusal.
pub fn csrf(
    public_url: &PublicUrl,
    refuse: fn() -> Response,
) -> CsrfLayer<impl FnMut(ProtectionError) -> Response<Body> + Clone + use<>> {
    let layer = CsrfLayer::new();
    let layer = match layer.clone().add_trusted_origin(public_url.origin()) {
        Ok(trusting) => trusting,
        Err(e) => {
            tracing::warn!(
                error = %e,
                "the public URL cannot be used as a trusted origin; forms are checked against the Host header only"
            );
            layer
        }
    };
    layer.with_rejection_response(move |_: ProtectionError| refuse())
}
