//! Feeds and files for machines (`robots.txt`; sitemaps in `sitemaps.rs`):
//! behind the page cache like the site's pages (so ETag, Last-Modified and
//! 304 come with them), each with its own content type.
//!
//! Every feed comes as RSS 2.0, Atom 1.0 and JSON Feed 1.1, for the whole
//! site, each section, tag and author, and the briefs. One `Feed` model is
//! built per request and written in the format asked: RSS and Atom through
//! the theme's XML templates (`feeds/rss.xml`, `feeds/atom.xml`), JSON Feed
//! by serde. Entry ids are the pieces' own ids (`urn:uuid:…`), so a
//! changed headline or slug never makes a feed reader show a story twice.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::{SitePresenter as Presenter, image_view};
use crate::model::dates::Dates;
use crate::model::{Image, StoryFilter};
use crate::urls::{self, FeedFormat};
use crate::web::{App, SiteError, cache};

/// Entries in a feed.
const ENTRIES: i64 = 20;

pub fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    let mut router = Router::new().route(&urls::robots(), get(robots));
    for format in FeedFormat::ALL {
        router = router
            .route(
                &urls::feed("", format),
                get(move |State(app): State<Arc<App>>| async move {
                    feed(&app, Source::Site, format).await
                }),
            )
            .route(
                &urls::feed(&urls::briefs(), format),
                get(move |State(app): State<Arc<App>>| async move {
                    feed(&app, Source::Briefs, format).await
                }),
            )
            .route(
                &urls::feed(&urls::corrections(), format),
                get(move |State(app): State<Arc<App>>| async move {
                    feed(&app, Source::Corrections, format).await
                }),
            )
            .route(
                &urls::feed(&urls::story("{slug}"), format),
                get(
                    move |State(app): State<Arc<App>>, Path(slug): Path<String>| async move {
                        feed(&app, Source::Updates(slug), format).await
                    },
                ),
            )
            .route(
                &urls::feed(&urls::section("{slug}"), format),
                get(
                    move |State(app): State<Arc<App>>, Path(slug): Path<String>| async move {
                        feed(&app, Source::Section(slug), format).await
                    },
                ),
            )
            .route(
                &urls::feed(&urls::tag("{slug}"), format),
                get(
                    move |State(app): State<Arc<App>>, Path(slug): Path<String>| async move {
                        feed(&app, Source::Tag(slug), format).await
                    },
                ),
            )
            .route(
                &urls::feed(&urls::author("{slug}"), format),
                get(
                    move |State(app): State<Arc<App>>, Path(slug): Path<String>| async move {
                        feed(&app, Source::Author(slug), format).await
                    },
                ),
            );
    }
    router
        .merge(super::sitemaps::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            app.cache.clone(),
            cache::serve,
        ))
}

/// Crawlers are welcome everywhere but the desk; the sitemap says where
/// everything is.
async fn robots(State(app): State<Arc<App>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "User-agent: *\nDisallow: {}/\n\nSitemap: {}\n",
            urls::desk(),
            app.public_url.absolute(&urls::sitemap_index())
        ),
    )
}

/// What a feed follows.
#[derive(Debug, Clone)]
pub enum Source {
    Site,
    Briefs,
    Corrections,
    /// A story's live updates.
    Updates(String),
    Section(String),
    Tag(String),
    Author(String),
}

/// A feed, whatever its format.
#[derive(Debug, Serialize)]
pub struct Feed {
    pub title: String,
    pub description: String,
    pub language: String,
    /// The page the feed follows (absolute).
    pub home_url: String,
    /// The feed's own address (absolute).
    pub feed_url: String,
    pub updated: Dates,
    pub generator: &'static str,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    /// Never changes: `urn:uuid:` and the piece's id.
    pub id: String,
    pub title: String,
    pub url: String,
    pub summary: String,
    /// Sanitized HTML with absolute links (empty in summary-only feeds).
    pub content: String,
    pub authors: Vec<Person>,
    pub categories: Vec<Category>,
    pub published: Dates,
    pub updated: Dates,
    pub image: Option<FeedImage>,
}

