//! Who may see and claim what: others' drafts, bylines, the featured
//! mark, profiles, and tags that name what is not published yet.

use masthead::model::accounts::Role;
use serde_json::{Value, json};

use super::{admin_key, ghost_auth};
use crate::common::{Backend, TestSite, block_on, http_get, http_send};
use crate::newsroom::{Person, location_path, person, profile_of};
use crate::on_both_backends;

/// Saves a story through the desk as `who`; the reply.
fn save_story(
    site: &TestSite,
    who: &Person,
    path: &str,
    headline: &str,
    authors: &[&str],
    extra: &[(&str, &str)],
) -> crate::common::Reply {
    let section = block_on(site.store.sections()).unwrap()[0].id.clone();
    let mut fields: Vec<(&str, &str)> = vec![
        ("headline", headline),
        ("label", "News"),
        ("section_id", &section),
        ("body", "A paragraph of the story."),
    ];
    for author in authors {
        fields.push(("author", author));
    }
    fields.extend_from_slice(extra);
    if !extra.iter().any(|(n, _)| *n == "step") {
        fields.push(("step", "save"));
    }
    who.post(site, path, &fields)
}

on_both_backends!(
    /// The desk list hid others' pieces, but a contributor opened any
    /// draft by its address (text, revisions with diffs, the secret preview
    /// link), saw drafts' ids in the media library's "where used", and a
    /// contributor's API key read every draft with filter=status:draft.
    unpublished_pieces_open_only_for_those_who_may_edit_them,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let editor = person(&site, "eda@example.org", "Eda Reyes", Role::Editor);
        let writer = person(&site, "kit@example.org", "Kit Arden", Role::Contributor);
        let author = person(&site, "ana@example.org", "Ana Ruiz", Role::Author);
        let eda = profile_of(&site, &editor, "Eda Reyes");
        let kit = profile_of(&site, &writer, "Kit Arden");

        // An embargoed draft by the editor, with an image of the library.
        let image = block_on(site.store.library(None, 1)).unwrap().remove(0).image;
        let draft = save_story(
            &site,
            &editor,
            "/desk/stories/new",
            "Minister to resign on Friday",
            &[&eda],
            &[("hero_image_id", &image.id), ("hero_alt", "The ministry")],
        );
        assert_eq!(draft.status, 303, "{}", draft.text());
        let draft_path = location_path(&draft);
        let draft_id = draft_path.rsplit('/').next().unwrap().to_string();
        let brief = editor.post(
            &site,
            "/desk/briefs",
            &[("headline", "Embargoed brief"), ("body", "Not yet."), ("step", "save")],
        );
        assert_eq!(brief.status, 303, "{}", brief.text());
        let brief_path = location_path(&brief);

        for (who, name) in [(&writer, "contributor"), (&author, "author")] {
            for path in [
                draft_path.clone(),
                format!("{draft_path}/revisions"),
                brief_path.clone(),
                format!("{brief_path}/revisions"),
            ] {
                let reply = who.get(&site, &path);
                assert_eq!(reply.status, 403, "{name} opened {path}");
                assert!(!reply.text().contains("Minister to resign"), "{name}: {path}");
            }
            let media = who.get(&site, &format!("/desk/media/{}", image.id));
            assert_eq!(media.status, 200);
            assert!(!media.text().contains("Minister to resign"), "{name}: where used");
            assert!(!media.text().contains(&draft_id), "{name}: where used");
            assert!(media.text().contains("unpublished piece"), "counted, not named");
        }
        // Their own draft they open; so does the editor anyone's.
        let own = save_story(&site, &writer, "/desk/stories/new", "Kit's own draft", &[&kit], &[]);
        assert_eq!(own.status, 303, "{}", own.text());
        assert_eq!(writer.get(&site, &location_path(&own)).status, 200);
        assert_eq!(editor.get(&site, &location_path(&own)).status, 200);
        assert_eq!(editor.get(&site, &draft_path).status, 200);

        // The Admin API: a contributor's key reads what is public and its own.
        let key = admin_key(&site, "Wire feed", Role::Contributor);
        let auth = ghost_auth(site.store.clock().now(), &key);
        let drafts = http_get(
            &format!("{}/ghost/api/admin/posts/?filter=status:draft&limit=all", site.url),
            &[("authorization", &auth)],
        );
        assert_eq!(drafts.status, 200);
        let body: Value = serde_json::from_slice(&drafts.body).unwrap();
        assert_eq!(body["posts"].as_array().unwrap().len(), 0, "{body}");
        let by_id = http_get(
            &format!("{}/ghost/api/admin/posts/{draft_id}/", site.url),
            &[("authorization", &auth)],
        );
        assert_eq!(by_id.status, 404);
        assert!(!by_id.text().contains("Minister to resign"));
        let editors_key = admin_key(&site, "Newsroom tool", Role::Editor);
        let all = http_get(
            &format!("{}/ghost/api/admin/posts/{draft_id}/", site.url),
            &[("authorization", &ghost_auth(site.store.clock().now(), &editors_key))],
        );
        assert_eq!(all.status, 200);
    }
);

