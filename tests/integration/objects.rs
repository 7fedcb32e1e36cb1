//! Media in S3-compatible object storage, against a real S3 server process
//! the tests start: moto's server (PyPI `moto[server]`), chosen because it
//! installs from the registries this project's CI reaches in seconds, runs
//! as its own process on a port, and speaks the S3 REST API (listings with
//! continuation, ranged and conditional reads, errors in S3's XML). It
//! keeps objects in memory and does not check signatures: the signing is
//! rusty-s3's, tested by its authors against AWS and MinIO.
//!
//! Here: `masthead media copy` to a bucket and back, and a whole-site
//! backup from SQLite with local media restored into PostgreSQL with media
//! in a bucket, compared page by page and byte by byte. The two-instance
//! test (scaleout.rs) serves one bucket from two machines' worth of data
//! directories.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{drop_postgres_db, fresh_postgres_db, http_get, skip_or_fail, terminate};

const SUITE: &str = "the S3 media store tests";

/// A moto S3 server on a port of its own; stops when dropped.
pub struct S3Server {
    child: Child,
    pub endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_server() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join("moto_server"))
        .find(|p| p.is_file())
}

impl S3Server {
    /// None (after a notice, or a failure under MASTHEAD_REQUIRE_ALL) when
    /// moto's server is not installed.
    pub fn start() -> Option<S3Server> {
        let Some(binary) = moto_server() else {
            skip_or_fail(
                SUITE,
                "moto_server is not installed (python3 -m pip install 'moto[server]')",
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(server)
    }

    /// A new, empty bucket.
    pub fn bucket(&self, name: &str) -> String {
        let made = crate::common::http_send("PUT", &format!("{}/{name}", self.endpoint), None, &[]);
        assert_eq!(made.status, 200, "{}", made.text());
        name.to_string()
    }

    /// What a masthead process needs to reach it.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "masthead-test".into()),
            ("AWS_SECRET_ACCESS_KEY", "masthead-test-secret".into()),
            ("AWS_REGION", "eu-central-1".into()),
        ]
    }

    fn signer(&self, bucket: &str) -> (rusty_s3::Bucket, rusty_s3::Credentials) {
        (
            rusty_s3::Bucket::new(
                self.endpoint.parse().unwrap(),
                rusty_s3::UrlStyle::Path,
                bucket.to_string(),
                "eu-central-1",
            )
            .unwrap(),
            rusty_s3::Credentials::new("masthead-test", "masthead-test-secret"),
        )
    }

    /// An object's bytes, read past Masthead.
    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        use rusty_s3::S3Action;
        let (bucket, credentials) = self.signer(bucket);
        let url = bucket
            .get_object(Some(&credentials), key)
            .sign(Duration::from_secs(60));
        let reply = http_get(url.as_str(), &[]);
        (reply.status == 200).then_some(reply.body)
    }

    /// Every key under a prefix.
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        use rusty_s3::S3Action;
        let (bucket, credentials) = self.signer(bucket);
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut list = bucket.list_objects_v2(Some(&credentials));
            list.with_prefix(prefix.to_string());
            if let Some(token) = &token {
                list.with_continuation_token(token.clone());
            }
            let reply = http_get(list.sign(Duration::from_secs(60)).as_str(), &[]);
            assert_eq!(reply.status, 200, "{}", reply.text());
            let page = rusty_s3::actions::ListObjectsV2::parse_response(&reply.text()).unwrap();
            keys.extend(page.contents.into_iter().map(|c| c.key));
            match page.next_continuation_token {
                Some(next) => token = Some(next),
                None => return keys,
            }
        }
    }
}

