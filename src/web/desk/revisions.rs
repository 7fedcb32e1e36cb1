//! The revisions page of any piece: who saved which revision when, the
//! changes between any two, and restoring one.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::{Desk, Frame, plain, render, unavailable};
use crate::model::dates;
use crate::services::diff::FieldChange;
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
) -> Response {
    let store = &desk.app.store;
    let settings = match crate::services::settings::load(store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let revisions = match store.revisions(piece.kind, piece.id).await {
        Ok(revisions) => revisions,
        Err(e) => return unavailable(e),
    };
    let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
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

/// Restoring a revision of a piece readers can see changes the site at
/// once: unless the request says it was confirmed, the answer is a page
/// that asks, showing what would change (from the current revision to the
/// chosen one). None: go ahead.
pub(super) async fn ask_before_restoring(
    desk: &Desk,
    piece: &Piece<'_>,
    number: i64,
    live: bool,
    confirmed: bool,
    compare: &(dyn Fn(&str, &str) -> Vec<FieldChange> + Sync),
) -> Option<Response> {
    if !live || confirmed {
        return None;
    }
    let revisions = match desk.app.store.revisions(piece.kind, piece.id).await {
        Ok(revisions) => revisions,
        Err(e) => return Some(unavailable(e)),
    };
    let fields_of = |n: i64| revisions.iter().find(|r| r.number == n).map(|r| &r.fields);
    let Some(chosen) = fields_of(number) else {
        return Some(plain(
            axum::http::StatusCode::NOT_FOUND,
            "That revision does not exist.",
        ));
    };
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
    Some(
        render(
            desk,
            Frame::page("desk/restore.html", &title, piece.desk_section),
            view,
        )
        .await,
    )
}
