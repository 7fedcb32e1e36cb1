// mimalloc: glibc's allocator was a seventh of a search request's time
// (arena locks and consolidation across the runtime's and SQLite's
// threads); mimalloc's per-thread heaps make those allocations cheap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    masthead::memory::tune();
    masthead::cli::main()
}
