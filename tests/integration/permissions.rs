//! The permission matrix over HTTP, on both databases: every role against
//! every desk action, on its own piece and on someone else's, with requests
//! written by hand (the interface never offers most of them). The expected
//! answers are written out here, not computed from the code under test.

use masthead::model::accounts::Role;
use masthead::services::publishing;

use crate::common::{Backend, TestSite, block_on};
use crate::newsroom::{Person, location_path, person, profile_of};
use crate::on_both_backends;

/// A story's form fields with the given step, bylined to `author`.
fn story(
    site: &TestSite,
    author: &str,
    headline: &str,
    step: &str,
    extra: &[(&str, String)],
) -> Vec<(String, String)> {
    let sections = block_on(site.store.sections()).unwrap();
    let mut fields = vec![
        ("headline".to_string(), headline.to_string()),
        ("label".to_string(), "News".to_string()),
        ("section_id".to_string(), sections[0].id.clone()),
        ("author".to_string(), author.to_string()),
        ("body".to_string(), "A paragraph.".to_string()),
        ("step".to_string(), step.to_string()),
    ];
    fields.extend(extra.iter().map(|(n, v)| (n.to_string(), v.clone())));
    fields
}

fn post(site: &TestSite, who: &Person, path: &str, fields: &[(String, String)]) -> u16 {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    who.post(site, path, &borrowed).status
}

/// A draft `who` starts under their own byline; returns its editor path.
fn own_draft(site: &TestSite, who: &Person, byline: &str, headline: &str) -> String {
    let borrowed = story(site, byline, headline, "save", &[]);
    let fields: Vec<(&str, &str)> = borrowed
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let reply = who.post(site, "/desk/stories/new", &fields);
    assert_eq!(reply.status, 303, "{headline}: {}", reply.text());
    location_path(&reply)
}

fn revision_of(site: &TestSite, path: &str) -> String {
    let id = path.rsplit('/').next().unwrap();
    block_on(site.store.story_by_id(id))
        .unwrap()
        .unwrap()
        .revision
        .to_string()
}

/// Publishes a story as the system would (a setup step, not under test).
fn publish_directly(site: &TestSite, path: &str) {
    let id = path.rsplit('/').next().unwrap();
    let card = block_on(site.store.story_cards_by_ids(&[id.to_string()]))
        .unwrap()
        .remove(0);
    let settings = block_on(site.store.site_settings()).unwrap();
    let draft = publishing::StoryDraft {
        headline: card.story.headline.clone(),
        label: card.story.label.clone(),
        section_id: card.story.section_id.clone(),
        body: card.story.body.clone(),
        author_ids: card.author_ids.clone(),
        status: Some(masthead::model::Status::Published),
        ..Default::default()
    };
    block_on(publishing::save_story(
        &site.store,
        &settings,
        Some(&card.story),
        draft,
    ))
    .unwrap();
}

/// "delete own" is a deletion, not a step of the workflow.
fn return_delete() -> &'static str {
    ""
}

/// Expected answers: (contributor, author, editor, owner).
struct Row {
    action: &'static str,
    expected: [u16; 4],
}

