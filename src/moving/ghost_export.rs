//! The publication as a Ghost export (`{db: [{meta, data}]}`, Ghost 5's
//! tables), so that nobody is locked in: Ghost's importer, and Masthead's
//! own `import ghost`, read it.
//!
//! Made from the same dump as Masthead's own export (one snapshot, read as
//! a stream): sections and tags become tags (a story's section is its
//! first, primary tag), authors users, stories and pages posts (Markdown's
//! rendered HTML as `html`), the hero image the feature image with its alt
//! text and caption in `posts_meta`, with the SEO fields.

use std::collections::HashMap;
use std::io::Write;

use anyhow::{Context, bail};
use serde_json::{Value as Json, json};
use tokio::sync::mpsc;

use crate::model::Status;
use crate::services::ghost::{status, time, uuid};
use crate::store::Store;
use crate::store::dump::{DumpItem, Value};

/// What was written.
#[derive(Debug, Default)]
pub struct Written {
    pub posts: usize,
    pub pages: usize,
    pub tags: usize,
    pub users: usize,
}

/// One table's rows, read by column name.
struct Columns(HashMap<String, usize>);

impl Columns {
    fn text<'r>(&self, row: &'r [Value], name: &str) -> Option<&'r str> {
        match row.get(*self.0.get(name)?)? {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
    fn int(&self, row: &[Value], name: &str) -> Option<i64> {
        match row.get(*self.0.get(name)?)? {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }
    fn flag(&self, row: &[Value], name: &str) -> bool {
        matches!(
            self.0.get(name).and_then(|i| row.get(*i)),
            Some(Value::Bool(true) | Value::Int(1))
        )
    }
}

/// Writes the Ghost export of `store` to `out`. `site` is the public
/// address images are named under (Ghost's `__GHOST_URL__` when unknown).
pub async fn export<W: Write + Send + 'static>(
    store: &Store,
    out: W,
    site: Option<String>,
) -> anyhow::Result<(W, Written)> {
    super::from_dump(store, move |items| write(items, out, site)).await
}

fn opt_time(t: Option<i64>) -> Json {
    t.map_or(Json::Null, time)
}

/// The state of the writer as the tables go by.
struct Writer<W: Write> {
    out: W,
    site: String,
    images: HashMap<String, String>,
    emails: HashMap<String, String>,
    /// Authors, written once the accounts (their emails) are read.
    users: Vec<Json>,
    posts_open: bool,
    posts_tags: Vec<Json>,
    posts_authors: Vec<Json>,
    posts_meta: Vec<Json>,
    /// Each story's section, its primary tag.
    sections: HashMap<String, String>,
    written: Written,
}

impl<W: Write> Writer<W> {
    /// Writes one element of the array in progress.
    fn element(&mut self, first: &mut bool, value: &Json) -> anyhow::Result<()> {
        self.out.write_all(if *first { b"\n" } else { b",\n" })?;
        *first = false;
        serde_json::to_writer(&mut self.out, value)?;
        Ok(())
    }

    fn open(&mut self, name: &str) -> anyhow::Result<()> {
        write!(self.out, "\"{name}\":[")?;
        Ok(())
    }

    fn post(&mut self, c: &Columns, row: &[Value], page: bool) -> Json {
        let id = c.text(row, "id").unwrap_or_default().to_string();
        let stored = c
            .text(row, "status")
            .and_then(Status::parse)
            .unwrap_or(Status::Draft);
        let hero = c
            .text(row, "hero_image_id")
            .and_then(|i| self.images.get(i))
            .map(|file| format!("{}{}", self.site, crate::urls::media(file)));
        let title = c.text(row, if page { "title" } else { "headline" });
        self.posts_meta.push(json!({
            "id": format!("{id}m"),
            "post_id": id,
            "feature_image_alt": c.text(row, "hero_alt"),
            "feature_image_caption": c.text(row, "hero_caption"),
            "meta_title": c.text(row, "seo_title"),
            "meta_description": c.text(row, "seo_description"),
        }));
        json!({
            "id": id,
            "uuid": uuid(&id),
            "title": title,
            "slug": c.text(row, "slug"),
            "html": c.text(row, "body"),
            "plaintext": crate::model::document::plain_text_of(c.text(row, "body").unwrap_or_default()),
            "feature_image": hero,
            "featured": c.flag(row, "featured"),
            "type": if page { "page" } else { "post" },
            "status": status(stored),
            "visibility": "public",
            "custom_excerpt": c.text(row, "dek").filter(|d| !d.is_empty()),
            "created_at": opt_time(c.int(row, "created_at")),
            "updated_at": opt_time(c.int(row, "updated_at")),
            "published_at": opt_time(c.int(row, "published_at")),
            // What Ghost has no word for (review, archived), for a Masthead
            // reading this back; Ghost ignores fields it does not know.
            "masthead": {"status": stored.as_str()},
        })
    }
}

