//! The desk as one adapter over the rules, over HTTP on both databases:
//! a refused action leaves nothing behind (no tag, no story, no email); a
//! refusal reads as the asker reads (a desk page for a browser, JSON for
//! the desk's scripts, text otherwise); long lists page by a key.

use masthead::model::accounts::Role;

use crate::common::{Backend, TestSite, block_on, http_post, http_post_form};
use crate::newsroom::{Person, person, profile_of};
use crate::on_both_backends;

/// Story fields of a valid save, with `extra` added.
fn story<'a>(
    section: &'a str,
    author: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut fields: Vec<(&str, &str)> = vec![
        ("headline", "Ferry timetable redrawn for the winter"),
        ("label", "News"),
        ("section_id", section),
        ("body", "<p>The crossings halve from November.</p>"),
        ("author", author),
    ];
    // What `extra` names replaces the default.
    fields.retain(|(name, _)| !extra.iter().any(|(n, _)| n == name));
    fields.extend_from_slice(extra);
    fields
}

fn tag_slugs(site: &TestSite) -> Vec<String> {
    block_on(site.store.tags())
        .unwrap()
        .into_iter()
        .map(|t| t.slug)
        .collect()
}

fn stories_headed(site: &TestSite, headline: &str) -> usize {
    let filter = masthead::store::WorkFilter {
        headline: Some(headline.to_string()),
        ..Default::default()
    };
    block_on(site.store.work_stories(&filter, &Default::default(), 10))
        .unwrap()
        .rows
        .len()
}

on_both_backends!(
    /// `save_story` made the tags a form named, and fired `tag.added`,
    /// before the story was checked, so a refused save left tags behind;
    /// and a story sent to a newsletter by someone who may not send one
    /// was saved (and published) before the refusal.
    refused_saves_leave_nothing_behind,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let author = person(&site, "ana@example.org", "Ana Ruiz", Role::Author);
        let ana = profile_of(&site, &author, "Ana Ruiz");
        let section = block_on(site.store.sections()).unwrap()[0].id.clone();

        // A label the site does not have: refused, and the new tag with it.
        let fields = story(
            &section,
            &ana,
            &[("label", "Gossip"), ("tags", "Ferry strikes"), ("step", "save")],
        );
        let refused = author.post(&site, "/desk/stories/new", &fields);
        assert_eq!(refused.status, 400, "{}", refused.text());
        assert!(refused.text().contains("Gossip"), "the label is named");
        assert!(
            !tag_slugs(&site).contains(&"ferry-strikes".to_string()),
            "a refused save makes no tag"
        );

        // An author may publish their own story, but not send it to a
        // newsletter (the form offers them none; this one is forged).
        let newsletter = block_on(site.store.newsletters()).unwrap()[0].id.clone();
        let headline = "Ferry timetable redrawn for the winter";
        let fields = story(
            &section,
            &ana,
            &[
                ("tags", "Ferry strikes"),
                ("step", "publish"),
                ("send_to", &newsletter),
            ],
        );
        let refused = author.post(&site, "/desk/stories/new", &fields);
        assert_eq!(refused.status, 403, "{}", refused.text());
        assert!(refused.text().contains("newsletter"), "{}", refused.text());
        assert_eq!(stories_headed(&site, headline), 0, "nothing was published");
        assert!(!tag_slugs(&site).contains(&"ferry-strikes".to_string()));
        assert!(
            block_on(site.store.issues(true, 50))
                .unwrap()
                .iter()
                .all(|i| i.subject != headline),
            "no email was queued"
        );

        // The same story without the newsletter: saved, its tag made with it.
        let fields = story(&section, &ana, &[("tags", "Ferry strikes"), ("step", "publish")]);
        let saved = author.post(&site, "/desk/stories/new", &fields);
        assert_eq!(saved.status, 303, "{}", saved.text());
        assert_eq!(stories_headed(&site, headline), 1);
        assert!(tag_slugs(&site).contains(&"ferry-strikes".to_string()));
    }
);

/// `path` asked for by `who`, accepting `accept`.
fn ask(site: &TestSite, who: &Person, path: &str, accept: &str) -> crate::common::Reply {
    site.get_with(path, &[("cookie", &who.cookie), ("accept", accept)])
}

