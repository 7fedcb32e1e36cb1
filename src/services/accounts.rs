//! People and their sessions: creating accounts, one-time links to choose a
//! password, signing in (throttled), sessions that survive restarts and work
//! on every instance, signing out everywhere.
//!
//! Secrets (session tokens, link tokens) are 32 random bytes given to the
//! browser or put in a link; the database keeps only their hash, so a copy
//! of the database opens no session.

use std::fmt;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use blake2::Digest;

use crate::model::accounts::{LinkKind, Role, User};
use crate::model::{UnixTime, new_id};
use crate::services::permissions::{Action, may};
use crate::services::throttles::{Exceeded, Limit};
use crate::store::{SessionRow, Store, StoreError};

/// A session unused for this long ends.
pub const SESSION_IDLE_SECS: UnixTime = 12 * 3600;
/// A session ends this long after sign-in, used or not.
pub const SESSION_MAX_SECS: UnixTime = 30 * 86_400;
/// How long a set-password or reset link works.
pub const LINK_SECS: UnixTime = 3 * 86_400;
/// Sign-in attempts are counted over this span...
pub const THROTTLE_WINDOW_SECS: UnixTime = 15 * 60;
/// ...at one account from one client address: a guesser gets this many
/// tries, and waits, but nobody else is held up by it...
pub const PER_ACCOUNT_AND_CLIENT: Limit = Limit {
    name: "sign-in:account-client",
    max: 5,
    per: THROTTLE_WINDOW_SECS,
};
/// ...from one client address, whatever the accounts...
pub const PER_CLIENT: Limit = Limit {
    name: "sign-in:client",
    max: 30,
    per: THROTTLE_WINDOW_SECS,
};
/// ...and at one account from every address together. Past this ceiling
/// the account is slowed, not locked: each address keeps only its first
/// try of the span, so guessing from many addresses crawls while the
/// editor at their own desk still signs in...
pub const PER_ACCOUNT: Limit = Limit {
    name: "sign-in:account",
    max: 50,
    per: THROTTLE_WINDOW_SECS,
};
/// ...up to a last ceiling that takes hundreds of addresses to reach
/// (then the account waits for the span to pass, and a new password from
/// a reset link, which clears every count, lets its person in at once).
pub const PER_ACCOUNT_AT_MOST: Limit = Limit {
    name: "sign-in:account-at-most",
    max: 500,
    per: THROTTLE_WINDOW_SECS,
};
/// `last_seen_at` is written at most this often (not on every page).
const TOUCH_EVERY_SECS: UnixTime = 60;
const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 200;

#[derive(Debug)]
pub enum AccountError {
    /// Input that breaks a rule; `field` names it.
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Wrong address or password (never saying which).
    WrongCredentials,
    /// Too many failures: try again after `retry_after` seconds.
    Throttled {
        retry_after: UnixTime,
    },
    /// The link was used, has expired, or never existed.
    LinkInvalid,
    /// The person's role does not allow it; says what it would take.
    Forbidden(String),
    Storage(StoreError),
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountError::Invalid { message, .. } => f.write_str(message),
            AccountError::WrongCredentials => {
                f.write_str("That email address and password do not match an account.")
            }
            AccountError::Throttled { retry_after } => write!(
                f,
                "Too many failed attempts. Wait {} and try again, or ask an owner for a reset link.",
                crate::model::dates::span_words(*retry_after)
            ),
            AccountError::LinkInvalid => f.write_str(
                "This link has already been used or has expired. Ask an owner for a new one.",
            ),
            AccountError::Forbidden(why) => f.write_str(why),
            AccountError::Storage(e) => write!(f, "the accounts could not be read or saved: {e}"),
        }
    }
}

impl std::error::Error for AccountError {}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Storage(e)
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> AccountError {
    AccountError::Invalid {
        field,
        message: message.into(),
    }
}

/// A fresh secret for a browser or a link: 32 random bytes, in hex.
pub fn secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    hex(&bytes)
}

