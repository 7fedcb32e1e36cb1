//! Newsletter sign-ups against a real SMTP server process, on both
//! databases: the double opt-in round trip (the confirmation email read
//! back and parsed independently), one-click unsubscribe as mail providers
//! send it, preferences, the honeypot and the rate limit.

use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use masthead::model::newsletters::SubscriberStatus;

use crate::common::{Backend, SiteOptions, TestSite, block_on, http_post_form};
use crate::on_both_backends;
use crate::smtp::SmtpSink;

/// The first link in a text that starts with `prefix`.
fn link_in(text: &str, prefix: &str) -> String {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    text[at..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .next()
        .unwrap()
        .to_string()
}

on_both_backends!(double_opt_in_round_trip, |backend: Backend| {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let Some(site) = TestSite::start_with(
        backend,
        SiteOptions {
            smtp_url: Some(smtp.url()),
            ..Default::default()
        },
    ) else {
        return;
    };
    let signup = format!("{}/newsletter/", site.url);
    let answer = http_post_form(
        &signup,
        "email=Ann.Reader%40Example.com&name=Ann+Reader&newsletter=weekly&choosing=yes",
        &[],
    );
    assert_eq!(answer.status, 200);
    assert!(answer.text().contains("Check your inbox"));
    let subscriber = block_on(site.store.subscriber_by_email("ann.reader@example.com"))
        .unwrap()
        .expect("recorded");
    assert_eq!(subscriber.status, SubscriberStatus::Pending);
    assert_eq!(
        subscriber.email, "Ann.Reader@example.com",
        "the domain is lowercased"
    );

    // the confirmation, as a mail client sees it
    let raw = smtp.wait_for(1, Duration::from_secs(60)).remove(0);
    let message = MessageParser::default()
        .parse(&raw)
        .expect("a parseable message");
    assert_eq!(
        message.to().unwrap().first().unwrap().address(),
        Some("Ann.Reader@example.com")
    );
    assert!(
        message
            .subject()
            .unwrap()
            .starts_with("Confirm your subscription to")
    );
    assert!(message.message_id().is_some() && message.date().is_some());
    let from = message
        .from()
        .unwrap()
        .first()
        .unwrap()
        .address()
        .unwrap()
        .to_string();
    assert!(from.starts_with("newsletter@"), "{from}");
    assert_eq!(
        message.content_type().map(|c| (c.ctype(), c.subtype())),
        Some(("multipart", Some("alternative")))
    );
    let text = message.body_text(0).expect("a plain-text part").to_string();
    let html = message.body_html(0).expect("an HTML part").to_string();
    assert!(text.contains("Hello Ann Reader"));
    let confirm = link_in(&text, &format!("{}/newsletter/confirm/", site.url));
    assert!(html.contains(&confirm), "the same link in both parts");

    // the link confirms once; a used, tampered or cut link gets a kind page
    let path = confirm.trim_start_matches(&site.url).to_string();
    let confirmed = site.get(&path);
    assert_eq!(confirmed.status, 200);
    assert!(confirmed.text().contains("You are subscribed"));
    assert!(confirmed.text().contains("The weekly round-up"));
    let subscriber = block_on(site.store.subscriber_by_id(&subscriber.id))
        .unwrap()
        .unwrap();
    assert_eq!(subscriber.status, SubscriberStatus::Active);
    assert_eq!(
        block_on(site.store.subscriptions_of(&subscriber.id)).unwrap(),
        ["weekly"]
    );
    for bad in [
        path.clone(),
        path.replace('a', "b"),
        path[..path.len() - 4].to_string(),
    ] {
        let page = site.get(&bad);
        assert_eq!(page.status, 404, "{bad}");
        assert!(page.text().contains("This link does not work"));
    }

    // signing up again while subscribed sends nothing new and says the same
    let again = http_post_form(
        &signup,
        "email=ann.reader%40example.com&newsletter=weekly",
        &[],
    );
    assert_eq!(again.status, 200);
    assert!(again.text().contains("Check your inbox"));

    // preferences and one-click unsubscribe, without an account
    let token = subscriber.manage_token.clone().expect("a manage token");
    let preferences = site.get(&format!("/newsletter/preferences/{token}"));
    assert_eq!(preferences.status, 200);
    assert_eq!(preferences.header("cache-control"), Some("no-store"));
    assert!(preferences.text().contains("Ann.Reader@example.com"));
    let unsubscribe = format!("{}/newsletter/unsubscribe/{token}", site.url);
    assert_eq!(
        site.get(&format!("/newsletter/unsubscribe/{token}")).status,
        200,
        "a GET changes nothing"
    );
    assert_eq!(
        block_on(site.store.subscriber_by_id(&subscriber.id))
            .unwrap()
            .unwrap()
            .status,
        SubscriberStatus::Active
    );
    let one_click = http_post_form(&unsubscribe, "List-Unsubscribe=One-Click", &[]);
    assert_eq!(one_click.status, 200);
    let subscriber = block_on(site.store.subscriber_by_id(&subscriber.id))
        .unwrap()
        .unwrap();
    assert_eq!(subscriber.status, SubscriberStatus::Unsubscribed);
    assert!(
        block_on(site.store.subscriptions_of(&subscriber.id))
            .unwrap()
            .is_empty()
    );
    let history: Vec<String> = block_on(site.store.subscriber_history(&subscriber.id))
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert!(
        history.contains(&"confirmed".to_string()) && history.contains(&"unsubscribed".to_string()),
        "{history:?}"
    );
    assert_eq!(site.get("/newsletter/preferences/not-a-token").status, 404);

    // from any footer: a link to one's choices, by email, for anyone who asks
    assert!(
        site.get("/")
            .text()
            .contains("href=\"/newsletter/manage/\"")
    );
    let manage = format!("{}/newsletter/manage/", site.url);
    let asked = http_post_form(&manage, "email=ann.reader%40example.com", &[]);
    let unknown = http_post_form(&manage, "email=nobody%40example.com", &[]);
    assert_eq!((asked.status, unknown.status), (200, 200));
    assert_eq!(
        asked.text(),
        unknown.text(),
        "it never says who is subscribed"
    );
    // (maildir names do not sort by arrival: find it by its subject)
    let messages = smtp.wait_for(2, Duration::from_secs(60));
    let raw = messages
        .iter()
        .find(|m| {
            MessageParser::default()
                .parse(m)
                .and_then(|p| p.subject().map(|s| s.starts_with("Your newsletters")))
                .unwrap_or(false)
        })
        .expect("the manage link arrived");
    let message = MessageParser::default().parse(raw).unwrap();
    assert_eq!(
        message.to().unwrap().first().unwrap().address(),
        Some("Ann.Reader@example.com")
    );
    let text = message.body_text(0).unwrap().to_string();
    assert!(text.contains(&format!("{}/newsletter/preferences/{token}", site.url)));
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(smtp.messages().len(), 2, "nothing to an unknown address");
});

on_both_backends!(bots_and_floods_are_turned_away, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let signup = format!("{}/newsletter/", site.url);
    // the honeypot: answered like anyone, recorded nowhere
    let bot = http_post_form(
        &signup,
        "email=bot%40example.com&website=http%3A%2F%2Fspam.example",
        &[],
    );
    assert_eq!(bot.status, 200);
    assert!(bot.text().contains("Check your inbox"));
    assert!(
        block_on(site.store.subscriber_by_email("bot@example.com"))
            .unwrap()
            .is_none()
    );
    // a malformed address is named, the input kept
    let bad = http_post_form(&signup, "email=cal%40example&choosing=yes", &[]);
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("does not look like an email address"));
    assert!(bad.text().contains("value=\"cal@example\""));
    // three sign-ups an hour for one address, then a wait
    for _ in 0..3 {
        assert_eq!(
            http_post_form(&signup, "email=dee%40example.com", &[]).status,
            200
        );
    }
    let flood = http_post_form(&signup, "email=dee%40example.com", &[]);
    assert_eq!(flood.status, 429);
    assert!(flood.text().contains("try again in an hour"));
    let wait: i64 = flood.header("retry-after").unwrap().parse().unwrap();
    assert!((3600..=3600 + 240).contains(&wait), "{wait}");
    // no relay: the confirmation waits in the queue, nothing is lost
    let dee = block_on(site.store.subscriber_by_email("dee@example.com"))
        .unwrap()
        .unwrap();
    // (the worker tries it within a moment; a slow machine may take longer)
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let jobs = loop {
        let jobs = block_on(site.store.jobs_of(&dee.id)).unwrap();
        if jobs.iter().any(|j| j.last_error.is_some()) || std::time::Instant::now() > deadline {
            break jobs;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].done_at.is_none());
    assert!(
        jobs[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("no SMTP relay is configured"),
        "{:?}",
        jobs[0].last_error
    );
});

