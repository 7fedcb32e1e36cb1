//! Real-browser suites on the SQLite demo site: the Node script in
//! tests/browser drives Debian's Chromium (end-to-end and axe-core), and the
//! Nu Html Checker (npm vnu-jar on the system Java) validates every page type.
//! Skipped with a notice when those tools are missing, unless MASTHEAD_REQUIRE_ALL=1.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Backend, TestSite, notice, skip_or_fail};

/// One URL of every public page type (and the error pages).
const PAGES: &[&str] = &[
    "/",
    "/briefs/kiyoshima-lifts-summer-water-restrictions/",
    "/section/europe/",
    "/tag/water/",
    "/author/mira-castellan/",
    "/latest/",
    "/latest/page/2/",
    "/briefs/",
    "/corrections/",
    "/newsletter/",
    "/no-such-page/",
    "/stories/kaldmarks-transport-minister-to-resign-sources-say/",
    "/latest/page/abc/",
    "/desk/login",
    "/search/",
    "/search/?q=harbour",
    "/search/?q=xylophone+zeppelin&section=europe",
];
const STORY: &str = "/stories/the-kiyoshima-islands-build-a-sea-wall-and-a-debate/";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Debian's Chromium, or the one CHROMIUM_PATH names.
fn chromium() -> Result<String, String> {
    let path = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if Path::new(&path).exists() {
        Ok(path)
    } else {
        Err(format!("{path} does not exist (apt-get install chromium)"))
    }
}

fn tool_works(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn chromium_end_to_end_and_axe() {
    if let Err(why) = chromium() {
        return skip_or_fail("Chromium end-to-end and axe tests", &why);
    }
    if !tool_works("node", "--version") {
        return skip_or_fail("Chromium end-to-end and axe tests", "node is not installed");
    }
    if !browser_dir().join("node_modules/playwright-core").exists() {
        return skip_or_fail(
            "Chromium end-to-end and axe tests",
            "run `npm ci --prefix tests/browser` first",
        );
    }
    let site = TestSite::start(Backend::Sqlite).expect("SQLite site");
    let (_, token) = crate::common::block_on(masthead::services::accounts::add_user(
        &site.store,
        masthead::services::accounts::Actor::CommandLine,
        "keeper@example.org",
        "Lighthouse Keeper",
        masthead::model::accounts::Role::Owner,
    ))
    .unwrap();
    // A contributor and an editor for the newsroom flow, and a photo to upload.
    let password = "a harbour at low tide";
    for (email, name, role) in [
        (
            "writer@example.org",
            "Wren Writer",
            masthead::model::accounts::Role::Contributor,
        ),
        (
            "editor@example.org",
            "Eda Editor",
            masthead::model::accounts::Role::Editor,
        ),
        (
            "owner@example.org",
            "Olu Owner",
            masthead::model::accounts::Role::Owner,
        ),
    ] {
        let (_, link) = crate::common::block_on(masthead::services::accounts::add_user(
            &site.store,
            masthead::services::accounts::Actor::CommandLine,
            email,
            name,
            role,
        ))
        .unwrap();
        crate::common::block_on(masthead::services::accounts::set_password(
            &site.store,
            &link,
            "",
            password,
            password,
        ))
        .unwrap();
    }
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("harbour.jpg");
    {
        use image::ImageEncoder;
        let img = image::RgbImage::from_fn(1200, 800, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 200) as u8])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
            .write_image(&img, 1200, 800, image::ExtendedColorType::Rgb8)
            .unwrap();
        std::fs::write(&photo, out).unwrap();
    }
    let out = Command::new("node")
        .env("MASTHEAD_DESK_LINK", masthead::urls::desk_password(&token))
        .env("MASTHEAD_DESK_EMAIL", "keeper@example.org")
        .env("MASTHEAD_NEWSROOM_PASSWORD", password)
        .env("MASTHEAD_UPLOAD_FILE", &photo)
        .arg(browser_dir().join("run.mjs"))
        .arg(&site.url)
        .arg(STORY)
        .args(PAGES)
        .output()
        .expect("run node");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "browser checks failed:\n{report}");
    notice(report.lines().last().unwrap_or("browser checks ran"));
}

