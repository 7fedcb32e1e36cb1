//! Who is counted, and as what: the rules a view passes before it is
//! noted. Nobody is counted who asks not to be (`Sec-GPC: 1`, `DNT: 1`),
//! no robot, no prefetch; a reader is an anonymous hash that changes
//! every day; a referrer is only the site it came from.

use axum::http::HeaderMap;
use blake2::Digest;

use crate::model::UnixTime;
use crate::store::readership::CountedKind;

/// Why a request is not counted (each is a rule of the readership page's
/// promise; tests name them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCounted {
    /// `Sec-GPC: 1` or `DNT: 1`.
    AskedNot,
    /// A crawler, a monitor, a link preview or a command-line client.
    Robot,
    /// The browser fetched the page ahead, not for a reader.
    Prefetch,
}

/// Parts of user agents that name a machine rather than a reader:
/// crawlers and their previews, monitors, HTTP libraries and headless
/// browsers. Compared in lower case.
const ROBOTS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "archiver",
    "facebookexternalhit",
    "embedly",
    "preview",
    "mediapartners",
    "feedfetcher",
    "headless",
    "lighthouse",
    "pingdom",
    "uptime",
    "monitor",
    "curl/",
    "wget/",
    "python-",
    "python/",
    "go-http-client",
    "java/",
    "okhttp",
    "axios",
    "node-fetch",
    "undici",
    "httpclient",
    "libwww",
    "scrapy",
    "phantomjs",
    "selenium",
    "puppeteer",
    "playwright",
];

/// Whether a user agent is a robot. Every browser readers use names
/// itself "Mozilla/…" (or, long ago, "Opera/…"); anything else is a
/// program, and so are browsers that say they are one of the above.
pub fn is_robot(user_agent: &str) -> bool {
    let ua = user_agent.trim().to_ascii_lowercase();
    !(ua.starts_with("mozilla/") || ua.starts_with("opera/"))
        || ROBOTS.iter().any(|r| ua.contains(r))
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
}

/// Whether a request may be counted, by its headers.
pub fn countable(headers: &HeaderMap) -> Result<(), NotCounted> {
    if header(headers, "sec-gpc") == "1" || header(headers, "dnt") == "1" {
        return Err(NotCounted::AskedNot);
    }
    if is_robot(header(headers, "user-agent")) {
        return Err(NotCounted::Robot);
    }
    let purpose = |name| header(headers, name).to_ascii_lowercase();
    if ["sec-purpose", "purpose", "x-purpose", "x-moz"]
        .into_iter()
        .any(|name| purpose(name).contains("prefetch") || purpose(name).contains("preview"))
    {
        return Err(NotCounted::Prefetch);
    }
    Ok(())
}

/// What kind of public address a path is, for counting: its kind, its
/// slug and the address it is counted as (a section's later pages count
/// as its first). Only addresses the site makes: slugs are lower case, a
/// page number digits; anything else (another spelling that answers 404,
/// control characters) is not counted.
pub fn classify(path: &str) -> Option<(CountedKind, String, String)> {
    if path == "/" {
        return Some((CountedKind::Home, String::new(), "/".to_string()));
    }
    let inner = path.strip_prefix('/')?.strip_suffix('/')?;
    let parts: Vec<&str> = inner.split('/').collect();
    let slug = |s: &str| {
        (!s.is_empty()
            && s.len() <= 200
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'))
        .then(|| s.to_string())
    };
    let number = |n: &str| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit());
    let (kind, slug) = match parts.as_slice() {
        ["stories", s] => (CountedKind::Story, slug(s)?),
        ["briefs", s] => (CountedKind::Brief, slug(s)?),
        ["section", s] => (CountedKind::Section, slug(s)?),
        ["section", s, "page", n] if number(n) => (CountedKind::Section, slug(s)?),
        [s] => (CountedKind::Page, slug(s)?),
        _ => return None,
    };
    let counted_as = match kind {
        CountedKind::Story => crate::urls::story(&slug),
        CountedKind::Brief => crate::urls::brief(&slug),
        CountedKind::Section => crate::urls::section(&slug),
        CountedKind::Page => crate::urls::static_page(&slug),
        CountedKind::Home => "/".to_string(),
    };
    Some((kind, slug, counted_as))
}

/// The site a referrer names (`news.example.org`, without `www.`), or
/// None: none given, not a web address, or the site itself.
pub fn referring_site(referrer: &str, own_host: &str) -> Option<String> {
    let url = url::Url::parse(referrer.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https" | "android-app") {
        return None;
    }
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    // The site's own host, without its port (a referrer's host has none).
    let own = match own_host.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => own_host,
    };
    let own = own.strip_prefix("www.").unwrap_or(own);
    (!host.is_empty() && host != own && host.len() <= 253).then_some(host)
}

/// The anonymous visitor: a hash of the day's salt, the site, the address
/// and the user agent. Neither is kept; tomorrow's salt gives the same
/// reader another hash, and once the day's salt is forgotten nobody can
/// tell whose hash it was.
pub fn visitor(salt: &str, site: &str, address: &str, user_agent: &str) -> String {
    let mut hash = blake2::Blake2s256::new();
    for part in [salt, site, address, user_agent] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hex::encode(&hash.finalize()[..16])
}

/// A new random salt.
pub fn fresh_salt() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    hex::encode(bytes)
}

