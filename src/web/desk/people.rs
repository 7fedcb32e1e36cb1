//! People (owners): who has an account, in which role; inviting someone,
//! changing a role, a new password link, ending someone's sessions.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{CheckedForm, Desk, DeskError, DeskResult, Frame, SignedInDesk, allowed, render};
use crate::model::accounts::Role;
use crate::services::accounts::{self, AccountError};
use crate::services::permissions::Action;
use crate::urls;

const ONLY_OWNERS: &str = "Only an owner of the publication can manage people. Ask one if something about an account needs changing.";
const CHOOSE_A_ROLE: &str = "Choose one of the roles offered.";
const NO_SUCH_PERSON: &str = "There is no such person on the desk.";

/// What an owner does to one person's account.
enum PersonAction {
    Role(Role),
    ResetLink,
    SignOut,
}

impl PersonAction {
    /// The action an address names (`role` with the role chosen).
    fn parse(action: &str, role: &str) -> DeskResult<PersonAction> {
        match action {
            "role" => Role::parse(role)
                .map(PersonAction::Role)
                .ok_or_else(|| DeskError::invalid(CHOOSE_A_ROLE)),
            "reset-link" => Ok(PersonAction::ResetLink),
            "sign-out" => Ok(PersonAction::SignOut),
            _ => Err(DeskError::not_found(super::NO_SUCH_PAGE)),
        }
    }
}

#[derive(Serialize)]
struct RoleOption {
    value: &'static str,
    label: &'static str,
    explanation: &'static str,
}

#[derive(Serialize)]
struct PersonRow {
    name: String,
    email: String,
    role: &'static str,
    has_password: bool,
    role_url: String,
    reset_url: String,
    sign_out_url: String,
}

#[derive(Serialize)]
struct LinkNotice {
    message: String,
    url: String,
    days: i64,
}

#[derive(Serialize, Default)]
struct InviteView {
    email: String,
    name: String,
    role: &'static str,
    errors: std::collections::HashMap<&'static str, String>,
}

#[derive(Serialize)]
struct PeopleView {
    people: Vec<PersonRow>,
    roles: Vec<RoleOption>,
    link: Option<LinkNotice>,
    error: Option<String>,
    invite: InviteView,
}

fn explain(role: Role) -> &'static str {
    match role {
        Role::Owner => "everything, people and settings included",
        Role::Editor => "publishes, edits and curates everything",
        Role::Author => "writes and publishes their own stories",
        Role::Contributor => "writes drafts for review",
    }
}

/// The people page with whatever the last action left to show.
async fn people_page(
    desk: &Desk,
    status: StatusCode,
    link: Option<LinkNotice>,
    error: Option<String>,
    invite: InviteView,
) -> DeskResult {
    let users = desk.app.store.users().await?;
    let view = PeopleView {
        people: users
            .into_iter()
            .map(|u| PersonRow {
                role_url: urls::desk_person(&u.id, "role"),
                reset_url: urls::desk_person(&u.id, "reset-link"),
                sign_out_url: urls::desk_person(&u.id, "sign-out"),
                name: u.name,
                email: u.email,
                role: u.role.label(),
                has_password: u.password_hash.is_some(),
            })
            .collect(),
        roles: Role::ALL
            .into_iter()
            .map(|r| RoleOption {
                value: r.as_str(),
                label: r.label(),
                explanation: explain(r),
            })
            .collect(),
        link,
        error,
        invite: InviteView {
            role: if invite.role.is_empty() {
                Role::Author.as_str()
            } else {
                invite.role
            },
            ..invite
        },
    };
    render(
        desk,
        Frame::page("desk/people.html", "People", "people").status(status),
        view,
    )
    .await
}

fn link_notice(desk: &Desk, message: String, token: &str) -> LinkNotice {
    LinkNotice {
        message,
        url: desk.app.public_url.absolute(&urls::desk_password(token)),
        days: accounts::LINK_SECS / 86_400,
    }
}

#[derive(Deserialize, Default)]
pub(super) struct WordsQuery {
    #[serde(default)]
    q: String,
}

/// People a picker lists at once.
const PICKED_PEOPLE: usize = 20;

