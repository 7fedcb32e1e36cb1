//! Newsletter sign-ups from the public site.

use crate::store::{Store, StoreError};

#[derive(Debug, PartialEq, Eq)]
pub enum Subscribed {
    New,
    AlreadySubscribed,
}

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
                && !domain.ends_with('.') =>
        {
            Ok(format!("{local}@{}", domain.to_lowercase()))
        }
        _ => Err(format!(
            "\u{201c}{email}\u{201d} does not look like an email address. It should look like name@example.org."
        )),
    }
}

pub async fn subscribe(store: &Store, input: &str) -> Result<Subscribed, SubscribeError> {
    let email = normalize_email(input).map_err(SubscribeError::Invalid)?;
    match store.add_subscriber(&email).await {
        Ok(true) => Ok(Subscribed::New),
        Ok(false) => Ok(Subscribed::AlreadySubscribed),
        Err(e) => Err(SubscribeError::Storage(e)),
    }
}

#[derive(Debug)]
pub enum SubscribeError {
    Invalid(String),
    Storage(StoreError),
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
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
