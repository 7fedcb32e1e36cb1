//! CPU-heavy work off the async workers: rendering bodies, hashing
//! passwords, converting HTML, decoding images. Each piece runs on tokio's
//! blocking threads, and only as many at once as there are cores, so the
//! few async workers that answer every request (cached pages, health
//! checks) never wait behind a long render, and a burst of heavy requests
//! queues here instead of multiplying threads.

use std::sync::OnceLock;

use tokio::sync::Semaphore;

fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS
        .get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// Runs `work` on a blocking thread once a slot is free; a panic in it
/// carries on in the caller, as if it had run there.
pub async fn run<T, F>(work: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let _slot = slots()
        .acquire()
        .await
        .expect("the CPU slots are never closed");
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
