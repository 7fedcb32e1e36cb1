//! Two instances of the real binary on one PostgreSQL database behind nginx,
//! configured with the committed `deploy/nginx-masthead.conf`: a change
//! shows on both at once, and stopping and restarting one loses no request.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use masthead::model::Status;
use masthead::services::publishing;
use masthead::store::Store;

use crate::common::{
    block_on, drop_postgres_db, fresh_postgres_db, http_get, serving_url, skip_or_fail, terminate,
};

const SUITE: &str = "the two-instance scale-out test";

/// A `masthead serve` process.
struct Instance {
    child: Child,
    addr: String,
}

impl Instance {
    fn start(database_url: &str, data_dir: &Path, listen: &str) -> Instance {
        Instance::start_with(database_url, data_dir, listen, &[], &[])
    }

    /// With more flags, and environment variables.
    fn start_with(
        database_url: &str,
        data_dir: &Path,
        listen: &str,
        flags: &[&str],
        env: &[(&str, String)],
    ) -> Instance {
        let mut child = Command::new(env!("CARGO_BIN_EXE_masthead"))
            .args(["serve", "--listen", listen, "--database-url", database_url])
            .arg("--data-dir")
            .arg(data_dir)
            .args(flags)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("MASTHEAD_LOG", "warn")
            .env_remove("MASTHEAD_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("masthead starts");
        let addr = serving_url(&mut child)
            .trim_start_matches("http://")
            .to_string();
        Instance { child, addr }
    }

    /// SIGTERM, then waits for a clean exit.
    fn stop(mut self) {
        let status = terminate(&mut self.child);
        assert!(
            status.success(),
            "SIGTERM ends with exit code 0, got {status}"
        );
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Nginx {
    child: Child,
    url: String,
}

impl Drop for Nginx {
    /// SIGTERM, so that the master stops its workers too (SIGKILL would
    /// leave them running, holding the port). Never panics: it may run while
    /// a failed test unwinds.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// nginx with the committed site config, its upstreams pointed at `a` and `b`.
fn start_nginx(binary: &Path, dir: &Path, a: &str, b: &str) -> Nginx {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx-masthead.conf"),
    )
    .expect("deploy/nginx-masthead.conf");
    let site = committed
        .replace("127.0.0.1:8081", a)
        .replace("127.0.0.1:8082", b)
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
    assert_ne!(
        site, committed,
        "the committed config names the addresses the test replaces"
    );
    let tmp = dir.join("nginx-tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(dir.join("site.conf"), site).unwrap();
    let main = format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {t};\n  proxy_temp_path {t};\n  fastcgi_temp_path {t};\n  uwsgi_temp_path {t};\n  scgi_temp_path {t};\n  include {d}/site.conf;\n}}\n",
        d = dir.display(),
        t = tmp.display()
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let child = Command::new(binary)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-p")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nginx starts");
    let nginx = Nginx {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not start: see {}/error.log",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    nginx
}

/// Publishes a new story from this process (as a third party on the database).
fn publish_story(database_url: &str, headline: &str) {
    block_on(async {
        let store = Store::connect(database_url).await.unwrap();
        let model = store
            .story_card_by_slug("serenza-votes-to-share-its-harbour-with-a-rival")
            .await
            .unwrap()
            .unwrap();
        let settings = store.site_settings().await.unwrap();
        publishing::save_story(
            &store,
            &settings,
            None,
            publishing::StoryDraft {
                headline: headline.into(),
                label: model.story.label.clone(),
                section_id: model.story.section_id.clone(),
                body: masthead::model::Document::from_html("Both instances show this at once."),
                author_ids: model.author_ids.clone(),
                status: Some(Status::Published),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        store.close().await;
    });
}

/// How long after now `url` first contains `text` (polling), within `limit`.
fn time_until_shown(url: &str, text: &str, started: Instant, limit: Duration) -> Duration {
    loop {
        if http_get(url, &[]).text().contains(text) {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{url} never showed {text:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn two_instances_behind_nginx_serve_one_site() {
    let Some(nginx_bin) = nginx_binary() else {
        return skip_or_fail(
            SUITE,
            "nginx is not installed (apt-get install nginx-light)",
        );
    };
    let Some(database_url) = fresh_postgres_db() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let seeded = Command::new(env!("CARGO_BIN_EXE_masthead"))
        .args(["seed", "--database-url", &database_url])
        .arg("--data-dir")
        .arg(dir.path())
        .env("MASTHEAD_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let a = Instance::start(&database_url, dir.path(), "127.0.0.1:0");
    let b = Instance::start(&database_url, dir.path(), "127.0.0.1:0");
    let nginx = start_nginx(&nginx_bin, dir.path(), &a.addr, &b.addr);
    for url in [
        &nginx.url,
        &format!("http://{}", a.addr),
        &format!("http://{}", b.addr),
    ] {
        assert_eq!(http_get(&format!("{url}/latest/"), &[]).status, 200);
    }

    // A change made by a third process shows on both instances within
    // 100 ms: told through LISTEN/NOTIFY, not found by the 250 ms poll. A
    // loaded machine can delay one attempt past the mark, so each of three
    // attempts (a new story each) gets the chance; the notification path
    // makes the first one on an idle machine.
    let limit = Duration::from_secs(5);
    let mut timings = Vec::new();
    let headline = |attempt: usize| format!("Harbour pilots agree rota number {attempt}");
    for attempt in 1..=3 {
        let headline = headline(attempt);
        publish_story(&database_url, &headline);
        let published = Instant::now();
        let on_a = time_until_shown(
            &format!("http://{}/latest/", a.addr),
            &headline,
            published,
            limit,
        );
        let on_b = time_until_shown(
            &format!("http://{}/latest/", b.addr),
            &headline,
            published,
            limit,
        );
        eprintln!(
            "attempt {attempt}: the change showed on instance A after {on_a:?}, on B after {on_b:?}"
        );
        timings.push((on_a, on_b));
        if on_a < Duration::from_millis(100) && on_b < Duration::from_millis(100) {
            break;
        }
    }
    assert!(
        timings
            .iter()
            .any(|(a, b)| *a < Duration::from_millis(100) && *b < Duration::from_millis(100)),
        "no attempt showed the change on both instances within 100 ms: {timings:?}"
    );
    // through the load balancer, whichever instance answers
    let headline = headline(timings.len());
    for _ in 0..4 {
        assert!(
            http_get(&format!("{}/latest/", nginx.url), &[])
                .text()
                .contains(&headline)
        );
    }

    // Readers keep being served while instance A stops and starts again.
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::<u16>::new()));
    let readers: Vec<_> = (0..4)
        .map(|n| {
            let (stop, answers, base) = (stop.clone(), answers.clone(), nginx.url.clone());
            std::thread::spawn(move || {
                let paths = ["/", "/latest/", "/section/europe/", "/briefs/"];
                let mut i = n;
                while !stop.load(Ordering::Relaxed) {
                    let reply = http_get(&format!("{base}{}", paths[i % paths.len()]), &[]);
                    answers.lock().unwrap().push(reply.status);
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let a_addr = a.addr.clone();
    a.stop();
    std::thread::sleep(Duration::from_millis(300));
    let a = Instance::start(&database_url, dir.path(), &a_addr);
    assert_eq!(a.addr, a_addr, "restarted on its own address");
    assert_eq!(
        http_get(&format!("http://{a_addr}/healthz"), &[]).status,
        200
    );
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    let answers = answers.lock().unwrap();
    let failed: Vec<_> = answers.iter().filter(|s| **s != 200).collect();
    assert!(
        answers.len() > 50,
        "only {} requests were made",
        answers.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} requests failed: {failed:?}",
        failed.len(),
        answers.len()
    );

    drop(nginx);
    drop((a, b));
    drop_postgres_db(&database_url);
}

/// Each instance with its own data directory, as on two machines, and one
/// bucket for media: what one writes, the other serves, and so does nginx.
#[test]
fn media_written_through_one_instance_are_served_by_every_instance() {
    let Some(nginx_bin) = nginx_binary() else {
        return skip_or_fail(
            SUITE,
            "nginx is not installed (apt-get install nginx-light)",
        );
    };
    let Some(s3) = crate::objects::S3Server::start() else {
        return;
    };
    let Some(database_url) = fresh_postgres_db() else {
        return;
    };
    let env = s3.env();
    let bucket = s3.bucket("cluster-media");
    let store = format!("s3://{bucket}/site");
    let (seeding, machine_a, machine_b, proxy) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    crate::objects::masthead(
        &[
            "seed",
            "--database-url",
            &database_url,
            "--media-store",
            &store,
            "--data-dir",
            seeding.path().to_str().unwrap(),
        ],
        &env,
    );
    let flags = ["--media-store", store.as_str()];
    let a = Instance::start_with(&database_url, machine_a.path(), "127.0.0.1:0", &flags, &env);
    let b = Instance::start_with(&database_url, machine_b.path(), "127.0.0.1:0", &flags, &env);
    let nginx = start_nginx(&nginx_bin, proxy.path(), &a.addr, &b.addr);
    let every_door = [
        format!("http://{}", a.addr),
        format!("http://{}", b.addr),
        nginx.url.clone(),
    ];

    // The demo's own pictures, written by the seeding machine.
    let demo = "/media/kaldmarks-coalition-bets-its-future-on-a-single-railway.svg";
    let stored = s3
        .object(&bucket, &format!("site{}", demo))
        .expect("the demo's images are in the bucket");
    for door in &every_door {
        let reply = http_get(&format!("{door}{demo}"), &[]);
        assert_eq!(reply.status, 200, "{door}{demo}");
        assert_eq!(reply.body, stored, "{door}{demo}");
    }

    // A photo uploaded through instance A's Admin API.
    let (url, _) = crate::objects::upload_photo(
        &format!("http://{}", a.addr),
        machine_a.path(),
        &["--database-url", &database_url],
        &env,
    );
    let file = url.rsplit('/').next().unwrap().to_string();
    let stem = file.rsplit_once('.').unwrap().0.to_string();

    // Every size (each width, JPEG or PNG and WebP), read through B and nginx.
    let sizes: Vec<String> = s3
        .keys(&bucket, "site/media/")
        .into_iter()
        .filter_map(|k| k.strip_prefix("site/media/").map(str::to_string))
        .filter(|name| name.starts_with(&stem))
        .collect();
    assert!(sizes.len() >= 10, "every width, twice: {sizes:?}");
    for name in &sizes {
        let stored = s3.object(&bucket, &format!("site/media/{name}")).unwrap();
        for door in &every_door[1..] {
            let reply = http_get(&format!("{door}/media/{name}"), &[]);
            assert_eq!(reply.status, 200, "{door}/media/{name}");
            assert_eq!(reply.body, stored, "{door}/media/{name}");
            assert!(
                reply
                    .header("cache-control")
                    .is_some_and(|c| c.contains("immutable")),
                "{name}"
            );
        }
    }
    // The original is kept in the bucket, never served.
    let originals = s3.keys(&bucket, "site/originals/");
    assert_eq!(originals.len(), 1, "{originals:?}");
    let original = originals[0].rsplit('/').next().unwrap();
    for door in &every_door {
        assert_eq!(
            http_get(&format!("{door}/media/{original}"), &[]).status,
            404
        );
    }
    // Names the library never makes are 404s, never a question to the
    // bucket that could fail (or reach the originals).
    let long = "a".repeat(300);
    for bad in [
        format!("/media/..%2Foriginals%2F{original}"),
        format!("/media/%2E%2E/originals/{original}"),
        format!("/media/{long}.jpg"),
        "/media/a%0Ab.jpg".to_string(),
        "/media/.hidden".to_string(),
        "/media/nothing-here.png".to_string(),
    ] {
        let status = http_get(&format!("http://{}{bad}", b.addr), &[]).status;
        assert_eq!(status, 404, "{bad}");
    }
    // ...and no machine kept a file of its own.
    for machine in [&machine_a, &machine_b] {
        assert!(!machine.path().join("media").exists());
        assert!(!machine.path().join("originals").exists());
    }

    drop(nginx);
    drop((a, b));
    drop_postgres_db(&database_url);
}
