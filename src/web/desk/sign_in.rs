//! Signing in and out (everywhere, too), and choosing a password from a
//! one-time link: the desk's forms open to anyone.

use axum::Form;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::session::{self, ClientAddr, CsrfForm, is_desk_path};
use super::{CheckedForm, Desk, DeskError, DeskResult, Frame, render, see_other};
use crate::services::accounts::{self, AccountError};
use crate::urls;

#[derive(Serialize)]
struct PersonView {
    name: String,
    email: String,
    role: &'static str,
    has_password: bool,
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
pub(super) struct LoginQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    next: String,
}

pub(super) async fn login_form(desk: Desk, Query(query): Query<LoginQuery>) -> DeskResult {
    if desk.signed_in.is_some() {
        return Ok(see_other(&urls::desk()));
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
pub(super) struct LoginForm {
    #[serde(default)]
    next: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub(super) async fn login(
    desk: Desk,
    ClientAddr(client): ClientAddr,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> DeskResult {
    let Ok(Form(form)) = form else {
        return Err(DeskError::invalid(
            "The sign-in form arrived incomplete. Go back and try again.",
        ));
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
            Ok(response)
        }
        Err(e @ AccountError::Storage(_)) => Err(e.into()),
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
            let mut response = render(&desk, frame, view).await?;
            if let AccountError::Throttled { retry_after } = e {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            Ok(response)
        }
    }
}

pub(super) async fn logout(CheckedForm { desk, .. }: CheckedForm<CsrfForm>) -> DeskResult {
    if let Some(token) = &desk.token {
        accounts::sign_out(&desk.app.store, token).await?;
    }
    Ok(signed_out(&desk))
}

pub(super) async fn logout_everywhere(
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    accounts::sign_out_everywhere(&desk.app.store, &me.user).await?;
    Ok(signed_out(&desk))
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
) -> DeskResult {
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
        Err(e @ AccountError::Storage(_)) => return Err(e.into()),
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

pub(super) async fn password_form(desk: Desk, Path(token): Path<String>) -> DeskResult {
    password_page(&desk, &token, StatusCode::OK, Default::default(), None).await
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeated: String,
}

pub(super) async fn set_password(
    desk: Desk,
    Path(token): Path<String>,
    form: Result<Form<PasswordForm>, axum::extract::rejection::FormRejection>,
) -> DeskResult {
    let Ok(Form(form)) = form else {
        return Err(DeskError::invalid(
            "The form arrived incomplete. Go back and try again.",
        ));
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
            Ok(response)
        }
        Err(AccountError::Invalid { field, message }) => {
            let errors = std::collections::HashMap::from([(field, message)]);
            let typed = Some(form.name).filter(|n| !n.trim().is_empty());
            password_page(&desk, &token, StatusCode::BAD_REQUEST, errors, typed).await
        }
        Err(e @ AccountError::Storage(_)) => Err(e.into()),
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