on_both_backends!(
    /// An author published a story bylined only to a colleague, live at
    /// once; a contributor took a colleague's name and photo; an author's
    /// API key published under the owner's name and marked posts featured.
    bylines_cannot_be_forged,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let author = person(&site, "ana@example.org", "Ana Ruiz", Role::Author);
        let writer = person(&site, "kit@example.org", "Kit Arden", Role::Contributor);
        let ana = profile_of(&site, &author, "Ana Ruiz");
        let kit = profile_of(&site, &writer, "Kit Arden");
        let colleague = block_on(site.store.authors())
            .unwrap()
            .into_iter()
            .find(|a| a.id != ana && a.id != kit && a.photo_id.is_some())
            .expect("a demo journalist with a photo");

        // Alone under a colleague's name: refused, and nothing is published.
        let forged = save_story(
            &site,
            &author,
            "/desk/stories/new",
            "Written by someone else",
            &[&colleague.id],
            &[("step", "publish")],
        );
        assert_eq!(forged.status, 403, "{}", forged.text());
        assert!(block_on(site.store.story_by_slug("written-by-someone-else")).unwrap().is_none());
        // With a co-author beside them: welcome.
        let shared = save_story(
            &site,
            &author,
            "/desk/stories/new",
            "Written together",
            &[&ana, &colleague.id],
            &[("step", "publish")],
        );
        assert_eq!(shared.status, 303, "{}", shared.text());
        // The featured mark is an editor's: the author's box is ignored.
        let featured = save_story(
            &site,
            &author,
            "/desk/stories/new",
            "Wants the front page",
            &[&ana],
            &[("featured", "yes")],
        );
        assert_eq!(featured.status, 303);
        let story = block_on(site.store.story_by_slug("wants-the-front-page")).unwrap().unwrap();
        assert!(!story.featured);

        // A profile cannot take a colleague's name or face.
        let profile = format!("/desk/authors/{kit}");
        let renamed = writer.post(
            &site,
            &profile,
            &[("name", &colleague.name.to_uppercase()), ("slug", "kit-arden")],
        );
        assert_eq!(renamed.status, 400, "{}", renamed.text());
        let photo = colleague.photo_id.clone().unwrap();
        let faced = writer.post(
            &site,
            &profile,
            &[("name", "Kit Arden"), ("slug", "kit-arden"), ("photo_id", &photo)],
        );
        assert_eq!(faced.status, 400, "{}", faced.text());
        let kept = block_on(site.store.authors()).unwrap();
        let kit_now = kept.iter().find(|a| a.id == kit).unwrap();
        assert_eq!(kit_now.name, "Kit Arden");
        assert_ne!(kit_now.photo_id.as_deref(), Some(photo.as_str()));

        // An author's API key: its own byline by default, never featured.
        let key = admin_key(&site, "Syndication", Role::Author);
        let post = |body: Value| {
            http_send(
                "POST",
                &format!("{}/ghost/api/admin/posts/", site.url),
                Some(("application/json", body.to_string().as_bytes())),
                &[("authorization", &ghost_auth(site.store.clock().now(), &key))],
            )
        };
        let created = post(json!({"posts": [{"title": "From the wire", "status": "published"}]}));
        assert_eq!(created.status, 201, "{}", created.text());
        let body: Value = serde_json::from_slice(&created.body).unwrap();
        let names: Vec<&str> = body["posts"][0]["authors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Syndication"], "credited to the key's own account");
        let as_featured = post(json!({"posts": [{"title": "Lead me", "featured": true}]}));
        assert_eq!(as_featured.status, 403, "{}", as_featured.text());
        let as_other = post(json!({"posts": [{"title": "Not mine", "authors": [{"id": colleague.id}]}]}));
        assert_eq!(as_other.status, 403, "{}", as_other.text());
    }
);

on_both_backends!(
    /// Tags typed into a contributor's draft were public at once: in the
    /// Content API's /tags, at /tag/name and in the sitemap. Staff who had
    /// never published had author pages.
    tags_and_people_become_public_with_a_published_story,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let writer = person(&site, "kit@example.org", "Kit Arden", Role::Contributor);
        let kit = profile_of(&site, &writer, "Kit Arden");
        let draft = save_story(
            &site,
            &writer,
            "/desk/stories/new",
            "A draft about the merger",
            &[&kit],
            &[("tags", "Secret Merger")],
        );
        assert_eq!(draft.status, 303, "{}", draft.text());
        let content_key = crate::common::content_key(&site);
        let public_now = |expected: bool| {
            let tag_page = site.get("/tag/secret-merger/");
            assert_eq!(tag_page.status == 200, expected, "/tag/secret-merger: {}", tag_page.status);
            assert_eq!(site.get("/tag/secret-merger/feed.xml").status == 200, expected);
            let author_page = site.get("/author/kit-arden/");
            assert_eq!(author_page.status == 200, expected, "/author/kit-arden/");
            let sitemap = site.get("/sitemaps/pages.xml").text();
            assert_eq!(sitemap.contains("/tag/secret-merger/"), expected);
            assert_eq!(sitemap.contains("/author/kit-arden/"), expected);
            let tags = site
                .get(&format!("/ghost/api/content/tags/?limit=all&key={content_key}"))
                .text();
            assert_eq!(tags.contains("Secret Merger"), expected, "{tags}");
            let authors = site
                .get(&format!("/ghost/api/content/authors/?limit=all&key={content_key}"))
                .text();
            assert_eq!(authors.contains("Kit Arden"), expected);
        };
        public_now(false);

        // An editor publishes it: tag and byline are public from then on.
        let editor = person(&site, "eda@example.org", "Eda Reyes", Role::Editor);
        let path = location_path(&draft);
        let revision = block_on(site.store.story_by_id(path.rsplit('/').next().unwrap()))
            .unwrap()
            .unwrap()
            .revision
            .to_string();
        let published = save_story(
            &site,
            &editor,
            &path,
            "A draft about the merger",
            &[&kit],
            &[("tags", "Secret Merger"), ("revision", &revision), ("step", "publish")],
        );
        assert_eq!(published.status, 303, "{}", published.text());
        public_now(true);
    }
);