/// The day a moment falls on in the publication's zone: days since
/// 1970-01-01 there.
pub fn day_of(t: UnixTime, tz: &jiff::tz::TimeZone) -> i64 {
    let date = jiff::Timestamp::from_second(t)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
        .date();
    day_number(date)
}

/// Days since 1970-01-01.
pub fn day_number(date: jiff::civil::Date) -> i64 {
    let epoch = jiff::civil::date(1970, 1, 1);
    i64::from(
        date.since((jiff::Unit::Day, epoch))
            .map(|span| span.get_days())
            .unwrap_or(0),
    )
}

/// The date of a day number.
pub fn date_of(day: i64) -> jiff::civil::Date {
    jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(day))
        .unwrap_or(jiff::civil::date(1970, 1, 1))
}

/// The month of a day: year × 12 + month − 1.
pub fn month_of(day: i64) -> i64 {
    let date = date_of(day);
    i64::from(date.year()) * 12 + i64::from(date.month()) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

    #[test]
    fn readers_are_counted_unless_they_ask_not_to_be() {
        assert_eq!(countable(&headers(&[("user-agent", FIREFOX)])), Ok(()));
        for signal in ["sec-gpc", "dnt"] {
            assert_eq!(
                countable(&headers(&[("user-agent", FIREFOX), (signal, "1")])),
                Err(NotCounted::AskedNot),
                "{signal}"
            );
        }
        assert_eq!(
            countable(&headers(&[("user-agent", FIREFOX), ("dnt", "0")])),
            Ok(())
        );
        assert_eq!(
            countable(&headers(&[
                ("user-agent", FIREFOX),
                ("sec-purpose", "prefetch;prerender")
            ])),
            Err(NotCounted::Prefetch)
        );
        assert_eq!(
            countable(&headers(&[
                ("user-agent", FIREFOX),
                ("purpose", "prefetch")
            ])),
            Err(NotCounted::Prefetch)
        );
    }

    #[test]
    fn robots_are_not_readers() {
        for ua in [
            "",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0)",
            "facebookexternalhit/1.1",
            "curl/8.5.0",
            "python-requests/2.31",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
            "Slackbot-LinkExpanding 1.0",
            "ureq/3.1",
            "Some-App/1.0",
        ] {
            assert!(is_robot(ua), "{ua}");
        }
        assert!(!is_robot(FIREFOX));
        assert!(!is_robot(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
        ));
    }

    #[test]
    fn addresses_are_classified() {
        let counted =
            |kind, slug: &str, path: &str| Some((kind, slug.to_string(), path.to_string()));
        assert_eq!(classify("/"), counted(CountedKind::Home, "", "/"));
        assert_eq!(
            classify("/stories/the-vote/"),
            counted(CountedKind::Story, "the-vote", "/stories/the-vote/")
        );
        assert_eq!(
            classify("/briefs/a/"),
            counted(CountedKind::Brief, "a", "/briefs/a/")
        );
        assert_eq!(
            classify("/section/europe/page/3/"),
            counted(CountedKind::Section, "europe", "/section/europe/")
        );
        assert_eq!(
            classify("/about/"),
            counted(CountedKind::Page, "about", "/about/")
        );
        for odd in [
            "",
            "stories/x/",
            "/stories/x",
            "/tag/x/",
            "/stories/../x/",
            "/stories/a b/",
            "//",
            "/stories/The-Vote/",
            "/About/",
            "/section/europe/page/a\u{0}b/",
            "/section/europe/page/<img>/",
        ] {
            assert_eq!(classify(odd), None, "{odd:?}");
        }
    }

    #[test]
    fn referrers_are_sites_not_addresses() {
        assert_eq!(
            referring_site(
                "https://www.news.example.com/search?q=private+words",
                "mag.test"
            ),
            Some("news.example.com".into())
        );
        assert_eq!(referring_site("https://mag.test/other/", "mag.test"), None);
        assert_eq!(
            referring_site("http://127.0.0.1:8080/", "127.0.0.1:8080"),
            None
        );
        assert_eq!(referring_site("javascript:alert(1)", "mag.test"), None);
        assert_eq!(referring_site("", "mag.test"), None);
    }

    #[test]
    fn a_visitor_is_a_different_hash_each_day() {
        let a = visitor("salt-1", "mag.test", "192.0.2.1", FIREFOX);
        assert_eq!(a, visitor("salt-1", "mag.test", "192.0.2.1", FIREFOX));
        assert_ne!(a, visitor("salt-2", "mag.test", "192.0.2.1", FIREFOX));
        assert_ne!(a, visitor("salt-1", "mag.test", "192.0.2.2", FIREFOX));
        assert!(!a.contains("192"));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn days_and_months() {
        assert_eq!(day_number(jiff::civil::date(1970, 1, 2)), 1);
        let day = day_number(jiff::civil::date(2026, 12, 7));
        assert_eq!(date_of(day), jiff::civil::date(2026, 12, 7));
        assert_eq!(month_of(day), 2026 * 12 + 11);
        let berlin = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        // 23:30 UTC on 6 December is 00:30 on 7 December in Berlin.
        let t = jiff::civil::datetime(2026, 12, 6, 23, 30, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_second();
        assert_eq!(day_of(t, &berlin), day);
        assert_eq!(day_of(t, &jiff::tz::TimeZone::UTC), day - 1);
    }
}
