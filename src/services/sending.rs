//! Newsletter issues: composed (the weekly round-up from what was published
//! since the last one), rendered once as HTML and text (personalized per
//! reader by their own links), and sent durably: deliveries are claimed in
//! small batches, sent with bounded concurrency and rate, and marked one by
//! one, so a killed sender resumes where it stopped.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Serialize;

use crate::mail::{ListHeaders, Mailer, Outgoing, SendError, mailbox};
use crate::model::accounts::User;
use crate::model::newsletters::{IssueItem, IssueStatus, ItemKind, Newsletter, NewsletterIssue};
use crate::model::{StoryFilter, UnixTime, dates, new_id, slug};
use crate::services::permissions::{Action, may, refusal};
use crate::store::{DeliveryMark, Progress, Recipient, Store, StoreError};
use crate::theme::Theme;
use crate::urls::{self, PublicUrl};

/// How a sender paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SendLimits {
    /// Messages in flight at once (also the most a crash can send twice).
    pub concurrency: usize,
    /// Messages per second, at most.
    pub rate: u32,
}

impl Default for SendLimits {
    fn default() -> Self {
        SendLimits {
            concurrency: 8,
            rate: 200,
        }
    }
}

/// How long a claimed batch of deliveries is held: a sender that dies
/// lets its batch go after this.
pub const DELIVERY_LEASE: UnixTime = 15;
/// Temporary failures in a row that pause a send (the relay is down).
const PAUSE_AFTER_FAILURES: usize = 20;
/// Attempts for one message before it counts as failed.
const MAX_ATTEMPTS: i32 = 8;
/// The placeholder the rendered issue carries for each reader's token.
const TOKEN_SLOT: &str = "masthead-reader-token-slot";

/// Everything sending needs from outside the store.
pub struct Sender<'a> {
    pub store: &'a Store,
    pub mailer: &'a Mailer,
    pub theme: &'a Theme,
    pub public_url: &'a PublicUrl,
    pub limits: SendLimits,
}

#[derive(Debug)]
pub enum SendingError {
    /// The issue cannot be sent as it is; says why.
    Refused(String),
    /// The person's role does not allow it; says whose does.
    Forbidden(String),
    /// A newsletter's field breaks a rule; `field` names it.
    Invalid {
        field: &'static str,
        message: String,
    },
    Storage(StoreError),
}

impl std::fmt::Display for SendingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendingError::Refused(why) | SendingError::Forbidden(why) => f.write_str(why),
            SendingError::Invalid { message, .. } => f.write_str(message),
            SendingError::Storage(e) => write!(f, "the issue's deliveries are unavailable: {e}"),
        }
    }
}

impl From<StoreError> for SendingError {
    fn from(e: StoreError) -> Self {
        SendingError::Storage(e)
    }
}

/// Where "since the last issue" starts: when the newsletter's last issue
/// was sent, or a week ago for its first.
async fn since_last_issue(store: &Store, newsletter_id: &str) -> Result<UnixTime, StoreError> {
    let now = store.clock().now();
    Ok(store
        .last_issue_sent_at(newsletter_id)
        .await?
        .unwrap_or(now - 7 * 86_400))
}

