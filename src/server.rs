//! Starting and stopping the server: open the store, migrate, load the theme,
//! bind, serve until asked to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;
use crate::theme::Theme;
use crate::urls::PublicUrl;
use crate::web::{self, App, CacheLimits};

pub struct RunningServer {
    pub addr: SocketAddr,
    pub public_url: String,
    pub store: Store,
    stop: Option<oneshot::Sender<()>>,
    /// Where metrics are served, when they are.
    pub metrics_addr: Option<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    background: Vec<tokio::task::JoinHandle<()>>,
    /// Counts not yet saved are saved as the server stops.
    readership: Arc<crate::services::readership::Readership>,
    /// Readers' live streams end as the server stops.
    live: Arc<crate::web::LiveHub>,
}

/// SMTP connections kept open to the relay.
const MAIL_CONNECTIONS: u32 = 8;

/// How often a server reads the content version when it has no notification
/// channel (SQLite, or PostgreSQL while the LISTEN connection is down).
const CHANGE_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// How often the job worker looks for due jobs.
const JOB_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Opens the data directory and database and brings the schema up to date.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    open_store_with_clock(config, Clock::system()).await
}

async fn open_store_with_clock(config: &Config, clock: Clock) -> anyhow::Result<Store> {
    if config.database_url.starts_with("sqlite:") {
        config.prepare_data_dir()?;
    }
    let store = Store::connect_with_clock(&config.database_url, clock).await?;
    store.migrate().await?;
    Ok(store)
}

/// Renders of uncached pages at once: one per core leaves the cores to the
/// renders when only misses come, and never lets them queue up behind each
/// other so long that cached pages wait.
fn render_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Everything up to accepting connections; returns once the port is bound.
/// The setting that holds the address the server last answered on.
const SERVED_AT: &str = "served_at";

/// Where people reach this site, for links printed by the command line (a
/// new account's password link): `public_url` when configured, else the
/// address `serve` last answered on with this database, else the default
/// listening address.
pub async fn site_address(config: &Config, store: &Store) -> String {
    if config.public_url.is_some() {
        return config.site_url();
    }
    match store.setting(SERVED_AT).await {
        Ok(Some(address)) => address,
        _ => config.site_url(),
    }
}

pub async fn start(config: &Config, demo: bool) -> anyhow::Result<RunningServer> {
    start_with_clock(config, demo, Clock::system()).await
}

/// As `start`, with the clock every rule reads (tests move a manual one).
pub async fn start_with_clock(
    config: &Config,
    demo: bool,
    clock: Clock,
) -> anyhow::Result<RunningServer> {
    let theme = Arc::new(Theme::load(config.theme_dir.as_deref())?);
    let store = open_store_with_clock(config, clock).await?;
    if !config.database_url.starts_with("sqlite:")
        && config.media_store == crate::storage::MediaLocation::Folder(config.data_dir.clone())
    {
        // Media live in the data directory whatever the database is
        // (open_store has already checked it for SQLite).
        config.prepare_data_dir()?;
    }
    let media = config.media_storage().await?;
    if demo {
        crate::demo::fill_if_empty(&store, &media).await?;
    }
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {}: is another server using it? Choose another with --listen",
            config.listen
        )
    })?;
    let addr = listener.local_addr()?;
    let public_url = match &config.public_url {
        Some(url) => url.clone(),
        None if addr.ip().is_loopback() => format!("http://{addr}"),
        None => {
            tracing::warn!(
                "no public_url is set: canonical links will name this machine's address; \
                 set public_url (or MASTHEAD_PUBLIC_URL) to the address readers use"
            );
            let host = if addr.ip().is_unspecified() {
                "127.0.0.1".to_string()
            } else {
                addr.ip().to_string()
            };
            format!("http://{host}:{}", addr.port())
        }
    };
    // Written only when it changes: a settings write tells every instance
    // to drop its cached pages.
    let noted = store.setting(SERVED_AT).await.ok().flatten();
    if noted.as_deref() != Some(public_url.as_str())
        && let Err(e) = store.put_setting(SERVED_AT, &public_url).await
    {
        tracing::warn!("could not note the address {public_url} for the command line's links: {e}");
    }
    let mailer = config
        .smtp
        .as_ref()
        .map(|relay| crate::mail::Mailer::new(relay, MAIL_CONNECTIONS))
        .transpose()?;
    let job_context = crate::jobs::JobContext {
        store: store.clone(),
        mailer: mailer.clone(),
        theme: theme.clone(),
        public_url: PublicUrl::new(&public_url).with_media(config.media_url.as_deref()),
        sending: config.sending,
        allow_private_webhooks: config.webhooks.allow_private,
    };
    let mut app = App::new(
        store.clone(),
        theme,
        PublicUrl::new(&public_url).with_media(config.media_url.as_deref()),
        crate::services::media::Library::new(media, config.media),
        CacheLimits {
            bytes: config.cache_mb * 1024 * 1024,
            renders: render_concurrency(),
        },
    );
    app.mailer = mailer.clone();
    app.allow_private_webhooks = config.webhooks.allow_private;
    app.trusted_proxies = config.trusted_proxies.clone();
    let app = Arc::new(app);
    let readership = app.readership.clone();
    let live = app.live.clone();
    let mut background = vec![
        tokio::spawn(live.clone().run(app.clone())),
        tokio::spawn(
            readership
                .clone()
                .run(crate::services::readership::FLUSH_EVERY),
        ),
        tokio::spawn(store.clone().watch_for_changes(CHANGE_POLL)),
        tokio::spawn(crate::jobs::worker(job_context, JOB_POLL)),
    ];
    let (metrics, metrics_addr) = match config.metrics_listen {
        Some(addr) => {
            let metrics = Arc::new(web::metrics::Metrics::new(store.clone(), app.cache.clone()));
            let listener = TcpListener::bind(addr).await.with_context(|| {
                format!("cannot listen for metrics on {addr}: is another server using it?")
            })?;
            let bound = listener.local_addr()?;
            let router = web::metrics_router(metrics.clone());
            background.push(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            }));
            (Some(metrics), Some(bound))
        }
        None => (None, None),
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let router = web::router(app.clone(), metrics);
    let task = tokio::spawn(web::connections::serve(
        listener,
        router,
        Some(app),
        async {
            let _ = stopped.await;
        },
    ));
    Ok(RunningServer {
        addr,
        public_url,
        store,
        metrics_addr,
        stop: Some(stop),
        task,
        background,
        readership,
        live,
    })
}

impl RunningServer {
    /// Saves the readership counts noted so far (they are saved every
    /// few seconds anyway, and as the server stops).
    pub async fn save_readership(&self) -> anyhow::Result<usize> {
        self.readership.flush().await
    }

    /// Stops accepting, lets requests in flight finish, closes the database.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.live.close();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.context("server task failed")??;
        for task in &self.background {
            task.abort();
        }
        if let Err(e) = self.readership.flush().await {
            tracing::warn!(error = %e, "the last readership counts could not be saved");
        }
        self.store.close().await;
        Ok(())
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
