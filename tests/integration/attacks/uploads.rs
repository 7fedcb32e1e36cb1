//! Uploads: small files that unpack large, quotas raced or sidestepped,
//! and what an image carries to readers.

use std::time::Duration;

use masthead::clock::Clock;
use masthead::model::accounts::Role;
use masthead::services::media::MediaLimits;

use super::{Served, ghost_auth};
use crate::common::{Backend, SiteOptions, TestSite, block_on, http_post};
use crate::newsroom::{location_path, person, sign_in};
use crate::on_both_backends;

/// A PNG that is a few kilobytes on disk and `width` × `height` unpacked.
fn flat_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::NoFilter,
    );
    let row = vec![180u8; width as usize * 3];
    let pixels: Vec<u8> = std::iter::repeat_n(row.as_slice(), height as usize)
        .flatten()
        .copied()
        .collect();
    image::ImageEncoder::write_image(
        encoder,
        &pixels,
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    out
}

/// A multipart body with one file field.
fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "attack-boundary-5f1";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A process's memory in MiB: what it holds of its own (not the pages of
/// its program file), all it holds, and all it held at its peak.
fn memory_mib(pid: u32) -> (u64, u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap()
            / 1024
    };
    (field("RssAnon:"), field("VmRSS:"), field("VmHWM:"))
}

/// A 57 KB PNG declaring 7,700 × 7,700 pixels took 380 MB to unpack and
/// kept most of it; eight at once would have taken three gigabytes. Here
/// the budget is made small (36 MiB, images of up to 2 million pixels)
/// and three 2-megapixel PNGs of a few kilobytes arrive at once.
#[test]
fn small_files_that_unpack_large_stay_within_the_memory_budget() {
    let mut served =
        Served::start_with_config("[media]\nmax_megapixels = 2\nunpack_memory_mb = 36\n");
    let key = served.admin_key(Role::Editor);
    let pid = served.pid();
    let png = flat_png(1400, 1400);
    assert!(png.len() < 256 * 1024, "{} bytes", png.len());
    // The demo's own start-up work (related stories, the index) done first.
    std::thread::sleep(Duration::from_secs(3));
    let (own_before, before, _) = memory_mib(pid);
    // The peak so far (the demo's start) is forgotten: what follows counts.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    let uploads: Vec<_> = (0..3)
        .map(|i| {
            let (kind, body) = multipart(&format!("large-{i}.png"), &png);
            let url = format!("{}/ghost/api/admin/images/upload/", served.url);
            let auth = ghost_auth(jiff::Timestamp::now().as_second(), &key);
            std::thread::spawn(move || http_post(&url, &kind, &body, &[("authorization", &auth)]))
        })
        .collect();
    for upload in uploads {
        let reply = upload.join().unwrap();
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    std::thread::sleep(Duration::from_millis(500));
    let (own_after, _, peak) = memory_mib(pid);
    assert!(
        peak < before + 36 + 32,
        "three uploads at once peaked at {peak} MiB (from {before} MiB; the budget is 36 MiB)"
    );
    assert!(
        own_after < own_before + 24,
        "the memory was not given back: {own_after} MiB after, {own_before} MiB before"
    );
    served.stop();
}

/// A long, narrow image whose copies alone would take more memory than
/// the whole budget is refused at once, rather than queued or unpacked.
#[test]
fn an_image_too_large_to_unpack_within_the_budget_is_refused() {
    let Some(site) = TestSite::start_with(
        Backend::Sqlite,
        SiteOptions {
            media: Some(MediaLimits {
                max_megapixels: 10,
                unpack_memory_mb: 130,
                ..MediaLimits::default()
            }),
            ..Default::default()
        },
    ) else {
        return;
    };
    let editor = person(&site, "ed@example.org", "Ed Itor", Role::Editor);
    let reply = editor.upload(&site, "scroll.png", &flat_png(2400, 4000), &[], false);
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.text().contains("memory"), "{}", reply.text());
}

fn site_with_quota(backend: Backend, uploads: usize, clock: Clock) -> Option<TestSite> {
    TestSite::start_with(
        backend,
        SiteOptions {
            clock,
            media: Some(MediaLimits {
                contributor_uploads: uploads,
                ..MediaLimits::default()
            }),
            ..Default::default()
        },
    )
}

on_both_backends!(
    /// Eight uploads sent at once at 17 of 20 ended at 25; deleting an
    /// image gave the upload back, so the quota never ran out.
    the_contributors_quota_holds_when_raced_and_after_deletions,
    |backend: Backend| {
        let clock = Clock::manual(Clock::system().now());
        let Some(site) = site_with_quota(backend, 5, clock.clone()) else {
            return;
        };
        let writer = person(&site, "kit@example.org", "Kit Arden", Role::Contributor);
        let small = crate::media::jpeg(64, 48);
        let first = writer.upload(&site, "first.jpg", &small, &[], false);
        assert_eq!(first.status, 303, "{}", first.text());
        let first_path = location_path(&first);
        for i in 0..2 {
            let reply = writer.upload(&site, &format!("more-{i}.jpg"), &small, &[], false);
            assert_eq!(reply.status, 303);
        }
        // Two left; eight at once.
        let racers: Vec<_> = (0..8)
            .map(|i| {
                let (url, cookie, csrf) = (site.url.clone(), writer.cookie.clone(), writer.csrf.clone());
                let small = small.clone();
                std::thread::spawn(move || {
                    let boundary = "race-boundary";
                    let mut body = format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"race-{i}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                    )
                    .into_bytes();
                    body.extend_from_slice(&small);
                    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                    http_post(
                        &format!("{url}/desk/media"),
                        &format!("multipart/form-data; boundary={boundary}"),
                        &body,
                        &[("cookie", &cookie)],
                    )
                    .status
                })
            })
            .collect();
        let statuses: Vec<u16> = racers.into_iter().map(|r| r.join().unwrap()).collect();
        assert_eq!(
            statuses.iter().filter(|&&s| s == 303).count(),
            2,
            "only the two left were taken: {statuses:?}"
        );
        assert!(statuses.iter().all(|&s| s == 303 || s == 403), "{statuses:?}");

        // Deleting one does not give an upload back: the quota counts uploads.
        let deleted = writer.post(&site, &format!("{first_path}/delete"), &[]);
        assert_eq!(deleted.status, 303);
        let again = writer.upload(&site, "again.jpg", &small, &[], false);
        assert_eq!(again.status, 403);
        assert!(again.text().contains("a day"), "{}", again.text());
        let held = block_on(site.store.library(None, 1000))
            .unwrap()
            .into_iter()
            .filter(|i| i.uploaded_by_name.as_deref() == Some("Kit Arden"))
            .count();
        assert_eq!(held, 4);

        // A damaged file takes nothing from the quota; a day later (counted
        // to the fifteenth of a day) it is whole.
        clock.advance(masthead::services::media::QUOTA_SECS * 16 / 15 + 60);
        let writer = sign_in(&site, "kit@example.org");
        let damaged = writer.upload(&site, "cut.jpg", &small[..small.len() / 2], &[], false);
        assert_eq!(damaged.status, 400);
        for i in 0..5 {
            let reply = writer.upload(&site, &format!("next-day-{i}.jpg"), &small, &[], false);
            assert_eq!(reply.status, 303, "upload {i} of the next day");
        }
    }
);
