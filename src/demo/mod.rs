//! The demo publication: original writing about fictional places and events,
//! with drawn illustrations, so a new user sees a living magazine at once.
//! Also generates archive stories for load tests (`masthead seed --stories N`),
//! on the demo or on any publication with published stories to model them on.

mod art;
mod readership;

pub use readership::add_generated_views;

use std::sync::Arc;

use anyhow::Context;
use serde::Deserialize;

use crate::model::{
    Author, Image, Link, NoteKind, Section, SiteSettings, Status, StoryFilter, Tag, UnixTime,
    new_id, slug,
};
use crate::progress::Progress;
use crate::services::publishing::{self, BriefDraft, ContentError, StoryDraft};
use crate::services::settings;
use crate::storage::{Area, MediaStorage};
use crate::store::{BulkLoad, Store, StoryWrite};

const CONTENT: &str = include_str!("content.toml");

#[derive(Deserialize)]
struct DemoContent {
    site: SiteSettings,
    sections: Vec<DemoSection>,
    authors: Vec<DemoAuthor>,
    tags: Vec<DemoTag>,
    stories: Vec<DemoStory>,
    briefs: Vec<DemoBrief>,
    pages: Vec<DemoPage>,
}

#[derive(Deserialize)]
struct DemoPage {
    title: String,
    slug: String,
    in_navigation: bool,
    in_footer: bool,
    body: String,
}

#[derive(Deserialize)]
struct DemoSection {
    name: String,
    description: String,
}

#[derive(Deserialize)]
struct DemoAuthor {
    name: String,
    role: String,
    bio: String,
    #[serde(default)]
    links: Vec<Link>,
}

#[derive(Deserialize)]
struct DemoTag {
    name: String,
    description: String,
}

#[derive(Deserialize, Clone)]
struct DemoImage {
    art: String,
    alt: String,
    caption: String,
    credit: String,
}

#[derive(Deserialize, Clone)]
struct DemoStory {
    headline: String,
    dek: String,
    label: String,
    section: String,
    authors: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    featured: bool,
    hours_ago: f64,
    image: DemoImage,
    body: String,
    #[serde(default)]
    excerpt: Option<String>,
    #[serde(default)]
    correction: Option<String>,
    /// "archived" or "scheduled" (in the future by -hours_ago).
    #[serde(default)]
    status: Option<String>,
    /// The slug it was first published under; it must redirect.
    #[serde(default)]
    first_slug: Option<String>,
    #[serde(default)]
    edited_hours_ago: Option<f64>,
}

#[derive(Deserialize)]
struct DemoBrief {
    headline: String,
    body: String,
    hours_ago: f64,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    image: Option<DemoImage>,
}

/// Stories saved per transaction when generating an archive.
const BATCH: usize = 500;

