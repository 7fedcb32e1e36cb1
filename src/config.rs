//! Configuration: command-line flags, then MASTHEAD_* environment variables,
//! then the TOML file, then defaults that work with no file at all.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

pub const DEFAULT_CONFIG_FILE: &str = "masthead.toml";

/// The file's keys. Unknown keys are refused so a typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub theme_dir: Option<PathBuf>,
    pub public_url: Option<String>,
    pub log: Option<String>,
    pub log_format: Option<String>,
    pub cache_mb: Option<usize>,
    pub metrics_listen: Option<String>,
    pub smtp_url: Option<String>,
    pub media: Option<MediaTable>,
    pub newsletters: Option<crate::services::sending::SendLimits>,
    pub webhooks: Option<WebhookRules>,
    pub trusted_proxies: Option<Vec<String>>,
}

/// The file's `[media]` table: where the library is kept, the address it
/// is served from, and what it accepts (`MediaLimits`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaTable {
    /// A folder, or `s3://bucket/prefix`.
    pub store: Option<String>,
    /// The public base address of served media (a CDN, the bucket's own).
    pub url: Option<String>,
    pub max_upload_mb: Option<usize>,
    pub max_megapixels: Option<usize>,
    pub contributor_uploads: Option<usize>,
    pub unpack_memory_mb: Option<usize>,
}

impl MediaTable {
    fn limits(&self) -> crate::services::media::MediaLimits {
        let d = crate::services::media::MediaLimits::default();
        crate::services::media::MediaLimits {
            max_upload_mb: self.max_upload_mb.unwrap_or(d.max_upload_mb),
            max_megapixels: self.max_megapixels.unwrap_or(d.max_megapixels),
            contributor_uploads: self.contributor_uploads.unwrap_or(d.contributor_uploads),
            unpack_memory_mb: self.unpack_memory_mb.unwrap_or(d.unpack_memory_mb),
        }
    }
}

/// Where webhooks may be sent (the `[webhooks]` table of the file).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookRules {
    /// Allow targets on this machine or a private network (off: anyone who
    /// may save a webhook could otherwise make the server call into the
    /// network it runs in).
    pub allow_private: bool,
}

/// Values given on the command line or in the environment (clap reads both).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub theme_dir: Option<PathBuf>,
    pub public_url: Option<String>,
    pub log_format: Option<String>,
    pub cache_mb: Option<usize>,
    pub metrics_listen: Option<String>,
    pub smtp_url: Option<String>,
    /// Where media are kept: a folder or `s3://bucket/prefix`.
    pub media_store: Option<String>,
    /// The public base address of served media.
    pub media_url: Option<String>,
    /// Set by embedders and tests (the file's `[media]` table otherwise).
    pub media: Option<crate::services::media::MediaLimits>,
    /// Likewise for `[newsletters]`.
    pub newsletters: Option<crate::services::sending::SendLimits>,
    /// Likewise for `[webhooks]`.
    pub webhooks: Option<WebhookRules>,
    /// Likewise for `trusted_proxies`.
    pub trusted_proxies: Option<Vec<String>>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// For people reading a terminal or a journal.
    Text,
    /// One JSON object a line, for log collectors.
    Json,
}

/// The largest upload any configuration allows (`[media] max_upload_mb`),
/// so the largest file a media library holds.
pub const MAX_UPLOAD_MB: usize = 1024;

/// The page cache's default budget: about 700 story pages, and a server
/// with a crawl of its whole archive behind it under 60 MB.
pub const DEFAULT_CACHE_MB: usize = 16;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub theme_dir: Option<PathBuf>,
    /// None: derived from the address actually bound.
    pub public_url: Option<String>,
    pub log: String,
    pub log_format: LogFormat,
    /// Memory for cached pages, in MiB.
    pub cache_mb: usize,
    /// Where Prometheus metrics are served (off when None).
    pub metrics_listen: Option<SocketAddr>,
    pub media: crate::services::media::MediaLimits,
    /// Where the media library is kept (the data directory by default).
    pub media_store: crate::storage::MediaLocation,
    /// Where readers fetch media from, when not from this server's /media/
    /// (no trailing slash).
    pub media_url: Option<String>,
    /// The SMTP relay (None: mail cannot be sent yet; sign-ups still work).
    pub smtp: Option<crate::mail::RelayUrl>,
    /// How fast newsletters go out.
    pub sending: crate::services::sending::SendLimits,
    pub webhooks: WebhookRules,
    /// Reverse proxies whose X-Forwarded-For names the client (rate limits
    /// count the client, not the proxy every request comes through).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

fn parse_listen(key: &str, text: &str) -> anyhow::Result<SocketAddr> {
    text.parse().map_err(|_| {
        anyhow::anyhow!(
            "the {key} address {text:?} is not valid: write it as IP:PORT, e.g. 127.0.0.1:8080"
        )
    })
}

