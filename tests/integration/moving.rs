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
        masthead::services::media::MediaLimits::default(),
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
<channel><title>Old site</title><link>http://old.example</link><wp:wxr_version>1.0</wp:wxr_version>
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

        // An encoding no decoder knows is refused with advice (ISO-8859-1
        // and UTF-16 are read: see the next test); a file that holds
        // nothing says so; bytes that are not UTF-8 are replaced and
        // reported.
        let unknown = format!("{}</channel></rss>", HEAD.replace("UTF-8", "X-MARTIAN-7"));
        let err = import(
            &site,
            &write(dir.path(), "martian.xml", unknown.as_bytes()),
            MediaSource::None,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("iconv"), "{err:#}");
        let empty = import(
            &site,
            &write(
                dir.path(),
                "empty.xml",
                format!("{HEAD}</channel></rss>").as_bytes(),
            ),
            MediaSource::None,
        )
        .unwrap_err();
        assert!(format!("{empty:#}").contains("holds nothing"), "{empty:#}");
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

/// A WXR file as WordPress writes one, with `items` in its channel.
fn wxr(items: &str) -> String {
    format!("{HEAD}{items}</channel></rss>")
}

/// An item of `kind` (post or page) with the given id, title, link and body.
fn item(kind: &str, id: u32, title: &str, link: &str, slug: &str, body: &str) -> String {
    format!(
        "<item><title>{title}</title><link>{link}</link><dc:creator>ed</dc:creator>\
         <content:encoded><![CDATA[{body}]]></content:encoded><wp:post_id>{id}</wp:post_id>\
         <wp:post_date_gmt>2020-02-03 04:05:06</wp:post_date_gmt><wp:post_name>{slug}</wp:post_name>\
         <wp:status>publish</wp:status><wp:post_type>{kind}</wp:post_type>\
         <category domain=\"category\" nicename=\"news\"><![CDATA[News]]></category></item>\n"
    )
}

