//! Service hooks (Web Hooks consumer, resource version 1.0): the `workitem.created|updated|deleted|
//! restored|commented` payloads built from what a write did, and the basic-auth header the consumer
//! sends. Identity fields read `Name <mail>` in hook resources, as the service sends them.

use chrono::{DateTime, Timelike, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::edit::Event;
use super::fields::HIDDEN_FIELDS;
use super::identity::Identity;
use super::render;
use super::store::{Snapshot, Store, WorkItem};

/// One notification to post.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// `workitem.updated`.
    pub event_type: String,
    /// The whole payload.
    pub body: Value,
}

/// The counters a twin keeps for its notifications.
#[derive(Debug, Clone)]
pub struct HookCounter {
    /// The subscription every notice belongs to.
    pub subscription_id: Uuid,
    /// The last notification id handed out.
    pub last: u64,
}

fn hook_value(value: &Value) -> Value {
    match Identity::from_ref(value) {
        Some(person) if value.is_object() => json!(person.combo()),
        _ => value.clone(),
    }
}

fn hook_fields(snapshot: &Snapshot) -> Map<String, Value> {
    snapshot
        .fields
        .iter()
        .filter(|(k, _)| !HIDDEN_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), hook_value(v)))
        .collect()
}

fn created_date(at: DateTime<Utc>) -> String {
    format!("{}.{:07}Z", at.format("%Y-%m-%dT%H:%M:%S"), at.nanosecond() / 100)
}

fn org_url(store: &Store, id: i64) -> String {
    store.work_item_url(id)
}

fn resource(store: &Store, item: &WorkItem, snapshot: &Snapshot, url: String) -> Value {
    let base = org_url(store, item.id);
    let project = store.project(&item.project).map(|p| p.id.to_string()).unwrap_or_default();
    let type_name = snapshot.text("System.WorkItemType").replace(' ', "%20");
    let mut body = json!({
        "id": item.id,
        "rev": snapshot.rev,
        "fields": hook_fields(snapshot),
        "_links": {
            "self": { "href": url },
            "workItemUpdates": { "href": format!("{base}/updates") },
            "workItemRevisions": { "href": format!("{base}/revisions") },
            "workItemType": { "href": format!("{}/_apis/wit/{project}/workItemTypes/{type_name}", store.base_url) },
            "fields": { "href": format!("{}/_apis/wit/fields", store.base_url) },
        },
        "url": url,
    });
    if !snapshot.relations.is_empty() {
        body["relations"] = json!(
            snapshot
                .relations
                .iter()
                .map(|r| json!({ "rel": r.rel, "url": r.url, "attributes": r.attributes }))
                .collect::<Vec<_>>()
        );
    }
    body
}

fn update_resource(store: &Store, item: &WorkItem, rev: u32) -> Option<Value> {
    let mut update = render::update(store, item, rev)?;
    let base = org_url(store, item.id);
    let url = format!("{base}/updates/{rev}");
    if let Some(fields) = update["fields"].as_object_mut() {
        for change in fields.values_mut() {
            for side in ["oldValue", "newValue"] {
                if let Some(value) = change.get(side).map(hook_value) {
                    change[side] = value;
                }
            }
        }
    }
    let snapshot = item.revisions.get(rev as usize - 1)?;
    update["_links"] = json!({
        "self": { "href": url },
        "parent": { "href": base },
        "workItemUpdates": { "href": format!("{base}/updates") },
    });
    update["url"] = json!(url);
    update["revision"] = json!({
        "id": item.id,
        "rev": rev,
        "fields": hook_fields(snapshot),
        "url": format!("{base}/revisions/{rev}"),
    });
    Some(update)
}

fn messages(
    store: &Store,
    item: &WorkItem,
    snapshot: &Snapshot,
    verb: &str,
    by: &str,
    details: &[(String, String)],
) -> (Value, Value) {
    let link = format!("{}/web/wi.aspx?pcguid={}&id={}", store.base_url, store.collection_id, item.id);
    let label = format!("{} #{}", snapshot.text("System.WorkItemType"), item.id);
    let title = snapshot.text("System.Title");
    let text = format!("{label} ({title}) {verb} by {by}.\r\n({link})");
    let html = format!("<a href=\"{}\">{label}</a> ({title}) {verb} by {by}.", link.replace('&', "&amp;"));
    let markdown = format!("[{label}]({link}) ({title}) {verb} by {by}.");
    let message = json!({ "text": text, "html": html, "markdown": markdown });
    let list_text: String = details.iter().map(|(k, v)| format!("- {k}: {v}\r\n")).collect();
    let list_markdown: String = details.iter().map(|(k, v)| format!("* {k}: {v}\r\n")).collect();
    let list_html: Vec<String> = details.iter().map(|(k, v)| format!("<li>{k}: {v}</li>")).collect();
    let detailed = json!({
        "text": format!("{text}\r\n\r\n{list_text}"),
        "html": format!("{html}<ul>\r\n{}</ul>", list_html.join("\r\n")),
        "markdown": format!("{markdown}\r\n\r\n{list_markdown}"),
    });
    (message, detailed)
}