on_both_backends!(
    /// Every desk refusal came out its own way (plain text in one file, a
    /// page in another, JSON in a third). One error type answers a browser
    /// with a desk page (its navigation kept), the desk's scripts with
    /// `{"message": …}`, anything else with the message as text.
    refusals_read_as_the_asker_reads,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let author = person(&site, "ana@example.org", "Ana Ruiz", Role::Author);

        let page = ask(&site, &author, "/desk/settings", "text/html,application/xhtml+xml");
        assert_eq!(page.status, 403);
        assert!(page.header("content-type").unwrap().starts_with("text/html"));
        let html = page.text();
        assert!(html.contains("<h1>Not allowed</h1>"), "{html}");
        assert!(html.contains("owner"), "the reason says who may: {html}");
        assert!(html.contains("href=\"/desk/stories\""), "the desk's navigation stays");

        let json = ask(&site, &author, "/desk/settings", "application/json");
        assert_eq!(json.status, 403);
        let body: serde_json::Value = serde_json::from_slice(&json.body).expect("JSON");
        assert!(body["message"].as_str().unwrap().contains("owner"), "{body}");

        let text = ask(&site, &author, "/desk/settings", "*/*");
        assert_eq!(text.status, 403);
        assert!(text.header("content-type").unwrap().starts_with("text/plain"));

        // Nothing there: 404 the same three ways.
        let missing = ask(&site, &author, "/desk/stories/no-such-story", "text/html");
        assert_eq!(missing.status, 404);
        assert!(missing.text().contains("There is no story with this address"));

        // A form from an old page, sent by a script: JSON that says what to do.
        let stale = http_post_form(
            &format!("{}/desk/stories/new", site.url),
            "csrf=0123&headline=x&autosave=1",
            &[("cookie", &author.cookie), ("accept", "application/json")],
        );
        assert_eq!(stale.status, 403);
        let body: serde_json::Value = serde_json::from_slice(&stale.body).expect("JSON");
        assert!(body["message"].as_str().unwrap().contains("Reload the page"));

        // A form in a shape the desk does not read.
        let garbled = http_post(
            &format!("{}/desk/sections/labels", site.url),
            "text/plain",
            format!("csrf={}&labels=News", author.csrf).as_bytes(),
            &[("cookie", &author.cookie)],
        );
        assert_eq!(garbled.status, 415, "{}", garbled.text());
        assert!(garbled.text().contains("send it again"));
    }
);

on_both_backends!(
    /// The activity log, the story list and the media library paged by
    /// OFFSET: page 2,000 read and threw away 200,000 lines. Each now
    /// starts after the last line shown; following the links reads every
    /// line once, and a key that is not one is refused.
    long_lists_page_by_a_key,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let owner = person(&site, "oli@example.org", "Oli Brandt", Role::Owner);
        for n in 0..230 {
            block_on(site.store.log_activity(None, "checked the wiring", &format!("line {n}")))
                .unwrap();
        }
        let total = block_on(site.store.activity(100_000)).unwrap().len();
        assert!(total >= 230);

        let mut seen = std::collections::HashSet::new();
        let mut path = "/desk/activity".to_string();
        let mut pages = 0;
        let mut back = None;
        loop {
            let page = owner.get(&site, &path);
            assert_eq!(page.status, 200, "{path}");
            let html = page.text();
            for line in html.split("<tr><td><time").skip(1) {
                assert!(seen.insert(line.to_string()), "a line shown twice: {line}");
            }
            pages += 1;
            if pages == 2 {
                back = next_link(&html, "prev");
            }
            match next_link(&html, "next") {
                Some(next) => path = next,
                None => break,
            }
        }
        assert_eq!(seen.len(), total, "every line once");
        assert_eq!(pages, total.div_ceil(100));
        let back = back.expect("the second page links back");
        assert!(back.contains("newer="), "{back}");
        let first_again = owner.get(&site, &back).text();
        assert!(first_again.contains("line 229"), "newer leads back to the newest");

        for bad in ["older=x", "older=12.a%20b", "newer=nope"] {
            let refused = owner.get(&site, &format!("/desk/activity?{bad}"));
            assert_eq!(refused.status, 400, "{bad}");
        }
        assert_eq!(owner.get(&site, "/desk/stories?older=1.nope").status, 200);
        assert_eq!(owner.get(&site, "/desk/stories?older=junk").status, 400);
        assert_eq!(owner.get(&site, "/desk/media?newer=junk").status, 400);
    }
);

