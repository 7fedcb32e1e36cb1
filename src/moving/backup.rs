//! Backups, restores and moving a publication between databases: each is a
//! dump of one store loaded into another (see `store::dump`), checked by
//! comparing what both export.

use std::io::{BufReader, Read, Write};
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::masthead_format;
use crate::store::Store;
use crate::store::dump::LoadReport;

/// Copies every row of `from` into `to`, which must hold no publication.
pub async fn copy(
    from: &Store,
    to: &Store,
    progress: impl FnMut(&str, usize),
) -> anyhow::Result<LoadReport> {
    let (sender, receiver) = mpsc::channel(4);
    let (dumped, loaded) = tokio::join!(from.dump(sender), to.load(receiver, progress));
    // A refused load stops the dump too: its reason is the one to tell.
    let report = loaded?;
    dumped.context("cannot read the source database")?;
    Ok(report)
}

struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The SHA-256 of the store's export without its header: equal for two
/// databases exactly when they hold the same rows.
pub async fn fingerprint(store: &Store) -> anyhow::Result<String> {
    let (HashWriter(hasher), _) =
        masthead_format::export(store, HashWriter(Sha256::new()), false).await?;
    Ok(hex::encode(hasher.finalize()))
}

/// What `backup` wrote.
pub enum BackupKind {
    /// A copy of the SQLite file (`VACUUM INTO`).
    SqliteFile,
    /// A Masthead export taken from one snapshot (PostgreSQL).
    Export,
}

/// Writes a consistent backup of the running publication to `path`.
pub async fn backup(store: &Store, path: &Path) -> anyhow::Result<BackupKind> {
    if path.exists() {
        bail!(
            "{} already exists: choose a new name (backups are never overwritten)",
            path.display()
        );
    }
    if store.sqlite_snapshot(path).await? {
        return Ok(BackupKind::SqliteFile);
    }
    masthead_format::export_to_file(store, path).await?;
    Ok(BackupKind::Export)
}

/// Whether a file starts like an SQLite database.
fn is_sqlite_file(path: &Path) -> anyhow::Result<bool> {
    let mut start = [0u8; 16];
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let n = file.read(&mut start)?;
    Ok(n == 16 && &start == b"SQLite format 3\0")
}

/// Restores a backup (an SQLite file or a Masthead export) into `to`, which
/// must hold no publication.
pub async fn restore(
    to: &Store,
    path: &Path,
    progress: impl FnMut(&str, usize),
) -> anyhow::Result<LoadReport> {
    if is_sqlite_file(path)? {
        // Opened from a scratch copy: the backup itself stays untouched,
        // and an older one is brought up to this schema first.
        let scratch = tempfile_dir()?;
        let copy_path = scratch.join("restore.db");
        std::fs::copy(path, &copy_path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let url = format!("sqlite://{}", copy_path.display());
        let from = Store::connect(&url).await?;
        from.migrate()
            .await
            .with_context(|| format!("{} is not a Masthead database", path.display()))?;
        let copied = copy(&from, to, progress).await;
        from.close().await;
        let _ = std::fs::remove_dir_all(&scratch);
        return copied;
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    masthead_format::import(to, BufReader::new(file), progress)
        .await
        .with_context(|| format!("cannot restore {}", path.display()))
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("masthead-restore-{}", crate::model::new_id()));
    std::fs::create_dir_all(&dir).map_err(|e| anyhow!("cannot make {}: {e}", dir.display()))?;
    Ok(dir)
}
