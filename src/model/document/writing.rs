//! The document as its canonical HTML: exactly the markup the editor's
//! serializer writes for the same document (marks opened outermost-first
//! in rank order and kept open across runs that share them, attributes in
//! the schema's order and only when not at their default, the escaping of
//! `editor/src/html.js`), so a body saved from the editor is stored as sent.

use super::tree::{Block, Cell, Definition, Figure, Inline, Mark, RunContent, Table, Width};

pub fn write(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        write_block(&mut out, block);
    }
    out
}

fn write_block(out: &mut String, block: &Block) {
    match block {
        Block::Paragraph(inline) => element(out, "p", &[], |out| write_inline(out, inline)),
        Block::Heading(level, inline) => {
            let tag = match level {
                2 => "h2",
                3 => "h3",
                _ => "h4",
            };
            element(out, tag, &[], |out| write_inline(out, inline))
        }
        Block::Quote(blocks) => element(out, "blockquote", &[], |out| {
            blocks.iter().for_each(|b| write_block(out, b))
        }),
        Block::PullQuote(paragraphs) => {
            element(out, "blockquote", &[("class", "pullquote")], |out| {
                for p in paragraphs {
                    element(out, "p", &[], |out| write_inline(out, p));
                }
            })
        }
        Block::BulletList(items) => element(out, "ul", &[], |out| write_items(out, items)),
        Block::OrderedList(start, items) => {
            let start = start.to_string();
            let attrs: &[(&str, &str)] = if start == "1" {
                &[]
            } else {
                &[("start", &start)]
            };
            element(out, "ol", attrs, |out| write_items(out, items))
        }
        Block::Code(text) => element(out, "pre", &[], |out| {
            element(out, "code", &[], |out| escape_text(out, text))
        }),
        Block::Rule => out.push_str("<hr>"),
        Block::Table(table) => write_table(out, table),
        Block::Figure(figure) => write_figure(out, figure),
        Block::Embed(embed) => out.push_str(&embed.card()),
        Block::Definitions(items) => element(out, "dl", &[], |out| {
            for item in items {
                match item {
                    Definition::Term(i) => element(out, "dt", &[], |out| write_inline(out, i)),
                    Definition::Detail(i) => element(out, "dd", &[], |out| write_inline(out, i)),
                }
            }
        }),
    }
}

fn write_items(out: &mut String, items: &[Vec<Block>]) {
    for item in items {
        element(out, "li", &[], |out| {
            item.iter().for_each(|b| write_block(out, b))
        });
    }
}

fn write_table(out: &mut String, table: &Table) {
    element(out, "table", &[], |out| {
        if !table.caption.is_empty() {
            element(out, "caption", &[], |out| escape_text(out, &table.caption));
        }
        element(out, "tbody", &[], |out| {
            for row in &table.rows {
                element(out, "tr", &[], |out| {
                    for cell in row {
                        write_cell(out, cell);
                    }
                });
            }
        });
    });
}

fn write_cell(out: &mut String, cell: &Cell) {
    let colspan = cell.colspan.to_string();
    let rowspan = cell.rowspan.to_string();
    let mut attrs: Vec<(&str, &str)> = Vec::new();
    if cell.colspan != 1 {
        attrs.push(("colspan", &colspan));
    }
    if cell.rowspan != 1 {
        attrs.push(("rowspan", &rowspan));
    }
    let tag = if cell.header { "th" } else { "td" };
    element(out, tag, &attrs, |out| write_inline(out, &cell.content));
}

fn write_figure(out: &mut String, figure: &Figure) {
    let mut attrs = vec![("class", "image")];
    if figure.width != Width::Text {
        attrs.push(("data-width", figure.width.as_str()));
    }
    element(out, "figure", &attrs, |out| {
        out.push_str("<img");
        attribute(out, "src", &figure.src);
        attribute(out, "alt", &figure.alt);
        attribute(out, "loading", "lazy");
        out.push('>');
        if !figure.caption.is_empty() || !figure.credit.is_empty() {
            element(out, "figcaption", &[], |out| {
                escape_text(out, &figure.caption);
                if !figure.credit.is_empty() {
                    element(out, "small", &[("class", "credit")], |out| {
                        escape_text(out, &figure.credit)
                    });
                }
            });
        }
    });
}

/// Inline content: each run's marks compared with those open, the ones
/// that differ closed (with all opened after them) and the new ones opened.
fn write_inline(out: &mut String, inline: &Inline) {
    let mut open: Vec<&Mark> = Vec::new();
    for run in &inline.0 {
        let keep = open
            .iter()
            .zip(&run.marks)
            .take_while(|(a, b)| **a == *b)
            .count();
        while open.len() > keep {
            let mark = open.pop().expect("open mark");
            out.push_str("</");
            out.push_str(mark_tag(mark));
            out.push('>');
        }
        for mark in &run.marks[keep..] {
            out.push('<');
            out.push_str(mark_tag(mark));
            if let Mark::Link(href) = mark {
                attribute(out, "href", href);
            }
            out.push('>');
            open.push(mark);
        }
        match &run.content {
            RunContent::Text(text) => escape_text(out, text),
            RunContent::Break => out.push_str("<br>"),
        }
    }
    while let Some(mark) = open.pop() {
        out.push_str("</");
        out.push_str(mark_tag(mark));
        out.push('>');
    }
}

fn mark_tag(mark: &Mark) -> &'static str {
    match mark {
        Mark::Link(_) => "a",
        Mark::Strong => "strong",
        Mark::Em => "em",
        Mark::Strike => "s",
        Mark::Sub => "sub",
        Mark::Sup => "sup",
        Mark::Code => "code",
    }
}

fn element(out: &mut String, tag: &str, attrs: &[(&str, &str)], content: impl FnOnce(&mut String)) {
    out.push('<');
    out.push_str(tag);
    for (name, value) in attrs {
        attribute(out, name, value);
    }
    out.push('>');
    content(out);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn attribute(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_attribute(out, value);
    out.push('"');
}

/// An attribute's value escaped as the editor's serializer escapes it.
pub fn escape_attribute(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}

pub fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
}
