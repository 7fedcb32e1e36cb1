//! Moving a publication in and out, on both databases: the WordPress test
//! data imports with the counts its files hold, its pages render and its
//! old addresses answer 301, a second run changes nothing; damaged and
//! hostile files are refused or imported in part with a report; the export
//! reads back identically, and `db copy` SQLite → PostgreSQL → SQLite keeps
//! every row.

use std::path::{Path, PathBuf};

use masthead::moving::{
    MediaSource, Options, Report, backup, ghost, ghost_export, masthead_format, wordpress,
};
use masthead::services::media::Library;
use masthead::store::Store;

use crate::common::{Backend, TestSite, block_on, drop_postgres_db, fresh_postgres_db};
use crate::on_both_backends;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/wordpress")
        .join(name)
}

fn ghost_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/ghost")
        .join(name)
}

fn library(dir: &Path) -> Library {
    Library::new(
        std::sync::Arc::new(masthead::storage::LocalDisk::new(
            dir.join("media"),
            dir.join("originals"),
        )),
        masthead::config::MediaLimits::default(),
    )
}

fn import(site: &TestSite, file: &Path, media: MediaSource) -> anyhow::Result<Report> {
    let options = Options {
        media,
        dry_run: false,
    };
    block_on(wordpress::import(
        &site.store,
        &library(site.data_dir()),
        file,
        &options,
        |_, _| {},
    ))
}

/// A copy of wp-content/uploads for a WXR file: a JPEG wherever an image
/// attachment points (other files are left missing, as on a real site
/// whose uploads were copied in part).
fn uploads_for(file: &Path, dir: &Path) -> usize {
    let text = std::fs::read_to_string(file).unwrap();
    let mut made = 0;
    for part in text.split("<wp:attachment_url>").skip(1) {
        let url = part.split("</wp:attachment_url>").next().unwrap();
        let url = url.trim_start_matches("<![CDATA[").trim_end_matches("]]>");
        let relative = url.split_once("/uploads/").map_or_else(
            || url.rsplit('/').next().unwrap().to_string(),
            |(_, r)| r.to_string(),
        );
        if relative.ends_with(".jpg") || relative.ends_with(".jpeg") {
            let path = dir.join(&relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, crate::media::jpeg(64, 48)).unwrap();
            made += 1;
        }
    }
    made
}

fn fingerprint(store: &Store) -> String {
    block_on(backup::fingerprint(store)).unwrap()
}

on_both_backends!(wordpress_test_data_imports_whole, |backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let file = fixture("themeunittestdata.wordpress.xml");
    let uploads = tempfile::tempdir().unwrap();
    let jpegs = uploads_for(&file, uploads.path());
    let report = import(&site, &file, MediaSource::Dir(uploads.path().to_path_buf())).unwrap();
    let read = |k: &str| report.read.get(k).copied().unwrap_or(0);
    let wrote = |k: &str| report.written.get(k).copied().unwrap_or(0);
    // What the theme unit test data holds (its README).
    assert_eq!(read("posts"), 58, "{report}");
    assert_eq!(read("pages"), 21, "{report}");
    assert_eq!(read("attachments"), 37, "{report}");
    assert_eq!(read("categories"), 68, "{report}");
    assert_eq!(read("tags"), 110, "{report}");
    assert_eq!(read("authors"), 2, "{report}");
    assert_eq!(wrote("stories"), 58, "{report}");
    assert_eq!(wrote("pages"), 21, "{report}");
    assert_eq!(wrote("images"), jpegs, "{report}");
    assert!(wrote("hero images") >= 1, "{report}");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("password-protected")),
        "{report}"
    );

    // Pages render; old addresses lead to them.
    let story = site.get("/stories/markup-html-tags-and-formatting/");
    assert_eq!(story.status, 200);
    assert!(story.text().contains("Headings"), "the body came through");
    let old = site.get("/2013/01/11/markup-html-tags-and-formatting/");
    assert_eq!(old.status, 301);
    assert_eq!(
        old.header("location"),
        Some("/stories/markup-html-tags-and-formatting/")
    );
    let child = site.get("/category/parent/child-1/");
    assert_eq!(child.status, 301);
    assert_eq!(child.header("location"), Some("/tag/child-1/"));
    assert_eq!(site.get("/tag/child-1/").status, 200);
    assert_eq!(site.get("/about/").status, 200);
    assert_eq!(site.get("/author/themedemos/").status, 200);
    // A scheduled post stays hidden until its time.
    let future = block_on(site.store.story_by_slug("scheduled"))
        .unwrap()
        .unwrap();
    assert_eq!(future.status, masthead::model::Status::Scheduled);
    assert_eq!(site.get("/stories/scheduled/").status, 404);

    // The same file again changes nothing.
    let before = fingerprint(&site.store);
    let again = import(&site, &file, MediaSource::Dir(uploads.path().to_path_buf())).unwrap();
    assert_eq!(again.written.get("stories"), Some(&58));
    assert_eq!(
        fingerprint(&site.store),
        before,
        "a second import changed rows"
    );
});

