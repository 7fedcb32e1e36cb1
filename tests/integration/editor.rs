//! The story editor over real HTTP, on both databases: a contributor's
//! draft goes to review, an editor publishes it; validation keeps the input;
//! a save on an outdated copy is refused with the other change shown;
//! revisions, restore, previews (beside the editor and by secret link),
//! notes and deletion.

use masthead::model::accounts::Role;

use crate::common::{Backend, TestSite, block_on};
use crate::newsroom::{Person, input_value, location_path, person, profile_of};
use crate::on_both_backends;

/// The fields of a story form, with `changes` replacing defaults. The
/// byline is the tests' writer, Kit Arden, once she has a profile (a
/// contributor must stay on the byline), else the first journalist.
fn story_form<'a>(site: &TestSite, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, String)> {
    let sections = block_on(site.store.sections()).unwrap();
    let authors = block_on(site.store.authors()).unwrap();
    let byline = authors
        .iter()
        .find(|a| a.name == "Kit Arden")
        .unwrap_or(&authors[0]);
    let mut fields: Vec<(&str, String)> = vec![
        ("headline", "Harbour cranes fall silent in Veldt".into()),
        ("dek", "A strike over night shifts stops the port.".into()),
        ("label", "News".into()),
        ("section_id", sections[0].id.clone()),
        ("author", byline.id.clone()),
        ("tags", "Ports, Labour".into()),
        (
            "body",
            "<p>The cranes stopped at midnight.</p><p>Nobody expected the <strong>strike</strong> to last.</p>".into(),
        ),
        ("step", "save".into()),
    ];
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value.to_string(),
            None => fields.push((name, value.to_string())),
        }
    }
    fields
}

fn post_story(
    site: &TestSite,
    who: &Person,
    path: &str,
    fields: &[(&str, String)],
) -> crate::common::Reply {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    who.post(site, path, &borrowed)
}

