//! Every public address of the site, built in one place. Handlers, view
//! models and templates (through the `url()` template function) all ask
//! here; absolute addresses come from the configured public URL, never from
//! a request's Host header.

/// Addresses whose last part is a secret (a one-time or a bearer link).
const SECRET_TAILS: [&str; 5] = [
    "/desk/password/",
    "/desk/preview/",
    "/newsletter/confirm/",
    "/newsletter/preferences/",
    "/newsletter/unsubscribe/",
];

/// Query parameters that carry a key.
const SECRET_PARAMS: [&str; 2] = ["key", "token"];

/// A request's address as logs may keep it: the secret of a link (a
/// password link, a preview link, a reader's link) and any API key in the
/// query replaced by `…`, so a log read by anyone opens nothing.
pub fn loggable(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    let mut out = match SECRET_TAILS.iter().find(|p| path.starts_with(*p)) {
        Some(prefix) => format!("{prefix}…"),
        None => path.to_string(),
    };
    if let Some(query) = uri.query() {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if SECRET_PARAMS.contains(&name) => format!("{name}=…"),
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

/// Paths on the public site. Slugs are checked when saved (lowercase letters,
/// digits and hyphens), so they need no escaping.
///
/// Every page a reader reads ends in `/`, as on Ghost and WordPress: tools
/// that turn an address into a file (static-site generators, mirrors) then
/// write `slug/index.html`, not a file named `slug` that hosts serve as a
/// download. Files keep their names (`/feed.xml`, `/media/…`), and so do
/// one-time links (already in readers' mailboxes) and the desk. The other
/// form answers 301 (see `canonical_form`).
pub fn home() -> String {
    "/".into()
}
pub fn story(slug: &str) -> String {
    format!("/stories/{slug}/")
}
pub fn brief(slug: &str) -> String {
    format!("/briefs/{slug}/")
}
pub fn section(slug: &str) -> String {
    format!("/section/{slug}/")
}
pub fn tag(slug: &str) -> String {
    format!("/tag/{slug}/")
}
pub fn author(slug: &str) -> String {
    format!("/author/{slug}/")
}
pub fn latest() -> String {
    "/latest/".into()
}
pub fn briefs() -> String {
    "/briefs/".into()
}
/// Every standing correction of the publication, newest first.
pub fn corrections() -> String {
    "/corrections/".into()
}
/// What an anchor keeps of an id as it is; the rest is escaped.
const ANCHOR_KEPT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_');

/// The `id` of a story's note on its page (corrections link to it): the
/// note's id as it is when it is a UUID, escaped when it is anything else
/// (a restored backup may hold any text), so it stays one token.
pub fn note_anchor(note_id: &str) -> String {
    format!(
        "note-{}",
        percent_encoding::utf8_percent_encode(note_id, ANCHOR_KEPT)
    )
}
/// A note on its story's page (the fragment escapes the anchor's `%`:
/// browsers unescape it once before looking for the element).
pub fn story_note(story_slug: &str, note_id: &str) -> String {
    const ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%');
    let anchor = note_anchor(note_id);
    format!(
        "{}#{}",
        story(story_slug),
        percent_encoding::utf8_percent_encode(&anchor, ESCAPES)
    )
}
pub fn newsletter() -> String {
    "/newsletter/".into()
}
pub fn robots() -> String {
    "/robots.txt".into()
}
/// The desk (the newsroom's admin), kept out of search engines.
pub fn desk() -> String {
    "/desk".into()
}
/// The desk's sign-in page.
pub fn desk_login() -> String {
    "/desk/login".into()
}
pub fn desk_logout() -> String {
    "/desk/logout".into()
}
pub fn desk_logout_everywhere() -> String {
    "/desk/logout-everywhere".into()
}
/// The people of the publication (owners manage them).
pub fn desk_people() -> String {
    "/desk/people".into()
}
/// An action on one person's account: `role`, `reset-link`, `sign-out`.
pub fn desk_person(id: &str, action: &str) -> String {
    format!("/desk/people/{id}/{action}")
}
/// How an address from another platform is kept and looked up: the path
/// without its trailing slash (the root stays `/`), its percent escapes in
/// capitals (`%c3%a9` and `%C3%A9` are one address), repeated slashes as
/// one, then `?query` if any,
/// so `/2019/05/vote/` and `/2019/05/vote` are one, and `/?p=12` is kept.
pub fn old_path_key(path: &str, query: Option<&str>) -> String {
    // `//greek/x` (WordPress's own test data links so) is `/greek/x`.
    let mut single = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && single.ends_with('/')) {
            single.push(c);
        }
    }
    let trimmed = single.trim_end_matches('/');
    let mut key = if trimmed.is_empty() {
        "/".to_string()
    } else {
        upper_percent_escapes(trimmed)
    };
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        key.push('?');
        key.push_str(q);
    }
    key
}

