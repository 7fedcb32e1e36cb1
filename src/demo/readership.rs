//! Generated readership for load tests (`masthead seed --views N`): N views
//! over the past year, spread over the public stories as a news site's
//! are — a few stories read far more than most, each read mostly in the
//! days after it appeared — with referring sites, sections and sign-ups.
//! Written through the same totals the counter keeps.

use std::collections::BTreeMap;

use crate::progress::Progress;
use crate::services::readership::counting::{day_of, month_of};
use crate::store::Store;
use crate::store::readership::{Tally, TallyKey};

/// Days a story goes on being read after it appears.
const READ_FOR: i64 = 30;
/// Keys written per transaction.
const BATCH: usize = 20_000;
const REFERRERS: [&str; 8] = [
    "news.example.com",
    "search.example.org",
    "social.example.net",
    "aggregator.example.com",
    "forum.example.org",
    "mail.example.com",
    "video.example.net",
    "blog.example.org",
];

/// A small deterministic generator (xorshift): the same data every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Adds `views` generated views over the year ending today; answers how
/// many were added.
pub async fn add_generated_views(store: &Store, views: u64) -> anyhow::Result<u64> {
    if views == 0 {
        return Ok(0);
    }
    let tz = store.site_settings().await?.time_zone();
    let today = day_of(store.clock().now(), &tz);
    let pieces = store.public_pieces().await?;
    anyhow::ensure!(
        !pieces.is_empty(),
        "there are no public stories to be read: seed stories first (--stories N)"
    );
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    // Popularity: one story in a hundred is read a hundred times more
    // than the rest, one in ten ten times more.
    let weights: Vec<u64> = pieces
        .iter()
        .map(|_| match dice.below(100) {
            0 => 100,
            1..=10 => 10,
            _ => 1,
        })
        .collect();
    let total_weight: u64 = weights.iter().sum();
    // How a story's views fall away day after day.
    let decay: Vec<f64> = (0..READ_FOR).map(|d| (-(d as f64) / 4.0).exp()).collect();
    let decay_sum: f64 = decay.iter().sum();
    let mut totals: BTreeMap<TallyKey, Tally> = BTreeMap::new();
    let progress = Progress::new(pieces.len(), "generated readers of", "stories");
    let mut added = 0u64;
    for (i, piece) in pieces.iter().enumerate() {
        let share = views as f64 * weights[i] as f64 / total_weight as f64;
        let first_day = today - dice.below(365) as i64;
        let referrer = REFERRERS[dice.below(REFERRERS.len() as u64) as usize];
        for (offset, fall) in decay.iter().enumerate() {
            let day = first_day + offset as i64;
            let n = (share * fall / decay_sum).round() as i64;
            if day > today || n == 0 {
                continue;
            }
            added += n as u64;
            let month = month_of(day);
            let visitors = n - n / 5;
            let mut add = |dimension: &'static str, item: &str, piece: &str, n: i64, v: i64| {
                for (grain, period) in [("day", day), ("month", month)] {
                    let t = totals
                        .entry(TallyKey {
                            grain,
                            dimension,
                            period,
                            item: item.to_string(),
                            piece: piece.to_string(),
                        })
                        .or_default();
                    t.views += n;
                    t.visitors += v;
                }
            };
            add("site", "", "", n, visitors);
            add("page", &piece.path, &piece.id, n, visitors);
            add("section", &piece.section, "", n, 0);
            if n >= 3 {
                add("referrer", referrer, &piece.id, n * 2 / 5, 0);
            }
            if n >= 500 {
                add("signup", &piece.path, &piece.id, n / 500, 0);
            }
        }
        if totals.len() >= BATCH {
            store
                .add_readership(std::mem::take(&mut totals), &[])
                .await?;
            progress.show(i + 1);
        }
    }
    store.add_readership(totals, &[]).await?;
    progress.show(pieces.len());
    progress.finish();
    Ok(added)
}
