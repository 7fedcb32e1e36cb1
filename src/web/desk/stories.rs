//! Stories in the desk: the list with its filters, the editor with the
//! workflow's steps, previews (beside the editor, and by secret link),
//! notes, revisions and deletion. Handlers read the form and show the
//! answer; who may do what is `services::editing`'s to decide.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::form::Fields;
use super::revisions::{
    Piece, RestoreFields, Restoring, RevisionsQuery, restore_refused, restoring, revisions_page,
};
use super::session::CsrfForm;
use super::{
    CheckedForm, Desk, DeskError, DeskResult, Frame, SignedInDesk, page_key, render, see_other,
};
use crate::model::text::capitalized;
use crate::model::{NoteKind, SiteSettings, Status, dates};
use crate::services::accounts::SignedIn;
use crate::services::diff::FieldChange;
use crate::services::editing::{self, Step, StoryFields};
use crate::services::permissions::{Action, may};
use crate::services::publishing::ContentError;
use crate::store::Cursor;
use crate::store::{Owner, PieceKind, StoryCard, WorkFilter};
use crate::urls;
use crate::web::site::SitePresenter;

/// Stories on one page of the desk's list.
const PER_PAGE: i64 = 50;
/// Author choices in the editor (bylines rarely run longer).
const BYLINE_SLOTS: usize = 4;

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    section: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    q: String,
    /// The page of stories changed before this key.
    #[serde(default)]
    older: String,
    /// The page of stories changed after this key.
    #[serde(default)]
    newer: String,
}

/// One option of a list.
#[derive(Serialize)]
pub(super) struct Choice {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// The byline's pickers: one a slot (at least `BYLINE_SLOTS`), each with
/// every author, and "(none)".
pub(super) fn byline_slots(
    authors: &[crate::model::Author],
    chosen: &[String],
) -> Vec<Vec<Choice>> {
    let mut slots: Vec<String> = chosen.to_vec();
    slots.resize(BYLINE_SLOTS.max(chosen.len()), String::new());
    slots
        .iter()
        .map(|chosen| {
            let mut list = vec![Choice {
                value: String::new(),
                label: "(none)".into(),
                selected: chosen.is_empty(),
            }];
            list.extend(choices(
                authors.iter().map(|a| (a.id.as_str(), a.name.as_str())),
                chosen,
            ));
            list
        })
        .collect()
}

fn choices<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>, chosen: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == chosen,
            value: value.to_string(),
            label: label.to_string(),
        })
        .collect()
}

/// What a list backed by a picker offers without scripting: the first
/// choices and the chosen one (with scripting, the picker finds any).
const FIRST_CHOICES: usize = 20;

fn first_choices<'a>(
    items: impl IntoIterator<Item = (&'a str, &'a str)>,
    chosen: &str,
) -> Vec<Choice> {
    choices(items, chosen)
        .into_iter()
        .enumerate()
        .filter(|(i, c)| *i < FIRST_CHOICES || c.selected)
        .map(|(_, c)| c)
        .collect()
}

/// Tags the tag field suggests before anything is typed.
const SUGGESTED_TAGS: i64 = 20;

#[derive(Serialize)]
struct Row {
    #[serde(skip)]
    id: String,
    url: String,
    headline: String,
    status: &'static str,
    status_label: &'static str,
    section: String,
    label: String,
    authors: String,
    updated: String,
}

#[derive(Serialize)]
struct ListView {
    statuses: Vec<Choice>,
    sections: Vec<Choice>,
    labels: Vec<Choice>,
    authors: Vec<Choice>,
    q: String,
    rows: Vec<Row>,
    filtered: bool,
    prev_url: Option<String>,
    next_url: Option<String>,
    only_own: bool,
}

pub(super) fn status_label(status: Status) -> &'static str {
    match status {
        Status::Draft => "Draft",
        Status::Review => "In review",
        Status::Scheduled => "Scheduled",
        Status::Published => "Published",
        Status::Archived => "Archived",
    }
}

const STATUSES: [Status; 5] = [
    Status::Draft,
    Status::Review,
    Status::Scheduled,
    Status::Published,
    Status::Archived,
];

/// Those who may open only their own unpublished pieces (authors,
/// contributors) see their own in the desk's lists; editors and owners
/// the newsroom's. The same rule as the Admin API's (`editing::audience`).
pub(super) fn own_only(user: &crate::model::accounts::User) -> Option<Owner> {
    match editing::audience(user) {
        crate::store::browse::Audience::Own { user_id, author_id } => {
            Some(Owner { user_id, author_id })
        }
        _ => None,
    }
}

/// A status filter from a list's query: none when empty.
pub(super) fn status_filter(text: &str) -> DeskResult<Option<Status>> {
    match text {
        "" => Ok(None),
        s => Status::parse(s)
            .map(Some)
            .ok_or_else(|| DeskError::invalid("Choose one of the statuses offered.")),
    }
}