/// A draft round-up: every story published since the newsletter's last
/// issue (up to 12, newest first) and the briefs of the same days (up to 6).
pub async fn compose_roundup(
    store: &Store,
    newsletter: &Newsletter,
    created_by: Option<&str>,
) -> anyhow::Result<(NewsletterIssue, Vec<IssueItem>)> {
    let now = store.clock().now();
    let since = since_last_issue(store, &newsletter.id).await?;
    let stories = store.stories(&StoryFilter::default(), now, 12, 0).await?;
    let briefs = store.briefs(now, 6, 0).await?;
    let mut items: Vec<IssueItem> = stories
        .iter()
        .filter(|s| s.published_at.is_some_and(|t| t > since))
        .map(|s| IssueItem {
            kind: ItemKind::Story,
            piece_id: s.id.clone(),
        })
        .collect();
    items.extend(
        briefs
            .iter()
            .filter(|b| b.brief.published_at.is_some_and(|t| t > since))
            .map(|b| IssueItem {
                kind: ItemKind::Brief,
                piece_id: b.brief.id.clone(),
            }),
    );
    // "Corrections since the last issue": on when there are any.
    let corrections = store.public_corrections(now, Some(since), 1, 0).await?;
    let settings = store.site_settings().await?;
    let tz = settings.time_zone();
    let day = dates::format(now, &tz, "%-d %B %Y");
    // A second round-up on the same day gets an address and a subject of
    // its own ("…, issue 2"), so readers can tell it from the first.
    let first_slug = format!("{}-{}", newsletter.slug, slug::slugify(&day));
    let first_subject = format!("{}: {day}", newsletter.name);
    let mut number = 1;
    let mut issue_slug = first_slug.clone();
    while store.issue_by_slug(&issue_slug).await?.is_some() {
        number += 1;
        issue_slug = format!("{first_slug}-{number}");
    }
    let subject = match number {
        1 => first_subject,
        n => format!("{first_subject}, issue {n}"),
    };
    let issue = NewsletterIssue {
        id: new_id(),
        newsletter_id: newsletter.id.clone(),
        slug: issue_slug,
        subject,
        preheader: stories
            .first()
            .map(|s| s.headline.clone())
            .unwrap_or_default(),
        intro: Default::default(),
        corrections_since: (!corrections.is_empty()).then_some(since),
        status: IssueStatus::Draft,
        send_at: None,
        started_at: None,
        finished_at: None,
        last_error: None,
        created_by: created_by.map(str::to_string),
        created_at: now,
        updated_at: now,
    };
    Ok((issue, items))
}

/// Composes a round-up and keeps it as a draft, in the activity log.
pub async fn compose_and_save(
    store: &Store,
    newsletter: &Newsletter,
    created_by: Option<&str>,
) -> anyhow::Result<(NewsletterIssue, Vec<IssueItem>)> {
    // Two editors composing at once can both find the same address free:
    // the one saved second composes again and takes the next.
    let mut attempts = 0;
    let (issue, items) = loop {
        let (issue, items) = compose_roundup(store, newsletter, created_by).await?;
        match store.save_issue(&issue, &items).await {
            Ok(()) => break (issue, items),
            Err(StoreError::Conflict(_)) if attempts < 5 => attempts += 1,
            Err(e) => return Err(e.into()),
        }
    };
    log_issue(store, created_by, "composed the newsletter issue", &issue).await;
    Ok((issue, items))
}

#[derive(Serialize, Clone)]
pub struct ItemView {
    kind: &'static str,
    headline: String,
    dek: String,
    kicker: String,
    url: String,
    image: Option<EmailImage>,
}

/// A correction in "Corrections since the last issue".
#[derive(Serialize)]
pub struct CorrectionItem {
    /// The corrected story's headline.
    headline: String,
    /// The correction at the foot of the story (absolute).
    url: String,
    date: String,
    body: String,
}

/// Corrections an issue carries at most (older ones are on the
/// corrections page it links to).
const ISSUE_CORRECTIONS: i64 = 20;

#[derive(Serialize, Clone)]
pub struct EmailImage {
    src: String,
    width: i32,
    height: i32,
    alt: String,
    credit: String,
}

/// What an issue shows: the email's content and its web version's.
#[derive(Serialize)]
pub struct IssueEmail {
    site_title: String,
    site_url: String,
    /// The publication's colour (links, kickers).
    accent: String,
    newsletter: String,
    subject: String,
    preheader: String,
    intro: crate::model::SafeHtml,
    /// The introduction as mail clients need it (figures and tables styled
    /// inline, addresses absolute).
    intro_email: crate::model::SafeHtml,
    intro_text: String,
    items: Vec<ItemView>,
    /// "Corrections since the last issue" (empty: the issue has none).
    corrections: Vec<CorrectionItem>,
    /// The public corrections page (absolute).
    corrections_url: String,
    web_url: String,
    preferences_url: String,
    unsubscribe_url: String,
}

/// An issue rendered once for everyone: each reader's copy only differs by
/// the token in their links (`TOKEN_SLOT`).
pub struct RenderedIssue {
    pub subject: String,
    pub html: String,
    pub text: String,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    pub list_id: String,
    pub host: String,
}

