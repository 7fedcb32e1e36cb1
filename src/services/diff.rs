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
    /// "same", "removed" or "added".
    pub kind: &'static str,
    pub text: String,
}

/// Lines of context kept around each change in long text.
const CONTEXT: usize = 2;

/// The fields that differ between `before` and `after`, each given as
/// (name, before, after) in the order the editor shows them.
pub fn changes(fields: &[(&str, String, String)]) -> Vec<FieldChange> {
    fields
        .iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, before, after)| FieldChange {
            field: field.to_string(),
            lines: lines(before, after),
        })
        .collect()
}

/// The longest a field's diff may search for the smallest difference:
/// texts that share nothing make the search quadratic, and past this it
/// settles for a coarser one (still correct, less tidy).
const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(50);

fn lines(before: &str, after: &str) -> Vec<DiffLine> {
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(before, after);
    let mut out = Vec::new();
    for (i, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if i > 0 {
            out.push(DiffLine {
                kind: "gap",
                text: "…".into(),
            });
        }
        for op in group {
            for change in diff.iter_changes(op) {
                out.push(DiffLine {
                    kind: match change.tag() {
                        ChangeTag::Equal => "same",
                        ChangeTag::Delete => "removed",
                        ChangeTag::Insert => "added",
                    },
                    text: change.value().trim_end_matches(['\n', '\r']).to_string(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_fields_and_lines_are_shown() {
        let body_before = (1..=10).map(|n| format!("line {n}\n")).collect::<String>();
        let body_after = body_before.replace("line 5\n", "line five\n");
        let found = changes(&[
            ("Headline", "Same".into(), "Same".into()),
            ("Body", body_before, body_after),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "Body");
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
