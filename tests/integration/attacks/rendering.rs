//! What other software renders as HTML, and what leaves the server: feed
//! readers, Ghost themes, webhook receivers, and the bytes of an image.

use std::process::Command;
use std::time::{Duration, Instant};

use masthead::model::accounts::Role;
use masthead::services::integrations;
use serde_json::Value;

use crate::common::{Backend, SiteOptions, TestSite, block_on, skip_or_fail};
use crate::newsroom::{location_path, person, profile_of};
use crate::on_both_backends;

const MARKUP: &str = "<img src=x onerror=alert(1)>";

/// What Python's feedparser makes of a feed: (feed title, [(entry title,
/// summary)]) as the HTML a reader would render; None when feedparser is
/// not installed (after a notice).
fn feedparser(url: &str) -> Option<(String, Vec<(String, String)>)> {
    let script = r#"
import json, sys, feedparser
feed = feedparser.parse(sys.argv[1])
print(json.dumps({"title": feed.feed.get("title", ""),
                  "entries": [[e.get("title", ""), e.get("summary", "")] for e in feed.entries]}))
"#;
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script, url])
        .output()
        .ok()
        .filter(|o| o.status.success());
    let Some(out) = out else {
        skip_or_fail(
            "feedparser checks",
            "Python's feedparser is not installed (apt install python3-feedparser)",
        );
        return None;
    };
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = parsed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0].as_str().unwrap().to_string(),
                e[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    Some((parsed["title"].as_str().unwrap().to_string(), entries))
}

on_both_backends!(
    /// A dek of `<img src=x onerror=alert(1)>` was escaped once in RSS
    /// descriptions, which readers take as HTML: the image's handler ran
    /// in feed readers. Titles built from tag and author names too. And
    /// the Content API gave Ghost themes the raw hero caption as HTML.
    plain_text_never_becomes_markup_in_feeds_or_the_content_api,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let editor = person(&site, "eda@example.org", "Eda Reyes", Role::Editor);
        let byline = profile_of(&site, &editor, "Eda Reyes");
        let section = block_on(site.store.sections()).unwrap()[0].id.clone();
        let image = block_on(site.store.library(None, 1)).unwrap().remove(0).image;
        let headline = "Tides & <b>tariffs</b>";
        let saved = editor.post(
            &site,
            "/desk/stories/new",
            &[
                ("headline", headline),
                ("dek", MARKUP),
                ("label", "News"),
                ("section_id", &section),
                ("author", &byline),
                ("tags", "<i>Harbours</i>"),
                ("body", "A paragraph."),
                ("hero_image_id", &image.id),
                ("hero_alt", "A harbour"),
                ("hero_caption", MARKUP),
                ("step", "publish"),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.text());
        let story = block_on(site.store.story_by_id(
            location_path(&saved).rsplit('/').next().unwrap(),
        ))
        .unwrap()
        .unwrap();
        let tag = block_on(site.store.tags())
            .unwrap()
            .into_iter()
            .find(|t| t.name == "<i>Harbours</i>")
            .unwrap();

        for path in ["/feed.xml".to_string(), format!("/tag/{}/feed.xml", tag.slug)] {
            let Some((title, entries)) = feedparser(&format!("{}{path}", site.url)) else {
                return;
            };
            assert!(!title.contains("<i>"), "{path}: the feed's title {title:?}");
            let (entry_title, summary) = entries
                .iter()
                .find(|(t, _)| t.contains("tariffs"))
                .unwrap_or_else(|| panic!("{path}: the story is in the feed"));
            assert!(!summary.contains("<img"), "{path}: {summary:?}");
            assert!(summary.contains("&lt;img"), "{path}: the dek as words: {summary:?}");
            assert!(!entry_title.contains("<b>"), "{path}: {entry_title:?}");
        }

        let key = block_on(integrations::create(&site.store, None, "Theme", Role::Contributor))
            .unwrap()
            .integration
            .content_key;
        let post = site.get(&format!(
            "/ghost/api/content/posts/{}/?key={key}",
            story.id
        ));
        assert_eq!(post.status, 200);
        let body: Value = serde_json::from_slice(&post.body).unwrap();
        let caption = body["posts"][0]["feature_image_caption"].as_str().unwrap();
        assert_eq!(caption, "&lt;img src=x onerror=alert(1)&gt;");
    }
);

/// A listener that counts the connections it gets.
fn listener() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in socket.incoming().flatten() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, count)
}

