//! Arranging the front page: the lead, and the stories pinned under it.

use axum::http::StatusCode;
use serde::Serialize;

use super::form::Fields;
use super::{CheckedForm, Desk, DeskResult, Frame, SignedInDesk, allowed, render, see_other};
use crate::failure::{Failure, FailureKind};
use crate::model::StoryFilter;
use crate::services::accounts::SignedIn;
use crate::services::front_page::{self, MAX_PINNED};
use crate::services::permissions::{Action, refusal};
use crate::urls;

/// Published stories offered in each list without scripting, newest
/// first (with scripting, each list is a picker that finds any story).
const CHOICES: i64 = 20;

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct FrontView {
    lead: Vec<Choice>,
    pinned: Vec<Vec<Choice>>,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn front_page(
    desk: &Desk,
    me: &SignedIn,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> DeskResult {
    allowed(me, Action::Curate, &refusal(me.user.role, Action::Curate))?;
    let store = &desk.app.store;
    let settings = store.site_settings().await?;
    let everything = StoryFilter::default();
    let now = store.clock().now();
    let chosen: Vec<String> = settings
        .front_lead
        .iter()
        .chain(settings.front_pinned.iter())
        .cloned()
        .collect();
    let loaded = tokio::try_join!(
        store.stories(&everything, now, CHOICES, 0),
        store.public_story_summaries(&chosen, now),
        store.sections(),
    );
    let (mut stories, older_chosen, sections) = loaded?;
    // A chosen story older than the newest is still offered, so saving
    // the form keeps it.
    for story in older_chosen {
        if !stories.iter().any(|s| s.id == story.id) {
            stories.push(story);
        }
    }
    let section = |id: &str| {
        sections
            .iter()
            .find(|s| s.id == id)
            .map_or("", |s| s.name.as_str())
    };
    let options = |chosen: Option<&String>, none: &str| {
        let mut list = vec![Choice {
            value: String::new(),
            label: none.to_string(),
            selected: chosen.is_none(),
        }];
        list.extend(stories.iter().map(|s| Choice {
            value: s.id.clone(),
            label: format!("{} ({} | {})", s.headline, s.label, section(&s.section_id)),
            selected: chosen == Some(&s.id),
        }));
        list
    };
    let view = FrontView {
        lead: options(settings.front_lead.as_ref(), "(the newest featured story)"),
        pinned: (0..MAX_PINNED)
            .map(|i| options(settings.front_pinned.get(i), "(by date)"))
            .collect(),
        notice,
        error,
    };
    render(
        desk,
        Frame::page("desk/front.html", "Front page", "front").status(status),
        view,
    )
    .await
}

#[derive(serde::Deserialize)]
pub(super) struct FrontQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn show(
    SignedInDesk { desk, me }: SignedInDesk,
    axum::extract::Query(q): axum::extract::Query<FrontQuery>,
) -> DeskResult {
    let notice = (q.done == "saved").then_some("The front page is arranged: readers see it now.");
    front_page(&desk, &me, StatusCode::OK, notice, None).await
}

pub(super) async fn arrange(CheckedForm { desk, me, form }: CheckedForm<Fields>) -> DeskResult {
    let lead = Some(form.get("lead").to_string()).filter(|l| !l.is_empty());
    match front_page::arrange(&desk.app.store, &me.user, lead, form.all("pinned")).await {
        Ok(()) => Ok(see_other(&format!("{}?done=saved", urls::desk_front()))),
        // Shown beside the lists, so the choice can be mended there.
        Err(e) if e.kind() == FailureKind::Invalid => {
            let why = Some(e.to_string());
            front_page(&desk, &me, StatusCode::BAD_REQUEST, None, why).await
        }
        Err(e) => Err(e.into()),
    }
}