/// A newsletter of the test's own, so that the demo's readers stay out of it.
const TEST_LIST: &str = "test-list";

/// `n` confirmed readers of the test's newsletter: reader-0@example.com, …
fn readers(site: &TestSite, n: usize) -> Vec<String> {
    block_on(
        site.store
            .save_newsletter(&masthead::model::newsletters::Newsletter {
                id: TEST_LIST.into(),
                slug: TEST_LIST.into(),
                name: "The test list".into(),
                description: String::new(),
                sender_name: String::new(),
                sender_email: String::new(),
                reply_to: String::new(),
                offered: false,
                position: 9,
                created_at: 0,
            }),
    )
    .unwrap();
    let rows: Vec<masthead::store::ConfirmedSubscriber> = (0..n)
        .map(|i| masthead::store::ConfirmedSubscriber {
            id: masthead::model::new_id(),
            email: format!("reader-{i}@example.com"),
            name: format!("Reader {i}"),
            manage_token: masthead::services::accounts::secret(),
            subscribed: true,
            since: None,
        })
        .collect();
    block_on(site.store.add_confirmed_subscribers(&rows, TEST_LIST)).unwrap();
    rows.into_iter().map(|r| r.email).collect()
}

/// An issue of the test's newsletter carrying the five newest stories
/// (the demo's own round-up was just sent, so nothing is new since).
fn compose(site: &TestSite) -> masthead::model::newsletters::NewsletterIssue {
    let weekly = block_on(site.store.newsletters())
        .unwrap()
        .into_iter()
        .find(|n| n.id == TEST_LIST)
        .unwrap();
    let (mut issue, _) = block_on(masthead::services::sending::compose_roundup(
        &site.store,
        &weekly,
        None,
    ))
    .unwrap();
    issue.slug = format!("test-{}", issue.id);
    let now = site.store.clock().now();
    let newest = block_on(site.store.stories(&Default::default(), now, 5, 0)).unwrap();
    let items: Vec<_> = newest
        .iter()
        .map(|s| masthead::model::newsletters::IssueItem {
            kind: masthead::model::newsletters::ItemKind::Story,
            piece_id: s.id.clone(),
        })
        .collect();
    block_on(site.store.save_issue(&issue, &items)).unwrap();
    issue
}

