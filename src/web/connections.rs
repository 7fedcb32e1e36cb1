//! Accepting connections: HTTP/1 by hyper, with the limits axum's own
//! `serve` leaves unset. A client must send a request's head within
//! `HEADER_TIMEOUT` (a byte at a time keeps nothing open), whole
//! handlers stay within the router's own timeout, a stop lets the
//! requests in flight finish, and a raw `<` or `>` in an address is read
//! as Ghost reads it (`LenientTarget`).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use super::lenient_target::LenientTarget;

/// The longest a client may take to send a request's head (its first line
/// and headers), and to start the next one on a kept-alive connection.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Requests still running when a stop is asked get this long to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `stop` resolves, then waits for the
/// requests in flight (up to `DRAIN_TIMEOUT`).
/// Connections whose first request opens a live story's stream are
/// answered here directly (see `site::live::serve_direct`): a reader
/// keeping a page open then costs a task and a socket, not hyper's
/// buffers (about 30 KB a connection, 300 MB for 10,000 readers).
pub type DirectStreams = std::sync::Arc<super::App>;

pub async fn serve(
    listener: TcpListener,
    router: Router,
    direct: Option<DirectStreams>,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    tokio::pin!(stop);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "a connection could not be accepted");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let service = router
            .clone()
            .map_request(move |mut request: hyper::Request<Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(remote));
                request.map(axum::body::Body::new)
            });
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let direct = direct.clone();
        tokio::spawn(async move {
            let stream = match &direct {
                Some(app) => match super::site::serve_direct(app, stream).await {
                    Some(stream) => stream,
                    None => return,
                },
                None => stream,
            };
            let connection = builder.serve_connection(
                TokioIo::new(LenientTarget::new(stream)),
                TowerToHyperService::new(service),
            );
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {DRAIN_TIMEOUT:?} were cut off");
    }
    Ok(())
}
