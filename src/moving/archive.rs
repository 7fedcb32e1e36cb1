//! A whole site in one file: `masthead backup` writes a tar archive of a
//! consistent database snapshot and every media object (served copies and
//! originals), and `masthead restore` brings it back on either database
//! and either media store. Every entry's SHA-256 is listed in the archive
//! (`SHA256SUMS`, last) and checked before anything is restored; the
//! SHA-256 of the whole file is printed and kept beside it
//! (`FILE.sha256`, in `sha256sum -c` form), and checked when present.
//!
//! Layout: `MASTHEAD-BACKUP` (format line), `database.sqlite` or
//! `database.masthead` (a Masthead export), `media/NAME…`,
//! `originals/NAME…`, `SHA256SUMS`.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use crate::storage::{Area, MediaStorage};
use crate::store::Store;
use crate::store::dump::LoadReport;

const FORMAT_ENTRY: &str = "MASTHEAD-BACKUP";
const FORMAT_LINE: &str = "masthead-backup 1\n";
const SUMS_ENTRY: &str = "SHA256SUMS";
const SQLITE_ENTRY: &str = "database.sqlite";
const EXPORT_ENTRY: &str = "database.masthead";
/// No media file is larger than the largest upload any configuration
/// allows; a restore keeps one file in memory at a time.
const MAX_MEDIA_BYTES: u64 = (crate::config::MAX_UPLOAD_MB as u64) << 20;

/// What a backup holds, and its checksum.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// `database.sqlite` or `database.masthead`.
    pub database: String,
    pub database_bytes: u64,
    pub served: usize,
    pub originals: usize,
    pub media_bytes: u64,
    /// Files deleted from the library while the backup ran (images
    /// removed after the snapshot was taken: not in it either).
    pub vanished: usize,
    /// SHA-256 of the whole file, hex.
    pub sha256: String,
}

/// Told what a long job has done, for its progress line: what, done, of.
pub type Progress = Arc<dyn Fn(&str, usize, usize) + Send + Sync>;

/// Writes the bytes on and hashes them on the way.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn entry_header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    header.set_entry_type(tar::EntryType::Regular);
    header
}

/// The file a checksum is kept in, beside the backup.
pub fn checksum_file(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".sha256");
    path.with_file_name(name)
}

/// Backs up the running site to `path` (never overwritten): the database
/// first, from one snapshot, then the media files the library holds.
pub async fn backup(
    store: &Store,
    media: Arc<dyn MediaStorage>,
    path: &Path,
    progress: Progress,
) -> anyhow::Result<Summary> {
    if path.exists() {
        bail!(
            "{} already exists: choose a new name (backups are never overwritten)",
            path.display()
        );
    }
    let partial = path.with_extension("partial");
    let scratch = partial.with_extension("db-partial");
    let written = async {
        // The snapshot goes to a scratch file beside the backup first: the
        // archive needs its size before its bytes.
        let _ = std::fs::remove_file(&scratch);
        let database = match super::backup::backup(store, &scratch).await? {
            super::backup::BackupKind::SqliteFile => SQLITE_ENTRY,
            super::backup::BackupKind::Export => EXPORT_ENTRY,
        };
        let (scratch, partial) = (scratch.clone(), partial.clone());
        tokio::task::spawn_blocking(move || {
            write_archive(&partial, &scratch, database, media.as_ref(), &*progress)
        })
        .await?
    }
    .await;
    let _ = std::fs::remove_file(&scratch);
    let summary = match written {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot name the backup {}", path.display()))?;
    let sidecar = checksum_file(path);
    std::fs::write(
        &sidecar,
        format!(
            "{}  {}\n",
            summary.sha256,
            path.file_name().unwrap_or_default().to_string_lossy()
        ),
    )
    .with_context(|| format!("cannot write {}", sidecar.display()))?;
    Ok(summary)
}

fn write_archive(
    partial: &Path,
    database_file: &Path,
    database: &str,
    media: &dyn MediaStorage,
    progress: &dyn Fn(&str, usize, usize),
) -> anyhow::Result<Summary> {
    let file = std::fs::File::create(partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let mut archive = tar::Builder::new(Hashing {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
    });
    let mut sums = String::new();
    let mut summary = Summary {
        database: database.to_string(),
        ..Summary::default()
    };
    fn append<W: Write>(
        archive: &mut tar::Builder<W>,
        sums: &mut String,
        name: &str,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        sums.push_str(&format!("{}  {name}\n", hex::encode(Sha256::digest(bytes))));
        archive.append_data(&mut entry_header(bytes.len() as u64), name, bytes)
    }
    append(
        &mut archive,
        &mut sums,
        FORMAT_ENTRY,
        FORMAT_LINE.as_bytes(),
    )?;

    // The database, read twice (its checksum, then its bytes) rather than
    // held in memory.
    let size = std::fs::metadata(database_file)?.len();
    let mut hasher = Sha256::new();
    std::io::copy(
        &mut BufReader::new(std::fs::File::open(database_file)?),
        &mut HashSink(&mut hasher),
    )?;
    sums.push_str(&format!("{}  {database}\n", hex::encode(hasher.finalize())));
    archive.append_data(
        &mut entry_header(size),
        database,
        BufReader::new(std::fs::File::open(database_file)?),
    )?;
    summary.database_bytes = size;

    for area in Area::ALL {
        let files = media
            .list(area)
            .with_context(|| format!("cannot list the media in {}", media.describe()))?;
        let total = files.len();
        for (done, listed) in files.iter().enumerate() {
            let bytes = match media.get(area, &listed.name) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    summary.vanished += 1;
                    continue;
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!(
                        "cannot read {} from {}",
                        listed.name,
                        media.describe()
                    )));
                }
            };
            append(
                &mut archive,
                &mut sums,
                &format!("{}/{}", area.folder(), listed.name),
                &bytes,
            )?;
            summary.media_bytes += bytes.len() as u64;
            match area {
                Area::Served => summary.served += 1,
                Area::Originals => summary.originals += 1,
            }
            progress(area.folder(), done + 1, total);
        }
    }
    archive.append_data(
        &mut entry_header(sums.len() as u64),
        SUMS_ENTRY,
        sums.as_bytes(),
    )?;
    let mut out = archive.into_inner()?;
    out.flush()?;
    out.inner
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()?;
    summary.sha256 = hex::encode(out.hasher.finalize());
    Ok(summary)
}

