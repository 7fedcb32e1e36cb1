//! The life cycle of stories and briefs: one set of rules for both.
//!
//! A piece is a draft, scheduled, published or archived. Readers see it when
//! it is published, or scheduled and its time has come. Its slug follows the
//! headline until it has been public, then stays; a slug changed after that
//! leaves the old one answering 301, committed with the save. Markdown is
//! rendered and sanitized once, here, at save time.

use std::fmt;

use crate::model::{
    Brief, Document, NoteKind, SiteSettings, Status, Story, StoryNote, UnixTime, new_id, slug, text,
};
use crate::store::{BriefWrite, SlugKind, Store, StoreError, StoryWrite};

const MAX_HEADLINE_CHARS: usize = 300;

/// What an editor submits for a story (new or existing).
#[derive(Debug, Clone, Default)]
pub struct StoryDraft {
    /// None: derived from the headline (and kept once published).
    pub slug: Option<String>,
    pub headline: String,
    pub dek: String,
    pub label: String,
    pub section_id: String,
    pub body: Document,
    pub custom_excerpt: Option<String>,
    pub hero_image_id: Option<String>,
    /// The story's own words for its hero (None: the library's).
    pub hero_alt: Option<String>,
    pub hero_caption: Option<String>,
    pub hero_credit: Option<String>,
    /// None: unchanged (a new piece starts as a draft).
    pub status: Option<Status>,
    pub featured: bool,
    /// None: kept from the stored piece, or now when publishing.
    pub published_at: Option<UnixTime>,
    pub author_ids: Vec<String>,
    pub tag_ids: Vec<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// None: now. Importers and the demo keep the original date.
    pub updated_at: Option<UnixTime>,
}

impl StoryDraft {
    /// A stored story as a draft, to change and save again (the API, tools).
    pub fn of(card: &crate::store::StoryCard) -> StoryDraft {
        let s = &card.story;
        StoryDraft {
            slug: Some(s.slug.clone()),
            headline: s.headline.clone(),
            dek: s.dek.clone(),
            label: s.label.clone(),
            section_id: s.section_id.clone(),
            body: s.body.clone(),
            custom_excerpt: s.custom_excerpt.clone(),
            hero_image_id: s.hero_image_id.clone(),
            hero_alt: s.hero_alt.clone(),
            hero_caption: s.hero_caption.clone(),
            hero_credit: s.hero_credit.clone(),
            status: Some(s.status),
            featured: s.featured,
            published_at: s.published_at,
            author_ids: card.author_ids.clone(),
            tag_ids: card.tag_ids.clone(),
            seo_title: s.seo_title.clone(),
            seo_description: s.seo_description.clone(),
            updated_at: None,
        }
    }
}

/// What an editor submits for a brief (new or existing).
#[derive(Debug, Clone, Default)]
pub struct BriefDraft {
    pub slug: Option<String>,
    pub headline: String,
    pub body: Document,
    pub link_url: Option<String>,
    pub image_id: Option<String>,
    pub status: Option<Status>,
    pub published_at: Option<UnixTime>,
    pub updated_at: Option<UnixTime>,
}

#[derive(Debug)]
pub enum ContentError {
    /// The draft breaks a rule; `field` names the input to fix.
    Invalid {
        field: &'static str,
        message: String,
    },
    SlugTaken(String),
    /// The person's role does not allow the change; says what would.
    Forbidden(String),
    /// Someone else saved the piece after this copy was loaded.
    Stale,
    Storage(StoreError),
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentError::Invalid { message, .. } => f.write_str(message),
            ContentError::SlugTaken(s) => write!(
                f,
                "the slug {s:?} is already used by another piece (or was its old address): choose another"
            ),
            ContentError::Forbidden(why) => f.write_str(why),
            ContentError::Stale => f.write_str(
                "someone else saved this piece after you opened it: your changes were not saved over theirs",
            ),
            ContentError::Storage(e) => write!(f, "saving failed: {e}"),
        }
    }
}

impl std::error::Error for ContentError {}

