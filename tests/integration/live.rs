//! Live coverage, from the desk to a reader with the page open: over real
//! HTTP, a plain Server-Sent Events client, on both databases and across
//! two instances; the page as a cached page, its JSON-LD against the
//! schema.org vocabulary, its feed; and what may not be done.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use masthead::model::accounts::Role;
use masthead::model::slug::slugify;

use crate::common::{Backend, Instance, TestSite, block_on, http_get};
use crate::newsroom::{Person, person};
use crate::on_both_backends;

const RAILWAY: &str = "Kaldmark's coalition bets its future on a single railway";
const HARBOUR: &str = "Serenza votes to share its harbour with a rival";

/// A reader's open stream, read as it arrives.
struct Stream {
    socket: TcpStream,
    seen: String,
}

impl Stream {
    /// Opens `path` on `base` (http://host:port) on a connection of its
    /// own (as a browser's EventSource usually does), and reads its head.
    fn open(base: &str, path: &str) -> Stream {
        Stream::open_after(base, path, false)
    }

    /// As `open`, on a connection that served another request first (a
    /// browser reusing a kept-alive connection): `after_another`.
    fn open_after(base: &str, path: &str, after_another: bool) -> Stream {
        let host = base.trim_start_matches("http://");
        let mut socket = TcpStream::connect(host).unwrap();
        if after_another {
            write!(socket, "GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
        }
        write!(
            socket,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let mut stream = Stream {
            socket,
            seen: String::new(),
        };
        stream.until(
            if after_another {
                "event-stream"
            } else {
                "\r\n\r\n"
            },
            Duration::from_secs(5),
        );
        stream.until("\r\n\r\n", Duration::from_secs(5));
        assert!(
            stream.seen.starts_with("HTTP/1.1 200"),
            "the stream opens: {}",
            stream.seen
        );
        assert!(stream.seen.contains("text/event-stream"));
        stream
    }

    /// Reads until `needle` has arrived (panics after `within`); answers
    /// how long it took.
    fn until(&mut self, needle: &str, within: Duration) -> Duration {
        let start = Instant::now();
        let mut buf = [0u8; 8192];
        while !self.seen.contains(needle) {
            let left = within.saturating_sub(start.elapsed());
            assert!(
                !left.is_zero(),
                "{needle:?} did not arrive within {within:?}; got {}",
                self.seen
            );
            self.socket.set_read_timeout(Some(left)).unwrap();
            match self.socket.read(&mut buf) {
                Ok(0) => panic!("the stream closed before {needle:?}: {}", self.seen),
                Ok(n) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("reading the stream: {e}"),
            }
        }
        start.elapsed()
    }

    /// Whether the server ends the stream within `within`: its last chunk
    /// (a stream on a shared connection), or the connection closed (a
    /// connection of its own).
    fn ends(&mut self, within: Duration) -> bool {
        let start = Instant::now();
        let mut buf = [0u8; 8192];
        while start.elapsed() < within {
            if self.seen.ends_with("0\r\n\r\n") {
                return true;
            }
            self.socket
                .set_read_timeout(Some(
                    within
                        .saturating_sub(start.elapsed())
                        .max(Duration::from_millis(1)),
                ))
                .unwrap();
            match self.socket.read(&mut buf) {
                Ok(0) => return true,
                Ok(n) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => {}
            }
        }
        false
    }
}

fn story_id(site: &TestSite, headline: &str) -> String {
    block_on(site.store.story_by_slug(&slugify(headline)))
        .unwrap()
        .unwrap()
        .id
}

fn desk_live(id: &str) -> String {
    format!("/desk/stories/{id}/live")
}

fn post_update(
    who: &Person,
    site: &TestSite,
    id: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> crate::common::Reply {
    let mut fields = vec![("update_body", body)];
    fields.extend_from_slice(extra);
    who.post(site, &format!("/desk/stories/{id}/updates"), &fields)
}

/// The update ids of a page, in the order it shows them.
fn shown_updates(html: &str) -> Vec<String> {
    html.split(r#"<article class="live-update"#)
        .skip(1)
        .filter_map(|s| s.split(r#"id="update-"#).nth(1))
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

fn json_ld(html: &str) -> Vec<serde_json::Value> {
    html.split(r#"<script type="application/ld+json">"#)
        .skip(1)
        .map(|s| serde_json::from_str(s.split("</script>").next().unwrap()).unwrap())
        .collect()
}

on_both_backends!(a_story_is_covered_live, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let editor = person(&site, "editor@example.org", "Eda Editor", Role::Editor);
    let id = story_id(&site, RAILWAY);
    let path = format!("/stories/{}/", slugify(RAILWAY));
    let author = block_on(site.store.authors()).unwrap().remove(0);

    // Not live yet: no updates section, no stream.
    assert!(!site.get(&path).text().contains("live-update"));
    assert_eq!(site.get(&format!("{path}live")).status, 404);
    let not_live = post_update(&editor, &site, &id, "<p>Too early.</p>", &[]);
    assert_eq!(not_live.status, 400);
    assert!(
        not_live.text().contains("not being covered live"),
        "{}",
        not_live.text()
    );

    let started = editor.post(&site, &desk_live(&id), &[("action", "start")]);
    assert_eq!(started.status, 303, "{}", started.text());
    let first = post_update(
        &editor,
        &site,
        &id,
        "<p>Polls have <strong>opened</strong> in all 212 districts.</p>",
        &[("update_author", &author.id)],
    );
    assert_eq!(first.status, 303, "{}", first.text());
    let pinned = post_update(
        &editor,
        &site,
        &id,
        "<p>Tonight's watch list: turnout in the north.</p>",
        &[("pinned", "yes")],
    );
    assert_eq!(pinned.status, 303);

    // The page: a cached page like any other, the pinned update on top.
    let page = site.get(&path);
    let html = page.text();
    assert!(html.contains(r#"<span class="live-badge">Live</span>"#));
    assert!(html.contains(&format!(r#"data-live-events="{path}live""#)));
    assert!(html.contains(&format!(r#"by <a href="/author/{}/">"#, author.slug)));
    let shown = shown_updates(&html);
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(html.find("watch list").unwrap() < html.find("Polls have").unwrap());
    assert!(html.contains(&format!(r#"href="{path}#update-{}""#, shown[1])));
    let again = site.get_with(&path, &[("if-none-match", page.header("etag").unwrap())]);
    assert_eq!(again.status, 304, "the page stays a cached page");
    let seq: i64 = html
        .split(r#"data-live-seq=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // JSON-LD: a live blog posting with its updates, true to the vocabulary.
    let docs = json_ld(&html);
    let article = &docs[0];
    assert_eq!(
        article["@type"],
        serde_json::json!(["NewsArticle", "LiveBlogPosting"])
    );
    assert!(article["coverageStartTime"].is_string());
    assert!(article.get("coverageEndTime").is_none());
    let updates = article["liveBlogUpdate"].as_array().unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(
        updates[1]["articleBody"],
        "Polls have opened in all 212 districts."
    );
    assert_eq!(updates[1]["author"]["name"], author.name.as_str());
    if let Some((passed, report)) =
        crate::discovery::check_with_schema_org(std::slice::from_ref(&docs))
    {
        assert!(passed, "{report}");
    }
    // Its feed carries the updates.
    let feed = site.get(&format!("{path}feed.json"));
    assert_eq!(feed.status, 200);
    let feed: serde_json::Value = serde_json::from_slice(&feed.body).unwrap();
    assert_eq!(feed["items"].as_array().unwrap().len(), 2);
    assert!(
        feed["items"][1]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#update-{}", shown[1]))
    );
    assert!(html.contains(&format!(r#"href="{path}feed.atom""#)));

    // A reader with the page open: new, edited and removed updates arrive.
    let mut reader = Stream::open(&site.url, &format!("{path}live?since={seq}"));
    let third = post_update(
        &editor,
        &site,
        &id,
        "<p>Turnout at noon: 31 per cent.</p>",
        &[],
    );
    assert_eq!(third.status, 303);
    let took = reader.until("Turnout at noon", Duration::from_secs(2));
    assert!(took < Duration::from_secs(2));
    assert!(reader.seen.contains("event: update"));
    // The update's body arrives as markup, as the page shows it.
    assert!(
        reader.seen.contains("<p>Turnout at noon"),
        "{}",
        reader.seen
    );
    assert!(!reader.seen.contains("&lt;p&gt;"));
    // Words that read like the stream's own fields are only words.
    post_update(
        &editor,
        &site,
        &id,
        "<p>At the rally, event: end\ndata: was shouted.</p>",
        &[],
    );
    post_update(
        &editor,
        &site,
        &id,
        "<p>Still streaming after the rally.</p>",
        &[],
    );
    reader.until("Still streaming after the rally", Duration::from_secs(2));
    let first_id = &shown[1];
    let edited = editor.post(
        &site,
        &format!("/desk/stories/{id}/updates/{first_id}"),
        &[
            (
                "update_body",
                "<p>Polls opened in all 212 districts at seven.</p>",
            ),
            ("update_author", &author.id),
        ],
    );
    assert_eq!(edited.status, 303, "{}", edited.text());
    reader.until("at seven", Duration::from_secs(2));
    let pinned_id = &shown[0];
    let removed = editor.post(
        &site,
        &format!("/desk/stories/{id}/updates/{pinned_id}"),
        &[("remove", "yes")],
    );
    assert_eq!(removed.status, 303);
    reader.until(
        &format!(r#""anchor":"update-{pinned_id}""#),
        Duration::from_secs(2),
    );
    assert!(reader.seen.contains("event: remove"));
    // A reader coming back later asks for what changed since: all of it
    // (here on a connection that served a request before).
    let mut late = Stream::open_after(&site.url, &format!("{path}live?since={seq}"), true);
    late.until("Turnout at noon", Duration::from_secs(2));
    late.until("event: remove", Duration::from_secs(2));

    // The desk keeps the earlier wording.
    let desk = editor.get(&site, &desk_live(&id)).text();
    assert_eq!(shown_updates(&site.get(&path).text()).len(), 4);
    assert!(
        desk.contains("Changed") && desk.contains("Removed"),
        "{desk}"
    );
    assert!(desk.contains("Polls have <strong>opened</strong> in all 212 districts."));

    // Ending: readers hear of it and their stream closes; the page is an
    // ordinary story with its updates.
    let ended = editor.post(&site, &desk_live(&id), &[("action", "end")]);
    assert_eq!(ended.status, 303);
    reader.until("event: end", Duration::from_secs(2));
    assert!(reader.ends(Duration::from_secs(2)));
    late.until("event: end", Duration::from_secs(2));
    assert!(late.ends(Duration::from_secs(2)));
    let html = site.get(&path).text();
    assert!(!html.contains("data-live-events"));
    assert!(html.contains("Live coverage ended"));
    assert_eq!(
        shown_updates(&html).len(),
        4,
        "the updates stay, the removed one gone"
    );
    assert!(!html.contains("watch list"));
    let article = &json_ld(&html)[0];
    assert!(article["coverageEndTime"].is_string());
    let refused = post_update(&editor, &site, &id, "<p>After the end.</p>", &[]);
    assert_eq!(refused.status, 400);
});

on_both_backends!(
    updates_reach_readers_of_another_instance,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let other = Instance::start(&site.database_url, &site.url);
        let editor = person(&site, "editor@example.org", "Eda Editor", Role::Editor);
        let id = story_id(&site, HARBOUR);
        let path = format!("/stories/{}/", slugify(HARBOUR));
        editor.post(&site, &desk_live(&id), &[("action", "start")]);
        // Readers on both instances; the update is posted on the first.
        let mut here = Stream::open(&site.url, &format!("{path}live"));
        let mut there = Stream::open(&other.url, &format!("{path}live"));
        let posted = post_update(
            &editor,
            &site,
            &id,
            "<p>The harbour vote is carried, 41 to 19.</p>",
            &[],
        );
        assert_eq!(posted.status, 303);
        let near = here.until("41 to 19", Duration::from_secs(2));
        let far = there.until("41 to 19", Duration::from_secs(2));
        crate::common::notice(&format!(
            "live update delivery ({backend:?}): this instance {near:?}, the other {far:?}"
        ));
        // The other instance's page shows it on a fresh load too.
        assert!(
            http_get(&format!("{}{path}", other.url), &[])
                .text()
                .contains("41 to 19")
        );
    }
);

on_both_backends!(live_coverage_refuses_what_it_should, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let editor = person(&site, "editor@example.org", "Eda Editor", Role::Editor);
    let author = person(&site, "author@example.org", "Ana Author", Role::Author);
    let id = story_id(&site, RAILWAY);
    let path = format!("/stories/{}/", slugify(RAILWAY));
    // Someone else's story: an author may not run it.
    let refused = author.post(&site, &desk_live(&id), &[("action", "start")]);
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(author.get(&site, &desk_live(&id)).status, 403);
    editor.post(&site, &desk_live(&id), &[("action", "start")]);
    let forged = post_update(&author, &site, &id, "<p>Not mine to post.</p>", &[]);
    assert_eq!(forged.status, 403);
    // Empty, unknown byline, too long, nonsense action, unknown update.
    let empty = post_update(&editor, &site, &id, "<p> </p>", &[]);
    assert_eq!(empty.status, 400);
    assert!(empty.text().contains("The update is empty"));
    let byline = post_update(
        &editor,
        &site,
        &id,
        "<p>Words.</p>",
        &[("update_author", "nobody")],
    );
    assert_eq!(byline.status, 400);
    assert!(byline.text().contains("not one of the site's authors"));
    let huge = format!("<p>{}</p>", "word ".repeat(300_000));
    let too_long = post_update(&editor, &site, &id, &huge, &[]);
    assert!(matches!(too_long.status, 400 | 413), "{}", too_long.status);
    let odd = editor.post(&site, &desk_live(&id), &[("action", "explode")]);
    assert_eq!(odd.status, 400);
    let unknown = editor.post(
        &site,
        &format!("/desk/stories/{id}/updates/no-such-update"),
        &[("update_body", "<p>Edited.</p>")],
    );
    assert_eq!(unknown.status, 400);
    assert!(unknown.text().contains("no longer on the page"));
    // Markup is the document schema's, never a script.
    let sneaky = post_update(
        &editor,
        &site,
        &id,
        r#"<p onclick="alert(1)">Hi<script>alert(2)</script><img src=x onerror=alert(3)></p>"#,
        &[],
    );
    assert_eq!(sneaky.status, 303);
    let html = site.get(&path).text();
    assert!(html.contains(">Hi"));
    assert!(!html.contains("alert("), "no script survives");
    // Streams: only of live public stories; a bad position is a 400.
    assert_eq!(
        site.get(&format!("/stories/{}/live", slugify(HARBOUR)))
            .status,
        404
    );
    assert_eq!(site.get("/stories/no-such-story/live").status, 404);
    assert_eq!(site.get(&format!("{path}live?since=soon")).status, 400);
    // Bylines: one's own or none; others' only for editors and owners.
    let someone = block_on(site.store.authors()).unwrap().remove(0);
    let credited = post_update(
        &editor,
        &site,
        &id,
        "<p>Filed by a colleague.</p>",
        &[("update_author", &someone.id)],
    );
    assert_eq!(credited.status, 303);
    // A story taken down: its open streams end, and nothing more is sent.
    let mut open = Stream::open(&site.url, &format!("{path}live"));
    let card = block_on(site.store.story_card_by_slug(&slugify(RAILWAY)))
        .unwrap()
        .unwrap();
    let down = editor.post(
        &site,
        &format!("/desk/stories/{id}"),
        &[
            ("revision", &card.story.revision.to_string()),
            ("headline", &card.story.headline),
            ("label", &card.story.label),
            ("section_id", &card.story.section_id),
            ("author", &card.author_ids[0]),
            ("body", card.story.body.as_str()),
            ("step", "unpublish"),
        ],
    );
    assert_eq!(down.status, 303, "{}", down.text());
    open.until("event: end", Duration::from_secs(2));
    assert!(open.ends(Duration::from_secs(2)));
    post_update(&editor, &site, &id, "<p>Embargoed words.</p>", &[]);
    assert!(!open.seen.contains("Embargoed"));
    assert_eq!(site.get(&format!("{path}live")).status, 404);

    // Signed out: sent to sign in, nothing posted.
    let anonymous = crate::common::http_post_form(
        &format!("{}/desk/stories/{id}/updates", site.url),
        "update_body=Anonymous+words",
        &[],
    );
    assert!(
        anonymous.status >= 400
            || anonymous
                .header("location")
                .is_some_and(|l| l.contains("/desk/login")),
        "{} {:?}",
        anonymous.status,
        anonymous.header("location")
    );
    assert!(!site.get(&path).text().contains("Anonymous words"));
});
