//! The site's settings (owners): every field validated, the problem named
//! beside it.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::form::Fields;
use super::{CheckedForm, Desk, DeskResult, Frame, SignedInDesk, allowed, render, see_other};
use crate::model::SiteSettings;
use crate::model::dates;
use crate::services::accounts::SignedIn;
use crate::services::permissions::{Action, refusal};
use crate::services::settings::{self, SettingsError};
use crate::services::taxonomy::{LinkRow, TaxonomyError, links_from_rows};
use crate::urls;

#[derive(Serialize, Default)]
struct SettingsView {
    title: String,
    tagline: String,
    language: String,
    timezone: String,
    date_format: String,
    /// The offered choices, the current one selected (one not offered is
    /// kept as a choice of its own).
    zones: Vec<ZoneGroup>,
    languages: Vec<Choice>,
    date_formats: Vec<Choice>,
    navigation: Vec<LinkRowView>,
    social: Vec<LinkRowView>,
    newsletter_heading: String,
    newsletter_pitch: String,
    feed_full_text: bool,
    count_readers: bool,
    /// As typed, when it could not be read as a number.
    readership_retention_days: String,
    logos: Vec<super::ImageChoice>,
    icons: Vec<super::ImageChoice>,
    accent: String,
    errors: HashMap<&'static str, String>,
    notice: Option<&'static str>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The time zones of one region ("Europe"), for an `optgroup`.
#[derive(Serialize)]
struct ZoneGroup {
    region: String,
    zones: Vec<Choice>,
}

/// A link as a row of inputs.
#[derive(Serialize, Default)]
struct LinkRowView {
    label: String,
    url: String,
    order: usize,
}

/// Empty rows under the links, to add new ones.
const NEW_LINK_ROWS: usize = 2;

/// The rows of a list of links: the saved ones in order, then empty ones.
fn link_rows(links: impl IntoIterator<Item = (String, String)>) -> Vec<LinkRowView> {
    let mut rows: Vec<LinkRowView> = links
        .into_iter()
        .filter(|(label, url)| !(label.trim().is_empty() && url.trim().is_empty()))
        .map(|(label, url)| LinkRowView {
            label,
            url,
            order: 0,
        })
        .collect();
    rows.extend((0..NEW_LINK_ROWS).map(|_| LinkRowView::default()));
    for (i, row) in rows.iter_mut().enumerate() {
        row.order = i + 1;
    }
    rows
}

/// The time zones grouped by region, `current` selected.
fn zone_groups(current: &str) -> Vec<ZoneGroup> {
    let mut groups: Vec<ZoneGroup> = Vec::new();
    let known = settings::time_zones();
    if !known.iter().any(|z| z == current) {
        groups.push(ZoneGroup {
            region: "As typed".into(),
            zones: vec![Choice {
                value: current.to_string(),
                label: format!("{current} (not a time zone this server knows)"),
                selected: true,
            }],
        });
    }
    for zone in known {
        let region = zone
            .split_once('/')
            .map_or("Universal", |(region, _)| region);
        let choice = Choice {
            value: zone.clone(),
            // Whole, so the closed list still says which Georgetown.
            label: zone.replace('_', " ").replace('/', " / "),
            selected: zone == current,
        };
        match groups.last_mut() {
            Some(group) if group.region == region => group.zones.push(choice),
            _ => groups.push(ZoneGroup {
                region: region.to_string(),
                zones: vec![choice],
            }),
        }
    }
    groups
}

fn language_choices(current: &str) -> Vec<Choice> {
    let mut choices: Vec<Choice> = settings::LANGUAGES
        .iter()
        .map(|(tag, name)| Choice {
            value: tag.to_string(),
            label: format!("{name} ({tag})"),
            selected: *tag == current,
        })
        .collect();
    if !choices.iter().any(|c| c.selected) {
        choices.insert(
            0,
            Choice {
                value: current.to_string(),
                label: format!("{current} (as set)"),
                selected: true,
            },
        );
    }
    choices
}

/// The date formats, each named by today's date written in it.
fn date_choices(
    current: &str,
    tz: &jiff::tz::TimeZone,
    now: crate::model::UnixTime,
) -> Vec<Choice> {
    let example = |format: &str| dates::format(now, tz, format);
    let mut choices: Vec<Choice> = settings::DATE_FORMATS
        .iter()
        .map(|format| Choice {
            value: format.to_string(),
            label: example(format),
            selected: *format == current,
        })
        .collect();
    if !choices.iter().any(|c| c.selected) {
        let shown = if dates::check_format(current).is_ok() {
            format!("{} (as set)", example(current))
        } else {
            format!("{current} (not a date format)")
        };
        choices.insert(
            0,
            Choice {
                value: current.to_string(),
                label: shown,
                selected: true,
            },
        );
    }
    choices
}

async fn settings_page(
    desk: &Desk,
    status: StatusCode,
    mut view: SettingsView,
    chosen: &SiteSettings,
) -> DeskResult {
    let store = &desk.app.store;
    let logo = chosen.logo_image_id.as_deref().unwrap_or("");
    let icon = chosen.icon_image_id.as_deref().unwrap_or("");
    view.logos = super::image_choices(store, logo, "(the title, in type)").await?;
    view.icons = super::image_choices(store, icon, "(the theme's own)").await?;
    let tz = jiff::tz::TimeZone::get(&view.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let now = desk.app.store.clock().now();
    view.zones = zone_groups(&view.timezone);
    view.languages = language_choices(&view.language);
    view.date_formats = date_choices(&view.date_format, &tz, now);
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
        navigation: link_rows(
            s.navigation
                .iter()
                .map(|l| (l.label.clone(), l.url.clone())),
        ),
        social: link_rows(s.social.iter().map(|l| (l.label.clone(), l.url.clone()))),
        newsletter_heading: s.newsletter_heading.clone(),
        newsletter_pitch: s.newsletter_pitch.clone(),
        feed_full_text: s.feed_full_text,
        count_readers: s.count_readers,
        readership_retention_days: s.readership_retention_days.to_string(),
        accent: s.accent.clone(),
        ..Default::default()
    }
}

fn owner_only(me: &SignedIn) -> DeskResult<()> {
    allowed(
        me,
        Action::ChangeSettings,
        &refusal(me.user.role, Action::ChangeSettings),
    )
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn show(
    SignedInDesk { desk, me }: SignedInDesk,
    Query(query): Query<DoneQuery>,
) -> DeskResult {
    owner_only(&me)?;
    let current = desk.app.store.site_settings().await?;
    let mut view = view_of(&current);
    view.notice = (query.done == "saved").then_some("Saved: the site shows the change now.");
    settings_page(&desk, StatusCode::OK, view, &current).await
}

pub(super) async fn save(CheckedForm { desk, me, form }: CheckedForm<Fields>) -> DeskResult {
    owner_only(&me)?;
    let store = &desk.app.store;
    let mut next = store.site_settings().await?;
    next.title = form.get("title").trim().to_string();
    next.tagline = form.get("tagline").trim().to_string();
    next.language = form.get("language").trim().to_string();
    next.timezone = form.get("timezone").trim().to_string();
    next.date_format = form.get("date_format").to_string();
    next.newsletter_heading = form.get("newsletter_heading").trim().to_string();
    next.newsletter_pitch = form.get("newsletter_pitch").trim().to_string();
    next.feed_full_text = form.get("feed_full_text") == "yes";
    next.count_readers = form.get("count_readers") == "yes";
    let mut errors = HashMap::new();
    let retention = form.get("readership_retention_days").trim();
    if form.has("readership_retention_days") {
        match retention.parse::<u32>() {
            Ok(days) => next.readership_retention_days = days,
            Err(_) => {
                errors.insert(
                    "readership_retention_days",
                    format!("{retention:?} is not a number of days: write one such as 30."),
                );
            }
        }
    }
    next.logo_image_id = Some(form.get("logo_image_id").to_string()).filter(|l| !l.is_empty());
    next.icon_image_id = Some(form.get("icon_image_id").to_string()).filter(|l| !l.is_empty());
    if form.has("accent") {
        next.accent = form.get("accent").trim().to_lowercase();
    }
    for (field, target) in [
        ("navigation", &mut next.navigation),
        ("social", &mut next.social),
    ] {
        match links_from_rows(field, sent_rows(&form, field)) {
            Ok(links) => *target = links,
            Err(TaxonomyError::Invalid { field, message }) => {
                errors.insert(field, message);
            }
            Err(e) => return Err(e.into()),
        }
    }
    if errors.is_empty() {
        match settings::change(store, &me.user, &next).await {
            Ok(()) => return Ok(see_other(&format!("{}?done=saved", urls::desk_settings()))),
            Err(SettingsError::Invalid { field, message }) => {
                errors.insert(field, crate::model::text::capitalized(&message));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let as_sent = |field| {
        link_rows(
            sent_rows(&form, field)
                .into_iter()
                .map(|r| (r.label.to_string(), r.url.to_string())),
        )
    };
    let view = SettingsView {
        navigation: as_sent("navigation"),
        social: as_sent("social"),
        readership_retention_days: retention.to_string(),
        errors,
        ..view_of(&next)
    };
    settings_page(&desk, StatusCode::BAD_REQUEST, view, &next).await
}

/// The rows of links a form sent as `{field}_label`, `{field}_url` and
/// `{field}_order` (lined up by place), without those ticked to remove.
fn sent_rows<'a>(form: &'a Fields, field: &str) -> Vec<LinkRow<'a>> {
    let labels = form.every(&format!("{field}_label"));
    let urls = form.every(&format!("{field}_url"));
    let orders = form.every(&format!("{field}_order"));
    let removed = form.every(&format!("{field}_remove"));
    labels
        .into_iter()
        .zip(urls)
        .enumerate()
        .filter(|(i, _)| !removed.contains(&(i + 1).to_string().as_str()))
        .map(|(i, (label, url))| LinkRow {
            label,
            url,
            order: orders
                .get(i)
                .and_then(|o| o.trim().parse().ok())
                .unwrap_or(i as f64 + 1.0),
        })
        .collect()
}
