//! Live coverage on the public site: a live story's updates on its page
//! (which stays a cached page), and a stream of what changes after it was
//! rendered (`GET /stories/{slug}/live`, Server-Sent Events) for readers
//! who keep it open.
//!
//! Each instance keeps one `LiveHub`. A stream per story being watched,
//! shared by all its readers: when the content events say something
//! changed (this instance's own writes, or another instance's through
//! PostgreSQL's LISTEN/NOTIFY or SQLite's poll), the hub reads the
//! updates changed since the last it sent, renders each once and hands the
//! same bytes to every reader.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

use super::views::{DateView, LinkView, Presenter};
use crate::model::live::{LiveCoverage, LiveUpdate};
use crate::store::ContentChange;
use crate::urls;
use crate::web::{App, SiteError};

/// Readers' streams send a comment this often, so proxies and browsers
/// keep an idle connection open.
const KEEP_ALIVE: Duration = Duration::from_secs(25);
/// Events a slow reader may fall behind by before it is sent the page's
/// address to reload (it missed some).
const BACKLOG: usize = 64;

/// An update as pages show it.
#[derive(Serialize, Clone)]
pub struct UpdateView {
    pub id: String,
    /// Its element's id and its permalink's fragment: `update-…`.
    pub anchor: String,
    pub permalink: String,
    pub posted: DateView,
    /// "14:32", in the publication's zone.
    pub time: String,
    pub posted_at: i64,
    pub author: Option<LinkView>,
    pub body: crate::model::SafeHtml,
    pub pinned: bool,
    pub edited: Option<DateView>,
}

/// A story's live coverage as its page shows it.
#[derive(Serialize)]
pub struct LiveView {
    /// Still live (else ended: an ordinary story with its updates).
    pub live: bool,
    pub started: DateView,
    pub ended: Option<DateView>,
    /// Where an open page follows it, and from which change.
    pub events_url: String,
    pub seq: i64,
    pub pinned: Option<UpdateView>,
    pub updates: Vec<UpdateView>,
    pub feed_url: String,
}

impl Presenter<'_> {
    pub fn live_update(&self, story_path: &str, u: &LiveUpdate) -> UpdateView {
        let anchor = urls::live_update_anchor(&u.id);
        UpdateView {
            permalink: format!("{story_path}#{anchor}"),
            anchor,
            id: u.id.clone(),
            posted: self.date(u.posted_at),
            time: self.local_time(u.posted_at, "%H:%M"),
            posted_at: u.posted_at,
            author: u.author_id.as_deref().and_then(|id| self.author_link(id)),
            body: u.body.served(&self.app.public_url),
            pinned: u.pinned,
            edited: u.edited_at.map(|t| self.date(t)),
        }
    }

    /// The coverage as the story's JSON-LD describes it.
    pub fn live_meta(
        &self,
        story_path: &str,
        coverage: &LiveCoverage,
        updates: &[LiveUpdate],
    ) -> super::metadata::LiveMeta {
        super::metadata::LiveMeta {
            started: coverage.started_at,
            ended: coverage.ended_at,
            updates: updates
                .iter()
                .filter(|u| u.removed_at.is_none())
                .map(|u| super::metadata::LiveUpdateMeta {
                    path: format!("{story_path}#{}", urls::live_update_anchor(&u.id)),
                    posted: u.posted_at,
                    modified: u.edited_at.unwrap_or(u.posted_at),
                    text: u.body.plain_line(),
                    author: u
                        .author_id
                        .as_deref()
                        .and_then(|id| self.author_link(id))
                        .map(|l| (l.name, l.url)),
                })
                .collect(),
        }
    }

    /// The coverage and its current updates (pinned first, the rest
    /// newest first).
    pub fn live_view(
        &self,
        slug: &str,
        coverage: &LiveCoverage,
        updates: &[LiveUpdate],
    ) -> LiveView {
        let path = urls::story(slug);
        let mut pinned = None;
        let mut list = Vec::new();
        for u in updates.iter().filter(|u| u.removed_at.is_none()) {
            let view = self.live_update(&path, u);
            if u.pinned && pinned.is_none() && coverage.is_live() {
                pinned = Some(view);
            } else {
                list.push(view);
            }
        }
        LiveView {
            live: coverage.is_live(),
            started: self.date(coverage.started_at),
            ended: coverage.ended_at.map(|t| self.date(t)),
            events_url: urls::live_events(slug),
            seq: coverage.seq,
            pinned,
            updates: list,
            feed_url: urls::feed(&path, urls::FeedFormat::Atom),
        }
    }
}