on_both_backends!(block_editor_posts_come_without_block_comments, |backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let report = import(&site, &fixture("64-block-test-data.xml"), MediaSource::None).unwrap();
    assert_eq!(report.read.get("posts"), Some(&61), "{report}");
    assert_eq!(report.read.get("pages"), Some(&1), "{report}");
    assert_eq!(report.read.get("attachments"), Some(&9), "{report}");
    assert!(report.notes.iter().any(|n| n.contains("--media-dir")));
    let columns = block_on(site.store.story_by_slug("columns")).unwrap();
    let story = columns.expect("the Columns post");
    assert!(
        !story.body.as_str().contains("wp:"),
        "{}",
        story.body.as_str()
    );
    assert!(!story.body.as_str().contains("<!--"));
    assert!(!story.body.is_empty());
    // Items without ids or slugs (this file has neither) are still seven stories.
    let before = block_on(site.store.count_all_stories()).unwrap();
    let preview = import(&site, &fixture("theme-preview.xml"), MediaSource::None).unwrap();
    assert_eq!(preview.read.get("posts"), Some(&7), "{preview}");
    assert_eq!(
        block_on(site.store.count_all_stories()).unwrap(),
        before + 7
    );
});

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.0/">
<channel><title>Old site</title><link>http://old.example</link>
"#;

fn post(id: u32, slug: &str, content: &str) -> String {
    format!(
        "<item><title>Post {id}</title><link>http://old.example/{slug}/</link><dc:creator>ed</dc:creator>\
         <content:encoded><![CDATA[{content}]]></content:encoded><wp:post_id>{id}</wp:post_id>\
         <wp:post_date_gmt>2020-02-03 04:05:06</wp:post_date_gmt><wp:post_name>{slug}</wp:post_name>\
         <wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\
         <category domain=\"category\" nicename=\"news\"><![CDATA[News]]></category></item>\n"
    )
}

