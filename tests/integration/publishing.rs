//! The publishing rules, through the service on both databases, with an
//! injected clock: stories and briefs follow one life cycle.

use masthead::clock::Clock;
use masthead::model::Status;
use masthead::services::publishing::{self, BriefDraft, ContentError};
use masthead::store::SlugKind;

use crate::common::{Backend, TestSite, block_on};
use crate::on_both_backends;

fn brief(headline: &str, status: Option<Status>, at: Option<i64>) -> BriefDraft {
    BriefDraft {
        headline: headline.into(),
        body: masthead::model::Document::from_html("A short item about the harbour."),
        status,
        published_at: at,
        ..Default::default()
    }
}

fn field_of(error: ContentError) -> &'static str {
    match error {
        ContentError::Invalid { field, .. } => field,
        other => panic!("a rule was expected to refuse this, not {other}"),
    }
}

on_both_backends!(
    stories_and_briefs_follow_one_life_cycle,
    |backend: Backend| {
        let clock = Clock::manual(Clock::system().now());
        let Some(site) = TestSite::start_with_clock(backend, clock.clone()) else {
            return;
        };
        let store = &site.store;
        let save = |existing, draft| block_on(publishing::save_brief(store, existing, draft));

        // saved without a status, a brief is a draft (as a story is)
        let draft = save(None, brief("Ferry strike called off", None, None)).unwrap();
        assert_eq!(draft.status, Status::Draft);
        assert_eq!(site.get("/briefs/ferry-strike-called-off/").status, 404);

        // scheduling needs a time, and one still to come
        let no_time = save(None, brief("No time given", Some(Status::Scheduled), None));
        assert_eq!(field_of(no_time.unwrap_err()), "published_at");
        let past = save(
            None,
            brief("Too late", Some(Status::Scheduled), Some(clock.now() - 60)),
        );
        assert_eq!(field_of(past.unwrap_err()), "published_at");
        let future = save(
            None,
            brief(
                "Published ahead of time",
                Some(Status::Published),
                Some(clock.now() + 60),
            ),
        );
        assert_eq!(field_of(future.unwrap_err()), "published_at");

        // a scheduled brief appears when the clock reaches its time
        let at = clock.now() + 600;
        let scheduled = save(
            Some(&draft),
            brief("Ferry strike called off", Some(Status::Scheduled), Some(at)),
        )
        .unwrap();
        assert_eq!(scheduled.published_at, Some(at));
        assert_eq!(site.get("/briefs/ferry-strike-called-off/").status, 404);
        clock.advance(599);
        assert_eq!(site.get("/briefs/ferry-strike-called-off/").status, 404);
        clock.advance(1);
        assert_eq!(site.get("/briefs/ferry-strike-called-off/").status, 200);
        assert!(
            site.get("/briefs/")
                .text()
                .contains("Ferry strike called off")
        );

        // the same rule for stories
        let story = block_on(
            site.store
                .story_card_by_slug("lotsen-straits-ferry-fares-cut-by-a-third"),
        )
        .unwrap()
        .unwrap();
        let settings = block_on(store.site_settings()).unwrap();
        let result = block_on(publishing::save_story(
            store,
            &settings,
            None,
            publishing::StoryDraft {
                headline: "A story with no time".into(),
                label: story.story.label.clone(),
                section_id: story.story.section_id.clone(),
                author_ids: story.author_ids.clone(),
                status: Some(Status::Scheduled),
                ..Default::default()
            },
        ));
        assert_eq!(field_of(result.unwrap_err()), "published_at");
    }
);

on_both_backends!(
    slugs_follow_headlines_until_readers_see_them,
    |backend: Backend| {
        let clock = Clock::manual(Clock::system().now());
        let Some(site) = TestSite::start_with_clock(backend, clock.clone()) else {
            return;
        };
        let store = &site.store;
        let save =
            |existing, draft| block_on(publishing::save_brief(store, existing, draft)).unwrap();
        let redirect = |slug: &str| block_on(store.redirect_target(SlugKind::Brief, slug)).unwrap();

        let first = save(None, brief("Tram fares frozen", None, None));
        assert_eq!(first.slug, "tram-fares-frozen");
        let retitled = save(
            Some(&first),
            brief("Tram fares frozen for a year", None, None),
        );
        assert_eq!(
            retitled.slug, "tram-fares-frozen-for-a-year",
            "a draft's slug follows its headline"
        );
        assert_eq!(
            redirect("tram-fares-frozen"),
            None,
            "nobody saw the first address"
        );

        let published = save(
            Some(&retitled),
            brief(
                "Tram fares frozen for a year",
                Some(Status::Published),
                None,
            ),
        );
        assert_eq!(published.published_at, Some(clock.now()));
        let edited = save(
            Some(&published),
            brief("Vessen freezes tram fares for a year", None, None),
        );
        assert_eq!(edited.slug, published.slug, "readers' links keep working");
        assert_eq!(edited.status, Status::Published, "an edit keeps the status");
        assert_eq!(edited.published_at, published.published_at, "and the date");

        let renamed = save(
            Some(&edited),
            BriefDraft {
                slug: Some("vessen-tram-fares".into()),
                ..brief("Vessen freezes tram fares for a year", None, None)
            },
        );
        assert_eq!(
            redirect("tram-fares-frozen-for-a-year").as_deref(),
            Some(renamed.id.as_str()),
            "the old address was recorded with the save"
        );
        let old = site.get("/briefs/tram-fares-frozen-for-a-year/");
        assert_eq!(old.status, 301);
        assert_eq!(old.header("location"), Some("/briefs/vessen-tram-fares/"));
    }
);
