//! The time every rule reads. Production uses the system clock; tests hold a
//! manual one and move it, so a rule that depends on time (a scheduled story
//! coming due, a page cached until then) is tested without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::model::UnixTime;

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// None: the system clock.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that shows `start` until it is moved with `advance` or `set`.
    pub fn manual(start: UnixTime) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(start))),
        }
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> UnixTime {
        match &self.manual {
            Some(t) => t.load(Ordering::Acquire),
            None => jiff::Timestamp::now().as_second(),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved.
    pub fn advance(&self, seconds: i64) {
        let t = self
            .manual
            .as_ref()
            .expect("only a manual clock can be moved");
        t.fetch_add(seconds, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = Clock::manual(1_000);
        let copy = clock.clone();
        assert_eq!(clock.now(), 1_000);
        copy.advance(60);
        assert_eq!(clock.now(), 1_060, "clones share one time");
        assert!(Clock::system().now() > 1_700_000_000);
    }
}