/// The width of the image copies emails show.
const EMAIL_IMAGE_WIDTH: i32 = 640;

/// An issue's content, with links for the reader whose token fills
/// `TOKEN_SLOT` (the web version shows none of them).
pub async fn issue_view(
    store: &Store,
    public_url: &PublicUrl,
    issue: &NewsletterIssue,
) -> Result<(IssueEmail, Newsletter, crate::model::SiteSettings), SendingError> {
    let settings = store
        .site_settings()
        .await
        .map_err(|e| SendingError::Refused(e.to_string()))?;
    let newsletter = store
        .newsletters()
        .await?
        .into_iter()
        .find(|n| n.id == issue.newsletter_id)
        .ok_or_else(|| SendingError::Refused("the issue's newsletter no longer exists".into()))?;
    let items = store.issue_items(&issue.id).await?;
    let corrections = match issue.corrections_since {
        // As they stood when the issue went out (its web version keeps them).
        Some(since) => {
            let until = issue.started_at.unwrap_or_else(|| store.clock().now());
            let tz = settings.time_zone();
            store
                .public_corrections(until, Some(since), ISSUE_CORRECTIONS, 0)
                .await?
                .into_iter()
                .map(|c| CorrectionItem {
                    url: public_url.absolute(&urls::story_note(&c.story_slug, &c.note.id)),
                    date: dates::format(c.note.noted_at, &tz, &settings.date_format),
                    headline: c.story_headline,
                    body: c.note.body,
                })
                .collect()
        }
        None => vec![],
    };
    let view = IssueEmail {
        corrections,
        corrections_url: public_url.absolute(&urls::corrections()),
        accent: settings.accent.clone(),
        site_title: settings.title.clone(),
        site_url: public_url.absolute(&urls::home()),
        newsletter: newsletter.name.clone(),
        subject: issue.subject.clone(),
        preheader: issue.preheader.clone(),
        intro_text: issue.intro.plain_text(),
        intro: crate::model::SafeHtml::from(&issue.intro),
        intro_email: issue.intro.email_html(&|path| public_url.absolute(path)),
        items: item_views(store, public_url, &items).await?,
        web_url: public_url.absolute(&urls::newsletter_issue(&issue.slug)),
        preferences_url: public_url.absolute(&urls::newsletter_preferences(TOKEN_SLOT)),
        unsubscribe_url: public_url.absolute(&urls::newsletter_unsubscribe(TOKEN_SLOT)),
    };
    Ok((view, newsletter, settings))
}

/// Renders an issue's email, once for every reader.
pub async fn render(
    store: &Store,
    theme: &Theme,
    public_url: &PublicUrl,
    issue: &NewsletterIssue,
) -> Result<RenderedIssue, SendingError> {
    let (view, newsletter, settings) = issue_view(store, public_url, issue).await?;
    let render = |name: &str| {
        theme
            .render(name, &view)
            .map_err(|e| SendingError::Refused(format!("{e:#}")))
    };
    let context = crate::services::subscriptions::MailContext {
        mailer: None,
        theme,
        public_url,
    };
    let host = context.host();
    let (from_name, from_address) =
        crate::services::subscriptions::sender(Some(&newsletter), &settings, &host);
    Ok(RenderedIssue {
        subject: issue.subject.clone(),
        html: render("email/issue.html")?,
        text: render("email/issue.txt")?,
        from_name,
        from_address,
        reply_to: Some(newsletter.reply_to.trim().to_string()).filter(|r| !r.is_empty()),
        list_id: format!("{} <{}.{host}>", newsletter.name, newsletter.slug),
        host,
    })
}