struct HashSink<'a>(&'a mut Sha256);

impl Write for HashSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether a file is a whole-site backup (not a bare database or export).
pub fn is_archive(path: &Path) -> anyhow::Result<bool> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut archive = tar::Archive::new(file);
    let first = archive
        .entries()
        .ok()
        .and_then(|mut entries| entries.next())
        .and_then(|entry| entry.ok())
        .and_then(|entry| entry.path().ok().map(|p| p.to_string_lossy().into_owned()));
    Ok(first.as_deref() == Some(FORMAT_ENTRY))
}

/// Reads the whole archive once: every entry against its listed SHA-256,
/// the whole file against `FILE.sha256` when it is there. Nothing is
/// restored from a backup that fails.
pub fn verify(path: &Path, progress: &dyn Fn(&str, usize, usize)) -> anyhow::Result<Summary> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let total_bytes = file.metadata()?.len();
    let mut whole = Sha256::new();
    let reader = HashingReader {
        inner: BufReader::with_capacity(1 << 20, file),
        hasher: &mut whole,
    };
    let mut archive = tar::Archive::new(reader);
    let mut found: HashMap<String, String> = HashMap::new();
    let mut listed: Option<String> = None;
    let mut summary = Summary::default();
    let mut read = 0u64;
    for entry in archive.entries()? {
        let mut entry = entry.with_context(|| format!("{} is damaged", path.display()))?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let size = entry.size();
        if name == SUMS_ENTRY {
            // A list longer than any real one (a line per file) is damage.
            let mut text = String::new();
            (&mut entry).take(64 << 20).read_to_string(&mut text)?;
            if (text.len() as u64) < size {
                bail!(
                    "{}'s checksum list is too long: the backup is damaged; use another",
                    path.display()
                );
            }
            listed = Some(text);
            continue;
        }
        let is_media = name.starts_with("media/") || name.starts_with("originals/");
        if is_media && size > MAX_MEDIA_BYTES {
            bail!(
                "{}: {name} is larger than any media file ({} MiB at most): the backup is damaged; use another",
                path.display(),
                crate::config::MAX_UPLOAD_MB
            );
        }
        let mut hasher = Sha256::new();
        std::io::copy(&mut entry, &mut HashSink(&mut hasher))?;
        found.insert(name.clone(), hex::encode(hasher.finalize()));
        read += size;
        if name == SQLITE_ENTRY || name == EXPORT_ENTRY {
            summary.database = name;
            summary.database_bytes = size;
        } else if name.starts_with("media/") {
            summary.served += 1;
            summary.media_bytes += size;
        } else if name.starts_with("originals/") {
            summary.originals += 1;
            summary.media_bytes += size;
        }
        progress(
            "checked MB",
            (read >> 20) as usize,
            (total_bytes >> 20) as usize,
        );
    }
    // What follows the last entry (tar's end blocks) belongs to the file too.
    let mut rest = archive.into_inner();
    std::io::copy(&mut rest, &mut std::io::sink())?;
    drop(rest);
    summary.sha256 = hex::encode(whole.finalize());

    let Some(listed) = listed else {
        bail!(
            "{} ends before its checksums: the backup was cut short; use another",
            path.display()
        );
    };
    let mut expected = 0;
    for line in listed.lines().filter(|l| !l.trim().is_empty()) {
        let Some((sum, name)) = line.split_once("  ") else {
            bail!("{}'s checksum list is damaged", path.display());
        };
        expected += 1;
        match found.get(name) {
            Some(actual) if actual == sum => {}
            Some(_) => bail!(
                "{name} in {} does not match its checksum: the backup is damaged; use another",
                path.display()
            ),
            None => bail!(
                "{name} is missing from {}: the backup is damaged; use another",
                path.display()
            ),
        }
    }
    if expected != found.len() || summary.database.is_empty() {
        bail!(
            "{} holds entries its checksum list does not name: the backup is damaged; use another",
            path.display()
        );
    }
    let sidecar = checksum_file(path);
    if let Ok(text) = std::fs::read_to_string(&sidecar) {
        let kept = text.split_whitespace().next().unwrap_or("");
        if kept != summary.sha256 {
            bail!(
                "{} has SHA-256 {} but {} says {kept}: the file changed since it was written; use another",
                path.display(),
                summary.sha256,
                sidecar.display()
            );
        }
    }
    Ok(summary)
}

