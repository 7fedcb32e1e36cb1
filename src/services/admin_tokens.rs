//! Admin API keys and the short-lived tokens clients sign with them, as
//! Ghost's Admin API has them (so `@tryghost/admin-api` and the tools
//! built on it work unchanged).
//!
//! A key is `{id}:{secret}`: 24 hex characters naming it, 64 hex
//! characters of secret. A client signs a JWT with the secret's bytes
//! (HS256), names the key in the header's `kid`, addresses it to
//! `/admin/` and lets it expire within five minutes; it sends
//! `Authorization: Ghost <token>`. The server reads the `kid` to find the
//! key, then checks everything else with it (`verify`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::model::UnixTime;

type HmacSha256 = Hmac<Sha256>;

/// How long a token may live, as Ghost allows.
pub const MAX_LIFETIME_SECS: i64 = 5 * 60;
/// Clocks of client and server may disagree this much.
const CLOCK_SKEW_SECS: i64 = 60;
const KEY_ID_HEX: usize = 24;
const SECRET_HEX: usize = 64;

/// A token that is not accepted, and why (the API's 401 message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Not three base64url parts of JSON, or missing what a token holds.
    Malformed(&'static str),
    /// Signed with another algorithm than HS256.
    Algorithm(String),
    /// No `kid`, or one that names no key.
    UnknownKey,
    BadSignature,
    Expired,
    /// Issued in the future, or valid for longer than five minutes.
    Lifetime,
    /// Meant for another API than the Admin API.
    Audience(String),
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Malformed(what) => write!(f, "Invalid token: {what}."),
            TokenError::Algorithm(alg) => write!(
                f,
                "Invalid token: signed with {alg}; sign Admin API tokens with HS256."
            ),
            TokenError::UnknownKey => f.write_str(
                "Unknown Admin API Key: the token's kid names no key of this site (it may have been revoked).",
            ),
            TokenError::BadSignature => f.write_str(
                "Invalid token: invalid signature. Sign with the hex-decoded secret of the Admin API key.",
            ),
            TokenError::Expired => f.write_str("Invalid token: jwt expired. Sign a new one."),
            TokenError::Lifetime => write!(
                f,
                "Invalid token: a token must be issued now and expire within {} minutes.",
                MAX_LIFETIME_SECS / 60
            ),
            TokenError::Audience(aud) => write!(
                f,
                "Invalid token: the audience {aud:?} is not the Admin API; use \"/admin/\"."
            ),
        }
    }
}

impl std::error::Error for TokenError {}

