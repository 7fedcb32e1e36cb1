//! Every public page type, its content and its bad inputs, on both databases.

use crate::common::{Backend, shared_site};
use crate::on_both_backends;

const LEAD: &str = "/stories/kaldmarks-coalition-bets-its-future-on-a-single-railway/";
const CORRECTED: &str = "/stories/the-kiyoshima-islands-build-a-sea-wall-and-a-debate/";

fn html_ok(site: &crate::common::TestSite, path: &str) -> String {
    let reply = site.get(path);
    assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8"),
        "GET {path}"
    );
    reply.text()
}

on_both_backends!(home_page_is_a_living_front_page, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    let html = html_ok(site, "/");
    assert!(html.contains("<title>The Meridian | Independent analysis"));
    // the featured lead story, with label | section, byline and image credit
    assert!(
        html.contains("coalition bets its future on a single railway"),
        "lead headline missing"
    );
    assert!(
        html.contains(&format!(
            "<h2 class=\"teaser-headline\"><a href=\"{LEAD}\">"
        )),
        "the featured story leads"
    );
    assert!(html.contains("class=\"label\">Analysis</span>"));
    assert!(html.contains("href=\"/section/europe/\">Europe</a>"));
    assert!(html.contains("href=\"/author/ines-marlow/\">Ines Marlow</a>"));
    assert!(html.contains("Illustration: Lena Hollis/Meridian"));
    // rails, sign-up and follow-us links
    assert!(html.contains("id=\"briefs-heading\""));
    assert!(html.contains("Vessen trams to run all night at weekends"));
    assert!(html.contains("id=\"latest-heading\""));
    // the Latest rail: the six newest stories, newest first (the lead included)
    let rail = &html[html.find("id=\"latest-heading\"").unwrap()..];
    let rail = &rail[..rail.find("</aside>").unwrap()];
    assert_eq!(rail.matches("<li>").count(), 6);
    let newest = [
        LEAD,
        "/stories/costa-serranas-copper-boom-leaves-its-highland-towns-behind/",
        "/stories/serenza-votes-to-share-its-harbour-with-a-rival/",
        "/stories/the-kiyoshima-islands-build-a-sea-wall-and-a-debate/",
        "/stories/tallahue-holds-its-first-election-in-twelve-years/",
        "/stories/the-ruvara-dam-talks-move-from-water-to-power/",
    ];
    let positions: Vec<_> = newest
        .iter()
        .map(|url| rail.find(&format!("href=\"{url}\"")).expect(url))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(html.contains("action=\"/newsletter/\""));
    assert!(html.contains("<label for=\"signup-email-footer\">Email address</label>"));
    assert!(html.contains("Follow us"));
    // images carry dimensions (no layout shift) and srcset
    assert!(html.contains("width=\"1200\" height=\"675\""));
    assert!(html.contains("srcset=\"/media/"));
    // drafts, scheduled and archived stories never appear
    assert!(!html.contains("what the numbers will tell us"));
    assert!(!html.contains("transport minister to resign"));
});

on_both_backends!(story_page_shows_the_whole_story, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    let html = html_ok(site, CORRECTED);
    assert!(html.contains(
        "<h1 class=\"headline\">The Kiyoshima Islands build a sea wall and a debate</h1>"
    ));
    assert!(html.contains("class=\"dek\">A nine-kilometre barrier"));
    assert!(html.contains("href=\"/section/asia/\">Asia</a>"));
    assert!(html.contains("href=\"/author/daniel-haruto-vance/\">Daniel Haruto Vance</a>"));
    assert!(html.contains(" and <a href=\"/author/mira-castellan/\">Mira Castellan</a>"));
    assert!(html.contains("<time datetime=\""));
    assert!(
        html.contains("Updated <time"),
        "the corrected story shows its update date"
    );
    assert!(html.contains(
        "<figcaption><span class=\"caption\">The first section of the Kiyoshima barrier"
    ));
    assert!(html.contains("<span class=\"credit\">Illustration: Aiko Brandt/Meridian</span>"));
    assert!(
        html.contains("<h2>Inside and outside</h2>"),
        "Markdown body rendered"
    );
    assert!(html.contains("Correction, <time"));
    assert!(html.contains("nineteen kilometres. It is nine kilometres."));
    assert!(html.contains("href=\"/tag/water/\">Water</a>"));
    assert!(
        html.contains("edits our Asia coverage from Sethpur"),
        "author bio"
    );
    // related stories with an expandable teaser, and the Latest rail
    assert!(html.contains("id=\"related-heading\""));
    assert!(html.contains("<details class=\"teaser-more\">"));
    assert!(html.contains("Keep reading"));
    assert!(html.contains("Show less"));
    assert!(html.contains("id=\"latest-heading\""));
    assert!(html.contains(&format!(
        "<link rel=\"canonical\" href=\"{}{CORRECTED}\">",
        site.url
    )));
    assert!(!html.contains("<link rel=\"next\""));
});

