//! Request lines as clients write them. curl, and some Ghost clients, send
//! a filter's `<` and `>` raw in the query (`filter=published_at:>'2026-01-01'`);
//! Node, and so Ghost, read them, but the `http` crate refuses such an
//! address and hyper answers a bare 400 before any handler runs. This
//! connection wrapper percent-encodes those few bytes in each request's
//! target (`%3E` means `>` to every reader of a query), so the request
//! reaches the router as the client meant it.
//!
//! To know where each request's head starts on a kept-alive connection,
//! the wrapper reads each head with httparse (hyper's own parser) and
//! skips its body by `Content-Length`. A chunked body cannot be skipped
//! without reading its framing, so after one the connection is passed on
//! untouched; a head too large or not HTTP is passed on as it came, for
//! hyper to answer.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The largest head held back to be read (hyper refuses larger ones anyway).
const MAX_HEAD: usize = 64 * 1024;
/// Headers httparse reads in one head (hyper's own limit is 100).
const MAX_HEADERS: usize = 128;

/// Bytes httparse accepts in a request's target but `http::Uri` refuses.
fn needs_encoding(byte: u8) -> bool {
    matches!(byte, b'"' | b'<' | b'>' | b'`')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Reading a request's head.
    Head,
    /// Passing on this many bytes of a body.
    Body(u64),
    /// Passing everything on unread (after a chunked body, or a head that
    /// could not be read).
    Opaque,
}

/// A connection whose request targets are made valid for `http::Uri`.
pub struct LenientTarget<S> {
    inner: S,
    framing: Framing,
    /// Bytes received and not yet passed on: the start of a head, held
    /// until it is whole.
    head: Vec<u8>,
    /// What the reader (hyper) gets next, from `ready_at`.
    ready: Vec<u8>,
    ready_at: usize,
    /// Where reads go while a head is held back (made when first needed).
    scratch: Box<[u8]>,
}

impl<S> LenientTarget<S> {
    pub fn new(inner: S) -> LenientTarget<S> {
        LenientTarget {
            inner,
            framing: Framing::Head,
            head: Vec::new(),
            ready: Vec::new(),
            ready_at: 0,
            scratch: Box::default(),
        }
    }

    /// Takes bytes read from the client, passing on what is ready: whole
    /// heads (their targets made valid), bodies as they come.
    fn take(&mut self, bytes: &[u8]) {
        // A head ends at a line's end: one still partial before these bytes
        // is partial after them unless they end a line (so a head sent a
        // byte at a time is not read again at every byte).
        let mut unfinished = !self.head.is_empty() && !bytes.contains(&b'\n');
        self.head.extend_from_slice(bytes);
        let mut at = 0;
        while at < self.head.len() {
            let rest = &self.head[at..];
            match self.framing {
                Framing::Opaque => {
                    self.ready.extend_from_slice(rest);
                    at = self.head.len();
                }
                Framing::Body(left) => {
                    let n = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.ready.extend_from_slice(&rest[..n]);
                    at += n;
                    let left = left - n as u64;
                    self.framing = if left == 0 {
                        Framing::Head
                    } else {
                        Framing::Body(left)
                    };
                }
                Framing::Head if std::mem::take(&mut unfinished) => {
                    if rest.len() <= MAX_HEAD {
                        break;
                    }
                    self.framing = Framing::Opaque;
                }
                Framing::Head => match read_head(rest) {
                    Head::Blank(n) => {
                        // Blank lines before a request line are allowed.
                        self.ready.extend_from_slice(&rest[..n]);
                        at += n;
                    }
                    Head::Partial if rest.len() <= MAX_HEAD => break,
                    Head::Partial | Head::Unreadable => {
                        // Hyper answers what cannot be read; nothing after
                        // it can be framed, so it all goes on as it came.
                        self.framing = Framing::Opaque;
                    }
                    Head::Complete {
                        len,
                        target,
                        framing,
                    } => {
                        let head = &rest[..len];
                        self.ready.extend_from_slice(&head[..target.start]);
                        for &byte in &head[target.clone()] {
                            if needs_encoding(byte) {
                                self.ready
                                    .extend_from_slice(format!("%{byte:02X}").as_bytes());
                            } else {
                                self.ready.push(byte);
                            }
                        }
                        self.ready.extend_from_slice(&head[target.end..]);
                        at += len;
                        self.framing = framing;
                    }
                },
            }
        }
        self.head.drain(..at);
    }
}