/// A site sending through `smtp_url` whose clock the test moves (retries
/// and "since the last issue" come due when it says so).
fn site_on_a_clock(
    backend: Backend,
    smtp_url: String,
) -> Option<(TestSite, masthead::clock::Clock)> {
    let clock = masthead::clock::Clock::manual(masthead::clock::Clock::system().now());
    let site = TestSite::start_with(
        backend,
        SiteOptions {
            smtp_url: Some(smtp_url),
            clock: clock.clone(),
            ..Default::default()
        },
    )?;
    Some((site, clock))
}

/// Composes a round-up and starts sending it; returns the issue.
fn send_roundup(site: &TestSite) -> masthead::model::newsletters::NewsletterIssue {
    let issue = compose(site);
    block_on(masthead::services::sending::start(&site.store, &issue)).unwrap();
    issue
}

/// Recipients of the received messages, each as often as it arrived.
fn recipients(messages: &[Vec<u8>]) -> Vec<String> {
    messages
        .iter()
        .map(|raw| {
            let m = MessageParser::default().parse(raw).unwrap();
            m.to()
                .unwrap()
                .first()
                .unwrap()
                .address()
                .unwrap()
                .to_lowercase()
        })
        .collect()
}

on_both_backends!(
    an_issue_reaches_every_reader_with_its_own_links,
    |backend: Backend| {
        let Some(smtp) = SmtpSink::start() else {
            return;
        };
        let Some(site) = TestSite::start_with(
            backend,
            SiteOptions {
                smtp_url: Some(smtp.url()),
                ..Default::default()
            },
        ) else {
            return;
        };
        let emails = readers(&site, 25);
        let issue = send_roundup(&site);
        let messages = smtp.wait_for(25, Duration::from_secs(60));
        let mut got = recipients(&messages);
        got.sort();
        let mut expected = emails.clone();
        expected.sort();
        assert_eq!(got, expected, "each reader once");
        // the issue is marked sent once the worker finds nothing left
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while block_on(site.store.issue_by_id(&issue.id))
            .unwrap()
            .unwrap()
            .status
            != masthead::model::newsletters::IssueStatus::Sent
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the issue is marked sent"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let progress = block_on(site.store.issue_progress(&issue.id)).unwrap();
        assert_eq!(
            (progress.sent, progress.failed, progress.queued),
            (25, 0, 0)
        );

        // one message, as an independent parser reads it
        let raw = messages
            .iter()
            .find(|m| recipients(&[m.to_vec()])[0] == "reader-3@example.com")
            .unwrap();
        let message = MessageParser::default().parse(raw).unwrap();
        assert!(message.message_id().is_some() && message.date().is_some());
        assert_eq!(message.subject(), Some(issue.subject.as_str()));
        assert_eq!(
            message.content_type().map(|c| (c.ctype(), c.subtype())),
            Some(("multipart", Some("alternative")))
        );
        let header = |name: &str| {
            message
                .header_raw(name)
                .unwrap_or_else(|| panic!("a {name} header"))
                .trim()
                .to_string()
        };
        assert_eq!(
            header("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click"
        );
        assert!(
            header("List-Id").contains("<test-list."),
            "{}",
            header("List-Id")
        );
        let reader = block_on(site.store.subscriber_by_email("reader-3@example.com"))
            .unwrap()
            .unwrap();
        let token = reader.manage_token.clone().unwrap();
        let unsubscribe = header("List-Unsubscribe");
        assert_eq!(
            unsubscribe,
            format!("<{}/newsletter/unsubscribe/{token}>", site.url),
            "each message carries its reader's own link"
        );
        let html = message.body_html(0).unwrap().to_string();
        let text = message.body_text(0).unwrap().to_string();
        let first = block_on(site.store.issue_items(&issue.id))
            .unwrap()
            .remove(0);
        let story = block_on(site.store.story_by_id(&first.piece_id))
            .unwrap()
            .unwrap();
        assert!(
            html.contains(&story.headline.replace('\'', "&#39;")) || html.contains(&story.headline)
        );
        assert!(text.contains(&story.headline));
        assert!(
            html.contains(&format!("{}/stories/{}/", site.url, story.slug)),
            "absolute links"
        );
        assert!(
            html.contains("<table role=\"presentation\""),
            "a table layout for mail clients"
        );
        assert!(html.contains(&format!("/newsletter/preferences/{token}")));

        // the mail provider's one-click unsubscribe, exactly as RFC 8058 has it
        let url = unsubscribe.trim_matches(['<', '>']);
        let reply = http_post_form(url, "List-Unsubscribe=One-Click", &[]);
        assert_eq!(reply.status, 200);
        let reader = block_on(site.store.subscriber_by_id(&reader.id))
            .unwrap()
            .unwrap();
        assert_eq!(reader.status, SubscriberStatus::Unsubscribed);
    }
);

on_both_backends!(
    a_relay_that_defers_then_accepts_and_one_that_refuses_an_address,
    |backend: Backend| {
        let Some(smtp) = SmtpSink::start_with(crate::smtp::Misbehaviour {
            tempfail: 6,
            reject: vec!["reader-7@example.com".into()],
        }) else {
            return;
        };
        let Some((site, clock)) = site_on_a_clock(backend, smtp.url()) else {
            return;
        };
        readers(&site, 12);
        let issue = send_roundup(&site);
        // 12 readers: 6 deferred (451), 1 refused (550), the rest delivered now
        smtp.wait_for(5, Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            smtp.messages().len(),
            5,
            "the deferred ones wait for their retry time"
        );
        // their retry time comes: everything but the refused address arrives
        clock.advance(120);
        let messages = smtp.wait_for(11, Duration::from_secs(60));
        let got = recipients(&messages);
        assert!(!got.contains(&"reader-7@example.com".to_string()));
        assert_eq!(got.len(), 11, "no one twice, no one lost");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let progress = block_on(site.store.issue_progress(&issue.id)).unwrap();
            if (progress.sent, progress.failed, progress.queued) == (11, 1, 0) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{progress:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let refused = block_on(site.store.subscriber_by_email("reader-7@example.com"))
            .unwrap()
            .unwrap();
        assert_eq!(refused.permanent_failures, 1);
        let history = block_on(site.store.subscriber_history(&refused.id)).unwrap();
        assert!(
            history
                .iter()
                .any(|e| e.event == "delivery refused" && e.detail.contains("550")),
            "{history:?}"
        );
    }
);

on_both_backends!(
    a_send_killed_half_way_resumes_without_losing_anyone,
    |backend: Backend| {
        let Some(smtp) = SmtpSink::start() else {
            return;
        };
        // The server here has no relay: only the command line sends.
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let emails = readers(&site, 2000);
        let issue = compose(&site);
        let concurrency = 8;
        let config = site.data_dir().join("send.toml");
        std::fs::write(
            &config,
            format!("[newsletters]\nconcurrency = {concurrency}\nrate = 400\n"),
        )
        .unwrap();
        let send = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_masthead"))
                .args(["newsletter", "send", &issue.id])
                .arg("--config")
                .arg(&config)
                .arg("--data-dir")
                .arg(site.data_dir())
                .args(["--database-url", &site.database_url])
                .args(["--smtp-url", &smtp.url()])
                .args(["--public-url", &site.url])
                .env("MASTHEAD_LOG", "warn")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the binary starts")
        };
        let mut first = send();
        smtp.wait_for(500, Duration::from_secs(60));
        first.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
        first.wait().unwrap();
        let at_kill = smtp.messages().len();
        assert!(at_kill < 2000, "killed part-way ({at_kill} sent)");

        let second = send().wait_with_output().unwrap();
        assert!(
            second.status.success(),
            "the second run finishes: {}",
            String::from_utf8_lossy(&second.stderr)
        );
        let summary = String::from_utf8_lossy(&second.stdout);
        assert!(summary.contains("failed"), "{summary}");
        let stderr = String::from_utf8_lossy(&second.stderr);
        assert!(stderr.contains("2000/2000"), "progress is shown: {stderr}");

        let got = recipients(&smtp.messages());
        let mut counts = std::collections::HashMap::new();
        for to in &got {
            *counts.entry(to.clone()).or_insert(0) += 1;
        }
        for email in &emails {
            assert!(
                counts.contains_key(email),
                "{email} never received the issue"
            );
        }
        let duplicates = got.len() - counts.len();
        assert!(
            duplicates <= concurrency,
            "{duplicates} duplicates, more than the {concurrency} that can be in flight"
        );
        let progress = block_on(site.store.issue_progress(&issue.id)).unwrap();
        assert_eq!((progress.sent, progress.queued), (2000, 0));
    }
);

on_both_backends!(
    the_demo_has_newsletters_readers_and_an_archive,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let newsletters = block_on(site.store.newsletters()).unwrap();
        assert_eq!(newsletters.len(), 2);
        assert!(block_on(site.store.subscriber_count()).unwrap() >= 300);
        let page = site.get("/newsletter/").text();
        assert!(
            page.contains("The weekly round-up") && page.contains("Daily briefs"),
            "a choice on the sign-up page"
        );
        let archive = site.get("/newsletter/archive/");
        assert_eq!(archive.status, 200);
        let issue = block_on(site.store.issues(true, 1)).unwrap().remove(0);
        assert!(archive.text().contains(&issue.subject));
        let web = site.get(&format!("/newsletter/archive/{}/", issue.slug));
        assert_eq!(web.status, 200);
        assert!(web.text().contains("a sea wall that divides an island"));
        // an issue not sent yet has no public web version
        let weekly = newsletters.into_iter().find(|n| n.id == "weekly").unwrap();
        let (draft, items) = block_on(masthead::services::sending::compose_roundup(
            &site.store,
            &weekly,
            None,
        ))
        .unwrap();
        let mut draft = draft;
        draft.slug = "not-sent-yet".into();
        block_on(site.store.save_issue(&draft, &items)).unwrap();
        assert_eq!(site.get("/newsletter/archive/not-sent-yet/").status, 404);
    }
);

