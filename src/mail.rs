//! Sending mail through the configured SMTP relay (lettre), and what a
//! failed send means: try again later (a 4xx answer, a lost connection) or
//! never for this address (a 5xx answer).

use std::fmt;
use std::time::Duration;

use std::sync::{Arc, Mutex};

use lettre::message::{Mailbox, Message, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

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

/// Connections to the relay, kept open and shared by every sender.
///
/// The pool is our own (on lettre's `AsyncSmtpConnection`) so that plain and
/// STARTTLS connections can be opened with `TCP_NODELAY`: lettre writes a
/// message and its final `.` separately, and without it that small last
/// write waits for the relay's delayed acknowledgement (some 40 ms a
/// message). Implicit-TLS (`smtps`) connections are opened by lettre itself.
#[derive(Clone)]
pub struct Mailer {
    pub relay: RelayUrl,
    tls: TlsParameters,
    hello: ClientId,
    idle: Arc<Mutex<Vec<AsyncSmtpConnection>>>,
    /// Connections kept open at most.
    keep: usize,
}

impl Mailer {
    pub fn new(relay: &RelayUrl, pool_size: u32) -> anyhow::Result<Mailer> {
        let tls = TlsParameters::new(relay.host.clone())
            .map_err(|e| anyhow::anyhow!("cannot set up TLS for {}: {e}", relay.host))?;
        Ok(Mailer {
            relay: relay.clone(),
            tls,
            hello: ClientId::default(),
            idle: Arc::new(Mutex::new(Vec::new())),
            keep: pool_size.max(1) as usize,
        })
    }

    fn temporary(e: impl fmt::Display) -> SendError {
        SendError::Temporary(e.to_string())
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let relay = &self.relay;
        let tls = self.tls.clone();
        let mut connection = if relay.implicit_tls {
            AsyncSmtpConnection::connect_tokio1(
                (relay.host.as_str(), relay.port),
                Some(TIMEOUT),
                &self.hello,
                Some(tls.clone()),
                None,
            )
            .await
            .map_err(Self::temporary)?
        } else {
            let stream = tokio::time::timeout(
                TIMEOUT,
                tokio::net::TcpStream::connect((relay.host.as_str(), relay.port)),
            )
            .await
            .map_err(|_| {
                SendError::Temporary(format!("connecting to {} timed out", relay.redacted()))
            })?
            .map_err(|e| SendError::Temporary(format!("cannot reach {}: {e}", relay.redacted())))?;
            stream.set_nodelay(true).map_err(Self::temporary)?;
            let mut connection = tokio::time::timeout(
                TIMEOUT,
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello),
            )
            .await
            .map_err(|_| SendError::Temporary("the relay did not greet us in time".into()))?
            .map_err(Self::temporary)?;
            // STARTTLS when offered; insisted on before sending a password.
            if connection.can_starttls() {
                connection
                    .starttls(tls, &self.hello)
                    .await
                    .map_err(Self::temporary)?;
            } else if relay.credentials.is_some() {
                // The relay's setup, not the reader's address: a temporary
                // failure, so that the send pauses instead of failing everyone.
                return Err(SendError::Temporary(format!(
                    "{} does not offer STARTTLS, and the password is not sent unencrypted: use smtps:// or a relay that offers it",
                    relay.redacted()
                )));
            }
            connection
        };
        if let Some((user, pass)) = &relay.credentials {
            connection
                .auth(
                    &[Mechanism::Plain, Mechanism::Login],
                    &Credentials::new(user.clone(), pass.clone()),
                )
                .await
                // Refused credentials are the relay's setup, not the reader's
                // address: temporary, so the send pauses with the reason.
                .map_err(|e| {
                    SendError::Temporary(format!("the relay refused the credentials: {e}"))
                })?;
        }
        Ok(connection)
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let reused = idle.is_some();
        match self.send_on(idle, &message).await {
            // A kept connection the relay closed meanwhile: once more, afresh.
            Err(SendError::Temporary(_)) if reused => self.send_on(None, &message).await,
            outcome => outcome,
        }
    }

    async fn send_on(
        &self,
        idle: Option<AsyncSmtpConnection>,
        message: &Message,
    ) -> Result<(), SendError> {
        let mut connection = match idle {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let sent = tokio::time::timeout(
            TIMEOUT,
            connection.send(message.envelope(), &message.formatted()),
        )
        .await;
        match sent {
            Ok(Ok(_)) => {
                let mut idle = self
                    .idle
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if idle.len() < self.keep {
                    idle.push(connection);
                }
                Ok(())
            }
            Ok(Err(e)) => {
                // A refusal of this message leaves a usable connection.
                if !connection.has_broken() && e.is_permanent() {
                    let mut idle = self
                        .idle
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if idle.len() < self.keep {
                        idle.push(connection);
                    }
                }
                if e.is_permanent() {
                    Err(SendError::Permanent(e.to_string()))
                } else {
                    Err(Self::temporary(e))
                }
            }
            Err(_) => Err(SendError::Temporary(format!(
                "{} took longer than {} s to accept a message",
                self.relay.redacted(),
                TIMEOUT.as_secs()
            ))),
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
