//! View models: the plain, serializable shapes templates receive. Building
//! them (batch look-ups, dates in the site's time zone, image markup data)
//! happens here so templates hold no logic and handlers stay thin.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use serde::Serialize;

use super::App;
use super::errors::ErrorPage;
use crate::model::{
    Author, Brief, Image, Link, SafeHtml, Section, SiteSettings, Story, StoryNote, Tag, UnixTime,
    text,
};
use crate::services;

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
    pub kind: String,
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

const SHORT_EXCERPT_CHARS: usize = 90;

/// Builds view models for one request, holding what every part needs.
pub struct Presenter<'a> {
    pub app: &'a App,
    pub settings: SiteSettings,
    tz: TimeZone,
    pub sections: Vec<Section>,
    /// The site's logo image, when settings name one.
    logo: Option<Image>,
    pub now: UnixTime,
}

pub fn story_url(slug: &str) -> String {
    format!("/stories/{slug}")
}
pub fn brief_url(slug: &str) -> String {
    format!("/briefs/{slug}")
}
pub fn section_url(slug: &str) -> String {
    format!("/section/{slug}")
}
pub fn tag_url(slug: &str) -> String {
    format!("/tag/{slug}")
}
pub fn author_url(slug: &str) -> String {
    format!("/author/{slug}")
}

/// Page 1 lives at the base URL; page n at base/page/n.
pub fn page_url(base: &str, page: u32) -> String {
    if page <= 1 {
        base.to_string()
    } else {
        format!("{}/page/{page}", base.trim_end_matches('/'))
    }
}

impl<'a> Presenter<'a> {
    pub async fn new(app: &'a App) -> anyhow::Result<Presenter<'a>> {
        let settings = services::settings::load(&app.store).await?;
        let tz = TimeZone::get(&settings.timezone).unwrap_or(TimeZone::UTC);
        let sections = app.store.sections().await?;
        let logo = match &settings.logo_image_id {
            Some(id) => app
                .store
                .images_by_ids(std::slice::from_ref(id))
                .await?
                .pop(),
            None => None,
        };
        Ok(Presenter {
            app,
            settings,
            tz,
            sections,
            logo,
            now: crate::model::now(),
        })
    }

    pub fn render(&self, template: &str, context: impl Serialize) -> anyhow::Result<String> {
        self.app.theme.render(template, context)
    }

    pub fn chrome(&self, title: Option<&str>, description: &str, path: &str) -> Chrome {
        let logo = self
            .settings
            .logo_image_id
            .as_ref()
            .and(self.logo.as_ref())
            .map(|l| self.image(l));
        let title = match title {
            Some(t) => format!("{t} | {}", self.settings.title),
            None => format!("{} | {}", self.settings.title, self.settings.tagline),
        };
        let mut nav: Vec<NavItem> = self
            .sections
            .iter()
            .map(|s| {
                let url = section_url(&s.slug);
                NavItem {
                    current: path == url || path.starts_with(&format!("{url}/")),
                    name: s.name.clone(),
                    url,
                }
            })
            .collect();
        nav.extend(self.settings.navigation.iter().map(|l| NavItem {
            current: path == l.url,
            name: l.label.clone(),
            url: l.url.clone(),
        }));
        Chrome {
            language: self.settings.language.clone(),
            site_title: self.settings.title.clone(),
            logo,
            tagline: self.settings.tagline.clone(),
            home_url: "/".into(),
            nav,
            social: self.settings.social.clone(),
            newsletter_heading: self.settings.newsletter_heading.clone(),
            newsletter_pitch: self.settings.newsletter_pitch.clone(),
            year: jiff::Timestamp::from_second(self.now)
                .map(|t| t.to_zoned(self.tz.clone()).year())
                .unwrap_or(2026),
            title,
            description: description.to_string(),
            canonical: format!("{}{}", self.app.public_url, path),
            prev_url: None,
            next_url: None,
        }
    }

    pub fn date(&self, t: UnixTime) -> DateView {
        let zoned = jiff::Timestamp::from_second(t)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned(self.tz.clone());
        DateView {
            iso: zoned.timestamp().to_string(),
            display: zoned.strftime(&self.settings.date_format).to_string(),
        }
    }

    pub fn section(&self, id: &str) -> LinkView {
        self.sections
            .iter()
            .find(|s| s.id == id)
            .map(|s| LinkView {
                name: s.name.clone(),
                url: section_url(&s.slug),
            })
            .unwrap_or(LinkView {
                name: String::new(),
                url: "/".into(),
            })
    }

    pub fn image(&self, image: &Image) -> ImageView {
        let src = format!("/media/{}", image.file);
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
            .map(|i| (i.id.clone(), self.image(i)))
            .collect())
    }

