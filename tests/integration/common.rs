//! Starting test sites on either database, and a small HTTP client.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use masthead::clock::Clock;
use masthead::config::{Config, Overrides};
use masthead::server::{self, RunningServer};
use masthead::store::Store;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The server PostgreSQL tests use; MASTHEAD_TEST_POSTGRES points elsewhere.
fn pg_admin_url() -> String {
    std::env::var("MASTHEAD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The URL of database `name` on the test server.
fn pg_database_url(name: &str) -> String {
    let admin = pg_admin_url();
    let server = admin.rsplit_once('/').map_or(admin.as_str(), |(s, _)| s);
    format!("{server}/{name}")
}

/// Whether CI asked for every suite to run (a skip is then a failure).
pub fn require_all() -> bool {
    std::env::var("MASTHEAD_REQUIRE_ALL").is_ok_and(|v| v == "1" || v == "true")
}

/// Prints straight to the terminal: libtest captures `println!`, not this.
pub fn notice(message: &str) {
    let _ = writeln!(std::io::stderr(), "\n*** {message}");
}

/// Skips (with one notice per suite) or fails (under MASTHEAD_REQUIRE_ALL)
/// when a suite cannot run here.
pub fn skip_or_fail(suite: &str, why: &str) {
    if require_all() {
        panic!("{suite} is required (MASTHEAD_REQUIRE_ALL=1) but cannot run: {why}");
    }
    static NOTICED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut noticed = NOTICED.lock().unwrap_or_else(|e| e.into_inner());
    if !noticed.iter().any(|s| s == suite) {
        noticed.push(suite.to_string());
        notice(&format!("SKIPPED {suite}: {why}"));
    }
}

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime")
    })
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    runtime().block_on(f)
}

fn postgres_available() -> bool {
    static UP: OnceLock<bool> = OnceLock::new();
    *UP.get_or_init(|| {
        block_on(async {
            tokio::time::timeout(
                std::time::Duration::from_secs(3),
                Store::connect(&pg_admin_url()),
            )
            .await
            .is_ok_and(|r| r.is_ok())
        })
    })
}

/// A fresh PostgreSQL database for one test; None (after a notice) when no server answers.
pub fn fresh_postgres_db() -> Option<String> {
    if !postgres_available() {
        skip_or_fail(
            "PostgreSQL tests",
            &format!(
                "no PostgreSQL server answers at {} (set MASTHEAD_TEST_POSTGRES to use another)",
                masthead::store::redact(&pg_admin_url())
            ),
        );
        return None;
    }
    static CLEANED: std::sync::Once = std::sync::Once::new();
    CLEANED.call_once(drop_stale_test_databases);
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "masthead_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        masthead::clock::Clock::system().now()
    );
    block_on(admin_sql(&format!("CREATE DATABASE {name}"))).expect("create test database");
    Some(pg_database_url(&name))
}

async fn admin_sql(sql: &str) -> Result<(), sqlx::Error> {
    let pool = sqlx::PgPool::connect(&pg_admin_url()).await?;
    let result = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&pool)
        .await
        .map(|_| ());
    pool.close().await;
    result
}

/// The shared sites live until the process ends, so their databases are
/// dropped by the next run: any test database more than an hour old.
fn drop_stale_test_databases() {
    block_on(async {
        let Ok(pool) = sqlx::PgPool::connect(&pg_admin_url()).await else {
            return;
        };
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT datname FROM pg_database WHERE datname LIKE 'masthead_test_%'",
        )
        .fetch_all(&pool)
        .await
        .unwrap_or_default();
        pool.close().await;
        let cutoff = masthead::clock::Clock::system().now() - 3600;
        for name in names {
            let created: i64 = name
                .rsplit('_')
                .next()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            if created < cutoff {
                let _ = admin_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            }
        }
    });
}

pub fn drop_postgres_db(url: &str) {
    let name = url.rsplit('/').next().unwrap_or_default().to_string();
    let _ = block_on(admin_sql(&format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )));
}

/// A running demo site on a temporary data directory and a fresh database.
pub struct TestSite {
    pub url: String,
    /// Where its Prometheus metrics are served, when asked for.
    pub metrics_url: Option<String>,
    pub store: Store,
    pub backend: Backend,
    server: Option<RunningServer>,
    pub database_url: String,
    _dir: tempfile::TempDir,
}

impl TestSite {
    /// The site's data directory (database, media, originals).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }
}

/// How a test site differs from the plain demo site.
#[derive(Default)]
pub struct SiteOptions {
    /// The clock its rules read (a manual one lets a test move time).
    pub clock: Clock,
    /// Serve Prometheus metrics on a port of their own.
    pub metrics: bool,
    /// What the media library accepts (the defaults when None).
    pub media: Option<masthead::services::media::MediaLimits>,
    /// The SMTP relay (none: mail waits).
    pub smtp_url: Option<String>,
    /// Webhooks may go to loopback (a receiver the test runs).
    pub allow_private_webhooks: bool,
    /// Reverse proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<String>,
    /// Where readers fetch media from (`[media] url`).
    pub media_url: Option<String>,
}

impl TestSite {
    /// None when the backend is not available here (after a notice).
    pub fn start(backend: Backend) -> Option<TestSite> {
        TestSite::start_with(backend, SiteOptions::default())
    }

    /// A site whose rules read `clock` (a manual one lets a test move time).
    pub fn start_with_clock(backend: Backend, clock: Clock) -> Option<TestSite> {
        TestSite::start_with(
            backend,
            SiteOptions {
                clock,
                ..Default::default()
            },
        )
    }

