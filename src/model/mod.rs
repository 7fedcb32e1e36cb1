//! The newsroom's content: what a story, a brief, a section, a tag, an author
//! and an image are. Plain data plus the rules that need no storage.
//!
//! The shapes map onto Ghost's post / tag / author resources so that the
//! Content API and the importers can be added without reshaping: the primary
//! section plays Ghost's primary tag, the first author is the primary author.

pub mod accounts;
mod column;
pub mod dates;
pub mod document;
pub mod embeds;
pub mod live;
pub mod nesting;
pub mod newsletters;
pub mod nql;
pub mod slug;
pub mod text;
pub mod words;

use serde::{Deserialize, Serialize};

pub use document::Document;
pub use text::SafeHtml;

/// Ids are generated in the application (UUIDv7: time-ordered, portable text).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Seconds since the Unix epoch: the one time encoding stored in both databases.
pub type UnixTime = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    /// Submitted for review: waiting for an editor.
    Review,
    Scheduled,
    Published,
    Archived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Review => "review",
            Status::Scheduled => "scheduled",
            Status::Published => "published",
            Status::Archived => "archived",
        }
    }

    /// What readers may see: published, or scheduled and its time has come.
    pub fn is_public(self, published_at: Option<UnixTime>, now: UnixTime) -> bool {
        self.visibility(published_at, now) == Visibility::Public
    }

    /// Whether readers see a piece with this status and date at `now`, or
    /// will at a known time.
    pub fn visibility(self, published_at: Option<UnixTime>, now: UnixTime) -> Visibility {
        match (self, published_at) {
            (Status::Published | Status::Scheduled, Some(t)) if t <= now => Visibility::Public,
            (Status::Published | Status::Scheduled, Some(t)) => Visibility::Scheduled(t),
            _ => Visibility::Hidden,
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "draft" => Status::Draft,
            "review" => Status::Review,
            "scheduled" => Status::Scheduled,
            "published" => Status::Published,
            "archived" => Status::Archived,
            _ => return None,
        })
    }
}

column::text_column!(Status, |s| s.as_str(), |text| Status::parse(text)
    .ok_or_else(|| format!("unknown status {text:?} in the database")));

