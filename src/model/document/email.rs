//! A document as mail clients need it: the same blocks, with what Outlook
//! and Gmail do not style themselves written in: figures as a table cell
//! with the image at a fixed width that shrinks on phones and the caption
//! and credit under it, tables with borders and padding, pull quotes set
//! off, embeds as the link they lead to, every address absolute.

use super::tree::{Block, Figure, Table};
use super::writing;

const IMAGE_WIDTH: u32 = 600;

/// `blocks` as email-safe HTML; `absolute` makes a site address absolute.
pub fn write(blocks: &[Block], absolute: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Figure(figure) => write_figure(&mut out, figure, absolute),
            Block::Table(table) => write_table(&mut out, table, absolute),
            Block::PullQuote(_) | Block::Quote(_) => {
                let inner = writing::write(std::slice::from_ref(block));
                out.push_str(&inner.replacen(
                    "<blockquote",
                    "<blockquote style=\"margin:16px 0;padding:4px 0 4px 16px;border-left:3px solid #8f1d21;color:#333333;\"",
                    1,
                ));
            }
            Block::Embed(embed) => {
                out.push_str("<p><a href=\"");
                writing::escape_attribute(&mut out, &embed.url);
                out.push_str("\">");
                writing::escape_text(
                    &mut out,
                    &match embed.player {
                        Some(_) => format!("Watch the video on {}", embed.provider),
                        None => format!("See the post on {}", embed.provider),
                    },
                );
                out.push_str("</a></p>");
            }
            other => out.push_str(&absolute_addresses(
                &writing::write(std::slice::from_ref(other)),
                absolute,
            )),
        }
    }
    out
}

fn write_figure(out: &mut String, figure: &Figure, absolute: &dyn Fn(&str) -> String) {
    out.push_str("<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"margin:16px 0;\"><tr><td>");
    out.push_str("<img src=\"");
    writing::escape_attribute(out, &absolute(&figure.src));
    out.push_str("\" alt=\"");
    writing::escape_attribute(out, &figure.alt);
    out.push_str(&format!(
        "\" width=\"{IMAGE_WIDTH}\" style=\"display:block;width:100%;max-width:{IMAGE_WIDTH}px;height:auto;border:0;\">"
    ));
    if !figure.caption.is_empty() || !figure.credit.is_empty() {
        out.push_str("<p style=\"margin:6px 0 0;font:13px/1.4 Arial,sans-serif;color:#55524d;\">");
        writing::escape_text(out, &figure.caption);
        if !figure.credit.is_empty() {
            if !figure.caption.is_empty() {
                out.push(' ');
            }
            out.push_str("<span style=\"color:#6b6760;\">");
            writing::escape_text(out, &figure.credit);
            out.push_str("</span>");
        }
        out.push_str("</p>");
    }
    out.push_str("</td></tr></table>");
}

fn write_table(out: &mut String, table: &Table, absolute: &dyn Fn(&str) -> String) {
    let html = writing::write(&[Block::Table(table.clone())]);
    let styled = html
        .replacen(
            "<table>",
            "<table border=\"1\" cellpadding=\"6\" cellspacing=\"0\" style=\"border-collapse:collapse;border-color:#d9d3c7;margin:16px 0;font:14px/1.4 Arial,sans-serif;\">",
            1,
        )
        .replace("<th>", "<th style=\"text-align:left;background:#f4f1ea;\">")
        .replace("<th colspan", "<th style=\"text-align:left;background:#f4f1ea;\" colspan")
        .replace("<th rowspan", "<th style=\"text-align:left;background:#f4f1ea;\" rowspan")
        .replace("<caption>", "<caption style=\"text-align:left;font-weight:bold;padding:4px 0;\">");
    out.push_str(&absolute_addresses(&styled, absolute));
}

/// HTML with its site-relative addresses made absolute by `absolute`
/// (for mail clients and feed readers, which have no page to resolve
/// them against): every `="/…"` attribute value and each address of a
/// `srcset` list; protocol-relative `//…` addresses are left as they are.
pub fn absolute_addresses(html: &str, absolute: &dyn Fn(&str) -> String) -> String {
    let relative = |address: &str| address.starts_with('/') && !address.starts_with("//");
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(at) = rest.find("=\"/") {
        out.push_str(&rest[..at + 2]);
        let listed = rest[..at].ends_with("srcset");
        let after = &rest[at + 2..];
        let end = after.find('"').unwrap_or(after.len());
        let value = &after[..end];
        if listed {
            let candidates: Vec<String> = value
                .split(", ")
                .map(|c| {
                    if relative(c) {
                        absolute(c)
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            out.push_str(&candidates.join(", "));
        } else if relative(value) {
            out.push_str(&absolute(value));
        } else {
            out.push_str(value);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use crate::model::Document;

    #[test]
    fn site_addresses_become_absolute_and_others_stay() {
        let html = r#"<p><a href="/stories/a">a</a> <a href="//elsewhere.example/x">b</a> <a href="https://x.example/">c</a></p><img src="/media/a.jpg" srcset="/media/a-480.jpg 480w, /media/a-960.jpg 960w" alt="">"#;
        assert_eq!(
            super::absolute_addresses(html, &|path| format!("https://news.example{path}")),
            r#"<p><a href="https://news.example/stories/a">a</a> <a href="//elsewhere.example/x">b</a> <a href="https://x.example/">c</a></p><img src="https://news.example/media/a.jpg" srcset="https://news.example/media/a-480.jpg 480w, https://news.example/media/a-960.jpg 960w" alt="">"#
        );
    }

    #[test]
    fn figures_tables_and_links_are_written_for_mail_clients() {
        let doc = Document::from_html(
            "<p>See <a href=\"/stories/x/\">this</a>.</p><figure class=\"image\"><img src=\"/media/a.jpg\" alt=\"A quay\"><figcaption>Dawn<small class=\"credit\">Photo: K</small></figcaption></figure><table><tr><th>Seats</th><td>12</td></tr></table>",
        );
        let html = doc.email_html(&|path| format!("https://news.example{path}"));
        let html = html.as_str();
        assert!(
            html.contains("<a href=\"https://news.example/stories/x/\">this</a>"),
            "{html}"
        );
        assert!(
            html.contains("src=\"https://news.example/media/a.jpg\" alt=\"A quay\" width=\"600\""),
            "{html}"
        );
        assert!(html.contains("Dawn <span"), "{html}");
        assert!(
            html.contains("<table border=\"1\" cellpadding=\"6\""),
            "{html}"
        );
        assert!(
            html.contains("<th style=\"text-align:left;background:#f4f1ea;\">Seats</th>"),
            "{html}"
        );
        assert!(!html.contains("<figure"), "{html}");
    }
}