on_both_backends!(
    a_contributors_draft_is_reviewed_and_published,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let writer = person(&site, "kit@example.org", "Kit Arden", Role::Contributor);
        let editor = person(&site, "mo@example.org", "Mo Sandler", Role::Editor);

        // the new-story form: bylined to its writer, no publish button for a contributor
        let form = writer.get(&site, "/desk/stories/new");
        assert_eq!(form.status, 200);
        assert_eq!(form.header("cache-control"), Some("no-store"));
        let page = form.text();
        // The prominent (filled) step is the furthest this person may take.
        assert!(
            page.contains(
                "<button type=\"submit\" name=\"step\" value=\"submit\">Submit for review</button>"
            ),
            "a contributor's prominent step is submitting"
        );
        assert!(
            !page.contains("value=\"publish\""),
            "contributors cannot publish"
        );
        let editors = editor.get(&site, "/desk/stories/new").text();
        assert!(
            editors.contains(
                "<button type=\"submit\" name=\"step\" value=\"publish\">Publish</button>"
            ) && editors.contains("value=\"submit\" class=\"secondary\">Submit for review"),
            "an editor's prominent step is publishing"
        );
        assert!(
            page.contains(">Kit Arden</option>"),
            "a profile was made for the writer"
        );
        // Sent compressed to a browser that accepts it, still never stored.
        let packed = crate::common::http_get(
            &format!("{}/desk/stories/new", site.url),
            &[("cookie", &writer.cookie), ("accept-encoding", "br, gzip")],
        );
        assert_eq!(packed.status, 200);
        assert!(
            matches!(packed.header("content-encoding"), Some("br" | "gzip")),
            "{:?}",
            packed.header("content-encoding")
        );
        assert_eq!(packed.header("cache-control"), Some("no-store"));

        // a missing headline: 400, the problem named, the text kept
        let missing = post_story(
            &site,
            &writer,
            "/desk/stories/new",
            &story_form(&site, &[("headline", " ")]),
        );
        assert_eq!(missing.status, 400);
        assert!(missing.text().contains("A headline is needed"));
        assert!(
            missing
                .text()
                .contains("Nobody expected the &lt;strong&gt;strike&lt;/strong&gt; to last.")
        );
        assert!(missing.text().contains("aria-invalid=\"true\""));

        // saved as a draft, then submitted
        let saved = post_story(&site, &writer, "/desk/stories/new", &story_form(&site, &[]));
        assert_eq!(saved.status, 303, "{}", saved.text());
        let editor_path = location_path(&saved);
        let id = editor_path.rsplit('/').next().unwrap().to_string();
        let draft = writer.get(&site, saved.header("location").unwrap()).text();
        assert!(draft.contains("Saved."));
        assert_eq!(input_value(&draft, "revision"), "1");
        let story = block_on(site.store.story_by_id(&id)).unwrap().unwrap();
        assert_eq!(story.slug, "harbour-cranes-fall-silent-in-veldt");
        assert_eq!(site.get(&format!("/stories/{}/", story.slug)).status, 404);

        // autosave answers the editor's script with the new revision (and
        // a stale one with why it was not saved)
        let autosaved = post_story(
            &site,
            &writer,
            &editor_path,
            &story_form(
                &site,
                &[("revision", "1"), ("autosave", "1"), ("dek", "Autosaved.")],
            ),
        );
        assert_eq!(autosaved.status, 200, "{}", autosaved.text());
        let answer: serde_json::Value = serde_json::from_slice(&autosaved.body).unwrap();
        assert_eq!(answer["revision"], 2);
        let stale = post_story(
            &site,
            &writer,
            &editor_path,
            &story_form(&site, &[("revision", "1"), ("autosave", "1")]),
        );
        assert_eq!(stale.status, 409);
        assert!(stale.text().contains("Someone else saved this piece"));

        // a contributor's request to publish, made by hand, is refused
        let publish = post_story(
            &site,
            &writer,
            &editor_path,
            &story_form(&site, &[("step", "publish"), ("revision", "2")]),
        );
        assert_eq!(publish.status, 403);
        assert!(publish.text().contains("cannot publish this piece"));

        // the slug follows the headline until publication
        let retitled = post_story(
            &site,
            &writer,
            &editor_path,
            &story_form(
                &site,
                &[
                    ("headline", "Veldt port strike enters its second night"),
                    ("slug", "harbour-cranes-fall-silent-in-veldt"),
                    ("step", "submit"),
                    ("revision", "2"),
                ],
            ),
        );
        assert_eq!(retitled.status, 303, "{}", retitled.text());
        let story = block_on(site.store.story_by_id(&id)).unwrap().unwrap();
        assert_eq!(story.slug, "veldt-port-strike-enters-its-second-night");
        assert_eq!(story.status.as_str(), "review");

        // the editor's desk says a story is waiting; the queue lists it
        assert!(
            editor
                .get(&site, "/desk")
                .text()
                .contains("Review queue</a>: 1 story waiting")
        );
        let queue = editor.get(&site, "/desk/stories?status=review").text();
        assert!(queue.contains("Veldt port strike enters its second night"));
        assert!(
            !writer
                .get(&site, "/desk/stories?status=review&q=nothing+like+this")
                .text()
                .contains("Veldt port"),
            "headline search filters"
        );
        let review = editor.get(&site, &editor_path).text();
        assert!(review.contains("Approve and publish"));
        let revision = input_value(&review, "revision");
        let published = post_story(
            &site,
            &editor,
            &editor_path,
            &story_form(
                &site,
                &[
                    ("headline", "Veldt port strike enters its second night"),
                    ("step", "publish"),
                    ("revision", &revision),
                ],
            ),
        );
        assert_eq!(published.status, 303, "{}", published.text());
        let public = site.get("/stories/veldt-port-strike-enters-its-second-night/");
        assert_eq!(public.status, 200);
        assert!(
            public
                .text()
                .contains("Nobody expected the <strong>strike</strong> to last.")
        );
        assert!(public.text().contains("Ports"), "tags created on the fly");
        // The pickers' answer: stories found by words of their headline, as
        // this person may see them (a contributor, only their own).
        let ask = |who: &crate::newsroom::Person, query: &str| -> serde_json::Value {
            let reply = site.get_with(
                &format!("/desk/stories?{query}"),
                &[("cookie", &who.cookie), ("accept", "application/json")],
            );
            assert_eq!(reply.status, 200, "{}", reply.text());
            serde_json::from_str(&reply.text()).unwrap()
        };
        let found = ask(&editor, "status=published&q=second+night");
        let items = found["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{found}");
        assert_eq!(
            items[0]["label"],
            "Veldt port strike enters its second night"
        );
        assert!(
            items[0]["detail"]
                .as_str()
                .unwrap()
                .starts_with("Published")
        );
        let everyone = ask(&editor, "q=");
        let theirs = ask(&writer, "q=");
        assert!(
            theirs["items"].as_array().unwrap().len() < everyone["items"].as_array().unwrap().len(),
            "a contributor's picker lists only their own pieces"
        );
        // The desk's search: the editor finds the story by its words; the
        // contributor finds only what they may open.
        let found = editor.get(&site, "/desk/search?q=second+night").text();
        assert!(
            found.contains(&format!(
                "<a href=\"{editor_path}\">Veldt port strike enters its second night</a>"
            )),
            "{found}"
        );
        assert!(
            !found.contains("<h2 id=\"found-") || !found.contains(">People<"),
            "only owners search people"
        );
        let nothing = editor
            .get(&site, "/desk/search?q=%25%25_no+such+words")
            .text();
        assert!(nothing.contains("Nothing in the desk matches"), "{nothing}");
        // Words longer than any headline are read in part, by the search
        // and by the lists the pickers ask.
        for list in [
            "/desk/search",
            "/desk/stories",
            "/desk/briefs",
            "/desk/authors",
        ] {
            let long = site.get_with(
                &format!("{list}?q={}", "x".repeat(6000)),
                &[("cookie", &editor.cookie), ("accept", "application/json")],
            );
            assert_eq!(long.status, 200, "{list}: {}", long.text());
        }
        let someone_else = block_on(site.store.authors())
            .unwrap()
            .into_iter()
            .find(|a| a.name != "Kit Arden")
            .unwrap()
            .id;
        let draft = post_story(
            &site,
            &editor,
            "/desk/stories/new",
            &story_form(
                &site,
                &[
                    ("headline", "Quiet plans for the harbour wall"),
                    ("author", &someone_else),
                ],
            ),
        );
        assert_eq!(draft.status, 303, "{}", draft.text());
        assert!(
            editor
                .get(&site, "/desk/search?q=quiet+plans")
                .text()
                .contains("Quiet plans for the harbour wall")
        );
        assert!(
            !writer
                .get(&site, "/desk/search?q=quiet+plans")
                .text()
                .contains("Quiet plans for the harbour wall"),
            "a contributor does not find others' drafts"
        );
        // The activity log names the story by its headline, linked to it.
        let log = editor.get(&site, "/desk/activity").text();
        assert!(
            log.contains(&format!(
                "published story: <a href=\"{editor_path}\">Veldt port strike enters its second night</a>"
            )),
            "{}",
            log.split("<tbody>").nth(1).unwrap_or(&log)
        );

        // now live: the contributor may no longer change it
        let live = writer.get(&site, &editor_path).text();
        let revision = input_value(&live, "revision");
        let late = post_story(
            &site,
            &writer,
            &editor_path,
            &story_form(&site, &[("dek", "Changed."), ("revision", &revision)]),
        );
        assert_eq!(late.status, 403);

        // two editors on one copy: the second save is refused and shown the first
        let first = post_story(
            &site,
            &editor,
            &editor_path,
            &story_form(
                &site,
                &[
                    ("headline", "Veldt port strike enters its second night"),
                    ("dek", "Dockers and owners meet at noon."),
                    ("revision", &revision),
                ],
            ),
        );
        assert_eq!(first.status, 303, "{}", first.text());
        let second = post_story(
            &site,
            &editor,
            &editor_path,
            &story_form(
                &site,
                &[
                    ("headline", "Veldt port strike enters its second night"),
                    ("dek", "Talks collapse."),
                    ("revision", &revision),
                ],
            ),
        );
        assert_eq!(second.status, 409);
        let conflict = second.text();
        assert!(
            conflict.contains("Someone else saved this piece"),
            "{conflict}"
        );
        assert!(conflict.contains("Dockers and owners meet at noon."));
        assert!(conflict.contains("Talks collapse."), "their input is kept");
        let story = block_on(site.store.story_by_id(&id)).unwrap().unwrap();
        assert_eq!(story.dek, "Dockers and owners meet at noon.");

        // revisions: who saved what, a diff, and a restore
        let revisions = editor
            .get(&site, &format!("{editor_path}/revisions"))
            .text();
        assert!(revisions.contains("Kit Arden") && revisions.contains("Mo Sandler"));
        assert!(revisions.contains("Dockers and owners meet at noon."));
        let current = input_value(&editor.get(&site, &editor_path).text(), "revision");
        // The story is live: restoring asks first, showing what would change.
        let asked = editor.post(
            &site,
            &format!("{editor_path}/restore"),
            &[("number", "1"), ("revision", &current)],
        );
        assert_eq!(asked.status, 200, "{}", asked.text());
        let question = asked.text();
        assert!(question.contains("Restore revision 1?"), "{question}");
        assert!(question.contains("changes what readers see at once"));
        assert!(question.contains("A strike over night shifts stops the port."));
        let story = block_on(site.store.story_by_id(&id)).unwrap().unwrap();
        assert_eq!(
            story.dek, "Dockers and owners meet at noon.",
            "nothing changed yet"
        );
        let restored = editor.post(
            &site,
            &format!("{editor_path}/restore"),
            &[
                ("number", "1"),
                ("revision", &current),
                ("confirmed", "yes"),
            ],
        );
        // (revision 1 is the first draft: its dek, before autosave changed it)
        assert_eq!(restored.status, 303, "{}", restored.text());
        let log = block_on(site.store.activity(5)).unwrap();
        assert!(
            log.iter()
                .any(|entry| entry.action == "restored an earlier revision of story"),
            "the restore is logged as one: {log:?}"
        );
        let story = block_on(site.store.story_by_id(&id)).unwrap().unwrap();
        assert_eq!(story.dek, "A strike over night shifts stops the port.");
        assert_eq!(
            story.slug, "veldt-port-strike-enters-its-second-night",
            "a published slug stays"
        );

        // a correction note, shown on the story
        let note = editor.post(
            &site,
            &format!("{editor_path}/notes"),
            &[
                ("kind", "correction"),
                ("body", "An earlier version named the wrong union."),
            ],
        );
        assert_eq!(note.status, 303);
        let public = "/stories/veldt-port-strike-enters-its-second-night/";
        assert!(
            site.get(public)
                .text()
                .contains("An earlier version named the wrong union.")
        );

        // editors change and remove notes; what a note said stays in the
        // story's history, and the activity log says what it read
        let note_id = block_on(site.store.notes_of_story(&id)).unwrap()[0]
            .id
            .clone();
        let note_path = format!("{editor_path}/notes/{note_id}");
        let changed_words = "An earlier version named the wrong union: it was the dockers'.";
        let fields = [
            ("kind", "correction"),
            ("noted_at", "2026-03-02T10:00"),
            ("body", changed_words),
        ];
        assert_eq!(
            writer.post(&site, &note_path, &fields).status,
            403,
            "not contributors"
        );
        let changed = editor.post(&site, &note_path, &fields);
        assert_eq!(changed.status, 303, "{}", changed.text());
        let page = site.get(public).text();
        assert!(
            page.contains("it was the dockers"),
            "readers see the new words"
        );
        assert!(!page.contains("wrong union.</"), "and not the old");
        let desk_page = editor.get(&site, &editor_path).text();
        assert!(
            desk_page.contains("Earlier wording"),
            "the history is on the story"
        );
        assert!(desk_page.contains("An earlier version named the wrong union. <span"));
        assert!(desk_page.contains("Changed "));
        let log = block_on(site.store.activity(5)).unwrap();
        assert!(
            log.iter()
                .any(|l| l.action.starts_with("changed a correction (it read:")),
            "{log:?}"
        );
        // the old note no longer exists to be changed: a conflict, said so
        assert_eq!(editor.post(&site, &note_path, &fields).status, 409);
        let current = block_on(site.store.notes_of_story(&id)).unwrap()[0]
            .id
            .clone();
        let removed = editor.post(
            &site,
            &format!("{editor_path}/notes/{current}"),
            &[("remove", "yes")],
        );
        assert_eq!(removed.status, 303, "{}", removed.text());
        assert!(
            !site.get(public).text().contains("dockers"),
            "removed from the site"
        );
        assert!(block_on(site.store.notes_of_story(&id)).unwrap().is_empty());
        assert_eq!(block_on(site.store.retired_notes(&id)).unwrap().len(), 2);

        // the contributor cannot delete another's story; the editor can
        let journalist = block_on(site.store.authors()).unwrap()[0].id.clone();
        let theirs = post_story(
            &site,
            &editor,
            "/desk/stories/new",
            &story_form(
                &site,
                &[
                    ("headline", "An editor's own draft"),
                    ("author", &journalist),
                ],
            ),
        );
        let theirs_path = location_path(&theirs);
        assert_eq!(
            writer
                .post(&site, &format!("{theirs_path}/delete"), &[])
                .status,
            403
        );
        assert!(
            !writer
                .get(&site, "/desk/stories")
                .text()
                .contains("An editor&#39;s own draft"),
            "contributors list their own"
        );
        assert_eq!(
            editor
                .post(&site, &format!("{theirs_path}/delete"), &[])
                .status,
            303
        );
        assert_eq!(editor.get(&site, &theirs_path).status, 404);
    }
);

