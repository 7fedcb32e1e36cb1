//! The media library over real HTTP, on both databases, with real image
//! files: uploads make every width and a WebP of each, served with
//! long-lived caching and without the camera's GPS position; lying, oversized,
//! truncated and bomb files are refused and leave nothing behind; the
//! contributors' quota; an image in use cannot be deleted.

use std::io::Cursor;

use image::ImageEncoder;
use masthead::model::accounts::Role;
use masthead::services::media::MediaLimits;

use crate::common::{Backend, SiteOptions, TestSite, block_on};
use crate::newsroom::{location_path, person};
use crate::on_both_backends;

/// A photo-like JPEG of `width` × `height`.
pub(crate) fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 7 % 256) as u8,
            (y * 5 % 256) as u8,
            ((x + y) % 256) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(&img, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

fn png_with_alpha(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(width, height, |x, _| {
        image::Rgba([200, 30, 30, (x % 256) as u8])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&img, width, height, image::ExtendedColorType::Rgba8)
        .unwrap();
    out
}

/// The TIFF bytes of an EXIF block naming a camera and a GPS position
/// (latitude 59° N): what phones write into every photo.
fn exif_with_gps() -> Vec<u8> {
    let mut t: Vec<u8> = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    // IFD0: Make (ASCII at 38) and the GPS IFD pointer (at 44).
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend_from_slice(&[0x0f, 0x01, 2, 0]);
    t.extend_from_slice(&6u32.to_le_bytes());
    t.extend_from_slice(&38u32.to_le_bytes());
    t.extend_from_slice(&[0x25, 0x88, 4, 0]);
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&44u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(b"Snapr\0");
    // GPS IFD: GPSLatitudeRef "N", GPSLatitude 59/1 0/1 0/1 (at 74).
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend_from_slice(&[0x01, 0x00, 2, 0]);
    t.extend_from_slice(&2u32.to_le_bytes());
    t.extend_from_slice(b"N\0\0\0");
    t.extend_from_slice(&[0x02, 0x00, 5, 0]);
    t.extend_from_slice(&3u32.to_le_bytes());
    t.extend_from_slice(&74u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    for (n, d) in [(59u32, 1u32), (0, 1), (0, 1)] {
        t.extend_from_slice(&n.to_le_bytes());
        t.extend_from_slice(&d.to_le_bytes());
    }
    t
}

/// A JPEG whose EXIF says where and with what it was taken.
fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height);
    let tiff = exif_with_gps();
    let mut segment = vec![0xff, 0xe1];
    segment.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&segment);
    out.extend_from_slice(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small, valid PNG whose header claims 60,000 × 60,000 pixels: it would
/// unpack to gigabytes.
fn decompression_bomb() -> Vec<u8> {
    let mut png = png_with_alpha(4, 4);
    // IHDR's data starts at 16: width, height (big-endian), then its CRC at 29.
    png[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&60_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn site_with_limits(backend: Backend) -> Option<TestSite> {
    TestSite::start_with(
        backend,
        SiteOptions {
            media: Some(MediaLimits {
                max_upload_mb: 1,
                max_megapixels: 20,
                contributor_uploads: 1,
                ..MediaLimits::default()
            }),
            ..Default::default()
        },
    )
}

on_both_backends!(
    uploads_are_resized_stripped_and_served_for_long,
    |backend: Backend| {
        let Some(site) = site_with_limits(backend) else {
            return;
        };
        let editor = person(&site, "rui@example.org", "Rui Okafor", Role::Editor);
        let photo = jpeg_with_gps(1400, 900);
        assert!(contains(&photo, b"Exif\0\0") && contains(&photo, b"Snapr"));

        let reply = editor.upload(
            &site,
            "Quay at dawn.JPG",
            &photo,
            &[
                ("alt", "Cranes over the quay at dawn"),
                ("credit", "Rui Okafor/Northlight"),
            ],
            false,
        );
        assert_eq!(reply.status, 303, "{}", reply.text());
        let page = editor.get(&site, reply.header("location").unwrap()).text();
        assert!(page.contains("Uploaded: every width"));
        assert!(
            page.contains("320, 640, 960, 1280, 1400, each also as WebP"),
            "{page}"
        );
        let entry = block_on(site.store.library(None, 10)).unwrap().remove(0);
        let image = entry.image;
        assert!(image.file.starts_with("quay-at-dawn-") && image.file.ends_with(".jpg"));
        assert_eq!((image.width, image.height), (1400, 900));
        assert_eq!(image.credit, "Rui Okafor/Northlight");

        // every served copy: the right size and type, cached for long, no EXIF
        let mut widths = image.smaller_widths();
        widths.push(image.width);
        for width in widths {
            for ext in [None, Some("webp")] {
                let file = image.file_at(width, ext);
                let served = site.get(&format!("/media/{file}"));
                assert_eq!(served.status, 200, "{file}");
                let expected = if ext.is_some() {
                    "image/webp"
                } else {
                    "image/jpeg"
                };
                assert_eq!(served.header("content-type"), Some(expected), "{file}");
                assert!(
                    served
                        .header("cache-control")
                        .unwrap()
                        .contains("max-age=31536000"),
                    "{file}"
                );
                assert!(!contains(&served.body, b"Exif"), "{file} carries EXIF");
                assert!(!contains(&served.body, b"Snapr"), "{file} names the camera");
                let dims = image::ImageReader::new(Cursor::new(&served.body))
                    .with_guessed_format()
                    .unwrap()
                    .into_dimensions()
                    .unwrap();
                assert_eq!(dims.0, width as u32, "{file}");
            }
        }
        // the original is kept, untouched, where readers cannot reach it
        let original = entry.original.expect("an original");
        let kept = std::fs::read(site.data_dir().join("originals").join(&original)).unwrap();
        assert_eq!(kept, photo);
        assert_eq!(site.get(&format!("/media/{original}")).status, 404);
        assert_eq!(
            site.get(&format!("/media/../originals/{original}")).status,
            404
        );

        // a transparent PNG keeps its transparency (PNG copies, and WebP)
        let reply = editor.upload(
            &site,
            "badge.png",
            &png_with_alpha(700, 300),
            &[("alt", "A red badge")],
            true,
        );
        assert_eq!(reply.status, 200, "{}", reply.text());
        let answer: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        let badge = block_on(
            site.store
                .images_by_ids(&[answer["id"].as_str().unwrap().to_string()]),
        )
        .unwrap()
        .remove(0);
        assert!(badge.file.ends_with(".png"));
        assert_eq!(badge.smaller_widths(), [320, 640]);
        assert_eq!(
            site.get(&format!("/media/{}", badge.file_at(320, Some("webp"))))
                .status,
            200
        );

        // a story with the photo as hero serves the widths and the WebPs
        let card = block_on(
            site.store
                .story_card_by_slug("the-kiyoshima-islands-build-a-sea-wall-and-a-debate"),
        )
        .unwrap()
        .unwrap();
        let editor_path = masthead::urls::desk_story(&card.story.id);
        let form = editor.get(&site, &editor_path).text();
        let revision = crate::newsroom::input_value(&form, "revision");
        let saved = editor.post(
            &site,
            &editor_path,
            &[
                ("revision", &revision),
                ("headline", &card.story.headline),
                ("label", &card.story.label),
                ("section_id", &card.story.section_id),
                ("author", &card.author_ids[0]),
                ("body", card.story.body.as_str()),
                ("hero_image_id", &image.id),
                ("hero_credit", "Rui Okafor/Northlight for the Meridian"),
                ("step", "save"),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.text());
        let story = site.get(&format!("/stories/{}/", card.story.slug)).text();
        assert!(
            story.contains("<source type=\"image/webp\""),
            "the story offers WebP"
        );
        assert!(story.contains(&format!("/media/{} 640w", image.file_at(640, Some("webp")))));
        assert!(
            story.contains("Rui Okafor/Northlight for the Meridian"),
            "the story's own credit"
        );

        // in use: not deleted
        let refused = editor.post(&site, &format!("/desk/media/{}/delete", image.id), &[]);
        assert_eq!(refused.status, 409);
        assert!(refused.text().contains("still used"));
        assert!(
            refused
                .text()
                .contains(&card.story.headline.replace('\'', "&#39;"))
        );
        // the badge is unused: deleted with every file
        let deleted = editor.post(&site, &format!("/desk/media/{}/delete", badge.id), &[]);
        assert_eq!(deleted.status, 303);
        let left = files_in(&site.data_dir().join("media"));
        let stem = badge.file.trim_end_matches(".png");
        assert!(!left.iter().any(|f| f.starts_with(stem)), "{left:?}");
    }
);

on_both_backends!(
    bad_uploads_are_refused_and_leave_nothing_behind,
    |backend: Backend| {
        let Some(site) = site_with_limits(backend) else {
            return;
        };
        let author = person(&site, "ana@example.org", "Ana Ruiz", Role::Author);
        let media_before = files_in(&site.data_dir().join("media"));
        let images_before = block_on(site.store.library(None, 1000)).unwrap().len();

        let lying = author.upload(&site, "portrait.jpg", &png_with_alpha(50, 50), &[], false);
        assert_eq!(lying.status, 415);
        assert!(
            lying.text().contains("holds a PNG image"),
            "{}",
            lying.text()
        );
        let letter = author.upload(
            &site,
            "notes.jpg",
            b"Dear editor, this is not a photo.",
            &[],
            false,
        );
        assert_eq!(letter.status, 415);
        assert!(letter.text().contains("not an image the library takes"));

        let mut huge = jpeg(1600, 1200).repeat(8);
        huge.truncate(1024 * 1024 + 20 * 1024);
        let oversized = author.upload(&site, "huge.jpg", &huge, &[], true);
        assert_eq!(oversized.status, 413);
        assert!(
            oversized.text().contains("takes files up to 1 MB"),
            "{}",
            oversized.text()
        );

        let bomb = author.upload(&site, "bomb.png", &decompression_bomb(), &[], false);
        assert_eq!(bomb.status, 400);
        assert!(bomb.text().contains("60000 × 60000"), "{}", bomb.text());

        let whole = jpeg(800, 600);
        let truncated = author.upload(&site, "cut.jpg", &whole[..whole.len() / 3], &[], false);
        assert_eq!(truncated.status, 400);
        assert!(
            truncated.text().contains("truncated or damaged"),
            "{}",
            truncated.text()
        );

        assert_eq!(files_in(&site.data_dir().join("media")), media_before);
        assert!(files_in(&site.data_dir().join("originals")).is_empty());
        assert_eq!(
            block_on(site.store.library(None, 1000)).unwrap().len(),
            images_before
        );

        // contributors have a quota (one here)
        let contributor = person(&site, "kit@example.org", "Kit Arden", Role::Contributor);
        let first = contributor.upload(&site, "one.jpg", &jpeg(400, 300), &[], false);
        assert_eq!(first.status, 303, "{}", first.text());
        let second = contributor.upload(&site, "two.jpg", &jpeg(400, 300), &[], false);
        assert_eq!(second.status, 403);
        assert!(second.text().contains("Contributors may upload 1 images"));
        // and a contributor cannot delete an image someone else uploaded
        let theirs = location_path(&first);
        let other = author.upload(&site, "ana.jpg", &jpeg(400, 300), &[], false);
        let other_path = location_path(&other);
        assert_eq!(
            contributor
                .post(&site, &format!("{other_path}/delete"), &[])
                .status,
            403
        );
        assert_eq!(
            contributor
                .post(&site, &format!("{theirs}/delete"), &[])
                .status,
            303,
            "their own, unused, they may delete"
        );
    }
);

on_both_backends!(
    /// "Where used" searched every story's and brief's body with LIKE (105
    /// ms at 100,000 stories) and never looked in pages, so an image shown
    /// only on a page could be deleted from under it. Saves now list the
    /// files a body names; an image's uses are an index look-up of its own
    /// file names.
    an_image_in_a_body_or_a_page_is_found_and_kept,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let editor = person(&site, "eda@example.org", "Eda Reyes", Role::Editor);
        let reply = editor.upload(&site, "badge.png", &png_with_alpha(700, 300), &[("alt", "A red badge")], true);
        assert_eq!(reply.status, 200, "{}", reply.text());
        let answer: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        let id = answer["id"].as_str().unwrap().to_string();
        let badge = block_on(site.store.images_by_ids(std::slice::from_ref(&id)))
            .unwrap()
            .remove(0);
        let figure = format!(
            "<figure><img src=\"/media/{}\" alt=\"A red badge\"></figure><p>With the badge.</p>",
            badge.file_at(640, None)
        );

        // in a page's text only
        let made = editor.post(
            &site,
            "/desk/pages/new",
            &[("title", "Our badges"), ("body", &figure), ("step", "publish")],
        );
        assert_eq!(made.status, 303, "{}", made.text());
        let page_path = location_path(&made);
        let image_page = editor.get(&site, &format!("/desk/media/{id}")).text();
        assert!(image_page.contains("Our badges"), "the page is named as a use");
        let refused = editor.post(&site, &format!("/desk/media/{id}/delete"), &[]);
        assert_eq!(refused.status, 409, "an image a page shows is kept");

        // the page no longer shows it: the image may go
        let page = block_on(site.store.page_by_id(page_path.rsplit('/').next().unwrap()))
            .unwrap()
            .unwrap();
        let form = editor.get(&site, &page_path).text();
        let revision = crate::newsroom::input_value(&form, "revision");
        let saved = editor.post(
            &site,
            &page_path,
            &[
                ("revision", &revision),
                ("title", &page.title),
                ("slug", &page.slug),
                ("body", "<p>Badges are retired.</p>"),
                ("step", "save"),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.text());
        assert!(!editor.get(&site, &format!("/desk/media/{id}")).text().contains("Our badges"));
        let deleted = editor.post(&site, &format!("/desk/media/{id}/delete"), &[]);
        assert_eq!(deleted.status, 303, "{}", deleted.text());
    }
);

on_both_backends!(
    media_are_addressed_on_the_media_url_everywhere_readers_find_them,
    |backend: Backend| {
        let Some(site) = TestSite::start_with(
            backend,
            SiteOptions {
                media_url: Some("https://cdn.example.net/news/".into()),
                ..Default::default()
            },
        ) else {
            return;
        };
        let key = crate::common::content_key(&site);
        let latest = site.get("/latest/").text();
        let story = latest
            .split("href=\"/stories/")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a story on /latest/");
        for path in [
            "/".to_string(),
            "/latest/".into(),
            "/briefs/".into(),
            format!("/stories/{story}"),
            "/feed.xml".into(),
            "/feed.json".into(),
            "/sitemaps/stories-1.xml".into(),
            format!("/ghost/api/content/posts/?key={key}&include=authors,tags&formats=html"),
            format!("/ghost/api/content/authors/?key={key}"),
        ] {
            let reply = site.get(&path);
            assert_eq!(reply.status, 200, "{path}");
            let text = reply.text();
            assert!(
                text.contains("https://cdn.example.net/news/"),
                "{path} names no media on the media address"
            );
            // Every media address is on it: none is left on the site's own /media/.
            assert!(
                !text.contains("/media/"),
                "{path} still links to /media/: {}",
                &text[text.find("/media/").unwrap().saturating_sub(80)..][..160]
            );
        }
        // The server still sends them itself (the CDN's origin).
        let photo = latest
            .split("https://cdn.example.net/news/")
            .nth(1)
            .and_then(|rest| rest.split(['"', ' ']).next())
            .expect("an image on /latest/");
        assert_eq!(site.get(&format!("/media/{photo}")).status, 200);
    }
);
