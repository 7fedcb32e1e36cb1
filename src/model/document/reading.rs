//! Any HTML read into the document schema: each element mapped to the
//! nearest node or mark, whatever has none (spans, divs, sections, forms)
//! dropped around its content, so no word a reader could see is lost.
//! What a browser never shows (scripts, styles, templates) is dropped
//! whole. The tree is walked by recursion: callers bound its depth first.

use super::dom::{Dom, NodeId, NodeKind, hides_its_text};
use super::tree::{Block, Cell, Definition, Figure, Inline, Mark, Table, Width};
use crate::model::embeds;

/// Where text met at block level goes: a paragraph, or a heading's level.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TextBlock {
    Paragraph,
    Heading(u8),
}

/// Collects blocks, holding the text block being filled.
struct Blocks<'d> {
    dom: &'d Dom,
    out: Vec<Block>,
    pending: Option<(TextBlock, Inline)>,
    /// What a new text block is (inside a heading, text that follows an
    /// image is still the heading).
    kind: TextBlock,
}

pub fn read(dom: &Dom) -> Vec<Block> {
    let mut blocks = Blocks::new(dom);
    for &node in dom.top() {
        blocks.node(node, &[]);
    }
    blocks.finish()
}

impl<'d> Blocks<'d> {
    fn new(dom: &'d Dom) -> Self {
        Blocks {
            dom,
            out: Vec::new(),
            pending: None,
            kind: TextBlock::Paragraph,
        }
    }

    fn finish(mut self) -> Vec<Block> {
        self.flush();
        self.out
    }

    fn flush(&mut self) {
        if let Some((kind, mut inline)) = self.pending.take() {
            inline.trim_end();
            if inline.is_empty() {
                return;
            }
            self.out.push(match kind {
                TextBlock::Paragraph => Block::Paragraph(inline),
                TextBlock::Heading(level) => Block::Heading(level, inline),
            });
        }
    }

    fn push(&mut self, block: Block) {
        self.flush();
        self.out.push(block);
    }

    fn inline(&mut self) -> &mut Inline {
        let kind = self.kind;
        &mut self
            .pending
            .get_or_insert_with(|| (kind, Inline::default()))
            .1
    }

    fn text(&mut self, text: &str, marks: &[Mark]) {
        let has_words = !text
            .trim_matches(|c: char| c.is_ascii_whitespace())
            .is_empty();
        if self.pending.is_none() && !has_words {
            return;
        }
        self.inline().push_text(text, marks);
    }

    fn node(&mut self, id: NodeId, marks: &[Mark]) {
        let dom = self.dom;
        let name = match &dom.node(id).kind {
            NodeKind::Text(text) => return self.text(text, marks),
            NodeKind::Other => return,
            NodeKind::Element { .. } => dom.name(id).unwrap_or(""),
        };
        if hides_its_text(name) {
            return;
        }
        if let Some(mark) = mark_of(dom, id, name) {
            // Links side by side with nothing between them (a file and its
            // download button) are set apart by their page's styles: a
            // space keeps their words apart here.
            if matches!(mark, Mark::Link(_)) && self.ends_in_a_link_word() {
                self.inline().push_text(" ", &[]);
            }
            let marks = with_mark(marks, mark);
            return self.children(id, &marks);
        }
        match name {
            "br" => self.inline().push_break(marks),
            "p" => {
                self.flush();
                let kind = std::mem::replace(&mut self.kind, TextBlock::Paragraph);
                self.children(id, marks);
                // An explicit paragraph is kept even when empty (the
                // editor writes one for each blank line a writer leaves).
                if self.pending.is_none() && self.dom.children(id).iter().all(|&c| self.is_blank(c))
                {
                    self.out.push(Block::Paragraph(Inline::default()));
                }
                self.flush();
                self.kind = kind;
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                let level = name[1..].parse::<u8>().unwrap_or(2).clamp(2, 4);
                let kind = std::mem::replace(&mut self.kind, TextBlock::Heading(level));
                self.children(id, marks);
                self.flush();
                self.kind = kind;
            }
            "blockquote" => {
                let inner = self.nested(id, marks);
                if dom.has_class(id, "pullquote") || dom.has_class(id, "wp-block-pullquote") {
                    let paragraphs = paragraphs_of(inner);
                    if !paragraphs.is_empty() {
                        self.push(Block::PullQuote(paragraphs));
                    }
                } else if !inner.is_empty() {
                    self.push(Block::Quote(inner));
                }
            }
            "ul" | "ol" | "menu" => {
                let items = self.items(id, marks);
                if !items.is_empty() {
                    self.push(if name == "ol" {
                        let start = dom
                            .attr(id, "start")
                            .and_then(|s| s.trim().parse::<u32>().ok())
                            .unwrap_or(1);
                        Block::OrderedList(start, items)
                    } else {
                        Block::BulletList(items)
                    });
                }
            }
            "li" => {
                // An item outside a list: a list of its own.
                let item = list_item(self.nested(id, marks));
                self.push(Block::BulletList(vec![item]));
            }
            "pre" => {
                let code = code_text(dom, id);
                self.push(Block::Code(code));
            }
            "hr" => self.push(Block::Rule),
            "table" => self.table(id, marks),
            "figure" => self.figure(id, marks),
            "img" => {
                if let Some(figure) = image(dom, id) {
                    self.push(Block::Figure(figure));
                }
            }
            "iframe" | "video" | "audio" | "embed" | "object" | "source" => self.media(id, marks),
            "dl" => self.definitions(id, marks),
            "dt" | "dd" => {
                let inline = self.inline_of(id, marks);
                self.push(Block::Definitions(vec![if name == "dt" {
                    Definition::Term(inline)
                } else {
                    Definition::Detail(inline)
                }]));
            }
            "figcaption" | "caption" => {
                // Met outside a figure or table: its words as a paragraph.
                self.flush();
                self.children(id, marks);
                self.flush();
            }
            _ if is_block_container(name) => {
                self.flush();
                self.children(id, marks);
                self.flush();
            }
            // Anything else (span, u, mark, small, abbr, font, label…):
            // its content, as if the element were not there.
            _ => self.children(id, marks),
        }
    }

