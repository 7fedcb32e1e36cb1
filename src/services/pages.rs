//! Static pages: who may change them (editors and owners: they speak for
//! the publication), the rules of their titles and addresses, and their
//! saves with revisions.

use serde::{Deserialize, Serialize};

use crate::model::accounts::User;
use crate::model::{Page, Status, new_id, slug};
use crate::services::diff::{self, Compared, FieldChange};
use crate::services::editing::Step;
use crate::services::permissions::{Action, may};
use crate::services::publishing::{ContentError, check_alt_text};
use crate::store::{Edit, SlugKind, Store, StoreError};

const MAX_TITLE_CHARS: usize = 200;

/// A page's editable fields, as the form holds them and a revision keeps them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PageFields {
    pub title: String,
    /// Empty: made from the title.
    pub slug: String,
    /// The body's HTML as the editor sent it (or as stored).
    pub body: String,
    pub hero_image_id: String,
    pub in_navigation: bool,
    pub in_footer: bool,
    pub position: i32,
    /// In byline order.
    pub author_ids: Vec<String>,
}

impl PageFields {
    pub fn of(p: &Page) -> PageFields {
        PageFields {
            title: p.title.clone(),
            slug: p.slug.clone(),
            body: p.body.as_str().to_string(),
            hero_image_id: p.hero_image_id.clone().unwrap_or_default(),
            in_navigation: p.in_navigation,
            in_footer: p.in_footer,
            position: p.position,
            author_ids: p.author_ids(),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ContentError {
    ContentError::Invalid {
        field,
        message: message.into(),
    }
}

/// Whether this person may change pages at all.
pub fn may_manage(user: &User) -> bool {
    may(user.role, Action::Curate, false)
}

fn must_manage(user: &User) -> Result<(), ContentError> {
    if may_manage(user) {
        Ok(())
    } else {
        Err(ContentError::Forbidden(
            "Pages speak for the whole publication: an editor or an owner looks after them.".into(),
        ))
    }
}

/// Checks a page's fields and builds the row (nothing saved).
async fn prepare(
    store: &Store,
    stored: Option<&Page>,
    fields: &PageFields,
    status: Status,
) -> Result<Page, ContentError> {
    let title = fields.title.trim();
    if title.is_empty() {
        return Err(invalid("title", "a page needs a title"));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(invalid(
            "title",
            format!("the title is longer than {MAX_TITLE_CHARS} characters: shorten it"),
        ));
    }
    let slug = match fields.slug.trim() {
        "" => slug::slugify(title),
        typed => typed.to_string(),
    };
    if !slug::is_valid(&slug) {
        return Err(invalid(
            "slug",
            format!("the slug {slug:?} may hold only lowercase letters, digits and single hyphens"),
        ));
    }
    if crate::urls::RESERVED.contains(&slug.as_str()) {
        return Err(invalid(
            "slug",
            format!("/{slug} is an address the site uses itself: choose another slug"),
        ));
    }
    let id = stored.map_or_else(new_id, |p| p.id.clone());
    // Another page's slug, or one it was known by (a redirect to it).
    if store.slug_taken(SlugKind::Page, &slug, &id).await? {
        return Err(ContentError::SlugTaken(slug));
    }
    let hero = Some(fields.hero_image_id.trim().to_string()).filter(|h| !h.is_empty());
    let body = crate::services::publishing::read_body(&fields.body).await?;
    if status == Status::Published {
        check_alt_text(store, hero.as_deref(), None, &body).await?;
    }
    if !(0..=1000).contains(&fields.position) {
        return Err(invalid(
            "position",
            "the position is a number from 0 to 1000",
        ));
    }
    let authors = store.authors().await?;
    if let Some(unknown) = fields
        .author_ids
        .iter()
        .find(|id| !authors.iter().any(|a| &a.id == *id))
    {
        return Err(invalid(
            "author",
            format!("there is no author {unknown:?}: choose from the list"),
        ));
    }
    let mut author_ids: Vec<String> = Vec::new();
    for id in &fields.author_ids {
        if !author_ids.contains(id) {
            author_ids.push(id.clone());
        }
    }
    let now = store.clock().now();
    Ok(Page {
        id,
        slug,
        title: title.to_string(),
        body,
        hero_image_id: hero,
        status,
        in_navigation: fields.in_navigation,
        in_footer: fields.in_footer,
        position: fields.position,
        created_at: stored.map_or(now, |p| p.created_at),
        updated_at: now,
        created_by: stored.and_then(|p| p.created_by.clone()),
        revision: stored.map_or(1, |p| p.revision),
        authors: Page::authors_json(&author_ids),
    })
}

/// Saves a page from the desk as `user`, taking `step` (save, publish or
/// unpublish). `based_on` is the revision the editor's copy was loaded at.
pub async fn save(
    store: &Store,
    user: &User,
    stored: Option<&Page>,
    fields: PageFields,
    step: Step,
    based_on: Option<i64>,
) -> Result<Page, ContentError> {
    must_manage(user)?;
    let status = match step {
        Step::Save | Step::Restore => stored.map_or(Status::Draft, |p| p.status),
        Step::Publish => Status::Published,
        Step::Unpublish => Status::Draft,
        _ => {
            return Err(invalid(
                "step",
                "pages are saved, published or unpublished: use one of those buttons",
            ));
        }
    };
    // A page names at least one author, as Ghost's front-ends expect: the
    // person who saves it unless the form names others.
    let mut fields = fields;
    fields.author_ids.retain(|id| !id.is_empty());
    if fields.author_ids.is_empty() {
        let mine = crate::services::editing::author_of(store, user).await?;
        fields.author_ids.push(mine.id);
    }
    let mut page = prepare(store, stored, &fields, status).await?;
    if stored.is_none() {
        page.created_by = Some(user.id.clone());
    }
    let edit = Edit {
        saved_by: Some(user.id.clone()),
        based_on,
        fields: crate::services::editing::fields_json(&fields),
        baseline: stored.map(|p| crate::services::editing::fields_json(&PageFields::of(p))),
    };
    store
        .save_page(&page, Some(&edit))
        .await
        .map_err(|e| match e {
            StoreError::Stale => ContentError::Stale,
            StoreError::Conflict(_) => ContentError::SlugTaken(page.slug.clone()),
            other => ContentError::Storage(other),
        })?;
    let action = match step {
        Step::Publish => "published page",
        Step::Unpublish => "unpublished page",
        Step::Restore => "restored an earlier revision of page",
        _ if stored.is_none() => "started page",
        _ => "edited page",
    };
    if let Err(e) = store
        .log_activity_on(
            Some(&user.id),
            action,
            &page.title,
            Some(crate::model::accounts::ActivityTarget::Page(&page.id)),
        )
        .await
    {
        tracing::warn!(error = %e, "could not record a change in the activity log");
    }
    page.revision += i64::from(stored.is_some());
    crate::services::webhook_events::page_changed(store, stored, &page).await;
    Ok(page)
}

/// A page as the fields would make it, unsaved: what the preview shows.
pub async fn preview(
    store: &Store,
    stored: Option<&Page>,
    fields: &PageFields,
) -> Result<Page, ContentError> {
    match prepare(store, stored, fields, Status::Draft).await {
        Ok(page) => Ok(page),
        // A preview shows what there is, even before the slug is settled
        // or a title written.
        Err(
            ContentError::SlugTaken(_)
            | ContentError::Invalid {
                field: "slug" | "title",
                ..
            },
        ) => {
            let mut fields = fields.clone();
            fields.slug = String::new();
            if fields.title.trim().is_empty() {
                fields.title = "(a page with no title yet)".into();
            }
            prepare(store, None, &fields, Status::Draft).await
        }
        Err(e) => Err(e),
    }
}

pub async fn delete(store: &Store, user: &User, page: &Page) -> Result<(), ContentError> {
    must_manage(user)?;
    store.delete_page(&page.id).await?;
    if let Err(e) = store
        .log_activity(Some(&user.id), "deleted page", &page.title)
        .await
    {
        tracing::warn!(error = %e, "could not record a change in the activity log");
    }
    Ok(())
}

/// What changed between two versions of a page.
pub fn changes(before: &PageFields, after: &PageFields) -> Vec<FieldChange> {
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let pair =
        |name, f: &dyn Fn(&PageFields) -> String| (name, Compared::Text(f(before), f(after)));
    let body = (
        "Body",
        Compared::Document(before.body.clone(), after.body.clone()),
    );
    diff::changes(&[
        pair("Title", &|f| f.title.clone()),
        pair("Slug", &|f| f.slug.clone()),
        body,
        pair("Hero image", &|f| f.hero_image_id.clone()),
        pair("In the navigation", &|f| yes_no(f.in_navigation)),
        pair("In the footer", &|f| yes_no(f.in_footer)),
        pair("Authors", &|f| f.author_ids.join(", ")),
        pair("Position", &|f| f.position.to_string()),
    ])
}
