//! WordPress eXtended RSS (WXR 1.0–1.2) imported as a stream.
//!
//! A blocking thread reads the file item by item (quick-xml; entities
//! other than XML's five and character references are never expanded, a
//! stray `&` is text, one element may not exceed `MAX_ELEMENT`) and turns
//! each post's HTML into Markdown there; the async side resolves names,
//! slugs and old addresses and saves in batches. Memory stays flat: only
//! names, slugs and (story, thumbnail) pairs are kept for the whole run.
//!
//! Mapping: top-level categories become sections and the others tags (a
//! story's section is the top of its first category; its other categories
//! and its post tags become its tags); `wp:author` becomes an author (and
//! co-authors-plus' `author` terms more authors); posts become stories,
//! pages pages, attachments images (from `--media-dir` or fetched);
//! `_thumbnail_id` the hero image; `_wp_old_slug` an old slug; each item's
//! permalink and its category, tag and author archives answer 301.

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use quick_xml::events::{BytesStart, Event};
use tokio::sync::mpsc;

use super::Options;
use super::media::ImageFrom;
use super::{
    Bounded, Report, Saver, body_from_html, imported_page, slug_for, stable_id, stable_id_at,
};
use crate::model::Document;
use crate::model::{Status, Story, UnixTime};
use crate::services::media::Library;
use crate::store::redirects::PathRedirect;
use crate::store::{Store, StoryWrite};

/// The largest single element read (a post's content, one meta value).
pub const MAX_ELEMENT: u64 = 64 << 20;

#[derive(Debug, Default, Clone)]
struct Category {
    slug: String,
    name: String,
    parent: String,
    description: String,
}

/// One `<item>` as read.
#[derive(Debug, Default)]
struct Item {
    title: String,
    link: String,
    guid: String,
    pub_date: String,
    creator: String,
    content: String,
    excerpt: String,
    id: String,
    date_gmt: String,
    date: String,
    modified_gmt: String,
    name: String,
    status: String,
    post_type: String,
    password: String,
    sticky: bool,
    menu_order: i32,
    attachment_url: String,
    /// (domain, nicename, text)
    terms: Vec<(String, String, String)>,
    meta: Vec<(String, String)>,
    /// Bytes that were not UTF-8 were replaced.
    damaged_text: bool,
}

impl Item {
    /// What names the item in its site: its id, or (in hand-made files
    /// that lack one) its guid, its address, or its title and date.
    fn key(&self) -> String {
        [&self.id, &self.guid, &self.link]
            .into_iter()
            .find(|k| !k.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("{} {}", self.title, self.pub_date))
    }

    fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// What the reading thread hands over, in file order.
enum Entry {
    Site {
        link: String,
        wxr: String,
    },
    Author {
        login: String,
        name: String,
    },
    Category(Category),
    Tag {
        slug: String,
        name: String,
        description: String,
    },
    /// An item, with its body already converted (posts and pages).
    Item(Box<Item>, Option<Document>),
    /// How far the reader is, in bytes.
    Progress(u64),
    /// Something wrong with the file that was read past (WordPress's
    /// importer reads such files too), for the report.
    Warning(String),
}

fn utf8(bytes: &[u8], damaged: &mut bool) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            *damaged = true;
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// `&name;` as text: XML's five and character references; anything else
/// (a DTD's entities included) stays as written, never expanded.
fn reference(name: &str) -> String {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        _ => {
            let code = name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| name.strip_prefix('#').map(str::parse));
            match code.and_then(Result::ok).and_then(char::from_u32) {
                Some(c) => c.to_string(),
                None => format!("&{name};"),
            }
        }
    }
}

fn attribute(e: &BytesStart, name: &str) -> String {
    let Ok(Some(attr)) = e.try_get_attribute(name) else {
        return String::new();
    };
    let raw = String::from_utf8_lossy(&attr.value).into_owned();
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw.as_str();
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        match rest[at..].find(';') {
            Some(end) if end < 12 => {
                out.push_str(&reference(&rest[at + 1..at + end]));
                rest = &rest[at + end + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The encoding a file says it is in, from its first bytes: a byte order
/// mark, UTF-16's shape, else the XML declaration's `encoding` (None: no
/// declaration, or UTF-8). An encoding Masthead cannot decode is an error
/// naming it.
fn declared_encoding(head: &[u8]) -> anyhow::Result<Option<&'static encoding_rs::Encoding>> {
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(head) {
        return Ok(Some(encoding));
    }
    if head.starts_with(b"<\0?\0") {
        return Ok(Some(encoding_rs::UTF_16LE));
    }
    if head.starts_with(b"\0<\0?") {
        return Ok(Some(encoding_rs::UTF_16BE));
    }
    let start = &head[..head.len().min(512)];
    let Some(end) = start.windows(2).position(|w| w == b"?>") else {
        return Ok(None);
    };
    let decl = String::from_utf8_lossy(&start[..end]);
    if !decl.trim_start().starts_with("<?xml") {
        return Ok(None);
    }
    let Some(at) = decl.find("encoding") else {
        return Ok(None);
    };
    let rest = decl[at + "encoding".len()..].trim_start();
    let Some(rest) = rest.strip_prefix('=') else {
        return Ok(None);
    };
    let rest = rest.trim_start();
    let quote = rest.chars().next().unwrap_or('"');
    let label: String = rest[quote.len_utf8().min(rest.len())..]
        .chars()
        .take_while(|&c| c != quote)
        .collect();
    match encoding_rs::Encoding::for_label(label.trim().as_bytes()) {
        Some(encoding) if encoding == encoding_rs::UTF_8 => Ok(None),
        Some(encoding) => Ok(Some(encoding)),
        None => bail!(
            "the file says it is in {label:?}, an encoding Masthead cannot read: save it as UTF-8 (iconv -f {label} -t UTF-8), and change its first line to say encoding=\"UTF-8\""
        ),
    }
}

/// A byte stream in another encoding, read as UTF-8 (encoding_rs, which
/// browsers use): ISO-8859-1 and Windows-1252 exports, UTF-16 files.
struct Transcoded<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    input_at: usize,
    input_end: usize,
    output: Vec<u8>,
    output_at: usize,
    ended: bool,
    done: bool,
}

impl<R: std::io::Read> Transcoded<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        Transcoded {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; 1 << 16],
            input_at: 0,
            input_end: 0,
            output: Vec::new(),
            output_at: 0,
            ended: false,
            done: false,
        }
    }
}

