//! The story and brief life cycle: validation, slugs and their redirects,
//! rendering Markdown once at save time.

use std::fmt;

use crate::model::{
    Brief, SiteSettings, Status, Story, StoryNote, UnixTime, new_id, now, slug, text,
};
use crate::store::{SlugKind, Store};

/// What an editor submits for a story (new or existing).
#[derive(Debug, Clone, Default)]
pub struct StoryDraft {
    /// None: derived from the headline (and kept once published).
    pub slug: Option<String>,
    pub headline: String,
    pub dek: String,
    pub label: String,
    pub section_id: String,
    pub body_md: String,
    pub custom_excerpt: Option<String>,
    pub hero_image_id: Option<String>,
    pub status: Option<Status>,
    pub featured: bool,
    pub published_at: Option<UnixTime>,
    pub author_ids: Vec<String>,
    pub tag_ids: Vec<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// None: now. Importers and the demo keep the original date.
    pub updated_at: Option<UnixTime>,
}

#[derive(Debug, Clone, Default)]
pub struct BriefDraft {
    pub slug: Option<String>,
    pub headline: String,
    pub body_md: String,
    pub link_url: Option<String>,
    pub image_id: Option<String>,
    pub status: Option<Status>,
    pub published_at: Option<UnixTime>,
    pub updated_at: Option<UnixTime>,
}

#[derive(Debug)]
pub enum ContentError {
    Invalid(String),
    SlugTaken(String),
    Storage(anyhow::Error),
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentError::Invalid(why) => f.write_str(why),
            ContentError::SlugTaken(s) => write!(
                f,
                "the slug {s:?} is already used by another piece (or was its old address): choose another"
            ),
            ContentError::Storage(e) => write!(f, "saving failed: {e:#}"),
        }
    }
}

impl std::error::Error for ContentError {}

impl From<sqlx::Error> for ContentError {
    fn from(e: sqlx::Error) -> Self {
        ContentError::Storage(e.into())
    }
}

fn invalid(why: impl Into<String>) -> ContentError {
    ContentError::Invalid(why.into())
}

/// Saves a story, new (`existing` None) or edited, enforcing the newsroom's rules.
pub async fn save_story(
    store: &Store,
    settings: &SiteSettings,
    existing: Option<&Story>,
    draft: StoryDraft,
) -> Result<Story, ContentError> {
    let headline = draft.headline.trim().to_string();
    if headline.is_empty() {
        return Err(invalid("a story needs a headline"));
    }
    if headline.chars().count() > 300 {
        return Err(invalid(
            "the headline is longer than 300 characters: shorten it",
        ));
    }
    if !settings.labels.iter().any(|l| l == &draft.label) {
        return Err(invalid(format!(
            "the label {:?} is not one of this site's labels ({})",
            draft.label,
            settings.labels.join(", ")
        )));
    }
    if !store
        .sections()
        .await?
        .iter()
        .any(|s| s.id == draft.section_id)
    {
        return Err(invalid("the story's section does not exist"));
    }
    if draft.author_ids.is_empty() {
        return Err(invalid("a story needs at least one author"));
    }

    let status = draft
        .status
        .or(existing.map(Story::status))
        .unwrap_or(Status::Draft);
    let published_at =
        match status {
            Status::Published => Some(draft.published_at.unwrap_or_else(now)),
            Status::Scheduled => Some(draft.published_at.ok_or_else(|| {
                invalid("a scheduled story needs the time it should be published")
            })?),
            _ => draft.published_at,
        };
    if matches!(status, Status::Published | Status::Scheduled) {
        check_alt_text(store, draft.hero_image_id.as_deref(), &draft.body_md).await?;
    }

    let id = existing.map_or_else(new_id, |s| s.id.clone());
    let was_public =
        existing.is_some_and(|s| s.published_at.is_some() && s.status() != Status::Draft);
    let slug = choose_slug(
        store,
        SlugKind::Story,
        &id,
        draft.slug.as_deref(),
        existing.filter(|_| was_public).map(|s| s.slug.as_str()),
        &headline,
    )
    .await?;

    let created = now();
    let story = Story {
        id,
        slug,
        headline,
        dek: draft.dek.trim().to_string(),
        label: draft.label,
        section_id: draft.section_id,
        body_html: text::render_markdown(&draft.body_md).as_str().to_string(),
        reading_minutes: text::reading_minutes(&draft.body_md),
        body_md: draft.body_md,
        custom_excerpt: draft.custom_excerpt.filter(|e| !e.trim().is_empty()),
        hero_image_id: draft.hero_image_id,
        status: status.as_str().to_string(),
        featured: draft.featured,
        published_at,
        created_at: existing.map_or(created, |s| s.created_at),
        updated_at: draft.updated_at.unwrap_or(created),
        seo_title: draft.seo_title.filter(|t| !t.trim().is_empty()),
        seo_description: draft.seo_description.filter(|t| !t.trim().is_empty()),
    };
    store
        .save_story(&story, &draft.author_ids, &draft.tag_ids)
        .await?;
    if let Some(old) = existing
        && was_public
        && old.slug != story.slug
    {
        store
            .add_redirect(SlugKind::Story, &old.slug, &story.id)
            .await?;
    }
    Ok(story)
}

