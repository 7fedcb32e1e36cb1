//! The site's settings (owners): every field validated, the problem named
//! beside it; and the activity log with its filters (editors and owners).

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::form::{Fields, signed_in_form};
use super::stories::{page_number, url_pairs};
use super::{Desk, Frame, forbidden, plain, render, see_other, unavailable};
use crate::model::SiteSettings;
use crate::services::permissions::{Action, may, refusal};
use crate::services::settings::{self, SettingsError};
use crate::services::taxonomy::{TaxonomyError, links_text, parse_links};
use crate::store::ActivityFilter;
use crate::urls;

#[derive(Serialize, Default)]
struct SettingsView {
    title: String,
    tagline: String,
    language: String,
    timezone: String,
    date_format: String,
    navigation: String,
    social: String,
    newsletter_heading: String,
    newsletter_pitch: String,
    feed_full_text: bool,
    logos: Vec<super::ImageChoice>,
    errors: HashMap<&'static str, String>,
    notice: Option<&'static str>,
}

async fn settings_page(
    desk: &Desk,
    status: StatusCode,
    mut view: SettingsView,
    logo: Option<&str>,
) -> Response {
    view.logos =
        match super::image_choices(&desk.app.store, logo.unwrap_or(""), "(the title, in type)")
            .await
        {
            Ok(choices) => choices,
            Err(e) => return unavailable(e),
        };
    render(
        desk,
        Frame::page("desk/settings.html", "Settings", "settings").status(status),
        view,
    )
    .await
}

fn view_of(s: &SiteSettings) -> SettingsView {
    SettingsView {
        title: s.title.clone(),
        tagline: s.tagline.clone(),
        language: s.language.clone(),
        timezone: s.timezone.clone(),
        date_format: s.date_format.clone(),
        navigation: links_text(&s.navigation),
        social: links_text(&s.social),
        newsletter_heading: s.newsletter_heading.clone(),
        newsletter_pitch: s.newsletter_pitch.clone(),
        feed_full_text: s.feed_full_text,
        ..Default::default()
    }
}

