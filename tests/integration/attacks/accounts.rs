//! Accounts: guessing passwords all at once, locking an editor out on
//! purpose, links that outlive their use, secrets in the logs.

use std::io::{Read, Write};
use std::time::Duration;

use masthead::model::accounts::Role;
use masthead::services::accounts;

use super::Served;
use crate::common::{Backend, TestSite, block_on};
use crate::newsroom::{PASSWORD, enc, person};
use crate::on_both_backends;

/// A sign-in form sent from `from` (an address of this machine's loopback
/// network, 127.0.0.1 to 127.255.255.254): the status it was answered with.
fn sign_in_from(site_url: &str, from: &str, email: &str, password: &str) -> u16 {
    sign_in_through(site_url, from, "", email, password)
}

/// As `sign_in_from`, with an X-Forwarded-For header (as a proxy sends it).
fn sign_in_through(
    site_url: &str,
    from: &str,
    forwarded: &str,
    email: &str,
    password: &str,
) -> u16 {
    let address: std::net::SocketAddr = site_url.trim_start_matches("http://").parse().unwrap();
    let stream = block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
        socket.connect(address).await.unwrap().into_std().unwrap()
    });
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = format!("email={}&password={}", enc(email), enc(password));
    let mut stream = stream;
    let forwarded = if forwarded.is_empty() {
        String::new()
    } else {
        format!("X-Forwarded-For: {forwarded}\r\n")
    };
    write!(
        stream,
        "POST /desk/login HTTP/1.1\r\nHost: {address}\r\n{forwarded}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn owner(site: &TestSite) -> &'static str {
    person(site, "owner@example.org", "Orla Owner", Role::Owner);
    "owner@example.org"
}

