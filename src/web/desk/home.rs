//! The desk's first page: what waits for the person, and for those who
//! may read it, the newsroom's latest activity.

use axum::extract::Query;
use serde::{Deserialize, Serialize};

use super::activity::ActivityLine;
use super::{DeskResult, Frame, SignedInDesk, render, site_timezone, stories};
use crate::model::Status;
use crate::services::permissions::{Action, may};
use crate::store::{PageKey, WorkFilter};

#[derive(Serialize)]
struct HomeView {
    notice: Option<&'static str>,
    activity: Vec<ActivityLine>,
    /// Stories waiting for an editor (shown to those who may publish them).
    in_review: Option<usize>,
    /// The person's own drafts and pieces in review (contributors).
    own_drafts: Option<usize>,
}

/// Counted up to this many; more shows as "100+".
const QUEUE_COUNT_LIMIT: i64 = 100;

/// Lines of activity the home page shows (the log has the rest).
const RECENT_ACTIVITY: i64 = 30;

#[derive(Deserialize)]
pub(super) struct HomeQuery {
    #[serde(default)]
    done: String,
}

/// Stories a queue holds, counted up to the limit.
async fn queue_count(store: &crate::store::Store, filter: &WorkFilter) -> DeskResult<usize> {
    let page = store
        .work_stories(filter, &PageKey::Newest, QUEUE_COUNT_LIMIT)
        .await?;
    Ok(page.rows.len())
}

pub(super) async fn show(
    SignedInDesk { desk, me }: SignedInDesk,
    Query(query): Query<HomeQuery>,
) -> DeskResult {
    let store = &desk.app.store;
    let activity = if may(me.user.role, Action::ReadActivity, false) {
        let tz = site_timezone(&desk.app).await?;
        let rows = store.activity(RECENT_ACTIVITY).await?;
        rows.into_iter().map(|a| ActivityLine::of(a, &tz)).collect()
    } else {
        vec![]
    };
    let in_review = if may(me.user.role, Action::Publish, false) {
        let filter = WorkFilter {
            status: Some(Status::Review),
            ..Default::default()
        };
        Some(queue_count(store, &filter).await?)
    } else {
        None
    };
    let own_drafts = match stories::own_only(&me.user) {
        Some(own) => {
            let filter = WorkFilter {
                status: Some(Status::Draft),
                own: Some(own),
                ..Default::default()
            };
            Some(queue_count(store, &filter).await?)
        }
        None => None,
    };
    render(
        &desk,
        Frame::page("desk/home.html", "Desk", "home"),
        HomeView {
            notice: (query.done == "password")
                .then_some("Your password is saved, and you are signed in."),
            activity,
            in_review,
            own_drafts,
        },
    )
    .await
}
