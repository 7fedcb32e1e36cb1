//! Newsletters and the readers who receive them.

use super::{UnixTime, column};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Newsletter {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Empty: the site's title.
    pub sender_name: String,
    /// Empty: newsletter@ the site's host.
    pub sender_email: String,
    pub reply_to: String,
    /// Offered on the sign-up forms.
    pub offered: bool,
    pub position: i32,
    pub created_at: UnixTime,
}

/// Where a reader stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberStatus {
    /// Signed up, not confirmed yet: receives nothing but the confirmation.
    Pending,
    Active,
    Unsubscribed,
    /// Their address failed for good, repeatedly.
    Bounced,
    /// They reported a message as spam.
    Complained,
}

impl SubscriberStatus {
    pub const ALL: [SubscriberStatus; 5] = [
        SubscriberStatus::Pending,
        SubscriberStatus::Active,
        SubscriberStatus::Unsubscribed,
        SubscriberStatus::Bounced,
        SubscriberStatus::Complained,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberStatus::Pending => "pending",
            SubscriberStatus::Active => "active",
            SubscriberStatus::Unsubscribed => "unsubscribed",
            SubscriberStatus::Bounced => "bounced",
            SubscriberStatus::Complained => "complained",
        }
    }

    pub fn parse(s: &str) -> Option<SubscriberStatus> {
        SubscriberStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

column::text_column!(SubscriberStatus, |s| s.as_str(), |text| {
    SubscriberStatus::parse(text)
        .ok_or_else(|| format!("unknown subscriber status {text:?} in the database"))
});

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscriber {
    pub id: String,
    pub email: String,
    pub name: String,
    pub status: SubscriberStatus,
    pub created_at: UnixTime,
    pub confirmed_at: Option<UnixTime>,
    pub updated_at: UnixTime,
    /// In every message: opens the preferences, unsubscribes in one click.
    pub manage_token: Option<String>,
    pub permanent_failures: i32,
    /// Newsletter ids asked for and received once confirmed.
    pub pending_newsletters: String,
}

impl Subscriber {
    pub fn pending_ids(&self) -> Vec<String> {
        self.pending_newsletters
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// One line of a subscriber's history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriberEvent {
    pub at: UnixTime,
    pub event: String,
    pub detail: String,
}

/// One issue of a newsletter.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NewsletterIssue {
    pub id: String,
    pub newsletter_id: String,
    /// Its web version's address in the archive.
    pub slug: String,
    pub subject: String,
    /// The line mail clients show after the subject.
    pub preheader: String,
    pub intro: crate::model::Document,
    /// Corrections made after this time (and before the issue is sent)
    /// follow the stories, "Corrections since the last issue"; None: none.
    pub corrections_since: Option<UnixTime>,
    pub status: IssueStatus,
    pub send_at: Option<UnixTime>,
    pub started_at: Option<UnixTime>,
    pub finished_at: Option<UnixTime>,
    pub last_error: Option<String>,
    pub created_by: Option<String>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

/// A story or a brief in an issue.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IssueItem {
    pub kind: ItemKind,
    pub piece_id: String,
}

/// Where an issue of a newsletter stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueStatus {
    /// Being written; nothing is queued.
    Draft,
    /// Goes out by itself at its `send_at`.
    Scheduled,
    /// Its deliveries are queued and going out.
    Sending,
    /// Stopped by an editor or by a relay that kept failing; resumable.
    Paused,
    /// Every delivery is done; the issue is in the web archive.
    Sent,
}

impl IssueStatus {
    pub const ALL: [IssueStatus; 5] = [
        IssueStatus::Draft,
        IssueStatus::Scheduled,
        IssueStatus::Sending,
        IssueStatus::Paused,
        IssueStatus::Sent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IssueStatus::Draft => "draft",
            IssueStatus::Scheduled => "scheduled",
            IssueStatus::Sending => "sending",
            IssueStatus::Paused => "paused",
            IssueStatus::Sent => "sent",
        }
    }

    pub fn parse(s: &str) -> Option<IssueStatus> {
        IssueStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether its words and stories may still change (nothing has gone out).
    pub fn is_editable(self) -> bool {
        matches!(self, IssueStatus::Draft | IssueStatus::Scheduled)
    }
}

column::text_column!(IssueStatus, |s| s.as_str(), |text| {
    IssueStatus::parse(text).ok_or_else(|| format!("unknown issue status {text:?} in the database"))
});

/// What an issue lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Story,
    Brief,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Story => "story",
            ItemKind::Brief => "brief",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        [ItemKind::Story, ItemKind::Brief]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

column::text_column!(ItemKind, |k| k.as_str(), |text| {
    ItemKind::parse(text).ok_or_else(|| format!("unknown issue item kind {text:?} in the database"))
});