impl From<StoreError> for ContentError {
    fn from(e: StoreError) -> Self {
        ContentError::Storage(e)
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ContentError {
    ContentError::Invalid {
        field,
        message: message.into(),
    }
}

/// What the stored piece was, for the rules that depend on its past.
struct Stored<'a> {
    status: Status,
    published_at: Option<UnixTime>,
    slug: &'a str,
    created_at: UnixTime,
}

impl Stored<'_> {
    /// Readers have seen it (it may have been withdrawn since): its slug is
    /// in their links and must keep working.
    fn has_been_public(&self, now: UnixTime) -> bool {
        matches!(
            self.status,
            Status::Published | Status::Scheduled | Status::Archived
        ) && self.published_at.is_some_and(|t| t <= now)
    }
}

/// What the shared rules decide for a piece about to be saved.
struct Decided {
    id: String,
    headline: String,
    status: Status,
    published_at: Option<UnixTime>,
    slug: String,
    redirect_from: Option<String>,
    created_at: UnixTime,
}

/// What the shared rules read from a story's or brief's draft.
struct Request<'a> {
    kind: SlugKind,
    headline: &'a str,
    slug: Option<&'a str>,
    status: Option<Status>,
    published_at: Option<UnixTime>,
    image_id: Option<&'a str>,
    /// The piece's own alt text for its image, over the library's.
    image_alt: Option<&'a str>,
    body: &'a Document,
}

/// The rules every piece goes through, in order: headline, status and time,
/// alt text before publishing, slug and its redirect.
async fn decide(
    store: &Store,
    stored: Option<Stored<'_>>,
    stored_id: Option<&str>,
    request: Request<'_>,
) -> Result<Decided, ContentError> {
    let now = store.clock().now();
    let headline = request.headline.trim().to_string();
    if headline.is_empty() {
        return Err(invalid("headline", "a headline is needed"));
    }
    if headline.chars().count() > MAX_HEADLINE_CHARS {
        return Err(invalid(
            "headline",
            format!("the headline is longer than {MAX_HEADLINE_CHARS} characters: shorten it"),
        ));
    }

    let status = request
        .status
        .or(stored.as_ref().map(|s| s.status))
        .unwrap_or(Status::Draft);
    let published_at = decide_time(status, request.published_at, stored.as_ref(), now)?;
    if matches!(status, Status::Published | Status::Scheduled) {
        check_alt_text(store, request.image_id, request.image_alt, request.body).await?;
    }

    let id = stored_id.map_or_else(new_id, str::to_string);
    let public_slug = stored
        .as_ref()
        .filter(|s| s.has_been_public(now))
        .map(|s| s.slug);
    let slug = choose_slug(
        store,
        request.kind,
        &id,
        request.slug,
        public_slug,
        &headline,
    )
    .await?;
    let redirect_from = public_slug.filter(|old| *old != slug).map(str::to_string);
    Ok(Decided {
        id,
        headline,
        status,
        published_at,
        slug,
        redirect_from,
        created_at: stored.as_ref().map_or(now, |s| s.created_at),
    })
}

/// When a piece is (or was, or will be) public.
fn decide_time(
    status: Status,
    requested: Option<UnixTime>,
    stored: Option<&Stored<'_>>,
    now: UnixTime,
) -> Result<Option<UnixTime>, ContentError> {
    let stored_at = stored.and_then(|s| s.published_at);
    match status {
        Status::Published => {
            let kept = stored.filter(|s| s.has_been_public(now)).and(stored_at);
            let at = requested.or(kept).unwrap_or(now);
            if at > now {
                return Err(invalid(
                    "published_at",
                    "the publication time is in the future: schedule the piece instead",
                ));
            }
            Ok(Some(at))
        }
        Status::Scheduled => {
            let was_scheduled_at = stored
                .filter(|s| s.status == Status::Scheduled)
                .and(stored_at);
            let at = requested.or(was_scheduled_at).ok_or_else(|| {
                invalid(
                    "published_at",
                    "a scheduled piece needs the time it should be published",
                )
            })?;
            if at <= now && Some(at) != was_scheduled_at {
                return Err(invalid(
                    "published_at",
                    "that time has already passed: publish the piece now, or choose a later time",
                ));
            }
            Ok(Some(at))
        }
        Status::Draft | Status::Review | Status::Archived => Ok(requested.or(stored_at)),
    }
}

