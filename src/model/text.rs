//! Markdown bodies: rendering to sanitized HTML, plain-text excerpts, reading time.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
use serde::{Serialize, Serializer};

use super::nesting::{self, TooDeep};

/// The longest body a person may send (the desk's editor, the Admin API):
/// about 80,000 words, far past any story, and what keeps the whole render
/// within its time budget (`cargo bench --bench bodies`: under 100 ms).
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// The most HTML such a body may render to. Markdown can multiply its size
/// (each `> ` opens a quote of a dozen bytes), and the sanitizer's time
/// goes with the HTML's size; prose renders to about 1.2 times itself.
pub const MAX_HTML_BYTES: usize = 1024 * 1024;

/// Why a body sent by a person is refused before it is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrenderable {
    TooLong,
    RendersTooLarge,
    TooDeep(TooDeep),
}

impl std::fmt::Display for Unrenderable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unrenderable::TooLong => write!(
                f,
                "the text is longer than the {} KB a body may be (about 80,000 words): split it into parts",
                MAX_BODY_BYTES / 1024
            ),
            Unrenderable::RendersTooLarge => write!(
                f,
                "the text would make more than {} MB of HTML (quotes or lists opened over and over): simplify its markup",
                MAX_HTML_BYTES / 1024 / 1024
            ),
            Unrenderable::TooDeep(deep) => deep.fmt(f),
        }
    }
}

impl std::error::Error for Unrenderable {}

pub const EXCERPT_CHARS: usize = 220;
const WORDS_PER_MINUTE: usize = 230;

/// HTML that has been through the sanitizer. Only `render_markdown` and
/// `SafeHtml::sanitize` make one (and the database hands back what they made),
/// so templates can print it unescaped while escaping every other string, and
/// nothing can store unsanitized HTML by calling the store directly.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafeHtml(String);

impl SafeHtml {
    /// Markup from anywhere, made safe to print. Markup nested deeper than
    /// a body may be keeps its words only (see `nesting`): the sanitizer's
    /// parser would take time in the square of the depth.
    pub fn sanitize(untrusted_html: &str) -> SafeHtml {
        match nesting::check(untrusted_html, nesting::MAX_DEPTH) {
            Ok(()) => SafeHtml::clean(untrusted_html),
            Err(_) => SafeHtml::clean(&paragraphs(&nesting::text_only(untrusted_html))),
        }
    }

    fn clean(untrusted_html: &str) -> SafeHtml {
        let mut cleaner = ammonia::Builder::default();
        cleaner
            .link_rel(Some("noopener noreferrer"))
            .add_tag_attributes("img", ["loading", "decoding", "width", "height"])
            // Embed cards (see `embeds`): the player address is checked
            // again by the script that loads it.
            .add_allowed_classes("figure", ["embed"])
            .add_tag_attributes("figure", ["data-player", "data-provider"]);
        SafeHtml(cleaner.clean(untrusted_html).to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for SafeHtml {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        minijinja::Value::from_safe_string(self.0.clone()).serialize(serializer)
    }
}

super::column::text_column!(SafeHtml, |html| html.0.as_str(), |text| Ok::<_, String>(
    SafeHtml(text.to_string())
));

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Markdown to HTML, then through the sanitizer: a `<script>` or an `onclick`
/// written into a body never reaches a page. A body nested too deep keeps
/// its words only (rows saved before the limit, imports); what a person
/// sends is checked with `render_checked` and refused instead.
pub fn render_markdown(markdown: &str) -> SafeHtml {
    SafeHtml::sanitize(&markdown_html(markdown))
}

/// As `render_markdown`, for a body a person sends: refused when longer
/// than `MAX_BODY_BYTES`, when it would render to more than
/// `MAX_HTML_BYTES` (the rendering stops there), or when nested deeper than
/// a body may be. CPU work: run it through `crate::cpu`.
pub fn render_checked(markdown: &str) -> Result<SafeHtml, Unrenderable> {
    if markdown.len() > MAX_BODY_BYTES {
        return Err(Unrenderable::TooLong);
    }
    let raw =
        markdown_html_within(markdown, MAX_HTML_BYTES).ok_or(Unrenderable::RendersTooLarge)?;
    nesting::check(&raw, nesting::MAX_DEPTH).map_err(Unrenderable::TooDeep)?;
    Ok(SafeHtml::clean(&raw))
}

/// Markdown to unsanitized HTML (linear in the input: pulldown-cmark keeps
/// no recursion an input controls).
fn markdown_html(markdown: &str) -> String {
    markdown_html_within(markdown, usize::MAX).unwrap_or_default()
}

/// As `markdown_html`, or None as soon as the HTML grows past `limit`.
fn markdown_html_within(markdown: &str, limit: usize) -> Option<String> {
    /// A string that refuses to grow past its limit.
    struct Capped {
        out: String,
        limit: usize,
    }
    impl std::fmt::Write for Capped {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            if self.out.len() + s.len() > self.limit {
                return Err(std::fmt::Error);
            }
            self.out.push_str(s);
            Ok(())
        }
    }
    let mut capped = Capped {
        out: String::with_capacity((markdown.len() * 3 / 2).min(limit)),
        limit,
    };
    html::write_html_fmt(
        &mut capped,
        with_embeds(Parser::new_ext(markdown, options())).into_iter(),
    )
    .ok()?;
    Some(capped.out)
}

/// Escaped text, a paragraph per non-empty line.
fn paragraphs(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        out.push_str("<p>");
        out.push_str(&html_escape(line));
        out.push_str("</p>\n");
    }
    out
}