on_both_backends!(
    wordpress_exports_no_one_here_wrote_import_without_loss,
    |backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();

        // Two items sharing a wp:post_id: both kept, reported, and a second run
        // changes nothing.
        let twins = wxr(&format!(
            "{}{}",
            item(
                "post",
                70,
                "First twin",
                "http://old.example/first-twin/",
                "first-twin",
                "<p>One.</p>"
            ),
            item(
                "post",
                70,
                "Second twin",
                "http://old.example/second-twin/",
                "second-twin",
                "<p>Two.</p>"
            ),
        ));
        let file = write(dir.path(), "twins.xml", twins.as_bytes());
        let report = import(&site, &file, MediaSource::None).unwrap();
        assert_eq!(report.written.get("stories"), Some(&2), "{report}");
        assert!(format!("{report}").contains("same id"), "{report}");
        for slug in ["first-twin", "second-twin"] {
            assert!(
                block_on(site.store.story_by_slug(slug)).unwrap().is_some(),
                "{slug} kept"
            );
            assert_eq!(
                site.get(&format!("/{slug}/")).header("location"),
                Some(format!("/stories/{slug}/").as_str()),
                "{slug}'s old address leads to it"
            );
        }
        let before = fingerprint(&site.store);
        import(&site, &file, MediaSource::None).unwrap();
        assert_eq!(
            fingerprint(&site.store),
            before,
            "a second run changes nothing"
        );

        // Files WordPress refuses are refused, naming the problem.
        let not_a_channel = wxr("")
            .replace("<channel>", "<notachanneltag>")
            .replace("</channel>", "</notachanneltag>")
            .replace(
                "</notachanneltag></rss>",
                &format!(
                    "{}</notachanneltag></rss>",
                    item("post", 1, "x", "http://old.example/x/", "x", "x")
                ),
            );
        let no_version = wxr(&item("post", 1, "x", "http://old.example/x/", "x", "x"))
            .replace("<wp:wxr_version>1.0</wp:wxr_version>", "");
        let bad_version = no_version.replace(
            "<channel>",
            "<channel><wp:wxr_version>one point two</wp:wxr_version>",
        );
        for (name, text, says) in [
            ("channel.xml", not_a_channel, "inside <notachanneltag>"),
            ("no-version.xml", no_version, "no <wp:wxr_version>"),
            (
                "bad-version.xml",
                bad_version,
                "\"one point two\" is not a version number",
            ),
        ] {
            let refused = import(
                &site,
                &write(dir.path(), name, text.as_bytes()),
                MediaSource::None,
            );
            let why = format!("{:#}", refused.expect_err(name));
            assert!(why.contains(says), "{name}: {why}");
        }

        // A mismatched end tag is read past with a warning, as WordPress does.
        let mismatched = wxr(&item(
            "post",
            80,
            "Mismatched",
            "http://old.example/mismatched/",
            "mismatched",
            "<p>Kept.</p>",
        ))
        .replace("</wp:post_name>", "</wp:post_nam>");
        let report = import(
            &site,
            &write(dir.path(), "mismatched.xml", mismatched.as_bytes()),
            MediaSource::None,
        )
        .unwrap();
        assert!(format!("{report}").contains("</wp:post_nam>"), "{report}");
        let kept = block_on(site.store.story_by_slug("mismatched")).unwrap();
        assert!(
            kept.is_some_and(|s| s.status == masthead::model::Status::Published
                && s.body.plain_text().contains("Kept.")),
            "the item around the mismatched tag is read whole: {report}"
        );

        // ISO-8859-1 and UTF-16 files are decoded.
        let latin = wxr(&item(
            "post",
            81,
            "Caf\u{e9} society",
            "http://old.example/cafe/",
            "cafe-society",
            "<p>Cr\u{e8}me br\u{fb}l\u{e9}e.</p>",
        ))
        .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&latin);
        let report = import(
            &site,
            &write(dir.path(), "latin.xml", &bytes),
            MediaSource::None,
        )
        .unwrap();
        assert_eq!(report.written.get("stories"), Some(&1), "{report}");
        let cafe = block_on(site.store.story_by_slug("cafe-society"))
            .unwrap()
            .unwrap();
        assert_eq!(cafe.headline, "Caf\u{e9} society");
        assert!(
            cafe.body
                .plain_text()
                .contains("Cr\u{e8}me br\u{fb}l\u{e9}e.")
        );
        let wide = wxr(&item(
            "post",
            82,
            "Wide characters",
            "http://old.example/wide/",
            "wide-characters",
            "<p>\u{65e5}\u{672c}</p>",
        ))
        .replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in wide.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        import(
            &site,
            &write(dir.path(), "utf16.xml", &utf16),
            MediaSource::None,
        )
        .unwrap();
        let wide = block_on(site.store.story_by_slug("wide-characters"))
            .unwrap()
            .unwrap();
        assert!(wide.body.plain_text().contains("\u{65e5}\u{672c}"));

        // HTML in a title is its text, entities decoded once; text after a
        // malformed CDATA end is kept; both [caption] forms keep their words; a
        // relative link and a percent-encoded one still arrive.
        let odd = wxr(&format!(
            "{}{}{}",
            item(
                "post",
                83,
                "Draft &amp;mdash; &lt;em&gt;now&lt;/em&gt;",
                "/2019/05/relative-post/",
                "draft-now",
                "<p>Before the end]]> and after it.</p>"
            ),
            item(
                "post",
                84,
                "Captions",
                "http://old.example/caf%c3%a9-captions/",
                "captions",
                "[caption id=\"a\" align=\"alignnone\" width=\"300\"]<img src=\"http://old.example/a.jpg\" alt=\"A\"> Inner caption words[/caption]\n\n[caption caption=\"Attribute caption words\"]<img src=\"http://old.example/b.jpg\" alt=\"B\">[/caption]"
            ),
            item(
                "page",
                85,
                "Contact us",
                "http://old.example/contact/",
                "contact-us",
                "<p>Write.</p>"
            ),
        ));
        let report = import(
            &site,
            &write(dir.path(), "odd.xml", odd.as_bytes()),
            MediaSource::None,
        )
        .unwrap();
        let draft = block_on(site.store.story_by_slug("draft-now"))
            .unwrap()
            .unwrap();
        assert_eq!(draft.headline, "Draft \u{2014} now", "{report}");
        assert!(
            draft.body.plain_text().contains("and after it."),
            "{}",
            draft.body.as_str()
        );
        let captions = block_on(site.store.story_by_slug("captions"))
            .unwrap()
            .unwrap();
        for words in ["Inner caption words", "Attribute caption words"] {
            assert!(
                captions
                    .body
                    .as_str()
                    .contains(&format!("<figcaption>{words}</figcaption>")),
                "{}",
                captions.body.as_str()
            );
        }
        assert_eq!(
            site.get("/2019/05/relative-post/").header("location"),
            Some("/stories/draft-now/")
        );
        for form in ["/caf%c3%a9-captions/", "/caf%C3%A9-captions/"] {
            assert_eq!(
                site.get(form).header("location"),
                Some("/stories/captions/"),
                "{form}"
            );
        }

        // WordPress's own links at the site's root: /?p=ID and /?page_id=ID.
        assert_eq!(site.get("/?p=84").status, 301);
        assert_eq!(
            site.get("/?p=84").header("location"),
            Some("/stories/captions/")
        );
        assert_eq!(
            site.get("/?page_id=85").header("location"),
            Some("/contact-us/")
        );
        assert_eq!(
            site.get("/?p=84&utm_source=x").header("location"),
            Some("/stories/captions/")
        );
        assert_eq!(site.get("/?p=999999").status, 404);
        // Any other query is the home page, from the cache as before.
        let home = site.get("/?utm_source=newsletter");
        assert_eq!(home.status, 200);
        assert_eq!(site.get("/").text(), home.text());
    }
);