async fn item_views(
    store: &Store,
    public_url: &PublicUrl,
    items: &[IssueItem],
) -> Result<Vec<ItemView>, StoreError> {
    let story_ids: Vec<String> = items
        .iter()
        .filter(|i| i.kind == ItemKind::Story)
        .map(|i| i.piece_id.clone())
        .collect();
    let cards: HashMap<String, crate::store::StoryCard> = store
        .story_cards_by_ids(&story_ids)
        .await?
        .into_iter()
        .map(|c| (c.story.id.clone(), c))
        .collect();
    let sections: HashMap<String, String> = store
        .sections()
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut views = Vec::with_capacity(items.len());
    for item in items {
        match item.kind.as_str() {
            "story" => {
                let Some(card) = cards.get(&item.piece_id) else {
                    continue;
                };
                let s = &card.story;
                views.push(ItemView {
                    kind: "story",
                    headline: s.headline.clone(),
                    dek: if s.dek.is_empty() {
                        s.excerpt()
                    } else {
                        s.dek.clone()
                    },
                    kicker: format!(
                        "{} | {}",
                        s.label,
                        sections.get(&s.section_id).cloned().unwrap_or_default()
                    ),
                    url: public_url.absolute(&urls::story(&s.slug)),
                    image: card.hero.as_ref().map(|h| {
                        let width = h
                            .smaller_widths()
                            .into_iter()
                            .find(|&w| w >= EMAIL_IMAGE_WIDTH)
                            .unwrap_or(h.width);
                        EmailImage {
                            src: public_url.absolute(&urls::media(&h.file_at(width, None))),
                            width: EMAIL_IMAGE_WIDTH.min(width),
                            height: (i64::from(h.height) * i64::from(EMAIL_IMAGE_WIDTH.min(width))
                                / i64::from(h.width.max(1)))
                                as i32,
                            alt: h.alt.clone(),
                            credit: h.credit.clone(),
                        }
                    }),
                });
            }
            "brief" => {
                let Some(brief) = store.brief_by_id(&item.piece_id).await? else {
                    continue;
                };
                views.push(ItemView {
                    kind: "brief",
                    headline: brief.headline.clone(),
                    dek: crate::model::document::excerpt_of(None, brief.body.as_str(), 220),
                    kicker: "Brief".into(),
                    url: public_url.absolute(&urls::brief(&brief.slug)),
                    image: None,
                });
            }
            _ => {}
        }
    }
    Ok(views)
}

/// Starts sending an issue now: one delivery per active subscriber.
pub async fn start(store: &Store, issue: &NewsletterIssue) -> Result<u64, SendingError> {
    if issue.status == IssueStatus::Sent {
        return Err(SendingError::Refused(format!(
            "the issue {:?} has already been sent",
            issue.subject
        )));
    }
    Ok(store.start_sending(issue).await?)
}

/// What a stretch of sending came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stretch {
    /// Every delivery is sent or failed: the issue is sent.
    Finished(Progress),
    /// More is queued (or waiting for a retry): go on at this time.
    More(UnixTime),
    /// The relay keeps failing: paused with the error, resumed when retried.
    Paused(String),
}