#[derive(Debug, Serialize)]
pub struct Person {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct Category {
    pub name: String,
    /// Atom's scheme-free term: the category's address.
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct FeedImage {
    pub url: String,
    pub mime: &'static str,
    pub width: i32,
    pub height: i32,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

async fn feed(app: &App, source: Source, format: FeedFormat) -> Result<Response, SiteError> {
    let p = Presenter::new(app).await?;
    let feed = build(&p, &source, format).await?;
    let body = match format {
        FeedFormat::Rss => p.render("feeds/rss.xml", &feed)?,
        FeedFormat::Atom => p.render("feeds/atom.xml", &feed)?,
        FeedFormat::Json => json_feed(&feed),
    };
    Ok(([(header::CONTENT_TYPE, format.content_type())], body).into_response())
}

/// The feed of `source`: its newest pieces, newest first. Unknown
/// sections, tags and authors are 404.
pub async fn build(
    p: &Presenter<'_>,
    source: &Source,
    format: FeedFormat,
) -> Result<Feed, SiteError> {
    let app = p.app;
    let settings = p.settings();
    let site = &settings.title;
    let mut filter = StoryFilter::default();
    let (title, description, base) = match source {
        Source::Site => (site.clone(), settings.tagline.clone(), urls::home()),
        Source::Briefs => (
            format!("{site}: Briefs"),
            super::BRIEFS_DESCRIPTION.to_string(),
            urls::briefs(),
        ),
        Source::Corrections => (
            format!("{site}: Corrections"),
            super::CORRECTIONS_DESCRIPTION.to_string(),
            urls::corrections(),
        ),
        Source::Updates(slug) => {
            let card = app
                .store
                .story_card_by_slug(slug)
                .await?
                .filter(|c| c.story.is_public(p.now) && c.live_from.is_some())
                .ok_or(SiteError::NotFound)?;
            (
                format!("{site}: {} (live updates)", card.story.headline),
                card.story.dek.clone(),
                urls::story(slug),
            )
        }
        Source::Section(slug) => {
            let section = p
                .site
                .sections
                .iter()
                .find(|s| &s.slug == slug)
                .ok_or(SiteError::NotFound)?;
            filter.section_id = Some(section.id.clone());
            (
                format!("{site}: {}", section.name),
                section.description.clone(),
                urls::section(slug),
            )
        }
        Source::Tag(slug) => {
            let tag = app
                .store
                .tag_by_slug(slug)
                .await?
                .ok_or(SiteError::NotFound)?;
            filter.tag_id = Some(tag.id.clone());
            (
                format!("{site}: {}", tag.name),
                tag.description,
                urls::tag(slug),
            )
        }
        Source::Author(slug) => {
            let author = app
                .store
                .author_by_slug(slug)
                .await?
                .ok_or(SiteError::NotFound)?;
            filter.author_id = Some(author.id.clone());
            (
                format!("{site}: {}", author.name),
                format!("Stories by {}", author.name),
                urls::author(slug),
            )
        }
    };
    let entries = match source {
        Source::Briefs => brief_entries(p).await?,
        Source::Corrections => correction_entries(p).await?,
        Source::Updates(slug) => update_entries(p, slug).await?,
        _ => story_entries(p, &filter).await?,
    };
    if entries.is_empty() && matches!(source, Source::Tag(_) | Source::Author(_)) {
        // A tag or a person becomes public with their first public story:
        // a draft's tag can name an embargoed topic.
        return Err(SiteError::NotFound);
    }
    // RFC 3339 in UTC sorts as time does.
    let updated = entries
        .iter()
        .map(|e| &e.updated)
        .max_by(|a, b| a.rfc3339.cmp(&b.rfc3339))
        .cloned()
        .unwrap_or_else(|| Dates::of(p.now));
    let public = &app.public_url;
    Ok(Feed {
        title,
        description: if description.is_empty() {
            settings.tagline.clone()
        } else {
            description
        },
        language: settings.language.clone(),
        home_url: public.absolute(&base),
        feed_url: public.absolute(&urls::feed(
            if matches!(source, Source::Site) {
                ""
            } else {
                &base
            },
            format,
        )),
        updated,
        generator: "Masthead",
        entries,
    })
}

async fn story_entries(p: &Presenter<'_>, filter: &StoryFilter) -> Result<Vec<Entry>, SiteError> {
    let app = p.app;
    let public = &app.public_url;
    let listed = app.store.stories(filter, p.now, ENTRIES, 0).await?;
    let ids: Vec<String> = listed.iter().map(|s| s.id.clone()).collect();
    let mut cards = app.store.story_cards_by_ids(&ids).await?;
    // Newest first, as listed.
    cards.sort_by_key(|c| ids.iter().position(|id| id == &c.story.id));
    let full_text = p.settings().feed_full_text;
    let mut entries = Vec::with_capacity(cards.len());
    for card in cards {
        let story = &card.story;
        let section = p.site.section(&story.section_id);
        let mut categories = vec![Category {
            name: section.name,
            url: public.absolute(&section.url),
        }];
        for tag in p.tags(&card.tag_ids).await? {
            categories.push(Category {
                name: tag.name,
                url: public.absolute(&tag.url),
            });
        }
        let summary = if story.dek.is_empty() {
            story.excerpt()
        } else {
            story.dek.clone()
        };
        let published = story.published_at.unwrap_or(story.created_at);
        entries.push(Entry {
            id: entry_id("story", &story.id, public),
            title: story.headline.clone(),
            url: public.absolute(&urls::story(&story.slug)),
            summary,
            content: if full_text {
                absolute_links(story.body.as_str(), public)
            } else {
                String::new()
            },
            authors: p
                .authors(&card.author_ids)
                .into_iter()
                .map(|a| Person {
                    name: a.name,
                    url: public.absolute(&a.url),
                })
                .collect(),
            categories,
            published: Dates::of(published),
            updated: Dates::of(story.updated_at.max(published)),
            image: card.hero.as_ref().map(|i| feed_image(i, public)),
        });
    }
    Ok(entries)
}

/// Corrections, each an entry of its own (its id the note's): a reader
/// follows them as they are made, whatever story they correct.
async fn correction_entries(p: &Presenter<'_>) -> Result<Vec<Entry>, SiteError> {
    let public = &p.app.public_url;
    let corrections = p
        .app
        .store
        .public_corrections(p.now, None, ENTRIES, 0)
        .await?;
    Ok(corrections
        .iter()
        .map(|c| Entry {
            id: entry_id("correction", &c.note.id, public),
            title: format!("Correction: {}", c.story_headline),
            url: public.absolute(&urls::story_note(&c.story_slug, &c.note.id)),
            summary: c.note.body.clone(),
            content: String::new(),
            authors: vec![],
            categories: vec![],
            published: Dates::of(c.note.noted_at),
            updated: Dates::of(c.note.noted_at),
            image: None,
        })
        .collect())
}

/// A live story's updates, newest first, each an entry of its own linked
/// to its place on the story's page.
async fn update_entries(p: &Presenter<'_>, slug: &str) -> Result<Vec<Entry>, SiteError> {
    let public = &p.app.public_url;
    let Some(card) = p.app.store.story_card_by_slug(slug).await? else {
        return Err(SiteError::NotFound);
    };
    let updates = p.app.store.live_updates_since(&card.story.id, 0).await?;
    let path = urls::story(slug);
    Ok(updates
        .iter()
        .filter(|u| u.removed_at.is_none())
        .take(ENTRIES as usize)
        .map(|u| {
            let view = p.live_update(&path, u);
            let text = u.body.plain_line();
            Entry {
                id: entry_id("update", &u.id, public),
                title: format!(
                    "{}, {}: {}",
                    view.time,
                    view.posted.display,
                    crate::model::text::truncate_words(&text, 90)
                ),
                url: public.absolute(&view.permalink),
                summary: crate::model::text::truncate_words(&text, 300),
                content: absolute_links(u.body.as_str(), public),
                authors: view
                    .author
                    .iter()
                    .map(|a| Person {
                        name: a.name.clone(),
                        url: public.absolute(&a.url),
                    })
                    .collect(),
                categories: vec![],
                published: Dates::of(u.posted_at),
                updated: Dates::of(u.edited_at.unwrap_or(u.posted_at)),
                image: None,
            }
        })
        .collect())
}

async fn brief_entries(p: &Presenter<'_>) -> Result<Vec<Entry>, SiteError> {
    let public = &p.app.public_url;
    let briefs = p.app.store.briefs(p.now, ENTRIES, 0).await?;
    let views = p.briefs(&briefs);
    Ok(briefs
        .iter()
        .zip(views)
        .map(|(card, view)| {
            let brief = &card.brief;
            let published = brief.published_at.unwrap_or(brief.created_at);
            Entry {
                id: entry_id("brief", &brief.id, public),
                title: brief.headline.clone(),
                url: public.absolute(&urls::brief(&brief.slug)),
                summary: view.summary,
                content: absolute_links(brief.body.as_str(), public),
                authors: vec![],
                categories: vec![],
                published: Dates::of(published),
                updated: Dates::of(brief.updated_at.max(published)),
                image: card.image.as_ref().map(|i| feed_image(i, public)),
            }
        })
        .collect())
}

/// A piece's permanent id: `urn:uuid:…` for Masthead's own (UUID) ids; a
/// `tag:` URI for others (imported archives may keep their ids).
fn entry_id(kind: &str, id: &str, public: &urls::PublicUrl) -> String {
    match uuid::Uuid::try_parse(id) {
        Ok(uuid) => uuid.urn().to_string(),
        Err(_) => {
            let host = public.origin().split("://").nth(1).unwrap_or("localhost");
            let host = host.split(':').next().unwrap_or(host);
            format!("tag:{host},2026:{kind}/{id}")
        }
    }
}

fn feed_image(image: &Image, public: &urls::PublicUrl) -> FeedImage {
    let view = image_view(image, public);
    FeedImage {
        url: public.absolute(&view.src),
        mime: crate::theme::content_type_for(&view.src),
        width: image.width,
        height: image.height,
        alt: image.alt.clone(),
        caption: image.caption.clone(),
        credit: image.credit.clone(),
    }
}

/// A body's HTML for a feed reader: site addresses made absolute.
pub fn absolute_links(html: &str, public: &urls::PublicUrl) -> String {
    crate::model::document::absolute_addresses(html, &|path| public.absolute(path))
}

/// JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/).
fn json_feed(feed: &Feed) -> String {
    let items: Vec<serde_json::Value> = feed
        .entries
        .iter()
        .map(|e| {
            let mut item = serde_json::json!({
                "id": e.id,
                "url": e.url,
                "title": e.title,
                "summary": e.summary,
                "date_published": e.published.rfc3339,
                "date_modified": e.updated.rfc3339,
                "authors": e.authors.iter().map(|a| serde_json::json!({"name": a.name, "url": a.url})).collect::<Vec<_>>(),
                "tags": e.categories.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
            });
            if e.content.is_empty() {
                item["content_text"] = e.summary.clone().into();
            } else {
                item["content_html"] = e.content.clone().into();
            }
            if let Some(image) = &e.image {
                item["image"] = image.url.clone().into();
                item["_masthead_image"] = serde_json::json!({
                    "alt": image.alt,
                    "caption": image.caption,
                    "credit": image.credit,
                    "width": image.width,
                    "height": image.height,
                });
            }
            item
        })
        .collect();
    let feed = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": feed.feed_url,
        "description": feed.description,
        "language": feed.language,
        "items": items,
    });
    feed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_are_uris() {
        let public = urls::PublicUrl::new("https://news.example:8443");
        assert_eq!(
            entry_id("story", "01a229ac56e172d0ab3fb5cff7548509", &public),
            "urn:uuid:01a229ac-56e1-72d0-ab3f-b5cff7548509"
        );
        assert_eq!(
            entry_id("brief", "wp-42", &public),
            "tag:news.example,2026:brief/wp-42"
        );
    }

    #[test]
    fn dates_in_both_formats() {
        let d = Dates::of(1_700_000_000);
        assert_eq!(d.rfc3339, "2023-11-14T22:13:20Z");
        assert_eq!(d.rfc822, "Tue, 14 Nov 2023 22:13:20 GMT");
    }
}