/// Saves a story, new (`existing` None) or edited, enforcing the newsroom's rules.
pub async fn save_story(
    store: &Store,
    settings: &SiteSettings,
    existing: Option<&Story>,
    draft: StoryDraft,
) -> Result<Story, ContentError> {
    let write = prepare_story(store, settings, existing, draft).await?;
    let story = write.story.clone();
    store
        .save_stories(std::slice::from_ref(&write))
        .await
        .map_err(|e| slug_conflict(e, &story.slug))?;
    Ok(story)
}

/// Checks a story draft against the rules and builds what the store saves.
pub async fn prepare_story(
    store: &Store,
    settings: &SiteSettings,
    existing: Option<&Story>,
    draft: StoryDraft,
) -> Result<StoryWrite, ContentError> {
    if !settings.labels.iter().any(|l| l == &draft.label) {
        return Err(invalid(
            "label",
            format!(
                "the label {:?} is not one of this site's labels ({})",
                draft.label,
                settings.labels.join(", ")
            ),
        ));
    }
    if !store
        .sections()
        .await?
        .iter()
        .any(|s| s.id == draft.section_id)
    {
        return Err(invalid("section_id", "the story's section does not exist"));
    }
    if draft.author_ids.is_empty() {
        return Err(invalid("author_ids", "a story needs at least one author"));
    }
    let decided = decide(
        store,
        existing.map(|s| Stored {
            status: s.status,
            published_at: s.published_at,
            slug: &s.slug,
            created_at: s.created_at,
        }),
        existing.map(|s| s.id.as_str()),
        Request {
            kind: SlugKind::Story,
            headline: &draft.headline,
            slug: draft.slug.as_deref(),
            status: draft.status,
            published_at: draft.published_at,
            image_id: draft.hero_image_id.as_deref(),
            image_alt: draft.hero_alt.as_deref(),
            body: &draft.body,
        },
    )
    .await?;
    let story = Story {
        id: decided.id,
        slug: decided.slug,
        headline: decided.headline,
        dek: draft.dek.trim().to_string(),
        label: draft.label,
        section_id: draft.section_id,
        reading_minutes: draft.body.reading_minutes(),
        body: draft.body,
        custom_excerpt: non_blank(draft.custom_excerpt),
        hero_image_id: draft.hero_image_id,
        status: decided.status,
        featured: draft.featured,
        published_at: decided.published_at,
        created_at: decided.created_at,
        updated_at: draft.updated_at.unwrap_or_else(|| store.clock().now()),
        seo_title: non_blank(draft.seo_title),
        seo_description: non_blank(draft.seo_description),
        hero_alt: non_blank(draft.hero_alt),
        hero_caption: non_blank(draft.hero_caption),
        hero_credit: non_blank(draft.hero_credit),
        created_by: existing.and_then(|s| s.created_by.clone()),
        revision: existing.map_or(1, |s| s.revision),
    };
    Ok(StoryWrite {
        publish_at: publish_job_at(&story.status, story.published_at),
        story,
        author_ids: draft.author_ids,
        tag_ids: draft.tag_ids,
        new_tags: vec![],
        redirect_from: decided.redirect_from,
        edit: None,
        relate: true,
    })
}

/// A body a person sent (the desk's editor, an API client), as HTML, read
/// into the document schema off the async workers; refused (naming the
/// field) when too long or nested too deep to read in bounded time.
pub async fn read_body(html: &str) -> Result<Document, ContentError> {
    let html = html.to_string();
    crate::cpu::run(move || Document::from_html_checked(&html))
        .await
        .map_err(|e: text::Unrenderable| invalid("body", e.to_string()))
}

/// As `read_body`, for a body sent as Markdown.
pub async fn read_markdown_body(markdown: &str) -> Result<Document, ContentError> {
    let markdown = markdown.to_string();
    crate::cpu::run(move || crate::model::document::markdown::to_document_checked(&markdown))
        .await
        .map_err(|e: text::Unrenderable| invalid("body", e.to_string()))
}

/// Saves a brief, new or edited, under the same rules as stories.
pub async fn save_brief(
    store: &Store,
    existing: Option<&Brief>,
    draft: BriefDraft,
) -> Result<Brief, ContentError> {
    let write = prepare_brief(store, existing, draft).await?;
    store
        .save_brief(&write)
        .await
        .map_err(|e| slug_conflict(e, &write.brief.slug))?;
    Ok(write.brief)
}