    /// Whether the text so far ends in a word of a link.
    fn ends_in_a_link_word(&self) -> bool {
        let Some((_, inline)) = &self.pending else {
            return false;
        };
        matches!(
            inline.0.last(),
            Some(super::tree::Run { marks, content: super::tree::RunContent::Text(t) })
                if marks.iter().any(|m| matches!(m, Mark::Link(_)))
                    && !t.ends_with(char::is_whitespace)
        )
    }

    fn children(&mut self, id: NodeId, marks: &[Mark]) {
        for &child in self.dom.children(id) {
            self.node(child, marks);
        }
    }

    fn is_blank(&self, id: NodeId) -> bool {
        match &self.dom.node(id).kind {
            NodeKind::Text(t) => t.trim_matches(|c: char| c.is_ascii_whitespace()).is_empty(),
            NodeKind::Other => true,
            NodeKind::Element { .. } => false,
        }
    }

    /// The blocks an element holds, read on their own.
    fn nested(&mut self, id: NodeId, marks: &[Mark]) -> Vec<Block> {
        let mut inner = Blocks::new(self.dom);
        inner.children(id, marks);
        inner.finish()
    }

    /// Inline content of an element that holds only text (cells, terms):
    /// blocks inside it are joined by line breaks, images by their alt text.
    fn inline_of(&mut self, id: NodeId, marks: &[Mark]) -> Inline {
        let blocks = self.nested(id, marks);
        let mut inline = Inline::default();
        for block in blocks {
            if !inline.is_empty() {
                inline.push_break(&[]);
            }
            flatten_into(&mut inline, block);
        }
        inline.trim_end();
        inline
    }

    fn items(&mut self, list: NodeId, marks: &[Mark]) -> Vec<Vec<Block>> {
        let mut items = Vec::new();
        let mut loose = Blocks::new(self.dom);
        for &child in self.dom.children(list) {
            if self.dom.name(child) == Some("li") {
                let held = std::mem::replace(&mut loose, Blocks::new(self.dom)).finish();
                if !held.is_empty() {
                    items.push(list_item(held));
                }
                items.push(list_item(self.nested(child, marks)));
            } else {
                // Text or a nested list straight inside the list: an item.
                loose.node(child, marks);
            }
        }
        let held = loose.finish();
        if !held.is_empty() {
            items.push(list_item(held));
        }
        items
    }

