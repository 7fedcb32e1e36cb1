//! Live coverage, as the newsroom runs it: a story goes live, updates are
//! posted (newest first, one of them perhaps pinned at the top), edited or
//! removed with their earlier wording kept, and the coverage ends, leaving
//! an ordinary story that keeps its updates. Who may do it is the story's
//! rule (`Action::Edit`), checked by the desk.

use crate::model::accounts::{ActivityTarget, User};
use crate::model::live::{LiveUpdate, LiveUpdateChange};
use crate::services::activity;
use crate::services::publishing::{ContentError, read_body};
use crate::store::{Store, StoreError};

/// An update as the desk's form sends it.
#[derive(Debug, Clone, Default)]
pub struct UpdateDraft {
    /// The body, as HTML (the document editor's) or plain text.
    pub body: String,
    pub pinned: bool,
    /// Its byline (None: none).
    pub author_id: Option<String>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> ContentError {
    ContentError::Invalid {
        field,
        message: message.into(),
    }
}

/// The draft's body read into the document schema, and its byline checked.
async fn checked(store: &Store, draft: &UpdateDraft) -> Result<LiveUpdateChange, ContentError> {
    let body = read_body(&draft.body).await?;
    if body.plain_text().trim().is_empty() && body.image_sources().is_empty() {
        return Err(invalid(
            "update_body",
            "The update is empty: write what happened.",
        ));
    }
    if let Some(author) = &draft.author_id
        && !store
            .authors()
            .await
            .map_err(ContentError::Storage)?
            .iter()
            .any(|a| &a.id == author)
    {
        return Err(invalid(
            "update_author",
            "That byline is not one of the site's authors: choose one from the list.",
        ));
    }
    Ok(LiveUpdateChange {
        body,
        pinned: draft.pinned,
        author_id: draft.author_id.clone(),
    })
}

fn not_live(e: StoreError) -> ContentError {
    match e {
        StoreError::NotFound => invalid(
            "update_body",
            "This story is not being covered live: start the live coverage first.",
        ),
        e => ContentError::Storage(e),
    }
}

/// Starts (or restarts) the story's live coverage.
pub async fn start(
    store: &Store,
    by: &User,
    story_id: &str,
    headline: &str,
) -> Result<bool, ContentError> {
    let started = store
        .start_live(story_id)
        .await
        .map_err(ContentError::Storage)?;
    if started {
        let target = Some(ActivityTarget::Story(story_id));
        activity::record(
            store,
            Some(&by.id),
            "started live coverage",
            headline,
            target,
        )
        .await;
    }
    Ok(started)
}

/// Ends it.
pub async fn end(
    store: &Store,
    by: &User,
    story_id: &str,
    headline: &str,
) -> Result<bool, ContentError> {
    let ended = store
        .end_live(story_id)
        .await
        .map_err(ContentError::Storage)?;
    if ended {
        let target = Some(ActivityTarget::Story(story_id));
        activity::record(store, Some(&by.id), "ended live coverage", headline, target).await;
    }
    Ok(ended)
}

/// Posts an update now.
pub async fn post(
    store: &Store,
    by: &User,
    story_id: &str,
    draft: &UpdateDraft,
) -> Result<LiveUpdate, ContentError> {
    let change = checked(store, draft).await?;
    let update = LiveUpdate {
        id: crate::model::new_id(),
        story_id: story_id.to_string(),
        seq: 0,
        posted_at: store.clock().now(),
        author_id: change.author_id,
        body: change.body,
        pinned: change.pinned,
        edited_at: None,
        removed_at: None,
        posted_by: Some(by.id.clone()),
    };
    store.post_live_update(&update).await.map_err(not_live)
}

/// Edits an update (its earlier wording is kept).
pub async fn edit(
    store: &Store,
    by: &User,
    story_id: &str,
    update_id: &str,
    draft: &UpdateDraft,
) -> Result<(), ContentError> {
    let change = checked(store, draft).await?;
    store
        .change_live_update(story_id, update_id, Some(&change), &by.id)
        .await
        .map_err(gone)
}

/// Removes an update from the page (it stays in the history).
pub async fn remove(
    store: &Store,
    by: &User,
    story_id: &str,
    update_id: &str,
) -> Result<(), ContentError> {
    store
        .change_live_update(story_id, update_id, None, &by.id)
        .await
        .map_err(gone)
}

fn gone(e: StoreError) -> ContentError {
    match e {
        StoreError::NotFound => invalid(
            "update_body",
            "That update is no longer on the page: someone removed it meanwhile. Reload to see the latest.",
        ),
        e => ContentError::Storage(e),
    }
}
