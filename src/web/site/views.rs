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
    Author, Image, Link, SafeHtml, Section, SiteSettings, StoryFilter, StoryNote, UnixTime, dates,
    text,
};
use crate::services::lookups::Lookups;
use crate::services::related;
use crate::store::{
    BriefCard, ListingPage, PublicCorrection, RelatedLists, StoryCard, StorySummary, TagWindowEntry,
};
use crate::urls;
use crate::web::App;
use crate::web::errors::{ErrorPage, SiteError};

/// Everything around the content: header, navigation, rails, footer, meta.
#[derive(Serialize)]
pub struct Chrome {
    pub language: String,
    pub site_title: String,
    pub logo: Option<ImageView>,
    /// The publication's icon, when it chose one (else the theme's).
    pub icon: Option<IconView>,
    /// The stylesheet that sets the publication's accent, when it is not
    /// the theme's own.
    pub accent_css: Option<String>,
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
    /// A desk preview: not public yet, not for search engines.
    pub preview: bool,
    /// Feeds offered with `<link rel="alternate">`: the page's own first.
    pub feeds: Vec<FeedLink>,
    /// What search engines are asked (`noindex, follow` on search results).
    pub robots: Option<&'static str>,
    /// Pages linked from the footer.
    pub footer_links: Vec<NavItem>,
    /// OpenGraph, Twitter card and JSON-LD (see `metadata.rs`).
    pub meta: super::metadata::PageMeta,
    /// The page's own path (a sign-up form sends it: where sign-ups came from).
    pub path: String,
    /// Where the page reports itself read, when readers are counted.
    pub count_url: Option<String>,
}

/// The publication's icon as browsers ask for it: a small copy for tabs,
/// one of at least 180 pixels for home screens.
#[derive(Serialize, Clone, Debug)]
pub struct IconView {
    pub src: String,
    pub touch_src: String,
}

impl IconView {
    fn of(image: &Image, public: &urls::PublicUrl) -> IconView {
        let mut widths = image.smaller_widths();
        widths.push(image.width);
        widths.sort_unstable();
        let at_least = |px: i32| {
            let width = widths
                .iter()
                .copied()
                .find(|&w| w >= px)
                .unwrap_or(image.width);
            public.media(&image.file_at(width, None))
        };
        IconView {
            src: at_least(48),
            touch_src: at_least(180),
        }
    }
}

/// A feed a page offers.
#[derive(Serialize, Clone, Debug)]
pub struct FeedLink {
    pub title: String,
    pub url: String,
    pub kind: &'static str,
}

/// The feeds (every format) of the listing at `base` ("" for the site).
pub fn feed_links(name: &str, base: &str) -> Vec<FeedLink> {
    urls::FeedFormat::ALL
        .iter()
        .map(|format| FeedLink {
            title: format!("{name} ({})", format.label()),
            url: urls::feed(base, *format),
            kind: format.link_type(),
        })
        .collect()
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
    /// Width descriptors for srcset: one per served width.
    pub srcset: String,
    /// The same widths as WebP (empty when the image has none).
    pub webp_srcset: String,
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
    /// Its element's `id` on the story's page.
    pub anchor: String,
    pub kind: &'static str,
    pub date: DateView,
    pub body: String,
}

/// A correction as the corrections page lists it.
#[derive(Serialize)]
pub struct CorrectionView {
    pub date: DateView,
    pub body: String,
    /// The corrected story's headline, and the address of the correction
    /// at its foot.
    pub story: LinkView,
}

#[derive(Serialize, Clone)]
pub struct BriefView {
    pub url: String,
    pub headline: String,
    pub body: SafeHtml,
    pub summary: String,
    pub link_url: Option<String>,
    pub published: Option<DateView>,
    pub image: Option<ImageView>,
}

/// Where a listing page sits: its number and its neighbours. Listings do
/// not count their stories (counting grows with the archive); a page knows
/// only whether another follows.
#[derive(Serialize)]
pub struct Pager {
    pub page: u32,
    pub prev_url: Option<String>,
    pub next_url: Option<String>,
}

const SHORT_EXCERPT_CHARS: usize = 90;
/// Stories in the Latest rail (the home page shows them all, other pages one fewer).
pub const LATEST_STORIES: usize = 6;

