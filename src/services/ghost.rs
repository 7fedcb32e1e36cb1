//! Masthead's content in the shapes of Ghost 5's API resources (posts,
//! pages, tags, authors, settings), for the Content and Admin APIs and for
//! webhook payloads.
//!
//! The mapping (also in the README):
//! - a story is a post; its **section is the primary tag** (listed first
//!   among its tags) and its first author the primary author;
//! - the **dek is `custom_excerpt`** (the standfirst Ghost themes show
//!   under the title); `excerpt` is Ghost's rule (`excerpt`): the dek when
//!   there is one, else the first 500 characters of the plain text; the
//!   desk's own teaser is `masthead.teaser`;
//! - the hero image is `feature_image` with its alt text and caption;
//! - the SEO title and description are `meta_title`/`meta_description`
//!   (and OpenGraph's and Twitter's, which Masthead does not keep apart);
//! - what Ghost has no field for sits under `masthead`: the dek and label,
//!   the section, the photo credit, the teaser, the workflow status and the
//!   correction and update notes. Ghost clients ignore it.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::model::nql::Filter;
use crate::model::{Author, Image, Page, Section, Status, Tag, UnixTime, text};
use crate::services::lookups::Lookups;
use crate::store::browse::{BRIEF_TAG_NAME, BRIEF_TAG_SLUG, Browse, BrowseError, BrowsePage};
use crate::store::{BriefCard, Store, StoreResult, StoryCard};
use crate::urls::{self, PublicUrl};

/// Ghost's time format: `2025-01-31T18:00:00.000Z`.
pub fn time(t: UnixTime) -> Value {
    time_text(t).map_or(Value::Null, Value::String)
}

fn time_text(t: UnixTime) -> Option<String> {
    let ts = jiff::Timestamp::from_second(t).ok()?;
    Some(ts.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string())
}

/// A piece's `updated_at`: the time of its last save, its milliseconds
/// carrying the save counter (modulo 1000). Masthead keeps times in
/// seconds, and an Admin API edit proves it was made on the latest copy by
/// sending back the `updated_at` it read: two saves within one second must
/// still read differently.
pub fn updated_time(updated_at: UnixTime, revision: i64) -> Value {
    updated_time_text(updated_at, revision).map_or(Value::Null, Value::String)
}

fn updated_time_text(updated_at: UnixTime, revision: i64) -> Option<String> {
    let ts = jiff::Timestamp::from_second(updated_at).ok()?;
    Some(format!(
        "{}.{:03}Z",
        ts.strftime("%Y-%m-%dT%H:%M:%S"),
        revision.rem_euclid(1000)
    ))
}

/// Whether an `updated_at` sent back names this version of a piece.
pub fn is_current(sent: &str, updated_at: UnixTime, revision: i64) -> bool {
    sent.trim()
        .parse::<jiff::Timestamp>()
        .is_ok_and(|ts| ts.as_millisecond() == updated_at * 1000 + revision.rem_euclid(1000))
}

/// Ghost's `excerpt`: the custom excerpt when there is one, else the first
/// 500 characters of the plain text. Only the body's first few kilobytes
/// are read (a listing shapes dozens of posts).
pub fn excerpt(custom: Option<&str>, body: &str) -> String {
    if let Some(custom) = custom.map(str::trim).filter(|c| !c.is_empty()) {
        return custom.to_string();
    }
    let mut end = body.len().min(8 * 1024);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    crate::model::document::plain_text_of(&body[..end])
        .trim()
        .chars()
        .take(500)
        .collect()
}

/// The social fields Ghost 5 and 6 give an author, from the profile's
/// links, each recognised by its address (null where there is none):
/// handles as Ghost keeps them (`@name` for X, the page for Facebook, the
/// account for the newer networks, `@user@server` for Mastodon), and the
/// first other link as the website.
pub fn social_fields(links: &[crate::model::Link]) -> Value {
    const NETWORKS: [&str; 9] = [
        "twitter",
        "facebook",
        "threads",
        "bluesky",
        "mastodon",
        "linkedin",
        "instagram",
        "youtube",
        "tiktok",
    ];
    let mut fields: Map<String, Value> = std::iter::once("website")
        .chain(NETWORKS)
        .map(|k| (k.to_string(), Value::Null))
        .collect();
    for link in links {
        let Ok(url) = url::Url::parse(link.url.trim()) else {
            continue;
        };
        let host = url
            .host_str()
            .unwrap_or("")
            .trim_start_matches("www.")
            .to_string();
        let path = url.path().trim_matches('/').to_string();
        let first = path.split('/').next().unwrap_or("").to_string();
        let found = match host.as_str() {
            "x.com" | "twitter.com" if !first.is_empty() => {
                Some(("twitter", format!("@{}", first.trim_start_matches('@'))))
            }
            "facebook.com" | "fb.com" if !path.is_empty() => Some(("facebook", path)),
            "threads.net" | "threads.com" if !first.is_empty() => {
                Some(("threads", first.trim_start_matches('@').to_string()))
            }
            "bsky.app" => path
                .strip_prefix("profile/")
                .map(|handle| ("bluesky", handle.to_string())),
            "linkedin.com" => path
                .strip_prefix("in/")
                .map(|name| ("linkedin", name.to_string())),
            "instagram.com" if !first.is_empty() => Some(("instagram", first)),
            "youtube.com" if !path.is_empty() => Some(("youtube", path)),
            "tiktok.com" if first.starts_with('@') => Some(("tiktok", first)),
            _ if first.starts_with('@') && !first[1..].contains('@') => {
                Some(("mastodon", format!("{first}@{host}")))
            }
            _ => Some(("website", link.url.trim().to_string())),
        };
        if let Some((field, value)) = found
            && fields.get(field).is_some_and(Value::is_null)
        {
            fields.insert(field.to_string(), Value::String(value));
        }
    }
    Value::Object(fields)
}