on_both_backends!(ghost_twins_and_lexical_only_posts_import_whole, |backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lexical = serde_json::json!({"root": {"type": "root", "children": [
        {"type": "heading", "tag": "h2", "children": [{"type": "text", "text": "Only in lexical", "format": 0}]},
        {"type": "paragraph", "children": [{"type": "text", "text": "H", "format": 0}, {"type": "text", "text": "2", "format": 32}, {"type": "text", "text": "O in ", "format": 0}, {"type": "text", "text": "bold", "format": 1}]},
        {"type": "image", "src": "https://old.example/content/images/a.jpg", "alt": "A quay", "caption": "Quay at dawn"}
    ]}}).to_string();
    let post = |id: &str, uuid: &str, slug: &str, title: &str, extra: serde_json::Value| {
        let mut p = serde_json::json!({"id": id, "uuid": uuid, "title": title, "slug": slug, "status": "published",
            "created_at": "2021-04-01T10:00:00.000Z", "published_at": "2021-04-01T10:00:00.000Z", "updated_at": "2021-04-01T10:00:00.000Z", "type": "post"});
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        p
    };
    let export = serde_json::json!({"db": [{"meta": {"version": "6.0.0"}, "data": {
        "posts": [
            post("a1", "same-uuid", "first-twin", "First twin", serde_json::json!({"html": "<p>One.</p>"})),
            post("a2", "same-uuid", "second-twin", "Second twin", serde_json::json!({"html": "<p>Two.</p>"})),
            post("a3", "lexical-uuid", "lexical-only", "Lexical only", serde_json::json!({"lexical": lexical})),
        ],
        "users": [], "tags": [], "posts_tags": [], "posts_authors": []
    }}]});
    let file = write(dir.path(), "ghost.json", export.to_string().as_bytes());
    let run = || {
        block_on(ghost::import(
            &site.store,
            &library(site.data_dir()),
            &file,
            None,
            &Options {
                media: MediaSource::None,
                dry_run: false,
            },
        ))
        .unwrap()
    };
    let report = run();
    assert_eq!(report.written.get("stories"), Some(&3), "{report}");
    assert!(format!("{report}").contains("same id"), "{report}");
    for slug in ["first-twin", "second-twin"] {
        assert!(
            block_on(site.store.story_by_slug(slug)).unwrap().is_some(),
            "{slug}"
        );
        assert_eq!(
            site.get(&format!("/{slug}/")).header("location"),
            Some(format!("/stories/{slug}/").as_str())
        );
    }
    let lexical = block_on(site.store.story_by_slug("lexical-only"))
        .unwrap()
        .unwrap();
    let html = lexical.body.as_str();
    assert!(html.contains("<h2>Only in lexical</h2>"), "{html}");
    assert!(
        html.contains("H<sub>2</sub>O in <strong>bold</strong>"),
        "{html}"
    );
    assert!(
        html.contains("alt=\"A quay\"") && html.contains("Quay at dawn"),
        "{html}"
    );
    let before = fingerprint(&site.store);
    run();
    assert_eq!(
        fingerprint(&site.store),
        before,
        "a second run changes nothing"
    );
});

/// One published post or page of a WXR file, read here on its own
/// (quick-xml, not the importer's reader): its address and its HTML.
struct SourceItem {
    title: String,
    link: String,
    name: String,
    content: String,
}

