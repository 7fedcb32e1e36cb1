//! Changes to content show on the very next request, whatever was cached.

use masthead::clock::Clock;
use masthead::model::Status;
use masthead::services::{publishing, settings};

use crate::common::{Backend, TestSite, block_on};
use crate::on_both_backends;

fn story_draft(site: &TestSite, slug: &str) -> (masthead::model::Story, publishing::StoryDraft) {
    block_on(async {
        let story = site.store.story_by_slug(slug).await.unwrap().unwrap();
        let authors = site
            .store
            .authors_of_stories(std::slice::from_ref(&story.id))
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.author.id)
            .collect();
        let draft = publishing::StoryDraft {
            headline: story.headline.clone(),
            dek: story.dek.clone(),
            label: story.label.clone(),
            section_id: story.section_id.clone(),
            body: story.body.clone(),
            hero_image_id: story.hero_image_id.clone(),
            status: Some(story.status),
            published_at: story.published_at,
            author_ids: authors,
            ..Default::default()
        };
        (story, draft)
    })
}

/// Saves through the publishing service with the site's current settings.
fn save(
    site: &TestSite,
    existing: Option<&masthead::model::Story>,
    draft: publishing::StoryDraft,
) -> Result<masthead::model::Story, publishing::ContentError> {
    block_on(async {
        let settings = site.store.site_settings().await.unwrap();
        publishing::save_story(&site.store, &settings, existing, draft).await
    })
}

on_both_backends!(an_edit_shows_on_the_next_request, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let slug = "lotsen-straits-ferry-fares-cut-by-a-third";
    let path = format!("/stories/{slug}/");
    assert!(site.get(&path).text().contains("cut by a third"));
    assert!(
        site.get("/")
            .text()
            .contains("Lotsen Straits ferry fares cut by a third")
    );

    let (story, mut draft) = story_draft(&site, slug);
    draft.headline = "Lotsen Straits ferry fares cut by half".into();
    save(&site, Some(&story), draft.clone()).unwrap();
    let page = site.get(&path).text();
    assert!(
        page.contains("Lotsen Straits ferry fares cut by half"),
        "story page updated"
    );
    assert!(
        site.get("/")
            .text()
            .contains("Lotsen Straits ferry fares cut by half"),
        "home updated"
    );

    // renaming the slug of a published story: the old URL answers 301
    let (story, mut draft) = story_draft(&site, slug);
    draft.slug = Some("lotsen-ferry-fares-halved".into());
    save(&site, Some(&story), draft).unwrap();
    let old = site.get(&path);
    assert_eq!(old.status, 301);
    assert_eq!(
        old.header("location"),
        Some("/stories/lotsen-ferry-fares-halved/")
    );
    assert_eq!(site.get("/stories/lotsen-ferry-fares-halved/").status, 200);

    // archiving: 410 at once
    let (story, mut draft) = story_draft(&site, "lotsen-ferry-fares-halved");
    draft.status = Some(Status::Archived);
    save(&site, Some(&story), draft).unwrap();
    assert_eq!(site.get("/stories/lotsen-ferry-fares-halved/").status, 410);
    assert!(!site.get("/").text().contains("ferry fares cut by half"));
});

on_both_backends!(a_scheduled_story_appears_when_due, |backend: Backend| {
    let clock = Clock::manual(Clock::system().now());
    let Some(site) = TestSite::start_with_clock(backend, clock.clone()) else {
        return;
    };
    let (_, mut draft) = story_draft(&site, "lotsen-straits-ferry-fares-cut-by-a-third");
    draft.headline = "Ferry timetable for the winter season published".into();
    draft.status = Some(Status::Scheduled);
    draft.published_at = Some(clock.now() + 3600);
    save(&site, None, draft).unwrap();
    let path = "/stories/ferry-timetable-for-the-winter-season-published/";
    assert_eq!(site.get(path).status, 404);
    assert!(
        !site
            .get("/latest/")
            .text()
            .contains("Ferry timetable for the winter")
    );
    clock.advance(3600);
    assert_eq!(site.get(path).status, 200, "due: now public");
    assert!(
        site.get("/latest/")
            .text()
            .contains("Ferry timetable for the winter"),
        "the cached listing was refreshed when the story came due"
    );
});

