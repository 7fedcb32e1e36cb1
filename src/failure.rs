//! What kind of "no" an operation gives. Every error of the store and the
//! services says which kind it is, so each surface (desk pages, the APIs,
//! the command line) answers a kind one way, wherever it came from: input
//! the person can fix, a role that does not allow it, something gone or
//! taken, the database away for a moment, or a bug, told apart from all of
//! those so it is logged as one.

/// The kinds of failure, from the person's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The input breaks a rule; the message says how to fix it.
    Invalid,
    /// The person's role does not allow it; the message says whose does.
    Forbidden,
    NotFound,
    /// Taken, in use, or changed by someone else in the meantime.
    Conflict,
    /// More than the limit (an upload's size).
    TooLarge,
    /// A kind of file the operation does not take.
    Unsupported,
    /// Too many tries: wait and try again.
    Throttled,
    /// The database (or another service) cannot be reached: retry.
    Unavailable,
    /// A bug or damaged data: nothing the person can do but report it.
    Bug,
}

/// An error that knows its kind; its `Display` is the message a person
/// reads (for `Unavailable` and `Bug`, what the log records).
pub trait Failure: std::fmt::Display + std::fmt::Debug {
    fn kind(&self) -> FailureKind;
}

impl Failure for crate::store::StoreError {
    fn kind(&self) -> FailureKind {
        use crate::store::StoreError;
        match self {
            StoreError::NotFound => FailureKind::NotFound,
            StoreError::Conflict(_) | StoreError::Stale => FailureKind::Conflict,
            StoreError::Unavailable(_) => FailureKind::Unavailable,
            StoreError::Other(_) => FailureKind::Bug,
        }
    }
}

impl Failure for crate::services::publishing::ContentError {
    fn kind(&self) -> FailureKind {
        use crate::services::publishing::ContentError;
        match self {
            ContentError::Invalid { .. } => FailureKind::Invalid,
            ContentError::SlugTaken(_) | ContentError::Stale => FailureKind::Conflict,
            ContentError::Forbidden(_) => FailureKind::Forbidden,
            ContentError::Storage(e) => e.kind(),
        }
    }
}

impl Failure for crate::services::accounts::AccountError {
    fn kind(&self) -> FailureKind {
        use crate::services::accounts::AccountError;
        match self {
            AccountError::Invalid { .. } => FailureKind::Invalid,
            AccountError::WrongCredentials | AccountError::Forbidden(_) => FailureKind::Forbidden,
            AccountError::Throttled { .. } => FailureKind::Throttled,
            AccountError::LinkInvalid => FailureKind::NotFound,
            AccountError::Storage(e) => e.kind(),
        }
    }
}

impl Failure for crate::services::subscriptions::SubscribeError {
    fn kind(&self) -> FailureKind {
        use crate::services::subscriptions::SubscribeError;
        match self {
            SubscribeError::Invalid { .. } => FailureKind::Invalid,
            SubscribeError::Throttled(_) => FailureKind::Throttled,
            SubscribeError::Storage(e) => e.kind(),
        }
    }
}

impl Failure for crate::services::integrations::IntegrationError {
    fn kind(&self) -> FailureKind {
        use crate::services::integrations::IntegrationError;
        match self {
            IntegrationError::Invalid(_) | IntegrationError::Target(_) => FailureKind::Invalid,
            IntegrationError::Forbidden(_) => FailureKind::Forbidden,
            IntegrationError::NotFound => FailureKind::NotFound,
            IntegrationError::Store(e) => e.kind(),
        }
    }
}

impl Failure for crate::services::sending::SendingError {
    fn kind(&self) -> FailureKind {
        use crate::services::sending::SendingError;
        match self {
            SendingError::Refused(_) => FailureKind::Conflict,
            SendingError::Forbidden(_) => FailureKind::Forbidden,
            SendingError::Invalid { .. } => FailureKind::Invalid,
            SendingError::Storage(e) => e.kind(),
        }
    }
}

impl Failure for crate::services::settings::SettingsError {
    fn kind(&self) -> FailureKind {
        use crate::services::settings::SettingsError;
        match self {
            SettingsError::Invalid { .. } => FailureKind::Invalid,
            SettingsError::Forbidden(_) => FailureKind::Forbidden,
            SettingsError::Storage(e) => e.kind(),
        }
    }
}

impl Failure for crate::services::front_page::ArrangeError {
    fn kind(&self) -> FailureKind {
        use crate::services::front_page::ArrangeError;
        match self {
            ArrangeError::Forbidden(_) => FailureKind::Forbidden,
            ArrangeError::NotPublic(_) | ArrangeError::TooMany => FailureKind::Invalid,
            ArrangeError::Settings(e) => e.kind(),
        }
    }
}

impl Failure for crate::services::media::MediaError {
    fn kind(&self) -> FailureKind {
        use crate::imaging::Refusal;
        use crate::services::media::MediaError;
        match self {
            MediaError::Refused(Refusal::TooLarge { .. }) => FailureKind::TooLarge,
            MediaError::Refused(Refusal::NotAnImage | Refusal::LyingName { .. }) => {
                FailureKind::Unsupported
            }
            MediaError::Refused(_) | MediaError::Invalid { .. } => FailureKind::Invalid,
            MediaError::Forbidden(_) => FailureKind::Forbidden,
            MediaError::NotFound => FailureKind::NotFound,
            MediaError::InUse { .. } => FailureKind::Conflict,
            MediaError::Files(_) => FailureKind::Bug,
            MediaError::Storage(e) => e.kind(),
        }
    }
}

impl Failure for crate::services::taxonomy::TaxonomyError {
    fn kind(&self) -> FailureKind {
        use crate::services::taxonomy::TaxonomyError;
        match self {
            TaxonomyError::Forbidden(_) => FailureKind::Forbidden,
            TaxonomyError::Invalid { .. } => FailureKind::Invalid,
            TaxonomyError::NotFound => FailureKind::NotFound,
            TaxonomyError::Storage(e) => e.kind(),
        }
    }
}