on_both_backends!(
    scheduling_says_when_the_story_goes_out_in_the_sites_time_zone,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let editor = person(&site, "mo@example.org", "Mo Sandler", Role::Editor);
        let fields = story_form(
            &site,
            &[("step", "schedule"), ("publish_at", "2031-03-04T09:30")],
        );
        let saved = post_story(&site, &editor, "/desk/stories/new", &fields);
        assert_eq!(saved.status, 303, "{}", saved.text());
        let location = saved.header("location").unwrap().to_string();
        let page = editor.get(&site, &location).text();
        let timezone = block_on(site.store.site_settings()).unwrap().timezone;
        assert!(
            page.contains(&format!(
                "Scheduled: it goes out on Tuesday 4 March 2031 at 09:30 ({timezone} time)."
            )),
            "{}",
            page.split("class=\"notice\"").nth(1).unwrap_or(&page)
        );
    }
);

on_both_backends!(
    previews_show_the_site_page_and_secret_links_work_without_an_account,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let author = person(&site, "ana@example.org", "Ana Ruiz", Role::Author);
        let ana = profile_of(&site, &author, "Ana Ruiz");
        let fields = story_form(
            &site,
            &[("headline", "A draft for the lawyers"), ("author", &ana)],
        );
        let saved = post_story(&site, &author, "/desk/stories/new", &fields);
        let editor_path = location_path(&saved);
        let id = editor_path.rsplit('/').next().unwrap().to_string();

        // the editor's unsaved text, rendered by the site's own template
        let mut unsaved = fields.clone();
        unsaved.push(("id", id.clone()));
        unsaved[0].1 = "Not saved yet".into();
        let preview = post_story(&site, &author, "/desk/stories/preview", &unsaved);
        assert_eq!(preview.status, 200);
        let html = preview.text();
        assert!(html.contains("<h1") && html.contains("Not saved yet"));
        assert!(html.contains("Preview: readers cannot see this version yet."));
        assert!(html.contains("noindex"));
        assert_eq!(preview.header("x-frame-options"), Some("SAMEORIGIN"));
        assert_eq!(preview.header("cache-control"), Some("no-store"));

        // a secret link shows the draft to anyone, until withdrawn
        assert_eq!(
            author
                .post(&site, &format!("{editor_path}/preview-link"), &[])
                .status,
            303
        );
        let page = author.get(&site, &editor_path).text();
        let link = input_value(&page, "preview-link").replace(&site.url, "");
        assert!(link.starts_with("/desk/preview/"), "{link}");
        let shared = site.get(&link);
        assert_eq!(shared.status, 200);
        assert!(shared.text().contains("A draft for the lawyers"));
        assert!(shared.header("set-cookie").is_none());
        author.post(&site, &format!("{editor_path}/preview-withdraw"), &[]);
        assert_eq!(site.get(&link).status, 404);
        assert_eq!(site.get("/desk/preview/not-a-token").status, 404);

        // forms without the session's token are refused
        let forged = author.post_raw(&site, &editor_path, "csrf=0000&headline=x&step=save");
        assert_eq!(forged.status, 403);
        // signed out, the editor sends the writer to sign in and back
        let away = site.get(&editor_path);
        assert_eq!(away.status, 303);
        assert_eq!(
            away.header("location").unwrap(),
            format!("/desk/login?next={}", editor_path.replace('/', "%2F"))
        );
    }
);

