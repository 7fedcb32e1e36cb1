//! The activity log (editors and owners): who changed what, newest first,
//! filtered by person, words and dates, paged by a key.

use axum::extract::Query;
use serde::{Deserialize, Serialize};

use super::stories::url_pairs;
use super::{
    DeskError, DeskResult, Frame, SignedInDesk, allowed, desk_time, page_key, render, site_timezone,
};
use crate::services::permissions::{Action, refusal};
use crate::store::{ActivityFilter, Cursor};
use crate::urls;

/// A line of the activity log as the desk shows it (its home page and the
/// log itself): what it concerns named by its words, linked when it can be.
#[derive(Serialize)]
pub struct ActivityLine {
    when: crate::web::site::DateView,
    who: String,
    action: String,
    subject: String,
    link: Option<String>,
}

impl ActivityLine {
    pub fn of(row: crate::store::ActivityRow, tz: &jiff::tz::TimeZone) -> ActivityLine {
        use crate::model::accounts::ActivityTarget;
        let link = row
            .target_kind
            .as_deref()
            .zip(row.target_id.as_deref())
            .and_then(|(kind, id)| ActivityTarget::from_parts(kind, id))
            .map(|target| match target {
                ActivityTarget::Story(id) => urls::desk_story(id),
                ActivityTarget::Brief(id) => urls::desk_brief(id),
                ActivityTarget::Page(id) => urls::desk_page(id),
                ActivityTarget::Issue(id) => urls::desk_issue(id),
            });
        ActivityLine {
            when: desk_time(row.at, tz),
            who: row
                .user_name
                .unwrap_or_else(|| "the command line or the scheduler".into()),
            action: row.action,
            subject: row.subject,
            link,
        }
    }
}

/// People the "who" list offers without scripting.
const FIRST_PEOPLE: usize = 20;

/// Lines of the activity log on one page.
const ACTIVITY_PAGE: i64 = 100;

#[derive(Deserialize, Default)]
pub(super) struct ActivityQuery {
    #[serde(default)]
    who: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// The page of lines older than this key.
    #[serde(default)]
    older: String,
    /// The page of lines newer than this key.
    #[serde(default)]
    newer: String,
}

#[derive(Serialize)]
struct PersonChoice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct ActivityView {
    people: Vec<PersonChoice>,
    q: String,
    from: String,
    to: String,
    lines: Vec<ActivityLine>,
    filtered: bool,
    prev_url: Option<String>,
    next_url: Option<String>,
}

/// The log's address with the same filters, at the page a key names
/// (`older` or `newer`).
fn activity_url(q: &ActivityQuery, key: Option<(&str, &Cursor)>) -> String {
    let token = key.map(|(_, c)| c.token()).unwrap_or_default();
    let mut fields = vec![
        ("who", q.who.as_str()),
        ("q", &q.q),
        ("from", &q.from),
        ("to", &q.to),
    ];
    if let Some((side, _)) = key {
        fields.push((side, &token));
    }
    format!("{}?{}", urls::desk_activity(), url_pairs(&fields).join("&"))
}

/// A `YYYY-MM-DD` date in the site's zone: the first second of that day.
fn day_start(text: &str, tz: &jiff::tz::TimeZone) -> Result<Option<i64>, DeskError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    jiff::civil::Date::strptime("%Y-%m-%d", text.trim())
        .ok()
        .and_then(|d| d.to_zoned(tz.clone()).ok())
        .map(|z| Some(z.timestamp().as_second()))
        .ok_or_else(|| DeskError::invalid(format!("{text:?} is not a date: use the date picker.")))
}

pub(super) async fn show(
    SignedInDesk { desk, me }: SignedInDesk,
    Query(query): Query<ActivityQuery>,
) -> DeskResult {
    allowed(
        &me,
        Action::ReadActivity,
        &refusal(me.user.role, Action::ReadActivity),
    )?;
    let key = page_key(&query.older, &query.newer)?;
    let store = &desk.app.store;
    let tz = site_timezone(&desk.app).await?;
    let since = day_start(&query.from, &tz)?;
    let until = day_start(&query.to, &tz)?.map(|t| t + 86_400);
    let filter = ActivityFilter {
        user_id: Some(query.who.clone()).filter(|w| !w.is_empty()),
        words: Some(query.q.trim().to_string()).filter(|q| !q.is_empty()),
        since,
        until,
    };
    let (users, page) = tokio::try_join!(
        store.users(),
        store.activity_log(&filter, &key, ACTIVITY_PAGE)
    )?;
    let view = ActivityView {
        // The first few and the chosen one; the picker finds anyone.
        people: users
            .into_iter()
            .enumerate()
            .filter(|(i, u)| *i < FIRST_PEOPLE || u.id == query.who)
            .map(|(_, u)| PersonChoice {
                selected: u.id == query.who,
                value: u.id,
                label: u.name,
            })
            .collect(),
        q: query.q.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        lines: page
            .rows
            .into_iter()
            .map(|a| ActivityLine::of(a, &tz))
            .collect(),
        filtered: filter.user_id.is_some()
            || filter.words.is_some()
            || since.is_some()
            || until.is_some(),
        prev_url: page
            .newer
            .as_ref()
            .map(|c| activity_url(&query, Some(("newer", c)))),
        next_url: page
            .older
            .as_ref()
            .map(|c| activity_url(&query, Some(("older", c)))),
    };
    render(
        &desk,
        Frame::page("desk/activity.html", "Activity", "activity"),
        view,
    )
    .await
}
