//! What operators rely on: metrics, a discreet health check, request
//! credentials never answered from the shared cache, searches kept out of
//! it.

use crate::common::{Backend, SiteOptions, TestSite, block_on, http_get};
use crate::on_both_backends;

/// The value of one sample line of the metrics text.
fn sample(metrics: &str, line_start: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sample {line_start:?} in:\n{metrics}"))
}

on_both_backends!(metrics_tell_what_the_server_does, |backend: Backend| {
    let Some(site) = TestSite::start_with(
        backend,
        SiteOptions {
            metrics: true,
            ..Default::default()
        },
    ) else {
        return;
    };
    let metrics_url = site.metrics_url.clone().expect("a metrics listener");
    let story = "/stories/serenza-votes-to-share-its-harbour-with-a-rival/";
    for _ in 0..3 {
        assert_eq!(site.get(story).status, 200);
    }
    assert_eq!(site.get("/no-such-page/").status, 404);
    let scrape = http_get(&metrics_url, &[]);
    assert_eq!(scrape.status, 200);
    let text = scrape.text();
    assert_eq!(
        sample(
            &text,
            "masthead_http_requests_total{route=\"/stories/{slug}/\",status=\"200\"}"
        ),
        3.0
    );
    assert!(text.contains("masthead_http_request_duration_seconds_bucket{"));
    assert!(sample(&text, "masthead_page_cache_hits_total") >= 2.0);
    assert!(sample(&text, "masthead_page_cache_misses_total") >= 1.0);
    assert!(sample(&text, "masthead_page_cache_bytes") > 1000.0);
    assert!(sample(&text, "masthead_db_pool_max_connections") >= 1.0);
    assert_eq!(
        sample(&text, "masthead_content_version"),
        site.store.events().version() as f64
    );

    // a request carrying credentials is never answered from the shared cache
    let hits = sample(&text, "masthead_page_cache_hits_total");
    let with_credentials = site.get_with(story, &[("authorization", "Bearer anything")]);
    assert_eq!(with_credentials.status, 200);
    let text = http_get(&metrics_url, &[]).text();
    assert_eq!(sample(&text, "masthead_page_cache_hits_total"), hits);
    // and the metrics are not on the public port
    assert_eq!(site.get("/metrics/").status, 404);

    // Searches pass the page layer by: its one render turn per address
    // (the query is not part of it) would line every search up behind
    // the one before.
    let text = http_get(&metrics_url, &[]).text();
    let misses = sample(&text, "masthead_page_cache_misses_total");
    for q in ["harbour", "railway", "harbour+vote"] {
        let reply = site.get(&format!("/search/?q={q}"));
        assert_eq!(reply.status, 200);
        assert!(
            reply.text().contains("class=\"search-result\""),
            "{q} finds stories"
        );
    }
    let text = http_get(&metrics_url, &[]).text();
    assert_eq!(sample(&text, "masthead_page_cache_misses_total"), misses);
});

on_both_backends!(the_health_check_is_discreet, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    assert_eq!(site.get("/healthz").text(), "ok\n");
    block_on(site.store.close());
    let down = site.get("/healthz");
    assert_eq!(down.status, 503);
    assert_eq!(
        down.text(),
        "database unavailable\n",
        "no error details for the public"
    );
    assert_eq!(down.header("cache-control"), Some("no-store"));
});

/// The committed systemd unit, checked by systemd itself (with this build's
/// binary in place of /usr/local/bin/masthead, which verify looks for).
#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(analyze) = analyze else {
        return crate::common::skip_or_fail(
            "the systemd unit check",
            "systemd-analyze is not installed (apt-get install systemd)",
        );
    };
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/masthead.service"),
    )
    .unwrap();
    for hardening in [
        "User=masthead",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "StateDirectory=masthead",
    ] {
        assert!(committed.contains(hardening), "the unit sets {hardening}");
    }
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("masthead.service");
    let here = committed.replace("/usr/local/bin/masthead", env!("CARGO_BIN_EXE_masthead"));
    assert_ne!(here, committed);
    std::fs::write(&unit, here).unwrap();
    let out = std::process::Command::new(analyze)
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
    // ...and a broken one is not passed (the check can fail).
    std::fs::write(
        &unit,
        "[Service]\nExecStart=relative/path\nProtectSystem=sideways\n",
    )
    .unwrap();
    let out = std::process::Command::new(analyze)
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).trim().is_empty());
}