/// The key as imports before escapes were made capitals kept it
/// (WordPress writes them in small letters): looked up second.
pub fn old_path_key_lowercase_escapes(key: &str) -> String {
    percent_escapes_in(key, false)
}

/// `%c3%a9` as `%C3%A9`: browsers and other sites write escapes in either
/// case, and both name one address.
fn upper_percent_escapes(path: &str) -> String {
    percent_escapes_in(path, true)
}

fn percent_escapes_in(path: &str, upper: bool) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            out.push('%');
            for digit in [bytes[i + 1], bytes[i + 2]] {
                out.push(if upper {
                    digit.to_ascii_uppercase()
                } else {
                    digit.to_ascii_lowercase()
                } as char);
            }
            i += 3;
        } else {
            let c = path[i..].chars().next().expect("a character");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// An address as an HTTP header may carry it: bytes outside ASCII (a
/// Greek or Japanese slug) percent-encoded, the rest as it is.
pub fn header_safe(url: &str) -> String {
    const NON_ASCII: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b' ');
    percent_encoding::utf8_percent_encode(url, NON_ASCII).to_string()
}

/// WordPress's own addresses for a piece or an archive are the site's root
/// with a query (`/?p=123`, `/?page_id=45`, `/?cat=7`): the part of such a
/// query that names one, as its old address was kept (`p=123`), or None
/// for any other query (tracking parameters, a search), which the home
/// page ignores.
pub fn root_old_address(query: Option<&str>) -> Option<String> {
    const NAMES: [&str; 6] = ["p", "page_id", "cat", "tag", "author", "attachment_id"];
    query?.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (NAMES.contains(&name)
            && !value.is_empty()
            && value.len() <= 200
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_%.".contains(&b)))
        .then(|| format!("{name}={value}"))
    })
}

/// A static page (About, Contact, …).
pub fn static_page(slug: &str) -> String {
    format!("/{slug}/")
}
/// Where a reader asks for a link to their preferences (no account needed).
pub fn newsletter_manage() -> String {
    "/newsletter/manage/".into()
}
/// Sent issues, newest first.
pub fn newsletter_archive() -> String {
    "/newsletter/archive/".into()
}
/// A sent issue's web version.
pub fn newsletter_issue(slug: &str) -> String {
    format!("/newsletter/archive/{slug}/")
}
/// A confirmation link (double opt-in).
pub fn newsletter_confirm(token: &str) -> String {
    format!("/newsletter/confirm/{token}")
}
/// A reader's preferences: which newsletters, or none.
pub fn newsletter_preferences(token: &str) -> String {
    format!("/newsletter/preferences/{token}")
}
/// One-click unsubscribe (RFC 8058 POST), and its page for people (GET).
pub fn newsletter_unsubscribe(token: &str) -> String {
    format!("/newsletter/unsubscribe/{token}")
}
/// The desk's list of stories (filters go in the query).
pub fn desk_stories() -> String {
    "/desk/stories".into()
}
pub fn desk_new_story() -> String {
    "/desk/stories/new".into()
}
/// A story in the editor.
pub fn desk_story(id: &str) -> String {
    format!("/desk/stories/{id}")
}
/// An action on a story: `delete`, `preview-link`, `notes`, `revisions`.
pub fn desk_story_action(id: &str, action: &str) -> String {
    format!("/desk/stories/{id}/{action}")
}
/// Renders the editor's fields as the site would (posted by the editor).
pub fn desk_story_preview() -> String {
    "/desk/stories/preview".into()
}
/// The secret link that shows a draft to someone without an account.
pub fn desk_preview(token: &str) -> String {
    format!("/desk/preview/{token}")
}
/// The media library in the desk.
pub fn desk_media() -> String {
    "/desk/media".into()
}
/// One image of the library in the desk.
pub fn desk_image(id: &str) -> String {
    format!("/desk/media/{id}")
}
pub fn desk_pages() -> String {
    "/desk/pages".into()
}
pub fn desk_new_page() -> String {
    "/desk/pages/new".into()
}
pub fn desk_page(id: &str) -> String {
    format!("/desk/pages/{id}")
}
pub fn desk_page_preview() -> String {
    "/desk/pages/preview".into()
}
/// Arranging the front page.
pub fn desk_front() -> String {
    "/desk/front".into()
}
/// Sections, tags and labels.
pub fn desk_sections() -> String {
    "/desk/sections".into()
}
pub fn desk_tags() -> String {
    "/desk/tags".into()
}
pub fn desk_authors() -> String {
    "/desk/authors".into()
}
pub fn desk_author(id: &str) -> String {
    format!("/desk/authors/{id}")
}
/// The site's settings (owners).
pub fn desk_settings() -> String {
    "/desk/settings".into()
}
/// A live story's stream of changes (Server-Sent Events).
pub fn live_events(slug: &str) -> String {
    format!("/stories/{slug}/live")
}

