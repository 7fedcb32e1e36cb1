//! Integrations (`/desk/integrations`, editors and owners): the API keys
//! tools use and the webhooks that tell them of changes, with each
//! webhook's last delivery.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::form::Fields;
use super::{
    CheckedForm, Desk, DeskResult, Frame, SignedInDesk, allowed, desk_time, render, see_other,
    site_timezone,
};
use crate::failure::{Failure, FailureKind};
use crate::model::accounts::Role;
use crate::services::accounts::SignedIn;
use crate::services::integrations::{self, EVENTS, IntegrationError};
use crate::services::permissions::{Action, refusal};
use crate::web::site::DateView;

const PATH: &str = "/desk/integrations";

#[derive(Serialize)]
struct WebhookView {
    event: String,
    target: String,
    secret: String,
    last_status: Option<String>,
    last_attempt: Option<DateView>,
    delete_url: String,
}

#[derive(Serialize)]
struct IntegrationView {
    id: String,
    name: String,
    role: &'static str,
    content_key: String,
    admin_key: String,
    created: DateView,
    revoked: bool,
    revoke_url: String,
    webhook_url: String,
    webhooks: Vec<WebhookView>,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct IntegrationsPage {
    integrations: Vec<IntegrationView>,
    roles: Vec<Choice>,
    events: Vec<&'static str>,
    api_url: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    done: String,
}

async fn page(
    desk: &Desk,
    me: &SignedIn,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> DeskResult {
    let why = refusal(me.user.role, Action::ManageIntegrations);
    allowed(me, Action::ManageIntegrations, &why)?;
    let store = &desk.app.store;
    let (list, webhooks) = tokio::try_join!(store.integrations(), store.webhooks())?;
    let tz = site_timezone(&desk.app).await?;
    let date = |t: i64| desk_time(t, &tz);
    let integrations = list
        .into_iter()
        .map(|i| IntegrationView {
            revoke_url: format!("{PATH}/{}/revoke", i.id),
            webhook_url: format!("{PATH}/{}/webhooks", i.id),
            webhooks: webhooks
                .iter()
                .filter(|w| w.integration_id == i.id)
                .map(|w| WebhookView {
                    event: w.event.clone(),
                    target: w.target_url.clone(),
                    secret: w.secret.clone(),
                    last_status: w.last_status.clone(),
                    last_attempt: w.last_attempt_at.map(date),
                    delete_url: format!("{PATH}/webhooks/{}/delete", w.id),
                })
                .collect(),
            admin_key: format!("{}:{}", i.admin_key_id, i.admin_secret),
            created: date(i.created_at),
            revoked: i.revoked_at.is_some(),
            role: i.role.label(),
            content_key: i.content_key,
            name: i.name,
            id: i.id,
        })
        .collect();
    let view = IntegrationsPage {
        integrations,
        roles: [Role::Editor, Role::Author, Role::Contributor]
            .into_iter()
            .map(|r| Choice {
                value: r.as_str(),
                label: r.label(),
            })
            .collect(),
        events: EVENTS.to_vec(),
        api_url: desk.app.public_url.absolute(""),
        notice,
        error,
    };
    render(
        desk,
        Frame::page("desk/integrations.html", "Integrations", "integrations").status(status),
        view,
    )
    .await
}

pub(super) async fn show(
    SignedInDesk { desk, me }: SignedInDesk,
    Query(q): Query<Done>,
) -> DeskResult {
    let notice = match q.done.as_str() {
        "added" => Some("The integration is ready: copy its keys into the tool.".to_string()),
        "revoked" => Some("Revoked: its keys no longer work and its webhooks are not sent.".into()),
        "webhook" => Some("The webhook is saved; it is sent at the next such event.".into()),
        "removed" => Some("The webhook is removed.".into()),
        _ => None,
    };
    page(&desk, &me, StatusCode::OK, notice, None).await
}

/// Back to the list saying what was `done`; a refusal the page can show
/// (a bad field, a webhook gone meanwhile) is shown on it.
async fn outcome(
    desk: &Desk,
    me: &SignedIn,
    result: Result<(), IntegrationError>,
    done: &str,
) -> DeskResult {
    match result {
        Ok(()) => Ok(see_other(&format!("{PATH}?done={done}"))),
        Err(IntegrationError::NotFound) => {
            let why = Some("That integration or webhook no longer exists.".into());
            page(desk, me, StatusCode::NOT_FOUND, None, why).await
        }
        Err(e) if e.kind() == FailureKind::Invalid => {
            page(desk, me, StatusCode::BAD_REQUEST, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn add(CheckedForm { desk, me, form }: CheckedForm<Fields>) -> DeskResult {
    let result = match integrations::parse_role(form.get("role")) {
        Ok(role) => integrations::create(&desk.app.store, Some(&me.user), form.get("name"), role)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    outcome(&desk, &me, result, "added").await
}

pub(super) async fn revoke(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<Fields>,
) -> DeskResult {
    let result = integrations::revoke(&desk.app.store, Some(&me.user), &id)
        .await
        .map(|_| ());
    outcome(&desk, &me, result, "revoked").await
}

pub(super) async fn add_webhook(
    Path(id): Path<String>,
    CheckedForm { desk, me, form }: CheckedForm<Fields>,
) -> DeskResult {
    let result = integrations::add_webhook(
        &desk.app.store,
        Some(&me.user),
        &id,
        form.get("event"),
        form.get("target"),
        desk.app.allow_private_webhooks,
    )
    .await
    .map(|_| ());
    outcome(&desk, &me, result, "webhook").await
}

pub(super) async fn remove_webhook(
    Path(id): Path<String>,
    CheckedForm { desk, me, .. }: CheckedForm<Fields>,
) -> DeskResult {
    let result = integrations::remove_webhook(&desk.app.store, Some(&me.user), &id).await;
    outcome(&desk, &me, result, "removed").await
}