on_both_backends!(
    damaged_and_hostile_files_are_refused_or_imported_in_part,
    |backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        // WXR 1.0 under http://, a raw & in a link and text, as real exports have.
        let raw_amp = format!(
            "{HEAD}{}</channel></rss>",
            post(
                1,
                "fish-chips",
                "Fish & chips <a href=\"http://x.example/?a=1&b=2\">menu</a>"
            )
        );
        let report = import(
            &site,
            &write(dir.path(), "amp.xml", raw_amp.as_bytes()),
            MediaSource::None,
        )
        .unwrap();
        assert_eq!(report.written.get("stories"), Some(&1), "{report}");
        let story = block_on(site.store.story_by_slug("fish-chips"))
            .unwrap()
            .unwrap();
        assert!(
            story.body.plain_text().contains("Fish & chips"),
            "{}",
            story.body.as_str()
        );
        assert_eq!(
            site.get("/fish-chips/").header("location"),
            Some("/stories/fish-chips/")
        );

        // Entities of a DTD are never expanded (billion laughs).
        let mut laughs = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n",
        );
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_string()
            } else {
                format!("lol{}", i - 1)
            };
            laughs.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">\n",
                format!("&{prev};").repeat(10)
            ));
        }
        laughs.push_str("]>\n");
        laughs.push_str(&HEAD[HEAD.find("<rss").unwrap()..]);
        laughs.push_str("<item><title>&lol9;</title><wp:post_id>2</wp:post_id><wp:post_name>laughs</wp:post_name><wp:status>draft</wp:status><wp:post_type>post</wp:post_type></item></channel></rss>");
        let report = import(
            &site,
            &write(dir.path(), "laughs.xml", laughs.as_bytes()),
            MediaSource::None,
        )
        .unwrap();
        assert_eq!(report.written.get("stories"), Some(&1), "{report}");
        let story = block_on(site.store.story_by_slug("laughs"))
            .unwrap()
            .unwrap();
        assert_eq!(story.headline, "&lol9;");

        // Cut short: what came before is in, and the report says where it stopped.
        let whole = std::fs::read(fixture("theme-preview.xml")).unwrap();
        let cut = write(dir.path(), "cut.xml", &whole[..whole.len() * 2 / 3]);
        let report = import(&site, &cut, MediaSource::None).unwrap();
        let written = report.written.get("stories").copied().unwrap_or(0);
        assert!((1..7).contains(&written), "{report}");
        assert!(
            report.notes.iter().any(|n| n.contains("stopped early")),
            "{report}"
        );

        // One element larger than the bound stops the reader, not the machine.
        let mut huge = format!("{HEAD}{}", post(3, "before-huge", "fine"));
        huge.push_str("<item><title>Huge</title><content:encoded>");
        let mut file = std::fs::File::create(dir.path().join("huge.xml")).unwrap();
        std::io::Write::write_all(&mut file, huge.as_bytes()).unwrap();
        let line = vec![b'x'; 1 << 20];
        for _ in 0..(wordpress::MAX_ELEMENT >> 20) + 2 {
            std::io::Write::write_all(&mut file, &line).unwrap();
        }
        drop(file);
        let report = import(&site, &dir.path().join("huge.xml"), MediaSource::None).unwrap();
        assert_eq!(report.written.get("stories"), Some(&1), "{report}");
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("larger than 64 MiB")),
            "{report}"
        );

        // Another encoding is refused with advice; bytes that are not UTF-8 are replaced and reported.
        let latin = HEAD.replace("UTF-8", "ISO-8859-1");
        let err = import(
            &site,
            &write(dir.path(), "latin.xml", latin.as_bytes()),
            MediaSource::None,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("iconv"), "{err:#}");
        let mut bad = HEAD.as_bytes().to_vec();
        bad.extend_from_slice(
            post(4, "bad-bytes", "caf\u{e9}")
                .replace('\u{e9}', "\u{1}")
                .as_bytes(),
        );
        let at = bad.windows(4).position(|w| w == b"caf\x01").unwrap() + 3;
        bad[at] = 0xE9;
        bad.extend_from_slice(b"</channel></rss>");
        let report = import(
            &site,
            &write(dir.path(), "bad.xml", &bad),
            MediaSource::None,
        )
        .unwrap();
        assert!(
            report.notes.iter().any(|n| n.contains("not UTF-8")),
            "{report}"
        );

        // Not a WordPress export at all.
        let rss =
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title></channel></rss>";
        let err = import(
            &site,
            &write(dir.path(), "rss.xml", rss.as_bytes()),
            MediaSource::None,
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("not a WordPress export"),
            "{err:#}"
        );
    }
);

/// Loads `from`'s export into a fresh SQLite database; answers the store.
fn sqlite_store(dir: &Path, name: &str) -> Store {
    let url = format!("sqlite://{}", dir.join(name).display());
    block_on(async {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        store
    })
}

on_both_backends!(exports_read_back_identically, |backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    import(&site, &fixture("theme-preview.xml"), MediaSource::None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (first, written) =
        block_on(masthead_format::export(&site.store, Vec::new(), true)).unwrap();
    assert!(written.rows() > 100);
    let copy = sqlite_store(dir.path(), "copy.db");
    let input = std::io::Cursor::new(first.clone());
    block_on(masthead_format::import(&copy, input, |_, _| {})).unwrap();
    let (second, _) = block_on(masthead_format::export(&copy, Vec::new(), true)).unwrap();
    let tables = |bytes: &[u8]| {
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .split_once('\n')
            .unwrap()
            .1
            .to_string()
    };
    assert_eq!(
        tables(&first),
        tables(&second),
        "export → import → export differs"
    );
    // A database that holds a publication is never loaded over.
    let err = block_on(masthead_format::import(
        &copy,
        std::io::Cursor::new(first.clone()),
        |_, _| {},
    ))
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("already holds a publication"),
        "{err:#}"
    );
    // A damaged export loads nothing.
    let fresh = sqlite_store(dir.path(), "fresh.db");
    let cut = first[..first.len() / 2].to_vec();
    assert!(
        block_on(masthead_format::import(
            &fresh,
            std::io::Cursor::new(cut),
            |_, _| {}
        ))
        .is_err()
    );
    assert!(block_on(fresh.is_empty()).unwrap());
    let ghost = br#"{"db":[{"meta":{},"data":{}}]}"#.to_vec();
    let err = block_on(masthead_format::import(
        &fresh,
        std::io::Cursor::new(ghost),
        |_, _| {},
    ))
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("not a Masthead export"),
        "{err:#}"
    );
});

