//! The durable job queue: scheduled pieces published by it, at their time
//! (injected clock), once across instances, after downtime too; failures
//! retried with backoff.

use masthead::clock::Clock;
use masthead::config::{Config, Overrides};
use masthead::model::Status;
use masthead::services::publishing;
use masthead::store::Store;

use crate::common::{Backend, TestSite, block_on, drop_postgres_db, fresh_postgres_db};
use crate::on_both_backends;

const MODEL: &str = "lotsen-straits-ferry-fares-cut-by-a-third";

/// Schedules a copy of the model story at `at`; returns its id.
fn schedule(store: &Store, headline: &str, at: i64) -> String {
    block_on(async {
        let model = store.story_card_by_slug(MODEL).await.unwrap().unwrap();
        let settings = store.site_settings().await.unwrap();
        publishing::save_story(
            store,
            &settings,
            None,
            publishing::StoryDraft {
                headline: headline.into(),
                label: model.story.label.clone(),
                section_id: model.story.section_id.clone(),
                body: masthead::model::Document::from_html("Filed ahead of time."),
                author_ids: model.author_ids.clone(),
                status: Some(Status::Scheduled),
                published_at: Some(at),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
    })
}

fn status_of(store: &Store, id: &str) -> Status {
    block_on(store.story_by_id(id)).unwrap().unwrap().status
}

on_both_backends!(
    scheduled_stories_are_published_by_the_queue,
    |backend: Backend| {
        let clock = Clock::manual(Clock::system().now());
        let Some(site) = TestSite::start_with_clock(backend, clock.clone()) else {
            return;
        };
        let store = &site.store;
        let at = clock.now() + 600;
        let id = schedule(store, "Night ferries return in spring", at);
        let jobs = block_on(store.jobs_of(&id)).unwrap();
        assert_eq!(jobs.len(), 1, "one job, enqueued with the save");
        assert_eq!(
            (jobs[0].kind.as_str(), jobs[0].run_at),
            ("publish-story", at)
        );

        // moving the time moves the job; nothing runs early
        let later = at + 300;
        block_on(async {
            let story = store.story_by_id(&id).await.unwrap().unwrap();
            let model = store.story_card_by_slug(MODEL).await.unwrap().unwrap();
            let settings = store.site_settings().await.unwrap();
            publishing::save_story(
                store,
                &settings,
                Some(&story),
                publishing::StoryDraft {
                    headline: story.headline.clone(),
                    label: story.label.clone(),
                    section_id: story.section_id.clone(),
                    body: story.body.clone(),
                    author_ids: model.author_ids.clone(),
                    published_at: Some(later),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        });
        let jobs = block_on(store.jobs_of(&id)).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].run_at, later);
        clock.advance(600);
        assert_eq!(
            block_on(masthead::jobs::run_due(
                &masthead::jobs::JobContext::without_mail(store).unwrap()
            ))
            .unwrap(),
            0
        );
        assert_eq!(status_of(store, &id), Status::Scheduled);

        // at its time the server's worker publishes it, once
        clock.advance(300);
        // (the job is marked done just after the story is saved: wait for both)
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while status_of(store, &id) != Status::Published
            || block_on(store.jobs_of(&id)).unwrap()[0].done_at.is_none()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the worker never published it"
            );
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        let job = &block_on(store.jobs_of(&id)).unwrap()[0];
        assert!(job.done_at.is_some());
        assert_eq!(job.attempts, 1);
        assert_eq!(
            block_on(masthead::jobs::run_due(
                &masthead::jobs::JobContext::without_mail(store).unwrap()
            ))
            .unwrap(),
            0
        );
        let story = block_on(store.story_by_id(&id)).unwrap().unwrap();
        assert_eq!(
            story.published_at,
            Some(later),
            "the date stays the scheduled one"
        );
    }
);

on_both_backends!(a_failing_job_is_retried_with_backoff, |backend: Backend| {
    let clock = Clock::manual(Clock::system().now());
    let Some(site) = TestSite::start_with_clock(backend, clock.clone()) else {
        return;
    };
    let store = &site.store;
    // The site's own worker runs too: whichever claims it, the outcome is
    // one attempt. Neither has a relay, so sending the issue fails.
    let kind = masthead::store::JobKind::SendIssue;
    block_on(store.enqueue_job(kind, "subject-x", clock.now())).unwrap();
    let _ = block_on(masthead::jobs::run_due(
        &masthead::jobs::JobContext::without_mail(store).unwrap(),
    ))
    .unwrap();
    let wait_for = |attempts: i32| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let job = block_on(store.jobs_of("subject-x")).unwrap().remove(0);
            // Claimed and failed: a claim counts the attempt before the
            // failure moves the time on.
            if job.attempts >= attempts && job.last_error.is_some() && job.run_at > clock.now() {
                return job;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "attempt {attempts} never ran"
            );
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
    };
    let job = wait_for(1);
    assert_eq!(job.attempts, 1);
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .contains("no SMTP relay is configured")
    );
    assert_eq!(job.run_at, clock.now() + 60, "tried again in a minute");
    assert!(job.done_at.is_none());
    clock.advance(60);
    let job = wait_for(2);
    assert_eq!(job.run_at, clock.now() + 120, "then in two");
});

