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
    /// The head being received, held until its blank line.
    head: Vec<u8>,
    /// What the reader (hyper) gets next, from `ready_at`.
    ready: Vec<u8>,
    ready_at: usize,
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
            scratch: vec![0; 16 * 1024].into_boxed_slice(),
        }
    }

    /// Takes bytes read from the client, passing on what is ready.
    fn take(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.framing {
                Framing::Opaque => {
                    self.ready.extend_from_slice(bytes);
                    return;
                }
                Framing::Body(left) => {
                    let n = bytes.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.ready.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    let left = left - n as u64;
                    self.framing = if left == 0 {
                        Framing::Head
                    } else {
                        Framing::Body(left)
                    };
                }
                Framing::Head => {
                    // Blank lines before a request line are allowed: pass them on.
                    if self.head.is_empty() {
                        let blank = bytes
                            .iter()
                            .take_while(|b| matches!(b, b'\r' | b'\n'))
                            .count();
                        self.ready.extend_from_slice(&bytes[..blank]);
                        bytes = &bytes[blank..];
                        if bytes.is_empty() {
                            return;
                        }
                    }
                    let searched_from = self.head.len().saturating_sub(3);
                    self.head.extend_from_slice(bytes);
                    match find_head_end(&self.head[searched_from..]) {
                        Some(end) if searched_from + end <= MAX_HEAD => {
                            let rest = self.head.split_off(searched_from + end);
                            self.finish_head();
                            // What came after the head is read in its framing.
                            self.take_rest(rest);
                        }
                        _ if self.head.len() > MAX_HEAD => self.pass_head_on_unread(),
                        _ => {} // the rest of the head is still to come
                    }
                    return;
                }
            }
        }
    }

    fn take_rest(&mut self, rest: Vec<u8>) {
        if !rest.is_empty() {
            self.take(&rest);
        }
    }

    fn pass_head_on_unread(&mut self) {
        self.ready.append(&mut self.head);
        self.framing = Framing::Opaque;
    }

    /// A whole head is in `head`: its target made valid, its body's
    /// length noted, and on to the reader.
    fn finish_head(&mut self) {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let framing = match request.parse(&self.head) {
            Ok(httparse::Status::Complete(_)) => body_framing(request.headers),
            _ => None,
        };
        let target = request.path.map(|path| {
            let start = path.as_ptr() as usize - self.head.as_ptr() as usize;
            start..start + path.len()
        });
        let Some(framing) = framing else {
            return self.pass_head_on_unread();
        };
        match target {
            Some(target) if self.head[target.clone()].iter().any(|b| needs_encoding(*b)) => {
                self.ready.extend_from_slice(&self.head[..target.start]);
                for &byte in &self.head[target.clone()] {
                    if needs_encoding(byte) {
                        self.ready
                            .extend_from_slice(format!("%{byte:02X}").as_bytes());
                    } else {
                        self.ready.push(byte);
                    }
                }
                self.ready.extend_from_slice(&self.head[target.end..]);
                self.head.clear();
            }
            _ => self.ready.append(&mut self.head),
        }
        self.framing = framing;
    }
}

/// Where a head ends (just after its blank line), if it has.
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// What follows a head: a body of `Content-Length` bytes, nothing, or (a
/// chunked or unreadable length) something only hyper can frame.
fn body_framing(headers: &[httparse::Header<'_>]) -> Option<Framing> {
    let mut length = None;
    for header in headers {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Some(Framing::Opaque);
        }
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value).ok()?.trim();
            let n: u64 = value.parse().ok()?;
            if length.is_some_and(|seen| seen != n) {
                return None; // hyper refuses two lengths: let it.
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
            if this.framing == Framing::Opaque && this.head.is_empty() {
                // Nothing to look at any more: read straight through.
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            let mut scratch = ReadBuf::new(&mut this.scratch);
            std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, &mut scratch))?;
            let read = scratch.filled().len();
            if read == 0 {
                // The client stopped: what it sent of a head goes on as it is.
                if this.head.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                this.pass_head_on_unread();
                continue;
            }
            let bytes = this.scratch[..read].to_vec();
            this.take(&bytes);
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
        let (mut client, server) = tokio::io::duplex(64);
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
    async fn what_cannot_be_framed_passes_unchanged() {
        // After a chunked body the wrapper cannot tell a body from a head.
        let chunked = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET <\r\n0\r\n\r\nGET /b?x=> HTTP/1.1\r\n\r\n";
        assert_eq!(text(read_through(chunked.as_bytes(), 3).await), chunked);
        for unreadable in [
            "NOT HTTP AT ALL\r\n\r\nGET /c?x=> HTTP/1.1\r\n\r\n",
            "GET /d?x=> HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
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
