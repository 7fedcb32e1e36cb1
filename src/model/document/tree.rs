//! The document as Rust sees it: the schema's nodes (see `schema.json`)
//! as plain data. Inline content is what the editor holds too: runs of text
//! (or line breaks), each with its set of marks in rank order.

use crate::model::embeds::Embed;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(Inline),
    /// Level 2 to 4 (a story's headline is the page's level 1).
    Heading(u8, Inline),
    Quote(Vec<Block>),
    PullQuote(Vec<Inline>),
    BulletList(Vec<Vec<Block>>),
    /// The number the list starts at, and its items.
    OrderedList(u32, Vec<Vec<Block>>),
    Code(String),
    Rule,
    Table(Table),
    Figure(Figure),
    Embed(Embed),
    Definitions(Vec<Definition>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Definition {
    Term(Inline),
    Detail(Inline),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub caption: String,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    pub header: bool,
    pub colspan: u32,
    pub rowspan: u32,
    pub content: Inline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Width {
    #[default]
    Text,
    Wide,
    Full,
}

impl Width {
    pub fn as_str(self) -> &'static str {
        match self {
            Width::Text => "text",
            Width::Wide => "wide",
            Width::Full => "full",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Figure {
    pub src: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: Width,
}

/// A mark, in rank order (the derived `Ord` is the schema's order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    Link(String),
    Strong,
    Em,
    Strike,
    Sub,
    Sup,
    Code,
}

impl Mark {
    /// Whether the two are the same kind of mark (a link is one, whatever
    /// its address).
    pub fn same_kind(&self, other: &Mark) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunContent {
    Text(String),
    Break,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub marks: Vec<Mark>,
    pub content: RunContent,
}

/// Inline content: whitespace collapsed as a browser shows it and as the
/// editor's parser keeps it (no space at the start, none at the end, never
/// two in a row), runs with the same marks joined.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inline(pub Vec<Run>);

fn is_collapsible(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{c}')
}

impl Inline {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the content ends in a space (or a break, or nothing): a
    /// space after it would not show.
    fn ends_in_space(&self) -> bool {
        match self.0.last() {
            None => true,
            Some(Run {
                content: RunContent::Break,
                ..
            }) => true,
            Some(Run {
                content: RunContent::Text(t),
                ..
            }) => t.ends_with(' '),
        }
    }

    pub fn push_text(&mut self, text: &str, marks: &[Mark]) {
        let mut collapsed = String::with_capacity(text.len());
        let mut in_space = false;
        for c in text.chars() {
            if is_collapsible(c) {
                in_space = true;
            } else {
                if in_space && !(collapsed.is_empty() && self.ends_in_space()) {
                    collapsed.push(' ');
                }
                in_space = false;
                collapsed.push(c);
            }
        }
        if in_space && !(collapsed.is_empty() && self.ends_in_space()) {
            collapsed.push(' ');
        }
        if collapsed.is_empty() {
            return;
        }
        if let Some(Run {
            marks: last_marks,
            content: RunContent::Text(last),
        }) = self.0.last_mut()
            && last_marks.as_slice() == marks
        {
            last.push_str(&collapsed);
            return;
        }
        self.0.push(Run {
            marks: marks.to_vec(),
            content: RunContent::Text(collapsed),
        });
    }

    /// Text kept exactly as given (a code block's, or text that is
    /// already the document's).
    pub fn push_break(&mut self, marks: &[Mark]) {
        self.0.push(Run {
            marks: marks.to_vec(),
            content: RunContent::Break,
        });
    }

    /// Drops the space the content ends with (a block's end).
    pub fn trim_end(&mut self) {
        while let Some(Run {
            content: RunContent::Text(t),
            ..
        }) = self.0.last_mut()
        {
            let kept = t.trim_end_matches(is_collapsible).len();
            t.truncate(kept);
            if !t.is_empty() {
                break;
            }
            self.0.pop();
        }
    }

    /// Whether any visible character is in it.
    pub fn has_words(&self) -> bool {
        self.0.iter().any(|r| match &r.content {
            RunContent::Text(t) => !t.trim().is_empty(),
            RunContent::Break => false,
        })
    }

    /// The text alone.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for run in &self.0 {
            match &run.content {
                RunContent::Text(t) => out.push_str(t),
                RunContent::Break => out.push('\n'),
            }
        }
        out
    }
}
