//! No single request may take the site down or freeze it: deep markup,
//! bodies sent before anyone signed in, slow clients.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use masthead::model::accounts::Role;
use serde_json::json;

use super::{Served, admin_key, ghost_auth};
use crate::common::{Backend, TestSite, block_on, http_get, http_send};
use crate::newsroom::person;
use crate::on_both_backends;

/// `<div>` three thousand deep once overflowed a worker's stack in the
/// HTML-to-Markdown conversion, before any permission check, and took the
/// whole process with it.
#[test]
fn nested_html_through_the_admin_api_cannot_crash_the_server() {
    let mut served = Served::start();
    let key = served.admin_key(Role::Contributor);
    let now = jiff::Timestamp::now().as_second();
    for html in [
        format!("{}x", "<div>".repeat(3000)),
        format!("{}x", "<blockquote>".repeat(3000)),
        format!("{}x", "<ul><li>".repeat(3000)),
        format!("{}x", "<b><i>".repeat(5000)),
    ] {
        let reply = http_send(
            "POST",
            &format!("{}/ghost/api/admin/posts/?source=html", served.url),
            Some((
                "application/json",
                json!({"posts": [{"title": "Deep", "html": html}]})
                    .to_string()
                    .as_bytes(),
            )),
            &[("authorization", &ghost_auth(now, &key))],
        );
        assert!(served.alive(), "the server died on {} bytes", html.len());
        assert_eq!(reply.status, 422, "{}", reply.text());
        assert!(
            reply.text().contains("nested"),
            "the refusal says why: {}",
            reply.text()
        );
    }
    assert_eq!(
        http_get(&format!("{}/healthz", served.url), &[]).status,
        200
    );
    let log = served.stop();
    assert!(!log.contains("overflowed"), "{log}");
}

