//! Ghost exports (JSON), read and their bodies converted as the importer
//! does.
#![no_main]

mod budget;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    budget::within_budget("reading a Ghost export", data.len(), || {
        let _ = masthead::moving::ghost::read_posts(data);
    });
});