on_both_backends!(every_role_against_every_action, |backend: Backend| {
    let Some(site) = TestSite::start(backend) else {
        return;
    };
    let roles = [Role::Contributor, Role::Author, Role::Editor, Role::Owner];
    let people: Vec<Person> = roles
        .iter()
        .enumerate()
        .map(|(i, role)| {
            person(
                &site,
                &format!("p{i}@example.org"),
                &format!("Person {i}"),
                *role,
            )
        })
        .collect();
    let bylines: Vec<String> = people
        .iter()
        .enumerate()
        .map(|(i, who)| profile_of(&site, who, &format!("Person {i}")))
        .collect();
    // Someone else's draft for each test (an owner's, not one of the four).
    let other = person(&site, "else@example.org", "Someone Else", Role::Owner);
    let other_byline = profile_of(&site, &other, "Someone Else");
    let future = {
        let tz = jiff::tz::TimeZone::UTC;
        masthead::model::dates::local_input(site.store.clock().now() + 7 * 86_400, &tz)
    };
    let png = {
        use image::ImageEncoder;
        let img = image::RgbImage::from_pixel(40, 30, image::Rgb([10, 120, 200]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(&img, 40, 30, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    };
    let rows = [
        Row {
            action: "create",
            expected: [303, 303, 303, 303],
        },
        Row {
            action: "edit own",
            expected: [303, 303, 303, 303],
        },
        Row {
            action: "edit another's",
            expected: [403, 403, 303, 303],
        },
        Row {
            action: "submit",
            expected: [303, 303, 303, 303],
        },
        Row {
            action: "publish",
            expected: [403, 303, 303, 303],
        },
        Row {
            action: "schedule",
            expected: [403, 303, 303, 303],
        },
        Row {
            action: "unpublish own",
            expected: [403, 303, 303, 303],
        },
        Row {
            action: "publish another's",
            expected: [403, 403, 303, 303],
        },
        Row {
            action: "credit another alone",
            expected: [403, 403, 303, 303],
        },
        Row {
            action: "delete own",
            expected: [303, 303, 303, 303],
        },
        Row {
            action: "delete another's",
            expected: [403, 403, 303, 303],
        },
        Row {
            action: "upload",
            expected: [303, 303, 303, 303],
        },
        Row {
            action: "add a note to own",
            expected: [303, 303, 303, 303],
        },
        Row {
            action: "change a note",
            expected: [403, 403, 303, 303],
        },
        Row {
            action: "publish to a newsletter",
            expected: [403, 403, 303, 303],
        },
        Row {
            action: "curate",
            expected: [403, 403, 303, 303],
        },
        Row {
            action: "manage sections",
            expected: [403, 403, 303, 303],
        },
        Row {
            action: "manage pages",
            expected: [403, 403, 303, 303],
        },
        Row {
            action: "manage people",
            expected: [403, 403, 403, 200],
        },
        Row {
            action: "change settings",
            expected: [403, 403, 403, 303],
        },
        Row {
            action: "read activity",
            expected: [403, 403, 200, 200],
        },
        Row {
            action: "see integrations",
            expected: [403, 403, 200, 200],
        },
        Row {
            action: "add an integration",
            expected: [403, 403, 303, 303],
        },
    ];
    let lead = block_on(
        site.store
            .stories(&Default::default(), site.store.clock().now(), 1, 0),
    )
    .unwrap()
    .remove(0);
    let mut failures = Vec::new();
    for row in &rows {
        for (i, who) in people.iter().enumerate() {
            let tag = format!("{} by {:?}", row.action, roles[i]);
            let byline = bylines[i].as_str();
            let status = match row.action {
                "create" => post(
                    &site,
                    who,
                    "/desk/stories/new",
                    &story(&site, byline, &tag, "save", &[]),
                ),
                "credit another alone" => post(
                    &site,
                    who,
                    "/desk/stories/new",
                    &story(&site, &other_byline, &tag, "save", &[]),
                ),
                "edit own" | "submit" | "publish" | "schedule" | "delete own" => {
                    let path = own_draft(&site, who, byline, &tag);
                    let revision = revision_of(&site, &path);
                    let step = match row.action {
                        "delete own" => return_delete(),
                        "edit own" => "save",
                        other => other,
                    };
                    if step.is_empty() {
                        post(&site, who, &format!("{path}/delete"), &[])
                    } else {
                        let mut extra = vec![("revision", revision)];
                        if step == "schedule" {
                            extra.push(("publish_at", future.clone()));
                        }
                        post(&site, who, &path, &story(&site, byline, &tag, step, &extra))
                    }
                }
                "unpublish own" => {
                    let path = own_draft(&site, who, byline, &tag);
                    publish_directly(&site, &path);
                    let revision = revision_of(&site, &path);
                    post(
                        &site,
                        who,
                        &path,
                        &story(&site, byline, &tag, "unpublish", &[("revision", revision)]),
                    )
                }
                "edit another's" | "publish another's" | "delete another's" => {
                    let path = own_draft(&site, &other, &other_byline, &tag);
                    let revision = revision_of(&site, &path);
                    let theirs = |step| {
                        story(
                            &site,
                            &other_byline,
                            &tag,
                            step,
                            &[("revision", revision.clone())],
                        )
                    };
                    match row.action {
                        "edit another's" => post(&site, who, &path, &theirs("save")),
                        "publish another's" => post(&site, who, &path, &theirs("publish")),
                        _ => post(&site, who, &format!("{path}/delete"), &[]),
                    }
                }
                "add a note to own" => {
                    let path = own_draft(&site, who, byline, &tag);
                    let note = [
                        ("kind".to_string(), "update".to_string()),
                        ("body".to_string(), format!("More on {tag}.")),
                    ];
                    post(&site, who, &format!("{path}/notes"), &note)
                }
                "change a note" => {
                    let path = own_draft(&site, &other, &other_byline, &tag);
                    let id = path.rsplit('/').next().unwrap();
                    let story = block_on(site.store.story_by_id(id)).unwrap().unwrap();
                    let note = block_on(masthead::services::publishing::add_note(
                        &site.store,
                        &story,
                        masthead::model::NoteKind::Correction,
                        site.store.clock().now(),
                        "A first wording.",
                    ))
                    .unwrap();
                    let change = [
                        ("kind".to_string(), "correction".to_string()),
                        ("noted_at".to_string(), "2026-05-01T09:30".to_string()),
                        ("body".to_string(), "A second wording.".to_string()),
                    ];
                    post(&site, who, &format!("{path}/notes/{}", note.id), &change)
                }
                "publish to a newsletter" => {
                    let newsletter = block_on(site.store.newsletters()).unwrap()[0].id.clone();
                    let path = own_draft(&site, who, byline, &tag);
                    let revision = revision_of(&site, &path);
                    let extra = [("revision", revision), ("send_to", newsletter)];
                    post(
                        &site,
                        who,
                        &path,
                        &story(&site, byline, &tag, "publish", &extra),
                    )
                }
                "upload" => {
                    who.upload(
                        &site,
                        "matrix.png",
                        &png,
                        &[("alt", "A blue square")],
                        false,
                    )
                    .status
                }
                "curate" => post(
                    &site,
                    who,
                    "/desk/front",
                    &[("lead".into(), lead.id.clone())],
                ),
                "manage sections" => post(
                    &site,
                    who,
                    "/desk/sections",
                    &[("name".into(), format!("Desk {i}"))],
                ),
                "manage pages" => post(
                    &site,
                    who,
                    "/desk/pages/new",
                    &[
                        ("title".into(), format!("Page {i}")),
                        ("step".into(), "save".into()),
                    ],
                ),
                "manage people" => post(
                    &site,
                    who,
                    "/desk/people",
                    &[
                        ("email".into(), format!("new{i}@example.org")),
                        ("role".into(), "author".into()),
                    ],
                ),
                "change settings" => post(
                    &site,
                    who,
                    "/desk/settings",
                    &[
                        ("title".into(), "The Meridian".into()),
                        ("language".into(), "en-GB".into()),
                        ("timezone".into(), "Europe/London".into()),
                        ("date_format".into(), "%-d %B %Y".into()),
                    ],
                ),
                "read activity" => who.get(&site, "/desk/activity").status,
                "see integrations" => who.get(&site, "/desk/integrations").status,
                "add an integration" => post(
                    &site,
                    who,
                    "/desk/integrations",
                    &[
                        ("name".into(), format!("Tool {i}")),
                        ("role".into(), "editor".into()),
                    ],
                ),
                other => panic!("no such action {other}"),
            };
            if status != row.expected[i] {
                failures.push(format!("{tag}: {status}, expected {}", row.expected[i]));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the matrix differs:\n{}",
        failures.join("\n")
    );
});
