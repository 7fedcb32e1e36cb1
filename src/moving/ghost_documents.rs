//! Ghost's editor documents as HTML for the document reader: Lexical
//! (Ghost 5 and 6; exports may carry only that) and Mobiledoc (Ghost 1 to
//! 4). Sections, lists, marks and links become their HTML; each card
//! becomes the nearest schema element or, where none fits, its visible
//! words and links. The JSON is parsed by serde_json, whose recursion
//! limit bounds how deep a document may nest.

use serde_json::Value;

use crate::model::text::html_escape;

/// A Lexical document (`{"root": {...}}`) as HTML.
pub fn lexical_html(json: &str) -> Result<String, String> {
    let root: Value =
        serde_json::from_str(json).map_err(|e| format!("the lexical document is not JSON: {e}"))?;
    let root = root.get("root").ok_or("the lexical document has no root")?;
    let mut out = String::new();
    lexical_children(root, &mut out);
    Ok(out)
}

fn str_of<'v>(node: &'v Value, key: &str) -> &'v str {
    node.get(key).and_then(Value::as_str).unwrap_or("")
}

fn lexical_children(node: &Value, out: &mut String) {
    if let Some(children) = node.get("children").and_then(Value::as_array) {
        for child in children {
            lexical_node(child, out);
        }
    }
}

/// Lexical's text format bits, outermost first, as tags.
const FORMATS: [(u64, &str); 7] = [
    (1, "strong"),
    (2, "em"),
    (4, "s"),
    (8, "u"),
    (16, "code"),
    (32, "sub"),
    (64, "sup"),
];

fn lexical_node(node: &Value, out: &mut String) {
    let wrap = |tag: &str, out: &mut String| {
        out.push_str(&format!("<{tag}>"));
        lexical_children(node, out);
        out.push_str(&format!("</{tag}>"));
    };
    match str_of(node, "type") {
        "paragraph" => wrap("p", out),
        "heading" | "extended-heading" => {
            let tag = match str_of(node, "tag") {
                t @ ("h1" | "h2" | "h3" | "h4" | "h5" | "h6") => t,
                _ => "h2",
            };
            wrap(tag, out)
        }
        "quote" | "extended-quote" => wrap("blockquote", out),
        "aside" => {
            out.push_str("<blockquote class=\"pullquote\">");
            lexical_children(node, out);
            out.push_str("</blockquote>");
        }
        "list" => {
            let ordered = str_of(node, "listType") == "number";
            let start = node.get("start").and_then(Value::as_u64).unwrap_or(1);
            if ordered && start != 1 {
                out.push_str(&format!("<ol start=\"{start}\">"));
            } else {
                out.push_str(if ordered { "<ol>" } else { "<ul>" });
            }
            lexical_children(node, out);
            out.push_str(if ordered { "</ol>" } else { "</ul>" });
        }
        "listitem" => wrap("li", out),
        "text" | "extended-text" => {
            let format = node.get("format").and_then(Value::as_u64).unwrap_or(0);
            let tags: Vec<&str> = FORMATS
                .iter()
                .filter(|(bit, _)| format & bit != 0)
                .map(|(_, tag)| *tag)
                .collect();
            for tag in &tags {
                out.push_str(&format!("<{tag}>"));
            }
            out.push_str(&html_escape(str_of(node, "text")));
            for tag in tags.iter().rev() {
                out.push_str(&format!("</{tag}>"));
            }
        }
        "link" | "autolink" => {
            out.push_str(&format!(
                "<a href=\"{}\">",
                html_escape(str_of(node, "url"))
            ));
            lexical_children(node, out);
            out.push_str("</a>");
        }
        "linebreak" => out.push_str("<br>"),
        "tab" => out.push(' '),
        "horizontalrule" => out.push_str("<hr>"),
        "root" => lexical_children(node, out),
        card => {
            if !card_html(card, node, out) {
                lexical_children(node, out);
            }
        }
    }
}

