//! The `masthead` command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::{self, Config, LogFormat, Overrides};
use crate::model::accounts::Role;
use crate::services::accounts;

mod moving;

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
    /// Manage the newsroom's accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Newsletters: compose an issue, send it, list them
    #[command(subcommand)]
    Newsletter(NewsletterCommand),
    /// The search index
    #[command(subcommand)]
    Search(SearchCommand),
    /// API keys for tools (Ghost-compatible Content and Admin APIs)
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// Move a publication in: from a Masthead export (see `export`)
    #[command(subcommand)]
    Import(moving::ImportCommand),
    /// Write the whole publication to one file
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// masthead: every row, read back losslessly by `masthead import masthead`;
        /// ghost: Ghost's format
        #[arg(long, value_enum, default_value = "masthead")]
        format: moving::ExportFormat,
        file: PathBuf,
    },
    /// Back up the whole site into one file while it runs: a consistent
    /// snapshot of the database and every media file, with its SHA-256
    Backup {
        #[command(flatten)]
        store: StoreArgs,
        file: PathBuf,
    },
    /// Restore a backup (or a bare database copy or export) into an empty
    /// database and the media store, after checking every byte
    Restore {
        #[command(flatten)]
        store: StoreArgs,
        file: PathBuf,
    },
    /// The database itself: copy a publication to another one
    #[command(subcommand)]
    Db(moving::DbCommand),
    /// The media library's files: copy them to another store
    #[command(subcommand)]
    Media(moving::MediaCommand),
    /// Fill an empty database with the demo publication, or add generated archive stories for load tests
    Seed {
        #[command(flatten)]
        store: StoreArgs,
        /// On an empty database: stories to have in all (the demo's plus
        /// generated ones). On one with content: generated stories to add.
        #[arg(long, default_value_t = 0)]
        stories: usize,
        /// Also add this many generated readership views over the past
        /// year, spread over the public stories (for load tests).
        #[arg(long, default_value_t = 0)]
        views: u64,
    },
}

/// What the newsletter commands need besides the store.
#[derive(Args)]
struct MailArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The SMTP relay (as for serve)
    #[arg(long, env = "MASTHEAD_SMTP_URL", value_name = "URL")]
    smtp_url: Option<String>,
    /// The site's public address, for the links in the email
    #[arg(long, env = "MASTHEAD_PUBLIC_URL")]
    public_url: Option<String>,
    /// Where readers fetch media from (as for serve)
    #[arg(long, env = "MASTHEAD_MEDIA_URL", value_name = "URL")]
    media_url: Option<String>,
}

impl MailArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            smtp_url: self.smtp_url.clone(),
            public_url: self.public_url.clone(),
            media_url: self.media_url.clone(),
            ..self.store.overrides()
        }
    }
}

#[derive(Subcommand)]
enum NewsletterCommand {
    /// The newsletters, and their issues newest first
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Compose a round-up issue (a draft) from what was published since the last one
    Compose {
        #[command(flatten)]
        store: StoreArgs,
        /// The newsletter's slug, e.g. weekly
        newsletter: String,
    },
    /// Send an issue to every active subscriber, showing progress (resumes a send that stopped)
    Send {
        #[command(flatten)]
        mail: MailArgs,
        /// The issue's id (see `masthead newsletter list`)
        issue: String,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild the search index from the stories, showing progress (safe while serving)
    Reindex {
        #[command(flatten)]
        store: StoreArgs,
        /// Also work out every story's related stories (slower: a search per story)
        #[arg(long)]
        related: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account and print a one-time link to choose its password
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// owner, editor, author or contributor
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The name shown in the desk [default: the address's first part]
        #[arg(long, default_value = "")]
        name: String,
        /// The person's email address
        email: String,
    },
    /// List the accounts
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print a one-time link to choose a new password
    ResetPassword {
        #[command(flatten)]
        store: StoreArgs,
        email: String,
    },
}

#[derive(Subcommand)]
enum IntegrationCommand {
    /// Create an integration and print its Content API key and Admin API key
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// What the Admin API may do with it: editor, author or contributor
        #[arg(long, default_value = "editor", value_parser = parse_integration_role)]
        role: Role,
        /// The site's public address, which API clients are given (as for serve)
        #[arg(long, env = "MASTHEAD_PUBLIC_URL")]
        public_url: Option<String>,
        /// What it is, e.g. "Website front-end" or "Zapier"
        name: String,
    },
    /// List the integrations and their keys
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke an integration: its keys stop working at once
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        /// Its name (or id)
        name: String,
    },
}

