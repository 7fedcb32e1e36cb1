//! Live coverage at scale: opens CONNECTIONS readers' streams of a live
//! story on one server, notes the server's memory before and after, then
//! posts one update through the desk and records when it reaches each
//! reader.
//!
//!   cargo bench --bench live -- BASE STORY_PATH CONNECTIONS SERVER_PID POST_PATH COOKIE CSRF
//!
//! Prints the memory the streams took, and the update's delivery times
//! (first, median, 99th percentile, last) and how many readers had it
//! within two seconds. Needs a file descriptor per connection (ulimit -n).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn rss_mb(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Opens one stream and reads its head (and the first `retry:` line).
async fn open(host: &str, path: &str) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(host).await?;
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    let mut seen = Vec::with_capacity(512);
    let mut buf = [0u8; 512];
    while !seen.windows(7).any(|w| w == b"retry: ") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::other(format!(
                "closed: {}",
                String::from_utf8_lossy(&seen)
            )));
        }
        seen.extend_from_slice(&buf[..n]);
    }
    if !seen.starts_with(b"HTTP/1.1 200") {
        return Err(std::io::Error::other(
            String::from_utf8_lossy(&seen).to_string(),
        ));
    }
    Ok(stream)
}

/// Waits for `marker` on a stream; answers when it came.
async fn wait_for(mut stream: TcpStream, marker: Arc<Vec<u8>>) -> Option<Instant> {
    let mut seen: Vec<u8> = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(marker.len()).any(|w| w == marker.as_slice()) {
            return Some(Instant::now());
        }
        if seen.len() > 64 * 1024 {
            seen.drain(..seen.len() - marker.len());
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [base, story, connections, pid, post_path, cookie, csrf] = &args[..] else {
        eprintln!("usage: live BASE STORY_PATH CONNECTIONS SERVER_PID POST_PATH COOKIE CSRF");
        std::process::exit(2);
    };
    let host = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let connections: usize = connections.parse().expect("CONNECTIONS is a number");
    let stream_path = format!("{story}live");

    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_mb(pid);
    let started = Instant::now();
    let mut streams = Vec::with_capacity(connections);
    // A few hundred at a time: the listener's backlog is finite.
    for batch in (0..connections).collect::<Vec<_>>().chunks(250) {
        let opened =
            futures_util::future::join_all(batch.iter().map(|_| open(&host, &stream_path))).await;
        for s in opened {
            match s {
                Ok(s) => streams.push(s),
                Err(e) => {
                    eprintln!("a stream did not open: {e}");
                    std::process::exit(1);
                }
            }
        }
    }
    let opening = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_mb(pid);
    println!(
        "streams open      {} in {:.1} s; server memory {:.0} MB before, {:.0} MB after: {:.0} MB more ({:.1} KB a stream; target: under 100 MB)",
        streams.len(),
        opening.as_secs_f64(),
        before,
        after,
        after - before,
        (after - before) * 1024.0 / streams.len().max(1) as f64
    );

    let marker_text = format!("bench-{}", std::process::id());
    let marker = Arc::new(marker_text.as_bytes().to_vec());
    let waiting: Vec<_> = streams
        .into_iter()
        .map(|s| tokio::spawn(wait_for(s, marker.clone())))
        .collect();
    // The update, posted through the desk as an editor's phone would.
    let body = format!("csrf={csrf}&update_body=%3Cp%3EThe+count+is+in+({marker_text})%3C%2Fp%3E");
    let posted_at = Instant::now();
    let mut post = TcpStream::connect(&host).await.expect("the server answers");
    post.write_all(
        format!(
            "POST {post_path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    post.read_to_end(&mut answer).await.unwrap();
    let answered = posted_at.elapsed();
    assert!(
        answer.starts_with(b"HTTP/1.1 303"),
        "the update was not posted: {}",
        String::from_utf8_lossy(&answer[..answer.len().min(400)])
    );
    let deadline = Duration::from_secs(10);
    let mut times: Vec<Duration> = Vec::with_capacity(waiting.len());
    let mut missing = 0;
    for task in waiting {
        match tokio::time::timeout(deadline, task).await {
            Ok(Ok(Some(at))) => times.push(at.saturating_duration_since(posted_at)),
            _ => missing += 1,
        }
    }
    times.sort();
    let pick = |q: f64| {
        times
            .get(((times.len() as f64 * q) as usize).min(times.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    let within = times
        .iter()
        .filter(|t| **t <= Duration::from_secs(2))
        .count();
    println!(
        "update delivered  to {} of {} readers; the post answered in {:.0} ms; delivery first {:.0} ms, median {:.0} ms, p99 {:.0} ms, last {:.0} ms",
        times.len(),
        times.len() + missing,
        answered.as_secs_f64() * 1000.0,
        pick(0.0),
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
    println!(
        "within 2 seconds  {} of {} readers (target: all)",
        within,
        times.len() + missing
    );
}