/// A Mobiledoc document as HTML.
pub fn mobiledoc_html(json: &str) -> Result<String, String> {
    let doc: Value =
        serde_json::from_str(json).map_err(|e| format!("the mobiledoc is not JSON: {e}"))?;
    let empty = Vec::new();
    let list = |key: &str| doc.get(key).and_then(Value::as_array).unwrap_or(&empty);
    let (markups, atoms, cards) = (list("markups"), list("atoms"), list("cards"));
    let mut out = String::new();
    for section in list("sections") {
        let Some(parts) = section.as_array() else {
            continue;
        };
        match parts.first().and_then(Value::as_u64) {
            // A paragraph, heading or quote: [1, tag, markers].
            Some(1) => {
                let tag = match parts
                    .get(1)
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase)
                {
                    Some(t)
                        if [
                            "p",
                            "h1",
                            "h2",
                            "h3",
                            "h4",
                            "h5",
                            "h6",
                            "blockquote",
                            "aside",
                        ]
                        .contains(&t.as_str()) =>
                    {
                        t
                    }
                    _ => "p".to_string(),
                };
                let (open, close) = if tag == "aside" {
                    (
                        "<blockquote class=\"pullquote\">".to_string(),
                        "</blockquote>".to_string(),
                    )
                } else {
                    (format!("<{tag}>"), format!("</{tag}>"))
                };
                out.push_str(&open);
                mobiledoc_markers(parts.get(2), markups, atoms, &mut out);
                out.push_str(&close);
            }
            // An image: [2, src].
            Some(2) => {
                let src = parts.get(1).and_then(Value::as_str).unwrap_or("");
                out.push_str(&format!("<img src=\"{}\" alt=\"\">", html_escape(src)));
            }
            // A list: [3, tag, [markers per item]].
            Some(3) => {
                let tag = if parts.get(1).and_then(Value::as_str) == Some("ol") {
                    "ol"
                } else {
                    "ul"
                };
                out.push_str(&format!("<{tag}>"));
                for item in parts.get(2).and_then(Value::as_array).unwrap_or(&empty) {
                    out.push_str("<li>");
                    mobiledoc_markers(Some(item), markups, atoms, &mut out);
                    out.push_str("</li>");
                }
                out.push_str(&format!("</{tag}>"));
            }
            // A card: [10, index].
            Some(10) => {
                let card = parts
                    .get(1)
                    .and_then(Value::as_u64)
                    .and_then(|i| cards.get(i as usize))
                    .and_then(Value::as_array);
                if let Some(card) = card {
                    let name = card.first().and_then(Value::as_str).unwrap_or("");
                    let payload = card.get(1).cloned().unwrap_or(Value::Null);
                    let name = name.strip_suffix("-card").unwrap_or(name);
                    card_html(name, &payload, &mut out);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn mobiledoc_markers(
    markers: Option<&Value>,
    markups: &[Value],
    atoms: &[Value],
    out: &mut String,
) {
    let mut open: Vec<String> = Vec::new();
    for marker in markers.and_then(Value::as_array).into_iter().flatten() {
        let Some(m) = marker.as_array() else { continue };
        for index in m.get(1).and_then(Value::as_array).into_iter().flatten() {
            let Some(markup) = index
                .as_u64()
                .and_then(|i| markups.get(i as usize))
                .and_then(Value::as_array)
            else {
                continue;
            };
            let tag = markup
                .first()
                .and_then(Value::as_str)
                .unwrap_or("span")
                .to_ascii_lowercase();
            let tag = if tag.chars().all(|c| c.is_ascii_alphanumeric()) {
                tag
            } else {
                "span".into()
            };
            let attrs = markup.get(1).and_then(Value::as_array);
            let href = attrs.and_then(|a| {
                a.chunks(2)
                    .find(|kv| kv[0].as_str() == Some("href"))
                    .and_then(|kv| kv.get(1)?.as_str())
            });
            match href {
                Some(href) => out.push_str(&format!("<{tag} href=\"{}\">", html_escape(href))),
                None => out.push_str(&format!("<{tag}>")),
            }
            open.push(tag);
        }
        match m.first().and_then(Value::as_u64) {
            Some(0) => out.push_str(&html_escape(m.get(3).and_then(Value::as_str).unwrap_or(""))),
            Some(1) => {
                let atom = m
                    .get(3)
                    .and_then(Value::as_u64)
                    .and_then(|i| atoms.get(i as usize))
                    .and_then(Value::as_array);
                if let Some(atom) = atom {
                    if atom.first().and_then(Value::as_str) == Some("soft-return") {
                        out.push_str("<br>");
                    } else {
                        out.push_str(&html_escape(
                            atom.get(1).and_then(Value::as_str).unwrap_or(""),
                        ));
                    }
                }
            }
            _ => {}
        }
        let closed = m.get(2).and_then(Value::as_u64).unwrap_or(0) as usize;
        for _ in 0..closed.min(open.len()) {
            let tag = open.pop().expect("an open markup");
            out.push_str(&format!("</{tag}>"));
        }
    }
    while let Some(tag) = open.pop() {
        out.push_str(&format!("</{tag}>"));
    }
}

/// A Ghost card (Lexical node or Mobiledoc payload, whose fields agree) as
/// HTML; false for a name that is no card.
fn card_html(name: &str, card: &Value, out: &mut String) -> bool {
    let s = |key: &str| str_of(card, key);
    let link = |href: &str, words: &str, out: &mut String| {
        if !href.is_empty() {
            let words = if words.trim().is_empty() { href } else { words };
            out.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                html_escape(href),
                html_escape(words)
            ));
        }
    };
    // Captions and a few other fields are HTML in Ghost.
    let caption = |key: &str, out: &mut String| {
        if !s(key).trim().is_empty() {
            out.push_str(&format!("<p>{}</p>", s(key)));
        }
    };
    match name {
        "image" => {
            let width = match s("cardWidth") {
                "wide" => " class=\"kg-width-wide\"",
                "full" => " class=\"kg-width-full\"",
                _ => "",
            };
            out.push_str(&format!(
                "<figure{width}><img src=\"{}\" alt=\"{}\">",
                html_escape(s("src")),
                html_escape(s("alt"))
            ));
            if !s("caption").trim().is_empty() {
                out.push_str(&format!("<figcaption>{}</figcaption>", s("caption")));
            }
            out.push_str("</figure>");
        }
        "gallery" => {
            for image in card
                .get("images")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                card_html("image", image, out);
            }
            caption("caption", out);
        }
        "embed" => {
            out.push_str(&format!(
                "<figure class=\"embed\"><a href=\"{}\">{}</a></figure>",
                html_escape(s("url")),
                html_escape(s("url"))
            ));
            caption("caption", out);
        }
        "bookmark" => {
            let meta = card.get("metadata").unwrap_or(&Value::Null);
            let title = str_of(meta, "title");
            link(s("url"), title, out);
            let description = str_of(meta, "description");
            if !description.trim().is_empty() {
                out.push_str(&format!("<p>{}</p>", html_escape(description)));
            }
            caption("caption", out);
        }
        "callout" => out.push_str(&format!(
            "<blockquote><p>{} {}</p></blockquote>",
            html_escape(s("calloutEmoji")),
            s("calloutText")
        )),
        "toggle" => {
            out.push_str(&format!("<h4>{}</h4>", s("heading")));
            out.push_str(s("content"));
        }
        "html" => out.push_str(s("html")),
        "markdown" => out.push_str(
            crate::model::document::markdown::to_document(
                s("markdown"),
                crate::model::document::markdown::Typography::AsWritten,
            )
            .as_str(),
        ),
        "codeblock" | "code" => {
            out.push_str(&format!(
                "<pre><code>{}</code></pre>",
                html_escape(s("code"))
            ));
            caption("caption", out);
        }
        "button" => link(s("buttonUrl"), s("buttonText"), out),
        "header" => {
            out.push_str(&format!("<h2>{}</h2>", s("header")));
            if !s("subheader").trim().is_empty() {
                out.push_str(&format!("<p>{}</p>", s("subheader")));
            }
            link(s("buttonUrl"), s("buttonText"), out);
        }
        "video" | "audio" => {
            let words = if s("title").is_empty() {
                s("fileName")
            } else {
                s("title")
            };
            link(s("src"), words, out);
            caption("caption", out);
        }
        "file" => {
            let words = [s("fileTitle"), s("fileName")]
                .into_iter()
                .find(|w| !w.trim().is_empty())
                .unwrap_or("");
            link(s("src"), words, out);
            if !s("fileCaption").trim().is_empty() {
                out.push_str(&format!("<p>{}</p>", html_escape(s("fileCaption"))));
            }
        }
        "product" => {
            out.push_str(&format!("<h3>{}</h3>", s("productTitle")));
            out.push_str(&format!("<p>{}</p>", s("productDescription")));
            link(s("productUrl"), s("productButton"), out);
        }
        "hr" => out.push_str("<hr>"),
        // Shown only in emails, or to members: no words on the page.
        "email" | "email-cta" | "paywall" | "signup" => {}
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_text_lists_and_cards_become_html() {
        let doc = r#"{"root":{"type":"root","children":[
          {"type":"heading","tag":"h2","children":[{"type":"text","text":"Why it matters","format":0}]},
          {"type":"paragraph","children":[{"type":"text","text":"H","format":0},{"type":"text","text":"2","format":32},{"type":"text","text":"O is ","format":0},{"type":"text","text":"bold","format":1},{"type":"link","url":"https://example.org","children":[{"type":"text","text":"here","format":0}]}]},
          {"type":"list","listType":"number","start":3,"children":[{"type":"listitem","children":[{"type":"text","text":"third","format":0}]}]},
          {"type":"image","src":"/content/images/a.jpg","alt":"A harbour","caption":"At <b>dawn</b>","cardWidth":"wide"},
          {"type":"callout","calloutEmoji":"💡","calloutText":"<p>Note this</p>"},
          {"type":"toggle","heading":"<span>Question?</span>","content":"<p>Answer.</p>"},
          {"type":"bookmark","url":"https://example.org/x","metadata":{"title":"A page","description":"About it"}},
          {"type":"email","html":"<p>Only in email</p>"}
        ]}}"#;
        let html = lexical_html(doc).unwrap();
        assert!(html.contains("<h2>Why it matters</h2>"), "{html}");
        assert!(
            html.contains(
                "H<sub>2</sub>O is <strong>bold</strong><a href=\"https://example.org\">here</a>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<ol start=\"3\"><li>third</li></ol>"),
            "{html}"
        );
        assert!(
            html.contains("kg-width-wide") && html.contains("A harbour"),
            "{html}"
        );
        for words in ["Note this", "Question?", "Answer.", "A page", "About it"] {
            assert!(html.contains(words), "{words}: {html}");
        }
        assert!(!html.contains("Only in email"));
        assert!(lexical_html("{").is_err());
        assert!(lexical_html("{}").is_err());
    }

    #[test]
    fn mobiledoc_sections_markers_and_cards_become_html() {
        let doc = r#"{"version":"0.3.1","atoms":[["soft-return","",{}]],
          "cards":[["image",{"src":"/a.jpg","alt":"Alt","caption":"Cap"}],["markdown",{"markdown":"Some *md*"}],["code",{"code":"let x = 1;\nx"}]],
          "markups":[["strong"],["a",["href","https://example.org"]]],
          "sections":[[1,"h2",[[0,[],0,"Title"]]],[1,"p",[[0,[0],1,"Bold"],[0,[],0," then "],[0,[1],1,"a link"],[1,[],0,0],[0,[],0,"after"]]],[10,0],[10,1],[10,2],[3,"ul",[[[0,[],0,"one"]],[[0,[],0,"two"]]]]]}"#;
        let html = mobiledoc_html(doc).unwrap();
        assert!(html.contains("<h2>Title</h2>"), "{html}");
        assert!(html.contains("<p><strong>Bold</strong> then <a href=\"https://example.org\">a link</a><br>after</p>"), "{html}");
        assert!(
            html.contains("<img src=\"/a.jpg\" alt=\"Alt\">") && html.contains("Cap"),
            "{html}"
        );
        assert!(html.contains("<em>md</em>"), "{html}");
        assert!(
            html.contains("<pre><code>let x = 1;\nx</code></pre>"),
            "{html}"
        );
        assert!(html.contains("<ul><li>one</li><li>two</li></ul>"), "{html}");
    }
}