fn parse_integration_role(text: &str) -> Result<Role, String> {
    crate::services::integrations::parse_role(text).map_err(|e| e.to_string())
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text)
        .ok_or_else(|| format!("{text:?} is not a role: use owner, editor, author or contributor"))
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
    /// Where media are kept: a folder, or s3://BUCKET/PREFIX (endpoint,
    /// region and key from AWS_*) [default: the data directory]
    #[arg(long, env = "MASTHEAD_MEDIA_STORE", value_name = "STORE")]
    media_store: Option<String>,
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
    /// Where readers fetch media from: a CDN or the bucket's public address
    /// [default: this server's /media/]
    #[arg(long, env = "MASTHEAD_MEDIA_URL", value_name = "URL")]
    media_url: Option<String>,
    /// Memory for cached pages, in MiB [default: 32]
    #[arg(long, env = "MASTHEAD_CACHE_MB")]
    cache_mb: Option<usize>,
    /// Serve Prometheus metrics at http://ADDR/metrics [default: off]
    #[arg(long, env = "MASTHEAD_METRICS_LISTEN", value_name = "ADDR")]
    metrics_listen: Option<String>,
    /// Log lines as "text" or "json" [default: text]
    #[arg(long, env = "MASTHEAD_LOG_FORMAT", value_name = "FORMAT")]
    log_format: Option<String>,
    /// The SMTP relay newsletters go through: smtp://HOST:PORT (STARTTLS when
    /// offered; required with a user), smtps://USER:PASS@HOST:465 (TLS)
    #[arg(long, env = "MASTHEAD_SMTP_URL", value_name = "URL")]
    smtp_url: Option<String>,
    /// Reverse proxies whose X-Forwarded-For names the client, comma-separated
    /// (nginx on this machine: 127.0.0.1)
    #[arg(
        long,
        env = "MASTHEAD_TRUSTED_PROXIES",
        value_name = "IPS",
        value_delimiter = ','
    )]
    trusted_proxies: Option<Vec<String>>,
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
            media_store: self.media_store.clone(),
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

/// Where sqlx logs PostgreSQL's notices.
const PG_NOTICES: &str = "sqlx::postgres::notice";

