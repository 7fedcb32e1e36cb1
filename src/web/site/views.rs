//! View models: the plain, serializable shapes templates receive. Building
//! them (batch look-ups, dates in the site's time zone, image markup data)
//! happens here so templates hold no logic and handlers stay thin.
//!
//! What every page shows whatever its subject (settings, navigation, logo,
//! the Latest rail) is a `SiteContext`, built once per generation of the
//! published content and shared by every render until the next one.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::tz::TimeZone;
use serde::Serialize;

use crate::model::{
    Author, Brief, Image, Link, SafeHtml, Section, SiteSettings, Story, StoryNote, Tag, UnixTime,
    dates, text,
};
use crate::services;
use crate::urls;
use crate::web::App;
use crate::web::errors::{ErrorPage, SiteError};

/// Everything around the content: header, navigation, rails, footer, meta.
#[derive(Serialize)]
pub struct Chrome {
    pub language: String,
    pub site_title: String,
    pub logo: Option<ImageView>,
    pub tagline: String,
    pub home_url: String,
    pub nav: Vec<NavItem>,
    pub social: Vec<Link>,
    pub newsletter_heading: String,
    pub newsletter_pitch: String,
    pub year: i16,
    /// <title>
    pub title: String,
    pub description: String,
    pub canonical: String,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

#[derive(Serialize)]
pub struct NavItem {
    pub name: String,
    pub url: String,
    pub current: bool,
}

#[derive(Serialize, Clone)]
pub struct ImageView {
    pub src: String,
    /// Width descriptors for srcset: one per stored variant (the original
    /// until resizing arrives with the media work).
    pub srcset: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

#[derive(Serialize, Clone)]
pub struct LinkView {
    pub name: String,
    pub url: String,
}

#[derive(Serialize, Clone)]
pub struct DateView {
    pub iso: String,
    pub display: String,
}

#[derive(Serialize, Clone)]
pub struct Teaser {
    pub url: String,
    pub headline: String,
    pub dek: String,
    pub excerpt: String,
    /// The first words of the excerpt, for compact teasers.
    pub short_excerpt: String,
    pub label: String,
    pub section: LinkView,
    pub authors: Vec<LinkView>,
    pub published: Option<DateView>,
    pub reading_minutes: i32,
    pub image: Option<ImageView>,
}

#[derive(Serialize)]
pub struct AuthorView {
    pub name: String,
    pub url: String,
    pub role_line: String,
    pub bio: String,
    pub photo: Option<ImageView>,
    pub links: Vec<Link>,
}

#[derive(Serialize)]
pub struct NoteView {
    pub kind: &'static str,
    pub date: DateView,
    pub body: String,
}

#[derive(Serialize)]
pub struct BriefView {
    pub url: String,
    pub headline: String,
    pub body: SafeHtml,
    pub summary: String,
    pub link_url: Option<String>,
    pub published: Option<DateView>,
    pub image: Option<ImageView>,
}

#[derive(Serialize)]
pub struct Pager {
    pub page: u32,
    pub pages: u32,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

/// Bylines and images of the stories on one page, fetched together.
pub struct Loaded {
    authors: HashMap<String, Vec<Author>>,
    pub images: HashMap<String, ImageView>,
}

impl Loaded {
    /// The story's authors in byline order.
    pub fn authors_of(&self, story_id: &str) -> &[Author] {
        self.authors.get(story_id).map_or(&[], Vec::as_slice)
    }
}

const SHORT_EXCERPT_CHARS: usize = 90;
/// Stories in the Latest rail (the home page shows them all, other pages one fewer).
pub const LATEST_STORIES: usize = 6;

/// What every page shows, built once per generation of the content.
pub struct SiteContext {
    pub settings: SiteSettings,
    tz: TimeZone,
    pub sections: Vec<Section>,
    logo: Option<ImageView>,
    /// The newest public stories, as teasers.
    pub latest: Vec<Teaser>,
}

impl SiteContext {
    async fn build(app: &App, now: UnixTime) -> anyhow::Result<SiteContext> {
        let settings = services::settings::load(&app.store).await?;
        let tz = TimeZone::get(&settings.timezone).unwrap_or(TimeZone::UTC);
        let sections = app.store.sections().await?;
        let logo = match &settings.logo_image_id {
            Some(id) => app
                .store
                .images_by_ids(std::slice::from_ref(id))
                .await?
                .pop()
                .map(|image| image_view(&image)),
            None => None,
        };
        let mut context = SiteContext {
            settings,
            tz,
            sections,
            logo,
            latest: vec![],
        };
        let newest = app
            .store
            .stories(&Default::default(), now, LATEST_STORIES as i64, 0)
            .await?;
        let presenter = Presenter {
            app,
            site: Arc::new(context),
            now,
        };
        let latest = presenter.teasers(&newest).await?;
        context = Arc::into_inner(presenter.site).expect("the presenter was the only holder");
        context.latest = latest;
        Ok(context)
    }
}

/// Builds view models for one request.
pub struct Presenter<'a> {
    pub app: &'a App,
    pub site: Arc<SiteContext>,
    pub now: UnixTime,
}

fn image_view(image: &Image) -> ImageView {
    let src = urls::media(&image.file);
    ImageView {
        srcset: format!("{src} {}w", image.width),
        src,
        width: image.width,
        height: image.height,
        alt: image.alt.clone(),
        caption: image.caption.clone(),
        credit: image.credit.clone(),
    }
}

impl<'a> Presenter<'a> {
    pub async fn new(app: &'a App) -> Result<Presenter<'a>, SiteError> {
        let snapshot = app.cache.freshness.current().await?;
        let now = app.store.clock().now();
        let site = app
            .site
            .get(snapshot.generation, || SiteContext::build(app, now))
            .await?;
        Ok(Presenter { app, site, now })
    }

    pub fn settings(&self) -> &SiteSettings {
        &self.site.settings
    }

    pub fn render(&self, template: &str, context: impl Serialize) -> anyhow::Result<String> {
        self.app.theme.render(template, context)
    }

    pub fn chrome(&self, title: Option<&str>, description: &str, path: &str) -> Chrome {
        let settings = &self.site.settings;
        let title = match title {
            Some(t) => format!("{t} | {}", settings.title),
            None => format!("{} | {}", settings.title, settings.tagline),
        };
        let mut nav: Vec<NavItem> = self
            .site
            .sections
            .iter()
            .map(|s| {
                let url = urls::section(&s.slug);
                NavItem {
                    current: path == url || path.starts_with(&format!("{url}/")),
                    name: s.name.clone(),
                    url,
                }
            })
            .collect();
        nav.extend(settings.navigation.iter().map(|l| NavItem {
            current: path == l.url,
            name: l.label.clone(),
            url: l.url.clone(),
        }));
        Chrome {
            language: settings.language.clone(),
            site_title: settings.title.clone(),
            logo: self.site.logo.clone(),
            tagline: settings.tagline.clone(),
            home_url: urls::home(),
            nav,
            social: settings.social.clone(),
            newsletter_heading: settings.newsletter_heading.clone(),
            newsletter_pitch: settings.newsletter_pitch.clone(),
            year: jiff::Timestamp::from_second(self.now)
                .map(|t| t.to_zoned(self.site.tz.clone()).year())
                .unwrap_or(2026),
            title,
            description: description.to_string(),
            canonical: self.app.public_url.absolute(path),
            prev_url: None,
            next_url: None,
        }
    }

    pub fn date(&self, t: UnixTime) -> DateView {
        DateView {
            iso: jiff::Timestamp::from_second(t)
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
                .to_string(),
            display: dates::format(t, &self.site.tz, &self.site.settings.date_format),
        }
    }

    pub fn section(&self, id: &str) -> LinkView {
        self.site
            .sections
            .iter()
            .find(|s| s.id == id)
            .map(|s| LinkView {
                name: s.name.clone(),
                url: urls::section(&s.slug),
            })
            .unwrap_or(LinkView {
                name: String::new(),
                url: urls::home(),
            })
    }

    pub async fn images(
        &self,
        ids: impl Iterator<Item = &String>,
    ) -> anyhow::Result<HashMap<String, ImageView>> {
        let mut ids: Vec<String> = ids.cloned().collect();
        ids.sort();
        ids.dedup();
        Ok(self
            .app
            .store
            .images_by_ids(&ids)
            .await?
            .iter()
            .map(|i| (i.id.clone(), image_view(i)))
            .collect())
    }

    /// Bylines and images for `stories` in two batch queries; with
    /// `portraits_for`, also the portraits of that story's authors.
    pub async fn load(
        &self,
        stories: &[&Story],
        portraits_for: Option<&str>,
    ) -> anyhow::Result<Loaded> {
        let mut ids: Vec<String> = stories.iter().map(|s| s.id.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut authors: HashMap<String, Vec<Author>> = HashMap::new();
        for sa in self.app.store.authors_of_stories(&ids).await? {
            authors.entry(sa.story_id).or_default().push(sa.author);
        }
        let portraits = portraits_for
            .and_then(|id| authors.get(id))
            .into_iter()
            .flatten()
            .filter_map(|a| a.photo_id.as_ref());
        let heroes = stories.iter().filter_map(|s| s.hero_image_id.as_ref());
        let images = self.images(heroes.chain(portraits)).await?;
        Ok(Loaded { authors, images })
    }

    pub fn teaser(&self, s: &Story, loaded: &Loaded) -> Teaser {
        let excerpt = s.excerpt();
        Teaser {
            url: urls::story(&s.slug),
            headline: s.headline.clone(),
            dek: s.dek.clone(),
            short_excerpt: text::truncate_words(&excerpt, SHORT_EXCERPT_CHARS),
            excerpt,
            label: s.label.clone(),
            section: self.section(&s.section_id),
            authors: loaded
                .authors_of(&s.id)
                .iter()
                .map(|a| LinkView {
                    name: a.name.clone(),
                    url: urls::author(&a.slug),
                })
                .collect(),
            published: s.published_at.map(|t| self.date(t)),
            reading_minutes: s.reading_minutes,
            image: s
                .hero_image_id
                .as_ref()
                .and_then(|id| loaded.images.get(id).cloned()),
        }
    }

    /// Teasers for a list of stories, with two batch queries (authors, images).
    pub async fn teasers(&self, stories: &[Story]) -> anyhow::Result<Vec<Teaser>> {
        let refs: Vec<&Story> = stories.iter().collect();
        let loaded = self.load(&refs, None).await?;
        Ok(stories.iter().map(|s| self.teaser(s, &loaded)).collect())
    }

    /// Teasers for several lists of one page at once: still only two batch
    /// queries, however many lists (and a story may appear in more than one).
    pub async fn teaser_groups<const N: usize>(
        &self,
        groups: [&[Story]; N],
    ) -> anyhow::Result<[Vec<Teaser>; N]> {
        let all: Vec<Story> = groups.iter().flat_map(|g| g.iter().cloned()).collect();
        let mut teasers = self.teasers(&all).await?.into_iter();
        Ok(std::array::from_fn(|i| {
            teasers.by_ref().take(groups[i].len()).collect()
        }))
    }

    /// The Latest rail of a page other than the home page.
    pub fn latest(&self) -> Vec<Teaser> {
        self.site
            .latest
            .iter()
            .take(LATEST_STORIES - 1)
            .cloned()
            .collect()
    }

    pub async fn briefs(&self, briefs: &[Brief]) -> anyhow::Result<Vec<BriefView>> {
        let images = self
            .images(briefs.iter().filter_map(|b| b.image_id.as_ref()))
            .await?;
        Ok(briefs
            .iter()
            .map(|b| BriefView {
                url: urls::brief(&b.slug),
                headline: b.headline.clone(),
                body: b.body_html.clone(),
                summary: text::derive_excerpt(&b.body_md, 160),
                link_url: b.link_url.clone(),
                published: b.published_at.map(|t| self.date(t)),
                image: b.image_id.as_ref().and_then(|id| images.get(id).cloned()),
            })
            .collect())
    }

    /// Author cards; `photos` must hold their portraits (see `images`).
    pub fn authors(
        &self,
        authors: &[Author],
        photos: &HashMap<String, ImageView>,
    ) -> Vec<AuthorView> {
        authors
            .iter()
            .map(|a| AuthorView {
                name: a.name.clone(),
                url: urls::author(&a.slug),
                role_line: a.role_line.clone(),
                bio: a.bio.clone(),
                photo: a.photo_id.as_ref().and_then(|id| photos.get(id).cloned()),
                links: a.links(),
            })
            .collect()
    }

    pub fn notes(&self, notes: &[StoryNote]) -> Vec<NoteView> {
        notes
            .iter()
            .map(|n| NoteView {
                kind: n.kind.heading(),
                date: self.date(n.noted_at),
                body: n.body.clone(),
            })
            .collect()
    }

    pub fn tags(&self, tags: &[Tag]) -> Vec<LinkView> {
        tags.iter()
            .map(|t| LinkView {
                name: t.name.clone(),
                url: urls::tag(&t.slug),
            })
            .collect()
    }

    pub fn pager(&self, base: &str, page: u32, total: i64, per_page: i64) -> Pager {
        let pages = ((total + per_page - 1) / per_page).max(1) as u32;
        Pager {
            page,
            pages,
            prev_url: (page > 1).then(|| urls::page(base, page - 1)),
            next_url: (page < pages).then(|| urls::page(base, page + 1)),
        }
    }
}

#[derive(Serialize)]
struct ErrorView<'a> {
    chrome: Chrome,
    status: u16,
    heading: &'a str,
    message: &'a str,
    latest: Vec<Teaser>,
}

pub async fn error_page(app: &App, error: &ErrorPage) -> anyhow::Result<String> {
    let p = Presenter::new(app)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let heading = match error.status.as_u16() {
        404 => "Page not found",
        410 => "This story is no longer available",
        400 => "That request did not make sense to us",
        403 => "We could not accept that form",
        405 => "That is not possible here",
        413 => "That was too much for us",
        503 => "We will be back in a moment",
        _ => "Something went wrong",
    };
    let latest = if error.status.is_client_error() {
        p.latest()
    } else {
        vec![]
    };
    p.render(
        "error.html",
        ErrorView {
            chrome: p.chrome(Some(heading), &error.message, "/"),
            status: error.status.as_u16(),
            heading,
            message: &error.message,
            latest,
        },
    )
}
