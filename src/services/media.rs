//! The media library's rules: who may upload (and how much), what an
//! upload must be, the copies made of it, what its alt text, caption and
//! credit say, and that an image in use is never deleted. Files go through
//! `storage`; an upload that fails on the way leaves none behind.

use std::fmt;
use std::sync::Arc;

use crate::imaging::{self, Refusal};
use crate::model::accounts::{Role, User};
use crate::model::{Image, new_id, slug};
use crate::services::permissions::{Action, may, refusal};
use crate::services::throttles::Limit;
use crate::storage::{Area, MediaStorage};
use crate::store::{ImageUse, Store, StoreError, UploadRecord};

/// What the media library accepts (the `[media]` table of the file).
#[derive(Debug, Clone, Copy, serde::Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MediaLimits {
    /// The largest file accepted, in MiB.
    pub max_upload_mb: usize,
    /// The most pixels an image may decode to, in millions: a small file
    /// that would unpack to more (a decompression bomb) is refused.
    pub max_megapixels: usize,
    /// How many images a contributor may upload a day.
    pub contributor_uploads: usize,
    /// The memory images being unpacked may take together, in MiB: uploads
    /// at once wait for their share (`imaging::unpacking_mib`: 355 MiB for
    /// a square 60-megapixel photo, 120 for a 12-megapixel one) rather than
    /// add up past it.
    pub unpack_memory_mb: usize,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            max_upload_mb: 25,
            max_megapixels: 60,
            contributor_uploads: 20,
            unpack_memory_mb: 512,
        }
    }
}

/// The library: where its files go, and what it accepts.
#[derive(Clone)]
pub struct Library {
    pub storage: Arc<dyn MediaStorage>,
    pub limits: MediaLimits,
    /// The memory images may take while they are unpacked and resized, in
    /// MiB: each upload holds its share (`imaging::unpacking_mib`) until
    /// its copies are made, so uploads at once queue rather than add up.
    unpacking: Arc<tokio::sync::Semaphore>,
}

/// How long the contributors' upload quota counts uploads.
pub const QUOTA_SECS: crate::model::UnixTime = 86_400;

/// An upload as it arrived.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

#[derive(Debug)]
pub enum MediaError {
    /// The file itself is refused (size, kind, pixels, damage).
    Refused(Refusal),
    /// The person may not (or may no more) do this.
    Forbidden(String),
    /// A field is wrong: names the field.
    Invalid {
        field: &'static str,
        message: String,
    },
    NotFound,
    /// Still shown somewhere: where the person may know, and how many
    /// other pieces (unpublished ones of others) besides.
    InUse {
        shown: Vec<ImageUse>,
        unseen: usize,
    },
    /// Writing the files failed.
    Files(String),
    Storage(StoreError),
}

impl fmt::Display for MediaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaError::Refused(r) => r.fmt(f),
            MediaError::Forbidden(why) => f.write_str(why),
            MediaError::Invalid { message, .. } => f.write_str(message),
            MediaError::NotFound => f.write_str("There is no such image in the library."),
            MediaError::InUse { shown, unseen } => {
                let mut places: Vec<String> = shown
                    .iter()
                    .map(|u| format!("{} “{}”", u.kind, u.title))
                    .collect();
                if *unseen > 0 {
                    places.push(format!(
                        "{unseen} unpublished piece{} of others",
                        if *unseen == 1 { "" } else { "s" }
                    ));
                }
                write!(
                    f,
                    "This image is still used ({}): replace it there first, then delete it.",
                    places.join(", ")
                )
            }
            MediaError::Files(why) => write!(f, "The files could not be stored: {why}"),
            MediaError::Storage(e) => write!(f, "The library is unavailable: {e}"),
        }
    }
}

impl From<StoreError> for MediaError {
    fn from(e: StoreError) -> Self {
        MediaError::Storage(e)
    }
}

const MAX_TEXT_CHARS: usize = 1000;

fn check_texts(alt: &str, caption: &str, credit: &str) -> Result<(), MediaError> {
    for (field, text) in [("alt", alt), ("caption", caption), ("credit", credit)] {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(MediaError::Invalid {
                field,
                message: format!("Keep it under {MAX_TEXT_CHARS} characters."),
            });
        }
    }
    Ok(())
}

/// The served file's stem: the upload's name made safe, and a unique tail.
fn stem_for(file_name: &str, id: &str) -> String {
    let base = file_name.rsplit_once('.').map_or(file_name, |(b, _)| b);
    let base: String = slug::slugify(base).chars().take(40).collect();
    let tail = &id[id.len().saturating_sub(12)..];
    format!("{}-{tail}", base.trim_end_matches('-'))
}

impl Library {
    pub fn new(storage: Arc<dyn MediaStorage>, limits: MediaLimits) -> Library {
        imaging::settle_allocators();
        Library {
            storage,
            unpacking: Arc::new(tokio::sync::Semaphore::new(limits.unpack_memory_mb)),
            limits,
        }
    }