/// What the database keeps of a secret.
pub fn digest(secret: &str) -> String {
    hex(&blake2::Blake2s256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An address as accounts compare them: trimmed and lowercase.
pub fn normalize_email(input: &str) -> Result<String, AccountError> {
    let email = input.trim().to_lowercase();
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
                && email.len() <= 254 =>
        {
            Ok(email)
        }
        _ => Err(invalid(
            "email",
            format!("\u{201c}{}\u{201d} is not an email address.", input.trim()),
        )),
    }
}

/// Who does something to accounts: a person in the desk (whose role is
/// checked), or an operator at the command line (who holds the database).
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    CommandLine,
    Person(&'a User),
}

impl Actor<'_> {
    fn id(&self) -> Option<&str> {
        match self {
            Actor::CommandLine => None,
            Actor::Person(user) => Some(&user.id),
        }
    }

    /// Only owners manage people (the command line may, too).
    fn must_manage_people(&self) -> Result<(), AccountError> {
        match self {
            Actor::Person(user) if !may(user.role, Action::ManagePeople, false) => {
                Err(AccountError::Forbidden(
                    "Only an owner of the publication can manage people.".into(),
                ))
            }
            _ => Ok(()),
        }
    }
}

/// Creates an account and a link for its person to choose a password (an
/// invitation). Returns the account and the link's secret.
pub async fn add_user(
    store: &Store,
    actor: Actor<'_>,
    email: &str,
    name: &str,
    role: Role,
) -> Result<(User, String), AccountError> {
    actor.must_manage_people()?;
    let email = normalize_email(email)?;
    if store.user_by_email(&email).await?.is_some() {
        return Err(invalid(
            "email",
            format!("There is already an account for {email}."),
        ));
    }
    let name = match name.trim() {
        "" => email.split('@').next().unwrap_or(&email).to_string(),
        name => name.to_string(),
    };
    let user = User {
        id: new_id(),
        email,
        name,
        role,
        password_hash: None,
        created_at: store.clock().now(),
        author_id: None,
    };
    match store.add_user(&user).await {
        Err(StoreError::Conflict(_)) => {
            return Err(invalid(
                "email",
                format!("There is already an account for {}.", user.email),
            ));
        }
        other => other?,
    }
    let link = new_link(store, &user, LinkKind::SetPassword).await?;
    store
        .log_activity(
            actor.id(),
            "account created",
            &format!("{} ({})", user.email, role.as_str()),
        )
        .await?;
    Ok((user, link))
}

/// A link for the person with this address to choose a new password.
pub async fn reset_link(
    store: &Store,
    actor: Actor<'_>,
    email: &str,
) -> Result<(User, String), AccountError> {
    actor.must_manage_people()?;
    let email = normalize_email(email)?;
    let user = store
        .user_by_email(&email)
        .await?
        .ok_or_else(|| invalid("email", format!("There is no account for {email}.")))?;
    let link = new_link(store, &user, LinkKind::ResetPassword).await?;
    store
        .log_activity(actor.id(), "password reset link made", &user.email)
        .await?;
    Ok((user, link))
}

/// Gives a person another role. The last owner stays an owner: a
/// publication always has someone who can manage people.
pub async fn change_role(
    store: &Store,
    actor: Actor<'_>,
    user_id: &str,
    role: Role,
) -> Result<User, AccountError> {
    actor.must_manage_people()?;
    let mut user = store
        .user_by_id(user_id)
        .await?
        .ok_or_else(|| invalid("user", "There is no such account."))?;
    if user.role == Role::Owner && role != Role::Owner && store.count_role(Role::Owner).await? <= 1
    {
        return Err(AccountError::Forbidden(format!(
            "{} is the only owner: make someone else an owner first.",
            user.name
        )));
    }
    store.set_role(&user.id, role).await?;
    store
        .log_activity(
            actor.id(),
            "role changed",
            &format!("{} is now {}", user.email, role.as_str()),
        )
        .await?;
    user.role = role;
    Ok(user)
}