on_both_backends!(
    /// A webhook's "last delivery" in the desk quoted the connection's
    /// error ("Connection refused", "connection reset"): an oracle for
    /// probing what listens where inside the network.
    the_last_delivery_tells_delivered_or_failed_and_no_more,
    |backend: Backend| {
        let Some(site) = TestSite::start_with(
            backend,
            SiteOptions {
                allow_private_webhooks: true,
                ..Default::default()
            },
        ) else {
            return;
        };
        let editor = person(&site, "eda@example.org", "Eda Reyes", Role::Editor);
        let created =
            block_on(integrations::create(&site.store, None, "Probe", Role::Editor)).unwrap();
        // A port that refuses connections, and one that drops them.
        let closed = {
            let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            socket.local_addr().unwrap().port()
        };
        let (dropping, _) = listener();
        for port in [closed, dropping] {
            block_on(integrations::add_webhook(
                &site.store,
                None,
                &created.integration.id,
                "post.published",
                &format!("http://127.0.0.1:{port}/hook"),
                true,
            ))
            .unwrap();
        }
        let byline = profile_of(&site, &editor, "Eda Reyes");
        let section = block_on(site.store.sections()).unwrap()[0].id.clone();
        let saved = editor.post(
            &site,
            "/desk/stories/new",
            &[
                ("headline", "Probe"),
                ("label", "News"),
                ("section_id", &section),
                ("author", &byline),
                ("body", "A paragraph."),
                ("step", "publish"),
            ],
        );
        assert_eq!(saved.status, 303);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let hooks = block_on(site.store.webhooks()).unwrap();
            if hooks.iter().all(|h| h.last_status.is_some()) {
                break;
            }
            assert!(Instant::now() < deadline, "the deliveries were tried");
            std::thread::sleep(Duration::from_millis(100));
        }
        let page = editor.get(&site, "/desk/integrations").text();
        assert!(page.contains("failed (no answer)"), "{page}");
        for detail in ["refused", "reset", "os error", "Connection", "closed"] {
            assert!(!page.contains(detail), "the page says {detail:?}");
        }
    }
);

/// A GIF with a comment and an XMP block naming where it was made.
fn gif_with_metadata() -> Vec<u8> {
    let mut plain = Vec::new();
    {
        let palette = [0u8, 0, 0, 255, 255, 255];
        let mut encoder = gif::Encoder::new(&mut plain, 4, 4, &palette).unwrap();
        encoder.set_repeat(gif::Repeat::Infinite).unwrap();
        for shade in [0u8, 1] {
            let frame = gif::Frame {
                width: 4,
                height: 4,
                delay: 20,
                buffer: std::borrow::Cow::Owned(vec![shade; 16]),
                ..Default::default()
            };
            encoder.write_frame(&frame).unwrap();
        }
    }
    // After the header, screen descriptor and its two-colour table.
    let at = 6 + 7 + 6;
    let mut blocks = Vec::new();
    let comment = b"Shot at 59.3293N 18.0686E by a Snapr phone";
    blocks.extend_from_slice(&[0x21, 0xfe, comment.len() as u8]);
    blocks.extend_from_slice(comment);
    blocks.push(0);
    let xmp = b"<x:xmpmeta><exif:GPSLatitude>59,19.758N</exif:GPSLatitude></x:xmpmeta>";
    blocks.extend_from_slice(&[0x21, 0xff, 11]);
    blocks.extend_from_slice(b"XMP DataXMP");
    blocks.push(xmp.len() as u8);
    blocks.extend_from_slice(xmp);
    blocks.push(0);
    let mut out = plain[..at].to_vec();
    out.extend_from_slice(&blocks);
    out.extend_from_slice(&plain[at..]);
    out
}

on_both_backends!(
    /// Uploaded GIFs were served as uploaded, XMP GPS coordinates and
    /// comments included, though no location data is to reach readers.
    gifs_reach_readers_without_their_metadata,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let author = person(&site, "ana@example.org", "Ana Ruiz", Role::Author);
        let original = gif_with_metadata();
        assert!(String::from_utf8_lossy(&original).contains("59.3293N"));
        let reply = author.upload(&site, "loop.gif", &original, &[("alt", "A blinking square")], false);
        assert_eq!(reply.status, 303, "{}", reply.text());
        let id = location_path(&reply).rsplit('/').next().unwrap().to_string();
        let image = block_on(site.store.images_by_ids(&[id])).unwrap().remove(0);
        let served = site.get(&format!("/media/{}", image.file));
        assert_eq!(served.status, 200);
        let text = String::from_utf8_lossy(&served.body);
        for secret in ["59.3293N", "Snapr", "XMP", "GPSLatitude"] {
            assert!(!text.contains(secret), "the served GIF carries {secret:?}");
        }
        // Still the same animation: two frames of 4 × 4, looping.
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::Indexed);
        let mut decoder = options.read_info(std::io::Cursor::new(&served.body)).unwrap();
        let mut frames = 0;
        while let Some(frame) = decoder.read_next_frame().unwrap() {
            assert_eq!((frame.width, frame.height, frame.delay), (4, 4, 20));
            frames += 1;
        }
        assert_eq!(frames, 2);
        assert_eq!(decoder.repeat(), gif::Repeat::Infinite);
    }
);
