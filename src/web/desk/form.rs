//! A submitted desk form as name/value pairs: repeated names (the ordered
//! author choices) keep their order, and a missing field reads as empty.

use axum::extract::{FromRequest, Request};
use axum::response::Response;

use super::Desk;
use crate::services::accounts::SignedIn;

pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or "" when the form had none.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every non-empty value of `name`, in the order sent.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// The form's CSRF token, checked against the session's.
    pub fn csrf(&self) -> super::CsrfForm {
        super::CsrfForm {
            csrf: self.get("csrf").to_string(),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(pairs)) => Ok(Fields(pairs)),
            Err(rejection) => Err(super::plain(
                rejection.status(),
                "The form arrived incomplete or in a shape the desk does not read. Go back and send it again.",
            )),
        }
    }
}

/// The signed-in person of a desk form, or why it is refused.
pub fn signed_in_form(desk: &Desk, fields: &Fields) -> Result<SignedIn, super::Refused> {
    super::checked(desk, &fields.csrf())
}
