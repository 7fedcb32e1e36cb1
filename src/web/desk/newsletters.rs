//! Newsletters in the desk (editors and owners): whether mail can be sent,
//! the issues with their progress, composing the round-up, and one issue's
//! page: its words and stories, a preview, a test copy, sending now or at a
//! time, pausing and resuming.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::form::Fields;
use super::session::CsrfForm;
use super::{
    CheckedForm, Desk, DeskError, DeskResult, Frame, SignedInDesk, render, see_other, site_timezone,
};
use crate::failure::{Failure, FailureKind};
use crate::model::newsletters::{IssueItem, IssueStatus, ItemKind, NewsletterIssue};
use crate::model::{StoryFilter, dates};
use crate::services::accounts::SignedIn;
use crate::services::sending::{self, IssueAction, IssueEdit, Outbox};
use crate::urls;

fn desk_newsletters() -> String {
    "/desk/newsletters".into()
}

use crate::urls::desk_issue;

/// Newsletters are for editors and owners.
fn curator(me: &SignedIn) -> DeskResult<()> {
    Ok(sending::may_curate(&me.user)?)
}

const NO_SUCH_ISSUE: &str = "There is no such issue.";
const NO_SUCH_NEWSLETTER: &str = "There is no such newsletter.";

#[derive(Serialize)]
struct IssueRow {
    url: String,
    subject: String,
    newsletter: String,
    status: IssueStatus,
    sent: i64,
    failed: i64,
    queued: i64,
}

#[derive(Serialize)]
struct NewsletterRow {
    name: String,
    slug: String,
    description: String,
    compose_url: String,
    edit_url: String,
}

#[derive(Serialize)]
struct ListView {
    relay: Option<String>,
    newsletters: Vec<NewsletterRow>,
    issues: Vec<IssueRow>,
}

/// Issues the newsletters page lists, newest first.
const LISTED_ISSUES: i64 = 50;

pub(super) async fn list(SignedInDesk { desk, me }: SignedInDesk) -> DeskResult {
    curator(&me)?;
    let store = &desk.app.store;
    let (newsletters, issues) =
        tokio::try_join!(store.newsletters(), store.issues(false, LISTED_ISSUES))?;
    let mut rows = Vec::with_capacity(issues.len());
    for issue in issues {
        let progress = store.issue_progress(&issue.id).await?;
        rows.push(IssueRow {
            url: desk_issue(&issue.id),
            newsletter: newsletters
                .iter()
                .find(|n| n.id == issue.newsletter_id)
                .map_or_else(String::new, |n| n.name.clone()),
            subject: issue.subject,
            status: issue.status,
            sent: progress.sent,
            failed: progress.failed,
            queued: progress.queued,
        });
    }
    let view = ListView {
        relay: desk.app.mailer.as_ref().map(|m| m.relay.redacted()),
        newsletters: newsletters
            .into_iter()
            .map(|n| NewsletterRow {
                compose_url: format!("{}/{}/compose", desk_newsletters(), n.slug),
                edit_url: format!("{}/{}/settings", desk_newsletters(), n.slug),
                name: n.name,
                slug: n.slug,
                description: n.description,
            })
            .collect(),
        issues: rows,
    };
    render(
        &desk,
        Frame::page("desk/newsletters.html", "Newsletters", "newsletters"),
        view,
    )
    .await
}

pub(super) async fn compose(
    Path(slug): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    curator(&me)?;
    let store = &desk.app.store;
    let newsletter = store
        .newsletters()
        .await?
        .into_iter()
        .find(|n| n.slug == slug);
    let newsletter = newsletter.ok_or_else(|| DeskError::not_found(NO_SUCH_NEWSLETTER))?;
    let (issue, _) = sending::compose_and_save(store, &newsletter, Some(&me.user.id)).await?;
    Ok(see_other(&desk_issue(&issue.id)))
}

#[derive(Serialize)]
struct ItemRow {
    kind: ItemKind,
    piece_id: String,
    headline: String,
    position: usize,
}

#[derive(Serialize)]
struct StoryChoice {
    id: String,
    headline: String,
}

