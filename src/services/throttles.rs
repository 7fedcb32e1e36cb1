//! Rate limits: at most so many attempts in a span of time, per subject.
//!
//! An attempt is reserved before it is checked (the count goes up first,
//! in one atomic statement, see `store/throttles.rs`), so a hundred guesses
//! sent at once are counted one by one and all but the allowed few are
//! refused before anything is tried. The span slides: attempts are kept in
//! buckets of a fifteenth of it, and the buckets begun within the span are
//! summed (exact to a bucket, on the side of refusing). Refused attempts
//! are not counted (a limit never holds anyone longer than its span), and a
//! reservation can be handed back (a successful sign-in, an upload the
//! library refused).

use crate::model::UnixTime;
use crate::store::{Store, StoreError};

/// How many buckets a span is counted in.
const BUCKETS: UnixTime = 15;

/// At most `max` attempts within any `per` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What is limited, the first part of every subject ("sign-in:client").
    pub name: &'static str,
    pub max: i64,
    pub per: UnixTime,
}

/// An attempt counted against a limit.
#[derive(Debug, Clone)]
pub struct Reservation {
    subject: String,
    window_start: UnixTime,
    /// Attempts now counted in the span, this one included.
    pub used: i64,
}

/// Over the limit: try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub retry_after: UnixTime,
}

impl Limit {
    fn subject(&self, who: &str) -> String {
        format!("{}:{who}", self.name)
    }

    /// Counts an attempt by `who`, or refuses it (and counts nothing) when
    /// the span already holds `max`.
    pub async fn reserve(
        &self,
        store: &Store,
        who: &str,
    ) -> Result<Result<Reservation, Exceeded>, StoreError> {
        let now = store.clock().now();
        let bucket = (self.per / BUCKETS).max(1);
        let window_start = now - now.rem_euclid(bucket);
        let subject = self.subject(who);
        let (used, oldest) = store
            .throttle_hit(&subject, window_start, now - self.per - bucket)
            .await?;
        if used <= self.max {
            return Ok(Ok(Reservation {
                subject,
                window_start,
                used,
            }));
        }
        store.throttle_unhit(&subject, window_start).await?;
        // The oldest attempts counted leave the span with their bucket.
        Ok(Err(Exceeded {
            retry_after: (oldest + bucket + self.per - now).max(1),
        }))
    }

    /// Forgets every attempt `who` made, and those of every `who|…` (a
    /// successful sign-in clears its own failures; a new password those of
    /// the account from every address).
    pub async fn forget(&self, store: &Store, who: &str) -> Result<(), StoreError> {
        store.throttle_forget(&self.subject(who)).await
    }
}

impl Reservation {
    /// Hands the attempt back: it no longer counts.
    pub async fn release(self, store: &Store) -> Result<(), StoreError> {
        store.throttle_unhit(&self.subject, self.window_start).await
    }
}
