//! CPU-heavy work off the async workers: rendering bodies, hashing
//! passwords, converting HTML, decoding images. Each piece runs on tokio's
//! blocking threads, and only as many at once as there are cores, so the
//! few async workers that answer every request (cached pages, health
//! checks) never wait behind a long render, and a burst of heavy requests
//! queues here instead of multiplying threads.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

fn slots() -> Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS
        .get_or_init(|| {
            Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ))
        })
        .clone()
}

/// Runs `work` on a blocking thread once a slot is free; a panic in it
/// carries on in the caller, as if it had run there. The slot goes with
/// the work: a request cancelled while it runs (a client gone, a timeout)
/// frees the slot only when the work is done.
pub async fn run<T, F>(work: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    run_holding((), work).await
}

/// As `run`, with `held` (a share of some other budget) kept until the
/// work is done, whether or not anyone still waits for it.
pub async fn run_holding<H, T, F>(held: H, work: F) -> T
where
    H: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let slot = slots()
        .acquire_owned()
        .await
        .expect("the CPU slots are never closed");
    let task = tokio::task::spawn_blocking(move || {
        let value = work();
        drop((slot, held));
        value
    });
    match task.await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
