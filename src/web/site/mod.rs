//! The public site: the pages readers read. Handlers parse the request, ask
//! the store, hand a view model to the theme; the page cache, compression and
//! themed error pages happen around them (see `router`).

mod errors;
mod feeds;
mod live;
mod metadata;
mod newsletter;
mod readership;
mod search;
mod sitemaps;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

pub use live::{LiveHub, serve_direct};
use views::{AuthorView, BriefView, Chrome, LinkView, Pager, Presenter, Teaser};
pub use views::{DateView, Presenter as SitePresenter, SiteContext, image_view};

use super::{App, SiteError, cache};
use crate::model::{Status, StoryFilter};
use crate::store::{RelatedLists, SlugKind, StoryCard, StorySummary};
use crate::urls;

const PER_PAGE: i64 = 12;
/// Listing pages up to this one are found by counting (cheap this close to
/// the start); further ones by the key of the page before.
const COUNTED_PAGES: u32 = 4;
const HTML: &str = "text/html; charset=utf-8";

/// The public site's router: its pages behind the page cache (search
/// beside it), its own cross-site form protection, and themed error pages
/// for everything it answers (including unknown addresses).
pub fn router(app: &Arc<App>) -> Router<Arc<App>> {
    routes()
        .route_layer(axum::middleware::from_fn_with_state(
            app.cache.clone(),
            cache::serve,
        ))
        // Results differ per query and are never kept, so search stays
        // outside the page layer: its one render turn per address would
        // line every search up behind the one before.
        .route(&urls::search(), get(search::page))
        .merge(feeds::routes(app))
        .fallback(not_found)
        .layer(super::security::csrf(
            &app.public_url,
            errors::refused_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            errors::themed,
        ))
}

/// What pages' scripts ask for, answered plainly (no themed page, no
/// better address: nobody sees them): reports of pages read (bounded,
/// refused from other sites) and live stories' streams (never kept).
pub fn script_router(app: &Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route(&urls::live_events("{slug}"), get(live::events))
        .route(
            &urls::count_view(),
            axum::routing::post(readership::view).layer(axum::extract::DefaultBodyLimit::max(
                readership::MOST_REPORT_BYTES,
            )),
        )
        .layer(super::security::csrf(
            &app.public_url,
            readership::refused_cross_site,
        ))
}

fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/stories/{slug}/", get(story))
        .route("/latest/", get(latest))
        .route("/latest/page/{page}/", get(latest_page))
        .route("/briefs/", get(briefs))
        .route("/briefs/page/{page}/", get(briefs_page))
        .route("/briefs/{slug}/", get(brief))
        .route("/corrections/", get(corrections))
        .route("/corrections/page/{page}/", get(corrections_page))
        .route("/section/{slug}/", get(section))
        .route("/section/{slug}/page/{page}/", get(section_page))
        .route("/tag/{slug}/", get(tag))
        .route("/tag/{slug}/page/{page}/", get(tag_page))
        .route("/author/{slug}/", get(author))
        .route("/author/{slug}/page/{page}/", get(author_page))
        .route(
            "/newsletter/",
            get(newsletter::signup_page).post(newsletter::sign_up),
        )
        .route(
            "/newsletter/manage/",
            get(newsletter::manage_page).post(newsletter::ask_for_link),
        )
        .route("/newsletter/archive/", get(newsletter::archive))
        .route("/newsletter/archive/{slug}/", get(newsletter::web_version))
        .route("/newsletter/confirm/{token}", get(newsletter::confirm))
        .route(
            "/newsletter/preferences/{token}",
            get(newsletter::preferences).post(newsletter::save_preferences),
        )
        .route(
            "/newsletter/unsubscribe/{token}",
            get(newsletter::unsubscribe_page).post(newsletter::unsubscribe),
        )
        .route("/{slug}/", get(page))
}

type PageResult = Result<Response, SiteError>;

