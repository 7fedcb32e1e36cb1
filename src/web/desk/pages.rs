//! Static pages in the desk (editors and owners): the list, the editor with
//! preview beside it, revisions, deletion.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::form::Fields;
use super::revisions::{
    Piece, RestoreFields, Restoring, RevisionsQuery, restore_refused, restoring, revisions_page,
};
use super::session::CsrfForm;
use super::stories::status_label;
use super::{
    CheckedForm, Desk, DeskError, DeskResult, Frame, SignedInDesk, allowed, render, see_other,
};
use crate::model::text::capitalized;
use crate::model::{Page, Status};
use crate::services::accounts::SignedIn;
use crate::services::editing::Step;
use crate::services::pages::{self, PageFields};
use crate::services::permissions::Action;
use crate::services::publishing::ContentError;
use crate::store::PieceKind;
use crate::urls;
use crate::web::site::SitePresenter;

const REFUSED: &str =
    "Pages speak for the whole publication: an editor or an owner looks after them.";

#[derive(Serialize)]
struct Row {
    url: String,
    title: String,
    address: String,
    status: &'static str,
    status_label: &'static str,
    links: String,
}

#[derive(Serialize)]
struct ListView {
    rows: Vec<Row>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// Pages are for editors and owners.
fn manager(me: &SignedIn) -> DeskResult<()> {
    allowed(me, Action::Curate, REFUSED)
}

pub(super) async fn list(
    SignedInDesk { desk, me }: SignedInDesk,
    Query(query): Query<DoneQuery>,
) -> DeskResult {
    manager(&me)?;
    let all = desk.app.store.pages().await?;
    let view = ListView {
        rows: all
            .iter()
            .map(|p| Row {
                url: urls::desk_page(&p.id),
                title: p.title.clone(),
                address: urls::static_page(&p.slug),
                status: p.status.as_str(),
                status_label: status_label(p.status),
                links: match (p.in_navigation, p.in_footer) {
                    (true, true) => "navigation and footer",
                    (true, false) => "navigation",
                    (false, true) => "footer",
                    (false, false) => "",
                }
                .to_string(),
            })
            .collect(),
        notice: (query.done == "deleted").then_some("The page is deleted."),
    };
    render(
        &desk,
        Frame::page("desk/pages.html", "Pages", "pages"),
        view,
    )
    .await
}

#[derive(Serialize)]
struct EditorView {
    new: bool,
    id: String,
    action: String,
    revision: i64,
    fields: PageFields,
    status: &'static str,
    status_label: &'static str,
    published: bool,
    heroes: Vec<super::ImageChoice>,
    bylines: Vec<Vec<super::stories::Choice>>,
    errors: HashMap<&'static str, String>,
    notice: Option<&'static str>,
    public_url: Option<String>,
    revisions_url: Option<String>,
    delete_url: Option<String>,
}

async fn editor_page(
    desk: &Desk,
    status_code: StatusCode,
    stored: Option<&Page>,
    fields: PageFields,
    errors: HashMap<&'static str, String>,
    notice: Option<&'static str>,
) -> DeskResult {
    let store = &desk.app.store;
    let (heroes, authors) = tokio::try_join!(
        super::image_choices(store, &fields.hero_image_id, "(no image)"),
        store.authors()
    )?;
    let id = stored.map(|p| p.id.clone());
    let status = stored.map_or(Status::Draft, |p| p.status);
    let view = EditorView {
        new: stored.is_none(),
        id: id.clone().unwrap_or_default(),
        action: id
            .as_deref()
            .map_or_else(urls::desk_new_page, urls::desk_page),
        revision: stored.map_or(0, |p| p.revision),
        status: if stored.is_some() {
            status.as_str()
        } else {
            "new"
        },
        status_label: if stored.is_some() {
            status_label(status)
        } else {
            "New"
        },
        published: status == Status::Published,
        heroes,
        bylines: super::stories::byline_slots(&authors, &fields.author_ids),
        errors,
        notice,
        public_url: stored
            .filter(|p| p.is_public())
            .map(|p| urls::static_page(&p.slug)),
        revisions_url: id
            .as_deref()
            .map(|id| format!("{}/revisions", urls::desk_page(id))),
        delete_url: id
            .as_deref()
            .map(|id| format!("{}/delete", urls::desk_page(id))),
        fields,
    };
    let title = if view.new {
        "New page".to_string()
    } else {
        format!("Page: {}", view.fields.title)
    };
    render(
        desk,
        Frame::page("desk/page.html", &title, "pages").status(status_code),
        view,
    )
    .await
}

pub(super) async fn new_page(SignedInDesk { desk, me }: SignedInDesk) -> DeskResult {
    manager(&me)?;
    editor_page(
        &desk,
        StatusCode::OK,
        None,
        PageFields::default(),
        HashMap::new(),
        None,
    )
    .await
}

/// The page at `id`, for an editor or an owner.
async fn stored_page(desk: &Desk, me: &SignedIn, id: &str) -> DeskResult<Page> {
    manager(me)?;
    desk.app.store.page_by_id(id).await?.ok_or_else(|| {
        DeskError::not_found("There is no page with this address: it may have been deleted.")
    })
}

pub(super) async fn edit(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> DeskResult {
    let page = stored_page(&desk, &me, &id).await?;
    let notice = match query.done.as_str() {
        "save" => Some("Saved."),
        "publish" => Some("Published: readers can see it now."),
        "unpublish" => Some("Back to draft: readers no longer see it."),
        "restored" => Some("The revision is restored (saved as a new revision)."),
        _ => None,
    };
    editor_page(
        &desk,
        StatusCode::OK,
        Some(&page),
        PageFields::of(&page),
        HashMap::new(),
        notice,
    )
    .await
}

fn read_fields(form: &Fields) -> PageFields {
    PageFields {
        title: form.get("title").to_string(),
        slug: form.get("slug").trim().to_string(),
        body: form.get("body").to_string(),
        hero_image_id: form.get("hero_image_id").to_string(),
        in_navigation: form.has("in_navigation"),
        in_footer: form.has("in_footer"),
        position: form.get("position").trim().parse().unwrap_or(0),
        author_ids: form.all("author"),
    }
}

pub(super) async fn create(checked: CheckedForm<Fields>) -> DeskResult {
    save(checked, None).await
}

pub(super) async fn update(Path(id): Path<String>, checked: CheckedForm<Fields>) -> DeskResult {
    save(checked, Some(id)).await
}

async fn save(
    CheckedForm { desk, me, form }: CheckedForm<Fields>,
    id: Option<String>,
) -> DeskResult {
    let step = Step::parse(form.get("step"))
        .ok_or_else(|| DeskError::invalid("Choose one of the buttons under the page."))?;
    let stored = match &id {
        Some(id) => Some(stored_page(&desk, &me, id).await?),
        None => None,
    };
    let fields = read_fields(&form);
    let based_on = form
        .get("revision")
        .parse::<i64>()
        .ok()
        .filter(|_| stored.is_some());
    match pages::save(
        &desk.app.store,
        &me.user,
        stored.as_ref(),
        fields.clone(),
        step,
        based_on,
    )
    .await
    {
        Ok(page) => Ok(see_other(&format!(
            "{}?done={}",
            urls::desk_page(&page.id),
            step.as_str()
        ))),
        Err(e @ (ContentError::Forbidden(_) | ContentError::Storage(_))) => Err(e.into()),
        Err(e) => {
            let (field, status) = match &e {
                ContentError::Invalid { field, .. } => (*field, StatusCode::BAD_REQUEST),
                ContentError::SlugTaken(_) => ("slug", StatusCode::CONFLICT),
                _ => ("form", StatusCode::CONFLICT),
            };
            let field = if field == "image" {
                "hero_image_id"
            } else {
                field
            };
            let errors = HashMap::from([(field, capitalized(&e.to_string()))]);
            editor_page(&desk, status, stored.as_ref(), fields, errors, None).await
        }
    }
}

pub(super) async fn preview(CheckedForm { desk, me, form }: CheckedForm<Fields>) -> DeskResult {
    manager(&me)?;
    let stored = match form.get("id") {
        "" => None,
        id => Some(stored_page(&desk, &me, id).await?),
    };
    let page = pages::preview(&desk.app.store, stored.as_ref(), &read_fields(&form))
        .await
        .map_err(|e| DeskError::invalid(e.to_string()))?;
    let presenter = SitePresenter::new(&desk.app).await?;
    let html = crate::web::site::page_html(&presenter, &page, true).await?;
    Ok(super::stories::framable_html(html))
}

pub(super) async fn revisions(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
    Query(query): Query<RevisionsQuery>,
) -> DeskResult {
    let page = stored_page(&desk, &me, &id).await?;
    revisions_page(&desk, revisions_of(&page), &query, &compare_revisions).await
}

/// Two revisions' fields (as saved) compared.
fn compare_revisions(a: &str, b: &str) -> Vec<crate::services::diff::FieldChange> {
    match (
        crate::services::editing::revision_fields::<PageFields>(a),
        crate::services::editing::revision_fields::<PageFields>(b),
    ) {
        (Some(a), Some(b)) => pages::changes(&a, &b),
        _ => vec![],
    }
}

/// The page as its revisions page shows it.
fn revisions_of(page: &crate::model::Page) -> Piece<'_> {
    Piece {
        kind: PieceKind::Page,
        id: &page.id,
        headline: &page.title,
        back_url: urls::desk_page(&page.id),
        base_url: urls::desk_page(&page.id),
        current: page.revision,
        may_restore: true,
        desk_section: "pages",
    }
}

pub(super) async fn delete(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    let page = stored_page(&desk, &me, &id).await?;
    pages::delete(&desk.app.store, &me.user, &page).await?;
    Ok(see_other(&format!("{}?done=deleted", urls::desk_pages())))
}

pub(super) async fn restore(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<RestoreFields>,
) -> DeskResult {
    let page = stored_page(&desk, &me, &id).await?;
    let live = page.status == Status::Published;
    let piece = revisions_of(&page);
    match restoring::<PageFields>(&desk, &piece, &form, live, &compare_revisions).await? {
        Restoring::Ask(page) => Ok(page),
        Restoring::Go { fields, based_on } => {
            let store = &desk.app.store;
            pages::save(
                store,
                &me.user,
                Some(&page),
                fields,
                Step::Restore,
                based_on,
            )
            .await
            .map_err(|e| restore_refused(e, "page"))?;
            Ok(see_other(&format!(
                "{}?done=restored",
                urls::desk_page(&id)
            )))
        }
    }
}