/// The id of a live update's element, and its permalink's fragment:
/// one token (an id is hex; anything else is escaped).
pub fn live_update_anchor(id: &str) -> String {
    format!(
        "update-{}",
        percent_encoding::utf8_percent_encode(id, ANCHOR_KEPT)
    )
}

/// Where a page read in a browser reports itself (readership counts).
pub fn count_view() -> String {
    "/_/view".into()
}

/// The desk's readership page; its export.
pub fn desk_readership() -> String {
    "/desk/readership".into()
}

pub fn desk_readership_csv() -> String {
    "/desk/readership.csv".into()
}

/// The activity log, with filters in the query.
pub fn desk_search() -> String {
    "/desk/search".into()
}
pub fn desk_activity() -> String {
    "/desk/activity".into()
}
pub fn desk_issue(id: &str) -> String {
    format!("/desk/newsletters/issues/{id}")
}

pub fn desk_briefs() -> String {
    "/desk/briefs".into()
}
pub fn desk_brief(id: &str) -> String {
    format!("/desk/briefs/{id}")
}
/// An action on a brief: `delete`, `revisions`.
pub fn desk_brief_action(id: &str, action: &str) -> String {
    format!("/desk/briefs/{id}/{action}")
}
/// A one-time link to choose a password (a new account, or a reset).
pub fn desk_password(token: &str) -> String {
    format!("/desk/password/{token}")
}
/// A theme asset, by its file name with the content hash in it
/// (`site.3f2a9c01d4e5b6a7.css`): the address changes whenever the file does.
pub fn asset(hashed_name: &str) -> String {
    format!("/assets/{hashed_name}")
}
/// An uploaded file in the media directory.
pub fn media(file: &str) -> String {
    let mut path = String::from("/media/");
    for byte in file.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            path.push(byte as char);
        } else {
            path.push_str(&format!("%{byte:02X}"));
        }
    }
    path
}

pub fn search() -> String {
    "/search/".into()
}

/// `path?name=value&…` with the values percent-encoded; empty values left out.
pub fn with_query(path: &str, params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", query_encode(value)))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// A value percent-encoded for a query string (unreserved characters kept).
pub fn query_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The formats every feed comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    Rss,
    Atom,
    Json,
}

impl FeedFormat {
    pub const ALL: [FeedFormat; 3] = [FeedFormat::Rss, FeedFormat::Atom, FeedFormat::Json];

    pub fn file(self) -> &'static str {
        match self {
            FeedFormat::Rss => "feed.xml",
            FeedFormat::Atom => "feed.atom",
            FeedFormat::Json => "feed.json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml; charset=utf-8",
            FeedFormat::Atom => "application/atom+xml; charset=utf-8",
            FeedFormat::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// Its name, for readers.
    pub fn label(self) -> &'static str {
        match self {
            FeedFormat::Rss => "RSS",
            FeedFormat::Atom => "Atom",
            FeedFormat::Json => "JSON Feed",
        }
    }

    /// The type `<link rel="alternate">` names.
    pub fn link_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml",
            FeedFormat::Atom => "application/atom+xml",
            FeedFormat::Json => "application/feed+json",
        }
    }
}