/// An id written as a UUID (Masthead's ids are UUIDv7 without hyphens).
pub fn uuid(id: &str) -> String {
    uuid::Uuid::try_parse(id).map_or_else(|_| id.to_string(), |u| u.hyphenated().to_string())
}

/// Ghost's status names: Masthead's review and archived pieces are drafts
/// to Ghost clients (the real status is under `masthead.status`).
pub fn status(s: Status) -> &'static str {
    match s {
        Status::Published => "published",
        Status::Scheduled => "scheduled",
        Status::Draft | Status::Review | Status::Archived => "draft",
    }
}

/// A resource shaped once and then copied into every post that includes
/// it (a tag, an author): its JSON text.
pub type SharedJson = Box<RawValue>;

fn shared(value: &Value) -> SharedJson {
    serde_json::value::to_raw_value(value).expect("a JSON value always serializes")
}

/// A post or a page as Ghost's APIs give them. Serialized as it is: a
/// browse of 15 long posts built as trees of JSON values spent a third of
/// its time building, copying and dropping them.
#[derive(Debug, Serialize)]
pub struct PieceResource {
    id: String,
    uuid: String,
    title: String,
    slug: String,
    comment_id: String,
    feature_image: Option<String>,
    feature_image_alt: Option<String>,
    feature_image_caption: Option<String>,
    featured: bool,
    status: &'static str,
    visibility: &'static str,
    created_at: Option<String>,
    updated_at: Option<String>,
    published_at: Option<String>,
    custom_excerpt: Option<String>,
    excerpt: String,
    reading_time: i32,
    access: bool,
    comments: bool,
    codeinjection_head: (),
    codeinjection_foot: (),
    custom_template: (),
    canonical_url: (),
    /// Where it is (or will be) read; a draft answers 404 there.
    url: String,
    og_image: (),
    og_title: Option<String>,
    og_description: Option<String>,
    twitter_image: (),
    twitter_title: Option<String>,
    twitter_description: Option<String>,
    meta_title: Option<String>,
    meta_description: Option<String>,
    email_subject: (),
    frontmatter: (),
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plaintext: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<SharedJson>>,
    /// Present (the first tag, or null) whenever `tags` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_tag: Option<Option<SharedJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authors: Option<Vec<SharedJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_author: Option<Option<SharedJson>>,
    masthead: Value,
}

impl PieceResource {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its `tags`, and its `primary_tag`: the first (for a story, its section).
    fn set_tags(&mut self, tags: Vec<SharedJson>) {
        self.primary_tag = Some(tags.first().cloned());
        self.tags = Some(tags);
    }

    /// Its `authors`, and its `primary_author`: the first.
    fn set_authors(&mut self, authors: Vec<SharedJson>) {
        self.primary_author = Some(authors.first().cloned());
        self.authors = Some(authors);
    }

    /// As a tree of values, for what edits or compares it (webhooks).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a resource always serializes")
    }
}

/// Whom a piece without a byline is credited to: the first owner with a
/// profile, else the first author by name.
fn owners_of(users: &[crate::model::accounts::User], authors: &[Author]) -> Vec<String> {
    let mut owners: Vec<_> = users
        .iter()
        .filter(|u| u.role == crate::model::accounts::Role::Owner)
        .filter_map(|u| u.author_id.clone().map(|id| (u.created_at, id)))
        .collect();
    owners.sort();
    let first_by_name = || {
        authors
            .iter()
            .min_by(|a, b| a.name.cmp(&b.name))
            .map(|a| a.id.clone())
    };
    owners
        .into_iter()
        .map(|(_, id)| id)
        .next()
        .or_else(first_by_name)
        .into_iter()
        .collect()
}

/// The id of the internal tag `#brief`, which no table holds: fixed, in
/// the form of Ghost's ids.
pub const BRIEF_TAG_ID: &str = "00000000000000000000006272696566";

/// What a browse or read asked to be included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Include {
    pub tags: bool,
    pub authors: bool,
    /// `count.posts` on tags and authors.
    pub count_posts: bool,
}

/// Which representations of the body to include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub html: bool,
    pub plaintext: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            html: true,
            plaintext: false,
        }
    }
}

/// What a tag resource is made of (sections and tags alike).
struct TagFields<'a> {
    id: &'a str,
    name: &'a str,
    slug: &'a str,
    description: &'a str,
    path: String,
    masthead: Value,
}

/// What a post or a page resource is made of.
struct PieceFields<'a> {
    id: &'a str,
    title: &'a str,
    slug: &'a str,
    hero: Option<&'a Image>,
    featured: bool,
    status: Status,
    created_at: UnixTime,
    updated_at: UnixTime,
    revision: i64,
    published_at: Option<UnixTime>,
    custom_excerpt: Option<&'a str>,
    excerpt: String,
    reading_time: i32,
    path: String,
    meta_title: Option<&'a str>,
    meta_description: Option<&'a str>,
    body_html: &'a str,
}