/// The stream of one watched story.
struct Watched {
    slug: String,
    /// The last change sent.
    seq: AtomicI64,
    sender: broadcast::Sender<Event>,
}

/// Every watched story of this instance.
pub struct LiveHub {
    watched: Mutex<HashMap<String, Arc<Watched>>>,
    /// Raised when the server stops: every stream ends.
    closing: watch::Sender<bool>,
}

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub {
            watched: Mutex::default(),
            closing: watch::channel(false).0,
        }
    }
}

/// One server-sent event, as sent, and whether it ends the stream (told
/// apart by its kind, never by what its text holds).
type Event = (Bytes, bool);

fn event(kind: &str, seq: Option<i64>, data: &serde_json::Value) -> Event {
    let id = seq.map(|s| format!("id: {s}\n")).unwrap_or_default();
    (
        Bytes::from(format!("{id}event: {kind}\ndata: {data}\n\n")),
        kind == "end",
    )
}

impl LiveHub {
    /// Ends every stream (the server is stopping).
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    fn closed(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    fn subscribe(&self, story_id: &str, slug: &str, seq: i64) -> broadcast::Receiver<Event> {
        let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
        watched
            .entry(story_id.to_string())
            .or_insert_with(|| {
                Arc::new(Watched {
                    slug: slug.to_string(),
                    seq: AtomicI64::new(seq),
                    sender: broadcast::channel(BACKLOG).0,
                })
            })
            .sender
            .subscribe()
    }

    /// Follows the content events until the server stops: after each (and
    /// whatever came meanwhile), sends what changed in watched stories.
    pub async fn run(self: Arc<Self>, app: Arc<App>) {
        let mut events = app.store.events().subscribe();
        let mut closed = self.closed();
        loop {
            let mut all = false;
            let mut stories = Vec::new();
            tokio::select! {
                first = events.recv() => {
                    let mut next = Some(first);
                    while let Some(received) = next {
                        match received {
                            Ok(e) => match e.change {
                                ContentChange::StoryExtras { story_id, .. } => stories.push(story_id),
                                // Taken down (or back): its streams hear of it.
                                ContentChange::Stories(pieces) => {
                                    stories.extend(pieces.into_iter().map(|p| p.id))
                                }
                                // Another instance's change: which story is not said.
                                ContentChange::Elsewhere => all = true,
                                _ => {}
                            },
                            Err(broadcast::error::RecvError::Lagged(_)) => all = true,
                            Err(broadcast::error::RecvError::Closed) => return,
                        }
                        next = events.try_recv().ok().map(Ok);
                    }
                }
                _ = closed.changed() => return,
            }
            self.refresh(&app, all, &stories).await;
        }
    }

    async fn refresh(&self, app: &Arc<App>, all: bool, stories: &[String]) {
        let due: Vec<(String, Arc<Watched>)> = {
            let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
            watched.retain(|_, w| w.sender.receiver_count() > 0);
            watched
                .iter()
                .filter(|(id, _)| all || stories.contains(id))
                .map(|(id, w)| (id.clone(), w.clone()))
                .collect()
        };
        if due.is_empty() {
            return;
        }
        let p = match Presenter::new(app).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = ?e, "live updates could not be sent; they will be at the next change");
                return;
            }
        };
        for (story_id, watched) in due {
            if let Err(e) = send_changes(&p, &story_id, &watched).await {
                tracing::warn!(error = %e, story_id, "live updates could not be read; they will be sent at the next change");
            }
        }
    }
}

/// The single update a theme's `live-update.html` renders.
#[derive(Serialize)]
struct OneUpdate<'a> {
    u: &'a UpdateView,
}