/// The feed of the listing at `base` ("" for the whole site): `/feed.xml`,
/// `/section/europe/feed.atom`, `/briefs/feed.json`.
pub fn feed(base: &str, format: FeedFormat) -> String {
    format!("{}/{}", base.trim_end_matches('/'), format.file())
}

pub fn sitemap_index() -> String {
    "/sitemap.xml".into()
}

/// One file of the sitemap: `/sitemaps/stories-1.xml`, `/sitemaps/news.xml`.
pub fn sitemap(name: &str) -> String {
    format!("/sitemaps/{name}.xml")
}

/// Page 1 of a listing lives at its base; page n at base/page/n/.
pub fn page(base: &str, page: u32) -> String {
    if page <= 1 {
        base.to_string()
    } else {
        format!("{}/page/{page}/", base.trim_end_matches('/'))
    }
}

/// The stylesheet that gives the site the accent `#rrggbb`: named by the
/// colour, so it never changes under its address.
pub fn accent_stylesheet(accent: &str) -> String {
    format!("/assets/accent/{}.css", accent.trim_start_matches('#'))
}

/// First path segments the site answers itself: no page may take them.
pub const RESERVED: &[&str] = &[
    "latest",
    "briefs",
    "corrections",
    "newsletter",
    "section",
    "tag",
    "author",
    "stories",
    "desk",
    "media",
    "assets",
    "healthz",
    "ghost",
    "feed",
    "feeds",
    "search",
    "sitemap",
    "rss",
    "api",
    "page",
    "pages",
    "preview",
    "subscribe",
    "unsubscribe",
    "archive",
];

/// Whether a link on the site names one of its pages (a listing, a story,
/// a static page), rather than a file or an address it answers otherwise
/// (`/healthz`, `/media/…`).
pub fn names_a_page(link: &str) -> bool {
    const PAGES: [&str; 8] = [
        "stories",
        "briefs",
        "section",
        "tag",
        "author",
        "latest",
        "search",
        "newsletter",
    ];
    let path = link.split(['?', '#']).next().unwrap_or_default();
    let Some(path) = path.strip_prefix('/') else {
        return false;
    };
    let mut segments = path.split('/');
    let first = segments.next().unwrap_or_default();
    PAGES.contains(&first)
        || (segments.next().is_none() && !first.is_empty() && !RESERVED.contains(&first))
}

/// The canonical form of an address given in the other one: a page a
/// reader reads without its final `/` (`/latest`, `/stories/x?ref=mail`)
/// gets it, the desk with one (`/desk/`) loses it; the query is kept. None
/// when the address is canonical already or names no page: a file (its
/// last part has a dot), a one-time link, or anything not a plain path on
/// this site.
pub fn canonical_form(address: &str) -> Option<String> {
    let (address, fragment) = match address.split_once('#') {
        Some((address, fragment)) => (address, Some(fragment)),
        None => (address, None),
    };
    let (path, query) = match address.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (address, None),
    };
    // A backslash reads as a slash to browsers: `/\elsewhere` would leave
    // the site.
    let leaves_site =
        path.starts_with("//") || path.contains('\\') || path.to_ascii_lowercase().contains("%5c");
    if !path.starts_with('/')
        || leaves_site
        || path.ends_with("//")
        || SECRET_TAILS.iter().any(|tail| path.starts_with(tail))
    {
        return None;
    }
    let in_desk = path == desk() || path.starts_with("/desk/");
    let mut canonical = if in_desk {
        path.strip_suffix('/')?.to_string()
    } else {
        let last = path.rsplit('/').next().unwrap_or_default();
        if path.ends_with('/') || last.contains('.') {
            return None;
        }
        format!("{path}/")
    };
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        canonical.push('?');
        canonical.push_str(query);
    }
    if let Some(fragment) = fragment {
        canonical.push('#');
        canonical.push_str(fragment);
    }
    Some(canonical)
}