fn init_logging(config: &Config) {
    let wanted = std::env::var("MASTHEAD_LOG").unwrap_or_else(|_| config.log.clone());
    let mut filter = tracing_subscriber::EnvFilter::try_new(&wanted)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // PostgreSQL answers a search for stop words alone ("the") with a
    // NOTICE that the query was ignored: a reader's ordinary input, not
    // news for the log. Shown again when the filter names the target.
    if !wanted.contains(PG_NOTICES)
        && let Ok(quiet) = format!("{PG_NOTICES}=warn").parse()
    {
        filter = filter.add_directive(quiet);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let mut overrides = args.store.overrides();
            overrides.listen = args.listen;
            overrides.theme_dir = args.theme_dir;
            overrides.public_url = args.public_url;
            overrides.media_url = args.media_url;
            overrides.cache_mb = args.cache_mb;
            overrides.metrics_listen = args.metrics_listen;
            overrides.log_format = args.log_format;
            overrides.smtp_url = args.smtp_url;
            overrides.trusted_proxies = args.trusted_proxies;
            let config = Config::resolve(overrides)?;
            init_logging(&config);
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
            if let Some(addr) = server.metrics_addr {
                println!("Metrics: http://{addr}/metrics");
            }
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
            init_logging(&config);
            let store = crate::server::open_store(&config).await?;
            println!("The {} database is up to date.", store.engine());
            store.close().await;
            Ok(())
        }
        Command::User(command) => user_command(command).await,
        Command::Import(command) => moving::import(command).await,
        Command::Export {
            store,
            format,
            file,
        } => moving::export(&store, file, format).await,
        Command::Backup { store, file } => moving::backup(&store, file).await,
        Command::Restore { store, file } => moving::restore(&store, file).await,
        Command::Db(command) => moving::db(command).await,
        Command::Media(command) => moving::media(command).await,
        Command::Newsletter(command) => newsletter_command(command).await,
        Command::Integration(command) => integration_command(command).await,
        Command::Search(SearchCommand::Reindex { store, related }) => {
            use crate::progress::Progress;
            use crate::services::search;
            let config = Config::resolve(store.overrides())?;
            init_logging(&config);
            let store = crate::server::open_store(&config).await?;
            let total = store.count_all_stories().await? as usize;
            let started = std::time::Instant::now();
            let progress = Progress::new(total, "indexed", "stories");
            let indexed = search::reindex(&store, |done| progress.show(done)).await?;
            progress.finish();
            println!(
                "Rebuilt the search index: {indexed} stories in {:.1} s.",
                started.elapsed().as_secs_f64()
            );
            if related {
                let started = std::time::Instant::now();
                let progress = Progress::new(total, "related", "stories");
                let related = search::relate_all(&store, |done| progress.show(done)).await?;
                progress.finish();
                println!(
                    "Worked out the related stories of {related} stories in {:.1} s.",
                    started.elapsed().as_secs_f64()
                );
            }
            store.close().await;
            Ok(())
        }
        Command::Seed {
            store,
            stories,
            views,
        } => {
            let config = Config::resolve(store.overrides())?;
            init_logging(&config);
            let store = crate::server::open_store(&config).await?;
            let demo = crate::demo::fill_if_empty(&store, &config.media_storage().await?).await?;
            let generated = if demo > 0 {
                println!("Filled the empty database with the demo publication ({demo} stories).");
                crate::demo::add_generated_stories(&store, stories.saturating_sub(demo)).await?
            } else {
                crate::demo::add_generated_stories(&store, stories).await?
            };
            if demo + generated == 0 && views == 0 {
                println!(
                    "The database already has content; nothing was added (pass --stories N to add N generated stories)."
                );
            } else if demo + generated > 0 {
                println!("Added {} stories.", demo + generated);
            }
            if views > 0 {
                let started = std::time::Instant::now();
                let added = crate::demo::add_generated_views(&store, views).await?;
                println!(
                    "Added {added} readership views over the past year in {:.1} s.",
                    started.elapsed().as_secs_f64()
                );
            }
            store.close().await;
            Ok(())
        }
    }
}

