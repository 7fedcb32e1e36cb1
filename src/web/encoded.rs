//! A response body prepared once in every encoding a browser may ask for,
//! with its validator. Cached pages and theme assets are both served from it.

use std::hash::{Hash, Hasher};
use std::io::Write;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};

/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESS: usize = 512;

#[derive(Debug)]
pub struct Encoded {
    pub status: StatusCode,
    pub content_type: HeaderValue,
    pub cache_control: HeaderValue,
    pub etag: HeaderValue,
    pub last_modified: Option<(i64, HeaderValue)>,
    identity: axum::body::Bytes,
    gzip: Option<axum::body::Bytes>,
    brotli: Option<axum::body::Bytes>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoded {
    pub fn new(
        status: StatusCode,
        content_type: &str,
        cache_control: &'static str,
        last_modified: Option<i64>,
        body: axum::body::Bytes,
    ) -> Encoded {
        let compressible = body.len() >= MIN_COMPRESS
            && (content_type.starts_with("text/")
                || content_type.starts_with("image/svg")
                || content_type.starts_with("application/json"));
        let (gzip, brotli) = if compressible {
            (Some(gzip(&body).into()), Some(brotli(&body).into()))
        } else {
            (None, None)
        };
        let mut hasher = std::hash::DefaultHasher::new();
        body.hash(&mut hasher);
        status.as_u16().hash(&mut hasher);
        // Weak: the same content in different encodings shares one validator.
        let etag = HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.finish()))
            .expect("hex is a valid header value");
        Encoded {
            status,
            content_type: HeaderValue::from_str(content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            cache_control: HeaderValue::from_static(cache_control),
            etag,
            last_modified: last_modified.map(|t| {
                let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.max(0) as u64);
                (
                    t,
                    HeaderValue::from_str(&httpdate::fmt_http_date(when))
                        .expect("HTTP dates are valid header values"),
                )
            }),
            identity: body,
            gzip,
            brotli,
        }
    }

    pub fn byte_size(&self) -> usize {
        self.identity.len()
            + self.gzip.as_ref().map_or(0, |b| b.len())
            + self.brotli.as_ref().map_or(0, |b| b.len())
    }

    pub fn body(&self) -> &axum::body::Bytes {
        &self.identity
    }

    /// The response for one request: 304 when the client's copy is current,
    /// else the body in the best encoding it accepts.
    pub fn respond(&self, request: &HeaderMap) -> Response<Body> {
        let not_modified = self.status == StatusCode::OK && self.client_is_current(request);
        let coding = if self.gzip.is_some() {
            preferred_coding(request)
        } else {
            Coding::Identity
        };
        let mut builder = Response::builder()
            .status(if not_modified {
                StatusCode::NOT_MODIFIED
            } else {
                self.status
            })
            .header(header::CACHE_CONTROL, self.cache_control.clone())
            .header(header::ETAG, self.etag.clone());
        if self.gzip.is_some() {
            builder = builder.header(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        if let Some((_, date)) = &self.last_modified {
            builder = builder.header(header::LAST_MODIFIED, date.clone());
        }
        if not_modified {
            return builder.body(Body::empty()).expect("valid response");
        }
        let body = match coding {
            Coding::Brotli => {
                builder = builder.header(header::CONTENT_ENCODING, "br");
                self.brotli.clone()
            }
            Coding::Gzip => {
                builder = builder.header(header::CONTENT_ENCODING, "gzip");
                self.gzip.clone()
            }
            Coding::Identity => None,
        }
        .unwrap_or_else(|| self.identity.clone());
        builder
            .header(header::CONTENT_TYPE, self.content_type.clone())
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .expect("valid response")
    }

    fn client_is_current(&self, request: &HeaderMap) -> bool {
        if let Some(tags) = request.get(header::IF_NONE_MATCH) {
            let tags = tags.to_str().unwrap_or("");
            let ours = weak_tag(self.etag.to_str().unwrap_or(""));
            return tags
                .split(',')
                .map(str::trim)
                .any(|t| t == "*" || weak_tag(t) == ours);
        }
        if let (Some(since), Some((modified, _))) =
            (request.get(header::IF_MODIFIED_SINCE), &self.last_modified)
            && let Some(since) = since
                .to_str()
                .ok()
                .and_then(|s| httpdate::parse_http_date(s).ok())
        {
            let since = since
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            return *modified <= since;
        }
        false
    }
}

fn weak_tag(tag: &str) -> &str {
    tag.trim_start_matches("W/")
}

fn preferred_coding(request: &HeaderMap) -> Coding {
    let Some(accept) = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Coding::Identity;
    };
    let mut best = Coding::Identity;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        if refused {
            continue;
        }
        match name {
            "br" => return Coding::Brotli,
            "gzip" => best = Coding::Gzip,
            _ => {}
        }
    }
    best
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder
        .write_all(data)
        .and_then(|_| encoder.finish())
        .expect("compressing into memory cannot fail")
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 6,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)
        .expect("compressing into memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn picks_the_best_accepted_encoding() {
        assert_eq!(
            preferred_coding(&headers(&[(header::ACCEPT_ENCODING, "gzip, deflate, br")])),
            Coding::Brotli
        );
        assert_eq!(
            preferred_coding(&headers(&[(header::ACCEPT_ENCODING, "gzip, br;q=0")])),
            Coding::Gzip
        );
        assert_eq!(preferred_coding(&HeaderMap::new()), Coding::Identity);
    }

    #[test]
    fn matching_etag_gives_304() {
        let page = Encoded::new(
            StatusCode::OK,
            "text/html",
            "no-cache",
            Some(1_700_000_000),
            "<p>hello</p>".repeat(100).into(),
        );
        let tag = page.etag.to_str().unwrap().to_string();
        let resp = page.respond(&headers(&[(header::IF_NONE_MATCH, &tag)]));
        assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
        let resp = page.respond(&headers(&[(header::IF_NONE_MATCH, "W/\"other\"")]));
        assert_eq!(resp.status(), StatusCode::OK);
        let resp = page.respond(&headers(&[(
            header::IF_MODIFIED_SINCE,
            "Wed, 15 Nov 2023 00:00:00 GMT",
        )]));
        assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    }
}