/// A path by name, for templates: `url("latest")`, `url("story", slug)`.
pub fn by_name(name: &str, arg: Option<&str>) -> Option<String> {
    Some(match (name, arg) {
        ("home", None) => home(),
        ("latest", None) => latest(),
        ("briefs", None) => briefs(),
        ("corrections", None) => corrections(),
        ("corrections-feed", None) => feed(&corrections(), FeedFormat::Rss),
        ("search", None) => search(),
        ("newsletter", None) => newsletter(),
        ("newsletter-archive", None) => newsletter_archive(),
        ("newsletter-manage", None) => newsletter_manage(),
        ("desk", None) => desk(),
        ("desk-login", None) => desk_login(),
        ("desk-logout", None) => desk_logout(),
        ("desk-logout-everywhere", None) => desk_logout_everywhere(),
        ("desk-people", None) => desk_people(),
        ("desk-stories", None) => desk_stories(),
        ("desk-new-story", None) => desk_new_story(),
        ("desk-story-preview", None) => desk_story_preview(),
        ("desk-briefs", None) => desk_briefs(),
        ("desk-pages", None) => desk_pages(),
        ("desk-new-page", None) => desk_new_page(),
        ("desk-page-preview", None) => desk_page_preview(),
        ("desk-front", None) => desk_front(),
        ("desk-newsletters", None) => "/desk/newsletters".into(),
        ("desk-sections", None) => desk_sections(),
        ("desk-tags", None) => desk_tags(),
        ("desk-authors", None) => desk_authors(),
        ("desk-settings", None) => desk_settings(),
        ("desk-activity", None) => desk_activity(),
        ("desk-readership", None) => desk_readership(),
        ("desk-readership-csv", None) => desk_readership_csv(),
        ("desk-search", None) => desk_search(),
        ("desk-integrations", None) => "/desk/integrations".into(),
        ("desk-labels", None) => format!("{}/labels", desk_sections()),
        ("desk-media", None) => desk_media(),
        ("desk-story", Some(id)) => desk_story(id),
        ("desk-brief", Some(id)) => desk_brief(id),
        ("story", Some(slug)) => story(slug),
        ("brief", Some(slug)) => brief(slug),
        ("section", Some(slug)) => section(slug),
        ("tag", Some(slug)) => tag(slug),
        ("author", Some(slug)) => author(slug),
        ("media", Some(file)) => media(file),
        _ => return None,
    })
}

/// The site's public address (scheme, host, optional path prefix), from configuration.
/// With it, where media are served from when that is elsewhere (a CDN,
/// a bucket's public address): every media address made through it points
/// there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    site: String,
    media: Option<String>,
}

impl PublicUrl {
    pub fn new(url: &str) -> PublicUrl {
        PublicUrl {
            site: url.trim_end_matches('/').to_string(),
            media: None,
        }
    }

    /// Media served from `base` (no change when None).
    pub fn with_media(mut self, base: Option<&str>) -> PublicUrl {
        if let Some(base) = base {
            self.media = Some(base.trim_end_matches('/').to_string());
        }
        self
    }

    /// The absolute form of a site path; a media path's is on the media
    /// address when there is one.
    pub fn absolute(&self, path: &str) -> String {
        match (&self.media, path.strip_prefix("/media")) {
            (Some(base), Some(rest)) if rest.starts_with('/') => format!("{base}{rest}"),
            _ => format!("{}{path}", self.site),
        }
    }

    /// A served media file's address as pages link to it: `/media/…`, or
    /// absolute on the media address.
    pub fn media(&self, file: &str) -> String {
        let path = media(file);
        match &self.media {
            Some(_) => self.absolute(&path),
            None => path,
        }
    }

