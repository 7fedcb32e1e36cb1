//! WordPress exports (WXR), read and their bodies converted as the
//! importer does.
#![no_main]

mod budget;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    budget::within_budget("reading a WordPress export", data.len(), || {
        let _ = masthead::moving::wordpress::read_entries(data);
    });
});
