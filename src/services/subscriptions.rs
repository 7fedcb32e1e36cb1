//! Readers signing up for newsletters, confirming their address (double
//! opt-in), choosing what they receive and leaving — never needing an
//! account. The sign-up form always answers the same way, so nobody can
//! learn whether an address is subscribed.

use serde::Serialize;

use crate::mail::{Mailer, Outgoing, mailbox};
use crate::model::newsletters::{Newsletter, Subscriber, SubscriberStatus};
use crate::model::{SiteSettings, UnixTime};
use crate::services::throttles::Limit;
use crate::store::{Signup, Store, StoreError};
use crate::theme::Theme;
use crate::urls::{self, PublicUrl};

/// How long a confirmation link works.
pub const CONFIRM_SECS: UnixTime = 7 * 86_400;
/// Sign-ups (and asks for a preferences link) for one address...
const PER_ADDRESS: Limit = Limit {
    name: "sign-up:address",
    max: 3,
    per: 3600,
};
/// ...and from one client address, whatever the addresses.
const PER_CLIENT: Limit = Limit {
    name: "sign-up:client",
    max: 20,
    per: 3600,
};

/// Counts a sign-up (or an ask for a link) before it is acted on; refused
/// past either limit, counting nothing.
async fn reserve_signup(store: &Store, email: &str, client: &str) -> Result<(), SubscribeError> {
    let by_client = PER_CLIENT
        .reserve(store, client)
        .await?
        .map_err(|e| SubscribeError::Throttled(e.retry_after))?;
    if let Err(e) = PER_ADDRESS.reserve(store, &email.to_lowercase()).await? {
        by_client.release(store).await?;
        return Err(SubscribeError::Throttled(e.retry_after));
    }
    Ok(())
}
const MAX_NAME_CHARS: usize = 100;

/// Checks an address the way a reader would expect: one `@`, something on
/// both sides, a dot in the domain, no spaces. Delivery proves the rest.
pub fn normalize_email(input: &str) -> Result<String, String> {
    let email = input.trim();
    if email.is_empty() {
        return Err("Please enter your email address.".into());
    }
    if email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err(format!(
            "\u{201c}{email}\u{201d} is not an email address we can write to: it is too long or contains spaces."
        ));
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !local.contains(['<', '>', '"', ',', ';', '\\'])
                && !domain.contains(['<', '>', '"', ',', ';', '\\', '/']) =>
        {
            Ok(format!("{local}@{}", domain.to_lowercase()))
        }
        _ => Err(format!(
            "\u{201c}{email}\u{201d} does not look like an email address. It should look like name@example.org."
        )),
    }
}

/// What a sign-up form sent.
pub struct SignupRequest<'a> {
    pub email: &'a str,
    pub name: &'a str,
    /// Newsletter ids ticked.
    pub newsletters: Vec<String>,
    /// The form offered a choice (the sign-up page): ticking none is a
    /// mistake. Otherwise (a footer) none ticked means the first offered.
    pub choosing: bool,
    /// The hidden field only bots fill in.
    pub honeypot: &'a str,
    /// The client's address, for the rate limit.
    pub client: &'a str,
}

#[derive(Debug)]
pub enum SubscribeError {
    /// Names the field.
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Too many sign-ups; try again after this many seconds.
    Throttled(i64),
    Storage(StoreError),
}

impl std::fmt::Display for SubscribeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubscribeError::Invalid { message, .. } => f.write_str(message),
            SubscribeError::Throttled(_) => f.write_str(
                "There have been several sign-ups from here in the last hour. Please try again in an hour.",
            ),
            SubscribeError::Storage(e) => write!(f, "the sign-up could not be saved: {e}"),
        }
    }
}

impl From<StoreError> for SubscribeError {
    fn from(e: StoreError) -> Self {
        SubscribeError::Storage(e)
    }
}