/// An Admin API key: its id and the secret's bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminKey {
    pub id: String,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl AdminKey {
    /// A new key from the system's random source.
    pub fn generate() -> AdminKey {
        let mut id = [0u8; KEY_ID_HEX / 2];
        let mut secret = [0u8; SECRET_HEX / 2];
        getrandom::fill(&mut id).expect("the system's random source is readable");
        getrandom::fill(&mut secret).expect("the system's random source is readable");
        AdminKey {
            id: hex::encode(id),
            secret: secret.to_vec(),
        }
    }

    /// Reads `{24 hex}:{64 hex}` as the desk and the CLI show it.
    pub fn parse(text: &str) -> Option<AdminKey> {
        let (id, secret) = text.trim().split_once(':')?;
        let is_hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_hex(id, KEY_ID_HEX) || !is_hex(secret, SECRET_HEX) {
            return None;
        }
        Some(AdminKey {
            id: id.to_ascii_lowercase(),
            secret: hex::decode(secret).ok()?,
        })
    }

    /// `{id}:{secret}`, as given to the integration.
    pub fn to_text(&self) -> String {
        format!("{}:{}", self.id, hex::encode(&self.secret))
    }

    /// A token as Ghost's clients make it: HS256, this key's `kid`,
    /// audience `/admin/`, valid five minutes from `now`.
    pub fn sign(&self, now: UnixTime) -> String {
        let header = serde_json::json!({ "alg": "HS256", "typ": "JWT", "kid": self.id });
        let claims = serde_json::json!({
            "iat": now,
            "exp": now + MAX_LIFETIME_SECS,
            "aud": "/admin/",
        });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = mac(&self.secret, signed.as_bytes()).finalize().into_bytes();
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

fn mac(secret: &[u8], data: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(data);
    mac
}

/// A token's three parts, decoded but not yet trusted.
struct Parts {
    header: serde_json::Value,
    claims: serde_json::Value,
    signed: String,
    signature: Vec<u8>,
}

fn parts(token: &str) -> Result<Parts, TokenError> {
    let mut pieces = token.trim().split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (pieces.next(), pieces.next(), pieces.next(), pieces.next())
    else {
        return Err(TokenError::Malformed(
            "a token has three parts separated by dots",
        ));
    };
    let json = |piece: &str| -> Result<serde_json::Value, TokenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(piece)
            .map_err(|_| TokenError::Malformed("a part is not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed("a part is not JSON"))
    };
    Ok(Parts {
        header: json(header)?,
        claims: json(claims)?,
        signed: format!("{header}.{claims}"),
        signature: URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed("the signature is not base64url"))?,
    })
}

/// The key a token says it was signed with (its `kid`), to look up
/// before `verify`. Nothing else is trusted yet.
pub fn key_id(token: &str) -> Result<String, TokenError> {
    let parts = parts(token)?;
    match parts.header.get("kid").and_then(|k| k.as_str()) {
        Some(kid) if !kid.is_empty() => Ok(kid.to_ascii_lowercase()),
        _ => Err(TokenError::UnknownKey),
    }
}

/// Checks a token against the key its `kid` named: HS256 signature,
/// Admin API audience, issued no later than now (give or take a minute)
/// and valid for at most five minutes, not expired.
pub fn verify(token: &str, key: &AdminKey, now: UnixTime) -> Result<(), TokenError> {
    let parts = parts(token)?;
    match parts.header.get("alg").and_then(|a| a.as_str()) {
        Some("HS256") => {}
        Some(other) => return Err(TokenError::Algorithm(other.to_string())),
        None => return Err(TokenError::Malformed("the header names no alg")),
    }
    if parts.header.get("kid").and_then(|k| k.as_str()) != Some(key.id.as_str()) {
        return Err(TokenError::UnknownKey);
    }
    mac(&key.secret, parts.signed.as_bytes())
        .verify_slice(&parts.signature)
        .map_err(|_| TokenError::BadSignature)?;
    let number = |name: &'static str| {
        parts
            .claims
            .get(name)
            .and_then(serde_json::Value::as_i64)
            .ok_or(TokenError::Malformed(match name {
                "iat" => "the claims have no iat (issued at) time",
                _ => "the claims have no exp (expiry) time",
            }))
    };
    let (iat, exp) = (number("iat")?, number("exp")?);
    let audience = parts
        .claims
        .get("aud")
        .and_then(|a| a.as_str())
        .unwrap_or("");
    if !is_admin_audience(audience) {
        return Err(TokenError::Audience(audience.to_string()));
    }
    if exp <= now {
        return Err(TokenError::Expired);
    }
    if iat > now + CLOCK_SKEW_SECS || exp - iat > MAX_LIFETIME_SECS || exp < iat {
        return Err(TokenError::Lifetime);
    }
    Ok(())
}

/// `/admin/`, or the versioned form older clients use (`/v4/admin/`,
/// `/canary/admin/`).
fn is_admin_audience(aud: &str) -> bool {
    if aud == "/admin/" {
        return true;
    }
    let Some(version) = aud
        .strip_prefix('/')
        .and_then(|rest| rest.strip_suffix("/admin/"))
    else {
        return false;
    };
    version == "canary"
        || version
            .strip_prefix('v')
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = 1_800_000_000;

    fn key() -> AdminKey {
        AdminKey::parse(&format!("{}:{}", "a1".repeat(12), "0f".repeat(32))).unwrap()
    }

    /// A token with these header and claims, signed with `secret`.
    fn token(header: serde_json::Value, claims: serde_json::Value, secret: &[u8]) -> String {
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = mac(secret, signed.as_bytes()).finalize().into_bytes();
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn header(k: &AdminKey) -> serde_json::Value {
        serde_json::json!({ "alg": "HS256", "typ": "JWT", "kid": k.id })
    }

    #[test]
    fn keys_read_and_print_as_id_colon_secret() {
        let k = key();
        assert_eq!(k.secret.len(), 32);
        assert_eq!(AdminKey::parse(&k.to_text()), Some(k.clone()));
        assert_eq!(AdminKey::parse(&k.to_text().to_uppercase()), Some(k));
        for bad in [
            "",
            "abc:def",
            &format!("{}:{}", "a1".repeat(12), "0f".repeat(31)),
            &format!("{}{}", "a1".repeat(12), "0f".repeat(32)),
            &format!("{}:{}", "g1".repeat(12), "0f".repeat(32)),
        ] {
            assert_eq!(AdminKey::parse(bad), None, "{bad}");
        }
        let (a, b) = (AdminKey::generate(), AdminKey::generate());
        assert_ne!(a.to_text(), b.to_text());
        assert_eq!(AdminKey::parse(&a.to_text()), Some(a));
    }

    #[test]
    fn a_token_signed_as_clients_do_is_accepted() {
        let k = key();
        let t = k.sign(NOW);
        assert_eq!(key_id(&t).unwrap(), k.id);
        assert_eq!(verify(&t, &k, NOW), Ok(()));
        assert_eq!(verify(&t, &k, NOW + MAX_LIFETIME_SECS - 1), Ok(()));
        for aud in ["/v4/admin/", "/v5.0/admin/", "/canary/admin/"] {
            let t = token(
                header(&k),
                serde_json::json!({ "iat": NOW, "exp": NOW + 300, "aud": aud }),
                &k.secret,
            );
            assert_eq!(verify(&t, &k, NOW), Ok(()), "{aud}");
        }
    }

    #[test]
    fn every_wrong_token_is_refused_for_its_own_reason() {
        let k = key();
        let other = AdminKey::generate();
        let claims = serde_json::json!({ "iat": NOW, "exp": NOW + 300, "aud": "/admin/" });
        let cases = [
            // signed with another secret
            (
                token(header(&k), claims.clone(), &other.secret),
                TokenError::BadSignature,
            ),
            // expired
            (k.sign(NOW - MAX_LIFETIME_SECS), TokenError::Expired),
            // valid for too long
            (
                token(
                    header(&k),
                    serde_json::json!({ "iat": NOW, "exp": NOW + 3600, "aud": "/admin/" }),
                    &k.secret,
                ),
                TokenError::Lifetime,
            ),
            // issued in the future
            (k.sign(NOW + 120), TokenError::Lifetime),
            // for the Content API
            (
                token(
                    header(&k),
                    serde_json::json!({ "iat": NOW, "exp": NOW + 300, "aud": "/content/" }),
                    &k.secret,
                ),
                TokenError::Audience("/content/".into()),
            ),
            // another key's id
            (
                token(
                    serde_json::json!({ "alg": "HS256", "kid": other.id }),
                    claims.clone(),
                    &k.secret,
                ),
                TokenError::UnknownKey,
            ),
            // "none" and other algorithms
            (
                token(
                    serde_json::json!({ "alg": "none", "kid": k.id }),
                    claims.clone(),
                    &k.secret,
                ),
                TokenError::Algorithm("none".into()),
            ),
            // no expiry
            (
                token(
                    header(&k),
                    serde_json::json!({ "iat": NOW, "aud": "/admin/" }),
                    &k.secret,
                ),
                TokenError::Malformed("the claims have no exp (expiry) time"),
            ),
        ];
        for (t, expected) in cases {
            assert_eq!(verify(&t, &k, NOW), Err(expected.clone()), "{expected}");
        }
        // a token changed after signing
        let t = k.sign(NOW);
        let mut pieces: Vec<&str> = t.split('.').collect();
        let longer = URL_SAFE_NO_PAD.encode(
            serde_json::json!({ "iat": NOW, "exp": NOW + 3000, "aud": "/admin/" }).to_string(),
        );
        pieces[1] = &longer;
        assert_eq!(
            verify(&pieces.join("."), &k, NOW),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let k = key();
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "!!.!!.!!",
            "e30.e30.@@",
            "e30.bm90IGpzb24.AA",
        ] {
            assert!(
                matches!(verify(bad, &k, NOW), Err(TokenError::Malformed(_))),
                "{bad}"
            );
        }
        // {} as header: no kid to look up
        assert_eq!(key_id("e30.e30.AA"), Err(TokenError::UnknownKey));
    }
}