impl<R: std::io::Read> std::io::Read for Transcoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.output_at < self.output.len() {
                let n = buf.len().min(self.output.len() - self.output_at);
                buf[..n].copy_from_slice(&self.output[self.output_at..self.output_at + n]);
                self.output_at += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if self.input_at == self.input_end && !self.ended {
                let n = self.inner.read(&mut self.input)?;
                self.input_at = 0;
                self.input_end = n;
                self.ended = n == 0;
            }
            let src = &self.input[self.input_at..self.input_end];
            let room = self
                .decoder
                .max_utf8_buffer_length(src.len())
                .unwrap_or(src.len() * 3 + 16)
                .max(16);
            self.output.clear();
            self.output.resize(room, 0);
            self.output_at = 0;
            let (result, read, written, _) =
                self.decoder
                    .decode_to_utf8(src, &mut self.output, self.ended);
            self.input_at += read;
            self.output.truncate(written);
            if self.ended && result == encoding_rs::CoderResult::InputEmpty {
                self.done = true;
            }
        }
    }
}

/// Reads the file (in any encoding it declares) and sends its entries;
/// runs on a blocking thread.
fn read(mut input: impl BufRead, size: u64, sender: &mpsc::Sender<Entry>) -> anyhow::Result<()> {
    let encoding = declared_encoding(input.fill_buf()?)?;
    match encoding {
        Some(encoding) => {
            let _ = sender.blocking_send(Entry::Warning(format!(
                "the file is in {}: read as such",
                encoding.name()
            )));
            read_utf8(
                std::io::BufReader::with_capacity(1 << 16, Transcoded::new(input, encoding)),
                size,
                sender,
                true,
            )
        }
        None => read_utf8(input, size, sender, false),
    }
}

/// A title's text: WordPress keeps titles as HTML (tags and entities).
fn plain_title(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return html.trim().to_string();
    }
    crate::model::Document::from_html(&format!("<p>{html}</p>"))
        .plain_text()
        .trim()
        .to_string()
}

/// Whether a WXR version is one WordPress accepts the form of (`1.2`).
fn valid_wxr_version(version: &str) -> bool {
    let mut parts = version.trim().split('.');
    let whole =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    whole(parts.next()) && whole(parts.next()) && parts.next().is_none()
}