fn published_items(xml: &str) -> Vec<SourceItem> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = false;
    let mut items = Vec::new();
    let mut field = String::new();
    let mut text = String::new();
    let mut current: Option<(SourceItem, String, String, String)> = None;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                field = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if field == "item" {
                    current = Some((
                        SourceItem {
                            title: String::new(),
                            link: String::new(),
                            name: String::new(),
                            content: String::new(),
                        },
                        String::new(),
                        String::new(),
                        String::new(),
                    ));
                }
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.decode().unwrap()),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t.into_inner())),
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r.into_inner()).into_owned();
                text.push_str(match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                });
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if let Some((item, status, kind, password)) = current.as_mut() {
                    match name.as_str() {
                        "title" => item.title = text.clone(),
                        "link" => item.link = text.trim().to_string(),
                        "wp:post_name" => item.name = text.trim().to_string(),
                        "content:encoded" => item.content = text.clone(),
                        "wp:status" => *status = text.trim().to_string(),
                        "wp:post_type" => *kind = text.trim().to_string(),
                        "wp:post_password" => *password = text.trim().to_string(),
                        "item" => {
                            let (item, status, kind, password) = current.take().unwrap();
                            if status == "publish"
                                && password.is_empty()
                                && (kind == "post" || kind == "page")
                            {
                                items.push(item);
                            }
                        }
                        _ => {}
                    }
                }
                let _ = &field;
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    items
}