pub(super) async fn show(
    SignedInDesk { desk, me }: SignedInDesk,
    headers: axum::http::HeaderMap,
    Query(query): Query<WordsQuery>,
) -> DeskResult {
    // The activity log's "who" picker: for those who may read the log.
    if super::wants_json(&headers) {
        let why = crate::services::permissions::refusal(me.user.role, Action::ReadActivity);
        allowed(&me, Action::ReadActivity, &why)?;
        let words = query.q.trim().to_lowercase();
        let people = desk.app.store.users().await?;
        return Ok(super::picker_answer(
            people
                .into_iter()
                .filter(|u| {
                    words.is_empty()
                        || u.name.to_lowercase().contains(&words)
                        || u.email.to_lowercase().contains(&words)
                })
                .take(PICKED_PEOPLE)
                .map(|u| super::PickerItem {
                    id: u.id,
                    label: u.name,
                    detail: u.role.label().to_string(),
                })
                .collect(),
        ));
    }
    allowed(&me, Action::ManagePeople, ONLY_OWNERS)?;
    people_page(&desk, StatusCode::OK, None, None, InviteView::default()).await
}

#[derive(Deserialize)]
pub(super) struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

pub(super) async fn invite(CheckedForm { desk, me, form }: CheckedForm<InviteForm>) -> DeskResult {
    allowed(&me, Action::ManagePeople, ONLY_OWNERS)?;
    let role = Role::parse(&form.role).ok_or_else(|| DeskError::invalid(CHOOSE_A_ROLE))?;
    let kept = |errors| InviteView {
        email: form.email.clone(),
        name: form.name.clone(),
        role: role.as_str(),
        errors,
    };
    match accounts::add_user(
        &desk.app.store,
        accounts::Actor::Person(&me.user),
        &form.email,
        &form.name,
        role,
    )
    .await
    {
        Ok((user, token)) => {
            let message = format!(
                "{} <{}> is invited as {}. Pass them this link to choose a password.",
                user.name,
                user.email,
                role.label().to_lowercase()
            );
            let notice = link_notice(&desk, message, &token);
            people_page(
                &desk,
                StatusCode::OK,
                Some(notice),
                None,
                InviteView::default(),
            )
            .await
        }
        Err(AccountError::Invalid { field, message }) => {
            let errors = std::collections::HashMap::from([(field, message)]);
            people_page(&desk, StatusCode::BAD_REQUEST, None, None, kept(errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct PersonForm {
    #[serde(default)]
    role: String,
}

/// `role`, `reset-link` or `sign-out` for one person.
pub(super) async fn act(
    Path((id, action)): Path<(String, String)>,
    CheckedForm { desk, me, form }: CheckedForm<PersonForm>,
) -> DeskResult {
    allowed(&me, Action::ManagePeople, ONLY_OWNERS)?;
    let action = PersonAction::parse(&action, &form.role)?;
    let store = &desk.app.store;
    let actor = accounts::Actor::Person(&me.user);
    let outcome = match action {
        PersonAction::Role(role) => accounts::change_role(store, actor, &id, role)
            .await
            .map(|_| None),
        PersonAction::ResetLink => {
            let user = store
                .user_by_id(&id)
                .await?
                .ok_or_else(|| DeskError::not_found(NO_SUCH_PERSON))?;
            accounts::reset_link(store, actor, &user.email)
                .await
                .map(|(user, token)| {
                    let message = format!(
                        "{} <{}> can choose a new password with this link.",
                        user.name, user.email
                    );
                    Some(link_notice(&desk, message, &token))
                })
        }
        PersonAction::SignOut => accounts::end_sessions_of(store, actor, &id)
            .await
            .map(|_| None),
    };
    match outcome {
        Ok(link) => people_page(&desk, StatusCode::OK, link, None, InviteView::default()).await,
        Err(e @ AccountError::Forbidden(_)) => {
            people_page(
                &desk,
                StatusCode::CONFLICT,
                None,
                Some(e.to_string()),
                InviteView::default(),
            )
            .await
        }
        Err(AccountError::Invalid { .. }) => Err(DeskError::not_found(NO_SUCH_PERSON)),
        Err(e) => Err(e.into()),
    }
}