#[test]
fn db_copy_sqlite_to_postgres_and_back_keeps_every_row() {
    let Some(site) = TestSite::start(Backend::Sqlite) else {
        return;
    };
    let Some(pg_url) = fresh_postgres_db() else {
        return;
    };
    import(
        &site,
        &fixture("themeunittestdata.wordpress.xml"),
        MediaSource::None,
    )
    .unwrap();
    let original = fingerprint(&site.store);
    let pg = block_on(async {
        let store = Store::connect(&pg_url).await.unwrap();
        store.migrate().await.unwrap();
        store
    });
    block_on(backup::copy(&site.store, &pg, |_, _| {})).unwrap();
    assert_eq!(fingerprint(&pg), original, "SQLite → PostgreSQL");
    let dir = tempfile::tempdir().unwrap();
    let back = sqlite_store(dir.path(), "back.db");
    block_on(backup::copy(&pg, &back, |_, _| {})).unwrap();
    assert_eq!(fingerprint(&back), original, "PostgreSQL → SQLite");
    // A backup taken while serving restores into an empty database.
    let file = dir.path().join("site.backup");
    block_on(backup::backup(&site.store, &file)).unwrap();
    let restored = sqlite_store(dir.path(), "restored.db");
    block_on(backup::restore(&restored, &file, |_, _| {})).unwrap();
    assert_eq!(fingerprint(&restored), original, "backup → restore");
    let pg_file = dir.path().join("pg.backup");
    block_on(backup::backup(&pg, &pg_file)).unwrap();
    let from_pg = sqlite_store(dir.path(), "from-pg.db");
    block_on(backup::restore(&from_pg, &pg_file, |_, _| {})).unwrap();
    assert_eq!(
        fingerprint(&from_pg),
        original,
        "PostgreSQL backup → restore"
    );
    block_on(pg.close());
    drop_postgres_db(&pg_url);
}

#[test]
fn every_table_is_carried_or_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path(), "schema.db");
    let schema = block_on(store.logical_schema()).unwrap();
    let mut tables: Vec<String> = schema
        .iter()
        .filter(|l| !l.starts_with("index:"))
        .filter_map(|l| l.split_once('.').map(|(t, _)| t.to_string()))
        .filter(|t| !t.starts_with("search_index"))
        .collect();
    tables.dedup();
    assert_eq!(
        masthead::store::dump::unlisted(&tables),
        Vec::<String>::new()
    );
}

fn import_ghost(
    site: &TestSite,
    file: &Path,
    redirects: Option<&Path>,
    media: MediaSource,
) -> anyhow::Result<Report> {
    let options = Options {
        media,
        dry_run: false,
    };
    block_on(ghost::import(
        &site.store,
        &library(site.data_dir()),
        file,
        redirects,
        &options,
    ))
}

