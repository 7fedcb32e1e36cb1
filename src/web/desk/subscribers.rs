//! Readers in the desk (editors and owners): search and filter by status,
//! one reader's history, CSV export, and CSV import with a dry run and a
//! report of the lines it refused.

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::stories::url_pairs;
use super::{CsrfForm, Desk, Frame, checked, forbidden, not_found, plain, render, unavailable};
use crate::model::dates;
use crate::model::newsletters::SubscriberStatus;
use crate::services::permissions::{Action, may, refusal};
use crate::services::subscriptions::{self, ImportReport};

/// Readers on one page.
const PER_PAGE: i64 = 100;
/// The largest CSV accepted.
const MAX_CSV_BYTES: usize = 32 * 1024 * 1024;

pub(super) fn import_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_CSV_BYTES + 64 * 1024)
}

async fn curator(desk: &Desk) -> Result<(), Response> {
    match &desk.signed_in {
        None => Err(desk.sign_in_first()),
        Some(me) if !may(me.user.role, Action::Curate, false) => {
            Err(forbidden(desk, &refusal(me.user.role, Action::Curate)).await)
        }
        Some(_) => Ok(()),
    }
}

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
) -> Response {
    if let Err(answer) = curator(desk).await {
        return answer;
    }
    let wanted = match query.status.as_str() {
        "" => None,
        s => match SubscriberStatus::parse(s) {
            Some(s) => Some(s),
            None => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "Choose one of the statuses offered.",
                );
            }
        },
    };
    let store = &desk.app.store;
    let words = Some(query.q.trim()).filter(|q| !q.is_empty());
    let loaded = tokio::try_join!(
        store.subscribers(wanted, words, &query.after, PER_PAGE + 1),
        store.newsletters()
    );
    let (mut readers, newsletters) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return unavailable(e),
    };
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

pub(super) async fn list(desk: Desk, Query(query): Query<ListQuery>) -> Response {
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

pub(super) async fn reader(desk: Desk, Path(id): Path<String>) -> Response {
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    let store = &desk.app.store;
    let Ok(Some(reader)) = store.subscriber_by_id(&id).await else {
        return not_found().await;
    };
    let settings = match crate::services::settings::load(store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let loaded = tokio::try_join!(
        store.subscriptions_of(&id),
        store.subscriber_history(&id),
        store.newsletters()
    );
    let (subscribed, history, newsletters) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return unavailable(e),
    };
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

pub(super) async fn export(desk: Desk) -> Response {
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    match subscriptions::export_csv(&desk.app.store).await {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"subscribers.csv\"",
                ),
            ],
            csv,
        )
            .into_response(),
        Err(e) => unavailable(e),
    }
}

pub(super) async fn import(desk: Desk, mut multipart: Multipart) -> Response {
    // Who may import is known before the file is read.
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    let mut csrf = String::new();
    let mut bytes = Vec::new();
    let mut newsletter = String::new();
    let mut dry_run = false;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let value = match field.bytes().await {
                    Ok(v) => v,
                    Err(e) => {
                        return plain(
                            e.status(),
                            "The file arrived incomplete, or is larger than 32 MB: try again, or split it.",
                        );
                    }
                };
                match name.as_str() {
                    "csrf" => csrf = String::from_utf8_lossy(&value).into_owned(),
                    "newsletter" => newsletter = String::from_utf8_lossy(&value).into_owned(),
                    "dry_run" => dry_run = true,
                    "file" => bytes = value.to_vec(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                return plain(
                    e.status(),
                    "The file arrived incomplete, or is larger than 32 MB: try again, or split it.",
                );
            }
        }
    }
    if let Err(refused) = checked(&desk, &CsrfForm { csrf }) {
        return refused.into_response();
    }
    let store = &desk.app.store;
    let known = match store.newsletters().await {
        Ok(all) => all.iter().any(|n| n.id == newsletter),
        Err(e) => return unavailable(e),
    };
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
    match subscriptions::import_csv(store, &bytes, &newsletter, dry_run).await {
        Ok(report) => {
            if !dry_run && let Some(me) = &desk.signed_in {
                let _ = store
                    .log_activity(
                        Some(&me.user.id),
                        "imported subscribers",
                        &format!("{} added", report.accepted),
                    )
                    .await;
            }
            list_page(&desk, &query, StatusCode::OK, Some(report), None).await
        }
        Err(e) => unavailable(e),
    }
}