    fn table(&mut self, id: NodeId, marks: &[Mark]) {
        let dom = self.dom;
        let mut table = Table::default();
        let mut rows = Vec::new();
        collect_rows(dom, id, &mut rows, &mut table.caption);
        for row in rows {
            let mut cells = Vec::new();
            for &cell in dom.children(row) {
                let name = dom.name(cell);
                if name != Some("td") && name != Some("th") {
                    continue;
                }
                let span = |attr: &str| {
                    dom.attr(cell, attr)
                        .and_then(|v| v.trim().parse::<u32>().ok())
                        .unwrap_or(1)
                        .clamp(1, 1000)
                };
                cells.push(Cell {
                    header: name == Some("th"),
                    colspan: span("colspan"),
                    rowspan: span("rowspan"),
                    content: self.inline_of(cell, marks),
                });
            }
            table.rows.push(cells);
        }
        table.caption = collapse(&table.caption);
        if table.rows.iter().all(|r| r.is_empty()) {
            // No cells: the caption's words are kept.
            if !table.caption.is_empty() {
                let mut inline = Inline::default();
                inline.push_text(&table.caption, &[]);
                self.push(Block::Paragraph(inline));
            }
            return;
        }
        table.rows.retain(|r| !r.is_empty());
        square(&mut table);
        self.push(Block::Table(table));
    }

    fn figure(&mut self, id: NodeId, marks: &[Mark]) {
        let dom = self.dom;
        if (dom.has_class(id, "embed") || dom.attr(id, "data-provider").is_some())
            && let Some(embed) = first_link(dom, id).and_then(|href| embeds::detect(&href))
        {
            return self.push(Block::Embed(embed));
        }
        let caption_node = dom
            .children(id)
            .iter()
            .copied()
            .find(|&c| dom.name(c) == Some("figcaption"));
        let (caption, credit) = caption_node
            .map(|c| caption_and_credit(dom, c))
            .unwrap_or_default();
        let contents: Vec<NodeId> = dom
            .children(id)
            .iter()
            .copied()
            .filter(|&c| Some(c) != caption_node)
            .collect();
        let holds_figures = contents.iter().any(|&c| has_descendant(dom, c, "figure"));
        let images: Vec<NodeId> = if holds_figures {
            Vec::new()
        } else {
            contents
                .iter()
                .flat_map(|&c| descendants_named(dom, c, "img"))
                .collect()
        };
        if let [first, rest @ ..] = images.as_slice()
            && let Some(mut figure) = image(dom, *first)
        {
            figure.caption = caption;
            figure.credit = credit;
            figure.width = width_of(dom, id).unwrap_or(figure.width);
            self.push(Block::Figure(figure));
            for &more in rest {
                if let Some(figure) = image(dom, more) {
                    self.push(Block::Figure(figure));
                }
            }
            // Words beside the image (a gallery's titles) are kept.
            for &c in &contents {
                if !has_descendant(dom, c, "img") && dom.name(c).is_some() {
                    self.flush();
                    self.node(c, marks);
                    self.flush();
                } else if dom.name(c).is_none() {
                    self.node(c, marks);
                }
            }
            self.flush();
            return;
        }
        // A figure of something else (a table, a quote, a gallery of
        // figures): its contents, the caption after them.
        let before = self.out.len();
        self.flush();
        for &c in &contents {
            self.node(c, marks);
        }
        self.flush();
        let joined = [caption, credit]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if joined.is_empty() {
            return;
        }
        if self.out.len() == before + 1
            && let Some(Block::Table(table)) = self.out.last_mut()
            && table.caption.is_empty()
        {
            table.caption = joined;
            return;
        }
        let mut inline = Inline::default();
        inline.push_text(&joined, &[]);
        self.push(Block::Paragraph(inline));
    }

    /// A player or a media file: a card when it is a video site's,
    /// otherwise a link to it; its fallback words are kept.
    fn media(&mut self, id: NodeId, marks: &[Mark]) {
        let dom = self.dom;
        let src = dom
            .attr(id, "src")
            .or_else(|| dom.attr(id, "data"))
            .map(str::trim)
            .unwrap_or("");
        if let Some(embed) = embeds::from_player(src).or_else(|| embeds::detect(src)) {
            self.push(Block::Embed(embed));
        } else if let Some(href) = safe_href(src)
            && !src.is_empty()
        {
            self.flush();
            let mut inline = Inline::default();
            inline.push_text(src, &[Mark::Link(href)]);
            self.out.push(Block::Paragraph(inline));
        }
        if dom.name(id) != Some("iframe") {
            self.children(id, marks);
        }
    }

