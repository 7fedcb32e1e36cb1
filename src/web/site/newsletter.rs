//! The newsletter pages readers reach: the sign-up page (and the form in
//! every footer), the confirmation link, the preferences page and the
//! unsubscribe link (one click, RFC 8058). Personal answers are never kept
//! by the page cache (`no-store`); none needs an account.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::views::{Chrome, Presenter};
use super::{PageResult, html};
use crate::model::newsletters::{Newsletter, Subscriber, SubscriberStatus};
use crate::services::subscriptions::{self, SignupRequest, SubscribeError};
use crate::urls;
use crate::web::client::ClientAddr;
use crate::web::{App, SiteError};

#[derive(Serialize)]
struct Choice {
    id: String,
    name: String,
    description: String,
    checked: bool,
}

#[derive(Serialize, Default)]
struct FormState {
    email: String,
    name: String,
    error: Option<String>,
    /// Which field the error is about.
    field: Option<&'static str>,
}

#[derive(Serialize)]
struct SignupView {
    chrome: Chrome,
    newsletters: Vec<Choice>,
    form: FormState,
    /// After a sign-up: "check your inbox".
    sent: bool,
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn offered(newsletters: Vec<Newsletter>, chosen: &[String]) -> Vec<Choice> {
    let first = newsletters.iter().find(|n| n.offered).map(|n| n.id.clone());
    newsletters
        .into_iter()
        .filter(|n| n.offered)
        .map(|n| Choice {
            checked: if chosen.is_empty() {
                Some(&n.id) == first.as_ref()
            } else {
                chosen.contains(&n.id)
            },
            id: n.id,
            name: n.name,
            description: n.description,
        })
        .collect()
}

async fn signup_view(
    app: &App,
    status: StatusCode,
    form: FormState,
    chosen: &[String],
    sent: bool,
) -> PageResult {
    let p = Presenter::new(app).await?;
    let settings = p.settings();
    let view = SignupView {
        chrome: p.chrome(
            Some(&settings.newsletter_heading),
            &settings.newsletter_pitch,
            &urls::newsletter(),
        ),
        newsletters: offered(app.store.newsletters().await?, chosen),
        form,
        sent,
    };
    let mut response = html(p.render("newsletter.html", view)?);
    *response.status_mut() = status;
    Ok(if status != StatusCode::OK || sent {
        no_store(response)
    } else {
        response
    })
}

pub(super) async fn signup_page(State(app): State<Arc<App>>) -> PageResult {
    signup_view(&app, StatusCode::OK, FormState::default(), &[], false).await
}

/// A sign-up, from the page or any footer. Cross-site posts never get here:
/// the site's CSRF layer refuses them.
pub(super) async fn sign_up(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    headers: axum::http::HeaderMap,
    form: Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let Ok(axum::Form(pairs)) = form else {
        return Err(SiteError::BadRequest(
            "The sign-up form arrived incomplete. Please fill in your email address and try again."
                .into(),
        ));
    };
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let chosen: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "newsletter")
        .map(|(_, v)| v.clone())
        .collect();
    let request = SignupRequest {
        email: get("email"),
        name: get("name"),
        newsletters: chosen.clone(),
        choosing: get("choosing") == "yes",
        honeypot: get("website"),
        client: &client,
    };
    let kept = || FormState {
        email: get("email").to_string(),
        name: get("name").to_string(),
        ..Default::default()
    };
    match subscriptions::sign_up(&app.store, request).await {
        Ok(()) => {
            super::readership::note_signup(&app, &headers, get("from"));
            signup_view(&app, StatusCode::OK, FormState::default(), &[], true).await
        }
        Err(SubscribeError::Invalid { field, message }) => {
            let form = FormState {
                error: Some(message),
                field: Some(field),
                ..kept()
            };
            signup_view(&app, StatusCode::BAD_REQUEST, form, &chosen, false).await
        }
        Err(e @ SubscribeError::Throttled(retry_after)) => {
            let form = FormState {
                error: Some(e.to_string()),
                field: Some("email"),
                ..kept()
            };
            let mut response =
                signup_view(&app, StatusCode::TOO_MANY_REQUESTS, form, &chosen, false).await?;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            Ok(response)
        }
        Err(SubscribeError::Storage(e)) => Err(SiteError::from(e)),
    }
}

#[derive(Serialize)]
struct MessageView {
    chrome: Chrome,
    heading: String,
    message: String,
    link: Option<(String, String)>,
}

/// A page of one message (confirmed, unsubscribed, a link that does not work).
async fn message(
    app: &App,
    status: StatusCode,
    heading: &str,
    message: &str,
    link: Option<(String, String)>,
) -> PageResult {
    let p = Presenter::new(app).await?;
    let view = MessageView {
        chrome: p.chrome(Some(heading), message, &urls::newsletter()),
        heading: heading.to_string(),
        message: message.to_string(),
        link,
    };
    let mut response = html(p.render("newsletter-message.html", view)?);
    *response.status_mut() = status;
    Ok(no_store(response))
}