    /// Adds an upload to the library as `user`: checked, copied in every
    /// width (and as WebP), its original kept unserved.
    pub async fn upload(
        &self,
        store: &Store,
        user: &User,
        upload: Upload,
    ) -> Result<Image, MediaError> {
        if !may(user.role, Action::Upload, true) {
            return Err(MediaError::Forbidden(refusal(user.role, Action::Upload)));
        }
        // Contributors upload so many images a day: each upload is counted
        // before it is looked at, so uploads sent at once cannot slip past.
        let quota = Limit {
            name: "uploads:contributor",
            max: self.limits.contributor_uploads as i64,
            per: QUOTA_SECS,
        };
        let reserved = if user.role == Role::Contributor {
            match quota.reserve(store, &user.id).await? {
                Ok(reserved) => Some(reserved),
                Err(e) => {
                    return Err(MediaError::Forbidden(format!(
                        "Contributors may upload {} images a day, and you have reached that. Try again in {}, ask an editor to add this one, or reuse one from the library.",
                        self.limits.contributor_uploads,
                        crate::model::dates::span_words(e.retry_after)
                    )));
                }
            }
        } else {
            None
        };
        let added = self
            .add(store, upload, new_id(), Some(user.id.clone()))
            .await;
        let image = match added {
            Ok(image) => image,
            Err(e) => {
                // A refused file takes nothing from the quota.
                if let Some(reserved) = reserved {
                    reserved.release(store).await?;
                }
                return Err(e);
            }
        };
        log(store, user, "uploaded image", &image.file).await;
        Ok(image)
    }

    /// Adds an image as `id` (importers choose ids that stay the same from
    /// one run to the next), with no permission check: the caller has made
    /// it. Files written before a failure are removed again.
    pub async fn add(
        &self,
        store: &Store,
        upload: Upload,
        id: String,
        uploaded_by: Option<String>,
    ) -> Result<Image, MediaError> {
        check_texts(&upload.alt, &upload.caption, &upload.credit)?;
        let max_bytes = self.limits.max_upload_mb * 1024 * 1024;
        let max_pixels = self.limits.max_megapixels as u64 * 1_000_000;
        let stem = stem_for(&upload.file_name, &id);
        let storage = self.storage.clone();
        let file_name = upload.file_name.clone();
        let bytes = upload.bytes;
        let stored_stem = stem.clone();
        let (inspected, bytes) = crate::cpu::run(move || {
            let inspected = imaging::inspect(&bytes, &file_name, max_bytes, max_pixels);
            (inspected, bytes)
        })
        .await;
        let inspected = inspected.map_err(MediaError::Refused)?;
        // Unpacking waits for its share of the memory budget; an image
        // that alone needs more than the whole budget is refused.
        let share = imaging::unpacking_mib(&inspected);
        if share > self.limits.unpack_memory_mb {
            return Err(MediaError::Refused(Refusal::TooLargeToUnpack {
                width: inspected.width,
                height: inspected.height,
                budget_mib: self.limits.unpack_memory_mb,
            }));
        }
        let share = self
            .unpacking
            .clone()
            .acquire_many_owned(share as u32)
            .await
            .map_err(|_| MediaError::Files("the image worker stopped".into()))?;
        // The share goes with the work: an upload whose request is gone
        // still holds it until its pixels are freed.
        let made = crate::cpu::run_holding(share, move || {
            let prepared =
                imaging::prepare(&bytes, inspected, max_pixels).map_err(MediaError::Refused)?;
            let original = format!("{stored_stem}-original.{}", inspected.kind.extension());
            let mut written: Vec<(Area, String)> = Vec::new();
            let result = (|| {
                storage.put(Area::Originals, &original, &bytes)?;
                written.push((Area::Originals, original.clone()));
                for copy in &prepared.copies {
                    let name = format!("{stored_stem}{}.{}", copy.suffix, copy.extension);
                    storage.put(Area::Served, &name, &copy.bytes)?;
                    written.push((Area::Served, name));
                }
                Ok::<(), std::io::Error>(())
            })();
            if let Err(e) = result {
                remove(storage.as_ref(), &written);
                return Err(MediaError::Files(e.to_string()));
            }
            // Every buffer freed here, on this thread, before it lets go.
            let size = bytes.len();
            let mut prepared = prepared;
            drop((std::mem::take(&mut prepared.copies), bytes));
            imaging::return_memory();
            Ok((prepared, original, size, written))
        })
        .await;
        let (prepared, original, size, written) = made?;
        let image = Image {
            id,
            file: format!("{stem}.{}", prepared.extension),
            width: prepared.width as i32,
            height: prepared.height as i32,
            alt: upload.alt.trim().to_string(),
            caption: upload.caption.trim().to_string(),
            credit: upload.credit.trim().to_string(),
            widths: prepared
                .widths
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(","),
            webp: prepared.webp,
        };
        let record = UploadRecord {
            original,
            bytes: size as i64,
            uploaded_by,
        };
        if let Err(e) = store.save_upload(&image, &record).await {
            let storage = self.storage.clone();
            let _ = tokio::task::spawn_blocking(move || remove(storage.as_ref(), &written)).await;
            return Err(e.into());
        }
        Ok(image)
    }