on_both_backends!(
    listing_pages_paginate_with_stable_urls,
    |backend: Backend| {
        let Some(site) = shared_site(backend) else {
            return;
        };
        let latest = html_ok(site, "/latest/");
        assert!(latest.contains("<h1>Latest</h1>"));
        assert!(latest.contains("<link rel=\"next\" href=\"/latest/page/2/\">"));
        assert!(latest.contains("Page 1</span>"));
        assert!(!latest.contains("rel=\"prev\""));
        let page2 = html_ok(site, "/latest/page/2/");
        assert!(page2.contains("<link rel=\"prev\" href=\"/latest/\">"));
        assert!(page2.contains("<link rel=\"next\" href=\"/latest/page/3/\">"));
        let page3 = html_ok(site, "/latest/page/3/");
        assert!(page3.contains("<link rel=\"prev\" href=\"/latest/page/2/\">"));
        assert!(!page3.contains("rel=\"next\""));
        // every published story appears on exactly one page
        let mut seen = 0;
        for page in [&latest, &page2, &page3] {
            seen += page.matches("class=\"teaser row").count();
        }
        assert_eq!(seen, 30);

        let section = html_ok(site, "/section/europe/");
        assert!(section.contains("<h1>Europe</h1>"));
        assert!(section.contains("Serenza votes to share its harbour with a rival"));
        // a story from another section is not listed (it may appear in the Latest rail)
        assert!(section.contains("copper boom leaves its highland towns"));
        assert!(!section.contains(
        "teaser-headline\"><a href=\"/stories/costa-serranas-copper-boom-leaves-its-highland-towns-behind/\""
    ));
        assert_eq!(
            section.matches("class=\"teaser row").count(),
            6,
            "the six Europe stories"
        );
        assert!(section.contains("aria-current=\"page\""));

        let tag = html_ok(site, "/tag/water/");
        assert!(tag.contains("<h1>Water</h1>"));
        assert!(tag.contains("How a small city learned to love its floods"));

        let author = html_ok(site, "/author/mira-castellan/");
        assert!(author.contains("<h1>Mira Castellan</h1>"));
        assert!(author.contains("Climate Correspondent"));
        assert!(author.contains("Adaptation is not surrender"));

        let briefs = html_ok(site, "/briefs/");
        assert!(briefs.contains("<h1>Briefs</h1>"));
        assert!(briefs.contains("<link rel=\"next\" href=\"/briefs/page/2/\">"));
        assert!(
            briefs.contains("Illustration: Aiko Brandt/Meridian"),
            "a brief's image credit"
        );
        assert!(briefs.contains(
            "href=\"/stories/the-ruvara-dam-talks-move-from-water-to-power/\">Read more"
        ));
        let briefs2 = html_ok(site, "/briefs/page/2/");
        assert!(briefs2.contains("Banraya offers new grants to move to Sethpur"));

        let brief = html_ok(site, "/briefs/kiyoshima-lifts-summer-water-restrictions/");
        assert!(
            brief.contains("<h1 class=\"headline\">Kiyoshima lifts summer water restrictions</h1>")
        );
        assert!(brief.contains("Illustration: Aiko Brandt/Meridian"));
    }
);

