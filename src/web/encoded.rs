//! A response body kept ready to serve, with its validators and headers:
//! cached pages, feeds and theme assets are all served from one. It holds
//! the plain bytes and whichever compressed forms have been asked for; a
//! form nobody asked for is never computed.

use std::hash::{BuildHasher, Hash, Hasher};
use std::io::Write;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};

/// Bodies smaller than this are not worth compressing.
const MIN_COMPRESS: usize = 512;
/// Fixed, so that instances agree on validators.
const ETAG_SEED: u64 = 0x6d61_7374_6865_6164;

#[derive(Debug, Clone)]
pub struct Encoded {
    pub status: StatusCode,
    /// The route that made it, for metrics of responses served from memory.
    pub route: Option<RouteLabel>,
    pub etag: HeaderValue,
    /// The instant the content was last changed, and its HTTP date.
    last_modified: Option<(i64, HeaderValue)>,
    /// Content type, cache control and whatever else the handler set.
    headers: HeaderMap,
    identity: Bytes,
    compressible: bool,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

/// The route a response came from (as written in the router), carried on
/// responses for the metrics layer, which sits before routing.
#[derive(Debug, Clone)]
pub struct RouteLabel(pub std::sync::Arc<str>);

/// A content coding a client may accept.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoded {
    /// `headers` must hold the content type; hop-by-hop and length headers
    /// are dropped (they are set per response).
    pub fn new(
        status: StatusCode,
        mut headers: HeaderMap,
        last_modified: Option<i64>,
        body: Bytes,
    ) -> Encoded {
        for name in [
            header::CONTENT_LENGTH,
            header::CONTENT_ENCODING,
            header::TRANSFER_ENCODING,
            header::CONNECTION,
            header::DATE,
            header::ETAG,
            header::LAST_MODIFIED,
            header::VARY,
        ] {
            headers.remove(name);
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let compressible = body.len() >= MIN_COMPRESS && is_compressible(content_type);
        // foldhash with a fixed seed: the same bytes give the same tag on
        // every instance of a release, at several times SipHash's speed
        // (hashing a 20 kB page was 2% of an uncached story page's CPU).
        let mut hasher = foldhash::fast::FixedState::with_seed(ETAG_SEED).build_hasher();
        body.hash(&mut hasher);
        status.as_u16().hash(&mut hasher);
        // Weak: the same content in different encodings shares one validator.
        let etag = HeaderValue::from_str(&format!("W/\"{:016x}\"", hasher.finish()))
            .expect("hex is a valid header value");
        Encoded {
            status,
            route: None,
            etag,
            last_modified: last_modified.map(|t| (t, http_date(t))),
            headers,
            identity: body,
            compressible,
            gzip: None,
            brotli: None,
        }
    }

    /// Convenience for bodies made here (assets, error pages).
    pub fn with_type(
        status: StatusCode,
        content_type: &str,
        cache_control: &'static str,
        last_modified: Option<i64>,
        body: Bytes,
    ) -> Encoded {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
        Encoded::new(status, headers, last_modified, body)
    }

    /// Memory held: the body in every form computed so far.
    pub fn byte_size(&self) -> usize {
        self.identity.len()
            + self.gzip.as_ref().map_or(0, Bytes::len)
            + self.brotli.as_ref().map_or(0, Bytes::len)
    }

    /// The coding to answer `request` with.
    pub fn coding_for(&self, request: &HeaderMap) -> Coding {
        if self.compressible {
            preferred_coding(request)
        } else {
            Coding::Identity
        }
    }

    /// Whether the body is ready in `coding`.
    pub fn has(&self, coding: Coding) -> bool {
        match coding {
            Coding::Identity => true,
            Coding::Gzip => self.gzip.is_some(),
            Coding::Brotli => self.brotli.is_some(),
        }
    }

    /// A copy that also holds the body in `coding` (the bytes already made are shared).
    pub fn with_coding(&self, coding: Coding) -> Encoded {
        let mut copy = self.clone();
        match coding {
            Coding::Identity => {}
            Coding::Gzip => copy.gzip = Some(gzip(&self.identity).into()),
            Coding::Brotli => copy.brotli = Some(brotli(&self.identity).into()),
        }
        copy
    }

    /// With every coding a client may ask for (for assets, made once at start).
    pub fn with_all_codings(self) -> Encoded {
        if !self.compressible {
            return self;
        }
        self.with_coding(Coding::Gzip).with_coding(Coding::Brotli)
    }

    /// The response for one request: 304 when the client's copy is current,
    /// else the body in the best encoding it accepts that is ready.
    pub fn respond(&self, request: &HeaderMap) -> Response<Body> {
        let not_modified = self.status == StatusCode::OK && self.client_is_current(request);
        let mut response = Response::new(Body::empty());
        *response.headers_mut() = HeaderMap::with_capacity(self.headers.len() + 12);
        if let Some(route) = &self.route {
            response.extensions_mut().insert(route.clone());
        }
        *response.status_mut() = if not_modified {
            StatusCode::NOT_MODIFIED
        } else {
            self.status
        };
        let headers = response.headers_mut();
        for (name, value) in &self.headers {
            if not_modified && name == header::CONTENT_TYPE {
                continue;
            }
            headers.append(name, value.clone());
        }
        headers.insert(header::ETAG, self.etag.clone());
        if self.compressible {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        if let Some(date) = self.settled_last_modified() {
            headers.insert(header::LAST_MODIFIED, date.clone());
        }
        if not_modified {
            return response;
        }
        let (body, encoding) = match self.coding_for(request) {
            Coding::Brotli if self.brotli.is_some() => (self.brotli.clone(), Some("br")),
            Coding::Gzip | Coding::Brotli if self.gzip.is_some() => {
                (self.gzip.clone(), Some("gzip"))
            }
            _ => (None, None),
        };
        let body = body.unwrap_or_else(|| self.identity.clone());
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        *response.body_mut() = Body::from(body);
        response
    }

    /// RFC 9110 §13.1.3: with If-None-Match, If-Modified-Since is ignored.
    fn client_is_current(&self, request: &HeaderMap) -> bool {
        if let Some(tags) = request.get(header::IF_NONE_MATCH) {
            let tags = tags.to_str().unwrap_or("");
            let ours = weak_tag(self.etag.to_str().unwrap_or(""));
            return tags
                .split(',')
                .map(str::trim)
                .any(|t| t == "*" || weak_tag(t) == ours);
        }
        if let (Some(since), Some(_), Some((modified, _))) = (
            request.get(header::IF_MODIFIED_SINCE),
            self.settled_last_modified(),
            &self.last_modified,
        ) && let Some(since) = since
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

impl Encoded {
    /// The Last-Modified date, once the second it names is over. HTTP dates
    /// count whole seconds: a copy handed out in the same second as a
    /// change could be followed by another change in that second, and a
    /// client asking "modified since?" with that date would wrongly hear no.
    /// Until the second has passed, clients revalidate by ETag alone.
    fn settled_last_modified(&self) -> Option<&HeaderValue> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.last_modified
            .as_ref()
            .filter(|(t, _)| *t < now)
            .map(|(_, date)| date)
    }
}

fn is_compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("image/svg")
        || content_type.starts_with("application/json")
        || content_type.starts_with("application/xml")
        || content_type.starts_with("application/rss+xml")
        || content_type.starts_with("application/atom+xml")
        || content_type.starts_with("application/feed+json")
}

fn http_date(t: i64) -> HeaderValue {
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.max(0) as u64);
    HeaderValue::from_str(&httpdate::fmt_http_date(when))
        .expect("HTTP dates are valid header values")
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
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::new(6),
    );
    let mut out = encoder
        .write_all(data)
        .and_then(|_| encoder.finish())
        .expect("compressing into memory cannot fail");
    out.shrink_to_fit();
    out
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 6,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)
        .expect("compressing into memory cannot fail");
    out.shrink_to_fit();
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

    fn page() -> Encoded {
        Encoded::with_type(
            StatusCode::OK,
            "text/html",
            "no-cache",
            Some(1_700_000_000),
            "<p>hello</p>".repeat(100).into(),
        )
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
    fn only_the_codings_asked_for_are_made() {
        let plain = page();
        assert_eq!(plain.byte_size(), 1200);
        let br = headers(&[(header::ACCEPT_ENCODING, "br")]);
        assert_eq!(plain.coding_for(&br), Coding::Brotli);
        assert!(!plain.has(Coding::Brotli));
        // not ready: the plain body is served rather than compressing on the spot
        assert!(
            plain
                .respond(&br)
                .headers()
                .get(header::CONTENT_ENCODING)
                .is_none()
        );
        let with_br = plain.with_coding(Coding::Brotli);
        assert!(with_br.has(Coding::Brotli) && !with_br.has(Coding::Gzip));
        assert_eq!(
            with_br.respond(&br).headers()[header::CONTENT_ENCODING],
            "br"
        );
        assert_eq!(with_br.etag, plain.etag);
    }

    #[test]
    fn matching_etag_gives_304() {
        let page = page();
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

    #[test]
    fn a_date_from_this_very_second_is_not_offered() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let body = || axum::body::Bytes::from("<p>x</p>");
        let fresh = Encoded::with_type(
            StatusCode::OK,
            "text/html",
            "no-cache",
            Some(now + 1),
            body(),
        );
        let reply = fresh.respond(&headers(&[(
            header::IF_MODIFIED_SINCE,
            &httpdate::fmt_http_date(
                std::time::SystemTime::now() + std::time::Duration::from_secs(5),
            ),
        )]));
        assert_eq!(
            reply.status(),
            StatusCode::OK,
            "no date to compare with yet"
        );
        assert!(reply.headers().get(header::LAST_MODIFIED).is_none());
        let settled = Encoded::with_type(
            StatusCode::OK,
            "text/html",
            "no-cache",
            Some(now - 1),
            body(),
        );
        assert!(
            settled
                .respond(&HeaderMap::new())
                .headers()
                .contains_key(header::LAST_MODIFIED)
        );
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        // A date that says "current" must not override a tag that says "changed".
        let resp = page().respond(&headers(&[
            (header::IF_NONE_MATCH, "W/\"old\""),
            (header::IF_MODIFIED_SINCE, "Wed, 15 Nov 2023 00:00:00 GMT"),
        ]));
        assert_eq!(resp.status(), StatusCode::OK);
    }
}
