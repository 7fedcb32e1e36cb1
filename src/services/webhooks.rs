//! What makes a webhook delivery safe to send and to trust: its signature,
//! and the check of a target address when an integration saves it.
//!
//! Deliveries are signed as Ghost signs them, so receivers written for
//! Ghost verify Masthead's unchanged: `X-Ghost-Signature: sha256=<hex>,
//! t=<milliseconds>`, the HMAC-SHA256 (keyed with the webhook's secret)
//! of the body followed by that timestamp.
//!
//! A target must be http or https and, unless the operator allows it in
//! the configuration, must not resolve to this machine or a private
//! network: otherwise anyone who may save a webhook could make the server
//! send requests into the network it runs in.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "X-Ghost-Signature";

fn mac(secret: &str, body: &[u8], timestamp_ms: i64) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.update(timestamp_ms.to_string().as_bytes());
    mac
}

/// The signature header's value for a body sent at `timestamp_ms`.
pub fn signature(secret: &str, body: &[u8], timestamp_ms: i64) -> String {
    let digest = mac(secret, body, timestamp_ms).finalize().into_bytes();
    format!("sha256={}, t={timestamp_ms}", hex::encode(digest))
}

/// Whether a signature header is the one `secret` gives `body` (as a
/// receiver checks it); the timestamp it names is returned for the
/// receiver's own freshness rule.
pub fn verify(secret: &str, body: &[u8], header: &str) -> Option<i64> {
    let mut digest = None;
    let mut timestamp = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("sha256", hex_digest)) => digest = hex::decode(hex_digest.trim()).ok(),
            Some(("t", t)) => timestamp = t.trim().parse::<i64>().ok(),
            _ => {}
        }
    }
    let (digest, timestamp) = (digest?, timestamp?);
    mac(secret, body, timestamp)
        .verify_slice(&digest)
        .ok()
        .map(|()| timestamp)
}

/// Why a target address was refused (shown where it was entered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    NotAUrl,
    Scheme(String),
    NoHost,
    /// The name did not resolve.
    Unresolved(String),
    /// It resolves to this machine or a private network.
    Private {
        host: String,
        address: IpAddr,
    },
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetError::NotAUrl => {
                f.write_str("Enter the full address of the receiver, such as https://example.org/hooks/masthead.")
            }
            TargetError::Scheme(scheme) => write!(
                f,
                "Webhooks are sent over http or https, not {scheme}: use an https:// address."
            ),
            TargetError::NoHost => f.write_str("The address names no host to send to."),
            TargetError::Unresolved(host) => write!(
                f,
                "{host} could not be found (DNS): check the spelling, or try again once it resolves."
            ),
            TargetError::Private { host, address } => write!(
                f,
                "{host} is {address}, an address of this server or its private network. Webhooks go to public addresses unless the operator allows private ones in the configuration."
            ),
        }
    }
}

impl std::error::Error for TargetError {}

/// Checks a target address as it is saved: http or https, a host that
/// resolves, and (unless `allow_private`) none of its addresses on this
/// machine or a private network. Returns the address, normalized.
pub async fn check_target(raw: &str, allow_private: bool) -> Result<url::Url, TargetError> {
    let url = url::Url::parse(raw.trim()).map_err(|_| TargetError::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme(url.scheme().to_string()));
    }
    let host = url.host().ok_or(TargetError::NoHost)?;
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match host {
        url::Host::Ipv4(ip) => vec![IpAddr::V4(ip)],
        url::Host::Ipv6(ip) => vec![IpAddr::V6(ip)],
        url::Host::Domain(name) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| TargetError::Unresolved(name.to_string()))?
            .map(|socket| socket.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(TargetError::Unresolved(host.to_string()));
    }
    if !allow_private && let Some(address) = addresses.into_iter().find(|ip| !is_public(*ip)) {
        return Err(TargetError::Private {
            host: host.to_string(),
            address,
        });
    }
    Ok(url)
}

/// The resolver webhook deliveries connect through: it resolves the name
/// once and hands over only the addresses it checked, so the connection
/// goes where the check looked (no second lookup can answer differently).
#[derive(Debug)]
pub struct CheckedResolver {
    pub allow_private: bool,
}

impl ureq::unversioned::resolver::Resolver for CheckedResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let found = ureq::unversioned::resolver::DefaultResolver::default()
            .resolve(uri, config, timeout)?;
        let mut checked = self.empty();
        for address in found.iter() {
            if self.allow_private || is_public(address.ip()) {
                checked.push(*address);
            }
        }
        if checked.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(checked)
    }
}

/// Whether an address is on the public internet (not loopback, private,
/// link-local, shared, documentation, multicast or unspecified), including
/// the IPv4 addresses that IPv6 forms carry inside them.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

