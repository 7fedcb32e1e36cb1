//! Sections, tags, labels and authors' profiles as the desk changes them:
//! editors and owners manage them (a person may also keep their own author
//! profile); names and addresses follow the site's rules; a section with
//! stories is never deleted from under them.

use std::fmt;

use crate::model::accounts::User;
use crate::model::text::capitalized;
use crate::model::{Author, Link, Section, Tag, new_id, slug};
use crate::services::permissions::{Action, may, refusal};
use crate::services::settings::{self, SettingsError};
use crate::store::{Store, StoreError};

const MAX_NAME_CHARS: usize = 100;
const MAX_TEXT_CHARS: usize = 2000;

#[derive(Debug)]
pub enum TaxonomyError {
    Forbidden(String),
    Invalid {
        field: &'static str,
        message: String,
    },
    NotFound,
    Storage(StoreError),
}

impl fmt::Display for TaxonomyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaxonomyError::Forbidden(why) => f.write_str(why),
            TaxonomyError::Invalid { message, .. } => f.write_str(message),
            TaxonomyError::NotFound => f.write_str("It no longer exists: reload the page."),
            TaxonomyError::Storage(e) => write!(f, "saving failed: {e}"),
        }
    }
}

impl From<StoreError> for TaxonomyError {
    fn from(e: StoreError) -> Self {
        TaxonomyError::Storage(e)
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> TaxonomyError {
    TaxonomyError::Invalid {
        field,
        message: message.into(),
    }
}

fn must_manage(user: &User) -> Result<(), TaxonomyError> {
    if may(user.role, Action::ManageTaxonomy, false) {
        Ok(())
    } else {
        Err(TaxonomyError::Forbidden(refusal(
            user.role,
            Action::ManageTaxonomy,
        )))
    }
}

fn check_name(name: &str) -> Result<String, TaxonomyError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "A name is needed."));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            format!("Keep the name under {MAX_NAME_CHARS} characters."),
        ));
    }
    Ok(name.to_string())
}

fn check_slug(typed: &str, name: &str) -> Result<String, TaxonomyError> {
    let slug = match typed.trim() {
        "" => slug::slugify(name),
        typed => typed.to_string(),
    };
    if !slug::is_valid(&slug) {
        return Err(invalid(
            "slug",
            format!(
                "The slug {slug:?} may hold only lowercase letters, digits and single hyphens."
            ),
        ));
    }
    Ok(slug)
}

fn check_text(field: &'static str, text: &str) -> Result<String, TaxonomyError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(
            field,
            format!("Keep it under {MAX_TEXT_CHARS} characters."),
        ));
    }
    Ok(text.trim().to_string())
}

async fn log(store: &Store, user: &User, action: &str, subject: &str) {
    if let Err(e) = store.log_activity(Some(&user.id), action, subject).await {
        tracing::warn!(error = %e, "could not record a change in the activity log");
    }
}

/// What a section form sends.
pub struct SectionForm<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub description: &'a str,
    pub position: &'a str,
}

/// Adds (`id` None) or changes a section.
pub async fn save_section(
    store: &Store,
    user: &User,
    id: Option<&str>,
    form: SectionForm<'_>,
) -> Result<Section, TaxonomyError> {
    must_manage(user)?;
    let sections = store.sections().await?;
    if let Some(id) = id
        && !sections.iter().any(|s| s.id == id)
    {
        return Err(TaxonomyError::NotFound);
    }
    let name = check_name(form.name)?;
    let slug = check_slug(form.slug, &name)?;
    if sections
        .iter()
        .any(|s| s.slug == slug && Some(s.id.as_str()) != id)
    {
        return Err(invalid(
            "slug",
            format!("Another section is already at /section/{slug}: choose another slug."),
        ));
    }
    let position = match form.position.trim() {
        "" => sections.len() as i32,
        typed => typed
            .parse::<i32>()
            .ok()
            .filter(|p| (0..=1000).contains(p))
            .ok_or_else(|| invalid("position", "The order is a number from 0 to 1000."))?,
    };
    let section = Section {
        id: id.map_or_else(new_id, str::to_string),
        slug,
        name,
        description: check_text("description", form.description)?,
        position,
    };
    // The order is a list: the section goes to its place, the others close
    // up around it, and every position is saved as its place in the list.
    let mut order: Vec<Section> = sections
        .into_iter()
        .filter(|s| s.id != section.id)
        .collect();
    let place = (section.position.max(0) as usize).min(order.len());
    order.insert(place, section.clone());
    for (i, mut s) in order.into_iter().enumerate() {
        let renumbered = i as i32;
        if s.id == section.id || s.position != renumbered {
            s.position = renumbered;
            store.save_section(&s).await?;
        }
    }
    log(store, user, "saved section", &section.name).await;
    Ok(Section {
        position: place as i32,
        ..section
    })
}