on_both_backends!(bad_addresses_get_clear_4xx_pages, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    for (path, status) in [
        ("/stories/no-such-story/", 404),
        ("/briefs/no-such-brief/", 404),
        ("/section/atlantis/", 404),
        ("/tag/nothing/", 404),
        ("/author/nobody/", 404),
        ("/nowhere/at/all/", 404),
        ("/latest/page/abc/", 400),
        ("/latest/page/-2/", 400),
        ("/latest/page/0/", 400),
        ("/latest/page/2.5/", 400),
        ("/latest/page/99/", 404),
        ("/latest/page/99999999999999999999999/", 404),
        ("/section/europe/page/x/", 400),
        ("/section/europe/page/9/", 404),
        ("/tag/water/page/7/", 404),
        ("/author/ines-marlow/page/zz/", 400),
        ("/briefs/page/3/", 404),
        ("/briefs/page/%20/", 400),
    ] {
        let reply = site.get(path);
        assert_eq!(reply.status, status, "GET {path}");
        let html = reply.text();
        assert!(
            html.contains("<!DOCTYPE html>"),
            "GET {path} has a themed page"
        );
        assert!(
            html.contains("href=\"/latest/\""),
            "GET {path} offers a way on"
        );
        // An error page is no page's canonical copy, least of all the home page's.
        assert!(
            !html.contains("rel=\"canonical\"")
                && html.contains("<meta name=\"robots\" content=\"noindex\">"),
            "GET {path} names no canonical address and is not indexed"
        );
    }
    let reply = site.get("/latest/page/abc/");
    assert!(reply.text().contains("is not a page number"));
    let reply = site.get("/stories/no-such-story/");
    assert!(reply.text().contains("Page not found"));
    assert_eq!(reply.header("cache-control"), Some("public, max-age=60"));
    let other = site.get("/another/dead/link/");
    assert_eq!(other.body, reply.body, "one 404 page, rendered once");
    let bad = site.get("/latest/page/abc/");
    assert_eq!(bad.header("cache-control"), Some("no-store"));
    // addresses that are not UTF-8 get the themed 400 too, not a bare rejection
    let garbled = site.get("/stories/%FF%FE/");
    assert_eq!(garbled.status, 400);
    assert!(garbled.text().contains("could not be read"));
    assert!(garbled.text().contains("<!DOCTYPE html>"));
});

on_both_backends!(
    archived_scheduled_and_renamed_stories,
    |backend: Backend| {
        let Some(site) = shared_site(backend) else {
            return;
        };
        let archived = site.get("/stories/kaldmarks-transport-minister-to-resign-sources-say/");
        assert_eq!(archived.status, 410);
        assert!(archived.text().contains("no longer available"));
        let scheduled = site.get("/stories/serenzas-budget-what-the-numbers-will-tell-us/");
        assert_eq!(
            scheduled.status, 404,
            "a scheduled story is invisible until its time"
        );
        let renamed = site.get("/stories/altmoor-centre-right-in-trouble/");
        assert_eq!(renamed.status, 301);
        assert_eq!(
            renamed.header("location"),
            Some("/stories/the-quiet-collapse-of-altmoors-centre-right/")
        );
        let unslashed = site.get("/section/europe");
        assert_eq!(unslashed.status, 301);
        assert_eq!(unslashed.header("location"), Some("/section/europe/"));
        assert_eq!(
            site.get("//elsewhere.example/").status,
            404,
            "no open redirect"
        );
        let first_page = site.get("/latest/page/1/");
        assert_eq!(first_page.status, 301);
        assert_eq!(first_page.header("location"), Some("/latest/"));
    }
);