on_both_backends!(
    /// 150 guesses sent at once from one address (149 wrong, then the
    /// right one) were all checked, and the last one signed in: the count
    /// was read before the check and written after it.
    guesses_sent_at_once_are_counted_one_by_one,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let email = owner(&site);
        let guesses: Vec<_> = (0..149)
            .map(|i| {
                let url = site.url.clone();
                std::thread::spawn(move || {
                    sign_in_from(&url, "127.0.0.1", email, &format!("guess number {i}"))
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(50));
        let right = sign_in_from(&site.url, "127.0.0.1", email, PASSWORD);
        let statuses: Vec<u16> = guesses.into_iter().map(|g| g.join().unwrap()).collect();
        let checked = statuses.iter().filter(|&&s| s == 401).count();
        assert!(
            checked <= accounts::PER_ACCOUNT_AND_CLIENT.max as usize,
            "{checked} guesses were checked"
        );
        assert!(statuses.iter().all(|&s| s == 401 || s == 429), "{statuses:?}");
        assert_eq!(right, 429, "the right password waits its turn like the rest");
    }
);

/// The limits live in the database: guesses spread over two instances of
/// one PostgreSQL database still count together.
#[test]
fn guesses_spread_over_two_instances_count_together() {
    let Some(site) = TestSite::start(Backend::Postgres) else {
        return;
    };
    let email = owner(&site);
    let other = crate::common::Instance::start(&site.database_url, &site.url);
    let guesses: Vec<_> = (0..40)
        .map(|i| {
            let url = if i % 2 == 0 {
                site.url.clone()
            } else {
                other.url.clone()
            };
            std::thread::spawn(move || {
                sign_in_from(&url, "127.0.0.1", email, &format!("guess {i}"))
            })
        })
        .collect();
    let statuses: Vec<u16> = guesses.into_iter().map(|g| g.join().unwrap()).collect();
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    assert!(
        checked <= accounts::PER_ACCOUNT_AND_CLIENT.max as usize,
        "{checked} of 40 guesses over two instances were checked"
    );
}

on_both_backends!(
    /// Five wrong passwords from anywhere locked any account, the owner's
    /// included, for fifteen minutes: a stranger could shut the editor out
    /// during breaking news.
    a_stranger_cannot_lock_an_editor_out,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let email = owner(&site);
        // One address guesses: five are checked, then it waits.
        let from_one: Vec<u16> = (0..8)
            .map(|i| sign_in_from(&site.url, "127.0.0.2", email, &format!("guess {i}")))
            .collect();
        assert_eq!(&from_one[..5], &[401; 5]);
        assert_eq!(&from_one[5..], &[429; 3]);
        // The editor, at their own address, is not held up.
        assert_eq!(sign_in_from(&site.url, "127.0.0.1", email, PASSWORD), 303);

        // Many addresses together pass the account's ceiling: from then on
        // each address has only its first try, and the editor still signs in.
        let ceiling = accounts::PER_ACCOUNT.max as usize;
        let mut checked = 0;
        for n in 0..ceiling + 10 {
            let from = format!("127.0.{}.{}", 1 + n / 200, 10 + n % 200);
            let first = sign_in_from(&site.url, &from, email, "a guess");
            let second = sign_in_from(&site.url, &from, email, "another guess");
            assert_eq!(first, 401, "an address's first try is checked ({n})");
            checked += 1 + usize::from(second == 401);
            if n >= ceiling {
                assert_eq!(second, 429, "past the ceiling, one try an address ({n})");
            }
        }
        assert!(checked < 2 * (ceiling + 10));
        assert_eq!(sign_in_from(&site.url, "127.0.0.1", email, PASSWORD), 303);
    }
);

on_both_backends!(
    /// Behind the reverse proxy every request came from the proxy's own
    /// address, so one stranger's guesses held back everyone behind it. A
    /// trusted proxy's X-Forwarded-For now names the client; anyone else's
    /// is ignored, so a guesser cannot shed the count by inventing hops.
    behind_a_trusted_proxy_each_client_is_counted_apart,
    |backend: Backend| {
        let Some(site) = TestSite::start_with(
            backend,
            crate::common::SiteOptions {
                trusted_proxies: vec!["127.0.0.5".into()],
                ..Default::default()
            },
        ) else {
            return;
        };
        let email = owner(&site);
        let proxy = "127.0.0.5";
        let guesses: Vec<u16> = (0..6)
            .map(|i| sign_in_through(&site.url, proxy, "203.0.113.1", email, &format!("guess {i}")))
            .collect();
        assert_eq!(guesses, [401, 401, 401, 401, 401, 429]);
        assert_eq!(sign_in_through(&site.url, proxy, "203.0.113.2", email, PASSWORD), 303);
        // A made-up hop before the real one changes nothing.
        assert_eq!(
            sign_in_through(&site.url, proxy, "198.51.100.9, 203.0.113.1", email, PASSWORD),
            429
        );
        // Not a trusted proxy: the header is ignored, the peer is counted.
        let untrusted: Vec<u16> = (0..6)
            .map(|i| {
                let forwarded = format!("192.0.2.{i}");
                sign_in_through(&site.url, "127.0.0.6", &forwarded, email, "a guess")
            })
            .collect();
        assert_eq!(untrusted, [401, 401, 401, 401, 401, 429]);
    }
);

on_both_backends!(
    /// Two reset links were made; the password was set with the first, and
    /// the second still worked.
    setting_a_password_ends_every_other_link,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let email = owner(&site);
        let link = |_| {
            let (_, token) =
                block_on(accounts::reset_link(&site.store, accounts::Actor::CommandLine, email))
                    .unwrap();
            masthead::urls::desk_password(&token)
        };
        let (first, second) = (link(1), link(2));
        let body = format!(
            "password={}&repeated={}",
            enc("a fresh password for winter"),
            enc("a fresh password for winter")
        );
        let set = crate::common::http_post_form(&format!("{}{first}", site.url), &body, &[]);
        assert_eq!(set.status, 303);
        assert_eq!(site.get(&second).status, 404, "the other link is dead");
        let again = crate::common::http_post_form(
            &format!("{}{second}", site.url),
            &body.replace("winter", "spring"),
            &[],
        );
        assert_eq!(again.status, 404);
    }
);

/// One-time links (`/desk/password/<token>`, preview links, a reader's
/// confirmation and preferences links) were written into the request log.
#[test]
fn one_time_tokens_stay_out_of_the_request_log() {
    let mut served = Served::start_logging();
    let store = block_on(masthead::store::Store::connect(&served.database_url())).unwrap();
    let (_, token) = block_on(accounts::add_user(
        &store,
        accounts::Actor::CommandLine,
        "new@example.org",
        "New Person",
        Role::Author,
    ))
    .unwrap();
    block_on(store.close());
    let fake = "0123456789abcdef".repeat(4);
    for path in [
        masthead::urls::desk_password(&token),
        format!("/desk/preview/{fake}"),
        format!("/newsletter/confirm/{fake}"),
        format!("/newsletter/preferences/{fake}"),
        format!("/newsletter/unsubscribe/{fake}"),
        format!("/ghost/api/content/posts/?key={fake}"),
    ] {
        let reply = crate::common::http_get(&format!("{}{path}", served.url), &[]);
        assert_ne!(reply.status, 0);
    }
    let log = served.stop();
    assert!(
        log.contains("/desk/password/"),
        "requests are logged: {log}"
    );
    assert!(!log.contains(&token), "{log}");
    assert!(!log.contains(&fake), "{log}");
}
