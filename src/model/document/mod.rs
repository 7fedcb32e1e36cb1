//! A body as a document: stories', briefs', pages' and newsletter intros'.
//!
//! One schema (`schema.json`, which the desk's editor builds its own from)
//! names what a body may hold. A `Document` is a body in that schema, kept
//! as its canonical HTML: the markup the editor writes, which every output
//! (pages, previews, feeds, emails, the APIs' `html`) shows as it is and
//! from which search text, excerpts and reading times are read. Only this
//! module makes one, by reading HTML or Markdown into the schema
//! (`reading`) and writing the result (`writing`), so a stored body holds
//! exactly the schema's elements and attributes, with safe addresses.
//! Reading keeps every word a reader could see; scripts, styles and
//! anything else a browser never shows are dropped.

mod dom;
mod email;
pub mod markdown;
mod reading;
mod text;
pub mod tree;
mod writing;

use serde::{Serialize, Serializer};

use super::nesting;
pub use super::text::Unrenderable;
pub use email::absolute_addresses;
pub use reading::safe_href;

/// The longest HTML body a person may send (the desk's editor, the Admin
/// API): 1 MB, about 100,000 words with their markup, and what keeps reading
/// it within its time budget (`cargo bench --bench bodies`).
pub const MAX_HTML_BYTES: usize = 1024 * 1024;

/// The schema stored bodies are in (`body_schema` in each table): rows of
/// an older one are read into this one by `services::documents::upgrade`.
pub const SCHEMA_VERSION: i32 = 1;

/// The schema, as data, for those who list it (the editor reads the same file).
pub const SCHEMA: &str = include_str!("schema.json");

/// A body in the schema, as its canonical HTML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document(String);

impl Document {
    /// HTML from anywhere (an import, a stored row, an API client) in the
    /// schema. Markup nested deeper than a body may be keeps its words, a
    /// paragraph per line (the tree is walked by recursion).
    pub fn from_html(html: &str) -> Document {
        match nesting::check(html, nesting::MAX_DEPTH) {
            Ok(()) => Document::read(html),
            Err(_) => Document::from_text(&nesting::text_only(html)),
        }
    }

    /// As `from_html`, for a body a person sends: refused when longer than
    /// `MAX_HTML_BYTES` or nested deeper than a body may be. CPU work: run
    /// it through `crate::cpu`.
    pub fn from_html_checked(html: &str) -> Result<Document, Unrenderable> {
        if html.len() > MAX_HTML_BYTES {
            return Err(Unrenderable::TooLong);
        }
        nesting::check(html, nesting::MAX_DEPTH).map_err(Unrenderable::TooDeep)?;
        Ok(Document::read(html))
    }

    /// The schema's markup can lie a level or two deeper than what it was
    /// read from (a list item's text gets its paragraph): a document deeper
    /// than a body may be keeps its words instead, so every stored body
    /// reads back as itself.
    fn read(html: &str) -> Document {
        let dom = dom::Dom::parse(html);
        let written = writing::write(&reading::read(&dom));
        match nesting::check(&written, nesting::MAX_DEPTH) {
            Ok(()) => Document(written),
            Err(_) => Document::from_text(&nesting::text_only(html)),
        }
    }