struct HashingReader<'a, R> {
    inner: R,
    hasher: &'a mut Sha256,
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Restores a verified archive: the database into `to` (which must hold
/// no publication), then every media file into `media`.
pub async fn restore(
    to: &Store,
    media: Arc<dyn MediaStorage>,
    path: &Path,
    progress: Progress,
    tables: impl FnMut(&str, usize),
) -> anyhow::Result<(Summary, LoadReport)> {
    let summary = {
        let (path, progress) = (path.to_path_buf(), progress.clone());
        tokio::task::spawn_blocking(move || verify(&path, &*progress)).await??
    };
    let scratch = std::env::temp_dir().join(format!(
        "masthead-restore-{}-{}",
        crate::model::new_id(),
        summary.database
    ));
    let loaded = async {
        let (from, name, to_file) = (
            path.to_path_buf(),
            summary.database.clone(),
            scratch.clone(),
        );
        tokio::task::spawn_blocking(move || extract(&from, &name, &to_file)).await??;
        super::backup::restore(to, &scratch, tables).await
    }
    .await;
    let _ = std::fs::remove_file(&scratch);
    let report = loaded?;
    let (from, total) = (path.to_path_buf(), summary.served + summary.originals);
    tokio::task::spawn_blocking(move || restore_media(&from, media.as_ref(), total, &*progress))
        .await??;
    Ok((summary, report))
}

fn extract(path: &Path, name: &str, to: &Path) -> anyhow::Result<()> {
    let mut archive = tar::Archive::new(BufReader::new(std::fs::File::open(path)?));
    for entry in archive.entries()? {
        let mut entry = entry?;
        if entry.path()?.to_string_lossy() == name {
            let mut out = BufWriter::new(
                std::fs::File::create(to)
                    .with_context(|| format!("cannot write {}", to.display()))?,
            );
            std::io::copy(&mut entry, &mut out)?;
            out.flush()?;
            return Ok(());
        }
    }
    bail!("{} holds no database", path.display())
}

fn restore_media(
    path: &Path,
    media: &dyn MediaStorage,
    total: usize,
    progress: &dyn Fn(&str, usize, usize),
) -> anyhow::Result<()> {
    let mut done = 0;
    let mut archive = tar::Archive::new(BufReader::new(std::fs::File::open(path)?));
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let (area, file) = match name.split_once('/') {
            Some(("media", file)) => (Area::Served, file.to_string()),
            Some(("originals", file)) => (Area::Originals, file.to_string()),
            _ => continue,
        };
        // `verify` refused larger entries; the header is not trusted for
        // an allocation all the same.
        let mut bytes = Vec::with_capacity(entry.size().min(64 << 20) as usize);
        (&mut entry).take(MAX_MEDIA_BYTES).read_to_end(&mut bytes)?;
        media
            .put(area, &file, &bytes)
            .with_context(|| format!("cannot store {file} in {}", media.describe()))?;
        done += 1;
        progress("media files restored", done, total);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    /// A backup whose media entry claims more bytes than any configuration
    /// lets a library hold: refused from its header, before it is read
    /// (a restore keeps each file in memory to store it).
    #[test]
    fn a_media_entry_larger_than_any_upload_is_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hostile.tar");
        let mut out = std::fs::File::create(&path).unwrap();
        let write = |out: &mut std::fs::File, name: &str, claimed: u64, data: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_path(name).unwrap();
            header.set_size(claimed);
            header.set_mode(0o644);
            header.set_cksum();
            out.write_all(header.as_bytes()).unwrap();
            out.write_all(data).unwrap();
            let pad = (512 - data.len() % 512) % 512;
            out.write_all(&vec![0; pad]).unwrap();
        };
        let format = super::FORMAT_LINE.as_bytes();
        write(&mut out, super::FORMAT_ENTRY, format.len() as u64, format);
        write(&mut out, "media/huge.png", (1024 << 20) + 1, &[0; 512]);
        out.write_all(&[0; 1024]).unwrap();
        drop(out);
        let error = super::verify(&path, &|_, _, _| {}).unwrap_err().to_string();
        assert!(error.contains("larger than any media file"), "{error}");
    }
}
