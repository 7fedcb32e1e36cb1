//! The revisions page of any piece: who saved which revision when, the
//! changes between any two, and restoring one.

use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Desk, DeskError, DeskResult, Frame, render, site_timezone};
use crate::model::dates;
use crate::services::diff::FieldChange;
use crate::services::editing;
use crate::services::publishing::ContentError;
use crate::store::PieceKind;

#[derive(Deserialize)]
pub(super) struct RevisionsQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The piece whose revisions are shown.
pub(super) struct Piece<'a> {
    pub kind: PieceKind,
    pub id: &'a str,
    pub headline: &'a str,
    pub back_url: String,
    /// The piece's editor address: `/revisions` and `/restore` hang under it.
    pub base_url: String,
    /// The piece's save counter now.
    pub current: i64,
    pub may_restore: bool,
    /// Which part of the desk the page belongs to.
    pub desk_section: &'static str,
}

#[derive(Serialize)]
struct RevisionRow {
    number: i64,
    who: String,
    when: String,
    is_from: bool,
    is_to: bool,
    current: bool,
}

#[derive(Serialize)]
struct RevisionsView {
    headline: String,
    compare_url: String,
    back_url: String,
    action: String,
    revision: i64,
    rows: Vec<RevisionRow>,
    from: i64,
    to: i64,
    changes: Vec<FieldChange>,
    may_restore: bool,
}

/// Renders the page; `compare` turns two revisions' fields (JSON) into changes.
pub(super) async fn revisions_page(
    desk: &Desk,
    piece: Piece<'_>,
    query: &RevisionsQuery,
    compare: &(dyn Fn(&str, &str) -> Vec<FieldChange> + Sync),
) -> DeskResult {
    let store = &desk.app.store;
    let tz = site_timezone(&desk.app).await?;
    let revisions = store.revisions(piece.kind, piece.id).await?;
    let newest = revisions.first().map_or(0, |r| r.number);
    let to = query.to.parse().unwrap_or(newest);
    let from = query.from.parse().unwrap_or_else(|_| {
        revisions
            .iter()
            .map(|r| r.number)
            .find(|&n| n < to)
            .unwrap_or(to)
    });
    let fields_of = |n: i64| revisions.iter().find(|r| r.number == n).map(|r| &r.fields);
    let changes = match (fields_of(from), fields_of(to)) {
        (Some(a), Some(b)) => compare(a, b),
        _ => vec![],
    };
    let view = RevisionsView {
        headline: piece.headline.to_string(),
        compare_url: format!("{}/revisions", piece.base_url),
        back_url: piece.back_url,
        action: format!("{}/restore", piece.base_url),
        revision: piece.current,
        rows: revisions
            .iter()
            .map(|r| RevisionRow {
                number: r.number,
                who: r.saved_by_name.clone().unwrap_or_else(|| {
                    if r.saved_by.is_none() {
                        "before the desk".into()
                    } else {
                        "a former account".into()
                    }
                }),
                when: dates::format(r.saved_at, &tz, "%-d %b %Y, %H:%M:%S"),
                is_from: r.number == from,
                is_to: r.number == to,
                current: r.number == piece.current,
            })
            .collect(),
        from,
        to,
        changes,
        may_restore: piece.may_restore,
    };
    let title = format!("Revisions: {}", piece.headline);
    render(
        desk,
        Frame::page("desk/revisions.html", &title, piece.desk_section),
        view,
    )
    .await
}

#[derive(Serialize)]
struct RestoreView {
    headline: String,
    number: i64,
    revision: i64,
    action: String,
    back_url: String,
    changes: Vec<FieldChange>,
}

/// A restore form: the revision chosen, the revision the page showed
/// (what the save is based on), and whether the person confirmed.
#[derive(Deserialize)]
pub(super) struct RestoreFields {
    #[serde(default)]
    number: String,
    #[serde(default)]
    revision: String,
    #[serde(default)]
    confirmed: String,
}

/// Where restoring stands before anything is saved.
pub(super) enum Restoring<F> {
    /// The page that asks first, showing what would change.
    Ask(Response),
    /// Save these fields (as `Step::Restore`) over the revision the page
    /// showed.
    Go { fields: F, based_on: Option<i64> },
}

/// The chosen revision's fields, read back as the piece's kind saves them;
/// or, for a piece readers can see (`live`) and a form not yet confirmed,
/// the page that asks first: restoring one changes the site at once.
pub(super) async fn restoring<F: DeserializeOwned>(
    desk: &Desk,
    piece: &Piece<'_>,
    form: &RestoreFields,
    live: bool,
    compare: &(dyn Fn(&str, &str) -> Vec<FieldChange> + Sync),
) -> DeskResult<Restoring<F>> {
    let number: i64 = form
        .number
        .parse()
        .map_err(|_| DeskError::invalid("Choose a revision to restore."))?;
    let revisions = desk.app.store.revisions(piece.kind, piece.id).await?;
    let fields_of = |n: i64| revisions.iter().find(|r| r.number == n).map(|r| &r.fields);
    let chosen =
        fields_of(number).ok_or_else(|| DeskError::not_found("That revision does not exist."))?;
    let fields = editing::revision_fields::<F>(chosen)
        .ok_or_else(|| DeskError::conflict("That revision cannot be read back."))?;
    if live && form.confirmed != "yes" {
        let changes = fields_of(piece.current).map_or_else(Vec::new, |now| compare(now, chosen));
        let view = RestoreView {
            headline: piece.headline.to_string(),
            number,
            revision: piece.current,
            action: format!("{}/restore", piece.base_url),
            back_url: format!("{}/revisions", piece.base_url),
            changes,
        };
        let title = format!("Restore revision {number}: {}", piece.headline);
        let frame = Frame::page("desk/restore.html", &title, piece.desk_section);
        return Ok(Restoring::Ask(render(desk, frame, view).await?));
    }
    Ok(Restoring::Go {
        fields,
        based_on: form.revision.parse().ok(),
    })
}

/// A restore the rules refused, in words that say what to do next
/// (`piece`: "story", "brief", "page").
pub(super) fn restore_refused(e: ContentError, piece: &str) -> DeskError {
    match e {
        ContentError::Stale => DeskError::conflict(format!(
            "Someone saved the {piece} after you opened its revisions. Reload them and choose again."
        )),
        ContentError::Invalid { message, .. } => DeskError::conflict(format!(
            "That revision cannot be restored as it is: {message}. Open the {piece} and make the change by hand."
        )),
        other => other.into(),
    }
}