on_both_backends!(
    newsletter_signup_validates_and_remembers,
    |backend: Backend| {
        let Some(site) = crate::common::TestSite::start(backend) else {
            return;
        };
        let url = format!("{}/newsletter/", site.url);
        let before = crate::common::block_on(site.store.subscriber_count()).unwrap();
        let form = crate::common::http_get(&url, &[]);
        assert_eq!(form.status, 200);
        assert!(
            form.text()
                .contains("<label for=\"signup-email\">Email address</label>")
        );

        let ok = crate::common::http_post_form(&url, "email=reader%40example.org", &[]);
        assert_eq!(ok.status, 200);
        assert!(ok.text().contains("Check your inbox"));
        assert_eq!(ok.header("cache-control"), Some("no-store"));
        let again = crate::common::http_post_form(&url, "email=reader%40EXAMPLE.org", &[]);
        assert_eq!(again.status, 200);
        assert_eq!(
            again.text(),
            ok.text(),
            "the answer never tells whether an address is already subscribed"
        );

        let bad = crate::common::http_post_form(&url, "email=not-an-address", &[]);
        assert_eq!(bad.status, 400);
        let html = bad.text();
        assert!(html.contains("does not look like an email address"));
        assert!(
            html.contains("value=\"not-an-address\""),
            "the reader's input is kept"
        );
        assert!(html.contains("aria-invalid=\"true\""));

        let empty = crate::common::http_post_form(&url, "", &[]);
        assert_eq!(empty.status, 400);
        let garbage = crate::common::http_post_form(&url, "%%%", &[]);
        assert_eq!(garbage.status, 400);
        let cross = crate::common::http_post_form(
            &url,
            "email=victim%40example.org",
            &[("sec-fetch-site", "cross-site")],
        );
        assert_eq!(cross.status, 403);

        let count = crate::common::block_on(site.store.subscriber_count()).unwrap();
        assert_eq!(
            count,
            before + 1,
            "one reader subscribed once; nothing else was stored"
        );
    }
);

// Issue 24, item 2: static-site generators write an address that ends in
// `/` as `…/index.html`, so every page's canonical address ends in one, and
// every address the site answered before moves there for good.
on_both_backends!(
    addresses_end_in_a_slash_and_old_ones_move_there,
    |backend: Backend| {
        let Some(site) = shared_site(backend) else {
            return;
        };
        let about = site.get("/about/");
        assert_eq!(about.status, 200, "a static page lives at /about/");
        assert!(about.text().contains(&format!(
            "<link rel=\"canonical\" href=\"{}/about/\">",
            site.url
        )));
        for (old, new) in [
            (LEAD.trim_end_matches('/'), LEAD),
            ("/section/europe", "/section/europe/"),
            ("/tag/water", "/tag/water/"),
            ("/author/ines-marlow", "/author/ines-marlow/"),
            ("/latest", "/latest/"),
            ("/latest/page/2", "/latest/page/2/"),
            ("/briefs", "/briefs/"),
            (
                "/briefs/kiyoshima-lifts-summer-water-restrictions",
                "/briefs/kiyoshima-lifts-summer-water-restrictions/",
            ),
            ("/about", "/about/"),
            ("/newsletter", "/newsletter/"),
            ("/newsletter/archive", "/newsletter/archive/"),
            (
                "/search?q=harbour&section=europe",
                "/search/?q=harbour&section=europe",
            ),
            ("/latest?utm_source=mail", "/latest/?utm_source=mail"),
        ] {
            let reply = site.get(old);
            assert_eq!(reply.status, 301, "GET {old}");
            assert_eq!(reply.header("location"), Some(new), "GET {old}");
            assert_eq!(site.get(new).status, 200, "GET {new}");
        }
        // A story renamed before the change: the old slug without its slash
        // reaches the new address in two steps, each permanent.
        let first = site.get("/stories/altmoor-centre-right-in-trouble");
        assert_eq!(first.status, 301);
        let second = site.get(first.header("location").unwrap());
        assert_eq!(second.status, 301);
        assert_eq!(
            second.header("location"),
            Some("/stories/the-quiet-collapse-of-altmoors-centre-right/")
        );
        // Files keep their names; a missing file is not sent looking for a page.
        for file in [
            "/feed.xml",
            "/section/europe/feed.atom",
            "/sitemap.xml",
            "/robots.txt",
        ] {
            assert_eq!(site.get(file).status, 200, "GET {file}");
        }
        assert_eq!(site.get("/favicon.ico").status, 404);
        assert_eq!(site.get("/wp-login.php").status, 404);
        // An address that was never a page still ends at the 404 page.
        let nowhere = site.get("/no-such-page");
        assert_eq!(nowhere.status, 301);
        assert_eq!(site.get("/no-such-page/").status, 404);
        for elsewhere in [
            "//elsewhere.example",
            "/%2F%2Felsewhere.example/x",
            "/\\elsewhere.example/x",
            "/%5Celsewhere.example/x",
        ] {
            let reply = site.get(elsewhere);
            // Sent on, if at all, to a path of this site: `/%2F%2F…` is one.
            if let Some(location) = reply.header("location") {
                let second = location.chars().nth(1);
                assert!(
                    location.starts_with('/')
                        && !matches!(second, Some('/' | '\\'))
                        && !location.to_ascii_lowercase().contains("%5c"),
                    "open redirect: {elsewhere} to {location}"
                );
            } else {
                assert_eq!(reply.status, 404, "{elsewhere}");
            }
        }
        let head = crate::common::http_head(&format!("{}/tag/water", site.url));
        assert_eq!(head.status, 301);
        assert_eq!(head.header("location"), Some("/tag/water/"));
        // The desk's addresses end without one.
        let desk = site.get("/desk/stories/");
        assert_eq!(desk.status, 301);
        assert_eq!(desk.header("location"), Some("/desk/stories"));
        // A form sent from a page a browser kept from before goes on, body and all.
        let signup = crate::common::http_post_form(
            &format!("{}/newsletter", site.url),
            "email=reader%40example.org",
            &[("origin", site.url.as_str())],
        );
        assert_eq!(signup.status, 308);
        assert_eq!(signup.header("location"), Some("/newsletter/"));
    }
);

