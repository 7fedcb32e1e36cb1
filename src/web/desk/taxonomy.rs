//! Sections (and their order in the navigation), tags and labels in the
//! desk, on one page; and authors' profiles.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{
    CheckedForm, Desk, DeskError, DeskResult, Frame, SignedInDesk, allowed, render, see_other,
};
use crate::failure::{Failure, FailureKind};
use crate::services::accounts::SignedIn;
use crate::services::permissions::{Action, may, refusal};
use crate::services::taxonomy::{self, AuthorForm, SectionForm, TaxonomyError};
use crate::urls;

#[derive(Serialize)]
struct SectionRow {
    id: String,
    name: String,
    slug: String,
    description: String,
    position: i32,
    stories: i64,
    action: String,
}

#[derive(Serialize)]
struct TagRow {
    id: String,
    name: String,
    slug: String,
    description: String,
    stories: i64,
    action: String,
}

#[derive(Serialize)]
struct TaxonomyView {
    sections: Vec<SectionRow>,
    tags: Vec<TagRow>,
    labels: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
    /// A picker's words.
    #[serde(default)]
    q: String,
}

async fn taxonomy_page(
    desk: &Desk,
    me: &SignedIn,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> DeskResult {
    allowed(
        me,
        Action::ManageTaxonomy,
        &refusal(me.user.role, Action::ManageTaxonomy),
    )?;
    let store = &desk.app.store;
    let (settings, sections, tags, usage) = tokio::try_join!(
        store.site_settings(),
        store.sections(),
        store.tags(),
        store.taxonomy_usage()
    )?;
    let count = |id: &str| usage.get(id).copied().unwrap_or(0);
    let view = TaxonomyView {
        sections: sections
            .into_iter()
            .map(|s| SectionRow {
                stories: count(&s.id),
                action: format!("{}/{}", urls::desk_sections(), s.id),
                id: s.id,
                name: s.name,
                slug: s.slug,
                description: s.description,
                position: s.position,
            })
            .collect(),
        tags: tags
            .into_iter()
            .map(|t| TagRow {
                stories: count(&t.id),
                action: format!("{}/{}", urls::desk_tags(), t.id),
                id: t.id,
                name: t.name,
                slug: t.slug,
                description: t.description,
            })
            .collect(),
        labels: settings.labels.join("\n"),
        notice,
        error,
    };
    render(
        desk,
        Frame::page(
            "desk/taxonomy.html",
            "Sections, tags and labels",
            "taxonomy",
        )
        .status(status),
        view,
    )
    .await
}

/// Choices a section or tag picker lists at once.
const PICKED: i64 = 20;

#[derive(Deserialize, Default)]
pub(super) struct WordsQuery {
    #[serde(default)]
    q: String,
}

/// Tags whose name holds the words, for the tag field's suggestions (the
/// field holds names, so a choice's id is its name).
pub(super) async fn tag_choices(
    SignedInDesk { desk, .. }: SignedInDesk,
    Query(query): Query<WordsQuery>,
) -> DeskResult {
    let tags = desk.app.store.tags_matching(query.q.trim(), PICKED).await?;
    Ok(super::picker_answer(
        tags.into_iter()
            .map(|t| super::PickerItem {
                id: t.name.clone(),
                label: t.name,
                detail: String::new(),
            })
            .collect(),
    ))
}

/// Sections whose name holds the words, for the story form's picker.
async fn section_choices(desk: &Desk, words: &str) -> DeskResult {
    let words = words.trim().to_lowercase();
    let sections = desk.app.store.sections().await?;
    Ok(super::picker_answer(
        sections
            .into_iter()
            .filter(|s| words.is_empty() || s.name.to_lowercase().contains(&words))
            .take(PICKED as usize)
            .map(|s| super::PickerItem {
                id: s.id,
                label: s.name,
                detail: s.description,
            })
            .collect(),
    ))
}

pub(super) async fn show(
    SignedInDesk { desk, me }: SignedInDesk,
    headers: axum::http::HeaderMap,
    Query(query): Query<DoneQuery>,
) -> DeskResult {
    // Anyone who writes chooses a section, through the story form's picker.
    if super::wants_json(&headers) {
        return section_choices(&desk, &query.q).await;
    }
    let notice = match query.done.as_str() {
        "saved" => Some("Saved: the site shows the change now."),
        "deleted" => Some("Deleted."),
        _ => None,
    };
    taxonomy_page(&desk, &me, StatusCode::OK, notice, None).await
}

/// Answers a taxonomy change: back to the page, or the page with the problem.
async fn answered(
    desk: &Desk,
    me: &SignedIn,
    result: Result<&'static str, TaxonomyError>,
) -> DeskResult {
    match result {
        Ok(done) => Ok(see_other(&format!("{}?done={done}", urls::desk_sections()))),
        Err(e) if matches!(e.kind(), FailureKind::Invalid | FailureKind::NotFound) => {
            let why = e.to_string();
            let status = DeskError::from(e).status();
            taxonomy_page(desk, me, status, None, Some(why)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A section's or a tag's form; `delete` set asks to delete it instead.
#[derive(Deserialize)]
pub(super) struct TermFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    position: String,
    delete: Option<String>,
}

impl TermFields {
    fn section(&self) -> SectionForm<'_> {
        SectionForm {
            name: &self.name,
            slug: &self.slug,
            description: &self.description,
            position: &self.position,
        }
    }
}

pub(super) async fn add_section(
    CheckedForm { desk, me, form }: CheckedForm<TermFields>,
) -> DeskResult {
    let result = taxonomy::save_section(&desk.app.store, &me.user, None, form.section())
        .await
        .map(|_| "saved");
    answered(&desk, &me, result).await
}

/// `POST /desk/sections/{id}`: save it, or with `delete` set, delete it.
pub(super) async fn change_section(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<TermFields>,
) -> DeskResult {
    let store = &desk.app.store;
    let result = if form.delete.is_some() {
        taxonomy::delete_section(store, &me.user, &id)
            .await
            .map(|_| "deleted")
    } else {
        taxonomy::save_section(store, &me.user, Some(&id), form.section())
            .await
            .map(|_| "saved")
    };
    answered(&desk, &me, result).await
}

/// `POST /desk/tags/{id}`: save it, or with `delete` set, delete it.
pub(super) async fn change_tag(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<TermFields>,
) -> DeskResult {
    let store = &desk.app.store;
    let result = if form.delete.is_some() {
        taxonomy::delete_tag(store, &me.user, &id)
            .await
            .map(|_| "deleted")
    } else {
        taxonomy::save_tag(
            store,
            &me.user,
            &id,
            &form.name,
            &form.slug,
            &form.description,
        )
        .await
        .map(|_| "saved")
    };
    answered(&desk, &me, result).await
}

#[derive(Deserialize)]
pub(super) struct LabelsFields {
    #[serde(default)]
    labels: String,
}

pub(super) async fn labels(
    CheckedForm { desk, me, form }: CheckedForm<LabelsFields>,
) -> DeskResult {
    let result = taxonomy::save_labels(&desk.app.store, &me.user, &form.labels)
        .await
        .map(|_| "saved");
    answered(&desk, &me, result).await
}

#[derive(Serialize)]
struct AuthorRow {
    url: String,
    name: String,
    role_line: String,
    public_url: String,
    editable: bool,
}

#[derive(Serialize)]
struct AuthorsView {
    authors: Vec<AuthorRow>,
    may_add: bool,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct AuthorsQuery {
    #[serde(default)]
    q: String,
}

/// Profiles a byline picker lists at once.
const PICKED_AUTHORS: usize = 30;

pub(super) async fn authors(
    SignedInDesk { desk, me }: SignedInDesk,
    headers: axum::http::HeaderMap,
    Query(query): Query<AuthorsQuery>,
) -> DeskResult {
    let all = desk.app.store.authors().await?;
    // The byline pickers: profiles whose name or role line holds the words.
    if super::wants_json(&headers) {
        let words = query.q.trim().to_lowercase();
        return Ok(super::picker_answer(
            all.into_iter()
                .filter(|a| {
                    words.is_empty()
                        || a.name.to_lowercase().contains(&words)
                        || a.role_line.to_lowercase().contains(&words)
                })
                .take(PICKED_AUTHORS)
                .map(|a| super::PickerItem {
                    id: a.id,
                    label: a.name,
                    detail: a.role_line,
                })
                .collect(),
        ));
    }
    let view = AuthorsView {
        authors: all
            .into_iter()
            .map(|a| AuthorRow {
                url: urls::desk_author(&a.id),
                editable: taxonomy::may_edit_author(&me.user, Some(&a.id)),
                public_url: urls::author(&a.slug),
                name: a.name,
                role_line: a.role_line,
            })
            .collect(),
        may_add: may(me.user.role, Action::ManageTaxonomy, false),
    };
    render(
        &desk,
        Frame::page("desk/authors.html", "Authors", "authors"),
        view,
    )
    .await
}

#[derive(Serialize, Default)]
struct AuthorView {
    action: String,
    new: bool,
    name: String,
    slug: String,
    role_line: String,
    bio: String,
    links: String,
    photos: Vec<super::ImageChoice>,
    field: Option<&'static str>,
    error: Option<String>,
    notice: Option<&'static str>,
}

async fn author_page(
    desk: &Desk,
    status: StatusCode,
    id: Option<&str>,
    mut view: AuthorView,
    photo: &str,
) -> DeskResult {
    view.photos = super::image_choices(&desk.app.store, photo, "(no photo)").await?;
    view.new = id.is_none();
    view.action = id.map_or_else(
        || format!("{}/new", urls::desk_authors()),
        urls::desk_author,
    );
    let title = if view.new {
        "New author".to_string()
    } else {
        format!("Author: {}", view.name)
    };
    render(
        desk,
        Frame::page("desk/author.html", &title, "authors").status(status),
        view,
    )
    .await
}

pub(super) async fn author(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> DeskResult {
    if id == "new" {
        allowed(
            &me,
            Action::ManageTaxonomy,
            &refusal(me.user.role, Action::ManageTaxonomy),
        )?;
        return author_page(&desk, StatusCode::OK, None, AuthorView::default(), "").await;
    }
    let found = desk
        .app
        .store
        .authors()
        .await?
        .into_iter()
        .find(|a| a.id == id);
    let a = found.ok_or_else(|| DeskError::not_found("There is no such author."))?;
    if !taxonomy::may_edit_author(&me.user, Some(&a.id)) {
        return Err(DeskError::forbidden(
            "You can change your own profile; an editor or an owner looks after the others.",
        ));
    }
    let view = AuthorView {
        name: a.name.clone(),
        slug: a.slug.clone(),
        role_line: a.role_line.clone(),
        bio: a.bio.clone(),
        links: taxonomy::links_text(&a.links()),
        notice: (query.done == "saved").then_some("Saved: the author's page shows it now."),
        ..Default::default()
    };
    author_page(
        &desk,
        StatusCode::OK,
        Some(&id),
        view,
        a.photo_id.as_deref().unwrap_or(""),
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct AuthorFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    role_line: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    photo_id: String,
    #[serde(default)]
    links: String,
}

pub(super) async fn save_author(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<AuthorFields>,
) -> DeskResult {
    let existing = (id != "new").then_some(id.as_str());
    let author_form = AuthorForm {
        name: &form.name,
        slug: &form.slug,
        role_line: &form.role_line,
        bio: &form.bio,
        photo_id: &form.photo_id,
        links: &form.links,
    };
    match taxonomy::save_author(&desk.app.store, &me.user, existing, author_form).await {
        Ok(a) => Ok(see_other(&format!(
            "{}?done=saved",
            urls::desk_author(&a.id)
        ))),
        Err(TaxonomyError::Invalid { field, message }) => {
            let view = AuthorView {
                field: Some(field),
                error: Some(message),
                ..Default::default()
            };
            let view = AuthorView {
                name: form.name,
                slug: form.slug,
                role_line: form.role_line,
                bio: form.bio,
                links: form.links,
                ..view
            };
            author_page(
                &desk,
                StatusCode::BAD_REQUEST,
                existing,
                view,
                &form.photo_id,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
