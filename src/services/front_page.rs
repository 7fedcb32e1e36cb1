//! The front page as the editors arrange it: a chosen lead and stories
//! pinned in order; the rest follows by date. Kept in the site settings, so
//! a change shows on the site at once (settings move the content version).

use crate::model::accounts::User;
use crate::services::permissions::{Action, may, refusal};
use crate::services::settings::{self, SettingsError};
use crate::store::Store;

/// How many stories may be pinned under the lead.
pub const MAX_PINNED: usize = 6;

#[derive(Debug)]
pub enum ArrangeError {
    Forbidden(String),
    /// A chosen story is not public (any more): names it.
    NotPublic(String),
    TooMany,
    Settings(SettingsError),
}

impl std::fmt::Display for ArrangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArrangeError::Forbidden(why) => f.write_str(why),
            ArrangeError::NotPublic(id) => write!(
                f,
                "The story {id} is not published (or was unpublished meanwhile): choose a published one."
            ),
            ArrangeError::TooMany => write!(f, "Pin at most {MAX_PINNED} stories."),
            ArrangeError::Settings(e) => e.fmt(f),
        }
    }
}

/// Sets the lead (None: the newest featured story) and the pinned stories
/// (blanks and repeats dropped), each of which must be public now.
pub async fn arrange(
    store: &Store,
    user: &User,
    lead: Option<String>,
    pinned: Vec<String>,
) -> Result<(), ArrangeError> {
    if !may(user.role, Action::Curate, false) {
        return Err(ArrangeError::Forbidden(refusal(user.role, Action::Curate)));
    }
    let mut kept: Vec<String> = Vec::new();
    for id in pinned.into_iter().filter(|id| !id.trim().is_empty()) {
        if !kept.contains(&id) && Some(&id) != lead.as_ref() {
            kept.push(id);
        }
    }
    if kept.len() > MAX_PINNED {
        return Err(ArrangeError::TooMany);
    }
    let chosen: Vec<String> = lead.iter().chain(kept.iter()).cloned().collect();
    let public = store
        .public_story_summaries(&chosen, store.clock().now())
        .await
        .map_err(|e| ArrangeError::Settings(SettingsError::Storage(e)))?;
    if let Some(missing) = chosen
        .iter()
        .find(|id| !public.iter().any(|s| &s.id == *id))
    {
        return Err(ArrangeError::NotPublic(missing.clone()));
    }
    let mut current = store
        .site_settings()
        .await
        .map_err(|e| ArrangeError::NotPublic(e.to_string()))?;
    current.front_lead = lead;
    current.front_pinned = kept;
    settings::save(store, &current)
        .await
        .map_err(ArrangeError::Settings)?;
    if let Err(e) = store
        .log_activity(Some(&user.id), "arranged the front page", "")
        .await
    {
        tracing::warn!(error = %e, "could not record a change in the activity log");
    }
    Ok(())
}