/// The events of the story's changes after `after`, oldest first (and
/// `end` when its coverage is over, or it is no longer public); with its
/// coverage (None: gone).
async fn changes(
    p: &Presenter<'_>,
    story_id: &str,
    slug: &str,
    after: i64,
) -> anyhow::Result<(Vec<Event>, Option<LiveCoverage>)> {
    let store = &p.app.store;
    let now = store.clock().now();
    let public = store
        .story_cards_by_ids(&[story_id.to_string()])
        .await?
        .first()
        .is_some_and(|c| c.story.is_public(now));
    let coverage = match public {
        true => store.live_coverage(story_id).await?,
        false => None,
    };
    let Some(coverage) = coverage else {
        return Ok((vec![event("end", None, &serde_json::json!({}))], None));
    };
    let mut events = Vec::new();
    if coverage.seq > after {
        let mut updates = store.live_updates_since(story_id, after).await?;
        updates.sort_by_key(|u| u.seq);
        let path = urls::story(slug);
        for u in &updates {
            let data = if u.removed_at.is_some() {
                events.push(event(
                    "remove",
                    Some(u.seq),
                    &serde_json::json!({ "id": u.id, "anchor": urls::live_update_anchor(&u.id) }),
                ));
                continue;
            } else {
                let view = p.live_update(&path, u);
                // Through the theme's own values, so the body stays markup.
                let html = p
                    .app
                    .theme
                    .render("live-update.html", OneUpdate { u: &view })?;
                serde_json::json!({
                    "id": u.id,
                    "anchor": view.anchor,
                    "pinned": u.pinned,
                    "posted_at": u.posted_at,
                    "html": html,
                })
            };
            events.push(event("update", Some(u.seq), &data));
        }
    }
    if !coverage.is_live() {
        events.push(event("end", Some(coverage.seq), &serde_json::json!({})));
    }
    Ok((events, Some(coverage)))
}

async fn send_changes(p: &Presenter<'_>, story_id: &str, watched: &Watched) -> anyhow::Result<()> {
    let after = watched.seq.load(Ordering::Acquire);
    let (events, coverage) = changes(p, story_id, &watched.slug, after).await?;
    let seq = coverage.as_ref().map_or(after, |c| c.seq);
    if seq > after || coverage.is_none() {
        watched.seq.store(seq, Ordering::Release);
        for e in events {
            let _ = watched.sender.send(e);
        }
    }
    Ok(())
}

#[derive(Deserialize)]
pub(super) struct Since {
    since: Option<i64>,
}