/// Shapes resources: the site's address and the store to look names up in.
#[derive(Clone, Copy)]
pub struct Shaper<'a> {
    pub store: &'a Store,
    pub public_url: &'a PublicUrl,
    /// What readers' answers of the current generation share; None (staff
    /// answers, webhooks): everything is read from the store.
    pub known: Option<&'a Known>,
}

/// Beyond these, a generation's memo of totals or keys starts afresh.
const MAX_KNOWN_TOTALS: usize = 4096;
/// A browse this deep reads its page from the whole listing, kept for the
/// generation, instead of counting its way past every row before it: what
/// a static front-end does when it builds, page after page.
const DEEP_OFFSET: i64 = 1000;
/// Listings longer than this are paged by the database; at most this many
/// ids are kept across every listing of a generation.
const MAX_LISTING: i64 = 50_000;
const MAX_LISTED_IDS: usize = 200_000;
const MAX_KNOWN_KEYS: usize = 1024;
const MAX_KNOWN_TAGS: usize = 20_000;

/// What every reader's answer of one content generation shares, so that a
/// browse asks the database only for its own stories: the sections, the
/// authors with their photos (a newsroom has tens or hundreds), the tags met
/// so far, the total of each filter, the Content API keys found live. Any
/// visible change, and revoking a key, starts a new generation, so nothing
/// here outlives what it describes.
pub struct Known {
    sections: Vec<Section>,
    authors: HashMap<String, Author>,
    photos: HashMap<String, Image>,
    tags: Lookups<Tag>,
    totals: Mutex<HashMap<String, i64>>,
    listings: Mutex<HashMap<String, Arc<Vec<String>>>>,
    /// What every page of a listing shares (its total, the whole listing)
    /// is read by one browse while those arriving with it wait, rather than
    /// each reading it.
    first_reads: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    live_keys: Mutex<HashSet<String>>,
    /// Tags and authors as posts include them, shaped once.
    shaped: Mutex<HashMap<(Shape, String), SharedJson>>,
}

/// What a shaped resource kept in `Known` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    Section,
    Tag,
    Author,
}

impl Known {
    pub async fn load(store: &Store) -> StoreResult<Known> {
        let (sections, authors) = tokio::try_join!(store.sections(), store.authors())?;
        let photos = photos_of(store, &authors.iter().collect::<Vec<_>>()).await?;
        Ok(Known {
            sections,
            authors: authors.into_iter().map(|a| (a.id.clone(), a)).collect(),
            photos,
            tags: Lookups::new(MAX_KNOWN_TAGS),
            totals: Mutex::default(),
            listings: Mutex::default(),
            first_reads: Mutex::default(),
            live_keys: Mutex::default(),
            shaped: Mutex::default(),
        })
    }

    /// A page of readers' resources: its total counted once per filter and
    /// generation; a deep page cut from the whole listing, read once.
    pub async fn browse(&self, store: &Store, b: &Browse) -> Result<BrowsePage, BrowseError> {
        // What `now-30d` matches moves with the clock, not the generation.
        if b.filter.as_ref().is_some_and(Filter::depends_on_now) {
            return store.browse(b).await;
        }
        let key = format!("{:?} {:?} {:?}", b.resource, b.filter, b.order);
        let mut known_total = lock(&self.totals).get(&key).copied();
        // Held while this browse counts (the listing takes the turn anew);
        // a browse of every row counts the rows it reads.
        let mut _counting = None;
        if known_total.is_none() && b.limit.is_some() {
            let turn = self.first_read_turn(&key).lock_owned().await;
            known_total = lock(&self.totals).get(&key).copied();
            if known_total.is_none() {
                _counting = Some(turn);
            }
        }
        if let (Some(limit), Some(total)) = (b.limit, known_total)
            && b.offset >= DEEP_OFFSET
            && total <= MAX_LISTING
        {
            // Past the end: nothing to list (and no listing kept for it).
            if b.offset >= total {
                return Ok(BrowsePage { ids: vec![], total });
            }
            let listing = self.listing(store, b, &key).await?;
            let start = (b.offset as usize).min(listing.len());
            let end = start.saturating_add(limit as usize).min(listing.len());
            return Ok(BrowsePage {
                ids: listing[start..end].to_vec(),
                total: listing.len() as i64,
            });
        }
        let page = store
            .browse(&Browse {
                known_total,
                ..b.clone()
            })
            .await?;
        remember(&mut lock(&self.totals), key, page.total, MAX_KNOWN_TOTALS);
        Ok(page)
    }

    /// Every id a browse finds, in its order.
    async fn listing(
        &self,
        store: &Store,
        b: &Browse,
        key: &str,
    ) -> Result<Arc<Vec<String>>, BrowseError> {
        if let Some(listing) = lock(&self.listings).get(key) {
            return Ok(listing.clone());
        }
        let _turn = self.first_read_turn(key).lock_owned().await;
        if let Some(listing) = lock(&self.listings).get(key) {
            return Ok(listing.clone());
        }
        let every = Browse {
            limit: None,
            offset: 0,
            ..b.clone()
        };
        let listing = Arc::new(store.browse(&every).await?.ids);
        let mut listings = lock(&self.listings);
        let held: usize = listings.values().map(|l| l.len()).sum();
        if held + listing.len() > MAX_LISTED_IDS {
            listings.clear();
        }
        listings.insert(key.to_string(), listing.clone());
        Ok(listing)
    }

