//! Ghost's editor documents (Lexical, Mobiledoc) from exports and Admin
//! API clients: rendered to HTML and read into the schema, never slow.
#![no_main]

mod budget;

use libfuzzer_sys::fuzz_target;
use masthead::model::Document;
use masthead::moving::ghost_documents::{lexical_html, mobiledoc_html};

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    budget::within_budget("reading an editor document", data.len(), || {
        for html in [lexical_html(json), mobiledoc_html(json)].into_iter().flatten() {
            let document = Document::from_html(&html);
            assert!(!document.as_str().contains("<script"), "{:?}", document.as_str());
        }
    });
});
