//! Who may do what: one table, consulted by every desk action on the server.
//! Hiding a button is never the protection; this is.

use crate::model::accounts::Role;

/// Everything the desk lets someone do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Start a story or brief.
    Create,
    /// Change a piece's text and fields (their own, or someone else's).
    Edit,
    /// Send a draft to the editors.
    SubmitForReview,
    Publish,
    Schedule,
    /// Take a public piece down (back to draft, or archived).
    Unpublish,
    Delete,
    /// Add images to the media library.
    Upload,
    /// Choose the front page's lead and top stories.
    Curate,
    /// Sections, tags and labels.
    ManageTaxonomy,
    ManagePeople,
    ChangeSettings,
    ReadActivity,
    /// The whole site's readership (everyone sees their own pieces').
    ReadSiteReadership,
    /// API keys and webhooks (the desk's Integrations).
    ManageIntegrations,
    /// Credit a piece to others without oneself on its byline.
    CreditOthers,
    /// Mark a story as featured (it may then lead the front page).
    Feature,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::Create,
        Action::Edit,
        Action::SubmitForReview,
        Action::Publish,
        Action::Schedule,
        Action::Unpublish,
        Action::Delete,
        Action::Upload,
        Action::Curate,
        Action::ManageTaxonomy,
        Action::ManagePeople,
        Action::ChangeSettings,
        Action::ReadActivity,
        Action::ReadSiteReadership,
        Action::ManageIntegrations,
        Action::CreditOthers,
        Action::Feature,
    ];
}

/// Whether `role` may do `action`; `own` says whether the piece is theirs
/// (they are one of its authors, or started it).
pub fn may(role: Role, action: Action, own: bool) -> bool {
    use Action::*;
    match role {
        Role::Owner => true,
        Role::Editor => !matches!(action, ManagePeople | ChangeSettings),
        Role::Author => match action {
            Create | Upload | SubmitForReview => true,
            Edit | Publish | Schedule | Unpublish | Delete => own,
            Curate | ManageTaxonomy | ManagePeople | ChangeSettings | ReadActivity
            | ReadSiteReadership | ManageIntegrations | CreditOthers | Feature => false,
        },
        Role::Contributor => match action {
            Create | Upload => true,
            Edit | SubmitForReview | Delete => own,
            Publish | Schedule | Unpublish | Curate | ManageTaxonomy | ManagePeople
            | ChangeSettings | ReadActivity | ReadSiteReadership | ManageIntegrations
            | CreditOthers | Feature => false,
        },
    }
}

/// Why not, in the words the desk shows.
pub fn refusal(role: Role, action: Action) -> String {
    let what = match action {
        Action::Create => "start a story",
        Action::Edit => "edit this piece",
        Action::SubmitForReview => "submit this piece for review",
        Action::Publish => "publish this piece",
        Action::Schedule => "schedule this piece",
        Action::Unpublish => "take this piece down",
        Action::Delete => "delete this piece",
        Action::Upload => "upload images",
        Action::Curate => "arrange the front page",
        Action::ManageTaxonomy => "manage sections, tags and labels",
        Action::ManagePeople => "manage people",
        Action::ChangeSettings => "change the site's settings",
        Action::ReadActivity => "read the activity log",
        Action::ReadSiteReadership => "see the whole site's readership",
        Action::ManageIntegrations => "manage integrations and their API keys",
        Action::CreditOthers => "credit a piece to others without yourself on its byline",
        Action::Feature => "mark a story as featured",
    };
    let who = match action {
        Action::ManagePeople | Action::ChangeSettings => "an owner",
        Action::ManageIntegrations
        | Action::CreditOthers
        | Action::Feature
        | Action::ReadSiteReadership => "an editor or an owner",
        Action::Publish | Action::Schedule | Action::Unpublish if role == Role::Contributor => {
            "an author or an editor; submit it for review instead"
        }
        _ if role == Role::Author || role == Role::Contributor => {
            "an editor, or one of the piece's own authors"
        }
        _ => "an owner",
    };
    format!(
        "As {} {} you cannot {what}: it takes {who}.",
        if role == Role::Contributor { "a" } else { "an" },
        role.label().to_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    /// The whole matrix, as the issue states it: a change to it must change this test.
    #[test]
    fn the_permission_matrix() {
        for action in Action::ALL {
            for own in [false, true] {
                assert!(may(Role::Owner, action, own), "owner {action:?}");
                assert_eq!(
                    may(Role::Editor, action, own),
                    !matches!(action, ManagePeople | ChangeSettings),
                    "editor {action:?}"
                );
            }
        }
        for action in [Edit, Publish, Schedule, Unpublish, Delete] {
            assert!(may(Role::Author, action, true), "author, own: {action:?}");
            assert!(
                !may(Role::Author, action, false),
                "author, others': {action:?}"
            );
        }
        for action in [
            Curate,
            ManageTaxonomy,
            ManagePeople,
            ChangeSettings,
            ReadActivity,
            ReadSiteReadership,
            ManageIntegrations,
            CreditOthers,
            Feature,
        ] {
            assert!(!may(Role::Author, action, true), "author {action:?}");
            assert!(
                !may(Role::Contributor, action, true),
                "contributor {action:?}"
            );
        }
        for action in [Publish, Schedule, Unpublish] {
            assert!(
                !may(Role::Contributor, action, true),
                "contributor {action:?}"
            );
        }
        assert!(may(Role::Contributor, SubmitForReview, true));
        assert!(!may(Role::Contributor, Edit, false));
        assert!(may(Role::Contributor, Create, false) && may(Role::Contributor, Upload, false));
    }

    #[test]
    fn refusals_say_who_may() {
        assert_eq!(
            refusal(Role::Contributor, Publish),
            "As a contributor you cannot publish this piece: it takes an author or an editor; submit it for review instead."
        );
        assert!(refusal(Role::Editor, ManagePeople).contains("it takes an owner"));
    }
}
