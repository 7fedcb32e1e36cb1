//! Sections, tags, labels, authors' profiles, the settings and the activity
//! log, as the desk changes them over HTTP on both databases: changes show
//! on the site at once; bad input is answered with the problem named and
//! the input kept.

use masthead::model::accounts::Role;

use crate::common::{Backend, TestSite, block_on};
use crate::newsroom::person;
use crate::on_both_backends;

on_both_backends!(
    editors_keep_sections_tags_labels_and_profiles,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let editor = person(&site, "mo@example.org", "Mo Sandler", Role::Editor);
        let author = person(&site, "ana@example.org", "Ana Ruiz", Role::Author);

        // a new section shows in the navigation at once, in its place
        let added = editor.post(
            &site,
            "/desk/sections",
            &[("name", "Arctic"), ("description", "The far north.")],
        );
        assert_eq!(added.status, 303, "{}", added.text());
        assert!(site.get("/").text().contains("href=\"/section/arctic/\""));
        let arctic = block_on(site.store.sections())
            .unwrap()
            .into_iter()
            .find(|s| s.slug == "arctic")
            .unwrap();
        let moved = editor.post(
            &site,
            &format!("/desk/sections/{}", arctic.id),
            &[
                ("name", "The Arctic"),
                ("slug", "arctic"),
                ("position", "0"),
            ],
        );
        assert_eq!(moved.status, 303);
        let home = site.get("/").text();
        let first_section = block_on(site.store.sections()).unwrap().remove(0);
        assert_eq!(first_section.name, "The Arctic", "first in the order");
        assert!(home.contains(">The Arctic</a>"));

        // a section with stories is not deleted; an empty one is
        let europe = block_on(site.store.sections())
            .unwrap()
            .into_iter()
            .find(|s| s.slug == "europe")
            .unwrap();
        let refused = editor.post(
            &site,
            &format!("/desk/sections/{}", europe.id),
            &[("delete", "yes")],
        );
        assert_eq!(refused.status, 400);
        assert!(
            refused
                .text()
                .contains("move them to another section first")
        );
        let bad_slug = editor.post(
            &site,
            &format!("/desk/sections/{}", arctic.id),
            &[("name", "Arctic"), ("slug", "Not A Slug")],
        );
        assert_eq!(bad_slug.status, 400);
        assert!(bad_slug.text().contains("may hold only lowercase letters"));
        assert_eq!(
            editor
                .post(
                    &site,
                    &format!("/desk/sections/{}", arctic.id),
                    &[("delete", "yes")]
                )
                .status,
            303
        );

        // tags: renamed, deleted (off every story)
        let water = block_on(site.store.tag_by_slug("water")).unwrap().unwrap();
        let renamed = editor.post(
            &site,
            &format!("/desk/tags/{}", water.id),
            &[("name", "Water supply"), ("slug", "water-supply")],
        );
        assert_eq!(renamed.status, 303);
        assert_eq!(site.get("/tag/water-supply/").status, 200);
        assert_eq!(
            editor
                .post(
                    &site,
                    &format!("/desk/tags/{}", water.id),
                    &[("delete", "yes")]
                )
                .status,
            303
        );
        assert_eq!(site.get("/tag/water-supply/").status, 404);

        // labels
        assert_eq!(
            editor
                .post(
                    &site,
                    "/desk/sections/labels",
                    &[("labels", "News\nAnalysis\nLetter")]
                )
                .status,
            303
        );
        let settings = block_on(site.store.site_settings()).unwrap();
        assert_eq!(settings.labels, ["News", "Analysis", "Letter"]);

        // authors and contributors do none of this
        assert_eq!(author.get(&site, "/desk/sections").status, 403);
        assert_eq!(
            author
                .post(&site, "/desk/sections", &[("name", "Mine")])
                .status,
            403
        );

        // an author keeps their own profile, not someone else's
        let page = author.get(&site, "/desk/stories/new");
        assert_eq!(page.status, 200, "makes the author's profile");
        let me = block_on(site.store.user_by_email("ana@example.org"))
            .unwrap()
            .unwrap();
        let mine = me.author_id.unwrap();
        let saved = author.post(
            &site,
            &format!("/desk/authors/{mine}"),
            &[
                ("name", "Ana Ruiz"),
                ("slug", "ana-ruiz"),
                ("role_line", "Islands correspondent"),
                ("bio", "Writes from Kiyoshima."),
                ("links", "Mastodon | https://social.example/@ana"),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.text());
        // Her page is public from her first public story on.
        assert_eq!(site.get("/author/ana-ruiz/").status, 404);
        let listed = |site: &TestSite| {
            site.get("/sitemaps/pages.xml")
                .text()
                .contains("/author/ana-ruiz/</loc>")
        };
        assert!(!listed(&site), "no sitemap entry before a public story");
        let section = block_on(site.store.sections()).unwrap()[0].id.clone();
        let first = author.post(
            &site,
            "/desk/stories/new",
            &[
                ("headline", "Letter from Kiyoshima"),
                ("label", "News"),
                ("section_id", &section),
                ("author", &mine),
                ("body", "The ferry came late again."),
                ("step", "publish"),
            ],
        );
        assert_eq!(first.status, 303, "{}", first.text());
        let public = site.get("/author/ana-ruiz/").text();
        assert!(listed(&site), "in the sitemap once she has a public story");
        assert!(
            public.contains("Islands correspondent") && public.contains("Writes from Kiyoshima.")
        );
        let bad_links = author.post(
            &site,
            &format!("/desk/authors/{mine}"),
            &[("name", "Ana Ruiz"), ("links", "javascript:alert(1)")],
        );
        assert_eq!(bad_links.status, 400);
        assert!(
            bad_links.text().contains("javascript:alert(1)"),
            "the input is kept"
        );
        let mira = block_on(site.store.author_by_slug("mira-castellan"))
            .unwrap()
            .unwrap();
        assert_eq!(
            author
                .get(&site, &format!("/desk/authors/{}", mira.id))
                .status,
            403
        );
        assert_eq!(
            author
                .post(
                    &site,
                    &format!("/desk/authors/{}", mira.id),
                    &[("name", "Hijacked")]
                )
                .status,
            403
        );
    }
);

