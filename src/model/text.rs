//! Text and HTML helpers: sanitized HTML for markup that is not a body
//! (bodies are `document::Document`s), escaping, excerpts' cutting, reading time.

use serde::{Serialize, Serializer};

use super::nesting::{self, TooDeep};

/// The most HTML a Markdown body may render to. Markdown can multiply its
/// size (each `> ` opens a quote of a dozen bytes).
pub const MAX_HTML_BYTES: usize = super::document::MAX_HTML_BYTES;

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
                "the text is longer than a body may be ({} MB as HTML, {} KB as Markdown: about 80,000 words): split it into parts",
                super::document::MAX_HTML_BYTES / 1024 / 1024,
                super::document::markdown::MAX_MARKDOWN_BYTES / 1024
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

/// HTML that has been through the sanitizer. Only `SafeHtml::sanitize`
/// and a `Document` make one (and the database hands back what they made),
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

    /// Markup made by code that allows nothing else (a document's writer).
    pub(super) fn trusted(html: String) -> SafeHtml {
        SafeHtml(html)
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

/// Minutes a reader takes over so many words (one at least).
pub fn minutes_for(words: usize) -> i32 {
    words.div_ceil(WORDS_PER_MINUTE).max(1) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_time_rounds_up() {
        assert_eq!(minutes_for(1), 1);
        assert_eq!(minutes_for(231), 2);
    }

    #[test]
    fn words_are_cut_at_a_word() {
        let text = "The council met on Tuesday to discuss the harbour levy and the budget.";
        assert_eq!(truncate_words(text, 30), "The council met on Tuesday to…");
        assert_eq!(truncate_words("Short.", 30), "Short.");
    }

    #[test]
    fn sanitizing_drops_scripts_and_handlers() {
        let s = SafeHtml::sanitize(
            "Hello <script>alert(1)</script> <a href=\"javascript:x()\" onclick=\"y()\">link</a>",
        );
        assert!(!s.as_str().contains("<script") && !s.as_str().contains("onclick"));
        assert!(!s.as_str().contains("javascript:"));
    }
}