on_both_backends!(
    editors_compose_preview_test_and_send_from_the_desk,
    |backend: Backend| {
        let Some(smtp) = SmtpSink::start() else {
            return;
        };
        let Some(site) = TestSite::start_with(
            backend,
            SiteOptions {
                smtp_url: Some(smtp.url()),
                ..Default::default()
            },
        ) else {
            return;
        };
        let editor = crate::newsroom::person(
            &site,
            "mo@example.org",
            "Mo Sandler",
            masthead::model::accounts::Role::Editor,
        );
        let author = crate::newsroom::person(
            &site,
            "ana@example.org",
            "Ana Ruiz",
            masthead::model::accounts::Role::Author,
        );
        assert_eq!(author.get(&site, "/desk/newsletters").status, 403);
        let page = editor.get(&site, "/desk/newsletters").text();
        assert!(page.contains("Mail goes through smtp://127.0.0.1"));
        readers(&site, 3);

        // compose a round-up of the test list, give it a subject and a story
        let composed = editor.post(
            &site,
            &format!("/desk/newsletters/{TEST_LIST}/compose"),
            &[],
        );
        assert_eq!(composed.status, 303, "{}", composed.text());
        let issue_path = crate::newsroom::location_path(&composed);
        // A second round-up the same day: an address and a subject of its own.
        let again = editor.post(
            &site,
            &format!("/desk/newsletters/{TEST_LIST}/compose"),
            &[],
        );
        assert_eq!(again.status, 303, "{}", again.text());
        let second_path = crate::newsroom::location_path(&again);
        assert_ne!(second_path, issue_path);
        let subjects: Vec<String> = [&issue_path, &second_path]
            .iter()
            .map(|path| {
                let page = editor.get(&site, path).text();
                let field = "name=\"subject\" required maxlength=\"200\" value=\"";
                let at = page.find(field).unwrap() + field.len();
                page[at..at + page[at..].find('"').unwrap()].to_string()
            })
            .collect();
        assert_ne!(subjects[0], subjects[1]);
        assert!(subjects[1].ends_with(", issue 2"), "{subjects:?}");
        let activity = editor.get(&site, "/desk/activity").text();
        assert!(
            activity.contains("composed the newsletter issue"),
            "composing is in the activity log"
        );
        let newest =
            block_on(
                site.store
                    .stories(&Default::default(), site.store.clock().now(), 1, 0),
            )
            .unwrap()
            .remove(0);
        let saved = editor.post(
            &site,
            &issue_path,
            &[
                ("subject", "Friday: the estuary reopens"),
                ("preheader", "And more"),
                ("intro", "<p>Good <em>morning</em>.</p>"),
                ("add_story", &newest.id),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.text());
        let preview = editor.get(&site, &format!("{issue_path}/preview"));
        assert_eq!(preview.status, 200);
        assert_eq!(preview.header("x-frame-options"), Some("SAMEORIGIN"));
        // The email's inline styles apply (as in a mail client); nothing in
        // it may run (Chromium logged a CSP error for every styled element).
        let policy = preview.header("content-security-policy").unwrap();
        assert!(policy.contains("style-src 'unsafe-inline'"), "{policy}");
        assert!(
            policy.contains("default-src 'none'") && !policy.contains("script-src"),
            "{policy}"
        );
        assert!(preview.text().contains("Good <em>morning</em>."));
        assert!(
            preview
                .text()
                .contains(&newest.headline.replace('\'', "&#39;"))
        );

        // a test copy to one address
        let test = editor.post(
            &site,
            &format!("{issue_path}/test"),
            &[("address", "desk@example.org")],
        );
        assert_eq!(test.status, 303, "{}", test.text());
        let raw = smtp.wait_for(1, Duration::from_secs(60)).remove(0);
        let message = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            message.subject(),
            Some("[Test] Friday: the estuary reopens")
        );
        assert_eq!(
            message.to().unwrap().first().unwrap().address(),
            Some("desk@example.org")
        );

        // sent for real: the three readers, and the desk follows the counts
        let sent = editor.post(&site, &format!("{issue_path}/send"), &[]);
        assert_eq!(sent.status, 303, "{}", sent.text());
        smtp.wait_for(4, Duration::from_secs(60));
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let progress = editor.get(&site, &format!("{issue_path}/progress"));
            let counts: serde_json::Value = serde_json::from_slice(&progress.body).unwrap();
            if counts["status"] == "sent" {
                assert_eq!(counts["sent"], 3);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{counts}");
            std::thread::sleep(Duration::from_millis(200));
        }
        let done = editor.get(&site, &issue_path).text();
        assert!(done.contains("it no longer changes"));
    }
);

