//! Sending one newsletter issue to 100,000 subscribers through a local
//! SMTP sink, end to end (compose, queue the deliveries, render, send,
//! record each), against the target of 1,000 messages a second, with the
//! process's memory before and after (the list is streamed, never loaded).
//!
//!   cargo bench --bench newsletter                # SQLite, 100,000 readers
//!   SUBSCRIBERS=20000 cargo bench --bench newsletter
//!   DATABASE_URL=postgres://postgres@127.0.0.1/masthead_mail cargo bench --bench newsletter
//!
//! The sink is a minimal SMTP responder in this process (it answers every
//! command and counts messages), so that the figure measures Masthead and
//! not a mail server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use masthead::config::{Config, Overrides};
use masthead::services::sending::{self, SendLimits, Stretch};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const TARGET_PER_SECOND: f64 = 1000.0;

/// Resident memory of this process, in MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Accepts SMTP connections and every message on them; counts messages.
async fn sink(listener: tokio::net::TcpListener, received: Arc<AtomicU64>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let received = received.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read);
            let _ = write.write_all(b"220 sink ESMTP\r\n").await;
            let mut line = String::new();
            let mut in_data = false;
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if in_data {
                    if line == ".\r\n" {
                        in_data = false;
                        received.fetch_add(1, Ordering::Relaxed);
                        let _ = write.write_all(b"250 OK queued\r\n").await;
                    }
                    continue;
                }
                let command = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let answer: &[u8] = match command.as_str() {
                    "EHLO" => b"250-sink\r\n250 PIPELINING\r\n",
                    "HELO" => b"250 sink\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    }
                    _ => b"250 OK\r\n",
                };
                let _ = write.write_all(answer).await;
            }
        });
    }
}

fn main() {
    let subscribers: usize = std::env::var("SUBSCRIBERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(AtomicU64::new(0));
        tokio::spawn(sink(listener, received.clone()));
        let concurrency = std::env::var("CONCURRENCY")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(16);
        let limits = SendLimits {
            concurrency,
            rate: 1_000_000,
        };
        let config = Config::resolve(Overrides {
            data_dir: Some(dir.path().to_path_buf()),
            database_url: Some(database_url),
            smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
            newsletters: Some(limits),
            ..Default::default()
        })
        .unwrap();
        let store = masthead::server::open_store(&config).await.unwrap();
        masthead::demo::fill_if_empty(&store, &config.media_storage().await.unwrap())
            .await
            .unwrap();
        let started = Instant::now();
        let rows: Vec<masthead::store::ConfirmedSubscriber> = (0..subscribers)
            .map(|i| masthead::store::ConfirmedSubscriber {
                id: masthead::model::new_id(),
                email: format!("reader-{i}@example.com"),
                name: format!("Reader {i}"),
                manage_token: masthead::services::accounts::secret(),
                subscribed: true,
                since: None,
            })
            .collect();
        store.add_confirmed_subscribers(&rows, "weekly").await.unwrap();
        drop(rows);
        println!(
            "newsletter: {} engine, {subscribers} subscribers added in {:.1} s",
            store.engine(),
            started.elapsed().as_secs_f64()
        );
        let memory_before = rss_mib();

        let sending_started = Instant::now();
        let weekly = store.newsletters().await.unwrap().remove(0);
        let (issue, items) = sending::compose_roundup(&store, &weekly, None).await.unwrap();
        store.save_issue(&issue, &items).await.unwrap();
        let queued = sending::start(&store, &issue).await.unwrap();
        let queued_in = sending_started.elapsed();
        let mailer = masthead::mail::Mailer::new(config.smtp.as_ref().unwrap(), limits.concurrency as u32).unwrap();
        let theme = masthead::theme::Theme::load(None).unwrap();
        let public_url = masthead::urls::PublicUrl::new("https://news.example.org");
        let sender = sending::Sender {
            store: &store,
            mailer: &mailer,
            theme: &theme,
            public_url: &public_url,
            limits,
        };
        let mut peak = memory_before;
        let progress = loop {
            match sending::send_for(&sender, &issue.id, Duration::from_secs(2))
                .await
                .unwrap()
            {
                Stretch::More(_) => peak = peak.max(rss_mib()),
                Stretch::Finished(p) => break p,
                Stretch::Paused(why) => panic!("{why}"),
            }
        };
        let seconds = sending_started.elapsed().as_secs_f64();
        let per_second = progress.sent as f64 / seconds;
        peak = peak.max(rss_mib());
        println!(
            "queued {queued} deliveries in {:.2} s; sent {} ({} failed) in {seconds:.1} s: {per_second:.0} messages/s (target {TARGET_PER_SECOND:.0}) {}",
            queued_in.as_secs_f64(),
            progress.sent,
            progress.failed,
            if per_second >= TARGET_PER_SECOND { "ok" } else { "SLOW" }
        );
        println!(
            "sink received {}; memory {memory_before:.0} MiB before sending, {peak:.0} MiB at most while sending",
            received.load(Ordering::Relaxed)
        );
        store.close().await;
    });
}
