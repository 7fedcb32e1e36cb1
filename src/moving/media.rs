//! Images of an imported site: found in a copy of its media folder or
//! downloaded, then added to the library under an id derived from their
//! source (so a second import finds them there and adds nothing).

use std::path::PathBuf;

use anyhow::anyhow;

use super::Report;
use crate::services::media::{Library, Upload};
use crate::store::Store;

/// Where an imported site's images come from.
#[derive(Debug, Clone)]
pub enum MediaSource {
    /// Not imported (the report says so).
    None,
    /// A copy of the site's media folder (WordPress's `wp-content/uploads`,
    /// Ghost's `content/images`): an address's path below that folder's
    /// name, or else its file name, is looked up here.
    Dir(PathBuf),
    /// Downloaded from each address.
    Fetch,
}

/// Path parts after which an address names a file of the media folder.
const FOLDERS: &[&str] = &["/wp-content/uploads/", "/uploads/", "/content/images/"];

/// Ghost writes its own address into exports as this placeholder.
pub const GHOST_URL: &str = "__GHOST_URL__";

pub struct Media<'a> {
    source: MediaSource,
    library: &'a Library,
    agent: Option<ureq::Agent>,
}

/// An image to bring in.
pub struct ImageFrom<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub alt: &'a str,
    pub caption: &'a str,
    /// What it belongs to, for the report: `attachment "Boat"`.
    pub what: &'a str,
}

impl<'a> Media<'a> {
    pub fn new(source: MediaSource, library: &'a Library) -> Media<'a> {
        let agent = matches!(source, MediaSource::Fetch).then(|| {
            ureq::Agent::config_builder()
                .timeout_global(Some(std::time::Duration::from_secs(60)))
                .build()
                .into()
        });
        Media {
            source,
            library,
            agent,
        }
    }

    pub fn enabled(&self) -> bool {
        !matches!(self.source, MediaSource::None)
    }

    /// Adds the image to the library unless it is there already; answers
    /// whether it is in the library now (in a dry run: would be). Files
    /// that cannot be found or are refused are noted, not fatal.
    pub async fn bring(
        &self,
        store: &Store,
        image: ImageFrom<'_>,
        report: &mut Report,
    ) -> anyhow::Result<bool> {
        if !self.enabled() {
            return Ok(false);
        }
        if !store
            .images_by_ids(&[image.id.to_string()])
            .await?
            .is_empty()
        {
            return Ok(true);
        }
        let url = image.url.to_string();
        let source = self.source.clone();
        let agent = self.agent.clone();
        let limit = self.library.limits.max_upload_mb as u64 * 1024 * 1024;
        let bytes = tokio::task::spawn_blocking(move || read(&source, agent.as_ref(), limit, &url))
            .await
            .map_err(|e| anyhow!("the media reader stopped: {e}"))?;
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(why) => {
                report.note(format!("{}: {why}", image.what));
                return Ok(false);
            }
        };
        if report.dry_run {
            return Ok(true);
        }
        let upload = Upload {
            file_name: image.url.rsplit('/').next().unwrap_or("image").to_string(),
            bytes,
            alt: image.alt.chars().take(1000).collect(),
            caption: image.caption.chars().take(1000).collect(),
            credit: String::new(),
        };
        match self
            .library
            .add(store, upload, image.id.to_string(), None)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                report.note(format!("{} was refused: {e}", image.what));
                Ok(false)
            }
        }
    }
}

/// An image's bytes, from the media folder or its address.
fn read(
    source: &MediaSource,
    agent: Option<&ureq::Agent>,
    limit: u64,
    url: &str,
) -> Result<Vec<u8>, String> {
    match source {
        MediaSource::None => Err("media are not imported".into()),
        MediaSource::Dir(dir) => {
            let placeholder_free = url.replace(GHOST_URL, "");
            let path = url::Url::parse(&placeholder_free)
                .map(|u| u.path().to_string())
                .unwrap_or(placeholder_free);
            let decoded = percent_encoding::percent_decode_str(&path)
                .decode_utf8()
                .map_or_else(|_| path.clone(), |d| d.into_owned());
            let relative = FOLDERS
                .iter()
                .find_map(|folder| decoded.split_once(folder).map(|(_, r)| r))
                .unwrap_or(decoded.trim_start_matches('/'));
            if relative.split('/').any(|part| part == "..") {
                return Err(format!("{url} leaves the media folder"));
            }
            let file = dir.join(relative);
            let by_name = dir.join(relative.rsplit('/').next().unwrap_or(relative));
            std::fs::read(&file)
                .or_else(|_| std::fs::read(&by_name))
                .map_err(|e| format!("{} is not in the media folder ({e})", file.display()))
        }
        MediaSource::Fetch => {
            let Some(agent) = agent else {
                return Err("no client to fetch with".into());
            };
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return Err(format!(
                    "{url} is not a full address: pass --media-dir with a copy of the media folder"
                ));
            }
            let mut response = agent
                .get(url)
                .call()
                .map_err(|e| format!("cannot fetch {url}: {e}"))?;
            response
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .map_err(|e| format!("cannot fetch {url}: {e}"))
        }
    }
}