/// Top stories under the lead on the front page.
const FRONT_TOP: usize = 3;
/// Stories in the front page's river, after the lead and top stories.
const FRONT_RIVER: usize = 12;
/// Briefs in the briefs rail.
const RAIL_BRIEFS: i64 = 6;

/// The front page's stories: the lead (the newest featured story, or the
/// newest of all), the top stories and the river (the newest after it).
pub struct FrontPage {
    pub lead: Option<Teaser>,
    pub top: Vec<Teaser>,
    pub river: Vec<Teaser>,
}

/// An author with their portrait, ready for bylines and bios.
struct AuthorEntry {
    author: Author,
    portrait: Option<ImageView>,
}

/// What every page shows, built once per generation of the content: the
/// settings, the sections, every author (a newsroom has hundreds at most),
/// the Latest and briefs rails, the front page's stories, and the tags and
/// related stories pages have asked for so far.
pub struct SiteContext {
    pub settings: SiteSettings,
    /// The site's address, and its media's.
    public: urls::PublicUrl,
    tz: TimeZone,
    pub sections: Vec<Section>,
    logo: Option<ImageView>,
    icon: Option<IconView>,
    authors: HashMap<String, AuthorEntry>,
    /// Those with a public story: the only ones the site lists by name
    /// (staff who never published stay off it).
    public_authors: std::collections::HashSet<String>,
    tags: Lookups<LinkView>,
    /// The newest public stories under each tag, for related stories.
    tag_windows: Lookups<Arc<Vec<TagWindowEntry>>>,
    /// Teasers of stories shown as related (the newest of each tag,
    /// mostly), converted for templates once rather than on every page
    /// that shows them.
    teasers: Lookups<minijinja::Value>,
    /// The newest public stories, as teasers.
    pub latest: Vec<Teaser>,
    /// The Latest rail of pages other than the home page, for templates.
    latest_rail: minijinja::Value,
    /// The newest public briefs.
    pub briefs: Vec<BriefView>,
    pub front: FrontPage,
    /// Published pages linked from the navigation or the footer, in order.
    pages: Vec<crate::model::Page>,
    /// The labels public stories carry (the search page's choices).
    pub search_labels: Vec<String>,
    /// Where each page of a listing ends, by listing, as deep pages ask.
    page_ends: std::sync::Mutex<HashMap<String, Arc<Vec<crate::store::Cursor>>>>,
}

/// Listings whose page ends are kept at once (a crawler walking every tag's
/// deep pages would otherwise keep them all).
const PAGE_ENDS_KEPT: usize = 256;

impl SiteContext {
    /// The page ends of the listing `key` names, read by `load` the first
    /// time this generation.
    pub async fn page_ends<F>(
        &self,
        key: String,
        load: F,
    ) -> Result<Arc<Vec<crate::store::Cursor>>, crate::store::StoreError>
    where
        F: std::future::Future<
                Output = Result<Vec<crate::store::Cursor>, crate::store::StoreError>,
            >,
    {
        let known = self
            .page_ends
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(ends) = known {
            return Ok(ends);
        }
        let ends = Arc::new(load.await?);
        let mut all = self.page_ends.lock().unwrap_or_else(|e| e.into_inner());
        if all.len() >= PAGE_ENDS_KEPT {
            all.clear();
        }
        all.insert(key, ends.clone());
        Ok(ends)
    }

