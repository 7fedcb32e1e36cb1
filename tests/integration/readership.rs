//! Readership without cookies: pages report themselves read, over real
//! HTTP; readers who ask not to be counted, robots and prefetches are not;
//! nothing public sets a cookie; the desk's figures match the events sent;
//! two instances add up; raw visits and salts go when they should.

use masthead::model::accounts::Role;
use masthead::model::slug::slugify;

use crate::common::{
    Backend, Instance, Reply, SiteOptions, TestSite, block_on, http_get, http_post,
};
use crate::newsroom::{person, sign_in};
use crate::on_both_backends;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
const RAILWAY: &str = "Kaldmark's coalition bets its future on a single railway";
const HARBOUR: &str = "Serenza votes to share its harbour with a rival";

fn story_path(headline: &str) -> String {
    format!("/stories/{}/", slugify(headline))
}

/// A page's report that it was read, as site.js sends it.
fn report(base: &str, path: &str, referrer: &str, headers: &[(&str, &str)]) -> Reply {
    let body = serde_json::json!({ "path": path, "referrer": referrer }).to_string();
    http_post(
        &format!("{base}/_/view"),
        "text/plain;charset=UTF-8",
        body.as_bytes(),
        headers,
    )
}

/// The CSV export's rows for a day as (page, views, visitors).
fn exported(reply: &Reply) -> Vec<(String, String, i64, i64)> {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mut rows = csv::Reader::from_reader(reply.body.as_slice());
    rows.records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                r[1].to_string(),
                r[3].parse().unwrap(),
                r[4].parse().unwrap(),
            )
        })
        .collect()
}

/// The figure a `<dt>` names on the readership page.
fn total(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("<dt>{name}"))
        .unwrap_or_else(|| panic!("no {name} on the page"));
    let dd = &html[at..];
    let start = dd.find("<dd>").unwrap() + 4;
    dd[start..start + dd[start..].find("</dd>").unwrap()].to_string()
}

