//! How deep outside markup may nest, found before anything walks it.
//!
//! HTML parsers check the stack of open elements at almost every tag, so
//! markup nested n deep costs time in n² (`> ` a hundred thousand times in a
//! Markdown body took 28 s to sanitize), and code that walks a tree by
//! recursion overflows its thread's stack (`<div>` three thousand deep).
//! Every body therefore passes `check` first: the real HTML tree builder
//! (html5ever's, the one the sanitizer uses) is fed the markup a kilobyte
//! at a time into a sink that keeps no tree, only each open element's depth,
//! and stops as soon as an element lies deeper than allowed. Every step then
//! costs at most the allowed depth, so the check is linear in the input.
//! `text_only` keeps the words of markup that failed it, tags dropped, for
//! places that must show something rather than refuse (imports, old rows).

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, LocalName, QualName, local_name, ns};

/// The deepest an element of a body may lie. Real writing nests a few
/// levels (a quote in a list item in a list), pasted page-builder HTML a few
/// dozen; a hundred keeps the worst body under the time budget.
pub const MAX_DEPTH: usize = 100;

/// Fed to the tree builder this many bytes at a time, the depth checked
/// after each: a chunk cannot hold enough tags to cost much past the limit.
const CHUNK_BYTES: usize = 1024;

/// Markup nested deeper than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    pub limit: usize,
}

impl fmt::Display for TooDeep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the text is nested more than {} levels deep (quotes, lists or HTML elements inside one another); Masthead keeps bodies to {} levels: flatten the nesting and try again",
            self.limit, self.limit
        )
    }
}

impl std::error::Error for TooDeep {}

/// Whether `html` (a fragment, as a body is) nests no deeper than `limit`.
pub fn check(html: &str, limit: usize) -> Result<(), TooDeep> {
    let deepest = Rc::new(Cell::new(0));
    let sink = DepthSink {
        deepest: deepest.clone(),
        document: Node::new(None, 0),
    };
    let mut parser = html5ever::parse_fragment(
        sink,
        Default::default(),
        QualName::new(None, ns!(html), local_name!("div")),
        vec![],
        false,
    );
    let mut rest = html;
    while !rest.is_empty() {
        let mut end = rest.len().min(CHUNK_BYTES);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        parser.process(StrTendril::from_slice(&rest[..end]));
        rest = &rest[end..];
        if deepest.get() > limit {
            return Err(TooDeep { limit });
        }
    }
    parser.finish();
    if deepest.get() > limit {
        return Err(TooDeep { limit });
    }
    Ok(())
}

/// An element as the depth sink knows it: its name (the tree builder asks
/// for it) and how deep it was placed. Nothing links nodes together, so a
/// node lives only while the tree builder holds it (its open elements and
/// formatting list): memory stays as small as the nesting allowed.
struct Node {
    name: Option<QualName>,
    depth: Cell<usize>,
    has_parent: Cell<bool>,
    contents: Option<Handle>,
}

type Handle = Rc<Node>;

impl Node {
    fn new(name: Option<QualName>, depth: usize) -> Handle {
        Rc::new(Node {
            name,
            depth: Cell::new(depth),
            has_parent: Cell::new(false),
            contents: None,
        })
    }
}

struct DepthSink {
    deepest: Rc<Cell<usize>>,
    document: Handle,
}

impl DepthSink {
    /// Puts `node` at `depth` below the document; the fragment's own root
    /// (the `html` element the tree builder makes) is at depth 1, so a
    /// body's top-level elements lie at nesting level 1 too.
    fn place(&self, node: &Handle, depth: usize) {
        node.depth.set(depth);
        node.has_parent.set(true);
        let level = depth.saturating_sub(1);
        if level > self.deepest.get() {
            self.deepest.set(level);
        }
    }
}

/// The name of a comment or processing instruction (never asked for: the
/// tree builder asks names of elements only).
static NO_NAME: std::sync::LazyLock<QualName> =
    std::sync::LazyLock::new(|| QualName::new(None, ns!(html), LocalName::from("")));

impl TreeSink for DepthSink {
    type Handle = Handle;
    type Output = ();
    type ElemName<'a> = &'a QualName;

    fn finish(self) {}

    fn parse_error(&self, _: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        self.document.clone()
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> &'a QualName {
        target.name.as_ref().unwrap_or(&NO_NAME)
    }

    fn create_element(&self, name: QualName, _: Vec<Attribute>, flags: ElementFlags) -> Handle {
        let contents = flags.template.then(|| Node::new(None, 0));
        Rc::new(Node {
            name: Some(name),
            depth: Cell::new(0),
            has_parent: Cell::new(false),
            contents,
        })
    }

    fn create_comment(&self, _: StrTendril) -> Handle {
        Node::new(None, 0)
    }