    /// A body's HTML with its media addresses on the media address (as it
    /// is when there is none).
    pub fn media_in<'a>(&self, html: &'a str) -> std::borrow::Cow<'a, str> {
        match &self.media {
            Some(_) if html.contains("/media/") => {
                std::borrow::Cow::Owned(crate::model::document::absolute_addresses(html, &|path| {
                    match path.starts_with("/media/") {
                        true => self.absolute(path),
                        false => path.to_string(),
                    }
                }))
            }
            _ => std::borrow::Cow::Borrowed(html),
        }
    }

    /// Whether readers reach the site over HTTPS (cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.site.starts_with("https://")
    }

    /// Host and port (`news.example.org`): what a reader's visit is
    /// counted for, and referrers from it are the site's own.
    pub fn host(&self) -> &str {
        let origin = self.origin();
        origin.find("://").map_or(origin, |i| &origin[i + 3..])
    }

    /// Scheme, host and port: what browsers send as `Origin`.
    pub fn origin(&self) -> &str {
        let after_scheme = self.site.find("://").map_or(0, |i| i + 3);
        match self.site[after_scheme..].find('/') {
            Some(slash) => &self.site[..after_scheme + slash],
            None => &self.site,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_links_to_pages_are_given_their_slash() {
        for page in [
            "/briefs",
            "/latest?x=1",
            "/about",
            "/about#team",
            "/section/europe",
        ] {
            assert!(names_a_page(page), "{page}");
        }
        for not_a_page in [
            "/healthz",
            "/media/logo",
            "/desk",
            "https://x.example/a",
            "/",
        ] {
            assert!(!names_a_page(not_a_page), "{not_a_page}");
        }
    }

    use super::*;

    #[test]
    fn paths_and_absolute_urls() {
        assert_eq!(story("a-b"), "/stories/a-b/");
        assert_eq!(page(&latest(), 1), "/latest/");
        assert_eq!(page("/section/europe/", 3), "/section/europe/page/3/");
        assert_eq!(
            feed(&section("europe"), FeedFormat::Atom),
            "/section/europe/feed.atom"
        );
        assert_eq!(media("photo 1.jpg"), "/media/photo%201.jpg");
        let public = PublicUrl::new("https://news.example.org/");
        assert_eq!(
            public.absolute(&story("x")),
            "https://news.example.org/stories/x/"
        );
        assert_eq!(public.origin(), "https://news.example.org");
        // Media on their own address when there is one; pages stay on the site.
        assert_eq!(public.media("a.jpg"), "/media/a.jpg");
        let cdn = public
            .clone()
            .with_media(Some("https://cdn.example.net/news/"));
        assert_eq!(
            cdn.media("a b.jpg"),
            "https://cdn.example.net/news/a%20b.jpg"
        );
        assert_eq!(
            cdn.absolute("/media/a.jpg"),
            "https://cdn.example.net/news/a.jpg"
        );
        assert_eq!(
            cdn.absolute("/mediakit/"),
            "https://news.example.org/mediakit/"
        );
        assert_eq!(
            cdn.absolute(&story("x")),
            "https://news.example.org/stories/x/"
        );
        assert_eq!(
            cdn.media_in(r#"<a href="/about/"><img src="/media/a.jpg" srcset="/media/a-320.jpg 320w, /media/a.jpg 640w"></a>"#),
            r#"<a href="/about/"><img src="https://cdn.example.net/news/a.jpg" srcset="https://cdn.example.net/news/a-320.jpg 320w, https://cdn.example.net/news/a.jpg 640w"></a>"#
        );
        assert_eq!(
            public.media_in("<img src=\"/media/a.jpg\">"),
            "<img src=\"/media/a.jpg\">"
        );
        assert_eq!(
            PublicUrl::new("http://example.org:8080/mag").origin(),
            "http://example.org:8080"
        );
        assert_eq!(
            by_name("tag", Some("water")).as_deref(),
            Some("/tag/water/")
        );
        assert_eq!(by_name("story", None), None);
    }

    #[test]
    fn every_address_has_one_canonical_form() {
        assert_eq!(canonical_form("/latest").as_deref(), Some("/latest/"));
        assert_eq!(
            canonical_form("/stories/x?ref=mail").as_deref(),
            Some("/stories/x/?ref=mail")
        );
        assert_eq!(
            canonical_form("/about#team").as_deref(),
            Some("/about/#team")
        );
        assert_eq!(canonical_form("/latest?").as_deref(), Some("/latest/"));
        assert_eq!(canonical_form("/desk/").as_deref(), Some("/desk"));
        assert_eq!(
            canonical_form("/desk/stories/?status=draft").as_deref(),
            Some("/desk/stories?status=draft")
        );
        for canonical_or_not_a_page in [
            "/latest/",
            "/",
            "/desk",
            "/desk/stories",
            "/feed.xml",
            "/favicon.ico",
            "//elsewhere.example",
            "/\\elsewhere.example/x",
            "/%5Celsewhere.example/x",
            "/a/%5c/x",
            "/latest//",
            "https://elsewhere.example/x",
            "/newsletter/unsubscribe/abc",
        ] {
            assert_eq!(
                canonical_form(canonical_or_not_a_page),
                None,
                "{canonical_or_not_a_page}"
            );
        }
    }
}