/// The address a pager's `rel` link leads to, its `&amp;` read back.
fn next_link(html: &str, rel: &str) -> Option<String> {
    let marker = format!("rel=\"{rel}\"");
    let at = html.find(&marker)?;
    let start = html[..at].rfind("href=\"")? + 6;
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&amp;", "&"))
}

/// `path` asked for as the desk's pickers ask: JSON, by `who`.
fn picked(site: &TestSite, who: &Person, path: &str) -> (u16, Vec<String>) {
    let reply = ask(site, who, path, "application/json");
    if reply.status != 200 {
        return (reply.status, vec![]);
    }
    let body: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
    let labels = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect();
    (200, labels)
}

on_both_backends!(
    /// The tag field listed every tag in a datalist, the section and author
    /// filters every row: with thousands, a page of names no one reads.
    /// Each now offers a few and asks the desk for the rest by their words.
    pickers_find_any_tag_section_or_person_by_words,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let writer = person(&site, "kit@example.org", "Kit Arden", Role::Contributor);
        let editor = person(&site, "eda@example.org", "Eda Reyes", Role::Editor);
        for n in 0..40 {
            let tag = masthead::model::Tag {
                id: masthead::model::new_id(),
                slug: format!("harbour-works-{n}"),
                name: format!("Harbour works {n}"),
                description: String::new(),
            };
            block_on(site.store.save_tag(&tag)).unwrap();
        }
        let (status, tags) = picked(&site, &writer, "/desk/tags?q=works%203");
        assert_eq!(status, 200);
        assert!(tags.contains(&"Harbour works 3".to_string()), "{tags:?}");
        assert!(tags.contains(&"Harbour works 39".to_string()), "{tags:?}");
        assert!(tags.iter().all(|t| t.contains("works 3")), "{tags:?}");
        let (_, many) = picked(&site, &writer, "/desk/tags?q=harbour");
        assert_eq!(many.len(), 20, "a picker lists a few at a time");

        let form = writer.get(&site, "/desk/stories/new").text();
        assert!(
            form.matches("<option value=\"Harbour works").count() <= 20,
            "the tag field offers a few names, not every tag"
        );
        let first = block_on(site.store.sections()).unwrap().remove(0);
        let (status, sections) = picked(&site, &writer, &format!("/desk/sections?q={}", first.name.split(' ').next().unwrap()));
        assert_eq!(status, 200, "writers choose sections");
        assert!(sections.contains(&first.name), "{sections:?}");

        let (status, people) = picked(&site, &editor, "/desk/people?q=kit");
        assert_eq!((status, people), (200, vec!["Kit Arden".to_string()]));
        assert_eq!(picked(&site, &writer, "/desk/people?q=kit").0, 403, "not for writers");
    }
);

on_both_backends!(
    /// The desk search matched headlines only; a published story is now
    /// found by any word of its text, through the site's search index, and
    /// drafts (which the index does not hold) by their headlines.
    the_desk_search_reads_published_text_and_draft_headlines,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let editor = person(&site, "eda@example.org", "Eda Reyes", Role::Editor);
        let eda = profile_of(&site, &editor, "Eda Reyes");
        let section = block_on(site.store.sections()).unwrap()[0].id.clone();
        let published = story(
            &section,
            &eda,
            &[
                ("headline", "Lighthouse keepers vote on a new rota"),
                ("body", "<p>The zebrafinch colony on the rock was counted again.</p>"),
                ("step", "publish"),
            ],
        );
        assert_eq!(editor.post(&site, "/desk/stories/new", &published).status, 303);
        let draft = story(
            &section,
            &eda,
            &[("headline", "Zebrafinch numbers, a draft"), ("step", "save")],
        );
        assert_eq!(editor.post(&site, "/desk/stories/new", &draft).status, 303);
        let found = editor.get(&site, "/desk/search?q=zebrafinch").text();
        assert!(found.contains("Lighthouse keepers vote on a new rota"), "by its text: {found}");
        assert!(found.contains("Zebrafinch numbers, a draft"), "the draft by its headline");
    }
);
