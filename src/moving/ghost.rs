//! Ghost JSON exports (Ghost 1.x to 6.x) imported: the flat `{meta, data}`
//! shape, the wrapped `{db: [{meta, data}]}` one, and the `{data: {meta,
//! data}}` of Ghost's import bundles.
//!
//! Mapping: a post's first public tag becomes its section (Ghost's primary
//! tag), its other public tags its tags, in `posts_tags` order; internal
//! tags (`#name`) stay off the site (counted); users become authors, in
//! `posts_authors` order; `type: page` (or `page: 1`) becomes a page; the
//! feature image becomes the hero image with its alt text and caption
//! (`posts_meta` in Ghost 4+); meta, Open Graph and Twitter titles and
//! descriptions the SEO fields; members become subscribers, subscribed or
//! not as they were; `/{slug}/` (Ghost's post address) answers 301, as do
//! the literal rules of a `redirects.json`. The HTML Ghost rendered is used
//! when present; else Markdown (Ghost 0.x) or the plain text.
//!
//! The file is read whole (Ghost's exports are single JSON documents), so
//! its size is bounded by `MAX_FILE`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use super::media::{GHOST_URL, ImageFrom};
use super::{
    Options, Report, Saver, body_from_html, imported_page, slug_for, stable_id, stable_id_at,
};
use crate::model::Document;
use crate::model::document::markdown::{Typography, to_document};
use crate::model::{Link, Status, Story, UnixTime};
use crate::services::media::Library;
use crate::services::subscriptions::normalize_email;
use crate::store::redirects::PathRedirect;
use crate::store::{ConfirmedSubscriber, Store, StoryWrite};

/// The largest export read (it is parsed whole).
pub const MAX_FILE: u64 = 512 << 20;
const SOURCE: &str = "ghost";

/// A field as text: strings as they are, numbers written out; null, empty
/// and missing are None.
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn flag(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0) != 0,
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true"),
        _ => false,
    }
}

/// Ghost's times: ISO 8601 text, or milliseconds since the epoch (old exports).
fn time(v: &Value, key: &str) -> Option<UnixTime> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64().map(|ms| ms / 1000),
        Value::String(s) => s
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_second())
            .or_else(|| s.parse::<i64>().ok().map(|ms| ms / 1000)),
        _ => None,
    }
}

fn rows<'a>(data: &'a Value, table: &str) -> &'a [Value] {
    data.get(table)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The `{meta, data}` inside any of the shapes Ghost writes.
fn export_body(root: &Value) -> anyhow::Result<&Value> {
    let body = if let Some(db) = root.get("db") {
        db.as_array()
            .and_then(|list| list.first())
            .ok_or_else(|| anyhow!("its \"db\" is not a list holding the export"))?
    } else if root.get("data").is_some_and(|d| d.get("data").is_some()) {
        &root["data"]
    } else {
        root
    };
    if !body.get("data").is_some_and(Value::is_object) {
        let keys: Vec<&str> = root
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        bail!(
            "this is not a Ghost export: Ghost writes {{\"db\":[{{\"meta\":…,\"data\":…}}]}} or {{\"meta\":…,\"data\":…}}, and this file has {} at the top",
            if keys.is_empty() {
                "no fields".to_string()
            } else {
                keys.join(", ")
            }
        );
    }
    Ok(body)
}

/// Reads a file whole, refusing one larger than `MAX_FILE`.
fn read_json(path: &Path) -> anyhow::Result<Value> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .len();
    if size > MAX_FILE {
        bail!(
            "{} is {} MB; Ghost exports are read whole and at most {} MB are taken: export the content without members, or ask for help splitting it",
            path.display(),
            size >> 20,
            MAX_FILE >> 20
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| anyhow!("{} is not valid JSON: {e}", path.display()))
}

/// A post's body as a document: Ghost's HTML where the export has it,
/// else its editor's document (Lexical, or Mobiledoc before Ghost 5) read
/// the same way, else its Markdown or plain text. None: the export holds
/// no body that can be read.
fn post_body(post: &Value) -> Option<Document> {
    if let Some(html) = text(post, "html") {
        return Some(body_from_html(&html));
    }
    let editors = [
        (
            "lexical",
            super::ghost_documents::lexical_html as fn(&str) -> Result<String, String>,
        ),
        ("mobiledoc", super::ghost_documents::mobiledoc_html),
    ];
    for (key, render) in editors {
        if let Some(html) = text(post, key).and_then(|d| render(&d).ok()) {
            return Some(body_from_html(&html));
        }
    }
    text(post, "markdown")
        .or_else(|| text(post, "plaintext"))
        .map(|markdown| to_document(&markdown, Typography::AsWritten))
}

