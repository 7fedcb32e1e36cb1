//! Newsletters in the desk (editors and owners): whether mail can be sent,
//! the issues with their progress, composing the round-up, and one issue's
//! page: its words and stories, a preview, a test copy, sending now or at a
//! time, pausing and resuming.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::form::{Fields, signed_in_form};
use super::{Desk, Frame, forbidden, not_found, plain, render, see_other, unavailable};
use crate::model::newsletters::{IssueItem, NewsletterIssue};
use crate::model::text::capitalized;
use crate::model::{StoryFilter, dates};
use crate::services::permissions::{Action, may, refusal};
use crate::services::sending::{self, IssueEdit};
use crate::urls;

fn desk_newsletters() -> String {
    "/desk/newsletters".into()
}

use crate::urls::desk_issue;

/// The signed-in editor or owner, or the answer for anyone else.
async fn curator(desk: &Desk) -> Result<crate::model::accounts::User, Response> {
    match &desk.signed_in {
        None => Err(desk.sign_in_first()),
        Some(me) if !may(me.user.role, Action::Curate, false) => {
            Err(forbidden(desk, &refusal(me.user.role, Action::Curate)).await)
        }
        Some(me) => Ok(me.user.clone()),
    }
}

#[derive(Serialize)]
struct IssueRow {
    url: String,
    subject: String,
    newsletter: String,
    status: String,
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

pub(super) async fn list(desk: Desk) -> Response {
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    let store = &desk.app.store;
    let (newsletters, issues) = match tokio::try_join!(store.newsletters(), store.issues(false, 50))
    {
        Ok(loaded) => loaded,
        Err(e) => return unavailable(e),
    };
    let mut rows = Vec::with_capacity(issues.len());
    for issue in issues {
        let progress = match store.issue_progress(&issue.id).await {
            Ok(p) => p,
            Err(e) => return unavailable(e),
        };
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

pub(super) async fn compose(desk: Desk, Path(slug): Path<String>, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    let store = &desk.app.store;
    let newsletter = match store.newsletters().await {
        Ok(all) => all.into_iter().find(|n| n.slug == slug),
        Err(e) => return unavailable(e),
    };
    let Some(newsletter) = newsletter else {
        return not_found().await;
    };
    match sending::compose_and_save(store, &newsletter, Some(&me.user.id)).await {
        Ok((issue, _)) => see_other(&desk_issue(&issue.id)),
        Err(e) => unavailable(e),
    }
}

#[derive(Serialize)]
struct ItemRow {
    kind: String,
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
    status: String,
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
    id: &str,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    if let Err(answer) = curator(desk).await {
        return answer;
    }
    let store = &desk.app.store;
    let issue = match store.issue_by_id(id).await {
        Ok(Some(issue)) => issue,
        Ok(None) => return not_found().await,
        Err(e) => return unavailable(e),
    };
    let settings = match crate::services::settings::load(store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let everything = StoryFilter::default();
    let now = store.clock().now();
    let loaded = tokio::try_join!(
        store.issue_items(id),
        store.issue_progress(id),
        store.stories(&everything, now, 50, 0),
        store.briefs(now, 20, 0),
    );
    let (items, progress, stories, briefs) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return unavailable(e),
    };
    let story_ids: Vec<String> = items
        .iter()
        .filter(|i| i.kind == "story")
        .map(|i| i.piece_id.clone())
        .collect();
    let cards = match store.story_cards_by_ids(&story_ids).await {
        Ok(cards) => cards,
        Err(e) => return unavailable(e),
    };
    let mut rows = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let headline = match item.kind.as_str() {
            "story" => cards
                .iter()
                .find(|c| c.story.id == item.piece_id)
                .map(|c| c.story.headline.clone()),
            _ => store
                .brief_by_id(&item.piece_id)
                .await
                .ok()
                .flatten()
                .map(|b| b.headline),
        }
        .unwrap_or_else(|| "(no longer exists)".into());
        rows.push(ItemRow {
            kind: item.kind.clone(),
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
        editable: matches!(issue.status.as_str(), "draft" | "scheduled"),
        subject: issue.subject.clone(),
        preheader: issue.preheader.clone(),
        intro: issue.intro.as_str().to_string(),
        status: issue.status.clone(),
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
        web_url: (issue.status == "sent").then(|| urls::newsletter_issue(&issue.slug)),
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
    desk: Desk,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let notice = match query.done.as_str() {
        "saved" => Some("Saved.".to_string()),
        "test" => Some("The test copy is on its way.".to_string()),
        "sending" => Some("Sending: the counts below follow it.".to_string()),
        "scheduled" => Some("Scheduled: it goes out at the time set.".to_string()),
        _ => None,
    };
    issue_page(&desk, &id, StatusCode::OK, notice, None).await
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
        .map(|(i, (kind, id))| {
            let position = positions
                .get(i)
                .and_then(|p| p.trim().parse::<f64>().ok())
                .unwrap_or(i as f64 + 1.0);
            (
                position,
                IssueItem {
                    kind: kind.clone(),
                    piece_id: id.clone(),
                },
            )
        })
        .collect();
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut items: Vec<IssueItem> = items.into_iter().map(|(_, item)| item).collect();
    let added = form.get("add_story");
    if !added.is_empty() && !items.iter().any(|i| i.piece_id == added) {
        items.push(IssueItem {
            kind: "story".into(),
            piece_id: added.to_string(),
        });
    }
    items
}

async fn stored_issue(desk: &Desk, id: &str) -> Result<NewsletterIssue, Response> {
    match desk.app.store.issue_by_id(id).await {
        Ok(Some(issue)) => Ok(issue),
        Ok(None) => Err(plain(StatusCode::NOT_FOUND, "There is no such issue.")),
        Err(e) => Err(unavailable(e)),
    }
}

pub(super) async fn save(desk: Desk, Path(id): Path<String>, form: Fields) -> Response {
    if let Err(refused) = signed_in_form(&desk, &form) {
        return refused.into_response();
    }
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    let issue = match stored_issue(&desk, &id).await {
        Ok(issue) => issue,
        Err(answer) => return answer,
    };
    let change = IssueEdit {
        subject: form.get("subject"),
        preheader: form.get("preheader"),
        intro: form.get("intro"),
        items: read_items(&form),
    };
    match sending::edit(&desk.app.store, &issue, change).await {
        Ok(_) => see_other(&format!("{}?done=saved", desk_issue(&id))),
        Err(e) => {
            issue_page(
                &desk,
                &id,
                StatusCode::BAD_REQUEST,
                None,
                Some(capitalized(&e.to_string())),
            )
            .await
        }
    }
}

/// `test`, `send`, `schedule`, `pause` or `resume` on an issue.
pub(super) async fn act(
    desk: Desk,
    Path((id, action)): Path<(String, String)>,
    form: Fields,
) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    let issue = match stored_issue(&desk, &id).await {
        Ok(issue) => issue,
        Err(answer) => return answer,
    };
    let app = &desk.app;
    let store = &app.store;
    let no_relay = "Mail cannot be sent yet: no SMTP relay is configured (smtp_url, MASTHEAD_SMTP_URL or --smtp-url).";
    let outcome: Result<&str, String> = match action.as_str() {
        "test" => match &app.mailer {
            None => Err(no_relay.into()),
            Some(mailer) => sending::send_test(
                store,
                mailer,
                &app.theme,
                &app.public_url,
                &issue,
                form.get("address"),
            )
            .await
            .map(|_| "test"),
        },
        "send" | "resume" => match &app.mailer {
            None => Err(no_relay.into()),
            Some(_) => sending::start(store, &issue)
                .await
                .map(|_| "sending")
                .map_err(|e| e.to_string()),
        },
        "schedule" => {
            let settings = match crate::services::settings::load(store).await {
                Ok(s) => s,
                Err(e) => return unavailable(e),
            };
            let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
            match dates::parse_local_input(form.get("send_at"), &tz) {
                None => Err("Choose a date and time to send it.".into()),
                Some(at) => sending::schedule(store, &issue, at)
                    .await
                    .map(|_| "scheduled")
                    .map_err(|e| e.to_string()),
            }
        }
        "pause" => store
            .set_issue_status(&issue.id, "paused", Some("paused by an editor"))
            .await
            .map(|_| "saved")
            .map_err(|e| e.to_string()),
        _ => return not_found().await,
    };
    match outcome {
        Ok(done) => {
            let _ = store
                .log_activity_on(
                    Some(&me.user.id),
                    &format!("newsletter issue: {action}"),
                    &issue.subject,
                    Some(crate::model::accounts::ActivityTarget::Issue(&id)),
                )
                .await;
            see_other(&format!("{}?done={done}", desk_issue(&id)))
        }
        Err(why) => {
            issue_page(
                &desk,
                &id,
                StatusCode::BAD_REQUEST,
                None,
                Some(capitalized(&why)),
            )
            .await
        }
    }
}

/// The email as a mail client would show it, beside the form.
pub(super) async fn preview(desk: Desk, Path(id): Path<String>) -> Response {
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    let issue = match stored_issue(&desk, &id).await {
        Ok(issue) => issue,
        Err(answer) => return answer,
    };
    let app = &desk.app;
    match sending::preview_html(&app.store, &app.theme, &app.public_url, &issue).await {
        Ok(html) => super::stories::framable_html(html),
        Err(e) => plain(StatusCode::CONFLICT, &capitalized(&e.to_string())),
    }
}

/// Sent, failed and waiting, for the page's live counts.
pub(super) async fn progress(desk: Desk, Path(id): Path<String>) -> Response {
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    let store = &desk.app.store;
    let (issue, progress) =
        match tokio::try_join!(store.issue_by_id(&id), store.issue_progress(&id)) {
            Ok((Some(issue), progress)) => (issue, progress),
            Ok((None, _)) => return not_found().await,
            Err(e) => return unavailable(e),
        };
    axum::Json(serde_json::json!({
        "status": issue.status,
        "sent": progress.sent,
        "failed": progress.failed,
        "queued": progress.queued,
        "error": issue.last_error,
    }))
    .into_response()
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

async fn newsletter_page(desk: &Desk, status: StatusCode, view: NewsletterView) -> Response {
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
pub(super) async fn settings(desk: Desk, Path(slug): Path<String>) -> Response {
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    if slug == "new" {
        let view = NewsletterView {
            new: true,
            action: format!("{}/new/settings", desk_newsletters()),
            offered: true,
            ..Default::default()
        };
        return newsletter_page(&desk, StatusCode::OK, view).await;
    }
    let found = match desk.app.store.newsletters().await {
        Ok(all) => all.into_iter().find(|n| n.slug == slug),
        Err(e) => return unavailable(e),
    };
    let Some(n) = found else {
        return not_found().await;
    };
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

pub(super) async fn save_settings(desk: Desk, Path(slug): Path<String>, form: Fields) -> Response {
    if let Err(refused) = signed_in_form(&desk, &form) {
        return refused.into_response();
    }
    if let Err(answer) = curator(&desk).await {
        return answer;
    }
    let existing = match desk.app.store.newsletters().await {
        Ok(all) => all.into_iter().find(|n| n.slug == slug),
        Err(e) => return unavailable(e),
    };
    if slug != "new" && existing.is_none() {
        return not_found().await;
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
    match sending::save_newsletter(&desk.app.store, existing.as_ref(), input).await {
        Ok(_) => see_other(&desk_newsletters()),
        Err((field, message)) => {
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
    }
}