/// A rendered page from a handler: HTML with the page's own status.
fn html(html: String) -> Response {
    ([(header::CONTENT_TYPE, HTML)], Body::from(html)).into_response()
}

/// Unknown addresses: the themed 404 (see `better_address`).
async fn not_found() -> Response {
    SiteError::NotFound.into_response()
}

/// Where a reader asking for an address that found nothing (404) should
/// go instead: the new address of one the publication had on its previous
/// platform, else the page's canonical address with its final `/`
/// (`/latest` and every link made before addresses had one). A form sent
/// to the old address of its page (from a page kept in a browser's cache)
/// is sent on with 308, which keeps the method and the body.
pub(super) async fn better_address(
    app: &App,
    method: &axum::http::Method,
    uri: &axum::http::Uri,
) -> Option<Response> {
    let readable = matches!(*method, axum::http::Method::GET | axum::http::Method::HEAD);
    if readable {
        match old_address(app, uri).await {
            Ok(Some(moved)) => return Some(moved),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "old addresses could not be looked up"),
        }
    }
    let canonical = urls::canonical_form(uri.path_and_query()?.as_str())?;
    Some(if readable {
        moved_permanently(&canonical)
    } else {
        (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, canonical)],
        )
            .into_response()
    })
}

#[derive(Serialize)]
struct HomeView {
    chrome: Chrome,
    lead: Option<Teaser>,
    top: Vec<Teaser>,
    river: Vec<Teaser>,
    briefs: Vec<BriefView>,
    latest: Vec<Teaser>,
}

async fn home(State(app): State<Arc<App>>, uri: axum::http::Uri) -> PageResult {
    // `/?p=123`: a WordPress address of a piece the publication had.
    if let Some(old) = urls::root_old_address(uri.query()) {
        let key = format!("/?{old}");
        let moved = old_address(&app, &key.parse().map_err(|_| SiteError::NotFound)?).await?;
        return Ok(moved.unwrap_or(not_found().await));
    }
    // Everything on the front page is shared by the whole generation of
    // the content (see `SiteContext`): rendering it needs no query.
    let p = Presenter::new(&app).await?;
    let front = &p.site.front;
    let mut chrome = p.chrome(None, &p.settings().tagline, &urls::home());
    p.home_meta(&mut chrome.meta);
    let view = HomeView {
        chrome,
        lead: front.lead.clone(),
        top: front.top.clone(),
        river: front.river.clone(),
        briefs: p.site.briefs.clone(),
        latest: p.site.latest.clone(),
    };
    Ok(html(p.render("home.html", view)?))
}

#[derive(Serialize)]
struct StoryView {
    chrome: Chrome,
    story: Teaser,
    body: crate::model::SafeHtml,
    updated: Option<views::DateView>,
    tags: Vec<LinkView>,
    notes: Vec<views::NoteView>,
    authors: Vec<AuthorView>,
    related: Vec<minijinja::Value>,
    latest: minijinja::Value,
    live: Option<live::LiveView>,
}

/// Related stories shown under a story.
const RELATED: usize = 4;

async fn story(State(app): State<Arc<App>>, Path(slug): Path<String>) -> PageResult {
    let p = Presenter::new(&app).await?;
    let Some((card, related)) = app.store.story_page_card_by_slug(&slug).await? else {
        return redirect_old_slug(&app, SlugKind::Story, &slug).await;
    };
    if card.story.status == Status::Archived {
        return Err(SiteError::Gone);
    }
    if !card.story.is_public(p.now) {
        return Err(SiteError::NotFound);
    }
    Ok(html(story_page(&p, &card, &related, false).await?))
}