/// Records a sign-up and queues the confirmation email. Succeeds in the
/// same way whether the address is new, pending or already subscribed.
pub async fn sign_up(store: &Store, request: SignupRequest<'_>) -> Result<(), SubscribeError> {
    if !request.honeypot.trim().is_empty() {
        // A bot: answered like anyone, recorded nowhere.
        return Ok(());
    }
    let email = normalize_email(request.email).map_err(|message| SubscribeError::Invalid {
        field: "email",
        message,
    })?;
    let name = request.name.trim();
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(SubscribeError::Invalid {
            field: "name",
            message: format!("Please keep your name under {MAX_NAME_CHARS} characters."),
        });
    }
    let offered: Vec<Newsletter> = store
        .newsletters()
        .await?
        .into_iter()
        .filter(|n| n.offered)
        .collect();
    let mut chosen: Vec<String> = request
        .newsletters
        .iter()
        .filter(|id| offered.iter().any(|n| &&n.id == id))
        .cloned()
        .collect();
    chosen.dedup();
    if chosen.is_empty() {
        match offered.first() {
            Some(first) if !request.choosing || offered.len() == 1 => chosen.push(first.id.clone()),
            _ => {
                return Err(SubscribeError::Invalid {
                    field: "newsletters",
                    message: "Choose at least one newsletter.".into(),
                });
            }
        }
    }
    reserve_signup(store, &email, request.client).await?;
    store
        .sign_up(&Signup {
            email,
            name: name.to_string(),
            newsletter_ids: chosen,
            manage_token: crate::services::accounts::secret(),
        })
        .await?;
    Ok(())
}

/// A reader confirmed through their link: they now receive what they asked
/// for. None when the link is unknown, used or expired.
pub async fn confirm(store: &Store, token: &str) -> Result<Option<Subscriber>, StoreError> {
    if !token_shaped(token) {
        return Ok(None);
    }
    match store
        .confirm_subscriber(&crate::services::accounts::digest(token))
        .await?
    {
        Some(id) => {
            crate::services::webhook_events::member_added(store, &id).await;
            store.subscriber_by_id(&id).await
        }
        None => Ok(None),
    }
}

/// Links are 64 hex characters: anything else is not looked up.
pub fn token_shaped(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The reader behind a manage link (preferences, unsubscribe).
pub async fn by_manage_token(store: &Store, token: &str) -> Result<Option<Subscriber>, StoreError> {
    if !token_shaped(token) {
        return Ok(None);
    }
    store.subscriber_by_manage_token(token).await
}

/// What a reader receives from now on; none unsubscribes them from all.
pub async fn choose(
    store: &Store,
    subscriber: &Subscriber,
    newsletter_ids: &[String],
) -> Result<(), StoreError> {
    let known = store.newsletters().await?;
    let kept: Vec<String> = newsletter_ids
        .iter()
        .filter(|id| known.iter().any(|n| &&n.id == id))
        .cloned()
        .collect();
    store.set_subscriptions(&subscriber.id, &kept).await
}

/// Everything the confirmation email needs from outside the store.
pub struct MailContext<'a> {
    pub mailer: Option<&'a Mailer>,
    pub theme: &'a Theme,
    pub public_url: &'a PublicUrl,
}

impl MailContext<'_> {
    /// The site's host, for Message-IDs and the default sender.
    pub fn host(&self) -> String {
        let url = self.public_url.absolute("");
        let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        let host = rest.split(['/', ':']).next().unwrap_or("localhost");
        host.to_string()
    }
}

/// Who a newsletter's messages are from.
pub fn sender(
    newsletter: Option<&Newsletter>,
    settings: &SiteSettings,
    host: &str,
) -> (String, String) {
    let name = newsletter
        .map(|n| n.sender_name.trim())
        .filter(|n| !n.is_empty())
        .unwrap_or(&settings.title)
        .to_string();
    let address = newsletter
        .map(|n| n.sender_email.trim())
        .filter(|a| !a.is_empty())
        .map_or_else(|| format!("newsletter@{host}"), str::to_string);
    (name, address)
}

/// Renders `template` (`.txt` and `.html`) with `view` and sends it to one
/// reader from the given newsletter's sender (or the site's).
#[allow(clippy::too_many_arguments)]
async fn send_notice(
    store: &Store,
    context: &MailContext<'_>,
    mailer: &Mailer,
    to: &Subscriber,
    newsletter: Option<&Newsletter>,
    template: &str,
    subject: &str,
    view: &impl Serialize,
) -> Result<(), String> {
    let settings = store.site_settings().await.map_err(|e| e.to_string())?;
    let render = |ext: &str| {
        context
            .theme
            .render(&format!("email/{template}.{ext}"), view)
            .map_err(|e| format!("{e:#}"))
    };
    let host = context.host();
    let (from_name, from_address) = sender(newsletter, &settings, &host);
    let message = Outgoing {
        from: mailbox(&from_name, &from_address)?,
        reply_to: None,
        to: mailbox(&to.name, &to.email)?,
        subject,
        text: render("txt")?,
        html: render("html")?,
        list: None,
        domain: &host,
    }
    .build()
    .map_err(|e| e.to_string())?;
    mailer.send(message).await.map_err(|e| e.to_string())
}

