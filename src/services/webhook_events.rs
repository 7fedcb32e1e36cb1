//! Webhook events: what a change announces, and the delivery of each
//! announcement to the webhooks listening for it.
//!
//! A service announces an event after its write commits: one delivery row
//! per listening webhook and a job for each, written together. The job
//! composes the Ghost-shaped body at its first attempt (and keeps it, so
//! every retry sends the same bytes), signs it, and POSTs it. Failures are
//! retried by the job queue with backoff; a delivery that succeeded is
//! marked before its job ends, so a job run again sends nothing twice.
//! Publishing never waits for a receiver: it only writes rows.

use std::time::Duration;

use serde_json::{Value, json};

use crate::model::{Page, Story, UnixTime};
use crate::services::ghost::{self, Formats, Include, Shaper};
use crate::services::webhooks;
use crate::store::{NewDelivery, Store, StoreResult, WebhookDelivery};
use crate::urls::PublicUrl;

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Events that also announce `site.changed`: whatever readers see moved.
fn changes_site(event: &str) -> bool {
    event.starts_with("post.") || event.starts_with("page.") || event.starts_with("tag.")
}

/// Queues `event` about `kind`/`id` for every webhook listening for it
/// (and `site.changed` with it where the site changed). A failure is
/// logged: the change itself is saved.
pub async fn announce(store: &Store, event: &str, kind: &str, id: &str, previous: Value) {
    if let Err(e) = try_announce(store, event, kind, id, previous).await {
        tracing::error!(error = %e, event, id, "a webhook event could not be queued");
    }
}

async fn try_announce(
    store: &Store,
    event: &str,
    kind: &str,
    id: &str,
    previous: Value,
) -> StoreResult<()> {
    let mut deliveries = Vec::new();
    let mut add = |webhook_id: String, event: &str, kind: &str, id: &str, previous: &Value| {
        deliveries.push(NewDelivery {
            webhook_id,
            event: event.to_string(),
            subject_kind: kind.to_string(),
            subject_id: id.to_string(),
            previous: previous.to_string(),
        });
    };
    for webhook in store.webhooks_listening(event).await? {
        add(webhook.id, event, kind, id, &previous);
    }
    if changes_site(event) {
        for webhook in store.webhooks_listening("site.changed").await? {
            add(webhook.id, "site.changed", "site", "", &json!({}));
        }
    }
    store.queue_deliveries(&deliveries).await
}

/// Whether a story counts as out for the events: published. A scheduled
/// story is announced once, when the publish job flips it at its time
/// (`story_came_out`), whenever readers first saw it.
fn story_is_out(story: Option<&Story>) -> bool {
    story.is_some_and(|s| s.status == crate::model::Status::Published)
}

fn story_previous(story: &Story) -> Value {
    json!({
        "id": story.id,
        "uuid": ghost::uuid(&story.id),
        "title": story.headline,
        "slug": story.slug,
        "status": ghost::status(story.status),
        "published_at": story.published_at.map(ghost::time),
        "updated_at": ghost::time(story.updated_at),
    })
}

/// Announces what a story's save or deletion meant to readers: published,
/// edited while published, unpublished, or deleted (`after` None).
pub async fn story_changed(store: &Store, before: Option<&Story>, after: Option<&Story>) {
    let (was_out, is_out) = (story_is_out(before), story_is_out(after));
    let previous = before.map_or_else(|| json!({}), story_previous);
    let event = match (after, was_out, is_out) {
        (None, _, _) if before.is_some() => "post.deleted",
        (Some(_), false, true) => "post.published",
        (Some(_), true, true) => "post.published.edited",
        (Some(_), true, false) => "post.unpublished",
        _ => return,
    };
    let id = after.or(before).map(|s| s.id.clone()).unwrap_or_default();
    announce(store, event, "post", &id, previous).await;
}

/// A scheduled story whose time came: published for webhooks.
pub async fn story_came_out(store: &Store, story: &Story) {
    let mut previous = story_previous(story);
    previous["status"] = json!("scheduled");
    announce(store, "post.published", "post", &story.id, previous).await;
}

/// A page that readers could not see and now can.
pub async fn page_changed(store: &Store, before: Option<&Page>, after: &Page) {
    if after.is_public() && !before.is_some_and(Page::is_public) {
        let previous = json!({"status": before.map_or("draft", |p| ghost::status(p.status))});
        announce(store, "page.published", "page", &after.id, previous).await;
    }
}

/// A tag was created (in the desk, by typing it on a story, or through the API).
pub async fn tag_added(store: &Store, tag_id: &str) {
    announce(store, "tag.added", "tag", tag_id, json!({})).await;
}

/// A reader confirmed their address and now receives newsletters.
pub async fn member_added(store: &Store, subscriber_id: &str) {
    announce(store, "member.added", "member", subscriber_id, json!({})).await;
}

/// The site's settings (title, navigation, the front page) changed.
pub async fn site_changed(store: &Store) {
    announce(store, "site.changed", "site", "", json!({})).await;
}

