//! Media files in two folders on this machine.

use std::io;
use std::path::{Path, PathBuf};

use super::{Area, MediaStorage, StoredFile, checked_name};

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

    fn folder(&self, area: Area) -> &Path {
        match area {
            Area::Served => &self.served,
            Area::Originals => &self.originals,
        }
    }

    fn path(&self, area: Area, name: &str) -> io::Result<PathBuf> {
        Ok(self.folder(area).join(checked_name(name)?))
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

    fn list(&self, area: Area) -> io::Result<Vec<StoredFile>> {
        let entries = match std::fs::read_dir(self.folder(area)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            other => other?,
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            // Half-written files (`.partial`) and anything not named by the
            // library are not part of it.
            if meta.is_file() && !name.ends_with(".partial") && checked_name(&name).is_ok() {
                files.push(StoredFile {
                    name,
                    size: meta.len(),
                });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    fn describe(&self) -> String {
        match self.served.parent() {
            Some(dir) if self.originals.parent() == Some(dir) => dir.display().to_string(),
            _ => self.served.display().to_string(),
        }
    }

    fn served_folder(&self) -> Option<&Path> {
        Some(&self.served)
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
        disk.put(Area::Served, "b.jpg", b"12").unwrap();
        std::fs::write(dir.path().join("media/c.partial"), b"half").unwrap();
        assert_eq!(
            disk.list(Area::Served).unwrap(),
            vec![StoredFile {
                name: "b.jpg".into(),
                size: 2
            }]
        );
        disk.delete(Area::Originals, "a1-photo.jpg").unwrap();
        disk.delete(Area::Originals, "a1-photo.jpg").unwrap();
        assert!(disk.list(Area::Originals).unwrap().is_empty());
    }
}