/// What readers see of a piece at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// A draft, an archived piece, or one without a date.
    Hidden,
    /// Readers will see it from this time on.
    Scheduled(UnixTime),
    Public,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Section {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i32,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tag {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Author {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub bio: String,
    pub role_line: String,
    pub photo_id: Option<String>,
    /// JSON array of `Link`s.
    pub links: String,
}

impl Author {
    pub fn links(&self) -> Vec<Link> {
        serde_json::from_str(&self.links).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Link {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Image {
    pub id: String,
    /// File name inside the media directory: the largest served copy.
    pub file: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
    pub caption: String,
    /// Photographer / agency, e.g. "Jane Roe/Agency".
    pub credit: String,
    /// Smaller served copies, by width ("320,640,960"): `stem-320.ext`.
    pub widths: String,
    /// Whether every served copy also exists as WebP (`stem[-w].webp`).
    pub webp: bool,
}

impl Image {
    /// The widths of the smaller copies, narrowest first.
    pub fn smaller_widths(&self) -> Vec<i32> {
        self.widths
            .split(',')
            .filter_map(|w| w.trim().parse().ok())
            .collect()
    }

    /// The served file of width `width` (the full copy when it is the image's own).
    pub fn file_at(&self, width: i32, extension: Option<&str>) -> String {
        let (stem, ext) = self.file.rsplit_once('.').unwrap_or((&self.file, ""));
        let ext = extension.unwrap_or(ext);
        if width == self.width {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}-{width}.{ext}")
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Story {
    pub id: String,
    pub slug: String,
    pub headline: String,
    pub dek: String,
    pub label: String,
    pub section_id: String,
    pub body: Document,
    pub custom_excerpt: Option<String>,
    pub hero_image_id: Option<String>,
    pub status: Status,
    pub featured: bool,
    pub published_at: Option<UnixTime>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
    pub reading_minutes: i32,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// What this story says of its hero instead of the library's alt text,
    /// caption and credit (None: the library's).
    pub hero_alt: Option<String>,
    pub hero_caption: Option<String>,
    pub hero_credit: Option<String>,
    /// The desk account that started it (None: imported, or the account is gone).
    pub created_by: Option<String>,
    /// How many times it has been saved: a save made on an older copy is refused.
    pub revision: i64,
}

impl Story {
    pub fn is_public(&self, now: UnixTime) -> bool {
        self.status.is_public(self.published_at, now)
    }

    pub fn visibility(&self, now: UnixTime) -> Visibility {
        self.status.visibility(self.published_at, now)
    }

    /// From when readers see the story (unless archived or drafted again):
    /// the time of a published or scheduled story, else never.
    pub fn public_from(&self) -> Option<UnixTime> {
        match self.status {
            Status::Published | Status::Scheduled => self.published_at,
            Status::Draft | Status::Review | Status::Archived => None,
        }
    }

    /// When to show "Updated": only for a change well after publication, so
    /// fixing a typo a minute after going live does not flag the story.
    pub fn notably_updated_at(&self) -> Option<UnixTime> {
        self.published_at
            .filter(|&published| self.updated_at > published + NOTABLE_UPDATE_SECS)
            .map(|_| self.updated_at)
    }

    pub fn excerpt(&self) -> String {
        document::excerpt_of(
            self.custom_excerpt.as_deref(),
            self.body.as_str(),
            text::EXCERPT_CHARS,
        )
    }
}

/// A dated correction or update shown at the foot of a story.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoryNote {
    pub id: String,
    pub story_id: String,
    pub kind: NoteKind,
    pub noted_at: UnixTime,
    pub body: String,
}

/// A note as it was before an editor changed or removed it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RetiredNote {
    #[sqlx(flatten)]
    pub note: StoryNote,
    pub retired_at: UnixTime,
    /// Who changed or removed it (None: an account since deleted).
    pub retired_by_name: Option<String>,
    /// The note that replaced it; None when it was removed.
    pub replaced_by: Option<String>,
}

/// A correction admits an error; an update adds what became known later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteKind {
    Correction,
    Update,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Correction => "correction",
            NoteKind::Update => "update",
        }
    }

    pub fn parse(s: &str) -> Option<NoteKind> {
        match s {
            "correction" => Some(NoteKind::Correction),
            "update" => Some(NoteKind::Update),
            _ => None,
        }
    }

    /// How readers see it named at the foot of a story.
    pub fn heading(self) -> &'static str {
        match self {
            NoteKind::Correction => "Correction",
            NoteKind::Update => "Update",
        }
    }
}

column::text_column!(NoteKind, |k| k.as_str(), |text| NoteKind::parse(text)
    .ok_or_else(|| format!("unknown note kind {text:?} in the database")));

const NOTABLE_UPDATE_SECS: i64 = 3600;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Brief {
    pub id: String,
    pub slug: String,
    pub headline: String,
    pub body: Document,
    pub link_url: Option<String>,
    pub image_id: Option<String>,
    pub status: Status,
    pub published_at: Option<UnixTime>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
    pub created_by: Option<String>,
    pub revision: i64,
}

impl Brief {
    pub fn is_public(&self, now: UnixTime) -> bool {
        self.status.is_public(self.published_at, now)
    }

    pub fn visibility(&self, now: UnixTime) -> Visibility {
        self.status.visibility(self.published_at, now)
    }
}

/// A static page: About, Contact, the staff, the corrections policy.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Page {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub body: Document,
    pub hero_image_id: Option<String>,
    /// Draft or published (pages are not scheduled).
    pub status: Status,
    /// Linked from the main navigation, after the sections.
    pub in_navigation: bool,
    /// Linked from the footer.
    pub in_footer: bool,
    /// Order among the links.
    pub position: i32,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
    pub created_by: Option<String>,
    pub revision: i64,
    /// Its authors' ids in byline order, as a JSON list.
    pub authors: String,
}

impl Page {
    /// Its authors' ids, in byline order.
    pub fn author_ids(&self) -> Vec<String> {
        serde_json::from_str(&self.authors).unwrap_or_default()
    }

    /// The JSON list a page keeps its authors' ids as.
    pub fn authors_json(ids: &[String]) -> String {
        serde_json::to_string(ids).expect("a list of strings always serializes")
    }

    pub fn is_public(&self) -> bool {
        self.status == Status::Published
    }

    pub fn visibility(&self) -> Visibility {
        if self.is_public() {
            Visibility::Public
        } else {
            Visibility::Hidden
        }
    }
}

/// The theme's own accent colour, a settings' until changed.
pub const DEFAULT_ACCENT: &str = "#8f1d21";