on_both_backends!(
    /// A preview of deeply nested Markdown or HTML took 28 seconds (`> ` a
    /// hundred thousand times) on the request threads; two at once stalled
    /// every other request.
    deep_bodies_are_refused_quickly_and_hold_no_one_up,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let writer = person(&site, "deep@example.org", "Dee Pest", Role::Contributor);
        // As the desk's editor sends bodies: HTML. (Markdown nested as
        // deep is held to the same limits: see the document tests.)
        let deep_bodies = [
            "<blockquote>".repeat(50_000),
            "<ol><li>".repeat(20_000),
            "<ul><li>".repeat(20_000) + "x",
            "<div>".repeat(30_000),
        ];
        for body in &deep_bodies[..] {
            let started = Instant::now();
            let reply = writer.post(
                &site,
                "/desk/stories/preview",
                &[("headline", "Deep"), ("body", body)],
            );
            let took = started.elapsed();
            assert!(
                took < Duration::from_secs(2),
                "a preview of {} bytes took {took:?}",
                body.len()
            );
            assert_eq!(reply.status, 400, "{body:.40}");
            let why = reply.text();
            assert!(
                why.contains("nested") || why.contains("MB of HTML"),
                "the refusal says why: {why}"
            );
        }
        // The same bodies cannot be saved either: the writer is told why.
        let section = block_on(site.store.sections()).unwrap()[0].id.clone();
        assert_eq!(writer.get(&site, "/desk/stories/new").status, 200);
        let own = block_on(site.store.authors())
            .unwrap()
            .into_iter()
            .find(|a| a.name == "Dee Pest")
            .expect("the writer's profile")
            .id;
        let saved = writer.post(
            &site,
            "/desk/stories/new",
            &[
                ("headline", "Deep"),
                ("label", "News"),
                ("section_id", &section),
                ("author", &own),
                ("body", &deep_bodies[3]),
                ("step", "save"),
            ],
        );
        assert_eq!(saved.status, 400);
        assert!(saved.text().contains("nested"), "{}", saved.text());

        // Heavy but legal bodies on both threads: /healthz still answers at once.
        let wide = "<div><p>Paragraph with <b>bold</b> and <i>italic</i> words.</p></div>\n".repeat(7_000);
        let heavy: Vec<_> = (0..4)
            .map(|_| {
                let (url, cookie, csrf) = (site.url.clone(), writer.cookie.clone(), writer.csrf.clone());
                let body = format!(
                    "csrf={csrf}&headline=Wide&body={}",
                    crate::newsroom::enc(&wide)
                );
                std::thread::spawn(move || {
                    crate::common::http_post_form(
                        &format!("{url}/desk/stories/preview"),
                        &body,
                        &[("cookie", &cookie)],
                    )
                    .status
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(150));
        let mut slowest = Duration::ZERO;
        for _ in 0..10 {
            let started = Instant::now();
            assert_eq!(site.get("/healthz").status, 200);
            slowest = slowest.max(started.elapsed());
            std::thread::sleep(Duration::from_millis(20));
        }
        for h in heavy {
            assert_eq!(h.join().unwrap(), 200);
        }
        assert!(
            slowest < Duration::from_millis(250),
            "/healthz waited {slowest:?} behind previews"
        );
    }
);

/// Sends a request's head only (the body it announces never comes) and
/// returns the status line the server answers with, if it answers within
/// `wait`: a server that reads bodies before it knows who is asking waits.
fn head_only(url: &str, head: &str, wait: Duration) -> Option<String> {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    stream
        .write_all(format!("{head}Host: {address}\r\n\r\n").as_bytes())
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.lines()
        .next()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
}

/// An anonymous 24 MB upload was read whole before the redirect to sign-in
/// (eight at once took 200 MB); the Admin API read 64 MB before it looked
/// at the token.
#[test]
fn bodies_are_refused_before_they_are_read_when_no_one_is_signed_in() {
    let Some(site) = TestSite::start(Backend::Sqlite) else {
        return;
    };
    let wait = Duration::from_secs(3);
    let desk = head_only(
        &site.url,
        "POST /desk/media HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 25000000\r\n",
        wait,
    );
    assert_eq!(
        desk.as_deref(),
        Some("HTTP/1.1 303 See Other"),
        "the desk answers at once"
    );
    let stale_cookie = head_only(
        &site.url,
        &format!(
            "POST /desk/stories/new HTTP/1.1\r\nCookie: masthead_session={}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000000\r\n",
            "ab".repeat(32)
        ),
        wait,
    );
    assert_eq!(stale_cookie.as_deref(), Some("HTTP/1.1 303 See Other"));
    let api = head_only(
        &site.url,
        "POST /ghost/api/admin/images/upload/ HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 60000000\r\n",
        wait,
    );
    assert_eq!(api.as_deref(), Some("HTTP/1.1 403 Forbidden"));
    let forged = head_only(
        &site.url,
        "POST /ghost/api/admin/posts/ HTTP/1.1\r\nAuthorization: Ghost a.b.c\r\nContent-Type: application/json\r\nContent-Length: 60000000\r\n",
        wait,
    );
    assert_eq!(forged.as_deref(), Some("HTTP/1.1 401 Unauthorized"));

    // Signed in, a body over the API's JSON limit is refused by its size.
    let key = admin_key(&site, "Big", Role::Editor);
    let big = format!(
        "{{\"posts\":[{{\"title\":\"x\",\"html\":\"{}\"}}]}}",
        "a".repeat(9 * 1024 * 1024)
    );
    let auth = ghost_auth(site.store.clock().now(), &key);
    // The server answers 413 and closes; a client still writing the 9 MB
    // may see the connection close first (a broken pipe), which is the same
    // refusal, seen from the other side.
    let sent = std::panic::catch_unwind(|| {
        http_send(
            "POST",
            &format!("{}/ghost/api/admin/posts/?source=html", site.url),
            Some(("application/json", big.as_bytes())),
            &[("authorization", &auth)],
        )
    });
    if let Ok(reply) = sent {
        assert_eq!(reply.status, 413, "{}", reply.text());
    }
}

/// A hundred connections sending their headers a byte at a time stayed
/// open for as long as they liked.
#[test]
fn clients_that_send_headers_slowly_are_cut_off() {
    let Some(site) = TestSite::start(Backend::Sqlite) else {
        return;
    };
    let address = site.url.trim_start_matches("http://").to_string();
    let mut slow: Vec<TcpStream> = (0..100)
        .map(|_| {
            let s = TcpStream::connect(&address).unwrap();
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    let request = b"GET / HTTP/1.1\r\nHost: example.org\r\nX-Slow: ";
    let mut sent = 0;
    let mut open = slow.len();
    while open > 0 && started.elapsed() < Duration::from_secs(25) {
        open = 0;
        for s in &mut slow {
            let byte = request.get(sent).copied().unwrap_or(b'a');
            let mut buf = [0u8; 256];
            let closed = match s.read(&mut buf) {
                Ok(_) => true,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
                Err(_) => true,
            };
            if !closed && s.write(&[byte]).is_ok() {
                open += 1;
            }
        }
        sent += 1;
        // Meanwhile a reader is served at once.
        assert_eq!(site.get("/healthz").status, 200);
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(
        open,
        0,
        "{open} slow connections were still open after {:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "not cut off too eagerly"
    );
}