    /// The turn of the browses of one listing (resource, filter, order):
    /// only those wait for each other.
    fn first_read_turn(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = lock(&self.first_reads);
        if let Some(turn) = turns.get(key) {
            return turn.clone();
        }
        let turn = Arc::new(tokio::sync::Mutex::new(()));
        remember(&mut turns, key.to_string(), turn.clone(), MAX_KNOWN_TOTALS);
        turn
    }

    pub fn key_is_live(&self, key: &str) -> bool {
        lock(&self.live_keys).contains(key)
    }

    pub fn remember_live_key(&self, key: &str) {
        let mut keys = lock(&self.live_keys);
        if keys.len() >= MAX_KNOWN_KEYS {
            keys.clear();
        }
        keys.insert(key.to_string());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn remember<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V, max: usize) {
    if map.len() >= max {
        map.clear();
    }
    map.insert(key, value);
}

/// The photos of these authors, by image id.
async fn photos_of(store: &Store, authors: &[&Author]) -> StoreResult<HashMap<String, Image>> {
    let ids: Vec<String> = authors.iter().filter_map(|a| a.photo_id.clone()).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(store
        .images_by_ids(&ids)
        .await?
        .into_iter()
        .map(|i| (i.id.clone(), i))
        .collect())
}

fn image_url(public_url: &PublicUrl, image: &Image) -> String {
    uri(public_url, &urls::media(&image.file))
}

/// The absolute address of a site path as a valid URI: slugs may hold
/// letters beyond ASCII, which an API's `url` carries percent-encoded.
fn uri(public_url: &PublicUrl, path: &str) -> String {
    let address = public_url.absolute(path);
    url::Url::parse(&address).map_or(address, |u| u.to_string())
}

impl Shaper<'_> {
    fn absolute(&self, path: &str) -> String {
        uri(self.public_url, path)
    }

    /// A tag or an author as posts include it: shaped once per generation
    /// for readers, else each time.
    fn shared(&self, shape: Shape, id: &str, build: impl FnOnce() -> Value) -> SharedJson {
        let Some(known) = self.known else {
            return shared(&build());
        };
        let key = (shape, id.to_string());
        if let Some(json) = lock(&known.shaped).get(&key) {
            return json.clone();
        }
        let json = shared(&build());
        remember(&mut lock(&known.shaped), key, json.clone(), MAX_KNOWN_TAGS);
        json
    }

    /// A tag resource: a section (a story's primary tag) or a tag.
    fn tag_resource(&self, fields: TagFields<'_>, count: Option<i64>) -> Value {
        let mut tag = json!({
            "id": fields.id,
            "name": fields.name,
            "slug": fields.slug,
            "description": Some(fields.description).filter(|d| !d.is_empty()),
            "feature_image": null,
            // Ghost's internal tags are named #like-this.
            "visibility": if fields.name.starts_with('#') { "internal" } else { "public" },
            "og_image": null, "og_title": null, "og_description": null,
            "twitter_image": null, "twitter_title": null, "twitter_description": null,
            "meta_title": null, "meta_description": null,
            "codeinjection_head": null, "codeinjection_foot": null,
            "canonical_url": null, "accent_color": null,
            "url": self.absolute(&fields.path),
            "masthead": fields.masthead,
        });
        if let Some(n) = count {
            tag["count"] = json!({ "posts": n });
        }
        tag
    }

    fn section_tag(&self, s: &Section, count: Option<i64>) -> Value {
        let fields = TagFields {
            id: &s.id,
            name: &s.name,
            slug: &s.slug,
            description: &s.description,
            path: urls::section(&s.slug),
            masthead: json!({"kind": "section", "position": s.position}),
        };
        self.tag_resource(fields, count)
    }

    fn tag(&self, t: &Tag, count: Option<i64>) -> Value {
        let fields = TagFields {
            id: &t.id,
            name: &t.name,
            slug: &t.slug,
            description: &t.description,
            path: urls::tag(&t.slug),
            masthead: json!({"kind": "tag"}),
        };
        self.tag_resource(fields, count)
    }

    fn author(&self, a: &Author, photos: &HashMap<String, Image>, count: Option<i64>) -> Value {
        let links = a.links();
        let social = social_fields(&links);
        let mut author = json!({
            "id": a.id,
            "name": a.name,
            "slug": a.slug,
            "profile_image": a.photo_id.as_ref().and_then(|id| photos.get(id)).map(|i| image_url(self.public_url, i)),
            "cover_image": null,
            "bio": Some(&a.bio).filter(|b| !b.is_empty()),
            "location": null,
            "meta_title": null,
            "meta_description": null,
            "url": self.absolute(&urls::author(&a.slug)),
            "masthead": {"role_line": a.role_line, "links": links.iter().map(|l| json!({"label": l.label, "url": l.url})).collect::<Vec<_>>()},
        });
        if let (Some(fields), Value::Object(social)) = (author.as_object_mut(), social) {
            fields.extend(social);
        }
        if let Some(n) = count {
            author["count"] = json!({ "posts": n });
        }
        author
    }

