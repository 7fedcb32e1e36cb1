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

/// The time zones offered, as IANA names ("Europe/Berlin"), sorted: the
/// machine's time zone database, without its aliases of old ("US/Eastern",
/// "Etc/GMT+5"). Empty when the machine has none (the field then takes a
/// typed name).
pub fn time_zones() -> &'static [String] {
    static ZONES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ZONES.get_or_init(|| {
        const REGIONS: [&str; 10] = [
            "Africa/",
            "America/",
            "Antarctica/",
            "Arctic/",
            "Asia/",
            "Atlantic/",
            "Australia/",
            "Europe/",
            "Indian/",
            "Pacific/",
        ];
        let mut zones: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_string())
            .filter(|name| name == "UTC" || REGIONS.iter().any(|r| name.starts_with(r)))
            .collect();
        zones.sort();
        zones.dedup();
        zones
    })
}

/// Languages offered for the site (its `lang`, its dates' words): a tag
/// and the language's own name. Any other valid tag may still be saved.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("en-GB", "English (United Kingdom)"),
    ("en-US", "English (United States)"),
    ("de", "Deutsch"),
    ("de-AT", "Deutsch (Österreich)"),
    ("de-CH", "Deutsch (Schweiz)"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("pt", "Português"),
    ("pt-BR", "Português (Brasil)"),
    ("nl", "Nederlands"),
    ("da", "Dansk"),
    ("sv", "Svenska"),
    ("nb", "Norsk bokmål"),
    ("fi", "Suomi"),
    ("et", "Eesti"),
    ("lv", "Latviešu"),
    ("lt", "Lietuvių"),
    ("pl", "Polski"),
    ("cs", "Čeština"),
    ("sk", "Slovenčina"),
    ("sl", "Slovenščina"),
    ("hu", "Magyar"),
    ("ro", "Română"),
    ("hr", "Hrvatski"),
    ("sr", "Српски"),
    ("bg", "Български"),
    ("el", "Ελληνικά"),
    ("tr", "Türkçe"),
    ("uk", "Українська"),
    ("ru", "Русский"),
    ("ka", "ქართული"),
    ("ar", "العربية"),
    ("he", "עברית"),
    ("fa", "فارسی"),
    ("hi", "हिन्दी"),
    ("ja", "日本語"),
    ("ko", "한국어"),
    ("zh", "中文"),
];

/// Date formats offered, each shown to the editor as today's date in it.
pub const DATE_FORMATS: &[&str] = &[
    "%-d %B %Y",
    "%A %-d %B %Y",
    "%-d %b %Y",
    "%B %-d, %Y",
    "%A, %B %-d, %Y",
    "%b %-d, %Y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
];

/// The lowest contrast the accent may have against the site's paper: the
/// WCAG AA ratio for text, as links and buttons are written in it.
const ACCENT_CONTRAST: f64 = 4.5;

/// The site's paper colour (site.css `--paper`), which links sit on.
const PAPER: (u8, u8, u8) = (0xfd, 0xfb, 0xf7);

/// An accent as `#rrggbb`, dark enough to read on the paper.
fn check_accent(accent: &str) -> Result<(), String> {
    let rgb = parse_hex_colour(accent).ok_or_else(|| {
        format!(
            "{accent:?} is not a colour: choose one with the colour picker, or write it as #8f1d21"
        )
    })?;
    let ratio = contrast(rgb, PAPER);
    if ratio < ACCENT_CONTRAST {
        return Err(format!(
            "{accent} is too light to read links in on the page (contrast {ratio:.1}:1, at least {ACCENT_CONTRAST}:1 is needed): choose a darker shade"
        ));
    }
    Ok(())
}

/// `#rrggbb` read as its three channels.
pub fn parse_hex_colour(text: &str) -> Option<(u8, u8, u8)> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some((channel(0)?, channel(2)?, channel(4)?))
}

/// WCAG's contrast ratio of two colours.
fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The longest the raw readership visits may be kept: ten years.
pub const MOST_RETENTION_DAYS: u32 = 3650;

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
    if let Err(why) = check_accent(&settings.accent) {
        return invalid("accent", why);
    }
    if !(1..=MOST_RETENTION_DAYS).contains(&settings.readership_retention_days) {
        return invalid(
            "readership_retention_days",
            format!(
                "keep the anonymous visits between 1 and {MOST_RETENTION_DAYS} days (the daily totals stay whatever it is)"
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
        let mut s = good.clone();
        s.title = " ".into();
        assert_eq!(field_of(&s), Some("title"));
        for days in [0, MOST_RETENTION_DAYS + 1] {
            let mut s = good.clone();
            s.readership_retention_days = days;
            assert_eq!(field_of(&s), Some("readership_retention_days"), "{days}");
        }
        for accent in ["red", "#12345", "#gggggg", "8f1d21", "#ffd700", "#9e9e9e"] {
            let mut s = good.clone();
            s.accent = accent.into();
            assert_eq!(field_of(&s), Some("accent"), "{accent}");
        }
        for accent in ["#8f1d21", "#005a9c", "#1b5e20", "#000000"] {
            let mut s = good.clone();
            s.accent = accent.into();
            assert_eq!(field_of(&s), None, "{accent}");
        }
    }

    #[test]
    fn contrast_is_wcags() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 0.01);
        assert!((contrast((0x76, 0x76, 0x76), (255, 255, 255)) - 4.54).abs() < 0.01);
    }
}
