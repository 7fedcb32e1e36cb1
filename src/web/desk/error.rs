//! What a desk request answers when it does not go through: one error type
//! for every handler, so a handler says `?` and the kind of failure decides
//! the status. A person's mistake or missing role is a 4xx with the reason;
//! the database away is a 503 worth retrying; a bug is a 500 whose detail
//! goes to the log, never to the page.
//!
//! The answer is plain text with the message; the desk's outer layer
//! (`framed`) turns it into a desk page for a browser and into
//! `{"message": …}` for the desk's scripts.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Refused;
use crate::failure::{Failure, FailureKind};

#[derive(Debug)]
pub enum DeskError {
    /// Not signed in, or a form from another session.
    Refused(Refused),
    /// A refusal the person can act on, in their words.
    Said { status: StatusCode, message: String },
    /// The database cannot be reached; the detail is logged.
    Unavailable(String),
    /// A bug or damaged data; the detail is logged.
    Bug(String),
}

pub type DeskResult<T = Response> = Result<T, DeskError>;

/// What the outer layer shows of a refusal: its heading and message.
#[derive(Debug, Clone)]
pub struct DeskMessage {
    pub heading: &'static str,
    pub message: String,
}

impl DeskError {
    fn said(status: StatusCode, message: impl Into<String>) -> DeskError {
        DeskError::Said {
            status,
            message: capitalized(&message.into()),
        }
    }

    /// Input that breaks a rule: 400.
    pub fn invalid(message: impl Into<String>) -> DeskError {
        DeskError::said(StatusCode::BAD_REQUEST, message)
    }

    /// A role that does not allow it: 403.
    pub fn forbidden(message: impl Into<String>) -> DeskError {
        DeskError::said(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> DeskError {
        DeskError::said(StatusCode::NOT_FOUND, message)
    }

    /// Taken, in use or changed meanwhile: 409.
    pub fn conflict(message: impl Into<String>) -> DeskError {
        DeskError::said(StatusCode::CONFLICT, message)
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            DeskError::Refused(Refused::StaleForm) => StatusCode::FORBIDDEN,
            DeskError::Refused(Refused::NotSignedIn(_)) => StatusCode::SEE_OTHER,
            DeskError::Said { status, .. } => *status,
            DeskError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            DeskError::Bug(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl<E: Failure> From<E> for DeskError {
    fn from(e: E) -> DeskError {
        let status = match e.kind() {
            FailureKind::Invalid => StatusCode::BAD_REQUEST,
            FailureKind::Forbidden => StatusCode::FORBIDDEN,
            FailureKind::NotFound => StatusCode::NOT_FOUND,
            FailureKind::Conflict => StatusCode::CONFLICT,
            FailureKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            FailureKind::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            FailureKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
            FailureKind::Unavailable => return DeskError::Unavailable(format!("{e:#}")),
            FailureKind::Bug => return DeskError::Bug(format!("{e:#}")),
        };
        DeskError::said(status, e.to_string())
    }
}

impl From<Refused> for DeskError {
    fn from(refused: Refused) -> DeskError {
        DeskError::Refused(refused)
    }
}

/// Errors of the layers below the services (rendering, the search index):
/// a store error inside keeps its kind, anything else is a bug.
impl From<anyhow::Error> for DeskError {
    fn from(e: anyhow::Error) -> DeskError {
        match e.downcast::<crate::store::StoreError>() {
            Ok(store) => store.into(),
            Err(other) => DeskError::Bug(format!("{other:#}")),
        }
    }
}

/// The site's renderer, used for previews: a page it cannot find is one
/// this request cannot show; anything else is the site's failure.
impl From<crate::web::errors::SiteError> for DeskError {
    fn from(e: crate::web::errors::SiteError) -> DeskError {
        use crate::web::errors::SiteError;
        match e {
            SiteError::NotFound | SiteError::Gone => {
                DeskError::not_found("The preview has nothing to show.")
            }
            SiteError::BadRequest(why) => DeskError::invalid(why),
            SiteError::Unavailable(e) => DeskError::Unavailable(format!("{e:#}")),
            SiteError::Internal(e) => DeskError::Bug(format!("a preview failed to render: {e:#}")),
        }
    }
}

impl IntoResponse for DeskError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (heading, message) = match self {
            DeskError::Refused(Refused::NotSignedIn(back)) => {
                return super::see_other(&super::session::login_then(&back));
            }
            DeskError::Refused(Refused::StaleForm) => (
                "Not sent",
                "This form has expired or did not come from your desk. Reload the page and try again.".into(),
            ),
            DeskError::Said { message, .. } => (
                match status {
                    StatusCode::FORBIDDEN => "Not allowed",
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::CONFLICT => "Not saved",
                    _ => "Not done",
                },
                message,
            ),
            DeskError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "the desk cannot reach the database");
                (
                    "Try again in a moment",
                    "The desk cannot reach its database just now. Try again in a moment.".into(),
                )
            }
            DeskError::Bug(detail) => {
                tracing::error!(error = %detail, "a desk request failed");
                (
                    "Something went wrong",
                    "Something went wrong on the desk's side; nothing you did caused it. The error is in the server's log: try again, and tell whoever runs the site if it happens again.".into(),
                )
            }
        };
        let mut response = super::plain(status, &message);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
            .extensions_mut()
            .insert(DeskMessage { heading, message });
        response
    }
}
