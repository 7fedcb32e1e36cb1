//! Who is asking, as far as the connection tells: the client's address,
//! for rate limits (sign-ins, newsletter sign-ups). Behind a reverse proxy
//! every request comes from the proxy; when its address is among the
//! configured `trusted_proxies`, the client is the last address its
//! X-Forwarded-For names that is not itself a trusted proxy. From anyone
//! else the header is ignored (a client could write anything in it).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::App;

/// The client's address, for rate limits ("unknown" when the server was
/// not started with connection information).
pub struct ClientAddr(pub String);

impl FromRequestParts<Arc<App>> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Ok(ClientAddr("unknown".to_string()));
        };
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(ClientAddr(
            client_of(peer.ip(), &forwarded, &app.trusted_proxies).to_string(),
        ))
    }
}

/// The client behind `peer`: the peer itself, unless it is a trusted proxy
/// and names, in `forwarded`, an address that is not.
fn client_of(peer: IpAddr, forwarded: &str, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded
        .rsplit(',')
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .find(|hop| !trusted.contains(hop))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let trusted = [proxy];
        assert_eq!(client_of(proxy, "203.0.113.7", &trusted), client);
        // A client's own made-up hops come before the proxy's: the last wins.
        assert_eq!(client_of(proxy, "10.9.9.9, 203.0.113.7", &trusted), client);
        assert_eq!(client_of(proxy, "203.0.113.7, 127.0.0.1", &trusted), client);
        // Not a proxy of ours: its header says nothing.
        assert_eq!(client_of(client, "198.51.100.1", &trusted), client);
        assert_eq!(client_of(proxy, "garbage", &trusted), proxy);
        assert_eq!(client_of(proxy, "", &[]), proxy);
    }
}
