//! Integrations: the tools a newsroom connects (a headless front-end, an
//! automation service). Each holds a Content API key, an Admin API key and
//! webhooks, and acts through the Admin API as a staff account of its own
//! with a role, so the permission table and the activity log apply to it
//! as to a person.

use crate::model::accounts::{Role, User};
use crate::model::{UnixTime, new_id};
use crate::services::admin_tokens::{self, AdminKey, TokenError};
use crate::services::permissions::{Action, may, refusal};
use crate::services::webhooks::{self, TargetError};
use crate::store::{Integration, Store, StoreError, Webhook};

/// Content API keys are 26 hex characters, as Ghost's clients check.
const CONTENT_KEY_HEX: usize = 26;
const MAX_NAME_CHARS: usize = 80;

/// The events a webhook may listen for, as Ghost names them.
pub const EVENTS: [&str; 8] = [
    "post.published",
    "post.published.edited",
    "post.unpublished",
    "post.deleted",
    "page.published",
    "tag.added",
    "member.added",
    "site.changed",
];

#[derive(Debug)]
pub enum IntegrationError {
    /// A field that cannot be taken, and why.
    Invalid(String),
    Forbidden(String),
    NotFound,
    Target(TargetError),
    Store(StoreError),
}

impl std::fmt::Display for IntegrationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntegrationError::Invalid(why) | IntegrationError::Forbidden(why) => f.write_str(why),
            IntegrationError::NotFound => f.write_str("There is no such integration."),
            IntegrationError::Target(e) => write!(f, "{e}"),
            IntegrationError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for IntegrationError {}

impl From<StoreError> for IntegrationError {
    fn from(e: StoreError) -> Self {
        IntegrationError::Store(e)
    }
}

/// A new integration and its Admin API key as text (`id:secret`): the
/// only moment the caller is handed both together.
#[derive(Debug, Clone)]
pub struct Created {
    pub integration: Integration,
    pub admin_key: String,
}

/// The roles an integration may act with: never an owner's (people and
/// settings stay with people).
pub fn parse_role(text: &str) -> Result<Role, IntegrationError> {
    match Role::parse(text.trim()) {
        Some(role @ (Role::Editor | Role::Author | Role::Contributor)) => Ok(role),
        _ => Err(IntegrationError::Invalid(format!(
            "{text:?} is not a role an integration may have: use editor, author or contributor."
        ))),
    }
}

/// A new Content API key: the start of a fresh secret.
fn content_key() -> String {
    let mut key = crate::services::accounts::secret();
    key.truncate(CONTENT_KEY_HEX);
    key
}

/// Checks that `user` (None: the operator at the command line) may manage
/// integrations.
fn check(user: Option<&User>) -> Result<(), IntegrationError> {
    match user {
        Some(u) if !may(u.role, Action::ManageIntegrations, false) => Err(
            IntegrationError::Forbidden(refusal(u.role, Action::ManageIntegrations)),
        ),
        _ => Ok(()),
    }
}

async fn log(store: &Store, by: Option<&User>, action: &str, subject: &str) {
    if let Err(e) = store
        .log_activity(by.map(|u| u.id.as_str()), action, subject)
        .await
    {
        tracing::warn!(error = %e, "could not record a change in the activity log");
    }
}

/// Adds an integration acting with `role`; `by` is who asked (None: the CLI).
pub async fn create(
    store: &Store,
    by: Option<&User>,
    name: &str,
    role: Role,
) -> Result<Created, IntegrationError> {
    check(by)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(IntegrationError::Invalid(format!(
            "An integration needs a name of 1 to {MAX_NAME_CHARS} characters, such as \"Zapier\" or \"Website front-end\"."
        )));
    }
    if role == Role::Owner {
        return Err(IntegrationError::Invalid(
            "An integration cannot act as an owner: choose editor, author or contributor.".into(),
        ));
    }
    if store.integration_by_name(name).await?.is_some() {
        return Err(IntegrationError::Invalid(format!(
            "There is already an integration called {name:?}: choose another name, or revoke that one first."
        )));
    }
    let now = store.clock().now();
    let id = new_id();
    let user = User {
        id: new_id(),
        email: format!("integration-{id}@integrations.invalid"),
        name: name.to_string(),
        role,
        password_hash: None,
        created_at: now,
        author_id: None,
    };
    let key = AdminKey::generate();
    let integration = Integration {
        id,
        name: name.to_string(),
        user_id: user.id.clone(),
        role,
        content_key: content_key(),
        admin_key_id: key.id.clone(),
        admin_secret: hex::encode(&key.secret),
        created_at: now,
        revoked_at: None,
    };
    store
        .add_integration(&integration, &user)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => IntegrationError::Invalid(format!(
                "There is already an integration called {name:?}."
            )),
            other => other.into(),
        })?;
    log(store, by, "added integration", name).await;
    Ok(Created {
        integration,
        admin_key: key.to_text(),
    })
}