on_both_backends!(
    scripts_in_markdown_never_reach_the_page,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let (_, mut draft) = story_draft(&site, "lotsen-straits-ferry-fares-cut-by-a-third");
        draft.headline = "A story with hostile markup".into();
        draft.body = masthead::model::Document::from_html(
            "Fine words.\n\n<script>alert('owned')</script>\n\n<a href=\"javascript:alert(1)\" onmouseover=\"alert(2)\">link</a> <img src=x onerror=alert(3) alt=\"x\">",
        );
        draft.status = Some(Status::Published);
        draft.published_at = None;
        save(&site, None, draft).unwrap();
        let page = site.get("/stories/a-story-with-hostile-markup/");
        assert_eq!(page.status, 200);
        let html = page.text();
        assert!(html.contains("Fine words."));
        assert!(!html.contains("alert('owned')"), "script body removed");
        assert!(!html.contains("onmouseover"));
        assert!(!html.contains("onerror"));
        assert!(!html.contains("javascript:alert"));
    }
);

on_both_backends!(publishing_rules_are_enforced, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let (_, draft) = story_draft(&site, "lotsen-straits-ferry-fares-cut-by-a-third");
    let try_save = |d: publishing::StoryDraft| {
        save(&site, None, d)
            .map(|s| s.slug)
            .map_err(|e| e.to_string())
    };
    // same headline: a unique slug is derived
    let mut again = draft.clone();
    again.status = Some(Status::Draft);
    assert_eq!(
        try_save(again).unwrap(),
        "lotsen-straits-ferry-fares-cut-by-a-third-2"
    );
    // an editor's slug that is taken is refused
    let mut taken = draft.clone();
    taken.slug = Some("serenza-votes-to-share-its-harbour-with-a-rival".into());
    assert!(try_save(taken).unwrap_err().contains("already used"));
    // an old (redirecting) slug is taken too
    let mut old = draft.clone();
    old.slug = Some("altmoor-centre-right-in-trouble".into());
    assert!(try_save(old).unwrap_err().contains("already used"));
    let mut bad_label = draft.clone();
    bad_label.label = "Gossip".into();
    assert!(
        try_save(bad_label)
            .unwrap_err()
            .contains("not one of this site's labels")
    );
    let mut no_alt = draft.clone();
    no_alt.body = masthead::model::Document::from_html("<p>Look: <img src=\"/media/x.svg\"></p>");
    assert!(try_save(no_alt).unwrap_err().contains("no alt text"));
    let mut no_authors = draft.clone();
    no_authors.author_ids.clear();
    assert!(
        try_save(no_authors)
            .unwrap_err()
            .contains("at least one author")
    );
    let mut blank = draft;
    blank.headline = "   ".into();
    assert!(
        try_save(blank)
            .unwrap_err()
            .contains("a headline is needed")
    );
});