/// Fills an empty database with the demo publication. Returns how many
/// stories it added (0 when the database already had content).
pub async fn fill_if_empty(store: &Store, media: &Arc<dyn MediaStorage>) -> anyhow::Result<usize> {
    if !store.is_empty().await? {
        return Ok(0);
    }
    let now = store.clock().now();
    let hours_ago = |h: f64| now - (h * 3600.0) as i64;
    let demo: DemoContent =
        toml::from_str(CONTENT).context("the built-in demo content is malformed")?;
    settings::save(store, &demo.site)
        .await
        .context("the demo's settings")?;

    let mut section_ids = std::collections::HashMap::new();
    for (position, s) in demo.sections.iter().enumerate() {
        let section = Section {
            id: new_id(),
            slug: slug::slugify(&s.name),
            name: s.name.clone(),
            description: s.description.clone(),
            position: position as i32,
        };
        store.save_section(&section).await?;
        section_ids.insert(s.name.clone(), section.id);
    }
    let mut tag_ids = std::collections::HashMap::new();
    for t in &demo.tags {
        let tag = Tag {
            id: new_id(),
            slug: slug::slugify(&t.name),
            name: t.name.clone(),
            description: t.description.clone(),
        };
        store.save_tag(&tag).await?;
        tag_ids.insert(t.name.clone(), tag.id);
    }
    let mut author_ids = std::collections::HashMap::new();
    for a in &demo.authors {
        let slug = slug::slugify(&a.name);
        let photo = save_svg(
            store,
            media,
            &format!("author-{slug}.svg"),
            &art::portrait(&a.name),
            (400, 400),
            &DemoImage {
                art: String::new(),
                alt: format!("Portrait illustration of {}", a.name),
                caption: String::new(),
                credit: "Illustration: Masthead demo".into(),
            },
        )
        .await?;
        let author = Author {
            id: new_id(),
            slug,
            name: a.name.clone(),
            bio: a.bio.clone(),
            role_line: a.role.clone(),
            photo_id: Some(photo),
            links: serde_json::to_string(&a.links)?,
        };
        store.save_author(&author).await?;
        author_ids.insert(a.name.clone(), author.id);
    }

    let lookup = |map: &std::collections::HashMap<String, String>, names: &[String], what: &str| {
        names
            .iter()
            .map(|n| {
                map.get(n)
                    .cloned()
                    .with_context(|| format!("demo content names an unknown {what} {n:?}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    };

    for s in &demo.stories {
        let slug = slug::slugify(&s.headline);
        let image = save_svg(
            store,
            media,
            &format!("{slug}.svg"),
            &art::illustration(&s.image.art, &slug),
            (art::WIDTH, art::HEIGHT),
            &s.image,
        )
        .await?;
        let published_at = hours_ago(s.hours_ago);
        let draft = StoryDraft {
            slug: s.first_slug.clone(),
            headline: s.headline.clone(),
            dek: s.dek.clone(),
            label: s.label.clone(),
            section_id: section_ids
                .get(&s.section)
                .cloned()
                .with_context(|| format!("demo story names an unknown section {:?}", s.section))?,
            body: demo_body(&s.body),
            custom_excerpt: s.excerpt.clone(),
            hero_image_id: Some(image),
            status: Some(if s.status.as_deref() == Some("scheduled") {
                Status::Scheduled
            } else {
                Status::Published
            }),
            featured: s.featured,
            published_at: Some(published_at),
            author_ids: lookup(&author_ids, &s.authors, "author")?,
            tag_ids: lookup(&tag_ids, &s.tags, "tag")?,
            updated_at: Some(s.edited_hours_ago.map_or(published_at, hours_ago)),
            ..Default::default()
        };
        let story = save_story(store, &demo.site, None, draft.clone())
            .await
            .with_context(|| format!("demo story {:?}", s.headline))?;
        let story = if s.first_slug.is_some() {
            // Renamed after publication: the first address must answer 301.
            let renamed = StoryDraft {
                slug: Some(slug.clone()),
                ..draft.clone()
            };
            save_story(store, &demo.site, Some(&story), renamed).await?
        } else {
            story
        };
        if s.status.as_deref() == Some("archived") {
            let archived = StoryDraft {
                status: Some(Status::Archived),
                ..draft.clone()
            };
            save_story(store, &demo.site, Some(&story), archived).await?;
        }
        if let Some(correction) = &s.correction {
            let at = s.edited_hours_ago.map_or(published_at + 7200, hours_ago);
            publishing::add_note(store, &story, NoteKind::Correction, at, correction).await?;
        }
    }

    for b in &demo.briefs {
        let image = match &b.image {
            Some(img) => {
                let slug = slug::slugify(&b.headline);
                Some(
                    save_svg(
                        store,
                        media,
                        &format!("brief-{slug}.svg"),
                        &art::illustration(&img.art, &slug),
                        (art::WIDTH, art::HEIGHT),
                        img,
                    )
                    .await?,
                )
            }
            None => None,
        };
        publishing::save_brief(
            store,
            None,
            BriefDraft {
                headline: b.headline.clone(),
                body: demo_body(&b.body),
                link_url: b.link.clone(),
                image_id: image,
                status: Some(Status::Published),
                published_at: Some(hours_ago(b.hours_ago)),
                ..Default::default()
            },
        )
        .await?;
    }

    for (position, p) in demo.pages.iter().enumerate() {
        let page = crate::model::Page {
            id: new_id(),
            slug: p.slug.clone(),
            title: p.title.clone(),
            body: demo_body(&p.body),
            hero_image_id: None,
            status: Status::Published,
            in_navigation: p.in_navigation,
            in_footer: p.in_footer,
            position: position as i32,
            created_at: now,
            updated_at: now,
            created_by: None,
            revision: 1,
            // Credited, when read, to an owner (as pages without authors are).
            authors: "[]".into(),
        };
        store.save_page(&page, None).await?;
    }

    add_newsletters(store).await?;
    // Worked out now rather than by the queued jobs, so a new site's pages
    // settle before its first reader (the jobs then find nothing to change).
    crate::services::search::relate_all(store, |_| {}).await?;
    store.optimize().await?;
    Ok(demo.stories.len())
}

/// Saves a demo story as the desk would, but leaves its related stories to
/// the end of the fill (one pass, no job per story).
async fn save_story(
    store: &Store,
    settings: &crate::model::SiteSettings,
    existing: Option<&crate::model::Story>,
    draft: StoryDraft,
) -> anyhow::Result<crate::model::Story> {
    let write = StoryWrite {
        relate: false,
        ..publishing::prepare_story(store, settings, existing, draft).await?
    };
    store.save_stories(std::slice::from_ref(&write)).await?;
    Ok(write.story)
}

/// A made-up place name, the same for the same number: "Vardomel".
fn place_name(n: usize) -> String {
    const SYLLABLES: [&str; 24] = [
        "var", "do", "mel", "os", "tri", "ka", "lun", "be", "zar", "en", "qui", "tal", "mor", "sa",
        "vek", "il", "dru", "na", "pes", "ho", "gan", "ti", "wol", "ra",
    ];
    let s = SYLLABLES.len();
    let name = format!(
        "{}{}{}",
        SYLLABLES[n % s],
        SYLLABLES[(n / s) % s],
        SYLLABLES[(n / s / s) % s]
    );
    crate::model::text::capitalized(&name)
}

/// The model's first half and the other's second, with the place named.
fn mixed_body(
    model: &crate::model::Document,
    other: &crate::model::Document,
    place: &str,
) -> crate::model::Document {
    use crate::model::document::tree::{Block, Inline};
    let first = model.blocks();
    let second = other.blocks();
    let mut blocks: Vec<Block> = first[..first.len().div_ceil(2)].to_vec();
    let mut said = Inline::default();
    said.push_text(
        &format!(
            "Officials in {place} said they were watching closely; {place} has seen this before."
        ),
        &[],
    );
    blocks.push(Block::Paragraph(said));
    blocks.extend_from_slice(&second[second.len() / 2..]);
    crate::model::Document::from_blocks(&blocks)
}

/// Fictional readers the demo's newsletters go to (all under example.com).
const DEMO_SUBSCRIBERS: usize = 300;

/// The weekly round-up (made by the migrations) gets a sister list, a few
/// hundred fictional readers and one issue already sent, in the archive.
async fn add_newsletters(store: &Store) -> anyhow::Result<()> {
    let now = store.clock().now();
    let mut newsletters = store.newsletters().await?;
    if let Some(weekly) = newsletters.iter_mut().find(|n| n.id == "weekly") {
        weekly.description = "Our best analysis of the week, every Friday morning.".into();
        weekly.reply_to = "letters@meridian.example".into();
        store.save_newsletter(weekly).await?;
    }
    store
        .save_newsletter(&crate::model::newsletters::Newsletter {
            id: "daily-briefs".into(),
            slug: "daily-briefs".into(),
            name: "Daily briefs".into(),
            description: "The day's short news, every evening at six.".into(),
            sender_name: String::new(),
            sender_email: String::new(),
            reply_to: String::new(),
            offered: true,
            position: 1,
            created_at: now,
        })
        .await?;
    let first = [
        "Ada", "Bo", "Cai", "Dana", "Eli", "Fen", "Gus", "Hana", "Ivo", "Juno",
    ];
    let last = [
        "Marsh", "Okoro", "Lind", "Varga", "Quist", "Brandt", "Sato", "Ferro", "Holm", "Reyes",
    ];
    let readers: Vec<crate::store::ConfirmedSubscriber> = (0..DEMO_SUBSCRIBERS)
        .map(|i| {
            let (f, l) = (first[i % first.len()], last[(i / first.len()) % last.len()]);
            crate::store::ConfirmedSubscriber {
                id: new_id(),
                email: format!("{}.{}{}@example.com", f.to_lowercase(), l.to_lowercase(), i),
                name: format!("{f} {l}"),
                manage_token: crate::services::accounts::secret(),
                subscribed: true,
                since: None,
            }
        })
        .collect();
    store.add_confirmed_subscribers(&readers, "weekly").await?;
    store
        .add_confirmed_subscribers(&readers[..DEMO_SUBSCRIBERS / 3], "daily-briefs")
        .await?;
    let weekly = store
        .newsletters()
        .await?
        .into_iter()
        .find(|n| n.id == "weekly")
        .context("the weekly round-up exists")?;
    let (mut issue, items) =
        crate::services::sending::compose_roundup(store, &weekly, None).await?;
    issue.intro = demo_body(
        "Good morning. This week: a sea wall that divides an island, and a railway that could sink a coalition.",
    );
    store.save_issue(&issue, &items).await?;
    // The sent issue went to every reader of the list, recorded as a real
    // send records it (the desk shows how many received it).
    store.start_sending(&issue).await?;
    loop {
        let batch = store.claim_deliveries(&issue.id, 60, 500).await?;
        if batch.is_empty() {
            break;
        }
        let marks: Vec<crate::store::DeliveryMark> = batch
            .into_iter()
            .map(|r| crate::store::DeliveryMark::Sent(r.id))
            .collect();
        store.record_deliveries(&issue.id, &marks).await?;
    }
    // Saved as sent, its sending job is cancelled.
    let sent = crate::model::newsletters::NewsletterIssue {
        status: crate::model::newsletters::IssueStatus::Sent,
        ..issue
    };
    store.save_issue(&sent, &items).await?;
    store
        .set_issue_status(&sent.id, crate::model::newsletters::IssueStatus::Sent, None)
        .await?;
    Ok(())
}

/// Adds `count` generated archive stories modelled on the newest published
/// ones (section, authors, tags, image), dated further back in time, with
/// a numbered slug. Each mixes its model's paragraphs with another's and
/// names a generated place, so the archive's vocabulary grows as a real
/// one does (a long tail of names a handful of stories share) and search
/// and related stories are measured on text that is not one story
/// repeated. Shows progress; saves in batches.
pub async fn add_generated_stories(store: &Store, count: usize) -> anyhow::Result<usize> {
    if count == 0 {
        return Ok(0);
    }
    let now = store.clock().now();
    let settings = store.site_settings().await?;
    let newest = store.stories(&StoryFilter::default(), now, 50, 0).await?;
    let ids: Vec<String> = newest.iter().map(|s| s.id.clone()).collect();
    let models = store.story_cards_by_ids(&ids).await?;
    anyhow::ensure!(
        !models.is_empty(),
        "there is no published story to model generated ones on: publish one first, or seed an empty database"
    );
    let mut number = store.count_all_stories().await? as usize;
    let progress = Progress::new(count, "generated", "archive stories");
    let mut batch = Vec::with_capacity(BATCH);
    let mut load = BulkLoad::default();
    for i in 0..count {
        let card = &models[i % models.len()];
        let model = &card.story;
        let other = &models[(i * 7 + 3) % models.len()].story;
        let place = place_name(i / 8);
        let at: UnixTime = now - 60 * 86_400 - i as i64 * 3 * 3600;
        let write = loop {
            number += 1;
            let draft = StoryDraft {
                slug: Some(format!("{}-{number}", slug::slugify(&model.headline))),
                headline: format!("{place}: {}", model.headline),
                dek: model.dek.clone(),
                label: model.label.clone(),
                section_id: model.section_id.clone(),
                body: mixed_body(&model.body, &other.body, &place),
                custom_excerpt: model.custom_excerpt.clone(),
                hero_image_id: model.hero_image_id.clone(),
                status: Some(Status::Published),
                featured: false,
                published_at: Some(at),
                author_ids: card.author_ids.clone(),
                tag_ids: card.tag_ids.clone(),
                updated_at: Some(at),
                ..Default::default()
            };
            match publishing::prepare_story(store, &settings, None, draft).await {
                Err(ContentError::SlugTaken(_)) => continue,
                other => break other?,
            }
        };
        // Thousands of related-story jobs would keep a server busy long
        // after a load test starts: `search reindex --related` does them.
        batch.push(StoryWrite {
            relate: false,
            ..write
        });
        if batch.len() == BATCH || i + 1 == count {
            store.save_stories(&batch).await?;
            store.bulk_wrote(&mut load, batch.len()).await?;
            batch.clear();
            progress.show(i + 1);
        }
    }
    progress.finish();
    store.optimize().await?;
    Ok(count)
}

/// The demo's text is written in Markdown, for typographic quotes and dashes.
fn demo_body(markdown: &str) -> crate::model::Document {
    use crate::model::document::markdown::{Typography, to_document};
    to_document(markdown.trim(), Typography::Typographic)
}

async fn save_svg(
    store: &Store,
    media: &Arc<dyn MediaStorage>,
    file: &str,
    svg: &str,
    (width, height): (i32, i32),
    meta: &DemoImage,
) -> anyhow::Result<String> {
    let (storage, name, bytes) = (media.clone(), file.to_string(), svg.as_bytes().to_vec());
    tokio::task::spawn_blocking(move || storage.put(Area::Served, &name, &bytes))
        .await?
        .with_context(|| format!("cannot store {file} in {}", media.describe()))?;
    let image = Image {
        id: new_id(),
        file: file.to_string(),
        width,
        height,
        alt: meta.alt.clone(),
        caption: meta.caption.clone(),
        credit: meta.credit.clone(),
        ..Default::default()
    };
    store.save_image(&image).await?;
    Ok(image.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::document::markdown::html_as_rendered_before;
    use crate::model::{Document, SafeHtml};

    /// The words and the blocks of HTML, as a reader meets them: block
    /// elements in order (a list item's paragraph is the item itself), and
    /// the text with its whitespace collapsed.
    fn reading(html: &str) -> (Vec<String>, String) {
        let mut blocks = Vec::new();
        let mut rest = html;
        while let Some(at) = rest.find('<') {
            rest = &rest[at + 1..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if matches!(
                name.as_str(),
                "h2" | "h3"
                    | "h4"
                    | "blockquote"
                    | "ul"
                    | "ol"
                    | "li"
                    | "pre"
                    | "table"
                    | "tr"
                    | "figure"
                    | "hr"
                    | "dl"
            ) || (name == "p" && blocks.last().is_none_or(|b: &String| b != "li"))
            {
                blocks.push(name);
            }
        }
        let text = crate::model::nesting::text_only(html)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        (blocks, text)
    }

    #[test]
    fn the_demo_reads_the_same_after_its_bodies_become_documents() {
        let demo: DemoContent = toml::from_str(CONTENT).unwrap();
        let bodies = demo
            .stories
            .iter()
            .map(|s| (&s.headline, &s.body))
            .chain(demo.briefs.iter().map(|b| (&b.headline, &b.body)))
            .chain(demo.pages.iter().map(|p| (&p.title, &p.body)));
        let mut compared = 0;
        for (name, markdown) in bodies {
            // What the page showed before: the Markdown rendered and sanitized.
            let before = SafeHtml::sanitize(&html_as_rendered_before(markdown.trim()));
            // What migration 19 makes of that stored HTML, and what a new
            // demo seeds: the same document.
            let migrated = Document::from_html(before.as_str());
            assert_eq!(
                migrated,
                demo_body(markdown),
                "{name}: migrated and seeded differ"
            );
            let (blocks_before, text_before) = reading(before.as_str());
            let (blocks_after, text_after) = reading(migrated.as_str());
            assert_eq!(text_before, text_after, "{name}: the words changed");
            assert_eq!(blocks_before, blocks_after, "{name}: the structure changed");
            compared += 1;
        }
        assert!(compared >= 40, "{compared} demo bodies compared");
    }
}
