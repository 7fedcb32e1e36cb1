//! Changes made in the desk: which step of the workflow a save takes, who
//! may take it, the revision every save leaves, and the refusal of a save
//! made on a copy someone else has saved over since.
//!
//! The rules of the pieces themselves (slugs, times, alt text) stay in
//! `publishing`; this module decides whether this person may ask for them.

use serde::{Deserialize, Serialize};

use crate::model::accounts::User;
use crate::model::{
    Author, Brief, Image, SiteSettings, Status, Story, Tag, UnixTime, new_id, slug,
};
use crate::services::diff::{self, Compared, FieldChange};
use crate::services::permissions::{Action, may, refusal};
use crate::services::publishing::{
    BriefDraft, ContentError, StoryDraft, prepare_brief, prepare_story, slug_conflict,
};
use crate::store::{Edit, RelatedChoice, Store, StoreError, StoryCard};

/// The step a save takes in the workflow: draft → review → scheduled or
/// published → unpublished (back to draft) or archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Keep the piece where it is.
    Save,
    /// Hand a draft to the editors.
    Submit,
    Publish,
    Schedule,
    /// Back to draft: from review (sent back) or from the site (taken down).
    Unpublish,
    Archive,
    /// Save an earlier revision's fields again (from the revisions page:
    /// no button of the editor's, so not in `ALL`).
    Restore,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Save,
        Step::Submit,
        Step::Publish,
        Step::Schedule,
        Step::Unpublish,
        Step::Archive,
    ];

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Save => "save",
            Step::Submit => "submit",
            Step::Publish => "publish",
            Step::Schedule => "schedule",
            Step::Unpublish => "unpublish",
            Step::Archive => "archive",
            Step::Restore => "restore",
        }
    }

    /// The status the piece has after the step (None: unchanged).
    fn status(self) -> Option<Status> {
        match self {
            Step::Save | Step::Restore => None,
            Step::Submit => Some(Status::Review),
            Step::Publish => Some(Status::Published),
            Step::Schedule => Some(Status::Scheduled),
            Step::Unpublish => Some(Status::Draft),
            Step::Archive => Some(Status::Archived),
        }
    }

    /// How the activity log words it.
    fn logged_as(self, new: bool) -> &'static str {
        match self {
            Step::Save if new => "started",
            Step::Save => "edited",
            Step::Submit => "submitted for review",
            Step::Publish => "published",
            Step::Schedule => "scheduled",
            Step::Unpublish => "returned to draft",
            Step::Archive => "archived",
            Step::Restore => "restored an earlier revision of",
        }
    }
}

/// A piece's editable fields as a revision keeps them. Serializing a
/// struct of strings, numbers and lists cannot fail.
pub(crate) fn fields_json(fields: &impl Serialize) -> String {
    serde_json::to_string(fields).expect("plain fields always serialize")
}

/// Whether a piece is this person's: they started it or write it.
pub fn owns(user: &User, created_by: Option<&str>, author_ids: &[String]) -> bool {
    created_by == Some(user.id.as_str())
        || user
            .author_id
            .as_ref()
            .is_some_and(|mine| author_ids.contains(mine))
}

/// Whether `user` may open a piece in the desk or the Admin API: one
/// readers see, anyone on the staff; one they do not (a draft, a piece in
/// review, a scheduled or archived one), whoever may edit it, by the
/// permission table.
pub fn may_read(
    user: &User,
    public: bool,
    created_by: Option<&str>,
    author_ids: &[String],
) -> bool {
    public || may(user.role, Action::Edit, owns(user, created_by, author_ids))
}

/// What the Admin API shows `user`: every piece to those who may edit
/// every piece, else what is public and their own.
pub fn audience(user: &User) -> crate::store::browse::Audience {
    use crate::store::browse::Audience;
    if may(user.role, Action::Edit, false) {
        Audience::Everything
    } else {
        Audience::Own {
            user_id: user.id.clone(),
            author_id: user.author_id.clone(),
        }
    }
}

