//! The newsroom's people: accounts, their roles, and what each role may do.

use serde::Serialize;

use super::{UnixTime, column};

/// What a person may do in the desk. Checked on the server for every action;
/// hiding a button is never the protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Write drafts and submit them for review.
    Contributor,
    /// Write, edit and publish their own stories and briefs.
    Author,
    /// Publish, edit and curate everything; sections, tags, labels.
    Editor,
    /// Everything, including people and settings.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Editor, Role::Author, Role::Contributor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Contributor => "contributor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// How the desk names it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Editor => "Editor",
            Role::Author => "Author",
            Role::Contributor => "Contributor",
        }
    }
}

column::text_column!(Role, |r| r.as_str(), |text| Role::parse(text)
    .ok_or_else(|| format!("unknown role {text:?} in the database")));

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: String,
    /// Lowercase: one address, one account.
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Argon2id, in PHC form; None until the person sets a password.
    pub password_hash: Option<String>,
    pub created_at: UnixTime,
    /// The author profile this person writes as (bylines, "their own" stories).
    pub author_id: Option<String>,
}

/// What an activity line concerns: the desk names it by its words and
/// links to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityTarget<'a> {
    Story(&'a str),
    Brief(&'a str),
    Page(&'a str),
    Issue(&'a str),
}

impl<'a> ActivityTarget<'a> {
    /// (kind, id) as the activity table keeps them.
    pub fn parts(self) -> (&'static str, &'a str) {
        match self {
            ActivityTarget::Story(id) => ("story", id),
            ActivityTarget::Brief(id) => ("brief", id),
            ActivityTarget::Page(id) => ("page", id),
            ActivityTarget::Issue(id) => ("issue", id),
        }
    }

    /// The target as the table keeps it, read back.
    pub fn from_parts(kind: &str, id: &'a str) -> Option<ActivityTarget<'a>> {
        Some(match kind {
            "story" => ActivityTarget::Story(id),
            "brief" => ActivityTarget::Brief(id),
            "page" => ActivityTarget::Page(id),
            "issue" => ActivityTarget::Issue(id),
            _ => return None,
        })
    }
}

/// What a one-time link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// Choose a first password (a new account, or an accepted invitation).
    SetPassword,
    /// Choose a new password.
    ResetPassword,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::SetPassword => "set-password",
            LinkKind::ResetPassword => "reset-password",
        }
    }

    pub fn parse(s: &str) -> Option<LinkKind> {
        match s {
            "set-password" => Some(LinkKind::SetPassword),
            "reset-password" => Some(LinkKind::ResetPassword),
            _ => None,
        }
    }
}

column::text_column!(LinkKind, |k| k.as_str(), |text| LinkKind::parse(text)
    .ok_or_else(|| format!("unknown link kind {text:?} in the database")));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
        assert!(Role::Owner > Role::Editor && Role::Author > Role::Contributor);
    }
}