on_both_backends!(readers_are_counted_without_cookies, |backend: Backend| {
    let clock = masthead::clock::Clock::manual(masthead::clock::Clock::system().now());
    let Some(site) = TestSite::start_with(
        backend,
        SiteOptions {
            clock: clock.clone(),
            ..Default::default()
        },
    ) else {
        return;
    };
    let railway = story_path(RAILWAY);
    let harbour = story_path(HARBOUR);

    // Pages offer the report, and nothing public sets a cookie.
    let page = site.get(&railway);
    assert!(page.text().contains(r#"data-count="/_/view""#));
    assert!(page.text().contains(&format!(
        r#"<input type="hidden" name="from" value="{railway}">"#
    )));
    for path in [
        "/",
        railway.as_str(),
        "/section/europe/",
        "/briefs/",
        "/about/",
        "/corrections/",
        "/latest/",
        "/newsletter/",
        "/feed.xml",
        "/sitemap.xml",
        "/search/?q=railway",
        "/no-such-page/",
    ] {
        let reply = site.get(path);
        assert!(reply.header("set-cookie").is_none(), "{path} sets a cookie");
    }

    let from_news = "https://www.news.example.com/search?q=kaldmark+railway";
    let reader_a = [("user-agent", FIREFOX)];
    let reader_b = [("user-agent", SAFARI)];
    let counted = [
        report(&site.url, &railway, from_news, &reader_a),
        report(&site.url, &railway, "", &reader_a),
        report(&site.url, &harbour, from_news, &reader_a),
        report(&site.url, &railway, &format!("{}/", site.url), &reader_b),
        // A section's later pages count as the section.
        report(&site.url, "/section/europe/page/2/", "", &reader_b),
    ];
    let not_counted = [
        report(
            &site.url,
            &railway,
            "",
            &[("user-agent", FIREFOX), ("sec-gpc", "1")],
        ),
        report(
            &site.url,
            &railway,
            "",
            &[("user-agent", SAFARI), ("dnt", "1")],
        ),
        report(
            &site.url,
            &railway,
            "",
            &[(
                "user-agent",
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            )],
        ),
        report(&site.url, &railway, "", &[("user-agent", "curl/8.5.0")]),
        report(&site.url, &railway, "", &[]),
        report(
            &site.url,
            &railway,
            "",
            &[("user-agent", FIREFOX), ("sec-purpose", "prefetch")],
        ),
        // Not a page of the site, or not one that is counted.
        report(&site.url, "/stories/no-such-story/", "", &reader_a),
        report(&site.url, "/tag/kaldmark/", "", &reader_a),
        report(&site.url, "/desk/", "", &reader_a),
        // Other spellings of real addresses (they answer 404), and junk.
        report(&site.url, &railway.to_uppercase(), "", &reader_a),
        report(&site.url, "/About/", "", &reader_a),
        report(&site.url, "/section/europe/page/a\u{0}b/", "", &reader_a),
    ];
    for reply in counted.iter().chain(&not_counted) {
        assert_eq!(reply.status, 204, "{}", reply.text());
        assert!(reply.header("set-cookie").is_none());
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    // A sign-up from the railway story's footer form.
    let signup = crate::common::http_post_form(
        &format!("{}/newsletter/", site.url),
        &format!(
            "email=reader%40example.org&from={}",
            railway.replace('/', "%2F")
        ),
        &reader_a,
    );
    assert_eq!(signup.status, 200, "{}", signup.text());
    assert!(signup.header("set-cookie").is_none());
    assert!(site.save_readership() > 0);

    let owner = person(&site, "owner@example.org", "Olga Owner", Role::Owner);
    let desk = owner.get(&site, "/desk/readership?period=7d");
    assert_eq!(desk.status, 200, "{}", desk.text());
    let html = desk.text();
    assert_eq!(total(&html, "Views"), "5");
    assert_eq!(total(&html, "Visitors"), "2");
    assert_eq!(total(&html, "Newsletter sign-ups"), "1");
    assert!(
        html.contains(r#"<div class="chart">"#) && html.contains(r#"role="img""#),
        "a chart"
    );
    assert!(html.contains("news.example.com"), "the referring site");
    assert!(
        !html.contains("kaldmark+railway"),
        "never the full referrer"
    );
    assert!(html.contains("Kaldmark&#39;s coalition bets its future"));

    let today = jiff::Timestamp::from_second(clock.now())
        .unwrap()
        .to_zoned(block_on(site.store.site_settings()).unwrap().time_zone())
        .date()
        .to_string();
    let rows = exported(&owner.get(&site, "/desk/readership.csv?period=7d"));
    let row = |path: &str| {
        rows.iter()
            .find(|r| r.1 == path)
            .unwrap_or_else(|| panic!("{path} in {rows:?}"))
    };
    assert_eq!(row(&railway), &(today.clone(), railway.clone(), 3, 2));
    assert_eq!(row(&harbour), &(today.clone(), harbour.clone(), 1, 1));
    assert_eq!(row("/section/europe/").2, 1);
    assert_eq!(rows.len(), 3, "{rows:?}");

    // The story's own panel in the editor, and its page.
    let story_id = block_on(site.store.story_by_slug(&slugify(RAILWAY)))
        .unwrap()
        .unwrap()
        .id;
    let editor = owner.get(&site, &format!("/desk/stories/{story_id}"));
    assert!(editor.text().contains(r#"id="readers-heading""#));
    let one = owner.get(
        &site,
        &format!("/desk/readership?period=30d&story={story_id}"),
    );
    assert_eq!(total(&one.text(), "Views"), "3");

    // An author sees their own pieces only, and not another's story.
    let author = person(&site, "author@example.org", "Ana Author", Role::Author);
    let mine = author.get(&site, "/desk/readership?period=7d");
    assert_eq!(mine.status, 200);
    assert_eq!(total(&mine.text(), "Views"), "0");
    assert!(!mine.text().contains("news.example.com"));
    let theirs = author.get(&site, &format!("/desk/readership?story={story_id}"));
    assert_eq!(theirs.status, 403, "{}", theirs.text());
    assert!(exported(&author.get(&site, "/desk/readership.csv")).is_empty());

    // The next day the same reader is a new anonymous visitor (a new
    // salt), and yesterday's salt is gone.
    clock.advance(86_400);
    let owner = sign_in(&site, "owner@example.org");
    report(&site.url, &railway, "", &reader_a);
    site.save_readership();
    let (salts, _) = block_on(site.store.readership_kept()).unwrap();
    assert_eq!(salts.len(), 1, "only today's salt is kept: {salts:?}");
    let rows = exported(&owner.get(&site, "/desk/readership.csv?period=7d"));
    let railway_days: Vec<_> = rows.iter().filter(|r| r.1 == railway).collect();
    assert_eq!(railway_days.len(), 2, "{rows:?}");
    assert_eq!((railway_days[1].2, railway_days[1].3), (1, 1));
    let week = owner.get(&site, "/desk/readership?period=7d").text();
    assert_eq!(total(&week, "Views"), "6");
    assert_eq!(total(&week, "Visitors"), "3");
    let year = owner.get(&site, "/desk/readership?period=12m").text();
    assert_eq!(total(&year, "Views"), "6");

    // Past the retention setting, the raw visits go; the totals stay.
    let saved = save_settings(&owner, &site, "1", true);
    assert_eq!(saved.status, 303, "{}", saved.text());
    clock.advance(3 * 86_400);
    let owner = sign_in(&site, "owner@example.org");
    report(&site.url, &harbour, "", &reader_b);
    site.save_readership();
    let (_, oldest) = block_on(site.store.readership_kept()).unwrap();
    let now_day = oldest.expect("today's visit is kept");
    let rows = exported(&owner.get(&site, "/desk/readership.csv?period=7d"));
    assert_eq!(rows.iter().map(|r| r.2).sum::<i64>(), 7, "{rows:?}");
    let (salts, oldest_again) = block_on(site.store.readership_kept()).unwrap();
    assert_eq!(salts.len(), 1);
    assert_eq!(oldest_again, Some(now_day));
    let year = owner.get(&site, "/desk/readership?period=12m").text();
    assert_eq!(total(&year, "Views"), "7", "totals outlive the raw visits");

    // Counting off: the pages stop asking, and reports are not counted.
    let off = save_settings(&owner, &site, "30", false);
    assert_eq!(off.status, 303, "{}", off.text());
    assert!(!site.get(&railway).text().contains("data-count"));
    report(&site.url, &railway, "", &reader_a);
    site.save_readership();
    let year = owner.get(&site, "/desk/readership?period=12m").text();
    assert_eq!(total(&year, "Views"), "7");
    assert!(year.contains("Readers are not being counted now"));
});

/// Saves the settings as the desk's form sends them, with these
/// readership fields.
fn save_settings(
    owner: &crate::newsroom::Person,
    site: &TestSite,
    retention: &str,
    counting: bool,
) -> Reply {
    let s = block_on(site.store.site_settings()).unwrap();
    let mut fields = vec![
        ("title", s.title),
        ("tagline", s.tagline),
        ("language", s.language),
        ("timezone", s.timezone),
        ("date_format", s.date_format),
        ("newsletter_heading", s.newsletter_heading),
        ("newsletter_pitch", s.newsletter_pitch),
        ("accent", s.accent),
        ("feed_full_text", "yes".to_string()),
        ("readership_retention_days", retention.to_string()),
    ];
    if counting {
        fields.push(("count_readers", "yes".to_string()));
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    owner.post(site, "/desk/settings", &fields)
}

on_both_backends!(two_instances_add_up, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let other = Instance::start(&site.database_url, &site.url);
    let railway = story_path(RAILWAY);
    let reader_a = [("user-agent", FIREFOX)];
    let reader_b = [("user-agent", SAFARI)];
    // The same reader on both instances is one visitor; every view counts.
    for _ in 0..20 {
        report(&site.url, &railway, "https://news.example.com/", &reader_a);
        report(&other.url, &railway, "https://news.example.com/", &reader_a);
        report(&other.url, &railway, "", &reader_b);
    }
    // Both save at once, to the same totals.
    std::thread::scope(|s| {
        s.spawn(|| site.save_readership());
        s.spawn(|| other.save_readership());
    });
    let owner = person(&site, "owner@example.org", "Olga Owner", Role::Owner);
    let rows = exported(&owner.get(&site, "/desk/readership.csv?period=7d"));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].2, rows[0].3), (60, 2), "{rows:?}");
    let html = owner.get(&site, "/desk/readership?period=7d").text();
    assert_eq!(total(&html, "Views"), "60");
    assert_eq!(total(&html, "Visitors"), "2");
    assert!(
        html.contains("<td>news.example.com</td><td class=\"num\">40</td>"),
        "{html}"
    );
});

on_both_backends!(
    hostile_reports_and_queries_are_refused,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let ua = [("user-agent", FIREFOX)];
        let post = |body: &[u8], headers: &[(&str, &str)]| {
            http_post(&format!("{}/_/view", site.url), "text/plain", body, headers)
        };
        let bad = post(b"{\"path\": ", &ua);
        assert_eq!(bad.status, 400);
        assert!(bad.text().contains("JSON"), "{}", bad.text());
        let not_a_path = post(br#"{"path": "https://elsewhere.example/"}"#, &ua);
        assert_eq!(not_a_path.status, 400);
        let long = format!(r#"{{"path": "/{}/"}}"#, "a".repeat(1000));
        assert_eq!(post(long.as_bytes(), &ua).status, 400);
        let too_big = post(&vec![b' '; 16 * 1024], &ua);
        assert_eq!(too_big.status, 413, "{}", too_big.text());
        assert!(too_big.text().contains("a few hundred bytes"));
        // A megabyte: refused by its declared size; the client, still
        // writing, may see the connection close first instead.
        if let Ok(reply) = std::panic::catch_unwind(|| post(&vec![b' '; 1024 * 1024], &ua)) {
            assert_eq!(reply.status, 413, "{}", reply.text());
        }
        let cross_site = post(
            br#"{"path": "/"}"#,
            &[
                ("user-agent", FIREFOX),
                ("origin", "https://attacker.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        );
        assert_eq!(cross_site.status, 403, "{}", cross_site.text());
        assert_eq!(http_get(&format!("{}/_/view", site.url), &[]).status, 405);
        assert_eq!(site.save_readership(), 0, "nothing hostile was noted");

        let owner = person(&site, "owner@example.org", "Olga Owner", Role::Owner);
        let period = owner.get(&site, "/desk/readership?period=forever");
        assert_eq!(period.status, 400);
        assert!(period.text().contains("12m"), "{}", period.text());
        assert_eq!(
            owner
                .get(&site, "/desk/readership?story=no-such-story")
                .status,
            404
        );
        let retention = save_settings(&owner, &site, "a week", true);
        assert_eq!(retention.status, 400);
        assert!(retention.text().contains("is not a number of days"));
        let zero = save_settings(&owner, &site, "0", true);
        assert_eq!(zero.status, 400);
        assert!(
            zero.text().contains("between 1 and 3650 days"),
            "{}",
            zero.text()
        );
        // Signed out: the desk's sign-in, never figures.
        let anonymous = site.get("/desk/readership");
        assert_ne!(anonymous.status, 200);
    }
);