    /// Posts for these stories, in the order of `cards`.
    pub async fn posts(
        &self,
        cards: &[StoryCard],
        formats: Formats,
        include: Include,
    ) -> StoreResult<Vec<PieceResource>> {
        let story_ids: Vec<String> = cards.iter().map(|c| c.story.id.clone()).collect();
        let tag_ids: Vec<String> = cards.iter().flat_map(|c| c.tag_ids.clone()).collect();
        let (sections, tags, story_authors) = tokio::try_join!(
            async {
                match self.known {
                    Some(known) => Ok(Cow::Borrowed(&known.sections[..])),
                    None => self.store.sections().await.map(Cow::Owned),
                }
            },
            async {
                if !include.tags || tag_ids.is_empty() {
                    return Ok(vec![]);
                }
                match self.known {
                    Some(known) => {
                        let fetch = |missing: Vec<String>| async move {
                            let found = self.store.tags_by_ids(&missing).await?;
                            StoreResult::Ok(found.into_iter().map(|t| (t.id.clone(), t)).collect())
                        };
                        known.tags.get(&tag_ids, fetch).await
                    }
                    None => self.store.tags_by_ids(&tag_ids).await,
                }
            },
            async {
                if include.authors && self.known.is_none() && !story_ids.is_empty() {
                    self.store.authors_of_stories(&story_ids).await
                } else {
                    Ok(vec![])
                }
            },
        )?;
        let fetched_photos;
        let photos = match self.known {
            Some(known) => &known.photos,
            None => {
                let author_refs: Vec<&Author> = story_authors.iter().map(|a| &a.author).collect();
                fetched_photos = photos_of(self.store, &author_refs).await?;
                &fetched_photos
            }
        };
        let author_of = |story_id: &str, id: &str| -> Option<&Author> {
            match self.known {
                Some(known) => known.authors.get(id),
                None => story_authors
                    .iter()
                    .find(|a| a.story_id == story_id && a.author.id == id)
                    .map(|a| &a.author),
            }
        };
        let tags: HashMap<&str, &Tag> = tags.iter().map(|t| (t.id.as_str(), t)).collect();
        let mut out = Vec::with_capacity(cards.len());
        for card in cards {
            let s = &card.story;
            let mut post = self.post_fields(card, formats);
            if include.tags {
                let mut list: Vec<SharedJson> = sections
                    .iter()
                    .filter(|sec| sec.id == s.section_id)
                    .map(|sec| self.shared(Shape::Section, &sec.id, || self.section_tag(sec, None)))
                    .collect();
                list.extend(
                    card.tag_ids
                        .iter()
                        .filter_map(|id| tags.get(id.as_str()))
                        .map(|t| self.shared(Shape::Tag, &t.id, || self.tag(t, None))),
                );
                post.set_tags(list);
            }
            if include.authors {
                let list: Vec<SharedJson> = card
                    .author_ids
                    .iter()
                    .filter_map(|id| author_of(&s.id, id))
                    .map(|a| self.shared(Shape::Author, &a.id, || self.author(a, photos, None)))
                    .collect();
                post.set_authors(list);
            }
            let section = sections.iter().find(|sec| sec.id == s.section_id);
            let notes = if card.notes > 0 {
                self.store.notes_of_story(&s.id).await?
            } else {
                vec![]
            };
            post.masthead = json!({
                "kind": "story",
                "status": s.status.as_str(),
                "dek": s.dek,
                "label": s.label,
                "section": section.map(|sec| json!({"id": sec.id, "slug": sec.slug, "name": sec.name})),
                "teaser": s.custom_excerpt,
                "feature_image_credit": card.hero.as_ref().map(|h| h.credit.clone()).filter(|c| !c.is_empty()),
                "revision": s.revision,
                "notes": notes.iter().map(|n| json!({
                    "kind": n.kind.as_str(), "noted_at": time(n.noted_at), "body": n.body,
                })).collect::<Vec<_>>(),
            });
            out.push(post);
        }
        Ok(out)
    }