    /// Changes an image's alt text, caption and credit (the defaults stories use).
    pub async fn describe(
        &self,
        store: &Store,
        user: &User,
        id: &str,
        alt: &str,
        caption: &str,
        credit: &str,
    ) -> Result<Image, MediaError> {
        let entry = self.entry(store, id).await?;
        let own = entry.uploaded_by.as_deref() == Some(user.id.as_str());
        if !may(user.role, Action::Edit, own) {
            return Err(MediaError::Forbidden(
                "Only an editor, or whoever uploaded it, may change what an image says.".into(),
            ));
        }
        check_texts(alt, caption, credit)?;
        let image = Image {
            alt: alt.trim().to_string(),
            caption: caption.trim().to_string(),
            credit: credit.trim().to_string(),
            ..entry.image
        };
        store.save_image(&image).await?;
        log(store, user, "described image", &image.file).await;
        Ok(image)
    }

    /// Deletes an image and its files, unless it is still in use.
    pub async fn delete(&self, store: &Store, user: &User, id: &str) -> Result<(), MediaError> {
        let entry = self.entry(store, id).await?;
        let own = entry.uploaded_by.as_deref() == Some(user.id.as_str());
        if !may(user.role, Action::Delete, own) {
            return Err(MediaError::Forbidden(
                "Only an editor, or whoever uploaded it, may delete an image.".into(),
            ));
        }
        let mut uses = store.image_uses(&entry.image).await?;
        let settings = store
            .site_settings()
            .await
            .map_err(|e| MediaError::Files(e.to_string()))?;
        if settings.logo_image_id.as_deref() == Some(id) {
            uses.push(ImageUse {
                kind: "site".into(),
                id: String::new(),
                title: "logo".into(),
            });
        }
        if !uses.is_empty() {
            let (shown, unseen) = crate::services::editing::visible_uses(store, user, uses).await?;
            return Err(MediaError::InUse { shown, unseen });
        }
        store.delete_image(id).await?;
        let mut files: Vec<(Area, String)> = served_files(&entry.image)
            .into_iter()
            .map(|f| (Area::Served, f))
            .collect();
        if let Some(original) = entry.original {
            files.push((Area::Originals, original));
        }
        let storage = self.storage.clone();
        let _ = tokio::task::spawn_blocking(move || remove(storage.as_ref(), &files)).await;
        log(store, user, "deleted image", &entry.image.file).await;
        Ok(())
    }

    /// An image with what the library knows of it.
    pub async fn entry(
        &self,
        store: &Store,
        id: &str,
    ) -> Result<crate::store::LibraryImage, MediaError> {
        store.library_image(id).await?.ok_or(MediaError::NotFound)
    }
}

/// Every served file of an image: each width, each as WebP too.
pub fn served_files(image: &Image) -> Vec<String> {
    let mut widths = image.smaller_widths();
    widths.push(image.width);
    let mut files = Vec::new();
    for w in widths {
        files.push(image.file_at(w, None));
        if image.webp {
            files.push(image.file_at(w, Some("webp")));
        }
    }
    files
}

fn remove(storage: &dyn MediaStorage, files: &[(Area, String)]) {
    for (area, name) in files {
        if let Err(e) = storage.delete(*area, name) {
            tracing::warn!(file = %name, error = %e, "a media file could not be removed");
        }
    }
}

async fn log(store: &Store, user: &User, action: &str, subject: &str) {
    if let Err(e) = store.log_activity(Some(&user.id), action, subject).await {
        tracing::warn!(error = %e, "could not record a change in the activity log");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_safe_and_unique() {
        let id = "0193a8f2b4c17d3e9f00aa11bb22cc33";
        assert_eq!(
            stem_for("Harbour at Dawn.JPG", id),
            "harbour-at-dawn-aa11bb22cc33"
        );
        assert_eq!(stem_for("../../etc/passwd", id), "untitled-aa11bb22cc33");
        assert_eq!(
            stem_for("C:\\Users\\me\\x.png", id),
            "c-users-me-x-aa11bb22cc33"
        );
        let image = Image {
            file: "a-1.jpg".into(),
            width: 1000,
            widths: "320,640".into(),
            webp: true,
            ..Default::default()
        };
        assert_eq!(
            served_files(&image),
            [
                "a-1-320.jpg",
                "a-1-320.webp",
                "a-1-640.jpg",
                "a-1-640.webp",
                "a-1.jpg",
                "a-1.webp"
            ]
        );
    }
}
