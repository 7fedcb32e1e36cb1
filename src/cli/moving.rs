//! The commands that move a publication: import, export, backup, restore
//! and `db copy`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};

use super::StoreArgs;
use crate::config::Config;
use crate::moving::archive as backup_archive;
use crate::moving::{
    MediaSource, Options, backup, ghost, ghost_export, masthead_format, wordpress,
};
use crate::progress::Progress;
use crate::services::search;
use crate::store::Store;
use crate::store::dump::LoadReport;

/// What every importer from another platform takes.
#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A copy of the site's media folder (WordPress: wp-content/uploads;
    /// Ghost: content/images), where images are found
    #[arg(long, value_name = "DIR", conflicts_with = "fetch_media")]
    media_dir: Option<PathBuf>,
    /// Download each image from its address instead
    #[arg(long)]
    fetch_media: bool,
    /// Read everything and report, writing nothing
    #[arg(long)]
    dry_run: bool,
    file: PathBuf,
}

impl ImportArgs {
    fn options(&self) -> anyhow::Result<Options> {
        let media = match (&self.media_dir, self.fetch_media) {
            (Some(dir), _) if !dir.is_dir() => {
                bail!("--media-dir {} is not a folder", dir.display())
            }
            (Some(dir), _) => MediaSource::Dir(dir.clone()),
            (None, true) => MediaSource::Fetch,
            (None, false) => MediaSource::None,
        };
        Ok(Options {
            media,
            dry_run: self.dry_run,
        })
    }
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// A WordPress export (Tools → Export: WXR 1.0–1.2); safe to run again
    Wordpress(ImportArgs),
    /// A Ghost export (Settings → Labs → Export, Ghost 1 to 6); safe to run again
    Ghost {
        #[command(flatten)]
        args: ImportArgs,
        /// Ghost's redirects.json, whose plain rules answer 301 here too
        #[arg(long, value_name = "FILE")]
        redirects: Option<PathBuf>,
    },
    /// A Masthead export (`masthead export`), into an empty database
    Masthead {
        #[command(flatten)]
        store: StoreArgs,
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// Every row, read back losslessly by `masthead import masthead`
    Masthead,
    /// Ghost's export format (posts, pages, tags, authors), for Ghost's
    /// importer or any tool that reads it
    Ghost,
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Copy the whole publication into another, empty database (SQLite to
    /// PostgreSQL or back), then check both hold the same rows
    Copy {
        #[command(flatten)]
        store: StoreArgs,
        /// The database to copy into: postgres://USER@HOST/DB or sqlite://PATH
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

async fn open(args: &StoreArgs) -> anyhow::Result<(Config, Store)> {
    let config = Config::resolve(args.overrides())?;
    super::init_logging(&config);
    let store = crate::server::open_store(&config).await?;
    Ok((config, store))
}

/// The store a dry run reads names from, creating nothing: the site's own
/// database when it exists, else an empty one in memory (the SQLite file
/// and the data folder are not made).
async fn open_for_dry_run(args: &StoreArgs) -> anyhow::Result<(Config, Store)> {
    let config = Config::resolve(args.overrides())?;
    super::init_logging(&config);
    let missing = config
        .database_url
        .strip_prefix("sqlite://")
        .map(|path| path.split('?').next().unwrap_or(path))
        .is_some_and(|path| !std::path::Path::new(path).exists());
    if !missing {
        let store = crate::server::open_store(&config).await?;
        return Ok((config, store));
    }
    println!(
        "Dry run: {} does not exist, so the file is read against an empty site in memory; nothing is written.",
        config.database_url
    );
    let store = Store::connect("sqlite::memory:").await?;
    store.migrate().await?;
    Ok((config, store))
}

/// Shows a load's progress, one table at a time.
fn table_progress() -> impl FnMut(&str, usize) {
    |table: &str, rows: usize| {
        // Every 5,000 rows and at each table's first batch.
        if rows % 5000 < crate::store::dump::BATCH || rows < crate::store::dump::BATCH {
            println!("loading {table}: {rows} rows");
        }
    }
}

fn print_loaded(report: &LoadReport) {
    let rows: usize = report.tables.iter().map(|(_, n)| n).sum();
    let shown: Vec<String> = crate::store::dump::PUBLICATION
        .iter()
        .map(|t| format!("{} {t}", report.rows(t)))
        .collect();
    println!(
        "Loaded {rows} rows in {} tables: {}.",
        report.tables.len(),
        shown.join(", ")
    );
}

/// The search index is derived: rebuilt after every load.
async fn rebuild_search(store: &Store) -> anyhow::Result<()> {
    let total = store.count_all_stories().await? as usize;
    let progress = Progress::new(total, "indexed", "stories");
    search::reindex(store, |done| progress.show(done)).await?;
    progress.finish();
    store.optimize().await?;
    Ok(())
}

async fn library(config: &Config) -> anyhow::Result<crate::services::media::Library> {
    Ok(crate::services::media::Library::new(
        config.media_storage().await?,
        config.media,
    ))
}

/// "read 12.0/80.5 MB" while a file is read.
fn byte_progress() -> impl FnMut(u64, u64) {
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let mut shown = 0;
    move |at: u64, size: u64| {
        if at < size && at - shown < (8 << 20) && !terminal {
            return;
        }
        shown = at;
        let end = if terminal { "\r" } else { "\n" };
        print!(
            "read {:.1}/{:.1} MB{end}",
            at as f64 / 1e6,
            size as f64 / 1e6
        );
        let _ = std::io::Write::flush(&mut std::io::stdout());
    }
}

pub async fn import(command: ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Wordpress(args) => {
            from_platform(&args, async |store, library, options| {
                wordpress::import(store, library, &args.file, options, byte_progress()).await
            })
            .await
        }
        ImportCommand::Ghost { args, redirects } => {
            from_platform(&args, async |store, library, options| {
                ghost::import(store, library, &args.file, redirects.as_deref(), options).await
            })
            .await
        }
        // An export is one of the two things `restore` reads.
        ImportCommand::Masthead { store, file } => restore(&store, file).await,
    }
}

/// Runs an importer from another platform and shows its report.
async fn from_platform(
    args: &ImportArgs,
    importer: impl AsyncFnOnce(
        &Store,
        &crate::services::media::Library,
        &Options,
    ) -> anyhow::Result<crate::moving::Report>,
) -> anyhow::Result<()> {
    let options = args.options()?;
    let (config, store) = if options.dry_run {
        open_for_dry_run(&args.store).await?
    } else {
        open(&args.store).await?
    };
    let started = Instant::now();
    let report = importer(&store, &library(&config).await?, &options)
        .await
        .with_context(|| format!("cannot import {}", args.file.display()))?;
    println!();
    print!("{report}");
    // Every story saved was indexed with it: no rebuild needed.
    println!("Done in {:.1} s.", started.elapsed().as_secs_f64());
    store.close().await;
    Ok(())
}

pub async fn export(args: &StoreArgs, file: PathBuf, format: ExportFormat) -> anyhow::Result<()> {
    let (config, store) = open(args).await?;
    let started = Instant::now();
    let what = match format {
        ExportFormat::Masthead => masthead_format::export_to_file(&store, &file)
            .await
            .map(|w| format!("{} rows of {} tables", w.rows(), w.tables.len())),
        ExportFormat::Ghost => {
            let site = config.public_url.clone();
            crate::moving::to_file(&file, async |out| {
                ghost_export::export(&store, out, site).await
            })
            .await
            .map(|w| {
                format!(
                    "{} posts, {} pages, {} tags and {} authors in Ghost's format",
                    w.posts, w.pages, w.tags, w.users
                )
            })
        }
    }
    .context("nothing was exported")?;
    println!(
        "Exported {what} to {} in {:.1} s.",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}

/// "media 120/4500" lines: redrawn on a terminal, every 5% in a log.
fn count_progress() -> backup_archive::Progress {
    use std::io::IsTerminal;
    let terminal = std::io::stdout().is_terminal();
    std::sync::Arc::new(move |what: &str, done: usize, total: usize| {
        let step = (total / 20).max(1);
        if terminal {
            print!("{what} {done}/{total}\r");
            if done == total {
                println!();
            }
            let _ = std::io::Write::flush(&mut std::io::stdout());
        } else if done.is_multiple_of(step) || done == total {
            println!("{what} {done}/{total}");
        }
    })
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

pub async fn backup(args: &StoreArgs, file: PathBuf) -> anyhow::Result<()> {
    let (config, store) = open(args).await?;
    let media = config.media_storage().await?;
    let started = Instant::now();
    let from = media.describe();
    let summary = backup_archive::backup(&store, media, &file, count_progress()).await?;
    let what = match summary.database.as_str() {
        "database.sqlite" => "a copy of the SQLite database",
        _ => "an export of one consistent snapshot",
    };
    println!(
        "Wrote {} in {:.1} s: {what} ({}), {} served media files and {} originals from {from} ({}).",
        file.display(),
        started.elapsed().as_secs_f64(),
        megabytes(summary.database_bytes),
        summary.served,
        summary.originals,
        megabytes(summary.media_bytes),
    );
    if summary.vanished > 0 {
        println!(
            "{} media files were deleted while the backup ran (their images were removed after the snapshot): not included.",
            summary.vanished
        );
    }
    println!(
        "SHA-256 {} (kept in {}; `masthead restore` checks it).",
        summary.sha256,
        backup_archive::checksum_file(&file).display()
    );
    store.close().await;
    Ok(())
}

pub async fn restore(args: &StoreArgs, file: PathBuf) -> anyhow::Result<()> {
    let (config, store) = open(args).await?;
    let started = Instant::now();
    if !backup_archive::is_archive(&file)? {
        // A bare SQLite copy or export, as older versions wrote.
        let report = backup::restore(&store, &file, table_progress())
            .await
            .with_context(|| format!("nothing was loaded from {}", file.display()))?;
        print_loaded(&report);
        rebuild_search(&store).await?;
        println!(
            "Restored {} in {:.1} s. It held the database only: copy the media files into {} yourself.",
            file.display(),
            started.elapsed().as_secs_f64(),
            config.media_store
        );
        store.close().await;
        return Ok(());
    }
    let media = config.media_storage().await?;
    let into = media.describe();
    let (summary, report) =
        backup_archive::restore(&store, media, &file, count_progress(), table_progress())
            .await
            .with_context(|| format!("cannot restore {}", file.display()))?;
    print_loaded(&report);
    rebuild_search(&store).await?;
    println!(
        "Restored {} in {:.1} s: the database and {} served media files and {} originals into {into} ({}).",
        file.display(),
        started.elapsed().as_secs_f64(),
        summary.served,
        summary.originals,
        megabytes(summary.media_bytes),
    );
    println!("SHA-256 {} checked: every entry matched.", summary.sha256);
    store.close().await;
    Ok(())
}

#[derive(Subcommand)]
pub enum MediaCommand {
    /// Copy every media file (served copies and originals) to another store,
    /// checking each by size and SHA-256; run it again to resume
    Copy {
        #[command(flatten)]
        store: StoreArgs,
        /// Where to: s3://BUCKET/PREFIX (AWS_* as for the store) or a data
        /// directory (its media/ and originals/)
        #[arg(long, value_name = "STORE")]
        to: String,
    },
}

pub async fn media(command: MediaCommand) -> anyhow::Result<()> {
    match command {
        MediaCommand::Copy { store, to } => {
            let config = Config::resolve(store.overrides())?;
            super::init_logging(&config);
            let target = crate::storage::MediaLocation::parse(&to).map_err(anyhow::Error::msg)?;
            if target == config.media_store {
                bail!("--to names the store being copied: give another one");
            }
            let from = config.media_storage().await?;
            let to_store = tokio::task::spawn_blocking({
                let target = target.clone();
                move || target.open()
            })
            .await??;
            let started = Instant::now();
            let progress = count_progress();
            let (source, destination) = (from.describe(), to_store.describe());
            println!("Copying {source} to {destination}:");
            let report = tokio::task::spawn_blocking(move || {
                crate::storage::copy::copy(from.as_ref(), to_store.as_ref(), &*progress)
            })
            .await??;
            println!(
                "Copied {} files ({}) and found {} already there, all checked by size and SHA-256, in {:.1} s.",
                report.copied,
                megabytes(report.bytes),
                report.present,
                started.elapsed().as_secs_f64()
            );
            println!(
                "To use it, set [media] store = \"{target}\" (or MASTHEAD_MEDIA_STORE) on every instance and restart them."
            );
            Ok(())
        }
    }
}

pub async fn db(command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Copy { store, to } => {
            let (config, from) = open(&store).await?;
            if to == config.database_url {
                bail!("--to names the database being copied: give another one");
            }
            let started = Instant::now();
            let target = Store::connect(&to).await?;
            target.migrate().await?;
            let report = backup::copy(&from, &target, table_progress()).await?;
            print_loaded(&report);
            rebuild_search(&target).await?;
            let (a, b) =
                tokio::try_join!(backup::fingerprint(&from), backup::fingerprint(&target))?;
            if a != b {
                bail!(
                    "the copy differs from the original (export fingerprints {a} and {b}): do not switch to it"
                );
            }
            println!(
                "Copied to {} in {:.1} s; both databases export identically (sha256 {a}).",
                crate::store::redact(&to),
                started.elapsed().as_secs_f64()
            );
            target.close().await;
            from.close().await;
            Ok(())
        }
    }
}
