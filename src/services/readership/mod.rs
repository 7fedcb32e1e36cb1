//! Readership without cookies or third parties.
//!
//! A page read in a browser sends one small beacon after it loads (the
//! page itself stays a cached page: nothing is written on its way out).
//! The beacon is noted in memory; every few seconds the notes are added
//! to the database in one transaction (`flush`), on each instance alike.
//! A reader is counted as an anonymous visitor once a day per page: a
//! hash of the day's salt, the site, the address and the user agent
//! (`counting::visitor`), none of them stored. The salt is shared by the
//! instances through the database and forgotten when the day is over.
//! Readers who send `Sec-GPC: 1` or `DNT: 1`, robots and prefetches are
//! not counted (`counting::countable`).

pub mod chart;
pub mod counting;
pub mod summary;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use crate::model::UnixTime;
use crate::store::Store;
use crate::store::readership::{CountedPage, Tally, TallyKey, Visit};

/// Notes kept in memory at most: past it, new ones are dropped (and
/// reported) rather than the server's memory growing while the database
/// is away.
const MOST_PENDING: usize = 200_000;

/// How often notes are added to the database.
pub const FLUSH_EVERY: Duration = Duration::from_secs(2);
/// Every this many flushes, ended days' salts and visits past the
/// retention setting are deleted (about once a minute).
const FORGET_EVERY: u64 = 30;

/// What a reader did, as noted (in memory only, until the next flush).
#[derive(Debug, Clone)]
pub enum Seen {
    /// A page was read: its path, the site it was reached from, and who
    /// read it (address and user agent, hashed at the flush and never kept).
    View {
        at: UnixTime,
        path: String,
        referrer: Option<String>,
        address: String,
        user_agent: String,
    },
    /// A newsletter sign-up, from the page whose form it was sent with.
    Signup { at: UnixTime, from: String },
}

/// The counter an instance keeps.
pub struct Readership {
    store: Store,
    /// The site's host, part of every visitor's hash.
    site: String,
    pending: Mutex<Vec<Seen>>,
    dropped: std::sync::atomic::AtomicU64,
    /// Flushes run one at a time (the timer's and shutdown's).
    flushing: tokio::sync::Mutex<()>,
}

impl Readership {
    pub fn new(store: Store, site: &str) -> Readership {
        Readership {
            store,
            site: site.to_string(),
            pending: Mutex::new(Vec::new()),
            dropped: Default::default(),
            flushing: Default::default(),
        }
    }

    /// The site's host (referrers from it are the site's own pages).
    pub fn site(&self) -> &str {
        &self.site
    }

    pub fn now(&self) -> UnixTime {
        self.store.clock().now()
    }