fn write<W: Write>(
    mut receiver: mpsc::Receiver<DumpItem>,
    out: W,
    site: Option<String>,
) -> anyhow::Result<(W, Written)> {
    let mut w = Writer {
        out,
        site: site
            .map(|s| s.trim_end_matches('/').to_string())
            .unwrap_or_else(|| super::media::GHOST_URL.to_string()),
        images: HashMap::new(),
        emails: HashMap::new(),
        users: Vec::new(),
        posts_open: false,
        posts_tags: Vec::new(),
        posts_authors: Vec::new(),
        posts_meta: Vec::new(),
        sections: HashMap::new(),
        written: Written::default(),
    };
    let exported_on = jiff::Timestamp::now().as_millisecond();
    write!(
        w.out,
        "{{\"db\":[{{\"meta\":{{\"exported_on\":{exported_on},\"version\":\"5.0.0\",\"made_by\":\"masthead {}\"}},\n\"data\":{{",
        env!("CARGO_PKG_VERSION")
    )?;
    let mut table = String::new();
    let mut columns = Columns(HashMap::new());
    let mut first = true;
    let mut ended = false;
    // Users, then tags (sections first) and posts (stories, then pages) go
    // out as they come; the link tables follow.
    while let Some(item) = receiver.blocking_recv() {
        match item {
            DumpItem::Table {
                name,
                columns: names,
            } => {
                columns = Columns(names.into_iter().enumerate().map(|(i, n)| (n, i)).collect());
                match name.as_str() {
                    "sections" => {
                        // Authors are in, and the accounts that give their emails.
                        let users = std::mem::take(&mut w.users);
                        w.open("users")?;
                        let mut first_user = true;
                        for mut user in users {
                            let id = user["id"].as_str().unwrap_or_default().to_string();
                            if let Some(email) = w.emails.get(&id) {
                                user["email"] = json!(email);
                            }
                            w.element(&mut first_user, &user)?;
                        }
                        w.out.write_all(b"],\n")?;
                        w.open("tags")?;
                        first = true;
                    }
                    "stories" => {
                        w.out.write_all(b"],\n")?;
                        w.open("posts")?;
                        w.posts_open = true;
                        first = true;
                    }
                    _ => {}
                }
                table = name;
            }
            DumpItem::Rows(rows) => {
                for row in rows {
                    let c = &columns;
                    match table.as_str() {
                        "images" => {
                            if let (Some(id), Some(file)) =
                                (c.text(&row, "id"), c.text(&row, "file"))
                            {
                                w.images.insert(id.to_string(), file.to_string());
                            }
                        }
                        "users" => {
                            if let (Some(author), Some(email)) =
                                (c.text(&row, "author_id"), c.text(&row, "email"))
                            {
                                w.emails.insert(author.to_string(), email.to_string());
                            }
                        }
                        "authors" => {
                            // Ghost's users need an email: the account's
                            // (filled in once accounts are read) or a placeholder.
                            let slug = c.text(&row, "slug").unwrap_or("author");
                            let id = c.text(&row, "id").unwrap_or_default();
                            let user = json!({
                                "id": id,
                                "name": c.text(&row, "name"),
                                "slug": slug,
                                "email": format!("{slug}@example.invalid"),
                                "bio": c.text(&row, "bio").filter(|b| !b.is_empty()),
                                "status": "active",
                                "visibility": "public",
                            });
                            w.users.push(user);
                            w.written.users += 1;
                        }
                        "sections" | "tags" => {
                            let tag = json!({
                                "id": c.text(&row, "id"),
                                "name": c.text(&row, "name"),
                                "slug": c.text(&row, "slug"),
                                "description": c.text(&row, "description").filter(|d| !d.is_empty()),
                                "visibility": "public",
                            });
                            w.element(&mut first, &tag)?;
                            w.written.tags += 1;
                        }
                        "stories" => {
                            let post = w.post(c, &row, false);
                            if let (Some(id), Some(section)) =
                                (c.text(&row, "id"), c.text(&row, "section_id"))
                            {
                                w.sections.insert(id.to_string(), section.to_string());
                            }
                            w.element(&mut first, &post)?;
                            w.written.posts += 1;
                        }
                        "pages" => {
                            let page = w.post(c, &row, true);
                            w.element(&mut first, &page)?;
                            w.written.pages += 1;
                            // A page keeps its byline as a list of author ids.
                            let authors: Vec<String> = c
                                .text(&row, "authors")
                                .and_then(|list| serde_json::from_str(list).ok())
                                .unwrap_or_default();
                            for (position, author) in authors.iter().enumerate() {
                                w.posts_authors.push(json!({
                                    "post_id": c.text(&row, "id"),
                                    "author_id": author,
                                    "sort_order": position,
                                }));
                            }
                        }
                        "story_tags" => w.posts_tags.push(json!({
                            "post_id": c.text(&row, "story_id"),
                            "tag_id": c.text(&row, "tag_id"),
                            "sort_order": c.int(&row, "position").unwrap_or(0) + 1,
                        })),
                        "story_authors" => w.posts_authors.push(json!({
                            "post_id": c.text(&row, "story_id"),
                            "author_id": c.text(&row, "author_id"),
                            "sort_order": c.int(&row, "position").unwrap_or(0),
                        })),
                        _ => {}
                    }
                }
            }
            DumpItem::End => {
                ended = true;
                break;
            }
        }
    }
    if !ended || !w.posts_open {
        bail!("the export stopped before its end");
    }
    w.out.write_all(b"],\n")?;
    // Each story's section is its first tag (sort order 0).
    let mut links: Vec<Json> = w
        .sections
        .iter()
        .map(|(post, section)| json!({"post_id": post, "tag_id": section, "sort_order": 0}))
        .collect();
    links.sort_by(|a, b| a["post_id"].as_str().cmp(&b["post_id"].as_str()));
    links.append(&mut w.posts_tags);
    for (name, list) in [
        ("posts_tags", links),
        ("posts_authors", std::mem::take(&mut w.posts_authors)),
        ("posts_meta", std::mem::take(&mut w.posts_meta)),
    ] {
        w.open(name)?;
        let mut first = true;
        for (i, mut row) in list.into_iter().enumerate() {
            if row.get("id").is_none() {
                row["id"] = json!(format!("{name}-{i}"));
            }
            w.element(&mut first, &row)?;
        }
        w.out.write_all(if name == "posts_meta" {
            b"]\n"
        } else {
            b"],\n"
        })?;
    }
    w.out.write_all(b"}}]}\n")?;
    w.out.flush().context("cannot finish the export")?;
    Ok((w.out, w.written))
}
