//! Readership (everyone in the desk): views and visitors over a period,
//! the most read stories, where readers came from, sections and the pages
//! newsletter sign-ups came from; one story's figures; a CSV of them.
//! Editors and owners see the whole site, others their own pieces.

use axum::extract::Query;
use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use super::stories::url_pairs;
use super::{DeskError, DeskResult, Frame, SignedIn, SignedInDesk, render};
use crate::services::editing;
use crate::services::permissions::{Action, may};
use crate::services::readership::counting::day_of;
use crate::services::readership::summary::{self, Period, Summary};
use crate::store::Owner;
use crate::store::readership::ReadershipScope;
use crate::urls;

#[derive(Deserialize, Default)]
pub(super) struct ReadershipQuery {
    #[serde(default)]
    period: String,
    /// One story's figures.
    #[serde(default)]
    story: String,
}

#[derive(Serialize)]
struct PeriodChoice {
    label: &'static str,
    url: String,
    current: bool,
}

#[derive(Serialize)]
struct ReadershipView {
    summary: Summary,
    periods: Vec<PeriodChoice>,
    /// The whole site (editors and owners) rather than one's own pieces.
    site_wide: bool,
    /// The story the figures are of, when one.
    story: Option<StoryRef>,
    csv_url: String,
    counting: bool,
    settings_url: Option<String>,
    /// Day or month, as the table's first column says.
    grain_label: &'static str,
}

#[derive(Serialize)]
struct StoryRef {
    headline: String,
    edit_url: String,
    all_url: String,
}

fn period_of(query: &ReadershipQuery) -> DeskResult<Period> {
    if query.period.is_empty() {
        return Ok(Period::Month);
    }
    Period::parse(&query.period).ok_or_else(|| {
        DeskError::invalid(format!(
            "{:?} is not a period the readership page shows: choose one of its links (7d, 30d, 90d or 12m).",
            query.period
        ))
    })
}

fn own_scope(me: &SignedIn) -> ReadershipScope {
    if may(me.user.role, Action::ReadSiteReadership, false) {
        ReadershipScope::Site
    } else {
        ReadershipScope::Own(Owner {
            user_id: me.user.id.clone(),
            author_id: me.user.author_id.clone(),
        })
    }
}

/// Whose figures a query asks for, if this person may see them, and the
/// story's headline when it names one.
async fn scope_of(
    desk: &super::Desk,
    me: &SignedIn,
    query: &ReadershipQuery,
) -> DeskResult<(ReadershipScope, Option<String>)> {
    if query.story.is_empty() {
        return Ok((own_scope(me), None));
    }
    let mut cards = desk
        .app
        .store
        .story_cards_by_ids(std::slice::from_ref(&query.story))
        .await?;
    if cards.is_empty() {
        return Err(DeskError::not_found(
            "There is no story with this address: it may have been deleted.",
        ));
    }
    let card = cards.remove(0);
    let own = editing::owns(&me.user, card.story.created_by.as_deref(), &card.author_ids);
    if !own && !may(me.user.role, Action::ReadSiteReadership, false) {
        return Err(DeskError::forbidden(
            "You see the readership of your own stories; this one is someone else's. Editors and owners see every story's.",
        ));
    }
    Ok((
        ReadershipScope::Piece(card.story.id),
        Some(card.story.headline),
    ))
}

fn address(period: Period, story: &str, base: &str) -> String {
    let mut fields = vec![("period", period.code())];
    if !story.is_empty() {
        fields.push(("story", story));
    }
    format!("{base}?{}", url_pairs(&fields).join("&"))
}

pub(super) async fn show(
    SignedInDesk { desk, me }: SignedInDesk,
    Query(query): Query<ReadershipQuery>,
) -> DeskResult {
    let period = period_of(&query)?;
    let (scope, headline) = scope_of(&desk, &me, &query).await?;
    let store = &desk.app.store;
    let settings = store.site_settings().await?;
    let today = day_of(store.clock().now(), &settings.time_zone());
    let summary = summary::summarize(store, &scope, period, today).await?;
    let view = ReadershipView {
        periods: Period::ALL
            .into_iter()
            .map(|p| PeriodChoice {
                label: p.label(),
                url: address(p, &query.story, &urls::desk_readership()),
                current: p == period,
            })
            .collect(),
        site_wide: matches!(scope, ReadershipScope::Site),
        story: headline.map(|headline| StoryRef {
            headline,
            edit_url: urls::desk_story(&query.story),
            all_url: address(period, "", &urls::desk_readership()),
        }),
        csv_url: address(period, &query.story, &urls::desk_readership_csv()),
        counting: settings.count_readers,
        settings_url: may(me.user.role, Action::ChangeSettings, false)
            .then(|| format!("{}#readership", urls::desk_settings())),
        grain_label: if period.grain() == "month" {
            "Month"
        } else {
            "Day"
        },
        summary,
    };
    render(
        &desk,
        Frame::page("desk/readership.html", "Readership", "readership"),
        view,
    )
    .await
}

/// The figures of every page the person may see, period by period.
pub(super) async fn export(
    SignedInDesk { desk, me }: SignedInDesk,
    Query(query): Query<ReadershipQuery>,
) -> DeskResult {
    let period = period_of(&query)?;
    let (scope, _) = scope_of(&desk, &me, &query).await?;
    let store = &desk.app.store;
    let settings = store.site_settings().await?;
    let today = day_of(store.clock().now(), &settings.time_zone());
    let csv = summary::export(store, &scope, period, today)
        .await
        .map_err(|e| DeskError::invalid(format!("The export could not be written: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"readership-{}.csv\"", period.code()),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        csv,
    )
        .into_response())
}

/// The editor's panel: a story's last 30 days.
pub(super) async fn story_panel(
    store: &crate::store::Store,
    story_id: &str,
    tz: &jiff::tz::TimeZone,
) -> DeskResult<Summary> {
    let today = day_of(store.clock().now(), tz);
    Ok(summary::summarize(
        store,
        &ReadershipScope::Piece(story_id.to_string()),
        Period::Month,
        today,
    )
    .await?)
}

/// The full page's address for one story.
pub(super) fn story_url(story_id: &str) -> String {
    address(Period::Month, story_id, &urls::desk_readership())
}