fn person(value: Option<&Value>) -> String {
    value.and_then(Identity::from_ref).map(|p| p.display_name).unwrap_or_default()
}

/// Builds the notices for what a write did; `now` stamps `createdDate`.
pub fn build(store: &Store, events: &[Event], counter: &mut HookCounter, now: DateTime<Utc>) -> Vec<Notice> {
    let mut notices = Vec::new();
    for event in events {
        let (event_type, id) = match event {
            Event::Created { id } => ("workitem.created", *id),
            Event::Updated { id, .. } => ("workitem.updated", *id),
            Event::Deleted { id } => ("workitem.deleted", *id),
            Event::Restored { id } => ("workitem.restored", *id),
            Event::Commented { id, .. } => ("workitem.commented", *id),
        };
        let Some(item) = store.items.get(&id) else { continue };
        let (snapshot, rev) = match event {
            Event::Updated { rev, .. } | Event::Commented { rev, .. } => match item.revisions.get(*rev as usize - 1) {
                Some(s) => (s, *rev),
                None => continue,
            },
            _ => (item.current(), item.rev()),
        };
        let by = person(snapshot.fields.get("System.ChangedBy"));
        let summary = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, f)| {
                    (
                        k.to_string(),
                        match snapshot.fields.get(*f) {
                            Some(v) if v.is_object() => person(Some(v)),
                            _ => snapshot.text(f),
                        },
                    )
                })
                .collect()
        };
        let org_item = org_url(store, id);
        let (resource, verb, by, details) = match event {
            Event::Created { .. } | Event::Restored { .. } => (
                resource(store, item, snapshot, org_item),
                if matches!(event, Event::Created { .. }) { "created" } else { "restored" },
                by,
                summary(&[
                    ("Area", "System.AreaPath"),
                    ("Iteration", "System.IterationPath"),
                    ("State", "System.State"),
                    ("Assigned to", "System.AssignedTo"),
                ]),
            ),
            Event::Commented { .. } => (
                resource(store, item, snapshot, org_item),
                "commented on",
                by,
                vec![("Comment".to_string(), snapshot.text("System.History"))],
            ),
            Event::Deleted { .. } => {
                let recycle = format!("{}/_apis/wit/recyclebin/{id}", store.base_url);
                let deleter = item.deleted.as_ref().map(|d| d.by.display_name.clone()).unwrap_or(by);
                let details = summary(&[
                    ("Area", "System.AreaPath"),
                    ("Iteration", "System.IterationPath"),
                    ("State", "System.State"),
                ]);
                (resource(store, item, snapshot, recycle), "deleted", deleter, details)
            }
            Event::Updated { .. } => {
                let Some(update) = update_resource(store, item, rev) else { continue };
                let mut details = Vec::new();
                if let Some(state) = update["fields"].get("System.State").and_then(|c| c.get("newValue")) {
                    details.push(("New State".to_string(), state.as_str().unwrap_or_default().to_string()));
                }
                (update, "updated", by, details)
            }
        };
        let (message, detailed) = messages(store, item, snapshot, verb, &by, &details);
        counter.last += 1;
        let project = store.project(&item.project).map(|p| p.id.to_string()).unwrap_or_default();
        let body = json!({
            "subscriptionId": counter.subscription_id.to_string(),
            "notificationId": counter.last,
            "id": Uuid::new_v4().to_string(),
            "eventType": event_type,
            "publisherId": "tfs",
            "scope": "all",
            "message": message,
            "detailedMessage": detailed,
            "resource": resource,
            "resourceVersion": "1.0",
            "resourceContainers": {
                "collection": { "id": store.collection_id.to_string(), "baseUrl": format!("{}/", store.base_url) },
                "account": { "id": store.account_id.to_string(), "baseUrl": format!("{}/", store.base_url) },
                "project": { "id": project, "baseUrl": format!("{}/", store.base_url) },
            },
            "createdDate": created_date(now),
        });
        notices.push(Notice { event_type: event_type.to_string(), body });
    }
    notices
}

/// The `Authorization` header the Web Hooks consumer sends for these basic-auth credentials.
pub fn basic_auth(username: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}")))
}