on_both_backends!(
    editors_find_import_and_export_subscribers,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let editor = crate::newsroom::person(
            &site,
            "mo@example.org",
            "Mo Sandler",
            masthead::model::accounts::Role::Editor,
        );
        let author = crate::newsroom::person(
            &site,
            "ana@example.org",
            "Ana Ruiz",
            masthead::model::accounts::Role::Author,
        );
        assert_eq!(author.get(&site, "/desk/subscribers").status, 403);
        let csv = "email,name\nnew.one@example.net,New One\nbroken-address,Someone\nnew.one@example.net,Again\n\nada.marsh0@example.com,Known\nsecond@example.net\n";

        // a dry run reports, line by line, and changes nothing
        let dry = editor.upload_to(
            &site,
            "/desk/subscribers/import",
            "list.csv",
            csv.as_bytes(),
            &[("newsletter", "daily-briefs"), ("dry_run", "yes")],
            false,
        );
        assert_eq!(dry.status, 200, "{}", dry.text());
        let report = dry.text();
        assert!(report.contains("Dry run: nothing was changed"));
        assert!(
            report.contains("2 new would be added; 1 already known"),
            "{report}"
        );
        assert!(
            report.contains("<td>3</td><td>broken-address</td>"),
            "{report}"
        );
        assert!(report.contains("the same address is on line 2"));
        assert!(
            block_on(site.store.subscriber_by_email("new.one@example.net"))
                .unwrap()
                .is_none()
        );

        // the import itself
        let done = editor.upload_to(
            &site,
            "/desk/subscribers/import",
            "list.csv",
            csv.as_bytes(),
            &[("newsletter", "daily-briefs")],
            false,
        );
        assert_eq!(done.status, 200);
        assert!(done.text().contains("2 new were added"));
        let added = block_on(site.store.subscriber_by_email("new.one@example.net"))
            .unwrap()
            .unwrap();
        assert_eq!(added.status, SubscriberStatus::Active);
        assert_eq!(
            block_on(site.store.subscriptions_of(&added.id)).unwrap(),
            ["daily-briefs"]
        );

        // found by search and status; their page shows what they receive
        let found = editor
            .get(&site, "/desk/subscribers?q=new.one&status=active")
            .text();
        assert!(found.contains("new.one@example.net") && !found.contains("second@example.net"));
        let page = editor
            .get(&site, &format!("/desk/subscribers/{}", added.id))
            .text();
        assert!(page.contains("Daily briefs"));

        // the export has everyone, with their status
        let export = editor.get(&site, "/desk/subscribers/export.csv");
        assert_eq!(
            export.header("content-type"),
            Some("text/csv; charset=utf-8")
        );
        let text = export.text();
        assert!(text.starts_with("email,name,status,newsletters"));
        assert!(
            text.contains("new.one@example.net,New One,active,daily-briefs"),
            "{}",
            &text[..300]
        );
        assert_eq!(
            text.lines().count(),
            1 + block_on(site.store.subscriber_count()).unwrap() as usize
        );
    }
);