    async fn build(app: &App, now: UnixTime) -> anyhow::Result<SiteContext> {
        let store = &app.store;
        let featured = StoryFilter {
            featured: Some(true),
            ..Default::default()
        };
        let everything = StoryFilter::default();
        let listings = [
            ListingPage {
                filter: &featured,
                limit: 1,
                offset: 0,
                after: None,
            },
            ListingPage {
                filter: &everything,
                limit: (1 + FRONT_TOP + FRONT_RIVER) as i64,
                offset: 0,
                after: None,
            },
        ];
        // Independent look-ups, on connections of their own at once.
        let (settings, authors, public_authors, sections, lists, briefs, pages, search_labels) = tokio::try_join!(
            store.site_settings(),
            store.authors(),
            store.authors_with_public_stories(),
            store.sections(),
            store.story_lists(&listings, now),
            store.briefs(now, RAIL_BRIEFS, 0),
            store.linked_pages(),
            store.search_labels(),
        )?;
        // The editors' picks for the front page, where still public.
        let picked: Vec<String> = settings
            .front_lead
            .iter()
            .chain(settings.front_pinned.iter())
            .cloned()
            .collect();
        let picks = store.public_story_summaries(&picked, now).await?;
        let tz = settings.time_zone();
        let image_ids: Vec<String> = authors
            .iter()
            .filter_map(|a| a.photo_id.clone())
            .chain(settings.logo_image_id.clone())
            .chain(settings.icon_image_id.clone())
            .collect();
        let found = store.images_by_ids(&image_ids).await?;
        let icon = settings
            .icon_image_id
            .as_ref()
            .and_then(|id| found.iter().find(|i| &i.id == id))
            .map(|i| IconView::of(i, &app.public_url));
        let images: HashMap<String, ImageView> = found
            .iter()
            .map(|i| (i.id.clone(), image_view(i, &app.public_url)))
            .collect();
        let mut context = SiteContext {
            public: app.public_url.clone(),
            icon,
            logo: settings
                .logo_image_id
                .as_ref()
                .and_then(|id| images.get(id).cloned()),
            authors: authors
                .into_iter()
                .map(|author| {
                    let portrait = author
                        .photo_id
                        .as_ref()
                        .and_then(|id| images.get(id).cloned());
                    (author.id.clone(), AuthorEntry { author, portrait })
                })
                .collect(),
            public_authors,
            settings,
            tz,
            sections,
            // About 100 bytes a tag, 10 kB a window, 1 kB a teaser.
            tags: Lookups::new(4096),
            tag_windows: Lookups::new(512),
            teasers: Lookups::new(2048),
            latest: vec![],
            latest_rail: minijinja::Value::UNDEFINED,
            briefs: vec![],
            front: FrontPage {
                lead: None,
                top: vec![],
                river: vec![],
            },
            pages,
            search_labels,
            page_ends: Default::default(),
        };
        let [featured, newest]: [Vec<StorySummary>; 2] =
            lists.try_into().expect("one list per listing");
        context.latest = newest
            .iter()
            .take(LATEST_STORIES)
            .map(|s| context.teaser(s))
            .collect();
        context.latest_rail = minijinja::Value::from_serialize(
            &context.latest[..context.latest.len().min(LATEST_STORIES - 1)],
        );
        let picked_story = |id: &String| picks.iter().find(|s| &s.id == id).cloned();
        // The chosen lead; else the newest featured story; else the newest.
        let lead = context
            .settings
            .front_lead
            .as_ref()
            .and_then(picked_story)
            .or_else(|| featured.into_iter().next())
            .or_else(|| newest.first().cloned());
        let lead_id = lead.as_ref().map(|s| s.id.clone());
        // Pinned stories first, in the editors' order; the rest by date.
        let pinned: Vec<StorySummary> = context
            .settings
            .front_pinned
            .iter()
            .filter(|id| Some(*id) != lead_id.as_ref())
            .filter_map(picked_story)
            .collect();
        let mut rest = newest
            .iter()
            .filter(|s| Some(&s.id) != lead_id.as_ref() && !pinned.iter().any(|p| p.id == s.id));
        let mut top: Vec<Teaser> = pinned.iter().map(|s| context.teaser(s)).collect();
        top.extend(
            rest.by_ref()
                .take(FRONT_TOP.saturating_sub(top.len()))
                .map(|s| context.teaser(s)),
        );
        context.front = FrontPage {
            lead: lead.map(|s| context.teaser(&s)),
            top,
            river: rest.take(FRONT_RIVER).map(|s| context.teaser(s)).collect(),
        };
        context.briefs = briefs.iter().map(|b| context.brief(b)).collect();
        Ok(context)
    }

    pub fn brief(&self, card: &BriefCard) -> BriefView {
        let b = &card.brief;
        BriefView {
            url: urls::brief(&b.slug),
            headline: b.headline.clone(),
            body: b.body.served(&self.public),
            summary: crate::model::document::excerpt_of(None, b.body.as_str(), 160),
            link_url: b.link_url.clone(),
            published: b.published_at.map(|t| self.date(t)),
            image: card.image.as_ref().map(|i| image_view(i, &self.public)),
        }
    }

