//! `POST /_twin/seed`: loads projects, people, work items (with their later edits, comments,
//! links and deletions) and wiki pages as if people had made them — through the same write path
//! as the API, with the given authors and dates, but without service hooks or counters.
//!
//! ```json
//! {"projects": [{"name": "Onboarding", "process": "Agile"}],
//!  "people": ["Alice Smith <alice@contoso.com>"],
//!  "workItems": [{"key": "EP-1", "project": "Onboarding", "type": "Epic", "by": "Alice Smith <alice@contoso.com>",
//!                 "createdDate": "2024-01-02T09:00:00Z", "fields": {"System.Title": "Onboarding", "System.State": "Active"},
//!                 "markdown": ["System.Description"], "parent": "EP-0", "links": [{"rel": "System.LinkTypes.Related", "to": 3}],
//!                 "hyperlinks": ["https://example.com"], "comments": [{"text": "…", "by": "…", "date": "…"}],
//!                 "updates": [{"fields": {…}, "by": "…", "date": "…"}], "deleted": false, "count": 1}],
//!  "wiki": [{"project": "Onboarding", "path": "/Home", "content": "# Welcome"}]}
//! ```
//! A state other than the type's first is reached by a second revision, as a person would.

use std::collections::BTreeMap;

use chrono::Duration;
use serde_json::{Value, json};

use super::edit::{self, WriteOptions};
use super::fields::{format_date, parse_date};
use super::identity::Identity;
use super::patch::{Op, PatchOp};
use super::process::Process;
use super::relations::PARENT;
use super::store::Store;
use crate::control::SeedError;

fn invalid(message: impl Into<String>) -> SeedError {
    SeedError::Invalid(message.into())
}

fn op(path: &str, value: Value) -> PatchOp {
    PatchOp { op: Op::Add, path: path.to_string(), value: Some(value) }
}

fn person(value: Option<&Value>, fallback: &Identity) -> Result<Identity, SeedError> {
    match value.and_then(Value::as_str) {
        None => Ok(fallback.clone()),
        Some(text) => {
            Identity::parse(text).ok_or_else(|| invalid(format!("`by` `{text}` is not `Name <mail>` or a mail")))
        }
    }
}

fn dated(
    ops: &mut Vec<PatchOp>,
    date: Option<&str>,
    by: &Identity,
    base: &str,
    created: bool,
) -> Result<(), SeedError> {
    if let Some(date) = date {
        let at = parse_date(date)
            .ok_or_else(|| invalid(format!("date `{date}` is not RFC 3339, e.g. `2024-01-02T09:00:00Z`")))?;
        let text = json!(format_date(at));
        if created {
            ops.push(op("/fields/System.CreatedDate", text.clone()));
            ops.push(op("/fields/System.CreatedBy", by.to_ref(base)));
        }
        ops.push(op("/fields/System.ChangedDate", text));
        ops.push(op("/fields/System.ChangedBy", by.to_ref(base)));
    }
    Ok(())
}

fn later(date: Option<&str>, minutes: i64) -> Option<String> {
    date.and_then(parse_date).map(|at| format_date(at + Duration::minutes(minutes)))
}

fn target(value: &Value, keys: &BTreeMap<String, i64>) -> Result<i64, SeedError> {
    match value {
        Value::Number(n) => n.as_i64().ok_or_else(|| invalid("a link target id must be a whole number")),
        Value::String(key) => keys
            .get(key)
            .copied()
            .ok_or_else(|| invalid(format!("link target `{key}` is not an earlier `key` of this seed"))),
        _ => Err(invalid("a link target is an id or an earlier `key`")),
    }
}

fn write_error(what: &str, error: impl std::fmt::Display) -> SeedError {
    invalid(format!("{what}: {error}"))
}

/// Applies a seed; answers what was created. Anyone the seed names by mail joins the organization.
pub fn apply(store: &mut Store, default_user: &Identity, body: &Value) -> Result<Value, SeedError> {
    let was_open = std::mem::replace(&mut store.people.open, true);
    let result = apply_open(store, default_user, body);
    store.people.open = was_open;
    result
}

fn apply_open(store: &mut Store, default_user: &Identity, body: &Value) -> Result<Value, SeedError> {
    for project in body.get("projects").and_then(Value::as_array).into_iter().flatten() {
        let name = project.get("name").and_then(Value::as_str).ok_or_else(|| invalid("each project needs a `name`"))?;
        let process_name = project.get("process").and_then(Value::as_str).unwrap_or("Agile");
        let process = Process::parse(process_name)
            .ok_or_else(|| invalid(format!("process `{process_name}` is not Agile, Scrum, CMMI or Basic")))?;
        store.add_project(name, process);
    }
    let mut first_person = None;
    for text in body.get("people").and_then(Value::as_array).into_iter().flatten() {
        let identity = person(Some(text), default_user)?;
        first_person.get_or_insert(store.people.register(identity));
    }
    let fallback = first_person.unwrap_or_else(|| default_user.clone());
    let mut keys = BTreeMap::new();
    let mut created = Vec::new();
    for spec in body.get("workItems").and_then(Value::as_array).into_iter().flatten() {
        let count = spec.get("count").and_then(Value::as_u64).unwrap_or(1);
        for copy in 1..=count {
            let id = seed_item(store, spec, &fallback, &keys, (count > 1).then_some(copy))?;
            if let Some(key) = spec.get("key").and_then(Value::as_str) {
                keys.insert(key.to_string(), id);
            }
            created.push(json!({ "key": spec.get("key"), "id": id }));
        }
    }
    let mut pages = 0;
    for page in body.get("wiki").and_then(Value::as_array).into_iter().flatten() {
        let project = page.get("project").and_then(Value::as_str).or(store.projects.first().map(|p| p.name.as_str()));
        let project = store.project(project.unwrap_or_default()).map_err(|e| write_error("wiki page", e))?.id;
        let path = page.get("path").and_then(Value::as_str).ok_or_else(|| invalid("each wiki page needs a `path`"))?;
        let content = page.get("content").and_then(Value::as_str).unwrap_or_default();
        let wiki = store.wikis.iter_mut().find(|w| w.project_id == project).expect("every project has a wiki");
        wiki.put(path, content, None).map_err(|e| write_error("wiki page", e))?;
        pages += 1;
    }
    Ok(json!({
        "projects": store.projects.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        "workItems": created,
        "wikiPages": pages,
    }))
}

