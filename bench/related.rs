//! How long working out one story's related stories takes (issue 8: under
//! 5 ms a story, or precomputed; Masthead precomputes, in a job after each
//! save, and this is that job's cost). Opens an existing database, picks
//! stories spread over the whole archive and times `related::compute` for
//! each (which also stores the list).
//!
//!   cargo bench --bench related -- DATABASE_URL [SAMPLES]
//!
//! Prints `related n p50_ms p99_ms max_ms target verdict`.

use std::time::{Duration, Instant};

use masthead::services::related;
use masthead::store::Store;

const TARGET: Duration = Duration::from_millis(5);

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(url) = args.first() else {
        eprintln!("usage: related DATABASE_URL [SAMPLES]");
        std::process::exit(2);
    };
    let samples: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(300);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = Store::connect(url).await.expect("the database opens");
        let total = store.count_all_stories().await.expect("count") as usize;
        // Every story's id, in id order, then an even spread of them.
        let mut ids = Vec::with_capacity(total);
        let mut after = String::new();
        loop {
            let batch = store.story_ids_after(&after, 5000).await.expect("ids");
            let Some(last) = batch.last() else { break };
            after = last.clone();
            ids.extend(batch);
        }
        let step = (ids.len() / samples).max(1);
        let chosen: Vec<&String> = ids.iter().step_by(step).take(samples).collect();
        // Warm the connections and SQLite's page cache as a running server has.
        for id in chosen.iter().take(10) {
            related::compute(&store, id).await.expect("compute");
        }
        let mut times = Vec::with_capacity(chosen.len());
        let mut found = 0;
        for id in &chosen {
            let t = Instant::now();
            found += related::compute(&store, id).await.expect("compute").len();
            times.push(t.elapsed());
        }
        times.sort();
        let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "related {} {:.2} {:.2} {:.2} {}ms {} ({} engine, {total} stories, {:.1} related each)",
            times.len(),
            ms(at(0.5)),
            ms(at(0.99)),
            ms(at(1.0)),
            TARGET.as_millis(),
            if at(0.5) <= TARGET { "ok" } else { "SLOW" },
            store.engine(),
            found as f64 / times.len() as f64
        );
        store.close().await;
    });
}