/// The list's address with the same filters, at the page `side` (`older`
/// or `newer`) of `key`.
fn list_url(query: &ListQuery, side: &str, key: &Cursor) -> String {
    let token = key.token();
    let pairs = url_pairs(&[
        ("status", &query.status),
        ("section", &query.section),
        ("label", &query.label),
        ("author", &query.author),
        ("q", &query.q),
        (side, &token),
    ]);
    format!("{}?{}", urls::desk_stories(), pairs.join("&"))
}

pub(super) fn url_pairs(pairs: &[(&str, &str)]) -> Vec<String> {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urls::query_encode(v)))
        .collect()
}

pub(super) async fn list(
    SignedInDesk { desk, me }: SignedInDesk,
    headers: axum::http::HeaderMap,
    Query(query): Query<ListQuery>,
) -> DeskResult {
    let key = page_key(&query.older, &query.newer)?;
    let status = status_filter(&query.status)?;
    let store = &desk.app.store;
    let filter = WorkFilter {
        status,
        section_id: Some(query.section.clone()).filter(|s| !s.is_empty()),
        label: Some(query.label.clone()).filter(|s| !s.is_empty()),
        author_id: Some(query.author.clone()).filter(|s| !s.is_empty()),
        headline: Some(query.q.trim().to_string()).filter(|s| !s.is_empty()),
        own: own_only(&me.user),
    };
    let (settings, sections, authors, page) = tokio::try_join!(
        store.site_settings(),
        store.sections(),
        store.authors(),
        store.work_stories(&filter, &key, PER_PAGE),
    )?;
    let tz = settings.time_zone();
    let rows = page
        .rows
        .into_iter()
        .map(|item| Row {
            url: urls::desk_story(&item.id),
            id: item.id,
            status: item.status.as_str(),
            status_label: status_label(item.status),
            section: sections
                .iter()
                .find(|s| s.id == item.section_id)
                .map_or_else(String::new, |s| s.name.clone()),
            label: item.label,
            authors: item.authors.unwrap_or_default(),
            updated: dates::format(item.updated_at, &tz, "%-d %b %Y, %H:%M"),
            headline: item.headline,
        })
        .collect::<Vec<Row>>();
    // The desk's pickers ask for the same list as JSON.
    if super::wants_json(&headers) {
        return Ok(super::picker_answer(
            rows.into_iter()
                .map(|r| super::PickerItem {
                    detail: [r.status_label, &r.section, &r.updated]
                        .iter()
                        .filter(|part| !part.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" · "),
                    id: r.id,
                    label: r.headline,
                })
                .collect(),
        ));
    }
    let view = ListView {
        statuses: choices(
            STATUSES.iter().map(|s| (s.as_str(), status_label(*s))),
            &query.status,
        ),
        sections: first_choices(
            sections.iter().map(|s| (s.id.as_str(), s.name.as_str())),
            &query.section,
        ),
        labels: choices(
            settings.labels.iter().map(|l| (l.as_str(), l.as_str())),
            &query.label,
        ),
        authors: first_choices(
            authors.iter().map(|a| (a.id.as_str(), a.name.as_str())),
            &query.author,
        ),
        filtered: filter.status.is_some()
            || filter.section_id.is_some()
            || filter.label.is_some()
            || filter.author_id.is_some()
            || filter.headline.is_some(),
        q: query.q.clone(),
        rows,
        prev_url: page.newer.map(|key| list_url(&query, "newer", &key)),
        next_url: page.older.map(|key| list_url(&query, "older", &key)),
        only_own: filter.own.is_some(),
    };
    render(
        &desk,
        Frame::page("desk/stories.html", "Stories", "stories"),
        view,
    )
    .await
}

/// A workflow button the editor offers.
#[derive(Serialize)]
pub(super) struct StepButton {
    pub step: &'static str,
    label: &'static str,
    primary: bool,
}

#[derive(Serialize)]
struct NoteRow {
    kind: &'static str,
    date: String,
    body: String,
    /// For the change form: the note's kind, date as the date picker
    /// takes it, and where the form goes.
    kind_value: &'static str,
    local_date: String,
    action: String,
}

/// A note as it read before an editor changed or removed it.
#[derive(Serialize)]
struct RetiredNoteRow {
    kind: &'static str,
    date: String,
    body: String,
    /// "Changed" or "Removed", when and by whom.
    fate: String,
}

