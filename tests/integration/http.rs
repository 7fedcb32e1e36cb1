//! HTTP behaviour readers' browsers and caches rely on.

use crate::common::{Backend, http_head, shared_site};
use crate::on_both_backends;

const STORY: &str = "/stories/serenza-votes-to-share-its-harbour-with-a-rival/";

on_both_backends!(
    pages_revalidate_with_etag_and_last_modified,
    |backend: Backend| {
        let Some(site) = shared_site(backend) else {
            return;
        };
        // Last-Modified is offered once the second of the last change is over.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let first = loop {
            let reply = site.get(STORY);
            if reply.header("last-modified").is_some() || std::time::Instant::now() > deadline {
                break reply;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert_eq!(first.status, 200);
        assert_eq!(first.header("cache-control"), Some("public, no-cache"));
        let etag = first.header("etag").expect("an ETag").to_string();
        let modified = first
            .header("last-modified")
            .expect("a Last-Modified")
            .to_string();
        let again = site.get_with(STORY, &[("if-none-match", &etag)]);
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        let by_date = site.get_with(STORY, &[("if-modified-since", &modified)]);
        assert_eq!(by_date.status, 304);
        let other = site.get_with(STORY, &[("if-none-match", "W/\"0000\"")]);
        assert_eq!(other.status, 200);
        assert_eq!(other.body, first.body, "the cached copy is the same page");
    }
);

on_both_backends!(
    pages_are_compressed_as_the_browser_asks,
    |backend: Backend| {
        let Some(site) = shared_site(backend) else {
            return;
        };
        let plain = site.get("/");
        assert_eq!(plain.header("content-encoding"), None);
        let br = site.get_with("/", &[("accept-encoding", "gzip, deflate, br")]);
        assert_eq!(br.header("content-encoding"), Some("br"));
        assert_eq!(br.header("vary"), Some("accept-encoding"));
        assert!(
            br.body.len() * 3 < plain.body.len(),
            "brotli shrinks the page"
        );
        let gz = site.get_with("/", &[("accept-encoding", "gzip")]);
        assert_eq!(gz.header("content-encoding"), Some("gzip"));
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gz.body[..]),
            &mut decoded,
        )
        .expect("valid gzip");
        assert_eq!(decoded, plain.body);
        let mut unbr = Vec::new();
        brotli::BrotliDecompress(&mut &br.body[..], &mut unbr).expect("valid brotli");
        assert_eq!(unbr, plain.body);
    }
);

on_both_backends!(
    every_response_carries_security_headers,
    |backend: Backend| {
        let Some(site) = shared_site(backend) else {
            return;
        };
        for path in ["/", STORY, "/no-such-page/", "/healthz", "/latest/page/x/"] {
            let reply = site.get(path);
            let csp = reply
                .header("content-security-policy")
                .unwrap_or_else(|| panic!("CSP on {path}"));
            assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"));
            assert!(csp.contains("script-src 'self'"));
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
            assert_eq!(
                reply.header("referrer-policy"),
                Some("strict-origin-when-cross-origin")
            );
        }
    }
);

on_both_backends!(
    assets_are_content_hashed_and_immutable,
    |backend: Backend| {
        let Some(site) = shared_site(backend) else {
            return;
        };
        let home = site.get("/").text();
        let start = home.find("/assets/site.").expect("stylesheet link");
        let end = start + home[start..].find('"').unwrap();
        let css_url = &home[start..end];
        assert!(css_url.ends_with(".css"));
        let css = site.get(css_url);
        assert_eq!(css.status, 200);
        assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
        assert_eq!(
            css.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(site.get("/assets/site.0000000000000000.css").status, 404);
        // media are served with their dimensions' files and a day of caching
        let img = site.get("/media/the-kiyoshima-islands-build-a-sea-wall-and-a-debate.svg");
        assert_eq!(img.status, 200);
        assert_eq!(img.header("content-type"), Some("image/svg+xml"));
        assert_eq!(
            img.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(site.get("/media/../masthead.db").status, 404);
    }
);

on_both_backends!(healthz_and_head_requests, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    let health = site.get("/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(health.text(), "ok\n");
    assert_eq!(health.header("cache-control"), Some("no-store"));
    // a HEAD first must not leave an empty page in the cache
    let path = "/section/africa/";
    let head = http_head(&format!("{}{path}", site.url));
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert!(head.header("etag").is_some());
    let get = site.get(path);
    assert_eq!(get.header("etag"), head.header("etag"));
    assert!(get.text().contains("<h1>Africa</h1>"));
});

on_both_backends!(query_strings_do_not_change_a_page, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    let plain = site.get(STORY);
    let tracked = site.get(&format!("{STORY}?utm_source=newsletter&utm_medium=email"));
    assert_eq!(tracked.status, 200);
    assert_eq!(tracked.body, plain.body);
    assert_eq!(tracked.header("etag"), plain.header("etag"));
});

on_both_backends!(
    methods_a_page_does_not_take_are_refused_politely,
    |backend: Backend| {
        let Some(site) = shared_site(backend) else {
            return;
        };
        let reply = crate::common::http_post_form(&format!("{}{STORY}", site.url), "x=1", &[]);
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("allow"), Some("GET,HEAD"));
        assert!(reply.text().contains("can only be read"));
    }
);