/// Where an image is used, as `user` may be told: pieces they may not
/// open are counted, not named (a draft's headline can be news).
pub async fn visible_uses(
    store: &Store,
    user: &User,
    uses: Vec<crate::store::ImageUse>,
) -> Result<(Vec<crate::store::ImageUse>, usize), StoreError> {
    if may(user.role, Action::Edit, false) {
        return Ok((uses, 0));
    }
    let now = store.clock().now();
    let story_ids: Vec<String> = uses
        .iter()
        .filter(|u| u.kind == "story")
        .map(|u| u.id.clone())
        .collect();
    let cards = store.story_cards_by_ids(&story_ids).await?;
    let mut shown = Vec::with_capacity(uses.len());
    let mut hidden = 0;
    for u in uses {
        let readable = match u.kind.as_str() {
            "story" => cards.iter().find(|c| c.story.id == u.id).is_some_and(|c| {
                may_read(
                    user,
                    c.story.is_public(now),
                    c.story.created_by.as_deref(),
                    &c.author_ids,
                )
            }),
            "brief" => store
                .brief_by_id(&u.id)
                .await?
                .is_some_and(|b| may_read(user, b.is_public(now), b.created_by.as_deref(), &[])),
            "page" => store
                .page_by_id(&u.id)
                .await?
                .is_some_and(|p| p.is_public() || crate::services::pages::may_manage(user)),
            _ => true,
        };
        if readable {
            shown.push(u);
        } else {
            hidden += 1;
        }
    }
    Ok((shown, hidden))
}

/// What taking `step` on a piece now `stored` (None: a new piece) asks of
/// the person's role, in the order checked.
pub fn actions_for(step: Step, stored: Option<Status>) -> Vec<Action> {
    let is_public = |s: Status| matches!(s, Status::Published | Status::Scheduled);
    let mut actions = vec![match stored {
        None => Action::Create,
        Some(_) => Action::Edit,
    }];
    match step {
        Step::Save | Step::Restore => {
            // Changing what readers see (or will see at its time) is publishing.
            if stored.is_some_and(is_public) {
                actions.push(Action::Publish);
            }
        }
        Step::Submit => actions.push(Action::SubmitForReview),
        Step::Publish => actions.push(Action::Publish),
        Step::Schedule => actions.push(Action::Schedule),
        Step::Unpublish | Step::Archive => {
            if stored.is_some_and(|s| is_public(s) || s == Status::Archived) {
                actions.push(Action::Unpublish);
            }
        }
    }
    actions
}

/// Checks every action a step asks for; the first refused one is named.
pub fn check(user: &User, actions: &[Action], own: bool) -> Result<(), ContentError> {
    match actions.iter().find(|&&a| !may(user.role, a, own)) {
        Some(&refused) => Err(ContentError::Forbidden(refusal(user.role, refused))),
        None => Ok(()),
    }
}

/// A revision's fields as saved. Revisions from before bodies were
/// documents hold the body as Markdown (`body_md`): it is read as it was
/// shown then, so restoring one brings back what readers saw.
pub fn revision_fields<T: serde::de::DeserializeOwned>(json: &str) -> Option<T> {
    use crate::model::document::markdown::{Typography, to_document};
    let mut value: serde_json::Value = serde_json::from_str(json).ok()?;
    if let Some(map) = value.as_object_mut()
        && !map.contains_key("body")
        && let Some(serde_json::Value::String(markdown)) = map.remove("body_md")
    {
        let body = to_document(&markdown, Typography::Typographic);
        map.insert("body".into(), body.as_str().into());
    }
    serde_json::from_value(value).ok()
}

/// A story's editable fields: what the editor's form holds, and what a
/// revision keeps (as JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct StoryFields {
    pub headline: String,
    pub dek: String,
    pub label: String,
    pub section_id: String,
    /// The body's HTML as the editor sent it (or as stored).
    pub body: String,
    pub custom_excerpt: String,
    pub hero_image_id: String,
    /// This story's words for its hero (empty: the library's).
    pub hero_alt: String,
    pub hero_caption: String,
    pub hero_credit: String,
    /// Empty: follows the headline until first publication.
    pub slug: String,
    pub seo_title: String,
    pub seo_description: String,
    pub featured: bool,
    /// In byline order.
    pub author_ids: Vec<String>,
    /// Tag names, in order; unknown ones are created.
    pub tags: Vec<String>,
    /// The time a scheduled story goes out.
    pub publish_at: Option<UnixTime>,
}

impl StoryFields {
    /// The fields of a stored story (tag names looked up in `tags`).
    pub fn of(card: &StoryCard, tags: &[Tag]) -> StoryFields {
        let s = &card.story;
        StoryFields {
            headline: s.headline.clone(),
            dek: s.dek.clone(),
            label: s.label.clone(),
            section_id: s.section_id.clone(),
            body: s.body.as_str().to_string(),
            custom_excerpt: s.custom_excerpt.clone().unwrap_or_default(),
            hero_image_id: s.hero_image_id.clone().unwrap_or_default(),
            hero_alt: s.hero_alt.clone().unwrap_or_default(),
            hero_caption: s.hero_caption.clone().unwrap_or_default(),
            hero_credit: s.hero_credit.clone().unwrap_or_default(),
            slug: s.slug.clone(),
            seo_title: s.seo_title.clone().unwrap_or_default(),
            seo_description: s.seo_description.clone().unwrap_or_default(),
            featured: s.featured,
            author_ids: card.author_ids.clone(),
            tags: card
                .tag_ids
                .iter()
                .filter_map(|id| tags.iter().find(|t| &t.id == id))
                .map(|t| t.name.clone())
                .collect(),
            publish_at: s.published_at,
        }
    }
}

