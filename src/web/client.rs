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
        Ok(ClientAddr(counted_as(client_of(
            peer.ip(),
            &forwarded,
            &app.trusted_proxies,
        ))))
    }
}

/// What a limit counts a client as: its IPv4 address, or its IPv6 /64
/// network (one subscriber line holds 2^64 addresses; counting each would
/// let one guesser count as millions).
fn counted_as(client: IpAddr) -> String {
    match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The client behind `peer`: the peer itself, unless it is a trusted proxy
/// and names, in `forwarded`, an address that is not.
fn client_of(peer: IpAddr, forwarded: &str, trusted: &[IpAddr]) -> IpAddr {
    // ::ffff:127.0.0.1 is 127.0.0.1 (a dual-stack socket says the former).
    let peer = peer.to_canonical();
    if !trusted.contains(&peer) {
        return peer;
    }
    // From the last hop back: the first one that is not a trusted proxy is
    // the client. A hop that is no address ends the walk (what lies before
    // it was written by the client itself).
    let mut client = peer;
    for hop in forwarded.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(hop) if trusted.contains(&hop.to_canonical()) => client = hop.to_canonical(),
            Ok(hop) => return hop.to_canonical(),
            Err(_) => break,
        }
    }
    client
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
        assert_eq!(client_of(proxy, "198.51.100.1, garbage", &trusted), proxy);
        assert_eq!(client_of(proxy, "", &[]), proxy);
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(client_of(mapped, "203.0.113.7", &trusted), client);
    }

    #[test]
    fn an_ipv6_client_counts_as_its_network() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(counted_as(one), counted_as(other));
        assert_eq!(counted_as(one), "2001:db8:1:2::/64");
        assert_eq!(counted_as("203.0.113.7".parse().unwrap()), "203.0.113.7");
    }
}