/// A story's page as readers see it, with its related lists as stored;
/// `preview` marks it as not yet public (and keeps search engines away)
/// for the desk's previews.
pub async fn story_page(
    p: &Presenter<'_>,
    card: &StoryCard,
    related: &RelatedLists,
    preview: bool,
) -> anyhow::Result<String> {
    let store = &p.app.store;
    let story = &card.story;
    let notes = async {
        if card.notes > 0 {
            store.notes_of_story(&story.id).await
        } else {
            Ok(vec![])
        }
    };
    let live = async {
        if card.live_from.is_none() {
            return Ok(None);
        }
        let (coverage, updates) = tokio::try_join!(
            store.live_coverage(&story.id),
            store.live_updates_since(&story.id, 0)
        )?;
        Ok::<_, anyhow::Error>(coverage.map(|c| (c, updates)))
    };
    let (notes, tags, related, live) = tokio::try_join!(
        async { notes.await.map_err(anyhow::Error::from) },
        p.tags(&card.tag_ids),
        p.related(card, related, RELATED),
        live,
    )?;

    // The excerpt (a parse of the body's start) made once, for the teaser and the description.
    let summary = StorySummary::from(card);
    let description = story
        .seo_description
        .clone()
        .unwrap_or_else(|| summary.excerpt.clone());
    let title = story
        .seo_title
        .clone()
        .unwrap_or_else(|| story.headline.clone());
    let path = urls::story(&story.slug);
    let mut chrome = p.chrome(Some(&title), &description, &path);
    chrome.preview = preview;
    if live.is_some() {
        // Its updates' own feeds first.
        let mut feeds = views::feed_links(&format!("{}: live updates", story.headline), &path);
        feeds.append(&mut chrome.feeds);
        chrome.feeds = feeds;
    }
    let teaser = p.site.teaser(&summary);
    let published = story.published_at.unwrap_or(story.created_at);
    p.article_meta(
        &mut chrome.meta,
        &metadata::Article {
            headline: &story.headline,
            description: &description,
            path: &path,
            image: teaser.image.as_ref(),
            published,
            modified: story.updated_at.max(published),
            section: Some((&teaser.section.name, &teaser.section.url)),
            tags: tags.iter().map(|t| t.name.clone()).collect(),
            authors: teaser
                .authors
                .iter()
                .map(|a| (a.name.clone(), a.url.clone()))
                .collect(),
            corrections: notes
                .iter()
                .filter(|n| n.kind == crate::model::NoteKind::Correction)
                .map(|n| (n.noted_at, n.body.as_str()))
                .collect(),
            live: live
                .as_ref()
                .map(|(coverage, updates)| p.live_meta(&path, coverage, updates)),
        },
    );
    let view = StoryView {
        chrome,
        body: story.body.served(&p.app.public_url),
        updated: story.notably_updated_at().map(|t| p.date(t)),
        story: teaser,
        tags,
        notes: p.notes(&notes),
        authors: p.authors(&card.author_ids),
        related,
        latest: p.latest(),
        live: live.map(|(coverage, updates)| p.live_view(&story.slug, &coverage, &updates)),
    };
    p.render("story.html", view)
}

#[derive(Serialize)]
struct PageView {
    chrome: Chrome,
    title: String,
    body: crate::model::SafeHtml,
    hero: Option<views::ImageView>,
    latest: minijinja::Value,
}

/// A static page (About, Contact, …) at /{slug}.
async fn page(State(app): State<Arc<App>>, Path(slug): Path<String>) -> PageResult {
    let p = Presenter::new(&app).await?;
    match app.store.page_by_slug(&slug).await? {
        Some(page) if page.is_public() => Ok(html(page_html(&p, &page, false).await?)),
        Some(_) => Err(SiteError::NotFound),
        None => redirect_old_slug(&app, SlugKind::Page, &slug).await,
    }
}