on_both_backends!(
    a_story_goes_out_as_its_own_email_when_published,
    |backend: Backend| {
        let Some(smtp) = SmtpSink::start() else {
            return;
        };
        let Some(site) = TestSite::start_with(
            backend,
            SiteOptions {
                smtp_url: Some(smtp.url()),
                ..Default::default()
            },
        ) else {
            return;
        };
        readers(&site, 2);
        let editor = crate::newsroom::person(
            &site,
            "mo@example.org",
            "Mo Sandler",
            masthead::model::accounts::Role::Editor,
        );
        let form = editor.get(&site, "/desk/stories/new").text();
        assert!(form.contains("also send it as an email to"));
        let sections = block_on(site.store.sections()).unwrap();
        let authors = block_on(site.store.authors()).unwrap();
        let published = editor.post(
            &site,
            "/desk/stories/new",
            &[
                ("headline", "The lighthouse keeper's last night"),
                ("label", "News"),
                ("section_id", &sections[0].id),
                ("author", &authors[0].id),
                ("body", "The lamp goes automatic at dawn."),
                ("send_to", TEST_LIST),
                ("step", "publish"),
            ],
        );
        assert_eq!(published.status, 303, "{}", published.text());
        let messages = smtp.wait_for(2, Duration::from_secs(60));
        for raw in &messages {
            let message = MessageParser::default().parse(raw).unwrap();
            assert_eq!(
                message.subject(),
                Some("The lighthouse keeper's last night")
            );
            assert!(
                message
                    .body_text(0)
                    .unwrap()
                    .contains("/stories/the-lighthouse-keepers-last-night/")
            );
        }
        // an author may publish, but not mail every subscriber
        let author = crate::newsroom::person(
            &site,
            "ana@example.org",
            "Ana Ruiz",
            masthead::model::accounts::Role::Author,
        );
        assert!(
            !author
                .get(&site, "/desk/stories/new")
                .text()
                .contains("also send it as an email to")
        );
    }
);

