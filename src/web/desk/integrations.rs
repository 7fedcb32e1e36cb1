//! Integrations (`/desk/integrations`, editors and owners): the API keys
//! tools use and the webhooks that tell them of changes, with each
//! webhook's last delivery.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::form::{Fields, signed_in_form};
use super::{Desk, Frame, desk_time, forbidden, render, see_other, unavailable};
use crate::model::accounts::Role;
use crate::services::integrations::{self, EVENTS, IntegrationError};
use crate::services::permissions::{Action, may, refusal};
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
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let Some(me) = &desk.signed_in else {
        return desk.sign_in_first();
    };
    if !may(me.user.role, Action::ManageIntegrations, false) {
        return forbidden(desk, &refusal(me.user.role, Action::ManageIntegrations)).await;
    }
    let store = &desk.app.store;
    let (list, webhooks) = match tokio::try_join!(store.integrations(), store.webhooks()) {
        Ok(loaded) => loaded,
        Err(e) => return unavailable(e),
    };
    let settings = match crate::services::settings::load(store).await {
        Ok(s) => s,
        Err(e) => return unavailable(e),
    };
    let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
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

pub(super) async fn show(desk: Desk, Query(q): Query<Done>) -> Response {
    let notice = match q.done.as_str() {
        "added" => Some("The integration is ready: copy its keys into the tool.".to_string()),
        "revoked" => Some("Revoked: its keys no longer work and its webhooks are not sent.".into()),
        "webhook" => Some("The webhook is saved; it is sent at the next such event.".into()),
        "removed" => Some("The webhook is removed.".into()),
        _ => None,
    };
    page(&desk, StatusCode::OK, notice, None).await
}

/// The answer to a form: back to the page, or the page with the problem.
async fn outcome(desk: &Desk, result: Result<(), IntegrationError>, done: &str) -> Response {
    match result {
        Ok(()) => see_other(&format!("{PATH}?done={done}")),
        Err(IntegrationError::Forbidden(why)) => forbidden(desk, &why).await,
        Err(IntegrationError::Store(e)) => unavailable(e),
        Err(IntegrationError::NotFound) => {
            page(
                desk,
                StatusCode::NOT_FOUND,
                None,
                Some("That integration or webhook no longer exists.".into()),
            )
            .await
        }
        Err(e) => page(desk, StatusCode::BAD_REQUEST, None, Some(e.to_string())).await,
    }
}

pub(super) async fn add(desk: Desk, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let result = match integrations::parse_role(form.get("role")) {
        Ok(role) => integrations::create(&desk.app.store, Some(&me.user), form.get("name"), role)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    outcome(&desk, result, "added").await
}

pub(super) async fn act(
    desk: Desk,
    Path((id, action)): Path<(String, String)>,
    form: Fields,
) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let store = &desk.app.store;
    match action.as_str() {
        "revoke" => {
            let result = integrations::revoke(store, Some(&me.user), &id)
                .await
                .map(|_| ());
            outcome(&desk, result, "revoked").await
        }
        "webhooks" => {
            let result = integrations::add_webhook(
                store,
                Some(&me.user),
                &id,
                form.get("event"),
                form.get("target"),
                desk.app.allow_private_webhooks,
            )
            .await
            .map(|_| ());
            outcome(&desk, result, "webhook").await
        }
        _ => super::not_found().await,
    }
}

pub(super) async fn remove_webhook(desk: Desk, Path(id): Path<String>, form: Fields) -> Response {
    let me = match signed_in_form(&desk, &form) {
        Ok(me) => me,
        Err(refused) => return refused.into_response(),
    };
    let result = integrations::remove_webhook(&desk.app.store, Some(&me.user), &id).await;
    outcome(&desk, result, "removed").await
}
