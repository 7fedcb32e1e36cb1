//! Sections (and their order in the navigation), tags and labels in the
//! desk, on one page; and authors' profiles.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::form::{Fields, signed_in_form};
use super::{Desk, Frame, forbidden, not_found, render, see_other, unavailable};
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
}

async fn taxonomy_page(
    desk: &Desk,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    if !may(me.user.role, Action::ManageTaxonomy, false) {
        return forbidden(desk, &refusal(me.user.role, Action::ManageTaxonomy)).await;
    }
    let store = &desk.app.store;
    let settings = match crate::services::settings::load(store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let loaded = tokio::try_join!(store.sections(), store.tags(), store.taxonomy_usage());
    let (sections, tags, usage) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return unavailable(e),
    };
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

pub(super) async fn show(desk: Desk, Query(query): Query<DoneQuery>) -> Response {
    let notice = match query.done.as_str() {
        "saved" => Some("Saved: the site shows the change now."),
        "deleted" => Some("Deleted."),
        _ => None,
    };
    taxonomy_page(&desk, StatusCode::OK, notice, None).await
}

/// Answers a taxonomy change: back to the page, or the page with the problem.
async fn answered(desk: &Desk, result: Result<&'static str, TaxonomyError>) -> Response {
    match result {
        Ok(done) => see_other(&format!("{}?done={done}", urls::desk_sections())),
        Err(TaxonomyError::Forbidden(why)) => forbidden(desk, &why).await,
        Err(TaxonomyError::Storage(e)) => unavailable(e),
        Err(e @ TaxonomyError::NotFound) => {
            taxonomy_page(desk, StatusCode::NOT_FOUND, None, Some(e.to_string())).await
        }
        Err(e) => taxonomy_page(desk, StatusCode::BAD_REQUEST, None, Some(e.to_string())).await,
    }
}

fn section_form(form: &Fields) -> SectionForm<'_> {
    SectionForm {
        name: form.get("name"),
        slug: form.get("slug"),
        description: form.get("description"),
        position: form.get("position"),
    }
}

pub(super) async fn add_section(desk: Desk, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let result = taxonomy::save_section(&desk.app.store, &me.user, None, section_form(&form))
        .await
        .map(|_| "saved");
    answered(&desk, result).await
}

/// `POST /desk/sections/{id}`: save it, or with `delete` set, delete it.
pub(super) async fn change_section(desk: Desk, Path(id): Path<String>, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let store = &desk.app.store;
    let result = if form.has("delete") {
        taxonomy::delete_section(store, &me.user, &id)
            .await
            .map(|_| "deleted")
    } else {
        taxonomy::save_section(store, &me.user, Some(&id), section_form(&form))
            .await
            .map(|_| "saved")
    };
    answered(&desk, result).await
}

/// `POST /desk/tags/{id}`: save it, or with `delete` set, delete it.
pub(super) async fn change_tag(desk: Desk, Path(id): Path<String>, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let store = &desk.app.store;
    let result = if form.has("delete") {
        taxonomy::delete_tag(store, &me.user, &id)
            .await
            .map(|_| "deleted")
    } else {
        taxonomy::save_tag(
            store,
            &me.user,
            &id,
            form.get("name"),
            form.get("slug"),
            form.get("description"),
        )
        .await
        .map(|_| "saved")
    };
    answered(&desk, result).await
}

pub(super) async fn labels(desk: Desk, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let result = taxonomy::save_labels(&desk.app.store, &me.user, form.get("labels"))
        .await
        .map(|_| "saved");
    answered(&desk, result).await
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
    desk: Desk,
    headers: axum::http::HeaderMap,
    Query(query): Query<AuthorsQuery>,
) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    let all = match desk.app.store.authors().await {
        Ok(all) => all,
        Err(e) => return unavailable(e),
    };
    // The byline pickers: profiles whose name or role line holds the words.
    if super::wants_json(&headers) {
        let words = query.q.trim().to_lowercase();
        return super::picker_answer(
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
        );
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
) -> Response {
    view.photos = match super::image_choices(&desk.app.store, photo, "(no photo)").await {
        Ok(choices) => choices,
        Err(e) => return unavailable(e),
    };
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
    desk: Desk,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    if id == "new" {
        if !may(me.user.role, Action::ManageTaxonomy, false) {
            return forbidden(&desk, &refusal(me.user.role, Action::ManageTaxonomy)).await;
        }
        return author_page(&desk, StatusCode::OK, None, AuthorView::default(), "").await;
    }
    let found = match desk.app.store.authors().await {
        Ok(all) => all.into_iter().find(|a| a.id == id),
        Err(e) => return unavailable(e),
    };
    let Some(a) = found else {
        return not_found().await;
    };
    if !taxonomy::may_edit_author(&me.user, Some(&a.id)) {
        return forbidden(
            &desk,
            "You can change your own profile; an editor or an owner looks after the others.",
        )
        .await;
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

pub(super) async fn save_author(desk: Desk, Path(id): Path<String>, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let existing = (id != "new").then_some(id.as_str());
    let author_form = AuthorForm {
        name: form.get("name"),
        slug: form.get("slug"),
        role_line: form.get("role_line"),
        bio: form.get("bio"),
        photo_id: form.get("photo_id"),
        links: form.get("links"),
    };
    match taxonomy::save_author(&desk.app.store, &me.user, existing, author_form).await {
        Ok(a) => see_other(&format!("{}?done=saved", urls::desk_author(&a.id))),
        Err(TaxonomyError::Forbidden(why)) => forbidden(&desk, &why).await,
        Err(TaxonomyError::Storage(e)) => unavailable(e),
        Err(TaxonomyError::NotFound) => not_found().await,
        Err(TaxonomyError::Invalid { field, message }) => {
            let view = AuthorView {
                name: form.get("name").to_string(),
                slug: form.get("slug").to_string(),
                role_line: form.get("role_line").to_string(),
                bio: form.get("bio").to_string(),
                links: form.get("links").to_string(),
                field: Some(field),
                error: Some(message),
                ..Default::default()
            };
            author_page(
                &desk,
                StatusCode::BAD_REQUEST,
                existing,
                view,
                form.get("photo_id"),
            )
            .await
        }
    }
}