/// Ends every session of someone else (a lost laptop, a departure).
pub async fn end_sessions_of(
    store: &Store,
    actor: Actor<'_>,
    user_id: &str,
) -> Result<User, AccountError> {
    actor.must_manage_people()?;
    let user = store
        .user_by_id(user_id)
        .await?
        .ok_or_else(|| invalid("user", "There is no such account."))?;
    store.end_sessions_of(&user.id).await?;
    store
        .log_activity(actor.id(), "sessions ended", &user.email)
        .await?;
    Ok(user)
}

async fn new_link(store: &Store, user: &User, kind: LinkKind) -> Result<String, AccountError> {
    let token = secret();
    let expires = store.clock().now() + LINK_SECS;
    store
        .add_link(&digest(&token), kind, &user.id, expires)
        .await?;
    Ok(token)
}

/// The person a link is for, while it works.
pub async fn link_user(store: &Store, token: &str) -> Result<User, AccountError> {
    store
        .link_user(&digest(token))
        .await?
        .ok_or(AccountError::LinkInvalid)
}

/// Sets the password of the link's person and uses the link up. Every
/// session of theirs ends: whoever knew the old password is out.
/// Longest name a person may give themselves (bylines show it).
const MAX_NAME_CHARS: usize = 100;

/// Sets the password a link was made for, and the name the person goes by
/// (`name` empty: the name stays), then signs them in: every other session
/// of theirs ends.
pub async fn set_password(
    store: &Store,
    token: &str,
    name: &str,
    password: &str,
    repeated: &str,
) -> Result<NewSession, AccountError> {
    let mut user = link_user(store, token).await?;
    let name = name.trim();
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            format!("Shorten the name to {MAX_NAME_CHARS} characters at most."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "Write the name on one line, without control characters.",
        ));
    }
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(invalid(
            "password",
            format!("Choose a password of at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(invalid(
            "password",
            format!("Choose a password of at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    if password != repeated {
        return Err(invalid(
            "repeated",
            "The two passwords differ: type the same one twice.",
        ));
    }
    if !store.use_link(&digest(token)).await? {
        return Err(AccountError::LinkInvalid);
    }
    let hash = hash_off_thread(password).await;
    store.set_password_hash(&user.id, &hash).await?;
    // Any other link (an older invitation, a second reset) is moot now.
    store.end_links_of(&user.id).await?;
    store.end_sessions_of(&user.id).await?;
    forget_attempts(store, &user.email).await?;
    if !name.is_empty() && name != user.name {
        store.set_user_name(&user.id, name).await?;
        user.name = name.to_string();
    }
    store
        .log_activity(Some(&user.id), "password set", &user.email)
        .await?;
    let token = secret();
    store
        .add_session(&digest(&token), &user.id, &secret())
        .await?;
    Ok(NewSession { token, user })
}

/// Argon2 is slow on purpose (tens of milliseconds): never on an async worker.
async fn hash_off_thread(password: &str) -> String {
    let password = password.to_string();
    crate::cpu::run(move || hash_password(&password)).await
}

/// Whether `password` is the one `hash` was made from (None: no account,
/// checked against nothing as slowly, so timing does not tell which
/// addresses have accounts), off the async workers.
async fn verify_off_thread(password: &str, hash: Option<String>) -> bool {
    let password = password.to_string();
    crate::cpu::run(move || match hash {
        Some(hash) => password_matches(&password, &hash),
        None => {
            let _ = hash_password(&password);
            false
        }
    })
    .await
}

fn hash_password(password: &str) -> String {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .expect("hashing a password of bounded length cannot fail")
        .to_string()
}

fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A session just opened: the secret for the browser's cookie.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub user: User,
}

/// Signs a person in from `client` (their address), throttled per account
/// and per client. `replacing`: a session the browser still presents, which
/// ends (the session id changes at every sign-in).
pub async fn sign_in(
    store: &Store,
    email: &str,
    password: &str,
    client: &str,
    replacing: Option<&str>,
) -> Result<NewSession, AccountError> {
    let account = email.trim().to_lowercase();
    let pair = format!("{account}|{client}");
    let throttled = |e: Exceeded| AccountError::Throttled {
        retry_after: e.retry_after,
    };
    // Each attempt is counted before the password is checked, so guesses
    // sent all at once are counted one by one and only the allowed few run.
    let by_client = PER_CLIENT
        .reserve(store, client)
        .await?
        .map_err(throttled)?;
    let by_pair = match PER_ACCOUNT_AND_CLIENT.reserve(store, &pair).await? {
        Ok(reserved) => reserved,
        Err(e) => {
            by_client.release(store).await?;
            return Err(throttled(e));
        }
    };
    let by_account = match PER_ACCOUNT.reserve(store, &account).await? {
        Ok(reserved) => Ok(reserved),
        Err(_) if by_pair.used == 1 => match PER_ACCOUNT_AT_MOST.reserve(store, &account).await? {
            Ok(reserved) => Ok(reserved),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let by_account = match by_account {
        Ok(reserved) => reserved,
        Err(e) => {
            by_pair.release(store).await?;
            by_client.release(store).await?;
            return Err(throttled(e));
        }
    };
    let user = store.user_by_email(&account).await?;
    let matches = verify_off_thread(
        password,
        user.as_ref().and_then(|u| u.password_hash.clone()),
    )
    .await;
    let Some(user) = user.filter(|_| matches) else {
        return Err(AccountError::WrongCredentials);
    };
    // A success is no guess: it counts against nothing.
    by_client.release(store).await?;
    by_account.release(store).await?;
    PER_ACCOUNT_AND_CLIENT.forget(store, &pair).await?;
    if let Some(old) = replacing {
        store.end_session(&digest(old)).await?;
    }
    let token = secret();
    store
        .add_session(&digest(&token), &user.id, &secret())
        .await?;
    store
        .log_activity(Some(&user.id), "signed in", client)
        .await?;
    Ok(NewSession { token, user })
}

/// Forgets the failed sign-ins at an account, from every address (a new
/// password makes the old guesses moot).
async fn forget_attempts(store: &Store, account: &str) -> Result<(), StoreError> {
    PER_ACCOUNT.forget(store, account).await?;
    PER_ACCOUNT_AT_MOST.forget(store, account).await?;
    PER_ACCOUNT_AND_CLIENT.forget(store, account).await
}

/// A signed-in person, as a request presents them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: User,
    /// Every form of the desk sends it back.
    pub csrf_token: String,
}

/// The person behind a session token, while the session lasts (idle and
/// absolute limits); an expired session is ended.
pub async fn signed_in(store: &Store, token: &str) -> Result<Option<SignedIn>, StoreError> {
    let now = store.clock().now();
    let hash = digest(token);
    let Some(SessionRow {
        csrf_token,
        created_at,
        last_seen_at,
        user,
    }) = store.session(&hash).await?
    else {
        return Ok(None);
    };
    if now - last_seen_at > SESSION_IDLE_SECS || now - created_at > SESSION_MAX_SECS {
        store.end_session(&hash).await?;
        return Ok(None);
    }
    if now - last_seen_at > TOUCH_EVERY_SECS {
        store.touch_session(&hash).await?;
    }
    Ok(Some(SignedIn { user, csrf_token }))
}

pub async fn sign_out(store: &Store, token: &str) -> Result<(), StoreError> {
    store.end_session(&digest(token)).await
}

/// Ends every session of this person, on every device.
pub async fn sign_out_everywhere(store: &Store, user: &User) -> Result<u64, StoreError> {
    let ended = store.end_sessions_of(&user.id).await?;
    store
        .log_activity(Some(&user.id), "signed out everywhere", &user.email)
        .await?;
    Ok(ended)
}

/// Whether two secrets are equal, in time that does not depend on where
/// they differ (CSRF tokens).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(password_matches("correct horse battery", &hash));
        assert!(!password_matches("correct horse battery!", &hash));
        assert!(!password_matches("anything", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_stored_as_digests() {
        let (a, b) = (secret(), secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(digest(&a), a);
        assert_eq!(digest(&a), digest(&a));
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, &a[..10]));
    }

    #[test]
    fn addresses_compare_lowercase() {
        assert_eq!(
            normalize_email(" Ed@Example.ORG ").unwrap(),
            "ed@example.org"
        );
        assert!(normalize_email("ed").is_err());
        assert!(normalize_email("e d@example.org").is_err());
    }
}