/// Sends for at most `budget`, then says what is left.
pub async fn send_for(
    sender: &Sender<'_>,
    issue_id: &str,
    budget: Duration,
) -> Result<Stretch, SendingError> {
    let store = sender.store;
    let issue = store
        .issue_by_id(issue_id)
        .await?
        .ok_or_else(|| SendingError::Refused("the issue no longer exists".into()))?;
    if issue.status == IssueStatus::Sent {
        return Ok(Stretch::Finished(store.issue_progress(issue_id).await?));
    }
    let rendered = render(store, sender.theme, sender.public_url, &issue).await?;
    let started = Instant::now();
    let pace = Duration::from_secs_f64(1.0 / f64::from(sender.limits.rate.max(1)));
    let mut sent_here: u32 = 0;
    let mut failures_in_a_row = 0usize;
    let batch = (sender.limits.concurrency * 4).max(1) as i64;
    let marker = Marker::start(store.clone(), issue_id.to_string());
    while started.elapsed() < budget {
        let recipients = store
            .claim_deliveries(issue_id, DELIVERY_LEASE, batch)
            .await?;
        if recipients.is_empty() {
            break;
        }
        let results: Vec<(Recipient, Result<(), SendError>)> =
            futures_util::stream::iter(recipients)
                .map(|recipient| {
                    // Pace the start of each message to the configured rate.
                    let due = pace * sent_here;
                    sent_here += 1;
                    let rendered = &rendered;
                    let marker = &marker;
                    async move {
                        if let Some(wait) = due.checked_sub(started.elapsed()) {
                            tokio::time::sleep(wait).await;
                        }
                        let outcome = send_one(sender, rendered, &recipient).await;
                        let mark = match &outcome {
                            Ok(()) => DeliveryMark::Sent(recipient.id.clone()),
                            Err(SendError::Permanent(why)) => {
                                DeliveryMark::Failed(recipient.id.clone(), why.clone())
                            }
                            Err(SendError::Temporary(why)) if recipient.attempts >= MAX_ATTEMPTS => {
                                DeliveryMark::Failed(recipient.id.clone(), why.clone())
                            }
                            Err(SendError::Temporary(why)) => DeliveryMark::Retry(
                                recipient.id.clone(),
                                store.clock().now() + retry_after(recipient.attempts),
                                why.clone(),
                            ),
                        };
                        // Waits for the mark to commit: a crash resends at
                        // most one message per sender (what is in flight).
                        if let Err(e) = marker.record(mark).await {
                            tracing::warn!(error = %e, "a delivery's outcome could not be recorded; it may be sent again");
                        }
                        (recipient, outcome)
                    }
                })
                .buffer_unordered(sender.limits.concurrency.max(1))
                .collect()
                .await;
        for (_, outcome) in &results {
            match outcome {
                Err(SendError::Temporary(_)) => failures_in_a_row += 1,
                _ => failures_in_a_row = 0,
            }
        }
        if failures_in_a_row >= PAUSE_AFTER_FAILURES {
            let why = results
                .iter()
                .find_map(|(_, o)| match o {
                    Err(SendError::Temporary(why)) => Some(why.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let message = format!(
                "sending is paused: the relay {} keeps failing ({why}). Nothing is lost; resume once it works again.",
                sender.mailer.relay.redacted()
            );
            store
                .set_issue_status(issue_id, IssueStatus::Paused, Some(&message))
                .await?;
            return Ok(Stretch::Paused(message));
        }
    }
    match store.next_delivery_attempt(issue_id).await? {
        Some(at) => Ok(Stretch::More(at.max(store.clock().now()))),
        None => {
            store
                .set_issue_status(issue_id, IssueStatus::Sent, None)
                .await?;
            Ok(Stretch::Finished(store.issue_progress(issue_id).await?))
        }
    }
}

/// Records outcomes for the senders of one stretch: whatever marks are
/// waiting are written in one transaction (group commit), and each sender
/// hears when its own is safe.
struct Marker {
    sender: tokio::sync::mpsc::Sender<(
        DeliveryMark,
        tokio::sync::oneshot::Sender<Result<(), String>>,
    )>,
}

impl Marker {
    fn start(store: Store, issue_id: String) -> Marker {
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<(
            DeliveryMark,
            tokio::sync::oneshot::Sender<Result<(), String>>,
        )>(1024);
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                let mut waiting = vec![first];
                while waiting.len() < 512 {
                    match receiver.try_recv() {
                        Ok(next) => waiting.push(next),
                        Err(_) => break,
                    }
                }
                let marks: Vec<DeliveryMark> = waiting.iter().map(|(m, _)| m.clone()).collect();
                let result = store
                    .record_deliveries(&issue_id, &marks)
                    .await
                    .map_err(|e| e.to_string());
                for (_, reply) in waiting {
                    let _ = reply.send(result.clone());
                }
            }
        });
        Marker { sender }
    }

    async fn record(&self, mark: DeliveryMark) -> Result<(), String> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.sender
            .send((mark, reply))
            .await
            .map_err(|_| "the recorder stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the recorder stopped".to_string())?
    }
}

/// Seconds before trying a temporarily failed message again.
fn retry_after(attempts: i32) -> UnixTime {
    (15i64 << attempts.clamp(0, 10)).min(3600)
}