/// Revokes an integration named or identified by `which`: its keys stop
/// working at once and its webhooks are no longer sent.
pub async fn revoke(
    store: &Store,
    by: Option<&User>,
    which: &str,
) -> Result<Integration, IntegrationError> {
    check(by)?;
    let found = match store.integration_by_id(which).await? {
        Some(i) => Some(i),
        None => store.integration_by_name(which).await?,
    };
    let integration = found
        .filter(|i| i.revoked_at.is_none())
        .ok_or(IntegrationError::NotFound)?;
    store.revoke_integration(&integration.id).await?;
    log(store, by, "revoked integration", &integration.name).await;
    Ok(integration)
}

/// Adds a webhook to an integration, after checking where it points.
pub async fn add_webhook(
    store: &Store,
    by: Option<&User>,
    integration_id: &str,
    event: &str,
    target: &str,
    allow_private: bool,
) -> Result<Webhook, IntegrationError> {
    check(by)?;
    let integration = store
        .integration_by_id(integration_id)
        .await?
        .filter(|i| i.revoked_at.is_none())
        .ok_or(IntegrationError::NotFound)?;
    if !EVENTS.contains(&event) {
        return Err(IntegrationError::Invalid(format!(
            "{event:?} is not an event Masthead sends; choose one of {}.",
            EVENTS.join(", ")
        )));
    }
    let url = webhooks::check_target(target, allow_private)
        .await
        .map_err(IntegrationError::Target)?;
    let webhook = Webhook {
        id: new_id(),
        integration_id: integration.id.clone(),
        event: event.to_string(),
        target_url: url.to_string(),
        secret: crate::services::accounts::secret(),
        created_at: store.clock().now(),
        last_status: None,
        last_attempt_at: None,
    };
    store.add_webhook(&webhook).await?;
    log(
        store,
        by,
        "added webhook",
        &format!("{} → {} ({})", event, url, integration.name),
    )
    .await;
    Ok(webhook)
}

pub async fn remove_webhook(
    store: &Store,
    by: Option<&User>,
    webhook_id: &str,
) -> Result<(), IntegrationError> {
    check(by)?;
    let webhooks = store.webhooks().await?;
    let webhook = webhooks
        .iter()
        .find(|w| w.id == webhook_id)
        .ok_or(IntegrationError::NotFound)?;
    store.delete_webhook(&webhook.id).await?;
    log(
        store,
        by,
        "removed webhook",
        &format!("{} → {}", webhook.event, webhook.target_url),
    )
    .await;
    Ok(())
}

/// Why an API request's credentials were refused (a 401 or 403).
#[derive(Debug)]
pub enum AuthError {
    /// No key or token was sent.
    Missing(&'static str),
    /// A key or token that is not (or no longer) one of ours.
    Refused(String),
    Store(StoreError),
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        AuthError::Store(e)
    }
}

/// Whether a Content API key is a live integration's.
pub async fn check_content_key(store: &Store, key: Option<&str>) -> Result<(), AuthError> {
    let key = key.filter(|k| !k.is_empty()).ok_or(AuthError::Missing(
        "This request needs a Content API key: add ?key= with the key from the desk's Integrations page.",
    ))?;
    let well_formed = key.len() == CONTENT_KEY_HEX && key.bytes().all(|b| b.is_ascii_hexdigit());
    if well_formed && store.content_key_is_live(&key.to_ascii_lowercase()).await? {
        Ok(())
    } else {
        Err(AuthError::Refused(
            "Unknown Content API Key: it may have been revoked; copy the current key from the desk's Integrations page.".into(),
        ))
    }
}

/// The integration and the account it acts as, for an `Authorization:
/// Ghost <token>` header's token, checked at `now`.
pub async fn authenticate_admin(
    store: &Store,
    token: &str,
    now: UnixTime,
) -> Result<(Integration, User), AuthError> {
    let refused = |e: TokenError| AuthError::Refused(e.to_string());
    let key_id = admin_tokens::key_id(token).map_err(refused)?;
    let integration = store
        .integration_by_admin_key(&key_id.to_ascii_lowercase())
        .await?
        .ok_or_else(|| refused(TokenError::UnknownKey))?;
    let key = AdminKey {
        id: integration.admin_key_id.clone(),
        secret: hex::decode(&integration.admin_secret).map_err(|_| {
            AuthError::Refused("This Admin API key is damaged: create a new integration.".into())
        })?,
    };
    admin_tokens::verify(token, &key, now).map_err(refused)?;
    let user = store
        .user_by_id(&integration.user_id)
        .await?
        .ok_or_else(|| refused(TokenError::UnknownKey))?;
    Ok((integration, user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_keys_are_what_ghost_clients_accept() {
        let key = content_key();
        assert_eq!(key.len(), 26);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(key, content_key());
    }

    #[test]
    fn integrations_never_act_as_owners() {
        assert_eq!(parse_role("editor").unwrap(), Role::Editor);
        assert_eq!(parse_role(" author ").unwrap(), Role::Author);
        assert!(parse_role("owner").is_err());
        assert!(parse_role("admin").is_err());
    }
}