on_both_backends!(
    deep_listing_pages_show_what_counting_would,
    |backend: Backend| {
        let Some(site) = crate::common::TestSite::start(backend) else {
            return;
        };
        crate::common::block_on(masthead::demo::add_generated_stories(&site.store, 400)).unwrap();
        // Pages past the first few are found by the key of the page before:
        // they must list exactly what counting through the archive lists.
        let now = site.store.clock().now();
        for (base, filter) in [
            ("/latest", masthead::model::StoryFilter::default()),
            (
                "/author/ines-marlow",
                masthead::model::StoryFilter {
                    author_id: crate::common::block_on(site.store.author_by_slug("ines-marlow"))
                        .unwrap()
                        .map(|a| a.id),
                    ..Default::default()
                },
            ),
        ] {
            let everything =
                crate::common::block_on(site.store.stories(&filter, now, 10_000, 0)).unwrap();
            let pages = everything.len().div_ceil(12);
            assert!(pages > 6, "{base}: {} stories", everything.len());
            for page in 1..=pages {
                let path = if page == 1 {
                    format!("{base}/")
                } else {
                    format!("{base}/page/{page}/")
                };
                let html = html_ok(&site, &path);
                let shown: Vec<&str> = html
                    .split("teaser-headline\"><a href=\"/stories/")
                    .skip(1)
                    .filter_map(|rest| rest.split('/').next())
                    .collect();
                let counted: Vec<&str> = everything
                    .iter()
                    .skip((page - 1) * 12)
                    .take(12)
                    .map(|s| s.slug.as_str())
                    .collect();
                assert_eq!(shown, counted, "{path}");
                assert_eq!(html.contains("rel=\"next\""), page < pages, "{path}");
            }
            assert_eq!(site.get(&format!("{base}/page/{}/", pages + 1)).status, 404);
            assert_eq!(site.get(&format!("{base}/page/9999/")).status, 404);
        }
        // ...and the briefs.
        for n in 0..80 {
            crate::common::block_on(masthead::services::publishing::save_brief(
                &site.store,
                None,
                masthead::services::publishing::BriefDraft {
                    headline: format!("Port notice number {n}"),
                    body: masthead::model::Document::from_html("<p>The quay reopens at dawn.</p>"),
                    status: Some(masthead::model::Status::Published),
                    published_at: Some(now - 60 * (n % 7)),
                    ..Default::default()
                },
            ))
            .unwrap();
        }
        let briefs = crate::common::block_on(site.store.briefs(now, 10_000, 0)).unwrap();
        let pages = briefs.len().div_ceil(12);
        assert!(pages > 6, "{} briefs", briefs.len());
        for page in 2..=pages {
            let html = html_ok(&site, &format!("/briefs/page/{page}/"));
            for (i, card) in briefs.iter().enumerate() {
                let on_this_page = i / 12 + 1 == page;
                let link = format!("href=\"/briefs/{}/\"", card.brief.slug);
                assert_eq!(html.contains(&link), on_this_page, "page {page}: {link}");
            }
        }
        assert_eq!(
            site.get(&format!("/briefs/page/{}/", pages + 1)).status,
            404
        );
    }
);