#[derive(Serialize)]
struct EditorView {
    new: bool,
    /// Empty for a new story.
    id: String,
    action: String,
    revision: i64,
    fields: StoryFields,
    status: &'static str,
    status_label: &'static str,
    publish_at: String,
    timezone: String,
    sections: Vec<Choice>,
    labels: Vec<Choice>,
    /// One list of author choices per byline slot.
    bylines: Vec<Vec<Choice>>,
    heroes: Vec<super::ImageChoice>,
    tag_names: Vec<String>,
    tags: String,
    steps: Vec<StepButton>,
    errors: HashMap<&'static str, String>,
    notice: Option<String>,
    conflict: Option<Vec<FieldChange>>,
    public_url: Option<String>,
    /// The site's public address, which the search and share previews show.
    site_address: String,
    revisions_url: Option<String>,
    delete_url: Option<String>,
    preview_link_url: Option<String>,
    preview_withdraw_url: Option<String>,
    preview_link: Option<String>,
    notes_url: Option<String>,
    related_url: Option<String>,
    related_pinned: String,
    related_excluded: String,
    notes: Vec<NoteRow>,
    /// Notes as they read before they were changed or removed.
    note_history: Vec<RetiredNoteRow>,
    /// Editors and owners change and remove notes.
    may_change_notes: bool,
    may_delete: bool,
    /// Offered the featured mark.
    may_feature: bool,
    /// Newsletters the story may go out to when published (editors and owners).
    send_to: Vec<Choice>,
    /// Its readers over the last 30 days, once it has been published (for
    /// its own people, editors and owners).
    readers: Option<crate::services::readership::summary::Summary>,
    readers_url: Option<String>,
    /// The story's live desk (for those who may edit it), and whether it
    /// has been covered live.
    live_url: Option<String>,
    covered_live: bool,
}

/// What the editor page shows around the fields.
#[derive(Default)]
struct EditorState {
    errors: HashMap<&'static str, String>,
    notice: Option<String>,
    conflict: Option<Vec<FieldChange>>,
    /// The publication time as typed, when it could not be read.
    publish_at_typed: Option<String>,
    /// The related stories as typed (pinned, excluded), when refused.
    related: Option<(String, String)>,
}