/// Reads a Ghost export from memory as the importer reads one (the shape
/// found, every post's and page's body converted, feature image captions
/// read), answering how many posts it held: what the fuzz target drives.
pub fn read_posts(bytes: &[u8]) -> anyhow::Result<usize> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| anyhow!("not valid JSON: {e}"))?;
    let body = export_body(&root)?;
    let posts = rows(&body["data"], "posts");
    for post in posts {
        let _ = post_body(post);
        if let Some(caption) = text(post, "feature_image_caption") {
            let _ = Document::from_html(&caption).plain_text();
        }
    }
    Ok(posts.len())
}

/// A tag as the import sees it.
struct GhostTag {
    slug: String,
    name: String,
    description: String,
    internal: bool,
}

struct Run<'a> {
    out: Saver<'a>,
    tags: HashMap<String, GhostTag>,
    /// Ghost user id → author id.
    authors: HashMap<String, String>,
    post_tags: HashMap<String, Vec<(i64, String)>>,
    post_authors: HashMap<String, Vec<(i64, String)>>,
    post_meta: HashMap<String, Value>,
}

/// Imports a Ghost export; `redirects` is Ghost's `redirects.json`, if any.
pub async fn import(
    store: &Store,
    library: &Library,
    path: &Path,
    redirects: Option<&Path>,
    options: &Options,
) -> anyhow::Result<Report> {
    let root = read_json(path)?;
    let body = export_body(&root)?;
    let data = &body["data"];
    let mut run = Run {
        out: Saver::new(store, library, options).await?,
        tags: HashMap::new(),
        authors: HashMap::new(),
        post_tags: HashMap::new(),
        post_authors: HashMap::new(),
        post_meta: HashMap::new(),
    };
    if let Some(version) = body.get("meta").and_then(|m| text(m, "version")) {
        run.out.report.note(format!("a Ghost {version} export"));
    }
    run.users(data).await?;
    run.tag_list(data);
    run.links(data);
    run.out.names.save_new(store, &mut run.out.report).await?;
    for post in rows(data, "posts") {
        run.post(post).await?;
    }
    run.members(data).await?;
    if let Some(file) = redirects {
        run.redirect_rules(file)?;
    }
    if rows(data, "settings")
        .iter()
        .any(|s| text(s, "key").is_some())
    {
        run.out.report.note(
            "Ghost's settings (title, navigation, …) are not imported: set them in the desk's Settings",
        );
    }
    run.out.finish().await
}