    pub fn start_with(backend: Backend, options: SiteOptions) -> Option<TestSite> {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("masthead.db").display()),
            Backend::Postgres => fresh_postgres_db()?,
        };
        let config = Config::resolve(Overrides {
            listen: Some("127.0.0.1:0".into()),
            data_dir: Some(dir.path().to_path_buf()),
            database_url: Some(database_url.clone()),
            metrics_listen: options.metrics.then(|| "127.0.0.1:0".to_string()),
            media: options.media,
            smtp_url: options.smtp_url,
            webhooks: Some(masthead::config::WebhookRules {
                allow_private: options.allow_private_webhooks,
            }),
            trusted_proxies: Some(options.trusted_proxies),
            media_url: options.media_url,
            ..Default::default()
        })
        .expect("config");
        let server = block_on(server::start_with_clock(&config, true, options.clock))
            .expect("server starts");
        Some(TestSite {
            url: format!("http://{}", server.addr),
            metrics_url: server.metrics_addr.map(|a| format!("http://{a}/metrics")),
            store: server.store.clone(),
            backend,
            server: Some(server),
            database_url,
            _dir: dir,
        })
    }

    pub fn get(&self, path: &str) -> Reply {
        http_get(&format!("{}{path}", self.url), &[])
    }

    /// Saves the readership counts it has noted (as it does every few seconds).
    pub fn save_readership(&self) -> usize {
        block_on(self.server.as_ref().unwrap().save_readership()).expect("counts saved")
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        http_get(&format!("{}{path}", self.url), headers)
    }
}

impl Drop for TestSite {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = block_on(server.shutdown());
        }
        if self.backend == Backend::Postgres {
            drop_postgres_db(&self.database_url);
        }
    }
}

/// Another instance of a site: a second server on the same database, as
/// a cluster runs several (it stops when dropped, leaving the database).
pub struct Instance {
    pub url: String,
    server: Option<RunningServer>,
    _dir: tempfile::TempDir,
}

impl Instance {
    /// Serving readers who reach the site at `public_url` (as every
    /// instance of a cluster is configured alike).
    pub fn start(database_url: &str, public_url: &str) -> Instance {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config::resolve(Overrides {
            listen: Some("127.0.0.1:0".into()),
            data_dir: Some(dir.path().to_path_buf()),
            database_url: Some(database_url.to_string()),
            public_url: Some(public_url.to_string()),
            ..Default::default()
        })
        .expect("config");
        let server = block_on(server::start(&config, false)).expect("server starts");
        Instance {
            url: format!("http://{}", server.addr),
            server: Some(server),
            _dir: dir,
        }
    }
}

impl Instance {
    /// Saves the readership counts it has noted (as it does every few seconds).
    pub fn save_readership(&self) -> usize {
        block_on(self.server.as_ref().unwrap().save_readership()).expect("counts saved")
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = block_on(server.shutdown());
        }
    }
}

/// One demo site per backend shared by the read-only tests (started once).
pub fn shared_site(backend: Backend) -> Option<&'static TestSite> {
    static SQLITE: OnceLock<Option<TestSite>> = OnceLock::new();
    static POSTGRES: OnceLock<Option<TestSite>> = OnceLock::new();
    let cell = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    cell.get_or_init(|| TestSite::start(backend)).as_ref()
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into()
}

pub fn http_get(url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = agent().get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    into_reply(request.call().expect("request"))
}

pub fn http_head(url: &str) -> Reply {
    into_reply(agent().head(url).call().expect("request"))
}

/// A POST of any body (a multipart upload, say).
pub fn http_post(url: &str, content_type: &str, body: &[u8], headers: &[(&str, &str)]) -> Reply {
    let mut request = agent().post(url).header("content-type", content_type);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    into_reply(request.send(body).expect("request"))
}

/// Any method, with an optional body (the Admin API's PUT and DELETE).
pub fn http_send(
    method: &str,
    url: &str,
    body: Option<(&str, &[u8])>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = match body {
        Some((content_type, bytes)) => agent().run(
            request
                .header("content-type", content_type)
                .body(bytes.to_vec())
                .expect("request"),
        ),
        None => agent().run(request.body(()).expect("request")),
    };
    into_reply(response.expect("request"))
}

pub fn http_post_form(url: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = agent()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    into_reply(request.send(body).expect("request"))
}

fn into_reply(mut response: ureq::http::Response<ureq::Body>) -> Reply {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(50 * 1024 * 1024)
        .read_to_vec()
        .unwrap_or_default();
    Reply {
        status,
        headers,
        body,
    }
}

/// Reads the first line a `masthead serve` child prints (its stdout piped)
/// and returns the site's URL without the final slash.
pub fn serving_url(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut line)
        .expect("the serving line");
    assert!(line.starts_with("Masthead is serving http://"), "{line}");
    line.split_whitespace()
        .nth(3)
        .expect("a URL")
        .trim_end_matches('/')
        .to_string()
}

/// Sends SIGTERM to a child process.
pub fn sigterm(child: &std::process::Child) {
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "SIGTERM could not be sent");
}

/// SIGTERM, then the exit status (within 10 s, or the test fails).
pub fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    sigterm(child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the process did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Runs a test body on both databases: `on_both_backends!(name, |site| …)`
/// makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($(#[$meta:meta])* $name:ident, $body:expr) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[test]
            fn sqlite() {
                ($body)($crate::common::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                ($body)($crate::common::Backend::Postgres)
            }
        }
    };
}

/// A Content API key, as a front-end would be given one.
pub fn content_key(site: &TestSite) -> String {
    block_on(masthead::services::integrations::create(
        &site.store,
        None,
        "Front end",
        masthead::model::accounts::Role::Contributor,
    ))
    .expect("an integration")
    .integration
    .content_key
}