on_both_backends!(
    owners_change_the_settings_and_read_the_activity,
    |backend: Backend| {
        let Some(site) = TestSite::start(backend) else {
            return;
        };
        let owner = person(&site, "ines@example.org", "Ines Marlow", Role::Owner);
        let editor = person(&site, "mo@example.org", "Mo Sandler", Role::Editor);

        let form = owner.get(&site, "/desk/settings");
        assert_eq!(form.status, 200);
        // chosen from lists, not typed as codes: time zones by region, the
        // date format by what today looks like in it
        let page = form.text();
        assert!(
            page.contains("<optgroup label=\"Europe\">"),
            "zones by region"
        );
        assert!(page.contains("<option value=\"Europe/Lisbon\">Europe / Lisbon</option>"));
        assert!(page.contains("<option value=\"America/Argentina/Buenos_Aires\">America / Argentina / Buenos Aires</option>"));
        // today where the newsroom is (near midnight UTC, another day)
        let zone = block_on(site.store.site_settings()).unwrap().timezone;
        let today = masthead::model::dates::format(
            site.store.clock().now(),
            &jiff::tz::TimeZone::get(&zone).unwrap(),
            "%B %-d, %Y",
        );
        assert!(page.contains(&format!("<option value=\"%B %-d, %Y\">{today}</option>")));
        assert!(
            page.contains("Deutsch (de)"),
            "languages by their own names"
        );
        let wrong = owner.post(
            &site,
            "/desk/settings",
            &[
                ("title", "The Evening Meridian"),
                ("language", "en-GB"),
                ("timezone", "Mars/Olympus"),
                ("date_format", "%-d %B %Y"),
            ],
        );
        assert_eq!(wrong.status, 400);
        let text = wrong.text();
        assert!(text.contains("Unknown time zone"), "{text}");
        assert!(text.contains("value=\"Mars/Olympus\""), "the input is kept");
        assert!(text.contains("id=\"timezone-error\""));
        let saved = owner.post(
            &site,
            "/desk/settings",
            &[
                ("title", "The Evening Meridian"),
                ("tagline", "News after dark"),
                ("language", "en-GB"),
                ("timezone", "Europe/London"),
                ("date_format", "%-d %B %Y"),
                ("social_label", "Mastodon"),
                ("social_url", "https://social.example/@meridian"),
                ("social_order", "1"),
                ("navigation_label", "Podcast"),
                ("navigation_url", "/podcast"),
                ("navigation_order", "2"),
                ("navigation_label", "Shop"),
                ("navigation_url", "https://shop.example/"),
                ("navigation_order", "1"),
                ("navigation_label", "Jobs"),
                ("navigation_url", "/jobs"),
                ("navigation_order", "3"),
                ("navigation_remove", "3"),
                ("navigation_label", ""),
                ("navigation_url", ""),
                ("navigation_order", "4"),
            ],
        );
        assert_eq!(saved.status, 303, "{}", saved.text());
        let kept = block_on(site.store.site_settings()).unwrap();
        let labels: Vec<&str> = kept.navigation.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(
            labels,
            ["Shop", "Podcast"],
            "in the order set, the removed row gone"
        );
        // a row with no address is named, and the rows come back as sent
        let refused = owner.post(
            &site,
            "/desk/settings",
            &[
                ("title", "The Evening Meridian"),
                ("language", "en-GB"),
                ("timezone", "Europe/London"),
                ("date_format", "%-d %B %Y"),
                ("navigation_label", "Archive"),
                ("navigation_url", "archive"),
                ("navigation_order", "1"),
            ],
        );
        assert_eq!(refused.status, 400);
        let text = refused.text();
        assert!(text.contains("must start with https://"), "{text}");
        assert!(text.contains("value=\"archive\""), "the row is kept");
        let home = site.get("/").text();
        assert!(
            home.contains("The Evening Meridian")
                && home.contains("https://social.example/@meridian")
        );
        assert_eq!(editor.get(&site, "/desk/settings").status, 403);

        // the design: an icon and an accent, on the site and in the emails
        let base = [
            ("title", "The Evening Meridian"),
            ("language", "en-GB"),
            ("timezone", "Europe/London"),
            ("date_format", "%-d %B %Y"),
        ];
        let too_light = owner.post(
            &site,
            "/desk/settings",
            &[&base[..], &[("accent", "#ffd700")]].concat(),
        );
        assert_eq!(too_light.status, 400);
        assert!(
            too_light.text().contains("too light"),
            "{}",
            too_light.text()
        );
        let icon = block_on(site.store.library(None, 1))
            .unwrap()
            .remove(0)
            .image;
        let designed = owner.post(
            &site,
            "/desk/settings",
            &[
                &base[..],
                &[("accent", "#005A9C"), ("icon_image_id", &icon.id)],
            ]
            .concat(),
        );
        assert_eq!(designed.status, 303, "{}", designed.text());
        let home = site.get("/").text();
        assert!(home.contains("<link rel=\"stylesheet\" href=\"/assets/accent/005a9c.css\">"));
        assert!(
            home.contains("<link rel=\"apple-touch-icon\" href=\"/media/"),
            "{home}"
        );
        let css = site.get("/assets/accent/005a9c.css");
        assert_eq!(css.status, 200);
        assert!(css.text().contains("--accent: #005a9c"));
        assert!(css.header("cache-control").unwrap().contains("immutable"));
        assert_eq!(site.get("/assets/accent/red.css").status, 404);
        let issue = block_on(site.store.issues(true, 1)).unwrap().remove(0);
        let email = owner
            .get(
                &site,
                &format!("/desk/newsletters/issues/{}/preview", issue.id),
            )
            .text();
        assert!(
            email.contains("color:#005a9c"),
            "the emails take the accent"
        );
        assert!(!email.contains("#8f1d21"), "and only it");

        // the activity log, filtered by person and words
        let log = owner.get(&site, "/desk/activity").text();
        assert!(log.contains("changed the settings"));
        let me = block_on(site.store.user_by_email("mo@example.org"))
            .unwrap()
            .unwrap();
        let theirs = editor
            .get(&site, &format!("/desk/activity?who={}", me.id))
            .text();
        assert!(!theirs.contains("changed the settings"), "only Mo's lines");
        let none = owner
            .get(&site, "/desk/activity?q=nothing+of+the+sort")
            .text();
        assert!(none.contains("Nothing matches these filters"));
        assert_eq!(
            owner.get(&site, "/desk/activity?from=yesterday").status,
            400
        );
    }
);
