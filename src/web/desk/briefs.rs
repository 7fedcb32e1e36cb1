//! Briefs in the desk: the list with a quick form on top (headline, a few
//! lines, a link: saved or published at once), the editor with the same
//! workflow steps as stories, revisions and deletion.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::form::{Fields, signed_in_form};
use super::revisions::{Piece, RevisionsQuery, ask_before_restoring, revisions_page};
use super::stories::{StepButton, offered_steps, own_only, page_number, status_label, url_pairs};
use super::{Desk, Frame, forbidden, not_found, plain, render, see_other, unavailable};
use crate::model::text::capitalized;
use crate::model::{Brief, Status, dates};
use crate::services::editing::{self, BriefFields, Step};
use crate::services::permissions::{Action, may};
use crate::services::publishing::ContentError;
use crate::store::{PieceKind, WorkFilter};
use crate::urls;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
}

#[derive(Serialize)]
struct Row {
    url: String,
    headline: String,
    status: &'static str,
    status_label: &'static str,
    updated: String,
}

#[derive(Serialize)]
struct StatusChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// The quick form's fields, kept when it is answered with a problem.
#[derive(Serialize, Default)]
struct QuickForm {
    headline: String,
    body: String,
    link_url: String,
    errors: HashMap<&'static str, String>,
}

#[derive(Serialize)]
struct ListView {
    statuses: Vec<StatusChoice>,
    q: String,
    rows: Vec<Row>,
    filtered: bool,
    page: u32,
    prev_url: Option<String>,
    next_url: Option<String>,
    quick: QuickForm,
    steps: Vec<StepButton>,
    notice: Option<&'static str>,
}

const STATUSES: [Status; 5] = [
    Status::Draft,
    Status::Review,
    Status::Scheduled,
    Status::Published,
    Status::Archived,
];

fn list_url(query: &ListQuery, page: u32) -> String {
    let mut pairs = url_pairs(&[("status", &query.status), ("q", &query.q)]);
    if page > 1 {
        pairs.push(format!("page={page}"));
    }
    if pairs.is_empty() {
        urls::desk_briefs()
    } else {
        format!("{}?{}", urls::desk_briefs(), pairs.join("&"))
    }
}

/// The list of briefs; `json`: as the desk's pickers ask for it.
async fn list_page(
    desk: &Desk,
    query: &ListQuery,
    status: StatusCode,
    quick: QuickForm,
    json: bool,
) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    let Some(page) = page_number(&query.page) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "The page number is not one the list has.",
        );
    };
    let wanted = match query.status.as_str() {
        "" => None,
        s => match Status::parse(s) {
            Some(status) => Some(status),
            None => {
                return plain(
                    StatusCode::BAD_REQUEST,
                    "Choose one of the statuses offered.",
                );
            }
        },
    };
    let store = &desk.app.store;
    let filter = WorkFilter {
        status: wanted,
        headline: Some(query.q.trim().to_string()).filter(|q| !q.is_empty()),
        own: own_only(&me.user),
        ..Default::default()
    };
    let settings = match crate::services::settings::load(store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let offset = i64::from(page - 1) * PER_PAGE;
    let mut items = match store.work_briefs(&filter, PER_PAGE + 1, offset).await {
        Ok(items) => items,
        Err(e) => return unavailable(e),
    };
    let has_next = items.len() as i64 > PER_PAGE;
    items.truncate(PER_PAGE as usize);
    let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    // The desk's pickers ask for the same list as JSON.
    if json {
        return super::picker_answer(
            items
                .into_iter()
                .map(|item| super::PickerItem {
                    detail: format!(
                        "{} · {}",
                        status_label(item.status),
                        dates::format(item.updated_at, &tz, "%-d %b %Y, %H:%M")
                    ),
                    id: item.id,
                    label: item.headline,
                })
                .collect(),
        );
    }
    let view = ListView {
        statuses: STATUSES
            .iter()
            .map(|s| StatusChoice {
                value: s.as_str(),
                label: status_label(*s),
                selected: Some(*s) == wanted,
            })
            .collect(),
        q: query.q.clone(),
        rows: items
            .into_iter()
            .map(|item| Row {
                url: urls::desk_brief(&item.id),
                status: item.status.as_str(),
                status_label: status_label(item.status),
                updated: dates::format(item.updated_at, &tz, "%-d %b %Y, %H:%M"),
                headline: item.headline,
            })
            .collect(),
        filtered: filter.status.is_some() || filter.headline.is_some(),
        page,
        prev_url: (page > 1).then(|| list_url(query, page - 1)),
        next_url: has_next.then(|| list_url(query, page + 1)),
        quick,
        steps: offered_steps(&me.user, None, true, false)
            .into_iter()
            .filter(|s| s.step != "schedule")
            .collect(),
        notice: match query.done.as_str() {
            "deleted" => Some("The brief is deleted."),
            _ => None,
        },
    };
    render(
        desk,
        Frame::page("desk/briefs.html", "Briefs", "briefs").status(status),
        view,
    )
    .await
}