#[derive(Serialize)]
struct ConfirmEmail {
    site_title: String,
    /// The publication's colour (the button).
    accent: String,
    site_url: String,
    name: String,
    newsletters: Vec<String>,
    confirm_url: String,
    days: i64,
}

/// The job that sends a pending reader their confirmation link. Safe to run
/// again: a reader with nothing pending (confirmed meanwhile) gets nothing.
pub async fn send_confirmation(
    store: &Store,
    context: &MailContext<'_>,
    subscriber_id: &str,
) -> Result<(), String> {
    let Some(subscriber) = store
        .subscriber_by_id(subscriber_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let pending = subscriber.pending_ids();
    if pending.is_empty() || subscriber.status == SubscriberStatus::Complained {
        return Ok(());
    }
    let Some(mailer) = context.mailer else {
        return Err(
            "no SMTP relay is configured, so the confirmation waits: set smtp_url (or MASTHEAD_SMTP_URL)"
                .into(),
        );
    };
    let settings = store.site_settings().await.map_err(|e| e.to_string())?;
    let newsletters = store.newsletters().await.map_err(|e| e.to_string())?;
    let asked: Vec<&Newsletter> = newsletters
        .iter()
        .filter(|n| pending.contains(&n.id))
        .collect();
    // Readers from before manage links existed get theirs now.
    if subscriber.manage_token.is_none() {
        store
            .ensure_manage_token(&subscriber.id, &crate::services::accounts::secret())
            .await
            .map_err(|e| e.to_string())?;
    }
    let token = crate::services::accounts::secret();
    let expires = store.clock().now() + CONFIRM_SECS;
    store
        .add_subscriber_token(
            &crate::services::accounts::digest(&token),
            &subscriber.id,
            expires,
        )
        .await
        .map_err(|e| e.to_string())?;
    let view = ConfirmEmail {
        accent: settings.accent.clone(),
        site_title: settings.title.clone(),
        site_url: context.public_url.absolute(&urls::home()),
        name: subscriber.name.clone(),
        newsletters: asked.iter().map(|n| n.name.clone()).collect(),
        confirm_url: context
            .public_url
            .absolute(&urls::newsletter_confirm(&token)),
        days: CONFIRM_SECS / 86_400,
    };
    let subject = format!("Confirm your subscription to {}", settings.title);
    send_notice(
        store,
        context,
        mailer,
        &subscriber,
        asked.first().copied(),
        "confirm",
        &subject,
        &view,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases_the_domain() {
        assert_eq!(
            normalize_email(" Ada@Example.ORG ").unwrap(),
            "Ada@example.org"
        );
    }

    #[test]
    fn rejects_what_cannot_be_an_address() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a b@example.org",
            "a@b@c.org",
            "ada@.org",
            "a<b>@example.org",
            "ada@exa\"mple.org",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} was accepted");
        }
    }
}

/// What an import found, line by line.
#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    /// Addresses that are (or, in a dry run, would be) added.
    pub accepted: usize,
    /// Addresses already known: left as they are.
    pub known: usize,
    /// Line, what it held, and why it was not taken.
    pub rejected: Vec<(usize, String, String)>,
    pub dry_run: bool,
}

/// Most rows one import takes (larger lists: split the file).
pub const MAX_IMPORT_ROWS: usize = 200_000;

/// Reads a CSV of readers (`email[,name]`, an optional header line) and,
/// unless `dry_run`, adds the new ones as confirmed readers of
/// `newsletter_id`. Every refused line is reported with its number.
pub async fn import_csv(
    store: &Store,
    by: &crate::model::accounts::User,
    bytes: &[u8],
    newsletter_id: &str,
    dry_run: bool,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport {
        dry_run,
        ..Default::default()
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report
                    .rejected
                    .push((line, String::new(), format!("not readable as CSV: {e}")));
                continue;
            }
        };
        let email = record.get(0).unwrap_or("").to_string();
        let name = record.get(1).unwrap_or("").to_string();
        if line == 1 && email.eq_ignore_ascii_case("email") {
            continue;
        }
        if email.is_empty() && record.len() <= 1 {
            continue;
        }
        if rows.len() >= MAX_IMPORT_ROWS {
            report.rejected.push((
                line,
                email,
                format!("past the {MAX_IMPORT_ROWS} rows one import takes: split the file"),
            ));
            continue;
        }
        let normalized = match normalize_email(&email) {
            Ok(n) => n,
            Err(why) => {
                report.rejected.push((line, email, why));
                continue;
            }
        };
        let key = normalized.to_lowercase();
        if let Some(first) = seen.get(&key) {
            report
                .rejected
                .push((line, email, format!("the same address is on line {first}")));
            continue;
        }
        seen.insert(key, line);
        if store.subscriber_by_email(&normalized).await?.is_some() {
            report.known += 1;
            continue;
        }
        rows.push(crate::store::ConfirmedSubscriber {
            id: crate::model::new_id(),
            email: normalized,
            name: name.chars().take(MAX_NAME_CHARS).collect(),
            manage_token: crate::services::accounts::secret(),
            subscribed: true,
            since: None,
        });
    }
    report.accepted = rows.len();
    if !dry_run {
        store
            .add_confirmed_subscribers(&rows, newsletter_id)
            .await?;
        let added = format!("{} added", report.accepted);
        let who = Some(by.id.as_str());
        crate::services::activity::record(store, who, "imported subscribers", &added, None).await;
    }
    Ok(report)
}

