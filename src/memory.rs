//! The allocator's settings, set in code so that they hold wherever the
//! binary runs. A `MIMALLOC_<OPTION>` variable (mimalloc's own) still wins
//! over the value here, for measuring another one.
//!
//! By default mimalloc commits its arenas' memory as soon as it reserves
//! them (`arena_eager_commit`) and keeps freed pages for a while before
//! giving them back (`purge_delay`, 10 ms, times 10 for its arenas), which
//! under a crawl of pages never read before keeps the peak of every burst
//! resident. Committing on use and purging at once cost a little time per
//! burst and return the memory: after `bench/run.sh`'s uncached crawl of
//! 10,000 stories the server holds 83 MB instead of 109 MB.

use libmimalloc_sys as mi;

/// Each option, the value set, and its name (for messages and the test).
const SETTINGS: [(mi::mi_option_t, std::ffi::c_long, &str); 3] = [
    (PURGE_DELAY, 0, "purge_delay"),
    (ARENA_PURGE_MULT, 1, "arena_purge_mult"),
    (ARENA_EAGER_COMMIT, 0, "arena_eager_commit"),
];

// Options libmimalloc-sys does not name, numbered as in the `mi_option_e`
// of the mimalloc 2.x it builds (include/mimalloc.h).
const ARENA_EAGER_COMMIT: mi::mi_option_t = 4;
const PURGE_DELAY: mi::mi_option_t = 15;
const ARENA_PURGE_MULT: mi::mi_option_t = 24;

/// Applies the settings; called first thing by the binary.
pub fn tune() {
    for (option, value, name) in SETTINGS {
        if std::env::var_os(format!("MIMALLOC_{}", name.to_ascii_uppercase())).is_some() {
            continue;
        }
        // SAFETY: mi_option_set takes two integers and only stores the
        // value; any option may be set at any time.
        unsafe { mi::mi_option_set(option, value) }
    }
}

/// The settings in force, by name.
pub fn in_force() -> Vec<(&'static str, std::ffi::c_long)> {
    SETTINGS
        .iter()
        // SAFETY: mi_option_get reads one stored integer.
        .map(|(option, _, name)| (*name, unsafe { mi::mi_option_get(*option) }))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_settings_are_in_force_once_tuned() {
        super::tune();
        for ((name, value), (_, wanted, _)) in super::in_force().into_iter().zip(super::SETTINGS) {
            assert_eq!(value, wanted, "{name}");
        }
    }
}