impl Run<'_> {
    async fn users(&mut self, data: &Value) -> anyhow::Result<()> {
        for user in rows(data, "users") {
            self.out.report.read("users");
            let name = text(user, "name").unwrap_or_else(|| "Unnamed".into());
            let slug = slug_for(&text(user, "slug").unwrap_or_default(), &name, "author");
            let mut links = Vec::new();
            if let Some(site) = text(user, "website") {
                links.push(Link {
                    label: "Website".into(),
                    url: site,
                });
            }
            if let Some(handle) = text(user, "twitter") {
                links.push(Link {
                    label: "Twitter".into(),
                    url: format!("https://twitter.com/{}", handle.trim_start_matches('@')),
                });
            }
            if let Some(handle) = text(user, "facebook") {
                links.push(Link {
                    label: "Facebook".into(),
                    url: format!("https://www.facebook.com/{handle}"),
                });
            }
            let author_id =
                self.out
                    .names
                    .author(SOURCE, &slug, &name, &text(user, "bio").unwrap_or_default());
            // Only an author this import adds is filled in (one already
            // there keeps what the newsroom gave it).
            if self.out.names.new_author_mut(&author_id).is_some() {
                let mut photo_id = None;
                if let Some(photo) = text(user, "profile_image") {
                    let id = stable_id(&[SOURCE, "image", &photo]);
                    let what = format!("{name}'s photo");
                    let image = ImageFrom {
                        id: &id,
                        url: &photo,
                        alt: &name,
                        caption: "",
                        what: &what,
                    };
                    if self.out.image(image).await? {
                        photo_id = Some(id);
                    }
                }
                if let Some(author) = self.out.names.new_author_mut(&author_id) {
                    author.links = serde_json::to_string(&links).unwrap_or_else(|_| "[]".into());
                    author.photo_id = photo_id;
                }
            }
            if let Some(id) = text(user, "id") {
                self.authors.insert(id, author_id);
            }
        }
        Ok(())
    }

    fn tag_list(&mut self, data: &Value) {
        for tag in rows(data, "tags") {
            self.out.report.read("tags");
            let (Some(id), Some(name)) = (text(tag, "id"), text(tag, "name")) else {
                continue;
            };
            let internal =
                name.starts_with('#') || text(tag, "visibility").as_deref() == Some("internal");
            let slug = slug_for(&text(tag, "slug").unwrap_or_default(), &name, "tag");
            self.tags.insert(
                id,
                GhostTag {
                    slug,
                    name,
                    description: text(tag, "description").unwrap_or_default(),
                    internal,
                },
            );
        }
        let internal = self.tags.values().filter(|t| t.internal).count();
        if internal > 0 {
            self.out.report.note(format!(
                "{internal} internal tags (#name) stay off the site: Masthead shows every tag it has"
            ));
        }
    }

    /// Which tags and authors each post has, in Ghost's order, and its meta.
    fn links(&mut self, data: &Value) {
        for (table, key, into) in [
            ("posts_tags", "tag_id", &mut self.post_tags),
            ("posts_authors", "author_id", &mut self.post_authors),
        ] {
            for row in rows(data, table) {
                if let (Some(post), Some(other)) = (text(row, "post_id"), text(row, key)) {
                    let order = row.get("sort_order").and_then(Value::as_i64).unwrap_or(0);
                    into.entry(post).or_default().push((order, other));
                }
            }
            for list in into.values_mut() {
                list.sort_by_key(|(order, _)| *order);
            }
        }
        for meta in rows(data, "posts_meta") {
            if let Some(post) = text(meta, "post_id") {
                self.post_meta.insert(post, meta.clone());
            }
        }
    }

    /// A post's field, from `posts_meta` (Ghost 4+) or the post (before).
    fn meta(&self, post: &Value, id: &str, key: &str) -> Option<String> {
        self.post_meta
            .get(id)
            .and_then(|m| text(m, key))
            .or_else(|| text(post, key))
    }

    fn body(&mut self, post: &Value, title: &str) -> Document {
        let body = post_body(post);
        if body.is_none() && (text(post, "lexical").is_some() || text(post, "mobiledoc").is_some())
        {
            self.out.report.note(format!(
                "{title:?}: its editor's document could not be read: imported empty"
            ));
        }
        body.unwrap_or_default()
    }

    async fn post(&mut self, post: &Value) -> anyhow::Result<()> {
        let Some(ghost_id) = text(post, "id") else {
            self.out.report.note("a post without an id was passed over");
            return Ok(());
        };
        let is_page = text(post, "type").as_deref() == Some("page") || flag(post, "page");
        self.out
            .report
            .read(if is_page { "pages" } else { "posts" });
        let title = text(post, "title").unwrap_or_else(|| format!("Untitled {ghost_id}"));
        let key = text(post, "uuid").unwrap_or_else(|| ghost_id.clone());
        let kind = if is_page { "page" } else { "post" };
        let key = self.out.identity(kind, &key, &title);
        // A Ghost export written by Masthead says its own status too.
        let own = post
            .get("masthead")
            .and_then(|m| text(m, "status"))
            .and_then(|s| Status::parse(&s));
        let mut status = match (own, text(post, "status").as_deref()) {
            (Some(own), _) => own,
            (None, Some("published")) => Status::Published,
            (None, Some("scheduled")) => Status::Scheduled,
            (None, Some("sent")) => {
                self.out.report.note(format!(
                    "{title:?} was only sent by email in Ghost: archived"
                ));
                Status::Archived
            }
            (None, _) => Status::Draft,
        };
        let visibility = text(post, "visibility").unwrap_or_else(|| "public".into());
        if visibility != "public" && status != Status::Draft {
            self.out.report.note(format!(
                "{title:?} was for {visibility} members in Ghost: kept as a draft (Masthead has no paywall)"
            ));
            status = Status::Draft;
        }
        let published = time(post, "published_at");
        if matches!(status, Status::Published | Status::Scheduled) && published.is_none() {
            status = Status::Draft;
        }
        let created = time(post, "created_at").or(published).unwrap_or(0);
        let updated = time(post, "updated_at").unwrap_or(created);
        let body = self.body(post, &title);
        let wanted = slug_for(&text(post, "slug").unwrap_or_default(), &title, "untitled");
        // Its authors in Ghost's order (a post's and a page's alike).
        let mut author_ids: Vec<String> = self
            .post_authors
            .get(&ghost_id)
            .into_iter()
            .flatten()
            .filter_map(|(_, user)| self.authors.get(user).cloned())
            .collect();
        if author_ids.is_empty()
            && let Some(author) =
                text(post, "author_id").and_then(|u| self.authors.get(&u).cloned())
        {
            author_ids.push(author);
        }
        author_ids.dedup();
        if is_page {
            let page = imported_page(
                stable_id_at(created, &[SOURCE, "page", &key]),
                wanted,
                title,
                body,
                status,
                (created, updated),
                &author_ids,
            );
            return self.out.page(page).await;
        }
        let id = stable_id_at(created, &[SOURCE, "post", &key]);
        // Made unique when the batch is saved.
        let slug = wanted;
        // Section: the first public tag (Ghost's primary tag); the rest are tags.
        let mut section_id = None;
        let mut tag_ids = Vec::new();
        for (_, tag_id) in self.post_tags.get(&ghost_id).cloned().unwrap_or_default() {
            let Some(tag) = self.tags.get(&tag_id) else {
                continue;
            };
            if tag.internal {
                continue;
            }
            let (slug, name, description) =
                (tag.slug.clone(), tag.name.clone(), tag.description.clone());
            if section_id.is_none() {
                section_id = Some(self.out.names.section(SOURCE, &slug, &name, &description));
            } else {
                let tag = self.out.names.tag(SOURCE, &slug, &name, &description);
                if !tag_ids.contains(&tag) {
                    tag_ids.push(tag);
                }
            }
        }
        let section_id = section_id.unwrap_or_else(|| {
            self.out
                .names
                .section(SOURCE, "uncategorized", "Uncategorized", "")
        });
        // The hero: Ghost's feature image, with its alt text and caption.
        let mut hero_image_id = None;
        let hero_alt = self.meta(post, &ghost_id, "feature_image_alt");
        let hero_caption = self
            .meta(post, &ghost_id, "feature_image_caption")
            .map(|c| Document::from_html(&c).plain_text().trim().to_string());
        if let Some(url) = text(post, "feature_image").or_else(|| text(post, "image")) {
            let image_id = stable_id(&[SOURCE, "image", &url]);
            let what = format!("the feature image of {title:?}");
            let image = ImageFrom {
                id: &image_id,
                url: &url,
                alt: hero_alt.as_deref().unwrap_or(""),
                caption: hero_caption.as_deref().unwrap_or(""),
                what: &what,
            };
            if self.out.image(image).await? {
                hero_image_id = Some(image_id);
                self.out.report.wrote("images", 1);
            } else if !self.out.imports_media() {
                self.out.report.note_once("feature images were not imported: pass --media-dir (a copy of content/images) or --fetch-media");
            }
        }
        let seo_title = self
            .meta(post, &ghost_id, "meta_title")
            .or_else(|| self.meta(post, &ghost_id, "og_title"))
            .or_else(|| self.meta(post, &ghost_id, "twitter_title"));
        let seo_description = self
            .meta(post, &ghost_id, "meta_description")
            .or_else(|| self.meta(post, &ghost_id, "og_description"))
            .or_else(|| self.meta(post, &ghost_id, "twitter_description"));
        let story = Story {
            id: id.clone(),
            slug: slug.clone(),
            headline: title,
            dek: text(post, "custom_excerpt").unwrap_or_default(),
            label: String::new(),
            section_id,
            reading_minutes: body.reading_minutes(),
            body,
            custom_excerpt: None,
            hero_image_id: hero_image_id.clone(),
            status,
            featured: flag(post, "featured"),
            published_at: published,
            created_at: created,
            updated_at: updated,
            seo_title,
            seo_description,
            hero_alt: hero_image_id.as_ref().and(hero_alt),
            hero_caption: hero_image_id.as_ref().and(hero_caption),
            hero_credit: None,
            created_by: None,
            revision: 1,
        };
        // Ghost addresses posts at /{slug}/.
        self.out.redirects.push(PathRedirect {
            path: crate::urls::old_path_key(
                &format!("/{}", text(post, "slug").unwrap_or(slug)),
                None,
            ),
            target_kind: "story".into(),
            target: id,
        });
        let publish_at = (status == Status::Scheduled).then_some(published).flatten();
        self.out
            .story(StoryWrite {
                story,
                author_ids,
                tag_ids,
                new_tags: vec![],
                redirect_from: None,
                publish_at,
                edit: None,
                relate: false,
            })
            .await
    }

    /// Members become subscribers of the first newsletter, keeping whether
    /// they were subscribed; addresses already known are left as they are.
    async fn members(&mut self, data: &Value) -> anyhow::Result<()> {
        let members = rows(data, "members");
        if members.is_empty() {
            return Ok(());
        }
        // Ghost 5 lists each member's newsletters; before, a flag said it.
        let by_newsletter = data.get("members_newsletters").is_some();
        let subscribed_ids: std::collections::HashSet<String> = rows(data, "members_newsletters")
            .iter()
            .filter_map(|row| text(row, "member_id"))
            .collect();
        let Some(newsletter) = self.out.store.newsletters().await?.into_iter().next() else {
            bail!(
                "this publication has no newsletter to add members to: add one in the desk first"
            );
        };
        let mut readers = Vec::new();
        for member in members {
            self.out.report.read("members");
            let Some(email) = text(member, "email") else {
                continue;
            };
            let email = match normalize_email(&email) {
                Ok(e) => e,
                Err(why) => {
                    self.out
                        .report
                        .note(format!("member {email:?} was passed over: {why}"));
                    continue;
                }
            };
            let id = text(member, "id").unwrap_or_else(|| email.clone());
            let subscribed = if by_newsletter {
                subscribed_ids.contains(&id)
            } else {
                member
                    .get("subscribed")
                    .is_none_or(|_| flag(member, "subscribed"))
            } && !flag(member, "email_disabled");
            readers.push(ConfirmedSubscriber {
                id: stable_id(&[SOURCE, "member", &id]),
                email,
                name: text(member, "name")
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect(),
                manage_token: crate::services::accounts::secret(),
                subscribed,
                since: time(member, "created_at"),
            });
        }
        let active = readers.iter().filter(|r| r.subscribed).count();
        self.out.report.wrote("subscribers", active);
        self.out
            .report
            .wrote("unsubscribed readers", readers.len() - active);
        if !self.out.dry_run() {
            self.out
                .store
                .add_confirmed_subscribers(&readers, &newsletter.id)
                .await?;
        }
        Ok(())
    }

    /// Ghost's `redirects.json`: rules whose `from` is a plain address
    /// (`^/old/$`) answer 301; patterns are reported and left.
    fn redirect_rules(&mut self, file: &Path) -> anyhow::Result<()> {
        let rules = read_json(file)?;
        let Some(rules) = rules.as_array() else {
            bail!(
                "{} is not Ghost's redirects.json (a list of {{\"from\", \"to\"}})",
                file.display()
            );
        };
        for rule in rules {
            self.out.report.read("redirect rules");
            let (Some(from), Some(to)) = (text(rule, "from"), text(rule, "to")) else {
                continue;
            };
            let literal = from
                .trim_start_matches('^')
                .trim_end_matches('$')
                .trim_end_matches('?')
                .replace("\\/", "/")
                .replace("\\.", ".");
            let plain = literal.starts_with('/')
                && !literal.contains([
                    '(', ')', '[', ']', '*', '+', '?', '|', '{', '}', '\\', '^', '$',
                ]);
            let to = to.replace(GHOST_URL, "");
            let target_ok = (to.starts_with('/') && !to.starts_with("//"))
                || to.starts_with("https://")
                || to.starts_with("http://");
            if !plain || !target_ok {
                self.out.report.note(format!(
                    "redirect {from:?} → {to:?} is a pattern Masthead does not run: left out"
                ));
                continue;
            }
            self.out.redirects.push(PathRedirect {
                path: crate::urls::old_path_key(&literal, None),
                target_kind: "url".into(),
                target: to,
            });
        }
        Ok(())
    }
}