/// Every reader as CSV (address, name, status, newsletters, dates), read a
/// page at a time.
pub async fn export_csv(store: &Store) -> Result<Vec<u8>, StoreError> {
    const PAGE: i64 = 2000;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "email",
        "name",
        "status",
        "newsletters",
        "signed_up",
        "confirmed",
    ];
    writer.write_record(header).map_err(csv_error)?;
    let date = |t: Option<UnixTime>| {
        t.and_then(|t| jiff::Timestamp::from_second(t).ok())
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let mut after = String::new();
    loop {
        let page = store.subscribers(None, None, &after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.email.clone();
        for s in &page {
            let newsletters = store.subscriptions_of(&s.id).await?.join(" ");
            writer
                .write_record([
                    s.email.as_str(),
                    s.name.as_str(),
                    s.status.as_str(),
                    newsletters.as_str(),
                    date(Some(s.created_at)).as_str(),
                    date(s.confirmed_at).as_str(),
                ])
                .map_err(csv_error)?;
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    writer
        .into_inner()
        .map_err(|e| csv_error(e.into_error().into()))
}

fn csv_error(e: csv::Error) -> StoreError {
    StoreError::Other(sqlx::Error::Protocol(format!(
        "the CSV could not be written: {e}"
    )))
}

/// A reader asks for a link to their preferences. Answered the same way
/// whether the address is known or not (rate-limited like sign-ups); the
/// link goes by email, to the address itself.
pub async fn ask_for_manage_link(
    store: &Store,
    email: &str,
    client: &str,
) -> Result<(), SubscribeError> {
    let email = normalize_email(email).map_err(|message| SubscribeError::Invalid {
        field: "email",
        message,
    })?;
    reserve_signup(store, &email, client).await?;
    if let Some(subscriber) = store.subscriber_by_email(&email).await? {
        store
            .enqueue_job(
                crate::store::JobKind::SendManageLink,
                &subscriber.id,
                store.clock().now(),
            )
            .await?;
    }
    Ok(())
}

#[derive(Serialize)]
struct ManageEmail {
    site_title: String,
    /// The publication's colour (the button).
    accent: String,
    site_url: String,
    preferences_url: String,
}

/// The job that emails a reader the link to their preferences.
pub async fn send_manage_link(
    store: &Store,
    context: &MailContext<'_>,
    subscriber_id: &str,
) -> Result<(), String> {
    let Some(subscriber) = store
        .subscriber_by_id(subscriber_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let Some(mailer) = context.mailer else {
        return Err(
            "no SMTP relay is configured, so the link waits: set smtp_url (or MASTHEAD_SMTP_URL)"
                .into(),
        );
    };
    let token = match &subscriber.manage_token {
        Some(token) => token.clone(),
        None => store
            .ensure_manage_token(&subscriber.id, &crate::services::accounts::secret())
            .await
            .map_err(|e| e.to_string())?,
    };
    let settings = store.site_settings().await.map_err(|e| e.to_string())?;
    let view = ManageEmail {
        accent: settings.accent.clone(),
        site_title: settings.title.clone(),
        site_url: context.public_url.absolute(&urls::home()),
        preferences_url: context
            .public_url
            .absolute(&urls::newsletter_preferences(&token)),
    };
    let subject = format!("Your newsletters from {}", settings.title);
    send_notice(
        store,
        context,
        mailer,
        &subscriber,
        None,
        "manage",
        &subject,
        &view,
    )
    .await
}