fn seed_item(
    store: &mut Store,
    spec: &Value,
    fallback: &Identity,
    keys: &BTreeMap<String, i64>,
    copy: Option<u64>,
) -> Result<i64, SeedError> {
    let project = match spec.get("project").and_then(Value::as_str) {
        Some(p) => p.to_string(),
        None => store
            .projects
            .first()
            .map(|p| p.name.clone())
            .ok_or_else(|| invalid("seed a project before its work items"))?,
    };
    let type_name = spec.get("type").and_then(Value::as_str).ok_or_else(|| invalid("each work item needs a `type`"))?;
    let by = person(spec.get("by"), fallback)?;
    let base = store.base_url.clone();
    let date = spec.get("createdDate").and_then(Value::as_str);
    let options = WriteOptions { actor: by.clone(), bypass_rules: true, validate_only: false };
    let mut ops = Vec::new();
    let mut state = None;
    for (name, value) in spec.get("fields").and_then(Value::as_object).into_iter().flatten() {
        if name.eq_ignore_ascii_case("System.State") || name.eq_ignore_ascii_case("State") {
            state = Some(value.clone());
            continue;
        }
        let value = match (copy, value) {
            (Some(n), Value::String(title)) if name.eq_ignore_ascii_case("System.Title") => {
                json!(format!("{title} {n}"))
            }
            _ => value.clone(),
        };
        ops.push(op(&format!("/fields/{name}"), value));
    }
    for field in spec.get("markdown").and_then(Value::as_array).into_iter().flatten() {
        ops.push(op(&format!("/multilineFieldsFormat/{}", field.as_str().unwrap_or_default()), json!("Markdown")));
    }
    if let Some(parent) = spec.get("parent") {
        let url = store.work_item_url(target(parent, keys)?);
        ops.push(op("/relations/-", json!({ "rel": PARENT, "url": url })));
    }
    for link in spec.get("links").and_then(Value::as_array).into_iter().flatten() {
        let rel = link.get("rel").and_then(Value::as_str).unwrap_or("System.LinkTypes.Related");
        let url = store.work_item_url(target(link.get("to").unwrap_or(&Value::Null), keys)?);
        ops.push(op("/relations/-", json!({ "rel": rel, "url": url })));
    }
    for url in spec.get("hyperlinks").and_then(Value::as_array).into_iter().flatten() {
        ops.push(op("/relations/-", json!({ "rel": "Hyperlink", "url": url })));
    }
    dated(&mut ops, date, &by, &base, true)?;
    let id = edit::create(store, &project, type_name, &ops, &options).map_err(|e| write_error(type_name, e))?.id;

    let mut later_edits: Vec<(Option<String>, Identity, Vec<PatchOp>)> = Vec::new();
    if let Some(state) = state {
        later_edits.push((later(date, 1), by.clone(), vec![op("/fields/System.State", state)]));
    }
    for (index, update) in spec.get("updates").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let ops = update
            .get("fields")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, value)| op(&format!("/fields/{name}"), value.clone()))
            .collect();
        let when =
            update.get("date").and_then(Value::as_str).map(str::to_string).or_else(|| later(date, 2 + index as i64));
        later_edits.push((when, person(update.get("by"), &by)?, ops));
    }
    for (index, comment) in spec.get("comments").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let text = comment.get("text").and_then(Value::as_str).ok_or_else(|| invalid("each comment needs `text`"))?;
        let mut ops = vec![op("/fields/System.History", json!(text))];
        if comment.get("format").and_then(Value::as_str).is_some_and(|f| f.eq_ignore_ascii_case("markdown")) {
            ops.push(op("/multilineFieldsFormat/System.History", json!("Markdown")));
        }
        let when =
            comment.get("date").and_then(Value::as_str).map(str::to_string).or_else(|| later(date, 100 + index as i64));
        later_edits.push((when, person(comment.get("by"), &by)?, ops));
    }
    // Dated edits happen in date order; undated ones after them, as listed.
    later_edits.sort_by_key(|(when, _, _)| (when.is_none(), when.as_deref().and_then(parse_date)));
    for (when, author, mut ops) in later_edits {
        dated(&mut ops, when.as_deref(), &author, &base, false)?;
        let options = WriteOptions { actor: author, ..options.clone() };
        edit::update(store, id, None, &ops, &options).map_err(|e| write_error("update", e))?;
    }
    if spec.get("deleted").and_then(Value::as_bool).unwrap_or(false) {
        edit::delete(store, id, None, false, &by).map_err(|e| write_error("delete", e))?;
    }
    Ok(id)
}
