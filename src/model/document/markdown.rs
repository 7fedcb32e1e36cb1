//! Markdown as an input: what a writer pastes, what importers and API
//! clients send, what bodies were before they were documents. Rendered by
//! pulldown-cmark (no recursion an input controls, linear time), a
//! paragraph that is only a video's or a post's address made its card,
//! then read into the schema like any HTML.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

use super::{Document, Unrenderable};

/// The longest Markdown body a person may send: about 80,000 words.
pub const MAX_MARKDOWN_BYTES: usize = 512 * 1024;

/// Whether straight quotes and `--` become typographic ones. Text is
/// kept as written (the editor offers them while typing); bodies saved
/// as Markdown before documents were shown with them, so they keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typography {
    AsWritten,
    /// Straight quotes curled, `--` and `---` made dashes: how bodies
    /// stored as Markdown were shown before documents (revisions and
    /// issues' intros from then read this way, so they show the same), and
    /// what the demo's text is written for.
    Typographic,
}

fn options(typography: Typography) -> Options {
    let base = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_SUPERSCRIPT
        | Options::ENABLE_SUBSCRIPT;
    match typography {
        Typography::AsWritten => base,
        Typography::Typographic => {
            (base | Options::ENABLE_SMART_PUNCTUATION)
                - Options::ENABLE_DEFINITION_LIST
                - Options::ENABLE_SUPERSCRIPT
                - Options::ENABLE_SUBSCRIPT
        }
    }
}

/// Markdown (from a trusted place: an import, a stored row) as a document.
pub fn to_document(markdown: &str, typography: Typography) -> Document {
    Document::from_html(&html_of(markdown, typography, usize::MAX).unwrap_or_default())
}

/// As `to_document`, for Markdown a person sends: refused when longer than
/// `MAX_MARKDOWN_BYTES`, when it would render to more than a document may
/// hold, or when nested deeper than a body may be. CPU work.
pub fn to_document_checked(markdown: &str) -> Result<Document, Unrenderable> {
    if markdown.len() > MAX_MARKDOWN_BYTES {
        return Err(Unrenderable::TooLong);
    }
    let html = html_of(markdown, Typography::AsWritten, super::MAX_HTML_BYTES)
        .ok_or(Unrenderable::RendersTooLarge)?;
    Document::from_html_checked(&html)
}

/// Markdown as bodies stored as Markdown were rendered before documents
/// (before the sanitizer): what a test of the migration compares with.
#[cfg(test)]
pub(crate) fn html_as_rendered_before(markdown: &str) -> String {
    html_of(markdown, Typography::Typographic, usize::MAX).unwrap_or_default()
}

/// Markdown to HTML, or None as soon as the HTML grows past `limit`.
fn html_of(markdown: &str, typography: Typography, limit: usize) -> Option<String> {
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
        with_embeds(Parser::new_ext(markdown, options(typography))).into_iter(),
    )
    .ok()?;
    Some(capped.out)
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
                match crate::model::embeds::detect(&text).filter(|_| only_text) {
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
