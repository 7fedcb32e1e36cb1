//! Briefs in the desk: the list with a quick form on top (headline, a few
//! lines, a link: saved or published at once), the editor with the same
//! workflow steps as stories, revisions and deletion.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::form::Fields;
use super::revisions::{
    Piece, RestoreFields, Restoring, RevisionsQuery, restore_refused, restoring, revisions_page,
};
use super::session::CsrfForm;
use super::stories::{StepButton, offered_steps, own_only, status_label, url_pairs};
use super::{
    CheckedForm, Desk, DeskError, DeskResult, Frame, SignedInDesk, page_key, render, see_other,
    site_timezone,
};
use crate::model::text::capitalized;
use crate::model::{Brief, Status, dates};
use crate::services::accounts::SignedIn;
use crate::services::editing::{self, BriefFields, Step};
use crate::services::permissions::{Action, may};
use crate::services::publishing::ContentError;
use crate::store::Cursor;
use crate::store::{PieceKind, WorkFilter};
use crate::urls;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    /// The page of briefs changed before this key.
    #[serde(default)]
    older: String,
    /// The page of briefs changed after this key.
    #[serde(default)]
    newer: String,
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

/// The list's address with the same filters, at the page `side` (`older`
/// or `newer`) of `key`.
fn list_url(query: &ListQuery, side: &str, key: &Cursor) -> String {
    let token = key.token();
    let pairs = url_pairs(&[("status", &query.status), ("q", &query.q), (side, &token)]);
    format!("{}?{}", urls::desk_briefs(), pairs.join("&"))
}