/// Checks a brief draft against the rules and builds what the store saves.
pub async fn prepare_brief(
    store: &Store,
    existing: Option<&Brief>,
    draft: BriefDraft,
) -> Result<BriefWrite, ContentError> {
    if let Some(url) = &draft.link_url
        && !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
    {
        return Err(invalid(
            "link_url",
            format!("the brief's link {url:?} must start with https://, http:// or /"),
        ));
    }
    let decided = decide(
        store,
        existing.map(|b| Stored {
            status: b.status,
            published_at: b.published_at,
            slug: &b.slug,
            created_at: b.created_at,
        }),
        existing.map(|b| b.id.as_str()),
        Request {
            kind: SlugKind::Brief,
            headline: &draft.headline,
            slug: draft.slug.as_deref(),
            status: draft.status,
            published_at: draft.published_at,
            image_id: draft.image_id.as_deref(),
            image_alt: None,
            body: &draft.body,
        },
    )
    .await?;
    let brief = Brief {
        id: decided.id,
        slug: decided.slug,
        headline: decided.headline,
        body: draft.body,
        link_url: draft.link_url,
        image_id: draft.image_id,
        status: decided.status,
        published_at: decided.published_at,
        created_at: decided.created_at,
        updated_at: draft.updated_at.unwrap_or_else(|| store.clock().now()),
        created_by: existing.and_then(|b| b.created_by.clone()),
        revision: existing.map_or(1, |b| b.revision),
    };
    Ok(BriefWrite {
        publish_at: publish_job_at(&brief.status, brief.published_at),
        brief,
        redirect_from: decided.redirect_from,
        edit: None,
    })
}

/// A scheduled piece is flipped to published by a job at its time (readers
/// see it from that time whether or not the job has run: visibility is
/// computed; the job makes the status say so, for feeds and notifications).
fn publish_job_at(status: &Status, published_at: Option<UnixTime>) -> Option<UnixTime> {
    (*status == Status::Scheduled)
        .then_some(published_at)
        .flatten()
}

/// What a publish job does: a scheduled story or brief whose time has come
/// becomes published (same date, same everything else). Safe to run again:
/// anything no longer scheduled, or not yet due, is left as it is.
pub async fn publish_when_due(
    store: &Store,
    kind: crate::store::JobKind,
    id: &str,
) -> Result<(), ContentError> {
    let now = store.clock().now();
    let due = |status: Status, at: Option<UnixTime>| {
        status == Status::Scheduled && at.is_some_and(|t| t <= now)
    };
    use crate::model::accounts::ActivityTarget;
    let (target, headline) = match kind {
        crate::store::JobKind::PublishStory => {
            let Some(card) = store.story_cards_by_ids(&[id.to_string()]).await?.pop() else {
                return Ok(());
            };
            if !due(card.story.status, card.story.published_at) {
                return Ok(());
            }
            let scheduled = card.story.clone();
            let headline = card.story.headline.clone();
            let story = Story {
                status: Status::Published,
                ..card.story
            };
            store
                .save_stories(&[StoryWrite {
                    story,
                    author_ids: card.author_ids,
                    tag_ids: card.tag_ids,
                    new_tags: vec![],
                    redirect_from: None,
                    publish_at: None,
                    edit: None,
                    relate: true,
                }])
                .await?;
            crate::services::webhook_events::story_came_out(store, &scheduled).await;
            (ActivityTarget::Story(id), headline)
        }
        crate::store::JobKind::PublishBrief => {
            let Some(brief) = store.brief_by_id(id).await? else {
                return Ok(());
            };
            if !due(brief.status, brief.published_at) {
                return Ok(());
            }
            let headline = brief.headline.clone();
            let brief = Brief {
                status: Status::Published,
                ..brief
            };
            store
                .save_brief(&BriefWrite {
                    brief,
                    redirect_from: None,
                    publish_at: None,
                    edit: None,
                })
                .await?;
            (ActivityTarget::Brief(id), headline)
        }
        other => {
            return Err(invalid(
                "kind",
                format!("no publishing job is called {other:?}"),
            ));
        }
    };
    store
        .log_activity_on(None, "published on schedule", &headline, Some(target))
        .await?;
    Ok(())
}

