//! The allocator's settings, set in code so that they hold wherever the
//! binary runs. A `MIMALLOC_<OPTION>` variable (mimalloc's own) still wins
//! over the value here, for measuring another one.
//!
//! By default mimalloc commits its arenas' memory as soon as it reserves
//! them (`arena_eager_commit`), asks the kernel for transparent huge pages
//! (`allow_thp`: every touched 2 MiB is resident at once), and keeps freed
//! pages for a while before giving them back (`purge_delay`, 10 ms, times
//! 10 for its arenas), which under a crawl of pages never read before keeps
//! the peak of every burst resident. Committing on use, small pages and
//! purging at once cost a little time per burst and return the memory.
//!
//! SQLite allocates through the C library's `malloc`; glibc gives each
//! thread that allocates its own arena (SQLite's connections each run on
//! a thread), each keeping what it freed. One arena is enough for them.
//!
//! After `bench/run.sh`'s uncached crawl of 10,000 stories the server holds
//! about 60 MB with the default 16 MB page cache; mimalloc's defaults held
//! 107 MB (with the 32 MB page cache of before).

use libmimalloc_sys as mi;

/// Each option, the value set, and its name (for messages and the test).
const SETTINGS: [(mi::mi_option_t, std::ffi::c_long, &str); 4] = [
    (PURGE_DELAY, 0, "purge_delay"),
    (ARENA_PURGE_MULT, 1, "arena_purge_mult"),
    (ARENA_EAGER_COMMIT, 0, "arena_eager_commit"),
    (ALLOW_THP, 0, "allow_thp"),
];

// Options libmimalloc-sys does not name, numbered as in the `mi_option_e`
// of the mimalloc v3 it builds (c_src/mimalloc/v3/include/mimalloc.h).
const ARENA_EAGER_COMMIT: mi::mi_option_t = 4;
const PURGE_DELAY: mi::mi_option_t = 15;
const ARENA_PURGE_MULT: mi::mi_option_t = 24;
const ALLOW_THP: mi::mi_option_t = 43;

/// Applies the settings; called first thing by the binary, before any
/// thread is started.
pub fn tune() {
    for (option, value, name) in SETTINGS {
        if std::env::var_os(format!("MIMALLOC_{}", name.to_ascii_uppercase())).is_some() {
            continue;
        }
        // SAFETY: mi_option_set takes two integers and only stores the
        // value; any option may be set at any time.
        unsafe { mi::mi_option_set(option, value) }
    }
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        one_c_arena();
    }
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        no_huge_pages();
    }
}

/// Turns transparent huge pages off for the whole process, what mimalloc
/// does itself when `allow_thp` is 0 at its start: it starts before `main`,
/// and has by then asked for huge pages for its first arena.
#[cfg(target_os = "linux")]
fn no_huge_pages() -> bool {
    // SAFETY: PR_SET_THP_DISABLE sets one flag of this process.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() -> bool {
    true
}

/// Limits the C library's allocator to one arena (SQLite's memory);
/// whether it took.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_c_arena() -> bool {
    // SAFETY: mallopt sets one of glibc's tunables; M_ARENA_MAX may be set
    // at any time and applies to arenas made afterwards.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_c_arena() -> bool {
    true
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
        assert!(super::one_c_arena(), "glibc took the arena limit");
        assert!(super::no_huge_pages());
        #[cfg(target_os = "linux")]
        {
            // SAFETY: reads one flag of this process.
            let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
            assert_eq!(disabled, 1, "transparent huge pages are off");
        }
    }
}