async fn send_one(
    sender: &Sender<'_>,
    rendered: &RenderedIssue,
    recipient: &Recipient,
) -> Result<(), SendError> {
    let Some(token) = recipient.manage_token.as_deref() else {
        return Err(SendError::Permanent(
            "the subscriber has no unsubscribe link yet".into(),
        ));
    };
    let personal = |text: &str| text.replace(TOKEN_SLOT, token);
    let from =
        mailbox(&rendered.from_name, &rendered.from_address).map_err(SendError::Permanent)?;
    let to = mailbox(&recipient.name, &recipient.email).map_err(SendError::Permanent)?;
    let reply_to = match &rendered.reply_to {
        Some(r) => Some(mailbox("", r).map_err(SendError::Permanent)?),
        None => None,
    };
    let message = Outgoing {
        from,
        reply_to,
        to,
        subject: &rendered.subject,
        text: personal(&rendered.text),
        html: personal(&rendered.html),
        list: Some(ListHeaders {
            id: rendered.list_id.clone(),
            unsubscribe_url: personal(
                &sender
                    .public_url
                    .absolute(&urls::newsletter_unsubscribe(TOKEN_SLOT)),
            ),
        }),
        domain: &rendered.host,
    }
    .build()?;
    sender.mailer.send(message).await
}

/// The longest subject and preheader an editor may write.
const MAX_SUBJECT_CHARS: usize = 200;

/// What an editor changes on a draft issue.
pub struct IssueEdit<'a> {
    pub subject: &'a str,
    pub preheader: &'a str,
    /// The introduction's HTML as the editor sent it.
    pub intro: &'a str,
    pub items: Vec<IssueItem>,
    /// Whether the issue carries "Corrections since the last issue".
    pub corrections: bool,
}

/// Editors and owners look after the newsletters; anyone else is refused.
pub fn may_curate(by: &User) -> Result<(), SendingError> {
    if may(by.role, Action::Curate, false) {
        Ok(())
    } else {
        Err(SendingError::Forbidden(refusal(by.role, Action::Curate)))
    }
}

/// A line of the activity log about an issue.
async fn log_issue(store: &Store, by: Option<&str>, action: &str, issue: &NewsletterIssue) {
    let target = Some(crate::model::accounts::ActivityTarget::Issue(&issue.id));
    crate::services::activity::record(store, by, action, &issue.subject, target).await;
}

/// Saves an editor's changes to an issue not yet sending.
pub async fn edit(
    store: &Store,
    by: &User,
    issue: &NewsletterIssue,
    change: IssueEdit<'_>,
) -> Result<NewsletterIssue, SendingError> {
    may_curate(by)?;
    if !issue.status.is_editable() {
        return Err(SendingError::Refused(
            "this issue is being sent or has been sent: it can no longer change".into(),
        ));
    }
    let subject = change.subject.trim();
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(SendingError::Refused(format!(
            "the subject is needed, and at most {MAX_SUBJECT_CHARS} characters"
        )));
    }
    // The introduction is a document, held to what any body a person
    // sends is held to.
    let intro = change.intro.to_string();
    let intro = crate::cpu::run(move || crate::model::Document::from_html_checked(&intro))
        .await
        .map_err(|e| SendingError::Refused(format!("the introduction cannot be used: {e}")))?;
    let corrections_since = match (change.corrections, issue.corrections_since) {
        (false, _) => None,
        (true, Some(since)) => Some(since),
        (true, None) => Some(since_last_issue(store, &issue.newsletter_id).await?),
    };
    let updated = NewsletterIssue {
        corrections_since,
        subject: subject.to_string(),
        preheader: change
            .preheader
            .trim()
            .chars()
            .take(MAX_SUBJECT_CHARS)
            .collect(),
        intro,
        updated_at: store.clock().now(),
        ..issue.clone()
    };
    store.save_issue(&updated, &change.items).await?;
    log_issue(store, Some(&by.id), "saved the newsletter issue", &updated).await;
    Ok(updated)
}

/// What an editor does to an issue from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueAction<'a> {
    /// One copy to this address.
    Test(&'a str),
    Send,
    /// Sending again after a pause.
    Resume,
    Schedule(UnixTime),
    Pause,
}

