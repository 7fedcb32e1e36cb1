//! A story's body as the desk sends it: Markdown (with HTML inside),
//! rendered and sanitized; deep nesting refused or flattened, never slow.
#![no_main]

mod budget;

use libfuzzer_sys::fuzz_target;
use masthead::model::text;

fuzz_target!(|data: &[u8]| {
    let Ok(markdown) = std::str::from_utf8(data) else {
        return;
    };
    budget::within_budget("rendering a body", data.len(), || {
        let _ = text::render_checked(markdown);
        let rendered = text::render_markdown(markdown);
        let _ = text::plain_text(markdown);
        let _ = text::derive_excerpt(markdown, text::EXCERPT_CHARS);
        assert!(!rendered.as_str().contains("<script"), "{:?}", rendered.as_str());
    });
});
