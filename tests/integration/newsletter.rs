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
    let signup = format!("{}/newsletter", site.url);
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
    let raw = smtp.wait_for(1, Duration::from_secs(15)).remove(0);
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
});

on_both_backends!(bots_and_floods_are_turned_away, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let signup = format!("{}/newsletter", site.url);
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
    assert_eq!(flood.header("retry-after"), Some("3600"));
    // no relay: the confirmation waits in the queue, nothing is lost
    let dee = block_on(site.store.subscriber_by_email("dee@example.com"))
        .unwrap()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let jobs = block_on(site.store.jobs_of(&dee.id)).unwrap();
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