on_both_backends!(
    briefs_are_written_in_the_quick_form_and_edited,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let author = person(&site, "ana@example.org", "Ana Ruiz", Role::Author);
        let contributor = person(&site, "kit@example.org", "Kit Arden", Role::Contributor);

        let list = author.get(&site, "/desk/briefs").text();
        assert!(list.contains("A quick brief") && list.contains("value=\"publish\""));
        assert!(
            !contributor
                .get(&site, "/desk/briefs")
                .text()
                .contains("value=\"publish\"")
        );

        let bad = author.post(
            &site,
            "/desk/briefs",
            &[
                ("headline", "Ferry resumes"),
                ("link_url", "ftp://x"),
                ("step", "publish"),
            ],
        );
        assert_eq!(bad.status, 400);
        assert!(bad.text().contains("must start with https://"));
        assert!(
            bad.text().contains("value=\"Ferry resumes\""),
            "the input is kept"
        );

        let published = author.post(
            &site,
            "/desk/briefs",
            &[
                ("headline", "Ferry to Oskarhamn resumes"),
                ("body", "Sailings restart on Monday."),
                ("step", "publish"),
            ],
        );
        assert_eq!(published.status, 303, "{}", published.text());
        assert_eq!(site.get("/briefs/ferry-to-oskarhamn-resumes/").status, 200);
        let editor_path = location_path(&published);

        // a contributor's hand-made publish request is refused
        let refused = contributor.post(
            &site,
            "/desk/briefs",
            &[("headline", "Not mine to publish"), ("step", "publish")],
        );
        assert_eq!(refused.status, 403);

        // edited, with a revision kept
        let page = author.get(&site, &editor_path).text();
        let revision = input_value(&page, "revision");
        let edited = author.post(
            &site,
            &editor_path,
            &[
                ("revision", &revision),
                ("headline", "Ferry to Oskarhamn resumes"),
                ("body", "Sailings restart on Tuesday."),
                ("slug", "ferry-to-oskarhamn-resumes"),
                ("step", "save"),
            ],
        );
        assert_eq!(edited.status, 303, "{}", edited.text());
        assert!(
            site.get("/briefs/ferry-to-oskarhamn-resumes/")
                .text()
                .contains("Sailings restart on Tuesday.")
        );
        let revisions = author
            .get(&site, &format!("{editor_path}/revisions"))
            .text();
        // The body's change is shown by its words: one day for another.
        assert!(
            revisions.contains("Sailings restart on <del>")
                && revisions.contains("Monday.<span class=\"visually-hidden\">]</span></del>"),
            "{revisions}"
        );
        assert!(revisions.contains("[added: </span>Tuesday."), "{revisions}");
        // the contributor may not delete it
        assert_eq!(
            contributor
                .post(&site, &format!("{editor_path}/delete"), &[])
                .status,
            403
        );
    }
);