    /// Notes what a reader did; counted at the next flush.
    pub fn note(&self, seen: Seen) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.len() >= MOST_PENDING {
            let dropped = self
                .dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if dropped.is_power_of_two() {
                tracing::warn!(
                    dropped = dropped + 1,
                    "readership counts are not reaching the database; views are being left uncounted"
                );
            }
            return;
        }
        pending.push(seen);
    }

    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts notes back in front of newer ones (a flush that failed).
    fn put_back(&self, mut notes: Vec<Seen>) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        notes.append(&mut pending);
        notes.truncate(MOST_PENDING);
        *pending = notes;
    }

    /// Adds what was noted to the database; on failure keeps it for the
    /// next flush. Answers how many notes were counted.
    pub async fn flush(&self) -> anyhow::Result<usize> {
        let _one_at_a_time = self.flushing.lock().await;
        let notes = self.take();
        if notes.is_empty() {
            return Ok(0);
        }
        match self.count(&notes).await {
            Ok(counted) => Ok(counted),
            Err(e) => {
                self.put_back(notes);
                Err(e)
            }
        }
    }

    async fn count(&self, notes: &[Seen]) -> anyhow::Result<usize> {
        let settings = self.store.site_settings().await?;
        if !settings.count_readers {
            return Ok(0);
        }
        let tz = settings.time_zone();
        let today = counting::day_of(self.now(), &tz);
        let mut pages: HashMap<String, Option<CountedPage>> = HashMap::new();
        let mut salts: HashMap<i64, String> = HashMap::new();
        let mut views: BTreeMap<TallyKey, Tally> = BTreeMap::new();
        let mut visits = Vec::new();
        let mut counted = 0;
        for seen in notes {
            let (at, path) = match seen {
                Seen::View { at, path, .. } => (*at, path),
                Seen::Signup { at, from } => (*at, from),
            };
            // Counted as the address the site makes for it (or not at all).
            let classified = counting::classify(path);
            let path = match &classified {
                Some((kind, slug, counted_as)) => {
                    if !pages.contains_key(counted_as) {
                        let page = self.store.counted_page(*kind, slug).await?;
                        pages.insert(counted_as.clone(), page);
                    }
                    counted_as
                }
                None => "",
            };
            let page = pages.get(path).and_then(Option::as_ref);
            let day = counting::day_of(at, &tz);
            let month = counting::month_of(day);
            let mut add = |dimension: &'static str, item: &str, piece: &str| {
                let keys = [("day", day), ("month", month)].map(|(grain, period)| TallyKey {
                    grain,
                    dimension,
                    period,
                    item: item.to_string(),
                    piece: piece.to_string(),
                });
                for key in &keys {
                    views.entry(key.clone()).or_default().views += 1;
                }
                keys.to_vec()
            };
            match seen {
                Seen::Signup { .. } => {
                    // From a page not counted (the sign-up page itself, a
                    // page gone since): counted as from elsewhere.
                    let (item, piece) = match page {
                        Some(p) => (path, p.piece.as_str()),
                        None => ("", ""),
                    };
                    add("signup", item, piece);
                }
                Seen::View {
                    referrer,
                    address,
                    user_agent,
                    ..
                } => {
                    let Some(page) = page else { continue };
                    if let std::collections::hash_map::Entry::Vacant(slot) = salts.entry(day) {
                        // Today's salt is shared; a late note of a past day
                        // (its salt forgotten) gets one used only here.
                        slot.insert(if day >= today {
                            self.store
                                .readership_salt(day, &counting::fresh_salt())
                                .await?
                        } else {
                            counting::fresh_salt()
                        });
                    }
                    let visitor = counting::visitor(&salts[&day], &self.site, address, user_agent);
                    let site = add("site", "", "");
                    let on_page = add("page", path, &page.piece);
                    if !page.section.is_empty() {
                        add("section", &page.section, "");
                    }
                    if let Some(host) = referrer {
                        add("referrer", host, &page.piece);
                    }
                    visits.push(Visit {
                        day,
                        scope: String::new(),
                        visitor: visitor.clone(),
                        counts_in: site,
                    });
                    visits.push(Visit {
                        day,
                        scope: path.to_string(),
                        visitor,
                        counts_in: on_page,
                    });
                }
            }
            counted += 1;
        }
        self.store.add_readership(views, &visits).await?;
        // Counted: a failure from here on must not count them again.
        if let Err(e) = self.forget_old().await {
            tracing::warn!(error = %e, "old readership visits and salts could not be deleted; tried again shortly");
        }
        Ok(counted)
    }

    /// Deletes the salts of days that are over and the visits older than
    /// the retention setting (whether or not anything is being counted).
    pub async fn forget_old(&self) -> anyhow::Result<()> {
        let settings = self.store.site_settings().await?;
        let today = counting::day_of(self.now(), &settings.time_zone());
        let keep_from = today - i64::from(settings.readership_retention_days.max(1));
        self.store.forget_readership(today, keep_from).await?;
        Ok(())
    }

    /// Flushes every `every` until the server stops (the server flushes
    /// once more as it stops). A database that does not answer is
    /// reported and the notes kept.
    pub async fn run(self: std::sync::Arc<Self>, every: Duration) {
        let mut failing = false;
        let mut ticks: u64 = 0;
        loop {
            tokio::time::sleep(every).await;
            ticks += 1;
            if ticks % FORGET_EVERY == 1
                && let Err(e) = self.forget_old().await
            {
                tracing::warn!(error = %e, "old readership visits and salts could not be deleted; tried again shortly");
            }
            match self.flush().await {
                Ok(_) if failing => {
                    tracing::info!("readership counts reach the database again");
                    failing = false;
                }
                Ok(_) => {}
                Err(e) if !failing => {
                    tracing::warn!(error = %e, "readership counts could not be saved; they are kept and tried again");
                    failing = true;
                }
                Err(_) => {}
            }
        }
    }
}