#[derive(Serialize)]
struct IssueView {
    id: String,
    action: String,
    preview_url: String,
    progress_url: String,
    subject: String,
    preheader: String,
    intro: String,
    /// It carries "Corrections since the last issue".
    corrections: bool,
    status: IssueStatus,
    editable: bool,
    items: Vec<ItemRow>,
    stories: Vec<StoryChoice>,
    briefs: Vec<StoryChoice>,
    sent: i64,
    failed: i64,
    queued: i64,
    send_at: Option<String>,
    last_error: Option<String>,
    relay: Option<String>,
    web_url: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn issue_page(
    desk: &Desk,
    me: &SignedIn,
    id: &str,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> DeskResult {
    curator(me)?;
    let store = &desk.app.store;
    let issue = stored_issue(desk, id).await?;
    let tz = site_timezone(&desk.app).await?;
    let everything = StoryFilter::default();
    let now = store.clock().now();
    let loaded = tokio::try_join!(
        store.issue_items(id),
        store.issue_progress(id),
        store.stories(&everything, now, 50, 0),
        store.briefs(now, 20, 0),
    );
    let (items, progress, stories, briefs) = loaded?;
    let story_ids: Vec<String> = items
        .iter()
        .filter(|i| i.kind == ItemKind::Story)
        .map(|i| i.piece_id.clone())
        .collect();
    let cards = store.story_cards_by_ids(&story_ids).await?;
    let mut rows = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let headline = match item.kind {
            ItemKind::Story => cards
                .iter()
                .find(|c| c.story.id == item.piece_id)
                .map(|c| c.story.headline.clone()),
            ItemKind::Brief => store.brief_by_id(&item.piece_id).await?.map(|b| b.headline),
        }
        .unwrap_or_else(|| "(no longer exists)".into());
        rows.push(ItemRow {
            kind: item.kind,
            piece_id: item.piece_id.clone(),
            headline,
            position: i + 1,
        });
    }
    let view = IssueView {
        id: issue.id.clone(),
        action: desk_issue(&issue.id),
        preview_url: format!("{}/preview", desk_issue(&issue.id)),
        progress_url: format!("{}/progress", desk_issue(&issue.id)),
        editable: issue.status.is_editable(),
        subject: issue.subject.clone(),
        preheader: issue.preheader.clone(),
        intro: issue.intro.as_str().to_string(),
        corrections: issue.corrections_since.is_some(),
        status: issue.status,
        items: rows,
        stories: stories
            .into_iter()
            .map(|s| StoryChoice {
                id: s.id,
                headline: s.headline,
            })
            .collect(),
        briefs: briefs
            .into_iter()
            .map(|b| StoryChoice {
                id: b.brief.id,
                headline: b.brief.headline,
            })
            .collect(),
        sent: progress.sent,
        failed: progress.failed,
        queued: progress.queued,
        send_at: issue
            .send_at
            .map(|t| dates::format(t, &tz, "%-d %B %Y, %H:%M")),
        last_error: issue.last_error.clone(),
        relay: desk.app.mailer.as_ref().map(|m| m.relay.redacted()),
        web_url: (issue.status == IssueStatus::Sent).then(|| urls::newsletter_issue(&issue.slug)),
        notice,
        error,
    };
    let title = format!("Issue: {}", issue.subject);
    render(
        desk,
        Frame::page("desk/issue.html", &title, "newsletters").status(status),
        view,
    )
    .await
}

pub(super) async fn issue(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> DeskResult {
    let notice = match query.done.as_str() {
        "saved" => Some("Saved.".to_string()),
        "test" => Some("The test copy is on its way.".to_string()),
        "sending" => Some("Sending: the counts below follow it.".to_string()),
        "scheduled" => Some("Scheduled: it goes out at the time set.".to_string()),
        _ => None,
    };
    issue_page(&desk, &me, &id, StatusCode::OK, notice, None).await
}

/// The items as the form lists them: kept ones in the order of their
/// numbers, then the story chosen to add.
fn read_items(form: &Fields) -> Vec<IssueItem> {
    let kinds = form.all("item_kind");
    let ids = form.all("item_id");
    let positions = form.all("item_position");
    let removed = form.all("remove");
    let mut items: Vec<(f64, IssueItem)> = kinds
        .iter()
        .zip(ids.iter())
        .enumerate()
        .filter(|(_, (_, id))| !removed.contains(id))
        .filter_map(|(i, (kind, id))| {
            let position = positions
                .get(i)
                .and_then(|p| p.trim().parse::<f64>().ok())
                .unwrap_or(i as f64 + 1.0);
            let item = IssueItem {
                kind: ItemKind::parse(kind)?,
                piece_id: id.clone(),
            };
            Some((position, item))
        })
        .collect();
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut items: Vec<IssueItem> = items.into_iter().map(|(_, item)| item).collect();
    let added = form.get("add_story");
    if !added.is_empty() && !items.iter().any(|i| i.piece_id == added) {
        items.push(IssueItem {
            kind: ItemKind::Story,
            piece_id: added.to_string(),
        });
    }
    items
}

async fn stored_issue(desk: &Desk, id: &str) -> DeskResult<NewsletterIssue> {
    desk.app
        .store
        .issue_by_id(id)
        .await?
        .ok_or_else(|| DeskError::not_found(NO_SUCH_ISSUE))
}

/// After a change to an issue: back to its page saying what was `done`, or
/// the page with the reason when the editor can mend it there.
async fn answered(
    desk: &Desk,
    me: &SignedIn,
    id: &str,
    result: Result<&str, sending::SendingError>,
) -> DeskResult {
    match result {
        Ok(done) => Ok(see_other(&format!("{}?done={done}", desk_issue(id)))),
        Err(e) if e.kind() == FailureKind::Conflict => {
            let why = Some(crate::model::text::capitalized(&e.to_string()));
            issue_page(desk, me, id, StatusCode::BAD_REQUEST, None, why).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn save(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<Fields>,
) -> DeskResult {
    let issue = stored_issue(&desk, &id).await?;
    let change = IssueEdit {
        subject: form.get("subject"),
        preheader: form.get("preheader"),
        intro: form.get("intro"),
        items: read_items(&form),
        corrections: form.has("corrections"),
    };
    let saved = sending::edit(&desk.app.store, &me.user, &issue, change).await;
    answered(&desk, &me, &id, saved.map(|_| "saved")).await
}

#[derive(Deserialize)]
pub(super) struct ActionFields {
    /// Where a test copy goes.
    #[serde(default)]
    address: String,
    /// When a scheduled issue goes out, in the site's zone.
    #[serde(default)]
    send_at: String,
}

pub(super) async fn test(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<ActionFields>,
) -> DeskResult {
    act(&desk, &me, &id, IssueAction::Test(&form.address)).await
}

pub(super) async fn send(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    act(&desk, &me, &id, IssueAction::Send).await
}

pub(super) async fn resume(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    act(&desk, &me, &id, IssueAction::Resume).await
}

pub(super) async fn pause(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    act(&desk, &me, &id, IssueAction::Pause).await
}

pub(super) async fn schedule(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<ActionFields>,
) -> DeskResult {
    let tz = site_timezone(&desk.app).await?;
    match dates::parse_local_input(&form.send_at, &tz) {
        Some(at) => act(&desk, &me, &id, IssueAction::Schedule(at)).await,
        None => {
            let why = Some("Choose a date and time to send it.".into());
            issue_page(&desk, &me, &id, StatusCode::BAD_REQUEST, None, why).await
        }
    }
}

/// One of an issue's buttons, through the one service call that decides it.
async fn act(desk: &Desk, me: &SignedIn, id: &str, action: IssueAction<'_>) -> DeskResult {
    let issue = stored_issue(desk, id).await?;
    let app = &desk.app;
    let outbox = Outbox {
        mailer: app.mailer.as_ref(),
        theme: &app.theme,
        public_url: &app.public_url,
    };
    let done = sending::act(&app.store, &outbox, &me.user, &issue, action).await;
    answered(desk, me, id, done).await
}

/// The email as a mail client would show it, beside the form.
pub(super) async fn preview(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
) -> DeskResult {
    curator(&me)?;
    let issue = stored_issue(&desk, &id).await?;
    let app = &desk.app;
    let html = sending::preview_html(&app.store, &app.theme, &app.public_url, &issue).await?;
    let mut response = (
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    response
        .extensions_mut()
        .insert(crate::web::security::EmailPreview);
    Ok(response)
}

/// Sent, failed and waiting, for the page's live counts.
pub(super) async fn progress(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
) -> DeskResult {
    curator(&me)?;
    let store = &desk.app.store;
    let issue = stored_issue(&desk, &id).await?;
    let progress = store.issue_progress(&id).await?;
    Ok(axum::Json(serde_json::json!({
        "status": issue.status,
        "sent": progress.sent,
        "failed": progress.failed,
        "queued": progress.queued,
        "error": issue.last_error,
    }))
    .into_response())
}

#[derive(Serialize, Default)]
struct NewsletterView {
    new: bool,
    action: String,
    name: String,
    slug: String,
    description: String,
    sender_name: String,
    sender_email: String,
    reply_to: String,
    offered: bool,
    position: String,
    field: Option<&'static str>,
    error: Option<String>,
}

async fn newsletter_page(desk: &Desk, status: StatusCode, view: NewsletterView) -> DeskResult {
    let title = if view.new {
        "New newsletter".to_string()
    } else {
        format!("Newsletter: {}", view.name)
    };
    render(
        desk,
        Frame::page("desk/newsletter.html", &title, "newsletters").status(status),
        view,
    )
    .await
}

/// A newsletter's name, sender and place on the sign-up forms (`new` for a new one).
pub(super) async fn settings(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(slug): Path<String>,
) -> DeskResult {
    curator(&me)?;
    if slug == "new" {
        let view = NewsletterView {
            new: true,
            action: format!("{}/new/settings", desk_newsletters()),
            offered: true,
            ..Default::default()
        };
        return newsletter_page(&desk, StatusCode::OK, view).await;
    }
    let found = desk
        .app
        .store
        .newsletters()
        .await?
        .into_iter()
        .find(|n| n.slug == slug);
    let n = found.ok_or_else(|| DeskError::not_found(NO_SUCH_NEWSLETTER))?;
    let view = NewsletterView {
        action: format!("{}/{}/settings", desk_newsletters(), n.slug),
        name: n.name,
        slug: n.slug,
        description: n.description,
        sender_name: n.sender_name,
        sender_email: n.sender_email,
        reply_to: n.reply_to,
        offered: n.offered,
        position: n.position.to_string(),
        ..Default::default()
    };
    newsletter_page(&desk, StatusCode::OK, view).await
}

pub(super) async fn save_settings(
    Path(slug): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<Fields>,
) -> DeskResult {
    curator(&me)?;
    let existing = desk
        .app
        .store
        .newsletters()
        .await?
        .into_iter()
        .find(|n| n.slug == slug);
    if slug != "new" && existing.is_none() {
        return Err(DeskError::not_found(NO_SUCH_NEWSLETTER));
    }
    let input = sending::NewsletterForm {
        name: form.get("name"),
        slug: form.get("slug"),
        description: form.get("description"),
        sender_name: form.get("sender_name"),
        sender_email: form.get("sender_email"),
        reply_to: form.get("reply_to"),
        offered: form.has("offered"),
        position: form.get("position"),
    };
    match sending::save_newsletter(&desk.app.store, &me.user, existing.as_ref(), input).await {
        Ok(_) => Ok(see_other(&desk_newsletters())),
        Err(sending::SendingError::Invalid { field, message }) => {
            let view = NewsletterView {
                new: existing.is_none(),
                action: format!("{}/{slug}/settings", desk_newsletters()),
                name: form.get("name").to_string(),
                slug: form.get("slug").to_string(),
                description: form.get("description").to_string(),
                sender_name: form.get("sender_name").to_string(),
                sender_email: form.get("sender_email").to_string(),
                reply_to: form.get("reply_to").to_string(),
                offered: form.has("offered"),
                position: form.get("position").to_string(),
                field: Some(field),
                error: Some(message),
            };
            newsletter_page(&desk, StatusCode::BAD_REQUEST, view).await
        }
        Err(e) => Err(e.into()),
    }
}
