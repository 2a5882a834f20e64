//! What every request handler of the Azure twin shares: configuration, the organization's store,
//! the request budget, the control block (counters, faults, webhook target) and the service hook
//! counter; plus the [`Twin`] implementation the `/_twin/*` routes call.

use std::sync::{Mutex, MutexGuard};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::edit::Event;
use super::hooks::{self, HookCounter};
use super::identity::Identity;
use super::process::Process;
use super::seed;
use super::store::{Store, stable_uuid};
use super::throttle::{RateLimit, Throttle};
use crate::control::{Control, OutgoingWebhook, SeedError, Twin};

/// The username the twin's service hooks sign in with when the target gives only a `secret`.
pub const DEFAULT_HOOK_USERNAME: &str = "backlog-sync";

/// The shared state of one running Azure twin.
pub struct AzureState {
    /// The organization (`contoso`).
    pub organization: String,
    /// `http://127.0.0.1:PORT/contoso`.
    pub base: String,
    /// The token every request must carry.
    pub token: String,
    /// The token's user: the author of what the API writes.
    pub user: Identity,
    /// Members of the organization from the start (and again after a reset), besides `user`.
    pub members: Vec<Identity>,
    /// Projects that exist from the start (and again after a reset).
    pub projects: Vec<(String, Process)>,
    /// The request budget's configuration.
    pub rate_limit: Option<RateLimit>,
    /// The organization's data.
    pub store: Mutex<Store>,
    /// The request budget.
    pub throttle: Mutex<Throttle>,
    /// Counters, faults and the webhook target.
    pub control: Control,
    /// Notification ids for service hooks.
    pub hooks: Mutex<HookCounter>,
    /// Entra ID service principals and the access tokens they were granted.
    pub entra: super::entra::Entra,
}

impl AzureState {
    /// Fresh state for an organization.
    pub fn new(
        organization: &str,
        base: &str,
        token: &str,
        user: Identity,
        projects: Vec<(String, Process)>,
        rate_limit: Option<RateLimit>,
    ) -> AzureState {
        AzureState {
            organization: organization.to_string(),
            base: base.to_string(),
            token: token.to_string(),
            store: Mutex::new(AzureState::fresh_store(organization, base, &user, &[], &projects)),
            user,
            members: Vec::new(),
            projects,
            rate_limit,
            throttle: Mutex::new(Throttle::new(rate_limit)),
            control: Control::new(),
            hooks: Mutex::new(HookCounter { subscription_id: stable_uuid(&format!("subscription:{base}")), last: 0 }),
            entra: Default::default(),
        }
    }

    fn fresh_store(
        organization: &str,
        base: &str,
        user: &Identity,
        members: &[Identity],
        projects: &[(String, Process)],
    ) -> Store {
        let mut store = Store::new(organization, base, projects);
        store.people.register(user.clone());
        for member in members {
            store.people.register(member.clone());
        }
        store
    }

    /// The same state with these members of the organization (who can be assigned).
    pub fn with_members(mut self, members: Vec<Identity>) -> AzureState {
        for member in &members {
            self.store.get_mut().expect("azure twin store lock").people.register(member.clone());
        }
        self.members = members;
        self
    }

    /// Locks the store.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().expect("azure twin store lock")
    }

    /// Builds the service hook notices for `events` (call with the store still locked).
    pub fn notices(&self, store: &Store, events: &[Event]) -> Vec<hooks::Notice> {
        if events.is_empty() || self.control.webhooks().target().is_none() {
            return Vec::new();
        }
        let mut counter = self.hooks.lock().expect("hook counter lock");
        hooks::build(store, events, &mut counter, Utc::now())
    }

    /// Posts notices to the configured target with basic auth (after the store is unlocked).
    pub fn deliver(&self, notices: Vec<hooks::Notice>) {
        let Some(target) = self.control.webhooks().target() else { return };
        let username = target.username.clone().unwrap_or_else(|| DEFAULT_HOOK_USERNAME.to_string());
        let password = target.password.clone().unwrap_or_else(|| target.secret.clone());
        let mut headers = Vec::new();
        if !password.is_empty() || target.username.is_some() {
            headers.push(("Authorization".to_string(), hooks::basic_auth(&username, &password)));
        }
        for notice in notices {
            let body = serde_json::to_vec(&notice.body).unwrap_or_default();
            let webhook = OutgoingWebhook { event: notice.event_type, headers: headers.clone(), body };
            self.control.webhooks().send(&target.url, webhook);
        }
    }
}

impl Twin for AzureState {
    fn control(&self) -> &Control {
        &self.control
    }

    fn reset_data(&self) {
        *self.store() =
            AzureState::fresh_store(&self.organization, &self.base, &self.user, &self.members, &self.projects);
        *self.throttle.lock().expect("throttle lock") = Throttle::new(self.rate_limit);
        self.hooks.lock().expect("hook counter lock").last = 0;
    }

    fn seed(&self, body: Value) -> Result<Value, SeedError> {
        let mut store = self.store();
        let mut trial = store.clone();
        let summary = seed::apply(&mut trial, &self.user, &body)?;
        *store = trial;
        Ok(summary)
    }

    fn error_response(&self, status: StatusCode, message: &str) -> Response {
        let (message, key) = match status.as_u16() {
            429 => (
                format!(
                    "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource '{}' in namespace 'User'.",
                    super::throttle::RESOURCE
                ),
                "RequestBlockedException",
            ),
            500..=599 => (format!("TF400898: An Internal Error Occurred. {message}."), "VssServiceException"),
            _ => (message.to_string(), "VssServiceException"),
        };
        let body = json!({
            "$id": "1",
            "innerException": null,
            "message": message,
            "typeName": format!("Microsoft.VisualStudio.Services.Common.{key}, Microsoft.VisualStudio.Services.Common"),
            "typeKey": key,
            "errorCode": 0,
            "eventId": 3000,
        });
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let headers = response.headers_mut();
            headers.insert("x-ratelimit-resource", super::throttle::RESOURCE.parse().expect("header"));
            headers.insert("x-ratelimit-remaining", "0".parse().expect("header"));
        }
        response
    }
}