on_both_backends!(
    editors_keep_pages_and_arrange_the_front_page,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let editor = person(&site, "mo@example.org", "Mo Sandler", Role::Editor);
        let author = person(&site, "ana@example.org", "Ana Ruiz", Role::Author);

        // the demo's pages are in the footer
        let home = site.get("/").text();
        assert!(home.contains("href=\"/about/\"") && home.contains("href=\"/staff/\""));
        assert_eq!(site.get("/about/").status, 200);
        assert!(site.get("/staff/").text().contains("Mira Castellan"));

        // pages are the editors' and owners'
        assert_eq!(author.get(&site, "/desk/pages").status, 403);
        assert_eq!(
            author
                .post(
                    &site,
                    "/desk/pages/new",
                    &[("title", "Mine"), ("step", "publish")]
                )
                .status,
            403
        );
        let reserved = editor.post(
            &site,
            "/desk/pages/new",
            &[("title", "Latest"), ("slug", "latest"), ("step", "publish")],
        );
        assert_eq!(reserved.status, 400);
        assert!(reserved.text().contains("an address the site uses itself"));
        let preview = editor.post(
            &site,
            "/desk/pages/preview",
            &[
                ("title", "Contact"),
                ("body", "<p>Write to <em>us</em>.</p>"),
            ],
        );
        assert_eq!(preview.status, 200);
        assert!(preview.text().contains("Preview: readers cannot see"));
        assert!(preview.text().contains("Write to <em>us</em>."));
        // A new page's preview, before anything is written, shows a page
        // (it was a 400 in the frame beside the empty form).
        let empty = editor.post(&site, "/desk/pages/preview", &[("title", ""), ("body", "")]);
        assert_eq!(empty.status, 200, "{}", empty.text());
        let contact = editor.post(
            &site,
            "/desk/pages/new",
            &[
                ("title", "Contact"),
                ("body", "Write to the newsroom."),
                ("in_navigation", "yes"),
                ("position", "5"),
                ("step", "publish"),
            ],
        );
        assert_eq!(contact.status, 303, "{}", contact.text());
        assert!(
            site.get("/contact/")
                .text()
                .contains("Write to the newsroom.")
        );
        assert!(
            site.get("/").text().contains("href=\"/contact/\""),
            "in the navigation"
        );
        let page_path = location_path(&contact);
        // the contact page saved again, under the slug write-to-us
        let save_contact = |step: &str| {
            let revision = input_value(&editor.get(&site, &page_path).text(), "revision");
            editor.post(
                &site,
                &page_path,
                &[
                    ("revision", &revision),
                    ("title", "Contact"),
                    ("slug", "write-to-us"),
                    ("body", "Write to the newsroom."),
                    ("step", step),
                ],
            )
        };
        // a published page given a new slug: its old address redirects
        let renamed = save_contact("publish");
        assert_eq!(renamed.status, 303, "{}", renamed.text());
        let old = site.get("/contact/");
        assert_eq!(old.status, 301);
        assert_eq!(old.header("location"), Some("/write-to-us/"));
        assert_eq!(site.get("/write-to-us/").status, 200);
        // and no other page may take the old address meanwhile
        let taken = editor.post(
            &site,
            "/desk/pages/new",
            &[
                ("title", "Contact"),
                ("slug", "contact"),
                ("step", "publish"),
            ],
        );
        assert_eq!(taken.status, 409);
        assert!(taken.text().contains("or was its old address"));
        let unpublished = save_contact("unpublish");
        assert_eq!(unpublished.status, 303);
        assert_eq!(site.get("/write-to-us/").status, 404);
        // an unpublished page's old address leads nowhere either
        assert_eq!(site.get("/contact/").status, 404);
        assert!(
            editor
                .get(&site, &format!("{page_path}/revisions"))
                .text()
                .contains("Mo Sandler")
        );

        // the front page: an older story chosen to lead, another pinned
        let published =
            block_on(
                site.store
                    .stories(&Default::default(), site.store.clock().now(), 10, 0),
            )
            .unwrap();
        let (older, pinned) = (&published[6], &published[8]);
        assert_eq!(
            author
                .post(&site, "/desk/front", &[("lead", &older.id)])
                .status,
            403
        );
        let arranged = editor.post(
            &site,
            "/desk/front",
            &[("lead", &older.id), ("pinned", &pinned.id), ("pinned", "")],
        );
        assert_eq!(arranged.status, 303, "{}", arranged.text());
        let home = site.get("/").text();
        let lead_at = home
            .find(&older.headline.replace('\'', "&#39;"))
            .expect("the lead is on the front page");
        let pinned_at = home
            .find(&pinned.headline.replace('\'', "&#39;"))
            .unwrap_or_else(|| panic!("{} is not on the front page: {home}", pinned.headline));
        let newest_at = home
            .find(&published[0].headline.replace('\'', "&#39;"))
            .unwrap();
        assert!(
            lead_at < pinned_at && pinned_at < newest_at,
            "lead, then pinned, then by date"
        );
        let form = editor.get(&site, "/desk/front").text();
        assert!(form.contains(&format!("<option value=\"{}\" selected>", older.id)));
        let refused = editor.post(&site, "/desk/front", &[("lead", "no-such-story")]);
        assert_eq!(refused.status, 400);
        assert!(refused.text().contains("is not published"));
    }
);