    fn definitions(&mut self, id: NodeId, marks: &[Mark]) {
        let mut items = Vec::new();
        let mut stack: Vec<NodeId> = self.dom.children(id).iter().rev().copied().collect();
        while let Some(child) = stack.pop() {
            match self.dom.name(child) {
                Some("dt") => items.push(Definition::Term(self.inline_of(child, marks))),
                Some("dd") => items.push(Definition::Detail(self.inline_of(child, marks))),
                // HTML lets a div group a term with its details.
                Some("div") => stack.extend(self.dom.children(child).iter().rev()),
                _ => {
                    let mut inline = Inline::default();
                    let mut loose = Blocks::new(self.dom);
                    loose.node(child, marks);
                    for block in loose.finish() {
                        flatten_into(&mut inline, block);
                    }
                    inline.trim_end();
                    if inline.has_words() {
                        items.push(Definition::Detail(inline));
                    }
                }
            }
        }
        if !items.is_empty() {
            self.push(Block::Definitions(items));
        }
    }
}

/// Elements that stand as blocks of their own but have no node: their
/// content is read in their place, apart from the text around them.
fn is_block_container(name: &str) -> bool {
    matches!(
        name,
        "div"
            | "section"
            | "article"
            | "aside"
            | "header"
            | "footer"
            | "main"
            | "nav"
            | "address"
            | "center"
            | "details"
            | "summary"
            | "fieldset"
            | "form"
            | "hgroup"
            | "body"
            | "html"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "legend"
            | "picture"
            | "noframes"
    )
}

/// The mark an element stands for, if any. A bold that says it is not
/// bold (Google Docs wraps whole documents in one) is no mark.
fn mark_of(dom: &Dom, id: NodeId, name: &str) -> Option<Mark> {
    let style = dom.attr(id, "style").unwrap_or("").to_ascii_lowercase();
    let says = |property: &str, values: &[&str]| {
        style.split(';').any(|decl| {
            decl.split_once(':')
                .is_some_and(|(p, v)| p.trim() == property && values.contains(&v.trim()))
        })
    };
    match name {
        "a" => dom.attr(id, "href").and_then(safe_href).map(Mark::Link),
        "strong" | "b" if !says("font-weight", &["normal", "400"]) => Some(Mark::Strong),
        "em" | "i" | "cite" | "var" if !says("font-style", &["normal"]) => Some(Mark::Em),
        "s" | "del" | "strike" => Some(Mark::Strike),
        "sub" => Some(Mark::Sub),
        "sup" => Some(Mark::Sup),
        "code" | "kbd" | "samp" | "tt" => Some(Mark::Code),
        "span"
            if says(
                "font-weight",
                &["bold", "bolder", "600", "700", "800", "900"],
            ) =>
        {
            Some(Mark::Strong)
        }
        "span" if says("font-style", &["italic"]) => Some(Mark::Em),
        _ => None,
    }
}

/// The marks with one more: a link replaces a link, a mark already held
/// changes nothing, and the set stays in rank order.
fn with_mark(marks: &[Mark], mark: Mark) -> Vec<Mark> {
    let mut out: Vec<Mark> = marks
        .iter()
        .filter(|m| !m.same_kind(&mark))
        .cloned()
        .collect();
    out.push(mark);
    out.sort();
    out
}

/// An address a link or an image may point to: the web, mail and phone
/// (or the site itself), never a script. Whitespace around it is dropped.
pub fn safe_href(href: &str) -> Option<String> {
    let href = href.trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
    if href.is_empty() {
        return None;
    }
    match url::Url::parse(href) {
        Ok(url) => ["http", "https", "mailto", "tel"]
            .contains(&url.scheme())
            .then(|| href.to_string()),
        Err(url::ParseError::RelativeUrlWithoutBase) => Some(href.to_string()),
        Err(_) => None,
    }
}

fn image(dom: &Dom, id: NodeId) -> Option<Figure> {
    let src = dom
        .attr(id, "src")
        .or_else(|| dom.attr(id, "data-src"))
        .and_then(safe_href)?;
    if src.starts_with("data:") {
        return None;
    }
    Some(Figure {
        src,
        alt: collapse(dom.attr(id, "alt").unwrap_or("")),
        width: width_of(dom, id).unwrap_or_default(),
        ..Figure::default()
    })
}