on_both_backends!(
    a_relay_that_is_gone_pauses_the_send_and_nothing_is_lost,
    |backend: Backend| {
        // The relay is down when the send starts.
        let port = crate::smtp::free_port();
        let Some((site, clock)) = site_on_a_clock(backend, format!("smtp://127.0.0.1:{port}"))
        else {
            return;
        };
        let emails = readers(&site, 25);
        let issue = send_roundup(&site);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let paused = loop {
            let now = block_on(site.store.issue_by_id(&issue.id))
                .unwrap()
                .unwrap();
            if now.status.as_str() == "paused" {
                break now;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the send pauses ({})",
                now.status.as_str()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let why = paused.last_error.unwrap();
        assert!(
            why.contains("keeps failing") && why.contains("Nothing is lost"),
            "{why}"
        );
        let progress = block_on(site.store.issue_progress(&issue.id)).unwrap();
        assert_eq!((progress.sent, progress.queued), (0, 25));

        // the relay is back; the editor resumes; the retries come due
        let Some(smtp) =
            crate::smtp::SmtpSink::start_on(port, crate::smtp::Misbehaviour::default())
        else {
            return;
        };
        block_on(masthead::services::sending::start(&site.store, &issue)).unwrap();
        clock.advance(3600);
        let mut got = recipients(&smtp.wait_for(25, Duration::from_secs(60)));
        got.sort();
        let mut expected = emails;
        expected.sort();
        assert_eq!(got, expected);
    }
);

on_both_backends!(
    editors_keep_the_newsletters_themselves,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let editor = crate::newsroom::person(
            &site,
            "mo@example.org",
            "Mo Sandler",
            masthead::model::accounts::Role::Editor,
        );
        let bad = editor.post(
            &site,
            "/desk/newsletters/new/settings",
            &[
                ("name", "Sunday long read"),
                ("sender_email", "not an address"),
                ("offered", "yes"),
            ],
        );
        assert_eq!(bad.status, 400);
        assert!(bad.text().contains("is not an email address"));
        assert!(
            bad.text().contains("value=\"Sunday long read\""),
            "the input is kept"
        );
        let added = editor.post(
            &site,
            "/desk/newsletters/new/settings",
            &[
                ("name", "Sunday long read"),
                ("description", "One long piece, every Sunday."),
                ("sender_name", "The Meridian, Sunday"),
                ("sender_email", "sunday@meridian.example"),
                ("reply_to", "letters@meridian.example"),
                ("offered", "yes"),
                ("position", "2"),
            ],
        );
        assert_eq!(added.status, 303, "{}", added.text());
        let signup = site.get("/newsletter/").text();
        assert!(
            signup.contains("Sunday long read"),
            "offered on the sign-up page"
        );
        // no longer offered: gone from the forms, kept for its readers
        let withdrawn = editor.post(
            &site,
            "/desk/newsletters/sunday-long-read/settings",
            &[("name", "Sunday long read"), ("slug", "sunday-long-read")],
        );
        assert_eq!(withdrawn.status, 303);
        assert!(!site.get("/newsletter/").text().contains("Sunday long read"));
        assert_eq!(block_on(site.store.newsletters()).unwrap().len(), 3);
    }
);

on_both_backends!(
    two_round_ups_composed_at_once_both_keep_an_address_of_their_own,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        readers(&site, 1);
        let list = block_on(site.store.newsletters())
            .unwrap()
            .into_iter()
            .find(|n| n.id == TEST_LIST)
            .unwrap();
        // Both look for a free address before either saves: one of them
        // must move on to the next, not fail.
        let (first, second) = block_on(async {
            tokio::join!(
                masthead::services::sending::compose_and_save(&site.store, &list, None),
                masthead::services::sending::compose_and_save(&site.store, &list, None),
            )
        });
        let (first, second) = (first.unwrap().0, second.unwrap().0);
        assert_ne!(first.slug, second.slug);
        assert_ne!(first.subject, second.subject);
    }
);