on_both_backends!(
    /// Pages had no authors (`"primary_author": null` in the API), which
    /// Ghost's front-ends read unguarded: pages are bylined like stories,
    /// to whoever makes them unless the form names others.
    pages_have_authors_in_the_desk_and_the_api,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let editor = person(&site, "mo@example.org", "Mo Sandler", Role::Editor);
        let mo = profile_of(&site, &editor, "Mo Sandler");
        let form = editor.get(&site, "/desk/pages/new").text();
        assert!(form.contains("Authors, in byline order"), "the form offers bylines");
        let made = editor.post(
            &site,
            "/desk/pages/new",
            &[("title", "Corrections policy"), ("body", "We correct openly."), ("step", "publish")],
        );
        assert_eq!(made.status, 303, "{}", made.text());
        let mira = block_on(site.store.author_by_slug("mira-castellan")).unwrap().unwrap();
        let chosen = editor.post(
            &site,
            "/desk/pages/new",
            &[
                ("title", "How we cover climate"),
                ("body", "From the ground."),
                ("author", &mira.id),
                ("author", &mo),
                ("step", "publish"),
            ],
        );
        assert_eq!(chosen.status, 303, "{}", chosen.text());
        let key = crate::common::content_key(&site);
        let bylines = |slug: &str| -> Vec<String> {
            let reply = site.get(&format!("/ghost/api/content/pages/slug/{slug}/?key={key}&include=authors"));
            assert_eq!(reply.status, 200);
            let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
            let page = &body["pages"][0];
            assert_eq!(page["primary_author"]["id"], page["authors"][0]["id"]);
            page["authors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(bylines("corrections-policy"), ["Mo Sandler"]);
        assert_eq!(bylines("how-we-cover-climate"), ["Mira Castellan", "Mo Sandler"]);
        // A page from before, with no byline, is credited to an owner.
        let owner = person(&site, "olu@example.org", "Olu Owner", Role::Owner);
        let _ = profile_of(&site, &owner, "Olu Owner");
        assert_eq!(bylines("about"), ["Olu Owner"]);
    }
);