/// Adds a dated correction or update note to a story.
pub async fn add_note(
    store: &Store,
    story: &Story,
    kind: &str,
    noted_at: UnixTime,
    body: &str,
) -> Result<StoryNote, ContentError> {
    if !matches!(kind, "correction" | "update") {
        return Err(invalid(format!(
            "a note is a \"correction\" or an \"update\", not {kind:?}"
        )));
    }
    if body.trim().is_empty() {
        return Err(invalid("the note is empty"));
    }
    let note = StoryNote {
        id: new_id(),
        story_id: story.id.clone(),
        kind: kind.into(),
        noted_at,
        body: body.trim().into(),
    };
    store.save_note(&note).await?;
    Ok(note)
}

pub async fn save_brief(
    store: &Store,
    existing: Option<&Brief>,
    draft: BriefDraft,
) -> Result<Brief, ContentError> {
    let headline = draft.headline.trim().to_string();
    if headline.is_empty() {
        return Err(invalid("a brief needs a headline"));
    }
    if let Some(url) = &draft.link_url
        && !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
    {
        return Err(invalid(format!(
            "the brief's link {url:?} must start with https://, http:// or /"
        )));
    }
    let status = draft.status.unwrap_or(Status::Draft);
    if matches!(status, Status::Published | Status::Scheduled) {
        check_alt_text(store, draft.image_id.as_deref(), &draft.body_md).await?;
    }
    let id = existing.map_or_else(new_id, |b| b.id.clone());
    let was_public =
        existing.is_some_and(|b| b.published_at.is_some() && b.status() != Status::Draft);
    let slug = choose_slug(
        store,
        SlugKind::Brief,
        &id,
        draft.slug.as_deref(),
        existing.filter(|_| was_public).map(|b| b.slug.as_str()),
        &headline,
    )
    .await?;
    let at = now();
    let brief = Brief {
        id,
        slug,
        headline,
        body_html: text::render_markdown(&draft.body_md).as_str().to_string(),
        body_md: draft.body_md,
        link_url: draft.link_url,
        image_id: draft.image_id,
        status: status.as_str().into(),
        published_at: match status {
            Status::Published => Some(draft.published_at.unwrap_or(at)),
            _ => draft.published_at,
        },
        created_at: existing.map_or(at, |b| b.created_at),
        updated_at: draft.updated_at.unwrap_or(at),
    };
    store.save_brief(&brief).await?;
    if let Some(old) = existing
        && was_public
        && old.slug != brief.slug
    {
        store
            .add_redirect(SlugKind::Brief, &old.slug, &brief.id)
            .await?;
    }
    Ok(brief)
}

/// Picks the slug: the editor's own (must be free), else the published one
/// (stable), else one derived from the headline made unique with -2, -3, ….
async fn choose_slug(
    store: &Store,
    kind: SlugKind,
    id: &str,
    requested: Option<&str>,
    published: Option<&str>,
    headline: &str,
) -> Result<String, ContentError> {
    if let Some(requested) = requested {
        if !slug::is_valid(requested) {
            return Err(invalid(format!(
                "the slug {requested:?} may hold only lowercase letters, digits and single hyphens"
            )));
        }
        if store.slug_taken(kind, requested, id).await? {
            return Err(ContentError::SlugTaken(requested.into()));
        }
        return Ok(requested.into());
    }
    if let Some(published) = published {
        return Ok(published.into());
    }
    let base = slug::slugify(headline);
    for candidate in slug::candidates(&base).take(1000) {
        if !store.slug_taken(kind, &candidate, id).await? {
            return Ok(candidate);
        }
    }
    Err(ContentError::SlugTaken(base))
}

/// Readers who cannot see an image get its alt text: publishing insists on it.
async fn check_alt_text(
    store: &Store,
    image_id: Option<&str>,
    body_md: &str,
) -> Result<(), ContentError> {
    if let Some(id) = image_id {
        let images = store.images_by_ids(&[id.to_string()]).await?;
        match images.first() {
            None => return Err(invalid("the chosen image does not exist")),
            Some(img) if img.alt.trim().is_empty() => {
                return Err(invalid(format!(
                    "the image {} has no alt text: describe it for readers who cannot see it before publishing",
                    img.file
                )));
            }
            Some(_) => {}
        }
    }
    let missing = text::images_missing_alt(body_md);
    if !missing.is_empty() {
        return Err(invalid(format!(
            "images in the body have no alt text ({}): write ![description](url) before publishing",
            missing.join(", ")
        )));
    }
    Ok(())
}