/// The list of briefs; `json`: as the desk's pickers ask for it.
async fn list_page(
    desk: &Desk,
    me: &SignedIn,
    query: &ListQuery,
    status: StatusCode,
    quick: QuickForm,
    json: bool,
) -> DeskResult {
    let key = page_key(&query.older, &query.newer)?;
    let wanted = super::stories::status_filter(&query.status)?;
    let store = &desk.app.store;
    let filter = WorkFilter {
        status: wanted,
        headline: Some(query.q.trim().to_string()).filter(|q| !q.is_empty()),
        own: own_only(&me.user),
        ..Default::default()
    };
    let tz = site_timezone(&desk.app).await?;
    let page = store.work_briefs(&filter, &key, PER_PAGE).await?;
    let (items, older, newer) = (page.rows, page.older, page.newer);
    // The desk's pickers ask for the same list as JSON.
    if json {
        return Ok(super::picker_answer(
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
        ));
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
        prev_url: newer.map(|key| list_url(query, "newer", &key)),
        next_url: older.map(|key| list_url(query, "older", &key)),
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
    SignedInDesk { desk, me }: SignedInDesk,
    headers: axum::http::HeaderMap,
    Query(query): Query<ListQuery>,
) -> DeskResult {
    let json = super::wants_json(&headers);
    list_page(
        &desk,
        &me,
        &query,
        StatusCode::OK,
        QuickForm::default(),
        json,
    )
    .await
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
pub(super) async fn create(CheckedForm { desk, me, form }: CheckedForm<Fields>) -> DeskResult {
    let step = chosen_step(&form)?;
    let (fields, _) = read_fields(&form, &jiff::tz::TimeZone::UTC);
    let store = &desk.app.store;
    match editing::save_brief(store, &me.user, None, fields.clone(), step, None).await {
        Ok(brief) => Ok(see_other(&format!(
            "{}?done={}",
            urls::desk_brief(&brief.id),
            step.as_str()
        ))),
        Err(ContentError::Invalid { field, message }) => {
            let quick = QuickForm {
                headline: fields.headline,
                body: fields.body,
                link_url: fields.link_url,
                errors: HashMap::from([(field_name(field), capitalized(&message))]),
            };
            let query = ListQuery::default();
            list_page(&desk, &me, &query, StatusCode::BAD_REQUEST, quick, false).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The workflow step a form's button asks for.
fn chosen_step(form: &Fields) -> DeskResult<Step> {
    Step::parse(form.get("step"))
        .ok_or_else(|| DeskError::invalid("Choose one of the buttons under the brief."))
}

#[derive(Serialize)]
struct EditorView {
    action: String,
    revision: i64,
    fields: BriefFields,
    images: Vec<super::ImageChoice>,
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
async fn stored_brief(desk: &Desk, me: &SignedIn, id: &str) -> DeskResult<Brief> {
    let brief = desk.app.store.brief_by_id(id).await?.ok_or_else(|| {
        DeskError::not_found("There is no brief with this address: it may have been deleted.")
    })?;
    let public = brief.is_public(desk.app.store.clock().now());
    if !editing::may_read(&me.user, public, brief.created_by.as_deref(), &[]) {
        return Err(DeskError::forbidden(super::stories::UNPUBLISHED_OF_OTHERS));
    }
    Ok(brief)
}

async fn editor_page(
    desk: &Desk,
    me: &SignedIn,
    status_code: StatusCode,
    brief: &Brief,
    fields: BriefFields,
    errors: HashMap<&'static str, String>,
    notice: Option<&'static str>,
) -> DeskResult {
    let store = &desk.app.store;
    let (settings, images) = tokio::try_join!(
        store.site_settings(),
        super::image_choices(store, &fields.image_id, "(no photo)")
    )?;
    let tz = settings.time_zone();
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
        images,
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
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
    Query(query): Query<EditorQuery>,
) -> DeskResult {
    let brief = stored_brief(&desk, &me, &id).await?;
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
    let errors = HashMap::new();
    editor_page(&desk, &me, StatusCode::OK, &brief, fields, errors, notice).await
}

pub(super) async fn update(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<Fields>,
) -> DeskResult {
    let step = chosen_step(&form)?;
    let brief = stored_brief(&desk, &me, &id).await?;
    let store = &desk.app.store;
    let tz = site_timezone(&desk.app).await?;
    let (fields, unreadable) = read_fields(&form, &tz);
    if let Some(typed) = unreadable {
        let errors = HashMap::from([(
            "published_at",
            format!("{typed:?} is not a date and time: use the date picker"),
        )]);
        let status = StatusCode::BAD_REQUEST;
        return editor_page(&desk, &me, status, &brief, fields, errors, None).await;
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
        Ok(saved) => Ok(see_other(&format!(
            "{}?done={}",
            urls::desk_brief(&saved.id),
            step.as_str()
        ))),
        Err(ContentError::Invalid { field, message }) => {
            let errors = HashMap::from([(field_name(field), capitalized(&message))]);
            let status = StatusCode::BAD_REQUEST;
            editor_page(&desk, &me, status, &brief, fields, errors, None).await
        }
        Err(e @ (ContentError::SlugTaken(_) | ContentError::Stale)) => {
            let errors = HashMap::from([("form", capitalized(&e.to_string()))]);
            let current = stored_brief(&desk, &me, &id).await?;
            let status = StatusCode::CONFLICT;
            editor_page(&desk, &me, status, &current, fields, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn revisions(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
    Query(query): Query<RevisionsQuery>,
) -> DeskResult {
    let brief = stored_brief(&desk, &me, &id).await?;
    let own = editing::owns(&me.user, brief.created_by.as_deref(), &[]);
    let piece = Piece {
        may_restore: editing::actions_for(Step::Save, Some(brief.status))
            .iter()
            .all(|&a| may(me.user.role, a, own)),
        ..revisions_of(&brief)
    };
    revisions_page(&desk, piece, &query, &compare_revisions).await
}

pub(super) async fn delete(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    let brief = stored_brief(&desk, &me, &id).await?;
    editing::delete_brief(&desk.app.store, &me.user, &brief).await?;
    Ok(see_other(&format!("{}?done=deleted", urls::desk_briefs())))
}

pub(super) async fn restore(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<RestoreFields>,
) -> DeskResult {
    let brief = stored_brief(&desk, &me, &id).await?;
    let live = matches!(brief.status, Status::Published | Status::Scheduled);
    let piece = revisions_of(&brief);
    match restoring::<BriefFields>(&desk, &piece, &form, live, &compare_revisions).await? {
        Restoring::Ask(page) => Ok(page),
        Restoring::Go { fields, based_on } => {
            let store = &desk.app.store;
            let step = Step::Restore;
            editing::save_brief(store, &me.user, Some(&brief), fields, step, based_on)
                .await
                .map_err(|e| restore_refused(e, "brief"))?;
            Ok(see_other(&format!(
                "{}?done=restored",
                urls::desk_brief(&id)
            )))
        }
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
