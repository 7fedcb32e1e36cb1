//! A story's live desk (`/desk/stories/{id}/live`): start and end the
//! coverage, post updates from a quick form that works on a phone, edit,
//! pin or remove them, and read their earlier wording. Those who may edit
//! the story may do all of it.

use axum::extract::{Path, Query};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::stories::{Choice, stored_story};
use super::{DeskError, DeskResult, Frame, SignedIn, SignedInDesk, render, see_other};
use crate::model::dates;
use crate::model::live::LiveUpdate;
use crate::services::editing;
use crate::services::live::{self, UpdateDraft};
use crate::services::permissions::{Action, may, refusal};
use crate::services::publishing::ContentError;
use crate::store::StoryCard;
use crate::urls;

#[derive(Serialize)]
struct UpdateRow {
    id: String,
    anchor: String,
    time: String,
    author: String,
    author_id: String,
    body: crate::model::SafeHtml,
    /// The body as the editor opens it.
    body_html: String,
    pinned: bool,
    edited: bool,
    removed: bool,
    action: String,
}

#[derive(Serialize)]
struct VersionRow {
    update_anchor: String,
    time: String,
    body: crate::model::SafeHtml,
    fate: String,
}

#[derive(Serialize)]
struct LiveDeskView {
    story_id: String,
    headline: String,
    edit_url: String,
    public_url: Option<String>,
    /// "never", "live" or "ended".
    state: &'static str,
    since: Option<String>,
    ended: Option<String>,
    coverage_url: String,
    post_url: String,
    authors: Vec<Choice>,
    updates: Vec<UpdateRow>,
    history: Vec<VersionRow>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// The story, if this person may run its live coverage: edit it, and,
/// once readers can see it, publish it (every update goes out at once, as
/// a change to a published story does).
async fn live_story(desk: &super::Desk, me: &SignedIn, id: &str) -> DeskResult<StoryCard> {
    let card = stored_story(desk, me, id).await?;
    let own = editing::owns(&me.user, card.story.created_by.as_deref(), &card.author_ids);
    let public = card.story.is_public(desk.app.store.clock().now());
    for (action, needed) in [(Action::Edit, true), (Action::Publish, public)] {
        if needed && !may(me.user.role, action, own) {
            return Err(DeskError::forbidden(refusal(me.user.role, action)));
        }
    }
    Ok(card)
}

/// An update's byline: one's own, none, or (editors and owners) anyone's.
fn credit_allowed(me: &SignedIn, draft: &UpdateDraft) -> DeskResult<()> {
    let others = draft
        .author_id
        .as_ref()
        .is_some_and(|a| Some(a) != me.user.author_id.as_ref());
    if others && !may(me.user.role, Action::CreditOthers, false) {
        return Err(DeskError::forbidden(refusal(
            me.user.role,
            Action::CreditOthers,
        )));
    }
    Ok(())
}

fn live_url(id: &str) -> String {
    urls::desk_story_action(id, "live")
}

fn done(id: &str, what: &str) -> Response {
    see_other(&format!("{}?done={what}#live-updates", live_url(id)))
}

pub(super) async fn show(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> DeskResult {
    let card = live_story(&desk, &me, &id).await?;
    let store = &desk.app.store;
    let (coverage, updates, history, authors, settings) = tokio::try_join!(
        store.live_coverage(&id),
        store.live_updates_since(&id, 0),
        store.live_history(&id),
        store.authors(),
        store.site_settings(),
    )?;
    let tz = settings.time_zone();
    let when = |t| dates::format(t, &tz, "%-d %b %Y, %H:%M");
    let author_name = |id: Option<&String>| {
        id.and_then(|id| authors.iter().find(|a| &a.id == id))
            .map_or_else(String::new, |a| a.name.clone())
    };
    let row = |u: &LiveUpdate| UpdateRow {
        anchor: urls::live_update_anchor(&u.id),
        time: when(u.posted_at),
        author: author_name(u.author_id.as_ref()),
        author_id: u.author_id.clone().unwrap_or_default(),
        body: (&u.body).into(),
        body_html: u.body.as_str().to_string(),
        pinned: u.pinned,
        edited: u.edited_at.is_some(),
        removed: u.removed_at.is_some(),
        action: format!("{}/{}", urls::desk_story_action(&id, "updates"), u.id),
        id: u.id.clone(),
    };
    let mine = me.user.author_id.clone().unwrap_or_default();
    let now = store.clock().now();
    let view = LiveDeskView {
        story_id: id.clone(),
        headline: card.story.headline.clone(),
        edit_url: urls::desk_story(&id),
        public_url: card
            .story
            .is_public(now)
            .then(|| urls::story(&card.story.slug)),
        state: match &coverage {
            None => "never",
            Some(c) if c.is_live() => "live",
            Some(_) => "ended",
        },
        since: coverage.as_ref().map(|c| when(c.started_at)),
        ended: coverage.as_ref().and_then(|c| c.ended_at).map(when),
        coverage_url: live_url(&id),
        post_url: urls::desk_story_action(&id, "updates"),
        authors: std::iter::once(Choice {
            value: String::new(),
            label: "No byline".into(),
            selected: mine.is_empty(),
        })
        .chain(authors.iter().map(|a| Choice {
            value: a.id.clone(),
            label: a.name.clone(),
            selected: a.id == mine,
        }))
        .collect(),
        updates: updates
            .iter()
            .filter(|u| u.removed_at.is_none())
            .map(row)
            .collect(),
        history: history
            .iter()
            .map(|v| VersionRow {
                update_anchor: urls::live_update_anchor(&v.update_id),
                time: when(v.replaced_at),
                body: (&v.body).into(),
                fate: format!(
                    "{} {} by {}",
                    if v.removed { "Removed" } else { "Changed" },
                    when(v.replaced_at),
                    v.replaced_by_name.as_deref().unwrap_or("a former account")
                ),
            })
            .collect(),
        notice: match query.done.as_str() {
            "started" => Some(
                "Live coverage has started: the story's page now shows its updates and follows them as they are posted.",
            ),
            "ended" => Some(
                "Live coverage has ended: the page is an ordinary story again, with its updates kept.",
            ),
            "posted" => Some("Posted: readers with the page open see it within seconds."),
            "changed" => Some("The update is changed; its earlier wording is kept below."),
            "removed" => Some("The update is removed from the page; it is kept below."),
            _ => None,
        },
    };
    let title = format!("Live: {}", card.story.headline);
    render(
        &desk,
        Frame::page("desk/live.html", &title, "stories"),
        view,
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct CoverageFields {
    #[serde(default)]
    action: String,
}

/// Starts or ends the coverage.
pub(super) async fn coverage(
    Path(id): Path<String>,
    super::CheckedForm { desk, me, form }: super::CheckedForm<CoverageFields>,
) -> DeskResult {
    let card = live_story(&desk, &me, &id).await?;
    let store = &desk.app.store;
    let headline = &card.story.headline;
    match form.action.as_str() {
        "start" => {
            live::start(store, &me.user, &id, headline).await?;
            Ok(done(&id, "started"))
        }
        "end" => {
            live::end(store, &me.user, &id, headline).await?;
            Ok(done(&id, "ended"))
        }
        other => Err(DeskError::invalid(format!(
            "{other:?} is not something live coverage does: use the Start or End button."
        ))),
    }
}

#[derive(Deserialize)]
pub(super) struct UpdateFields {
    #[serde(default)]
    update_body: String,
    #[serde(default)]
    update_author: String,
    pinned: Option<String>,
    remove: Option<String>,
}

impl UpdateFields {
    fn draft(&self) -> UpdateDraft {
        UpdateDraft {
            body: self.update_body.clone(),
            pinned: self.pinned.is_some(),
            author_id: Some(self.update_author.clone()).filter(|a| !a.is_empty()),
        }
    }
}

fn refused(e: ContentError) -> DeskError {
    match e {
        ContentError::Invalid { message, .. } => DeskError::invalid(format!(
            "{message} Go back: what you wrote is still in the form."
        )),
        e => e.into(),
    }
}

pub(super) async fn post(
    Path(id): Path<String>,
    super::CheckedForm { desk, me, form }: super::CheckedForm<UpdateFields>,
) -> DeskResult {
    live_story(&desk, &me, &id).await?;
    let draft = form.draft();
    credit_allowed(&me, &draft)?;
    live::post(&desk.app.store, &me.user, &id, &draft)
        .await
        .map_err(refused)?;
    Ok(done(&id, "posted"))
}

pub(super) async fn change(
    Path((id, update_id)): Path<(String, String)>,
    super::CheckedForm { desk, me, form }: super::CheckedForm<UpdateFields>,
) -> DeskResult {
    live_story(&desk, &me, &id).await?;
    let store = &desk.app.store;
    if form.remove.is_some() {
        live::remove(store, &me.user, &id, &update_id)
            .await
            .map_err(refused)?;
        Ok(done(&id, "removed"))
    } else {
        let draft = form.draft();
        credit_allowed(&me, &draft)?;
        live::edit(store, &me.user, &id, &update_id, &draft)
            .await
            .map_err(refused)?;
        Ok(done(&id, "changed"))
    }
}
