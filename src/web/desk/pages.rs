//! Static pages in the desk (editors and owners): the list, the editor with
//! preview beside it, revisions, deletion.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::form::{Fields, signed_in_form};
use super::revisions::{Piece, RevisionsQuery, ask_before_restoring, revisions_page};
use super::stories::status_label;
use super::{Desk, Frame, forbidden, not_found, plain, render, see_other, unavailable};
use crate::model::text::capitalized;
use crate::model::{Page, Status};
use crate::services::editing::Step;
use crate::services::pages::{self, PageFields};
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

/// The signed-in editor or owner, or the answer for anyone else.
async fn manager(desk: &Desk) -> Result<crate::model::accounts::User, Response> {
    match &desk.signed_in {
        None => Err(desk.sign_in_first()),
        Some(me) if !pages::may_manage(&me.user) => Err(forbidden(desk, REFUSED).await),
        Some(me) => Ok(me.user.clone()),
    }
}

pub(super) async fn list(desk: Desk, Query(query): Query<DoneQuery>) -> Response {
    if let Err(answer) = manager(&desk).await {
        return answer;
    }
    let all = match desk.app.store.pages().await {
        Ok(all) => all,
        Err(e) => return unavailable(e),
    };
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
) -> Response {
    let store = &desk.app.store;
    let (heroes, authors) = match tokio::try_join!(
        super::image_choices(store, &fields.hero_image_id, "(no image)"),
        store.authors()
    ) {
        Ok(loaded) => loaded,
        Err(e) => return unavailable(e),
    };
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

pub(super) async fn new_page(desk: Desk) -> Response {
    if let Err(answer) = manager(&desk).await {
        return answer;
    }
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

async fn stored_page(desk: &Desk, id: &str) -> Result<Page, Response> {
    match desk.app.store.page_by_id(id).await {
        Ok(Some(page)) => Ok(page),
        Ok(None) => Err(plain(
            StatusCode::NOT_FOUND,
            "There is no page with this address: it may have been deleted.",
        )),
        Err(e) => Err(unavailable(e)),
    }
}

pub(super) async fn edit(
    desk: Desk,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    if let Err(answer) = manager(&desk).await {
        return answer;
    }
    let page = match stored_page(&desk, &id).await {
        Ok(page) => page,
        Err(answer) => return answer,
    };
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

pub(super) async fn create(desk: Desk, form: Fields) -> Response {
    save(desk, None, form).await
}

pub(super) async fn update(desk: Desk, Path(id): Path<String>, form: Fields) -> Response {
    save(desk, Some(id), form).await
}

async fn save(desk: Desk, id: Option<String>, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let Some(step) = Step::parse(form.get("step")) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "Choose one of the buttons under the page.",
        );
    };
    let stored = match &id {
        Some(id) => match stored_page(&desk, id).await {
            Ok(page) => Some(page),
            Err(answer) => return answer,
        },
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
        Ok(page) => see_other(&format!(
            "{}?done={}",
            urls::desk_page(&page.id),
            step.as_str()
        )),
        Err(ContentError::Forbidden(why)) => forbidden(&desk, &why).await,
        Err(ContentError::Storage(e)) => unavailable(e),
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

pub(super) async fn preview(desk: Desk, form: Fields) -> Response {
    if let Err(refused) = signed_in_form(&desk, &form) {
        return refused.into_response();
    }
    if let Err(answer) = manager(&desk).await {
        return answer;
    }
    let stored = match form.get("id") {
        "" => None,
        id => match stored_page(&desk, id).await {
            Ok(page) => Some(page),
            Err(answer) => return answer,
        },
    };
    let page = match pages::preview(&desk.app.store, stored.as_ref(), &read_fields(&form)).await {
        Ok(page) => page,
        Err(e) => return plain(StatusCode::BAD_REQUEST, &capitalized(&e.to_string())),
    };
    let presenter = match SitePresenter::new(&desk.app).await {
        Ok(p) => p,
        Err(e) => return unavailable(format!("{e:?}")),
    };
    match crate::web::site::page_html(&presenter, &page, true).await {
        Ok(html) => super::stories::framable_html(html),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "a page preview failed to render");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The preview could not be made. The error is in the server's log.",
            )
        }
    }
}

pub(super) async fn revisions(
    desk: Desk,
    Path(id): Path<String>,
    Query(query): Query<RevisionsQuery>,
) -> Response {
    if let Err(answer) = manager(&desk).await {
        return answer;
    }
    let page = match stored_page(&desk, &id).await {
        Ok(page) => page,
        Err(answer) => return answer,
    };
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

/// `delete` or `restore` on a page.
pub(super) async fn action(
    desk: Desk,
    Path((id, action)): Path<(String, String)>,
    form: Fields,
) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let page = match stored_page(&desk, &id).await {
        Ok(page) => page,
        Err(answer) => return answer,
    };
    let store = &desk.app.store;
    let outcome =
        match action.as_str() {
            "delete" => pages::delete(store, &me.user, &page)
                .await
                .map(|_| see_other(&format!("{}?done=deleted", urls::desk_pages()))),
            "restore" => {
                let Ok(number) = form.get("number").parse::<i64>() else {
                    return plain(StatusCode::BAD_REQUEST, "Choose a revision to restore.");
                };
                let revisions = match store.revisions(PieceKind::Page, &id).await {
                    Ok(revisions) => revisions,
                    Err(e) => return unavailable(e),
                };
                let Some(fields) = revisions.iter().find(|r| r.number == number).and_then(|r| {
                    crate::services::editing::revision_fields::<PageFields>(&r.fields)
                }) else {
                    return plain(StatusCode::NOT_FOUND, "That revision does not exist.");
                };
                let live = page.status == crate::model::Status::Published;
                let confirmed = form.get("confirmed") == "yes";
                let piece = revisions_of(&page);
                if let Some(ask) =
                    ask_before_restoring(&desk, &piece, number, live, confirmed, &compare_revisions)
                        .await
                {
                    return ask;
                }
                let based_on = form.get("revision").parse::<i64>().ok();
                pages::save(
                    store,
                    &me.user,
                    Some(&page),
                    fields,
                    Step::Restore,
                    based_on,
                )
                .await
                .map(|_| see_other(&format!("{}?done=restored", urls::desk_page(&id))))
            }
            _ => return not_found().await,
        };
    match outcome {
        Ok(answer) => answer,
        Err(ContentError::Forbidden(why)) => forbidden(&desk, &why).await,
        Err(ContentError::Storage(e)) => unavailable(e),
        Err(e) => plain(StatusCode::CONFLICT, &capitalized(&e.to_string())),
    }
}