/// `GET /stories/{slug}/live`: what changed since `?since=` (or the
/// `Last-Event-ID` a reconnecting browser sends), then every change as it
/// happens, until the coverage ends. (A connection that opens with this
/// request is answered by `serve_direct` instead, the same way.)
pub(super) async fn events(
    State(app): State<Arc<App>>,
    Path(slug): Path<String>,
    Query(since): Query<Since>,
    headers: HeaderMap,
) -> Result<Response, SiteError> {
    let last_seen =
        last_event_id(headers.get("last-event-id").and_then(|v| v.to_str().ok())).or(since.since);
    let reader = open_reader(&app, &slug, last_seen).await?;
    let stream = futures_util::stream::unfold(reader, Reader::next);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

fn last_event_id(value: Option<&str>) -> Option<i64> {
    value.and_then(|v| v.trim().parse::<i64>().ok())
}

/// A reader's stream of a public live story: what changed after
/// `last_seen` (None: only what changes from now on), then each change.
async fn open_reader(
    app: &Arc<App>,
    slug: &str,
    last_seen: Option<i64>,
) -> Result<Reader, SiteError> {
    let Some(card) = app.store.story_card_by_slug(slug).await? else {
        return Err(SiteError::NotFound);
    };
    let now = app.store.clock().now();
    if !card.story.is_public(now) || card.live_from.is_none() {
        return Err(SiteError::NotFound);
    }
    let Some(known) = app.store.live_coverage(&card.story.id).await? else {
        return Err(SiteError::NotFound);
    };
    let slug = slug.to_string();
    let hub = app.live.clone();
    // Listening from the change read just now: anything later is both
    // broadcast and (when asked for) in the backlog; a reader takes an
    // update twice at worst, never misses one.
    let receiver = hub.subscribe(&card.story.id, &slug, known.seq);
    let p = Presenter::new(app).await?;
    let after = last_seen.unwrap_or(known.seq).max(0);
    let (backlog, coverage) = changes(&p, &card.story.id, &slug, after).await?;
    let Some(coverage) = coverage else {
        return Err(SiteError::NotFound);
    };
    let ended = !coverage.is_live();
    let mut first = vec![(Bytes::from_static(b"retry: 3000\n\n"), false)];
    first.extend(backlog);
    Ok(Reader {
        pending: first.into(),
        receiver,
        closed: hub.closed(),
        ended,
        reload: urls::story(&slug),
    })
}

/// The head of a stream answered directly.
const DIRECT_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n";

/// A connection whose first request asks for a live story's stream is
/// answered here, on the socket itself, and closed when the stream ends
/// (None). Any other connection is handed back untouched (its bytes are
/// only peeked) for hyper to serve.
pub async fn serve_direct(
    app: &Arc<App>,
    stream: tokio::net::TcpStream,
) -> Option<tokio::net::TcpStream> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut peeked = [0u8; 2048];
    let n = match tokio::time::timeout(
        crate::web::connections::HEADER_TIMEOUT,
        stream.peek(&mut peeked),
    )
    .await
    {
        Ok(Ok(n)) => n,
        // Silent past the time a request's head is allowed: closed, as hyper would.
        Err(_) => return None,
        Ok(Err(_)) => return Some(stream),
    };
    let head = &peeked[..n];
    // Only a whole head that arrived at once and asks for a stream.
    let Some(end) = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
    else {
        return Some(stream);
    };
    let (slug, last_seen) = {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        if !matches!(
            request.parse(&head[..end]),
            Ok(httparse::Status::Complete(_))
        ) || request.method != Some("GET")
        {
            return Some(stream);
        }
        let target = request.path.unwrap_or("");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let Some(slug) = path
            .strip_prefix("/stories/")
            .and_then(|p| p.strip_suffix("/live"))
        else {
            return Some(stream);
        };
        if slug.is_empty()
            || !slug
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Some(stream);
        }
        let since = match query
            .split('&')
            .find_map(|pair| pair.strip_prefix("since="))
        {
            Some(text) => match text.parse::<i64>() {
                Ok(since) => Some(since),
                Err(_) => return Some(stream), // hyper's way answers the 400
            },
            None => None,
        };
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .and_then(|h| std::str::from_utf8(h.value).ok())
        };
        if header("content-length").is_some_and(|l| l.trim() != "0")
            || header("transfer-encoding").is_some()
        {
            return Some(stream);
        }
        (
            slug.to_string(),
            last_event_id(header("last-event-id")).or(since),
        )
    };
    let mut stream = stream;
    let mut consumed = vec![0u8; end];
    stream.read_exact(&mut consumed).await.ok()?;
    let mut reader = match open_reader(app, &slug, last_seen).await {
        Ok(reader) => reader,
        Err(e) => {
            let (status, message) = match e {
                SiteError::NotFound => (
                    "404 Not Found",
                    "There is no live coverage at this address.\n",
                ),
                _ => (
                    "503 Service Unavailable",
                    "The live updates cannot be read just now; the page tries again.\n",
                ),
            };
            let answer = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{message}",
                message.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            return None;
        }
    };
    if stream.write_all(DIRECT_HEAD).await.is_err() {
        return None;
    }
    while let Some((Ok(bytes), next)) = reader.next().await {
        if stream.write_all(&bytes).await.is_err() {
            break;
        }
        reader = next;
    }
    let _ = stream.shutdown().await;
    None
}

/// One reader's stream: what is queued for it, then the story's events.
struct Reader {
    pending: std::collections::VecDeque<Event>,
    receiver: broadcast::Receiver<Event>,
    closed: watch::Receiver<bool>,
    ended: bool,
    reload: String,
}

impl Reader {
    async fn next(mut self) -> Option<(Result<Bytes, std::convert::Infallible>, Reader)> {
        if let Some((bytes, ends)) = self.pending.pop_front() {
            if ends {
                self.ended = true;
                self.pending.clear();
            }
            return Some((Ok(bytes), self));
        }
        if self.ended || *self.closed.borrow() {
            return None;
        }
        let (bytes, ends) = tokio::select! {
            received = self.receiver.recv() => match received {
                Ok(event) => event,
                // Too slow: it missed changes; the page reloads.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let (bytes, _) = event("reload", None, &serde_json::json!({ "url": self.reload }));
                    (bytes, true)
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            },
            _ = tokio::time::sleep(KEEP_ALIVE) => (Bytes::from_static(b": still here\n\n"), false),
            _ = self.closed.changed() => return None,
        };
        self.ended |= ends;
        Some((Ok(bytes), self))
    }
}