/// The slug to ask for: None lets it follow the headline (a draft whose
/// slug still is the one its old headline made), else the editor's.
fn requested_slug(typed: &str, stored: Option<&Story>) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return None;
    }
    match stored {
        Some(s) if s.slug == typed && s.slug.starts_with(&slug::slugify(&s.headline)) => None,
        _ => Some(typed.to_string()),
    }
}

fn blank_to_none(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// Saves a story from the desk as `user`, taking `step`. `based_on` is the
/// revision the editor's copy was loaded at.
pub async fn save_story(
    store: &Store,
    settings: &SiteSettings,
    user: &User,
    stored: Option<&StoryCard>,
    fields: StoryFields,
    step: Step,
    based_on: Option<i64>,
) -> Result<Story, ContentError> {
    let own = stored.is_none_or(|c| owns(user, c.story.created_by.as_deref(), &c.author_ids));
    check(
        user,
        &actions_for(step, stored.map(|c| c.story.status)),
        own,
    )?;
    let mut fields = fields;
    check_credits(store, user, stored, &fields, own).await?;
    fields.tags = clean_tags(&fields.tags);
    let (tag_ids, new_tags) = resolve_tags(store, &fields.tags).await?;
    let draft = StoryDraft {
        slug: requested_slug(&fields.slug, stored.map(|c| &c.story)),
        headline: fields.headline.clone(),
        dek: fields.dek.clone(),
        label: fields.label.clone(),
        section_id: fields.section_id.clone(),
        body: crate::services::publishing::read_body(&fields.body).await?,
        custom_excerpt: blank_to_none(&fields.custom_excerpt),
        hero_image_id: blank_to_none(&fields.hero_image_id),
        hero_alt: blank_to_none(&fields.hero_alt),
        hero_caption: blank_to_none(&fields.hero_caption),
        hero_credit: blank_to_none(&fields.hero_credit),
        status: step.status(),
        featured: fields.featured,
        published_at: scheduled_time(step, stored.map(|c| c.story.status), fields.publish_at),
        author_ids: fields.author_ids.clone(),
        tag_ids,
        seo_title: blank_to_none(&fields.seo_title),
        seo_description: blank_to_none(&fields.seo_description),
        updated_at: None,
    };
    let mut write = prepare_story(store, settings, stored.map(|c| &c.story), draft).await?;
    write.new_tags = new_tags;
    if stored.is_none() {
        write.story.created_by = Some(user.id.clone());
    }
    let tags = if stored.is_some() {
        store.tags().await?
    } else {
        vec![]
    };
    write.edit = Some(Edit {
        saved_by: Some(user.id.clone()),
        based_on,
        fields: fields_json(&fields),
        baseline: stored.map(|c| fields_json(&StoryFields::of(c, &tags))),
    });
    let mut story = write.story.clone();
    store
        .save_stories(std::slice::from_ref(&write))
        .await
        .map_err(|e| refused_save(e, &story.slug))?;
    // The counter the save moved on (what the editor's next save is based on).
    story.revision += i64::from(stored.is_some());
    for tag in &write.new_tags {
        crate::services::webhook_events::tag_added(store, &tag.id).await;
    }
    crate::services::webhook_events::story_changed(store, stored.map(|c| &c.story), Some(&story))
        .await;
    log(
        store,
        user,
        step.logged_as(stored.is_none()),
        "story",
        &story.headline,
        Some(crate::model::accounts::ActivityTarget::Story(&story.id)),
    )
    .await;
    Ok(story)
}

/// Bylines and the featured mark: who may not credit others must stay on
/// the byline of what they save (co-authors beside them are welcome), and
/// only those who may feature a story change whether it is featured.
async fn check_credits(
    store: &Store,
    user: &User,
    stored: Option<&StoryCard>,
    fields: &StoryFields,
    own: bool,
) -> Result<(), ContentError> {
    if !may(user.role, Action::CreditOthers, own) {
        let mine = author_of(store, user).await?.id;
        if !fields.author_ids.contains(&mine) {
            return Err(ContentError::Forbidden(format!(
                "{} Keep yourself among the authors and add co-authors beside you.",
                refusal(user.role, Action::CreditOthers)
            )));
        }
    }
    let featured_now = stored.is_some_and(|c| c.story.featured);
    if fields.featured != featured_now {
        check(user, &[Action::Feature], own)?;
    }
    Ok(())
}

/// The time sent with a step: only scheduling (or saving a scheduled
/// piece) sets one; publishing now, or keeping the first date, needs none.
fn scheduled_time(step: Step, stored: Option<Status>, at: Option<UnixTime>) -> Option<UnixTime> {
    let stays_scheduled =
        matches!(step, Step::Save | Step::Restore) && stored == Some(Status::Scheduled);
    (step == Step::Schedule || stays_scheduled)
        .then_some(at)
        .flatten()
}

fn refused_save(e: StoreError, slug: &str) -> ContentError {
    match e {
        StoreError::Stale => ContentError::Stale,
        other => slug_conflict(other, slug),
    }
}

/// A line of the activity log about a piece; `target`: the piece to link
/// to, when it still exists.
async fn log(
    store: &Store,
    user: &User,
    action: &str,
    kind: &str,
    headline: &str,
    target: Option<crate::model::accounts::ActivityTarget<'_>>,
) {
    let action = format!("{action} {kind}");
    crate::services::activity::record(store, Some(&user.id), &action, headline, target).await;
}

/// Tag names as typed: trimmed, without blanks or repeats (ignoring case).
fn clean_tags(names: &[String]) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if !kept.iter().any(|k| k.eq_ignore_ascii_case(name)) {
            kept.push(name.chars().take(100).collect());
        }
    }
    kept
}