/// A page as readers see it (`preview`: the desk's, not yet public).
pub async fn page_html(
    p: &Presenter<'_>,
    page: &crate::model::Page,
    preview: bool,
) -> anyhow::Result<String> {
    let hero = match &page.hero_image_id {
        Some(id) => p
            .app
            .store
            .images_by_ids(std::slice::from_ref(id))
            .await?
            .first()
            .map(|i| views::image_view(i, &p.app.public_url)),
        None => None,
    };
    let description = crate::model::document::excerpt_of(
        None,
        page.body.as_str(),
        crate::model::text::EXCERPT_CHARS,
    );
    let mut chrome = p.chrome(
        Some(&page.title),
        &description,
        &urls::static_page(&page.slug),
    );
    chrome.preview = preview;
    let view = PageView {
        chrome,
        title: page.title.clone(),
        body: page.body.served(&p.app.public_url),
        hero,
        latest: p.latest(),
    };
    p.render("page.html", view)
}

/// An address the publication had on its previous platform (imported:
/// WordPress permalinks, Ghost's `/slug/`) answers 301 to what it names now.
async fn old_address(
    app: &App,
    uri: &axum::http::Uri,
) -> crate::store::StoreResult<Option<Response>> {
    let key = urls::old_path_key(uri.path(), uri.query());
    let old = match app.store.path_redirect(&key).await? {
        Some(old) => Some(old),
        None => {
            let lower = urls::old_path_key_lowercase_escapes(&key);
            if lower == key {
                None
            } else {
                app.store.path_redirect(&lower).await?
            }
        }
    };
    let Some(old) = old else {
        return Ok(None);
    };
    let store = &app.store;
    let url = match old.target_kind.as_str() {
        "story" => store
            .story_by_id(&old.target)
            .await?
            .map(|s| urls::story(&s.slug)),
        "brief" => store
            .brief_by_id(&old.target)
            .await?
            .map(|b| urls::brief(&b.slug)),
        "page" => store
            .page_by_id(&old.target)
            .await?
            .filter(|page| page.is_public())
            .map(|page| urls::static_page(&page.slug)),
        "section" => store
            .sections()
            .await?
            .into_iter()
            .find(|s| s.id == old.target)
            .map(|s| urls::section(&s.slug)),
        "tag" => store
            .tags_by_ids(std::slice::from_ref(&old.target))
            .await?
            .first()
            .map(|t| urls::tag(&t.slug)),
        "author" => store
            .authors()
            .await?
            .into_iter()
            .find(|a| a.id == old.target)
            .map(|a| urls::author(&a.slug)),
        "url" if old.target.starts_with('/') && !old.target.starts_with("//") => {
            Some(old.target.clone())
        }
        "url" if old.target.starts_with("https://") || old.target.starts_with("http://") => {
            Some(old.target.clone())
        }
        _ => None,
    };
    // Never to itself: an old address may be the page's canonical one.
    Ok(url
        .filter(|url| *url != uri.path() && *url != key)
        .map(|url| moved_permanently(&url)))
}

/// An old slug answers 301 to the current address; anything else is 404.
async fn redirect_old_slug(app: &App, kind: SlugKind, slug: &str) -> PageResult {
    let Some(target) = app.store.redirect_target(kind, slug).await? else {
        return Err(SiteError::NotFound);
    };
    let url = match kind {
        SlugKind::Story => app
            .store
            .story_by_id(&target)
            .await?
            .map(|s| urls::story(&s.slug)),
        SlugKind::Brief => app
            .store
            .brief_by_id(&target)
            .await?
            .map(|b| urls::brief(&b.slug)),
        SlugKind::Page => app
            .store
            .page_by_id(&target)
            .await?
            .filter(|page| page.is_public())
            .map(|page| urls::static_page(&page.slug)),
    };
    match url {
        Some(url) if url != slug => Ok(moved_permanently(&url)),
        _ => Err(SiteError::NotFound),
    }
}

#[derive(Serialize)]
struct BriefPageView {
    chrome: Chrome,
    brief: BriefView,
    briefs: Vec<BriefView>,
    latest: minijinja::Value,
}

