//! The time budget of a body (issue 19, item 2): any body a person may
//! send is read into the document schema, or refused, in under 100 ms on
//! this machine. Each shape an attacker or a real archive can send is built
//! at 512 KB and read as the desk and the Admin API read HTML
//! (`Document::from_html_checked`: the size and nesting checks, the tree,
//! the schema) and as Markdown is read (`markdown::to_document_checked`).
//! Imports read with `Document::from_html` (which keeps the words of what
//! is too deep, at any size): shown for reference, outside the budget.
//!
//!   cargo bench --bench bodies
//!
//! Prints the slowest of five runs of each against the budget, and exits
//! with an error if a request's render is over.

use std::time::{Duration, Instant};

use masthead::model::Document;
use masthead::model::document::markdown::{
    MAX_MARKDOWN_BYTES as MAX_BODY_BYTES, to_document_checked,
};
use masthead::model::nesting::MAX_DEPTH;

const BUDGET: Duration = Duration::from_millis(100);

/// `unit` repeated up to the body limit (at least once).
fn filled(unit: &str) -> String {
    let mut body = unit.repeat((MAX_BODY_BYTES / unit.len()).max(1));
    let mut end = body.len().min(MAX_BODY_BYTES);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body.truncate(end);
    body
}

fn slowest(runs: usize, mut work: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .max()
        .unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let deepest = MAX_DEPTH - 1;
    let bodies: Vec<(&str, String)> = vec![
        (
            "prose with emphasis and links",
            filled(
                "The council met on Tuesday to discuss the *harbour* levy and the [budget](https://example.org).\n\n",
            ),
        ),
        ("`> ` quotes, nested past the limit", filled("> ")),
        ("`- ` lists, nested past the limit", filled("- ")),
        ("`1. ` lists, nested past the limit", filled("1. ")),
        (
            "quotes opened and closed at the limit",
            filled(&format!("{}x\n\nx\n\n", "> ".repeat(deepest))),
        ),
        ("<div> nested past the limit", filled("<div>")),
        (
            "<div> to the limit and back, repeatedly",
            filled(&format!(
                "{}x{}",
                "<div>".repeat(deepest),
                "</div>".repeat(deepest)
            )),
        ),
        ("<b><i> nested past the limit", filled("<b><i>")),
        (
            "wide legal HTML",
            filled("<div><p>Paragraph with <b>bold</b> and <i>italic</i> words.</p></div>\n"),
        ),
        (
            "tables, rows and cells",
            filled("<table><tr><td>a</td><td>b</td></tr></table>\n"),
        ),
        ("brackets and emphasis", filled("[*a _b `c")),
    ];
    let mut over = Vec::new();
    println!(
        "{:<44} {:>9} {:>11} {:>10}   answer to HTML",
        "body (512 KB)", "as HTML", "as Markdown", "import*"
    );
    for (name, body) in &bodies {
        let mut answer = String::new();
        let desk = slowest(5, || {
            answer = match Document::from_html_checked(body) {
                Ok(doc) => format!("read, {} KB", doc.as_str().len() / 1024),
                Err(e) => format!("refused: {}", e.to_string().split(':').next().unwrap_or("")),
            };
        });
        let api = slowest(5, || {
            let _ = to_document_checked(body);
        });
        let import = slowest(3, || {
            let _ = Document::from_html(body);
        });
        println!(
            "{name:<44} {:>9} {:>11} {:>10}   {answer}",
            ms(desk),
            ms(api),
            ms(import)
        );
        for (path, took) in [("as HTML", desk), ("as Markdown", api)] {
            if took >= BUDGET {
                over.push(format!("{name} ({path}): {}", ms(took)));
            }
        }
    }
    println!("(* imports are no request: outside the budget, shown for reference)");
    if over.is_empty() {
        println!("every body a person may send renders within the {BUDGET:?} budget");
    } else {
        eprintln!("over the {BUDGET:?} budget:\n  {}", over.join("\n  "));
        std::process::exit(1);
    }
}