/// The IPv4 address an IPv6 address stands for: mapped (::ffff:a.b.c.d),
/// compatible (::a.b.c.d, deprecated but still routed by some stacks),
/// NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    if s[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback() {
        return Some(tail);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        // documentation: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24
        || matches!((a, b, c), (192, 0, 2) | (198, 51, 100) | (203, 0, 113))
        || a == 0
        // shared address space (carrier-grade NAT), 100.64.0.0/10
        || (a == 100 && (64..128).contains(&b))
        // benchmarking, 198.18.0.0/15
        || (a == 198 && (b == 18 || b == 19))
        // reserved, 240.0.0.0/4
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // unique local, fc00::/7
        || (first & 0xfe00) == 0xfc00
        // link-local, fe80::/10
        || (first & 0xffc0) == 0xfe80
        // site-local (deprecated, still private), fec0::/10
        || (first & 0xffc0) == 0xfec0
        // local-use NAT64, 64:ff9b:1::/48
        || (first == 0x64 && ip.segments()[1] == 0xff9b && ip.segments()[2] == 1)
        // documentation, 2001:db8::/32
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_secret_only() {
        let body = br#"{"post":{"current":{"title":"Harbour vote"}}}"#;
        let header = signature("s3cret", body, 1_800_000_000_123);
        assert!(header.starts_with("sha256="));
        assert!(header.ends_with(", t=1800000000123"));
        assert_eq!(verify("s3cret", body, &header), Some(1_800_000_000_123));
        assert_eq!(verify("other", body, &header), None);
        assert_eq!(verify("s3cret", b"{}", &header), None);
        // the timestamp is signed too
        let moved = header.replace("t=1800000000123", "t=1800000000999");
        assert_eq!(verify("s3cret", body, &moved), None);
        for bad in ["", "sha256=zz, t=1", "t=5", "sha256=00"] {
            assert_eq!(verify("s3cret", body, bad), None, "{bad}");
        }
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            // IPv4 inside IPv6: compatible, NAT64, 6to4; and site-local
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::192.168.0.1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "fec0::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    /// The connection goes through the checked resolver: a name that now
    /// answers with this machine (DNS rebinding after the check) reaches
    /// nothing, and the listener never sees a connection.
    #[test]
    fn deliveries_connect_only_to_checked_addresses() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let port = socket.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(AtomicUsize::new(0));
        let resolver = CheckedResolver {
            allow_private: false,
        };
        let agent = ureq::Agent::with_parts(
            ureq::Agent::config_builder()
                .timeout_global(Some(std::time::Duration::from_secs(2)))
                .build(),
            ureq::unversioned::transport::DefaultConnector::default(),
            resolver,
        );
        for target in [
            format!("http://localhost:{port}/hook"),
            format!("http://127.0.0.1:{port}/hook"),
            format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        ] {
            let sent = agent.post(&target).send("{}");
            assert!(
                matches!(sent, Err(ureq::Error::HostNotFound)),
                "{target}: {sent:?}"
            );
        }
        while socket.accept().is_ok() {
            connections.fetch_add(1, Ordering::SeqCst);
        }
        assert_eq!(connections.load(Ordering::SeqCst), 0);
        // Allowed by the operator, the same address is reached.
        let open = ureq::Agent::with_parts(
            ureq::Agent::config_builder()
                .timeout_global(Some(std::time::Duration::from_secs(2)))
                .build(),
            ureq::unversioned::transport::DefaultConnector::default(),
            CheckedResolver {
                allow_private: true,
            },
        );
        let _ = open
            .post(&format!("http://127.0.0.1:{port}/hook"))
            .send("{}");
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(socket.accept().is_ok(), "allowed, it connects");
    }

    #[tokio::test]
    async fn targets_are_checked_as_they_are_saved() {
        let refused = [
            ("not a url", TargetError::NotAUrl),
            ("ftp://example.org/hook", TargetError::Scheme("ftp".into())),
            ("file:///etc/passwd", TargetError::Scheme("file".into())),
        ];
        for (raw, expected) in refused {
            assert_eq!(check_target(raw, false).await, Err(expected), "{raw}");
        }
        for raw in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://localhost/hook",
            "https://10.0.0.5/hook",
            "http://169.254.169.254/latest/meta-data",
        ] {
            let e = check_target(raw, false).await.expect_err(raw);
            assert!(matches!(e, TargetError::Private { .. }), "{raw}: {e}");
            assert!(e.to_string().contains("private network"), "{e}");
        }
        // the operator may allow them (a receiver on the same machine)
        let allowed = check_target("http://127.0.0.1:8080/hook", true)
            .await
            .unwrap();
        assert_eq!(allowed.as_str(), "http://127.0.0.1:8080/hook");
        // a public address needs no lookup
        assert!(
            check_target("https://93.184.216.34/hook", false)
                .await
                .is_ok()
        );
        // a name that cannot resolve (.invalid is reserved for that)
        assert!(matches!(
            check_target("https://no-such-host.invalid/hook", false).await,
            Err(TargetError::Unresolved(_))
        ));
    }
}
