//! Where media files live: behind one small interface, so that an object
//! store can take the local disk's place. Two areas: the copies readers are
//! served, and the untouched originals, which are never served (they may
//! carry camera and location data). Calls block: make them from
//! `spawn_blocking`.

use std::io;
use std::path::{Path, PathBuf};

/// Which set of files a name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Served to readers under /media.
    Served,
    /// Kept, never served.
    Originals,
}

pub trait MediaStorage: Send + Sync {
    /// Stores a file whole: readers never see half of one.
    fn put(&self, area: Area, name: &str, bytes: &[u8]) -> io::Result<()>;
    fn get(&self, area: Area, name: &str) -> io::Result<Vec<u8>>;
    /// Removes a file; one already gone is not an error.
    fn delete(&self, area: Area, name: &str) -> io::Result<()>;
}

/// Files in two folders of the data directory.
#[derive(Debug, Clone)]
pub struct LocalDisk {
    served: PathBuf,
    originals: PathBuf,
}

impl LocalDisk {
    pub fn new(served: PathBuf, originals: PathBuf) -> LocalDisk {
        LocalDisk { served, originals }
    }

    fn path(&self, area: Area, name: &str) -> io::Result<PathBuf> {
        // Names are made by the library; refuse anything that could leave the folder.
        if name.is_empty()
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
        let dir = match area {
            Area::Served => &self.served,
            Area::Originals => &self.originals,
        };
        Ok(dir.join(name))
    }
}

fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })
}

impl MediaStorage for LocalDisk {
    fn put(&self, area: Area, name: &str, bytes: &[u8]) -> io::Result<()> {
        write_whole(&self.path(area, name)?, bytes)
    }

    fn get(&self, area: Area, name: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.path(area, name)?)
    }

    fn delete(&self, area: Area, name: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path(area, name)?) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_go_in_their_area_and_names_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        let disk = LocalDisk::new(dir.path().join("media"), dir.path().join("originals"));
        disk.put(Area::Originals, "a1-photo.jpg", b"raw").unwrap();
        assert!(dir.path().join("originals/a1-photo.jpg").exists());
        assert!(!dir.path().join("media/a1-photo.jpg").exists());
        assert_eq!(disk.get(Area::Originals, "a1-photo.jpg").unwrap(), b"raw");
        for bad in ["../x.jpg", "a/b.jpg", ".hidden", ""] {
            assert!(disk.put(Area::Served, bad, b"x").is_err(), "{bad}");
        }
        disk.delete(Area::Originals, "a1-photo.jpg").unwrap();
        disk.delete(Area::Originals, "a1-photo.jpg").unwrap();
    }
}