/// The publication's settings, edited by the newsroom (stored as one JSON document).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteSettings {
    pub title: String,
    /// BCP 47 language tag of the publication, e.g. "en", "de-AT".
    pub language: String,
    pub tagline: String,
    pub logo_image_id: Option<String>,
    /// The square image browsers show in tabs and on home screens.
    pub icon_image_id: Option<String>,
    /// The publication's colour (`#rrggbb`): links, rules and buttons on
    /// the site and in its emails.
    pub accent: String,
    /// IANA zone name, e.g. "Europe/Berlin".
    pub timezone: String,
    /// strftime pattern for dates shown to readers.
    pub date_format: String,
    /// The kinds of piece a story may carry ("Analysis", "Opinion", ...).
    pub labels: Vec<String>,
    /// Extra navigation links after the sections.
    pub navigation: Vec<Link>,
    /// The "Follow us" links.
    pub social: Vec<Link>,
    pub newsletter_heading: String,
    pub newsletter_pitch: String,
    /// The story the editors chose to lead the front page (None: the
    /// newest featured story).
    pub front_lead: Option<String>,
    /// Stories pinned at the top of the front page, in order; the rest
    /// follow by date.
    pub front_pinned: Vec<String>,
    /// Feeds carry each story's whole text (true) or only its summary.
    pub feed_full_text: bool,
    /// Readers are counted, without cookies (`services::readership`).
    pub count_readers: bool,
    /// Days the anonymous visits behind the counts are kept; the daily
    /// and monthly totals stay.
    pub readership_retention_days: u32,
}

impl SiteSettings {
    /// The publication's time zone (UTC when its name is unknown here).
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            title: "Masthead".into(),
            language: "en".into(),
            tagline: "Independent news and analysis".into(),
            logo_image_id: None,
            icon_image_id: None,
            accent: DEFAULT_ACCENT.into(),
            timezone: "UTC".into(),
            date_format: "%-d %B %Y".into(),
            labels: ["Analysis", "Opinion", "News", "Interview", "Review"]
                .map(String::from)
                .to_vec(),
            navigation: vec![],
            social: vec![],
            newsletter_heading: "The weekly round-up".into(),
            newsletter_pitch: "Our best analysis, once a week. Leave in one click.".into(),
            front_lead: None,
            front_pinned: vec![],
            feed_full_text: true,
            count_readers: true,
            readership_retention_days: 30,
        }
    }
}

/// Which stories a listing shows.
#[derive(Debug, Clone, Default)]
pub struct StoryFilter {
    pub section_id: Option<String>,
    pub tag_id: Option<String>,
    pub author_id: Option<String>,
    pub featured: Option<bool>,
    pub exclude_ids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(status: Status, published_at: Option<i64>) -> Story {
        Story {
            id: "s".into(),
            slug: "s".into(),
            headline: "H".into(),
            dek: String::new(),
            label: "News".into(),
            section_id: "x".into(),
            body: Document::from_html("<p>First paragraph here.</p><p>Second.</p>"),
            custom_excerpt: None,
            hero_image_id: None,
            status,
            featured: false,
            published_at,
            created_at: 0,
            updated_at: 0,
            reading_minutes: 1,
            seo_title: None,
            seo_description: None,
            hero_alt: None,
            hero_caption: None,
            hero_credit: None,
            created_by: None,
            revision: 1,
        }
    }

    #[test]
    fn scheduled_story_becomes_public_when_its_time_comes() {
        let s = story(Status::Scheduled, Some(100));
        assert!(!s.is_public(99));
        assert_eq!(s.visibility(99), Visibility::Scheduled(100));
        assert!(s.is_public(100));
        assert!(!story(Status::Draft, Some(1)).is_public(100));
        assert!(!story(Status::Archived, Some(1)).is_public(100));
        assert!(!story(Status::Published, None).is_public(100));
        assert_eq!(
            story(Status::Draft, Some(200)).visibility(100),
            Visibility::Hidden
        );
    }

    #[test]
    fn updated_shows_only_for_later_changes() {
        let mut s = story(Status::Published, Some(1_000));
        s.updated_at = 1_000 + 60;
        assert_eq!(s.notably_updated_at(), None);
        s.updated_at = 1_000 + 7_200;
        assert_eq!(s.notably_updated_at(), Some(8_200));
    }

    #[test]
    fn excerpt_prefers_the_custom_one() {
        let mut s = story(Status::Published, Some(1));
        assert_eq!(s.excerpt(), "First paragraph here.");
        s.custom_excerpt = Some("  Hand written.  ".into());
        assert_eq!(s.excerpt(), "Hand written.");
    }
}
