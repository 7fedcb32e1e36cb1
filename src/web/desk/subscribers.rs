//! Readers in the desk (editors and owners): search and filter by status,
//! one reader's history, CSV export, and CSV import with a dry run and a
//! report of the lines it refused.

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::session::{CsrfForm, checked};
use super::stories::url_pairs;
use super::{Desk, DeskError, DeskResult, Frame, SignedInDesk, allowed, render, site_timezone};
use crate::model::dates;
use crate::model::newsletters::SubscriberStatus;
use crate::services::accounts::SignedIn;
use crate::services::permissions::{Action, refusal};
use crate::services::subscriptions::{self, ImportReport};

/// Readers on one page.
const PER_PAGE: i64 = 100;
/// The largest CSV accepted.
const MAX_CSV_BYTES: usize = 32 * 1024 * 1024;

pub(super) fn import_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_CSV_BYTES + 64 * 1024)
}

/// Readers' addresses are for editors and owners.
fn curator(me: &SignedIn) -> DeskResult<()> {
    allowed(me, Action::Curate, &refusal(me.user.role, Action::Curate))
}

const INCOMPLETE_FILE: &str =
    "The file arrived incomplete, or is larger than 32 MB: try again, or split it.";

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

#[derive(Serialize)]
struct Row {
    url: String,
    email: String,
    name: String,
    status: &'static str,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    selected: bool,
}

#[derive(Serialize)]
struct NewsletterChoice {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct ListView {
    statuses: Vec<Choice>,
    q: String,
    rows: Vec<Row>,
    next_url: Option<String>,
    newsletters: Vec<NewsletterChoice>,
    report: Option<ImportReport>,
    error: Option<String>,
}

async fn list_page(
    desk: &Desk,
    query: &ListQuery,
    status: StatusCode,
    report: Option<ImportReport>,
    error: Option<String>,
) -> DeskResult {
    let wanted = match query.status.as_str() {
        "" => None,
        s => Some(
            SubscriberStatus::parse(s)
                .ok_or_else(|| DeskError::invalid("Choose one of the statuses offered."))?,
        ),
    };
    let store = &desk.app.store;
    let words = Some(query.q.trim()).filter(|q| !q.is_empty());
    let loaded = tokio::try_join!(
        store.subscribers(wanted, words, &query.after, PER_PAGE + 1),
        store.newsletters()
    );
    let (mut readers, newsletters) = loaded?;
    let has_next = readers.len() as i64 > PER_PAGE;
    readers.truncate(PER_PAGE as usize);
    let next_url = has_next.then(|| {
        let last = readers.last().map_or("", |r| r.email.as_str());
        format!(
            "/desk/subscribers?{}",
            url_pairs(&[("status", &query.status), ("q", &query.q), ("after", last)]).join("&")
        )
    });
    let view = ListView {
        statuses: SubscriberStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str(),
                selected: Some(*s) == wanted,
            })
            .collect(),
        q: query.q.clone(),
        rows: readers
            .into_iter()
            .map(|r| Row {
                url: format!("/desk/subscribers/{}", r.id),
                status: r.status.as_str(),
                email: r.email,
                name: r.name,
            })
            .collect(),
        next_url,
        newsletters: newsletters
            .into_iter()
            .map(|n| NewsletterChoice {
                id: n.id,
                name: n.name,
            })
            .collect(),
        report,
        error,
    };
    render(
        desk,
        Frame::page("desk/subscribers.html", "Subscribers", "subscribers").status(status),
        view,
    )
    .await
}

pub(super) async fn list(
    SignedInDesk { desk, me }: SignedInDesk,
    Query(query): Query<ListQuery>,
) -> DeskResult {
    curator(&me)?;
    list_page(&desk, &query, StatusCode::OK, None, None).await
}

#[derive(Serialize)]
struct HistoryLine {
    when: String,
    event: String,
    detail: String,
}

#[derive(Serialize)]
struct ReaderView {
    email: String,
    name: String,
    status: &'static str,
    newsletters: Vec<String>,
    history: Vec<HistoryLine>,
}

pub(super) async fn reader(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
) -> DeskResult {
    curator(&me)?;
    let store = &desk.app.store;
    let reader = store
        .subscriber_by_id(&id)
        .await?
        .ok_or_else(|| DeskError::not_found("There is no such reader among the subscribers."))?;
    let tz = site_timezone(&desk.app).await?;
    let loaded = tokio::try_join!(
        store.subscriptions_of(&id),
        store.subscriber_history(&id),
        store.newsletters()
    );
    let (subscribed, history, newsletters) = loaded?;
    let view = ReaderView {
        status: reader.status.as_str(),
        newsletters: newsletters
            .into_iter()
            .filter(|n| subscribed.contains(&n.id))
            .map(|n| n.name)
            .collect(),
        history: history
            .into_iter()
            .map(|e| HistoryLine {
                when: dates::format(e.at, &tz, "%-d %b %Y, %H:%M"),
                event: e.event,
                detail: e.detail,
            })
            .collect(),
        email: reader.email,
        name: reader.name,
    };
    let title = format!("Subscriber: {}", view.email);
    render(
        &desk,
        Frame::page("desk/subscriber.html", &title, "subscribers"),
        view,
    )
    .await
}

pub(super) async fn export(SignedInDesk { desk, me }: SignedInDesk) -> DeskResult {
    curator(&me)?;
    let csv = subscriptions::export_csv(&desk.app.store).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"subscribers.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

pub(super) async fn import(
    SignedInDesk { desk, me }: SignedInDesk,
    mut multipart: Multipart,
) -> DeskResult {
    // Who may import is known before the file is read.
    curator(&me)?;
    let incomplete = |e: axum::extract::multipart::MultipartError| DeskError::Said {
        status: e.status(),
        message: INCOMPLETE_FILE.into(),
    };
    let mut csrf = String::new();
    let mut bytes = Vec::new();
    let mut newsletter = String::new();
    let mut dry_run = false;
    while let Some(field) = multipart.next_field().await.map_err(incomplete)? {
        let name = field.name().unwrap_or_default().to_string();
        let value = field.bytes().await.map_err(incomplete)?;
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&value).into_owned(),
            "newsletter" => newsletter = String::from_utf8_lossy(&value).into_owned(),
            "dry_run" => dry_run = true,
            "file" => bytes = value.to_vec(),
            _ => {}
        }
    }
    checked(&desk, &CsrfForm { csrf })?;
    let store = &desk.app.store;
    let known = store
        .newsletters()
        .await?
        .iter()
        .any(|n| n.id == newsletter);
    let query = ListQuery::default();
    if !known {
        return list_page(
            &desk,
            &query,
            StatusCode::BAD_REQUEST,
            None,
            Some("Choose the newsletter the readers join.".into()),
        )
        .await;
    }
    if bytes.is_empty() {
        return list_page(
            &desk,
            &query,
            StatusCode::BAD_REQUEST,
            None,
            Some("Choose a CSV file to import.".into()),
        )
        .await;
    }
    let report = subscriptions::import_csv(store, &me.user, &bytes, &newsletter, dry_run).await?;
    list_page(&desk, &query, StatusCode::OK, Some(report), None).await
}