/// What framing follows `bytes` when they can go to hyper as they are
/// (every head in them whole and its target valid); None when they need
/// `take`.
fn passable(mut framing: Framing, mut bytes: &[u8]) -> Option<Framing> {
    while !bytes.is_empty() {
        match framing {
            Framing::Opaque => break,
            Framing::Body(left) => {
                let n = bytes.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                bytes = &bytes[n..];
                framing = match left - n as u64 {
                    0 => Framing::Head,
                    left => Framing::Body(left),
                };
            }
            Framing::Head => match read_head(bytes) {
                Head::Blank(n) => bytes = &bytes[n..],
                Head::Complete {
                    len,
                    target,
                    framing: next,
                } if !bytes[target.clone()].iter().any(|b| needs_encoding(*b)) => {
                    bytes = &bytes[len..];
                    framing = next;
                }
                Head::Unreadable => framing = Framing::Opaque,
                Head::Complete { .. } | Head::Partial => return None,
            },
        }
    }
    Some(framing)
}

/// What the bytes at the start of a request hold.
enum Head {
    /// Empty lines, this many bytes.
    Blank(usize),
    /// The start of a head; its end is still to come.
    Partial,
    /// A whole head of `len` bytes, where its target is, and what follows it.
    Complete {
        len: usize,
        target: std::ops::Range<usize>,
        framing: Framing,
    },
    /// Not a head hyper would take, or one whose body cannot be framed here.
    Unreadable,
}

/// Reads a request head as hyper will (httparse, both line endings).
fn read_head(bytes: &[u8]) -> Head {
    let blank = bytes
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    if blank > 0 {
        return Head::Blank(blank);
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => len,
        Ok(httparse::Status::Complete(_)) => return Head::Unreadable,
        Ok(httparse::Status::Partial) => return Head::Partial,
        Err(_) => return Head::Unreadable,
    };
    let (Some(path), Some(framing)) = (request.path, body_framing(request.headers)) else {
        return Head::Unreadable;
    };
    let start = path.as_ptr() as usize - bytes.as_ptr() as usize;
    Head::Complete {
        len,
        target: start..start + path.len(),
        framing,
    }
}

/// What follows a head: a body of `Content-Length` bytes, or nothing.
/// None for what only hyper can frame (a chunked body) or refuses (a
/// length that is not plain digits, two different lengths).
fn body_framing(headers: &[httparse::Header<'_>]) -> Option<Framing> {
    let mut length = None;
    for header in headers {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return None;
        }
        if header.name.eq_ignore_ascii_case("content-length") {
            let digits = header.value;
            if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
            if length.is_some_and(|seen| seen != n) {
                return None;
            }
            length = Some(n);
        }
    }
    Some(match length {
        Some(n) if n > 0 => Framing::Body(n),
        _ => Framing::Head,
    })
}

