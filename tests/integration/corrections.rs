//! Corrections in the open: every standing correction on one public page
//! and in its feeds, in each story's JSON-LD, linked from every page.

use masthead::model::slug::slugify;
use masthead::model::{NoteKind, StoryNote};

use crate::common::{Backend, TestSite, block_on};
use crate::on_both_backends;

/// The JSON-LD documents of a page, parsed.
fn json_ld(html: &str) -> Vec<serde_json::Value> {
    html.split(r#"<script type="application/ld+json">"#)
        .skip(1)
        .map(|s| serde_json::from_str(s.split("</script>").next().unwrap()).unwrap())
        .collect()
}

fn note(id: &str, story_id: &str, kind: NoteKind, noted_at: i64, body: &str) -> StoryNote {
    StoryNote {
        id: id.into(),
        story_id: story_id.into(),
        kind,
        noted_at,
        body: body.into(),
    }
}

on_both_backends!(corrections_are_listed_in_the_open, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let store = &site.store;
    let story_id = |headline: &str| {
        block_on(store.story_by_slug(&slugify(headline)))
            .unwrap()
            .unwrap_or_else(|| panic!("no story {headline:?}"))
            .id
    };
    let railway = "Kaldmark's coalition bets its future on a single railway";
    let public = story_id(railway);
    let scheduled = story_id("Serenza's budget: what the numbers will tell us");
    let archived = story_id("Kaldmark's transport minister to resign, sources say");
    let now = store.clock().now();
    let day = 86_400;
    for n in [
        note(
            "c-new",
            &public,
            NoteKind::Correction,
            now - day,
            "The line is 212 km long, not 221 km.",
        ),
        note(
            "c-old",
            &public,
            NoteKind::Correction,
            now - 400 * day,
            "An earlier version misspelt the minister's name.",
        ),
        note(
            "u-1",
            &public,
            NoteKind::Update,
            now - 2 * day,
            "The vote has been moved to Thursday.",
        ),
        note(
            "c-embargo",
            &scheduled,
            NoteKind::Correction,
            now - day,
            "A figure for the embargoed budget.",
        ),
        note(
            "c-withdrawn",
            &archived,
            NoteKind::Correction,
            now - day,
            "A note on a withdrawn report.",
        ),
        note(
            "c-gone",
            &public,
            NoteKind::Correction,
            now - 3 * day,
            "Wording an editor later removed.",
        ),
    ] {
        block_on(store.save_note(&n)).unwrap();
    }
    block_on(store.replace_note(&public, "c-gone", None, "someone")).unwrap();

    let reply = site.get("/corrections/");
    assert_eq!(reply.status, 200);
    let html = reply.text();
    let at = |words: &str| html.find(words).unwrap_or(usize::MAX);
    // the demo's own correction (on the sea wall story) is hours old
    let listed = [
        at("nineteen kilometres"),
        at("212 km long"),
        at("misspelt the minister"),
    ];
    assert!(
        listed[0] < listed[1] && listed[1] < listed[2] && listed[2] != usize::MAX,
        "every public correction, newest first: {listed:?} {html}"
    );
    for hidden in [
        "moved to Thursday",
        "embargoed budget",
        "withdrawn report",
        "Wording an editor later removed",
    ] {
        assert!(
            !html.contains(hidden),
            "{hidden:?} is not a public correction"
        );
    }
    // each links to the correction at the foot of its story
    let anchor = format!("/stories/{}/#note-c-new", slugify(railway));
    assert!(html.contains(&format!(r#"href="{anchor}""#)), "{html}");
    let story = site.get(&anchor.replace("#note-c-new", "")).text();
    assert!(story.contains(r#"id="note-c-new""#));
    // the story's JSON-LD carries its corrections and not its updates
    let article = json_ld(&story)
        .into_iter()
        .find(|d| d["@type"] == "NewsArticle")
        .unwrap();
    let corrections = article["correction"].as_array().expect("correction");
    assert_eq!(corrections.len(), 2, "{corrections:?}");
    for c in corrections {
        assert_eq!(c["@type"], "CorrectionComment");
        assert!(c["datePublished"].as_str().unwrap().ends_with('Z'));
    }
    assert!(
        corrections
            .iter()
            .any(|c| c["text"] == "The line is 212 km long, not 221 km.")
    );
    // linked from every page's footer, and from the About page's policy
    for path in ["/", &anchor.replace("#note-c-new", ""), "/about/"] {
        assert!(
            site.get(path)
                .text()
                .contains(r#"<a href="/corrections/">Corrections</a>"#),
            "{path}"
        );
    }
    assert!(
        site.get("/about/")
            .text()
            .contains(r#"href="/corrections/">Every correction"#)
    );
    // the feeds: one entry a correction, the newest first
    let rss = site.get("/corrections/feed.xml");
    assert_eq!(rss.status, 200);
    let rss = rss.text();
    let first = rss.find("nineteen kilometres").expect("in the feed");
    assert!(first < rss.find("212 km long").expect("in the feed"));
    assert!(!rss.contains("moved to Thursday"));
    assert!(
        rss.contains("<title>Correction: Kaldmark&#39;s coalition"),
        "{rss}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&site.get("/corrections/feed.json").text()).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 3);
    assert_eq!(site.get("/corrections/feed.atom").status, 200);
    // pages: 12 a page, the next one linked; past the end is 404
    for i in 0..12 {
        let n = note(
            &format!("c-{i}"),
            &public,
            NoteKind::Correction,
            now - 10 * day - i,
            "Another slip.",
        );
        block_on(store.save_note(&n)).unwrap();
    }
    let first_page = site.get("/corrections/").text();
    assert!(first_page.contains(r#"href="/corrections/page/2/" rel="next""#));
    let second = site.get("/corrections/page/2/");
    assert_eq!(second.status, 200);
    let second = second.text();
    assert!(
        second.contains("misspelt the minister"),
        "the oldest on page 2"
    );
    assert!(!second.contains("212 km long"));
    assert_eq!(site.get("/corrections/page/3/").status, 404);
    assert_eq!(site.get("/corrections/page/1/").status, 301);
    assert_eq!(site.get("/corrections/page/x/").status, 400);
});

// A note's id comes from the desk (a UUID) or from a restored backup,
// which can hold anything: its link must still be one address.
on_both_backends!(an_odd_note_id_still_makes_one_link, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let railway = "Kaldmark's coalition bets its future on a single railway";
    let story = block_on(site.store.story_by_slug(&slugify(railway)))
        .unwrap()
        .unwrap();
    let now = site.store.clock().now();
    let odd = note(
        "x 1\"%<b>#",
        &story.id,
        NoteKind::Correction,
        now,
        "A figure was wrong.",
    );
    block_on(site.store.save_note(&odd)).unwrap();
    let html = site.get("/corrections/").text();
    // the anchor one token (escaped), the link naming it (its % escaped)
    let link = format!(
        "/stories/{}/#note-x%25201%2522%2525%253Cb%253E%2523",
        slugify(railway)
    );
    assert!(html.contains(&format!(r#"href="{link}""#)), "{html}");
    let rss = site.get("/corrections/feed.xml").text();
    assert!(rss.contains(&link), "{rss}");
    let page = site.get(&format!("/stories/{}/", slugify(railway))).text();
    assert!(
        page.contains(r#"id="note-x%201%22%25%3Cb%3E%23""#),
        "{page}"
    );
});