/// The ids of the named tags, creating those that do not exist yet.
/// The ids of the tags named, and the tags among them that are new (made
/// here, stored only with the story that names them).
async fn resolve_tags(
    store: &Store,
    names: &[String],
) -> Result<(Vec<String>, Vec<Tag>), ContentError> {
    if names.is_empty() {
        return Ok((vec![], vec![]));
    }
    let mut new_tags = Vec::new();
    // Tags made here join the known ones: a later name that makes the same
    // address ("Ünïcode", then "unicode") is the same tag.
    let mut known = store.tags().await?;
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let slug = slug::slugify(name);
        if slug.is_empty() {
            return Err(ContentError::Invalid {
                field: "tags",
                message: format!("the tag {name:?} needs at least one letter or digit"),
            });
        }
        let found = known
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name) || t.slug == slug);
        let id = match found {
            Some(tag) => tag.id.clone(),
            None => {
                let tag = Tag {
                    id: new_id(),
                    slug,
                    name: name.clone(),
                    description: String::new(),
                };
                let id = tag.id.clone();
                known.push(tag.clone());
                new_tags.push(tag);
                id
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok((ids, new_tags))
}

/// The author profile a person writes as, made from their name the first
/// time they need one.
pub async fn author_of(store: &Store, user: &User) -> Result<Author, ContentError> {
    let authors = store.authors().await?;
    // The copy of the account in hand may predate the profile made for it
    // earlier in the same request.
    let author_id = match &user.author_id {
        Some(id) => Some(id.clone()),
        None => store.user_by_id(&user.id).await?.and_then(|u| u.author_id),
    };
    if let Some(author) = author_id
        .as_ref()
        .and_then(|id| authors.iter().find(|a| &a.id == id))
    {
        return Ok(author.clone());
    }
    let base = slug::slugify(&user.name);
    let base = if base.is_empty() {
        "author".to_string()
    } else {
        base
    };
    let slug = slug::candidates(&base)
        .find(|c| !authors.iter().any(|a| &a.slug == c))
        .unwrap_or_else(|| format!("{base}-{}", &new_id()[..8]));
    let author = Author {
        id: new_id(),
        slug,
        name: user.name.clone(),
        bio: String::new(),
        role_line: String::new(),
        photo_id: None,
        links: "[]".into(),
    };
    store.save_author(&author).await?;
    store.set_user_author(&user.id, &author.id).await?;
    Ok(author)
}

/// What changed between two versions of a story, fields named as the
/// editor names them (sections and authors by name).
pub fn story_changes(
    before: &StoryFields,
    after: &StoryFields,
    sections: &[crate::model::Section],
    authors: &[Author],
) -> Vec<FieldChange> {
    let section = |id: &str| {
        sections
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    };
    let bylines = |ids: &[String]| {
        ids.iter()
            .map(|id| {
                authors
                    .iter()
                    .find(|a| &a.id == id)
                    .map_or_else(|| id.clone(), |a| a.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let pair =
        |name, f: &dyn Fn(&StoryFields) -> String| (name, Compared::Text(f(before), f(after)));
    let body = (
        "Body",
        Compared::Document(before.body.clone(), after.body.clone()),
    );
    diff::changes(&[
        pair("Headline", &|f| f.headline.clone()),
        pair("Dek", &|f| f.dek.clone()),
        pair("Label", &|f| f.label.clone()),
        pair("Section", &|f| section(&f.section_id)),
        pair("Authors", &|f| bylines(&f.author_ids)),
        pair("Tags", &|f| f.tags.join(", ")),
        pair("Hero image", &|f| f.hero_image_id.clone()),
        pair("Hero alt text", &|f| f.hero_alt.clone()),
        pair("Hero caption", &|f| f.hero_caption.clone()),
        pair("Hero credit", &|f| f.hero_credit.clone()),
        body,
        pair("Excerpt", &|f| f.custom_excerpt.clone()),
        pair("Slug", &|f| f.slug.clone()),
        pair("SEO title", &|f| f.seo_title.clone()),
        pair("SEO description", &|f| f.seo_description.clone()),
        pair("Featured", &|f| yes_no(f.featured)),
    ])
}

/// What changed between two versions of a brief.
pub fn brief_changes(before: &BriefFields, after: &BriefFields) -> Vec<FieldChange> {
    let pair =
        |name, f: &dyn Fn(&BriefFields) -> String| (name, Compared::Text(f(before), f(after)));
    let body = (
        "Body",
        Compared::Document(before.body.clone(), after.body.clone()),
    );
    diff::changes(&[
        pair("Headline", &|f| f.headline.clone()),
        body,
        pair("Link", &|f| f.link_url.clone()),
        pair("Image", &|f| f.image_id.clone()),
        pair("Slug", &|f| f.slug.clone()),
    ])
}

/// A story as the editor's fields would make it, without saving: what the
/// preview renders. Tags not created yet are left out.
pub async fn preview_card(
    store: &Store,
    stored: Option<&StoryCard>,
    fields: &StoryFields,
) -> Result<StoryCard, ContentError> {
    let known = store.tags().await?;
    let tag_ids = fields
        .tags
        .iter()
        .filter_map(|name| {
            known
                .iter()
                .find(|t| t.name.eq_ignore_ascii_case(name.trim()))
        })
        .map(|t| t.id.clone())
        .collect();
    let hero = match blank_to_none(&fields.hero_image_id) {
        Some(id) => store.images_by_ids(&[id]).await?.pop().map(|image| Image {
            alt: blank_to_none(&fields.hero_alt).unwrap_or(image.alt),
            caption: blank_to_none(&fields.hero_caption).unwrap_or(image.caption),
            credit: blank_to_none(&fields.hero_credit).unwrap_or(image.credit),
            ..image
        }),
        None => None,
    };
    let now = store.clock().now();
    let body = crate::services::publishing::read_body(&fields.body).await?;
    let story = Story {
        id: stored.map_or_else(new_id, |c| c.story.id.clone()),
        slug: blank_to_none(&fields.slug).unwrap_or_else(|| slug::slugify(&fields.headline)),
        headline: fields.headline.trim().to_string(),
        dek: fields.dek.trim().to_string(),
        label: fields.label.clone(),
        section_id: fields.section_id.clone(),
        reading_minutes: body.reading_minutes(),
        body,
        custom_excerpt: blank_to_none(&fields.custom_excerpt),
        hero_image_id: hero.as_ref().map(|h| h.id.clone()),
        status: Status::Draft,
        featured: fields.featured,
        published_at: Some(stored.and_then(|c| c.story.published_at).unwrap_or(now)),
        created_at: stored.map_or(now, |c| c.story.created_at),
        updated_at: now,
        seo_title: blank_to_none(&fields.seo_title),
        seo_description: blank_to_none(&fields.seo_description),
        hero_alt: blank_to_none(&fields.hero_alt),
        hero_caption: blank_to_none(&fields.hero_caption),
        hero_credit: blank_to_none(&fields.hero_credit),
        created_by: None,
        revision: 0,
    };
    Ok(StoryCard {
        story,
        hero,
        author_ids: fields.author_ids.clone(),
        tag_ids,
        notes: stored.map_or(0, |c| c.notes),
        live_from: stored.and_then(|c| c.live_from),
    })
}

/// The story's secret preview link token, made the first time it is asked
/// for; anyone who may edit the story may share it.
pub async fn preview_token(
    store: &Store,
    user: &User,
    card: &StoryCard,
) -> Result<String, ContentError> {
    let own = owns(user, card.story.created_by.as_deref(), &card.author_ids);
    check(user, &[Action::Edit], own)?;
    if let Some(token) = store.story_preview_token(&card.story.id).await? {
        return Ok(token);
    }
    let token = crate::services::accounts::secret();
    store
        .set_story_preview_token(&card.story.id, Some(&token))
        .await?;
    log(
        store,
        user,
        "shared a preview link of",
        "story",
        &card.story.headline,
        Some(crate::model::accounts::ActivityTarget::Story(
            &card.story.id,
        )),
    )
    .await;
    Ok(token)
}

/// A story's pinned and excluded related stories as the desk shows them:
/// slugs, one a line.
pub async fn related_choices(
    store: &Store,
    story_id: &str,
) -> Result<(String, String), StoreError> {
    let lists = store.related_lists(story_id).await?;
    let ids: Vec<String> = lists
        .pinned
        .iter()
        .chain(&lists.excluded)
        .cloned()
        .collect();
    let cards = store.story_cards_by_ids(&ids).await?;
    let slugs = |ids: &[String]| {
        ids.iter()
            .filter_map(|id| cards.iter().find(|c| &c.story.id == id))
            .map(|c| c.story.slug.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    Ok((slugs(&lists.pinned), slugs(&lists.excluded)))
}

/// Saves the editors' word on a story's related stories from the desk's
/// text: each line a story's slug or address. Pinned ones show first, in
/// their order; excluded ones never show. Needs the right to edit it.
pub async fn set_related_choices(
    store: &Store,
    user: &User,
    card: &StoryCard,
    pinned: &str,
    excluded: &str,
) -> Result<(), ContentError> {
    let own = owns(user, card.story.created_by.as_deref(), &card.author_ids);
    check(user, &[Action::Edit], own)?;
    let mut choices: Vec<(String, RelatedChoice)> = Vec::new();
    for (text, choice, field) in [
        (pinned, RelatedChoice::Pin, "related_pinned"),
        (excluded, RelatedChoice::Exclude, "related_excluded"),
    ] {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            // A pasted address: its last part is the slug.
            let slug = line
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or(line);
            let Some(found) = store.story_by_slug(slug).await? else {
                return Err(ContentError::Invalid {
                    field,
                    message: format!(
                        "there is no story at \u{201c}{line}\u{201d}: give a story's address or slug, one a line"
                    ),
                });
            };
            if found.id == card.story.id {
                return Err(ContentError::Invalid {
                    field,
                    message: "a story cannot be related to itself".into(),
                });
            }
            if choices.iter().any(|(id, _)| id == &found.id) {
                return Err(ContentError::Invalid {
                    field,
                    message: format!(
                        "\u{201c}{}\u{201d} is named twice: pin it or exclude it, once",
                        found.headline
                    ),
                });
            }
            choices.push((found.id, choice));
        }
    }
    store.set_related_choices(&card.story.id, &choices).await?;
    log(
        store,
        user,
        "chose the related stories of",
        "story",
        &card.story.headline,
        Some(crate::model::accounts::ActivityTarget::Story(
            &card.story.id,
        )),
    )
    .await;
    Ok(())
}

/// Withdraws the secret preview link: the old one stops working.
pub async fn withdraw_preview(
    store: &Store,
    user: &User,
    card: &StoryCard,
) -> Result<(), ContentError> {
    let own = owns(user, card.story.created_by.as_deref(), &card.author_ids);
    check(user, &[Action::Edit], own)?;
    store.set_story_preview_token(&card.story.id, None).await?;
    Ok(())
}

/// Deletes a story, if `user` may.
pub async fn delete_story(
    store: &Store,
    user: &User,
    card: &StoryCard,
) -> Result<(), ContentError> {
    let own = owns(user, card.story.created_by.as_deref(), &card.author_ids);
    let mut actions = vec![Action::Delete];
    if matches!(card.story.status, Status::Published | Status::Scheduled) {
        actions.push(Action::Unpublish);
    }
    check(user, &actions, own)?;
    store.delete_story(&card.story.id).await?;
    log(store, user, "deleted", "story", &card.story.headline, None).await;
    crate::services::webhook_events::story_changed(store, Some(&card.story), None).await;
    Ok(())
}

/// A brief's editable fields, as a revision keeps them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct BriefFields {
    pub headline: String,
    /// The body's HTML as the editor sent it (or as stored).
    pub body: String,
    pub link_url: String,
    pub image_id: String,
    pub slug: String,
    pub publish_at: Option<UnixTime>,
}

impl BriefFields {
    pub fn of(b: &Brief) -> BriefFields {
        BriefFields {
            headline: b.headline.clone(),
            body: b.body.as_str().to_string(),
            link_url: b.link_url.clone().unwrap_or_default(),
            image_id: b.image_id.clone().unwrap_or_default(),
            slug: b.slug.clone(),
            publish_at: b.published_at,
        }
    }
}

/// Saves a brief from the desk, as `save_story` does a story.
pub async fn save_brief(
    store: &Store,
    user: &User,
    stored: Option<&Brief>,
    fields: BriefFields,
    step: Step,
    based_on: Option<i64>,
) -> Result<Brief, ContentError> {
    let own = stored.is_none_or(|b| owns(user, b.created_by.as_deref(), &[]));
    check(user, &actions_for(step, stored.map(|b| b.status)), own)?;
    let typed_slug = fields.slug.trim();
    let slug = match stored {
        Some(b) if b.slug == typed_slug && b.slug.starts_with(&slug::slugify(&b.headline)) => None,
        _ => blank_to_none(typed_slug),
    };
    let draft = BriefDraft {
        slug,
        headline: fields.headline.clone(),
        body: crate::services::publishing::read_body(&fields.body).await?,
        link_url: blank_to_none(&fields.link_url),
        image_id: blank_to_none(&fields.image_id),
        status: step.status(),
        published_at: scheduled_time(step, stored.map(|b| b.status), fields.publish_at),
        updated_at: None,
    };
    let mut write = prepare_brief(store, stored, draft).await?;
    if stored.is_none() {
        write.brief.created_by = Some(user.id.clone());
    }
    write.edit = Some(Edit {
        saved_by: Some(user.id.clone()),
        based_on,
        fields: fields_json(&fields),
        baseline: stored.map(|b| fields_json(&BriefFields::of(b))),
    });
    store
        .save_brief(&write)
        .await
        .map_err(|e| refused_save(e, &write.brief.slug))?;
    log(
        store,
        user,
        step.logged_as(stored.is_none()),
        "brief",
        &write.brief.headline,
        Some(crate::model::accounts::ActivityTarget::Brief(
            &write.brief.id,
        )),
    )
    .await;
    let mut brief = write.brief;
    brief.revision += i64::from(stored.is_some());
    Ok(brief)
}

/// Deletes a brief, if `user` may.
pub async fn delete_brief(store: &Store, user: &User, brief: &Brief) -> Result<(), ContentError> {
    let own = owns(user, brief.created_by.as_deref(), &[]);
    let mut actions = vec![Action::Delete];
    if matches!(brief.status, Status::Published | Status::Scheduled) {
        actions.push(Action::Unpublish);
    }
    check(user, &actions, own)?;
    store.delete_brief(&brief.id).await?;
    log(store, user, "deleted", "brief", &brief.headline, None).await;
    Ok(())
}

/// A correction or update note added to a story by someone who may edit
/// it; in the activity log.
pub async fn add_note(
    store: &Store,
    user: &User,
    card: &StoryCard,
    kind: crate::model::NoteKind,
    noted_at: crate::model::UnixTime,
    body: &str,
) -> Result<crate::model::StoryNote, ContentError> {
    let own = owns(user, card.story.created_by.as_deref(), &card.author_ids);
    check(user, &actions_for(Step::Save, Some(card.story.status)), own)?;
    let note =
        crate::services::publishing::add_note(store, &card.story, kind, noted_at, body).await?;
    let action = format!("added a {} to", kind.as_str());
    let target = Some(crate::model::accounts::ActivityTarget::Story(
        &card.story.id,
    ));
    log(store, user, &action, "story", &card.story.headline, target).await;
    Ok(note)
}

/// Characters of a changed note's old words the activity log repeats.
const NOTE_IN_LOG: usize = 200;

/// An editor's change to a correction or update note: the new wording
/// replaces the note (`None`: it is removed), the old one is kept in the
/// story's history, and the activity log says what it read before.
pub async fn change_note(
    store: &Store,
    user: &User,
    card: &StoryCard,
    note_id: &str,
    change: Option<(crate::model::NoteKind, crate::model::UnixTime, &str)>,
) -> Result<(), ContentError> {
    // Changing what the publication once said is an editor's call.
    check(user, &[Action::Edit], false)?;
    let notes = store.notes_of_story(&card.story.id).await?;
    let old = notes
        .iter()
        .find(|n| n.id == note_id)
        .ok_or(ContentError::Stale)?;
    let replacement = match change {
        Some((kind, noted_at, body)) => {
            let body = body.trim();
            if body.is_empty() {
                return Err(ContentError::Invalid {
                    field: "body",
                    message: "the note is empty: write what it should say, or remove it".into(),
                });
            }
            Some(crate::model::StoryNote {
                id: new_id(),
                story_id: card.story.id.clone(),
                kind,
                noted_at,
                body: body.to_string(),
            })
        }
        None => None,
    };
    store
        .replace_note(&card.story.id, note_id, replacement.as_ref(), &user.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ContentError::Stale,
            other => ContentError::Storage(other),
        })?;
    let verb = if replacement.is_some() {
        "changed"
    } else {
        "removed"
    };
    let was: String = old.body.chars().take(NOTE_IN_LOG).collect();
    let cut = if old.body.chars().count() > NOTE_IN_LOG {
        "\u{2026}"
    } else {
        ""
    };
    let action = format!(
        "{verb} a {} (it read: \u{201c}{was}{cut}\u{201d}) on",
        old.kind.as_str()
    );
    let target = Some(crate::model::accounts::ActivityTarget::Story(
        &card.story.id,
    ));
    log(store, user, &action, "story", &card.story.headline, target).await;
    Ok(())
}

/// Whether `user` may send a story to a newsletter as `step` takes it out:
/// asked before the story is saved, so a refusal leaves nothing changed.
pub fn may_send(user: &User) -> Result<(), ContentError> {
    if may(user.role, Action::Curate, false) {
        Ok(())
    } else {
        Err(ContentError::Forbidden(
            "Only an editor or an owner sends a story to a newsletter: save it without choosing one."
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::accounts::Role;

    fn user(role: Role) -> User {
        User {
            id: "u".into(),
            email: "u@example.com".into(),
            name: "U".into(),
            role,
            password_hash: None,
            created_at: 0,
            author_id: Some("a".into()),
        }
    }

    #[test]
    fn changing_a_live_story_is_publishing() {
        let contributor = user(Role::Contributor);
        let own = true;
        let draft_save = actions_for(Step::Save, Some(Status::Draft));
        assert!(check(&contributor, &draft_save, own).is_ok());
        let live_save = actions_for(Step::Save, Some(Status::Published));
        assert!(check(&contributor, &live_save, own).is_err());
        assert!(check(&user(Role::Author), &live_save, own).is_ok());
        assert!(check(&user(Role::Author), &live_save, false).is_err());
    }

    #[test]
    fn sending_back_from_review_is_editing_but_taking_down_is_unpublishing() {
        assert_eq!(
            actions_for(Step::Unpublish, Some(Status::Review)),
            vec![Action::Edit]
        );
        assert_eq!(
            actions_for(Step::Unpublish, Some(Status::Published)),
            vec![Action::Edit, Action::Unpublish]
        );
    }

    #[test]
    fn a_piece_is_yours_when_you_started_it_or_write_it() {
        let u = user(Role::Author);
        assert!(owns(&u, Some("u"), &[]));
        assert!(owns(&u, None, &["b".into(), "a".into()]));
        assert!(!owns(&u, Some("x"), &["b".into()]));
    }

    #[test]
    fn a_derived_slug_follows_the_headline_a_chosen_one_stays() {
        assert_eq!(requested_slug("", None), None);
        assert_eq!(requested_slug("my-slug", None), Some("my-slug".into()));
        let mut story = crate::model::Story {
            id: "s".into(),
            slug: "old-headline-2".into(),
            headline: "Old headline".into(),
            dek: String::new(),
            label: String::new(),
            section_id: String::new(),
            body: Default::default(),
            custom_excerpt: None,
            hero_image_id: None,
            status: Status::Draft,
            featured: false,
            published_at: None,
            created_at: 0,
            updated_at: 0,
            reading_minutes: 1,
            seo_title: None,
            seo_description: None,
            hero_alt: None,
            hero_caption: None,
            hero_credit: None,
            created_by: None,
            revision: 1,
        };
        assert_eq!(requested_slug("old-headline-2", Some(&story)), None);
        story.slug = "chosen".into();
        assert_eq!(
            requested_slug("chosen", Some(&story)),
            Some("chosen".into())
        );
        assert_eq!(clean_tags(&[" a ".into(), "A".into(), "".into()]), ["a"]);
    }
}