    /// Posts for these briefs, in the order of `cards`: briefs carry the
    /// internal tag `#brief` (so front-ends can ask for them, or leave them
    /// out), and are credited to whoever wrote them, else to an owner.
    pub async fn brief_posts(
        &self,
        cards: &[BriefCard],
        formats: Formats,
        include: Include,
    ) -> StoreResult<Vec<PieceResource>> {
        if cards.is_empty() {
            return Ok(vec![]);
        }
        // Bylines need the people and their profiles; nothing else does.
        let (users, all_authors, photos, owners) = if include.authors {
            let (users, authors) = tokio::try_join!(self.store.users(), self.store.authors())?;
            let photos = photos_of(self.store, &authors.iter().collect::<Vec<_>>()).await?;
            let owners = owners_of(&users, &authors);
            (users, authors, photos, owners)
        } else {
            Default::default()
        };
        let brief_tag = self.tag_resource(
            TagFields {
                id: BRIEF_TAG_ID,
                name: BRIEF_TAG_NAME,
                slug: BRIEF_TAG_SLUG,
                description: "Short news items.",
                path: urls::briefs(),
                masthead: json!({"kind": "brief"}),
            },
            None,
        );
        let mut out = Vec::with_capacity(cards.len());
        for card in cards {
            let b = &card.brief;
            let link = b.link_url.as_deref().map(|url| {
                let absolute = if url.starts_with('/') && !url.starts_with("//") {
                    self.absolute(url)
                } else {
                    url.to_string()
                };
                format!(
                    "<p class=\"brief-link\"><a href=\"{}\">Read more on this</a></p>",
                    text::html_escape(&absolute)
                )
            });
            let html = format!("{}{}", b.body.as_str(), link.as_deref().unwrap_or(""));
            let fields = PieceFields {
                id: &b.id,
                title: &b.headline,
                slug: &b.slug,
                hero: card.image.as_ref(),
                featured: false,
                status: b.status,
                created_at: b.created_at,
                updated_at: b.updated_at,
                revision: b.revision,
                published_at: b.published_at,
                custom_excerpt: None,
                excerpt: excerpt(None, b.body.as_str()),
                reading_time: b.body.reading_minutes(),
                path: urls::brief(&b.slug),
                meta_title: None,
                meta_description: None,
                body_html: &html,
            };
            let mut post = self.piece(fields, formats);
            if include.tags {
                // Internal tags are never a post's primary tag in Ghost.
                post.tags = Some(vec![shared(&brief_tag)]);
                post.primary_tag = Some(None);
            }
            if include.authors {
                let writer = b
                    .created_by
                    .as_ref()
                    .and_then(|id| users.iter().find(|u| &u.id == id))
                    .and_then(|u| u.author_id.clone());
                let byline = writer.map_or_else(|| owners.clone(), |id| vec![id]);
                let list: Vec<SharedJson> = byline
                    .iter()
                    .filter_map(|id| all_authors.iter().find(|a| &a.id == id))
                    .map(|a| self.shared(Shape::Author, &a.id, || self.author(a, &photos, None)))
                    .collect();
                post.set_authors(list);
            }
            post.masthead = json!({
                "kind": "brief",
                "status": b.status.as_str(),
                "link_url": b.link_url,
                "feature_image_credit": card.image.as_ref().map(|i| i.credit.clone()).filter(|c| !c.is_empty()),
                "revision": b.revision,
            });
            out.push(post);
        }
        Ok(out)
    }

    /// The fields posts and pages share, with the body in the formats asked for.
    fn piece(&self, p: PieceFields<'_>, formats: Formats) -> PieceResource {
        let owned = |t: Option<&str>| t.map(str::to_string);
        PieceResource {
            id: p.id.to_string(),
            uuid: uuid(p.id),
            title: p.title.to_string(),
            slug: p.slug.to_string(),
            comment_id: p.id.to_string(),
            feature_image: p.hero.map(|h| image_url(self.public_url, h)),
            feature_image_alt: p.hero.map(|h| h.alt.clone()).filter(|a| !a.is_empty()),
            // HTML to Ghost's themes; a caption is text here.
            feature_image_caption: p
                .hero
                .map(|h| text::html_escape(&h.caption))
                .filter(|c| !c.is_empty()),
            featured: p.featured,
            status: status(p.status),
            visibility: "public",
            created_at: time_text(p.created_at),
            updated_at: updated_time_text(p.updated_at, p.revision),
            published_at: p.published_at.and_then(time_text),
            custom_excerpt: owned(p.custom_excerpt),
            excerpt: p.excerpt,
            reading_time: p.reading_time,
            access: true,
            comments: false,
            codeinjection_head: (),
            codeinjection_foot: (),
            custom_template: (),
            canonical_url: (),
            url: self.absolute(&p.path),
            og_image: (),
            og_title: owned(p.meta_title),
            og_description: owned(p.meta_description),
            twitter_image: (),
            twitter_title: owned(p.meta_title),
            twitter_description: owned(p.meta_description),
            meta_title: owned(p.meta_title),
            meta_description: owned(p.meta_description),
            email_subject: (),
            frontmatter: (),
            html: formats
                .html
                .then(|| self.public_url.media_in(p.body_html).into_owned()),
            plaintext: formats
                .plaintext
                .then(|| crate::model::document::plain_text_of(p.body_html)),
            tags: None,
            primary_tag: None,
            authors: None,
            primary_author: None,
            masthead: Value::Null,
        }
    }

    fn post_fields(&self, card: &StoryCard, formats: Formats) -> PieceResource {
        let s = &card.story;
        let fields = PieceFields {
            id: &s.id,
            title: &s.headline,
            slug: &s.slug,
            hero: card.hero.as_ref(),
            featured: s.featured,
            status: s.status,
            created_at: s.created_at,
            updated_at: s.updated_at,
            revision: s.revision,
            published_at: s.published_at,
            custom_excerpt: Some(s.dek.as_str()).filter(|d| !d.is_empty()),
            excerpt: excerpt(Some(s.dek.as_str()), s.body.as_str()),
            reading_time: s.reading_minutes,
            path: urls::story(&s.slug),
            meta_title: s.seo_title.as_deref(),
            meta_description: s.seo_description.as_deref(),
            body_html: s.body.as_str(),
        };
        self.piece(fields, formats)
    }

