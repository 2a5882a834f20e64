//! `POST /webhooks/azure-devops`: Azure DevOps service hooks (Web Hooks consumer) for
//! `workitem.created|updated|deleted|restored|commented`, authenticated by basic auth or a secret
//! header, deduped on the event id. The payload only names the work item; the run re-reads it.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::settings::AzureBoardsSettings;
use crate::config::TargetSettings;
use crate::daemon::queue::WorkKey;
use crate::daemon::server::AppState;
use crate::daemon::webhooks::{Verdict, answer, azure_auth_ok, endpoint_off, read_body, take};

const SOURCE: &str = "azure-devops";

/// The handler.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Body) -> Response {
    let auth = state.hooks.azure.clone();
    if auth.is_none() && !state.hooks.insecure {
        state.metrics.webhook(SOURCE, "disabled");
        return endpoint_off(
            "set `[webhooks.azure_devops] password_env` (and `username`) to the service hook's basic-auth credentials",
        );
    }
    if let Some(auth) = &auth
        && !azure_auth_ok(auth, &headers)
    {
        state.metrics.webhook(SOURCE, "unauthorized");
        let mut r = answer(
            StatusCode::UNAUTHORIZED,
            json!({"error": "basic-auth credentials (or the secret header) are missing or wrong; check the service hook's username and password against `[webhooks.azure_devops]`"}),
        );
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"backlog-sync\""));
        return r;
    }
    let body = match read_body(&state, SOURCE, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let payload: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            state.metrics.webhook(SOURCE, "bad_request");
            return answer(StatusCode::BAD_REQUEST, json!({"error": format!("the body is not JSON: {e}")}));
        }
    };
    let Some(event_id) = event_id(&payload) else {
        state.metrics.webhook(SOURCE, "bad_request");
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "the notification has neither `id` nor `notificationId`"}),
        );
    };
    let verdict = match payload["eventType"].as_str() {
        Some("git.push") => crate::daemon::push_hook::azure(&payload, state.settings.backlog.git.as_ref()),
        _ => verdict(&payload, &state.settings.targets),
    };
    take(&state, SOURCE, &event_id, verdict)
}

/// The id a redelivery repeats: the event `id` (a GUID), else `subscriptionId`/`notificationId`.
pub fn event_id(payload: &Value) -> Option<String> {
    if let Some(id) = payload["id"].as_str().filter(|s| !s.is_empty()) {
        return Some(id.to_string());
    }
    let n = payload.get("notificationId").filter(|v| !v.is_null())?;
    let n = n.as_str().map(str::to_string).unwrap_or_else(|| n.to_string());
    Some(format!("{}/{n}", payload["subscriptionId"].as_str().unwrap_or("")))
}

/// The work item a notification is about. `workitem.updated` carries an update whose `id` is the
/// update number: the item is `workItemId` (0 in some deliveries), else `revision.id`.
fn work_item_id(event: &str, resource: &Value) -> Option<u64> {
    if event == "workitem.updated" {
        let parent = resource["_links"]["parent"]["href"].as_str().and_then(|h| h.rsplit('/').next()?.parse().ok());
        return resource["workItemId"].as_u64().filter(|&n| n > 0).or(resource["revision"]["id"].as_u64()).or(parent);
    }
    resource["id"].as_u64()
}