on_both_backends!(ghost_exports_of_every_version_import, |backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    // (file, posts, pages, tags, users) as each file holds them.
    for (file, posts, pages, tags, users) in [
        ("export_valid.json", 2, 0, 1, 1),
        ("export_v2_export.json", 7, 0, 1, 2),
        ("export_v3_export.json", 7, 0, 1, 2),
        ("export_v4_export.json", 7, 4, 1, 2),
        ("export_products_export.json", 1, 0, 0, 0),
        ("import_import-data-1.json", 1, 0, 1, 1),
        ("import_import-data-lts.json", 1, 0, 1, 1),
    ] {
        let report = import_ghost(&site, &ghost_fixture(file), None, MediaSource::None).unwrap();
        let read = |k: &str| report.read.get(k).copied().unwrap_or(0);
        assert_eq!(
            (read("posts"), read("pages"), read("tags"), read("users")),
            (posts, pages, tags, users),
            "{file}: {report}"
        );
        assert_eq!(
            report.written.get("stories"),
            Some(&posts),
            "{file}: {report}"
        );
    }
    // Ghost 4's posts and pages render; Ghost's addresses lead to them.
    let welcome = block_on(site.store.story_by_slug("welcome"))
        .unwrap()
        .unwrap();
    let section = block_on(site.store.sections()).unwrap();
    let primary = section.iter().find(|s| s.id == welcome.section_id).unwrap();
    assert_eq!(
        primary.slug, "getting-started",
        "the primary tag is the section"
    );
    assert_eq!(site.get("/stories/welcome/").status, 200);
    // Three of the files hold a "welcome" post: each kept, the later ones
    // under a new slug, and Ghost's /welcome/ leads to the last one in.
    let old = site.get("/welcome/");
    assert_eq!(old.status, 301);
    let moved = old.header("location").unwrap().to_string();
    assert!(moved.starts_with("/stories/welcome-"), "{moved}");
    assert_eq!(site.get(&moved).status, 200);
    assert_eq!(site.get("/about/").status, 200);
    // Paid-members content is not made public.
    let premium = block_on(site.store.story_by_slug("sell")).unwrap().unwrap();
    assert_eq!(premium.status, masthead::model::Status::Draft);
    // Twice changes nothing.
    let before = fingerprint(&site.store);
    import_ghost(
        &site,
        &ghost_fixture("export_v4_export.json"),
        None,
        MediaSource::None,
    )
    .unwrap();
    assert_eq!(
        fingerprint(&site.store),
        before,
        "a second import changed rows"
    );

    let err = import_ghost(
        &site,
        &ghost_fixture("export_broken.json"),
        None,
        MediaSource::None,
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("not a Ghost export"), "{err:#}");
    let dir = tempfile::tempdir().unwrap();
    let cut = std::fs::read(ghost_fixture("export_v4_export.json")).unwrap();
    let cut = write(dir.path(), "cut.json", &cut[..cut.len() / 2]);
    let err = import_ghost(&site, &cut, None, MediaSource::None).unwrap_err();
    assert!(format!("{err:#}").contains("not valid JSON"), "{err:#}");
});

/// A small Ghost 5 export in the wrapped shape, written for this test.
const GHOST5: &str = r##"{"db":[{"meta":{"exported_on":1700000000000,"version":"5.80.0"},"data":{
"users":[{"id":"u1","name":"Ines Varga","slug":"ines","email":"ines@example.org","bio":"Covers ports.","website":"https://ines.example","twitter":"@ines"}],
"tags":[{"id":"t1","name":"Harbours","slug":"harbours"},{"id":"t2","name":"#newsletter-only","slug":"hash-newsletter-only","visibility":"internal"},{"id":"t3","name":"Trade","slug":"trade"}],
"posts":[{"id":"p1","uuid":"4f7d0c0e-0000-4000-8000-000000000001","title":"Cranes return to the north quay","slug":"cranes-return","html":"<p>The <strong>cranes</strong> are back.</p>","feature_image":"__GHOST_URL__/content/images/2024/03/quay.jpg","featured":true,"type":"post","status":"published","visibility":"public","published_at":"2024-03-01T08:00:00.000Z","created_at":"2024-02-28T08:00:00.000Z","updated_at":"2024-03-01T09:00:00.000Z","custom_excerpt":"A port wakes up."},
         {"id":"p2","uuid":"4f7d0c0e-0000-4000-8000-000000000002","title":"Tomorrow's tides","slug":"tides","html":"<p>Soon.</p>","type":"post","status":"scheduled","visibility":"public","published_at":"2999-01-01T00:00:00.000Z","created_at":"2024-02-28T08:00:00.000Z","updated_at":"2024-02-28T08:00:00.000Z"}],
"posts_meta":[{"post_id":"p1","feature_image_alt":"Two cranes at dusk","feature_image_caption":"The north quay in March","meta_title":"Cranes are back","og_description":"The port wakes up"}],
"posts_tags":[{"post_id":"p1","tag_id":"t2","sort_order":0},{"post_id":"p1","tag_id":"t1","sort_order":1},{"post_id":"p1","tag_id":"t3","sort_order":2}],
"posts_authors":[{"post_id":"p1","author_id":"u1","sort_order":0},{"post_id":"p2","author_id":"u1","sort_order":0}],
"members":[{"id":"m1","email":"reader.one@example.org","name":"Reader One","status":"free","created_at":"2023-05-01T00:00:00.000Z"},
           {"id":"m2","email":"reader.two@example.org","name":"Reader Two","status":"free"},
           {"id":"m3","email":"not an address","name":"Broken"}],
"members_newsletters":[{"member_id":"m1","newsletter_id":"n1"}]
}}]}"##;

