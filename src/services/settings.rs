//! Site settings: one JSON document in the `settings` table.

use crate::model::SiteSettings;
use crate::store::Store;

const KEY: &str = "site";

pub async fn load(store: &Store) -> anyhow::Result<SiteSettings> {
    Ok(match store.setting(KEY).await? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| anyhow::anyhow!("the stored site settings are not valid JSON: {e}"))?,
        None => SiteSettings::default(),
    })
}

pub async fn save(store: &Store, settings: &SiteSettings) -> anyhow::Result<()> {
    if jiff::tz::TimeZone::get(&settings.timezone).is_err() {
        anyhow::bail!(
            "unknown time zone {:?}: use an IANA name such as \"Europe/Berlin\"",
            settings.timezone
        );
    }
    let language_ok = !settings.language.is_empty()
        && settings.language.len() <= 35
        && settings
            .language
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if !language_ok {
        anyhow::bail!(
            "the language {:?} is not a language tag: use one such as \"en\" or \"pt-BR\"",
            settings.language
        );
    }
    store
        .put_setting(KEY, &serde_json::to_string(settings)?)
        .await?;
    Ok(())
}