impl IssueAction<'_> {
    /// How the activity log words it, and what the page then says was done.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            IssueAction::Test(_) => ("sent a test of the newsletter issue", "test"),
            IssueAction::Send => ("started sending the newsletter issue", "sending"),
            IssueAction::Resume => ("resumed sending the newsletter issue", "sending"),
            IssueAction::Schedule(_) => ("scheduled the newsletter issue", "scheduled"),
            IssueAction::Pause => ("paused the newsletter issue", "saved"),
        }
    }
}

/// How an issue's sending is reached: the relay (none when no SMTP is
/// configured) and what renders a copy.
pub struct Outbox<'a> {
    pub mailer: Option<&'a Mailer>,
    pub theme: &'a Theme,
    pub public_url: &'a PublicUrl,
}

const NO_RELAY: &str = "mail cannot be sent yet: no SMTP relay is configured (smtp_url, MASTHEAD_SMTP_URL or --smtp-url)";

/// An editor's action on an issue: allowed, done, logged. Answers what
/// was done (`test`, `sending`, `scheduled`, `saved`).
pub async fn act(
    store: &Store,
    outbox: &Outbox<'_>,
    by: &User,
    issue: &NewsletterIssue,
    action: IssueAction<'_>,
) -> Result<&'static str, SendingError> {
    may_curate(by)?;
    let relay = || {
        outbox
            .mailer
            .ok_or_else(|| SendingError::Refused(NO_RELAY.into()))
    };
    match action {
        IssueAction::Test(address) => {
            send_test(
                store,
                relay()?,
                outbox.theme,
                outbox.public_url,
                issue,
                address,
            )
            .await
            .map_err(SendingError::Refused)?;
        }
        IssueAction::Send | IssueAction::Resume => {
            relay()?;
            start(store, issue).await?;
        }
        IssueAction::Schedule(at) => schedule(store, issue, at).await?,
        IssueAction::Pause => {
            store
                .set_issue_status(&issue.id, IssueStatus::Paused, Some("paused by an editor"))
                .await?;
        }
    }
    let (logged, done) = action.words();
    log_issue(store, Some(&by.id), logged, issue).await;
    Ok(done)
}

/// Schedules an issue for a time to come (its job is queued with it).
pub async fn schedule(
    store: &Store,
    issue: &NewsletterIssue,
    at: UnixTime,
) -> Result<(), SendingError> {
    if at <= store.clock().now() {
        return Err(SendingError::Refused(
            "that time has passed: send the issue now, or choose a later time".into(),
        ));
    }
    if !issue.status.is_editable() {
        return Err(SendingError::Refused(
            "this issue is already going out".into(),
        ));
    }
    let items = store.issue_items(&issue.id).await?;
    let scheduled = NewsletterIssue {
        status: IssueStatus::Scheduled,
        send_at: Some(at),
        ..issue.clone()
    };
    store.save_issue(&scheduled, &items).await?;
    Ok(())
}

/// Sends one copy of an issue to `address` (a test: its links are not a
/// reader's own).
pub async fn send_test(
    store: &Store,
    mailer: &Mailer,
    theme: &Theme,
    public_url: &PublicUrl,
    issue: &NewsletterIssue,
    address: &str,
) -> Result<(), String> {
    let address = crate::services::subscriptions::normalize_email(address)?;
    let rendered = render(store, theme, public_url, issue)
        .await
        .map_err(|e| e.to_string())?;
    let test = |text: &str| text.replace(TOKEN_SLOT, "test-copy");
    let message = Outgoing {
        from: mailbox(&rendered.from_name, &rendered.from_address)?,
        reply_to: None,
        to: mailbox("", &address)?,
        subject: &format!("[Test] {}", rendered.subject),
        text: test(&rendered.text),
        html: test(&rendered.html),
        list: None,
        domain: &rendered.host,
    }
    .build()
    .map_err(|e| e.to_string())?;
    mailer.send(message).await.map_err(|e| e.to_string())
}

/// The issue's email as a browser shows it (the desk's preview).
pub async fn preview_html(
    store: &Store,
    theme: &Theme,
    public_url: &PublicUrl,
    issue: &NewsletterIssue,
) -> Result<String, SendingError> {
    Ok(render(store, theme, public_url, issue)
        .await?
        .html
        .replace(TOKEN_SLOT, "preview"))
}