async fn brief(State(app): State<Arc<App>>, Path(slug): Path<String>) -> PageResult {
    let p = Presenter::new(&app).await?;
    let Some(card) = app.store.brief_card_by_slug(&slug).await? else {
        return redirect_old_slug(&app, SlugKind::Brief, &slug).await;
    };
    let brief = &card.brief;
    if brief.status == Status::Archived {
        return Err(SiteError::Gone);
    }
    if !brief.is_public(p.now) {
        return Err(SiteError::NotFound);
    }
    let view = p
        .briefs(std::slice::from_ref(&card))
        .pop()
        .expect("the brief itself");
    let others: Vec<BriefView> = p
        .site
        .briefs
        .iter()
        .filter(|b| b.url != view.url)
        .take(5)
        .cloned()
        .collect();
    let path = urls::brief(&brief.slug);
    let mut chrome = p.chrome(Some(&brief.headline), &view.summary, &path);
    let published = brief.published_at.unwrap_or(brief.created_at);
    p.article_meta(
        &mut chrome.meta,
        &metadata::Article {
            headline: &brief.headline,
            description: &view.summary,
            path: &path,
            image: view.image.as_ref(),
            published,
            modified: brief.updated_at.max(published),
            section: Some(("Briefs", &urls::briefs())),
            tags: vec![],
            authors: vec![],
            corrections: vec![],
            live: None,
        },
    );
    let page = BriefPageView {
        chrome,
        brief: view,
        briefs: others,
        latest: p.latest(),
    };
    Ok(html(p.render("brief.html", page)?))
}

/// What a story listing lists.
enum Listing {
    Latest,
    Section(String),
    Tag(String),
    Author(String),
}

#[derive(Serialize)]
struct ListingView {
    chrome: Chrome,
    kind: &'static str,
    heading: String,
    description: String,
    author: Option<AuthorView>,
    stories: Vec<Teaser>,
    pager: Pager,
    latest: minijinja::Value,
}

async fn story_listing(app: &App, listing: Listing, page: Option<String>) -> PageResult {
    let p = Presenter::new(app).await?;
    let mut filter = StoryFilter::default();
    let mut author_view = None;
    let (kind, heading, description, base) = match &listing {
        Listing::Latest => (
            "latest",
            "Latest".to_string(),
            format!("The newest stories from {}", p.settings().title),
            urls::latest(),
        ),
        Listing::Section(slug) => {
            let section = p
                .site
                .sections
                .iter()
                .find(|s| &s.slug == slug)
                .ok_or(SiteError::NotFound)?;
            filter.section_id = Some(section.id.clone());
            (
                "section",
                section.name.clone(),
                section.description.clone(),
                urls::section(slug),
            )
        }
        Listing::Tag(slug) => {
            let tag = app
                .store
                .tag_by_slug(slug)
                .await?
                .ok_or(SiteError::NotFound)?;
            filter.tag_id = Some(tag.id.clone());
            ("tag", tag.name, tag.description, urls::tag(slug))
        }
        Listing::Author(slug) => {
            let author = app
                .store
                .author_by_slug(slug)
                .await?
                .ok_or(SiteError::NotFound)?;
            filter.author_id = Some(author.id.clone());
            author_view = p.authors(std::slice::from_ref(&author.id)).pop();
            let description = format!("{}: {}", author.name, author.role_line);
            ("author", author.name, description, urls::author(slug))
        }
    };
    let page = match parse_page(page.as_deref(), &base)? {
        Ok(page) => page,
        Err(redirect) => return Ok(redirect),
    };
    // One more than a page: whether another page follows. Deep pages start
    // after the story ending the page before (its key read once per
    // content change), so page 1,000 costs what page 1 does.
    let mut stories = if page <= COUNTED_PAGES {
        app.store
            .stories(&filter, p.now, PER_PAGE + 1, (page as i64 - 1) * PER_PAGE)
            .await?
    } else {
        let key = format!("{kind}:{}", base);
        let ends = p
            .site
            .page_ends(key, app.store.page_ends(&filter, p.now, PER_PAGE))
            .await?;
        match ends.get(page as usize - 2) {
            Some(after) => {
                app.store
                    .stories_after(&filter, p.now, PER_PAGE + 1, Some(after))
                    .await?
            }
            None => Vec::new(),
        }
    };
    // Past the last page there is nothing; and a tag or a person has no
    // public page before their first public story (a draft's new tag can
    // name an embargoed topic; staff who never published stay off the site).
    let becomes_public_with_a_story = matches!(listing, Listing::Tag(_) | Listing::Author(_));
    if stories.is_empty() && (page > 1 || becomes_public_with_a_story) {
        return Err(SiteError::NotFound);
    }
    let has_next = stories.len() as i64 > PER_PAGE;
    stories.truncate(PER_PAGE as usize);
    let pager = p.pager(&base, page, has_next);
    // (the Latest page's feed is the site's own)
    let own_feeds = !matches!(listing, Listing::Latest);
    let chrome = p.listing_chrome(kind, &heading, &description, &base, &pager, own_feeds);
    // The Latest page is its own rail.
    let latest = if matches!(listing, Listing::Latest) {
        p.no_latest()
    } else {
        p.latest()
    };
    let view = ListingView {
        chrome,
        kind,
        heading,
        description,
        author: author_view,
        stories: p.teasers(&stories),
        pager,
        latest,
    };
    Ok(html(p.render("listing.html", view)?))
}