on_both_backends!(site_settings_shape_every_page, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let (_, mut draft) = story_draft(&site, "lotsen-straits-ferry-fares-cut-by-a-third");
    draft.headline = "A story filed just before midnight".into();
    draft.status = Some(Status::Published);
    // 2026-01-01 23:30 UTC is already 2 January in Tokyo
    draft.published_at = Some(1_767_310_200);
    let mut settings = block_on(site.store.site_settings()).unwrap();
    save(&site, None, draft).unwrap();
    let path = "/stories/a-story-filed-just-before-midnight/";

    settings.timezone = "UTC".into();
    block_on(settings::save(&site.store, &settings)).unwrap();
    let page = site.get(path).text();
    assert!(
        page.contains("<time datetime=\"2026-01-01T23:30:00Z\">1 January 2026</time>"),
        "UTC date"
    );

    settings.timezone = "Asia/Tokyo".into();
    settings.title = "The Evening Meridian".into();
    settings.language = "de-AT".into();
    let logo = masthead::model::Image {
        id: masthead::model::new_id(),
        file: "logo.svg".into(),
        width: 300,
        height: 60,
        alt: "".into(),
        caption: "".into(),
        credit: "".into(),
        ..Default::default()
    };
    block_on(site.store.save_image(&logo)).unwrap();
    settings.logo_image_id = Some(logo.id.clone());
    block_on(settings::save(&site.store, &settings)).unwrap();
    let page = site.get(path).text();
    assert!(
        page.contains(">2 January 2026</time>"),
        "the date in the site's zone"
    );
    assert!(
        page.contains("<title>A story filed just before midnight | The Evening Meridian</title>")
    );
    assert!(page.contains("<img class=\"logo\" src=\"/media/logo.svg\" width=\"300\" height=\"60\" alt=\"The Evening Meridian\">"));

    settings.language = "not a tag".into();
    let err = block_on(settings::save(&site.store, &settings))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a language tag"), "{err}");
    settings.language = "de-AT".into();
    settings.timezone = "Mars/Olympus".into();
    let err = block_on(settings::save(&site.store, &settings))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown time zone"), "{err}");
});

on_both_backends!(
    a_change_from_another_process_shows_within_moments,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let path = "/stories/lotsen-straits-ferry-fares-cut-by-a-third/";
        assert!(site.get(path).text().contains("cut by a third"));
        // A second Store on the same database has its own in-process events,
        // like a CLI command or another instance would.
        let (story, mut draft) = story_draft(&site, "lotsen-straits-ferry-fares-cut-by-a-third");
        let other = block_on(masthead::store::Store::connect(&site.database_url)).unwrap();
        draft.dek = "Written by another process entirely.".into();
        let settings = block_on(other.site_settings()).unwrap();
        block_on(publishing::save_story(
            &other,
            &settings,
            Some(&story),
            draft,
        ))
        .unwrap();
        block_on(other.close());
        // the poll runs every 250 ms; the margin is for a loaded CI machine
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if site
                .get(path)
                .text()
                .contains("Written by another process entirely.")
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the change never showed"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
);

#[test]
fn the_site_survives_postgres_dropping_its_connections() {
    let Some(site) = TestSite::start(Backend::Postgres) else {
        return;
    };
    assert_eq!(site.get("/section/asia/").status, 200);
    let name = site.database_url.rsplit('/').next().unwrap().to_string();
    block_on(async {
        let pool = sqlx::PgPool::connect(&site.database_url.replace(&name, "postgres"))
            .await
            .unwrap();
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&name)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(!killed.is_empty(), "the site had open connections");
        pool.close().await;
    });
    // uncached pages need the database again: the pool reconnects
    for path in ["/section/europe/", "/tag/water/", "/healthz"] {
        assert_eq!(
            site.get(path).status,
            200,
            "GET {path} after the connections died"
        );
    }
    // The notification connection died too: changes made elsewhere still
    // arrive (it listens again, and polls while it cannot).
    let path = "/stories/lotsen-straits-ferry-fares-cut-by-a-third/";
    let (story, mut draft) = story_draft(&site, "lotsen-straits-ferry-fares-cut-by-a-third");
    draft.dek = "Told after the connections came back.".into();
    block_on(async {
        let other = masthead::store::Store::connect(&site.database_url)
            .await
            .unwrap();
        let settings = other.site_settings().await.unwrap();
        publishing::save_story(&other, &settings, Some(&story), draft)
            .await
            .unwrap();
        other.close().await;
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !site
        .get(path)
        .text()
        .contains("Told after the connections came back.")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the change never showed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
