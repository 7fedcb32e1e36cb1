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

/// One keep-alive connection speaking just enough HTTP/1.1 for Masthead's
/// answers (which always carry Content-Length): a few thousand requests a
/// second from two threads, so that the client does not eat the cores the
/// server is measured on.
struct Connection {
    stream: tokio::io::BufReader<tokio::net::TcpStream>,
    host: String,
    base: String,
}

impl Connection {
    async fn open(base: &str) -> std::io::Result<Connection> {
        let host = base.trim_start_matches("http://").to_string();
        let stream = tokio::net::TcpStream::connect(&host).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream: tokio::io::BufReader::new(stream),
            host,
            base: base.to_string(),
        })
    }

    /// One GET into `sample`; a broken connection is counted and replaced.
    async fn measure(&mut self, path: &str, sample: &mut Sample) {
        match self.get(path).await {
            Ok(Some(us)) => sample.micros.push(us),
            Ok(None) => sample.errors += 1,
            Err(_) => {
                sample.errors += 1;
                *self = Connection::open(&self.base).await.expect("reconnect");
            }
        }
    }

    /// One GET; the latency in microseconds, or None unless it answered 200.
    async fn get(&mut self, path: &str) -> std::io::Result<Option<u32>> {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        let started = Instant::now();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host);
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let mut line = String::new();
        let (mut status, mut length) = (0u16, 0usize);
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if status == 0 {
                status = header
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            } else if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok((status == 200).then(|| started.elapsed().as_micros() as u32))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
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
    let all = runtime().block_on(async {
        let workers: Vec<_> = (0..connections)
            .map(|_| {
                let (paths, next, base) = (paths.clone(), next.clone(), base.to_string());
                tokio::spawn(async move {
                    let mut sample = Sample::default();
                    let mut connection = Connection::open(&base).await.expect("connect");
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        connection.measure(path, &mut sample).await;
                    }
                    sample
                })
            })
            .collect();
        let mut all = Sample::default();
        for worker in workers {
            all.merge(worker.await.expect("worker"));
        }
        all
    });
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
    let (hot_all, cold_all) = runtime().block_on(async {
        let workers: Vec<_> = (0..connections)
            .map(|n| {
                let (cold, hot, next_cold, stop, base) = (
                    cold.clone(),
                    hot.clone(),
                    next_cold.clone(),
                    stop.clone(),
                    base.to_string(),
                );
                tokio::spawn(async move {
                    let (mut hot_sample, mut cold_sample) = (Sample::default(), Sample::default());
                    let mut connection = Connection::open(&base).await.expect("connect");
                    // xorshift: enough randomness to interleave the two kinds
                    let mut state: u64 = 0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1);
                    while !stop.load(Ordering::Relaxed) {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        let roll = (state % 10_000) as f64 / 10_000.0;
                        let (path, sample) = if roll < hot_share {
                            (&hot[(state >> 20) as usize % hot.len()], &mut hot_sample)
                        } else {
                            let i = next_cold.fetch_add(1, Ordering::Relaxed);
                            (&cold[i % cold.len()], &mut cold_sample)
                        };
                        connection.measure(path, sample).await;
                    }
                    (hot_sample, cold_sample)
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let (mut hot_all, mut cold_all) = (Sample::default(), Sample::default());
        for worker in workers {
            let (h, c) = worker.await.expect("worker");
            hot_all.merge(h);
            cold_all.merge(c);
        }
        (hot_all, cold_all)
    });
    let elapsed = started.elapsed();
    hot_all.print("cached", elapsed);
    cold_all.print("uncached", elapsed);
}
