//! Moves a media library from one store to another (`masthead media
//! copy`): every file of both areas, each read back from the target and
//! compared by size and SHA-256. A copy that stopped is resumed by running
//! it again: files already in the target with the same bytes are checked,
//! not sent again.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::{Area, MediaStorage};

/// What a copy did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Files sent and verified.
    pub copied: usize,
    /// Files the target already held with the same bytes.
    pub present: usize,
    pub bytes: u64,
}

/// Copies everything in `from` to `to`; `progress(area, done, total)`.
pub fn copy(
    from: &dyn MediaStorage,
    to: &dyn MediaStorage,
    progress: &dyn Fn(&str, usize, usize),
) -> anyhow::Result<CopyReport> {
    let mut report = CopyReport::default();
    for area in Area::ALL {
        let files = from
            .list(area)
            .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", from.describe()))?;
        let there: HashMap<String, u64> = to
            .list(area)
            .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", to.describe()))?
            .into_iter()
            .map(|f| (f.name, f.size))
            .collect();
        for (done, file) in files.iter().enumerate() {
            let bytes = from.get(area, &file.name).map_err(|e| {
                anyhow::anyhow!("cannot read {} from {}: {e}", file.name, from.describe())
            })?;
            let sum = Sha256::digest(&bytes);
            let same_there = there.get(&file.name) == Some(&(bytes.len() as u64))
                && to
                    .get(area, &file.name)
                    .is_ok_and(|copy| Sha256::digest(&copy) == sum);
            if same_there {
                report.present += 1;
            } else {
                to.put(area, &file.name, &bytes).map_err(|e| {
                    anyhow::anyhow!("cannot store {} in {}: {e}", file.name, to.describe())
                })?;
                let copy = to.get(area, &file.name).map_err(|e| {
                    anyhow::anyhow!("cannot read {} back from {}: {e}", file.name, to.describe())
                })?;
                if copy.len() != bytes.len() || Sha256::digest(&copy) != sum {
                    anyhow::bail!(
                        "{} in {} differs from the original ({} bytes, {} expected): nothing is deleted; run the copy again",
                        file.name,
                        to.describe(),
                        copy.len(),
                        bytes.len()
                    );
                }
                report.copied += 1;
                report.bytes += bytes.len() as u64;
            }
            progress(area.folder(), done + 1, files.len());
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::LocalDisk;

    fn disk(dir: &std::path::Path) -> LocalDisk {
        LocalDisk::new(dir.join("media"), dir.join("originals"))
    }

    #[test]
    fn a_copy_sends_each_file_once_and_resumes() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (from, to) = (disk(a.path()), disk(b.path()));
        from.put(Area::Served, "a-640.webp", b"served").unwrap();
        from.put(Area::Originals, "a.jpg", b"original").unwrap();
        // A copy that stopped half-way: one file there, one damaged.
        to.put(Area::Served, "a-640.webp", b"served").unwrap();
        to.put(Area::Originals, "a.jpg", b"origin").unwrap();
        let report = copy(&from, &to, &|_, _, _| {}).unwrap();
        assert_eq!(
            report,
            CopyReport {
                copied: 1,
                present: 1,
                bytes: 8
            }
        );
        assert_eq!(to.get(Area::Originals, "a.jpg").unwrap(), b"original");
        let again = copy(&from, &to, &|_, _, _| {}).unwrap();
        assert_eq!((again.copied, again.present), (0, 2));
    }
}
