//! Where a page read in a browser reports itself (`urls::count_view`):
//! noted for the readership counts, never answered with anything a
//! browser keeps (no cookie, no cache). What is and is not counted is
//! `services::readership::counting`'s.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::services::readership::{Seen, counting};
use crate::web::App;
use crate::web::client::ClientAddr;

/// A report is an address and a referrer: a few hundred bytes.
pub const MOST_REPORT_BYTES: usize = 4096;
/// Longer paths are no address of this site.
const MOST_PATH: usize = 512;

#[derive(Deserialize)]
struct Report {
    path: String,
    #[serde(default)]
    referrer: String,
}

fn answer(status: StatusCode, message: &'static str) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        ],
        message,
    )
        .into_response()
}

/// `POST /_/view` with `{"path": "/stories/…/", "referrer": "…"}`:
/// 204 whether or not it was counted (a reader who asked not to be
/// counted is told nothing different).
pub(super) async fn view(
    State(app): State<Arc<App>>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            "A view report is an address and a referrer, a few hundred bytes at most.\n",
        );
    };
    let Ok(report) = serde_json::from_slice::<Report>(&body) else {
        return answer(
            StatusCode::BAD_REQUEST,
            "A view report is JSON: {\"path\": \"/stories/…/\", \"referrer\": \"…\"}.\n",
        );
    };
    if !report.path.starts_with('/') || report.path.len() > MOST_PATH {
        return answer(
            StatusCode::BAD_REQUEST,
            "A view report names the path of a page of this site, such as \"/stories/…/\".\n",
        );
    }
    if counting::countable(&headers).is_ok() {
        let readership = &app.readership;
        readership.note(Seen::View {
            at: readership.now(),
            referrer: counting::referring_site(&report.referrer, readership.site()),
            path: report.path,
            address,
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .chars()
                .take(512)
                .collect(),
        });
    }
    answer(StatusCode::NO_CONTENT, "")
}

/// A report sent from another site's page (a way to add views nobody
/// read): refused.
pub(super) fn refused_cross_site() -> Response {
    answer(
        StatusCode::FORBIDDEN,
        "View reports are accepted from this site's own pages only.\n",
    )
}

/// Notes a newsletter sign-up sent from the page at `from` (when the
/// reader may be counted).
pub(super) fn note_signup(app: &App, headers: &HeaderMap, from: &str) {
    if counting::countable(headers).is_err() {
        return;
    }
    let from = if from.starts_with('/') && from.len() <= MOST_PATH {
        from
    } else {
        ""
    };
    app.readership.note(Seen::Signup {
        at: app.readership.now(),
        from: from.to_string(),
    });
}