/// The steps this person may take on a piece in this state, in the order
/// shown. `timed`: the form holds a publication time.
pub(super) fn offered_steps(
    user: &crate::model::accounts::User,
    status: Option<Status>,
    own: bool,
    timed: bool,
) -> Vec<StepButton> {
    let candidates: &[(Step, &'static str)] = match status {
        None | Some(Status::Draft) => &[
            (Step::Save, "Save draft"),
            (Step::Submit, "Submit for review"),
            (Step::Publish, "Publish"),
            (Step::Schedule, "Schedule"),
        ],
        Some(Status::Review) => &[
            (Step::Save, "Save"),
            (Step::Publish, "Approve and publish"),
            (Step::Schedule, "Approve and schedule"),
            (Step::Unpublish, "Return to draft"),
        ],
        Some(Status::Scheduled) => &[
            (Step::Save, "Save"),
            (Step::Publish, "Publish now"),
            (Step::Unpublish, "Unschedule"),
        ],
        Some(Status::Published) => &[
            (Step::Save, "Update"),
            (Step::Unpublish, "Unpublish"),
            (Step::Archive, "Archive"),
        ],
        Some(Status::Archived) => &[
            (Step::Save, "Save"),
            (Step::Publish, "Publish again"),
            (Step::Unpublish, "Return to draft"),
        ],
    };
    let allowed: Vec<&(Step, &str)> = candidates
        .iter()
        .filter(|(step, _)| {
            editing::actions_for(*step, status)
                .iter()
                .all(|&a| may(user.role, a, own))
        })
        .collect();
    // The step that moves the piece furthest on, as far as this person
    // may take it, is the prominent one: an editor publishes (or schedules,
    // with a time set), a contributor submits for review.
    let furthest: &[Step] = if timed {
        &[Step::Schedule, Step::Publish, Step::Submit]
    } else {
        &[Step::Publish, Step::Submit]
    };
    let primary = furthest
        .iter()
        .copied()
        .find(|wanted| allowed.iter().any(|(step, _)| step == wanted))
        .or_else(|| allowed.first().map(|(s, _)| *s));
    allowed
        .into_iter()
        .map(|(step, label)| StepButton {
            step: step.as_str(),
            label,
            primary: Some(*step) == primary,
        })
        .collect()
}

/// Loads what the editor needs and shows it.
async fn editor_page(
    desk: &Desk,
    me: &SignedIn,
    status_code: StatusCode,
    stored: Option<&StoryCard>,
    fields: StoryFields,
    state: EditorState,
) -> DeskResult {
    let store = &desk.app.store;
    let id = stored.map(|c| c.story.id.clone());
    let settings = store.site_settings().await?;
    let loaded = tokio::try_join!(
        store.sections(),
        store.authors(),
        super::image_choices(store, &fields.hero_image_id, "(no hero image)"),
        store.tags_matching("", SUGGESTED_TAGS),
        async {
            match &id {
                Some(id) => store.story_preview_token(id).await,
                None => Ok(None),
            }
        },
        async {
            match stored {
                Some(c) if c.notes > 0 => store.notes_of_story(&c.story.id).await,
                _ => Ok(vec![]),
            }
        },
        async {
            match stored {
                Some(c) => store.retired_notes(&c.story.id).await,
                None => Ok(vec![]),
            }
        },
        async {
            match &id {
                Some(id) => editing::related_choices(store, id).await,
                None => Ok(Default::default()),
            }
        },
    );
    let (sections, authors, heroes, tags, preview_token, notes, retired, related) = loaded?;
    let newsletters = if may(me.user.role, Action::Curate, false)
        && !matches!(stored.map(|c| c.story.status), Some(Status::Published))
    {
        store.newsletters().await?
    } else {
        vec![]
    };
    let tz = settings.time_zone();
    let own = stored
        .is_none_or(|c| editing::owns(&me.user, c.story.created_by.as_deref(), &c.author_ids));
    let readers = match stored {
        Some(c)
            if c.story.published_at.is_some()
                && (own || may(me.user.role, Action::ReadSiteReadership, false)) =>
        {
            Some(super::readership::story_panel(store, &c.story.id, &tz).await?)
        }
        _ => None,
    };
    let status = stored.map(|c| c.story.status);
    let story = stored.map(|c| &c.story);
    let view = EditorView {
        live_url: stored
            .filter(|_| may(me.user.role, Action::Edit, own))
            .map(|c| urls::desk_story_action(&c.story.id, "live")),
        covered_live: stored.is_some_and(|c| c.live_from.is_some()),
        readers_url: readers
            .as_ref()
            .and(id.as_deref())
            .map(super::readership::story_url),
        readers,
        new: stored.is_none(),
        id: id.clone().unwrap_or_default(),
        action: id
            .as_deref()
            .map_or_else(urls::desk_new_story, urls::desk_story),
        revision: story.map_or(0, |s| s.revision),
        status: status.map_or("new", Status::as_str),
        status_label: status.map_or("New", status_label),
        publish_at: state.publish_at_typed.clone().unwrap_or_else(|| {
            fields
                .publish_at
                .filter(|_| {
                    status == Some(Status::Scheduled) || state.errors.contains_key("published_at")
                })
                .map(|t| dates::local_input(t, &tz))
                .unwrap_or_default()
        }),
        timezone: settings.timezone.clone(),
        sections: first_choices(
            sections.iter().map(|s| (s.id.as_str(), s.name.as_str())),
            &fields.section_id,
        ),
        labels: choices(
            settings.labels.iter().map(|l| (l.as_str(), l.as_str())),
            &fields.label,
        ),
        bylines: byline_slots(&authors, &fields.author_ids),
        heroes,
        tag_names: tags.into_iter().map(|t| t.name).collect(),
        tags: fields.tags.join(", "),
        steps: offered_steps(&me.user, status, own, fields.publish_at.is_some()),
        errors: state.errors,
        notice: state.notice,
        conflict: state.conflict,
        public_url: story
            .filter(|s| s.is_public(store.clock().now()))
            .map(|s| urls::story(&s.slug)),
        site_address: desk.app.public_url.absolute("/"),
        revisions_url: id
            .as_deref()
            .map(|id| urls::desk_story_action(id, "revisions")),
        delete_url: id
            .as_deref()
            .map(|id| urls::desk_story_action(id, "delete")),
        preview_link_url: id
            .as_deref()
            .map(|id| urls::desk_story_action(id, "preview-link")),
        preview_withdraw_url: id
            .as_deref()
            .map(|id| urls::desk_story_action(id, "preview-withdraw")),
        preview_link: preview_token.map(|t| desk.app.public_url.absolute(&urls::desk_preview(&t))),
        notes_url: id.as_deref().map(|id| urls::desk_story_action(id, "notes")),
        related_url: id
            .as_deref()
            .map(|id| urls::desk_story_action(id, "related")),
        related_pinned: state.related.clone().map_or(related.0, |r| r.0),
        related_excluded: state.related.clone().map_or(related.1, |r| r.1),
        notes: notes
            .iter()
            .map(|n| NoteRow {
                kind: n.kind.heading(),
                date: dates::format(n.noted_at, &tz, "%-d %b %Y"),
                body: n.body.clone(),
                kind_value: n.kind.as_str(),
                local_date: dates::local_input(n.noted_at, &tz),
                action: format!("{}/{}", urls::desk_story_action(&n.story_id, "notes"), n.id),
            })
            .collect(),
        note_history: retired
            .iter()
            .map(|r| RetiredNoteRow {
                kind: r.note.kind.heading(),
                date: dates::format(r.note.noted_at, &tz, "%-d %b %Y"),
                body: r.note.body.clone(),
                fate: format!(
                    "{} {} by {}",
                    if r.replaced_by.is_some() {
                        "Changed"
                    } else {
                        "Removed"
                    },
                    dates::format(r.retired_at, &tz, "%-d %b %Y, %H:%M"),
                    r.retired_by_name.as_deref().unwrap_or("a former account")
                ),
            })
            .collect(),
        may_change_notes: may(me.user.role, Action::Edit, false),
        may_delete: may(me.user.role, Action::Delete, own),
        may_feature: may(me.user.role, Action::Feature, own),
        send_to: newsletters
            .iter()
            .map(|n| Choice {
                value: n.id.clone(),
                label: n.name.clone(),
                selected: false,
            })
            .collect(),
        fields,
    };
    let title = if view.new {
        "New story".to_string()
    } else {
        format!("Edit: {}", story.map_or("", |s| s.headline.as_str()))
    };
    let frame = Frame::page("desk/story.html", &title, "stories").status(status_code);
    render(desk, frame, view).await
}

#[derive(Deserialize)]
pub(super) struct EditorQuery {
    #[serde(default)]
    done: String,
}

fn done_notice(done: &str) -> Option<String> {
    Some(
        match done {
            "save" => "Saved.",
            "submit" => "Submitted for review: the editors will see it in their queue.",
            "publish" => "Published: readers can see it now.",
            "schedule" => "Scheduled: it goes out at the time set.",
            "unpublish" => "Back to draft: readers no longer see it.",
            "archive" => "Archived: its address now answers that it is gone.",
            "restored" => "The revision is restored (saved as a new revision).",
            "note" => "The note is added at the foot of the story.",
            "note-changed" => "The note is changed; its earlier wording is kept below.",
            "note-removed" => "The note is removed from the story; it is kept below.",
            "related" => {
                "The related stories are saved: readers see them on the story\u{2019}s next view."
            }
            "preview-link" => "The preview link is ready below.",
            "preview-withdrawn" => "The preview link no longer works.",
            _ => return None,
        }
        .to_string(),
    )
}

pub(super) async fn new_story(SignedInDesk { desk, me }: SignedInDesk) -> DeskResult {
    let why = crate::services::permissions::refusal(me.user.role, Action::Create);
    if !may(me.user.role, Action::Create, true) {
        return Err(DeskError::forbidden(why));
    }
    let store = &desk.app.store;
    let (settings, sections) = tokio::try_join!(store.site_settings(), store.sections())?;
    // A new story is bylined to its writer (with a profile made on first need).
    let author = editing::author_of(store, &me.user).await?;
    let fields = StoryFields {
        label: settings.labels.first().cloned().unwrap_or_default(),
        section_id: sections.first().map(|s| s.id.clone()).unwrap_or_default(),
        author_ids: vec![author.id],
        ..Default::default()
    };
    editor_page(
        &desk,
        &me,
        StatusCode::OK,
        None,
        fields,
        EditorState::default(),
    )
    .await
}

/// Why an unpublished piece of someone else's does not open.
pub(super) const UNPUBLISHED_OF_OTHERS: &str = "This piece is not published, and only an editor or one of its own authors may open it before it is.";

/// The story at `id`, if the person signed in may open it; else why not
/// (not there, not theirs).
pub(super) async fn stored_story(desk: &Desk, me: &SignedIn, id: &str) -> DeskResult<StoryCard> {
    let mut cards = desk.app.store.story_cards_by_ids(&[id.to_string()]).await?;
    if cards.is_empty() {
        return Err(DeskError::not_found(
            "There is no story with this address: it may have been deleted.",
        ));
    }
    let card = cards.remove(0);
    let now = desk.app.store.clock().now();
    let public = card.story.is_public(now);
    if !editing::may_read(
        &me.user,
        public,
        card.story.created_by.as_deref(),
        &card.author_ids,
    ) {
        return Err(DeskError::forbidden(UNPUBLISHED_OF_OTHERS));
    }
    Ok(card)
}

pub(super) async fn edit_story(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
    Query(query): Query<EditorQuery>,
) -> DeskResult {
    let card = stored_story(&desk, &me, &id).await?;
    let tags = desk.app.store.tags().await?;
    let fields = StoryFields::of(&card, &tags);
    let mut notice = done_notice(&query.done);
    // Scheduled: when it goes out, in the site's time zone.
    if let ("schedule", Status::Scheduled, Some(at)) = (
        query.done.as_str(),
        card.story.status,
        card.story.published_at,
    ) {
        let settings = desk.app.store.site_settings().await?;
        notice = Some(format!(
            "Scheduled: it goes out on {} ({} time).",
            dates::format(at, &settings.time_zone(), "%A %-d %B %Y at %H:%M"),
            settings.timezone
        ));
    }
    let state = EditorState {
        notice,
        ..Default::default()
    };
    editor_page(&desk, &me, StatusCode::OK, Some(&card), fields, state).await
}

/// The editor's fields as sent; `Err` names a field that could not be read.
fn read_fields(form: &Fields, settings: &SiteSettings) -> (StoryFields, Option<String>) {
    let tz = settings.time_zone();
    let typed_time = form.get("publish_at").trim();
    let publish_at = dates::parse_local_input(typed_time, &tz);
    let unreadable_time =
        (!typed_time.is_empty() && publish_at.is_none()).then(|| typed_time.to_string());
    let fields = StoryFields {
        headline: form.get("headline").to_string(),
        dek: form.get("dek").to_string(),
        label: form.get("label").to_string(),
        section_id: form.get("section_id").to_string(),
        body: form.get("body").to_string(),
        custom_excerpt: form.get("custom_excerpt").to_string(),
        hero_image_id: form.get("hero_image_id").to_string(),
        hero_alt: form.get("hero_alt").to_string(),
        hero_caption: form.get("hero_caption").to_string(),
        hero_credit: form.get("hero_credit").to_string(),
        slug: form.get("slug").trim().to_string(),
        seo_title: form.get("seo_title").to_string(),
        seo_description: form.get("seo_description").to_string(),
        featured: form.has("featured"),
        author_ids: form.all("author"),
        tags: form
            .get("tags")
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        publish_at,
    };
    (fields, unreadable_time)
}

/// The editor's `field` names in error messages, as the form names its inputs.
fn form_field(field: &'static str) -> &'static str {
    match field {
        "image" => "hero_image_id",
        "author_ids" => "author",
        other => other,
    }
}

pub(super) async fn create_story(checked: CheckedForm<Fields>) -> DeskResult {
    save(checked, None).await
}

pub(super) async fn update_story(
    Path(id): Path<String>,
    checked: CheckedForm<Fields>,
) -> DeskResult {
    save(checked, Some(id)).await
}

async fn save(
    CheckedForm { desk, me, form }: CheckedForm<Fields>,
    id: Option<String>,
) -> DeskResult {
    let step = Step::parse(form.get("step"))
        .ok_or_else(|| DeskError::invalid("Choose one of the buttons under the story."))?;
    let stored = match &id {
        Some(id) => Some(stored_story(&desk, &me, id).await?),
        None => None,
    };
    let store = &desk.app.store;
    let settings = store.site_settings().await?;
    // A story sent to a newsletter as it goes out: who may send it is
    // settled before anything is saved.
    let going_out = matches!(step, Step::Publish | Step::Schedule);
    let mailing = Some(form.get("send_to")).filter(|n| going_out && !n.is_empty());
    if mailing.is_some() {
        editing::may_send(&me.user)?;
    }
    let (mut fields, unreadable_time) = read_fields(&form, &settings);
    if !may(me.user.role, Action::Feature, false) {
        // The form offers no such box to them: the story keeps its mark.
        fields.featured = stored.as_ref().is_some_and(|c| c.story.featured);
    }
    let based_on = form
        .get("revision")
        .parse::<i64>()
        .ok()
        .filter(|_| stored.is_some());
    let mut state = EditorState::default();
    if let Some(typed) = unreadable_time {
        state.errors.insert(
            "published_at",
            format!("{typed:?} is not a date and time: use the date picker, or write it as 2026-05-01T09:30"),
        );
        state.publish_at_typed = Some(typed);
        let status = StatusCode::BAD_REQUEST;
        return editor_page(&desk, &me, status, stored.as_ref(), fields, state).await;
    }
    let saved = editing::save_story(
        store,
        &settings,
        &me.user,
        stored.as_ref(),
        fields.clone(),
        step,
        based_on,
    )
    .await;
    if form.get("autosave") == "1" {
        return autosaved(saved);
    }
    match saved {
        Ok(story) => {
            if let Some(newsletter) = mailing {
                let at = (step == Step::Schedule)
                    .then_some(story.published_at)
                    .flatten();
                let by = Some(me.user.id.as_str());
                crate::services::sending::send_story(store, &story, newsletter, by, at)
                    .await
                    .map_err(|e| {
                        DeskError::conflict(format!(
                            "The story is saved, but it could not go out as an email: {e}."
                        ))
                    })?;
            }
            Ok(see_other(&format!(
                "{}?done={}",
                urls::desk_story(&story.id),
                step.as_str()
            )))
        }
        Err(ContentError::Invalid { field, message }) => {
            state
                .errors
                .insert(form_field(field), capitalized(&message));
            let status = StatusCode::BAD_REQUEST;
            editor_page(&desk, &me, status, stored.as_ref(), fields, state).await
        }
        Err(e @ ContentError::SlugTaken(_)) => {
            state.errors.insert("slug", capitalized(&e.to_string()));
            let status = StatusCode::CONFLICT;
            editor_page(&desk, &me, status, stored.as_ref(), fields, state).await
        }
        Err(e @ ContentError::Stale) => {
            // Show what the other save changed; the form keeps this
            // person's text and now carries the current revision, so
            // saving again is a choice made knowing both.
            let Some(id) = &id else {
                return Err(e.into());
            };
            let current = stored_story(&desk, &me, id).await?;
            let (tags, sections, authors) =
                tokio::try_join!(store.tags(), store.sections(), store.authors())?;
            let theirs = StoryFields::of(&current, &tags);
            state.conflict = Some(editing::story_changes(
                &theirs, &fields, &sections, &authors,
            ));
            state.errors.insert(
                "form",
                format!(
                    "{}. Below, what differs between their version (removed) and yours (added). Save again to replace theirs with yours, or reload the page to start from theirs.",
                    capitalized(&e.to_string())
                ),
            );
            let status = StatusCode::CONFLICT;
            editor_page(&desk, &me, status, Some(&current), fields, state).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The answer to the editor's script after an autosave: the new revision
/// and address, or why it was not saved (the page itself stays as it is).
/// The refusal comes back as `{"message": …}` (the desk's scripts ask for
/// JSON).
fn autosaved(saved: Result<crate::model::Story, ContentError>) -> DeskResult {
    let story = saved?;
    let body = serde_json::json!({
        "id": story.id,
        "revision": story.revision,
        "url": urls::desk_story(&story.id),
    });
    Ok(axum::Json(body).into_response())
}

/// The editor's current fields, rendered by the site's own story template.
pub(super) async fn preview(CheckedForm { desk, me, form }: CheckedForm<Fields>) -> DeskResult {
    let stored = match form.get("id") {
        "" => None,
        id => Some(stored_story(&desk, &me, id).await?),
    };
    let settings = desk.app.store.site_settings().await?;
    let (fields, _) = read_fields(&form, &settings);
    let card = editing::preview_card(&desk.app.store, stored.as_ref(), &fields).await?;
    site_preview(&desk, &card).await
}

async fn site_preview(desk: &Desk, card: &StoryCard) -> DeskResult {
    let presenter = SitePresenter::new(&desk.app).await?;
    let related = desk.app.store.related_lists(&card.story.id).await?;
    let html = crate::web::site::story_page(&presenter, card, &related, true).await?;
    Ok(framable_html(html))
}

/// A rendered preview, which the desk's own pages may show in a frame.
pub(super) fn framable_html(html: String) -> Response {
    let mut response = (
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    response
        .extensions_mut()
        .insert(crate::web::security::FramableBySite);
    response
}

/// A draft shown by its secret link, to someone who may have no account.
pub(super) async fn shared_preview(desk: Desk, Path(token): Path<String>) -> DeskResult {
    let unknown = || {
        DeskError::not_found(
            "This preview link does not work (any more). Ask whoever sent it for a new one.",
        )
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unknown());
    }
    let card = desk
        .app
        .store
        .story_card_by_preview_token(&token)
        .await?
        .ok_or_else(unknown)?;
    site_preview(&desk, &card).await
}

/// Back to the story's editor, saying what was `done` (at `#anchor`).
fn done(id: &str, what: &str) -> Response {
    see_other(&format!("{}?done={what}", urls::desk_story(id)))
}

pub(super) async fn delete(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    let card = stored_story(&desk, &me, &id).await?;
    editing::delete_story(&desk.app.store, &me.user, &card).await?;
    Ok(see_other(&format!("{}?deleted=1", urls::desk_stories())))
}

/// A secret link that shows the draft to someone without an account.
pub(super) async fn preview_link(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    let card = stored_story(&desk, &me, &id).await?;
    editing::preview_token(&desk.app.store, &me.user, &card).await?;
    Ok(done(&id, "preview-link"))
}

pub(super) async fn withdraw_preview(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<CsrfForm>,
) -> DeskResult {
    let card = stored_story(&desk, &me, &id).await?;
    editing::withdraw_preview(&desk.app.store, &me.user, &card).await?;
    Ok(done(&id, "preview-withdrawn"))
}

#[derive(Deserialize)]
pub(super) struct RelatedFields {
    #[serde(default)]
    related_pinned: String,
    #[serde(default)]
    related_excluded: String,
}

/// The related stories an editor pins or leaves out.
pub(super) async fn related(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<RelatedFields>,
) -> DeskResult {
    let card = stored_story(&desk, &me, &id).await?;
    let store = &desk.app.store;
    let (pinned, excluded) = (&form.related_pinned, &form.related_excluded);
    match editing::set_related_choices(store, &me.user, &card, pinned, excluded).await {
        Ok(()) => Ok(done(&id, "related#related")),
        Err(ContentError::Invalid { field, message }) => {
            let mut state = EditorState {
                related: Some((pinned.clone(), excluded.clone())),
                ..Default::default()
            };
            state.errors.insert(field, capitalized(&message));
            let fields = StoryFields::of(&card, &store.tags().await?);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            editor_page(&desk, &me, status, Some(&card), fields, state).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A note's form: adding one, or changing one (`remove` set: removing it).
#[derive(Deserialize)]
pub(super) struct NoteFields {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    noted_at: String,
    #[serde(default)]
    body: String,
    remove: Option<String>,
}

impl NoteFields {
    /// The kind, the date (`None` when none was typed) and the words.
    async fn read(
        &self,
        desk: &Desk,
    ) -> DeskResult<(NoteKind, Option<crate::model::UnixTime>, &str)> {
        let kind = NoteKind::parse(&self.kind).ok_or_else(|| {
            DeskError::invalid("Choose whether the note is a correction or an update.")
        })?;
        let noted_at = match self.noted_at.trim() {
            "" => None,
            typed => {
                let tz = super::site_timezone(&desk.app).await?;
                Some(dates::parse_local_input(typed, &tz).ok_or_else(|| {
                    DeskError::invalid(
                        "The note's date is not a date and time: use the date picker.",
                    )
                })?)
            }
        };
        Ok((kind, noted_at, &self.body))
    }
}

/// A dated correction or update at the foot of the story.
pub(super) async fn add_note(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<NoteFields>,
) -> DeskResult {
    let card = stored_story(&desk, &me, &id).await?;
    let store = &desk.app.store;
    let (kind, noted_at, body) = form.read(&desk).await?;
    let noted_at = noted_at.unwrap_or_else(|| store.clock().now());
    match editing::add_note(store, &me.user, &card, kind, noted_at, body).await {
        Ok(_) => Ok(done(&id, "note#notes")),
        Err(ContentError::Invalid { message, .. }) => Err(DeskError::invalid(format!(
            "{message}. Go back, write the note and add it again."
        ))),
        Err(e) => Err(e.into()),
    }
}

/// An editor changes a note's wording, kind or date, or removes it; the
/// old note stays in the story's history.
pub(super) async fn change_note(
    Path((id, note_id)): Path<(String, String)>,
    CheckedForm { desk, me, form }: CheckedForm<NoteFields>,
) -> DeskResult {
    let card = stored_story(&desk, &me, &id).await?;
    let store = &desk.app.store;
    let change = if form.remove.is_some() {
        None
    } else {
        let (kind, noted_at, body) = form.read(&desk).await?;
        let noted_at = noted_at.ok_or_else(|| DeskError::invalid("Give the note its date."))?;
        Some((kind, noted_at, body))
    };
    let done_what = if change.is_some() {
        "note-changed#notes"
    } else {
        "note-removed#notes"
    };
    match editing::change_note(store, &me.user, &card, &note_id, change).await {
        Ok(()) => Ok(done(&id, done_what)),
        Err(ContentError::Stale) => Err(DeskError::conflict(
            "That note was changed or removed meanwhile: reload the story to see it as it is now.",
        )),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn restore(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<RestoreFields>,
) -> DeskResult {
    let card = stored_story(&desk, &me, &id).await?;
    let store = &desk.app.store;
    let (sections, authors) = tokio::try_join!(store.sections(), store.authors())?;
    let compare = |a: &str, b: &str| compare_revisions(a, b, &sections, &authors);
    let piece = revisions_of(&card);
    let live = matches!(card.story.status, Status::Published | Status::Scheduled);
    match restoring::<StoryFields>(&desk, &piece, &form, live, &compare).await? {
        Restoring::Ask(page) => Ok(page),
        Restoring::Go { fields, based_on } => {
            let settings = store.site_settings().await?;
            let step = Step::Restore;
            editing::save_story(
                store,
                &settings,
                &me.user,
                Some(&card),
                fields,
                step,
                based_on,
            )
            .await
            .map_err(|e| restore_refused(e, "story"))?;
            Ok(done(&id, "restored"))
        }
    }
}

/// Two revisions' fields (as saved) compared, sections and authors named.
fn compare_revisions(
    a: &str,
    b: &str,
    sections: &[crate::model::Section],
    authors: &[crate::model::Author],
) -> Vec<FieldChange> {
    match (
        editing::revision_fields::<StoryFields>(a),
        editing::revision_fields::<StoryFields>(b),
    ) {
        (Some(a), Some(b)) => editing::story_changes(&a, &b, sections, authors),
        _ => vec![],
    }
}

/// The story as its revisions page shows it (restoring: see `revisions`).
fn revisions_of(card: &StoryCard) -> Piece<'_> {
    Piece {
        kind: PieceKind::Story,
        id: &card.story.id,
        headline: &card.story.headline,
        back_url: urls::desk_story(&card.story.id),
        base_url: urls::desk_story(&card.story.id),
        current: card.story.revision,
        may_restore: true,
        desk_section: "stories",
    }
}

pub(super) async fn revisions(
    SignedInDesk { desk, me }: SignedInDesk,
    Path(id): Path<String>,
    Query(query): Query<RevisionsQuery>,
) -> DeskResult {
    let card = stored_story(&desk, &me, &id).await?;
    let store = &desk.app.store;
    let (sections, authors) = tokio::try_join!(store.sections(), store.authors())?;
    let own = editing::owns(&me.user, card.story.created_by.as_deref(), &card.author_ids);
    let compare = |a: &str, b: &str| compare_revisions(a, b, &sections, &authors);
    let piece = Piece {
        may_restore: editing::actions_for(Step::Save, Some(card.story.status))
            .iter()
            .all(|&a| may(me.user.role, a, own)),
        ..revisions_of(&card)
    };
    revisions_page(&desk, piece, &query, &compare).await
}
