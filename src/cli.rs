//! The `masthead` command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::{self, Config, Overrides};

#[derive(Parser)]
#[command(
    name = "masthead",
    version,
    about = "A publishing platform for independent newsrooms"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site
    Serve(ServeArgs),
    /// Write a commented configuration file
    Init {
        /// Where to write it
        #[arg(long, default_value = config::DEFAULT_CONFIG_FILE)]
        path: PathBuf,
        /// Replace an existing file
        #[arg(long)]
        force: bool,
    },
    /// Bring the database schema up to date
    Migrate(StoreArgs),
    /// Fill an empty database with the demo publication (and optional extra stories for load tests)
    Seed {
        #[command(flatten)]
        store: StoreArgs,
        /// Total number of stories to have (demo stories plus generated ones)
        #[arg(long, default_value_t = 0)]
        stories: usize,
    },
}

/// Where the data lives: shared by every command that opens the database.
#[derive(Args, Clone)]
struct StoreArgs {
    /// Configuration file [default: ./masthead.toml when it exists]
    #[arg(long, env = "MASTHEAD_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (SQLite database, media) [default: ./masthead-data]
    #[arg(long, env = "MASTHEAD_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB [default: SQLite in the data directory]
    #[arg(long, env = "MASTHEAD_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "MASTHEAD_LISTEN")]
    listen: Option<String>,
    /// Folder whose templates/ and assets/ override the built-in theme
    #[arg(long, env = "MASTHEAD_THEME_DIR")]
    theme_dir: Option<PathBuf>,
    /// The public address of the site, for canonical links
    #[arg(long, env = "MASTHEAD_PUBLIC_URL")]
    public_url: Option<String>,
    /// Fill an empty database with demo content first
    #[arg(long)]
    demo: bool,
}

impl StoreArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            ..Default::default()
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = std::env::var("MASTHEAD_LOG").unwrap_or_else(|_| filter.to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let mut overrides = args.store.overrides();
            overrides.listen = args.listen;
            overrides.theme_dir = args.theme_dir;
            overrides.public_url = args.public_url;
            let config = Config::resolve(overrides)?;
            init_logging(&config.log);
            let started = std::time::Instant::now();
            let server = crate::server::start(&config, args.demo).await?;
            tracing::info!(
                addr = %server.addr,
                database = server.store.engine(),
                startup_ms = started.elapsed().as_millis() as u64,
                "serving"
            );
            println!(
                "Masthead is serving {}/ (listening on {}; press Ctrl-C to stop)",
                server.public_url.trim_end_matches('/'),
                server.addr
            );
            let _ = std::io::stdout().flush();
            crate::server::stop_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            server.shutdown().await?;
            Ok(())
        }
        Command::Init { path, force } => {
            if path.exists() && !force {
                bail!(
                    "{} already exists: pass --force to replace it",
                    path.display()
                );
            }
            std::fs::write(&path, config::TEMPLATE)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!(
                "Wrote {}. Edit it, then run `masthead serve`.",
                path.display()
            );
            Ok(())
        }
        Command::Migrate(args) => {
            let config = Config::resolve(args.overrides())?;
            init_logging(&config.log);
            let store = crate::server::open_store(&config).await?;
            println!("The {} database is up to date.", store.engine());
            store.close().await;
            Ok(())
        }
        Command::Seed { store, stories } => {
            let config = Config::resolve(store.overrides())?;
            init_logging(&config.log);
            let store = crate::server::open_store(&config).await?;
            let added = crate::demo::fill_if_empty(&store, &config.media_dir(), stories).await?;
            if added == 0 {
                println!("The database already has content; nothing was added.");
            } else {
                println!("Added {added} stories.");
            }
            store.close().await;
            Ok(())
        }
    }
}