async fn newsletter_command(command: NewsletterCommand) -> anyhow::Result<()> {
    use crate::services::sending;
    let overrides = match &command {
        NewsletterCommand::List { store } | NewsletterCommand::Compose { store, .. } => {
            store.overrides()
        }
        NewsletterCommand::Send { mail, .. } => mail.overrides(),
    };
    let config = Config::resolve(overrides)?;
    init_logging(&config);
    let store = crate::server::open_store(&config).await?;
    let result = async {
        match command {
            NewsletterCommand::List { .. } => {
                for n in store.newsletters().await? {
                    println!("{} ({}): {}", n.name, n.slug, n.description);
                }
                for issue in store.issues(false, 50).await? {
                    let progress = store.issue_progress(&issue.id).await?;
                    println!(
                        "  {}  {:<9} {}  (sent {}, failed {}, waiting {})",
                        issue.id,
                        issue.status.as_str(),
                        issue.subject,
                        progress.sent,
                        progress.failed,
                        progress.queued
                    );
                }
                Ok(())
            }
            NewsletterCommand::Compose { newsletter, .. } => {
                let newsletters = store.newsletters().await?;
                let Some(n) = newsletters.iter().find(|n| n.slug == newsletter) else {
                    anyhow::bail!(
                        "there is no newsletter {newsletter:?}; these exist: {}",
                        newsletters
                            .iter()
                            .map(|n| n.slug.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                };
                let (issue, items) = sending::compose_and_save(&store, n, None).await?;
                println!(
                    "Composed {:?} with {} stories and briefs: issue {}",
                    issue.subject,
                    items.len(),
                    issue.id
                );
                Ok(())
            }
            NewsletterCommand::Send { issue, .. } => send_issue(&config, &store, &issue).await,
        }
    }
    .await;
    store.close().await;
    result
}

/// Sends an issue from the command line, with a progress line, until every
/// delivery is sent or failed (or the relay keeps failing: then it pauses).
async fn send_issue(config: &Config, store: &crate::store::Store, id: &str) -> anyhow::Result<()> {
    use crate::services::sending::{self, Stretch};
    use std::io::Write;
    let Some(relay) = &config.smtp else {
        anyhow::bail!(
            "no SMTP relay is configured: pass --smtp-url or set smtp_url (or MASTHEAD_SMTP_URL)"
        );
    };
    let Some(issue) = store.issue_by_id(id).await? else {
        anyhow::bail!("there is no issue {id:?}: `masthead newsletter list` shows them");
    };
    let mailer = crate::mail::Mailer::new(relay, config.sending.concurrency as u32)?;
    let theme = crate::theme::Theme::load(config.theme_dir.as_deref())?;
    let public_url = crate::urls::PublicUrl::new(&crate::server::site_address(config, store).await)
        .with_media(config.media_url.as_deref());
    let queued = sending::start(store, &issue)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!(
        "Sending {:?} through {} ({queued} new deliveries queued)",
        issue.subject,
        relay.redacted()
    );
    let sender = sending::Sender {
        store,
        mailer: &mailer,
        theme: &theme,
        public_url: &public_url,
        limits: config.sending,
    };
    let started = std::time::Instant::now();
    loop {
        let stretch = sending::send_for(&sender, id, std::time::Duration::from_secs(1))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let p = store.issue_progress(id).await?;
        let done = p.sent + p.failed;
        let total = (done + p.queued).max(1);
        let width = 30;
        let filled = (done * width / total) as usize;
        eprint!(
            "\r[{}{}] {done}/{total} sent or failed ({} failed), {:.0} messages/s   ",
            "#".repeat(filled),
            " ".repeat(width as usize - filled),
            p.failed,
            p.sent as f64 / started.elapsed().as_secs_f64().max(0.001)
        );
        let _ = std::io::stderr().flush();
        match stretch {
            Stretch::More(at) => {
                let wait = at - store.clock().now();
                if wait > 0 {
                    tokio::time::sleep(std::time::Duration::from_secs(wait.min(5) as u64)).await;
                }
            }
            Stretch::Finished(p) => {
                eprintln!();
                println!(
                    "Sent {:?}: {} delivered to the relay, {} failed, in {:.1} s.",
                    issue.subject,
                    p.sent,
                    p.failed,
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            Stretch::Paused(why) => {
                eprintln!();
                anyhow::bail!("{why} Run the same command again to resume.");
            }
        }
    }
}

async fn integration_command(command: IntegrationCommand) -> anyhow::Result<()> {
    use crate::services::integrations;
    let store_args = match &command {
        IntegrationCommand::Add { store, .. }
        | IntegrationCommand::List { store }
        | IntegrationCommand::Revoke { store, .. } => store.clone(),
    };
    let mut overrides = store_args.overrides();
    if let IntegrationCommand::Add { public_url, .. } = &command {
        overrides.public_url = public_url.clone();
    }
    let config = Config::resolve(overrides)?;
    init_logging(&config);
    let store = crate::server::open_store(&config).await?;
    let site = crate::server::site_address(&config, &store).await;
    let api_url = match &config.public_url {
        Some(_) => site,
        None => format!(
            "{site} (the address serve last answered on: if readers reach the site elsewhere, pass --public-url or set public_url)"
        ),
    };
    let result = match command {
        IntegrationCommand::Add { role, name, .. } => {
            integrations::create(&store, None, &name, role)
                .await
                .map(|created| {
                    let i = &created.integration;
                    println!(
                        "Created the integration {:?}, acting as {} {}.
  Content API key: {}
  Admin API key:   {}
  API URL:         {}
Keep the Admin API key secret: it can change the site.",
                        i.name,
                        if role == Role::Editor || role == Role::Author {
                            "an"
                        } else {
                            "a"
                        },
                        role.as_str(),
                        i.content_key,
                        created.admin_key,
                        api_url,
                    );
                })
        }
        IntegrationCommand::List { .. } => {
            let list = store.integrations().await?;
            if list.is_empty() {
                println!(
                    "There are no integrations yet: create one with `masthead integration add NAME`."
                );
            }
            for i in list {
                let state = if i.revoked_at.is_some() {
                    "  (revoked)"
                } else {
                    ""
                };
                println!(
                    "{:<24} {:<12} content {}  admin {}:{}{state}",
                    i.name,
                    i.role.as_str(),
                    i.content_key,
                    i.admin_key_id,
                    i.admin_secret
                );
            }
            Ok(())
        }
        IntegrationCommand::Revoke { name, .. } => {
            integrations::revoke(&store, None, &name).await.map(|i| {
                println!(
                    "Revoked {:?}: its keys no longer work and its webhooks are not sent.",
                    i.name
                )
            })
        }
    };
    store.close().await;
    result.map_err(|e| anyhow::anyhow!("{e}"))
}

async fn user_command(command: UserCommand) -> anyhow::Result<()> {
    let store_args = match &command {
        UserCommand::Add { store, .. }
        | UserCommand::List { store }
        | UserCommand::ResetPassword { store, .. } => store.clone(),
    };
    let config = Config::resolve(store_args.overrides())?;
    init_logging(&config);
    let store = crate::server::open_store(&config).await?;
    let site = crate::server::site_address(&config, &store).await;
    let link = |token: &str| format!("{site}{}", crate::urls::desk_password(token));
    let days = accounts::LINK_SECS / 86_400;
    let result = match command {
        UserCommand::Add {
            role, name, email, ..
        } => accounts::add_user(&store, accounts::Actor::CommandLine, &email, &name, role)
            .await
            .map(|(user, token)| {
                println!(
                    "Created the {} account of {} <{}>.\nThey choose a password at this link (it works once, for {days} days):\n  {}",
                    role.as_str(),
                    user.name,
                    user.email,
                    link(&token)
                );
            }),
        UserCommand::List { .. } => {
            let users = store.users().await?;
            if users.is_empty() {
                println!("There are no accounts yet: create one with `masthead user add --role owner EMAIL`.");
            }
            for user in users {
                let state = if user.password_hash.is_some() {
                    ""
                } else {
                    "  (no password yet)"
                };
                println!("{:<12} {:<32} {}{state}", user.role.as_str(), user.email, user.name);
            }
            Ok(())
        }
        UserCommand::ResetPassword { email, .. } => {
            accounts::reset_link(&store, accounts::Actor::CommandLine, &email)
            .await
            .map(|(user, token)| {
                println!(
                    "{} <{}> chooses a new password at this link (it works once, for {days} days):\n  {}",
                    user.name,
                    user.email,
                    link(&token)
                );
            })
        }
    };
    store.close().await;
    result.map_err(|e| anyhow::anyhow!("{e}"))
}
