//! HTML from elsewhere (the Admin API's ?source=html, imported posts):
//! converted to Markdown and sanitized; deep nesting refused, never slow.
#![no_main]

mod budget;

use libfuzzer_sys::fuzz_target;
use masthead::model::text::{self, SafeHtml};

fuzz_target!(|data: &[u8]| {
    let Ok(html) = std::str::from_utf8(data) else {
        return;
    };
    budget::within_budget("converting HTML", data.len(), || {
        if let Ok(markdown) = text::html_to_markdown(html) {
            let _ = text::render_markdown(&markdown);
        }
        let clean = SafeHtml::sanitize(html);
        assert!(!clean.as_str().contains("<script"), "{:?}", clean.as_str());
    });
});
