//! Site settings: one JSON document in the `settings` table, validated
//! before it is stored so that no page can fail to render because of it.

use std::fmt;

use crate::model::SiteSettings;
use crate::store::{Store, StoreError};

const KEY: &str = "site";

#[derive(Debug)]
pub enum SettingsError {
    /// A setting is not usable; `field` names it.
    Invalid {
        field: &'static str,
        message: String,
    },
    Storage(StoreError),
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Invalid { message, .. } => f.write_str(message),
            SettingsError::Storage(e) => write!(f, "saving the settings failed: {e}"),
        }
    }
}

impl std::error::Error for SettingsError {}

pub async fn load(store: &Store) -> anyhow::Result<SiteSettings> {
    let mut settings: SiteSettings = match store.setting(KEY).await? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| anyhow::anyhow!("the stored site settings are not valid JSON: {e}"))?,
        None => SiteSettings::default(),
    };
    // Links to the site's own pages saved before its addresses ended in `/`
    // (`/briefs`) are given as the page's address, not its redirect.
    for link in &mut settings.navigation {
        if names_a_page(&link.url)
            && let Some(canonical) = crate::urls::canonical_form(&link.url)
        {
            link.url = canonical;
        }
    }
    Ok(settings)
}

/// Whether a link on the site names one of its pages (a listing, a story,
/// a static page), rather than a file or an address it answers otherwise
/// (`/healthz`, `/media/…`).
fn names_a_page(link: &str) -> bool {
    const PAGES: [&str; 8] = [
        "stories",
        "briefs",
        "section",
        "tag",
        "author",
        "latest",
        "search",
        "newsletter",
    ];
    let path = link.split(['?', '#']).next().unwrap_or_default();
    let Some(path) = path.strip_prefix('/') else {
        return false;
    };
    let mut segments = path.split('/');
    let first = segments.next().unwrap_or_default();
    PAGES.contains(&first)
        || (segments.next().is_none()
            && !first.is_empty()
            && !crate::services::pages::RESERVED.contains(&first))
}

pub async fn save(store: &Store, settings: &SiteSettings) -> Result<(), SettingsError> {
    validate(settings)?;
    let json = serde_json::to_string(settings).expect("settings serialize");
    store
        .put_setting(KEY, &json)
        .await
        .map_err(SettingsError::Storage)?;
    crate::services::webhook_events::site_changed(store).await;
    Ok(())
}

/// Every rule a setting must meet, each naming its field.
pub fn validate(settings: &SiteSettings) -> Result<(), SettingsError> {
    let invalid = |field, message: String| Err(SettingsError::Invalid { field, message });
    if settings.title.trim().is_empty() {
        return invalid("title", "the site needs a title".into());
    }
    if jiff::tz::TimeZone::get(&settings.timezone).is_err() {
        return invalid(
            "timezone",
            format!(
                "unknown time zone {:?}: use an IANA name such as \"Europe/Berlin\"",
                settings.timezone
            ),
        );
    }
    let language_ok = !settings.language.is_empty()
        && settings.language.len() <= 35
        && settings
            .language
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if !language_ok {
        return invalid(
            "language",
            format!(
                "the language {:?} is not a language tag: use one such as \"en\" or \"pt-BR\"",
                settings.language
            ),
        );
    }
    if let Err(e) = crate::model::dates::check_format(&settings.date_format) {
        return invalid(
            "date_format",
            format!(
                "the date format {:?} cannot be used ({e}): write it as strftime, e.g. \"%-d %B %Y\"",
                settings.date_format
            ),
        );
    }
    if settings.labels.iter().all(|l| l.trim().is_empty()) {
        return invalid("labels", "the site needs at least one label".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(settings: &SiteSettings) -> Option<&'static str> {
        match validate(settings) {
            Ok(()) => None,
            Err(SettingsError::Invalid { field, .. }) => Some(field),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn only_links_to_pages_are_given_their_slash() {
        for page in [
            "/briefs",
            "/latest?x=1",
            "/about",
            "/about#team",
            "/section/europe",
        ] {
            assert!(names_a_page(page), "{page}");
        }
        for not_a_page in [
            "/healthz",
            "/media/logo",
            "/desk",
            "https://x.example/a",
            "/",
        ] {
            assert!(!names_a_page(not_a_page), "{not_a_page}");
        }
    }

    #[test]
    fn each_bad_setting_is_named() {
        let good = SiteSettings::default();
        assert_eq!(field_of(&good), None);
        let mut s = good.clone();
        s.date_format = "%K %Y".into();
        assert_eq!(field_of(&s), Some("date_format"));
        let mut s = good.clone();
        s.timezone = "Mars/Olympus".into();
        assert_eq!(field_of(&s), Some("timezone"));
        let mut s = good.clone();
        s.language = "not a tag".into();
        assert_eq!(field_of(&s), Some("language"));
        let mut s = good;
        s.title = " ".into();
        assert_eq!(field_of(&s), Some("title"));
    }
}