/// The words a reader sees in HTML: tags, comments, scripts, styles and
/// shortcodes left out, entities decoded, addresses alone skipped (an
/// embed shows a card, not its address). A scanner of its own, so the
/// check does not share the importer's parser.
fn visible_words(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |i| &after[i + 3..]);
        } else if rest.starts_with('<') {
            let lower = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
            let end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let hidden = ["<script", "<style"].iter().find(|t| lower.starts_with(*t));
            rest = &rest[end..];
            if let Some(tag) = hidden {
                let close = format!("</{}", &tag[1..]);
                rest = rest
                    .to_ascii_lowercase()
                    .find(&close)
                    .map_or("", |i| &rest[i..]);
            }
            text.push(' ');
        } else if rest.starts_with('[')
            && rest[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
        {
            let end = rest.find(']').map_or(rest.len(), |i| i + 1);
            rest = &rest[end..];
            text.push(' ');
        } else {
            let c = rest.chars().next().unwrap();
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    // Words as runs of letters and digits: punctuation next to a tag the
    // import dropped (`<u>text</u>.`) does not make another word.
    let decoded = decode_entities(&text);
    decoded
        .split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.starts_with("http://") && !w.starts_with("https://"))
        .flat_map(|w| w.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A table's caption read after its rows, wherever the HTML put it (the
/// document writes `<caption>` first; WordPress's table block puts its
/// caption after the table).
fn captions_last(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<caption>") {
        let Some(end) = rest[start..]
            .find("</caption>")
            .map(|i| start + i + "</caption>".len())
        else {
            break;
        };
        let Some(table_end) = rest[end..].find("</table>").map(|i| end + i) else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&rest[end..table_end]);
        out.push_str(&rest[start..end]);
        rest = &rest[table_end..];
    }
    out.push_str(rest);
    out
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.find(';').filter(|&i| i <= 10) {
            Some(end) => {
                let name = &after[..end];
                let decoded = match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    "mdash" => Some('\u{2014}'),
                    "ndash" => Some('\u{2013}'),
                    "hellip" => Some('\u{2026}'),
                    _ => name
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                match decoded {
                    Some(c) => {
                        out.push(c);
                        rest = &after[end + 1..];
                    }
                    None => {
                        out.push('&');
                        rest = after;
                    }
                }
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Each table's rows as the cells' words, from HTML.
fn table_rows(html: &str) -> Vec<Vec<String>> {
    let lower = html.to_ascii_lowercase();
    let mut rows = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<tr").map(|i| at + i) {
        let end = lower[start..]
            .find("</tr")
            .map_or(lower.len(), |i| start + i);
        let row = &html[start..end];
        let row_lower = &lower[start..end];
        let mut cells = Vec::new();
        let mut c = 0;
        while let Some(open) = row_lower[c..].find(['<']).map(|i| c + i) {
            let is_cell =
                row_lower[open..].starts_with("<td") || row_lower[open..].starts_with("<th");
            if !is_cell {
                c = open + 1;
                continue;
            }
            let content_start = row_lower[open..]
                .find('>')
                .map_or(row.len(), |i| open + i + 1);
            let close = ["</td", "</th", "<td", "<th"]
                .iter()
                .filter_map(|t| row_lower[content_start..].find(t))
                .min()
                .map_or(row.len(), |i| content_start + i);
            cells.push(visible_words(&row[content_start..close]).join(" "));
            c = close;
        }
        rows.push(cells);
        at = end + 1;
    }
    rows
}

/// Whether `wanted` appears in `within` in order (other words may come between).
fn in_order(wanted: &[String], within: &[String]) -> Result<(), String> {
    let mut it = within.iter();
    for (n, word) in wanted.iter().enumerate() {
        if !it.any(|w| w == word) {
            return Err(format!(
                "word {n} {word:?} missing (after {:?})",
                &wanted[n.saturating_sub(5)..n]
            ));
        }
    }
    Ok(())
}

on_both_backends!(
    import_fidelity_every_visible_word_and_every_cell,
    |backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let edge_cases = wxr(&format!(
            "{}{}{}",
            item(
                "post",
                501,
                "Tables with row headers",
                "http://old.example/edge-tables/",
                "edge-tables",
                "<table><caption>Turnout by region</caption><thead><tr><th></th><th>2022</th><th>2026</th></tr></thead><tbody><tr><th>North</th><td>61%</td><td>64%</td></tr><tr><th>South</th><td>58%</td><td>&nbsp;</td></tr></tbody></table><table><tr><th></th><th>Empty corner</th></tr><tr><td>a</td><td>b</td></tr></table>"
            ),
            item(
                "post",
                502,
                "Code and chemistry",
                "http://old.example/edge-code/",
                "edge-code",
                "<p>Run this:</p><pre><code>make build\nmake install\n</code></pre><p>Water is H<sub>2</sub>O and area is m<sup>2</sup>.</p><dl><dt>Levy</dt><dd>A tax on cargo.</dd></dl>"
            ),
            item(
                "post",
                503,
                "Both caption forms",
                "http://old.example/edge-captions/",
                "edge-captions",
                "[caption id=\"x\" align=\"alignnone\" width=\"300\"]<img src=\"http://old.example/a.jpg\" alt=\"A\"> Harbour at noon[/caption]\n\n[caption caption=\"Boats at dusk\"]<img src=\"http://old.example/b.jpg\" alt=\"B\">[/caption]\n\nAfter the captions."
            )
        ));
        let mut sources = Vec::new();
        for (name, xml) in [
            (
                "themeunittestdata.wordpress.xml",
                std::fs::read_to_string(fixture("themeunittestdata.wordpress.xml")).unwrap(),
            ),
            (
                "64-block-test-data.xml",
                std::fs::read_to_string(fixture("64-block-test-data.xml")).unwrap(),
            ),
            ("edge-cases.xml", edge_cases),
        ] {
            let file = write(dir.path(), name, xml.as_bytes());
            import(&site, &file, MediaSource::None).unwrap();
            sources.extend(published_items(&xml));
        }
        let (mut words, mut cells, mut pieces) = (0, 0, 0);
        let mut failures = Vec::new();
        for item in &sources {
            let path = url::Url::parse(&item.link)
                .map(|u| u.path().to_string())
                .unwrap_or_else(|_| item.link.clone())
                .replace("//", "/");
            let moved = site.get(&path);
            let location = match (moved.status, moved.header("location")) {
                (301, Some(location)) => location.to_string(),
                // A page whose address did not change answers there itself,
                // unless the site had a page there already (the demo's About,
                // the site's search): then it is found by its title.
                (200, _)
                    if moved.text().contains("class=\"story-body\"")
                        && moved.text().contains(&item.title) =>
                {
                    path.clone()
                }
                (200, _) => match block_on(site.store.pages())
                    .unwrap()
                    .into_iter()
                    .find(|p| p.title == item.title)
                {
                    Some(page) => masthead::urls::static_page(&page.slug),
                    // A post whose old address is one of the site's own (/search/).
                    None => match block_on(site.store.story_by_slug(&item.name)).unwrap() {
                        Some(story) if story.headline == item.title => {
                            masthead::urls::story(&story.slug)
                        }
                        _ => {
                            failures.push(format!("{:?} ({path}): not found", item.title));
                            continue;
                        }
                    },
                },
                (status, _) => {
                    failures.push(format!(
                        "{:?} ({path}): its old address answered {status}",
                        item.title
                    ));
                    continue;
                }
            };
            let page = site.get(&location).text();
            let Some(start) = page.find("class=\"story-body\">") else {
                failures.push(format!(
                    "{:?}: no body on {location:?} (from {path:?}, {})",
                    item.title, moved.status
                ));
                continue;
            };
            let body = &page[start..];
            let body = captions_last(&body[..body.find("</div>").unwrap_or(body.len())]);
            let body = body.as_str();
            let wanted = visible_words(&captions_last(&item.content));
            if let Err(why) = in_order(&wanted, &visible_words(body)) {
                failures.push(format!("{:?}: {why}", item.title));
            }
            let shown_rows = table_rows(body);
            for row in table_rows(&item.content)
                .into_iter()
                .filter(|r| !r.is_empty())
            {
                let found = shown_rows
                    .iter()
                    .any(|shown| shown.len() >= row.len() && shown[..row.len()] == row[..]);
                if !found {
                    failures.push(format!(
                        "{:?}: the row {row:?} is not on the page as a row",
                        item.title
                    ));
                }
                cells += row.len();
            }
            words += wanted.len();
            pieces += 1;
        }
        assert!(
            failures.is_empty(),
            "{} of {pieces} pieces lost something:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(
            pieces > 40 && words > 5000 && cells > 20,
            "{pieces} pieces, {words} words, {cells} cells"
        );
        crate::common::notice(&format!(
            "import fidelity: {pieces} published posts and pages, {words} visible words all present in order, {cells} table cells each in its row and column"
        ));
    }
);

/// Runs one statement with text values bound, on the site's own database.
fn sql(site: &TestSite, statement: &str, values: &[&str]) {
    block_on(async {
        match site.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&site.database_url).await.unwrap();
                let mut q = sqlx::query(sqlx::AssertSqlSafe(statement.to_string()));
                for v in values {
                    q = q.bind(v.to_string());
                }
                q.execute(&pool).await.unwrap();
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&site.database_url).await.unwrap();
                let mut q = sqlx::query(sqlx::AssertSqlSafe(statement.to_string()));
                for v in values {
                    q = q.bind(v.to_string());
                }
                q.execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    });
}