pub(super) async fn list(
    desk: Desk,
    headers: axum::http::HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    let json = super::wants_json(&headers);
    list_page(&desk, &query, StatusCode::OK, QuickForm::default(), json).await
}

fn read_fields(form: &Fields, tz: &jiff::tz::TimeZone) -> (BriefFields, Option<String>) {
    let typed = form.get("publish_at").trim();
    let publish_at = dates::parse_local_input(typed, tz);
    let unreadable = (!typed.is_empty() && publish_at.is_none()).then(|| typed.to_string());
    (
        BriefFields {
            headline: form.get("headline").to_string(),
            body: form.get("body").to_string(),
            link_url: form.get("link_url").trim().to_string(),
            image_id: form.get("image_id").to_string(),
            slug: form.get("slug").trim().to_string(),
            publish_at,
        },
        unreadable,
    )
}

fn field_name(field: &'static str) -> &'static str {
    match field {
        "image" => "image_id",
        other => other,
    }
}

/// The quick form on the list: a new brief, saved or published at once.
pub(super) async fn create(desk: Desk, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let Some(step) = Step::parse(form.get("step")) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "Choose one of the buttons under the brief.",
        );
    };
    let (fields, _) = read_fields(&form, &jiff::tz::TimeZone::UTC);
    let store = &desk.app.store;
    match editing::save_brief(store, &me.user, None, fields.clone(), step, None).await {
        Ok(brief) => see_other(&format!(
            "{}?done={}",
            urls::desk_brief(&brief.id),
            step.as_str()
        )),
        Err(ContentError::Invalid { field, message }) => {
            let quick = QuickForm {
                headline: fields.headline,
                body: fields.body,
                link_url: fields.link_url,
                errors: HashMap::from([(field_name(field), capitalized(&message))]),
            };
            list_page(
                &desk,
                &ListQuery::default(),
                StatusCode::BAD_REQUEST,
                quick,
                false,
            )
            .await
        }
        Err(e) => failure(&desk, e).await,
    }
}

async fn failure(desk: &Desk, e: ContentError) -> Response {
    match e {
        ContentError::Forbidden(why) => forbidden(desk, &why).await,
        ContentError::Storage(e) => unavailable(e),
        other => plain(StatusCode::CONFLICT, &capitalized(&other.to_string())),
    }
}

#[derive(Serialize)]
struct EditorView {
    action: String,
    revision: i64,
    fields: BriefFields,
    status: &'static str,
    status_label: &'static str,
    publish_at: String,
    timezone: String,
    steps: Vec<StepButton>,
    errors: HashMap<&'static str, String>,
    notice: Option<&'static str>,
    public_url: Option<String>,
    revisions_url: String,
    delete_url: String,
    may_delete: bool,
}