/// The Ghost-shaped body of a delivery, from the content as it is now.
async fn compose(
    store: &Store,
    public_url: &PublicUrl,
    d: &WebhookDelivery,
) -> anyhow::Result<String> {
    let shaper = Shaper {
        store,
        public_url,
        known: None,
    };
    let previous: Value = serde_json::from_str(&d.previous).unwrap_or_else(|_| json!({}));
    let include = Include {
        tags: true,
        authors: true,
        count_posts: false,
    };
    let formats = Formats {
        html: true,
        plaintext: true,
    };
    let current = match d.subject_kind.as_str() {
        "post" => {
            let cards = store
                .story_cards_by_ids(std::slice::from_ref(&d.subject_id))
                .await?;
            shaper
                .posts(&cards, formats, include)
                .await?
                .pop()
                .map(|p| p.to_value())
        }
        "page" => match store.page_by_id(&d.subject_id).await? {
            Some(page) => shaper
                .pages(&[page], formats)
                .await?
                .pop()
                .map(|p| p.to_value()),
            None => None,
        },
        "tag" => shaper
            .tags(std::slice::from_ref(&d.subject_id), false)
            .await?
            .pop(),
        "member" => store.subscriber_by_id(&d.subject_id).await?.map(|s| {
            json!({
                "id": s.id,
                "uuid": ghost::uuid(&s.id),
                "email": s.email,
                "name": Some(&s.name).filter(|n| !n.is_empty()),
                "status": "free",
                "subscribed": true,
                "created_at": ghost::time(s.created_at),
                "updated_at": ghost::time(s.updated_at),
            })
        }),
        _ => return Ok("{}".into()),
    };
    let body = json!({
        d.subject_kind.clone(): {
            "current": current.unwrap_or_else(|| json!({})),
            "previous": previous,
        }
    });
    Ok(body.to_string())
}

/// One attempt at a delivery (the `deliver-webhook` job). Ok when it was
/// delivered now or before, or cannot be any more (its webhook is gone or
/// its integration revoked); Err to be tried again later.
pub async fn deliver(
    store: &Store,
    public_url: &PublicUrl,
    delivery_id: &str,
    allow_private: bool,
) -> Result<(), String> {
    let Some(delivery) = store
        .webhook_delivery(delivery_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    if delivery.delivered_at.is_some() {
        return Ok(());
    }
    let body = match &delivery.body {
        Some(body) => body.clone(),
        None => {
            let body = compose(store, public_url, &delivery)
                .await
                .map_err(|e| format!("the event could not be composed: {e:#}"))?;
            store
                .set_delivery_body(&delivery.id, &body)
                .await
                .map_err(|e| e.to_string())?;
            body
        }
    };
    let outcome = match webhooks::check_target(&delivery.target_url, allow_private).await {
        // Checked again as it is sent (the name may resolve elsewhere now),
        // and sent to an address checked once more as it connects.
        Err(e) => Err(Failure::Refused(e.to_string())),
        Ok(url) => {
            post(
                url.to_string(),
                delivery.secret.clone(),
                body,
                store.clock().now(),
                allow_private,
            )
            .await
        }
    };
    if let Err(failure) = &outcome {
        tracing::info!(webhook = %delivery.webhook_id, target = %delivery.target_url, why = %failure.detail(), "a webhook delivery failed");
    }
    // The desk shows whether it was delivered and the answer's class only:
    // the words of a failed connection would tell whoever reads them what
    // listens where.
    let status = match &outcome {
        Ok(status) => format!("delivered ({}xx)", status / 100),
        Err(failure) => failure.summary(),
    };
    store
        .record_delivery_attempt(&delivery, &status, outcome.is_ok())
        .await
        .map_err(|e| e.to_string())?;
    outcome.map(|_| ()).map_err(|failure| failure.detail())
}

/// Why a delivery failed.
enum Failure {
    /// The target is not allowed (or no longer resolves to an allowed address).
    Refused(String),
    /// The receiver answered with this status.
    Answered(u16),
    /// No answer (no connection, a timeout).
    Unreachable(String),
}

impl Failure {
    /// What the desk shows.
    fn summary(&self) -> String {
        match self {
            Failure::Refused(_) => "failed (address not allowed)".into(),
            Failure::Answered(status) => format!("failed ({}xx)", status / 100),
            Failure::Unreachable(_) => "failed (no answer)".into(),
        }
    }

    /// What the log and the job keep.
    fn detail(&self) -> String {
        match self {
            Failure::Refused(why) => why.clone(),
            Failure::Answered(status) => format!("the receiver answered {status}"),
            Failure::Unreachable(why) => format!("could not reach the receiver: {why}"),
        }
    }
}

/// POSTs a body signed with `secret`; Ok with the status of a 2xx answer.
/// Redirects are not followed (a redirect could lead anywhere), and the
/// connection goes only to an address the resolver checked itself
/// (`webhooks::CheckedResolver`): a name that changes its answer between
/// the check and the connection (DNS rebinding) reaches nothing private.
async fn post(
    url: String,
    secret: String,
    body: String,
    now: UnixTime,
    allow_private: bool,
) -> Result<u16, Failure> {
    // One agent each way: they keep their TLS set-up and connections.
    static AGENTS: [std::sync::OnceLock<ureq::Agent>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    tokio::task::spawn_blocking(move || {
        let agent = AGENTS[usize::from(allow_private)].get_or_init(|| {
            let config = ureq::Agent::config_builder()
                .timeout_global(Some(TIMEOUT))
                .max_redirects(0)
                .http_status_as_error(false)
                .user_agent(concat!(
                    "Masthead/",
                    env!("CARGO_PKG_VERSION"),
                    " (webhooks)"
                ))
                .build();
            ureq::Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::default(),
                webhooks::CheckedResolver { allow_private },
            )
        });
        let signature = webhooks::signature(&secret, body.as_bytes(), now * 1000);
        let answer = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .header(webhooks::SIGNATURE_HEADER, &signature)
            .send(body.as_bytes());
        match answer {
            Ok(response) if response.status().is_success() => Ok(response.status().as_u16()),
            Ok(response) => Err(Failure::Answered(response.status().as_u16())),
            Err(ureq::Error::HostNotFound) => Err(Failure::Refused(
                "the target resolves to no allowed address".into(),
            )),
            Err(e) => Err(Failure::Unreachable(e.to_string())),
        }
    })
    .await
    .unwrap_or_else(|e| {
        Err(Failure::Unreachable(format!(
            "the delivery task failed: {e}"
        )))
    })
}