/// Adds a dated correction or update note to a story.
pub async fn add_note(
    store: &Store,
    story: &Story,
    kind: NoteKind,
    noted_at: UnixTime,
    body: &str,
) -> Result<StoryNote, ContentError> {
    if body.trim().is_empty() {
        return Err(invalid("body", "the note is empty"));
    }
    let note = StoryNote {
        id: new_id(),
        story_id: story.id.clone(),
        kind,
        noted_at,
        body: body.trim().into(),
    };
    store.save_note(&note).await?;
    Ok(note)
}

/// Another save took the slug between our check and our commit.
pub fn slug_conflict(e: StoreError, slug: &str) -> ContentError {
    match e {
        StoreError::Conflict(_) => ContentError::SlugTaken(slug.to_string()),
        other => ContentError::Storage(other),
    }
}

fn non_blank(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

/// Picks the slug: the editor's own (must be free), else the one readers
/// already know (stable), else one derived from the headline made unique
/// with -2, -3, ….
async fn choose_slug(
    store: &Store,
    kind: SlugKind,
    id: &str,
    requested: Option<&str>,
    public: Option<&str>,
    headline: &str,
) -> Result<String, ContentError> {
    if let Some(requested) = requested {
        if !slug::is_valid(requested) {
            return Err(invalid(
                "slug",
                format!(
                    "the slug {requested:?} may hold only lowercase letters, digits and single hyphens"
                ),
            ));
        }
        if store.slug_taken(kind, requested, id).await? {
            return Err(ContentError::SlugTaken(requested.into()));
        }
        return Ok(requested.into());
    }
    if let Some(public) = public {
        return Ok(public.into());
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
pub(crate) async fn check_alt_text(
    store: &Store,
    image_id: Option<&str>,
    own_alt: Option<&str>,
    body: &Document,
) -> Result<(), ContentError> {
    let described_here = own_alt.is_some_and(|alt| !alt.trim().is_empty());
    if let Some(id) = image_id {
        let images = store.images_by_ids(&[id.to_string()]).await?;
        match images.first() {
            None => return Err(invalid("image", "the chosen image does not exist")),
            Some(img) if img.alt.trim().is_empty() && !described_here => {
                return Err(invalid(
                    "image",
                    format!(
                        "the image {} has no alt text: describe it for readers who cannot see it before publishing",
                        img.file
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    let missing = body.images_missing_alt();
    if !missing.is_empty() {
        return Err(invalid(
            "body",
            format!(
                "images in the body have no alt text ({}): describe each one in its alt text field before publishing",
                missing.join(", ")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(status: Status, at: Option<UnixTime>) -> Stored<'static> {
        Stored {
            status,
            published_at: at,
            slug: "s",
            created_at: 0,
        }
    }

    #[test]
    fn publishing_keeps_the_first_publication_time() {
        let was = stored(Status::Published, Some(100));
        assert_eq!(
            decide_time(Status::Published, None, Some(&was), 500).unwrap(),
            Some(100)
        );
        assert_eq!(
            decide_time(Status::Published, None, None, 500).unwrap(),
            Some(500)
        );
        // a draft's planned date is not a publication time
        let draft = stored(Status::Draft, Some(900));
        assert_eq!(
            decide_time(Status::Published, None, Some(&draft), 500).unwrap(),
            Some(500)
        );
        assert!(decide_time(Status::Published, Some(600), None, 500).is_err());
    }

    #[test]
    fn scheduling_needs_a_time_still_to_come() {
        assert!(decide_time(Status::Scheduled, None, None, 500).is_err());
        assert!(decide_time(Status::Scheduled, Some(400), None, 500).is_err());
        assert_eq!(
            decide_time(Status::Scheduled, Some(600), None, 500).unwrap(),
            Some(600)
        );
        // editing a scheduled piece whose time has just come keeps it
        let due = stored(Status::Scheduled, Some(450));
        assert_eq!(
            decide_time(Status::Scheduled, None, Some(&due), 500).unwrap(),
            Some(450)
        );
    }

    #[test]
    fn slugs_are_stable_once_readers_have_seen_them() {
        assert!(stored(Status::Published, Some(100)).has_been_public(100));
        assert!(stored(Status::Archived, Some(100)).has_been_public(200));
        assert!(!stored(Status::Scheduled, Some(300)).has_been_public(200));
        assert!(!stored(Status::Draft, Some(100)).has_been_public(200));
    }
}
