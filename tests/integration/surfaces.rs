//! Each surface answers in its own way: the desk never cached, the APIs in
//! JSON, files for machines through the page cache with their own types.

use crate::common::{Backend, http_post_form, shared_site};
use crate::on_both_backends;

on_both_backends!(the_desk_is_never_cached, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    // the desk's addresses end without a slash; with one they redirect
    assert_eq!(site.get("/desk/").header("location"), Some("/desk"));
    for (path, status) in [
        ("/desk", 303),
        ("/desk/login", 200),
        ("/desk/no-such-page", 404),
    ] {
        let reply = site.get(path);
        assert_eq!(reply.status, status, "GET {path}");
        assert_eq!(
            reply.header("cache-control"),
            Some("no-store"),
            "GET {path}"
        );
        assert!(
            reply.header("etag").is_none(),
            "GET {path} skipped the page cache"
        );
        assert!(reply.header("last-modified").is_none(), "GET {path}");
    }
    // forms in the desk refuse posts from other sites too
    let refused = http_post_form(
        &format!("{}/desk/login", site.url),
        "email=a%40b.org",
        &[("origin", "https://elsewhere.example")],
    );
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("cache-control"), Some("no-store"));
});

on_both_backends!(the_apis_answer_in_json, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    for (path, status, kind) in [
        ("/ghost/api/content/posts/", 403, "NoPermissionError"),
        ("/ghost/api/v4/content/tags/", 403, "NoPermissionError"),
        ("/ghost/api/admin/posts/", 403, "NoPermissionError"),
        ("/ghost/api/content/widgets/", 404, "NotFoundError"),
        ("/ghost/api/v4/nowhere", 404, "NotFoundError"),
    ] {
        let reply = site.get(path);
        assert_eq!(reply.status, status, "GET {path}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
        assert_eq!(body["errors"][0]["type"], kind, "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(!reply.text().contains("<html"));
    }
});

on_both_backends!(
    files_for_machines_pass_the_page_cache,
    |backend: Backend| {
        let Some(site) = shared_site(backend) else {
            return;
        };
        let robots = site.get("/robots.txt");
        assert_eq!(robots.status, 200);
        assert_eq!(
            robots.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert!(robots.text().contains("User-agent: *"));
        assert!(robots.text().contains("Disallow: /desk/"));
        let etag = robots.header("etag").expect("an ETag from the page cache");
        let again = site.get_with("/robots.txt", &[("if-none-match", etag)]);
        assert_eq!(again.status, 304);
    }
);

on_both_backends!(forms_refuse_posts_from_other_sites, |backend: Backend| {
    let Some(site) = shared_site(backend) else {
        return;
    };
    let url = format!("{}/newsletter/", site.url);
    // an older browser: no Sec-Fetch-Site, but an Origin naming another site
    let forged = http_post_form(
        &url,
        "email=victim%40example.org",
        &[("origin", "https://attacker.example")],
    );
    assert_eq!(forged.status, 403);
    assert!(
        forged.text().contains("sent from this site"),
        "{}",
        forged.text()
    );
    assert!(forged.text().contains("<!DOCTYPE html>"), "a themed page");
    // the site's own origin is welcome
    let own = http_post_form(
        &url,
        "email=own-origin%40example.org",
        &[
            ("origin", site.url.as_str()),
            ("sec-fetch-site", "same-origin"),
        ],
    );
    assert_eq!(own.status, 200, "{}", own.text());
});
