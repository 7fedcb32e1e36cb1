//! Where media files live: behind one small interface, so that a folder on
//! this machine or an S3-compatible bucket shared by every instance holds
//! them. Two areas: the copies readers are served, and the untouched
//! originals, which are never served (they may carry camera and location
//! data). Calls block: make them from `spawn_blocking`.

pub mod copy;
mod local;
mod s3;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use local::LocalDisk;
pub use s3::{Bucket as S3Bucket, S3Settings};

/// Which set of files a name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Served to readers under /media.
    Served,
    /// Kept, never served.
    Originals,
}

impl Area {
    pub const ALL: [Area; 2] = [Area::Served, Area::Originals];

    /// The folder (or key prefix) the area's files are kept under.
    pub fn folder(self) -> &'static str {
        match self {
            Area::Served => "media",
            Area::Originals => "originals",
        }
    }
}

/// One stored file, as a listing names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub name: String,
    pub size: u64,
}

pub trait MediaStorage: Send + Sync {
    /// Stores a file whole: readers never see half of one.
    fn put(&self, area: Area, name: &str, bytes: &[u8]) -> io::Result<()>;
    /// A file's bytes; `ErrorKind::NotFound` when there is none.
    fn get(&self, area: Area, name: &str) -> io::Result<Vec<u8>>;
    /// Removes a file; one already gone is not an error.
    fn delete(&self, area: Area, name: &str) -> io::Result<()>;
    /// Every file of an area, by name.
    fn list(&self, area: Area) -> io::Result<Vec<StoredFile>>;
    /// Where the files are, for messages: a folder or `s3://bucket/prefix`.
    fn describe(&self) -> String;
    /// The folder served files are in, when they are on this machine (the
    /// web layer then sends them straight from disk).
    fn served_folder(&self) -> Option<&Path> {
        None
    }
}

/// Checks a file name made by the library: nothing that could leave its
/// folder or prefix.
pub fn checked_name(name: &str) -> io::Result<&str> {
    if name.is_empty()
        || name.len() > 255
        || name.starts_with('.')
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a media file name"),
        ));
    }
    Ok(name)
}

/// Where a media library is kept, as configuration names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaLocation {
    /// A data directory: its `media/` and `originals/` folders.
    Folder(PathBuf),
    /// `s3://bucket/prefix`: objects under `prefix/media/` and
    /// `prefix/originals/`.
    S3 { bucket: String, prefix: String },
}

impl MediaLocation {
    /// `s3://bucket[/prefix]`, or a folder.
    pub fn parse(text: &str) -> Result<MediaLocation, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the media store is empty: give a folder or s3://bucket/prefix".into());
        }
        let Some(rest) = text.strip_prefix("s3://") else {
            if text.contains("://") {
                return Err(format!(
                    "the media store {text:?} is not one Masthead knows: give a folder or s3://bucket/prefix"
                ));
            }
            return Ok(MediaLocation::Folder(PathBuf::from(text)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // S3's own rule for bucket names: 3 to 63 of a-z, 0-9, '.', '-'.
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
        if !valid_bucket {
            return Err(format!(
                "{bucket:?} in {text:?} is not a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|part| part == ".." || part == ".")
            || prefix.contains("//")
            || prefix.chars().any(|c| c.is_control())
        {
            return Err(format!(
                "the prefix {prefix:?} in {text:?} is not a plain path: write it as a/b"
            ));
        }
        Ok(MediaLocation::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    /// Opens the store, checking that it answers (a wrong bucket or key
    /// stops start-up with the reason, not the first upload).
    pub fn open(&self) -> anyhow::Result<Arc<dyn MediaStorage>> {
        match self {
            MediaLocation::Folder(dir) => Ok(Arc::new(LocalDisk::new(
                dir.join(Area::Served.folder()),
                dir.join(Area::Originals.folder()),
            ))),
            MediaLocation::S3 { bucket, prefix } => {
                let settings = S3Settings::from_env()?;
                let store = S3Bucket::new(&settings, bucket, prefix)?;
                store.check()?;
                Ok(Arc::new(store))
            }
        }
    }
}

impl std::fmt::Display for MediaLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MediaLocation::Folder(dir) => write!(f, "{}", dir.display()),
            MediaLocation::S3 { bucket, prefix } if prefix.is_empty() => {
                write!(f, "s3://{bucket}")
            }
            MediaLocation::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// The content type readers are sent a media file with, by its extension.
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
        Some(e) if e == "jpg" || e == "jpeg" => "image/jpeg",
        Some(e) if e == "png" => "image/png",
        Some(e) if e == "gif" => "image/gif",
        Some(e) if e == "webp" => "image/webp",
        Some(e) if e == "svg" => "image/svg+xml",
        Some(e) if e == "avif" => "image/avif",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_read_as_written_and_bad_ones_refused() {
        assert_eq!(
            MediaLocation::parse("s3://news-media/site/one/").unwrap(),
            MediaLocation::S3 {
                bucket: "news-media".into(),
                prefix: "site/one".into()
            }
        );
        assert_eq!(
            MediaLocation::parse("s3://news-media").unwrap().to_string(),
            "s3://news-media"
        );
        assert_eq!(
            MediaLocation::parse("/srv/masthead").unwrap(),
            MediaLocation::Folder("/srv/masthead".into())
        );
        for bad in [
            "",
            "s3://",
            "s3://Upper",
            "s3://ab",
            "s3://b_c/x",
            "s3://bucket/../x",
            "gs://bucket",
        ] {
            assert!(MediaLocation::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn served_files_get_their_type() {
        assert_eq!(content_type("a-640.webp"), "image/webp");
        assert_eq!(content_type("A.JPG"), "image/jpeg");
        assert_eq!(content_type("x.svg"), "image/svg+xml");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }
}
