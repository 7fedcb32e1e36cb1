//! Sitemaps (sitemaps.org 0.9): an index at `/sitemap.xml` naming paged
//! files of stories and briefs (at most `PER_FILE` addresses each, with
//! their hero images), one of the listing pages (home, sections, tags,
//! authors, pages), and a Google News sitemap of the last two days'
//! stories. Written through the theme's XML templates; served by the
//! feeds router behind the page cache.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::SitePresenter as Presenter;
use crate::model::Status;
use crate::model::dates::Dates;
use crate::store::browse::Resource;
use crate::store::{SitemapEntry, SitemapKind};
use crate::urls;
use crate::web::{App, SiteError};

/// The sitemaps.org limit of addresses in one file.
pub const PER_FILE: i64 = 50_000;
/// How far back the news sitemap reaches (Google News reads two days).
const NEWS_WINDOW_SECS: i64 = 48 * 3600;
/// The news sitemap's own limit.
const NEWS_MAX: i64 = 1000;
const XML: &str = "application/xml; charset=utf-8";

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(&urls::sitemap_index(), get(index))
        .route("/sitemaps/{file}", get(file))
}

#[derive(Serialize)]
struct IndexView {
    files: Vec<FileView>,
}

#[derive(Serialize)]
struct FileView {
    url: String,
    lastmod: Option<String>,
}

#[derive(Serialize)]
struct UrlSetView {
    urls: Vec<UrlView>,
}

#[derive(Serialize)]
struct UrlView {
    loc: String,
    lastmod: Option<String>,
    images: Vec<String>,
}

#[derive(Serialize)]
struct NewsView {
    publication: String,
    language: String,
    stories: Vec<NewsStory>,
}

#[derive(Serialize)]
struct NewsStory {
    loc: String,
    published: String,
    title: String,
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, XML)], body).into_response()
}

/// How many files `count` addresses take (at least one, so that a new
/// publication's index is not empty).
fn files_for(count: i64) -> i64 {
    ((count + PER_FILE - 1) / PER_FILE).max(1)
}

async fn index(State(app): State<Arc<App>>) -> Result<Response, SiteError> {
    let p = Presenter::new(&app).await?;
    let public = &app.public_url;
    let mut files = vec![FileView {
        url: public.absolute(&urls::sitemap("pages")),
        lastmod: None,
    }];
    for (kind, name) in [
        (SitemapKind::Stories, "stories"),
        (SitemapKind::Briefs, "briefs"),
    ] {
        let (count, newest) = app.store.sitemap_extent(kind).await?;
        for n in 1..=files_for(count) {
            files.push(FileView {
                url: public.absolute(&urls::sitemap(&format!("{name}-{n}"))),
                // Older files change when a piece in them is edited: the
                // newest change stands for all (an over-eager hint is harmless).
                lastmod: newest.map(|t| Dates::of(t).rfc3339),
            });
        }
    }
    files.push(FileView {
        url: public.absolute(&urls::sitemap("news")),
        lastmod: None,
    });
    Ok(xml(
        p.render("feeds/sitemap-index.xml", IndexView { files })?
    ))
}

async fn file(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
) -> Result<Response, SiteError> {
    let p = Presenter::new(&app).await?;
    let name = file.strip_suffix(".xml").ok_or(SiteError::NotFound)?;
    match name {
        "pages" => pages(&p).await,
        "news" => news(&p).await,
        _ => {
            let (kind, number) = name.split_once('-').ok_or(SiteError::NotFound)?;
            let kind = match kind {
                "stories" => SitemapKind::Stories,
                "briefs" => SitemapKind::Briefs,
                _ => return Err(SiteError::NotFound),
            };
            let number: i64 = number
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or(SiteError::NotFound)?;
            pieces(&p, kind, number).await
        }
    }
}

async fn pieces(p: &Presenter<'_>, kind: SitemapKind, number: i64) -> Result<Response, SiteError> {
    let public = &p.app.public_url;
    let entries = p
        .app
        .store
        .sitemap_entries(kind, i64::MIN, PER_FILE, (number - 1) * PER_FILE)
        .await?;
    if entries.is_empty() && number > 1 {
        return Err(SiteError::NotFound);
    }
    let address = |e: &SitemapEntry| match kind {
        SitemapKind::Stories => urls::story(&e.slug),
        SitemapKind::Briefs => urls::brief(&e.slug),
    };
    let urls = entries
        .iter()
        .map(|e| UrlView {
            loc: public.absolute(&address(e)),
            lastmod: Some(Dates::of(e.updated_at.max(e.published_at)).rfc3339),
            images: e
                .image_file
                .iter()
                .map(|f| public.absolute(&urls::media(f)))
                .collect(),
        })
        .collect();
    Ok(xml(p.render("feeds/sitemap.xml", UrlSetView { urls })?))
}

/// The listing pages: home, Latest, briefs, sections, tags, authors and the
/// published pages.
async fn pages(p: &Presenter<'_>) -> Result<Response, SiteError> {
    let public = &p.app.public_url;
    let (tags, pages) = tokio::try_join!(p.app.store.tags(), p.app.store.pages())?;
    // Tags appear once a public story carries them (internal ones, #name,
    // never); people, once they have a public story (`author_list`).
    let tag_ids: Vec<String> = tags.iter().map(|t| t.id.clone()).collect();
    let tag_counts = p
        .app
        .store
        .public_post_counts(Resource::Tags, &tag_ids)
        .await?;
    let mut paths = vec![urls::home(), urls::latest(), urls::briefs()];
    paths.extend(p.site.sections.iter().map(|s| urls::section(&s.slug)));
    paths.extend(
        tags.iter()
            .filter(|t| !t.name.starts_with('#') && tag_counts.contains_key(&t.id))
            .map(|t| urls::tag(&t.slug)),
    );
    paths.extend(
        p.author_list()
            .iter()
            .map(|(slug, _, _)| urls::author(slug)),
    );
    paths.extend(
        pages
            .iter()
            .filter(|page| page.status == Status::Published)
            .map(|page| urls::static_page(&page.slug)),
    );
    let urls = paths
        .iter()
        .map(|path| UrlView {
            loc: public.absolute(path),
            lastmod: None,
            images: vec![],
        })
        .collect();
    Ok(xml(p.render("feeds/sitemap.xml", UrlSetView { urls })?))
}

/// Google News: stories of the last 48 hours with publication, language,
/// date and title.
async fn news(p: &Presenter<'_>) -> Result<Response, SiteError> {
    let public = &p.app.public_url;
    let settings = p.settings();
    let entries = p
        .app
        .store
        .sitemap_entries(SitemapKind::Stories, p.now - NEWS_WINDOW_SECS, NEWS_MAX, 0)
        .await?;
    let stories = entries
        .iter()
        .rev()
        .map(|e| NewsStory {
            loc: public.absolute(&urls::story(&e.slug)),
            published: Dates::of(e.published_at).rfc3339,
            title: e.headline.clone(),
        })
        .collect();
    // Google News wants an ISO 639 code: the language tag's first part.
    let language = settings
        .language
        .split('-')
        .next()
        .unwrap_or("en")
        .to_ascii_lowercase();
    let view = NewsView {
        publication: settings.title.clone(),
        language,
        stories,
    };
    Ok(xml(p.render("feeds/sitemap-news.xml", view)?))
}