/// Plain text for a field some readers take as HTML and others as text
/// (RSS titles and descriptions): `<` and `>` escaped, so no reader's HTML
/// parser finds a tag in it, and nothing else, so readers that show the
/// field as text still show apostrophes and ampersands as written. (An
/// entity such as `&lt;` decodes to text, never to markup.)
pub fn angle_brackets_escaped(text: &str) -> String {
    text.replace('<', "&lt;").replace('>', "&gt;")
}

/// Plain text as HTML that shows exactly that text (for fields that are
/// text here but HTML to other software: Ghost's captions).
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// HTML from elsewhere (an API client, another platform) as Markdown, once
/// its nesting is known to be within bounds (the converter walks the tree
/// by recursion). The error says what is wrong, for the sender.
pub fn html_to_markdown(html: &str) -> Result<String, String> {
    nesting::check(html, nesting::MAX_DEPTH).map_err(|e| e.to_string())?;
    htmd::convert(html).map_err(|e| e.to_string())
}

/// A paragraph that is only the address of a video or a post becomes its
/// card (`embeds::detect`); everything else passes as it is.
fn with_embeds<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut paragraph: Option<Vec<Event<'a>>> = None;
    for event in events {
        match (&mut paragraph, event) {
            (None, Event::Start(Tag::Paragraph)) => {
                paragraph = Some(vec![Event::Start(Tag::Paragraph)])
            }
            (Some(held), Event::End(TagEnd::Paragraph)) => {
                let only_text = held[1..].iter().all(|e| matches!(e, Event::Text(_)));
                let text: String = held[1..]
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                match super::embeds::detect(&text).filter(|_| only_text) {
                    Some(embed) => out.push(Event::Html(embed.card().into())),
                    None => {
                        out.append(held);
                        out.push(Event::End(TagEnd::Paragraph));
                    }
                }
                paragraph = None;
            }
            (Some(held), event) => held.push(event),
            (None, event) => out.push(event),
        }
    }
    if let Some(mut held) = paragraph {
        out.append(&mut held);
    }
    out
}

/// The words a reader reads: text and inline code, without markup.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push('\n'),
            _ => {}
        }
    }
    out
}

/// What teasers show: the editor's own excerpt, else the body's first
/// paragraph cut near `EXCERPT_CHARS`.
pub fn excerpt(custom: Option<&str>, body_md: &str) -> String {
    match custom.map(str::trim) {
        Some(e) if !e.is_empty() => e.to_string(),
        _ => derive_excerpt(body_md, EXCERPT_CHARS),
    }
}

/// The first paragraph, cut at a word near `max_chars`. Only the first
/// block of the source is parsed: teasers ask for excerpts on every
/// listing, and a long body's later paragraphs cannot change the first.
pub fn derive_excerpt(markdown: &str, max_chars: usize) -> String {
    let text = plain_text(first_block(markdown));
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    truncate_words(first, max_chars)
}

/// The source up to the blank line that ends its first block with content
/// (at most a few kilobytes).
fn first_block(markdown: &str) -> &str {
    const MAX_BYTES: usize = 4096;
    let start = markdown.len() - markdown.trim_start().len();
    let end = markdown[start..]
        .find("\n\n")
        .map_or(markdown.len(), |i| start + i);
    let mut end = end.min(MAX_BYTES.max(start));
    while !markdown.is_char_boundary(end) {
        end -= 1;
    }
    &markdown[..end]
}

/// A message with its first letter made a capital (errors are written to
/// run on after a colon; shown alone they start a sentence).
pub fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(at) if at > max_chars / 2 => &cut[..at],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