impl<S: AsyncRead + Unpin> AsyncRead for LenientTarget<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready_at < this.ready.len() {
                let n = buf.remaining().min(this.ready.len() - this.ready_at);
                buf.put_slice(&this.ready[this.ready_at..this.ready_at + n]);
                this.ready_at += n;
                if this.ready_at == this.ready.len() {
                    this.ready.clear();
                    this.ready_at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.head.is_empty() {
                // Nothing held back: read straight into the reader's buffer
                // and look at what came where it lies. Only a target to
                // encode, or a head cut short, takes the way through `take`.
                let before = buf.filled().len();
                std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
                let new = &buf.filled()[before..];
                if let Some(framing) = passable(this.framing, new) {
                    this.framing = framing;
                    return Poll::Ready(Ok(()));
                }
                let new = new.to_vec();
                buf.set_filled(before);
                this.take(&new);
                continue;
            }
            if this.scratch.is_empty() {
                this.scratch = vec![0; 16 * 1024].into_boxed_slice();
            }
            let mut scratch = std::mem::take(&mut this.scratch);
            let mut filled = ReadBuf::new(&mut scratch);
            let polled = Pin::new(&mut this.inner).poll_read(cx, &mut filled);
            let read = filled.filled().len();
            if let Poll::Ready(Ok(())) = polled {
                this.take(&scratch[..read]);
            }
            this.scratch = scratch;
            match polled {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if read == 0 => {
                    // The client stopped: what it sent of a head goes on.
                    if this.head.is_empty() {
                        return Poll::Ready(Ok(()));
                    }
                    this.ready.append(&mut this.head);
                    this.framing = Framing::Opaque;
                }
                Poll::Ready(Ok(())) => {}
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for LenientTarget<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    /// What hyper would read of `sent`, given `chunk` bytes at a time.
    async fn read_through(sent: &[u8], chunk: usize) -> Vec<u8> {
        let (mut client, server) = tokio::io::duplex(chunk.max(64));
        let sent = sent.to_vec();
        let writer = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            for part in sent.chunks(chunk) {
                client.write_all(part).await.unwrap();
            }
        });
        let mut out = Vec::new();
        LenientTarget::new(server)
            .read_to_end(&mut out)
            .await
            .unwrap();
        writer.await.unwrap();
        out
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[tokio::test]
    async fn raw_comparisons_in_a_target_are_encoded_in_every_request() {
        let sent = "GET /api/posts/?filter=published_at:>'2026-01-01'+x:<3 HTTP/1.1\r\nHost: a\r\n\r\n\
                    POST /form HTTP/1.1\r\nContent-Length: 21\r\n\r\nGET /body<kept> HTTP\
                    GET /q?a=\"b\" HTTP/1.1\r\n\r\n";
        for chunk in [1, 7, 4096] {
            assert_eq!(
                text(read_through(sent.as_bytes(), chunk).await),
                "GET /api/posts/?filter=published_at:%3E'2026-01-01'+x:%3C3 HTTP/1.1\r\nHost: a\r\n\r\n\
                 POST /form HTTP/1.1\r\nContent-Length: 21\r\n\r\nGET /body<kept> HTTP\
                 GET /q?a=%22b%22 HTTP/1.1\r\n\r\n",
                "read {chunk} bytes at a time"
            );
        }
    }

    #[tokio::test]
    async fn heads_ending_in_bare_line_feeds_are_framed_as_hyper_frames_them() {
        // The POST's body looks like a request: it must reach hyper as it
        // was sent, and the request after it must be read as one.
        let sent = "GET /first?x=< HTTP/1.1\nHost: a\n\n\
                    POST /upload HTTP/1.1\nContent-Length: 26\n\r\nGET /<<<< HTTP/1.1\r\n\r\nXY: \
                    GET /victim?y=> HTTP/1.1\r\n\r\n";
        for chunk in [1, 5, 4096] {
            assert_eq!(
                text(read_through(sent.as_bytes(), chunk).await),
                "GET /first?x=%3C HTTP/1.1\nHost: a\n\n\
                 POST /upload HTTP/1.1\nContent-Length: 26\n\r\nGET /<<<< HTTP/1.1\r\n\r\nXY: \
                 GET /victim?y=%3E HTTP/1.1\r\n\r\n",
                "read {chunk} bytes at a time"
            );
        }
    }

    #[tokio::test]
    async fn what_cannot_be_framed_passes_unchanged() {
        // After a chunked body the wrapper cannot tell a body from a head.
        let chunked = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET <\r\n0\r\n\r\nGET /b?x=> HTTP/1.1\r\n\r\n";
        assert_eq!(text(read_through(chunked.as_bytes(), 3).await), chunked);
        for unreadable in [
            "NOT HTTP AT ALL\r\n\r\nGET /c?x=> HTTP/1.1\r\n\r\n",
            "GET /d?x=> HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            "GET /g?x=> HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
            "GET /h?x=> HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\na",
            "GET /e?x=> HTTP/1.1\r\nHost: a", // the client went before the end
        ] {
            assert_eq!(
                text(read_through(unreadable.as_bytes(), 5).await),
                unreadable
            );
        }
        let huge = format!("GET /f?x=> HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(text(read_through(huge.as_bytes(), 4096).await), huge);
    }
}
