//! Media files as objects in an S3-compatible bucket (AWS S3, Cloudflare
//! R2, Backblaze B2, MinIO, Garage, Ceph, SeaweedFS), shared by every
//! instance. Requests are signed by `rusty_s3` and sent by `ureq`, the
//! blocking client the webhooks already use: the binary gains no second
//! HTTP stack. Served copies are kept under `PREFIX/media/`, originals
//! under `PREFIX/originals/`; only the first may ever be made public.

use std::io;
use std::time::Duration;

use anyhow::{Context, bail};
use rusty_s3::actions::{ListObjectsV2, S3Action};
use rusty_s3::{Credentials, UrlStyle};

use super::{Area, MediaStorage, StoredFile, checked_name, content_type};

/// How long a signed request stays valid: it is sent at once.
const SIGNED_FOR: Duration = Duration::from_secs(300);
/// Tries of one request that failed on the way or answered 5xx or 429.
const ATTEMPTS: u32 = 3;
/// The largest object read back: above the largest upload the library
/// accepts (1 GiB).
const LARGEST_OBJECT: u64 = 1 << 31;

/// Endpoint, region and credentials, from the standard `AWS_*` variables.
#[derive(Clone)]
pub struct S3Settings {
    endpoint: url::Url,
    style: UrlStyle,
    region: String,
    credentials: Credentials,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint.as_str())
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl S3Settings {
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`),
    /// `AWS_REGION` or `AWS_DEFAULT_REGION`, and for a store other than AWS
    /// itself `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`.
    pub fn from_env() -> anyhow::Result<S3Settings> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<S3Settings> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        else {
            bail!(
                "the media store is in S3 but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set: give the bucket's access key in them"
            );
        };
        let credentials = match var("AWS_SESSION_TOKEN") {
            Some(token) => Credentials::new_with_token(key, secret, token),
            None => Credentials::new(key, secret),
        };
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        // Other stores are addressed by path (`endpoint/bucket/key`), which
        // all of them accept; AWS itself by the bucket's own host name.
        let (endpoint, style) = match var("AWS_ENDPOINT_URL_S3").or_else(|| var("AWS_ENDPOINT_URL"))
        {
            Some(text) => {
                let url = url::Url::parse(text.trim()).with_context(|| {
                    format!("AWS_ENDPOINT_URL {text:?} is not an address: write it as https://HOST[:PORT]")
                })?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    bail!("AWS_ENDPOINT_URL {text:?} must be an http:// or https:// address");
                }
                (url, UrlStyle::Path)
            }
            None => (
                url::Url::parse(&format!("https://s3.{region}.amazonaws.com"))
                    .with_context(|| format!("AWS_REGION {region:?} is not a region name"))?,
                UrlStyle::VirtualHost,
            ),
        };
        Ok(S3Settings {
            endpoint,
            style,
            region,
            credentials,
        })
    }
}

/// A bucket (and a prefix in it) holding a media library.
pub struct Bucket {
    bucket: rusty_s3::Bucket,
    credentials: Credentials,
    prefix: String,
    agent: ureq::Agent,
}

impl Bucket {
    pub fn new(settings: &S3Settings, name: &str, prefix: &str) -> anyhow::Result<Bucket> {
        let bucket = rusty_s3::Bucket::new(
            settings.endpoint.clone(),
            settings.style,
            name.to_string(),
            settings.region.clone(),
        )
        .map_err(|e| anyhow::anyhow!("cannot address the bucket {name:?}: {e:?}"))?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(120)))
            .max_redirects(0)
            .user_agent(concat!("Masthead/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Bucket {
            bucket,
            credentials: settings.credentials.clone(),
            prefix: prefix.trim_matches('/').to_string(),
            agent: config.into(),
        })
    }

    fn key(&self, area: Area, name: &str) -> io::Result<String> {
        Ok(format!("{}{}", self.area_prefix(area), checked_name(name)?))
    }

    fn area_prefix(&self, area: Area) -> String {
        if self.prefix.is_empty() {
            format!("{}/", area.folder())
        } else {
            format!("{}/{}/", self.prefix, area.folder())
        }
    }

    /// Lists one key under the prefix: the bucket exists, answers and
    /// takes the credentials.
    pub fn check(&self) -> anyhow::Result<()> {
        self.list_page(&self.prefix, None, Some(1))
            .map(|_| ())
            .with_context(|| {
                format!(
                    "cannot use the media store {} at {}: check the bucket's name, AWS_ENDPOINT_URL, AWS_REGION and the access key",
                    self.describe(),
                    self.bucket.base_url()
                )
            })
    }

    /// Sends a request made afresh for each try (signatures carry the
    /// time), retrying what may pass a moment later.
    fn send(
        &self,
        what: &str,
        request: impl Fn() -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> io::Result<ureq::http::Response<ureq::Body>> {
        let mut wait = Duration::from_millis(100);
        for attempt in 1..=ATTEMPTS {
            let last = attempt == ATTEMPTS;
            match request() {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if (status >= 500 || status == 429) && !last {
                        tracing::warn!(
                            status,
                            attempt,
                            "the media store answered {what} with {status}: trying again"
                        );
                    } else {
                        return Ok(response);
                    }
                }
                Err(e) if last => {
                    return Err(io::Error::other(format!(
                        "the media store did not answer {what}: {e}"
                    )));
                }
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "the media store did not answer {what}: trying again");
                }
            }
            std::thread::sleep(wait);
            wait *= 4;
        }
        unreachable!("the last attempt returns")
    }

    fn list_page(
        &self,
        prefix: &str,
        token: Option<&str>,
        max_keys: Option<usize>,
    ) -> io::Result<rusty_s3::actions::ListObjectsV2Response> {
        let response = self.send("a listing", || {
            let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
            action.with_prefix(prefix.to_string());
            if let Some(token) = token {
                action.with_continuation_token(token.to_string());
            }
            if let Some(n) = max_keys {
                action.with_max_keys(n);
            }
            self.agent.get(action.sign(SIGNED_FOR).as_str()).call()
        })?;
        let body = read_body(response, "a listing", 64 << 20)?;
        ListObjectsV2::parse_response(&String::from_utf8_lossy(&body))
            .map_err(|e| io::Error::other(format!("the media store's listing cannot be read: {e}")))
    }
}

/// The body of a successful answer; a refusal as an error that says what
/// the store said.
fn read_body(
    mut response: ureq::http::Response<ureq::Body>,
    what: &str,
    limit: u64,
) -> io::Result<Vec<u8>> {
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| {
            io::Error::other(format!("the media store's answer to {what} broke off: {e}"))
        })?;
    if (200..300).contains(&status) {
        return Ok(body);
    }
    Err(refusal(status, what, &body))
}

fn refusal(status: u16, what: &str, body: &[u8]) -> io::Error {
    let text = String::from_utf8_lossy(body);
    let element = |tag: &str| {
        let open = format!("<{tag}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find("</")?;
        Some(text[start..start + end].to_string())
    };
    let said = match (element("Code"), element("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => format!("HTTP {status}"),
    };
    let kind = match status {
        404 => io::ErrorKind::NotFound,
        // A name the store will not take (too long, say): none such is kept.
        400 => io::ErrorKind::InvalidInput,
        401 | 403 => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, format!("the media store refused {what} ({said})"))
}

impl MediaStorage for Bucket {
    fn put(&self, area: Area, name: &str, bytes: &[u8]) -> io::Result<()> {
        let key = self.key(area, name)?;
        let what = format!("storing {name}");
        let response = self.send(&what, || {
            let action = self.bucket.put_object(Some(&self.credentials), &key);
            self.agent
                .put(action.sign(SIGNED_FOR).as_str())
                .header("Content-Type", content_type(name))
                // What a CDN or the bucket's public address sends on: the
                // names of served files change whenever their bytes do.
                .header("Cache-Control", "public, max-age=31536000, immutable")
                .send(bytes)
        })?;
        read_body(response, &what, 1 << 20).map(|_| ())
    }

    fn get(&self, area: Area, name: &str) -> io::Result<Vec<u8>> {
        let key = self.key(area, name)?;
        let what = format!("reading {name}");
        let response = self.send(&what, || {
            let action = self.bucket.get_object(Some(&self.credentials), &key);
            self.agent.get(action.sign(SIGNED_FOR).as_str()).call()
        })?;
        read_body(response, &what, LARGEST_OBJECT)
    }

    fn delete(&self, area: Area, name: &str) -> io::Result<()> {
        let key = self.key(area, name)?;
        let what = format!("deleting {name}");
        let response = self.send(&what, || {
            let action = self.bucket.delete_object(Some(&self.credentials), &key);
            self.agent.delete(action.sign(SIGNED_FOR).as_str()).call()
        })?;
        match read_body(response, &what, 1 << 20) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other.map(|_| ()),
        }
    }

    fn list(&self, area: Area) -> io::Result<Vec<StoredFile>> {
        let prefix = self.area_prefix(area);
        let mut files = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.list_page(&prefix, token.as_deref(), None)?;
            for object in page.contents {
                let Some(name) = object.key.strip_prefix(&prefix) else {
                    continue;
                };
                if checked_name(name).is_ok() {
                    files.push(StoredFile {
                        name: name.to_string(),
                        size: object.size.unwrap_or(0),
                    });
                }
            }
            match page.next_continuation_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket.name())
        } else {
            format!("s3://{}/{}", self.bucket.name(), self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> anyhow::Result<S3Settings> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        S3Settings::from_vars(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn settings_come_from_the_standard_variables() {
        let keys = [("AWS_ACCESS_KEY_ID", "k"), ("AWS_SECRET_ACCESS_KEY", "s")];
        let aws = settings(&[keys[0], keys[1], ("AWS_REGION", "eu-west-3")]).unwrap();
        assert_eq!(aws.endpoint.as_str(), "https://s3.eu-west-3.amazonaws.com/");
        assert!(matches!(aws.style, UrlStyle::VirtualHost));
        let minio = settings(&[
            keys[0],
            keys[1],
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
        ])
        .unwrap();
        assert_eq!(minio.region, "us-east-1");
        assert!(matches!(minio.style, UrlStyle::Path));
        let shown = format!(
            "{:?}",
            settings(&[keys[0], ("AWS_SECRET_ACCESS_KEY", "hunter22")]).unwrap()
        );
        assert!(!shown.contains("hunter22"), "{shown}");
        let missing = settings(&[keys[0]]).unwrap_err().to_string();
        assert!(missing.contains("AWS_SECRET_ACCESS_KEY"), "{missing}");
        assert!(settings(&[keys[0], keys[1], ("AWS_ENDPOINT_URL", "ftp://x")]).is_err());
    }

    #[test]
    fn keys_keep_areas_apart_under_the_prefix() {
        let s = settings(&[
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ])
        .unwrap();
        let bucket = Bucket::new(&s, "news", "site/a").unwrap();
        assert_eq!(
            bucket.key(Area::Served, "a.jpg").unwrap(),
            "site/a/media/a.jpg"
        );
        assert_eq!(
            bucket.key(Area::Originals, "a.jpg").unwrap(),
            "site/a/originals/a.jpg"
        );
        assert!(bucket.key(Area::Served, "../x").is_err());
        assert_eq!(bucket.describe(), "s3://news/site/a");
        let bare = Bucket::new(&s, "news", "").unwrap();
        assert_eq!(bare.key(Area::Served, "a.jpg").unwrap(), "media/a.jpg");
    }

    #[test]
    fn refusals_say_what_the_store_said() {
        let e = refusal(
            403,
            "storing a.jpg",
            b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        );
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert!(e.to_string().contains("AccessDenied: Access Denied"));
        assert_eq!(refusal(404, "reading", b"").kind(), io::ErrorKind::NotFound);
    }
}