    pub fn teaser(&self, s: &StorySummary) -> Teaser {
        let excerpt = s.excerpt.clone();
        Teaser {
            url: urls::story(&s.slug),
            headline: s.headline.clone(),
            dek: s.dek.clone(),
            short_excerpt: text::truncate_words(&excerpt, SHORT_EXCERPT_CHARS),
            excerpt,
            label: s.label.clone(),
            section: self.section(&s.section_id),
            authors: s
                .author_ids
                .iter()
                .filter_map(|id| self.authors.get(id))
                .map(|entry| LinkView {
                    name: entry.author.name.clone(),
                    url: urls::author(&entry.author.slug),
                })
                .collect(),
            published: s.published_at.map(|t| self.date(t)),
            reading_minutes: s.reading_minutes,
            image: s.hero.as_ref().map(|i| image_view(i, &self.public)),
        }
    }

    /// A teaser already converted for templates (kept and shared by pages).
    pub fn teaser_value(&self, s: &StorySummary) -> minijinja::Value {
        minijinja::Value::from_serialize(self.teaser(s))
    }

    pub fn date(&self, t: UnixTime) -> DateView {
        DateView {
            iso: jiff::Timestamp::from_second(t)
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
                .to_string(),
            display: dates::format(t, &self.tz, &self.settings.date_format),
        }
    }

    pub fn section(&self, id: &str) -> LinkView {
        self.sections
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
}

/// Builds view models for one request.
pub struct Presenter<'a> {
    pub app: &'a App,
    pub site: Arc<SiteContext>,
    pub now: UnixTime,
}