on_both_backends!(
    a_round_up_carries_the_corrections_since_the_last_issue,
    |backend: Backend| {
        use masthead::model::{NoteKind, StoryNote};
        let Some(smtp) = SmtpSink::start() else {
            return;
        };
        let Some((site, clock)) = site_on_a_clock(backend, smtp.url()) else {
            return;
        };
        readers(&site, 1);
        let now = clock.now();
        let story = block_on(site.store.stories(&Default::default(), now, 1, 0))
            .unwrap()
            .remove(0);
        let update = StoryNote {
            id: "u-recent".into(),
            story_id: story.id.clone(),
            kind: NoteKind::Update,
            noted_at: now - 60,
            body: "The vote has been moved to Thursday.".into(),
        };
        block_on(site.store.save_note(&update)).unwrap();
        // the test newsletter's first issue: the week's corrections (the
        // demo's, on the sea wall story), after the stories
        let first = send_roundup(&site);
        assert!(first.corrections_since.is_some(), "on when there are any");
        let raw = smtp.wait_for(1, Duration::from_secs(60)).remove(0);
        let message = MessageParser::default().parse(&raw).unwrap();
        let html = message.body_html(0).unwrap().to_string();
        let text = message.body_text(0).unwrap().to_string();
        assert!(html.contains("Corrections since the last issue"), "{html}");
        assert!(text.contains("CORRECTIONS SINCE THE LAST ISSUE"), "{text}");
        for body in [&html, &text] {
            assert!(body.contains("nineteen kilometres"), "{body}");
            assert!(
                !body.contains("moved to Thursday"),
                "an update is no correction"
            );
            assert!(body.contains(&format!("{}/corrections/", site.url)));
        }
        assert!(
            html.find("Corrections since").unwrap() > html.find("Read the story").unwrap(),
            "after the stories"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while block_on(site.store.issue_by_id(&first.id))
            .unwrap()
            .unwrap()
            .status
            != masthead::model::newsletters::IssueStatus::Sent
        {
            assert!(std::time::Instant::now() < deadline, "the issue is sent");
            std::thread::sleep(Duration::from_millis(50));
        }
        // its web version keeps them
        let web = site.get(&format!("/newsletter/archive/{}/", first.slug));
        assert_eq!(web.status, 200);
        assert!(web.text().contains("nineteen kilometres"));

        // nothing corrected since: the next round-up has no such section
        clock.advance(3600);
        assert_eq!(compose(&site).corrections_since, None);
        // a correction made since: it is on again, with that one only
        let correction = StoryNote {
            id: "c-recent".into(),
            story_id: story.id.clone(),
            kind: NoteKind::Correction,
            noted_at: clock.now() - 60,
            body: "The bridge opened in 1931, not 1913.".into(),
        };
        block_on(site.store.save_note(&correction)).unwrap();
        let next = compose(&site);
        let since = next.corrections_since.expect("on again");
        let listed = block_on(
            site.store
                .public_corrections(clock.now(), Some(since), 20, 0),
        )
        .unwrap();
        let words: Vec<&str> = listed.iter().map(|c| c.note.body.as_str()).collect();
        assert_eq!(words, ["The bridge opened in 1931, not 1913."]);
    }
);