/// A figure's width from the markers the editor, WordPress and Ghost use.
fn width_of(dom: &Dom, id: NodeId) -> Option<Width> {
    match dom.attr(id, "data-width") {
        Some("wide") => return Some(Width::Wide),
        Some("full") => return Some(Width::Full),
        Some("text") => return Some(Width::Text),
        _ => {}
    }
    if ["alignwide", "kg-width-wide"]
        .iter()
        .any(|c| dom.has_class(id, c))
    {
        Some(Width::Wide)
    } else if ["alignfull", "kg-width-full"]
        .iter()
        .any(|c| dom.has_class(id, c))
    {
        Some(Width::Full)
    } else {
        None
    }
}

/// A caption's words and its credit (the `.credit` the editor writes, or
/// the `<small>`/`<cite>` others use), whitespace collapsed.
fn caption_and_credit(dom: &Dom, caption: NodeId) -> (String, String) {
    let mut words = String::new();
    let mut credit = String::new();
    let mut stack = vec![caption];
    while let Some(at) = stack.pop() {
        match &dom.node(at).kind {
            NodeKind::Text(t) => words.push_str(t),
            NodeKind::Element { .. } => {
                let name = dom.name(at).unwrap_or("");
                if hides_its_text(name) {
                    continue;
                }
                if at != caption
                    && (dom.has_class(at, "credit") || name == "small" || name == "cite")
                {
                    if !credit.is_empty() {
                        credit.push(' ');
                    }
                    credit.push_str(&dom.text(at));
                    continue;
                }
                if name == "br" {
                    words.push(' ');
                }
                stack.extend(dom.children(at).iter().rev());
            }
            NodeKind::Other => {}
        }
    }
    (collapse(&words), collapse(&credit))
}