    pub async fn pages(&self, pages: &[Page], formats: Formats) -> StoreResult<Vec<PieceResource>> {
        let all_authors = self.store.authors().await?;
        let author_refs: Vec<&Author> = all_authors.iter().collect();
        let photos = photos_of(self.store, &author_refs).await?;
        let fallback = if pages.iter().any(|p| p.author_ids().is_empty()) {
            self.owners_byline(&all_authors).await?
        } else {
            vec![]
        };
        let image_ids: Vec<String> = pages
            .iter()
            .filter_map(|p| p.hero_image_id.clone())
            .collect();
        let images: HashMap<String, Image> = if image_ids.is_empty() {
            HashMap::new()
        } else {
            self.store
                .images_by_ids(&image_ids)
                .await?
                .into_iter()
                .map(|i| (i.id.clone(), i))
                .collect()
        };
        Ok(pages
            .iter()
            .map(|p| {
                let fields = PieceFields {
                    id: &p.id,
                    title: &p.title,
                    slug: &p.slug,
                    hero: p.hero_image_id.as_ref().and_then(|id| images.get(id)),
                    featured: false,
                    status: p.status,
                    created_at: p.created_at,
                    updated_at: p.updated_at,
                    revision: p.revision,
                    published_at: p.is_public().then_some(p.created_at),
                    custom_excerpt: None,
                    excerpt: excerpt(None, p.body.as_str()),
                    reading_time: p.body.reading_minutes(),
                    path: urls::static_page(&p.slug),
                    meta_title: None,
                    meta_description: None,
                    body_html: p.body.as_str(),
                };
                let mut page = self.piece(fields, formats);
                // Every page has an author, as Ghost's front-ends expect:
                // its own, else an owner.
                let mut ids = p.author_ids();
                if ids.is_empty() {
                    ids = fallback.clone();
                }
                let authors: Vec<SharedJson> = ids
                    .iter()
                    .filter_map(|id| all_authors.iter().find(|a| &a.id == id))
                    .map(|a| self.shared(Shape::Author, &a.id, || self.author(a, &photos, None)))
                    .collect();
                page.set_tags(vec![]);
                page.set_authors(authors);
                page.masthead = json!({
                        "kind": "page",
                        "status": p.status.as_str(),
                        "in_navigation": p.in_navigation,
                        "in_footer": p.in_footer,
                        "position": p.position,
                        "revision": p.revision,
                });
                page
            })
            .collect())
    }

    /// Tags for these ids (sections or tags), in the order of `ids`.
    pub async fn tags(&self, ids: &[String], count_posts: bool) -> StoreResult<Vec<Value>> {
        let (sections, tags) =
            tokio::try_join!(self.store.sections(), self.store.tags_by_ids(ids))?;
        let counts = if count_posts {
            self.store
                .public_post_counts(crate::store::browse::Resource::Tags, ids)
                .await?
        } else {
            HashMap::new()
        };
        let count = |id: &str| count_posts.then(|| counts.get(id).copied().unwrap_or(0));
        Ok(ids
            .iter()
            .filter_map(|id| {
                if let Some(s) = sections.iter().find(|s| &s.id == id) {
                    Some(self.section_tag(s, count(id)))
                } else {
                    tags.iter()
                        .find(|t| &t.id == id)
                        .map(|t| self.tag(t, count(id)))
                }
            })
            .collect())
    }

    /// Authors for these ids, in the order of `ids`.
    /// Whom a piece without authors is credited to: the first owner with a
    /// profile, else the first author by name (a site imported before
    /// anyone signed in).
    async fn owners_byline(&self, authors: &[Author]) -> StoreResult<Vec<String>> {
        Ok(owners_of(&self.store.users().await?, authors))
    }

    pub async fn authors(&self, ids: &[String], count_posts: bool) -> StoreResult<Vec<Value>> {
        let all = self.store.authors().await?;
        let chosen: Vec<&Author> = ids
            .iter()
            .filter_map(|id| all.iter().find(|a| &a.id == id))
            .collect();
        let photos = photos_of(self.store, &chosen).await?;
        let counts = if count_posts {
            self.store
                .public_post_counts(crate::store::browse::Resource::Authors, ids)
                .await?
        } else {
            HashMap::new()
        };
        Ok(chosen
            .into_iter()
            .map(|a| {
                let count = count_posts.then(|| counts.get(&a.id).copied().unwrap_or(0));
                self.author(a, &photos, count)
            })
            .collect())
    }

    /// The newsletters readers may sign up to, as Ghost's `newsletters`
    /// resource has them (the sender's address stays private).
    pub async fn newsletters(&self) -> StoreResult<Vec<Value>> {
        Ok(self
            .store
            .newsletters()
            .await?
            .into_iter()
            .filter(|n| n.offered)
            .map(|n| {
                json!({
                    "id": n.id,
                    "uuid": uuid(&n.id),
                    "name": n.name,
                    "description": Some(n.description).filter(|d| !d.is_empty()),
                    "slug": n.slug,
                    "subscribe_on_signup": true,
                    "visibility": "members",
                    "sort_order": n.position,
                    "created_at": time(n.created_at),
                    "updated_at": time(n.created_at),
                })
            })
            .collect())
    }

    /// The one tier a site without paid memberships has, as Ghost answers
    /// `tiers`: free, public, active.
    pub async fn tiers(&self) -> anyhow::Result<Vec<Value>> {
        let settings = self.store.site_settings().await?;
        Ok(vec![json!({
            "id": "free",
            "name": "Free",
            "slug": "free",
            "description": format!("Everything {} publishes, and its newsletters.", settings.title),
            "active": true,
            "type": "free",
            "visibility": "public",
            "welcome_page_url": null,
            "benefits": [],
            "currency": null,
            "monthly_price": null,
            "yearly_price": null,
            "trial_days": 0,
            "created_at": null,
            "updated_at": null,
        })])
    }