impl Config {
    pub fn resolve(overrides: Overrides) -> anyhow::Result<Config> {
        let file = match &overrides.config {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                read_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => FileConfig::default(),
        };
        let listen_text = overrides
            .listen
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = parse_listen("listen", &listen_text)?;
        let metrics_listen = overrides
            .metrics_listen
            .or(file.metrics_listen)
            .map(|text| parse_listen("metrics_listen", &text))
            .transpose()?;
        let log_format = match overrides
            .log_format
            .or(file.log_format)
            .as_deref()
            .unwrap_or("text")
        {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => bail!("the log format {other:?} is not known: use \"text\" or \"json\""),
        };
        let cache_mb = overrides
            .cache_mb
            .or(file.cache_mb)
            .unwrap_or(DEFAULT_CACHE_MB);
        if cache_mb == 0 || cache_mb > 64 * 1024 {
            bail!(
                "cache_mb = {cache_mb} is out of range: give the page cache between 1 and 65536 MiB"
            );
        }
        let data_dir = overrides
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("masthead-data"));
        let database_url = overrides
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("masthead.db").display()));
        let public_url = overrides.public_url.or(file.public_url);
        if let Some(url) = &public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("public_url {url:?} must start with http:// or https://");
        }
        let file_media = file.media.unwrap_or_default();
        let media = overrides.media.unwrap_or_else(|| file_media.limits());
        let media_store = match overrides.media_store.or(file_media.store) {
            Some(text) => crate::storage::MediaLocation::parse(&text)
                .map_err(|e| anyhow::anyhow!("[media] store: {e}"))?,
            None => crate::storage::MediaLocation::Folder(data_dir.clone()),
        };
        let media_url = overrides
            .media_url
            .or(file_media.url)
            .filter(|u| !u.trim().is_empty())
            .map(|u| {
                let u = u.trim().trim_end_matches('/').to_string();
                match url::Url::parse(&u) {
                    Ok(parsed)
                        if matches!(parsed.scheme(), "http" | "https")
                            && parsed.host_str().is_some()
                            && parsed.query().is_none() =>
                    {
                        Ok(u)
                    }
                    _ => bail!(
                        "[media] url {u:?} is not a base address: write it as https://HOST/PATH, e.g. https://media.example.org"
                    ),
                }
            })
            .transpose()?;
        if media.max_upload_mb == 0 || media.max_upload_mb > MAX_UPLOAD_MB {
            bail!(
                "[media] max_upload_mb = {} is out of range: allow between 1 and {MAX_UPLOAD_MB} MiB",
                media.max_upload_mb
            );
        }
        if media.max_megapixels == 0 || media.max_megapixels > 500 {
            bail!(
                "[media] max_megapixels = {} is out of range: allow between 1 and 500",
                media.max_megapixels
            );
        }
        let largest = crate::imaging::unpacking_mib_of_square(media.max_megapixels);
        if media.unpack_memory_mb < largest {
            bail!(
                "[media] unpack_memory_mb = {} is too small for max_megapixels = {}: a square image that large takes {largest} MiB to unpack; allow at least that",
                media.unpack_memory_mb,
                media.max_megapixels
            );
        }
        let smtp = overrides
            .smtp_url
            .or(file.smtp_url)
            .filter(|u| !u.trim().is_empty())
            .map(|u| crate::mail::RelayUrl::parse(&u))
            .transpose()?;
        let sending = overrides
            .newsletters
            .or(file.newsletters)
            .unwrap_or_default();
        if sending.concurrency == 0 || sending.concurrency > 256 || sending.rate == 0 {
            bail!(
                "[newsletters] concurrency must be between 1 and 256 and rate above 0 (messages a second)"
            );
        }
        let webhooks = overrides.webhooks.or(file.webhooks).unwrap_or_default();
        let trusted_proxies = overrides
            .trusted_proxies
            .or(file.trusted_proxies)
            .unwrap_or_default()
            .iter()
            .map(|text| {
                text.trim().parse().map_err(|_| {
                    anyhow::anyhow!(
                        "trusted_proxies: {text:?} is not an IP address: list your proxies' addresses, e.g. [\"127.0.0.1\"]"
                    )
                })
            })
            .collect::<anyhow::Result<Vec<std::net::IpAddr>>>()?;
        Ok(Config {
            webhooks,
            trusted_proxies,
            sending,
            smtp,
            media,
            media_store,
            media_url,
            listen,
            data_dir,
            database_url,
            theme_dir: overrides.theme_dir.or(file.theme_dir),
            public_url,
            log: file.log.unwrap_or_else(|| "info".into()),
            log_format,
            cache_mb,
            metrics_listen,
        })
    }

    /// The address readers use: the configured public URL, else the listen address.
    pub fn site_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Opens the media library's store; an S3 bucket must answer first.
    pub async fn media_storage(
        &self,
    ) -> anyhow::Result<std::sync::Arc<dyn crate::storage::MediaStorage>> {
        let location = self.media_store.clone();
        tokio::task::spawn_blocking(move || location.open()).await?
    }

    /// Creates the data directory and proves it is writable, so a bad one
    /// stops start-up with advice rather than failing on the first upload.
    pub fn prepare_data_dir(&self) -> anyhow::Result<()> {
        let dir = &self.data_dir;
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "cannot create the data directory {}: choose another with --data-dir or MASTHEAD_DATA_DIR",
                dir.display()
            )
        })?;
        let probe = dir.join(".write-test");
        std::fs::write(&probe, b"ok")
            .and_then(|_| std::fs::remove_file(&probe))
            .with_context(|| {
                format!(
                    "the data directory {} is not writable: fix its permissions or choose another with --data-dir",
                    dir.display()
                )
            })?;
        Ok(())
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|span| format!(":{}", text[..span.start].matches('\n').count() + 1))
            .unwrap_or_default();
        anyhow::anyhow!(
            "the config file {}{line} is not valid: {}",
            path.display(),
            e.message()
        )
    })
}