/// 301, the answer old URLs give: browsers and search engines update their links.
fn moved_permanently(url: &str) -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, urls::header_safe(url))],
    )
        .into_response()
}

/// A page number from the URL: a whole number from 2 up (page 1 lives at the
/// base URL and `/page/1` redirects there).
fn parse_page(raw: Option<&str>, base: &str) -> Result<Result<u32, Response>, SiteError> {
    let Some(raw) = raw else { return Ok(Ok(1)) };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SiteError::BadRequest(format!(
            "\u{201c}{raw}\u{201d} is not a page number. Page numbers are whole numbers such as 2 or 3."
        )));
    }
    match raw.parse::<u32>() {
        Ok(0) => Err(SiteError::BadRequest(
            "Page numbers start at 1.".to_string(),
        )),
        Ok(1) => Ok(Err(moved_permanently(base))),
        Ok(n) => Ok(Ok(n)),
        Err(_) => Err(SiteError::NotFound), // digits, but far past the last page
    }
}

async fn latest(State(app): State<Arc<App>>) -> PageResult {
    story_listing(&app, Listing::Latest, None).await
}
async fn latest_page(State(app): State<Arc<App>>, Path(page): Path<String>) -> PageResult {
    story_listing(&app, Listing::Latest, Some(page)).await
}
async fn section(State(app): State<Arc<App>>, Path(slug): Path<String>) -> PageResult {
    story_listing(&app, Listing::Section(slug), None).await
}
async fn section_page(
    State(app): State<Arc<App>>,
    Path((slug, page)): Path<(String, String)>,
) -> PageResult {
    story_listing(&app, Listing::Section(slug), Some(page)).await
}
async fn tag(State(app): State<Arc<App>>, Path(slug): Path<String>) -> PageResult {
    story_listing(&app, Listing::Tag(slug), None).await
}
async fn tag_page(
    State(app): State<Arc<App>>,
    Path((slug, page)): Path<(String, String)>,
) -> PageResult {
    story_listing(&app, Listing::Tag(slug), Some(page)).await
}
async fn author(State(app): State<Arc<App>>, Path(slug): Path<String>) -> PageResult {
    story_listing(&app, Listing::Author(slug), None).await
}
async fn author_page(
    State(app): State<Arc<App>>,
    Path((slug, page)): Path<(String, String)>,
) -> PageResult {
    story_listing(&app, Listing::Author(slug), Some(page)).await
}