pub fn reading_minutes(markdown: &str) -> i32 {
    let words = plain_text(markdown).split_whitespace().count();
    words.div_ceil(WORDS_PER_MINUTE).max(1) as i32
}

/// Images in a body that have no alt text: publishing refuses them.
pub fn images_missing_alt(markdown: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let mut current: Option<(String, String)> = None;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                current = Some((dest_url.to_string(), String::new()))
            }
            Event::Text(t) if current.is_some() => {
                if let Some((_, alt)) = current.as_mut() {
                    alt.push_str(&t)
                }
            }
            Event::End(TagEnd::Image) => {
                if let Some((url, alt)) = current.take()
                    && alt.trim().is_empty()
                {
                    missing.push(url);
                }
            }
            _ => {}
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_never_survive() {
        let html = render_markdown(
            "Hello <script>alert(1)</script> <a href=\"javascript:x()\" onclick=\"y()\">link</a>\n\n<img src=x onerror=alert(2)>",
        );
        let s = html.as_str();
        assert!(!s.contains("<script"), "{s}");
        assert!(!s.contains("onclick"), "{s}");
        assert!(!s.contains("onerror"), "{s}");
        assert!(!s.contains("javascript:"), "{s}");
        assert!(s.contains("Hello"));
    }

    #[test]
    fn a_video_address_alone_becomes_a_card_that_loads_nothing() {
        let html = render_markdown(
            "Watch this:\n\nhttps://youtu.be/abc123\n\nAnd https://youtu.be/abc123 inline.",
        );
        let s = html.as_str();
        assert!(s.contains("<figure class=\"embed\" data-player=\"https://www.youtube-nocookie.com/embed/abc123\""), "{s}");
        assert!(
            !s.contains("<iframe"),
            "nothing loads until the reader asks"
        );
        assert!(s.contains("<p>And https://youtu.be/abc123 inline.</p>"));
        let forged = render_markdown(
            "<figure class=\"embed\" data-player=\"javascript:alert(1)\" onclick=\"x()\"></figure>",
        );
        assert!(!forged.as_str().contains("onclick"));
    }

    #[test]
    fn what_a_person_sends_is_bounded_before_it_is_rendered() {
        assert!(render_checked("A *short* story.").is_ok());
        assert_eq!(
            render_checked(&"a".repeat(MAX_BODY_BYTES + 1)),
            Err(Unrenderable::TooLong)
        );
        assert_eq!(
            render_checked(&"> ".repeat(MAX_BODY_BYTES / 2)),
            Err(Unrenderable::RendersTooLarge)
        );
        assert!(matches!(
            render_checked(&"<div>".repeat(200)),
            Err(Unrenderable::TooDeep(_))
        ));
        // Stored or imported, the same text keeps its words.
        let flat = render_markdown(&format!("{}words", "<div>".repeat(200)));
        assert!(flat.as_str().contains("words"));
        assert!(!flat.as_str().contains("<div>"));
    }

    #[test]
    fn markdown_renders_to_html() {
        let html = render_markdown("## Why it matters\n\nA *fine* [link](https://example.org).");
        assert!(html.as_str().contains("<h2>Why it matters</h2>"));
        assert!(html.as_str().contains("<em>fine</em>"));
        assert!(html.as_str().contains("rel=\"noopener noreferrer\""));
    }

    #[test]
    fn excerpt_is_first_paragraph_cut_at_a_word() {
        let md = "# Title\n\nThe first **paragraph** is here.\n\nSecond one.";
        assert_eq!(derive_excerpt(md, 100), "Title");
        let md = "The council met on Tuesday to discuss the harbour levy and the budget.";
        assert_eq!(derive_excerpt(md, 30), "The council met on Tuesday to…");
        assert_eq!(derive_excerpt("", 30), "");
        let long = format!(
            "Opening *words* here.\n\n{}",
            "Later paragraph. ".repeat(5000)
        );
        assert_eq!(derive_excerpt(&long, 100), "Opening words here.");
        assert_eq!(
            derive_excerpt("\n\n  Indented start.\n\nNext.", 100),
            "Indented start."
        );
    }

    #[test]
    fn reading_time_rounds_up() {
        assert_eq!(reading_minutes("word"), 1);
        assert_eq!(reading_minutes(&"word ".repeat(231)), 2);
    }

    #[test]
    fn finds_images_without_alt() {
        let md = "![A harbour at dawn](/media/a.jpg) and ![](/media/b.jpg)";
        assert_eq!(images_missing_alt(md), vec!["/media/b.jpg".to_string()]);
    }
}
