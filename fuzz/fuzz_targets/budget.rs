//! The time budget every parser is held to (issue 19, item 2): any body up
//! to the form limit renders in under 100 ms. Fuzz inputs are far smaller,
//! so a single input that takes longer is a slow path an attacker could
//! grow, and fails the run as a crash would.

use std::time::{Duration, Instant};

pub const BUDGET: Duration = Duration::from_millis(100);

/// Runs `work` and fails if it took longer than the budget.
pub fn within_budget<T>(what: &str, input_len: usize, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let value = work();
    let took = started.elapsed();
    assert!(
        took < BUDGET,
        "{what} took {took:?} on {input_len} bytes (the budget is {BUDGET:?})"
    );
    value
}