async fn owner_only(desk: &Desk) -> Result<crate::model::accounts::User, Response> {
    match &desk.signed_in {
        None => Err(desk.sign_in_first()),
        Some(me) if !may(me.user.role, Action::ChangeSettings, false) => {
            Err(forbidden(desk, &refusal(me.user.role, Action::ChangeSettings)).await)
        }
        Some(me) => Ok(me.user.clone()),
    }
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn show(desk: Desk, Query(query): Query<DoneQuery>) -> Response {
    if let Err(answer) = owner_only(&desk).await {
        return answer;
    }
    let current = match settings::load(&desk.app.store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let mut view = view_of(&current);
    view.notice = (query.done == "saved").then_some("Saved: the site shows the change now.");
    settings_page(
        &desk,
        StatusCode::OK,
        view,
        current.logo_image_id.as_deref(),
    )
    .await
}

pub(super) async fn save(desk: Desk, form: Fields) -> Response {
    if let Err(refused) = signed_in_form(&desk, &form) {
        return refused.into_response();
    }
    let me = match owner_only(&desk).await {
        Ok(me) => me,
        Err(answer) => return answer,
    };
    let store = &desk.app.store;
    let mut next = match settings::load(store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    next.title = form.get("title").trim().to_string();
    next.tagline = form.get("tagline").trim().to_string();
    next.language = form.get("language").trim().to_string();
    next.timezone = form.get("timezone").trim().to_string();
    next.date_format = form.get("date_format").to_string();
    next.newsletter_heading = form.get("newsletter_heading").trim().to_string();
    next.newsletter_pitch = form.get("newsletter_pitch").trim().to_string();
    next.feed_full_text = form.get("feed_full_text") == "yes";
    next.logo_image_id = Some(form.get("logo_image_id").to_string()).filter(|l| !l.is_empty());
    let mut errors = HashMap::new();
    for (field, target) in [
        ("navigation", &mut next.navigation),
        ("social", &mut next.social),
    ] {
        match parse_links(field, form.get(field)) {
            Ok(links) => *target = links,
            Err(TaxonomyError::Invalid { field, message }) => {
                errors.insert(field, message);
            }
            Err(e) => return plain(StatusCode::BAD_REQUEST, &e.to_string()),
        }
    }
    if errors.is_empty() {
        match settings::save(store, &next).await {
            Ok(()) => {
                if let Err(e) = store
                    .log_activity(Some(&me.id), "changed the settings", "")
                    .await
                {
                    tracing::warn!(error = %e, "could not record a change in the activity log");
                }
                return see_other(&format!("{}?done=saved", urls::desk_settings()));
            }
            Err(SettingsError::Invalid { field, message }) => {
                errors.insert(field, crate::model::text::capitalized(&message));
            }
            Err(SettingsError::Storage(e)) => return unavailable(e),
        }
    }
    let view = SettingsView {
        navigation: form.get("navigation").to_string(),
        social: form.get("social").to_string(),
        errors,
        ..view_of(&next)
    };
    settings_page(
        &desk,
        StatusCode::BAD_REQUEST,
        view,
        next.logo_image_id.as_deref(),
    )
    .await
}

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
    #[serde(default)]
    page: String,
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
    lines: Vec<super::ActivityLine>,
    filtered: bool,
    page: u32,
    prev_url: Option<String>,
    next_url: Option<String>,
}

fn activity_url(q: &ActivityQuery, page: u32) -> String {
    let mut pairs = url_pairs(&[
        ("who", &q.who),
        ("q", &q.q),
        ("from", &q.from),
        ("to", &q.to),
    ]);
    if page > 1 {
        pairs.push(format!("page={page}"));
    }
    format!("{}?{}", urls::desk_activity(), pairs.join("&"))
}

/// A `YYYY-MM-DD` date in the site's zone: the first second of that day.
fn day_start(text: &str, tz: &jiff::tz::TimeZone) -> Result<Option<i64>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    jiff::civil::Date::strptime("%Y-%m-%d", text.trim())
        .ok()
        .and_then(|d| d.to_zoned(tz.clone()).ok())
        .map(|z| Some(z.timestamp().as_second()))
        .ok_or_else(|| format!("{text:?} is not a date: use the date picker."))
}

pub(super) async fn activity(desk: Desk, Query(query): Query<ActivityQuery>) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    if !may(me.user.role, Action::ReadActivity, false) {
        return forbidden(&desk, &refusal(me.user.role, Action::ReadActivity)).await;
    }
    let Some(page) = page_number(&query.page) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "The page number is not one the log has.",
        );
    };
    let store = &desk.app.store;
    let site = match settings::load(store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let tz = jiff::tz::TimeZone::get(&site.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let (since, until) = match (day_start(&query.from, &tz), day_start(&query.to, &tz)) {
        (Ok(since), Ok(until)) => (since, until.map(|t| t + 86_400)),
        (Err(why), _) | (_, Err(why)) => return plain(StatusCode::BAD_REQUEST, &why),
    };
    let filter = ActivityFilter {
        user_id: Some(query.who.clone()).filter(|w| !w.is_empty()),
        words: Some(query.q.trim().to_string()).filter(|q| !q.is_empty()),
        since,
        until,
    };
    let offset = i64::from(page - 1) * ACTIVITY_PAGE;
    let loaded = tokio::try_join!(
        store.users(),
        store.activity_log(&filter, ACTIVITY_PAGE + 1, offset)
    );
    let (users, mut rows) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return unavailable(e),
    };
    let has_next = rows.len() as i64 > ACTIVITY_PAGE;
    rows.truncate(ACTIVITY_PAGE as usize);
    let view = ActivityView {
        people: users
            .into_iter()
            .map(|u| PersonChoice {
                selected: u.id == query.who,
                value: u.id,
                label: u.name,
            })
            .collect(),
        q: query.q.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        lines: rows
            .into_iter()
            .map(|a| super::ActivityLine::of(a, &tz))
            .collect(),
        filtered: filter.user_id.is_some()
            || filter.words.is_some()
            || since.is_some()
            || until.is_some(),
        page,
        prev_url: (page > 1).then(|| activity_url(&query, page - 1)),
        next_url: has_next.then(|| activity_url(&query, page + 1)),
    };
    render(
        &desk,
        Frame::page("desk/activity.html", "Activity", "activity"),
        view,
    )
    .await
}