/// Reads a UTF-8 file and sends its entries. `transcoded`: it was in
/// another encoding, which its declaration still names.
fn read_utf8(
    input: impl BufRead,
    size: u64,
    sender: &mpsc::Sender<Entry>,
    transcoded: bool,
) -> anyhow::Result<()> {
    let send = |entry: Entry| {
        sender
            .blocking_send(entry)
            .map_err(|_| anyhow!("the import stopped"))
    };
    let mut reader = quick_xml::Reader::from_reader(Bounded::new(input, MAX_ELEMENT));
    let config = reader.config_mut();
    config.allow_dangling_amp = true;
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut item: Option<Item> = None;
    let mut category = Category::default();
    let mut tag = (String::new(), String::new(), String::new());
    let mut author = (String::new(), String::new());
    let mut meta = (String::new(), String::new());
    let mut term = (String::new(), String::new());
    let mut site_link = String::new();
    let mut wxr = String::new();
    let mut is_wxr = false;
    // `wp:wxr_version`, which WordPress requires before it reads anything.
    let mut version: Option<String> = None;
    let mut mismatches = 0;
    let mut stray_end = false;
    let mut replay: Option<Event<'static>> = None;
    let mut site_sent = false;
    let mut last_progress = 0;
    let mut damaged = false;
    loop {
        reader.get_mut().reset();
        let event = match replay.take() {
            Some(event) => event,
            None => reader
                .read_event_into(&mut buf)
                .map_err(|e| {
                    anyhow!(
                        "the file is not readable as XML near byte {}: {e}",
                        reader.buffer_position()
                    )
                })?
                .into_owned(),
        };
        // After an end tag that matched nothing open: an element starting
        // next means it closed the open one (`<a>text</b><c>`), so that one
        // ends first; text coming next means it was stray markup in text.
        let event = if std::mem::take(&mut stray_end)
            && matches!(event, Event::Start(_) | Event::Empty(_))
            && let Some(open) = path.last()
        {
            let close = Event::End(quick_xml::events::BytesEnd::new(open.clone()));
            replay = Some(event);
            close
        } else {
            event
        };
        match event {
            Event::Decl(decl) if !transcoded => {
                if let Some(Ok(encoding)) = decl.encoding() {
                    let encoding = String::from_utf8_lossy(&encoding).to_lowercase();
                    if encoding != "utf-8" && encoding != "utf8" {
                        bail!(
                            "the file says it is in {encoding}; WordPress exports are UTF-8: convert it first (iconv -f {encoding} -t UTF-8 FILE > FILE.utf8.xml)"
                        );
                    }
                }
            }
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                match name.as_str() {
                    "rss" => {
                        let wp = attribute(&e, "xmlns:wp");
                        is_wxr = wp.contains("wordpress.org/export/");
                        wxr = wp
                            .trim_end_matches('/')
                            .rsplit('/')
                            .next()
                            .unwrap_or_default()
                            .to_string();
                        if !is_wxr {
                            bail!(
                                "this is not a WordPress export: its <rss> does not declare the wp: (wordpress.org/export) namespace"
                            );
                        }
                    }
                    "item" | "wp:author" | "wp:category" | "wp:tag"
                        if path.last().map(String::as_str) != Some("channel") =>
                    {
                        let inside = path.last().cloned().unwrap_or_else(|| "nothing".into());
                        bail!(
                            "this is not a WordPress export WordPress could read: its <{name}> is inside <{inside}>, not <rss><channel>"
                        );
                    }
                    "item" | "wp:author" | "wp:category" | "wp:tag" if version.is_none() => {
                        bail!(
                            "this is not a WordPress export WordPress could read: it has no <wp:wxr_version> before its first <{name}> (WordPress refuses such files: \"missing/invalid WXR version number\")"
                        );
                    }
                    "item" => {
                        if !site_sent {
                            send(Entry::Site {
                                link: site_link.clone(),
                                wxr: wxr.clone(),
                            })?;
                            site_sent = true;
                        }
                        item = Some(Item::default());
                        damaged = false;
                    }
                    "category" if item.is_some() => {
                        term = (attribute(&e, "domain"), attribute(&e, "nicename"));
                    }
                    _ => {}
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&utf8(&t.into_inner(), &mut damaged)),
            Event::CData(t) => text.push_str(&utf8(&t.into_inner(), &mut damaged)),
            Event::GeneralRef(r) => {
                text.push_str(&reference(&String::from_utf8_lossy(&r.into_inner())))
            }
            Event::End(e) => {
                let end = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if path.last() != Some(&end) {
                    // Read past as a lenient parser would: an end tag of an
                    // element still open closes what is inside it; any
                    // other (a stray `</p>` after a CDATA section ended too
                    // soon) is left out and the text around it kept.
                    mismatches += 1;
                    let open = path.last().cloned().unwrap_or_default();
                    let closes = path.iter().rposition(|p| *p == end);
                    if mismatches <= 3 {
                        let what = match closes {
                            Some(_) => format!("read as if </{open}> came first"),
                            None => format!(
                                "read as </{open}> if an element follows, else as stray markup in the text"
                            ),
                        };
                        let _ = sender.blocking_send(Entry::Warning(format!(
                            "the file has </{end}> where <{open}> was open (near byte {}): {what}",
                            reader.buffer_position()
                        )));
                    }
                    match closes {
                        Some(at) => path.truncate(at + 1),
                        None => {
                            stray_end = true;
                            buf.clear();
                            continue;
                        }
                    }
                }
                let Some(name) = path.pop() else { continue };
                let value = std::mem::take(&mut text);
                let parent = path.last().map(String::as_str).unwrap_or("");
                if let Some(it) = item.as_mut() {
                    match (parent, name.as_str()) {
                        // Titles are HTML in WordPress: their text, entities
                        // decoded once (`Draft &amp;mdash;` is "Draft —").
                        ("item", "title") => it.title = plain_title(&value),
                        ("item", "link") => it.link = value.trim().to_string(),
                        ("item", "guid") => it.guid = value.trim().to_string(),
                        ("item", "pubDate") => it.pub_date = value,
                        ("item", "dc:creator") => it.creator = value.trim().to_string(),
                        ("item", "content:encoded") => it.content = value,
                        ("item", "excerpt:encoded") => it.excerpt = value,
                        ("item", "wp:post_id") => it.id = value.trim().to_string(),
                        ("item", "wp:post_date_gmt") => it.date_gmt = value,
                        ("item", "wp:post_date") => it.date = value,
                        ("item", "wp:post_modified_gmt") => it.modified_gmt = value,
                        ("item", "wp:post_name") => it.name = value.trim().to_string(),
                        ("item", "wp:status") => it.status = value.trim().to_string(),
                        ("item", "wp:post_type") => it.post_type = value.trim().to_string(),
                        ("item", "wp:post_password") => it.password = value,
                        ("item", "wp:is_sticky") => it.sticky = value.trim() == "1",
                        ("item", "wp:menu_order") => {
                            it.menu_order = value.trim().parse().unwrap_or(0)
                        }
                        ("item", "wp:attachment_url") => {
                            it.attachment_url = value.trim().to_string()
                        }
                        ("item", "category") => {
                            let (mut domain, mut nicename) = std::mem::take(&mut term);
                            // RSS's plain <category>: a category by its name.
                            if domain.is_empty() {
                                domain = "category".into();
                            }
                            if nicename.is_empty() {
                                nicename = crate::model::slug::slugify(&value);
                            }
                            it.terms.push((domain, nicename, value));
                        }
                        ("wp:postmeta", "wp:meta_key") => meta.0 = value,
                        ("wp:postmeta", "wp:meta_value") => meta.1 = value,
                        ("item", "wp:postmeta") => it.meta.push(std::mem::take(&mut meta)),
                        (_, "item") => {
                            let mut it = item.take().unwrap_or_default();
                            it.damaged_text = damaged;
                            let body = match it.post_type.as_str() {
                                "post" | "page" => {
                                    Some(body_from_html(&clean_content(&it.content)))
                                }
                                _ => None,
                            };
                            send(Entry::Item(Box::new(it), body))?;
                            let at = reader.get_ref().total;
                            if at - last_progress > (1 << 20) || at == size {
                                send(Entry::Progress(at))?;
                                last_progress = at;
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                match (parent, name.as_str()) {
                    // Ids derive from the site's address: known before any
                    // author, category or item that needs one.
                    ("channel", "link") if !site_sent => {
                        site_link = value.trim().to_string();
                        send(Entry::Site {
                            link: site_link.clone(),
                            wxr: wxr.clone(),
                        })?;
                        site_sent = true;
                    }
                    ("channel", "wp:wxr_version") => {
                        if !valid_wxr_version(&value) {
                            bail!(
                                "this is not a WordPress export WordPress could read: its WXR version {:?} is not a version number (WordPress refuses such files: \"missing/invalid WXR version number\")",
                                value.trim()
                            );
                        }
                        version = Some(value.trim().to_string());
                        if !wxr.is_empty() && wxr != version.as_deref().unwrap_or_default() {
                            // The namespace's version is what the file is read as.
                        }
                    }
                    ("channel", "wp:base_site_url") if site_link.is_empty() => {
                        site_link = value.trim().to_string()
                    }
                    ("wp:author", "wp:author_login") => author.0 = value.trim().to_string(),
                    ("wp:author", "wp:author_display_name") => author.1 = value,
                    ("channel", "wp:author") => {
                        let (login, name) = std::mem::take(&mut author);
                        send(Entry::Author { login, name })?;
                    }
                    ("wp:category", "wp:category_nicename") => {
                        category.slug = value.trim().to_string()
                    }
                    ("wp:category", "wp:cat_name") => category.name = value,
                    ("wp:category", "wp:category_parent") => {
                        category.parent = value.trim().to_string()
                    }
                    ("wp:category", "wp:category_description") => category.description = value,
                    ("channel", "wp:category") => {
                        send(Entry::Category(std::mem::take(&mut category)))?
                    }
                    ("wp:tag", "wp:tag_slug") => tag.0 = value.trim().to_string(),
                    ("wp:tag", "wp:tag_name") => tag.1 = value,
                    ("wp:tag", "wp:tag_description") => tag.2 = value,
                    ("channel", "wp:tag") => {
                        let (slug, name, description) = std::mem::take(&mut tag);
                        send(Entry::Tag {
                            slug,
                            name,
                            description,
                        })?;
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !is_wxr {
        bail!("this is not a WordPress export: no <rss> element with the wp: namespace was found");
    }
    if item.is_some() {
        bail!("the file ends inside an item: it was cut short (the items before it were read)");
    }
    if !site_sent {
        send(Entry::Site {
            link: site_link,
            wxr,
        })?;
    }
    send(Entry::Progress(reader.get_ref().total))?;
    Ok(())
}

/// WordPress's stored HTML made into plain HTML: block-editor comments
/// dropped, paragraphs made where WordPress would add them on display
/// (wpautop), `[caption]` as a figure, `[embed]` as its address alone;
/// other shortcodes stay as written, visible to an editor.
pub fn clean_content(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<!--") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let comment = after.trim_start();
        if comment.starts_with("wp:") || comment.starts_with("/wp:") {
            match after.find("-->") {
                Some(end) => rest = &after[end + 3..],
                None => {
                    rest = "";
                }
            }
        } else {
            out.push_str("<!--");
            rest = after;
        }
    }
    out.push_str(rest);
    let out = shortcodes(&out);
    autop(&out)
}

fn shortcodes(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    loop {
        let caption = rest.find("[caption");
        let embed = rest.find("[embed");
        let (at, tag) = match (caption, embed) {
            (Some(c), Some(e)) if e < c => (e, "embed"),
            (Some(c), _) => (c, "caption"),
            (None, Some(e)) => (e, "embed"),
            (None, None) => break,
        };
        let close = format!("[/{tag}]");
        let Some(open_end) = rest[at..].find(']').map(|i| at + i + 1) else {
            break;
        };
        let Some(close_at) = rest[open_end..].find(&close).map(|i| open_end + i) else {
            out.push_str(&rest[..open_end]);
            rest = &rest[open_end..];
            continue;
        };
        out.push_str(&rest[..at]);
        let inner = rest[open_end..close_at].trim();
        if tag == "embed" {
            out.push_str("\n\n<p>");
            out.push_str(inner);
            out.push_str("</p>\n\n");
        } else {
            // The image (perhaps inside a link), then the caption's text,
            // or the caption="…" the shortcode carries instead.
            let split = if inner.starts_with("<a") {
                inner.find("</a>").map(|i| i + 4)
            } else {
                inner.find('>').map(|i| i + 1)
            }
            .unwrap_or(0);
            out.push_str("\n\n<figure>");
            out.push_str(&inner[..split]);
            let attribute = shortcode_attribute(&rest[at..open_end], "caption");
            let text = match inner[split..].trim() {
                "" => attribute.as_deref().unwrap_or(""),
                text => text,
            };
            if !text.is_empty() {
                out.push_str("<figcaption>");
                out.push_str(text);
                out.push_str("</figcaption>");
            }
            out.push_str("</figure>\n\n");
        }
        rest = &rest[close_at + close.len()..];
    }
    out.push_str(rest);
    out
}

/// A shortcode's `name="value"` (or `'value'`), as written.
fn shortcode_attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().last();
        let after = rest[at + name.len()..].trim_start();
        rest = &rest[at + name.len()..];
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        let quote = value.chars().next()?;
        if quote != '"' && quote != '\'' {
            continue;
        }
        let value = &value[1..];
        return value.find(quote).map(|end| value[..end].to_string());
    }
    None
}

const BLOCK_TAGS: &[&str] = &[
    "<p",
    "<div",
    "<h1",
    "<h2",
    "<h3",
    "<h4",
    "<h5",
    "<h6",
    "<ul",
    "<ol",
    "<li",
    "<blockquote",
    "<pre",
    "<table",
    "<figure",
    "<hr",
    "<dl",
    "<address",
    "<section",
    "<iframe",
    "<form",
];

/// Blank-line-separated runs of text become paragraphs, single line
/// breaks `<br>`, as WordPress shows them. A run that holds block markup
/// (a heading, a table, a list written across lines) is left for the
/// reader to place; its line ends become breaks only between text and
/// text, never beside a tag (WordPress adds none there either).
fn autop(html: &str) -> String {
    let normalized = html.replace("\r\n", "\n");
    let mut out = String::with_capacity(normalized.len() + 64);
    for block in normalized.split("\n\n") {
        let block = block.trim();
        if block.is_empty() {
            continue;
        }
        let lower = block.to_ascii_lowercase();
        if lower.contains("<pre") {
            out.push_str(block);
        } else if BLOCK_TAGS.iter().any(|t| lower.contains(t)) {
            out.push_str(&breaks_between_text(block));
        } else {
            out.push_str("<p>");
            out.push_str(&block.replace('\n', "<br>\n"));
            out.push_str("</p>");
        }
        out.push_str("\n\n");
    }
    out
}

/// Line ends with text on both sides as `<br>`; the others left as they
/// are (whitespace to the reader).
fn breaks_between_text(block: &str) -> String {
    let lines: Vec<&str> = block.split('\n').collect();
    let mut out = String::with_capacity(block.len() + 16);
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        if let Some(next) = lines.get(i + 1) {
            let before = line.trim_end().ends_with('>');
            let after = next.trim_start().starts_with('<');
            out.push_str(if before || after { "\n" } else { "<br>\n" });
        }
    }
    out
}

/// WordPress's `2013-04-09 13:37:47` (UTC when from a `_gmt` field).
fn wp_time(text: &str) -> Option<UnixTime> {
    let text = text.trim();
    if text.is_empty() || text.starts_with("0000") {
        return None;
    }
    let civil: jiff::civil::DateTime = text.replace(' ', "T").parse().ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

fn rfc2822_time(text: &str) -> Option<UnixTime> {
    jiff::fmt::rfc2822::parse(text.trim())
        .ok()
        .map(|z| z.timestamp().as_second())
}

/// An address's path (and query), as `path_redirects` keys it, a
/// relative one read against the site's address; None when it is not an
/// address on the old site. At the root only WordPress's own queries
/// (`/?p=12`) are kept: the home page answers any other.
fn old_path(url: &str, base: Option<&url::Url>) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    let parsed = match url::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(url).ok()?,
        Err(_) => return None,
    };
    let key = if parsed.path().trim_end_matches('/').is_empty() {
        format!("/?{}", crate::urls::root_old_address(parsed.query())?)
    } else {
        crate::urls::old_path_key(parsed.path(), parsed.query())
    };
    (key != "/").then_some(key)
}

/// State kept while importing.
struct Run<'a> {
    out: Saver<'a>,
    source: String,
    /// Whether `categories` became sections and tags yet.
    categories_made: bool,
    /// Categories by nicename.
    categories: std::collections::HashMap<String, Category>,
    /// Authors by login: their ids.
    logins: std::collections::HashMap<String, String>,
    heroes: Vec<(String, String)>,
    /// The site's address, which relative links are read against.
    base: Option<url::Url>,
}

/// Reads a WXR document from memory as the importer reads a file (its
/// bodies converted), answering how many entries it found: what the fuzz
/// target drives, so every byte an export may hold goes through the same
/// reader without a database.
pub fn read_entries(bytes: &[u8]) -> anyhow::Result<usize> {
    let (sender, mut receiver) = mpsc::channel(1 << 16);
    let counting = std::thread::spawn(move || {
        let mut found = 0;
        while receiver.blocking_recv().is_some() {
            found += 1;
        }
        found
    });
    let read = read(bytes, bytes.len() as u64, &sender);
    drop(sender);
    let found = counting
        .join()
        .map_err(|_| anyhow!("the counting thread stopped"))?;
    read.map(|()| found)
}

/// Imports a WXR file. `progress` hears (bytes read, file size).
pub async fn import(
    store: &Store,
    library: &Library,
    path: &Path,
    options: &Options,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<Report> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let (sender, mut receiver) = mpsc::channel(256);
    let reader = tokio::task::spawn_blocking(move || {
        read(
            std::io::BufReader::with_capacity(1 << 16, file),
            size,
            &sender,
        )
    });
    let mut run = Run {
        out: Saver::new(store, library, options).await?,
        // Until the file names its site (its first lines do).
        source: "wordpress".into(),
        categories_made: false,
        categories: Default::default(),
        logins: Default::default(),
        heroes: Vec::new(),
        base: None,
    };
    let mut failure = None;
    while let Some(entry) = receiver.recv().await {
        let step = match entry {
            Entry::Progress(at) => {
                progress(at, size);
                Ok(())
            }
            Entry::Item(item, body) => run.item(*item, body).await,
            other => {
                run.header(other);
                Ok(())
            }
        };
        if let Err(e) = step {
            failure = Some(e);
            break;
        }
    }
    drop(receiver);
    let read = reader
        .await
        .map_err(|e| anyhow!("the file reader stopped: {e}"))?;
    if let Some(e) = failure {
        return Err(e);
    }
    run.make_categories().await?;
    run.out.flush().await?;
    if let Err(e) = read {
        if run
            .out
            .report
            .read
            .keys()
            .all(|k| ["authors", "categories", "tags"].contains(k))
        {
            // Nothing of the content was reached: the file is refused.
            return Err(e);
        }
        // What came before the damage is in; say where it stopped.
        run.out.report.note(format!("stopped early: {e:#}"));
    }
    if run.out.report.read.is_empty() {
        bail!(
            "the file holds nothing to import: no authors, categories, tags, posts, pages or media were found in it"
        );
    }
    if !options.dry_run && !run.heroes.is_empty() {
        let set = store.set_story_heroes(&run.heroes).await?;
        run.out.report.wrote("hero images", set);
    }
    run.out.finish().await
}

impl Run<'_> {
    fn header(&mut self, entry: Entry) {
        match entry {
            Entry::Site { link, wxr } => {
                self.source = format!("wordpress {}", link.trim_end_matches('/'));
                self.base = url::Url::parse(link.trim()).ok();
                if !wxr.is_empty() && !["1.0", "1.1", "1.2"].contains(&wxr.as_str()) {
                    self.out
                        .report
                        .note(format!("WXR version {wxr} is newer than 1.2: read as 1.2"));
                }
            }
            Entry::Author { login, name } => {
                self.out.report.read("authors");
                let slug = slug_for(&login, &name, "author");
                let display = if name.trim().is_empty() {
                    &login
                } else {
                    &name
                };
                let id = self
                    .out
                    .names
                    .author(&self.source.clone(), &slug, display, "");
                self.out.redirects.push(PathRedirect {
                    path: format!("/author/{login}"),
                    target_kind: "author".into(),
                    target: id.clone(),
                });
                self.logins.insert(login, id);
            }
            Entry::Category(c) => {
                self.out.report.read("categories");
                self.categories.insert(c.slug.clone(), c);
                // Sections and tags are made once every category is known
                // (a child may come before its parent): see `make_categories`.
            }
            Entry::Tag {
                slug,
                name,
                description,
            } => {
                self.out.report.read("tags");
                let own = slug_for(&slug, &name, "tag");
                let id = self
                    .out
                    .names
                    .tag(&self.source.clone(), &own, &name, &description);
                self.out.redirects.push(PathRedirect {
                    path: format!("/tag/{slug}"),
                    target_kind: "tag".into(),
                    target: id,
                });
            }
            Entry::Warning(warning) => self.out.report.note(warning),
            Entry::Item(..) | Entry::Progress(_) => {}
        }
    }

    /// Makes every category a section (top level) or a tag (below one),
    /// and saves them: once, before the first item, when every category is
    /// known (a child may come before its parent).
    async fn make_categories(&mut self) -> anyhow::Result<()> {
        if self.categories_made {
            return Ok(());
        }
        self.categories_made = true;
        let source = self.source.clone();
        let mut all: Vec<Category> = self.categories.values().cloned().collect();
        all.sort_by(|a, b| a.slug.cmp(&b.slug));
        for c in all {
            let slug = slug_for(&c.slug, &c.name, "category");
            let top = c.parent.is_empty() || !self.categories.contains_key(&c.parent);
            let (kind, id) = if top {
                (
                    "section",
                    self.out
                        .names
                        .section(&source, &slug, &c.name, &c.description),
                )
            } else {
                (
                    "tag",
                    self.out.names.tag(&source, &slug, &c.name, &c.description),
                )
            };
            self.out.redirects.push(PathRedirect {
                path: format!("/category/{}", self.category_path(&c.slug)),
                target_kind: kind.into(),
                target: id,
            });
        }
        self.out
            .names
            .save_new(self.out.store, &mut self.out.report)
            .await?;
        Ok(())
    }

    /// `parent/child`, as WordPress's category archives are addressed.
    fn category_path(&self, nicename: &str) -> String {
        let mut parts = vec![nicename.to_string()];
        let mut current = nicename;
        for _ in 0..32 {
            match self.categories.get(current) {
                Some(c) if !c.parent.is_empty() && self.categories.contains_key(&c.parent) => {
                    parts.push(c.parent.clone());
                    current = &c.parent;
                }
                _ => break,
            }
        }
        parts.reverse();
        parts.join("/")
    }

    /// The top of a category's family (a loop in the file stops there).
    fn top_of(&self, nicename: &str) -> String {
        let mut current = nicename.to_string();
        for _ in 0..32 {
            match self.categories.get(&current) {
                Some(c) if !c.parent.is_empty() && self.categories.contains_key(&c.parent) => {
                    current = c.parent.clone();
                }
                _ => break,
            }
        }
        current
    }

    async fn item(&mut self, item: Item, body: Option<Document>) -> anyhow::Result<()> {
        self.make_categories().await?;
        match item.post_type.as_str() {
            "post" => self.post(item, body).await,
            "page" => self.page(item, body).await,
            "attachment" => self.attachment(item).await,
            other => {
                let kind: &'static str = match other {
                    "nav_menu_item" => "menu items",
                    "revision" => "revisions",
                    _ => "other items",
                };
                self.out.report.read(kind);
                Ok(())
            }
        }
    }

    /// When the item was published (or is due), and last changed.
    fn times(item: &Item) -> (Option<UnixTime>, Option<UnixTime>) {
        let published = wp_time(&item.date_gmt)
            .or_else(|| wp_time(&item.date))
            .or_else(|| rfc2822_time(&item.pub_date));
        let modified = wp_time(&item.modified_gmt);
        (published, modified)
    }

    /// The old addresses of an item: its permalink, its guid when that is
    /// an address, and `/?p=ID` (`/?page_id=ID` for a page too), the form
    /// old articles, newsletters and other sites link with.
    fn old_addresses(&mut self, item: &Item, kind: &str, id: &str) {
        let mut paths: Vec<String> = Vec::new();
        for url in [&item.link, &item.guid] {
            if let Some(path) = old_path(url, self.base.as_ref()) {
                paths.push(path);
            }
        }
        if !item.id.is_empty() && item.id.bytes().all(|b| b.is_ascii_digit()) {
            paths.push(format!("/?p={}", item.id));
            if kind == "page" {
                paths.push(format!("/?page_id={}", item.id));
            }
        }
        paths.sort();
        paths.dedup();
        for path in paths {
            self.out.redirects.push(PathRedirect {
                path,
                target_kind: kind.into(),
                target: id.to_string(),
            });
        }
    }

    fn status(&mut self, item: &Item, what: &str) -> Option<Status> {
        let status = match item.status.as_str() {
            "publish" => Status::Published,
            "future" => Status::Scheduled,
            "pending" => Status::Review,
            "draft" | "auto-draft" | "" => Status::Draft,
            "private" => {
                self.out.report.note(format!(
                    "{what} {:?} was private in WordPress: kept as a draft",
                    item.title
                ));
                Status::Draft
            }
            "trash" => {
                self.out.report.read("in the trash (not imported)");
                return None;
            }
            other => {
                self.out.report.note(format!(
                    "{what} {:?} has the status {other:?}: kept as a draft",
                    item.title
                ));
                Status::Draft
            }
        };
        if !item.password.trim().is_empty() && status != Status::Draft {
            self.out.report.note(format!(
                "{what} {:?} was password-protected in WordPress: kept as a draft (Masthead has no passwords on pieces)",
                item.title
            ));
            return Some(Status::Draft);
        }
        Some(status)
    }

    async fn post(&mut self, item: Item, body: Option<Document>) -> anyhow::Result<()> {
        self.out.report.read("posts");
        let source = self.source.clone();
        let Some(mut status) = self.status(&item, "post") else {
            return Ok(());
        };
        if item.damaged_text {
            self.out.report.note(format!(
                "post {:?}: bytes that were not UTF-8 were replaced",
                item.title
            ));
        }
        let (published, modified) = Self::times(&item);
        let identity = self.out.identity("post", &item.key(), &item.title);
        let id = stable_id_at(
            published.or(modified).unwrap_or(0),
            &[&source, "post", &identity],
        );
        if matches!(status, Status::Published | Status::Scheduled) && published.is_none() {
            self.out.report.note(format!(
                "post {:?} has no date: kept as a draft",
                item.title
            ));
            status = Status::Draft;
        }
        let body = body.unwrap_or_else(|| body_from_html(&clean_content(&item.content)));
        // Section: the top of the first category; the rest are tags.
        let mut section_id = None;
        let mut tag_ids: Vec<String> = Vec::new();
        let mut author_ids: Vec<String> = self.creator(&item).into_iter().collect();
        for (domain, nicename, text) in &item.terms {
            match domain.as_str() {
                "category" => {
                    if section_id.is_none() {
                        let top = self.top_of(nicename);
                        let top_name = self
                            .categories
                            .get(&top)
                            .map_or(text.as_str(), |c| c.name.as_str())
                            .to_string();
                        let slug = slug_for(&top, &top_name, "uncategorized");
                        section_id = Some(self.out.names.section(&source, &slug, &top_name, ""));
                        if top == *nicename {
                            continue;
                        }
                    }
                    let slug = slug_for(nicename, text, "category");
                    tag_ids.push(self.out.names.tag(&source, &slug, text, ""));
                }
                "post_tag" => {
                    let slug = slug_for(nicename, text, "tag");
                    tag_ids.push(self.out.names.tag(&source, &slug, text, ""));
                }
                "author" => {
                    // co-authors-plus: `cap-LOGIN`.
                    let login = nicename.strip_prefix("cap-").unwrap_or(nicename);
                    let id = match self.logins.get(login) {
                        Some(id) => id.clone(),
                        None => {
                            let slug = slug_for(login, text, "author");
                            self.out.names.author(&source, &slug, text, "")
                        }
                    };
                    if !author_ids.contains(&id) {
                        author_ids.push(id);
                    }
                }
                // post_format and others: nothing Masthead keeps.
                _ => {}
            }
        }
        let section_id = match section_id {
            Some(id) => id,
            None => self
                .out
                .names
                .section(&source, "uncategorized", "Uncategorized", ""),
        };
        let mut seen = std::collections::HashSet::new();
        tag_ids.retain(|t| seen.insert(t.clone()));
        // Made unique when the batch is saved.
        let slug = slug_for(&item.name, &item.title, &format!("post-{}", item.id));
        let seo = |key: &str| {
            item.meta(key)
                .filter(|v| !v.contains("%%"))
                .map(str::to_string)
        };
        let created = published.or(modified).unwrap_or(0);
        let headline = if item.title.trim().is_empty() {
            format!("Untitled post {}", item.id)
        } else {
            item.title.trim().to_string()
        };
        let story = Story {
            id: id.clone(),
            slug,
            headline,
            dek: Document::from_html(item.excerpt.trim())
                .plain_text()
                .trim()
                .to_string(),
            label: String::new(),
            section_id,
            reading_minutes: body.reading_minutes(),
            body,
            custom_excerpt: None,
            hero_image_id: None,
            status,
            featured: item.sticky,
            published_at: published,
            created_at: created,
            updated_at: modified.unwrap_or(created),
            seo_title: seo("_yoast_wpseo_title"),
            seo_description: seo("_yoast_wpseo_metadesc"),
            hero_alt: None,
            hero_caption: None,
            hero_credit: None,
            created_by: None,
            revision: 1,
        };
        if let Some(thumbnail) = item.meta("_thumbnail_id") {
            self.heroes.push((
                id.clone(),
                stable_id(&[&source, "attachment", thumbnail.trim()]),
            ));
        }
        let old_slug = item.meta("_wp_old_slug").map(str::to_string);
        self.old_addresses(&item, "story", &id);
        let publish_at = (status == Status::Scheduled).then_some(published).flatten();
        self.out
            .story(StoryWrite {
                story,
                author_ids,
                tag_ids,
                new_tags: vec![],
                redirect_from: old_slug,
                publish_at,
                edit: None,
                relate: false,
            })
            .await
    }

    async fn page(&mut self, item: Item, body: Option<Document>) -> anyhow::Result<()> {
        self.out.report.read("pages");
        let Some(status) = self.status(&item, "page") else {
            return Ok(());
        };
        let source = self.source.clone();
        let (published, modified) = Self::times(&item);
        let identity = self.out.identity("page", &item.key(), &item.title);
        let id = stable_id_at(
            published.or(modified).unwrap_or(0),
            &[&source, "page", &identity],
        );
        let body = body.unwrap_or_else(|| body_from_html(&clean_content(&item.content)));
        let slug = slug_for(&item.name, &item.title, &format!("page-{}", item.id));
        let created = published.or(modified).unwrap_or(0);
        let title = if item.title.trim().is_empty() {
            format!("Untitled page {}", item.id)
        } else {
            item.title.trim().to_string()
        };
        let authors: Vec<String> = self.creator(&item).into_iter().collect();
        let mut page = imported_page(
            id.clone(),
            slug,
            title,
            body,
            status,
            (created, modified.unwrap_or(created)),
            &authors,
        );
        page.position = item.menu_order;
        self.old_addresses(&item, "page", &id);
        self.out.page(page).await
    }

    /// The author of an item's `dc:creator`, made from its login the first
    /// time an author not in the file's list appears.
    fn creator(&mut self, item: &Item) -> Option<String> {
        if let Some(known) = self.logins.get(&item.creator) {
            return Some(known.clone());
        }
        if item.creator.is_empty() {
            return None;
        }
        let slug = slug_for(&item.creator, &item.creator, "author");
        let id = self
            .out
            .names
            .author(&self.source, &slug, &item.creator, "");
        self.logins.insert(item.creator.clone(), id.clone());
        Some(id)
    }

    async fn attachment(&mut self, item: Item) -> anyhow::Result<()> {
        self.out.report.read("attachments");
        if !self.out.imports_media() {
            self.out.report.note_once("attachments were not imported: pass --media-dir (a copy of wp-content/uploads) or --fetch-media");
            return Ok(());
        }
        let id = stable_id(&[&self.source, "attachment", &item.key()]);
        let url = if item.attachment_url.is_empty() {
            &item.guid
        } else {
            &item.attachment_url
        };
        let caption = Document::from_html(item.excerpt.trim()).plain_text();
        let caption = caption.trim();
        let image = ImageFrom {
            id: &id,
            url,
            alt: item.meta("_wp_attachment_image_alt").unwrap_or(""),
            caption,
            what: &format!("attachment {:?}", item.title),
        };
        if self.out.image(image).await? {
            self.out.report.wrote("images", 1);
        }
        Ok(())
    }
}