#[derive(Serialize)]
struct BriefsView {
    chrome: Chrome,
    briefs: Vec<BriefView>,
    pager: Pager,
    latest: minijinja::Value,
}

#[derive(Serialize)]
struct CorrectionsView {
    chrome: Chrome,
    corrections: Vec<views::CorrectionView>,
    pager: views::Pager,
    latest: minijinja::Value,
}

/// What the briefs page and its feed are.
pub const BRIEFS_DESCRIPTION: &str = "Short news items, as they happen";

/// What the corrections page and its feed are.
pub const CORRECTIONS_DESCRIPTION: &str =
    "Every correction we have made to a published story, newest first";

async fn corrections(State(app): State<Arc<App>>) -> PageResult {
    corrections_listing(&app, None).await
}
async fn corrections_page(State(app): State<Arc<App>>, Path(page): Path<String>) -> PageResult {
    corrections_listing(&app, Some(page)).await
}

/// Every standing correction, newest first. Corrections are few beside
/// stories (a page of them is found by counting even deep down).
async fn corrections_listing(app: &App, page: Option<String>) -> PageResult {
    let p = Presenter::new(app).await?;
    let base = urls::corrections();
    let page = match parse_page(page.as_deref(), &base)? {
        Ok(page) => page,
        Err(redirect) => return Ok(redirect),
    };
    let mut corrections = app
        .store
        .public_corrections(p.now, None, PER_PAGE + 1, (i64::from(page) - 1) * PER_PAGE)
        .await?;
    if page > 1 && corrections.is_empty() {
        return Err(SiteError::NotFound);
    }
    let has_next = corrections.len() as i64 > PER_PAGE;
    corrections.truncate(PER_PAGE as usize);
    let pager = p.pager(&base, page, has_next);
    let chrome = p.listing_chrome(
        "corrections",
        "Corrections",
        CORRECTIONS_DESCRIPTION,
        &base,
        &pager,
        true,
    );
    let view = CorrectionsView {
        chrome,
        corrections: p.corrections(&corrections),
        pager,
        latest: p.latest(),
    };
    Ok(html(p.render("corrections.html", view)?))
}

async fn briefs(State(app): State<Arc<App>>) -> PageResult {
    briefs_listing(&app, None).await
}
async fn briefs_page(State(app): State<Arc<App>>, Path(page): Path<String>) -> PageResult {
    briefs_listing(&app, Some(page)).await
}

async fn briefs_listing(app: &App, page: Option<String>) -> PageResult {
    let p = Presenter::new(app).await?;
    let base = urls::briefs();
    let page = match parse_page(page.as_deref(), &base)? {
        Ok(page) => page,
        Err(redirect) => return Ok(redirect),
    };
    let mut briefs = if page <= COUNTED_PAGES {
        app.store
            .briefs(p.now, PER_PAGE + 1, (page as i64 - 1) * PER_PAGE)
            .await?
    } else {
        let ends = p
            .site
            .page_ends(base.clone(), app.store.brief_page_ends(p.now, PER_PAGE))
            .await?;
        match ends.get(page as usize - 2) {
            Some(after) => app.store.briefs_after(p.now, PER_PAGE + 1, after).await?,
            None => Vec::new(),
        }
    };
    if page > 1 && briefs.is_empty() {
        return Err(SiteError::NotFound);
    }
    let has_next = briefs.len() as i64 > PER_PAGE;
    briefs.truncate(PER_PAGE as usize);
    let pager = p.pager(&base, page, has_next);
    let chrome = p.listing_chrome("briefs", "Briefs", BRIEFS_DESCRIPTION, &base, &pager, true);
    let view = BriefsView {
        chrome,
        briefs: p.briefs(&briefs),
        pager,
        latest: p.latest(),
    };
    Ok(html(p.render("briefs.html", view)?))
}