on_both_backends!(
    ghost_members_images_internal_tags_and_redirects,
    |backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "ghost5.json", GHOST5.as_bytes());
        let images = dir.path().join("images");
        std::fs::create_dir_all(images.join("2024/03")).unwrap();
        std::fs::write(images.join("2024/03/quay.jpg"), crate::media::jpeg(80, 60)).unwrap();
        let rules = write(
        dir.path(),
        "redirects.json",
        br#"[{"from":"^/old-cranes/$","to":"/cranes-return/","permanent":true},{"from":"^/tag/(.*)$","to":"/topic/$1"}]"#,
    );
        let report = import_ghost(&site, &file, Some(&rules), MediaSource::Dir(images)).unwrap();
        assert_eq!(report.written.get("subscribers"), Some(&1), "{report}");
        assert_eq!(
            report.written.get("unsubscribed readers"),
            Some(&1),
            "{report}"
        );
        assert!(
            report.notes.iter().any(|n| n.contains("not an address")),
            "{report}"
        );
        assert!(
            report.notes.iter().any(|n| n.contains("internal tags")),
            "{report}"
        );
        assert!(
            report.notes.iter().any(|n| n.contains("pattern")),
            "{report}"
        );

        let story = block_on(site.store.story_by_slug("cranes-return"))
            .unwrap()
            .unwrap();
        let sections = block_on(site.store.sections()).unwrap();
        let section = sections.iter().find(|s| s.id == story.section_id).unwrap();
        assert_eq!(
            section.slug, "harbours",
            "the first public tag, past the internal one"
        );
        assert!(story.featured);
        assert_eq!(story.dek, "A port wakes up.");
        assert_eq!(story.seo_title.as_deref(), Some("Cranes are back"));
        assert_eq!(story.seo_description.as_deref(), Some("The port wakes up"));
        assert!(story.hero_image_id.is_some(), "{report}");
        assert_eq!(story.hero_alt.as_deref(), Some("Two cranes at dusk"));
        assert_eq!(
            story.hero_caption.as_deref(),
            Some("The north quay in March")
        );
        let page = site.get("/stories/cranes-return/").text();
        assert!(page.contains("Two cranes at dusk") && page.contains("Ines Varga"));
        assert!(
            block_on(site.store.tag_by_slug("hash-newsletter-only"))
                .unwrap()
                .is_none()
        );
        assert!(block_on(site.store.tag_by_slug("trade")).unwrap().is_some());
        let tides = block_on(site.store.story_by_slug("tides"))
            .unwrap()
            .unwrap();
        assert_eq!(tides.status, masthead::model::Status::Scheduled);
        assert_eq!(
            site.get("/stories/tides/").status,
            404,
            "not before its time"
        );
        // The members keep their choice.
        let one = block_on(site.store.subscriber_by_email("reader.one@example.org"))
            .unwrap()
            .unwrap();
        let two = block_on(site.store.subscriber_by_email("reader.two@example.org"))
            .unwrap()
            .unwrap();
        assert_eq!(one.status.as_str(), "active");
        assert_eq!(two.status.as_str(), "unsubscribed");
        // The literal rule answers; Ghost's own address for the post too.
        assert_eq!(
            site.get("/old-cranes/").header("location"),
            Some("/cranes-return/")
        );
        assert_eq!(
            site.get("/cranes-return/").header("location"),
            Some("/stories/cranes-return/")
        );
        let before = fingerprint(&site.store);
        import_ghost(
            &site,
            &file,
            Some(&rules),
            MediaSource::Dir(dir.path().join("images")),
        )
        .unwrap();
        assert_eq!(
            fingerprint(&site.store),
            before,
            "a second import changed rows"
        );
    }
);