    fn create_pi(&self, _: StrTendril, _: StrTendril) -> Handle {
        Node::new(None, 0)
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        if let NodeOrText::AppendNode(node) = child {
            self.place(&node, parent.depth.get() + 1);
        }
    }

    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        if element.has_parent.get() {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &Handle) -> Handle {
        let contents = target
            .contents
            .clone()
            .unwrap_or_else(|| Node::new(None, 0));
        contents.depth.set(target.depth.get());
        contents
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        Rc::ptr_eq(x, y)
    }

    fn set_quirks_mode(&self, _: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Handle, new_node: NodeOrText<Handle>) {
        if let NodeOrText::AppendNode(node) = new_node {
            self.place(&node, sibling.depth.get());
        }
    }

    fn add_attrs_if_missing(&self, _: &Handle, _: Vec<Attribute>) {}

    fn remove_from_parent(&self, target: &Handle) {
        target.has_parent.set(false);
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        // The children are not known here; what moves under a deeper
        // parent is placed again when the tree builder appends to it.
        let _ = (node, new_parent);
    }
}

/// The words of markup, tags dropped (and what scripts and styles hold,
/// which is no text), one paragraph per block: linear whatever the nesting.
pub fn text_only(html: &str) -> String {
    let sink = TextSink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.text.take()
}

#[derive(Default)]
struct TextSink {
    text: std::cell::RefCell<String>,
    /// Inside `<script>`, `<style>` and the like: their content is no text.
    hidden: Cell<bool>,
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        use html5ever::tokenizer::states::RawKind;
        match token {
            Token::CharacterTokens(text) if !self.hidden.get() => {
                self.text.borrow_mut().push_str(&text);
            }
            Token::TagToken(tag) => {
                let hides = matches!(
                    tag.name,
                    local_name!("script")
                        | local_name!("style")
                        | local_name!("template")
                        | local_name!("textarea")
                        | local_name!("title")
                        | local_name!("xmp")
                        | local_name!("iframe")
                        | local_name!("noembed")
                        | local_name!("noframes")
                        | local_name!("noscript")
                );
                let breaks = hides
                    || matches!(
                        tag.name,
                        local_name!("p")
                            | local_name!("div")
                            | local_name!("br")
                            | local_name!("li")
                            | local_name!("blockquote")
                            | local_name!("tr")
                            | local_name!("h1")
                            | local_name!("h2")
                            | local_name!("h3")
                            | local_name!("h4")
                            | local_name!("h5")
                            | local_name!("h6")
                            | local_name!("pre")
                            | local_name!("figure")
                            | local_name!("figcaption")
                            | local_name!("section")
                            | local_name!("article")
                    );
                if breaks {
                    self.text.borrow_mut().push('\n');
                }
                if hides {
                    let opening = tag.kind == TagKind::StartTag && !tag.self_closing;
                    self.hidden.set(opening);
                    if opening {
                        return TokenSinkResult::RawData(RawKind::Rawtext);
                    }
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_markup_passes_and_deep_markup_is_found() {
        assert_eq!(check("<p>A <b>bold</b> claim.</p>", 10), Ok(()));
        assert_eq!(check(&"<div>".repeat(10), 10), Ok(()));
        assert_eq!(check(&"<div>".repeat(11), 10), Err(TooDeep { limit: 10 }));
        // Closed as it goes, nesting never grows however long the text.
        assert_eq!(
            check(&"<blockquote>a</blockquote>".repeat(10_000), 3),
            Ok(())
        );
        // Paragraphs and list items close themselves.
        assert_eq!(check(&"<p>a".repeat(1000), 3), Ok(()));
        assert_eq!(
            check(&format!("<ul>{}</ul>", "<li>a".repeat(1000)), 3),
            Ok(())
        );
        assert!(check(&"<ul><li>".repeat(60), 100).is_err());
        assert!(check(&"<b><i>".repeat(60), 100).is_err());
        assert!(check(&"<table><tr><td>".repeat(40), 100).is_err());
    }

    #[test]
    fn deep_markup_is_found_in_linear_time() {
        // Quadratic work on this would take seconds even optimized.
        let started = std::time::Instant::now();
        for deep in [
            "<div>".repeat(200_000),
            "<blockquote>".repeat(100_000),
            format!("{}{}", "<span>".repeat(99), "<b></b>".repeat(200_000)),
        ] {
            let _ = check(&deep, MAX_DEPTH);
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn text_only_keeps_the_words_and_drops_scripts() {
        let text = text_only(
            "<div><p>One <b>two</b></p><script>alert(1)</script><style>p{}</style><p>three</p></div>",
        );
        assert!(text.contains("One two"), "{text:?}");
        assert!(text.contains("three"));
        assert!(!text.contains("alert") && !text.contains("p{}"), "{text:?}");
        let deep = text_only(&format!("{}words", "<div>".repeat(100_000)));
        assert_eq!(deep.trim(), "words");
    }
}
