//! The job worker: runs due jobs from the durable queue (`store/jobs.rs`)
//! inside `masthead serve`. Every instance runs one; a job is claimed by one
//! of them at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's single
//! writer), held for a lease, retried with backoff when it fails, and taken
//! over if its worker dies. Jobs missed while every server was down run at
//! the next start.

use std::time::Duration;

use crate::mail::Mailer;
use crate::model::UnixTime;
use crate::services::sending::{self, SendLimits, Stretch};
use crate::services::{publishing, related, search, subscriptions, webhook_events};
use crate::store::{Job, JobKind, Store, StoreError};
use crate::theme::Theme;
use crate::urls::PublicUrl;

/// What jobs work with besides the store.
#[derive(Clone)]
pub struct JobContext {
    pub store: Store,
    /// None: no relay configured; mail jobs wait (retried with backoff).
    pub mailer: Option<Mailer>,
    pub theme: std::sync::Arc<Theme>,
    pub public_url: PublicUrl,
    pub sending: SendLimits,
    /// Webhooks may be sent to private addresses (`[webhooks] allow_private`).
    pub allow_private_webhooks: bool,
}

/// How long one run of a sending job sends before it yields (and commits
/// to running again): short enough that a lease outlives it.
const SEND_STRETCH: Duration = Duration::from_secs(10);

/// How long a claim holds a job: longer than any job takes.
const LEASE_SECS: UnixTime = 90;
/// Attempts before a job is given up (kept, with its last error).
const MAX_ATTEMPTS: i32 = 10;

impl JobContext {
    /// A context with no relay and the built-in theme: for tools and tests
    /// that run jobs outside a server.
    pub fn without_mail(store: &Store) -> anyhow::Result<JobContext> {
        Ok(JobContext {
            store: store.clone(),
            mailer: None,
            theme: std::sync::Arc::new(Theme::load(None)?),
            public_url: PublicUrl::new("http://localhost"),
            sending: SendLimits::default(),
            allow_private_webhooks: false,
        })
    }
}

/// Runs every job that is due now; returns how many ran.
pub async fn run_due(context: &JobContext) -> Result<usize, StoreError> {
    let store = &context.store;
    // A read first: claiming is a write, and most ticks find nothing due.
    if store
        .next_job_at()
        .await?
        .is_none_or(|at| at > store.clock().now())
    {
        return Ok(0);
    }
    let mut ran = 0;
    while let Some(job) = store.claim_job(LEASE_SECS).await? {
        ran += 1;
        match run(context, &job).await {
            Ok(None) => store.finish_job(&job.id).await?,
            Ok(Some(at)) => store.job_again(&job.id, at).await?,
            Err(error) => {
                let retry_at = (job.attempts < MAX_ATTEMPTS)
                    .then(|| store.clock().now() + backoff(job.attempts));
                if retry_at.is_some() {
                    tracing::warn!(kind = job.kind, subject = job.subject, %error, attempts = job.attempts, "a job failed; it will be tried again");
                } else {
                    tracing::error!(kind = job.kind, subject = job.subject, %error, "a job failed for the last time and was given up");
                }
                store.fail_job(&job.id, &error, retry_at).await?;
            }
        }
    }
    Ok(ran)
}

/// Runs one job: done (None), or to run again at a time (a part of its work done).
async fn run(context: &JobContext, job: &Job) -> Result<Option<UnixTime>, String> {
    let store = &context.store;
    let Some(kind) = job.kind() else {
        return Err(format!("no worker knows jobs of kind {:?}", job.kind));
    };
    match kind {
        JobKind::ConfirmSubscriber | JobKind::SendManageLink => {
            let mail = subscriptions::MailContext {
                mailer: context.mailer.as_ref(),
                theme: &context.theme,
                public_url: &context.public_url,
            };
            let sent = if kind == JobKind::ConfirmSubscriber {
                subscriptions::send_confirmation(store, &mail, &job.subject).await
            } else {
                subscriptions::send_manage_link(store, &mail, &job.subject).await
            };
            sent.map(|_| None)
        }
        JobKind::SendIssue => {
            let Some(mailer) = &context.mailer else {
                return Err(
                    "no SMTP relay is configured, so the issue waits: set smtp_url (or MASTHEAD_SMTP_URL)"
                        .into(),
                );
            };
            let sender = sending::Sender {
                store,
                mailer,
                theme: &context.theme,
                public_url: &context.public_url,
                limits: context.sending,
            };
            match sending::send_for(&sender, &job.subject, SEND_STRETCH).await {
                Ok(Stretch::More(at)) => Ok(Some(at)),
                Ok(Stretch::Finished(_) | Stretch::Paused(_)) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        }
        JobKind::PublishStory | JobKind::PublishBrief => {
            publishing::publish_when_due(store, kind, &job.subject)
                .await
                .map(|_| None)
                .map_err(|e| e.to_string())
        }
        JobKind::ReindexStale => search::reindex_stale(store)
            .await
            .map(|_| None)
            .map_err(|e| e.to_string()),
        JobKind::RelateStory => relate(store, &job.subject)
            .await
            .map(|_| None)
            .map_err(|e| e.to_string()),
        JobKind::DeliverWebhook => webhook_events::deliver(
            store,
            &context.public_url,
            &job.subject,
            context.allow_private_webhooks,
        )
        .await
        .map(|_| None),
    }
}

/// Works out a story's related stories, then those of the few it found
/// closest: they learn of the new story too (one step, never further).
async fn relate(store: &Store, story_id: &str) -> Result<(), StoreError> {
    let found = related::compute(store, story_id).await?;
    for neighbour in found.iter().take(related::NEIGHBOURS_UPDATED) {
        related::compute(store, neighbour).await?;
    }
    Ok(())
}

/// Seconds to wait after failed attempt `n`: 1 min, 2 min, 4 min, … up to 6 hours.
fn backoff(attempts: i32) -> UnixTime {
    (30i64 << attempts.clamp(0, 20)).min(6 * 3600)
}

/// Runs due jobs every `every` until the task is dropped. A database that
/// is down is reported and retried: jobs wait in the queue, nothing is lost.
pub async fn worker(context: JobContext, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = run_due(&context).await {
            tracing::warn!(error = %e, "the job worker cannot reach the queue; will retry");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(super::backoff(1), 60);
        assert_eq!(super::backoff(2), 120);
        assert_eq!(super::backoff(30), 6 * 3600);
    }
}