on_both_backends!(ghost_format_export_reads_back, |backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    import(&site, &fixture("theme-preview.xml"), MediaSource::None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ghost.json");
    let written = block_on(masthead::moving::to_file(&path, async |out| {
        ghost_export::export(&site.store, out, Some("https://example.org".into())).await
    }))
    .unwrap();
    let stories = block_on(site.store.count_all_stories()).unwrap() as usize;
    assert_eq!(written.posts, stories);
    // Another Masthead reads it with its Ghost importer: the same stories,
    // slugs and sections.
    let other = sqlite_store(dir.path(), "other.db");
    let options = Options {
        media: MediaSource::None,
        dry_run: false,
    };
    let report = block_on(ghost::import(
        &other,
        &library(dir.path()),
        &path,
        None,
        &options,
    ))
    .unwrap();
    assert_eq!(report.read.get("posts"), Some(&stories), "{report}");
    assert_eq!(
        block_on(other.count_all_stories()).unwrap() as usize,
        stories
    );
    let exported: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let posts: Vec<serde_json::Value> = exported["db"][0]["data"]["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "post")
        .cloned()
        .collect();
    assert_eq!(posts.len(), stories);
    let section_slug = |store: &Store, id: &str| {
        block_on(store.sections())
            .unwrap()
            .into_iter()
            .find(|s| s.id == id)
            .unwrap()
            .slug
    };
    for post in posts {
        let slug = post["slug"].as_str().unwrap();
        let original = block_on(site.store.story_by_slug(slug)).unwrap().unwrap();
        let copy = block_on(other.story_by_slug(slug)).unwrap().unwrap();
        assert_eq!(original.headline, copy.headline);
        assert_eq!(original.status, copy.status, "{slug}");
        assert_eq!(original.published_at, copy.published_at, "{slug}");
        assert_eq!(original.featured, copy.featured, "{slug}");
        assert_eq!(
            section_slug(&site.store, &original.section_id),
            section_slug(&other, &copy.section_id),
            "{slug}"
        );
    }
});

on_both_backends!(
    wordpress_dry_run_writes_nothing_and_plugins_meta_is_read,
    |backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let item = "<item><title>Budget night</title><link>http://old.example/2021/03/budget-night/</link>\
        <dc:creator>ed</dc:creator><content:encoded><![CDATA[<!-- wp:paragraph --><p>Numbers.</p><!-- /wp:paragraph -->\n\n[gallery ids=\"1,2\"]]]></content:encoded>\
        <wp:post_id>9</wp:post_id><wp:post_date_gmt>2021-03-03 20:00:00</wp:post_date_gmt>\
        <wp:post_name>budget-night</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\
        <category domain=\"category\" nicename=\"news\"><![CDATA[News]]></category>\
        <category domain=\"author\" nicename=\"cap-mira\"><![CDATA[Mira Holt]]></category>\
        <wp:postmeta><wp:meta_key>_yoast_wpseo_title</wp:meta_key><wp:meta_value><![CDATA[Budget night, line by line]]></wp:meta_value></wp:postmeta>\
        <wp:postmeta><wp:meta_key>_yoast_wpseo_metadesc</wp:meta_key><wp:meta_value><![CDATA[What the numbers say]]></wp:meta_value></wp:postmeta>\
        <wp:postmeta><wp:meta_key>_wp_old_slug</wp:meta_key><wp:meta_value><![CDATA[budget-draft]]></wp:meta_value></wp:postmeta></item>";
        let file = write(
        dir.path(),
        "plugins.xml",
        format!("{HEAD}<wp:author><wp:author_login>ed</wp:author_login><wp:author_display_name>Ed Itor</wp:author_display_name></wp:author>{item}</channel></rss>").as_bytes(),
    );
        let before = fingerprint(&site.store);
        let options = Options {
            media: MediaSource::None,
            dry_run: true,
        };
        let report = block_on(wordpress::import(
            &site.store,
            &library(site.data_dir()),
            &file,
            &options,
            |_, _| {},
        ))
        .unwrap();
        assert_eq!(report.written.get("stories"), Some(&1), "{report}");
        assert!(format!("{report}").contains("Would write"), "{report}");
        assert_eq!(
            fingerprint(&site.store),
            before,
            "a dry run wrote something"
        );

        import(&site, &file, MediaSource::None).unwrap();
        let story = block_on(site.store.story_by_slug("budget-night"))
            .unwrap()
            .unwrap();
        assert_eq!(
            story.seo_title.as_deref(),
            Some("Budget night, line by line")
        );
        assert_eq!(
            story.seo_description.as_deref(),
            Some("What the numbers say")
        );
        // An unknown shortcode stays visible for an editor to replace.
        assert!(
            story.body.as_str().contains("[gallery ids="),
            "{}",
            story.body.as_str()
        );
        let page = site.get("/stories/budget-night/").text();
        assert!(
            page.contains("Ed Itor") && page.contains("Mira Holt"),
            "both bylines"
        );
        let old = site.get("/stories/budget-draft/");
        assert_eq!(old.status, 301);
        assert_eq!(old.header("location"), Some("/stories/budget-night/"));
    }
);
