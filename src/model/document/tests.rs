use super::Document;

fn doc(html: &str) -> String {
    Document::from_html(html).as_str().to_string()
}

#[test]
fn the_shared_corpus_is_kept_exactly() {
    let corpus: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/documents/corpus.json")).unwrap();
    for html in corpus["documents"].as_array().unwrap() {
        let html = html.as_str().unwrap();
        assert_eq!(doc(html), html, "read and written again");
    }
}

#[test]
fn tables_keep_row_headers_empty_cells_and_captions_cell_by_cell() {
    let html = doc(
        "<table><caption>Results</caption><thead><tr><th></th><th>2025</th><th>2026</th></tr></thead>\
         <tbody><tr><th scope=row>North</th><td>1</td><td>2</td></tr><tr><th>South</th><td>3</td></tr></tbody></table>",
    );
    assert_eq!(
        html,
        "<table><caption>Results</caption><tbody><tr><th></th><th>2025</th><th>2026</th></tr>\
         <tr><th>North</th><td>1</td><td>2</td></tr><tr><th>South</th><td>3</td><td></td></tr></tbody></table>"
    );
}

#[test]
fn code_sub_sup_and_definitions_survive() {
    let html = doc(
        "<p>Run:</p><pre><code class=\"language-sh\">make\nmake install\n</code></pre><p>Then prose.</p>",
    );
    assert_eq!(
        html,
        "<p>Run:</p><pre><code>make\nmake install</code></pre><p>Then prose.</p>"
    );
    assert_eq!(
        doc("H<sub>2</sub>O x<sup>2</sup>"),
        "<p>H<sub>2</sub>O x<sup>2</sup></p>"
    );
    assert_eq!(
        doc("<dl><dt>Term</dt><dd>Its <b>meaning</b></dd></dl>"),
        "<dl><dt>Term</dt><dd>Its <strong>meaning</strong></dd></dl>"
    );
}

#[test]
fn scripts_and_styles_are_dropped_whole_and_nothing_runs() {
    let html = doc(
        "<p>Hello<script>alert(1)</script><style>p{}</style> <a href=\"javascript:x()\" onclick=\"y()\">link</a></p>\
         <img src=x onerror=alert(2) alt=\"x\"><a href=\"java\tscript:alert(3)\">t</a><iframe src=\"javascript:alert(4)\"></iframe>",
    );
    for bad in ["alert", "script", "onclick", "onerror", "p{}"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    assert!(html.starts_with("<p>Hello link</p>"), "{html}");
}

#[test]
fn no_visible_word_is_dropped_from_markup_outside_the_schema() {
    let html = doc(
        "<div class=x><section><span style=\"color:red\">Spanned</span> <u>under</u> <mark>marked</mark></section>\
         <h1>Top</h1><h6>Low</h6><details><summary>More</summary>Hidden? No.</details>\
         <form><button>Press</button><label>Label</label></form><font>Old</font><center>Centred</center></div>",
    );
    for words in [
        "Spanned under marked",
        "Top",
        "Low",
        "More",
        "Hidden? No.",
        "Press",
        "Label",
        "Old",
        "Centred",
    ] {
        assert!(html.contains(words), "{words:?} in {html}");
    }
    assert!(
        html.contains("<h2>Top</h2>") && html.contains("<h4>Low</h4>"),
        "{html}"
    );
}

#[test]
fn images_become_figures_with_caption_credit_and_width() {
    assert_eq!(
        doc("<p>Before <img src=\"/a.jpg\" alt=\"A\"> after</p>"),
        "<p>Before</p><figure class=\"image\"><img src=\"/a.jpg\" alt=\"A\" loading=\"lazy\"></figure><p>after</p>"
    );
    assert_eq!(
        doc(
            "<figure class=\"wp-block-image alignwide\"><img src=\"/b.jpg\" alt=\"B\"><figcaption>The <em>caption</em> <cite>Photo: X</cite></figcaption></figure>"
        ),
        "<figure class=\"image\" data-width=\"wide\"><img src=\"/b.jpg\" alt=\"B\" loading=\"lazy\"><figcaption>The caption<small class=\"credit\">Photo: X</small></figcaption></figure>"
    );
    let gallery = doc(
        "<figure class=\"wp-block-gallery\"><figure><img src=\"/1.jpg\" alt=\"1\"></figure><figure><img src=\"/2.jpg\" alt=\"2\"><figcaption>Two</figcaption></figure><figcaption>Both</figcaption></figure>",
    );
    assert!(
        gallery.contains("/1.jpg")
            && gallery.contains("/2.jpg")
            && gallery.contains("Two")
            && gallery.contains("<p>Both</p>"),
        "{gallery}"
    );
    let table = doc(
        "<figure class=\"wp-block-table\"><table><tr><td>a</td></tr></table><figcaption>Table caption</figcaption></figure>",
    );
    assert!(
        table.contains("<caption>Table caption</caption>"),
        "{table}"
    );
}

#[test]
fn players_become_cards_and_other_media_links() {
    let html = doc(
        "<iframe src=\"https://www.youtube.com/embed/abc123?rel=0\"></iframe><video src=\"/v.mp4\">Your browser</video>",
    );
    assert!(
        html.contains("data-player=\"https://www.youtube-nocookie.com/embed/abc123\""),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"/v.mp4\">/v.mp4</a>") && html.contains("Your browser"),
        "{html}"
    );
}

