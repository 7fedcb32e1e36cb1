//! Readable differences between two versions of a piece: which fields
//! changed and, for long text, which lines.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

/// One field as two versions have it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldChange {
    /// How the desk names the field.
    pub field: String,
    /// The field's text, line by line, marked as kept, removed or added.
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DiffLine {
    /// "same", "removed", "added", "gap", or "changed" (a line edited in
    /// place: its words say what changed).
    pub kind: &'static str,
    pub text: String,
    /// For a changed line, its words: kept, removed or added.
    pub words: Vec<WordChange>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WordChange {
    /// "same", "removed" or "added".
    pub kind: &'static str,
    pub text: String,
}

/// Lines of context kept around each change in long text.
const CONTEXT: usize = 2;

/// A field as two versions have it: text compared by lines, or a body
/// (a document's HTML) compared by blocks and words.
pub enum Compared {
    Text(String, String),
    Document(String, String),
}

/// The fields that differ between two versions, each named, in the order
/// the editor shows them.
pub fn changes(fields: &[(&str, Compared)]) -> Vec<FieldChange> {
    fields
        .iter()
        .filter_map(|(field, compared)| match compared {
            Compared::Text(before, after) => (before != after).then(|| FieldChange {
                field: field.to_string(),
                lines: lines(before, after),
            }),
            Compared::Document(before, after) => document_change(field, before, after),
        })
        .collect()
}

/// The longest a field's diff may search for the smallest difference:
/// texts that share nothing make the search quadratic, and past this it
/// settles for a coarser one (still correct, less tidy).
const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(50);

/// A body's change, block by block (`Document::outline`), a block edited
/// in place shown by its words: changing "80" to "84" marks one word, not
/// the paragraph. None when the documents read the same.
pub fn document_change(field: &str, before: &str, after: &str) -> Option<FieldChange> {
    use crate::model::Document;
    if before == after {
        return None;
    }
    let before = Document::from_html(before).outline();
    let after = Document::from_html(after).outline();
    if before == after {
        return None;
    }
    let before: Vec<&str> = before.iter().map(String::as_str).collect();
    let after: Vec<&str> = after.iter().map(String::as_str).collect();
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_slices(&before, &after);
    let mut out = Vec::new();
    for (i, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if i > 0 {
            out.push(line("gap", "…"));
        }
        for op in group {
            match *op {
                similar::DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    let paired = old_len.min(new_len);
                    for k in 0..paired {
                        out.push(changed_line(before[old_index + k], after[new_index + k]));
                    }
                    for text in &before[old_index + paired..old_index + old_len] {
                        out.push(line("removed", text));
                    }
                    for text in &after[new_index + paired..new_index + new_len] {
                        out.push(line("added", text));
                    }
                }
                _ => {
                    for change in op.iter_changes(&before, &after) {
                        let kind = match change.tag() {
                            ChangeTag::Equal => "same",
                            ChangeTag::Delete => "removed",
                            ChangeTag::Insert => "added",
                        };
                        out.push(line(kind, change.value()));
                    }
                }
            }
        }
    }
    Some(FieldChange {
        field: field.to_string(),
        lines: out,
    })
}

fn line(kind: &'static str, text: &str) -> DiffLine {
    DiffLine {
        kind,
        text: text.to_string(),
        words: Vec::new(),
    }
}

/// One block as edited: its words kept, removed and added, in order.
fn changed_line(before: &str, after: &str) -> DiffLine {
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_words(before, after);
    let changes: Vec<_> = diff.iter_all_changes().collect();
    let mut words: Vec<WordChange> = Vec::new();
    // A sentence rewritten reads as one removal and one addition, not as
    // word pairs interleaved: the spaces between changed words join them.
    let (mut removed, mut added) = (String::new(), String::new());
    for (i, change) in changes.iter().enumerate() {
        let text = change.value();
        let joins = change.tag() == ChangeTag::Equal
            && text.trim().is_empty()
            && !(removed.is_empty() && added.is_empty())
            && changes
                .get(i + 1)
                .is_some_and(|next| next.tag() != ChangeTag::Equal);
        match change.tag() {
            ChangeTag::Delete => removed.push_str(text),
            ChangeTag::Insert => added.push_str(text),
            ChangeTag::Equal if joins => {
                removed.push_str(text);
                added.push_str(text);
            }
            ChangeTag::Equal => {
                push_word(&mut words, "removed", std::mem::take(&mut removed));
                push_word(&mut words, "added", std::mem::take(&mut added));
                push_word(&mut words, "same", text.to_string());
            }
        }
    }
    push_word(&mut words, "removed", removed);
    push_word(&mut words, "added", added);
    DiffLine {
        kind: "changed",
        text: after.to_string(),
        words,
    }
}

