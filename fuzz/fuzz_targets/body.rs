//! A body as a person sends it: HTML from the desk's editor or an API
//! client, or Markdown, read into the document schema; deep nesting
//! refused or flattened, never slow, and what is read stays as read.
#![no_main]

mod budget;

use libfuzzer_sys::fuzz_target;
use masthead::model::Document;
use masthead::model::document::markdown;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    budget::within_budget("reading a body", data.len(), || {
        if let Ok(document) = Document::from_html_checked(text) {
            // The canonical form reads back as itself.
            assert_eq!(Document::from_html(document.as_str()), document);
            assert!(!document.as_str().contains("<script"), "{:?}", document.as_str());
            let _ = document.plain_text();
            let _ = masthead::model::document::excerpt_of(None, document.as_str(), 220);
        }
        let _ = markdown::to_document_checked(text);
    });
});