/// What `masthead init` writes: every key, commented, with its default.
pub const TEMPLATE: &str = r#"# Masthead configuration. Every key is optional; the values shown are the
# defaults. Each can also be set by an environment variable (MASTHEAD_LISTEN,
# MASTHEAD_DATA_DIR, ...) or a command-line flag, which take precedence.

# Address and port to serve on.
# listen = "127.0.0.1:8080"

# Where the database (SQLite) and uploaded media live.
# data_dir = "masthead-data"

# sqlite://PATH (default: masthead.db inside data_dir) or
# postgres://USER:PASSWORD@HOST/DATABASE to run on PostgreSQL.
# database_url = "postgres://masthead@localhost/masthead"

# A folder whose templates/ and assets/ override the built-in theme, file by file.
# theme_dir = "theme"

# The address readers use, for canonical links (default: http://LISTEN).
# public_url = "https://news.example.org"

# Log filter: error, warn, info, debug, or per module (e.g. "info,sqlx=warn").
# log = "info"

# "text" for people, "json" (one object a line) for log collectors.
# log_format = "text"

# Memory for rendered pages kept ready to serve, in MiB: 16 holds about
# 700 story pages, the ones readers are reading. Pages past the budget are
# rendered again when asked for (a few milliseconds each).
# cache_mb = 16

# Serve Prometheus metrics at http://ADDR/metrics (off unless set). Keep it
# on a private address: it is not meant for the public.
# metrics_listen = "127.0.0.1:9100"

# The SMTP relay newsletters and confirmation emails go through (also
# MASTHEAD_SMTP_URL or --smtp-url). smtp://HOST:PORT uses STARTTLS when the
# relay offers it (and insists on it when a user is given);
# smtps://USER:PASSWORD@HOST:465 speaks TLS from the start. Without one,
# sign-ups are kept and confirmations wait until a relay is configured.
# smtp_url = "smtp://user:password@mail.example.org:587"

# What the media library accepts.
# [media]
# Where images are kept: the data directory (the default), or an
# S3-compatible bucket that every instance shares (also MASTHEAD_MEDIA_STORE
# or --media-store). Endpoint, region and key come from AWS_ENDPOINT_URL,
# AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
# store = "s3://BUCKET/PREFIX"
# The public address readers fetch media from (a CDN, or the bucket's public
# address for PREFIX/media/); unset, the server sends them from /media/.
# url = "https://media.example.org"
# The largest upload, in MiB.
# max_upload_mb = 25
# The most pixels an image may unpack to, in millions (refuses decompression bombs).
# max_megapixels = 60
# How many images a contributor may upload a day.
# contributor_uploads = 20
# The memory images being unpacked may take together, in MiB (a square
# 60-megapixel photo takes 355; uploads beyond it wait their turn).
# unpack_memory_mb = 512

# How fast newsletters go out.
# [newsletters]
# Messages in flight at once (also the most a crash can send twice).
# concurrency = 8
# Messages a second, at most (keep within what the relay allows).
# rate = 200

# The reverse proxies in front of Masthead (nginx on this machine:
# ["127.0.0.1"]). Requests from them are counted by the client address
# their X-Forwarded-For names, so that sign-in and sign-up limits count
# each reader, not the proxy; from anyone else the header is ignored.
# trusted_proxies = []

# Where webhooks may be sent.
# [webhooks]
# Allow targets on this machine or a private network (10.x, 192.168.x,
# localhost…). Off, so that saving a webhook cannot make the server call
# into the network it runs in; turn it on for a receiver you run beside it.
# allow_private = false
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_file() {
        let c = Config::resolve(Overrides {
            config: None,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(c.database_url.starts_with("sqlite://"));
    }

    #[test]
    fn a_typo_names_the_key_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\n\nlisten_addr = 3\n").unwrap();
        let err = Config::resolve(Overrides {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("m.toml:3"), "{err}");
        assert!(err.contains("listen_addr"), "{err}");
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/x\"\n",
        )
        .unwrap();
        let c = Config::resolve(Overrides {
            config: Some(path),
            listen: Some("127.0.0.1:9100".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.listen.port(), 9100);
        assert_eq!(c.data_dir, PathBuf::from("/srv/x"));
        assert_eq!(c.database_url, "sqlite:///srv/x/masthead.db");
    }

    #[test]
    fn the_init_template_parses() {
        let parsed: FileConfig = toml::from_str(TEMPLATE).unwrap();
        assert!(parsed.listen.is_none());
    }
}