/// A story sent as its own email to a newsletter (the way Ghost sends a
/// post): an issue of that one story, sent now, or at `at` when the story
/// is scheduled.
pub async fn send_story(
    store: &Store,
    story: &crate::model::Story,
    newsletter_id: &str,
    created_by: Option<&str>,
    at: Option<UnixTime>,
) -> Result<NewsletterIssue, SendingError> {
    let exists = store
        .newsletters()
        .await?
        .iter()
        .any(|n| n.id == newsletter_id);
    if !exists {
        return Err(SendingError::Refused(
            "that newsletter does not exist".into(),
        ));
    }
    let now = store.clock().now();
    let issue = NewsletterIssue {
        id: new_id(),
        newsletter_id: newsletter_id.to_string(),
        slug: format!("{}-{}", story.slug, &new_id()[26..]),
        subject: story.headline.clone(),
        preheader: if story.dek.is_empty() {
            story.excerpt()
        } else {
            story.dek.clone()
        },
        intro: Default::default(),
        corrections_since: None,
        status: IssueStatus::Draft,
        send_at: None,
        started_at: None,
        finished_at: None,
        last_error: None,
        created_by: created_by.map(str::to_string),
        created_at: now,
        updated_at: now,
    };
    let items = [IssueItem {
        kind: ItemKind::Story,
        piece_id: story.id.clone(),
    }];
    store.save_issue(&issue, &items).await?;
    match at {
        Some(at) if at > now => schedule(store, &issue, at).await?,
        _ => {
            start(store, &issue).await?;
        }
    }
    Ok(issue)
}

/// What an editor sets on a newsletter.
pub struct NewsletterForm<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub description: &'a str,
    pub sender_name: &'a str,
    pub sender_email: &'a str,
    pub reply_to: &'a str,
    pub offered: bool,
    pub position: &'a str,
}

/// Adds (`existing` None) or changes a newsletter; each problem names its field.
pub async fn save_newsletter(
    store: &Store,
    by: &User,
    existing: Option<&Newsletter>,
    form: NewsletterForm<'_>,
) -> Result<Newsletter, SendingError> {
    may_curate(by)?;
    let invalid = |field: &'static str, message: String| SendingError::Invalid { field, message };
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid(
            "name",
            "A name is needed, under 100 characters.".into(),
        ));
    }
    let slug = match form.slug.trim() {
        "" => slug::slugify(name),
        typed => typed.to_string(),
    };
    if !slug::is_valid(&slug) {
        return Err(invalid(
            "slug",
            format!(
                "The slug {slug:?} may hold only lowercase letters, digits and single hyphens."
            ),
        ));
    }
    let all = store.newsletters().await?;
    if all
        .iter()
        .any(|n| n.slug == slug && Some(&n.id) != existing.map(|e| &e.id))
    {
        return Err(invalid(
            "slug",
            format!("Another newsletter is called {slug:?}: choose another slug."),
        ));
    }
    for (field, address) in [
        ("sender_email", form.sender_email),
        ("reply_to", form.reply_to),
    ] {
        if !address.trim().is_empty()
            && crate::services::subscriptions::normalize_email(address).is_err()
        {
            return Err(invalid(
                field,
                format!("{:?} is not an email address.", address.trim()),
            ));
        }
    }
    let position = form
        .position
        .trim()
        .parse::<i32>()
        .unwrap_or(existing.map_or(all.len() as i32, |n| n.position));
    let newsletter = Newsletter {
        id: existing.map_or_else(|| slug.clone(), |n| n.id.clone()),
        slug,
        name: name.to_string(),
        description: form.description.trim().to_string(),
        sender_name: form.sender_name.trim().to_string(),
        sender_email: form.sender_email.trim().to_string(),
        reply_to: form.reply_to.trim().to_string(),
        offered: form.offered,
        position,
        created_at: existing.map_or(store.clock().now(), |n| n.created_at),
    };
    store.save_newsletter(&newsletter).await?;
    let action = if existing.is_some() {
        "changed the newsletter"
    } else {
        "added the newsletter"
    };
    let who = Some(by.id.as_str());
    crate::services::activity::record(store, who, action, &newsletter.name, None).await;
    Ok(newsletter)
}
