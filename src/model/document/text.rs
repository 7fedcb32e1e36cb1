//! What is read from a document's canonical HTML without building its tree
//! (listings ask for excerpts of many bodies at once): html5ever's
//! tokenizer, one pass, no allocation per element.

use std::cell::{Cell, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Blocks whose end ends a line of text.
fn ends_a_line(name: &str) -> bool {
    matches!(
        name,
        "p" | "h2"
            | "h3"
            | "h4"
            | "li"
            | "pre"
            | "figcaption"
            | "caption"
            | "tr"
            | "dt"
            | "dd"
            | "blockquote"
            | "figure"
            | "br"
            | "hr"
    )
}

fn tokens(html: &str, mut each: impl FnMut(&Token)) {
    struct Sink<'a>(RefCell<&'a mut dyn FnMut(&Token)>);
    impl TokenSink for Sink<'_> {
        type Handle = ();
        fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
            (self.0.borrow_mut())(&token);
            TokenSinkResult::Continue
        }
    }
    let tokenizer = Tokenizer::new(Sink(RefCell::new(&mut each)), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
}

fn attr<'t>(tag: &'t Tag, name: &str) -> Option<&'t str> {
    tag.attrs
        .iter()
        .find(|a| &*a.name.local == name)
        .map(|a| &*a.value)
}

/// The words a reader reads, a line per block; cells apart by a space.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    tokens(html, |token| match token {
        Token::CharacterTokens(text) => out.push_str(text),
        Token::TagToken(tag)
            if ends_a_line(&tag.name)
                && (tag.kind == TagKind::EndTag || matches!(&*tag.name, "br" | "hr")) =>
        {
            out.push('\n')
        }
        Token::TagToken(tag)
            if matches!(&*tag.name, "td" | "th") && tag.kind == TagKind::EndTag =>
        {
            out.push(' ')
        }
        _ => {}
    });
    out
}

/// The text of the first paragraph or heading with words in it, outside
/// figures, tables and code (their captions and cells are no opening).
pub fn first_paragraph(html: &str) -> String {
    const MAX_BYTES: usize = 8 * 1024;
    let mut end = html.len().min(MAX_BYTES);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let skipped = Cell::new(0usize);
    let mut current = String::new();
    let mut found: Option<String> = None;
    tokens(&html[..end], |token| {
        if found.is_some() {
            return;
        }
        match token {
            Token::TagToken(tag) if matches!(&*tag.name, "figure" | "table" | "pre") => {
                match tag.kind {
                    TagKind::StartTag => skipped.set(skipped.get() + 1),
                    TagKind::EndTag => skipped.set(skipped.get().saturating_sub(1)),
                }
            }
            Token::CharacterTokens(text) if skipped.get() == 0 => current.push_str(text),
            Token::TagToken(tag) if &*tag.name == "br" => current.push(' '),
            Token::TagToken(tag) if ends_a_line(&tag.name) && tag.kind == TagKind::EndTag => {
                let words = super::reading::collapse(&current);
                if !words.is_empty() {
                    found = Some(words);
                }
                current.clear();
            }
            _ => {}
        }
    });
    found.unwrap_or_else(|| super::reading::collapse(&current))
}

pub fn images_missing_alt(html: &str) -> Vec<String> {
    let mut missing = Vec::new();
    tokens(html, |token| {
        if let Token::TagToken(tag) = token
            && tag.kind == TagKind::StartTag
            && &*tag.name == "img"
            && attr(tag, "alt").is_none_or(|a| a.trim().is_empty())
        {
            missing.push(attr(tag, "src").unwrap_or("").to_string());
        }
    });
    missing
}

pub fn image_sources(html: &str) -> Vec<String> {
    let mut sources = Vec::new();
    tokens(html, |token| {
        if let Token::TagToken(tag) = token
            && tag.kind == TagKind::StartTag
            && &*tag.name == "img"
            && let Some(src) = attr(tag, "src")
        {
            sources.push(src.to_string());
        }
    });
    sources
}