fn push_word(words: &mut Vec<WordChange>, kind: &'static str, text: String) {
    if text.is_empty() {
        return;
    }
    match words.last_mut() {
        Some(last) if last.kind == kind => last.text.push_str(&text),
        _ => words.push(WordChange { kind, text }),
    }
}

fn lines(before: &str, after: &str) -> Vec<DiffLine> {
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(before, after);
    let mut out = Vec::new();
    for (i, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if i > 0 {
            out.push(line("gap", "…"));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let kind = match change.tag() {
                    ChangeTag::Equal => "same",
                    ChangeTag::Delete => "removed",
                    ChangeTag::Insert => "added",
                };
                out.push(line(kind, change.value().trim_end_matches(['\n', '\r'])));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_compared_by_its_words_and_its_structure() {
        let before = "<p>The levy rose by 80 euros.</p><p>Unchanged.</p>";
        let after = "<p>The levy rose by 84 euros.</p><p>Unchanged.</p><figure class=\"image\"><img src=\"/media/a.jpg\" alt=\"A quay\"></figure>";
        let change = document_change("Body", before, after).unwrap();
        let changed = &change.lines[0];
        assert_eq!(changed.kind, "changed");
        let marked: Vec<(&str, &str)> = changed
            .words
            .iter()
            .map(|w| (w.kind, w.text.as_str()))
            .collect();
        assert_eq!(
            marked,
            [
                ("same", "The levy rose by "),
                ("removed", "80"),
                ("added", "84"),
                ("same", " euros.")
            ]
        );
        assert_eq!(change.lines[1].kind, "same");
        assert_eq!(change.lines[2].kind, "added");
        assert!(
            change.lines[2].text.starts_with("Image: /media/a.jpg"),
            "{:?}",
            change.lines[2]
        );
        let heading = document_change("Body", "<p>Title</p>", "<h2>Title</h2>").unwrap();
        assert_eq!(
            heading.lines[0]
                .words
                .iter()
                .filter(|w| w.kind == "added")
                .map(|w| w.text.as_str())
                .collect::<String>(),
            "Heading 1: "
        );
        assert!(document_change("Body", "<p>Same</p>", "<p>Same </p>").is_none());
        // A rewritten sentence: one removal, one addition.
        let rewritten = document_change(
            "Body",
            "<p>Two crossings a day. Harbour office.</p>",
            "<p>Two crossings a day. Fares stay the same.</p>",
        )
        .unwrap();
        let marked: Vec<(&str, &str)> = rewritten.lines[0]
            .words
            .iter()
            .map(|w| (w.kind, w.text.as_str()))
            .collect();
        assert_eq!(
            marked,
            [
                ("same", "Two crossings a day. "),
                ("removed", "Harbour office."),
                ("added", "Fares stay the same.")
            ]
        );
    }

    #[test]
    fn only_changed_fields_and_lines_are_shown() {
        let body_before = (1..=10).map(|n| format!("line {n}\n")).collect::<String>();
        let body_after = body_before.replace("line 5\n", "line five\n");
        let found = changes(&[
            ("Headline", Compared::Text("Same".into(), "Same".into())),
            ("Notes", Compared::Text(body_before, body_after)),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "Notes");
        let kinds: Vec<(&str, &str)> = found[0]
            .lines
            .iter()
            .map(|l| (l.kind, l.text.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("same", "line 3"),
                ("same", "line 4"),
                ("removed", "line 5"),
                ("added", "line five"),
                ("same", "line 6"),
                ("same", "line 7"),
            ]
        );
    }
}