    /// Teasers for a list of stories, with two batch queries (authors, images).
    pub async fn teasers(&self, stories: &[Story]) -> anyhow::Result<Vec<Teaser>> {
        let mut ids: Vec<String> = stories.iter().map(|s| s.id.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut authors: HashMap<String, Vec<LinkView>> = HashMap::new();
        for sa in self.app.store.authors_of_stories(&ids).await? {
            authors.entry(sa.story_id).or_default().push(LinkView {
                url: author_url(&sa.author.slug),
                name: sa.author.name,
            });
        }
        let images = self
            .images(stories.iter().filter_map(|s| s.hero_image_id.as_ref()))
            .await?;
        Ok(stories
            .iter()
            .map(|s| {
                let excerpt = s.excerpt();
                Teaser {
                    url: story_url(&s.slug),
                    headline: s.headline.clone(),
                    dek: s.dek.clone(),
                    short_excerpt: text::truncate_words(&excerpt, SHORT_EXCERPT_CHARS),
                    excerpt,
                    label: s.label.clone(),
                    section: self.section(&s.section_id),
                    authors: authors.get(&s.id).cloned().unwrap_or_default(),
                    published: s.published_at.map(|t| self.date(t)),
                    reading_minutes: s.reading_minutes,
                    image: s
                        .hero_image_id
                        .as_ref()
                        .and_then(|id| images.get(id).cloned()),
                }
            })
            .collect())
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

    /// The newest public stories, for the Latest rail.
    pub async fn latest_stories(&self, limit: i64) -> anyhow::Result<Vec<Story>> {
        Ok(self
            .app
            .store
            .stories(&Default::default(), self.now, limit, 0)
            .await?)
    }

    pub async fn latest(&self, limit: i64) -> anyhow::Result<Vec<Teaser>> {
        self.teasers(&self.latest_stories(limit).await?).await
    }

    pub async fn briefs(&self, briefs: &[Brief]) -> anyhow::Result<Vec<BriefView>> {
        let images = self
            .images(briefs.iter().filter_map(|b| b.image_id.as_ref()))
            .await?;
        Ok(briefs
            .iter()
            .map(|b| BriefView {
                url: brief_url(&b.slug),
                headline: b.headline.clone(),
                body: SafeHtml::from_stored(b.body_html.clone()),
                summary: text::derive_excerpt(&b.body_md, 160),
                link_url: b.link_url.clone(),
                published: b.published_at.map(|t| self.date(t)),
                image: b.image_id.as_ref().and_then(|id| images.get(id).cloned()),
            })
            .collect())
    }

    pub async fn authors(&self, authors: &[Author]) -> anyhow::Result<Vec<AuthorView>> {
        let photos = self
            .images(authors.iter().filter_map(|a| a.photo_id.as_ref()))
            .await?;
        Ok(authors
            .iter()
            .map(|a| AuthorView {
                name: a.name.clone(),
                url: author_url(&a.slug),
                role_line: a.role_line.clone(),
                bio: a.bio.clone(),
                photo: a.photo_id.as_ref().and_then(|id| photos.get(id).cloned()),
                links: a.links(),
            })
            .collect())
    }

    pub fn notes(&self, notes: &[StoryNote]) -> Vec<NoteView> {
        notes
            .iter()
            .map(|n| NoteView {
                kind: if n.kind == "correction" {
                    "Correction".into()
                } else {
                    "Update".into()
                },
                date: self.date(n.noted_at),
                body: n.body.clone(),
            })
            .collect()
    }

    pub fn tags(&self, tags: &[Tag]) -> Vec<LinkView> {
        tags.iter()
            .map(|t| LinkView {
                name: t.name.clone(),
                url: tag_url(&t.slug),
            })
            .collect()
    }

    pub fn pager(&self, base: &str, page: u32, total: i64, per_page: i64) -> Pager {
        let pages = ((total + per_page - 1) / per_page).max(1) as u32;
        Pager {
            page,
            pages,
            prev_url: (page > 1).then(|| page_url(base, page - 1)),
            next_url: (page < pages).then(|| page_url(base, page + 1)),
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
    let p = Presenter::new(app).await?;
    let heading = match error.status.as_u16() {
        404 => "Page not found",
        410 => "This story is no longer available",
        400 => "That request did not make sense to us",
        405 => "That is not possible here",
        413 => "That was too much for us",
        _ => "Something went wrong",
    };
    let latest = if error.status.is_client_error() {
        p.latest(5).await.unwrap_or_default()
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