/// The brief at `id`, if the person signed in may open it.
async fn stored_brief(desk: &Desk, id: &str) -> Result<Brief, Response> {
    match desk.app.store.brief_by_id(id).await {
        Ok(Some(brief)) => {
            let public = brief.is_public(desk.app.store.clock().now());
            match &desk.signed_in {
                None => Err(desk.sign_in_first()),
                Some(me)
                    if !editing::may_read(&me.user, public, brief.created_by.as_deref(), &[]) =>
                {
                    Err(super::forbidden(desk, super::stories::UNPUBLISHED_OF_OTHERS).await)
                }
                Some(_) => Ok(brief),
            }
        }
        Ok(None) => Err(plain(
            StatusCode::NOT_FOUND,
            "There is no brief with this address: it may have been deleted.",
        )),
        Err(e) => Err(unavailable(e)),
    }
}

async fn editor_page(
    desk: &Desk,
    status_code: StatusCode,
    brief: &Brief,
    fields: BriefFields,
    errors: HashMap<&'static str, String>,
    notice: Option<&'static str>,
) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    let settings = match crate::services::settings::load(&desk.app.store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let own = editing::owns(&me.user, brief.created_by.as_deref(), &[]);
    let view = EditorView {
        action: urls::desk_brief(&brief.id),
        revision: brief.revision,
        status: brief.status.as_str(),
        status_label: status_label(brief.status),
        publish_at: fields
            .publish_at
            .filter(|_| brief.status == Status::Scheduled)
            .map(|t| dates::local_input(t, &tz))
            .unwrap_or_default(),
        timezone: settings.timezone.clone(),
        steps: offered_steps(&me.user, Some(brief.status), own, false),
        errors,
        notice,
        public_url: brief
            .is_public(desk.app.store.clock().now())
            .then(|| urls::brief(&brief.slug)),
        revisions_url: urls::desk_brief_action(&brief.id, "revisions"),
        delete_url: urls::desk_brief_action(&brief.id, "delete"),
        may_delete: may(me.user.role, Action::Delete, own),
        fields,
    };
    let title = format!("Brief: {}", brief.headline);
    render(
        desk,
        Frame::page("desk/brief.html", &title, "briefs").status(status_code),
        view,
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct EditorQuery {
    #[serde(default)]
    done: String,
}

pub(super) async fn edit(
    desk: Desk,
    Path(id): Path<String>,
    Query(query): Query<EditorQuery>,
) -> Response {
    if desk.signed_in.is_none() {
        return desk.sign_in_first();
    }
    let brief = match stored_brief(&desk, &id).await {
        Ok(brief) => brief,
        Err(answer) => return answer,
    };
    let notice = match query.done.as_str() {
        "save" => Some("Saved."),
        "submit" => Some("Submitted for review."),
        "publish" => Some("Published: readers can see it now."),
        "schedule" => Some("Scheduled: it goes out at the time set."),
        "unpublish" => Some("Back to draft: readers no longer see it."),
        "archive" => Some("Archived."),
        "restored" => Some("The revision is restored (saved as a new revision)."),
        _ => None,
    };
    let fields = BriefFields::of(&brief);
    editor_page(
        &desk,
        StatusCode::OK,
        &brief,
        fields,
        HashMap::new(),
        notice,
    )
    .await
}

pub(super) async fn update(desk: Desk, Path(id): Path<String>, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let Some(step) = Step::parse(form.get("step")) else {
        return plain(
            StatusCode::BAD_REQUEST,
            "Choose one of the buttons under the brief.",
        );
    };
    let brief = match stored_brief(&desk, &id).await {
        Ok(brief) => brief,
        Err(answer) => return answer,
    };
    let store = &desk.app.store;
    let settings = match crate::services::settings::load(store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let (fields, unreadable) = read_fields(&form, &tz);
    if let Some(typed) = unreadable {
        let errors = HashMap::from([(
            "published_at",
            format!("{typed:?} is not a date and time: use the date picker"),
        )]);
        return editor_page(&desk, StatusCode::BAD_REQUEST, &brief, fields, errors, None).await;
    }
    let based_on = form.get("revision").parse::<i64>().ok();
    match editing::save_brief(
        store,
        &me.user,
        Some(&brief),
        fields.clone(),
        step,
        based_on,
    )
    .await
    {
        Ok(saved) => see_other(&format!(
            "{}?done={}",
            urls::desk_brief(&saved.id),
            step.as_str()
        )),
        Err(ContentError::Invalid { field, message }) => {
            let errors = HashMap::from([(field_name(field), capitalized(&message))]);
            editor_page(&desk, StatusCode::BAD_REQUEST, &brief, fields, errors, None).await
        }
        Err(e @ (ContentError::SlugTaken(_) | ContentError::Stale)) => {
            let errors = HashMap::from([("form", capitalized(&e.to_string()))]);
            let current = match stored_brief(&desk, &id).await {
                Ok(current) => current,
                Err(answer) => return answer,
            };
            editor_page(&desk, StatusCode::CONFLICT, &current, fields, errors, None).await
        }
        Err(e) => failure(&desk, e).await,
    }
}

pub(super) async fn revisions(
    desk: Desk,
    Path(id): Path<String>,
    Query(query): Query<RevisionsQuery>,
) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    let brief = match stored_brief(&desk, &id).await {
        Ok(brief) => brief,
        Err(answer) => return answer,
    };
    let own = editing::owns(&me.user, brief.created_by.as_deref(), &[]);
    let piece = Piece {
        may_restore: editing::actions_for(Step::Save, Some(brief.status))
            .iter()
            .all(|&a| may(me.user.role, a, own)),
        ..revisions_of(&brief)
    };
    revisions_page(&desk, piece, &query, &compare_revisions).await
}

/// `delete` or `restore` on a brief.
pub(super) async fn action(
    desk: Desk,
    Path((id, action)): Path<(String, String)>,
    form: Fields,
) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let brief = match stored_brief(&desk, &id).await {
        Ok(brief) => brief,
        Err(answer) => return answer,
    };
    let store = &desk.app.store;
    match action.as_str() {
        "delete" => match editing::delete_brief(store, &me.user, &brief).await {
            Ok(()) => see_other(&format!("{}?done=deleted", urls::desk_briefs())),
            Err(e) => failure(&desk, e).await,
        },
        "restore" => {
            let Ok(number) = form.get("number").parse::<i64>() else {
                return plain(StatusCode::BAD_REQUEST, "Choose a revision to restore.");
            };
            let revisions = match store.revisions(PieceKind::Brief, &id).await {
                Ok(revisions) => revisions,
                Err(e) => return unavailable(e),
            };
            let Some(fields) = revisions
                .iter()
                .find(|r| r.number == number)
                .and_then(|r| crate::services::editing::revision_fields::<BriefFields>(&r.fields))
            else {
                return plain(StatusCode::NOT_FOUND, "That revision does not exist.");
            };
            let live = matches!(brief.status, Status::Published | Status::Scheduled);
            let confirmed = form.get("confirmed") == "yes";
            let piece = revisions_of(&brief);
            if let Some(ask) =
                ask_before_restoring(&desk, &piece, number, live, confirmed, &compare_revisions)
                    .await
            {
                return ask;
            }
            let based_on = form.get("revision").parse::<i64>().ok();
            match editing::save_brief(
                store,
                &me.user,
                Some(&brief),
                fields,
                Step::Restore,
                based_on,
            )
            .await
            {
                Ok(_) => see_other(&format!("{}?done=restored", urls::desk_brief(&id))),
                Err(e) => failure(&desk, e).await,
            }
        }
        _ => not_found().await,
    }
}

/// Two revisions' fields (as saved) compared.
fn compare_revisions(a: &str, b: &str) -> Vec<crate::services::diff::FieldChange> {
    match (
        editing::revision_fields::<BriefFields>(a),
        editing::revision_fields::<BriefFields>(b),
    ) {
        (Some(a), Some(b)) => editing::brief_changes(&a, &b),
        _ => vec![],
    }
}

/// The brief as its revisions page shows it (restoring: see `revisions`).
fn revisions_of(brief: &Brief) -> Piece<'_> {
    Piece {
        kind: PieceKind::Brief,
        id: &brief.id,
        headline: &brief.headline,
        back_url: urls::desk_brief(&brief.id),
        base_url: urls::desk_brief(&brief.id),
        current: brief.revision,
        may_restore: true,
        desk_section: "briefs",
    }
}
