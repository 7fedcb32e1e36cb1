//! Ghost's filter language, as API clients send it in ?filter=.
#![no_main]

mod budget;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(filter) = std::str::from_utf8(data) else {
        return;
    };
    budget::within_budget("parsing a filter", data.len(), || {
        let _ = masthead::model::nql::parse(filter);
    });
});