on_both_backends!(
    bodies_stored_before_documents_are_read_into_the_schema_once,
    |backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let story = block_on(
            site.store
                .story_by_slug("the-kiyoshima-islands-build-a-sea-wall-and-a-debate"),
        )
        .unwrap()
        .unwrap();
        let seeded = story.body.clone();
        // As migration 19 leaves a row: the HTML it was shown as (a tight list,
        // a footnote's markup, rel attributes), at schema 0.
        let old_html = format!(
            "{}<ul>\n<li>tight item</li>\n</ul>\n<p>Note<sup class=\"footnote-reference\"><a href=\"#1\" rel=\"noopener noreferrer\">1</a></sup></p>",
            seeded.as_str()
        );
        sql(
            &site,
            "UPDATE stories SET body = $1, body_schema = 0 WHERE id = $2",
            &[&old_html, &story.id],
        );
        sql(
            &site,
            "UPDATE newsletter_issues SET intro = $1, body_schema = 0",
            &["It's the *weekly* round-up -- \"enjoy\"."],
        );
        let upgraded = block_on(site.store.upgrade_documents()).unwrap();
        assert!(upgraded >= 2, "{upgraded} bodies upgraded");
        let story = block_on(site.store.story_by_id(&story.id))
            .unwrap()
            .unwrap();
        assert!(
            story.body.as_str().starts_with(seeded.as_str()),
            "{}",
            story.body.as_str()
        );
        assert!(
            story.body.as_str().ends_with(
                "<ul><li><p>tight item</p></li></ul><p>Note<a href=\"#1\"><sup>1</sup></a></p>"
            ),
            "{}",
            story.body.as_str()
        );
        assert_eq!(
            block_on(site.store.upgrade_documents()).unwrap(),
            0,
            "a second pass finds nothing to do"
        );
        // An introduction was Markdown: read as it was shown (quotes curled).
        let issues = block_on(site.store.issues(false, 100)).unwrap();
        assert!(
            issues
                .iter()
                .any(|i| i.intro.as_str() == "<p>It’s the <em>weekly</em> round-up – “enjoy”.</p>"),
            "{:?}",
            issues.iter().map(|i| i.intro.as_str()).collect::<Vec<_>>()
        );
    }
);