/// Runs `masthead ARGS` with the environment given; its stdout.
pub fn masthead(args: &[&str], env: &[(&str, String)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_masthead"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("MASTHEAD_LOG", "warn")
        .env_remove("MASTHEAD_CONFIG")
        .output()
        .expect("masthead runs");
    assert!(
        out.status.success(),
        "masthead {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A `masthead serve` process; stops when dropped.
pub struct Served {
    child: Child,
    pub url: String,
}

impl Served {
    pub fn start(args: &[&str], env: &[(&str, String)]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_masthead"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("MASTHEAD_LOG", "warn")
            .env_remove("MASTHEAD_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("masthead starts");
        // "serving https://news.example.org/ (listening on 127.0.0.1:PORT; …)"
        // when a public address is set: this test speaks to the port.
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let url = match line.split_once("(listening on ") {
            Some((_, rest)) => format!("http://{}", rest.split(';').next().unwrap()),
            None => line
                .split_whitespace()
                .nth(3)
                .unwrap()
                .trim_end_matches('/')
                .to_string(),
        };
        assert!(line.starts_with("Masthead is serving"), "{line}");
        Served { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = terminate(&mut self.child);
    }
}

fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Uploads a photo through the Admin API (an integration made by the CLI):
/// its address, and the integration's Content API key.
pub fn upload_photo(
    site: &str,
    data_dir: &Path,
    database: &[&str],
    env: &[(&str, String)],
) -> (String, String) {
    let mut args = vec![
        "integration",
        "add",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ];
    args.extend_from_slice(database);
    args.push("Photo desk");
    let printed = masthead(&args, env);
    let said = |label: &str| {
        printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .expect(label)
            .trim()
            .to_string()
    };
    let key = masthead::services::admin_tokens::AdminKey::parse(&said("Admin API key:")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (kind, body) = crate::api::multipart("file", "quay.png", &crate::api::png(1400, 900));
    let uploaded = crate::common::http_post(
        &format!("{site}/ghost/api/admin/images/upload/"),
        &kind,
        &body,
        &[("authorization", &format!("Ghost {}", key.sign(now)))],
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.text());
    let json: serde_json::Value = serde_json::from_slice(&uploaded.body).unwrap();
    (
        json["images"][0]["url"].as_str().unwrap().to_string(),
        said("Content API key:"),
    )
}

#[test]
fn media_copy_moves_a_library_to_a_bucket_and_back() {
    let Some(s3) = S3Server::start() else {
        return;
    };
    let env = s3.env();
    let bucket = s3.bucket("copy-test");
    let site = tempfile::tempdir().unwrap();
    let dir = site.path().to_str().unwrap();
    masthead(&["seed", "--data-dir", dir, "--stories", "0"], &env);
    let served = files_in(&site.path().join("media"));
    assert!(served.len() > 5, "the demo has images: {served:?}");

    let to = format!("s3://{bucket}/news");
    let printed = masthead(&["media", "copy", "--data-dir", dir, "--to", &to], &env);
    assert!(
        printed.contains(&format!("Copied {} files", served.len())),
        "{printed}"
    );
    for (name, bytes) in &served {
        assert_eq!(
            s3.object(&bucket, &format!("news/media/{name}")).as_ref(),
            Some(bytes),
            "{name}"
        );
    }
    assert_eq!(s3.keys(&bucket, "news/media/").len(), served.len());

    // Run again (as after an interruption): nothing is sent twice.
    let again = masthead(&["media", "copy", "--data-dir", dir, "--to", &to], &env);
    assert!(
        again.contains(&format!(
            "Copied 0 files (0.0 MB) and found {} already there",
            served.len()
        )),
        "{again}"
    );

    // ...and back into another data directory.
    let back = tempfile::tempdir().unwrap();
    masthead(
        &[
            "media",
            "copy",
            "--data-dir",
            dir,
            "--media-store",
            &to,
            "--to",
            back.path().to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(files_in(&back.path().join("media")), served);

    // A bucket that is not there stops the command with the reason.
    let out = Command::new(env!("CARGO_BIN_EXE_masthead"))
        .args([
            "media",
            "copy",
            "--data-dir",
            dir,
            "--to",
            "s3://no-such-bucket/x",
        ])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("NoSuchBucket"), "{said}");
}

/// Every public page a reader reaches from the demo, and every media file
/// the site serves.
const PAGES: &[&str] = &[
    "/",
    "/latest/",
    "/briefs/",
    "/section/europe/",
    "/feed.xml",
    "/sitemap.xml",
    "/newsletter/",
];

#[test]
fn a_backup_restores_a_whole_site_onto_postgresql_and_a_bucket() {
    let Some(s3) = S3Server::start() else {
        return;
    };
    let Some(database_url) = fresh_postgres_db() else {
        return;
    };
    let env = s3.env();
    let bucket = s3.bucket("restore-test");
    let old = tempfile::tempdir().unwrap();
    let old_dir = old.path().to_str().unwrap();
    masthead(&["seed", "--data-dir", old_dir, "--stories", "0"], &env);
    let fixed = ["--public-url", "https://news.example.org"];
    let original = Served::start(&[&["--data-dir", old_dir][..], &fixed[..]].concat(), &env);
    let (photo, key) = upload_photo(&original.url, old.path(), &[], &env);
    assert!(photo.contains("/media/"), "{photo}");

    // Backed up while it serves.
    let backup = old.path().join("site.backup");
    let printed = masthead(
        &["backup", "--data-dir", old_dir, backup.to_str().unwrap()],
        &env,
    );
    let sum = printed
        .lines()
        .find_map(|l| l.strip_prefix("SHA-256 "))
        .and_then(|l| l.split_whitespace().next())
        .expect("the checksum is printed")
        .to_string();
    let sidecar = std::fs::read_to_string(old.path().join("site.backup.sha256")).unwrap();
    assert!(sidecar.starts_with(&sum), "{sidecar}");
    let originals = files_in(&old.path().join("originals"));
    assert_eq!(originals.len(), 1, "the photo's original is kept");

    // A damaged copy is refused before anything is written.
    let damaged = old.path().join("damaged.backup");
    let mut bytes = std::fs::read(&backup).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&damaged, &bytes).unwrap();
    let new = tempfile::tempdir().unwrap();
    let new_dir = new.path().to_str().unwrap();
    let store = format!("s3://{bucket}/restored");
    let refused = Command::new(env!("CARGO_BIN_EXE_masthead"))
        .args([
            "restore",
            "--data-dir",
            new_dir,
            "--database-url",
            &database_url,
        ])
        .args(["--media-store", &store])
        .arg(&damaged)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("damaged"), "{said}");
    assert!(s3.keys(&bucket, "restored/").is_empty(), "nothing restored");

    let printed = masthead(
        &[
            "restore",
            "--data-dir",
            new_dir,
            "--database-url",
            &database_url,
            "--media-store",
            &store,
            backup.to_str().unwrap(),
        ],
        &env,
    );
    assert!(
        printed.contains(&format!("SHA-256 {sum} checked")),
        "{printed}"
    );

    // Every served file and original, byte for byte, in the bucket.
    for (name, bytes) in files_in(&old.path().join("media")) {
        assert_eq!(
            s3.object(&bucket, &format!("restored/media/{name}")),
            Some(bytes),
            "{name}"
        );
    }
    for (name, bytes) in &originals {
        assert_eq!(
            s3.object(&bucket, &format!("restored/originals/{name}"))
                .as_ref(),
            Some(bytes)
        );
    }

    // The restored site serves the same pages and files.
    let restored = Served::start(
        &[
            &[
                "--data-dir",
                new_dir,
                "--database-url",
                &database_url,
                "--media-store",
                &store,
            ][..],
            &fixed[..],
        ]
        .concat(),
        &env,
    );
    let story_pages: Vec<String> = {
        let latest = http_get(&format!("{}/latest/", original.url), &[]).text();
        latest
            .split("href=\"/stories/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(|slug| format!("/stories/{slug}"))
            .collect()
    };
    assert!(story_pages.len() >= 5, "{story_pages:?}");
    let photo_path = photo
        .trim_start_matches("https://news.example.org")
        .to_string();
    let mut compared = 0;
    for path in PAGES
        .iter()
        .map(|p| p.to_string())
        .chain(story_pages)
        .chain([
            photo_path,
            format!("/ghost/api/content/posts/?key={key}&include=authors,tags&formats=html"),
            format!("/ghost/api/content/settings/?key={key}"),
        ])
    {
        let (a, b) = (
            http_get(&format!("{}{path}", original.url), &[]),
            http_get(&format!("{}{path}", restored.url), &[]),
        );
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(b.status, 200, "{path}");
        assert!(a.body == b.body, "{path} differs after the restore");
        compared += 1;
    }
    for (name, bytes) in files_in(&old.path().join("media")) {
        let served = http_get(&format!("{}/media/{name}", restored.url), &[]);
        assert_eq!(served.status, 200, "{name}");
        assert_eq!(served.body, bytes, "{name}");
        compared += 1;
    }
    eprintln!("{compared} pages and media files are the same after the restore");
    drop((original, restored));
    drop_postgres_db(&database_url);
}