    /// Plain text, a paragraph per non-empty line.
    pub fn from_text(text: &str) -> Document {
        let blocks = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let mut inline = tree::Inline::default();
                inline.push_text(line, &[]);
                inline.trim_end();
                tree::Block::Paragraph(inline)
            })
            .collect::<Vec<_>>();
        Document(writing::write(&blocks))
    }

    /// Blocks made by code (the demo's mixing), written and read again so
    /// what they hold is checked like any other body.
    pub fn from_blocks(blocks: &[tree::Block]) -> Document {
        Document::from_html(&writing::write(blocks))
    }

    /// The document a line per block, each line saying what the block is
    /// when it is not a paragraph ("Heading: …", "Image: …", a table's
    /// rows): what revisions compare, so a figure added or a heading made a
    /// paragraph shows as such.
    pub fn outline(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for block in self.blocks() {
            outline_block(&block, "", &mut lines);
        }
        lines
    }

    /// The document as email-safe HTML (see `email`), its site addresses
    /// made absolute by `absolute`.
    pub fn email_html(&self, absolute: &dyn Fn(&str) -> String) -> super::SafeHtml {
        super::SafeHtml::trusted(email::write(&self.blocks(), absolute))
    }

    /// The document's blocks, for those who render it another way (email).
    pub fn blocks(&self) -> Vec<tree::Block> {
        reading::read(&dom::Dom::parse(&self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        !self.0.contains("<figure") && self.plain_text().trim().is_empty()
    }

    /// Its words on one line (a feed entry's or JSON-LD's text).
    pub fn plain_line(&self) -> String {
        self.plain_text()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The words a reader reads, a line per block.
    pub fn plain_text(&self) -> String {
        text::plain_text(&self.0)
    }

    pub fn word_count(&self) -> usize {
        self.plain_text().split_whitespace().count()
    }

    pub fn reading_minutes(&self) -> i32 {
        super::text::minutes_for(self.word_count())
    }

    /// Images in the body that have no alt text (their addresses):
    /// publishing refuses them.
    pub fn images_missing_alt(&self) -> Vec<String> {
        text::images_missing_alt(&self.0)
    }

    /// The document's addresses of images.
    pub fn image_sources(&self) -> Vec<String> {
        text::image_sources(&self.0)
    }
}

/// The words of a body's canonical HTML (or of the start of one), a line
/// per block.
pub fn plain_text_of(html: &str) -> String {
    text::plain_text(html)
}

fn outline_block(block: &tree::Block, prefix: &str, lines: &mut Vec<String>) {
    use tree::{Block, Definition, Width};
    let mut line = |words: String| lines.push(format!("{prefix}{words}"));
    match block {
        Block::Paragraph(i) => line(i.text()),
        Block::Heading(level, i) => line(format!("Heading {}: {}", level - 1, i.text())),
        Block::PullQuote(ps) => {
            for p in ps {
                line(format!("Pull quote: {}", p.text()));
            }
        }
        Block::Code(code) => {
            for l in code.lines() {
                line(format!("Code: {l}"));
            }
        }
        Block::Rule => line("Rule".into()),
        Block::Table(t) => {
            line(format!(
                "Table{}",
                if t.caption.is_empty() {
                    String::new()
                } else {
                    format!(": {}", t.caption)
                }
            ));
            for row in &t.rows {
                let cells: Vec<String> = row
                    .iter()
                    .map(|c| {
                        if c.header {
                            format!("[{}]", c.content.text())
                        } else {
                            c.content.text()
                        }
                    })
                    .collect();
                line(format!("Row: {}", cells.join(" | ")));
            }
        }
        Block::Figure(f) => {
            let width = match f.width {
                Width::Text => "",
                Width::Wide => " (wide)",
                Width::Full => " (full width)",
            };
            line(format!("Image{width}: {} — alt text: {}", f.src, f.alt));
            if !f.caption.is_empty() || !f.credit.is_empty() {
                line(format!("Caption: {} — credit: {}", f.caption, f.credit));
            }
        }
        Block::Embed(e) => line(format!("Embed: {}", e.url)),
        Block::Definitions(items) => {
            for item in items {
                match item {
                    Definition::Term(i) => line(format!("Term: {}", i.text())),
                    Definition::Detail(i) => line(format!("Definition: {}", i.text())),
                }
            }
        }
        Block::Quote(blocks) => {
            let inner = format!("{prefix}Quote: ");
            for b in blocks {
                outline_block(b, &inner, lines);
            }
        }
        Block::BulletList(items) | Block::OrderedList(_, items) => {
            let start = match block {
                Block::OrderedList(start, _) => Some(*start),
                _ => None,
            };
            for (n, item) in items.iter().enumerate() {
                let mark = match start {
                    Some(s) => format!("{prefix}{}. ", s as usize + n),
                    None => format!("{prefix}• "),
                };
                for b in item {
                    outline_block(b, &mark, lines);
                }
            }
        }
    }
}

/// What teasers show: the editor's own excerpt, else the first paragraph
/// of a body's canonical HTML (or the start of it: only the first few
/// kilobytes are read) cut near `max_chars`.
pub fn excerpt_of(custom: Option<&str>, html: &str, max_chars: usize) -> String {
    match custom.map(str::trim) {
        Some(e) if !e.is_empty() => e.to_string(),
        _ => super::text::truncate_words(&text::first_paragraph(html), max_chars),
    }
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        minijinja::Value::from_safe_string(self.0.clone()).serialize(serializer)
    }
}

impl Document {
    /// The document as pages show it: its media on the site's media
    /// address (see `PublicUrl::media_in`).
    pub fn served(&self, public: &crate::urls::PublicUrl) -> super::SafeHtml {
        super::SafeHtml::trusted(public.media_in(&self.0).into_owned())
    }
}

impl From<&Document> for super::SafeHtml {
    fn from(document: &Document) -> Self {
        super::SafeHtml::trusted(document.0.clone())
    }
}

// A stored body is one this module wrote (the database holds nothing
// else: every write takes a `Document`, and the migration that brought
// bodies into the schema read each one through `from_html`).
super::column::text_column!(Document, |doc| doc.0.as_str(), |text| Ok::<_, String>(
    Document(text.to_string())
));

#[cfg(test)]
mod tests;