/// `url 320w, url 640w, …` for each served width of an image.
fn srcset(image: &Image, extension: Option<&str>, public: &urls::PublicUrl) -> String {
    let mut widths = image.smaller_widths();
    widths.push(image.width);
    widths
        .iter()
        .map(|&w| format!("{} {w}w", public.media(&image.file_at(w, extension))))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn image_view(image: &Image, public: &urls::PublicUrl) -> ImageView {
    let src = public.media(&image.file);
    ImageView {
        srcset: srcset(image, None, public),
        webp_srcset: if image.webp {
            srcset(image, Some("webp"), public)
        } else {
            String::new()
        },
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

    pub fn site_logo(&self) -> Option<ImageView> {
        self.site.logo.clone()
    }

    pub fn render(&self, template: &str, context: impl Serialize) -> anyhow::Result<String> {
        self.app.theme.render(template, context)
    }

    pub fn chrome(&self, title: Option<&str>, description: &str, path: &str) -> Chrome {
        let settings = &self.site.settings;
        let meta = self.page_meta(title.unwrap_or(&settings.title), description, path);
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
        let page_link = |p: &crate::model::Page| {
            let url = urls::static_page(&p.slug);
            NavItem {
                current: path == url,
                name: p.title.clone(),
                url,
            }
        };
        nav.extend(
            self.site
                .pages
                .iter()
                .filter(|p| p.in_navigation)
                .map(page_link),
        );
        nav.extend(settings.navigation.iter().map(|l| NavItem {
            current: path == l.url,
            name: l.label.clone(),
            url: l.url.clone(),
        }));
        let mut footer_links: Vec<NavItem> = self
            .site
            .pages
            .iter()
            .filter(|p| p.in_footer)
            .map(page_link)
            .collect();
        // Every publication answers for its corrections in the open.
        let corrections = urls::corrections();
        footer_links.push(NavItem {
            current: path.starts_with(&corrections),
            name: "Corrections".to_string(),
            url: corrections,
        });
        Chrome {
            language: settings.language.clone(),
            site_title: settings.title.clone(),
            logo: self.site.logo.clone(),
            icon: self.site.icon.clone(),
            accent_css: (settings.accent != crate::model::DEFAULT_ACCENT)
                .then(|| urls::accent_stylesheet(&settings.accent)),
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
            preview: false,
            feeds: feed_links(&settings.title, ""),
            robots: None,
            footer_links,
            meta,
            path: path.to_string(),
            count_url: settings.count_readers.then(urls::count_view),
        }
    }

    pub fn date(&self, t: UnixTime) -> DateView {
        self.site.date(t)
    }

    /// The start of a day (`YYYY-MM-DD`) in the publication's time zone.
    pub fn day_start(&self, day: &str) -> Option<UnixTime> {
        let date: jiff::civil::Date = day.trim().parse().ok()?;
        let zoned = date.to_zoned(self.site.tz.clone()).ok()?;
        Some(zoned.timestamp().as_second())
    }

    /// Every author as (slug, name, id), by name.
    /// Authors with a public story, by name: (slug, name, id).
    pub fn author_list(&self) -> Vec<(String, String, String)> {
        let mut list: Vec<(String, String, String)> = self
            .site
            .authors
            .values()
            .filter(|e| self.site.public_authors.contains(&e.author.id))
            .map(|e| {
                (
                    e.author.slug.clone(),
                    e.author.name.clone(),
                    e.author.id.clone(),
                )
            })
            .collect();
        list.sort_by(|a, b| a.1.cmp(&b.1));
        list
    }

    pub fn teasers(&self, stories: &[StorySummary]) -> Vec<Teaser> {
        stories.iter().map(|s| self.site.teaser(s)).collect()
    }

    /// The Latest rail of a page other than the home page.
    pub fn latest(&self) -> minijinja::Value {
        self.site.latest_rail.clone()
    }

    /// No Latest rail (a page that is one, or a server error's).
    pub fn no_latest(&self) -> minijinja::Value {
        minijinja::Value::from(Vec::<minijinja::Value>::new())
    }

    /// Tag links by id, in the order asked.
    pub async fn tags(&self, ids: &[String]) -> anyhow::Result<Vec<LinkView>> {
        let store = &self.app.store;
        self.site
            .tags
            .get(ids, |missing| async move {
                Ok::<_, anyhow::Error>(
                    store
                        .tags_by_ids(&missing)
                        .await?
                        .into_iter()
                        .map(|t| {
                            let link = LinkView {
                                name: t.name,
                                url: urls::tag(&t.slug),
                            };
                            (t.id, link)
                        })
                        .collect(),
                )
            })
            .await
    }

    /// Stories related to the story of `card`, as teasers: the editors'
    /// pins, then its worked-out list (see `services::related`), or while
    /// that is missing, ranked from the windows of its tags and topped up
    /// from its section. Never one the editors excluded.
    pub async fn related(
        &self,
        card: &StoryCard,
        lists: &RelatedLists,
        limit: usize,
    ) -> anyhow::Result<Vec<minijinja::Value>> {
        let store = &self.app.store;
        let now = self.now;
        let mut ids: Vec<String> = lists.pinned.clone();
        let from_tags = lists.computed.is_empty();
        let chosen = if from_tags {
            self.related_by_tags(card, limit + lists.excluded.len())
                .await?
        } else {
            lists.computed.clone()
        };
        ids.extend(chosen);
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| {
            id != &card.story.id && !lists.excluded.contains(id) && seen.insert(id.clone())
        });
        let site = &self.site;
        let by_id = site
            .teasers
            .get(&ids, |missing| async move {
                Ok::<_, anyhow::Error>(
                    store
                        .public_story_summaries(&missing, now)
                        .await?
                        .iter()
                        .map(|s| (s.id.clone(), site.teaser_value(s)))
                        .collect(),
                )
            })
            .await?;
        let mut teasers: Vec<minijinja::Value> = by_id.into_iter().take(limit).collect();
        if teasers.len() < limit && from_tags {
            let mut shown = ids.clone();
            shown.extend(lists.excluded.iter().cloned());
            let filter = related::fill_from_section(&card.story, &shown);
            let more = store
                .stories(&filter, now, (limit - teasers.len()) as i64, 0)
                .await?;
            teasers.extend(more.iter().map(|s| self.site.teaser_value(s)));
        }
        Ok(teasers)
    }

    /// The ids of the stories sharing most tags with the story of `card`.
    async fn related_by_tags(&self, card: &StoryCard, limit: usize) -> anyhow::Result<Vec<String>> {
        let store = &self.app.store;
        let now = self.now;
        let tags: Vec<String> = card
            .tag_ids
            .iter()
            .take(related::TAGS_WEIGHED)
            .cloned()
            .collect();
        let windows = self
            .site
            .tag_windows
            .get(&tags, |missing| async move {
                Ok::<_, anyhow::Error>(
                    store
                        .tag_windows(&missing, now)
                        .await?
                        .into_iter()
                        .map(|(tag, window)| (tag, Arc::new(window)))
                        .collect(),
                )
            })
            .await?;
        let windows: Vec<&[TagWindowEntry]> = windows.iter().map(|w| w.as_slice()).collect();
        Ok(related::rank(&card.story, &windows, limit))
    }

    /// Author cards (bio, portrait, links) by id, in byline order.
    pub fn authors(&self, ids: &[String]) -> Vec<AuthorView> {
        ids.iter()
            .filter_map(|id| self.site.authors.get(id))
            .map(|entry| {
                let a = &entry.author;
                AuthorView {
                    name: a.name.clone(),
                    url: urls::author(&a.slug),
                    role_line: a.role_line.clone(),
                    bio: a.bio.clone(),
                    photo: entry.portrait.clone(),
                    links: a.links(),
                }
            })
            .collect()
    }

    /// An author's name and page, by id (None: no such author).
    pub fn author_link(&self, id: &str) -> Option<LinkView> {
        self.site.authors.get(id).map(|e| LinkView {
            name: e.author.name.clone(),
            url: urls::author(&e.author.slug),
        })
    }

    /// A moment in the publication's zone, as `pattern` (strftime) writes it.
    pub fn local_time(&self, t: UnixTime, pattern: &str) -> String {
        dates::format(t, &self.site.tz, pattern)
    }

    pub fn briefs(&self, briefs: &[BriefCard]) -> Vec<BriefView> {
        briefs.iter().map(|b| self.site.brief(b)).collect()
    }

    pub fn notes(&self, notes: &[StoryNote]) -> Vec<NoteView> {
        notes
            .iter()
            .map(|n| NoteView {
                anchor: urls::note_anchor(&n.id),
                kind: n.kind.heading(),
                date: self.date(n.noted_at),
                body: n.body.clone(),
            })
            .collect()
    }

    pub fn corrections(&self, corrections: &[PublicCorrection]) -> Vec<CorrectionView> {
        corrections
            .iter()
            .map(|c| CorrectionView {
                date: self.date(c.note.noted_at),
                body: c.note.body.clone(),
                story: LinkView {
                    name: c.story_headline.clone(),
                    url: urls::story_note(&c.story_slug, &c.note.id),
                },
            })
            .collect()
    }

    /// The chrome of the page of a listing at `base` that `pager` places:
    /// titled `heading` (and its page number past the first), described
    /// for search engines as a `kind` listing, offering its own feeds first
    /// when it has any.
    pub fn listing_chrome(
        &self,
        kind: &str,
        heading: &str,
        description: &str,
        base: &str,
        pager: &Pager,
        own_feeds: bool,
    ) -> Chrome {
        let page = pager.page;
        let title = if page > 1 {
            format!("{heading} (page {page})")
        } else {
            heading.to_string()
        };
        let mut chrome = self.chrome(Some(&title), description, &urls::page(base, page));
        self.listing_meta(&mut chrome.meta, kind, heading, base);
        if own_feeds {
            let mut feeds = feed_links(&format!("{}: {heading}", self.settings().title), base);
            feeds.append(&mut chrome.feeds);
            chrome.feeds = feeds;
        }
        chrome.prev_url = pager.prev_url.clone();
        chrome.next_url = pager.next_url.clone();
        chrome
    }

    pub fn pager(&self, base: &str, page: u32, has_next: bool) -> Pager {
        Pager {
            page,
            prev_url: (page > 1).then(|| urls::page(base, page - 1)),
            next_url: has_next.then(|| urls::page(base, page + 1)),
        }
    }
}

#[derive(Serialize)]
struct ErrorView<'a> {
    chrome: Chrome,
    status: u16,
    heading: &'a str,
    message: &'a str,
    latest: minijinja::Value,
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
        p.no_latest()
    };
    // One page answers every missing address, so it names no canonical
    // address (the home page's would tell search engines it is the home
    // page) and asks not to be indexed.
    let mut chrome = p.chrome(Some(heading), &error.message, &urls::home());
    chrome.canonical = String::new();
    chrome.robots = Some("noindex");
    chrome.meta.json_ld.clear();
    p.render(
        "error.html",
        ErrorView {
            chrome,
            status: error.status.as_u16(),
            heading,
            message: &error.message,
            latest,
        },
    )
}
