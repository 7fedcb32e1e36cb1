//! Sending mail through the configured SMTP relay (lettre), and what a
//! failed send means: try again later (a 4xx answer, a lost connection) or
//! never for this address (a 5xx answer).

use std::fmt;
use std::time::Duration;

use lettre::message::{Mailbox, Message, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// How long one SMTP conversation may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The relay, as configured: `smtp://[user:pass@]host[:port]` (STARTTLS when
/// offered, required when a user is given) or `smtps://…` (TLS throughout).
#[derive(Clone, PartialEq, Eq)]
pub struct RelayUrl {
    pub host: String,
    pub port: u16,
    pub implicit_tls: bool,
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for RelayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the password.
        write!(f, "{}", self.redacted())
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(Ok(b)) = text.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl RelayUrl {
    pub fn parse(url: &str) -> anyhow::Result<RelayUrl> {
        let advice = "write the relay as smtp://HOST:PORT, smtp://USER:PASSWORD@HOST:587 or smtps://USER:PASSWORD@HOST:465";
        let (scheme, rest) = url.trim().split_once("://").ok_or_else(|| {
            anyhow::anyhow!("the SMTP relay {:?} is not a URL: {advice}", redact(url))
        })?;
        let implicit_tls = match scheme {
            "smtp" => false,
            "smtps" => true,
            other => {
                anyhow::bail!("the SMTP relay's scheme {other:?} is not smtp or smtps: {advice}")
            }
        };
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((user, host)) => (Some(user), host),
            None => (None, rest),
        };
        let credentials = userinfo.map(|u| {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            (percent_decode(user), percent_decode(pass))
        });
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>().map_err(|_| {
                    anyhow::anyhow!("the SMTP relay's port {port:?} is not a number: {advice}")
                })?,
            ),
            None => (hostport, if implicit_tls { 465 } else { 587 }),
        };
        if host.is_empty() {
            anyhow::bail!("the SMTP relay has no host: {advice}");
        }
        Ok(RelayUrl {
            host: host.to_string(),
            port,
            implicit_tls,
            credentials,
        })
    }

    /// The URL without its password, for logs and the desk.
    pub fn redacted(&self) -> String {
        let scheme = if self.implicit_tls { "smtps" } else { "smtp" };
        match &self.credentials {
            Some((user, _)) => format!("{scheme}://{user}:***@{}:{}", self.host, self.port),
            None => format!("{scheme}://{}:{}", self.host, self.port),
        }
    }
}

fn redact(url: &str) -> String {
    match url
        .split_once("://")
        .and_then(|(s, r)| r.rsplit_once('@').map(|(_, h)| (s, h)))
    {
        Some((scheme, host)) => format!("{scheme}://***@{host}"),
        None => url.to_string(),
    }
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth trying again later: the relay said 4xx, or could not be reached.
    Temporary(String),
    /// The relay refused this message for good (5xx): not to be retried.
    Permanent(String),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Temporary(why) => write!(f, "temporary failure: {why}"),
            SendError::Permanent(why) => write!(f, "refused: {why}"),
        }
    }
}

/// A connection (pool) to the relay, shared by every sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub relay: RelayUrl,
}

impl Mailer {
    pub fn new(relay: &RelayUrl, pool_size: u32) -> anyhow::Result<Mailer> {
        let tls_parameters = || {
            TlsParameters::new(relay.host.clone())
                .map_err(|e| anyhow::anyhow!("cannot set up TLS for {}: {e}", relay.host))
        };
        let tls = if relay.implicit_tls {
            Tls::Wrapper(tls_parameters()?)
        } else if relay.credentials.is_some() {
            Tls::Required(tls_parameters()?)
        } else {
            Tls::Opportunistic(tls_parameters()?)
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&relay.host)
            .port(relay.port)
            .tls(tls)
            .timeout(Some(TIMEOUT))
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(pool_size.max(1)));
        if let Some((user, pass)) = &relay.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            relay: relay.clone(),
        })
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Temporary(e.to_string())),
        }
    }
}

/// A message ready to send: both forms of the body, and the headers every
/// message of ours carries.
pub struct Outgoing<'a> {
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    pub to: Mailbox,
    pub subject: &'a str,
    pub text: String,
    pub html: String,
    /// `List-Id`, `List-Unsubscribe` (+ one-click) when the message is from a list.
    pub list: Option<ListHeaders>,
    /// Domain for the Message-ID (the site's host).
    pub domain: &'a str,
}

pub struct ListHeaders {
    pub id: String,
    pub unsubscribe_url: String,
}

impl Outgoing<'_> {
    pub fn build(self) -> Result<Message, SendError> {
        let mut builder = Message::builder()
            .from(self.from)
            .to(self.to)
            .subject(self.subject)
            .date_now()
            .message_id(Some(format!(
                "<{}@{}>",
                crate::model::new_id(),
                self.domain
            )));
        if let Some(reply_to) = self.reply_to {
            builder = builder.reply_to(reply_to);
        }
        if let Some(list) = &self.list {
            builder = builder
                .raw_header(lettre::message::header::HeaderValue::new(
                    lettre::message::header::HeaderName::new_from_ascii_str("List-Id"),
                    list.id.clone(),
                ))
                .raw_header(lettre::message::header::HeaderValue::new(
                    lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{}>", list.unsubscribe_url),
                ))
                .raw_header(lettre::message::header::HeaderValue::new(
                    lettre::message::header::HeaderName::new_from_ascii_str(
                        "List-Unsubscribe-Post",
                    ),
                    "List-Unsubscribe=One-Click".to_string(),
                ));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(self.text, self.html))
            .map_err(|e| SendError::Permanent(format!("the message could not be built: {e}")))
    }
}

/// A mailbox from a name and an address (the name quoted as needed).
pub fn mailbox(name: &str, address: &str) -> Result<Mailbox, String> {
    let address = address
        .parse()
        .map_err(|e| format!("{address:?} is not an address mail can go to: {e}"))?;
    let name = Some(name.trim().to_string()).filter(|n| !n.is_empty());
    Ok(Mailbox::new(name, address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_read_as_the_docs_say() {
        let plain = RelayUrl::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.implicit_tls),
            ("127.0.0.1", 2525, false)
        );
        assert!(plain.credentials.is_none());
        let starttls = RelayUrl::parse("smtp://ann%40x.org:p%3Ass@mail.example.org:587").unwrap();
        assert_eq!(
            starttls.credentials,
            Some(("ann@x.org".into(), "p:ss".into()))
        );
        assert_eq!(
            starttls.redacted(),
            "smtp://ann@x.org:***@mail.example.org:587"
        );
        assert!(!format!("{starttls:?}").contains("p:ss"));
        let tls = RelayUrl::parse("smtps://u:p@mail.example.org").unwrap();
        assert_eq!((tls.port, tls.implicit_tls), (465, true));
        assert!(RelayUrl::parse("http://mail.example.org").is_err());
        assert!(RelayUrl::parse("smtp://host:port").is_err());
        let bad = RelayUrl::parse("ftp://u:secret@h").unwrap_err().to_string();
        assert!(!bad.contains("secret"), "{bad}");
    }
}