    /// The site's settings as Ghost's `settings` resource has them.
    pub async fn settings(&self) -> anyhow::Result<Value> {
        let settings = self.store.site_settings().await?;
        let sections = self.store.sections().await?;
        let logo = match &settings.logo_image_id {
            Some(id) => self
                .store
                .images_by_ids(std::slice::from_ref(id))
                .await?
                .first()
                .map(|i| image_url(self.public_url, i)),
            None => None,
        };
        let mut navigation: Vec<Value> = sections
            .iter()
            .map(|s| json!({"label": s.name, "url": urls::section(&s.slug)}))
            .collect();
        navigation.extend(
            settings
                .navigation
                .iter()
                .map(|l| json!({"label": l.label, "url": l.url})),
        );
        let social = |name: &str| {
            settings
                .social
                .iter()
                .find(|l| l.label.eq_ignore_ascii_case(name))
                .map(|l| l.url.clone())
        };
        Ok(json!({
            "title": settings.title,
            "description": settings.tagline,
            "logo": logo,
            "icon": null,
            "accent_color": null,
            "cover_image": null,
            "facebook": social("facebook"),
            "twitter": social("twitter").or_else(|| social("x")),
            "lang": settings.language,
            "locale": settings.language,
            "timezone": settings.timezone,
            "codeinjection_head": null,
            "codeinjection_foot": null,
            "navigation": navigation,
            "secondary_navigation": [],
            "meta_title": null,
            "meta_description": null,
            "og_image": null, "og_title": null, "og_description": null,
            "twitter_image": null, "twitter_title": null, "twitter_description": null,
            "members_support_address": "noreply",
            "url": self.absolute("/"),
        }))
    }
}

/// One resource of an answer: a post or a page as it serializes, or any
/// other resource as a tree of values.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Shaped {
    Piece(Box<PieceResource>),
    Value(Value),
}

impl From<PieceResource> for Shaped {
    fn from(piece: PieceResource) -> Shaped {
        Shaped::Piece(Box::new(piece))
    }
}

impl Shaped {
    pub fn id(&self) -> Option<&str> {
        match self {
            Shaped::Piece(p) => Some(p.id()),
            Shaped::Value(v) => v["id"].as_str(),
        }
    }
}

/// `keep_fields` for an answer's resources.
pub fn keep_shaped_fields(resources: &mut [Shaped], fields: &[String]) {
    if fields.is_empty() {
        return;
    }
    for resource in resources {
        let mut value = match std::mem::replace(resource, Shaped::Value(Value::Null)) {
            Shaped::Piece(p) => p.to_value(),
            Shaped::Value(v) => v,
        };
        keep_fields(std::slice::from_mut(&mut value), fields);
        *resource = Shaped::Value(value);
    }
}

/// Keeps only the named top-level fields of each resource (`?fields=`).
pub fn keep_fields(resources: &mut [Value], fields: &[String]) {
    if fields.is_empty() {
        return;
    }
    for resource in resources {
        if let Value::Object(map) = resource {
            map.retain(|k, _| fields.iter().any(|f| f == k));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_links_become_ghosts_social_fields() {
        let link = |url: &str| crate::model::Link {
            label: String::new(),
            url: url.into(),
        };
        let fields = social_fields(&[
            link("https://ana.example.org"),
            link("https://x.com/ana_reports"),
            link("https://www.facebook.com/ana.reports"),
            link("https://www.threads.net/@ana"),
            link("https://bsky.app/profile/ana.bsky.social"),
            link("https://social.example/@ana"),
            link("https://www.linkedin.com/in/ana-ruiz/"),
            link("https://www.instagram.com/ana.pictures/"),
            link("https://www.youtube.com/@anareports"),
            link("https://www.tiktok.com/@ana"),
            link("https://second.example.org"),
        ]);
        assert_eq!(
            fields,
            json!({
                "website": "https://ana.example.org",
                "twitter": "@ana_reports",
                "facebook": "ana.reports",
                "threads": "ana",
                "bluesky": "ana.bsky.social",
                "mastodon": "@ana@social.example",
                "linkedin": "ana-ruiz",
                "instagram": "ana.pictures",
                "youtube": "@anareports",
                "tiktok": "@ana",
            })
        );
        let none = social_fields(&[]);
        assert_eq!(none.as_object().unwrap().len(), 10);
        assert!(none.as_object().unwrap().values().all(Value::is_null));
    }

    #[test]
    fn times_and_ids_look_like_ghosts() {
        assert_eq!(time(1_735_689_600), json!("2025-01-01T00:00:00.000Z"));
        assert_eq!(
            uuid("0190a1b2c3d47e8f9a0b1c2d3e4f5a6b"),
            "0190a1b2-c3d4-7e8f-9a0b-1c2d3e4f5a6b"
        );
        assert_eq!(uuid("demo-id"), "demo-id");
        assert_eq!(status(Status::Review), "draft");
        let sent = updated_time(1_735_689_600, 1_003);
        assert_eq!(sent, json!("2025-01-01T00:00:00.003Z"));
        assert!(is_current(sent.as_str().unwrap(), 1_735_689_600, 1_003));
        assert!(!is_current(sent.as_str().unwrap(), 1_735_689_600, 1_004));
        assert!(!is_current("yesterday", 1_735_689_600, 1_003));
    }

    #[test]
    fn fields_keep_only_what_was_asked() {
        let mut list = vec![json!({"id": "1", "title": "A", "html": "<p>x</p>"})];
        keep_fields(&mut list, &["id".into(), "title".into()]);
        assert_eq!(list[0], json!({"id": "1", "title": "A"}));
    }
}
