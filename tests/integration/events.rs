//! Content events: told once, in the write's own transaction, and only when
//! readers can see the change; Last-Modified from the content itself.

use masthead::clock::Clock;
use masthead::model::{Status, Visibility};
use masthead::services::publishing;
use masthead::store::{ContentChange, Store, StoreError, StoryWrite};

use crate::common::{Backend, TestSite, block_on};
use crate::on_both_backends;

const STORY: &str = "lotsen-straits-ferry-fares-cut-by-a-third";

/// A draft copied from a stored story, with a new headline and status.
fn draft_from(
    site: &TestSite,
    slug: &str,
    headline: &str,
    status: Status,
) -> publishing::StoryDraft {
    block_on(async {
        let card = site.store.story_card_by_slug(slug).await.unwrap().unwrap();
        let story = card.story;
        publishing::StoryDraft {
            headline: headline.into(),
            dek: story.dek,
            label: story.label,
            section_id: story.section_id,
            body: story.body,
            hero_image_id: story.hero_image_id,
            status: Some(status),
            author_ids: card.author_ids,
            tag_ids: card.tag_ids,
            ..Default::default()
        }
    })
}

fn save(
    site: &TestSite,
    existing: Option<&masthead::model::Story>,
    draft: publishing::StoryDraft,
) -> masthead::model::Story {
    block_on(async {
        let settings = site.store.site_settings().await.unwrap();
        publishing::save_story(&site.store, &settings, existing, draft)
            .await
            .unwrap()
    })
}

on_both_backends!(
    changes_readers_cannot_see_leave_the_cache_alone,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let events = site.store.events().clone();
        let mut heard = events.subscribe();
        let page = format!("/stories/{STORY}/");
        let before = site.get(&page);
        let (version, schedule) = (events.version(), events.schedule());

        // a draft, written and edited: nobody can see it
        let draft = draft_from(&site, STORY, "A draft nobody reads yet", Status::Draft);
        let stored = save(&site, None, draft.clone());
        save(
            &site,
            Some(&stored),
            publishing::StoryDraft {
                dek: "Still a draft.".into(),
                ..draft
            },
        );
        assert_eq!(events.version(), version, "drafts do not move the version");
        let event = block_on(heard.recv()).unwrap();
        match &event.change {
            ContentChange::Stories(pieces) => {
                assert_eq!(pieces[0].id, stored.id);
                assert_eq!(
                    (pieces[0].before, pieces[0].after),
                    (Visibility::Hidden, Visibility::Hidden)
                );
            }
            other => panic!("a story event was expected, not {other:?}"),
        }
        assert!(!event.change.is_visible());

        // scheduled for next year, then its body edited before its time
        let when = Clock::system().now() + 365 * 86_400;
        let mut scheduled = draft_from(&site, STORY, "News from next year", Status::Scheduled);
        scheduled.published_at = Some(when);
        let stored = save(&site, None, scheduled.clone());
        assert_eq!(
            events.version(),
            version,
            "nobody sees a scheduled story early"
        );
        assert_eq!(
            events.schedule(),
            schedule + 1,
            "but caches must expire at its time"
        );
        scheduled.body = masthead::model::Document::from_html(&format!(
            "{}<p>One more paragraph.</p>",
            scheduled.body.as_str()
        ));
        save(&site, Some(&stored), scheduled);
        assert_eq!(
            (events.version(), events.schedule()),
            (version, schedule + 1),
            "an edit that moves nothing tells nothing"
        );
        let after = site.get(&page);
        assert_eq!(after.header("etag"), before.header("etag"));

        // a published story edited: every reader sees it
        let card = block_on(site.store.story_card_by_slug(STORY))
            .unwrap()
            .unwrap();
        let mut edit = draft_from(
            &site,
            STORY,
            "Lotsen Straits ferry fares cut again",
            Status::Published,
        );
        edit.published_at = card.story.published_at;
        save(&site, Some(&card.story), edit);
        assert_eq!(events.version(), version + 1);
        let changed = site.get(&page);
        assert_ne!(changed.header("etag"), before.header("etag"));
        assert!(changed.text().contains("ferry fares cut again"));
    }
);