async fn link_not_working(app: &App) -> PageResult {
    message(
        app,
        StatusCode::NOT_FOUND,
        "This link does not work",
        "It may have been used already, have expired, or been cut short when it was copied. Sign up again and we will send a fresh one.",
        Some((urls::newsletter(), "Sign up again".into())),
    )
    .await
}

pub(super) async fn confirm(State(app): State<Arc<App>>, Path(token): Path<String>) -> PageResult {
    match subscriptions::confirm(&app.store, &token).await? {
        Some(subscriber) => {
            let names = receiving(&app, &subscriber).await?;
            let preferences = subscriber.manage_token.as_deref().map(|t| {
                (
                    urls::newsletter_preferences(t),
                    "Choose what you receive".to_string(),
                )
            });
            message(
                &app,
                StatusCode::OK,
                "You are subscribed",
                &format!("Thank you for confirming. You will receive {names}. Every email has a link to leave in one click."),
                preferences,
            )
            .await
        }
        None => link_not_working(&app).await,
    }
}

/// "the weekly round-up and Daily briefs": what a reader receives.
async fn receiving(app: &App, subscriber: &Subscriber) -> Result<String, SiteError> {
    let ids = app.store.subscriptions_of(&subscriber.id).await?;
    let names: Vec<String> = app
        .store
        .newsletters()
        .await?
        .into_iter()
        .filter(|n| ids.contains(&n.id))
        .map(|n| n.name)
        .collect();
    Ok(match names.as_slice() {
        [] => "nothing yet".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    })
}

#[derive(Serialize)]
struct PreferencesView {
    chrome: Chrome,
    email: String,
    newsletters: Vec<Choice>,
    action: String,
    saved: bool,
    unsubscribed: bool,
}

async fn preferences_view(
    app: &App,
    subscriber: &Subscriber,
    token: &str,
    saved: bool,
) -> PageResult {
    let p = Presenter::new(app).await?;
    let ids = app.store.subscriptions_of(&subscriber.id).await?;
    let newsletters = app
        .store
        .newsletters()
        .await?
        .into_iter()
        .filter(|n| n.offered || ids.contains(&n.id))
        .map(|n| Choice {
            checked: ids.contains(&n.id),
            id: n.id,
            name: n.name,
            description: n.description,
        })
        .collect();
    let view = PreferencesView {
        chrome: p.chrome(
            Some("Your newsletters"),
            "Choose what you receive",
            &urls::newsletter(),
        ),
        email: subscriber.email.clone(),
        newsletters,
        action: urls::newsletter_preferences(token),
        saved,
        unsubscribed: subscriber.status == SubscriberStatus::Unsubscribed,
    };
    Ok(no_store(html(
        p.render("newsletter-preferences.html", view)?,
    )))
}

pub(super) async fn preferences(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
) -> PageResult {
    match subscriptions::by_manage_token(&app.store, &token).await? {
        Some(subscriber) => preferences_view(&app, &subscriber, &token, false).await,
        None => link_not_working(&app).await,
    }
}

pub(super) async fn save_preferences(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    form: Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let Some(subscriber) = subscriptions::by_manage_token(&app.store, &token).await? else {
        return link_not_working(&app).await;
    };
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let leave_all = pairs.iter().any(|(n, _)| n == "leave");
    let chosen: Vec<String> = if leave_all {
        vec![]
    } else {
        pairs
            .iter()
            .filter(|(n, _)| n == "newsletter")
            .map(|(_, v)| v.clone())
            .collect()
    };
    subscriptions::choose(&app.store, &subscriber, &chosen).await?;
    let updated = app
        .store
        .subscriber_by_id(&subscriber.id)
        .await?
        .unwrap_or(subscriber);
    preferences_view(&app, &updated, &token, true).await
}

pub(super) async fn unsubscribe_page(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
) -> PageResult {
    let Some(subscriber) = subscriptions::by_manage_token(&app.store, &token).await? else {
        return link_not_working(&app).await;
    };
    // A page with a button, not an unsubscribe on GET: link checkers in
    // mail systems open every link, and must not unsubscribe anyone.
    let p = Presenter::new(&app).await?;
    #[derive(Serialize)]
    struct View {
        chrome: Chrome,
        email: String,
        action: String,
        preferences: String,
    }
    let view = View {
        chrome: p.chrome(
            Some("Unsubscribe"),
            "Leave every newsletter",
            &urls::newsletter(),
        ),
        email: subscriber.email,
        action: urls::newsletter_unsubscribe(&token),
        preferences: urls::newsletter_preferences(&token),
    };
    Ok(no_store(html(
        p.render("newsletter-unsubscribe.html", view)?,
    )))
}

