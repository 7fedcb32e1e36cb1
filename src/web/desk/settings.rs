//! The site's settings (owners): every field validated, the problem named
//! beside it.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::form::Fields;
use super::{CheckedForm, Desk, DeskResult, Frame, SignedInDesk, allowed, render, see_other};
use crate::model::SiteSettings;
use crate::services::accounts::SignedIn;
use crate::services::permissions::{Action, refusal};
use crate::services::settings::{self, SettingsError};
use crate::services::taxonomy::{TaxonomyError, links_text, parse_links};
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
) -> DeskResult {
    view.logos =
        super::image_choices(&desk.app.store, logo.unwrap_or(""), "(the title, in type)").await?;
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
    settings_page(
        &desk,
        StatusCode::OK,
        view,
        current.logo_image_id.as_deref(),
    )
    .await
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
