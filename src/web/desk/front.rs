//! Arranging the front page: the lead, and the stories pinned under it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::form::{Fields, signed_in_form};
use super::{Desk, Frame, forbidden, render, see_other, unavailable};
use crate::model::StoryFilter;
use crate::services::front_page::{self, ArrangeError, MAX_PINNED};
use crate::services::permissions::{Action, may, refusal};
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
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    if !may(me.user.role, Action::Curate, false) {
        return forbidden(desk, &refusal(me.user.role, Action::Curate)).await;
    }
    let store = &desk.app.store;
    let settings = match crate::services::settings::load(store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
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
    let (mut stories, older_chosen, sections) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return unavailable(e),
    };
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
    desk: Desk,
    axum::extract::Query(q): axum::extract::Query<FrontQuery>,
) -> Response {
    let notice = (q.done == "saved").then_some("The front page is arranged: readers see it now.");
    front_page(&desk, StatusCode::OK, notice, None).await
}

pub(super) async fn arrange(desk: Desk, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let lead = Some(form.get("lead").to_string()).filter(|l| !l.is_empty());
    match front_page::arrange(&desk.app.store, &me.user, lead, form.all("pinned")).await {
        Ok(()) => see_other(&format!("{}?done=saved", urls::desk_front())),
        Err(ArrangeError::Forbidden(why)) => forbidden(&desk, &why).await,
        Err(ArrangeError::Settings(crate::services::settings::SettingsError::Storage(e))) => {
            unavailable(e)
        }
        Err(e) => front_page(&desk, StatusCode::BAD_REQUEST, None, Some(e.to_string())).await,
    }
}