/// One click: the mail provider's `List-Unsubscribe=One-Click` POST, or the
/// button on the page. Leaves every newsletter.
pub(super) async fn unsubscribe(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    let Some(subscriber) = subscriptions::by_manage_token(&app.store, &token).await? else {
        return link_not_working(&app).await;
    };
    subscriptions::choose(&app.store, &subscriber, &[]).await?;
    let from_a_browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !from_a_browser {
        return Ok(no_store(
            (StatusCode::OK, "Unsubscribed.\n").into_response(),
        ));
    }
    message(
        &app,
        StatusCode::OK,
        "You are unsubscribed",
        &format!(
            "{} will receive no more newsletters from us. Changed your mind? You can choose again.",
            subscriber.email
        ),
        Some((
            urls::newsletter_preferences(&token),
            "Choose newsletters again".into(),
        )),
    )
    .await
}

#[derive(Serialize)]
struct ArchiveEntry {
    subject: String,
    url: String,
    sent: Option<super::views::DateView>,
}

#[derive(Serialize)]
struct ArchiveView {
    chrome: Chrome,
    issues: Vec<ArchiveEntry>,
}

/// Issues sent so far, newest first.
const ARCHIVE_ISSUES: i64 = 100;

pub(super) async fn archive(State(app): State<Arc<App>>) -> PageResult {
    let p = Presenter::new(&app).await?;
    let issues = app.store.issues(true, ARCHIVE_ISSUES).await?;
    let view = ArchiveView {
        chrome: p.chrome(
            Some("Newsletter archive"),
            "Every issue of our newsletters, as it was sent",
            &urls::newsletter_archive(),
        ),
        issues: issues
            .into_iter()
            .map(|i| ArchiveEntry {
                url: urls::newsletter_issue(&i.slug),
                sent: i.finished_at.map(|t| p.date(t)),
                subject: i.subject,
            })
            .collect(),
    };
    Ok(html(p.render("newsletter-archive.html", view)?))
}

#[derive(Serialize)]
struct WebVersionView {
    chrome: Chrome,
    issue: crate::services::sending::IssueEmail,
    sent: Option<super::views::DateView>,
}

/// A sent issue's web version (drafts and sends in progress are not public).
pub(super) async fn web_version(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
) -> PageResult {
    let Some(issue) = app.store.issue_by_slug(&slug).await? else {
        return Err(SiteError::NotFound);
    };
    if issue.status != crate::model::newsletters::IssueStatus::Sent {
        return Err(SiteError::NotFound);
    }
    let p = Presenter::new(&app).await?;
    let (view, _, _) = crate::services::sending::issue_view(&app.store, &app.public_url, &issue)
        .await
        .map_err(|e| SiteError::Unavailable(anyhow::anyhow!("{e}")))?;
    let page = WebVersionView {
        chrome: p.chrome(
            Some(&issue.subject),
            &issue.preheader,
            &urls::newsletter_issue(&slug),
        ),
        sent: issue.finished_at.map(|t| p.date(t)),
        issue: view,
    };
    Ok(html(p.render("newsletter-issue.html", page)?))
}

#[derive(Serialize)]
struct ManageView {
    chrome: Chrome,
    email: String,
    error: Option<String>,
    sent: bool,
}

async fn manage_view(
    app: &App,
    status: StatusCode,
    email: String,
    error: Option<String>,
    sent: bool,
) -> PageResult {
    let p = Presenter::new(app).await?;
    let view = ManageView {
        chrome: p.chrome(
            Some("Manage your subscription"),
            "Choose your newsletters, or leave them",
            &urls::newsletter_manage(),
        ),
        email,
        error,
        sent,
    };
    let mut response = html(p.render("newsletter-manage.html", view)?);
    *response.status_mut() = status;
    Ok(if status != StatusCode::OK || sent {
        no_store(response)
    } else {
        response
    })
}

pub(super) async fn manage_page(State(app): State<Arc<App>>) -> PageResult {
    manage_view(&app, StatusCode::OK, String::new(), None, false).await
}

/// The footer's "manage your subscription": the link goes to the address,
/// and the answer never says whether it is subscribed.
pub(super) async fn ask_for_link(
    State(app): State<Arc<App>>,
    ClientAddr(client): ClientAddr,
    form: Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let pairs = form.map(|f| f.0).unwrap_or_default();
    let email = pairs
        .iter()
        .find(|(n, _)| n == "email")
        .map_or(String::new(), |(_, v)| v.clone());
    match subscriptions::ask_for_manage_link(&app.store, &email, &client).await {
        Ok(()) => manage_view(&app, StatusCode::OK, String::new(), None, true).await,
        Err(SubscribeError::Storage(e)) => Err(SiteError::from(e)),
        Err(e @ SubscribeError::Throttled(_)) => {
            manage_view(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                email,
                Some(e.to_string()),
                false,
            )
            .await
        }
        Err(e) => {
            manage_view(
                &app,
                StatusCode::BAD_REQUEST,
                email,
                Some(e.to_string()),
                false,
            )
            .await
        }
    }
}