/// Deletes a section that no story is in.
pub async fn delete_section(store: &Store, user: &User, id: &str) -> Result<(), TaxonomyError> {
    must_manage(user)?;
    let section = store
        .sections()
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(TaxonomyError::NotFound)?;
    let stories = store.taxonomy_usage().await?.get(id).copied().unwrap_or(0);
    if stories > 0 {
        return Err(invalid(
            "section",
            format!(
                "{} still has {stories} stories: move them to another section first.",
                section.name
            ),
        ));
    }
    store.delete_section(id).await?;
    log(store, user, "deleted section", &section.name).await;
    Ok(())
}

/// Changes a tag's name, address or description.
pub async fn save_tag(
    store: &Store,
    user: &User,
    id: &str,
    name: &str,
    slug: &str,
    description: &str,
) -> Result<Tag, TaxonomyError> {
    must_manage(user)?;
    let tags = store.tags().await?;
    if !tags.iter().any(|t| t.id == id) {
        return Err(TaxonomyError::NotFound);
    }
    let name = check_name(name)?;
    let slug = check_slug(slug, &name)?;
    if tags.iter().any(|t| t.slug == slug && t.id != id) {
        return Err(invalid(
            "slug",
            format!("Another tag is already at /tag/{slug}: choose another slug."),
        ));
    }
    let tag = Tag {
        id: id.to_string(),
        slug,
        name,
        description: check_text("description", description)?,
    };
    store.save_tag(&tag).await?;
    log(store, user, "saved tag", &tag.name).await;
    Ok(tag)
}

/// Adds a tag (the Admin API's tags.add; in the desk, tags are made by
/// typing them on a story).
pub async fn add_tag(
    store: &Store,
    user: &User,
    name: &str,
    slug: &str,
    description: &str,
) -> Result<Tag, TaxonomyError> {
    must_manage(user)?;
    let name = check_name(name)?;
    let slug = check_slug(slug, &name)?;
    if store.tag_by_slug(&slug).await?.is_some() {
        return Err(invalid(
            "slug",
            format!("A tag is already at /tag/{slug}: choose another slug."),
        ));
    }
    let tag = Tag {
        id: crate::model::new_id(),
        slug,
        name,
        description: check_text("description", description)?,
    };
    store.save_tag(&tag).await?;
    log(store, user, "added tag", &tag.name).await;
    crate::services::webhook_events::tag_added(store, &tag.id).await;
    Ok(tag)
}

/// Deletes a tag, taking it off the stories that carry it.
pub async fn delete_tag(store: &Store, user: &User, id: &str) -> Result<(), TaxonomyError> {
    must_manage(user)?;
    let tag = store
        .tags_by_ids(&[id.to_string()])
        .await?
        .pop()
        .ok_or(TaxonomyError::NotFound)?;
    store.delete_tag(id).await?;
    log(store, user, "deleted tag", &tag.name).await;
    Ok(())
}

/// Sets the labels stories may carry ("Analysis", "Opinion", …), one a line.
pub async fn save_labels(store: &Store, user: &User, lines: &str) -> Result<(), TaxonomyError> {
    must_manage(user)?;
    let mut labels: Vec<String> = Vec::new();
    for label in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if label.chars().count() > 40 {
            return Err(invalid(
                "labels",
                format!("The label {label:?} is longer than 40 characters."),
            ));
        }
        if !labels.iter().any(|l| l.eq_ignore_ascii_case(label)) {
            labels.push(label.to_string());
        }
    }
    let mut current = store
        .site_settings()
        .await
        .map_err(|e| invalid("labels", e.to_string()))?;
    current.labels = labels;
    settings::save(store, &current).await.map_err(|e| match e {
        SettingsError::Invalid { field, message } => invalid(field, capitalized(&message)),
        SettingsError::Forbidden(why) => TaxonomyError::Forbidden(why),
        SettingsError::Storage(e) => TaxonomyError::Storage(e),
    })?;
    log(store, user, "changed the labels", "").await;
    Ok(())
}

/// Links written one a line as "Label | https://…".
pub fn parse_links(field: &'static str, lines: &str) -> Result<Vec<Link>, TaxonomyError> {
    lines
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (label, url) = line.split_once('|').ok_or_else(|| {
                invalid(
                    field,
                    format!("Write {line:?} as “Label | https://address”."),
                )
            })?;
            checked_link(field, label, url)
        })
        .collect()
}

/// A link as a row of a form: its label, its address, its place in the
/// order. Rows left empty are dropped; the rest are checked and sorted.
pub struct LinkRow<'a> {
    pub label: &'a str,
    pub url: &'a str,
    pub order: f64,
}