/// What a service hook asks for: pure, over the payload and the targets.
pub fn verdict(payload: &Value, targets: &[TargetSettings]) -> Verdict {
    let event = payload["eventType"].as_str().unwrap_or("");
    let Some(action) = event.strip_prefix("workitem.") else {
        return Verdict::Ignore(format!("event `{event}` is not one backlog-sync acts on"));
    };
    if !matches!(action, "created" | "updated" | "deleted" | "restored" | "commented") {
        return Verdict::Ignore(format!("event `{event}` is not one backlog-sync acts on"));
    }
    let resource = &payload["resource"];
    let fields = if action == "updated" { &resource["revision"]["fields"] } else { &resource["fields"] };
    let project = fields["System.TeamProject"].as_str();
    let boards: Vec<(&TargetSettings, &AzureBoardsSettings)> =
        targets.iter().filter_map(|t| Some((t, AzureBoardsSettings::of(t)?))).collect();
    let target = match project {
        Some(p) => boards.iter().find(|(_, a)| a.project.eq_ignore_ascii_case(p)).map(|(t, _)| t),
        None if boards.len() == 1 => boards.first().map(|(t, _)| t),
        None => None,
    };
    let Some(target) = target else {
        return Verdict::Ignore(format!(
            "project `{}` is not a configured azure-boards target",
            project.unwrap_or("(not named)")
        ));
    };
    let Some(id) = work_item_id(event, resource) else {
        return Verdict::Ignore(format!("`{event}` names no work item"));
    };
    // A deleted item no longer lists: only a full comparison of the target sees it gone.
    let key = if action == "deleted" {
        (WorkKey::Target(target.name.clone()), true)
    } else {
        (WorkKey::item(&target.name, id), false)
    };
    Verdict::Enqueue(vec![key])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boards(name: &str, project: &str) -> TargetSettings {
        toml::from_str(&format!(
            "name = \"{name}\"\nkind = \"azure-boards\"\norganization_url = \"https://dev.azure.com/contoso\"\n\
             project = \"{project}\"\ntoken_env = \"T\"\nmapping = \"m.toml\""
        ))
        .unwrap()
    }

    #[test]
    fn notifications_become_keys() {
        let one = vec![boards("boards", "Onboarding")];
        let two = vec![boards("boards", "Onboarding"), boards("ops", "Operations")];
        let created = json!({"id": "e1", "eventType": "workitem.created", "resource": {"id": 5, "fields": {"System.TeamProject": "Operations"}}});
        let updated = json!({"id": "e2", "eventType": "workitem.updated", "resource": {"id": 2, "workItemId": 0,
            "_links": {"parent": {"href": "https://x/_apis/wit/workItems/5"}}, "revision": {"id": 5, "fields": {"System.TeamProject": "onboarding"}}}});
        let updated_by_link = json!({"id": "e3", "eventType": "workitem.updated", "resource": {"id": 2,
            "_links": {"parent": {"href": "https://x/_apis/wit/workItems/41"}}}});
        let deleted = json!({"id": "e4", "eventType": "workitem.deleted", "resource": {"id": 5, "fields": {"System.TeamProject": "Onboarding"}}});
        let cases: Vec<(&Value, &Vec<TargetSettings>, Verdict)> = vec![
            (&created, &two, Verdict::Enqueue(vec![(WorkKey::item("ops", 5), false)])),
            (&created, &one, Verdict::Ignore("project `Operations` is not a configured azure-boards target".into())),
            (&updated, &two, Verdict::Enqueue(vec![(WorkKey::item("boards", 5), false)])),
            (&updated_by_link, &one, Verdict::Enqueue(vec![(WorkKey::item("boards", 41), false)])),
            (&deleted, &one, Verdict::Enqueue(vec![(WorkKey::Target("boards".into()), true)])),
        ];
        for (payload, targets, want) in cases {
            assert_eq!(verdict(payload, targets), want, "{payload}");
        }
        let push = json!({"id": "e5", "eventType": "git.push"});
        assert!(matches!(verdict(&push, &one), Verdict::Ignore(_)));
    }

    #[test]
    fn the_event_id_is_the_guid_or_the_notification() {
        assert_eq!(event_id(&json!({"id": "abc", "notificationId": 3})), Some("abc".into()));
        assert_eq!(event_id(&json!({"subscriptionId": "s", "notificationId": 3})), Some("s/3".into()));
        assert_eq!(event_id(&json!({"eventType": "workitem.created"})), None);
    }
}
