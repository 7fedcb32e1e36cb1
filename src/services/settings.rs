//! Site settings: one JSON document in the `settings` table, validated
//! before it is stored so that no page can fail to render because of it.

use std::fmt;

use crate::model::SiteSettings;
use crate::store::{Store, StoreError};

use crate::store::SITE_SETTINGS;

#[derive(Debug)]
pub enum SettingsError {
    /// A setting is not usable; `field` names it.
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The person's role does not allow it; says whose does.
    Forbidden(String),
    Storage(StoreError),
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Invalid { message, .. } | SettingsError::Forbidden(message) => {
                f.write_str(message)
            }
            SettingsError::Storage(e) => write!(f, "saving the settings failed: {e}"),
        }
    }
}

impl std::error::Error for SettingsError {}

/// An owner changes the settings: allowed, valid, stored, logged.
pub async fn change(
    store: &Store,
    by: &crate::model::accounts::User,
    settings: &SiteSettings,
) -> Result<(), SettingsError> {
    use crate::services::permissions::{Action, may, refusal};
    if !may(by.role, Action::ChangeSettings, false) {
        return Err(SettingsError::Forbidden(refusal(
            by.role,
            Action::ChangeSettings,
        )));
    }
    save(store, settings).await?;
    let who = Some(by.id.as_str());
    crate::services::activity::record(store, who, "changed the settings", "", None).await;
    Ok(())
}

/// Stores valid settings (the command line and imports; people go through
/// [`change`]).
pub async fn save(store: &Store, settings: &SiteSettings) -> Result<(), SettingsError> {
    validate(settings)?;
    let json = serde_json::to_string(settings).expect("settings serialize");
    store
        .put_setting(SITE_SETTINGS, &json)
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