pub fn links_from_rows(
    field: &'static str,
    mut rows: Vec<LinkRow<'_>>,
) -> Result<Vec<Link>, TaxonomyError> {
    rows.retain(|r| !(r.label.trim().is_empty() && r.url.trim().is_empty()));
    rows.sort_by(|a, b| a.order.total_cmp(&b.order));
    rows.iter()
        .map(|r| checked_link(field, r.label, r.url))
        .collect()
}

/// One link, held to what every link of the site is held to.
fn checked_link(field: &'static str, label: &str, url: &str) -> Result<Link, TaxonomyError> {
    let (label, url) = (label.trim(), url.trim());
    if label.is_empty() {
        return Err(invalid(field, format!("The link to {url} needs a label.")));
    }
    if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/')) {
        return Err(invalid(
            field,
            format!("The address {url:?} must start with https://, http:// or /."),
        ));
    }
    Ok(Link {
        label: label.to_string(),
        url: url.to_string(),
    })
}

/// Links back to the one-a-line form.
pub fn links_text(links: &[Link]) -> String {
    links
        .iter()
        .map(|l| format!("{} | {}", l.label, l.url))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What an author profile form sends.
pub struct AuthorForm<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub role_line: &'a str,
    pub bio: &'a str,
    pub photo_id: &'a str,
    pub links: &'a str,
}

/// Whether this person may change this author profile: editors and owners
/// any, everyone their own.
pub fn may_edit_author(user: &User, author_id: Option<&str>) -> bool {
    may(user.role, Action::ManageTaxonomy, false)
        || (author_id.is_some() && user.author_id.as_deref() == author_id)
}

/// Adds (`id` None, editors only) or changes an author profile.
pub async fn save_author(
    store: &Store,
    user: &User,
    id: Option<&str>,
    form: AuthorForm<'_>,
) -> Result<Author, TaxonomyError> {
    if !may_edit_author(user, id) {
        return Err(TaxonomyError::Forbidden(
            "You can change your own profile; an editor or an owner looks after the others.".into(),
        ));
    }
    let authors = store.authors().await?;
    if let Some(id) = id
        && !authors.iter().any(|a| a.id == id)
    {
        return Err(TaxonomyError::NotFound);
    }
    let name = check_name(form.name)?;
    let slug = check_slug(form.slug, &name)?;
    if authors
        .iter()
        .any(|a| a.slug == slug && Some(a.id.as_str()) != id)
    {
        return Err(invalid(
            "slug",
            format!("Another author is already at /author/{slug}: choose another slug."),
        ));
    }
    let photo_id = Some(form.photo_id.trim().to_string()).filter(|p| !p.is_empty());
    if let Some(photo) = &photo_id
        && store
            .images_by_ids(std::slice::from_ref(photo))
            .await?
            .is_empty()
    {
        return Err(invalid(
            "photo_id",
            "The chosen photo is not in the library.",
        ));
    }
    if !may(user.role, Action::ManageTaxonomy, false) {
        // Someone looking after only their own profile may not take a
        // colleague's name or face: a byline must say who wrote it.
        // As addresses fold them: case, accents and punctuation aside.
        let same = |a: &str, b: &str| slug::slugify(a) == slug::slugify(b);
        let others = authors.iter().filter(|a| Some(a.id.as_str()) != id);
        for other in others {
            if same(&other.name, &name) {
                return Err(invalid(
                    "name",
                    format!(
                        "{name} is the name of another author here: write your own name (an editor can tell two people of one name apart)."
                    ),
                ));
            }
            if photo_id.is_some() && other.photo_id == photo_id {
                return Err(invalid(
                    "photo_id",
                    "That photo is another author's: choose or upload one of yourself.",
                ));
            }
        }
    }
    let links = parse_links("links", form.links)?;
    let author = Author {
        id: id.map_or_else(new_id, str::to_string),
        slug,
        name,
        bio: check_text("bio", form.bio)?,
        role_line: check_text("role_line", form.role_line)?,
        photo_id,
        links: crate::services::editing::fields_json(&links),
    };
    store.save_author(&author).await?;
    log(store, user, "saved author profile", &author.name).await;
    Ok(author)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_read_one_a_line() {
        let links =
            parse_links("links", "Mastodon | https://m.example/@a\n\n Site|/about ").unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[1].url, "/about");
        assert_eq!(
            links_text(&links),
            "Mastodon | https://m.example/@a\nSite | /about"
        );
        assert!(parse_links("links", "no bar here").is_err());
        assert!(parse_links("links", "X | javascript:alert(1)").is_err());
    }
}