#[test]
fn every_page_type_is_valid_html() {
    let jar = browser_dir().join("node_modules/vnu-jar/build/dist/vnu.jar");
    if !jar.exists() {
        return skip_or_fail(
            "Nu Html Checker",
            "run `npm ci --prefix tests/browser` first",
        );
    }
    if !tool_works("java", "-version") {
        return skip_or_fail("Nu Html Checker", "java is not installed");
    }
    let site = TestSite::start(Backend::Sqlite).expect("SQLite site");
    // The checker refuses to fetch from localhost, so it reads saved copies.
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, path) in std::iter::once(STORY)
        .chain(PAGES.iter().copied())
        .enumerate()
    {
        let reply = site.get(path);
        assert!(reply.status < 500, "GET {path}: {}", reply.status);
        let file = dir
            .path()
            .join(format!("{i:02}{}.html", path.replace('/', "_")));
        std::fs::write(&file, &reply.body).unwrap();
        files.push(file);
    }
    // Pages that only a form post produces: a sign-up with a mistake, and the thanks.
    let newsletter = format!("{}/newsletter/", site.url);
    for (name, body) in [
        ("signup-error", "email=oops"),
        ("signup-thanks", "email=a%40example.org"),
    ] {
        let reply = crate::common::http_post_form(&newsletter, body, &[]);
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, &reply.body).unwrap();
        files.push(file);
    }
    // Desk pages that need an account: choosing a password, a failed
    // sign-in, and the home page of a signed-in owner.
    let (_, token) = crate::common::block_on(masthead::services::accounts::add_user(
        &site.store,
        masthead::services::accounts::Actor::CommandLine,
        "checker@example.org",
        "Nu Checker",
        masthead::model::accounts::Role::Owner,
    ))
    .unwrap();
    let password_path = masthead::urls::desk_password(&token);
    let password = "valid html, every page";
    let form = format!(
        "password={0}&repeated={0}",
        password.replace(' ', "+").replace(',', "%2C")
    );
    let mut desk_pages = vec![("desk-password", site.get(&password_path))];
    crate::common::http_post_form(&format!("{}{password_path}", site.url), &form, &[]);
    let login = format!("{}/desk/login", site.url);
    desk_pages.push((
        "desk-login-failed",
        crate::common::http_post_form(&login, "email=checker%40example.org&password=wrong", &[]),
    ));
    let signed_in = crate::common::http_post_form(
        &login,
        &format!(
            "email=checker%40example.org&password={}",
            password.replace(' ', "+").replace(',', "%2C")
        ),
        &[],
    );
    let cookie = signed_in
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("signed in")
        .to_string();
    desk_pages.push(("desk-home", site.get_with("/desk", &[("cookie", &cookie)])));
    desk_pages.push((
        "desk-people",
        site.get_with("/desk/people", &[("cookie", &cookie)]),
    ));
    // The story desk: the list, a new story, a demo story saved once (so it
    // has revisions), its revisions, and a form answered with an error.
    let as_owner = [("cookie", cookie.as_str())];
    // Readers of the story and the front page, so the readership pages
    // and the editor's panel have figures, a chart and lists.
    for (path, referrer) in [(STORY, "https://news.example.com/"), ("/", ""), (STORY, "")] {
        crate::common::http_post(
            &format!("{}/_/view", site.url),
            "text/plain",
            serde_json::json!({ "path": path, "referrer": referrer })
                .to_string()
                .as_bytes(),
            &[(
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
            )],
        );
    }
    site.save_readership();
    desk_pages.push(("desk-stories", site.get_with("/desk/stories", &as_owner)));
    desk_pages.push((
        "desk-search",
        site.get_with("/desk/search?q=the", &as_owner),
    ));
    desk_pages.push((
        "desk-stories-filtered",
        site.get_with("/desk/stories?status=published&q=the", &as_owner),
    ));
    let new_story = site.get_with("/desk/stories/new", &as_owner);
    let csrf = crate::newsroom::csrf_of(&new_story.text());
    desk_pages.push(("desk-new-story", new_story));
    let slug = STORY.trim_start_matches("/stories/").trim_end_matches('/');
    let card = crate::common::block_on(site.store.story_card_by_slug(slug))
        .unwrap()
        .unwrap();
    let editor = masthead::urls::desk_story(&card.story.id);
    let saved = crate::common::http_post_form(
        &format!("{}{editor}", site.url),
        &format!(
            "csrf={csrf}&revision={}&headline=A+checked+headline&label={}&section_id={}&author={}&body=Checked.&step=save",
            card.story.revision,
            crate::newsroom::enc(&card.story.label),
            card.story.section_id,
            card.author_ids[0],
        ),
        &as_owner,
    );
    assert_eq!(saved.status, 303, "{}", saved.text());
    // Live coverage of the story: its live desk and its public page.
    let live_desk = format!("{editor}/live");
    for (path, body) in [
        (live_desk.clone(), format!("csrf={csrf}&action=start")),
        (
            format!("{editor}/updates"),
            format!(
                "csrf={csrf}&update_body=%3Cp%3EThe+sea+wall+vote+is+tonight.%3C%2Fp%3E&pinned=yes"
            ),
        ),
        (
            format!("{editor}/updates"),
            format!("csrf={csrf}&update_body=%3Cp%3EThe+council+has+met.%3C%2Fp%3E"),
        ),
    ] {
        let sent = crate::common::http_post_form(&format!("{}{path}", site.url), &body, &as_owner);
        assert_eq!(sent.status, 303, "{path}: {}", sent.text());
    }
    desk_pages.push(("desk-live", site.get_with(&live_desk, &as_owner)));
    desk_pages.push(("live-story", site.get(STORY)));
    desk_pages.push(("desk-story", site.get_with(&editor, &as_owner)));
    desk_pages.push((
        "desk-revisions",
        site.get_with(&format!("{editor}/revisions"), &as_owner),
    ));
    // The integrations page with an integration and a webhook on it.
    let integration = crate::common::block_on(masthead::services::integrations::create(
        &site.store,
        None,
        "Website front-end",
        masthead::model::accounts::Role::Editor,
    ))
    .unwrap();
    crate::common::block_on(masthead::services::integrations::add_webhook(
        &site.store,
        None,
        &integration.integration.id,
        "post.published",
        "https://93.184.216.34/hooks/masthead",
        false,
    ))
    .unwrap();
    let image = crate::common::block_on(site.store.newest_images(1))
        .unwrap()
        .remove(0);
    for (name, path) in [
        ("desk-image", masthead::urls::desk_image(&image.id)),
        ("desk-briefs", "/desk/briefs".to_string()),
        ("desk-newsletters", "/desk/newsletters".to_string()),
        ("desk-subscribers", "/desk/subscribers".to_string()),
        ("newsletter-archive", "/newsletter/archive/".to_string()),
        ("desk-pages", "/desk/pages".to_string()),
        ("desk-new-page", "/desk/pages/new".to_string()),
        ("desk-front", "/desk/front".to_string()),
        ("desk-sections", "/desk/sections".to_string()),
        ("desk-authors", "/desk/authors".to_string()),
        ("desk-settings", "/desk/settings".to_string()),
        ("desk-activity", "/desk/activity".to_string()),
        ("desk-readership", "/desk/readership".to_string()),
        (
            "desk-readership-year",
            "/desk/readership?period=12m".to_string(),
        ),
        ("desk-media", "/desk/media".to_string()),
        ("desk-integrations", "/desk/integrations".to_string()),
        ("about-page", "/about/".to_string()),
    ] {
        desk_pages.push((name, site.get_with(&path, &as_owner)));
    }
    let about = crate::common::block_on(site.store.page_by_slug("about"))
        .unwrap()
        .unwrap();
    desk_pages.push((
        "desk-page",
        site.get_with(&masthead::urls::desk_page(&about.id), &as_owner),
    ));
    let author = crate::common::block_on(site.store.authors())
        .unwrap()
        .remove(0);
    desk_pages.push((
        "desk-author",
        site.get_with(&masthead::urls::desk_author(&author.id), &as_owner),
    ));
    let brief = crate::common::block_on(site.store.briefs(site.store.clock().now(), 1, 0))
        .unwrap()
        .remove(0);
    desk_pages.push((
        "desk-brief",
        site.get_with(&masthead::urls::desk_brief(&brief.brief.id), &as_owner),
    ));
    desk_pages.push((
        "desk-settings-invalid",
        crate::common::http_post_form(
            &format!("{}/desk/settings", site.url),
            &format!("csrf={csrf}&title=&timezone=Mars&language=en&date_format=%25Y"),
            &as_owner,
        ),
    ));
    desk_pages.push((
        "desk-story-invalid",
        crate::common::http_post_form(
            &format!("{}/desk/stories/new", site.url),
            &format!("csrf={csrf}&headline=&body=Kept.&step=save"),
            &as_owner,
        ),
    ));
    for (name, reply) in desk_pages {
        assert!(reply.status < 500, "{name}: {}", reply.status);
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, &reply.body).unwrap();
        files.push(file);
    }
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "gnu"])
        .args(&files)
        .output()
        .expect("run vnu");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.trim().is_empty(),
        "the Nu Html Checker found errors:\n{report}"
    );
    notice(&format!("Nu Html Checker: {} pages, 0 errors", files.len()));
}