on_both_backends!(
    the_version_moves_with_the_write_or_not_at_all,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let version_in_database = || {
            block_on(async {
                let other = Store::connect(&site.database_url).await.unwrap();
                other.migrate().await.unwrap();
                let v = other.events().version();
                other.close().await;
                v
            })
        };
        let before = version_in_database();
        assert_eq!(before, site.store.events().version());

        // Two stories with one slug: the database refuses the second inside
        // the transaction, so neither the stories nor the version move.
        let card = block_on(site.store.story_card_by_slug(STORY))
            .unwrap()
            .unwrap();
        let mut twin = card.story.clone();
        twin.id = masthead::model::new_id();
        let write = |story: masthead::model::Story| StoryWrite {
            story,
            author_ids: card.author_ids.clone(),
            tag_ids: vec![],
            new_tags: vec![],
            redirect_from: Some("an-old-address".into()),
            publish_at: None,
            edit: None,
            relate: false,
        };
        let mut fresh = card.story.clone();
        fresh.id = masthead::model::new_id();
        fresh.slug = "a-fresh-address".into();
        let result = block_on(site.store.save_stories(&[write(fresh), write(twin)]));
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
        assert_eq!(version_in_database(), before, "nothing was committed");
        assert!(
            block_on(site.store.story_by_slug("a-fresh-address"))
                .unwrap()
                .is_none()
        );
        assert!(
            block_on(
                site.store
                    .redirect_target(masthead::store::SlugKind::Story, "an-old-address")
            )
            .unwrap()
            .is_none(),
            "the redirect rolled back with the save"
        );

        // a committed visible write moves the version in the database too
        let mut edit = card.story.clone();
        edit.dek = "Committed together with its version.".into();
        block_on(site.store.save_stories(&[StoryWrite {
            story: edit,
            author_ids: card.author_ids.clone(),
            tag_ids: card.tag_ids.clone(),
            new_tags: vec![],
            redirect_from: None,
            publish_at: None,
            edit: None,
            relate: false,
        }]))
        .unwrap();
        assert_eq!(version_in_database(), before + 1);
        assert_eq!(site.store.events().version(), before + 1);
    }
);

on_both_backends!(last_modified_comes_from_the_content, |backend: Backend| {
    // The manual clock stands a while in the past, so that the dates it
    // writes are settled seconds when the test asks.
    let clock = Clock::manual(Clock::system().now() - 600);
    let Some(site) = TestSite::start_with_clock(backend, clock.clone()) else {
        return;
    };
    let page = "/latest/";
    let first = site.get(page);
    let modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_string();
    let etag = first.header("etag").unwrap().to_string();
    assert_eq!(
        site.get_with(page, &[("if-modified-since", &modified)])
            .status,
        304
    );
    // RFC 9110 §13.1.3: a tag that no longer matches wins over a date that does
    assert_eq!(
        site.get_with(
            page,
            &[
                ("if-none-match", "W/\"stale\""),
                ("if-modified-since", &modified)
            ]
        )
        .status,
        200
    );

    // A story scheduled a minute ahead changes nothing until its time...
    let mut scheduled = draft_from(&site, STORY, "The harbour opens at dawn", Status::Scheduled);
    scheduled.published_at = Some(clock.now() + 60);
    save(&site, None, scheduled);
    let unchanged = site.get_with(page, &[("if-modified-since", &modified)]);
    assert_eq!(unchanged.status, 304, "not yet due");
    assert_eq!(site.get(page).header("etag"), Some(etag.as_str()));

    // ...and when it comes due, the page and its date move with it.
    clock.advance(61);
    let due = site.get_with(page, &[("if-modified-since", &modified)]);
    assert_eq!(
        due.status, 200,
        "a client revalidating by date sees the change"
    );
    assert!(due.text().contains("The harbour opens at dawn"));
    let new_modified = due.header("last-modified").expect("Last-Modified");
    let parse = |d: &str| httpdate::parse_http_date(d).unwrap();
    assert!(parse(new_modified) > parse(&modified));
});
