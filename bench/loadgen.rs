//! A small load generator for what wrk cannot measure: each URL of a list
//! requested exactly once (every request a cache miss), and a mix of cached
//! and uncached pages with the latency of each kind reported separately.
//!
//!   cargo bench --bench loadgen -- distinct BASE_URL URL_FILE CONNECTIONS
//!   cargo bench --bench loadgen -- mixed BASE_URL URL_FILE CONNECTIONS SECONDS HOT_SHARE HOT_PATH...
//!
//! Prints one line per kind: `kind requests rps p50_ms p99_ms errors`.

use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let usage = "usage: loadgen distinct BASE URL_FILE CONNECTIONS | mixed BASE URL_FILE CONNECTIONS SECONDS HOT_SHARE HOT_PATH...";
    let (Some(mode), Some(base), Some(file), Some(connections)) =
        (args.first(), args.get(1), args.get(2), args.get(3))
    else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let connections: usize = connections.parse().expect("CONNECTIONS is a number");
    let paths: Vec<String> =
        std::io::BufReader::new(std::fs::File::open(file).expect("URL_FILE opens"))
            .lines()
            .map_while(Result::ok)
            .filter(|l| !l.trim().is_empty())
            .collect();
    let base = base.trim_end_matches('/').to_string();
    match mode.as_str() {
        "distinct" => distinct(&base, paths, connections),
        "mixed" => {
            let seconds: u64 = args.get(4).and_then(|s| s.parse().ok()).expect(usage);
            let hot_share: f64 = args.get(5).and_then(|s| s.parse().ok()).expect(usage);
            let hot: Vec<String> = args[6..].to_vec();
            assert!(!hot.is_empty(), "{usage}");
            mixed(&base, paths, hot, connections, seconds, hot_share)
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// One GET; returns the latency in microseconds, or None when it failed.
fn fetch(agent: &ureq::Agent, url: &str) -> Option<u32> {
    let started = Instant::now();
    let mut response = agent.get(url).call().ok()?;
    let ok = response.status().is_success();
    response.body_mut().read_to_vec().ok()?;
    ok.then(|| started.elapsed().as_micros() as u32)
}

/// Latencies of one kind of request.
#[derive(Default)]
struct Sample {
    micros: Vec<u32>,
    errors: usize,
}

impl Sample {
    fn merge(&mut self, other: Sample) {
        self.micros.extend(other.micros);
        self.errors += other.errors;
    }

    fn print(mut self, kind: &str, elapsed: Duration) {
        self.micros.sort_unstable();
        let pct = |p: f64| {
            self.micros
                .get(
                    ((self.micros.len() as f64 * p) as usize)
                        .min(self.micros.len().saturating_sub(1)),
                )
                .map_or(0.0, |&us| us as f64 / 1000.0)
        };
        println!(
            "{kind} {} {:.0} {:.2} {:.2} {}",
            self.micros.len(),
            self.micros.len() as f64 / elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            self.errors
        );
    }
}

fn distinct(base: &str, paths: Vec<String>, connections: usize) {
    let paths = Arc::new(paths);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (paths, next, base) = (paths.clone(), next.clone(), base.to_string());
            std::thread::spawn(move || {
                let agent = agent();
                let mut sample = Sample::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    match fetch(&agent, &format!("{base}{path}")) {
                        Some(us) => sample.micros.push(us),
                        None => sample.errors += 1,
                    }
                }
                sample
            })
        })
        .collect();
    let mut all = Sample::default();
    for worker in workers {
        all.merge(worker.join().expect("worker"));
    }
    all.print("distinct", started.elapsed());
}

fn mixed(
    base: &str,
    cold: Vec<String>,
    hot: Vec<String>,
    connections: usize,
    seconds: u64,
    hot_share: f64,
) {
    let (cold, hot) = (Arc::new(cold), Arc::new(hot));
    let next_cold = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|n| {
            let (cold, hot, next_cold, stop, base) = (
                cold.clone(),
                hot.clone(),
                next_cold.clone(),
                stop.clone(),
                base.to_string(),
            );
            std::thread::spawn(move || {
                let agent = agent();
                let (mut hot_sample, mut cold_sample) = (Sample::default(), Sample::default());
                // xorshift: enough randomness to interleave the two kinds
                let mut state: u64 = 0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1);
                while !stop.load(Ordering::Relaxed) {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let roll = (state % 10_000) as f64 / 10_000.0;
                    let (url, sample) = if roll < hot_share {
                        (&hot[(state >> 20) as usize % hot.len()], &mut hot_sample)
                    } else {
                        let i = next_cold.fetch_add(1, Ordering::Relaxed);
                        (&cold[i % cold.len()], &mut cold_sample)
                    };
                    match fetch(&agent, &format!("{base}{url}")) {
                        Some(us) => sample.micros.push(us),
                        None => sample.errors += 1,
                    }
                }
                (hot_sample, cold_sample)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let (mut hot_all, mut cold_all) = (Sample::default(), Sample::default());
    for worker in workers {
        let (h, c) = worker.join().expect("worker");
        hot_all.merge(h);
        cold_all.merge(c);
    }
    let elapsed = started.elapsed();
    hot_all.print("cached", elapsed);
    cold_all.print("uncached", elapsed);
}