#[test]
fn whitespace_reads_as_a_browser_shows_it() {
    assert_eq!(
        doc("  <p>  two   spaces \n here  </p>\n\n"),
        "<p>two spaces here</p>"
    );
    assert_eq!(doc("<p>a <b> b</b></p>"), "<p>a <strong>b</strong></p>");
    assert_eq!(
        doc("loose text<p>para</p>more"),
        "<p>loose text</p><p>para</p><p>more</p>"
    );
    assert_eq!(
        doc("<b style=\"font-weight:normal\" id=\"docs-internal-guid-1\"><p>Docs</p></b>"),
        "<p>Docs</p>"
    );
}

#[test]
fn lists_items_start_with_a_paragraph() {
    assert_eq!(
        doc("<ul><li>a<li><ul><li>b</ul></ul>"),
        "<ul><li><p>a</p></li><li><p></p><ul><li><p>b</p></li></ul></li></ul>"
    );
}

#[test]
fn text_excerpts_and_alt_text_are_read_from_the_document() {
    let d = Document::from_html(
        "<figure class=\"image\"><img src=\"/a.jpg\" alt=\"\"><figcaption>Cap</figcaption></figure><h2>Title</h2><p>The first <b>paragraph</b>.</p><table><tr><td>a</td><td>b</td></tr></table>",
    );
    assert_eq!(super::excerpt_of(None, d.as_str(), 100), "Title");
    assert_eq!(d.images_missing_alt(), vec!["/a.jpg".to_string()]);
    assert!(d.plain_text().contains("The first paragraph."));
    assert!(d.plain_text().contains("a b"), "{:?}", d.plain_text());
    assert_eq!(d.word_count(), 7);
    assert_eq!(super::excerpt_of(Some(" Own "), d.as_str(), 100), "Own");
}

#[test]
fn markdown_is_an_input_read_into_the_schema() {
    use super::markdown::{Typography, to_document, to_document_checked};
    let d = to_document(
        "## Why\n\nIt's \"quoted\" -- *really*.\n\n- one\n- two\n\nhttps://youtu.be/abc123",
        Typography::AsWritten,
    );
    assert_eq!(
        d.as_str().split("<figure").next().unwrap(),
        "<h2>Why</h2><p>It's \"quoted\" -- <em>really</em>.</p><ul><li><p>one</p></li><li><p>two</p></li></ul>"
    );
    assert!(d.as_str().contains("data-provider=\"YouTube\""));
    let curly = to_document("It's \"quoted\" -- really.", Typography::Typographic);
    assert_eq!(curly.as_str(), "<p>It’s “quoted” – really.</p>");
    assert!(to_document_checked(&"a".repeat(600 * 1024)).is_err());
    assert!(to_document_checked(&"> ".repeat(300_000)).is_err());
}

#[test]
fn deep_or_long_markup_is_refused_when_sent_and_flattened_when_stored() {
    use super::Unrenderable;
    assert!(matches!(
        Document::from_html_checked(&"<div>".repeat(200)),
        Err(Unrenderable::TooDeep(_))
    ));
    assert_eq!(
        Document::from_html_checked(&"a".repeat(super::MAX_HTML_BYTES + 1)),
        Err(Unrenderable::TooLong)
    );
    let flat = Document::from_html(&format!("{}words", "<div>".repeat(200)));
    assert_eq!(flat.as_str(), "<p>words</p>");
}

#[test]
fn every_document_reads_back_as_itself_even_at_the_depth_limit() {
    // 50 lists in items: 100 levels, the most a body may have; the items'
    // paragraphs would make the document deeper than it may be stored.
    let deep = format!("{}x", "<ul><li>".repeat(50));
    let document = Document::from_html_checked(&deep).unwrap();
    assert_eq!(Document::from_html(document.as_str()), document);
    assert!(document.plain_text().contains('x'));
    let shallow = format!("{}x", "<ul><li>".repeat(10));
    let document = Document::from_html_checked(&shallow).unwrap();
    assert_eq!(Document::from_html(document.as_str()), document);
    assert!(document.as_str().contains("<ul><li><p></p><ul>"));
}

#[test]
fn hostile_tables_cannot_multiply_into_huge_grids() {
    // Spans that cover a million cells each, and a wide row with many
    // short ones: padded square, either would write hundreds of MB.
    let spans = format!(
        "<table>{}</table>",
        "<tr><td rowspan=1000 colspan=1000>x</td></tr>".repeat(1000)
    );
    let wide = format!(
        "<table><tr>{}</tr>{}</table>",
        "<td>a</td>".repeat(10_000),
        "<tr><td>b</td></tr>".repeat(10_000)
    );
    for html in [spans, wide] {
        let started = std::time::Instant::now();
        let document = Document::from_html_checked(&html).unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(
            document.as_str().len() < html.len() * 4,
            "{} bytes from {}",
            document.as_str().len(),
            html.len()
        );
        assert_eq!(Document::from_html(document.as_str()), document);
    }
}