/// Whitespace runs as one space, none at either end.
pub fn collapse(text: &str) -> String {
    text.split([' ', '\t', '\r', '\n', '\u{c}'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn code_text(dom: &Dom, id: NodeId) -> String {
    let mut out = String::new();
    let mut stack = vec![id];
    while let Some(at) = stack.pop() {
        match &dom.node(at).kind {
            NodeKind::Text(t) => out.push_str(t),
            NodeKind::Element { .. } => {
                let name = dom.name(at).unwrap_or("");
                if name == "br" {
                    out.push('\n');
                } else if !hides_its_text(name) {
                    stack.extend(dom.children(at).iter().rev());
                }
            }
            NodeKind::Other => {}
        }
    }
    // The editor keeps no line end at a block's end.
    let kept = out.trim_end_matches('\n').len();
    out.truncate(kept);
    out.replace("\r\n", "\n")
}

fn first_link(dom: &Dom, id: NodeId) -> Option<String> {
    descendants_named(dom, id, "a")
        .into_iter()
        .find_map(|a| dom.attr(a, "href").map(|h| h.trim().to_string()))
}

fn descendants_named(dom: &Dom, id: NodeId, name: &str) -> Vec<NodeId> {
    let mut found = Vec::new();
    let mut stack = vec![id];
    while let Some(at) = stack.pop() {
        if dom.name(at) == Some(name) {
            found.push(at);
        }
        stack.extend(dom.children(at).iter().rev());
    }
    found
}

fn has_descendant(dom: &Dom, id: NodeId, name: &str) -> bool {
    !descendants_named(dom, id, name).is_empty()
}

/// A table's rows in order (a head's, the bodies', a foot's), and its caption.
fn collect_rows(dom: &Dom, id: NodeId, rows: &mut Vec<NodeId>, caption: &mut String) {
    for &child in dom.children(id) {
        match dom.name(child) {
            Some("tr") => rows.push(child),
            Some("thead" | "tbody" | "tfoot") => collect_rows(dom, child, rows, caption),
            Some("caption") => {
                caption.push(' ');
                caption.push_str(&dom.text(child));
            }
            _ => {}
        }
    }
}

/// The most grid cells a table's spans may cover, and the largest grid
/// padded square: a few hundred bytes of spans (`rowspan=1000
/// colspan=1000`) or a wide row over many short ones must not become
/// hundreds of megabytes. Real tables stay far below.
const MAX_GRID_CELLS: usize = 20_000;

/// Rows padded with empty cells to the widest (spans counted), as the
/// editor's table plugin would pad them the first time it is touched.
/// Spans past the grid's budget are dropped (their cell kept); a grid too
/// large to pad keeps its rows as written.
fn square(table: &mut Table) {
    let rows = table.rows.len();
    let mut taken: Vec<Vec<bool>> = vec![Vec::new(); rows];
    let mut spanned = 0usize;
    for (r, row) in table.rows.iter_mut().enumerate() {
        let mut col = 0;
        for cell in row.iter_mut() {
            cell.rowspan = cell.rowspan.min((rows - r) as u32);
            let area = cell.rowspan as usize * cell.colspan as usize;
            if area > 1 {
                if spanned + area > MAX_GRID_CELLS {
                    cell.rowspan = 1;
                    cell.colspan = 1;
                } else {
                    spanned += area;
                }
            }
            while taken[r].get(col).copied().unwrap_or(false) {
                col += 1;
            }
            for dr in 0..cell.rowspan as usize {
                for dc in 0..cell.colspan as usize {
                    let line = &mut taken[r + dr];
                    if line.len() <= col + dc {
                        line.resize(col + dc + 1, false);
                    }
                    line[col + dc] = true;
                }
            }
            col += cell.colspan as usize;
        }
    }
    let width = taken.iter().map(Vec::len).max().unwrap_or(0);
    if rows.saturating_mul(width) > MAX_GRID_CELLS {
        return;
    }
    for (r, row) in table.rows.iter_mut().enumerate() {
        let free = taken[r].iter().filter(|t| !**t).count() + (width - taken[r].len());
        for _ in 0..free {
            row.push(Cell {
                header: false,
                colspan: 1,
                rowspan: 1,
                content: Inline::default(),
            });
        }
    }
}

/// A list item starts with a paragraph (an empty one when it opens with a
/// nested list), as the editor's schema has it.
fn list_item(mut blocks: Vec<Block>) -> Vec<Block> {
    if !matches!(blocks.first(), Some(Block::Paragraph(_))) {
        blocks.insert(0, Block::Paragraph(Inline::default()));
    }
    blocks
}

/// A pull quote holds paragraphs: any other block gives its words.
fn paragraphs_of(blocks: Vec<Block>) -> Vec<Inline> {
    let mut out = Vec::new();
    for block in blocks {
        match block {
            Block::Paragraph(p) | Block::Heading(_, p) => out.push(p),
            other => {
                let mut inline = Inline::default();
                flatten_into(&mut inline, other);
                inline.trim_end();
                if inline.has_words() {
                    out.push(inline);
                }
            }
        }
    }
    out
}

/// A block's words added to inline content (for places that hold text
/// only), keeping the marks of text that had them.
fn flatten_into(inline: &mut Inline, block: Block) {
    let add = |content: &Inline, inline: &mut Inline| {
        for run in &content.0 {
            match &run.content {
                super::tree::RunContent::Text(t) => inline.push_text(t, &run.marks),
                super::tree::RunContent::Break => inline.push_break(&run.marks),
            }
        }
    };
    match block {
        Block::Paragraph(p) | Block::Heading(_, p) => add(&p, inline),
        Block::PullQuote(ps) => {
            for p in ps {
                add(&p, inline);
                inline.push_text(" ", &[]);
            }
        }
        Block::Quote(bs) => bs.into_iter().for_each(|b| {
            flatten_into(inline, b);
            inline.push_text(" ", &[]);
        }),
        Block::BulletList(items) | Block::OrderedList(_, items) => {
            for item in items {
                for b in item {
                    flatten_into(inline, b);
                    inline.push_text(" ", &[]);
                }
            }
        }
        Block::Code(text) => inline.push_text(&text, &[Mark::Code]),
        Block::Rule => {}
        Block::Table(table) => {
            if !table.caption.is_empty() {
                inline.push_text(&table.caption, &[]);
                inline.push_text(" ", &[]);
            }
            for row in table.rows {
                for cell in row {
                    add(&cell.content, inline);
                    inline.push_text(" ", &[]);
                }
            }
        }
        Block::Figure(f) => {
            for words in [f.alt, f.caption, f.credit] {
                if !words.is_empty() {
                    inline.push_text(&words, &[]);
                    inline.push_text(" ", &[]);
                }
            }
        }
        Block::Embed(e) => inline.push_text(&e.url, &[Mark::Link(e.url.clone())]),
        Block::Definitions(items) => {
            for item in items {
                match item {
                    Definition::Term(i) | Definition::Detail(i) => add(&i, inline),
                }
                inline.push_text(" ", &[]);
            }
        }
    }
}