#[test]
fn jobs_missed_while_the_server_was_down_run_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("masthead.db").display());
    let clock = Clock::manual(Clock::system().now());
    block_on(async {
        let store = Store::connect_with_clock(&url, clock.clone())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        masthead::demo::fill_if_empty(&store, &local_media(dir.path()))
            .await
            .unwrap();
        // The demo's sent issue records whom it reached.
        let sent = store.issues(true, 10).await.unwrap();
        assert_eq!(sent.len(), 1);
        let progress = store.issue_progress(&sent[0].id).await.unwrap();
        assert!(progress.sent >= 100 && progress.queued == 0, "{progress:?}");
        store.close().await;
    });
    let store = block_on(Store::connect_with_clock(&url, clock.clone())).unwrap();
    let id = schedule(
        &store,
        "Published while nobody was watching",
        clock.now() + 60,
    );
    block_on(store.close());
    clock.advance(3600); // the server was down when it came due
    let config = Config::resolve(Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.path().to_path_buf()),
        database_url: Some(url),
        ..Default::default()
    })
    .unwrap();
    let server = block_on(masthead::server::start_with_clock(&config, false, clock)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while status_of(&server.store, &id) != Status::Published {
        assert!(
            std::time::Instant::now() < deadline,
            "not published at start"
        );
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    // The log names the story by its headline and knows which it is (the
    // job writes it just after the story: under load, a moment later).
    let line = loop {
        let lines = block_on(server.store.activity(10)).unwrap();
        if let Some(line) = lines
            .into_iter()
            .find(|l| l.action == "published on schedule")
        {
            break line;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the scheduled publication is in the activity log"
        );
        std::thread::sleep(std::time::Duration::from_millis(25));
    };
    assert_eq!(line.subject, "Published while nobody was watching");
    assert_eq!(line.target_kind.as_deref(), Some("story"));
    assert_eq!(line.target_id.as_deref(), Some(id.as_str()));
    block_on(server.shutdown()).unwrap();
}

#[test]
fn two_instances_publish_a_story_once() {
    let Some(url) = fresh_postgres_db() else {
        return;
    };
    let clock = Clock::manual(Clock::system().now());
    let (a, b) = block_on(async {
        let a = Store::connect_with_clock(&url, clock.clone())
            .await
            .unwrap();
        a.migrate().await.unwrap();
        let media = tempfile::tempdir().unwrap();
        masthead::demo::fill_if_empty(&a, &local_media(media.path()))
            .await
            .unwrap();
        let b = Store::connect_with_clock(&url, clock.clone())
            .await
            .unwrap();
        b.migrate().await.unwrap();
        (a, b)
    });
    let id = schedule(&a, "Two desks, one story", clock.now() + 60);
    clock.advance(61);
    let (context_a, context_b) = (
        masthead::jobs::JobContext::without_mail(&a).unwrap(),
        masthead::jobs::JobContext::without_mail(&b).unwrap(),
    );
    let (ran_a, ran_b) = block_on(async {
        tokio::join!(
            masthead::jobs::run_due(&context_a),
            masthead::jobs::run_due(&context_b)
        )
    });
    let ran = ran_a.unwrap() + ran_b.unwrap();
    let job = &block_on(a.jobs_of(&id)).unwrap()[0];
    assert_eq!(job.attempts, 1, "claimed once");
    assert!(job.done_at.is_some());
    assert!(
        ran >= 1,
        "due jobs ran (the demo's own scheduled story may be one)"
    );
    let published: Vec<_> = block_on(a.activity(100))
        .unwrap()
        .into_iter()
        .filter(|row| {
            row.action == "published on schedule" && row.target_id.as_deref() == Some(id.as_str())
        })
        .collect();
    assert_eq!(published.len(), 1, "published once");
    assert_eq!(status_of(&a, &id), Status::Published);
    block_on(async {
        a.close().await;
        b.close().await;
    });
    drop_postgres_db(&url);
}

fn local_media(dir: &std::path::Path) -> std::sync::Arc<dyn masthead::storage::MediaStorage> {
    std::sync::Arc::new(masthead::storage::LocalDisk::new(
        dir.join("media"),
        dir.join("originals"),
    ))
}
